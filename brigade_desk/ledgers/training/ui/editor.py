"""The session editor: the session's facts and its attendance, ticked from the roster.

Entering a 40-person session takes seconds: pick the squad (or all), press 全选在岗, untick the few
who were away (write the reason to record the absence), type scores if there was an exam, save.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.conflict import ConflictError
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.ledgers.training.service import (
    SESSION_LABELS,
    AttendanceInput,
    AttendanceView,
    RosterPick,
    SessionInput,
    SessionView,
    TrainingService,
    category_label,
    category_names,
    validate_session,
)
from brigade_desk.ui.conflict import offer_reload
from brigade_desk.ui.widgets.forms import DateField, dialog_buttons, error_label, mark, text_box
from brigade_desk.ui.widgets.screen import error_area, fit_to_screen
from brigade_desk.ui.widgets.table import PROBLEM

ALL = "（全部中队）"
C_TICK, C_NAME, C_SQUAD, C_CAT, C_STATUS, C_HOURS, C_SCORE, C_REASON = range(8)


class SessionDialog(QDialog):
    def __init__(
        self,
        service: TrainingService,
        session: SessionView | None,
        parent: QWidget | None = None,
        *,
        default_date: dt.date | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.session_id = session.id if session else None
        self.version = session.version if session else None  # as opened (core.conflict)
        self.setWindowTitle("编辑培训记录" if session else "新增培训记录")
        fit_to_screen(self, 980, 720)
        v = session or SessionView(
            start_date=default_date or dt.date.today(), pass_score=service.pass_score()
        )

        self.start = DateField(v.start_date)
        self.end = DateField(v.end_date if v.end_date != v.start_date else None)
        self.end.edit.setPlaceholderText("一天的培训可不填")
        self.title_edit = QLineEdit(v.title)
        self.title_edit.setPlaceholderText("例如：《行政处罚法》专题法治讲堂")
        self.form = QComboBox()
        self.form.setEditable(True)
        self.form.addItems(service.forms())
        self.form.setCurrentText(v.form)
        self.category = QComboBox()
        for c in category_names():
            self.category.addItem(category_label(c), c)
        self.category.setCurrentIndex(max(0, self.category.findData(v.category)))
        self.hours = QDoubleSpinBox()
        self.hours.setRange(0, 400)
        self.hours.setDecimals(1)
        self.hours.setSingleStep(0.5)
        self.hours.setSuffix(" 学时")
        self.hours.setValue(v.hours or 0)
        self.organiser = QLineEdit(v.organiser)
        self.place = QLineEdit(v.place)
        self.monthly = QCheckBox("每月全员集中学法")
        self.monthly.setChecked(v.is_monthly_study)
        self.rotation = QCheckBox("计入全员轮训")
        self.rotation.setChecked(v.is_rotation)
        self.exam = QCheckBox("有考试")
        self.exam.setChecked(v.has_exam)
        self.pass_score = QDoubleSpinBox()
        self.pass_score.setRange(0, 100)
        self.pass_score.setDecimals(1)
        self.pass_score.setValue(v.pass_score)
        self.pass_score.setPrefix("合格线 ")
        self.notes = QLineEdit(v.notes)

        facts = QGroupBox("培训信息")
        g = QGridLayout(facts)
        g.addWidget(QLabel("培训名称"), 0, 0)
        g.addWidget(self.title_edit, 0, 1, 1, 5)
        g.addWidget(QLabel("开始日期"), 1, 0)
        g.addWidget(self.start, 1, 1)
        g.addWidget(QLabel("结束日期"), 1, 2)
        g.addWidget(self.end, 1, 3)
        g.addWidget(QLabel("学时"), 1, 4)
        g.addWidget(self.hours, 1, 5)
        g.addWidget(QLabel("培训形式"), 2, 0)
        g.addWidget(self.form, 2, 1)
        g.addWidget(QLabel("培训类别"), 2, 2)
        g.addWidget(self.category, 2, 3)
        g.addWidget(QLabel("组织单位"), 2, 4)
        g.addWidget(self.organiser, 2, 5)
        g.addWidget(QLabel("培训地点"), 3, 0)
        g.addWidget(self.place, 3, 1)
        flags = QHBoxLayout()
        for w in (self.monthly, self.rotation, self.exam, self.pass_score):
            flags.addWidget(w)
        flags.addStretch(1)
        g.addLayout(flags, 3, 2, 1, 4)
        g.addWidget(QLabel("备注"), 4, 0)
        g.addWidget(self.notes, 4, 1, 1, 5)

        # --- attendance
        existing = {a.staff_id: a for a in (session.attendance if session else [])}
        self.people: list[RosterPick] = service.roster(include_ids=list(existing))
        self.squad = QComboBox()
        self.squad.addItems([ALL, *sorted({p.squad for p in self.people if p.squad})])
        self.search = QLineEdit()
        self.search.setPlaceholderText("按姓名查找")
        self.search.setClearButtonEnabled(True)
        self.select_on_duty = QPushButton("全选在岗")
        self.select_on_duty.setToolTip("勾选当前列表中所有在岗人员")
        self.select_none = QPushButton("全不选")
        self.count = QLabel()
        self.table = QTableWidget(0, 8)
        self.table.setHorizontalHeaderLabels(
            [
                "参加",
                "姓名",
                "中队",
                "人员类别",
                "状态",
                "实得学时（空=全额）",
                "考试成绩",
                "缺勤原因",
            ]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in (
            (C_TICK, 46),
            (C_NAME, 80),
            (C_SQUAD, 100),
            (C_CAT, 100),
            (C_STATUS, 50),
            (C_HOURS, 130),
            (C_SCORE, 70),
        ):
            self.table.setColumnWidth(col, width)
        self._fill_attendance(existing)
        self.table.itemChanged.connect(lambda _it: self._update_count())
        att = QGroupBox("参训人员（从花名册勾选；未参加但需登记缺勤的，不勾选并填写缺勤原因）")
        al = QVBoxLayout(att)
        tb = QHBoxLayout()
        tb.addWidget(QLabel("中队"))
        tb.addWidget(self.squad)
        tb.addWidget(self.search)
        tb.addWidget(self.select_on_duty)
        tb.addWidget(self.select_none)
        tb.addStretch(1)
        tb.addWidget(self.count)
        al.addLayout(tb)
        al.addWidget(self.table)

        self.errors = error_label()
        buttons = dialog_buttons(self, self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(facts)
        lay.addWidget(att, 1)
        lay.addWidget(error_area(self.errors))
        lay.addWidget(buttons)

        self.squad.currentIndexChanged.connect(lambda _i: self._filter())
        self.search.textChanged.connect(lambda _t: self._filter())
        self.select_on_duty.clicked.connect(self.tick_visible_on_duty)
        self.select_none.clicked.connect(lambda: self._tick_visible(False))
        self._update_count()
        self.title_edit.setFocus()

    def _fill_attendance(self, existing: dict[int, AttendanceView]) -> None:
        """One row per person of ``self.people``, ticked and filled from ``existing``."""
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        self.table.setRowCount(len(self.people))
        for r, p in enumerate(self.people):
            a = existing.get(p.id)
            tick = QTableWidgetItem()
            tick.setFlags(
                Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
            )
            tick.setCheckState(
                Qt.CheckState.Checked if a and a.attended else Qt.CheckState.Unchecked
            )
            tick.setData(Qt.ItemDataRole.UserRole, p.id)
            self.table.setItem(r, C_TICK, tick)
            for col, text in (
                (C_NAME, p.name),
                (C_SQUAD, p.squad),
                (C_CAT, p.category),
                (C_STATUS, p.status),
            ):
                it = QTableWidgetItem(text)
                it.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(r, col, it)
            self.table.setItem(
                r, C_HOURS, QTableWidgetItem("" if not a or a.hours is None else f"{a.hours:g}")
            )
            self.table.setItem(
                r,
                C_SCORE,
                QTableWidgetItem("" if not a or a.exam_score is None else f"{a.exam_score:g}"),
            )
            self.table.setItem(
                r, C_REASON, QTableWidgetItem(a.absence_reason if a and not a.attended else "")
            )
        self.table.blockSignals(False)

    def load(self, v: SessionView) -> None:
        """Show ``v`` (the session as saved now, with its attendance); saves compare with its
        version."""
        self.version = v.version
        self.start.set_date(v.start_date)
        self.end.set_date(v.end_date if v.end_date != v.start_date else None)
        self.title_edit.setText(v.title)
        self.form.setCurrentText(v.form)
        self.category.setCurrentIndex(max(0, self.category.findData(v.category)))
        self.hours.setValue(v.hours or 0)
        self.organiser.setText(v.organiser)
        self.place.setText(v.place)
        self.monthly.setChecked(v.is_monthly_study)
        self.rotation.setChecked(v.is_rotation)
        self.exam.setChecked(v.has_exam)
        self.pass_score.setValue(v.pass_score)
        self.notes.setText(v.notes)
        existing = {a.staff_id: a for a in v.attendance}
        self.people = self.service.roster(include_ids=list(existing))
        self._fill_attendance(existing)
        self._filter()
        self._update_count()
        self.errors.hide()

    def reload_latest(self) -> None:
        if self.session_id is None:
            return
        try:
            self.load(self.service.get_session(self.session_id))
        except UserError as exc:  # deleted meanwhile
            self.errors.setText(str(exc))
            self.errors.show()

    # ---- attendance list --------------------------------------------------------------------
    def _filter(self) -> None:
        squad = self.squad.currentText()
        text = self.search.text().strip()
        for r, p in enumerate(self.people):
            hide = (squad != ALL and p.squad != squad) or (bool(text) and text not in p.name)
            self.table.setRowHidden(r, hide)

    def _cell(self, row: int, column: int) -> QTableWidgetItem:
        it = self.table.item(row, column)
        if it is None:  # every cell of the attendance table is filled when the dialog is built
            raise LookupError(f"attendance cell ({row}, {column}) is empty")
        return it

    def _tick_visible(self, on: bool, *, on_duty_only: bool = False) -> None:
        self.table.blockSignals(True)
        for r, p in enumerate(self.people):
            if self.table.isRowHidden(r) or (on_duty_only and p.status != "在岗"):
                continue
            self._cell(r, C_TICK).setCheckState(
                Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
            )
        self.table.blockSignals(False)
        self._update_count()

    def tick_visible_on_duty(self) -> None:
        self._tick_visible(True, on_duty_only=True)

    def ticked_ids(self) -> list[int]:
        return [
            p.id
            for r, p in enumerate(self.people)
            if self._cell(r, C_TICK).checkState() == Qt.CheckState.Checked
        ]

    def set_ticked(self, staff_id: int, on: bool) -> None:
        r = next(i for i, p in enumerate(self.people) if p.id == staff_id)
        self._cell(r, C_TICK).setCheckState(
            Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        )

    def set_cell(self, staff_id: int, column: int, text: str) -> None:
        r = next(i for i, p in enumerate(self.people) if p.id == staff_id)
        self._cell(r, column).setText(text)

    def _update_count(self) -> None:
        n = len(self.ticked_ids())
        self.count.setText(f"已选 {n} 人")

    # ---- saving -----------------------------------------------------------------------------
    def _collect(self) -> tuple[SessionInput, list[AttendanceInput], dict[str, str]]:
        errs: dict[str, str] = {}
        try:
            start = self.start.date()
        except ValueError as exc:
            start, errs["start_date"] = None, f"开始日期：{exc}"
        try:
            end = self.end.date()
        except ValueError as exc:
            end, errs["end_date"] = None, f"结束日期：{exc}"
        data = SessionInput(
            start_date=start,
            end_date=end,
            title=self.title_edit.text(),
            form=self.form.currentText(),
            category=str(self.category.currentData()),
            hours=float(self.hours.value()),
            organiser=self.organiser.text(),
            place=self.place.text(),
            is_monthly_study=self.monthly.isChecked(),
            is_rotation=self.rotation.isChecked(),
            has_exam=self.exam.isChecked(),
            pass_score=float(self.pass_score.value()),
            notes=self.notes.text(),
        )
        rows: list[AttendanceInput] = []
        bad: list[str] = []
        self.bad_cells: list[tuple[int, int]] = []  # coloured, rather than the whole table
        for r, p in enumerate(self.people):
            ticked = self._cell(r, C_TICK).checkState() == Qt.CheckState.Checked
            reason = self._cell(r, C_REASON).text().strip()
            if not ticked and not reason:
                continue
            hours = score = None
            for col, label in ((C_HOURS, "实得学时"), (C_SCORE, "考试成绩")):
                raw = self._cell(r, col).text().strip()
                if not raw or not ticked:
                    continue
                try:
                    val = float(raw)
                except ValueError:
                    bad.append(f"{p.name} 的{label}“{raw}”不是数字")
                    self.bad_cells.append((r, col))
                    continue
                if col == C_HOURS:
                    hours = val
                else:
                    score = val
            rows.append(
                AttendanceInput(
                    staff_id=p.id,
                    attended=ticked,
                    hours=hours,
                    exam_score=score,
                    absence_reason="" if ticked else reason,
                )
            )
        if bad:
            errs["attendance"] = "参训人员：" + "；".join(bad)
        return data, rows, errs

    def save(self) -> None:
        data, rows, errs = self._collect()
        fields_widgets = {
            "start_date": self.start,
            "end_date": self.end,
            "title": self.title_edit,
            "form": self.form,
            "category": self.category,
            "hours": self.hours,
            "pass_score": self.pass_score,
            "attendance": self.table,
        }
        for w in fields_widgets.values():
            if w is not self.table:
                mark(w, False)
        for r in range(self.table.rowCount()):  # only the cells that could not be read turn red
            for c in (C_HOURS, C_SCORE):
                it = self._cell(r, c)
                it.setBackground(PROBLEM if (r, c) in self.bad_cells else QBrush())
        if self.bad_cells:
            self.table.scrollToItem(self._cell(*self.bad_cells[0]))
        if not errs:
            try:
                self.session_id = self.service.save_session(
                    data, rows, self.session_id, version=self.version
                )
            except ValidationError as exc:
                errs = dict(exc.fields)
            except ConflictError as exc:
                offer_reload(self, exc, self.reload_latest)
                return
            except UserError as exc:
                errs = {"": str(exc)}
        else:  # a date or a number the dialog could not read: name the other problems at once too
            errs = {**validate_session(replace(data)), **errs}  # the dialog's own message wins
        if errs:
            msgs = {
                k: m if "：" in m else f"{SESSION_LABELS.get(k, k)}：{m}" for k, m in errs.items()
            }
            for k in errs:
                if k in fields_widgets and fields_widgets[k] is not self.table:
                    mark(fields_widgets[k], True, msgs[k])
            self.errors.setText("\n".join(msgs.values()))
            self.errors.show()
            return
        self.accept()


class FormsDialog(QDialog):
    """Edit the list of training forms (one per line); stored as a setting."""

    def __init__(self, service: TrainingService, parent: QWidget | None = None) -> None:

        super().__init__(parent)
        self.service = service
        self.setWindowTitle("培训形式列表")
        self.edit = text_box("\n".join(service.forms()))
        self.errors = error_label()
        buttons = dialog_buttons(self, self.save)
        lay = QFormLayout(self)
        lay.addRow(QLabel("每行一种培训形式，新增培训时可从中选择："))
        lay.addRow(self.edit)
        lay.addRow(error_area(self.errors))
        lay.addRow(buttons)
        fit_to_screen(self)

    def save(self) -> None:
        try:
            self.service.set_forms(self.edit.toPlainText().splitlines())
        except ValidationError as exc:
            self.errors.setText(str(exc))
            self.errors.show()
            return
        self.accept()
