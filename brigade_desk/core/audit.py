"""Audit trail: every ORM create/update/delete is written to ``audit_log`` in the same transaction.

Each entry carries the SHA-256 of the previous entry, so editing or deleting an entry breaks the
chain; each entry also keeps the full row state after the change, so a ledger row edited or deleted
behind the program's back (e.g. with the sqlite3 shell) no longer matches the trail's last recorded
state. :func:`verify` checks both and names the first broken entry.

Rows written with Core bulk statements bypass the listeners: an importer that writes in bulk records
them with :func:`append_bulk` (the same entries, chained in the same way, one executemany). The rows
of the large demo data set are not recorded; they are therefore not checked until first edited
through the program.
"""

from __future__ import annotations

import base64
import datetime as dt
import getpass
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, event, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from brigade_desk.core.models.audit import AuditEntry

if TYPE_CHECKING:
    from brigade_desk.core.db import Database

GENESIS = "0" * 64
EXCLUDED_TABLES = {"audit_log", "alembic_version"}
# columns that change on every write without meaning (kept out of the comparison)
VOLATILE = {"updated_at"}


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USERNAME") or os.environ.get("USER") or "unknown"


def _json_value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, (set, frozenset)):
        return sorted(v)
    return v


# shared encoders (json.dumps with these options builds a new encoder on every call)
_STATE_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
_PAYLOAD_JSON = json.JSONEncoder(ensure_ascii=False)
# values JSON takes as they are (``_json_value`` leaves them alone)
_PLAIN = frozenset({str, int, float, bool, type(None)})


def dumps(d: dict[str, Any] | None) -> str | None:
    if d is None:
        return None
    if all(type(v) in _PLAIN for v in d.values()):
        return _STATE_JSON.encode(d)
    return _STATE_JSON.encode({k: _json_value(v) for k, v in d.items()})


def entry_hash(
    prev: str,
    eid: int,
    at: str,
    user: str,
    action: str,
    table: str,
    rid: str,
    before: str | None,
    after: str | None,
) -> str:
    payload = _PAYLOAD_JSON.encode([prev, eid, at, user, action, table, rid, before, after])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _state(obj: Any) -> dict[str, Any]:
    st = inspect(obj)
    out = {
        c.columns[0].name: getattr(obj, c.key)
        for c in st.mapper.column_attrs
        if c.columns[0].name not in VOLATILE
    }
    for r in _link_rels(
        obj
    ):  # many-to-many links (a case's officers) as the list of linked records
        if r.key in st.dict:
            out[r.key] = _labels(getattr(obj, r.key))
    return out


def _link_rels(obj: Any) -> list[Any]:
    return [r for r in inspect(obj).mapper.relationships if r.secondary is not None]


def _labels(objs: Any) -> list[str]:
    """Linked records as "name#id" (readable in 修改记录, unambiguous for the same name)."""
    return sorted(f"{getattr(o, 'name', '')}#{_pk(o)}" for o in objs)


def _link_changes(obj: Any) -> dict[str, Any]:
    """Old lists of the many-to-many links that changed."""
    st = inspect(obj)
    out: dict[str, Any] = {}
    for r in _link_rels(obj):
        h = st.attrs[r.key].history
        if h.added or h.deleted:
            out[r.key] = _labels(list(h.unchanged) + list(h.deleted))
    return out


def _pk(obj: Any) -> str:
    ident = inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join("" if i is None else str(i) for i in ident)


def _changes(obj: Any) -> dict[str, Any]:
    """Old values of the changed columns."""
    st = inspect(obj)
    out: dict[str, Any] = {}
    for c in st.mapper.column_attrs:
        col = c.columns[0].name
        if col in VOLATILE:
            continue
        h = st.attrs[c.key].history
        if h.has_changes():
            out[col] = h.deleted[0] if h.deleted else None
    return out


# one entry to write: (action, table, record id, before, after)
Change = tuple[str, str, str, dict[str, Any] | None, dict[str, Any] | None]


class _Pending:
    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows: list[Change] = []


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    pend: _Pending = session.info.setdefault("audit_pending", _Pending())
    for obj in list(session.dirty):
        table = inspect(obj).mapper.local_table.name
        if table in EXCLUDED_TABLES or not session.is_modified(
            obj, include_collections=bool(_link_rels(obj))
        ):
            continue
        before = _changes(obj) | _link_changes(obj)
        if before:
            session.info.setdefault("audit_dirty", []).append((obj, before))
    for obj in list(session.deleted):
        table = inspect(obj).mapper.local_table.name
        if table not in EXCLUDED_TABLES:
            pend.rows.append(("delete", table, _pk(obj), _state(obj), None))


