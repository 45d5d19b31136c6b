"""培训记录: the year's sessions in a lazy SQL table (filtered and sorted in SQL, rows fetched when
painted), with the session editor, import of sign-in sheets, the ledger export and printing."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.changes import Changes
from brigade_desk.core.period import Period
from brigade_desk.ledgers.training.queries import SessionFilter, SessionRow
from brigade_desk.ledgers.training.service import (
    category_label,
    category_names,
)
from brigade_desk.ledgers.training.ui.common import ALL, TrainingHost, TrainingTab
from brigade_desk.ledgers.training.ui.editor import FormsDialog, SessionDialog
from brigade_desk.ledgers.training.ui.sessions_model import COL_END, COLUMNS, SessionTableModel
from brigade_desk.ui.exporting import run_export
from brigade_desk.ui.widgets.files import save_file_name
from brigade_desk.ui.widgets.table import make_view, restore_header, save_header

HEADER_KEY = "training_sessions"


class SessionsTab(TrainingTab):
    def __init__(self, page: TrainingHost) -> None:
        super().__init__(page)
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索培训名称、组织单位、地点…（Ctrl+F）")
        self.search.setClearButtonEnabled(True)
        self.form = QComboBox()
        self.form.addItem(ALL)
        self.category = QComboBox()
        self.category.addItem(ALL, "")
        for c in category_names():
            self.category.addItem(category_label(c), c)
        add = QPushButton("新增培训")
        add.setShortcut("Ctrl+N")
        edit = QPushButton("编辑")
        delete = QPushButton("删除")
        imp = QPushButton("导入签到表…")
        exp = QPushButton("导出培训台账…")
        forms = QPushButton("培训形式…")
        prn = QPushButton("打印…")
        prn.setToolTip("打印当前列表（Ctrl+P）")
        prn.clicked.connect(self.print_sessions)
        QShortcut(QKeySequence.StandardKey.Print, self).activated.connect(self.print_sessions)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 2)
        bar.addWidget(QLabel("形式"))
        bar.addWidget(self.form)
        bar.addWidget(QLabel("类别"))
        bar.addWidget(self.category)
        bar2 = (
            QHBoxLayout()
        )  # the actions on a second row: the page fits a 1366-pixel laptop screen
        bar2.addStretch(1)
        for b in (add, edit, delete, imp, exp, forms, prn):
            bar2.addWidget(b)
        # a lazy model: ids filtered and sorted in SQL, rows fetched when painted
        self.model = SessionTableModel(self.service, self)
        self.view = make_view(self, HEADER_KEY)
        self.view.setModel(self.model)
        for i, col in enumerate(COLUMNS):
            self.view.setColumnWidth(i, col[3])
        self.view.horizontalHeader().setSortIndicator(COL_END, Qt.SortOrder.DescendingOrder)
        restore_header(self.view, self.ctx.qsettings, HEADER_KEY)
        self.view.doubleClicked.connect(lambda _i: self.edit_session())
        self.search.textChanged.connect(lambda _t: self.apply_filter())
        self.form.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.category.currentIndexChanged.connect(lambda _i: self.apply_filter())
        add.clicked.connect(self.add_session)
        edit.clicked.connect(lambda: self.edit_session())
        delete.clicked.connect(self.delete_session)
        imp.clicked.connect(self.import_sheet)
        exp.clicked.connect(lambda: self.export())
        forms.clicked.connect(self.edit_forms)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addLayout(bar2)
        lay.addWidget(self.view, 1)

    def reload(self) -> None:
        forms = self.service.session_forms(self.page.current_year())
        cur_form = self.form.currentText()
        self.form.blockSignals(True)
        self.form.clear()
        self.form.addItems([ALL, *forms])
        self.form.setCurrentText(cur_form or ALL)
        self.form.blockSignals(False)
        self.apply_filter()

    def apply_filter(self) -> None:
        if not self.loaded:
            return  # applied when the tab loads
        form = self.form.currentText()
        self.model.reload(
            SessionFilter(
                year=self.page.current_year(),
                text=self.search.text().strip(),
                form="" if form in ("", ALL) else form,
                category=self.category.currentData() or "",
            )
        )

    def filter_field(self) -> QWidget | None:
        return self.search

    def save_state(self) -> None:
        save_header(self.view, self.ctx.qsettings, HEADER_KEY)

    # ---- actions ------------------------------------------------------------------------------
    def current_session(self) -> SessionRow | None:
        idx = self.view.currentIndex()
        if not idx.isValid():
            return None
        try:
            return self.model.row_at(idx.row())
        except LookupError:
            return None

    def add_session(self) -> None:
        year = self.page.current_year()
        default = dt.date.today() if year == dt.date.today().year else dt.date(year, 12, 1)
        dlg = SessionDialog(self.service, None, self, default_date=default)
        if dlg.exec():
            self.page.saved("已新增培训记录")

    def edit_session(self, session_id: int | None = None) -> None:
        if session_id is None:
            row = self.current_session()
            if row is None:
                return
            session_id = row.id
        dlg = SessionDialog(self.service, self.service.get_session(session_id), self)
        if dlg.exec():
            self.page.saved("已保存培训记录")

    def delete_session(self) -> None:
        row = self.current_session()
        if row is None:
            return
        ok = QMessageBox.question(
            self,
            "删除培训记录",
            f"删除“{row.title}”（{row.end_date:%Y-%m-%d}）及其 {row.attendees + row.absent} 条参训记录？",
        )
        if ok == QMessageBox.StandardButton.Yes:  # undoable: 编辑 → 撤销删除 (core.undo)
            self.ctx.delete(
                f"培训 {row.title}（{row.end_date:%Y-%m-%d}）",
                Changes.TRAINING,
                lambda: self.service.delete_session(row.id),
            )
            self.page.refresh_if_hidden()

    def print_sessions(self) -> None:
        from brigade_desk.ui.widgets.printing import print_table

        what = f"{self.page.current_year()} 年" + (
            f"；搜索“{self.search.text().strip()}”" if self.search.text().strip() else ""
        )
        print_table(self.view, "培训记录台账", f"{what}；共 {self.model.rowCount()} 次培训", self)

    def import_sheet(self) -> None:
        from brigade_desk.ui.import_dialog import ImportDialog

        ImportDialog(self.ctx, self, None, kind="training").exec()

    def edit_forms(self) -> None:
        if FormsDialog(self.service, self).exec():
            self.ctx.changed(Changes.TRAINING)

    def export(self, path: str | None = None, quarter: int | None = None) -> None:
        year = self.page.current_year()
        if path is None:
            path = save_file_name(
                self, "导出培训台账", f"{year}年培训台账.xlsx", "Excel 文件 (*.xlsx)"
            )
            if not path:
                return
        run_export(
            self.ctx,
            self,
            "training",
            path,
            period=Period(year, quarter),
            label="正在导出培训台账…",
        )
