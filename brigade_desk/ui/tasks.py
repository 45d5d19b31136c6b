"""One way to run slow work off the GUI thread.

``TaskRunner.run(fn, on_success=...)`` runs ``fn(progress)`` on a thread pool, shows a progress
dialog with 取消 (after a short delay, so quick work does not flash a dialog), and delivers the
result — or the error — back on the GUI thread. Database writes go through a one-thread pool
(SQLite has one writer); other work (hashing, exports) may use the shared pool.

In tests ``TaskRunner.synchronous = True`` runs the work on the calling thread instead of the pool
(in the spirit of Picard's fake thread pool), so assertions follow directly — but through the very
same job, signals, progress dialog and finish callbacks as in the program: only the thread differs.

Nothing a job holds is released on the worker thread: the job lets go of its function before it
signals, and the GUI side keeps its own reference until the result has been delivered, so the
last reference to anything the function captured (a page, a dialog) is dropped on the GUI thread.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from brigade_desk.core.errors import Cancelled, UserError
from brigade_desk.core.progress import Progress
from brigade_desk.ui.safety import SafeEventFilter, dispose, is_valid, track_busy

log = logging.getLogger(__name__)

Success = Callable[[Any], None]
Failure = Callable[[BaseException], None]


class _Signals(QObject):
    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(
        self, fn: Callable[[Progress], Any], progress: Progress, signals: _Signals
    ) -> None:
        super().__init__()
        self.fn = fn
        self.progress = progress
        self.signals = signals
        self.setAutoDelete(True)

    def run(self) -> None:
        fn, self.fn = self.fn, None  # type: ignore[assignment]  # the GUI side holds it until delivery
        try:
            result = fn(self.progress)
        except BaseException as exc:  # delivered to the GUI thread, never swallowed
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            del fn
            self.signals.failed.emit(exc)
        else:
            del fn
            self.signals.finished.emit(result)


class TaskRunner(QObject):
    synchronous = False  # tests flip this

    # errors nobody handled: the main window shows them (user errors as messages, bugs as crash)
    unhandled_error = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool.globalInstance()
        self.writer = QThreadPool(self)
        self.writer.setMaxThreadCount(1)
        self._active: set[_Signals] = set()
        self._waiting = 0  # work waiting for a widget to paint first (see after_paint)
        self._waiters: set[_AfterPaint] = set()
        track_busy(self)

    @property
    def busy(self) -> bool:
        return bool(self._active) or self._waiting > 0

    def run(
        self,
        fn: Callable[[Progress], Any],
        *,
        on_success: Success | None = None,
        on_failure: Failure | None = None,
        label: str = "正在处理…",
        parent: QWidget | None = None,
        cancellable: bool = True,
        writes: bool = False,
        show_after_ms: int = 400,
    ) -> Progress:
        """Run ``fn(progress)`` in the background. Returns the Progress (``.cancel()`` to stop)."""
        dialog: QProgressDialog | None = None
        last_emit = [0.0]

        def deliver_failure(exc: BaseException) -> None:
            if isinstance(exc, Cancelled):
                log.info("task cancelled: %s", label)
            if on_failure is not None:
                on_failure(exc)
            elif not isinstance(exc, Cancelled):
                self.unhandled_error.emit(exc)

        signals = _Signals()

        def listener(done: int, total: int, text: str) -> None:
            now = time.monotonic()
            if now - last_emit[0] >= 0.05 or (total and done >= total):
                last_emit[0] = now
                signals.progress.emit(done, total, text)

        progress = Progress(listener)
        if parent is not None:
            dialog = QProgressDialog(label, "取消" if cancellable else "", 0, 0, parent)
            dialog.setWindowTitle("请稍候")
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(show_after_ms)
            dialog.setAutoClose(False)
            dialog.setAutoReset(False)
            if not cancellable:
                dialog.setCancelButton(None)
            dialog.canceled.connect(progress.cancel)
            dialog.canceled.connect(lambda: dialog.setLabelText("正在取消…") if dialog else None)

        def on_progress(done: int, total: int, text: str) -> None:
            if dialog is None or progress.cancelled:
                return
            if total > 0:
                dialog.setMaximum(total)
                dialog.setValue(min(done, total))
            if text:
                dialog.setLabelText(f"{label}\n{text}")

        held: list[object] = [fn]  # released on the GUI thread, in finish()

        def finish() -> None:
            held.clear()
            self._active.discard(signals)
            dispose(signals)  # deleted here, on the GUI thread, whoever lets go of it last
            if dialog is not None and is_valid(dialog):
                dialog.canceled.disconnect()
                # reset() stops the timer that shows the dialog after ``show_after_ms``: without it a
                # dialog whose deletion waits for a nested event loop (a message box open) popped up
                # after its work was done, empty and modal
                dialog.reset()
                dialog.close()
                dispose(dialog)
            self.busy_changed.emit(self.busy)

        def ok(result: object) -> None:
            finish()
            if on_success is not None:
                on_success(result)

        def bad(exc: object) -> None:
            finish()
            assert isinstance(exc, BaseException)
            deliver_failure(exc)

        signals.progress.connect(on_progress)
        signals.finished.connect(ok)
        signals.failed.connect(bad)
        self._active.add(signals)
        self.busy_changed.emit(True)
        job = _Job(fn, progress, signals)
        if self.synchronous:  # tests: this thread instead of the pool; everything else the same
            job.setAutoDelete(False)
            job.run()
        else:
            (self.writer if writes else self.pool).start(job)
        return progress

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block until all jobs finished (used at shutdown and in tests)."""
        from PySide6.QtCore import QCoreApplication

        deadline = time.monotonic() + timeout_ms / 1000
        while (self._active or self._waiting) and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.01)
        return not (self._active or self._waiting)

    def after_paint(self, widget: QWidget, fn: Callable[[], None], fallback_ms: int = 300) -> None:
        """Call ``fn`` (which usually starts background work) once ``widget`` has painted, or after
        ``fallback_ms`` when it does not paint; at once in tests (``synchronous``).

        Background work that holds Python's interpreter lock (the rules) slows a table painting on
        the GUI thread, because every cell asks Python for its text; starting that work once the
        table is on screen lets the clerk see the page at once, and the colours follow."""
        if self.synchronous:
            fn()
            return
        self._waiting += 1
        waiter: list[_AfterPaint] = []

        def finished() -> None:
            self._waiting -= 1
            self._waiters.discard(waiter[0])

        def go() -> None:
            finished()
            fn()

        waiter.append(_AfterPaint(widget, go, finished, fallback_ms))
        self._waiters.add(waiter[0])


