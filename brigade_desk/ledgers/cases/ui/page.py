"""案卷评查 page: the case register, the yearly review and the official holiday schedule."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from brigade_desk.core.changes import Changes
from brigade_desk.ledgers.cases.ui.holidays import CalendarTab
from brigade_desk.ledgers.cases.ui.register import RegisterTab
from brigade_desk.ledgers.cases.ui.review import ReviewTab
from brigade_desk.ui.context import AppContext


class CasesPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.tabs = QTabWidget()
        self.register = RegisterTab(ctx)
        self.review = ReviewTab(ctx)
        self.calendar = CalendarTab(ctx)
        self.tabs.addTab(self.register, "案件登记")
        self.tabs.addTab(self.review, "年度评查")
        self.tabs.addTab(self.calendar, "节假日安排")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tabs)
        self._stale = {"register": True, "review": True, "calendar": True}
        self.tabs.currentChanged.connect(lambda _i: self.on_shown())
        ctx.events.data_changed.connect(self._on_changed)

    def _on_changed(self, what: Changes) -> None:
        if what & (Changes.CASES | Changes.STAFF | Changes.SETTINGS):
            self._stale = dict.fromkeys(self._stale, True)
            if self.isVisible():
                self.on_shown()

    def on_shown(self) -> None:
        key = ("register", "review", "calendar")[self.tabs.currentIndex()]
        if self._stale.get(key):
            self._stale[key] = False
            getattr(self, key).reload()

    def open_record(self, entity: str, record_id: int | None) -> None:
        if entity == "case" and record_id is not None:
            self.tabs.setCurrentWidget(self.register)
            self.on_shown()
            self.register.select_case(record_id)

    def closeEvent(self, event: object) -> None:  # noqa: N802
        self.register.save_state()

    def filter_field(self) -> QWidget | None:
        """The search field Ctrl+F goes to on the tab shown (MainWindow.focus_filter); the review and
        holiday tabs have none."""
        return self.register.search if self.tabs.currentWidget() is self.register else None
