"""A table model over a list of plain rows, a filter proxy, and a table view that remembers itself.

For small and medium tables (the roster, findings, one person's history). Huge ledgers (AV index,
attendance) use SQL-backed lazy models instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from brigade_desk.ledgers.cases.case_no import natural_key

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex

PROBLEM = QColor("#fde2e1")
WARNING = QColor("#fff4cc")
MUTED = QColor("#eeeeee")


def fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def total_key(v: Any) -> tuple[int, Any]:
    """A sort key that orders any mix of values: empty first, then numbers, dates, text."""
    if v is None or v == "":
        return (0, 0)
    if isinstance(v, bool | int | float | Decimal):
        return (1, v)
    if isinstance(v, dt.datetime):
        return (2, v.isoformat(sep=" "))
    if isinstance(v, dt.date):
        return (2, v.isoformat())
    return (3, natural_key(str(v).casefold()))  # 9号 before 10号


@dataclass(frozen=True)
class Column(Generic[T]):
    title: str
    value: Callable[[T], Any]
    width: int = 0
    align_right: bool = False


class ListTableModel(QAbstractTableModel, Generic[T]):
    def __init__(self, columns: Sequence[Column[T]], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[T] = []
        self.row_color: Callable[[T], QColor | None] | None = None
        self.row_tip: Callable[[T], str] | None = None
        self._haystack: list[str] | None = None
        self._sorted: tuple[int, bool] | None = None

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self._haystack = None
        if self._sorted is not None:  # keep the order the clerk chose
            self.rows = self._ordered(self.rows, *self._sorted)
        self.endResetModel()

    def haystack(self, i: int) -> str:
        """Row ``i``'s shown text, lower case, for the free-text search (built once per set of rows:
        searching ten years of rows must not ask every cell through Qt on each keystroke)."""
        if self._haystack is None:
            self._haystack = [
                "\x1f".join(fmt(c.value(r)) for c in self.columns).lower() for r in self.rows
            ]
        return self._haystack[i]

    def _ordered(self, rows: list[T], column: int, descending: bool) -> list[T]:
        value = self.columns[column].value
        return sorted(rows, key=lambda r: total_key(value(r)), reverse=descending)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows in Python with one key per row (a sort through Qt asks every comparison
        of Python), keeping the selection on the same rows."""
        if not 0 <= column < len(self.columns):
            self._sorted = None
            return
        descending = order == Qt.SortOrder.DescendingOrder
        self._sorted = (column, descending)
        self.layoutAboutToBeChanged.emit()
        where = {id(r): i for i, r in enumerate(self.rows)}
        new = self._ordered(self.rows, column, descending)
        moved = {where[id(r)]: i for i, r in enumerate(new)}
        old = self.persistentIndexList()
        self.rows = new
        self._haystack = None
        self.changePersistentIndexList(
            old, [self.index(moved.get(ix.row(), ix.row()), ix.column()) for ix in old]
        )
        self.layoutChanged.emit()

    def row_at(self, i: int) -> T:
        return self.rows[i]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return fmt(col.value(row))
        if (
            role == Qt.ItemDataRole.UserRole
        ):  # the raw value (a delegate may draw it, e.g. a progress bar)
            return col.value(row)
        if role == Qt.ItemDataRole.BackgroundRole and self.row_color:
            return self.row_color(row)
        if role == Qt.ItemDataRole.ToolTipRole and self.row_tip:
            return self.row_tip(row) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and col.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return self.columns[section].title
            return str(section + 1)
        return None


class FilterProxy(QSortFilterProxyModel):
    """Free-text search over every column, plus a predicate on the underlying row."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._pred: Callable[[Any], bool] | None = None

    def set_text(self, text: str) -> None:
        self._text = text.strip().lower()
        self.invalidate()

    def set_predicate(self, pred: Callable[[Any], bool] | None) -> None:
        self._pred = pred
        self.invalidate()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        assert isinstance(model, ListTableModel)
        if self._pred is not None and not self._pred(model.row_at(source_row)):
            return False
        return not self._text or self._text in model.haystack(source_row)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Header clicks sort the rows themselves (see ``ListTableModel.sort``); the proxy only filters."""
        model = self.sourceModel()
        if isinstance(model, ListTableModel):
            model.sort(column, order)
        else:
            super().sort(column, order)


def make_view(parent: QWidget | None = None, name: str = "") -> QTableView:
    v = QTableView(parent)
    v.setObjectName(name)
    # no arrow until a column is chosen: the rows come in the order the page loaded them, and an
    # arrow on the first column would claim an order they are not in
    v.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    v.setSortingEnabled(True)
    v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    v.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    v.setAlternatingRowColors(True)
    v.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    v.verticalHeader().setDefaultSectionSize(24)
    v.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    v.horizontalHeader().setStretchLastSection(True)
    v.setWordWrap(False)
    return v


def apply_widths(view: QTableView, columns: Sequence[Column[Any]]) -> None:
    for i, c in enumerate(columns):
        if c.width:
            view.setColumnWidth(i, c.width)


def save_header(view: QTableView, settings: QSettings, key: str) -> None:
    settings.setValue(f"tables/{key}", view.horizontalHeader().saveState())


def restore_header(view: QTableView, settings: QSettings, key: str) -> bool:
    st = settings.value(f"tables/{key}")
    if isinstance(st, QByteArray) and not st.isEmpty():
        return bool(view.horizontalHeader().restoreState(st))
    return False
