"""Keeping Python and Qt from tearing each other down: the mechanisms behind "no crash".

Three things made the program crash after a dialog was saved (a real clerk's session, issue 13):

1. **Garbage collection on a worker thread.** Python's cyclic garbage collector runs on whichever
   thread happens to allocate when a threshold is crossed — often a worker thread running the rules
   or an export. A dialog that has been ``exec()``-ed is owned by Python; when it sits in a reference
   cycle (a child object holding ``self.dialog``, a closure), the collector deletes the C++ dialog
   *on that worker thread*, while the GUI thread may be touching it. :class:`GuiGarbageCollector`
   turns automatic collection off and collects on the GUI thread from a timer instead (the pattern
   other Qt programs use, see GitFourchette's and OpenCue's ``GarbageCollector``). Dialogs that have
   closed are also deleted on the GUI thread by :class:`DialogReaper`, so no collection anywhere —
   even one a library starts on a worker thread — is left holding a live dialog.
2. **Python objects half torn down while Qt still calls them.** The collector clears the attributes
   of objects in a cycle before the C++ side is gone; an event filter then ran with ``self.dialog``
   missing. Event filters in this program derive from :class:`SafeEventFilter`, which never lets
   such a call raise (see its docstring).
3. **A crash dialog built off the GUI thread.** ``sys.excepthook`` runs on the thread that raised.
   :class:`CrashReporter` logs every error with its traceback at once, and shows the dialog only on
   the GUI thread (errors from other threads are queued there), once per distinct error, never
   nested in another crash dialog.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import traceback
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from brigade_desk.core import paths

log = logging.getLogger(__name__)


# ---- 1. garbage collection on the GUI thread ------------------------------------------------------


class GuiGarbageCollector(QObject):
    """Automatic garbage collection off; the GUI thread collects instead, as often as Python would.

    Every ``interval_ms`` the counts are compared with the thresholds Python itself would use, and
    only the generations that are due are collected (a young-generation pass takes well under a
    millisecond). Collections that start on another thread anyway (a library calling
    ``gc.collect()``) are counted in ``off_thread`` and logged once."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.collections = 0
        self.off_thread = 0
        self._gui = threading.get_ident()
        gc.disable()
        gc.callbacks.append(self._watch)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def _watch(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start" and threading.get_ident() != self._gui:
            self.off_thread += 1
            if self.off_thread == 1:
                log.warning(
                    "garbage collection started on thread %s", threading.current_thread().name
                )

    def check(self) -> None:
        c0, c1, c2 = gc.get_count()
        t0, t1, t2 = self.threshold
        if c0 <= t0:
            return
        gen = 2 if (c2 > t2 and c1 > t1) else 1 if c1 > t1 else 0
        gc.collect(gen)
        self.collections += 1

    def stop(self) -> None:
        """Hand collection back to Python (at exit, and when a test is done)."""
        self.timer.stop()
        if self._watch in gc.callbacks:
            gc.callbacks.remove(self._watch)
        gc.enable()


# ---- 2. event filters that survive tear-down -----------------------------------------------------


class SafeFilterMixin:
    """The one way event filters are written in this program: subclasses implement
    ``filter(obj, ev)`` (True = the event is handled), never ``eventFilter`` itself.

    An event filter is called by Qt for as long as the C++ object lives, also while Python is
    tearing the filter's own object down (its attributes already cleared by the garbage collector)
    or after a slot it relies on has gone. Such a call lets the event through to the class's own
    filtering (a scroll area filters its viewport) and is not an error; any other error is reported
    through the crash reporter like an error in a slot, never raised into Qt's event loop (where
    PySide's error path itself can crash while objects are being destroyed). Give the attributes
    ``filter`` reads class-level defaults (``None``) so a torn-down object reads as inert."""

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802
        try:
            if self.filter(obj, ev):
                return True
        except (AttributeError, RuntimeError) as exc:
            if _alive(self):
                report_exception(type(exc), exc, exc.__traceback__)
        except Exception as exc:
            report_exception(type(exc), exc, exc.__traceback__)
        try:
            return bool(super().eventFilter(obj, ev))  # type: ignore[misc]
        except RuntimeError:  # the C++ side is already gone
            return False

    def filter(self, obj: QObject, ev: QEvent) -> bool:
        return False


class SafeEventFilter(SafeFilterMixin, QObject):
    """A plain QObject event filter written the safe way (see :class:`SafeFilterMixin`)."""


def _alive(obj: object) -> bool:
    """Whether ``obj`` still has its Python state (the garbage collector clears ``__dict__``)."""
    return bool(getattr(obj, "__dict__", None))


# ---- dialogs deleted on the GUI thread -----------------------------------------------------------


class _Busy(Protocol):
    @property
    def busy(self) -> bool: ...


# what may still have work in flight: the task runners register themselves (ui/tasks.py)
_busy: weakref.WeakSet[Any] = weakref.WeakSet()


def track_busy(obj: _Busy) -> None:
    _busy.add(obj)


def any_busy() -> bool:
    """Whether any task runner has work in flight (its callbacks may still touch a closed dialog)."""
    return any(r.busy for r in list(_busy))


class DialogReaper(QObject):
    """Deletes closed dialogs on the GUI thread, so the garbage collector never has to.

    A dialog shown with ``exec()`` belongs to Python afterwards and is only deleted when its last
    reference goes — by the cyclic collector, on whatever thread, if it sits in a cycle. The reaper
    looks at the open windows a few times a second and keeps a reference to every dialog it finds
    shown (so no collection can free it); once the dialog is hidden and the program is back in its
    main loop (no modal dialog open whose caller might still read it) it asks Qt to delete it with
    ``deleteLater()`` — on the GUI thread. A wrapper collected later, anywhere, then has no C++
    object left to delete. (A timer rather than an application-wide event filter: a filter would
    make every event of the program wait for Python's interpreter lock.)"""

    def __init__(self, app: QApplication, interval_ms: int = 250) -> None:
        super().__init__(app)
        self._kept: list[QDialog] = []
        self.reaped = 0
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.reap)
        self.timer.start(interval_ms)

    def watch(self) -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QDialog) and w.isVisible():
                self.keep(w)

    def keep(self, dialog: QDialog) -> None:
        if not any(k is dialog for k in self._kept):
            self._kept.append(dialog)

    def reap(self) -> None:
        self.watch()
        if (
            QApplication.activeModalWidget() is not None
            or QApplication.activePopupWidget() is not None
        ):
            return  # a dialog's exec() is on the stack: what it opened may still be read after it
        if any_busy():
            return  # background work may still report to a dialog that has closed
        keep: list[QDialog] = []
        for dlg in self._kept:
            if not is_valid(dlg):
                continue
            if dlg.isVisible():
                keep.append(dlg)
                continue
            if dlg.inherits("QProgressDialog"):  # the TaskRunner that made it disposes of it
                continue
            dispose(dlg)
            self.reaped += 1
        self._kept = keep

    def stop(self) -> None:
        self.timer.stop()


