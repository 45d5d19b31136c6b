"""Audit trail: every ORM create/update/delete is written to ``audit_log`` in the same transaction.

Each entry carries the SHA-256 of the previous entry, so editing or deleting an entry breaks the
chain; each entry also keeps the full row state after the change, so a ledger row edited or deleted
behind the program's back (e.g. with the sqlite3 shell) no longer matches the trail's last recorded
state. :func:`verify` checks both and names the first broken entry.

Rows written with Core bulk statements bypass the listeners: an importer that writes in bulk records
them with :func:`append_bulk` (the same entries, chained in the same way, one executemany). Writers
of very many rows (the demo, the AV check tables) record them with :func:`record_rows`: one ``bulk``
entry per few thousand rows holding a short digest of each row as SQLite stores it; :func:`verify`
re-reads those tables in one pass and compares the digests.

Two hash schemes live in one chain (see README, 审计记录的防篡改范围):

- entries written before a key existed keep the plain SHA-256 of their payload (64 hex digits);
- newer entries carry ``k1:<key id>:<HMAC-SHA256>`` made with a secret key kept outside the
  database (a key file in the user's profile, created on first use). Recomputing such entries after
  an edit needs the key, not only the program's code. Once the chain has a keyed entry every later
  entry must be keyed too.

The chain's head is also written outside the database after each commit (``anchor``): a truncated,
recomputed or rolled-back trail no longer matches those anchors.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import getpass
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from hashlib import blake2b
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Integer, Table, event, inspect, select, text
from sqlalchemy.orm import Session, object_session, sessionmaker

from brigade_desk.core import dialect
from brigade_desk.core.errors import UserError
from brigade_desk.core.models.audit import AuditEntry

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from brigade_desk.core.db import Database

GENESIS = "0" * 64
EXCLUDED_TABLES = {"audit_log", "alembic_version"}
KEY_ENV = "BRIGADE_DESK_AUDIT_KEY"  # the key file's path (tests, or a key kept on another drive)
KEYED_PREFIX = "k1:"
BULK = "bulk"  # one entry for many rows written in bulk (digests of the rows as stored)
BULK_CHUNK = 5000
SCAN_FROM = 200  # recorded rows of one table from which verify reads the table in one pass
# columns that change on every write without meaning (kept out of the comparison)
VOLATILE = {"updated_at", "version"}  # (version: counts saves, core.models.base)


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USERNAME") or os.environ.get("USER") or "unknown"


@functools.cache
def _host() -> str:
    import socket

    try:
        return socket.gethostname() or "?"
    except OSError:
        return "?"


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
    key: ChainKey | None = None,
) -> str:
    """The entry's hash: plain SHA-256 of the payload (the scheme before keys), or — given a
    ``key`` — ``k1:<key id>:<HMAC-SHA256 of the payload>``."""
    payload = _PAYLOAD_JSON.encode([prev, eid, at, user, action, table, rid, before, after])
    if key is None:
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()
    mac = hmac.new(key.secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{KEYED_PREFIX}{key.kid}:{mac}"


@dataclass(frozen=True)
class ChainKey:
    """The secret that signs new entries; ``kid`` names it in every entry it signed."""

    secret: bytes
    kid: str
    path: str


def key_path() -> str:
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return env
    import platformdirs

    from brigade_desk import APP_NAME

    return os.path.join(
        platformdirs.user_config_dir(APP_NAME, appauthor=False, roaming=True), "audit.key"
    )


def _kid(secret: bytes) -> str:
    return hashlib.sha256(b"brigade-desk-audit-key-id" + secret).hexdigest()[:8]


@functools.lru_cache(maxsize=8)
def _load_key(path: str, create: bool) -> ChainKey | None:
    try:
        with open(path, encoding="ascii") as fh:
            secret = bytes.fromhex(fh.read().strip())
        if len(secret) < 16:
            raise ValueError("short key")
        return ChainKey(secret, _kid(secret), path)
    except FileNotFoundError:
        if not create:
            return None
    except (OSError, ValueError) as exc:
        log.info("audit key %s unreadable: %s", path, exc)  # verify says so, in Chinese
        return None
    secret = secrets.token_bytes(32)
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secret.hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    except FileExistsError:  # another process created it first: use theirs
        _load_key.cache_clear()
        return _load_key(path, False)
    except OSError as exc:  # a read-only profile: new entries keep the plain scheme
        log.info("audit key %s cannot be created: %s", path, exc)
        return None
    return ChainKey(secret, _kid(secret), path)


def chain_key(create: bool = True) -> ChainKey | None:
    """The key new entries are signed with (created on first use), or None if there is none."""
    return _load_key(key_path(), create)


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
    __slots__ = ("deleted", "rows")

    def __init__(self) -> None:
        self.rows: list[Change] = []
        self.deleted: set[int] = set()  # objects whose delete is recorded (this flush)


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
            pend.deleted.add(id(obj))


def _before_delete(_mapper: Any, _conn: Any, obj: Any) -> None:
    """A row the flush deletes that ``session.deleted`` did not list before it: an orphan of a
    ``delete-orphan`` collection (a plan's items replaced). Recorded like any delete."""
    session = object_session(obj)
    pend = session.info.get("audit_pending") if session is not None else None
    if pend is None or id(obj) in pend.deleted:
        return
    table = inspect(obj).mapper.local_table.name
    if table not in EXCLUDED_TABLES:
        pend.rows.append(("delete", table, _pk(obj), _state(obj), None))
        pend.deleted.add(id(obj))


def _after_flush(session: Session, _ctx: Any) -> None:
    pend: _Pending = session.info.setdefault("audit_pending", _Pending())
    for obj in session.new:
        table = inspect(obj).mapper.local_table.name
        if table not in EXCLUDED_TABLES:
            pend.rows.append(("create", table, _pk(obj), None, _state(obj)))
    for obj, before in session.info.pop("audit_dirty", []):
        table = inspect(obj).mapper.local_table.name
        pend.rows.append(("update", table, _pk(obj), before, _state(obj)))
    pend.deleted.clear()
    if not pend.rows:
        return
    rows = list(pend.rows)
    pend.rows.clear()
    _append(session, rows)


CHAIN_LOCK = 0x42444155  # pg_advisory_xact_lock key for extending the chain ("BDAU")
_INSERT = (
    "INSERT INTO audit_log (id, at, os_user, action, table_name, record_id, before, after,"
    " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class AuditKeyError(UserError):
    """This PC cannot sign the ledger's next audit entry with the key its trail is signed with."""


def _signing_key(head_hash: str) -> ChainKey | None:
    """The key the next entry is signed with. A trail whose last entry is signed continues with
    that same key or not at all: a PC without it (a second clerk's PC on a server, a ledger
    carried to another PC, an unreadable key file) would otherwise start a key of its own, and
    the trail would hold entries no PC can check. Such a write is refused (AuditKeyError: the
    caller's transaction rolls back) saying where the key file belongs. A trail not signed yet
    (a new ledger, or one from before keys) is signed from here on with this PC's key, made on
    first use."""
    if not head_hash.startswith(KEYED_PREFIX):
        return chain_key()
    kid = head_hash[len(KEYED_PREFIX) : len(KEYED_PREFIX) + 8]
    key = chain_key(create=False)
    if key is not None and key.kid == kid:
        return key
    mine = "没有这把密钥" if key is None else f"的密钥编号为 {key.kid}，不是同一把"
    raise AuditKeyError(
        f"不能保存：这本台账的审计记录用密钥（编号 {kid}）签名，本机{mine}（{key_path()}）。"
        "请把建立台账那台电脑上的密钥文件 audit.key 复制到这个位置（或用环境变量 "
        f"{KEY_ENV} 指向它）后再保存；否则本机写下的记录，任何电脑都无法核对。"
    )


def _append(session: Session, rows: Sequence[Change]) -> int:
    """Write ``rows`` (action, table, record id, before, after) after the trail's current last
    entry, hash-chained in order, with one executemany; returns how many were written."""
    if not rows:
        return 0
    conn = session.connection()
    if not dialect.is_sqlite(conn):
        # several PCs write to one server: the chain is extended by one transaction at a time
        # (held until it commits; SQLite's single writer does the same for a file)
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})")
    last = conn.execute(text("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")).first()
    eid, prev = (int(last[0]), str(last[1])) if last else (0, GENESIS)
    now = dt.datetime.now().replace(microsecond=0)
    at = now.isoformat(sep=" ")
    user = os_user()
    if not dialect.is_sqlite(conn):  # several PCs write to one server: which one, too
        user = f"{user}@{_host()}"[:100]
    # the driver's own executemany (tuples, no per-row work in SQLAlchemy): a bulk import writes
    # tens of thousands of entries; ``at`` stored exactly as the DateTime column stores it
    col = cast(Table, AuditEntry.__table__).c.at
    to_db = col.type.bind_processor(conn.dialect)
    stored_at = to_db(now) if to_db is not None else now
    key = _signing_key(prev)
    values = []
    for action, table, rid, before, after in rows:
        eid += 1
        b = before if isinstance(before, str) else dumps(before)
        a = after if isinstance(after, str) else dumps(after)
        h = entry_hash(prev, eid, at, user, action, table, rid, b, a, key)
        values.append((eid, stored_at, user, action, table, rid, b, a, prev, h))
        prev = h
    conn.exec_driver_sql(dialect.driver_sql(conn, _INSERT), values)
    # the new head, anchored outside the database once the transaction commits
    session.info["audit_head"] = conn.engine
    return len(values)


