"""The mechanisms that keep Python and Qt from tearing each other down (brigade_desk/ui/safety.py)."""

from __future__ import annotations

import ast
import gc
import re
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.errors import UserError
from brigade_desk.core.progress import Progress
from brigade_desk.ui import safety
from brigade_desk.ui.tasks import TaskRunner
from brigade_desk.ui.widgets.forms import UnsavedGuard, dialog_buttons

PKG = Path(__file__).resolve().parents[2] / "brigade_desk"
# the shell's ui/ and every ledger's ui/ package
UI_FILES = sorted(p for p in PKG.rglob("*.py") if "ui" in p.relative_to(PKG).parts[:-1])


class Junk:
    def __init__(self) -> None:
        self.me = self


def test_garbage_is_collected_on_the_gui_thread_only(qapp: object) -> None:
    threads: list[int] = []

    def watch(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            threads.append(threading.get_ident())

    collector = safety.GuiGarbageCollector(interval_ms=60_000)
    gc.callbacks.append(watch)
    try:

        def allocate() -> None:  # enough cycles to start a collection many times over
            for _ in range(50_000):
                Junk()

        t = threading.Thread(target=allocate)
        t.start()
        t.join()
        assert threads == []  # nothing collected on the worker although it made the garbage
        assert gc.get_count()[0] > gc.get_threshold()[0]
        collector.check()
        assert threads and set(threads) == {threading.get_ident()}
        assert collector.collections == 1 and collector.off_thread == 0
    finally:
        gc.callbacks.remove(watch)
        collector.stop()
    assert gc.isenabled()


class SaveDialog(QDialog):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.name = QLineEdit()
        lay = QVBoxLayout(self)
        lay.addWidget(self.name)
        lay.addWidget(dialog_buttons(self, self.accept))  # guard + closures: a reference cycle


def test_a_closed_dialog_is_deleted_on_the_gui_thread_before_any_collection(
    qapp: object, qtbot
) -> None:
    page = QWidget()
    qtbot.addWidget(page)
    reaper = safety.DialogReaper(qapp, interval_ms=60_000)  # type: ignore[arg-type]
    deleted_on: list[int] = []
    try:
        dlg = SaveDialog(page)
        dlg.destroyed.connect(
            lambda *_: deleted_on.append(threading.get_ident()), Qt.ConnectionType.DirectConnection
        )
        QTimer.singleShot(0, reaper.watch)  # the reaper's timer, while the dialog is open
        QTimer.singleShot(0, dlg.accept)
        assert dlg.exec() == QDialog.DialogCode.Accepted
        del dlg
        # a collection on a worker thread now finds nothing of the dialog's it may delete
        t = threading.Thread(target=gc.collect)
        t.start()
        t.join()
        assert deleted_on == []
        reaper.reap()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert deleted_on == [threading.get_ident()]
        assert reaper.reaped == 1
    finally:
        reaper.stop()


def test_an_open_dialog_is_not_reaped(qapp: object, qtbot) -> None:
    page = QWidget()
    qtbot.addWidget(page)
    reaper = safety.DialogReaper(qapp, interval_ms=60_000)  # type: ignore[arg-type]
    try:
        dlg = SaveDialog(page)
        dlg.show()
        reaper.reap()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert dlg.isVisible() and reaper.reaped == 0
        dlg.hide()
    finally:
        reaper.stop()


def test_a_guard_torn_down_by_the_collector_lets_events_through(
    qapp: object, qtbot, monkeypatch
) -> None:
    reported: list[BaseException] = []
    monkeypatch.setattr(safety, "report_exception", lambda t, e, tb: reported.append(e))
    dlg = QDialog()
    qtbot.addWidget(dlg)
    guard = UnsavedGuard(dlg)
    dlg.show()
    guard.__dict__.clear()  # what the collector's tp_clear does to an object in a cycle
    esc = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)
    assert guard.eventFilter(dlg, esc) is False
    assert guard.eventFilter(dlg, QEvent(QEvent.Type.Close)) is False
    guard.cancel()
    assert reported == []


def test_an_error_in_an_event_filter_is_reported_not_raised(
    qapp: object, qtbot, monkeypatch
) -> None:
    reported: list[BaseException] = []
    monkeypatch.setattr(safety, "report_exception", lambda t, e, tb: reported.append(e))

    class Broken(safety.SafeEventFilter):
        def filter(self, obj: object, ev: QEvent) -> bool:
            raise KeyError("bug")

    w = QWidget()
    qtbot.addWidget(w)
    f = Broken(w)
    w.installEventFilter(f)
    w.show()
    qtbot.wait(10)
    w.removeEventFilter(f)
    assert reported and isinstance(reported[0], KeyError)


def test_crash_reports_are_shown_on_the_gui_thread_once_each(qapp: object, qtbot) -> None:
    shown: list[tuple[str, int]] = []
    warned: list[str] = []
    rep = safety.CrashReporter(
        lambda text: shown.append((text, threading.get_ident())), warned.append
    )

    def raise_and_report(exc: BaseException) -> None:
        try:
            raise exc
        except BaseException as e:
            rep.hook(type(e), e, e.__traceback__)

    for _ in range(3):  # the same bug from a worker thread, three times
        t = threading.Thread(target=raise_and_report, args=(ValueError("same"),))
        t.start()
        t.join()
    assert shown == []  # nothing built on the worker; queued to the GUI thread
    qtbot.waitUntil(lambda: len(shown) == 1)
    qtbot.wait(50)
    assert (
        len(shown) == 1
        and shown[0][1] == threading.get_ident()
        and "ValueError: same" in shown[0][0]
    )
    raise_and_report(ValueError("another"))
    raise_and_report(UserError("磁盘已满"))
    qtbot.waitUntil(lambda: len(shown) == 2 and warned == ["磁盘已满"])


