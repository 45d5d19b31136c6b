"""What differs between SQLite and PostgreSQL below the ORM, in one place (issue 18).

The program writes some statements for the driver directly (bulk inserts, the audit trail's raw
reads): they are written once, with ``?`` placeholders, and :func:`driver_sql` gives them the
placeholders of the connection's driver. :func:`stored_form` turns a row as PostgreSQL returns it
into the values SQLite stores for the same row (dates and times as SQLAlchemy's text, booleans as
0/1, JSON as its text), so that the audit trail's row digests are the same on both and a ledger
copied from one to the other (``copy-db``) still verifies.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Date, String, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


def is_sqlite(conn: Any) -> bool:
    return bool(conn.dialect.name == "sqlite")


def driver_sql(conn: Any, sql: str) -> str:
    """``sql`` written with ``?`` placeholders (and no other "?" or "%"), for ``conn``'s driver."""
    style = conn.dialect.paramstyle
    if style == "qmark":
        return sql
    if style in ("format", "pyformat"):
        return sql.replace("%", "%%").replace("?", "%s")
    raise NotImplementedError(f"paramstyle {style}")


def _stored(v: Any) -> Any:
    t = type(v)
    if t is bool:
        return int(v)
    if t is dt.datetime:
        return f"{v:%Y-%m-%d %H:%M:%S}.{v.microsecond:06d}"
    if t is dt.date:
        return v.isoformat()
    if t is dt.time:
        return f"{v:%H:%M:%S}.{v.microsecond:06d}"
    if t is dict or t is list:
        return json.dumps(v, ensure_ascii=False)
    if t is Decimal:  # SQLite's NUMERIC affinity keeps a whole number as an integer
        return int(v) if v == v.to_integral_value() and abs(v) < 2**63 else float(v)
    if t is memoryview:
        return bytes(v)
    return v


def stored_form(row: Sequence[Any]) -> tuple[Any, ...]:
    """A row as PostgreSQL returns it, as SQLite stores the same values."""
    return tuple(map(_stored, row))


def take_ids(conn: Any, table: Any, n: int) -> list[int]:
    """``n`` new ids for ``table``'s integer key on a server, from its sequence (other clients
    insert at the same time; ``max(id) + 1`` would collide). Increasing, not always contiguous."""
    pk = next(iter(table.primary_key.columns)).name
    rows = conn.exec_driver_sql(
        f"SELECT nextval(pg_get_serial_sequence('{table.name}', '{pk}')) "
        "FROM generate_series(1, %s)",
        (n,),
    ).all()
    return sorted(int(r[0]) for r in rows)


_WHOLE_SECOND = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.000000)?")


