"""Where a row stands in a list sorted in SQL, without reading the list (for the windowed tables)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, literal, or_


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
