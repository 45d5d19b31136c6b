"""培训台账 page: the year and its headline over five tabs, each a class of its own module — sessions
(sessions.py), the brigade's hours (hours.py), one person's ledger (person.py), exam results
(exams.py) and the annual plan (plan.py).

Opening the page builds and loads only what the clerk sees: the headline and the sessions table
(a lazy SQL model). Every other tab is built the first time it is shown and reads its data then, and
again after the year or the data changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from brigade_desk.core.changes import Changes
from brigade_desk.ledgers.training.hours import fmt_hours
from brigade_desk.ledgers.training.queries import YearOverview
from brigade_desk.ledgers.training.service import TrainingService
from brigade_desk.ledgers.training.ui.common import TrainingTab
from brigade_desk.ledgers.training.ui.exams import ExamsTab
from brigade_desk.ledgers.training.ui.hours import HoursTab
from brigade_desk.ledgers.training.ui.person import PersonTab
from brigade_desk.ledgers.training.ui.plan import PlanTab
from brigade_desk.ledgers.training.ui.sessions import SessionsTab
from brigade_desk.ui.context import AppContext

TAB_SESSIONS, TAB_BRIGADE, TAB_PERSON, TAB_EXAMS, TAB_PLAN = range(5)

# (the page's attribute, title, class) of each tab in order
TABS: list[tuple[str, str, type[TrainingTab]]] = [
    ("sessions", "培训记录", SessionsTab),
    ("hours", "学时统计", HoursTab),
    ("person", "个人台账", PersonTab),
    ("exams", "考试成绩", ExamsTab),
    ("plan", "年度计划", PlanTab),
]


class TrainingPage(QWidget):
    # the tabs, each set when it is first shown (a tab never shown has none)
    sessions: SessionsTab
    hours: HoursTab
    person: PersonTab
    exams: ExamsTab
    plan: PlanTab

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.service = TrainingService(ctx.db)
        self._stale = True  # nothing loaded yet, or the data changed while the page was hidden
        self._gen = 0  # bumped by every reload: results of older background loads are dropped
        self.year = QComboBox()
        self.year.setMinimumWidth(90)
        top = QHBoxLayout()
        top.addWidget(QLabel("年度"))
        top.addWidget(self.year)
        self.summary = QLabel()
        top.addWidget(self.summary, 1)
        self.tabs = QTabWidget()
        for _attr, title, _cls in TABS:  # an empty host until the tab is first shown
            host = QWidget()
            QVBoxLayout(host).setContentsMargins(0, 0, 0, 0)
            self.tabs.addTab(host, title)
        self.tab(TAB_SESSIONS)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.year.currentIndexChanged.connect(lambda _i: self.reload(keep_years=True))
        ctx.events.data_changed.connect(self._on_changed)

    # ---- lazy tabs ----------------------------------------------------------------------------
    def tab(self, i: int) -> TrainingTab:
        """Tab ``i``, built now if it never was."""
        attr, _title, cls = TABS[i]
        built: TrainingTab | None = getattr(self, attr, None)
        if built is None:
            built = cls(self)
            setattr(self, attr, built)
            holder = self.tabs.widget(i)
            lay = holder.layout() if holder is not None else None
            if lay is None:  # every tab is a placeholder with a layout (built in __init__)
                raise LookupError(f"training tab {i} has no placeholder layout")
            lay.addWidget(built)
        return built

    def built_tabs(self) -> list[TrainingTab]:
        return [t for attr, _title, _cls in TABS if (t := getattr(self, attr, None)) is not None]

    def is_loaded(self, i: int) -> bool:
        """Whether tab ``i`` holds current data (tabs load when first shown)."""
        t: TrainingTab | None = getattr(self, TABS[i][0], None)
        return t is not None and t.loaded

    def _load_tab(self, i: int) -> None:
        t = self.tab(i)
        t.loaded = True
        t.reload()

    def _on_tab_changed(self, i: int) -> None:
        t = self.tab(i)
        if not self._stale and not t.loaded:
            self._load_tab(i)

    # ---- loading ------------------------------------------------------------------------------
    def current_year(self) -> int:
        y = self.year.currentData()
        return int(y) if y else dt.date.today().year

    def as_of(self) -> dt.date:
        return min(dt.date.today(), dt.date(self.current_year(), 12, 31))

    def _on_changed(self, what: Changes) -> None:
        if what & (Changes.TRAINING | Changes.STAFF | Changes.SETTINGS):
            self._stale = True
            if self.isVisible():
                self.reload()

    def on_shown(self) -> None:
        if self._stale:
            self.reload()

    def reload(self, *, keep_years: bool = False) -> None:
        """Read the headline and the tab on show; the other tabs read theirs when next shown."""
        self._stale = False
        self._gen += 1
        for t in self.built_tabs():
            t.loaded = False
        if not keep_years:
            years = sorted({dt.date.today().year, *self.service.years()}, reverse=True)
            cur = self.year.currentData()
            self.year.blockSignals(True)
            self.year.clear()
            for y in years:
                self.year.addItem(f"{y}年", y)
            self.year.setCurrentIndex(max(0, self.year.findData(cur)) if cur else 0)
            self.year.blockSignals(False)
        self._load_summary()
        self._load_tab(self.tabs.currentIndex())

    def refresh_if_hidden(self) -> None:
        """After a change made from here while the page is hidden (opened from the findings)."""
        if not self.isVisible():
            self.reload()

    def run(self, work: Callable[[Any], Any], done: Callable[[Any], None], label: str) -> None:
        """Run a load in the background; its result is dropped if the page reloaded meanwhile."""
        gen = self._gen

        def deliver(res: Any) -> None:
            if gen == self._gen:
                done(res)

        self.ctx.tasks.run(work, on_success=deliver, label=label, parent=self)

    def saved(self, text: str) -> None:
        self.ctx.changed(Changes.TRAINING)
        self.ctx.say(text)
        self.refresh_if_hidden()

    def _load_summary(self) -> None:
        svc, year, as_of = self.service, self.current_year(), self.as_of()
        self.run(lambda _p: svc.year_overview(year, as_of), self._show_summary, "正在读取培训台账…")

    def _show_summary(self, ov: YearOverview) -> None:
        self.summary.setText(
            f"  {ov.year} 年：培训 {ov.sessions} 次；在岗执法人员 {ov.counted} 人，"
            f"业务学时已满 {fmt_hours(ov.required)} 的 {ov.counted - ov.behind} 人，未满 {ov.behind} 人"
            f"（截至 {ov.as_of:%Y-%m-%d}）"
        )

    # ---- opening a record, Ctrl+F, layout -----------------------------------------------------
    def show_person(self, staff_id: int) -> None:
        """The person's own ledger (from a double click on 学时统计)."""
        self.tab(TAB_PERSON)
        self.person.choose(staff_id)
        self.tabs.setCurrentIndex(TAB_PERSON)

    def open_record(self, entity: str, record_id: int) -> None:
        if self._stale:
            self.reload()
        if entity == "training_plan":
            self.tabs.setCurrentIndex(TAB_PLAN)
        elif entity == "training_session":
            self.tabs.setCurrentIndex(TAB_SESSIONS)
            self.sessions.edit_session(record_id)
        elif entity == "training_month":  # a month without the all-staff legal study (202608)
            year, month = divmod(record_id, 100)
            i = self.year.findData(year)
            if i >= 0:
                self.year.setCurrentIndex(i)
            self.tabs.setCurrentIndex(TAB_SESSIONS)
            self.ctx.say(
                f"{year} 年 {month} 月没有登记全员集中学法。如已开展，请点“新增培训”补录，"
                "并勾选“每月全员集中学法”。"
            )

    def filter_field(self) -> QWidget | None:
        """What Ctrl+F goes to on the tab shown (MainWindow.focus_filter): the search field of 培训记录
        and 学时统计, the person of 个人台账, the exam of 考试成绩; 年度计划 has no list to search."""
        return self.tab(self.tabs.currentIndex()).filter_field()

    def hideEvent(self, event: Any) -> None:  # noqa: N802
        for t in self.built_tabs():  # tabs never shown have no layout to remember
            t.save_state()
        super().hideEvent(event)
