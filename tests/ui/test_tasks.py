"""Background work started once a widget has painted (TaskRunner.after_paint), with the real runner."""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidget

from brigade_desk.ui.tasks import TaskRunner


def test_runs_after_the_first_paint_and_counts_as_busy_until_then(qtbot):
    runner = TaskRunner()
    assert not runner.synchronous
    w = QTableWidget(30, 5)
    qtbot.addWidget(w)
    calls = []
    runner.after_paint(w.viewport(), lambda: calls.append("go"), fallback_ms=10_000)
    assert calls == [] and runner.busy  # waiting for the paint
    w.show()
    qtbot.waitUntil(lambda: calls == ["go"], timeout=3000)
    assert not runner.busy and runner.wait_idle(100)


def test_starts_anyway_when_nothing_paints_and_not_at_all_when_the_widget_is_gone(qtbot):
    runner = TaskRunner()
    hidden = QTableWidget(3, 3)
    qtbot.addWidget(hidden)
    calls = []
    runner.after_paint(hidden.viewport(), lambda: calls.append("fallback"), fallback_ms=50)
    qtbot.waitUntil(lambda: calls == ["fallback"], timeout=3000)
    doomed = QTableWidget(3, 3)
    runner.after_paint(doomed.viewport(), lambda: calls.append("never"), fallback_ms=50)
    doomed.deleteLater()
    qtbot.waitUntil(lambda: not runner.busy, timeout=3000)
    qtbot.wait(100)
    assert calls == ["fallback"]
