"""The AV index table model: lazy over hundreds of thousands of rows.

The matching record ids are queried in SQL (filtered and sorted there); row contents are fetched
on demand in pages of ``PAGE`` ids when the view paints them, and cached.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from brigade_desk.av.service import AvFilter, AvRow, AvService
from brigade_desk.models.av import VERIFY_LABELS
from brigade_desk.ui.widgets.table import MUTED, PROBLEM, WARNING, fmt

Index = QModelIndex | QPersistentModelIndex
PAGE = 200


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
        self.ids: list[int] = []
        self._cache: dict[int, AvRow] = {}
        self.fetches = 0  # pages fetched (tests check the laziness)

    # ---- loading ------------------------------------------------------------------------------
    def reload(self, f: AvFilter | None = None) -> None:
        if f is not None:
            self.filter = f
        self.beginResetModel()
        self.ids = self.service.ids(self.filter, self.sort_key, self.descending)
        self._cache.clear()
        self.endResetModel()

    def row(self, i: int) -> AvRow | None:
        if not 0 <= i < len(self.ids):
            return None
        rid = self.ids[i]
        r = self._cache.get(rid)
        if r is None:
            start = (i // PAGE) * PAGE
            chunk = self.ids[start:start + PAGE]
            self.fetches += 1
            if len(self._cache) > 20 * PAGE:
                self._cache.clear()
            for x in self.service.rows(chunk):
                self._cache[x.id] = x
            r = self._cache.get(rid)
        return r

    def id_at(self, i: int) -> int | None:
        return self.ids[i] if 0 <= i < len(self.ids) else None

    def row_of(self, record_id: int) -> int:
        try:
            return self.ids.index(record_id)
        except ValueError:
            return -1

    # ---- Qt -----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.ids)

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
        self.sort_key = COLUMNS[column][1]
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()
