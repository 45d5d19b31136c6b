"""Two clerks saving the same record (issue 18): the second save is refused, never overwrites.

Records clerks edit in dialogs carry a ``version`` (core.models.base.VersionedMixin). A dialog
remembers the version it was opened with; the service calls :func:`check` before it writes, and a
newer version in the database means somebody saved in between: :class:`ConflictError` says who
and when (from the audit trail) and the dialog offers to reload. Within the save's own short
transaction SQLAlchemy's version check covers the last instant (StaleDataError, turned into the
same error by core.db).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from brigade_desk.core.errors import UserError


class ConflictError(UserError):
    """Somebody else saved the record after this dialog opened it: nothing was written."""

    def __init__(self, what: str, by: str = "", at: str = "") -> None:
        who = f"{by} 于 {at} " if by else "另一位用户（或另一台电脑）"
        super().__init__(
            f"保存未成功：在你打开{what}之后，{who}已修改并保存了它。"
            "为免覆盖对方的修改，本次保存已取消，数据库没有被改动（你的修改仍在窗口中）。"
            "请重新载入最新内容，核对后再修改。"
        )
        self.by, self.at = by, at


def last_change(
    session: Session,
    table: str,
    record_id: int,
    related: Iterable[tuple[str, Iterable[int]]] = (),
) -> tuple[str, str]:
    """(who, when) of the record's last recorded change (audit trail), or ("", "").
    ``related``: (table, ids) of rows saved with the record (a review's item scores, a plan's
    items), whose newest entry counts too: a save that changed only those is still that save."""
    from brigade_desk.core.models.audit import AuditEntry

    cond = [(AuditEntry.table_name == table) & (AuditEntry.record_id == str(record_id))]
    for t, ids in related:
        keys = [str(i) for i in ids]
        if keys:
            cond.append((AuditEntry.table_name == t) & AuditEntry.record_id.in_(keys))
    row = session.execute(
        select(AuditEntry.os_user, AuditEntry.at)
        .where(or_(*cond))
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return "", ""
    at = row[1]
    return str(row[0]), (f"{at:%Y-%m-%d %H:%M}" if hasattr(at, "strftime") else str(at)[:16])


def check(
    session: Session,
    obj: Any,
    expected: int | None,
    what: str,
    related: Iterable[tuple[str, Iterable[int]]] = (),
) -> None:
    """Refuse the save when ``obj`` (loaded in ``session``) is no longer at ``expected``, the
    version the dialog was opened with (None: no check, e.g. the command line; 0: the dialog saw
    no such record yet, so one that exists now was saved by somebody else). ``related``: see
    :func:`last_change`."""
    if expected is None or obj.version == expected:
        return
    by, at = last_change(session, obj.__table__.name, obj.id, related)
    raise ConflictError(what, by, at)


def touch(obj: Any) -> None:
    """Count a save of ``obj`` whose own columns may be unchanged (only its item rows were
    rewritten): its version goes up all the same, so a dialog opened before this save is refused
    (the UPDATE still carries ``AND version = <as loaded>``). Not for a record not yet flushed."""
    obj.version = obj.version + 1