def renderings(row: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """The other ways SQLite may hold the same row: a whole-second time is stored by SQLAlchemy as
    "…:05.000000" and by the database's own CURRENT_TIMESTAMP as "…:05"; a ledger copied between
    SQLite and a server (which keeps only the time) comes back in the first form. Each such time
    written the other way (at most 2**4 rows, for the few time columns a table has)."""
    spots = [
        i
        for i, v in enumerate(row)
        if type(v) is str and len(v) in (19, 26) and _WHOLE_SECOND.fullmatch(v)
    ][:4]
    for mask in range(1, 2 ** len(spots)):
        out = list(row)
        for bit, i in enumerate(spots):
            if mask >> bit & 1:
                v = out[i]
                out[i] = v[:19] if len(v) == 26 else v + ".000000"
        yield tuple(out)


# ---- SQL written for both: the few places where SQLite and PostgreSQL spell things differently ----


def name_of(bind: Any) -> str:
    """The dialect's name ("sqlite", "postgresql") of a session, connection or engine."""
    get_bind = getattr(bind, "get_bind", None)
    if get_bind is not None:
        bind = get_bind()
    return str(bind.dialect.name)


def json_items(dialect_name: str, column: str, alias: str) -> str:
    """A FROM item listing the elements of the JSON array ``column`` as ``alias.value`` (text);
    a value that is not an array lists nothing."""
    if dialect_name == "sqlite":
        return (
            f"json_each(CASE WHEN {json_is_array(dialect_name, column)} THEN {column} END) {alias}"
        )
    return (
        f"json_array_elements_text(CASE WHEN json_typeof({column}) = 'array' THEN {column} "
        f"ELSE '[]'::json END) AS {alias}(value)"
    )


def json_is_array(dialect_name: str, column: str) -> str:
    """Whether the JSON column holds an array (SQLite: and is valid JSON at all)."""
    if dialect_name == "sqlite":
        return f"(json_valid({column}) AND json_type({column}) = 'array')"
    return f"(json_typeof({column}) = 'array')"


def json_text(dialect_name: str, column: str) -> str:
    """A JSON column as text, for comparing with '' and the like."""
    return column if dialect_name == "sqlite" else f"CAST({column} AS TEXT)"


def unindexed(dialect_name: str, expr: str) -> str:
    """``expr`` that SQLite's planner must not use an index for (its unary-plus hint)."""
    return f"+{expr}" if dialect_name == "sqlite" else expr


# ---- SQLAlchemy expressions compiled for each database -------------------------------------------


class date_of(FunctionElement[dt.date]):  # noqa: N801 - used like func.date
    """The date part of a date-time column: SQLite ``date(x)`` (text "YYYY-MM-DD", compared with
    a bound date as text), PostgreSQL ``CAST(x AS DATE)``."""

    type = Date()
    inherit_cache = True


@compiles(date_of, "sqlite")
def _date_of_sqlite(element: date_of, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(date_of)
def _date_of_default(element: date_of, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


# strftime formats the program uses → PostgreSQL's to_char patterns
_TO_CHAR = {"%Y": "YYYY", "%m": "MM", "%Y-%m": "YYYY-MM", "%Y-%m-%d": "YYYY-MM-DD"}


class date_text(FunctionElement[str]):  # noqa: N801 - used like func.strftime
    """A date formatted as text, ``date_text("%Y", x)`` → "2025": SQLite ``strftime``,
    PostgreSQL ``to_char`` (formats: %Y, %m, %Y-%m, %Y-%m-%d)."""

    type = String()
    inherit_cache = True

    def __init__(self, fmt: str, expr: Any) -> None:
        if fmt not in _TO_CHAR:
            raise ValueError(f"date_text: format {fmt!r} not known")
        self.fmt = fmt
        super().__init__(expr)


@compiles(date_text, "sqlite")
def _date_text_sqlite(element: date_text, compiler: Any, **kw: Any) -> str:
    return f"strftime('{element.fmt}', {compiler.process(element.clauses, **kw)})"


@compiles(date_text)
def _date_text_default(element: date_text, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, '{_TO_CHAR[element.fmt]}')"


class number_text(FunctionElement[str]):  # noqa: N801 - used like func.printf("%g", x)
    """A number as the clerk reads it ("3", "2.5"; no trailing ".0"): SQLite ``printf('%g', x)``,
    PostgreSQL ``CAST(x AS TEXT)`` (a double precision's shortest exact text)."""

    type = String()
    inherit_cache = True


@compiles(number_text, "sqlite")
def _number_text_sqlite(element: number_text, compiler: Any, **kw: Any) -> str:
    return f"printf('%g', {compiler.process(element.clauses, **kw)})"


@compiles(number_text)
def _number_text_default(element: number_text, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


class group_text(FunctionElement[str]):  # noqa: N801 - used like func.group_concat
    """The distinct values of a text column of a group, joined by commas (order not fixed):
    SQLite ``group_concat(DISTINCT x)``, PostgreSQL ``string_agg(DISTINCT x, ',')``."""

    type = String()
    inherit_cache = True


@compiles(group_text, "sqlite")
def _group_text_sqlite(element: group_text, compiler: Any, **kw: Any) -> str:
    return f"group_concat(DISTINCT {compiler.process(element.clauses, **kw)})"


@compiles(group_text)
def _group_text_default(element: group_text, compiler: Any, **kw: Any) -> str:
    return f"string_agg(DISTINCT {compiler.process(element.clauses, **kw)}, ',')"


class _InJsonIds(ColumnElement[bool]):
    """``column IN (the integers of a JSON array bound as one parameter)``: however many ids,
    one bound value (SQLite and psycopg both cap the number of parameters of a statement)."""

    type = Boolean()
    inherit_cache = False

    def __init__(self, column: Any, ids: Any) -> None:
        self.column = column
        self.param = bindparam(None, json.dumps(sorted(ids)), type_=String())


def in_json_ids(column: Any, ids: Any) -> ColumnElement[bool]:
    return _InJsonIds(column, ids)


@compiles(_InJsonIds, "sqlite")
def _in_json_ids_sqlite(element: _InJsonIds, compiler: Any, **kw: Any) -> str:
    col, p = compiler.process(element.column, **kw), compiler.process(element.param, **kw)
    return f"{col} IN (SELECT value FROM json_each({p}))"


@compiles(_InJsonIds)
def _in_json_ids_default(element: _InJsonIds, compiler: Any, **kw: Any) -> str:
    col, p = compiler.process(element.column, **kw), compiler.process(element.param, **kw)
    return (
        f"{col} IN (SELECT CAST(value AS INTEGER) FROM json_array_elements_text(CAST({p} AS json)))"
    )