_graveyard: dict[int, QObject] = {}


def dispose(obj: QObject) -> None:
    """Delete ``obj`` on the GUI thread (``deleteLater``), holding a reference to it until Qt has:
    in between, no garbage collection on another thread can free it first."""
    if not is_valid(obj):
        return
    key = id(obj)
    if key in _graveyard:
        return
    _graveyard[key] = obj
    obj.destroyed.connect(lambda *_a, k=key: _graveyard.pop(k, None))
    obj.deleteLater()


def is_valid(obj: QObject) -> bool:
    from shiboken6 import Shiboken

    return bool(Shiboken.isValid(obj))


# ---- 3. errors reported on the GUI thread --------------------------------------------------------


ShowCrash = Callable[[str], None]
ShowUserError = Callable[[str], None]


class CrashReporter(QObject):
    """``sys.excepthook`` and ``threading.excepthook`` for the GUI program.

    Logs every error with its traceback on the thread that raised it. The dialog is shown on the GUI
    thread only (from another thread the error is queued there), once for each distinct error (the
    same bug raised from a paint or a filter a hundred times is one dialog), and never while another
    crash dialog is open."""

    reported = Signal(object, str)  # (exception, traceback text) queued to the GUI thread

    def __init__(
        self, show_crash: ShowCrash, show_user_error: ShowUserError, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.show_crash = show_crash
        self.show_user_error = show_user_error
        self.seen: set[str] = set()
        self.shown = 0
        self._showing = False
        self.reported.connect(self._show)  # queued when emitted from another thread

    def hook(
        self,
        exc_type: type[BaseException],
        exc: BaseException | None,
        tb: TracebackType | None,
        *,
        text: str = "",
        logged: bool = False,
    ) -> None:
        from brigade_desk.core.errors import UserError

        if exc is None:
            exc = exc_type()
        text = text or "".join(traceback.format_exception(exc_type, exc, tb))
        if not isinstance(exc, UserError) and not logged:
            log.error(
                "unhandled exception on thread %s:\n%s", threading.current_thread().name, text
            )
        self.reported.emit(exc, text)

    def thread_hook(self, args: threading.ExceptHookArgs) -> None:
        self.hook(args.exc_type, args.exc_value, args.exc_traceback)

    def _show(self, exc: BaseException, text: str) -> None:
        from brigade_desk.core.errors import DatabaseDamagedError, translate_db_error

        # a fault of the database file (damaged, full or read-only disk, locked: by SQLite's result
        # code) is the environment's, not a bug: its message with the way out, never the crash box
        user = translate_db_error(exc)
        if isinstance(user, DatabaseDamagedError):
            window = parent_window()
            said = getattr(window, "database_damaged", None)
            if callable(said):
                said(user)
                return
        if user is not None:
            self.show_user_error(user.message)
            return
        key = _signature(exc, text)
        if key in self.seen or self._showing:
            log.info("crash dialog not shown again for: %s", key)
            return
        self.seen.add(key)
        self._showing = True
        try:
            self.shown += 1
            self.show_crash(text)
        except Exception:  # the dialog itself must never take the process down
            log.exception("could not show the crash dialog")
        finally:
            self._showing = False


def _signature(exc: BaseException, text: str) -> str:
    """Type, message and the innermost frame: equal for the same bug raised again."""
    frames = [line for line in text.splitlines() if line.lstrip().startswith("File ")]
    return f"{type(exc).__name__}: {exc} @ {frames[-1].strip() if frames else ''}"


_reporter: CrashReporter | None = None


def report_exception(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    *,
    text: str = "",
    logged: bool = False,
) -> None:
    """Report an error caught where it cannot be raised (an event filter, a background task's
    unhandled failure): logged, and shown once on the GUI thread."""
    text = text or "".join(traceback.format_exception(exc_type, exc, tb))
    if _reporter is not None:
        _reporter.hook(exc_type, exc, tb, text=text, logged=logged)
        return
    if not logged:
        log.error("unhandled exception:\n%s", text)
    # no reporter installed (tests, tools): the interpreter's hook (pytest-qt fails the test with
    # it); never a dialog from here, which may be deep inside an event filter
    sys.excepthook(exc_type, exc, tb)


class Safety(QObject):
    """What :func:`install` set up, so that it can be undone (tests, shutdown)."""

    def __init__(self, app: QApplication, reporter: CrashReporter | None) -> None:
        super().__init__(app)
        self.collector = GuiGarbageCollector(self)
        self.reaper = DialogReaper(app)
        self.reporter = reporter
        self._old_hooks = (sys.excepthook, threading.excepthook)
        if reporter is not None:
            sys.excepthook = reporter.hook
            threading.excepthook = reporter.thread_hook

    def uninstall(self) -> None:
        global _reporter, _installed
        self.collector.stop()
        self.reaper.stop()
        if self.reporter is not None:
            sys.excepthook, threading.excepthook = self._old_hooks
        if _reporter is self.reporter:
            _reporter = None
        if _installed is self:
            _installed = None


_installed: Safety | None = None


def install(
    app: QApplication,
    show_crash: ShowCrash | None = None,
    show_user_error: ShowUserError | None = None,
) -> Safety:
    """Garbage collection on the GUI thread, closed dialogs deleted there, errors reported there.
    Idempotent: a second call returns what the first set up."""
    global _reporter, _installed
    if _installed is not None:
        return _installed
    reporter = None
    if show_crash is not None and show_user_error is not None:
        reporter = CrashReporter(show_crash, show_user_error, app)
        _reporter = reporter
    _installed = Safety(app, reporter)
    return _installed


def installed() -> Safety | None:
    return _installed


def keep_until_closed(dialog: QDialog) -> None:
    """Called as a dialog shows (``widgets.screen.ScreenFit``): the reaper holds it from then on,
    not only from its next look at the open windows."""
    if _installed is not None:
        _installed.reaper.keep(dialog)


def parent_window() -> QWidget | None:
    """The window a message should sit on: the active one, else the first visible main window."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return None
    w = app.activeWindow()
    if w is not None:
        return w
    for top in app.topLevelWidgets():
        if top.isVisible() and top.inherits("QMainWindow"):
            return top
    return None


def crash_message(text: str) -> str:
    """What the crash dialog says for the traceback ``text``. "Saved data is not affected" only for
    an error outside the database: a failure that came from SQLite (an error code the program does
    not classify) may concern the file itself, so the clerk is told to check it instead."""
    log_hint = f"请把日志文件发给维护人员：{paths.log_file()}"
    if "sqlite3." in text or "sqlalchemy.exc." in text:
        return (
            "程序读写数据库时遇到了意外错误，刚才的操作没有完成。"
            "无法确定数据库文件是否完好：请先不要继续修改数据；"
            "如果再次出现，请在“文件 → 备份与恢复”中从最近的备份恢复"
            "（命令行：brigade-desk backups、brigade-desk restore 备份文件）。\n" + log_hint
        )
    return f"程序遇到了意外错误，刚才的操作没有完成。此前已保存的数据不受影响。\n{log_hint}"


def show_crash(text: str, parent: QWidget | None = None) -> None:
    """The crash dialog. Only ever called on the GUI thread (see ``safety.CrashReporter``)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("程序出错")
    box.setText(crash_message(text))
    box.setDetailedText(text)
    box.exec()
