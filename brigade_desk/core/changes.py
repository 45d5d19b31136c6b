"""What changed in the database, as the program's change notice (in the spirit of Anki's OpChanges).

A page that shows a ledger reloads when a notice touches that ledger::

    if what & (Changes.STAFF | Changes.SETTINGS):
        self.reload()

Notices combine with ``|``. :data:`Changes.ALL` touches every ledger (a restore, an import of
unknown kind); a write by another program (seen by :meth:`brigade_desk.core.db.ChangeCounter.poll`) is
``Changes.ALL | Changes.EXTERNAL``: anything may have changed, and the extra flag says where it came
from. Plain data, no Qt: services (e.g. :mod:`brigade_desk.core.undo`) carry it too.
"""

from __future__ import annotations

import enum


class Changes(enum.Flag):
    STAFF = enum.auto()  # the roster and certificates
    TRAINING = enum.auto()
    AV = enum.auto()  # audio-visual records, storage roots, name patterns
    CASES = enum.auto()  # case register, reviews, holidays
    SETTINGS = enum.auto()
    AUDIT = enum.auto()  # the audit trail's check result
    REPORTS = enum.auto()  # reports sent to superiors (the deadlines calendar)
    EXTERNAL = enum.auto()  # another program wrote: only ever sent together with ALL
    ALL = STAFF | TRAINING | AV | CASES | SETTINGS | AUDIT | REPORTS
