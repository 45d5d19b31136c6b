"""Two clerks saving the same record (issue 18): the second save is refused, never overwrites.

Records clerks edit in dialogs carry a ``version`` (core.models.base.VersionedMixin). A dialog
remembers the version it was opened with; the service calls :func:`check` before it writes, and a
newer version in the database means somebody saved in between: :class:`ConflictError` says who
and when (from the audit trail) and the dialog offers to reload. Within the save's own short
transaction SQLAlchemy's version check covers the last instant (StaleDataError, turned into the
same error by core.db).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
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


def last_change(session: Session, table: str, record_id: int) -> tuple[str, str]:
    """(who, when) of the record's last recorded change (audit trail), or ("", "")."""
    from brigade_desk.core.models.audit import AuditEntry

    row = session.execute(
        select(AuditEntry.os_user, AuditEntry.at)
        .where(AuditEntry.table_name == table, AuditEntry.record_id == str(record_id))
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return "", ""
    at = row[1]
    return str(row[0]), (f"{at:%Y-%m-%d %H:%M}" if hasattr(at, "strftime") else str(at)[:16])


def check(session: Session, obj: Any, expected: int | None, what: str) -> None:
    """Refuse the save when ``obj`` (loaded in ``session``) is no longer at ``expected``, the
    version the dialog was opened with (None: no check, e.g. the command line)."""
    if expected is None or obj.version == expected:
        return
    by, at = last_change(session, obj.__table__.name, obj.id)
    raise ConflictError(what, by, at)
