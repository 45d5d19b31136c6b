"""Moving a ledger between a SQLite file and a PostgreSQL server, both ways (issue 18).

``brigade-desk copy-db SOURCE TARGET``: every table of the schema — the ledgers, the settings, the
audit trail entry for entry — copied in foreign-key order, in chunks (memory stays flat on a ten-year
ledger), inside one transaction on the target: a failure leaves the target as it was. Values travel
as Python values through SQLAlchemy's column types, so dates, times, flags and JSON arrive as the
target stores them; the audit trail's row digests are taken in SQLite's stored form on both
(core.dialect), so the copied trail verifies on the target.

The target must be empty (a new file, or a new database on the server: its schema is made by the
migrations); a target holding data is refused, nothing is mixed. Afterwards: row counts compared
table by table, and ``audit verify`` run on the target. A server's id sequences are moved past the
copied ids so that new rows do not collide.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, Table, func, insert, select
from sqlalchemy.exc import DBAPIError

from brigade_desk.core.db import SEEDED_BY_MIGRATIONS
from brigade_desk.core.errors import UserError

log = logging.getLogger(__name__)

CHUNK = 5000
# kept by the migrations themselves, not copied
SKIP = frozenset({"alembic_version"})
# tables the migrations fill (the default AV file-name patterns): a new database holds these rows
# and nothing else; they are replaced by the source's (tests/core/test_copy_db.py keeps this true)
SEEDED = frozenset(SEEDED_BY_MIGRATIONS)


@dataclass
class CopyResult:
    source: str
    target: str
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    verified: bool = False
    audit_entries: int = 0
    problem: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "tables": self.counts,
            "rows": sum(self.counts.values()),
            "audit_entries": self.audit_entries,
            "verified": self.verified,
            "problem": self.problem,
        }


def _label(target: Path | str) -> str:
    from brigade_desk.core.dburl import is_server_url, redacted

    return redacted(target) if is_server_url(target) else str(target)


def _tables() -> list[Table]:
    from brigade_desk.models import Base

    return [t for t in Base.metadata.sorted_tables if t.name not in SKIP]


def copy_database(
    source: Path | str,
    target: Path | str,
    progress: Callable[[str, int, int], None] | None = None,
    *,
    replace: bool = False,
    on_committed: Callable[[Any], None] | None = None,
    anchor_target: bool = True,
) -> CopyResult:
    """Copy the ledger ``source`` into the empty ledger ``target`` and verify it.

    ``replace`` (a restore onto a server database, core.pgbackup): the target's rows — every table,
    the audit trail too — are deleted in the same transaction as the copy, under a lock on every
    table, so other clients see the old data or the new, never a mix. ``on_committed(target)`` runs
    after the commit and before the checks (a restore's anchor goes there). ``anchor_target=False``:
    the copy is a backup (core.pgbackup anchors it as one), not a ledger continued from here."""
    from brigade_desk.core import audit
    from brigade_desk.core.db import open_database
    from brigade_desk.core.dburl import is_server_url

    res = CopyResult(_label(source), _label(target))
    if not is_server_url(source) and not Path(source).exists():
        raise UserError(f"找不到要复制的数据库文件：{source}")
    if str(source).strip() == str(target).strip():
        raise UserError("来源和目标是同一个数据库。")
    src = open_database(source)
    try:
        dst = open_database(target)
        try:
            tables = _tables()
            with dst.engine.connect() as d:
                busy = [
                    t.name
                    for t in tables
                    if t.name not in SEEDED
                    and d.execute(select(func.count()).select_from(t)).scalar()
                ]
            if replace and dst.engine.dialect.name == "sqlite":
                raise UserError("只有服务器上的数据库可以整体替换；数据库文件请用“恢复”。")
            if busy and not replace:
                raise UserError(
                    f"目标数据库 {res.target} 中已有数据（{'、'.join(busy[:5])} 等表），"
                    "为免混在一起，只能复制到新建的空数据库。"
                )
            totals: dict[str, int] = {}
            # one snapshot of the source for every table (others may write to a server meanwhile)
            with (
                src.engine.connect().execution_options(
                    isolation_level="SERIALIZABLE"
                    if src.engine.dialect.name == "sqlite"
                    else "REPEATABLE READ"
                ) as s,
                dst.engine.begin() as d,
            ):
                if s.dialect.name == "sqlite":
                    s.exec_driver_sql("BEGIN")  # a read transaction: SQLite's snapshot
                for t in tables:  # counted in the snapshot the rows are copied from
                    totals[t.name] = int(
                        s.execute(select(func.count()).select_from(t)).scalar() or 0
                    )
                if replace:
                    _clear_server(d, tables)
                for t in reversed(tables):
                    if t.name in SEEDED:
                        d.execute(t.delete())
                for t in tables:
                    n = totals[t.name]
                    if not n:
                        res.counts[t.name] = 0
                        continue
                    done = 0
                    order = list(t.primary_key.columns) or list(t.columns)
                    rows = s.execution_options(yield_per=CHUNK).execute(select(t).order_by(*order))
                    for part in rows.partitions(CHUNK):
                        try:
                            d.execute(insert(t), [dict(r._mapping) for r in part])
                        except DBAPIError as exc:
                            raise UserError(
                                f"复制表 {t.name} 时目标数据库拒绝了第 {done + 1}–{done + len(part)} 行"
                                f"（{_why(exc)}），目标数据库没有写入任何内容。"
                            ) from exc
                        done += len(part)
                        if progress is not None:
                            progress(t.name, done, n)
                    res.counts[t.name] = done
                if not d.dialect.name == "sqlite":
                    _advance_sequences(d, tables)
            if on_committed is not None:
                on_committed(dst)
            # afterwards: the same number of rows, and the trail verifies on the target
            with dst.engine.connect() as d:
                for t in tables:
                    have = int(d.execute(select(func.count()).select_from(t)).scalar() or 0)
                    if have != totals[t.name]:
                        res.problem = f"表 {t.name}：来源 {totals[t.name]} 行，目标 {have} 行"
                        return res
            check = audit.verify_database(dst)
            res.audit_entries = check.entries
            res.verified = check.ok
            res.problem = check.problem
            if check.ok and anchor_target:  # the copy's head, anchored for the target from now on
                from brigade_desk.core import anchor

                with dst.session() as sess:
                    head = anchor.current(sess)
                if head.entries and head.db:
                    anchor.note_commit(head.db, head.entries, head.head, head.head_at)
            return res
        finally:
            dst.close()
    finally:
        src.close()


LOCK_TIMEOUT_MS = 30_000


def _clear_server(conn: Any, tables: list[Table]) -> None:
    """Every row of the ledger deleted inside the copy's transaction on a server: every table locked
    first (waiting at most ``LOCK_TIMEOUT_MS`` for another client's transaction), the audit trail's
    append-only triggers set aside for the deletion only (ALTER TABLE is transactional: a failure
    leaves them as they were)."""
    names = ", ".join(f'"{t.name}"' for t in tables)
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}")
    conn.exec_driver_sql(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
    conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
    for t in reversed(tables):
        conn.execute(t.delete())
    conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER USER")


def _why(exc: DBAPIError) -> str:
    text = str(exc.orig or exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _advance_sequences(conn: Any, tables: list[Table]) -> None:
    """A server's serial sequences past the copied ids (explicit ids do not move them)."""
    for t in tables:
        pk = list(t.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        seq = conn.exec_driver_sql(
            f"SELECT pg_get_serial_sequence('{t.name}', '{pk[0].name}')"
        ).scalar()
        if seq:
            conn.exec_driver_sql(
                f'SELECT setval(\'{seq}\', coalesce((SELECT max("{pk[0].name}") FROM "{t.name}"), 0) + 1, false)'
            )