def _row_digest(values: tuple[Any, ...]) -> str:
    """A short digest of a row as SQLite returns it (``repr`` of plain str/int/float/bytes/None)."""
    return blake2b(repr(values).encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


def _raw_rows(conn: Any, sql: str, params: Any = ()) -> Iterator[tuple[Any, ...]]:
    """Rows straight from the sqlite3 cursor (tuples of stored values, no SQLAlchemy per row)."""
    cur = conn.connection.dbapi_connection.cursor()
    sqlite = dialect.is_sqlite(conn)
    try:
        cur.execute(dialect.driver_sql(conn, sql), params)
        while True:
            batch = cur.fetchmany(5000)
            if not batch:
                return
            if sqlite:
                yield from batch
            else:  # as SQLite stores them: the same digests on both (core.dialect)
                yield from map(dialect.stored_form, batch)
    finally:
        cur.close()


def _table(name: str) -> Table:
    from brigade_desk.models import Base

    t = Base.metadata.tables.get(name)
    if t is None or name in EXCLUDED_TABLES:
        raise ValueError(f"table {name!r} is not audited")
    return t


def _bulk_select(t: Table, cols: Sequence[str]) -> str:
    names = [c.name for c in t.primary_key.columns] + list(cols)
    return "SELECT " + ", ".join(f'"{n}"' for n in names) + f' FROM "{t.name}"'


def record_rows(
    session: Session, table: str, where: str = "", params: Any = (), *, note: str = ""
) -> int:
    """Record the rows of ``table`` matching the SQL condition ``where`` (all rows if empty), as
    they now are in this transaction, in ``bulk`` entries: one per ``BULK_CHUNK`` rows, each row
    as (record id, digest of its stored values), with ``note`` saying where they came from (shown
    in a record's history). For writers of many rows with Core statements (the demo, the AV check
    tables, the rows an import creates). Returns the number of rows recorded."""
    t = _table(table)
    cols = sorted(c.name for c in t.columns if c.name not in VOLATILE)
    npk = len(t.primary_key.columns)
    order = ", ".join(f'"{c.name}"' for c in t.primary_key.columns)
    # in key order: an entry's "first..last" then bounds the ids it holds (see _bulk_history)
    sql = _bulk_select(t, cols) + (f" WHERE {where}" if where else "") + f" ORDER BY {order}"
    conn = session.connection()
    digest = _row_digest
    return _record_digests(
        session,
        table,
        cols,
        (
            (str(vals[0]) if npk == 1 else ",".join(str(v) for v in vals[:npk]), digest(vals[npk:]))
            for vals in _raw_rows(conn, sql, params)
        ),
        note,
    )


def record_written(
    session: Session, table: str, rows: Sequence[Sequence[Any]], *, note: str = ""
) -> bool:
    """Record rows just inserted into a SQLite ledger as :func:`record_rows` would, from the values
    written instead of reading them back: ``rows`` hold every column of ``table`` in its order,
    in key order, each value of a plain kind (see :func:`_as_stored`: SQLite's stored form of it
    is known — a bool in a BOOLEAN column comes back as 0/1, an int in a FLOAT column as a float).
    False, with nothing recorded, on a server or when a value is of another kind: the caller then
    uses :func:`record_rows`. (Verified like any bulk entry: a digest that differs from the
    stored row is reported.)"""
    if not rows or not dialect.is_sqlite(session.connection()):
        return False
    t = _table(table)
    if len(t.primary_key.columns) != 1:
        return False
    names = [c.name for c in t.columns]
    cols = sorted(c.name for c in t.columns if c.name not in VOLATILE)
    columns = list(zip(*rows, strict=True))
    try:
        stored = [_as_stored(_affinity(t.c[n]), columns[names.index(n)]) for n in cols]
    except _NotPlain:
        return False
    ids = map(str, columns[names.index(t.primary_key.columns[0].name)])
    digests = map(_row_digest, zip(*stored, strict=True))
    _record_digests(session, table, cols, zip(ids, digests, strict=True), note)
    return True


class _NotPlain(Exception):
    """A value :func:`_as_stored` cannot predict SQLite's stored form of."""


def _affinity(col: Any) -> str:
    """The kind of value SQLite keeps in ``col``: "int" (INTEGER, BOOLEAN), "real" (FLOAT),
    "text" (VARCHAR, TEXT); "" for any other (dates …: not predicted)."""
    from sqlalchemy import Boolean, Float, String

    ty = col.type
    if isinstance(ty, (Integer, Boolean)):
        return "int"
    if isinstance(ty, Float):
        return "real"
    if isinstance(ty, String):
        return "text"
    return ""


_BIG = 2**53
_NONE = type(None)


def _as_stored(kind: str, values: Sequence[Any]) -> Sequence[Any]:
    """A column's ``values`` as SQLite gives them back from a column of ``kind`` (see
    :func:`_affinity`), for the plain values an import writes (a column at a time, in C where the
    kinds allow); anything else raises _NotPlain."""
    kinds = set(map(type, values))
    nulls = _NONE in kinds
    kinds.discard(_NONE)
    if not kinds or (kind == "text" and kinds == {str}):
        return values
    present = [v for v in values if v is not None] if nulls else values
    if kind == "int" and kinds <= {int, bool}:
        if not -_BIG < min(present) <= max(present) < _BIG:
            raise _NotPlain
        if kinds == {int}:
            return values
        return [None if v is None else int(v) for v in values] if nulls else list(map(int, values))
    if kind == "real" and kinds <= {float, int, bool}:
        if kinds == {float} and math.isfinite(sum(present)) and 0.0 not in present:
            return values  # finite floats, no -0.0: stored and read back as they are
        if any(v != v or not -_BIG < v < _BIG for v in present):
            raise _NotPlain  # NaN (SQLite keeps no NaN), the infinities, huge numbers
        # an int or a bool comes back as a float, -0.0 as 0.0
        return [None if v is None else float(v) + 0.0 for v in values]
    raise _NotPlain


def _record_digests(
    session: Session,
    table: str,
    cols: list[str],
    items: Iterable[tuple[str, str]],
    note: str,
) -> int:
    """Write (record id, digest) pairs, in key order, as bulk entries of ``BULK_CHUNK`` rows."""
    pairs = list(map(list, items))  # [record id, digest], in C
    entries: list[Change] = []
    for at in range(0, len(pairs), BULK_CHUNK):
        chunk = pairs[at : at + BULK_CHUNK]
        first, last = chunk[0][0], chunk[-1][0]
        rid = first if first == last else f"{first}..{last}"
        data: dict[str, Any] = {"cols": cols, "rows": chunk}
        if note:
            data["note"] = note
        after = _PAYLOAD_JSON.encode(data)
        entries.append((BULK, table, rid[:60], None, cast(Any, after)))
    _append(session, entries)
    return len(pairs)


def has_entries(conn: Any, table: str) -> bool:
    """Whether the trail holds any entry of ``table``."""
    return (
        conn.exec_driver_sql(
            dialect.driver_sql(conn, "SELECT 1 FROM audit_log WHERE table_name = ? LIMIT 1"),
            (table,),
        ).first()
        is not None
    )


@functools.cache
def _link_owners() -> dict[str, list[tuple[str, int]]]:
    """Many-to-many link tables → their owners: (owner table, index of the owner's id in the
    link table's primary key). A change of a link is recorded in the owner's entry."""
    from brigade_desk.models import Base

    out: dict[str, list[tuple[str, int]]] = {}
    for m in Base.registry.mappers:
        for r in m.relationships:
            if r.secondary is None:
                continue
            sec = cast(Table, r.secondary)
            pk = [c.name for c in sec.primary_key.columns]
            for _owner_col, link_col in r.synchronize_pairs:
                if link_col.name in pk:
                    entry = (cast(Table, m.local_table).name, pk.index(link_col.name))
                    if entry not in out.setdefault(sec.name, []):
                        out[sec.name].append(entry)
    return out


def record_unaudited(session: Session, tables: Iterable[str] | None = None) -> int:
    """Record in bulk every row of ``tables`` (default: every audited table) that has no audit
    entry yet — rows written with Core inserts (the demo). Returns the number of rows recorded."""
    from brigade_desk.models import Base

    conn = session.connection()
    names = (
        list(tables)
        if tables is not None
        else [t.name for t in Base.metadata.sorted_tables if t.name not in EXCLUDED_TABLES]
    )
    total = 0
    for name in names:
        t = _table(name)
        if len(t.primary_key.columns) != 1:
            if name in _link_owners() and not has_entries(conn, name):
                # a link table written in bulk (the demo's case officers): recorded once here;
                # later changes are recorded in the owner's entries (see _state)
                total += record_rows(session, name)
            continue
        pk = t.primary_key.columns[0].name
        if conn.exec_driver_sql(f'SELECT 1 FROM "{name}" LIMIT 1').first() is None:
            continue
        covered: set[str] = set()
        for action, rid, after in conn.exec_driver_sql(
            dialect.driver_sql(
                conn, "SELECT action, record_id, after FROM audit_log WHERE table_name = ?"
            ),
            (name,),
        ):
            if action == BULK:
                covered.update(r[0] for r in json.loads(after)["rows"])
            else:
                covered.add(rid)
        if not covered:
            total += record_rows(session, name)
            continue
        ids = [r[0] for r in conn.exec_driver_sql(f'SELECT "{pk}" FROM "{name}" ORDER BY "{pk}"')]
        missing = [i for i in ids if str(i) not in covered]
        for i in range(0, len(missing), 900):
            part = missing[i : i + 900]
            total += record_rows(
                session, name, f'"{pk}" IN ({",".join("?" * len(part))})', tuple(part)
            )
    return total


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
    if action not in ("create", "update", "delete"):
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


def db_file(session: Session) -> str:
    """The database file ``session`` works on ("" for an in-memory database); for a server
    database the path its anchors are kept under (core.server.home_dir)."""
    from brigade_desk.core import anchor

    return anchor.ledger_key(session.connection().engine)


def _after_commit(session: Session) -> None:
    engine = session.info.pop("audit_head", None)
    if engine is None:
        return
    try:
        from brigade_desk.core import anchor

        path = anchor.ledger_key(engine)
        if not path or path == ":memory:":
            return
        # the head as committed (read again: a rolled-back savepoint's entries are not in it)
        with engine.connect() as c:
            row = c.exec_driver_sql(
                "SELECT id, hash, at FROM audit_log ORDER BY id DESC LIMIT 1"
            ).first()
        if row is not None:
            at = row[2] if isinstance(row[2], str) else row[2].isoformat(sep=" ")
            anchor.note_commit(path, int(row[0]), str(row[1]), str(at).split(".")[0])
    except Exception:  # an anchor that cannot be written never undoes a committed change
        log.warning("audit anchor not written", exc_info=True)


def install(factory: sessionmaker[Session]) -> None:
    """Record every ORM change made through sessions of ``factory``."""
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "after_commit", _after_commit)
    _listen_deletes()


