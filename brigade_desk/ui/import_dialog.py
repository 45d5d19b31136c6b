"""Import from Excel: check first (a dry run showing every error), then write.

Every error names the sheet, the row as Excel numbers it, the column and the reason. What gets
written is decided by ``core.tabular.policy`` (all or nothing unless the clerk chooses to skip the
invalid rows; a file without a usable header is refused either way); this dialog only shows it.
"""

from __future__ import annotations

from pathlib import Path

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
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.changes import Changes
from brigade_desk.core.errors import RowError
from brigade_desk.core.tabular.policy import would_import
from brigade_desk.core.tabular.read import IMPORT_FILTER
from brigade_desk.core.tabular.result import ImportResult
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.files import open_file_name, save_file_name
from brigade_desk.ui.widgets.screen import fit_to_screen
from brigade_desk.ui.widgets.table import Column, ListTableModel, apply_widths, make_view


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
        fit_to_screen(self, 820, 520)
        self.importers = ctx.ledgers.importers()  # kind -> ImporterDef, in the dialog's order
        self.kind = QComboBox()
        for k, imp in self.importers.items():
            self.kind.addItem(imp.label, k)
        if kind:
            self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.file = QLineEdit(path or "")
        self.file.setPlaceholderText("选择或拖入表格文件（.xlsx、.xls、.et、.ods、.csv）")
        browse = QPushButton("浏览…")
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.file, 1)
        row.addWidget(browse)
        self.skip = QCheckBox("跳过有错误的行，只导入正确的行")
        form = QFormLayout()
        form.addRow("导入内容", self.kind)
        form.addRow("文件", row)
        form.addRow("", self.skip)

        cols: list[Column[RowError]] = [
            Column("工作表", lambda e: e.sheet, 100),
            Column("行", lambda e: e.row or None, 50),
            Column("列", lambda e: e.column, 120),
            Column("问题", lambda e: e.message, 480),
        ]
        self.errors: ListTableModel[RowError] = ListTableModel(cols, self)
        self.view = make_view(self, "import_errors")
        self.view.setModel(self.errors)
        apply_widths(self.view, cols)
        self.summary = QLabel("先点“检查”：程序会逐行检查，列出所有问题，不会写入数据。")
        self.summary.setWordWrap(True)
        self.check_btn = QPushButton("检查")
        self.import_btn = QPushButton("导入")
        self.import_btn.setEnabled(False)
        close = QPushButton("关闭")
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
        lay.addWidget(self.view, 1)
        lay.addLayout(buttons)
        self._last: ImportResult | None = None
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
            self.errors.set_rows([])  # the list belonged to the file checked before
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
        self.errors.set_rows(r.errors)
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
                    f"发现 {len(r.errors)} 处问题（见下表）。请在 Excel 中改正后重新检查，"
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
