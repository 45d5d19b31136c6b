"""案件登记: the register as a lazy SQL-backed table (ids in SQL, rows fetched on demand), with
filters and sorting done in SQL, problems from the case rules in colour, and the case editor."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from PySide6.QtCore import Qt
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

from brigade_desk.core import findings as svc_findings
from brigade_desk.core.changes import Changes
from brigade_desk.core.period import Period
from brigade_desk.core.rules import Finding
from brigade_desk.ledgers.cases.models import CaseCategory, Procedure
from brigade_desk.ledgers.cases.service import CaseFilter, CaseService, CaseView
from brigade_desk.ledgers.cases.ui.editor import CaseDialog
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.exporting import run_export
from brigade_desk.ui.widgets.files import save_file_name
from brigade_desk.ui.widgets.table import PROBLEM, WARNING, make_view, restore_header, save_header
from brigade_desk.ui.widgets.windowed import WindowedTableModel

ALL = "（全部）"

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
    (
        "罚款(元)",
        "fine_amount",
        lambda c: f"{c.fine_amount:,.2f}" if c.fine_amount is not None else "",
        85,
    ),
    ("重大", "is_major", lambda c: c.is_major, 40),
    ("承办人员", "", lambda c: c.officer_names, 120),
    ("执法活动", "", lambda c: "、".join(c.activities), 120),
]


class CaseTableModel(WindowedTableModel):
    """The filtered, sorted cases, counted in SQL and fetched a window at a time when shown."""

    page_size = 60  # about two screens of cases (each row brings its officers)

    def __init__(self, service: CaseService, parent: Any = None) -> None:
        super().__init__(COLUMNS, "filed_on", True, parent)
        self.service = service
        self.filter = CaseFilter()
        self.problems: dict[int, list[str]] = {}
        self.severe: set[int] = set()

    def count_rows(self) -> int:
        return self.service.count(self.filter)

    def fetch_rows(self, offset: int, limit: int) -> list[CaseView]:
        return self.service.page(self.filter, self.sort_key, self.descending, offset, limit)

    def case_at(self, row: int) -> CaseView:
        c = self.row(row)
        if c is None:
            raise IndexError(row)
        return c  # type: ignore[no-any-return]

    def row_of(self, case_id: int) -> int:
        """The row showing ``case_id`` under the current filter and sort (-1: not shown)."""
        return self.service.position(self.filter, self.sort_key, self.descending, case_id)

    def set_problems(self, problems: dict[int, list[str]], severe: set[int]) -> None:
        self.problems, self.severe = problems, severe
        if self.total:
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(self.total - 1, len(self.columns) - 1),
                [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole],
            )

    def role_data(self, c: CaseView, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and c.id in self.problems:
            return PROBLEM if c.id in self.severe else WARNING
        if role == Qt.ItemDataRole.ToolTipRole and c.id in self.problems:
            return "\n".join(self.problems[c.id])
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 9:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class RegisterTab(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.service = CaseService(ctx.db)
        self.labels = ctx.ledgers.rule_labels()
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索案号、当事人、案由…（Ctrl+F）")
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
        self.custody_btn = QPushButton("音像证据清单…")
        self.custody_btn.setToolTip(
            "所选案件的全部音像文件：SHA-256、入库和校验记录（PDF），旁附 sha256sum 校验清单和 JSON"
        )
        more = QToolButton()
        more.setText("导入/导出")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        m = QMenu(more)
        m.addAction("从省平台导出的 Excel 导入案件…", self.import_cases)
        m.addAction(
            "下载案件导入模板…",
            lambda: self.ctx.window.save_template() if self.ctx.window else None,
        )
        m.addAction("导出案件台账（Excel）…", self.export_register)
        m.addAction("所选案件的修改记录…", self.show_history)
        m.addAction("打印当前列表…（Ctrl+P）", self.print_list)
        more.setMenu(m)
        QShortcut(QKeySequence.StandardKey.Print, self).activated.connect(self.print_list)
        bar = QHBoxLayout()  # two rows, so the page fits a 1366-pixel laptop screen
        bar.addWidget(self.search, 2)
        for label, w in (
            ("立案年度", self.year),
            ("类别", self.category),
            ("门类", self.domain),
            ("程序", self.procedure),
        ):
            bar.addWidget(QLabel(label))
            bar.addWidget(w)
        bar2 = QHBoxLayout()
        bar2.addWidget(self.major)
        bar2.addWidget(self.open_only)
        bar2.addWidget(self.problems_only)
        bar2.addStretch(1)
        for b in (add, self.edit_btn, self.del_btn, self.custody_btn, more):
            bar2.addWidget(b)
        self.model = CaseTableModel(self.service, self)
        self.view = make_view(self, "cases")
        self.view.setModel(self.model)
        self.view.horizontalHeader().setSortIndicator(6, Qt.SortOrder.DescendingOrder)
        for i, col in enumerate(COLUMNS):
            self.view.setColumnWidth(i, col[3])
        restore_header(self.view, ctx.qsettings, "cases")
        self.view.doubleClicked.connect(lambda _i: self.edit())
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.view).activated.connect(self.edit)
        self.count = QLabel()
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addLayout(bar2)
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
        self.custody_btn.clicked.connect(self.custody_report)
        self._loading = False
        self._checking = False
        self._total = 0

    # ---- data ---------------------------------------------------------------------------------
    def reload(self) -> None:
        """Fill the filter lists and the table at once; the problems from the case rules colour the
        rows as soon as they are known (at once when the background refresh already has them)."""
        db = self.ctx.db
        labels = self.labels
        today = dt.date.today()
        years, domains, self._total = self.service.filter_choices()
        self._loading = True
        for combo, items in ((self.year, [str(y) for y in years]), (self.domain, domains)):
            cur = combo.currentText()
            combo.clear()
            combo.addItems([ALL] + items)
            combo.setCurrentText(cur if cur in items else ALL)
        self._loading = False

        def summarize(findings: list[Finding]) -> tuple[dict[int, list[str]], set[int]]:
            probs: dict[int, list[str]] = defaultdict(list)
            severe: set[int] = set()
            for f in findings:
                if (
                    f.entity == "case" and f.entity_id is not None
                ):  # the case rules and the AV full-process rule
                    probs[f.entity_id].append(f"{labels.get(f.rule, f.rule)}：{f.detail}")
                    if f.rule != "case_officers_insufficient":
                        severe.add(f.entity_id)
            return dict(probs), severe

        def done(result: tuple[dict[int, list[str]], set[int]]) -> None:
            self._checking = False
            self.model.set_problems(*result)
            if self.problems_only.isChecked():
                self.apply_filter()
            else:
                self._show_count()

        ready = svc_findings.cached_findings(db, today)
        if ready is not None:
            self.model.problems, self.model.severe = summarize(ready)
            self._checking = False
            self.apply_filter()
            return
        # the rules run in the background (the findings every page shares, see core.findings);
        # the register is usable meanwhile and gets its colours when they are known
        self._checking = True
        self.apply_filter()

        def failed(exc: BaseException) -> None:
            self._checking = False
            self._show_count()
            self.ctx.tasks.unhandled_error.emit(exc)

        ledgers = self.ctx.ledgers

        def start() -> None:
            self.ctx.tasks.run(
                lambda _p: summarize(svc_findings.findings(db, today, ledgers)),
                on_success=done,
                on_failure=failed,
            )

        self.ctx.tasks.after_paint(self.view.viewport(), start)

    def apply_filter(self) -> None:
        if self._loading:
            return

        def val(c: QComboBox) -> str:
            return "" if c.currentText() == ALL else c.currentText()

        only = frozenset(self.model.problems) if self.problems_only.isChecked() else None
        self.model.filter = CaseFilter(
            text=self.search.text(),
            category=val(self.category),
            domain=val(self.domain),
            procedure=val(self.procedure),
            year=int(val(self.year)) if val(self.year) else None,
            major_only=self.major.isChecked(),
            open_only=self.open_only.isChecked(),
            only_ids=only,
        )
        self.model.reload()
        self._show_count()

    def _show_count(self) -> None:
        probs = (
            "正在检查案件问题…"
            if self._checking
            else f"有问题的 {len(self.model.problems)} 件（红色：期限或程序问题，黄色：持证人员不足）"
        )
        self.count.setText(f"显示 {self.model.total} 件 / 共 {self._total} 件；{probs}")

    def show_history(self) -> None:
        from brigade_desk.ui.history_dialog import HistoryDialog

        c = self.current()
        if c is not None:
            HistoryDialog(self.ctx, c.case_no, [("case_record", c.id)], self).exec()

    def current(self) -> CaseView | None:
        idx = self.view.currentIndex()
        return self.model.row(idx.row()) if idx.isValid() else None

    def select_case(self, case_id: int) -> None:
        row = self.model.row_of(case_id)
        if row < 0:  # not among the matches: clear the filters
            self._loading = True
            self.search.clear()
            for combo in (self.year, self.category, self.domain, self.procedure):
                combo.setCurrentIndex(0)
            for cb in (self.major, self.open_only, self.problems_only):
                cb.setChecked(False)
            self._loading = False
            self.apply_filter()
            row = self.model.row_of(case_id)
        if row >= 0:
            self.view.selectRow(row)
            self.view.scrollTo(self.model.index(row, 0))

    # ---- actions ------------------------------------------------------------------------------
    def add(self) -> None:
        dlg = CaseDialog(self.service, None, self)
        if dlg.exec() and dlg.result_id:
            self.ctx.changed(Changes.CASES)
            self.select_case(dlg.result_id)

    def edit(self) -> None:
        c = self.current()
        if c is None:
            return
        dlg = CaseDialog(self.service, self.service.get(c.id), self)
        if dlg.exec():
            self.ctx.changed(Changes.CASES)
            self.select_case(c.id)

    def delete(self) -> None:
        c = self.current()
        if c is None:
            return
        if (
            QMessageBox.question(
                self,
                "删除案件",
                f"确定删除案件 {c.case_no}？其评查记录也会一并删除。\n"
                "（删除后可用“编辑 → 撤销删除”恢复）",
            )
            != QMessageBox.StandardButton.Yes
        ):
            return
        self.ctx.delete(f"案件 {c.case_no}", Changes.CASES, lambda: self.service.delete(c.id))

    def custody_report(self) -> None:
        """音像证据清单 of the selected case (PDF + .sha256 + .json), written in the background."""
        from brigade_desk.ledgers.av.custody import CustodyFiles, export_custody

        c = self.current()
        if c is None:
            self.ctx.say("请先选中一件案件")
            return
        safe = "".join("_" if ch in '\\/:*?"<>|' else ch for ch in c.case_no)
        path = save_file_name(self, "音像证据清单", f"音像证据清单 {safe}.pdf", "PDF (*.pdf)")
        if not path:
            return
        db = self.ctx.db
        case_no = c.case_no

        def work(_p: Any) -> CustodyFiles:
            return export_custody(db, case_no, path)

        def done(res: CustodyFiles) -> None:
            self.ctx.say(
                f"已生成音像证据清单（{res.files} 个文件）：{res.pdf}；校验清单 {res.manifest.name}"
            )

        self.ctx.tasks.run(work, on_success=done, label="正在生成音像证据清单…", parent=self)

    def print_list(self) -> None:
        from brigade_desk.ui.widgets.printing import print_table

        parts = [
            f"{label}：{c.currentText()}"
            for label, c in (
                ("立案年度", self.year),
                ("类别", self.category),
                ("门类", self.domain),
                ("程序", self.procedure),
            )
            if c.currentText() != ALL
        ]
        parts += [
            cb.text() for cb in (self.major, self.open_only, self.problems_only) if cb.isChecked()
        ]
        if self.search.text().strip():
            parts.append(f"搜索“{self.search.text().strip()}”")
        print_table(
            self.view,
            "案件登记台账",
            f"共 {self.model.total} 件；" + ("，".join(parts) or "全部案件"),
            self,
        )

    def import_cases(self) -> None:
        from brigade_desk.ui.import_dialog import ImportDialog

        ImportDialog(self.ctx, self, None, "cases").exec()

    def export_register(self) -> None:

        from PySide6.QtWidgets import QInputDialog

        years = self.service.years()
        if not years:
            QMessageBox.information(self, "导出案件台账", "还没有案件")
            return
        year, ok = QInputDialog.getItem(
            self, "导出案件台账", "立案年度：", [str(y) for y in years], 0, False
        )
        if not ok:
            return
        path = save_file_name(
            self, "导出案件台账", f"{year}年度行政执法案件台账.xlsx", "Excel (*.xlsx)"
        )
        if not path:
            return
        run_export(
            self.ctx, self, "cases", path, period=Period(int(year)), label="正在导出案件台账…"
        )

    def save_state(self) -> None:
        save_header(self.view, self.ctx.qsettings, "cases")
