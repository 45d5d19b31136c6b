"""节假日安排: the clerk enters the State Council schedule for a year the calendar library lacks."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.changes import Changes
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.core.workdays import (
    entered_year,
    library_knows,
    parse_schedule_text,
    remove_schedule,
    store_schedule,
)
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.forms import error_label, mark, text_box


class CalendarTab(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(dt.date.today().year + 1)
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.source = QLineEdit()
        self.source.setPlaceholderText(
            "如：国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕x号）"
        )
        self.holidays = text_box()
        self.holidays.setPlaceholderText(
            "每行一段，例如：\n2027-01-01~2027-01-03 元旦\n2027-02-06~2027-02-12 春节"
        )
        self.workdays = text_box()
        self.workdays.setPlaceholderText("调休上班的周末，每行一天，例如：\n2027-02-14 春节调休")
        self.save_btn = QPushButton("保存该年安排")
        self.del_btn = QPushButton("删除录入的安排")
        self.errors = error_label()
        form = QFormLayout()
        form.addRow("年度", self.year)
        form.addRow("依据", self.source)
        form.addRow("放假日期", self.holidays)
        form.addRow("调休上班日期", self.workdays)
        btns = QHBoxLayout()
        btns.addStretch(1)
        btns.addWidget(self.del_btn)
        btns.addWidget(self.save_btn)
        lay = QVBoxLayout(self)
        intro = QLabel(
            "备案（5 个工作日）、公示（20 个工作日）等期限按国务院节假日安排（含调休）计算。"
            "日历库已收录的年份无需录入；尚未收录的年份请在国务院公布安排后在此录入，"
            "录入前涉及该年的期限只能按普通周末估算，问题清单会注明。"
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        lay.addWidget(self.state)
        lay.addLayout(form)
        lay.addWidget(self.errors)
        lay.addLayout(btns)
        lay.addStretch(1)
        self.year.valueChanged.connect(lambda _v: self.reload())
        self.save_btn.clicked.connect(self.save)
        self.del_btn.clicked.connect(self.delete)

    def reload(self) -> None:
        y = self.year.value()
        sched, source = entered_year(self.ctx.db, y)
        self.source.setText(source)
        self.holidays.clear()
        self.workdays.clear()
        self.del_btn.setEnabled(sched is not None)
        if sched is not None:
            self.holidays.setPlainText(
                "\n".join(f"{d:%Y-%m-%d} {n}".strip() for d, n in sorted(sched.holidays.items()))
            )
            self.workdays.setPlainText(
                "\n".join(f"{d:%Y-%m-%d} {n}".strip() for d, n in sorted(sched.workdays.items()))
            )
            self.state.setText(
                f"<b>{y} 年：使用已录入的安排</b>（放假 {len(sched.holidays)} 天，调休上班 {len(sched.workdays)} 天）"
            )
        elif library_knows(y):
            self.state.setText(
                f"<b>{y} 年：日历库已收录国务院安排</b>，无需录入（录入后以录入为准）。"
            )
        else:
            self.state.setText(
                f"<b style='color:#c01c28'>{y} 年：尚未录入</b>，涉及该年的期限暂按普通周末估算。"
            )

    def save(self) -> None:
        try:
            data = parse_schedule_text(
                self.year.value(), self.holidays.toPlainText(), self.workdays.toPlainText()
            )
            data.source = self.source.text()
            store_schedule(self.ctx.db, data)
        except ValidationError as exc:
            mark(self.holidays, "holidays" in exc.fields)
            mark(self.workdays, "workdays" in exc.fields)
            self.errors.setText("\n".join(exc.fields.values()))
            self.errors.show()
            return
        mark(self.holidays, False)
        mark(self.workdays, False)
        self.errors.hide()
        self.ctx.changed(Changes.CASES)
        self.ctx.say(f"已保存 {self.year.value()} 年节假日安排")
        self.reload()

    def delete(self) -> None:
        try:
            remove_schedule(self.ctx.db, self.year.value())
        except UserError as exc:
            self.errors.setText(exc.message)
            self.errors.show()
            return
        self.ctx.changed(Changes.CASES)
        self.reload()
