"""问题清单: every finding of every rule, filterable, each opening the record it is about."""

from __future__ import annotations

import datetime as dt
from typing import cast

from PySide6.QtCore import QDate, QModelIndex
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core import findings as svc_findings
from brigade_desk.core import idcard, settings
from brigade_desk.core.changes import Changes
from brigade_desk.core.rules import Finding
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.table import (
    PROBLEM,
    WARNING,
    Column,
    FilterProxy,
    ListTableModel,
    apply_widths,
    make_view,
    restore_header,
    save_header,
)


class FindingsPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.labels = ctx.ledgers.rule_labels()
        self._stale = True
        self.mask_ids = True  # (not self.mask: QWidget.mask() is a method)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background:#fde2e1; color:#8c1d18; padding:6px; font-weight:bold"
        )
        self.banner.hide()
        self.as_of = QDateEdit(QDate.currentDate())
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.rule = QComboBox()
        self.rule.addItem("全部问题", "")
        for code, label in self.labels.items():
            self.rule.addItem(label, code)
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索姓名、证号、说明…（Ctrl+F）")
        self.search.setClearButtonEnabled(True)
        refresh = QPushButton("重新检查")
        print_btn = QPushButton("打印")
        print_btn.setShortcut("Ctrl+P")
        print_btn.clicked.connect(self.print_list)
        refresh.setShortcut("F5")
        self.count = QLabel()

        cols: list[Column[Finding]] = [
            Column("问题", lambda f: self.labels.get(f.rule, f.rule), 200),
            Column("对象", lambda f: f.subject, 170),
            Column("证号/编号", lambda f: self._ref(f.ref), 170),
            Column("期限", lambda f: f.due, 100),
            Column("说明", lambda f: f.detail, 500),
        ]
        self.model: ListTableModel[Finding] = ListTableModel(cols, self)
        today = dt.date.today()
        self.model.row_color = lambda f: PROBLEM if (f.due is None or f.due < today) else WARNING
        self.model.row_tip = lambda f: f.detail
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = make_view(self, "findings")
        self.view.setModel(self.proxy)
        apply_widths(self.view, cols)
        restore_header(self.view, ctx.qsettings, "findings")
        self.view.doubleClicked.connect(self._open)

        top = QHBoxLayout()
        top.addWidget(QLabel("检查日期"))
        top.addWidget(self.as_of)
        top.addWidget(self.rule)
        top.addWidget(self.search, 1)
        top.addWidget(refresh)
        top.addWidget(print_btn)
        lay = QVBoxLayout(self)
        lay.addWidget(self.banner)
        lay.addLayout(top)
        lay.addWidget(self.view, 1)
        hint = QLabel("双击一行打开对应的记录。红色：已到期或须立即处理；黄色：即将到期。")
        hint.setStyleSheet("color:#666")
        bottom = QHBoxLayout()
        bottom.addWidget(hint, 1)
        bottom.addWidget(self.count)
        lay.addLayout(bottom)

        refresh.clicked.connect(lambda: self.reload(fresh=True))
        self.as_of.dateChanged.connect(lambda _d: self.reload())
        self.rule.currentIndexChanged.connect(lambda _i: self._filter())
        self.search.textChanged.connect(self.proxy.set_text)
        self.search.textChanged.connect(lambda _t: self._update_count())
        ctx.events.data_changed.connect(self._mark_stale)

    def _ref(self, ref: str) -> str:
        if self.mask_ids and len(ref) == 18 and ref[:17].isdigit():
            return idcard.mask(ref)
        return ref

    def _show_audit(self) -> None:
        res = getattr(self.ctx.window, "audit_result", None)
        if res is not None and not getattr(res, "ok", True):
            self.banner.setText(res.warning("，请核实并从备份恢复"))
            self.banner.show()
        else:
            self.banner.hide()

    def _mark_stale(self, _what: Changes) -> None:
        self._stale = True
        if self.isVisible():
            self.reload()

    def on_shown(self) -> None:
        if self._stale:
            self.reload()

    def reload(self, fresh: bool = False) -> None:
        """The findings on the chosen date: at once when the background already has them for the
        data as it is now, otherwise the rules run in the background."""
        self._stale = False
        as_of = cast(dt.date, self.as_of.date().toPython())  # (typed as object)
        db = self.ctx.db
        if not fresh:
            ready = svc_findings.cached_findings(db, as_of)
            if ready is not None:
                self._loaded((ready, bool(settings.read(db, settings.MASK_IDS))))
                return

        ledgers = self.ctx.ledgers

        def work(_p: object) -> tuple[list[Finding], bool]:
            found = svc_findings.findings(db, as_of, ledgers, fresh=fresh)
            return found, bool(settings.read(db, settings.MASK_IDS))

        self.count.setText("正在检查…")  # inline, no progress dialog: the window stays usable
        self.ctx.tasks.run(work, on_success=self._loaded)

    def _loaded(self, result: tuple[list[Finding], bool]) -> None:
        findings, self.mask_ids = result
        self._show_audit()
        order = list(self.labels)
        findings.sort(
            key=lambda f: (
                order.index(f.rule) if f.rule in order else 99,
                f.due or dt.date.max,
                f.subject,
            )
        )
        self.model.set_rows(findings)
        self._update_count()

    def _filter(self) -> None:
        code = self.rule.currentData()
        self.proxy.set_predicate((lambda f: f.rule == code) if code else None)
        self._update_count()

    def _update_count(self) -> None:
        self.count.setText(f"显示 {self.proxy.rowCount()} / 共 {self.model.rowCount()} 项")

    def _open(self, index: QModelIndex) -> None:
        f = self.model.row_at(self.proxy.mapToSource(index).row())
        if f.entity:
            self.ctx.open_record(f.entity, f.entity_id)

    def print_list(self) -> None:
        from brigade_desk.ui.widgets.printing import print_table

        print_table(
            self.view,
            "问题清单",
            f"检查日期 {self.as_of.date().toString('yyyy-MM-dd')}；{self.count.text()}",
            self,
        )

    def filter_field(self) -> QWidget:
        """The search field Ctrl+F goes to (MainWindow.focus_filter)."""
        return self.search

    def save_state(self) -> None:
        save_header(self.view, self.ctx.qsettings, "findings")
