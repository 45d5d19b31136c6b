"""Substring search over the AV index through its FTS5 tables (migration 0010_av_perf).

``fts_av_tri`` (trigram) answers queries of three or more characters, ``fts_av_uni`` (one token per
character) queries of one or two. Both are contentless and kept in step with ``av_record`` by
triggers; their rowid is ``av_record.id``. Matching is a plain substring match, ASCII
case-insensitive, exactly like the ``LIKE '%x%'`` it replaces (``%`` and ``_`` are literal).
Without the tables (an SQLite lacking FTS5 trigram) the same conditions are built with LIKE.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import column, func, literal_column, or_, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from brigade_desk.ledgers.av.models import AvRecord

COLUMNS = ("file_name", "case_no", "target", "place", "notes", "device_no")  # as indexed
TEXT_COLUMNS = ("file_name", "case_no", "target", "place", "notes")  # the 搜索 box
TRI, UNI = "fts_av_tri", "fts_av_uni"
POS_MAX = 10_000  # characters per column in the unigram index (fts_av_pos)

_ASCII_LOWER = {c: c + 32 for c in range(65, 91)}


def fold(text: str) -> str:
    """ASCII-only lower case, as SQLite's lower() and LIKE do."""
    return text.translate(_ASCII_LOWER)


class _Tokens(dict[str, str]):
    def __missing__(self, ch: str) -> str:
        tok = self[ch] = ch.encode("utf-8").hex()
        return tok


_TOKENS = _Tokens()


def unigrams(value: str | None) -> str | None:
    """The unigram index's text for one column value: one token per character (hex of its UTF-8
    bytes). Must equal what the trigger computes in SQL (tests/av/test_av_search.py checks it)."""
    if not value:
        return None
    return " ".join(map(_TOKENS.__getitem__, fold(value[:POS_MAX])))


def available(s: Session | Connection) -> bool:
    """Whether the FTS5 tables are there (SQLite only: on a PostgreSQL server the search is the
    ILIKE of :func:`like_condition`, which pg_trgm's indexes answer, migration 0010_av_perf)."""
    bind = s.get_bind() if isinstance(s, Session) else s
    if bind.dialect.name != "sqlite":
        return False
    n = s.execute(
        select(func.count())
        .select_from(table("sqlite_master", column("name"), column("type")))
        .where(column("type") == "table", column("name").in_([TRI, UNI]))
    ).scalar()
    return n == 2


def match_query(query: str, columns: Sequence[str]) -> tuple[str, str]:
    """(FTS table, MATCH expression) for a substring query (already stripped, not empty)."""
    cols = "{" + " ".join(columns) + "}"
    if len(query) >= 3:
        return TRI, f'{cols} : "{query.replace(chr(34), chr(34) * 2)}"'
    return UNI, f'{cols} : "{unigrams(query)}"'


def match_ids(query: str, columns: Sequence[str]) -> Any:
    """SELECT rowid FROM <fts> WHERE <fts> MATCH :q (for ``AvRecord.id.in_(...)``)."""
    tbl, expr = match_query(query, columns)
    t = table(tbl, column("rowid"))
    return select(t.c.rowid).where(literal_column(tbl).op("MATCH")(expr))


def match_count(s: Session, query: str, columns: Sequence[str]) -> int:
    tbl, expr = match_query(query, columns)
    t = table(tbl, column("rowid"))
    return int(
        s.execute(
            select(func.count()).select_from(t).where(literal_column(tbl).op("MATCH")(expr))
        ).scalar()
        or 0
    )


def like_condition(query: str, columns: Sequence[str]) -> ColumnElement[bool]:
    """Without FTS tables (a server, or an SQLite lacking FTS5 trigram): ASCII case-insensitive
    LIKE as SQLite's (``ilike``: lower() on SQLite, ILIKE on PostgreSQL), with ``%``/``_``/``\\``
    taken literally."""
    esc = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(*(getattr(AvRecord, c).ilike(f"%{esc}%", escape="\\") for c in columns))


def fill(conn: Any, after_id: int = 0) -> None:
    """Index the ``av_record`` rows with ``id > after_id`` in bulk (DB-API connection).

    For bulk loaders that drop the triggers while inserting (the large demo): much faster than the
    triggers row by row. The rows must not be in the index yet.
    """
    cols = ", ".join(COLUMNS)
    where = f" WHERE id > {int(after_id)}"
    conn.execute(f"INSERT INTO {TRI}(rowid, {cols}) SELECT id, {cols} FROM av_record{where}")
    cur = conn.execute(f"SELECT id, {cols} FROM av_record{where}")
    repeated = functools.lru_cache(maxsize=50_000)(unigrams)  # places, case numbers, devices repeat
    sql = f"INSERT INTO {UNI}(rowid, {cols}) VALUES (?, {', '.join('?' * len(COLUMNS))})"
    while True:
        chunk = cur.fetchmany(20_000)
        if not chunk:
            break
        conn.executemany(
            sql, [(r[0], unigrams(r[1]), *(repeated(v) for v in r[2:])) for r in chunk]
        )
