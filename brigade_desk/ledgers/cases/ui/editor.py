"""The case editor: every field of a case, officers from the roster, activities as check boxes,
the activities' time windows (开始/结束) in a small table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.conflict import ConflictError
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.ledgers.cases.models import (
    ACTIVITIES,
    CASE_DATES,
    DOMAINS,
    CaseCategory,
    PartyType,
    Procedure,
)
from brigade_desk.ledgers.cases.service import CASE_LABELS, CaseInput, CaseService, CaseView
from brigade_desk.ledgers.cases.ui.windows import WindowsBox
from brigade_desk.ledgers.cases.windows import windows_of
from brigade_desk.ui.conflict import offer_reload
from brigade_desk.ui.widgets.forms import (
    DateField,
    dialog_buttons,
    dialog_layout,
    error_label,
    mark,
    text_box,
)


class CaseDialog(QDialog):
    """Add or edit a case; saves through the service and names every wrong field."""

    def __init__(
        self, service: CaseService, case: CaseView | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.case_id = case.id if case else None
        self.version = case.version if case else None  # as opened (core.conflict)
        self.result_id: int | None = None
        self.setWindowTitle(f"编辑案件 {case.case_no}" if case else "新增案件")
        self.resize(900, 640)
        c = case or CaseInput()
        self.case_no = QLineEdit(c.case_no)
        self.cause = QLineEdit(c.cause)
        self.party = QLineEdit(c.party)
        self.party_type = QComboBox()
        self.party_type.addItems([p.value for p in PartyType])
        self.party_type.setCurrentText(c.party_type)
        self.domain = QComboBox()
        self.domain.setEditable(True)
        self.domain.addItems(list(DOMAINS))
        self.domain.setCurrentText(c.domain)
        self.category = QComboBox()
        self.category.addItems([x.value for x in CaseCategory])
        self.category.setCurrentText(c.category)
        self.procedure = QComboBox()
        self.procedure.addItems([p.value for p in Procedure])
        self.procedure.setCurrentText(c.procedure)
        self.fine = QLineEdit("" if c.fine_amount is None else f"{c.fine_amount:f}")
        self.fine.setPlaceholderText("元")
        self.confiscation = QLineEdit(
            "" if c.confiscation_amount is None else f"{c.confiscation_amount:f}"
        )
        self.confiscation.setPlaceholderText("元")
        self.major = QCheckBox("重大案件（须法制审核、集体讨论并备案）")
        self.major.setChecked(c.is_major)
        self.notes = text_box(c.notes)
        self.notes.setFixedHeight(50)
        self.dates = {k: DateField(getattr(c, k)) for k in CASE_DATES}

        self.officers = QListWidget()
        self.officers.setMinimumHeight(120)
        self._fill_officers(c.officer_ids)
        self.officer_filter = QLineEdit()
        self.officer_filter.setPlaceholderText("筛选姓名…")
        self.officer_filter.textChanged.connect(self._filter_officers)
        self.acts = {a: QCheckBox(a) for a in ACTIVITIES}
        for a, cb in self.acts.items():
            cb.setChecked(a in c.activities)

        left = QFormLayout()
        left.addRow("案号*", self.case_no)
        left.addRow("案由*", self.cause)
        left.addRow("当事人", self.party)
        left.addRow("当事人类型", self.party_type)
        left.addRow("执法门类", self.domain)
        left.addRow("案件类别", self.category)
        left.addRow("适用程序", self.procedure)
        left.addRow("罚款金额", self.fine)
        left.addRow("没收金额", self.confiscation)
        left.addRow("", self.major)
        left.addRow("备注", self.notes)
        dates = QGroupBox("办案日期")
        grid = QGridLayout(dates)
        for i, (k, label) in enumerate(CASE_DATES.items()):
            grid.addWidget(QLabel(label), i // 2, (i % 2) * 2)
            grid.addWidget(self.dates[k], i // 2, (i % 2) * 2 + 1)
        self.deadlines = QLabel()
        self.deadlines.setWordWrap(True)
        self.deadlines.setStyleSheet("color:#1a5fb4;")
        grid.addWidget(self.deadlines, len(CASE_DATES) // 2 + 1, 0, 1, 4)
        for k in ("decided_on", "filed_on"):
            self.dates[k].edit.textChanged.connect(lambda _t: self._show_deadlines())
        self.major.toggled.connect(lambda _b: self._show_deadlines())
        self.category.currentIndexChanged.connect(lambda _i: self._show_deadlines())
        self.procedure.currentIndexChanged.connect(lambda _i: self._show_deadlines())
        og = QGroupBox("承办人员（至少两名持证执法人员）")
        ol = QVBoxLayout(og)
        ol.addWidget(self.officer_filter)
        ol.addWidget(self.officers)
        ag = QGroupBox("执法活动（全程音像记录台账据此核对）")
        al = QGridLayout(ag)
        for i, cb in enumerate(self.acts.values()):
            al.addWidget(cb, i // 3, i % 3)
        right = QVBoxLayout()
        right.addWidget(dates)
        right.addWidget(og, 1)
        right.addWidget(ag)
        left_col = (
            QVBoxLayout()
        )  # the fields packed at the top, not spread over the dialog's height
        left_col.addLayout(left)
        # 开始/结束 of the activities: the AV ledger checks full-process recording by time
        self.windows = WindowsBox(
            list(ACTIVITIES), windows_of(service.db, case.id) if case is not None else []
        )
        left_col.addWidget(self.windows)
        left_col.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(left_col, 1)
        top.addLayout(right, 1)
        self.errors = error_label()
        buttons = dialog_buttons(self, self.save, "保存")
        dialog_layout(self, top, self.errors, buttons)
        self._show_deadlines()
        self.widgets: dict[str, QWidget] = {
            "case_no": self.case_no,
            "cause": self.cause,
            "party": self.party,
            "party_type": self.party_type,
            "domain": self.domain,
            "category": self.category,
            "procedure": self.procedure,
            "fine_amount": self.fine,
            "confiscation_amount": self.confiscation,
            "notes": self.notes,
            "officer_ids": self.officers,
            **{k: f.edit for k, f in self.dates.items()},
        }

    def _show_deadlines(self) -> None:
        """The case's deadlines on the official calendar, as the clerk types the dates."""
        try:
            decided = self.dates["decided_on"].date()
            filed = self.dates["filed_on"].date()
        except ValueError:
            self.deadlines.clear()
            return
        parts = self.service.deadline_notes(
            decided,
            filed,
            major=self.major.isChecked(),
            category=self.category.currentText(),
            procedure=self.procedure.currentText(),
        )
        self.deadlines.setText("；".join(parts))

    def _fill_officers(self, officer_ids: list[int]) -> None:
        """The roster's officers to tick, the case's own first and ticked."""
        chosen = set(officer_ids)
        self.officers.clear()
        for o in sorted(self.service.officer_choices(), key=lambda o: o.id not in chosen):
            it = QListWidgetItem(o.name)
            it.setData(Qt.ItemDataRole.UserRole, o.id)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if o.id in chosen else Qt.CheckState.Unchecked)
            self.officers.addItem(it)

    def load(self, c: CaseView) -> None:
        """Show ``c`` (the case as saved now, with its time windows) in every field; saves compare
        with its version."""
        self.version = c.version
        self.case_no.setText(c.case_no)
        self.cause.setText(c.cause)
        self.party.setText(c.party)
        self.party_type.setCurrentText(c.party_type)
        self.domain.setCurrentText(c.domain)
        self.category.setCurrentText(c.category)
        self.procedure.setCurrentText(c.procedure)
        self.fine.setText("" if c.fine_amount is None else f"{c.fine_amount:f}")
        self.confiscation.setText(
            "" if c.confiscation_amount is None else f"{c.confiscation_amount:f}"
        )
        self.major.setChecked(c.is_major)
        self.notes.setPlainText(c.notes)
        for k, f in self.dates.items():
            f.set_date(getattr(c, k))
        self._fill_officers(c.officer_ids)
        self._filter_officers(self.officer_filter.text())
        for a, cb in self.acts.items():
            cb.setChecked(a in c.activities)
        self.windows.table.setRowCount(0)
        for w in windows_of(self.service.db, c.id):
            self.windows.add_row(w)
        self.show_errors({})
        self._show_deadlines()

    def reload_latest(self) -> None:
        if self.case_id is None:
            return
        try:
            self.load(self.service.get(self.case_id))
        except UserError as exc:  # deleted meanwhile
            self.show_errors({"_": exc.message})

    def _filter_officers(self, text: str) -> None:
        for i in range(self.officers.count()):
            it = self.officers.item(i)
            it.setHidden(bool(text.strip()) and text.strip() not in it.text())

    def _amount(self, w: QLineEdit, key: str, errs: dict[str, str]) -> Decimal | None:
        s = w.text().strip().replace(",", "").replace("，", "").replace("元", "")
        if not s:
            return None
        try:
            return Decimal(s).quantize(Decimal("0.01"))
        except InvalidOperation:
            errs[key] = f"{CASE_LABELS[key]}「{w.text()}」不是数字"
            return None

    def collect(self) -> CaseInput:
        errs: dict[str, str] = {}
        d = CaseInput(
            case_no=self.case_no.text(),
            cause=self.cause.text(),
            party=self.party.text(),
            party_type=self.party_type.currentText(),
            domain=self.domain.currentText().strip(),
            category=self.category.currentText(),
            procedure=self.procedure.currentText(),
            is_major=self.major.isChecked(),
            notes=self.notes.toPlainText().strip(),
        )
        for k, f in self.dates.items():
            try:
                setattr(d, k, f.date())
            except ValueError as exc:
                errs[k] = f"{CASE_DATES[k]}：{exc}"
        d.fine_amount = self._amount(self.fine, "fine_amount", errs)
        d.confiscation_amount = self._amount(self.confiscation, "confiscation_amount", errs)
        d.activities = [a for a, cb in self.acts.items() if cb.isChecked()]
        d.officer_ids = [
            self.officers.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.officers.count())
            if self.officers.item(i).checkState() == Qt.CheckState.Checked
        ]
        if errs:
            raise ValidationError(errs)
        return d

    def show_errors(self, fields: dict[str, str]) -> None:
        for k, w in self.widgets.items():
            mark(w, k in fields, fields.get(k, ""))
        self.errors.setText("\n".join(fields.values()))
        self.errors.setVisible(bool(fields))

    def save(self) -> None:
        try:
            data = self.collect()
            windows = self.windows.collect()
            self.result_id = self.service.save(
                data, self.case_id, today=dt.date.today(), windows=windows, version=self.version
            )
        except ValidationError as exc:
            self.show_errors(exc.fields)
            return
        except ConflictError as exc:
            offer_reload(self, exc, self.reload_latest)
            return
        except UserError as exc:
            self.show_errors({"_": exc.message})
            return
        self.accept()