def describe(exc: BaseException) -> tuple[bool, str]:
    """(is_user_error, text) for an error delivered from a task."""
    if isinstance(exc, UserError):
        return True, exc.message
    from brigade_desk.core.errors import translate_db_error

    user = translate_db_error(exc)  # by SQLite's result code, whatever the exception class
    if user is not None:
        return True, user.message
    if isinstance(exc, OSError):
        from brigade_desk.core.errors import describe_os_error

        return True, describe_os_error(exc, getattr(exc, "filename", "") or "", mode="access")
    text = getattr(exc, "__traceback_text__", "") or "".join(traceback.format_exception(exc))
    return False, text


def single_shot(ms: int, fn: Callable[[], None]) -> None:
    QTimer.singleShot(ms, fn)


class _AfterPaint(SafeEventFilter):
    """Runs ``fn`` once ``widget`` has painted (or after ``fallback_ms``); ``gone`` instead when the
    widget is destroyed first. Has no parent, so it outlives the widget long enough to say so."""

    widget: QWidget | None = None  # class default: inert once torn down (see SafeEventFilter)
    done = True

    def __init__(
        self, widget: QWidget, fn: Callable[[], None], gone: Callable[[], None], fallback_ms: int
    ) -> None:
        super().__init__()
        self.widget: QWidget | None = widget
        self.fn, self.gone, self.done = fn, gone, False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.fire)
        self.timer.start(fallback_ms)  # not shown (another tab, minimised): start anyway
        widget.installEventFilter(self)
        widget.destroyed.connect(self._destroyed)

    def filter(self, obj: QObject, ev: QEvent) -> bool:
        if obj is self.widget and ev.type() == QEvent.Type.Paint and not self.done:
            self.timer.start(0)  # once this paint is over
        return False

    def _destroyed(self) -> None:
        self.widget = None
        if not self.done:
            self.done = True
            self.timer.stop()
            self.gone()
            dispose(self)  # a parentless QObject with a timer: deleted on the GUI thread

    def fire(self) -> None:
        if self.done:
            return
        self.done = True
        if self.widget is not None:
            self.widget.removeEventFilter(self)
            self.widget.destroyed.disconnect(self._destroyed)
        dispose(self)
        self.fn()