def _after_flush(session: Session, _ctx: Any) -> None:
    pend: _Pending = session.info.setdefault("audit_pending", _Pending())
    for obj in session.new:
        table = inspect(obj).mapper.local_table.name
        if table not in EXCLUDED_TABLES:
            pend.rows.append(("create", table, _pk(obj), None, _state(obj)))
    for obj, before in session.info.pop("audit_dirty", []):
        table = inspect(obj).mapper.local_table.name
        pend.rows.append(("update", table, _pk(obj), before, _state(obj)))
    if not pend.rows:
        return
    rows = list(pend.rows)
    pend.rows.clear()
    _append(session, rows)


_INSERT = (
    "INSERT INTO audit_log (id, at, os_user, action, table_name, record_id, before, after,"
    " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _append(session: Session, rows: Sequence[Change]) -> int:
    """Write ``rows`` (action, table, record id, before, after) after the trail's current last
    entry, hash-chained in order, with one executemany; returns how many were written."""
    if not rows:
        return 0
    conn = session.connection()
    last = conn.execute(text("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")).first()
    eid, prev = (int(last[0]), str(last[1])) if last else (0, GENESIS)
    now = dt.datetime.now().replace(microsecond=0)
    at = now.isoformat(sep=" ")
    user = os_user()
    # the driver's own executemany (tuples, no per-row work in SQLAlchemy): a bulk import writes
    # tens of thousands of entries; ``at`` stored exactly as the DateTime column stores it
    col = cast(Table, AuditEntry.__table__).c.at
    to_db = col.type.bind_processor(conn.dialect)
    stored_at = to_db(now) if to_db is not None else now
    values = []
    for action, table, rid, before, after in rows:
        eid += 1
        b, a = dumps(before), dumps(after)
        h = entry_hash(prev, eid, at, user, action, table, rid, b, a)
        values.append((eid, stored_at, user, action, table, rid, b, a, prev, h))
        prev = h
    conn.exec_driver_sql(_INSERT, values)
    return len(values)


def append_bulk(
    session: Session,
    table: str,
    action: str,
    records: Iterable[tuple[int | str, dict[str, Any] | None, dict[str, Any] | None]],
) -> int:
    """Record rows the caller wrote with Core (``insert``/``update`` executemany, no ORM) as
    ``action`` on ``table``, each ``(record id, before, after)`` — exactly the entries the ORM
    listeners would have written for the same changes, chained after the current last entry.

    ``after`` is the full row state after the change (every column, by column name, as Python
    values — the ``updated_at`` timestamp may be left in, it is dropped as the listeners drop it);
    ``before`` holds the old values of the changed columns for an update, the full state for a
    delete, ``None`` for a create. Call it in the transaction that wrote the rows, after writing
    them: they are verified (``verify``) against the rows as they are when committed. Returns the
    number of entries written (one executemany)."""
    if action not in ACTION_ZH:
        raise ValueError(f"unknown audit action {action!r}")
    if table in EXCLUDED_TABLES:
        raise ValueError(f"table {table!r} is not audited")

    def clean(d: dict[str, Any] | None) -> dict[str, Any] | None:
        if d is None or VOLATILE.isdisjoint(d):
            return d
        return {k: v for k, v in d.items() if k not in VOLATILE}

    return _append(
        session, [(action, table, str(rid), clean(b), clean(a)) for rid, b, a in records]
    )


def install(factory: sessionmaker[Session]) -> None:
    """Record every ORM change made through sessions of ``factory``."""
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "after_flush", _after_flush)


# ---- reading and verifying -------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryItem:
    at: dt.datetime
    user: str
    action: str
    table: str
    record_id: str
    changes: list[tuple[str, Any, Any]]  # (column, before, after)


ACTION_ZH = {"create": "新增", "update": "修改", "delete": "删除"}


def history(session: Session, table: str, record_id: int | str) -> list[HistoryItem]:
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.table_name == table, AuditEntry.record_id == str(record_id))
        .order_by(AuditEntry.id)
    ).all()
    out = []
    for r in rows:
        before = json.loads(r.before) if r.before else {}
        after = json.loads(r.after) if r.after else {}
        if r.action == "update":
            changes = [(k, before.get(k), after.get(k)) for k in before]
        elif r.action == "create":
            changes = [(k, None, v) for k, v in after.items() if v not in (None, "")]
        else:
            changes = [(k, v, None) for k, v in before.items() if v not in (None, "")]
        out.append(HistoryItem(r.at, r.os_user, r.action, r.table_name, r.record_id, changes))
    return out


def history_of(db: Database, records: Iterable[tuple[str, int | str]]) -> list[HistoryItem]:
    """The recorded changes of all ``records`` (table, id), newest first (修改记录)."""
    items: list[HistoryItem] = []
    with db.session() as s:
        for table, rid in records:
            items.extend(history(s, table, rid))
    items.sort(key=lambda h: h.at, reverse=True)
    return items


@dataclass
class VerifyResult:
    entries: int = 0
    records: int = 0
    broken_entry: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_entry is None and not self.problem

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "records_checked": self.records,
            "broken_entry": self.broken_entry,
            "problem": self.problem,
        }


