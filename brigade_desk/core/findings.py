"""Every rule's findings, shared by the home page, the problem list and the case register.

Running all rules over ten years of a large brigade's ledgers takes a few hundred milliseconds, so the
result is kept in :class:`brigade_desk.core.cache.DataCache` while the data stays the same. The
command line ``check`` always runs the rules afresh.
"""

from __future__ import annotations

import datetime as dt

from brigade_desk.core.cache import DataCache
from brigade_desk.core.db import Database
from brigade_desk.core.ledger import Registry
from brigade_desk.core.rules import Finding


def _key(as_of: dt.date) -> tuple[str, dt.date]:
    return ("findings", as_of)


def cached_findings(db: Database, as_of: dt.date) -> list[Finding] | None:
    """The findings on ``as_of`` when they are already known for the data as it is now."""
    hit = DataCache.of(db).cached(_key(as_of))
    return None if hit is None else list(hit)


def findings(
    db: Database, as_of: dt.date, registry: Registry, *, fresh: bool = False
) -> list[Finding]:
    """The findings on ``as_of``; ``fresh`` re-runs the rules even when nothing changed (a storage
    disk may have been plugged in: the AV integrity rule looks at the disk)."""
    return list(
        DataCache.of(db).get(
            _key(as_of), lambda s: tuple(registry.run_rules(s, as_of)), fresh=fresh
        )
    )
