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
