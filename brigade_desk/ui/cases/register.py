"""案件登记: the register as a lazy SQL-backed table (ids in SQL, rows fetched on demand), with
filters and sorting done in SQL, problems from the case rules in colour, and the case editor."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from brigade_desk import rules
from brigade_desk.models.cases import CaseCategory, Procedure
from brigade_desk.rules import Finding
from brigade_desk.rules import cases as case_rules
from brigade_desk.services import findings as svc_findings
from brigade_desk.services.cases import CaseFilter, CaseService, CaseView
from brigade_desk.ui.cases.editor import CaseDialog
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.table import (
    PROBLEM,
    WARNING,
    fmt,
    make_view,
    restore_header,
    save_header,
)

ALL = "（全部）"
Index = QModelIndex | QPersistentModelIndex

# (title, sort key in CaseService.SORT_COLUMNS or "", value, width)
COLUMNS: list[tuple[str, str, Any, int]] = [
    ("案号", "case_no", lambda c: c.case_no, 170),
    ("案由", "cause", lambda c: c.cause, 220),
    ("当事人", "party", lambda c: c.party, 140),
    ("类别", "category", lambda c: c.category, 70),
    ("门类", "domain", lambda c: c.domain, 70),
    ("程序", "procedure", lambda c: c.procedure, 45),
    ("立案", "filed_on", lambda c: c.filed_on, 85),
    ("决定", "decided_on", lambda c: c.decided_on, 85),
    ("结案", "closed_on", lambda c: c.closed_on, 85),
    ("罚款(元)", "fine_amount", lambda c: f"{c.fine_amount:,.2f}" if c.fine_amount is not None else "", 85),
    ("重大", "is_major", lambda c: c.is_major, 40),
    ("承办人员", "", lambda c: c.officer_names, 120),
    ("执法活动", "", lambda c: "、".join(c.activities), 120),
]
PAGE = 60  # rows fetched at a time: about two screens
_ROLES = {Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole,
          Qt.ItemDataRole.TextAlignmentRole}


class CaseTableModel(QAbstractTableModel):
    """Holds only the ids of the filtered, sorted cases; rows are fetched in pages when shown."""

    def __init__(self, service: CaseService, parent: Any = None) -> None:
        super().__init__(parent)
        self.service = service
        self.filter = CaseFilter()
        self.sort_key, self.descending = "filed_on", True
        self.ids: list[int] = []
        self.cache: dict[int, CaseView] = {}
        self.problems: dict[int, list[str]] = {}
        self.severe: set[int] = set()
        self.active = False  # no query until the tab first loads (the header's sort comes first)

    def reload(self) -> None:
        self.active = True
        self.beginResetModel()
        self.ids = self.service.ids(self.filter, self.sort_key, self.descending)
        self.cache.clear()
        self.endResetModel()

    def case_at(self, row: int) -> CaseView:
        cid = self.ids[row]
        if cid not in self.cache:
            start = (row // PAGE) * PAGE
            self.cache.update(self.service.rows(self.ids[start:start + PAGE]))
        return self.cache[cid]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in _ROLES:  # Qt asks for a dozen roles per cell while painting
            return None
        c = self.case_at(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            return fmt(COLUMNS[index.column()][2](c))
        if role == Qt.ItemDataRole.BackgroundRole and c.id in self.problems:
            return PROBLEM if c.id in self.severe else WARNING
        if role == Qt.ItemDataRole.ToolTipRole and c.id in self.problems:
            return "\n".join(self.problems[c.id])
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 9:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0] if orientation == Qt.Orientation.Horizontal else str(section + 1)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][1]
        if not key:
            return
        self.sort_key, self.descending = key, order == Qt.SortOrder.DescendingOrder
        if self.active:
            self.reload()


class RegisterTab(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.service = CaseService(ctx.db)
        self.labels = rules.labels()
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索案号、当事人、案由…")
        self.search.setClearButtonEnabled(True)
        self.year = QComboBox()
        self.category = QComboBox()
        self.category.addItems([ALL] + [c.value for c in CaseCategory])
        self.domain = QComboBox()
        self.procedure = QComboBox()
        self.procedure.addItems([ALL] + [p.value for p in Procedure])
        self.major = QCheckBox("只看重大案件")
        self.open_only = QCheckBox("只看未结案")
        self.problems_only = QCheckBox("只看有问题的")
        add = QPushButton("新增案件")
        self.edit_btn = QPushButton("编辑")
        self.del_btn = QPushButton("删除")
        more = QToolButton()
        more.setText("导入/导出")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        m = QMenu(more)
        m.addAction("从省平台导出的 Excel 导入案件…", self.import_cases)
        m.addAction("下载案件导入模板…", lambda: self.ctx.window.save_template() if self.ctx.window else None)
        m.addAction("导出案件台账（Excel）…", self.export_register)
        m.addAction("所选案件的修改记录…", self.show_history)
        m.addAction("打印当前列表…（Ctrl+P）", self.print_list)
        more.setMenu(m)
        QShortcut(QKeySequence.StandardKey.Print, self, activated=self.print_list)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 2)
        for label, w in (("立案年度", self.year), ("类别", self.category), ("门类", self.domain), ("程序", self.procedure)):
            bar.addWidget(QLabel(label))
            bar.addWidget(w)
        bar.addWidget(self.major)
        bar.addWidget(self.open_only)
        bar.addWidget(self.problems_only)
        bar.addStretch(1)
        for b in (add, self.edit_btn, self.del_btn, more):
            bar.addWidget(b)
        self.model = CaseTableModel(self.service, self)
        self.view = make_view(self, "cases")
        self.view.setModel(self.model)
        self.view.horizontalHeader().setSortIndicator(6, Qt.SortOrder.DescendingOrder)
        for i, col in enumerate(COLUMNS):
            self.view.setColumnWidth(i, col[3])
        restore_header(self.view, ctx.qsettings, "cases")
        self.view.doubleClicked.connect(lambda _i: self.edit())
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.view, activated=self.edit)
        self.count = QLabel()
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.count)
        self.search.textChanged.connect(lambda _t: self.apply_filter())
        for combo in (self.year, self.category, self.domain, self.procedure):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        for cb in (self.major, self.open_only, self.problems_only):
            cb.toggled.connect(lambda _b: self.apply_filter())
        add.clicked.connect(self.add)
        self.edit_btn.clicked.connect(self.edit)
        self.del_btn.clicked.connect(self.delete)
        self._loading = False

    # ---- data ---------------------------------------------------------------------------------
    def reload(self) -> None:
        db = self.ctx.db
        labels = self.labels
        today = dt.date.today()

        def summarize(findings: list[Finding]) -> tuple[list[int], list[str], dict[int, list[str]], set[int]]:
            probs: dict[int, list[str]] = defaultdict(list)
            severe: set[int] = set()
            for f in findings:
                if f.rule in case_rules.RULES and f.entity == "case" and f.entity_id is not None:
                    probs[f.entity_id].append(f"{labels.get(f.rule, f.rule)}：{f.detail}")
                    if f.rule != "case_officers_insufficient":
                        severe.add(f.entity_id)
            return self.service.years(), self.service.domains(), dict(probs), severe

        def work(_p: object) -> tuple[list[int], list[str], dict[int, list[str]], set[int]]:
            # the findings every page shares (services.findings), computed once per change of the data
            return summarize(svc_findings.findings(db, today))

        def done(result: tuple[list[int], list[str], dict[int, list[str]], set[int]]) -> None:
            years, domains, probs, severe = result
            self._loading = True
            for combo, items in ((self.year, [str(y) for y in years]), (self.domain, domains)):
                cur = combo.currentText()
                combo.clear()
                combo.addItems([ALL] + items)
                combo.setCurrentText(cur if cur in items else ALL)
            self._loading = False
            self.model.problems, self.model.severe = probs, severe
            self.apply_filter()

        ready = svc_findings.cached_findings(db, today)
        if ready is not None:
            done(summarize(ready))
            return
        self.ctx.tasks.run(work, on_success=done, label="正在检查案件…", parent=self)

    def apply_filter(self) -> None:
        if self._loading:
            return
        def val(c: QComboBox) -> str:
            return "" if c.currentText() == ALL else c.currentText()
        f = CaseFilter(text=self.search.text(), category=val(self.category), domain=val(self.domain),
                       procedure=val(self.procedure), year=int(val(self.year)) if val(self.year) else None,
                       major_only=self.major.isChecked(), open_only=self.open_only.isChecked())
        self.model.filter = f
        self.model.reload()
        if self.problems_only.isChecked():
            keep = set(self.model.problems)
            self.model.beginResetModel()
            self.model.ids = [i for i in self.model.ids if i in keep]
            self.model.endResetModel()
        total = self.service.count()
        self.count.setText(f"显示 {len(self.model.ids)} 件 / 共 {total} 件；有问题的 {len(self.model.problems)} 件（红色：期限或程序问题，黄色：持证人员不足）")

    def show_history(self) -> None:
        from brigade_desk.ui.history_dialog import HistoryDialog

        c = self.current()
        if c is not None:
            HistoryDialog(self.ctx, c.case_no, [("case_record", c.id)], self).exec()

    def current(self) -> CaseView | None:
        idx = self.view.currentIndex()
        return self.model.case_at(idx.row()) if idx.isValid() else None

    def select_case(self, case_id: int) -> None:
        if case_id not in self.model.ids:
            self.search.clear()
            for combo in (self.year, self.category, self.domain, self.procedure):
                combo.setCurrentIndex(0)
            for cb in (self.major, self.open_only, self.problems_only):
                cb.setChecked(False)
            self.apply_filter()
        if case_id in self.model.ids:
            row = self.model.ids.index(case_id)
            self.view.selectRow(row)
            self.view.scrollTo(self.model.index(row, 0))

    # ---- actions ------------------------------------------------------------------------------
    def add(self) -> None:
        dlg = CaseDialog(self.service, None, self)
        if dlg.exec() and dlg.result_id:
            self.ctx.changed("cases")
            self.select_case(dlg.result_id)

    def edit(self) -> None:
        c = self.current()
        if c is None:
            return
        dlg = CaseDialog(self.service, self.service.get(c.id), self)
        if dlg.exec():
            self.ctx.changed("cases")
            self.select_case(c.id)

    def delete(self) -> None:
        c = self.current()
        if c is None:
            return
        if QMessageBox.question(self, "删除案件", f"确定删除案件 {c.case_no}？其评查记录也会一并删除。\n"
                                "（删除后可用“编辑 → 撤销删除”恢复）") != QMessageBox.StandardButton.Yes:
            return
        self.ctx.delete(f"案件 {c.case_no}", "cases", lambda: self.service.delete(c.id))

    def print_list(self) -> None:
        from brigade_desk.ui.widgets.printing import print_table

        parts = [f"{label}：{c.currentText()}" for label, c in (("立案年度", self.year), ("类别", self.category),
                                                                 ("门类", self.domain), ("程序", self.procedure))
                 if c.currentText() != ALL]
        parts += [cb.text() for cb in (self.major, self.open_only, self.problems_only) if cb.isChecked()]
        if self.search.text().strip():
            parts.append(f"搜索“{self.search.text().strip()}”")
        print_table(self.view, "案件登记台账", f"共 {len(self.model.ids)} 件；" + ("，".join(parts) or "全部案件"), self)

    def import_cases(self) -> None:
        from brigade_desk.ui.import_dialog import ImportDialog

        ImportDialog(self.ctx, self, None, "cases").exec()

    def export_register(self) -> None:
        from pathlib import Path

        from PySide6.QtWidgets import QFileDialog, QInputDialog

        years = self.service.years()
        if not years:
            QMessageBox.information(self, "导出案件台账", "还没有案件")
            return
        year, ok = QInputDialog.getItem(self, "导出案件台账", "立案年度：", [str(y) for y in years], 0, False)
        if not ok:
            return
        path, _ = QFileDialog.getSaveFileName(self, "导出案件台账", str(Path.home() / f"{year}年度行政执法案件台账.xlsx"),
                                              "Excel (*.xlsx)")
        if not path:
            return
        db = self.ctx.db

        def work(_p: object) -> Path:
            from brigade_desk.exports.cases import export_cases

            return export_cases(db, int(year), path)

        self.ctx.tasks.run(work, on_success=lambda p: self.ctx.say(f"已导出：{p}"), label="正在导出案件台账…", parent=self)

    def save_state(self) -> None:
        save_header(self.view, self.ctx.qsettings, "cases")
