"""案卷评查 page: the case register, the yearly review and the official holiday schedule."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from brigade_desk.changes import Changes
from brigade_desk.ui.cases.calendar import CalendarTab
from brigade_desk.ui.cases.register import RegisterTab
from brigade_desk.ui.cases.review import ReviewTab
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

    def screenshot_extras(self, out: Path) -> None:
        """Save the review tab, a filled scoring dialog and the case editor for the docs."""
        from brigade_desk.services.cases import CaseService
        from brigade_desk.ui.cases.editor import CaseDialog
        from brigade_desk.ui.cases.score import ScoreDialog

        self.tabs.setCurrentWidget(self.review)
        self.on_shown()
        self.window().grab().save(str(out / "cases_review.png"))
        entry = next((e for e in self.review.model.rows if e.grade == "不合格"), None) or (
            self.review.model.rows[0] if self.review.model.rows else None
        )
        if entry is not None:
            dlg = ScoreDialog(
                self.review.service, entry.case_no, self.review.year.value(), entry.cause, self
            )
            dlg.resize(1150, 820)
            dlg.show()
            dlg.grab().save(str(out / "cases_score.png"))
            dlg.close()
        self.tabs.setCurrentWidget(self.register)
        self.on_shown()
        c = self.register.model.row(0)
        if c is not None:
            svc = CaseService(self.ctx.db)
            ed = CaseDialog(svc, svc.get(c.id), self)
            ed.show()
            ed.grab().save(str(out / "cases_editor.png"))
            ed.close()
        self.tabs.setCurrentWidget(self.calendar)
        self.on_shown()
        self.window().grab().save(str(out / "cases_calendar.png"))
        self.tabs.setCurrentWidget(self.register)

    def filter_field(self) -> QWidget | None:
        """The search field Ctrl+F goes to on the tab shown (MainWindow.focus_filter); the review and
        holiday tabs have none."""
        return self.register.search if self.tabs.currentWidget() is self.register else None

    def bench_filter(self, text: str) -> None:
        self.tabs.setCurrentWidget(self.register)
        self.register.search.setText(text)
