"""The shared list table: search over shown text, sorting in Python that keeps the selection."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QItemSelectionModel, Qt

from brigade_desk.ui.widgets.table import Column, FilterProxy, ListTableModel, make_view, total_key


@dataclass
class R:
    name: str
    day: dt.date | None
    amount: Decimal | None


ROWS = [
    R("乙", dt.date(2025, 3, 1), Decimal("5")),
    R("甲", None, None),
    R("丙", dt.date(2024, 1, 2), Decimal("50")),
    R("Ab", dt.date(2026, 1, 1), Decimal("0.5")),
]


def _setup(qtbot):
    m: ListTableModel[R] = ListTableModel(
        [
            Column("名", lambda r: r.name),
            Column("日", lambda r: r.day),
            Column("额", lambda r: r.amount),
        ]
    )
    p = FilterProxy()
    p.setSourceModel(m)
    v = make_view(None)
    qtbot.addWidget(v)
    v.setModel(p)
    m.set_rows(ROWS)
    return m, p, v


def _names(p):
    return [p.data(p.index(i, 0)) for i in range(p.rowCount())]


def test_sort_by_header_orders_mixed_values_and_keeps_selection(qtbot):
    m, p, v = _setup(qtbot)
    v.selectionModel().select(
        p.index(2, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    v.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # empty date first, then by date
    assert _names(p) == ["甲", "丙", "乙", "Ab"]
    assert [p.data(ix) for ix in v.selectionModel().selectedRows()] == ["丙"]  # the same row, moved
    v.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # numbers as numbers, not as text
    assert _names(p) == ["丙", "乙", "Ab", "甲"]
    m.set_rows(list(reversed(ROWS)))  # new rows keep the chosen order
    assert _names(p) == ["丙", "乙", "Ab", "甲"]


def test_search_matches_shown_text_of_any_column_not_across_columns(qtbot):
    m, p, _v = _setup(qtbot)
    p.set_text("2024-01")
    assert _names(p) == ["丙"]
    p.set_text("ab")  # case-insensitive
    assert _names(p) == ["Ab"]
    p.set_text("乙2025")  # the end of one column and the start of the next is no match
    assert _names(p) == []
    p.set_text("")
    m.set_rows([R("丁", None, None)])  # the search text is rebuilt for new rows
    p.set_text("丁")
    assert _names(p) == ["丁"]
    p.set_predicate(lambda r: r.name != "丁")
    assert _names(p) == []


def test_total_key_orders_anything():
    vals = ["b", None, 3, dt.date(2020, 1, 1), "", Decimal("2.5"), True, dt.datetime(2020, 1, 1, 8)]
    assert sorted(vals, key=total_key)[:2] in ([None, ""], ["", None])
    assert sorted(vals, key=total_key)[-1] == "b"


def test_numbers_inside_text_sort_as_numbers():
    nos = [
        "乐交执罚〔2026〕93号",
        "乐交执罚〔2026〕9号",
        "乐交执罚〔2025〕100号",
        "乐交执罚〔2026〕10号",
    ]
    assert sorted(nos, key=total_key) == [
        "乐交执罚〔2025〕100号",
        "乐交执罚〔2026〕9号",
        "乐交执罚〔2026〕10号",
        "乐交执罚〔2026〕93号",
    ]
