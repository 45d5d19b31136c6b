"""The sessions table (培训记录) as a lazy SQL-backed model.

Only the ids of the matching sessions are held, filtered and sorted in SQL; row contents (with
their attendee counts) are fetched a page of ``PAGE`` ids at a time when the view paints them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from brigade_desk.ledgers.training.queries import SessionFilter, SessionRow
from brigade_desk.ledgers.training.service import (
    TrainingService,
    category_label,
)
from brigade_desk.ui.widgets.table import WARNING, fmt

Index = QModelIndex | QPersistentModelIndex
PAGE = 200

# (title, sort key in queries.SESSION_SORT, value, width, right-aligned)
COLUMNS: list[tuple[str, str, Any, int, bool]] = [
    ("开始日期", "start_date", lambda r: r.start_date, 90, False),
    ("结束日期", "end_date", lambda r: r.end_date, 90, False),
    ("培训名称", "title", lambda r: r.title, 300, False),
    ("形式", "form", lambda r: r.form, 90, False),
    ("类别", "category", lambda r: category_label(r.category), 120, False),
    ("学时", "hours", lambda r: r.hours, 50, True),
    ("参训", "attendees", lambda r: r.attendees, 50, True),
    ("缺勤", "absent", lambda r: r.absent, 50, True),
    ("集中学法", "is_monthly_study", lambda r: r.is_monthly_study, 60, False),
    ("全员轮训", "is_rotation", lambda r: r.is_rotation, 60, False),
    ("考试", "has_exam", lambda r: r.has_exam, 50, False),
    ("组织单位", "organiser", lambda r: r.organiser, 140, False),
    ("地点", "place", lambda r: r.place, 120, False),
]
COL_END = 1


class SessionTableModel(QAbstractTableModel):
    def __init__(self, service: TrainingService, parent: Any = None) -> None:
        super().__init__(parent)
        self.service = service
        self.filter = SessionFilter()
        self.sort_key, self.descending = "end_date", True
        self.ids: list[int] = []
        self._cache: dict[int, SessionRow] = {}
        self.active = False  # nothing is queried before the page first loads the tab
        self.fetches = 0  # pages of rows fetched (tests check the laziness)

    # ---- loading ------------------------------------------------------------------------------
    def reload(self, f: SessionFilter | None = None) -> None:
        if f is not None:
            self.filter = f
        self.active = True
        self.beginResetModel()
        self.ids = self.service.session_ids(self.filter, self.sort_key, self.descending)
        self._cache.clear()
        self.endResetModel()

    def row_at(self, i: int) -> SessionRow:
        sid = self.ids[i]
        r = self._cache.get(sid)
        if r is None:
            start = (i // PAGE) * PAGE
            self.fetches += 1
            if len(self._cache) > 20 * PAGE:
                self._cache.clear()
            self._cache.update(self.service.session_rows(self.ids[start : start + PAGE]))
            r = self._cache.get(sid)
            if r is None:  # deleted since the ids were read: an empty row until the next reload
                raise LookupError(sid)
        return r

    def row_of(self, session_id: int) -> int:
        try:
            return self.ids.index(session_id)
        except ValueError:
            return -1

    # ---- Qt -----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.BackgroundRole,
            Qt.ItemDataRole.TextAlignmentRole,
        ):
            return None
        col = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return (
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter) if col[4] else None
            )
        try:
            r = self.row_at(index.row())
        except LookupError:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return fmt(col[2](r))
        return WARNING if r.attendees == 0 else None  # nobody attended: probably not filled in yet

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                COLUMNS[section][0]
                if orientation == Qt.Orientation.Horizontal
                else str(section + 1)
            )
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.sort_key, self.descending = COLUMNS[column][1], order == Qt.SortOrder.DescendingOrder
        if self.active:
            self.reload()
