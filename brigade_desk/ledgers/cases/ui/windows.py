"""The case editor's table of activity time windows (开始/结束): the full-process AV rule checks the
case's recordings against them (``brigade_desk.ledgers.av.rules``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.ledgers.cases.windows import WindowView, parse_datetime

HEADERS = ("执法活动", "开始", "结束", "备注")
FMT = "%Y-%m-%d %H:%M"


class WindowsBox(QGroupBox):
    """One row per window; the activity from the case's activity list, times typed as
    "2026-12-01 10:00". ``collect`` names the row and column of a wrong time."""

    def __init__(
        self,
        activities: Sequence[str],
        windows: Sequence[WindowView],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("执法活动起止时间（全程音像记录按时段核对）", parent)
        self.activities = list(activities)
        self.case_no = windows[0].case_no if windows else ""
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        h = self.table.horizontalHeader()
        for i, width in enumerate((84, 118, 118)):
            self.table.setColumnWidth(i, width)
        h.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(110)
        self.table.setMaximumHeight(150)
        self.add_btn = QPushButton("添加时段")
        self.del_btn = QPushButton("删除所选")
        self.add_btn.clicked.connect(lambda: self.add_row(None))
        self.del_btn.clicked.connect(self.delete_selected)
        for w in windows:
            self.add_row(w)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_btn)
        buttons.addWidget(self.del_btn)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addLayout(buttons)

    def add_row(self, w: WindowView | None) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        combo = QComboBox()
        combo.addItems(self.activities)
        if w is not None:
            if w.activity not in self.activities:
                combo.addItem(w.activity)
            combo.setCurrentText(w.activity)
        self.table.setCellWidget(row, 0, combo)
        now = dt.datetime.now().replace(second=0, microsecond=0)
        start = f"{w.started_at:{FMT}}" if w else f"{now:{FMT}}"
        end = f"{w.ended_at:{FMT}}" if w else ""
        for col, val in ((1, start), (2, end), (3, w.notes if w else "")):
            item = QTableWidgetItem(val)
            if col == 1:  # the window's id rides on its start cell
                item.setData(Qt.ItemDataRole.UserRole, w.id if w else None)
            self.table.setItem(row, col, item)
        if w is None:
            self.table.setCurrentCell(row, 2)
        return row

    def delete_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for r in rows:
            self.table.removeRow(r)

    def _text(self, row: int, col: int) -> str:
        item = self.table.item(row, col)
        return item.text().strip() if item is not None else ""

    def collect(self) -> list[WindowView]:
        """The windows as typed; ValidationError naming each wrong cell (row, column)."""
        out: list[WindowView] = []
        errs: dict[str, str] = {}
        for row in range(self.table.rowCount()):
            combo = self.table.cellWidget(row, 0)
            activity = combo.currentText() if isinstance(combo, QComboBox) else ""
            times: list[dt.datetime] = []
            for col in (1, 2):
                try:
                    times.append(
                        parse_datetime(self._text(row, col), f"第 {row + 1} 行「{HEADERS[col]}」")
                    )
                except UserError as exc:
                    errs.setdefault(f"window_{row}_{col}", exc.message)
            if len(times) < 2:
                continue
            item = self.table.item(row, 1)
            wid = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
            out.append(
                WindowView(wid, self.case_no, activity, times[0], times[1], self._text(row, 3))
            )
        if errs:
            raise ValidationError(errs)
        return out