def test_a_crash_dialog_is_never_stacked_on_another(qapp: object, qtbot) -> None:
    shown: list[str] = []
    rep: safety.CrashReporter

    def show(text: str) -> None:  # while this "dialog" is open, another error arrives
        shown.append(text)
        if len(shown) == 1:
            try:
                raise RuntimeError("second")
            except RuntimeError as e:
                rep.hook(type(e), e, e.__traceback__)
            QCoreApplication.processEvents()

    rep = safety.CrashReporter(show, lambda m: None)
    try:
        raise RuntimeError("first")
    except RuntimeError as e:
        rep.hook(type(e), e, e.__traceback__)
    qtbot.waitUntil(lambda: bool(shown))
    qtbot.wait(50)
    assert len(shown) == 1


def test_tests_run_background_work_through_the_real_callbacks(qapp: object, qtbot) -> None:
    """TaskRunner.synchronous replaces only the thread: signals, progress dialog, finish all run."""
    parent = QWidget()
    qtbot.addWidget(parent)
    runner = TaskRunner()
    runner.synchronous = True
    busy: list[bool] = []
    runner.busy_changed.connect(busy.append)
    got: list[object] = []
    seen_dialog: list[bool] = []

    def work(p: object) -> int:
        seen_dialog.append(bool(parent.findChildren(QProgressDialog)))
        return 42

    runner.run(work, on_success=got.append, parent=parent)
    assert got == [42] and seen_dialog == [True] and busy == [True, False] and not runner.busy
    failures: list[BaseException] = []
    runner.run(lambda p: 1 / 0, on_failure=failures.append, parent=parent)
    assert isinstance(failures[0], ZeroDivisionError)
    assert "ZeroDivisionError" in failures[0].__traceback_text__  # type: ignore[attr-defined]
    unhandled: list[BaseException] = []
    runner.unhandled_error.connect(unhandled.append)
    runner.run(lambda p: {}["x"])
    assert isinstance(unhandled[0], KeyError)


def test_no_button_hands_its_checked_flag_to_an_optional_parameter() -> None:
    """``clicked``/``triggered``/``toggled`` pass ``checked`` to a slot that takes an argument: a
    method ``export(self, path=None)`` connected directly got ``path=False`` (a crash on 导出)."""
    bad = []
    for p in UI_FILES:
        src = p.read_text(encoding="utf-8")
        optional = set()
        for node in ast.walk(ast.parse(src)):
            if (
                isinstance(node, ast.FunctionDef)
                and len(node.args.args) >= 2
                and node.args.defaults
            ):
                optional.add(node.name)
        for m in re.finditer(r"\.(clicked|triggered|toggled)\.connect\(self\.(\w+)\)", src):
            if m.group(2) in optional:
                bad.append(f"{p.name}:{src[: m.start()].count(chr(10)) + 1} {m.group(0)}")
    assert bad == []


@pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="None and True are immortal from Python 3.12"
)
def test_the_qt_binding_keeps_its_references(qapp: object) -> None:
    """PySide6 6.12.0 dropped a reference to None on every void call and to True on every signal
    emitted from Python; on Python 3.11 the program then dies after some thousands of clicks."""
    b = QPushButton("x")
    none, true = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(1000):
        b.setText("y")
        b.clicked.emit()
    assert sys.getrefcount(None) >= none - 50
    assert sys.getrefcount(True) >= true - 50


def test_every_event_filter_is_written_the_safe_way() -> None:
    """Event filters implement ``filter()`` on SafeFilterMixin (ui/safety.py), never ``eventFilter``
    itself: Qt calls filters while their Python object is being torn down."""
    bad = []
    for p in UI_FILES:
        if p.name == "safety.py":
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name == "eventFilter":
                bad.append(f"{p.relative_to(PKG)}:{node.lineno}")
    assert bad == []


def test_a_scroll_area_filter_still_gets_its_own_filtering(qapp: object, qtbot) -> None:
    """The mixin hands events on to the class's own eventFilter (QScrollArea filters its viewport)."""
    from PySide6.QtWidgets import QLabel

    from brigade_desk.ui.widgets.screen import ErrorArea

    label = QLabel("错误")
    area = ErrorArea(label)
    qtbot.addWidget(area)
    area.show()
    area.resize(200, 100)
    qtbot.wait(10)
    area.__dict__.clear()  # torn down: sizes and filtering still answer, nothing raised
    assert area.sizeHint().height() >= 0
    assert area.eventFilter(area.viewport(), QEvent(QEvent.Type.LayoutRequest)) in (True, False)


def test_a_finished_tasks_progress_dialog_never_shows_up_later(qapp: object, qtbot) -> None:
    """A task whose success opens a message box (a nested event loop): the progress dialog's deletion
    waits for that loop to end, and its timer must not show it meanwhile (a restore once left
    "请稍候 / 正在恢复…" spinning on top of "恢复完成")."""
    from PySide6.QtCore import QEventLoop

    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    runner = TaskRunner()
    runner.synchronous = True
    seen: list[bool] = []

    def like_a_message_box(_result: object) -> None:
        loop = QEventLoop()
        QTimer.singleShot(500, loop.quit)
        loop.exec()  # what QMessageBox.exec() does
        seen.append(any(d.isVisible() for d in parent.findChildren(QProgressDialog)))

    def quick(p: Progress) -> int:
        p.update(
            0, 10
        )  # "0 of 10" starts the dialog's show timer; the work is done before it fires
        return 1

    QTimer.singleShot(
        0, lambda: runner.run(quick, on_success=like_a_message_box, parent=parent, show_after_ms=50)
    )
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [False]