@functools.cache
def _listen_deletes() -> None:
    """Every mapped class's deletes, orphans included (once for the program)."""
    from brigade_desk.models import Base

    event.listen(Base, "before_delete", _before_delete, propagate=True)


# ---- reading and verifying -------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryItem:
    at: dt.datetime
    user: str
    action: str
    table: str
    record_id: str
    changes: list[tuple[str, Any, Any]]  # (column, before, after)


ACTION_ZH = {"create": "新增", "update": "修改", "delete": "删除", BULK: "批量记录"}


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
    out.extend(_bulk_history(session, table, str(record_id)))
    out.sort(key=lambda h: h.at)
    return out


def _bulk_history(session: Session, table: str, rid: str) -> list[HistoryItem]:
    """The ``bulk`` entries that recorded row ``rid`` of ``table`` (an import's new rows, the
    demo's): one history line each, saying where the row came from and its digest."""
    out = []
    num = int(rid) if rid.isdigit() else None
    # the entries' id ranges first ("first..last", rows in key order): only those that may hold
    # the row are read whole (an entry holds up to BULK_CHUNK rows)
    for eid, at, user, first_last in session.execute(
        select(AuditEntry.id, AuditEntry.at, AuditEntry.os_user, AuditEntry.record_id).where(
            AuditEntry.table_name == table, AuditEntry.action == BULK
        )
    ):
        lo, _, hi = str(first_last).partition("..")
        hi = hi or lo
        if num is not None and lo.isdigit() and hi.isdigit():
            if not int(lo) <= num <= int(hi):
                continue
        after = session.scalar(select(AuditEntry.after).where(AuditEntry.id == eid))
        try:
            data = json.loads(after or "{}")
        except ValueError:
            continue
        digest = next((d for r, d in data.get("rows", ()) if r == rid), None)
        if digest is None:
            continue
        how = str(data.get("note") or "程序批量写入")
        out.append(HistoryItem(at, user, BULK, table, rid, [(how, None, f"数值摘要 {digest}")]))
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
    anchors: int = 0  # anchors outside the database the trail was checked against
    keyed: int = 0  # entries signed with the key
    head: str = ""
    restores: list[str] = field(default_factory=list)  # restores through the program (anchors)
    key_problem: bool = False  # not checkable on this PC (its key missing or another): no tampering

    @property
    def ok(self) -> bool:
        return self.broken_entry is None and not self.problem

    def warning(self, advice: str = "") -> str:
        """The line the GUI shows above a page when the trail did not pass: a missing or other key
        is said as such (nothing points at tampering then); otherwise ``advice`` follows."""
        if self.key_problem:
            return f"⚠ 审计记录无法在本机核对：{self.problem}"
        return f"⚠ 审计记录核对发现问题：{self.problem.rstrip('。')}。数据可能在程序之外被改动{advice}。"

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "records_checked": self.records,
            "broken_entry": self.broken_entry,
            "problem": self.problem,
            "anchors_checked": self.anchors,
            "keyed_entries": self.keyed,
            "head": self.head,
            "restores": self.restores,
        }


