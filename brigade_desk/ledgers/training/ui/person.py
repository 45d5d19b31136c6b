"""个人台账: one person's sessions of the year, hours by category, progress, exams and rotation."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.ledgers.training.hours import fmt_hours
from brigade_desk.ledgers.training.service import LedgerLine, category_label, category_names
from brigade_desk.ledgers.training.ui.common import TrainingHost, TrainingTab, make_table
from brigade_desk.ui.widgets.table import MUTED, PROBLEM, Column, save_header

HEADER_KEY = "training_person"


class PersonTab(TrainingTab):
    def __init__(self, page: TrainingHost) -> None:
        super().__init__(page)
        self._pending: int | None = None  # the person to choose when the tab loads
        self.staff = QComboBox()
        self.staff.setMinimumWidth(220)
        self.staff.setEditable(True)
        self.staff.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setFormat("业务学时 %p%")
        self.info = QLabel()
        self.info.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("人员"))
        bar.addWidget(self.staff)
        bar.addWidget(self.bar, 1)
        cols: list[Column[LedgerLine]] = [
            Column("开始日期", lambda r: r.start_date, 90),
            Column("结束日期", lambda r: r.end_date, 90),
            Column("培训名称", lambda r: r.title, 300),
            Column("形式", lambda r: r.form, 90),
            Column("类别", lambda r: category_label(r.category), 120),
            Column("本次学时", lambda r: r.session_hours, 60, True),
            Column("出勤", lambda r: "出勤" if r.attended else "缺勤", 50),
            Column("实得学时", lambda r: r.credited, 60, True),
            Column("考试成绩", lambda r: r.exam_score, 60, True),
            Column(
                "考试结果",
                lambda r: (
                    None if r.exam_passed is None else ("合格" if r.exam_passed else "不合格")
                ),
                60,
            ),
            Column("缺勤原因", lambda r: r.absence_reason, 120),
        ]
        self.model, self.proxy, self.view = make_table(self, cols, HEADER_KEY, self.ctx)
        self.model.row_color = lambda r: (
            MUTED if not r.attended else (PROBLEM if r.exam_passed is False else None)
        )
        self.staff.currentIndexChanged.connect(lambda _i: self.load_person())
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.info)
        lay.addWidget(self.view, 1)

    def reload(self) -> None:
        """The people of the year (read in the background), then the one chosen."""
        svc, year, as_of = self.service, self.page.current_year(), self.page.as_of()

        def done(people: list[Any]) -> None:
            keep = self._pending if self._pending is not None else self.staff.currentData()
            self._pending = None
            self.staff.blockSignals(True)
            self.staff.clear()
            for p in people:
                self.staff.addItem(f"{p.name}（{p.squad or '未分中队'}）", p.staff_id)
            self.staff.setCurrentIndex(max(0, self.staff.findData(keep)) if keep else 0)
            self.staff.blockSignals(False)
            self.load_person()

        self.page.run(lambda _p: svc.ledger_people(year, as_of), done, "正在读取人员…")

    def choose(self, staff_id: int) -> None:
        """Show ``staff_id``: at once when the people are read, else when the tab loads."""
        if self.loaded:
            i = self.staff.findData(staff_id)
            if i >= 0:
                self.staff.setCurrentIndex(i)
        else:
            self._pending = staff_id

    def load_person(self) -> None:
        sid = self.staff.currentData()
        if sid is None:
            self.model.set_rows([])
            self.info.setText("")
            return
        year = self.page.current_year()
        led = self.service.person_ledger(int(sid), year)
        p = led.person
        self.model.set_rows(led.lines)
        self.bar.setValue(int(round(p.progress * 100)))
        self.bar.setEnabled(p.counted)
        cats = "，".join(
            f"{category_label(c)} {fmt_hours(p.by_category.get(c, 0.0))}" for c in category_names()
        )
        state = (
            (
                f"业务学时 {fmt_hours(p.professional)} / {fmt_hours(p.required)}，"
                + ("已完成" if p.missing <= 0 else f"还差 {fmt_hours(p.missing)} 学时")
            )
            if p.counted
            else "不计入 60 学时考核（执法辅助人员或不在岗）"
        )
        rot = self.service.rotation_status(int(sid), self.page.as_of()).text
        self.info.setText(
            f"<b>{p.name}</b>（{p.squad}，{p.category}，{p.status}） {led.year} 年：{cats}；"
            f"总学时 {fmt_hours(p.total)}。{state}。参训 {p.sessions} 次，缺勤 {p.absences} 次，"
            f"考试 {p.exams_taken} 次，合格 {p.exams_passed} 次。" + (f"{rot}。" if rot else "")
        )

    def filter_field(self) -> QWidget | None:
        return self.staff

    def save_state(self) -> None:
        save_header(self.view, self.ctx.qsettings, HEADER_KEY)
