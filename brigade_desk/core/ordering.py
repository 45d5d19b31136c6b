"""Where a row stands in a list sorted in SQL, without reading the list (for the windowed tables)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, literal, or_


def sort_key(col: Any, descending: bool, server: bool) -> Any:
    """ORDER BY ``col`` as :func:`sorted_before` counts: NULLs first ascending, last descending —
    SQLite's order, spelled out on a server (PostgreSQL's default is the reverse, which put the
    rows without a value at the top of a descending list and made positions disagree)."""
    key = col.desc() if descending else col.asc()
    if server:
        key = key.nulls_last() if descending else key.nulls_first()
    return key


def sorted_before(
    col: Any, id_col: Any, value: Any, row_id: int, descending: bool
) -> ColumnElement[bool]:
    """The condition "sorts before the row (``value`` in ``col``, id ``row_id``)" for ORDER BY
    ``col``, ``id_col`` in the same direction; NULLs sort first ascending and last descending, as in
    SQLite. Counting the matches that meet it gives the row's position."""
    v = None if value is None else literal(value, col.type)  # a bound value: booleans too
    if descending:
        return (
            or_(col.is_not(None), id_col > row_id)
            if v is None
            else or_(col > v, (col == v) & (id_col > row_id))
        )
    return (
        (col.is_(None)) & (id_col < row_id)
        if v is None
        else or_(col.is_(None), col < v, (col == v) & (id_col < row_id))
    )