def verify_database(db: Database) -> VerifyResult:
    """``verify`` in a session of its own (the check after start-up, in the background)."""
    with db.session() as s:
        return verify(s)


@dataclass
class Chain:
    """The trail as read by :func:`verify`: each entry's hash and time, in order (index = id - 1)."""

    hashes: list[str]
    times: list[str]


def verify(session: Session, *, anchors: bool = True) -> VerifyResult:
    """Check the chain (plain or keyed hashes), each audited record's current row against its last
    recorded state, and — with ``anchors`` — the chain against the anchors kept outside the
    database (truncation, recomputation, rollback)."""
    res = VerifyResult()
    chain = Chain([], [])
    problem = _verify_chain(session, res, chain)
    if problem is None and anchors:
        path = db_file(session)
        if path and path != ":memory:":
            from brigade_desk.core import anchor

            found = anchor.check(path, chain)
            res.anchors = found.checked
            res.restores = found.restores
            if found.problem:
                res.broken_entry = found.entry
                res.problem = found.problem
                return res
    if problem is None:
        _verify_rows(session, res)
    return res


def _verify_chain(session: Session, res: VerifyResult, chain: Chain) -> str | None:
    prev = GENESIS
    expected_id = 1
    key = chain_key(create=False)
    mac_base = hmac.new(key.secret, digestmod=hashlib.sha256) if key is not None else None
    keyed_from: int | None = None
    sha256 = hashlib.sha256
    encode = _PAYLOAD_JSON.encode
    conn = session.connection()
    last_state: dict[tuple[str, str], tuple[int, str, str | None]] = {}
    bulk: dict[str, dict[str, tuple[int, int, str]]] = {}
    bulk_cols: list[tuple[str, ...]] = []
    cols_index: dict[tuple[str, ...], int] = {}
    state_tables: set[str] = set()
    bulk_cis: dict[str, set[int]] = {}
    top_id: dict[str, int] = {}  # the highest integer record id the trail knows, per table
    for row in conn.exec_driver_sql(
        "SELECT id, at, os_user, action, table_name, record_id, before, after, prev_hash, hash"
        " FROM audit_log ORDER BY id"
    ):
        eid, at, user, action, table, rid, before, after, prev_hash, h = row
        at_s = at if isinstance(at, str) else at.isoformat(sep=" ")
        at_s = at_s.replace("T", " ").split(".")[0]
        res.entries += 1
        if eid != expected_id:
            res.broken_entry = expected_id
            res.problem = f"审计记录第 {expected_id} 条缺失（下一条为第 {eid} 条），可能被删除"
            return res.problem
        payload = encode([prev, eid, at_s, user, action, table, rid, before, after]).encode("utf-8")
        if h.startswith(KEYED_PREFIX):
            if keyed_from is None:
                keyed_from = eid
            res.keyed += 1
            kid = h[len(KEYED_PREFIX) : len(KEYED_PREFIX) + 8]
            if key is None or mac_base is None or kid != key.kid:
                res.broken_entry = eid
                res.key_problem = True
                where = key_path()
                res.problem = (
                    f"审计记录第 {eid} 条起用密钥（编号 {kid}）签名，但本机"
                    + ("找不到密钥文件" if key is None else f"的密钥编号为 {key.kid}，不是同一把")
                    + f"（{where}），无法核对这些记录。请把建立该数据库的电脑上的密钥文件复制到此位置后再核对。"
                )
                return res.problem
            m = mac_base.copy()
            m.update(payload)
            good = prev_hash == prev and h == f"{KEYED_PREFIX}{kid}:{m.hexdigest()}"
        else:
            if keyed_from is not None:
                res.broken_entry = eid
                res.problem = (
                    f"审计记录第 {eid} 条（{at_s}）没有密钥签名，而第 {keyed_from} 条起的记录都已签名"
                    "——可能有人在程序之外改动记录后用无密钥的方式重算了哈希链"
                )
                return res.problem
            good = prev_hash == prev and sha256(payload).hexdigest() == h
        if not good:
            res.broken_entry = eid
            res.problem = f"审计记录第 {eid} 条（{at_s} {ACTION_ZH.get(action, action)} {table} #{rid}）被改动，哈希链断开"
            return res.problem
        prev = h
        expected_id += 1
        chain.hashes.append(h)
        chain.times.append(at_s)
        if action == BULK:
            data = json.loads(after or "{}")
            ck = tuple(data.get("cols", ()))
            ci = cols_index.get(ck)
            if ci is None:
                ci = cols_index[ck] = len(bulk_cols)
                bulk_cols.append(ck)
            tb = bulk.setdefault(table, {})
            bulk_cis.setdefault(table, set()).add(ci)
            last_id = rid.rsplit("..", 1)[-1]
            if last_id.isdigit() and int(last_id) > top_id.get(table, 0):
                top_id[table] = int(last_id)
            rows_ = data.get("rows", ())
            tb.update({r: (eid, ci, dg) for r, dg in rows_})
            if table in state_tables:
                for r, _dg in rows_:
                    last_state.pop((table, r), None)
        else:
            last_state[(table, rid)] = (eid, action, after)
            state_tables.add(table)
            if rid.isdigit() and int(rid) > top_id.get(table, 0):
                top_id[table] = int(rid)
            tb2 = bulk.get(table)
            if tb2:
                tb2.pop(rid, None)
    res.head = prev if res.entries else ""
    session.info["audit_verify_state"] = (last_state, bulk, bulk_cols, bulk_cis, top_id)
    return None


