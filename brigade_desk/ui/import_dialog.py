"""Import from Excel: check first (a dry run showing every error), then write.

Every error names the sheet, the row as Excel numbers it, the column and the reason. What gets
written is decided by ``core.tabular.policy`` (all or nothing unless the clerk chooses to skip the
invalid rows; a file without a usable header is refused either way); this dialog only shows it.

After the check, before anything is written, four tabs under the summary show the errors, the
columns that will be imported (and the field each fills), the columns and sheets that will not be,
and what the program assumed in a cell ("/" read as empty …); a line above the buttons names the
columns not imported, so that a column the clerk expected to land cannot go unnoticed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.changes import Changes
from brigade_desk.core.errors import RowError
from brigade_desk.core.tabular.policy import would_import
from brigade_desk.core.tabular.read import (
    IMPORT_FILTER,
    SEQUENCE_HEADERS,
    IgnoredColumn,
    StoredColumn,
    norm_header,
)
from brigade_desk.core.tabular.result import ImportResult
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.files import open_file_name, save_file_name
from brigade_desk.ui.widgets.screen import fit_to_screen
from brigade_desk.ui.widgets.table import (
    Column,
    FilterProxy,
    ListTableModel,
    apply_widths,
    make_view,
)

T = TypeVar("T")

WARN_SHOWN = 3  # columns named in the line above the buttons; the rest are counted
WARN_HEADER = 20  # characters of a header quoted there
TAB_ERRORS, TAB_STORED, TAB_LEFT, TAB_ASSUMED = range(4)
TAB_NAMES = ("错误", "导入的列", "未导入的列和工作表", "程序的理解")


@dataclass(frozen=True)
class LeftOut:
    """A line of the 未导入 tab: a column not imported, or a note about a sheet, a line of it (合计,
    a repeated header) or the file (the 1904 date system)."""

    sheet: str
    where: str  # "G 列", "第 5 行", "整张表", "整个文件"
    header: str
    reason: str

    @classmethod
    def of_column(cls, c: IgnoredColumn) -> LeftOut:
        return cls(c.sheet, f"{c.column} 列", c.header or "（无表头）", c.reason)

    @classmethod
    def of_note(cls, note: str) -> LeftOut:
        sheet = re.match(r"工作表「(.+?)」", note)
        row = re.search(r"第 (\d+) 行", note)
        where = f"第 {row.group(1)} 行" if row else "整张表" if sheet else "整个文件"
        return cls(sheet.group(1) if sheet else "", where, "", note)


def _head(c: IgnoredColumn, several_sheets: bool) -> str:
    head = " ".join(c.header.split())
    if len(head) > WARN_HEADER:
        head = head[:WARN_HEADER] + "…"
    where = f"{c.sheet} {c.column} 列" if several_sheets else f"{c.column} 列"
    return f"{head}（{where}）" if head else f"{where}（无表头）"


def not_imported_line(r: ImportResult) -> str:
    """The one line above the buttons naming the columns (and counting the sheet notes) that will
    not be imported; '' when everything is. Serial-number columns (序号) come last: nobody misses
    them, and the first few places go to the columns that carry something."""
    cols = sorted(r.ignored_columns, key=lambda c: norm_header(c.header) in SEQUENCE_HEADERS)
    parts: list[str] = []
    if cols:
        several = len({c.sheet for c in cols}) > 1
        named = "、".join(_head(c, several) for c in cols[:WARN_SHOWN])
        rest = f" 等 {len(cols)} 列" if len(cols) > WARN_SHOWN else ""
        parts.append(f"以下列未导入：{named}{rest}")
    if r.notes:
        parts.append(f"另有 {len(r.notes)} 条关于工作表的说明")
    return "；".join(parts)


class ListTab(QWidget, Generic[T]):
    """One tab of the check's outcome: a sortable table filtered by the dialog's filter field, and a
    line saying so when the list was cut at ``MAX_LISTED``."""

    def __init__(self, columns: Sequence[Column[T]], name: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.model: ListTableModel[T] = ListTableModel(columns, self)
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = make_view(self, name)
        self.view.setModel(self.proxy)
        apply_widths(self.view, columns)
        self.more = QLabel()
        self.more.setStyleSheet("color:#8a5300")
        self.more.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.more)
        lay.addWidget(self.view, 1)

    def set_rows(self, rows: Sequence[T], total: int | None = None) -> None:
        self.model.set_rows(rows)
        capped = total is not None and total > len(rows)
        self.more.setText(f"只列出前 {len(rows)} 处，共 {total} 处" if capped else "")
        self.more.setVisible(capped)


class ImportDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        path: str | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("从 Excel 导入")
        fit_to_screen(self, 900, 580)
        self.importers = ctx.ledgers.importers()  # kind -> ImporterDef, in the dialog's order
        self.kind = QComboBox()
        for k, imp in self.importers.items():
            self.kind.addItem(imp.label, k)
        if kind:
            self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.file = QLineEdit(path or "")
        self.file.setPlaceholderText("选择或拖入表格文件（.xlsx、.xls、.et、.ods、.csv）")
        browse = QPushButton("浏览…")
        browse.setAutoDefault(False)  # Enter in the file box checks the file, it opens no dialog
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.file, 1)
        row.addWidget(browse)
        self.skip = QCheckBox("跳过有错误的行，只导入正确的行")
        form = QFormLayout()
        form.addRow("导入内容", self.kind)
        form.addRow("文件", row)
        form.addRow("", self.skip)

        where: list[Column[RowError]] = [
            Column("工作表", lambda e: e.sheet, 100),
            Column("行", lambda e: e.row or None, 50),
        ]
        err_cols: list[Column[RowError]] = [
            *where,
            Column("列", lambda e: e.column, 150),
            Column("问题", lambda e: e.message, 480),
        ]
        self.error_tab: ListTab[RowError] = ListTab(err_cols, "import_errors", self)
        self.errors = self.error_tab.model
        self.view = self.error_tab.view
        self.stored_tab: ListTab[StoredColumn] = ListTab(
            [
                Column("工作表", lambda c: c.sheet, 100),
                Column("列", lambda c: f"{c.column} 列", 60),
                Column("文件中的表头", lambda c: c.header, 300),
                Column("导入为", lambda c: c.field, 200),
            ],
            "import_stored",
            self,
        )
        self.left_tab: ListTab[LeftOut] = ListTab(
            [
                Column("工作表", lambda c: c.sheet, 100),
                Column("位置", lambda c: c.where, 70),
                Column("文件中的表头", lambda c: c.header, 200),
                Column("说明", lambda c: c.reason, 480),
            ],
            "import_left_out",
            self,
        )
        self.assumed_tab: ListTab[RowError] = ListTab(
            [
                *where,
                Column("列", lambda e: e.column, 150),
                Column("程序的理解", lambda e: e.message, 480),
            ],
            "import_assumed",
            self,
        )
        for tab in (self.error_tab, self.assumed_tab):
            tab.model.row_tip = str  # the whole sentence, when the column is too narrow for it
        self.left_tab.model.row_tip = lambda c: c.reason
        self.tab_pages: tuple[ListTab[Any], ...] = (
            self.error_tab,
            self.stored_tab,
            self.left_tab,
            self.assumed_tab,
        )
        self.tabs = QTabWidget()
        for i, name in enumerate(TAB_NAMES):
            self.tabs.addTab(self.tab_pages[i], name)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("筛选（工作表、列、内容）")
        self.filter.setClearButtonEnabled(True)
        self.filter.setFixedWidth(200)
        self.filter.setToolTip("只显示含有这些文字的行（Ctrl+F）")
        self.filter.textChanged.connect(self._filter)
        # the tab widget places its corner widget at the widget's size hint: a layout gives it room
        corner = QWidget()
        corner_lay = QHBoxLayout(corner)
        corner_lay.setContentsMargins(0, 0, 0, 2)
        corner_lay.addWidget(self.filter)
        self.tabs.setCornerWidget(corner)
        QShortcut(QKeySequence.StandardKey.Find, self, self._focus_filter)
        self.warning = QLabel()
        self.warning.setObjectName("import_warning")
        self.warning.setWordWrap(True)
        self.warning.setTextFormat(Qt.TextFormat.RichText)
        self.warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.warning.setStyleSheet(
            "QLabel{color:#8a5300;background:#fff4cc;border:1px solid #e0c36a;padding:3px 6px}"
        )
        self.warning.linkActivated.connect(lambda _l: self.tabs.setCurrentIndex(TAB_LEFT))
        self.warning.hide()
        self.summary = QLabel("先点“检查”：程序会逐行检查，列出所有问题，不会写入数据。")
        self.summary.setWordWrap(True)
        self.check_btn = QPushButton("检查")
        self.check_btn.setDefault(True)
        self.import_btn = QPushButton("导入")
        self.import_btn.setAutoDefault(False)  # writing takes a click, never a stray Enter
        self.import_btn.setEnabled(False)
        close = QPushButton("关闭")
        close.setAutoDefault(False)
        self.check_btn.clicked.connect(self.check)
        self.import_btn.clicked.connect(self.do_import)
        close.clicked.connect(self.reject)
        self.file.textChanged.connect(lambda _t: self.import_btn.setEnabled(False))
        self.kind.currentIndexChanged.connect(lambda _i: self.import_btn.setEnabled(False))
        self.skip.toggled.connect(lambda _b: self._update_buttons())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.check_btn)
        buttons.addWidget(self.import_btn)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.summary)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.warning)
        lay.addLayout(buttons)
        self._last: ImportResult | None = None
        self._fill(None)
        if path:
            self._guess_kind(path)
            self.check()

    def browse(self) -> None:
        start = str(Path(self.file.text()).parent) if self.file.text() else ""
        path = open_file_name(self, "选择表格文件", IMPORT_FILTER, start)
        if path:
            self.file.setText(path)
            self._guess_kind(path)
            self.check()

    def _guess_kind(self, path: str) -> None:
        """Pick the import the file's header names (a 花名册 dropped on the window is not read as cases)."""
        from brigade_desk.core.tabular.detect import detect_kind

        kind = detect_kind(path, self.importers)
        if kind is not None and kind != self.kind.currentData() and self.kind.findData(kind) >= 0:
            self.kind.setCurrentIndex(self.kind.findData(kind))
            self.ctx.say(f"已按表头识别为“{self.kind.currentText()}”，如不对请在“导入内容”中更改")

    def _run(self, dry_run: bool) -> None:
        kind = self.kind.currentData()
        path = self.file.text().strip()
        if not path:
            QMessageBox.information(self, "导入", "请先选择要导入的 Excel 文件。")
            return
        fn = self.importers[kind].run
        db = self.ctx.db
        skip = self.skip.isChecked()
        self.check_btn.setEnabled(False)
        self.import_btn.setEnabled(False)

        def work(_p: object) -> ImportResult:
            result: ImportResult = fn(db, path, dry_run=dry_run, skip_invalid=skip)
            return result

        def failed(exc: BaseException) -> None:
            self.check_btn.setEnabled(True)
            self._fill(None)  # the lists belonged to the file checked before
            from brigade_desk.ui.tasks import describe

            user, text = describe(exc)
            self.summary.setText(("无法导入：" + text) if user else "程序出错，详见日志。")
            self.summary.setStyleSheet("color:#b3261e")
            if not user and self.ctx.window:
                self.ctx.window.show_error(exc)

        self.ctx.tasks.run(
            work,
            on_success=lambda r: self._show(r, dry_run),
            on_failure=failed,
            label="正在检查…" if dry_run else "正在导入…",
            parent=self,
            writes=not dry_run,
        )

    def check(self) -> None:
        self._run(dry_run=True)

    def do_import(self) -> None:
        self._run(dry_run=False)

    def _show(self, r: ImportResult, dry_run: bool) -> None:
        self._last = r
        self.check_btn.setEnabled(True)
        self._fill(r)
        if dry_run:
            if r.structural:
                self.summary.setText(
                    "这个文件不能导入（见下表），勾选“跳过有错误的行”也不行。"
                    "请在 Excel 中改正后重新检查。不会写入任何数据。"
                )
                self.summary.setStyleSheet("color:#b3261e")
            elif not would_import(r, skip_invalid=r.skip_invalid):
                rest = f"，只导入没有错误的 {r.held_back} 行" if r.held_back else ""
                self.summary.setText(
                    f"发现 {r.error_count} 处问题（见下表）。请在 Excel 中改正后重新检查，"
                    f"或勾选“跳过有错误的行”{rest}。在此之前不会写入任何数据。"
                )
                self.summary.setStyleSheet("color:#b3261e")
            else:
                self.summary.setText(f"检查完成：{r.summary()}。点“导入”写入。")
                self.summary.setStyleSheet("")
            self._update_buttons()
        elif not r.written:  # refused (the file changed since it was checked)
            self.summary.setText(f"未导入：{r.summary()}。")
            self.summary.setStyleSheet("color:#b3261e")
            self.import_btn.setEnabled(False)
        else:
            self.summary.setText(f"导入完成：{r.summary()}。")
            self.summary.setStyleSheet("color:#1e7b34")
            self.import_btn.setEnabled(False)
            imp = self.importers.get(self.kind.currentData())
            self.ctx.changed(imp.changes if imp is not None else Changes.ALL)
            self.ctx.say(f"导入完成：{r.summary()}")

    def _fill(self, r: ImportResult | None) -> None:
        """Show ``r``'s lists in the tabs (empty tabs disabled) and the not-imported line; ``None``
        clears them (before the first check, or when the file could not be read)."""
        if r is None:
            lists: tuple[Sequence[Any], ...] = ([], [], [], [])
            totals: tuple[int | None, ...] = (None, None, None, None)
        else:
            left = [LeftOut.of_column(c) for c in r.ignored_columns]
            left += [LeftOut.of_note(n) for n in r.notes]
            assumed = len(r.interpretations) + r.more_interpretations
            lists = (r.errors, r.stored_columns, left, r.interpretations)
            totals = (r.error_count, None, None, assumed)
        for i, (page, rows, total) in enumerate(zip(self.tab_pages, lists, totals, strict=True)):
            page.set_rows(rows, total)
            n = total if total is not None else len(rows)
            if r is None:
                self.tabs.setTabText(i, TAB_NAMES[i])
            else:
                self.tabs.setTabText(i, f"{TAB_NAMES[i]}（{n if n else '无'}）")
            self.tabs.setTabEnabled(i, bool(n) or (r is None and i == TAB_ERRORS))
        # after a check the errors (or else what will be stored) come first; after the import the
        # clerk stays on the tab they were reading
        if r is not None and (r.dry_run or not self.tabs.isTabEnabled(self.tabs.currentIndex())):
            first = TAB_ERRORS if r.errors else TAB_STORED
            if self.tabs.isTabEnabled(first):
                self.tabs.setCurrentIndex(first)
        line = not_imported_line(r) if r is not None else ""
        self.warning.setText(
            f"<b>注意：</b>{html.escape(line)}。<a href='left'>查看</a>" if line else ""
        )
        self.warning.setVisible(bool(line))

    def _filter(self, text: str) -> None:
        for page in self.tab_pages:
            page.proxy.set_text(text)

    def _focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def _update_buttons(self) -> None:
        r = self._last
        if r is None:
            self.import_btn.setEnabled(False)
            return
        self.import_btn.setEnabled(would_import(r, skip_invalid=self.skip.isChecked()))


def save_template(ctx: AppContext, parent: QWidget) -> None:
    importers = ctx.ledgers.importers()
    kinds = list(importers)
    kind = kinds[0]
    if len(kinds) > 1:
        from PySide6.QtWidgets import QInputDialog

        labels = [importers[k].label for k in kinds]
        choice, ok = QInputDialog.getItem(parent, "导入模板", "模板：", labels, 0, False)
        if not ok:
            return
        kind = kinds[labels.index(choice)]
    name = importers[kind].label.split(" ")[0]
    path = save_file_name(parent, "保存导入模板", f"{name}导入模板.xlsx", "Excel 工作簿 (*.xlsx)")
    if not path:
        return
    fn = importers[kind].write_template
    ctx.tasks.run(
        lambda _p: fn(path),
        on_success=lambda out: ctx.say(f"已保存模板：{out}"),
        label="正在生成模板…",
        parent=parent,
    )
