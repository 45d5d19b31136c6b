"""The AV index table model: windowed over hundreds of thousands of rows.

Only the number of matches is queried when the filter or the sort changes (counted in SQL through
the indexes); the rows are fetched in windows of ``PAGE`` (filtered, sorted and cut in SQL with
LIMIT/OFFSET) when the view paints them, and the last ``KEEP_PAGES`` windows are cached.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from brigade_desk.av.service import AvFilter, AvRow, AvService
from brigade_desk.models.av import VERIFY_LABELS
from brigade_desk.ui.widgets.table import MUTED, PROBLEM, WARNING, fmt

Index = QModelIndex | QPersistentModelIndex
PAGE = 200
KEEP_PAGES = 40


def _dur(s: float | None) -> str:
    if s is None:
        return ""
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _size(n: int) -> str:
    if n >= 2**30:
        return f"{n / 2**30:.2f} GB"
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{max(1, round(n / 1024))} KB"


# (title, sort key, value, width)
COLUMNS: list[tuple[str, str, Any, int]] = [
    ("拍摄时间", "media_start", lambda r: fmt(r.media_start), 125),
    ("案件编号", "case_no", lambda r: r.case_no, 150),
    ("执法对象", "target", lambda r: r.target, 90),
    ("执法活动", "activity", lambda r: r.activity, 70),
    ("执法记录仪", "device_no", lambda r: r.device_no, 90),
    ("执法人员", "officers", lambda r: r.officers, 110),
    ("文件名", "file_name", lambda r: r.file_name, 260),
    ("时长", "duration_s", lambda r: _dur(r.duration_s), 60),
    ("大小", "size", lambda r: _size(r.size), 70),
    ("重点", "important", lambda r: "重点" if r.important else "", 40),
    ("校验", "status", lambda r: VERIFY_LABELS.get(r.status, r.status), 60),
    ("地点", "place", lambda r: r.place, 140),
]
COL_STATUS = 10


class AvIndexModel(QAbstractTableModel):
    def __init__(self, service: AvService, parent: Any = None) -> None:
        super().__init__(parent)
        self.service = service
        self.filter = AvFilter()
        self.sort_key = "media_start"
        self.descending = True
        self.total = 0
        self.loaded = False  # nothing is queried before the first reload()
        self._pages: OrderedDict[int, list[AvRow]] = OrderedDict()
        self.fetches = 0  # windows fetched (tests check the laziness)

    # ---- loading ------------------------------------------------------------------------------
    def reload(self, f: AvFilter | None = None) -> None:
        if f is not None:
            self.filter = f
        self.beginResetModel()
        self.total = self.service.count(self.filter)
        self._pages.clear()
        self.loaded = True
        self.endResetModel()

    def row(self, i: int) -> AvRow | None:
        if not 0 <= i < self.total:
            return None
        p = i // PAGE
        page = self._pages.get(p)
        if page is None:
            page = self.service.page(self.filter, self.sort_key, self.descending, p * PAGE, PAGE)
            self.fetches += 1
            self._pages[p] = page
            while len(self._pages) > KEEP_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(p)
        k = i - p * PAGE
        return page[k] if k < len(page) else None

    def id_at(self, i: int) -> int | None:
        r = self.row(i)
        return r.id if r is not None else None

    def row_of(self, record_id: int) -> int:
        """The row showing ``record_id`` under the current filter and sort (-1: not shown)."""
        return self.service.position(self.filter, self.sort_key, self.descending, record_id)

    def all_ids(self) -> list[int]:
        """Every matching record id in display order (for actions on the whole result)."""
        return self.service.ids(self.filter, self.sort_key, self.descending)

    # ---- Qt -----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole):
            return None
        r = self.row(index.row())
        if r is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[index.column()][2](r)
        if role == Qt.ItemDataRole.BackgroundRole:
            if r.status in ("modified", "missing"):
                return PROBLEM
            if r.status == "moved":
                return WARNING
            return MUTED if r.status == "" and index.column() == COL_STATUS else None
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 6:
            return r.file_name
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0] if orientation == Qt.Orientation.Horizontal else str(section + 1)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key, desc = COLUMNS[column][1], order == Qt.SortOrder.DescendingOrder
        if (key, desc) == (self.sort_key, self.descending) and self.loaded:
            return
        self.sort_key, self.descending = key, desc
        if self.loaded:  # before the first load (header set-up) only remember the order
            self.reload()