def _verify_rows(session: Session, res: VerifyResult) -> None:
    last_state, bulk, bulk_cols, bulk_cis, top_id = session.info.pop("audit_verify_state")
    conn = session.connection()
    from brigade_desk.models import Base

    tables: dict[str, Table] = {t.name: t for t in Base.metadata.sorted_tables}
    # rows recorded in bulk: one pass over each table, digests compared
    problems: list[tuple[int, str]] = []
    for table, want_rows in bulk.items():
        t = tables.get(table)
        if t is None or not want_rows:
            continue
        npk = len(t.primary_key.columns)
        by_cols: dict[int, dict[str, tuple[int, int, str]]] = {}
        cis = bulk_cis.get(table, set())
        if len(cis) == 1:  # the usual case: one column list for the whole table
            by_cols[next(iter(cis))] = want_rows
        else:
            for r, v in want_rows.items():
                by_cols.setdefault(v[1], {})[r] = v
        for ci, rows in by_cols.items():
            cols = [c for c in bulk_cols[ci] if c in t.c]
            if len(cols) != len(bulk_cols[ci]):
                continue  # a column the bulk entry recorded no longer exists (a migration)
            seen = 0
            get, rp, b2 = rows.get, repr, blake2b
            for vals in _raw_rows(conn, _bulk_select(t, cols)):
                rid = str(vals[0]) if npk == 1 else ",".join([str(v) for v in vals[:npk]])
                w = get(rid)
                if w is None:
                    continue
                seen += 1
                if (
                    b2(rp(vals[npk:]).encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()
                    != w[2]
                    and not any(  # the same times written the other way (a copied ledger)
                        _row_digest(alt) == w[2] for alt in dialect.renderings(vals[npk:])
                    )
                ):
                    problems.append(
                        (
                            w[0],
                            f"{table} #{rid} 与审计记录最后状态（第 {w[0]} 条，批量记录）不符"
                            "——可能在程序之外被修改",
                        )
                    )
                    break
            res.records += seen
            if seen < len(rows) and not problems:
                present = {
                    ",".join(str(v) for v in tuple(r)[:npk])
                    for r in _raw_rows(conn, _bulk_select(t, []))
                }
                owners = _link_owners().get(table, [])
                gone = sorted(
                    (v[0], r)
                    for r, v in rows.items()
                    if r not in present and not _owner_changed(last_state, owners, r, v[0])
                )
                if gone:
                    eid, rid = gone[0]
                    problems.append(
                        (
                            eid,
                            f"{table} #{rid} 在数据库中不见了（共 {len(gone)} 行），但审计记录"
                            f"（第 {eid} 条，批量记录）之后没有删除记录——可能在程序之外被删除",
                        )
                    )
    # a row added behind the program's back: newer than every row the trail knows of its table
    for table, top in top_id.items():
        t = tables.get(table)
        if t is None or len(t.primary_key.columns) != 1:
            continue
        pk = t.primary_key.columns[0]
        if not isinstance(pk.type, Integer):
            continue
        extra = conn.exec_driver_sql(
            dialect.driver_sql(
                conn,
                f'SELECT "{pk.name}", count(*) OVER () FROM "{table}" WHERE "{pk.name}" > ?'
                f' ORDER BY "{pk.name}" LIMIT 1',
            ),
            (top,),
        ).first()
        if extra is not None:
            problems.append(
                (
                    res.entries + 1,
                    f"{table} #{extra[0]} 没有任何审计记录（共 {extra[1]} 行，审计记录中该表最大编号为 {top}）"
                    "——可能在程序之外被加入",
                )
            )
    if problems:
        eid, msg = min(problems)
        res.broken_entry, res.problem = eid, msg
        return
    # the current rows must match the last recorded state
    links: dict[str, dict[str, Any]] = {}
    for m in Base.registry.mappers:
        for r in m.relationships:
            if r.secondary is not None:
                # a declarative model's local_table is a Table (typed as any FromClause)
                links.setdefault(cast(Table, m.local_table).name, {})[r.key] = r
    # tables with many recorded rows (an import) are read once rather than row by row
    per_table: dict[str, int] = {}
    for table, _rid in last_state:
        per_table[table] = per_table.get(table, 0) + 1
    scanned: dict[str, dict[str, Any]] = {}
    for table, n in per_table.items():
        t = tables.get(table)
        if t is None or n < SCAN_FROM:
            continue
        pk_names = [c.name for c in t.primary_key.columns]
        scanned[table] = {
            ",".join(str(m[c]) for c in pk_names): m
            for m in conn.execute(text(f'SELECT * FROM "{table}"')).mappings()
        }
    for (table, rid), (eid, action, after) in sorted(last_state.items(), key=lambda kv: kv[1][0]):
        t = tables.get(table)
        if t is None:
            continue
        res.records += 1
        pk_cols = list(t.primary_key.columns)
        pk_vals = rid.split(",") if len(pk_cols) > 1 else [rid]
        cur = scanned.get(table, {}).get(rid)
        if cur is None:  # not read in the scan (or a key written differently): ask for it
            cond = " AND ".join(f'"{c.name}" = :p{i}' for i, c in enumerate(pk_cols))
            params = {f"p{i}": v for i, v in enumerate(pk_vals)}
            cur = (
                conn.execute(text(f'SELECT * FROM "{table}" WHERE {cond}'), params)
                .mappings()
                .first()
            )
        if action == "delete":
            if cur is not None:
                res.broken_entry = eid
                res.problem = f"{table} #{rid} 在审计记录中已删除（第 {eid} 条），但数据库中仍存在"
                return
            continue
        if cur is None:
            res.broken_entry = eid
            res.problem = f"{table} #{rid} 在数据库中不见了，但审计记录（第 {eid} 条）中没有删除记录——可能在程序之外被删除"
            return
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
                return


def _owner_changed(
    last_state: dict[tuple[str, str], tuple[int, str, str | None]],
    owners: list[tuple[str, int]],
    rid: str,
    eid: int,
) -> bool:
    """A link row recorded in bulk at ``eid`` and gone since: its owner recorded a later change."""
    parts = rid.split(",")
    for owner, i in owners:
        st = last_state.get((owner, parts[i]))
        if st is not None and st[0] > eid:
            return True
    return False


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
