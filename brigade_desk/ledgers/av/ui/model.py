"""The AV index table model: windowed over hundreds of thousands of rows.

A :class:`~brigade_desk.ui.widgets.windowed.WindowedTableModel`: only the number of matches is
queried when the filter or the sort changes (counted in SQL through the indexes, see
``AvService.count``); rows come in windows of ``PAGE`` from ``AvService.page``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from brigade_desk.ledgers.av.models import VERIFY_LABELS
from brigade_desk.ledgers.av.service import AvFilter, AvRow, AvService
from brigade_desk.ui.widgets.table import MUTED, PROBLEM, WARNING, fmt
from brigade_desk.ui.widgets.windowed import WindowedTableModel

PAGE = 200
KEEP_PAGES = 40


def _dur(s: float | None) -> str:
    if s is None:
        return ""
    s = int(round(s))
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


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


class AvIndexModel(WindowedTableModel):
    page_size = PAGE
    keep_pages = KEEP_PAGES

    def __init__(self, service: AvService, parent: Any = None) -> None:
        super().__init__(COLUMNS, "media_start", True, parent)
        self.service = service
        self.filter = AvFilter()

    def reload(self, f: AvFilter | None = None) -> None:
        if f is not None:
            self.filter = f
        super().reload()

    def count_rows(self) -> int:
        return self.service.count(self.filter)

    def fetch_rows(self, offset: int, limit: int) -> list[AvRow]:
        return self.service.page(self.filter, self.sort_key, self.descending, offset, limit)

    def row_of(self, record_id: int) -> int:
        """The row showing ``record_id`` under the current filter and sort (-1: not shown)."""
        return self.service.position(self.filter, self.sort_key, self.descending, record_id)

    def all_ids(self) -> list[int]:
        """Every matching record id in display order (for actions on the whole result)."""
        return self.service.ids(self.filter, self.sort_key, self.descending)

    def role_data(self, r: AvRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole:
            if r.status in ("modified", "missing"):
                return PROBLEM
            if r.status == "moved":
                return WARNING
            return MUTED if r.status == "" and column == COL_STATUS else None
        if role == Qt.ItemDataRole.ToolTipRole and column == 6:
            return r.file_name
        return None
