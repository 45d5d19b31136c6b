"""报表: every form in one place — choose the period, press 生成, open the file."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.errors import UserError
from brigade_desk.core.ledger import ExportDef, ExportRequest
from brigade_desk.core.period import Period
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.files import open_file_name, save_file_name
from brigade_desk.ui.widgets.forms import text_box


@dataclass(frozen=True)
class Entry:
    """One line of the page: an export and the kind of file it writes."""

    export: ExportDef
    suffix: str

    @property
    def title(self) -> str:
        return self.export.title_for(self.suffix)

    @property
    def help(self) -> str:
        return self.export.help_for(self.suffix)

    @property
    def period(self) -> str:
        return self.export.period

    @property
    def target(self) -> str:
        return self.export.target


class ReportsPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.last: Path | None = None
        exports = ctx.ledgers.exports()
        self.entries = [Entry(exports[key], suffix) for key, suffix in ctx.ledgers.reports_page]
        self.list = QListWidget()
        for f in self.entries:
            self.list.addItem(f.title)
        today = dt.date.today()
        self.title = QLabel()
        self.title.setStyleSheet("font-size:12pt; font-weight:bold")
        self.help = QLabel()
        self.help.setWordWrap(True)
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        # in January the annual, December and fourth-quarter reports of last year are the ones due
        self.year.setValue(today.year - 1 if today.month == 1 else today.year)
        self.quarter = QComboBox()
        self.quarter.addItems(["第一季度", "第二季度", "第三季度", "第四季度"])
        self.quarter.setCurrentIndex(3 if today.month == 1 else (today.month - 1) // 3)
        self.month = QComboBox()
        self.month.addItems([f"{m}月" for m in range(1, 13)])
        # monthly reports are due early in the next month: default to the last finished month
        self.month.setCurrentIndex((today.month - 2) % 12)
        self.target = QLineEdit()
        self.browse = QPushButton("选择模板…")
        self.browse.clicked.connect(self._browse)
        trow = QHBoxLayout()
        trow.addWidget(self.target, 1)
        trow.addWidget(self.browse)
        self.target_box = QWidget()
        self.target_box.setLayout(trow)
        trow.setContentsMargins(0, 0, 0, 0)
        self.form = QFormLayout()
        self.form.addRow("年度", self.year)
        self.form.addRow("季度", self.quarter)
        self.form.addRow("月份", self.month)
        self.form.addRow("对象", self.target_box)
        self.placeholders = text_box()
        self.placeholders.setReadOnly(True)
        self.go = QPushButton("生成…")
        self.go.setDefault(True)
        self.go.clicked.connect(lambda: self.generate())
        self.open_file = QPushButton("打开文件")
        self.open_dir = QPushButton("打开所在文件夹")
        self.open_file.setEnabled(False)
        self.open_dir.setEnabled(False)
        self.open_file.clicked.connect(
            lambda: self.last and QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last)))
        )
        self.open_dir.clicked.connect(
            lambda: (
                self.last and QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last.parent)))
            )
        )
        self.result = QLabel()
        self.result.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.go)
        buttons.addWidget(self.open_file)
        buttons.addWidget(self.open_dir)
        buttons.addStretch(1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.title)
        rl.addWidget(self.help)
        rl.addLayout(self.form)
        rl.addLayout(buttons)
        rl.addWidget(self.result)
        rl.addWidget(self.placeholders, 10)
        rl.addStretch(1)
        for w in (self.year, self.quarter, self.month):
            w.setMaximumWidth(220)
        split = QSplitter()
        split.addWidget(self.list)
        split.addWidget(right)
        split.setSizes([320, 700])
        lay = QVBoxLayout(self)
        lay.addWidget(split)
        self.list.currentRowChanged.connect(self._select)
        self.list.setCurrentRow(0)

    def current(self) -> Entry:
        return self.entries[max(0, self.list.currentRow())]

    def _select(self, row: int) -> None:
        if row < 0:
            return
        f = self.entries[row]
        self.title.setText(f.title)
        self.help.setText(f.help)
        self.form.setRowVisible(self.year, f.period != "none")
        self.form.setRowVisible(self.quarter, f.period == "quarter")
        self.form.setRowVisible(self.month, f.period == "month")
        self.form.setRowVisible(self.target_box, f.target != "none")
        self.browse.setVisible(f.target == "template")
        self.target.setPlaceholderText(
            "上级发来的 .xlsx 模板"
            if f.target == "template"
            else "案号（可输入一部分，从提示中选择）"
        )
        self._set_completer(f.target)
        self.form.labelForField(self.target_box).setText(  # type: ignore[attr-defined]  # a QLabel
            "模板" if f.target == "template" else "案件编号"
        )
        if f.target == "template":
            from brigade_desk.reports.template_fill import placeholder_help

            self.placeholders.setPlainText(
                "可用的占位符：\n"
                + "\n".join(f"{p}  —  {h}" for p, h in placeholder_help(self.ctx.ledgers.sources()))
            )
            self.placeholders.show()
        else:
            self.placeholders.hide()
        self.result.clear()

    def _set_completer(self, target: str) -> None:
        """Case numbers as the clerk types (matching anywhere in the number)."""
        if target != "case":
            self.target.setCompleter(None)  # type: ignore[arg-type]
            return
        from brigade_desk.ledgers.cases.filing_pdf import case_numbers

        comp = QCompleter(case_numbers(self.ctx.db), self.target)
        comp.setFilterMode(Qt.MatchFlag.MatchContains)
        comp.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.target.setCompleter(comp)

    def _browse(self) -> None:
        path = open_file_name(self, "选择上级模板", "Excel 工作簿 (*.xlsx)")
        if path:
            self.target.setText(path)

    def period(self) -> Period:
        f = self.current()
        y = self.year.value()
        if f.period == "quarter":
            return Period(y, self.quarter.currentIndex() + 1)
        if f.period == "month":
            return Period(y, month=self.month.currentIndex() + 1)
        return Period(y)

    def default_name(self) -> str:
        f = self.current()
        p = self.period()
        base = f.title.split("（")[0]
        label = "" if f.period == "none" else p.label
        if (
            f.target == "case" and self.target.text().strip()
        ):  # 备案表 of one case: its number in the name
            label = "_" + re.sub(r'[\\/:*?"<>|]', "_", self.target.text().strip())
        return f"{base}{label}_{dt.date.today():%Y%m%d}{f.suffix}"

    def generate(self, out: str | None = None) -> None:
        f = self.current()
        db, period, target = self.ctx.db, self.period(), self.target.text().strip() or None
        try:  # what the export needs (a template, a case number) is said before asking where to save
            f.export.check(ExportRequest(Path("check" + f.suffix), period=period, target=target))
        except UserError as exc:
            QMessageBox.information(self, f.title, exc.message)
            self.target.setFocus()
            return
        if not out:
            filt = {
                ".xlsx": "Excel 工作簿 (*.xlsx)",
                ".docx": "Word 文档 (*.docx)",
            }.get(f.suffix, "PDF 文件 (*.pdf)")
            out = save_file_name(self, "保存", self.default_name(), filt)
            if not out:
                return
        if not out.lower().endswith(f.suffix):
            out += f.suffix

        def done(path: Path) -> None:
            self.last = Path(path)
            self.open_file.setEnabled(True)
            self.open_dir.setEnabled(True)
            self.result.setText(f"已生成：{path}")
            self.ctx.say(f"已生成：{path}")

        def work(progress: Any) -> Path:
            req = ExportRequest(Path(out), period=period, target=target, progress=progress)
            return f.export.export(db, req)

        self.ctx.tasks.run(
            work,
            on_success=done,
            label=f"正在生成“{f.title}”…",
            parent=self,
        )
