"""Scoring one case file on screen, item by item, with remarks and veto items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core import settings
from brigade_desk.core.conflict import ConflictError
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.ledgers.cases import settings as cs
from brigade_desk.ledgers.cases.checklists import Item, Template
from brigade_desk.ledgers.cases.review import (
    ItemScore,
    ReviewService,
    ReviewView,
    ScoreInput,
    grade_for,
)
from brigade_desk.ui.conflict import offer_reload
from brigade_desk.ui.widgets.forms import (
    DateField,
    dialog_buttons,
    error_label,
    mark,
    text_box,
)
from brigade_desk.ui.widgets.screen import error_area, fit_to_screen

GRADE_COLOR = {"优秀": "#1b7f3b", "合格": "#1a5fb4", "不合格": "#c01c28"}


class ScoreDialog(QDialog):
    def __init__(
        self,
        service: ReviewService,
        case_no: str,
        year: int,
        title: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.case_no = case_no
        self.year = year
        existing: ReviewView | None = service.review(case_no, year)
        # as opened (core.conflict); 0: not scored yet, so a review there at saving is another's
        self.version = existing.version if existing else 0
        self.template: Template = existing.template if existing else service.template()
        self.setWindowTitle(f"案卷评查 — {case_no}")
        fit_to_screen(self, 1100, 760)
        grades = settings.read_many(service.db, (cs.GRADE_EXCELLENT, cs.GRADE_PASS))
        self.excellent = Decimal(str(grades[cs.GRADE_EXCELLENT.key]))
        self.passing = Decimal(str(grades[cs.GRADE_PASS.key]))
        head = QLabel(
            f"<b>{case_no}</b>　{title}<br/>评查表：{self.template.label}　评查年度：{year}"
        )
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(
            ["编号", "评查内容", "扣分标准", "分值", "得分", "扣分说明"]
        )
        self.table.verticalHeader().hide()
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        for i, w in enumerate((50, 300, 300, 50, 80)):
            self.table.setColumnWidth(i, w)
        self.spins: dict[str, QDoubleSpinBox] = {}
        self.remarks: dict[str, QLineEdit] = {}
        for _code, stitle, items in self.template.sections:
            r = self.table.rowCount()
            self.table.insertRow(r)
            sec = QTableWidgetItem(stitle)
            sec.setBackground(Qt.GlobalColor.lightGray)
            sec.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(r, 0, sec)
            self.table.setSpan(r, 0, 1, 6)
            for it in items:
                self._item_row(it)
        self.table.resizeRowsToContents()
        self.vetoes: dict[str, tuple[QCheckBox, QLineEdit]] = {}
        vg = QGroupBox("否决项（存在任何一项，案卷评为不合格）")
        vl = QGridLayout(vg)
        for i, v in enumerate(self.template.veto):
            cb = QCheckBox(f"{v.code} {v.title}")
            note = QLineEdit()
            note.setPlaceholderText("情况说明")
            cb.toggled.connect(lambda _b: self._update_total())
            vl.addWidget(cb, i // 2, (i % 2) * 2)
            vl.addWidget(note, i // 2, (i % 2) * 2 + 1)
            self.vetoes[v.code] = (cb, note)
        self.reviewer = QLineEdit()
        self.reviewed_on = DateField(dt.date.today())
        self.overall = text_box("")
        self.overall.setFixedHeight(50)
        self.total = QLabel()
        self.total.setStyleSheet("font-size: 14pt; font-weight: bold;")
        form = QFormLayout()
        form.addRow("评查人*", self.reviewer)
        form.addRow("评查日期", self.reviewed_on)
        form.addRow("评查意见", self.overall)
        bottom = QHBoxLayout()
        bottom.addLayout(form, 2)
        bottom.addWidget(self.total, 1)
        self.errors = error_label()
        buttons = dialog_buttons(self, self.save, "保存评查结果")
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(self.table, 1)
        lay.addWidget(vg)
        lay.addLayout(bottom)
        lay.addWidget(error_area(self.errors))
        lay.addWidget(buttons)
        self.result_id: int | None = None
        self.load(existing)

    def load(self, r: ReviewView | None) -> None:
        """Show the review ``r`` (None: not scored yet: full points, today); saves compare with
        its version. Items are matched by code (the sheet keeps the template it was opened on)."""
        self.version = r.version if r else 0
        for code, spin in self.spins.items():
            prev = r.items.get(code) if r else None
            item = self.template.item(code)
            full = float(item.points) if isinstance(item, Item) else spin.maximum()
            spin.setValue(float(prev.score) if prev and prev.score is not None else full)
            self.remarks[code].setText(prev.remark if prev else "")
            mark(self.remarks[code], False)
        for code, (cb, note) in self.vetoes.items():
            cb.setChecked(r is not None and code in r.vetoes)
            note.setText(r.vetoes.get(code, "") if r else "")
        self.reviewer.setText(r.reviewer if r else "")
        self.reviewed_on.set_date(r.reviewed_on if r else dt.date.today())
        self.overall.setPlainText(r.remarks if r else "")
        mark(self.reviewer, False)
        mark(self.reviewed_on.edit, False)
        self.errors.hide()
        self._update_total()

    def reload_latest(self) -> None:
        try:
            self.load(self.service.review(self.case_no, self.year))
        except UserError as exc:  # the case itself was deleted meanwhile
            self.errors.setText(exc.message)
            self.errors.show()

    def _item_row(self, it: Item) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        for col, text in (
            (0, it.code),
            (1, it.title),
            (2, "；".join(it.deductions)),
            (3, f"{it.points:g}"),
        ):
            cell = QTableWidgetItem(text)
            cell.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            cell.setToolTip(text)
            self.table.setItem(r, col, cell)
        spin = QDoubleSpinBox()  # the wheel changes it only when focused (widgets.wheel)
        spin.setDecimals(1)
        spin.setSingleStep(0.5)
        spin.setRange(0, float(it.points))
        spin.setValue(float(it.points))
        spin.valueChanged.connect(lambda _v: self._update_total())
        remark = QLineEdit()
        remark.setPlaceholderText("扣分时写明理由")
        self.table.setCellWidget(r, 4, spin)
        self.table.setCellWidget(r, 5, remark)
        self.spins[it.code] = spin
        self.remarks[it.code] = remark

    def score_input(self) -> ScoreInput:
        items = {
            code: ItemScore(Decimal(str(spin.value())), self.remarks[code].text())
            for code, spin in self.spins.items()
        }
        vetoes = {code: note.text() for code, (cb, note) in self.vetoes.items() if cb.isChecked()}
        try:
            when = self.reviewed_on.date()
        except ValueError as exc:
            raise ValidationError({"reviewed_on": f"评查日期：{exc}"}) from None
        return ScoreInput(
            items=items,
            vetoes=vetoes,
            reviewer=self.reviewer.text(),
            reviewed_on=when,
            remarks=self.overall.toPlainText().strip(),
        )

    def _update_total(self) -> None:
        total = sum((Decimal(str(s.value())) for s in self.spins.values()), Decimal(0))
        vetoed = any(cb.isChecked() for cb, _ in self.vetoes.values())
        grade = grade_for(total, vetoed, self.excellent, self.passing)
        why = "（有否决项）" if vetoed else ""
        self.total.setText(
            f"得分 {total.normalize():f} / {self.template.total.normalize():f}<br/>"
            f"<span style='color:{GRADE_COLOR[grade]}'>{grade}{why}</span>"
        )

    def save(self) -> None:
        try:
            self.result_id = self.service.save_review(
                self.case_no, self.year, self.score_input(), expected_version=self.version
            )
        except ValidationError as exc:
            for code, w in self.remarks.items():
                mark(w, code in exc.fields, exc.fields.get(code, ""))
            mark(self.reviewer, "reviewer" in exc.fields, exc.fields.get("reviewer", ""))
            mark(
                self.reviewed_on.edit,
                "reviewed_on" in exc.fields,
                exc.fields.get("reviewed_on", ""),
            )
            self.errors.setText("\n".join(exc.fields.values()))
            self.errors.show()
            return
        except ConflictError as exc:
            offer_reload(self, exc, self.reload_latest)
            return
        except UserError as exc:
            self.errors.setText(exc.message)
            self.errors.show()
            return
        self.accept()