def verify_database(db: Database) -> VerifyResult:
    """``verify`` in a session of its own (the check after start-up, in the background)."""
    with db.session() as s:
        return verify(s)


def verify(session: Session) -> VerifyResult:
    """Check the chain, then each audited record's current row against its last recorded state."""
    res = VerifyResult()
    prev = GENESIS
    expected_id = 1
    last_state: dict[tuple[str, str], tuple[int, str, str | None]] = {}
    conn = session.connection()
    for row in conn.execute(
        text(
            "SELECT id, at, os_user, action, table_name, record_id, before, after, prev_hash, hash FROM audit_log ORDER BY id"
        )
    ):
        eid, at, user, action, table, rid, before, after, prev_hash, h = row
        at_s = at if isinstance(at, str) else at.isoformat(sep=" ")
        at_s = at_s.split(".")[0]
        res.entries += 1
        if eid != expected_id:
            res.broken_entry = expected_id
            res.problem = f"审计记录第 {expected_id} 条缺失（下一条为第 {eid} 条），可能被删除"
            return res
        if (
            prev_hash != prev
            or entry_hash(prev, eid, at_s, user, action, table, rid, before, after) != h
        ):
            res.broken_entry = eid
            res.problem = f"审计记录第 {eid} 条（{at_s} {ACTION_ZH.get(action, action)} {table} #{rid}）被改动，哈希链断开"
            return res
        prev = h
        expected_id += 1
        last_state[(table, rid)] = (eid, action, after)
    # the current rows must match the last recorded state
    from brigade_desk.models import Base

    tables: dict[str, Table] = {t.name: t for t in Base.metadata.sorted_tables}
    links: dict[str, dict[str, Any]] = {}
    for m in Base.registry.mappers:
        for r in m.relationships:
            if r.secondary is not None:
                # a declarative model's local_table is a Table (typed as any FromClause)
                links.setdefault(cast(Table, m.local_table).name, {})[r.key] = r
    for (table, rid), (eid, action, after) in sorted(last_state.items(), key=lambda kv: kv[1][0]):
        t = tables.get(table)
        if t is None:
            continue
        res.records += 1
        pk_cols = list(t.primary_key.columns)
        pk_vals = rid.split(",") if len(pk_cols) > 1 else [rid]
        cond = " AND ".join(f'"{c.name}" = :p{i}' for i, c in enumerate(pk_cols))
        params = {f"p{i}": v for i, v in enumerate(pk_vals)}
        cur = conn.execute(text(f'SELECT * FROM "{table}" WHERE {cond}'), params).mappings().first()
        if action == "delete":
            if cur is not None:
                res.broken_entry = eid
                res.problem = f"{table} #{rid} 在审计记录中已删除（第 {eid} 条），但数据库中仍存在"
                return res
            continue
        if cur is None:
            res.broken_entry = eid
            res.problem = f"{table} #{rid} 在数据库中不见了，但审计记录（第 {eid} 条）中没有删除记录——可能在程序之外被删除"
            return res
        want = json.loads(after or "{}")
        for col, val in want.items():
            if col in t.c:
                have = _normalise(t.c[col], cur[col])
            elif col in links.get(table, {}):  # a many-to-many link list: compare the linked ids
                have, val = (
                    _linked_ids(conn, links[table][col], pk_vals),
                    sorted(str(v).rsplit("#", 1)[-1] for v in val),
                )
            else:
                continue
            if have != val:
                res.broken_entry = eid
                res.problem = (
                    f"{table} #{rid} 的“{col}”为 {have!r}，与审计记录最后状态（第 {eid} 条）{val!r} 不符"
                    "——可能在程序之外被修改"
                )
                return res
    return res


def _linked_ids(conn: Any, rel: Any, pk_vals: list[str]) -> list[str]:
    """The ids a record links to through a many-to-many table, as the trail stores them."""
    ((mine, _local),) = [(c, lc) for c, lc in ((p[1], p[0]) for p in rel.synchronize_pairs)]
    ((theirs, _remote),) = [
        (c, rc) for c, rc in ((p[1], p[0]) for p in rel.secondary_synchronize_pairs)
    ]
    rows = conn.execute(
        text(f'SELECT "{theirs.name}" FROM "{rel.secondary.name}" WHERE "{mine.name}" = :v'),
        {"v": pk_vals[0]},
    ).all()
    return sorted(str(r[0]) for r in rows)


def _normalise(col: Any, v: Any) -> Any:
    """A raw SQLite value in the same JSON form the trail stored."""
    if v is None:
        return None
    try:
        py = col.type.python_type
    except NotImplementedError:
        py = None
    from sqlalchemy import JSON

    if isinstance(col.type, JSON) and isinstance(v, str):
        return json.loads(v)
    if py is bool:
        return bool(v)
    if py is dt.datetime and isinstance(v, str):
        return v.replace("T", " ").split(".")[0]
    if py is Decimal:
        return float(v)
    return _json_value(v)
