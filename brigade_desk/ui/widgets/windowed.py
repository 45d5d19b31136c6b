"""A table model over tens or hundreds of thousands of rows, windowed through SQL.

On :meth:`WindowedTableModel.reload` only the number of matching rows is asked for (a COUNT through
the indexes); rows are fetched in windows of ``page_size`` (filtered, sorted and cut in SQL with
LIMIT/OFFSET) when the view paints them, and the last ``keep_pages`` windows are kept. A subclass
says how to count and fetch (``count_rows``/``fetch_rows``) and, if it colours rows or adds tool
tips, answers the other roles in ``role_data``.

Columns are ``(title, sort key, value function, width)``; a column with an empty sort key cannot
be sorted (the header click is ignored).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from brigade_desk.ui.widgets.table import fmt

Index = QModelIndex | QPersistentModelIndex
Column = tuple[str, str, Any, int]

# Qt asks for a dozen roles per cell while painting; these are the ones a windowed table answers
ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.TextAlignmentRole,
    }
)


class WindowedTableModel(QAbstractTableModel):
    page_size = 200
    keep_pages = 40

    def __init__(
        self, columns: list[Column], sort_key: str, descending: bool = True, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.columns = columns
        self.sort_key, self.descending = sort_key, descending
        self.total = 0
        self.loaded = (
            False  # nothing is queried before the first reload() (the header's sort comes first)
        )
        self._pages: OrderedDict[int, list[Any]] = OrderedDict()
        self.fetches = 0  # windows fetched (tests check the laziness)

    # ---- what a subclass provides ----------------------------------------------------------------
    def count_rows(self) -> int:
        raise NotImplementedError

    def fetch_rows(self, offset: int, limit: int) -> list[Any]:
        raise NotImplementedError

    def role_data(self, row: Any, column: int, role: int) -> Any:
        """Anything but the display text (background, tool tip, alignment) for one cell."""
        return None

    # ---- loading ------------------------------------------------------------------------------
    def reload(self) -> None:
        self.beginResetModel()
        self.total = self.count_rows()
        self._pages.clear()
        self.loaded = True
        self.endResetModel()

    def row(self, i: int) -> Any | None:
        """The row object shown in row ``i`` (None outside the table)."""
        if not 0 <= i < self.total:
            return None
        p = i // self.page_size
        page = self._pages.get(p)
        if page is None:
            page = self.fetch_rows(p * self.page_size, self.page_size)
            self.fetches += 1
            self._pages[p] = page
            while len(self._pages) > self.keep_pages:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(p)
        k = i - p * self.page_size
        return page[k] if k < len(page) else None

    def id_at(self, i: int) -> int | None:
        r = self.row(i)
        return r.id if r is not None else None

    # ---- Qt -----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in ROLES:
            return None
        r = self.row(index.row())
        if r is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return fmt(self.columns[index.column()][2](r))
        return self.role_data(r, index.column(), role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                self.columns[section][0]
                if orientation == Qt.Orientation.Horizontal
                else str(section + 1)
            )
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key, desc = self.columns[column][1], order == Qt.SortOrder.DescendingOrder
        if not key or ((key, desc) == (self.sort_key, self.descending) and self.loaded):
            return
        self.sort_key, self.descending = key, desc
        if self.loaded:  # before the first load (header set-up) only remember the order
            self.reload()
