"""执法人员花名册: the roster table with filters, problems in colour, a detail pane per person."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QItemSelectionModel, Qt
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
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core import audit
from brigade_desk.core.changes import Changes
from brigade_desk.core.errors import UserError
from brigade_desk.core.rules import Finding
from brigade_desk.ledgers.roster import rules as roster_rules
from brigade_desk.ledgers.roster.models import CertAction, CertStatus, StaffCategory, StaffStatus
from brigade_desk.ledgers.roster.service import (
    CERT_LABELS,
    KEEP_INSTEAD,
    STAFF_LABELS,
    CertView,
    DeleteBlocker,
    HistoryEntry,
    RosterService,
    StaffView,
)
from brigade_desk.ledgers.roster.ui.dialogs import CertActionDialog, CertDialog, StaffDialog
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.exporting import run_export
from brigade_desk.ui.widgets.files import save_file_name
from brigade_desk.ui.widgets.table import (
    MUTED,
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

ALL = "（全部）"

FIELD_ZH = {
    **STAFF_LABELS,
    **CERT_LABELS,
    "staff_id": "人员",
    "created_at": "创建时间",
    "id": "编号",
    "cancel_requested": "申请注销日期",
}


def _change_text(c: tuple[str, object, object]) -> str:
    col, before, after = c

    def f(v: object) -> str:
        if v is None or v == "":
            return "（空）"
        if v is True:
            return "是"
        if v is False:
            return "否"
        return str(v)

    return f"{FIELD_ZH.get(col, col)}：{f(before)} → {f(after)}"


@dataclass
class RosterRow:
    staff: StaffView
    problems: list[str]
    severe: bool

    @property
    def cert(self) -> CertView | None:
        return self.staff.current_cert


def _cert(r: RosterRow, attr: str) -> object:
    c = r.cert
    return getattr(c, attr) if c else None


class RosterPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.service = RosterService(ctx.db)
        self.labels = ctx.ledgers.rule_labels()
        self._stale = True

        # --- toolbar
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索姓名、身份证号、证号、电话…（Ctrl+F）")
        self.search.setClearButtonEnabled(True)
        self.squad = QComboBox()
        self.category = QComboBox()
        self.category.addItems([ALL] + [c.value for c in StaffCategory])
        self.status = QComboBox()
        self.status.addItems([ALL] + [s.value for s in StaffStatus])
        self.status.setCurrentText(StaffStatus.ON_DUTY.value)
        self.only_problems = QCheckBox("只看有问题的")
        add = QPushButton("新增人员")
        add.setShortcut("Ctrl+N")
        self.edit_btn = QPushButton("编辑")
        self.del_btn = QPushButton("删除")
        more = QToolButton()
        more.setText("导入/导出")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        m = QMenu(more)
        m.addAction(
            "从 Excel 导入花名册…",
            lambda: self.ctx.window.import_file(None) if self.ctx.window else None,
        )
        m.addAction(
            "下载导入模板…", lambda: self.ctx.window.save_template() if self.ctx.window else None
        )
        m.addAction("导出花名册（上报用）…", self.export)
        m.addAction("打印当前列表…", self.print_list)
        QShortcut(QKeySequence.StandardKey.Print, self).activated.connect(self.print_list)
        more.setMenu(m)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 2)
        bar.addWidget(QLabel("中队"))
        bar.addWidget(self.squad)
        bar.addWidget(QLabel("类别"))
        bar.addWidget(self.category)
        bar.addWidget(QLabel("状态"))
        bar.addWidget(self.status)
        bar.addWidget(self.only_problems)
        bar.addStretch(1)
        bar.addWidget(add)
        bar.addWidget(self.edit_btn)
        bar.addWidget(self.del_btn)
        bar.addWidget(more)

        # --- table
        cols: list[Column[RosterRow]] = [
            Column("姓名", lambda r: r.staff.name, 80),
            Column("性别", lambda r: r.staff.sex, 40),
            Column("中队", lambda r: r.staff.squad, 90),
            Column("职务/岗位", lambda r: r.staff.post, 80),
            Column("人员类别", lambda r: r.staff.category, 90),
            Column("在岗状态", lambda r: r.staff.status, 60),
            Column("执法证号", lambda r: _cert(r, "cert_no"), 120),
            Column("证件状态", lambda r: r.cert.state(dt.date.today()) if r.cert else None, 60),
            Column("有效期至", lambda r: _cert(r, "valid_to"), 90),
            Column("全国统一", lambda r: _cert(r, "national_format"), 60),
            Column(
                "法制审核",
                lambda r: (
                    r.staff.is_legal_reviewer if r.staff.category == StaffCategory.OFFICER else None
                ),
                60,
            ),
            Column("一线", lambda r: r.staff.is_front_line, 40),
            Column("执法记录仪", lambda r: r.staff.bodycam_no, 90),
            Column("联系电话", lambda r: r.staff.phone, 100),
            Column("问题", lambda r: "；".join(r.problems), 300),
        ]
        self.model: ListTableModel[RosterRow] = ListTableModel(cols, self)
        self.model.row_color = lambda r: (
            (PROBLEM if r.severe else WARNING)
            if r.problems
            else (MUTED if r.staff.status != StaffStatus.ON_DUTY else None)
        )
        self.model.row_tip = lambda r: "\n".join(r.problems)
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = make_view(self, "roster")
        self.view.setModel(self.proxy)
        apply_widths(self.view, cols)
        restore_header(self.view, ctx.qsettings, "roster")
        self.view.doubleClicked.connect(lambda _i: self.edit())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.view).activated.connect(self.edit)
        QShortcut(QKeySequence.StandardKey.Delete, self.view).activated.connect(self.delete)

        # --- detail pane
        self.detail_title = QLabel("选择一名人员查看证件与履历")
        self.detail_title.setStyleSheet("font-weight:bold; font-size:11pt")
        cert_cols: list[Column[CertView]] = [
            Column("执法证号", lambda c: c.cert_no, 130),
            Column("状态", lambda c: c.state(dt.date.today()), 60),
            Column("发证机关", lambda c: c.issuer, 130),
            Column("发证日期", lambda c: c.issue_date, 90),
            Column("有效期至", lambda c: c.valid_to, 90),
            Column("全国统一", lambda c: c.national_format, 60),
            Column("申请注销", lambda c: c.cancel_requested, 90),
        ]
        self.cert_model: ListTableModel[CertView] = ListTableModel(cert_cols, self)
        self.cert_model.row_color = lambda c: MUTED if c.status == CertStatus.CANCELLED else None
        self.cert_view = make_view(self, "certs")
        self.cert_view.setSelectionMode(self.cert_view.SelectionMode.SingleSelection)
        self.cert_view.setModel(self.cert_model)
        self.cert_view.setSortingEnabled(False)
        apply_widths(self.cert_view, cert_cols)
        self.add_cert_btn = QPushButton("登记证件")
        self.edit_cert_btn = QPushButton("修改证件")
        self.action_btn = QToolButton()
        self.action_btn.setText("证件操作")
        self.action_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        am = QMenu(self.action_btn)

        def run(action: CertAction) -> Callable[[], None]:
            return lambda: self.cert_action(action)

        for a in (
            CertAction.RENEW,
            CertAction.SUSPEND,
            CertAction.RESTORE,
            CertAction.REVOKE,
            CertAction.REQUEST_CANCEL,
            CertAction.CANCEL,
            CertAction.MARK_RENEWAL,
        ):
            am.addAction(a.value, run(a))
        self.action_btn.setMenu(am)
        self.add_cert_btn.clicked.connect(self.add_cert)
        self.edit_cert_btn.clicked.connect(self.edit_cert)
        self.cert_view.doubleClicked.connect(lambda _i: self.edit_cert())
        cert_bar = QHBoxLayout()
        cert_bar.addWidget(self.add_cert_btn)
        cert_bar.addWidget(self.edit_cert_btn)
        cert_bar.addWidget(self.action_btn)
        cert_bar.addStretch(1)
        cert_box = QWidget()
        cl = QVBoxLayout(cert_box)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.cert_view)
        cl.addLayout(cert_bar)

        hist_cols: list[Column[HistoryEntry]] = [
            Column("日期", lambda h: h.date, 90),
            Column("事项", lambda h: h.what, 260),
            Column("原因/说明", lambda h: h.reason, 300),
        ]
        self.hist_model: ListTableModel[HistoryEntry] = ListTableModel(hist_cols, self)
        self.hist_view = make_view(self, "history")
        self.hist_view.setModel(self.hist_model)
        apply_widths(self.hist_view, hist_cols)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color:#b3261e")
        audit_cols: list[Column[audit.HistoryItem]] = [
            Column("时间", lambda h: h.at, 140),
            Column("操作人", lambda h: h.user, 80),
            Column(
                "操作",
                lambda h: (
                    ("证件" if h.table == "certificate" else "人员")
                    + audit.ACTION_ZH.get(h.action, h.action)
                ),
                80,
            ),
            Column(
                "内容（原值 → 新值）", lambda h: "；".join(_change_text(c) for c in h.changes), 600
            ),
        ]
        self.audit_model: ListTableModel[audit.HistoryItem] = ListTableModel(audit_cols, self)
        self.audit_view = make_view(self, "audit")
        self.audit_view.setModel(self.audit_model)
        apply_widths(self.audit_view, audit_cols)
        self.audit_view.setWordWrap(True)
        tabs = QTabWidget()
        tabs.addTab(cert_box, "执法证件")
        tabs.addTab(self.hist_view, "履历")
        tabs.addTab(self.audit_view, "修改记录")
        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.detail_title)
        dl.addWidget(self.problems_label)
        dl.addWidget(tabs, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        st = ctx.qsettings.value("roster/splitter")
        if isinstance(st, QByteArray):
            self.splitter.restoreState(st)
        self.count = QLabel()
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.splitter, 1)
        lay.addWidget(self.count)

        self.search.textChanged.connect(self.proxy.set_text)
        self.search.textChanged.connect(lambda _t: self._update_count())
        for combo in (self.squad, self.category, self.status):
            combo.currentIndexChanged.connect(lambda _i: self._filter())
        self.only_problems.toggled.connect(lambda _b: self._filter())
        add.clicked.connect(self.add)
        self.edit_btn.clicked.connect(self.edit)
        self.del_btn.clicked.connect(self.delete)
        ctx.events.data_changed.connect(self._on_changed)
        self._filter()
        self._selection_changed()

    # ---- loading ------------------------------------------------------------------------------
    def _on_changed(self, what: Changes) -> None:
        if what & (Changes.STAFF | Changes.SETTINGS):
            self._stale = True
            if self.isVisible():
                self.reload()

    def on_shown(self) -> None:
        if self._stale:
            self.reload()

    def reload(self, select_id: int | None = None) -> None:
        self._stale = False
        service = self.service
        labels = self.labels

        today = dt.date.today()

        def rows_of(staff: list[StaffView], findings: list[Finding]) -> list[RosterRow]:
            by_id: dict[int, list[str]] = defaultdict(list)
            severe: set[int] = set()
            for f in findings:
                if f.entity_id is not None:
                    by_id[f.entity_id].append(f"{labels.get(f.rule, f.rule)}：{f.detail}")
                    if f.rule in roster_rules.RULES and f.rule != "cert_expiring":  # others: yellow
                        severe.add(f.entity_id)
            return [RosterRow(p, by_id.get(p.id, []), p.id in severe) for p in staff]

        ledgers = self.ctx.ledgers

        def work(_p: object) -> tuple[list[RosterRow], list[str]]:
            return rows_of(*service.list_with_findings(today, ledgers)), service.squads()

        def done(result: tuple[list[RosterRow], list[str]]) -> None:
            rows, squads = result
            keep = select_id if select_id is not None else self.current_id()
            current = self.squad.currentText()
            self.squad.blockSignals(True)
            self.squad.clear()
            self.squad.addItems([ALL, *squads])
            self.squad.setCurrentText(current if current in squads else ALL)
            self.squad.blockSignals(False)
            self.model.set_rows(rows)
            self._filter()
            if keep is not None:
                self.select_staff(keep)
            self._selection_changed()

        ready = service.cached_list_with_findings(today)  # computed by the background refresh
        if ready is not None:
            done((rows_of(*ready), service.squads()))
            return
        self.ctx.tasks.run(work, on_success=done, label="正在读取花名册…", parent=self)

    def _filter(self) -> None:
        squad, cat, status = (
            self.squad.currentText(),
            self.category.currentText(),
            self.status.currentText(),
        )
        only = self.only_problems.isChecked()

        def pred(r: RosterRow) -> bool:
            p = r.staff
            return (
                (squad in ("", ALL) or p.squad == squad)
                and (cat == ALL or p.category == cat)
                and (status == ALL or p.status == status)
                and (not only or bool(r.problems))
            )

        self.proxy.set_predicate(pred)
        self._update_count()

    def _update_count(self) -> None:
        rows = self.model.rows
        shown = self.proxy.rowCount()
        problems = sum(1 for r in rows if r.problems)
        self.count.setText(f"显示 {shown} 人 / 共 {len(rows)} 人；有问题 {problems} 人")

    # ---- selection ----------------------------------------------------------------------------
    def current_row(self) -> RosterRow | None:
        idx = self.view.selectionModel().currentIndex()
        sel = self.view.selectionModel().selectedRows()
        if sel:
            idx = sel[0]
        if not idx.isValid():
            return None
        return self.model.row_at(self.proxy.mapToSource(idx).row())

    def current_id(self) -> int | None:
        r = self.current_row()
        return r.staff.id if r else None

    def select_staff(self, staff_id: int) -> bool:
        for i, r in enumerate(self.model.rows):
            if r.staff.id == staff_id:
                pidx = self.proxy.mapFromSource(self.model.index(i, 0))
                if not pidx.isValid():  # filtered out: clear filters so the clerk sees the record
                    self.search.clear()
                    self.status.setCurrentText(ALL)
                    self.squad.setCurrentText(ALL)
                    self.category.setCurrentText(ALL)
                    self.only_problems.setChecked(False)
                    pidx = self.proxy.mapFromSource(self.model.index(i, 0))
                self.view.selectionModel().setCurrentIndex(
                    pidx,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                self.view.scrollTo(pidx)
                return True
        return False

    def open_record(self, entity: str, record_id: int) -> None:
        if self._stale:
            self.reload(select_id=record_id)
        else:
            self.select_staff(record_id)

    def _selection_changed(self) -> None:
        r = self.current_row()
        has = r is not None
        self.edit_btn.setEnabled(has)
        self.del_btn.setEnabled(has)
        self.add_cert_btn.setEnabled(
            has and r is not None and r.staff.category == StaffCategory.OFFICER
        )
        self.edit_cert_btn.setEnabled(has)
        self.action_btn.setEnabled(has)
        if r is None:
            self.detail_title.setText("选择一名人员查看证件与履历")
            self.problems_label.clear()
            self.cert_model.set_rows([])
            self.hist_model.set_rows([])
            self.audit_model.set_rows([])
            return
        p = r.staff
        self.detail_title.setText(
            f"{p.name}　{p.squad}　{p.category}　{p.status}　身份证号 {p.id_number}"
        )
        self.problems_label.setText("\n".join(r.problems))
        self.cert_model.set_rows(
            sorted(
                p.certificates,
                key=lambda c: (
                    c.status == CertStatus.CANCELLED,
                    -(c.issue_date or dt.date.min).toordinal(),
                ),
            )
        )
        if self.cert_model.rowCount():
            self.cert_view.selectRow(0)
        self.hist_model.set_rows(list(reversed(self.service.history(p.id))))
        self.audit_model.set_rows(list(reversed(self.service.audit_history(p.id))))

    def current_cert(self) -> CertView | None:
        sel = self.cert_view.selectionModel().selectedRows()
        if sel:
            return self.cert_model.row_at(sel[0].row())
        return self.cert_model.rows[0] if self.cert_model.rows else None

    # ---- actions ------------------------------------------------------------------------------
    def add(self) -> None:
        dlg = StaffDialog(self.service, None, self.service.squads(), self)
        if dlg.exec():
            self.ctx.say("已新增人员")
            self._after_save(dlg)

    def edit(self) -> None:
        r = self.current_row()
        if r is None:
            return
        dlg = StaffDialog(self.service, self.service.get(r.staff.id), self.service.squads(), self)
        if dlg.exec():
            self.ctx.say(f"已保存：{r.staff.name}")
            self._after_save(dlg)

    def _after_save(self, dlg: StaffDialog) -> None:
        if dlg.offer_cancel and dlg.result_id is not None:
            p = self.service.get(dlg.result_id)
            certs = [c for c in p.certificates if c.id in dlg.offer_cancel]
            nos = "、".join(c.cert_no for c in certs)
            ans = QMessageBox.question(
                self,
                "证件注销",
                f"{p.name} 已{p.status}，其执法证件 {nos} 尚未注销。\n\n是否现在标记为“申请注销”（报司法行政部门注销）？",
            )
            if ans == QMessageBox.StandardButton.Yes:
                for c in certs:
                    self.service.cert_action(
                        c.id,
                        CertAction.REQUEST_CANCEL,
                        date=p.status_date or dt.date.today(),
                        reason=f"人员{p.status}",
                    )
        self.ctx.changed(Changes.STAFF)
        if not self.isVisible():
            return
        self.reload(select_id=dlg.result_id)

    def delete(self) -> None:
        rows = [
            self.model.row_at(self.proxy.mapToSource(i).row())
            for i in self.view.selectionModel().selectedRows()
        ]
        if not rows:
            return
        names = "、".join(r.staff.name for r in rows[:5]) + ("等" if len(rows) > 5 else "")
        blockers = self.service.delete_blockers(*(r.staff.id for r in rows))
        if blockers:  # say so before asking: nothing to confirm when it cannot be done
            self._cannot_delete(blockers, len(rows))
            return
        ans = QMessageBox.warning(
            self,
            "删除人员",
            f"确定删除 {names} 共 {len(rows)} 人及其全部证件记录吗？\n\n"
            "调离、退休的人员通常应把“在岗状态”改为调离/退休而不是删除，以保留台账。",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if ans != QMessageBox.StandardButton.Yes:
            return
        ids = [r.staff.id for r in rows]
        try:
            self.ctx.delete(f"人员 {names}", Changes.STAFF, lambda: self.service.delete_staff(*ids))
        except UserError as exc:
            QMessageBox.warning(self, "不能删除", str(exc))

    def _cannot_delete(self, blockers: list[DeleteBlocker], selected: int) -> None:
        """Why the selection cannot be deleted and what to do instead; for one person, a button that
        opens the editor to change 在岗状态."""
        lines = "\n".join(f"• {b.reason}" for b in blockers[:8]) + (
            "\n…" if len(blockers) > 8 else ""
        )
        whole = (
            ""
            if selected == len(blockers)
            else f"\n\n所选 {selected} 人中有 {len(blockers)} 人不能删除，未删除任何人。"
        )
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "不能删除",
            f"以下人员已被其他台账引用，不能删除（删除会连带抹去这些记录）：\n{lines}{whole}\n\n{KEEP_INSTEAD}",
            QMessageBox.StandardButton.Close,
            self,
        )
        box.button(QMessageBox.StandardButton.Close).setText("关闭")
        edit = None
        if len(blockers) == 1 and selected == 1:
            edit = box.addButton("修改在岗状态…", QMessageBox.ButtonRole.AcceptRole)
        box.exec()
        if edit is not None and box.clickedButton() is edit:
            self.edit()

    def add_cert(self) -> None:
        r = self.current_row()
        if r is None:
            return
        if CertDialog(self.service, r.staff.id, parent=self).exec():
            self.ctx.changed(Changes.STAFF)

    def edit_cert(self) -> None:
        r, c = self.current_row(), self.current_cert()
        if r is None or c is None:
            return
        # as saved now (the list may be a moment old): the dialog checks this version on save
        fresh = next((x for x in self.service.get(r.staff.id).certificates if x.id == c.id), c)
        if CertDialog(self.service, r.staff.id, fresh, c.id, self).exec():
            self.ctx.changed(Changes.STAFF)

    def cert_action(self, action: CertAction) -> None:
        c = self.current_cert()
        if c is None:
            QMessageBox.information(self, "证件操作", "此人没有登记执法证件。")
            return
        if CertActionDialog(self.service, c.id, c.cert_no, action, self).exec():
            self.ctx.say(f"证件 {c.cert_no}：{action.value}")
            self.ctx.changed(Changes.STAFF)

    def export(self) -> None:
        path = save_file_name(
            self,
            "导出花名册",
            f"执法人员花名册_{dt.date.today():%Y%m%d}.xlsx",
            "Excel 工作簿 (*.xlsx)",
        )
        if not path:
            return
        run_export(self.ctx, self, "roster", path, label="正在导出花名册…")

    def print_list(self) -> None:
        from brigade_desk.ui.widgets.printing import print_table

        print_table(self.view, "执法人员花名册", self.count.text(), self)

    def filter_field(self) -> QWidget:
        """The search field Ctrl+F goes to (MainWindow.focus_filter)."""
        return self.search

    def save_state(self) -> None:
        save_header(self.view, self.ctx.qsettings, "roster")
        self.ctx.qsettings.setValue("roster/splitter", self.splitter.saveState())
