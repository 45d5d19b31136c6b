"""The impatient clerk: drives the real program (``run_gui``) at random, by seed, for a while.

    python tests/soak_clerk.py --seed 7 --seconds 120 [--db demo.sqlite] [--workdir DIR]

Starts the program exactly as ``brigade-desk`` does (database lock, crash reporter, garbage
collection on the GUI thread, background checks), on a copy of a demo database, and then every few
milliseconds does what an impatient clerk does: switches pages, clicks any enabled button, triggers
menu actions, types wrong and right values into fields, double-clicks rows, presses Esc, Enter,
Ctrl+F, Ctrl+Z, saves, cancels, confirms and declines whatever dialog comes up. Meanwhile the
garbage collector is run on worker threads (inside every background job and from a thread of its
own), which is what used to delete dialogs under the GUI's feet.

Exit status: 0 when the program ran the whole time and closed normally; 3 when the GUI thread stopped
answering for ``--hang`` seconds (all threads' stacks are printed); 4 when a crash dialog would have
been shown or a traceback was logged; a signal (e.g. -11) when it crashed. The seed and a summary of
what was done are printed, so a failing run can be repeated.
"""

from __future__ import annotations

import argparse
import collections
import faulthandler
import gc
import logging
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

faulthandler.enable()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, Qt, QTimer, QtMsgType, qInstallMessageHandler  # noqa: E402
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QTabWidget,
    QWidget,
)

# what a clerk types: right values, wrong values, hostile values
TEXTS = [
    "张三",
    "李晓燕",
    "2025-03-05",
    "2025年3月5日",
    "2021.3.5",
    "2031/13/45",
    "abc",
    "",
    "63010219850315002X",
    "123",
    "-5",
    "1e9",
    "=SUM(A1)",
    "一中队",
    "青交〔2025〕12号",
    "  ",
    "12.5",
    "0",
    "99999999999",
    "2025-02-29",
    "测试备注\u3000全角",
    "'; DROP TABLE staff;--",
]
SKIP_ACTIONS = ("退出", "打开数据文件夹")  # leaving the program; opening the file manager
SKIP_BUTTONS = ("打开文件夹", "打开文件", "浏览")


class Clerk:
    def __init__(self, seed: int, seconds: float, workdir: Path) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.seconds = seconds
        self.workdir = workdir
        self.window: QWidget | None = None
        self.done = collections.Counter()
        self.crashes: list[str] = []
        self.start = time.monotonic()
        self.heartbeat = time.monotonic()
        self.stopping = False
        self.tick = QTimer()
        self.tick.timeout.connect(self.step)
        self.beat = QTimer()
        self.beat.timeout.connect(self._beat)

    def _beat(self) -> None:
        self.heartbeat = time.monotonic()

    # ---- set-up ------------------------------------------------------------------------------
    def ready(self, window: QWidget) -> None:
        self.window = window
        self.start = time.monotonic()
        self.beat.start(100)
        self.tick.start(60)

    # ---- one step ----------------------------------------------------------------------------
    def step(self) -> None:
        if self.stopping:
            return
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        modal = app.activeModalWidget()
        over = time.monotonic() - self.start > self.seconds
        if over and modal is None:
            self.finish()
            return
        if modal is not None:
            QTimer.singleShot(0, lambda m=modal, o=over: self.on_dialog(m, o))
        else:
            QTimer.singleShot(0, self.on_window)

    def finish(self) -> None:
        assert self.window is not None
        tasks = self.window.ctx.tasks  # type: ignore[attr-defined]
        waited = time.monotonic() - self.start - self.seconds
        if tasks.busy and waited < 60:
            return  # closing now would ask "仍有任务在运行" with nobody left to answer: next tick
        if tasks.busy:  # a minute after the end: background work that never ends is a hang
            print(
                f"soak seed={self.seed}: background work still running a minute after the end "
                f"({len(tasks._active)} jobs, {tasks._waiting} waiting for a paint)",
                flush=True,
            )
            faulthandler.dump_traceback(all_threads=True)
            os._exit(3)
        self.stopping = True
        self.tick.stop()
        print(
            f"soak seed={self.seed}: {sum(self.done.values())} actions: "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.done.items())),
            flush=True,
        )
        assert self.window is not None
        self.window.close()
        QApplication.instance().quit()  # type: ignore[union-attr]

    def did(self, what: str) -> None:
        self.done[what] += 1

    # ---- the main window ---------------------------------------------------------------------
    def on_window(self) -> None:
        w = self.window
        if w is None or self.stopping or QApplication.activeModalWidget() is not None:
            return
        if QApplication.activePopupWidget() is not None:
            QApplication.activePopupWidget().close()  # type: ignore[union-attr]
            return
        r = self.rng.random()
        page = w.stack.currentWidget()  # type: ignore[attr-defined]
        if r < 0.12:
            nav = w.nav  # type: ignore[attr-defined]
            rows = [
                i for i in range(nav.count()) if nav.item(i).flags() & Qt.ItemFlag.ItemIsEnabled
            ]
            nav.setCurrentRow(self.rng.choice(rows))
            self.did("page")
        elif r < 0.22:
            acts = [a for a in self._menu_actions(w) if a.isEnabled()]
            if acts:
                a = self.rng.choice(acts)
                a.trigger()
                self.did("menu")
        elif r < 0.50:
            self.click_some_button(page)
        elif r < 0.62:
            self.activate_some_row(page)
        elif r < 0.72:
            tabs = [t for t in page.findChildren(QTabWidget) if t.isVisible()]
            if tabs:
                t = self.rng.choice(tabs)
                t.setCurrentIndex(self.rng.randrange(t.count()))
                self.did("tab")
        elif r < 0.84:
            self.fill_some_field(page)
        else:
            key = self.rng.choice(
                ["Ctrl+F", "Ctrl+Z", "Delete", "Return", "Escape", "Ctrl+P", "F5"]
            )
            target = QApplication.focusWidget() or page
            QTest.keySequence(target, QKeySequence(key))
            self.did(f"key {key}")

    def _menu_actions(self, w: QWidget) -> list[QAction]:
        out: list[QAction] = []
        for menu in w.menuBar().findChildren(QMenu):  # type: ignore[attr-defined]
            for a in menu.actions():
                if (
                    a.menu() is None
                    and not a.isSeparator()
                    and not a.text().startswith(SKIP_ACTIONS)
                ):
                    out.append(a)
        return out

    def click_some_button(self, root: QWidget) -> None:
        buttons = [
            b
            for b in root.findChildren(QAbstractButton)
            if b.isVisible()
            and b.isEnabled()
            and not b.text().startswith(SKIP_BUTTONS)
            and b.window() is root.window()
        ]
        if buttons:
            b = self.rng.choice(buttons)
            self.did("button")
            b.click()

    def activate_some_row(self, root: QWidget) -> None:
        views = [
            v
            for v in root.findChildren(QAbstractItemView)
            if v.isVisible() and v.model() is not None
        ]
        if not views:
            return
        v = self.rng.choice(views)
        m = v.model()
        if m.rowCount() == 0:
            return
        idx = m.index(self.rng.randrange(min(m.rowCount(), 50)), 0)
        v.setCurrentIndex(idx)
        if self.rng.random() < 0.5:
            rect = v.visualRect(idx)
            if rect.isValid():
                QTest.mouseDClick(
                    v.viewport(),
                    Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier,
                    rect.center(),
                )
                self.did("double-click")
                return
        self.did("select")

    def fill_some_field(self, root: QWidget) -> None:
        fields = [
            f
            for f in root.findChildren(QWidget)
            if f.isVisible()
            and f.isEnabled()
            and isinstance(f, QLineEdit | QPlainTextEdit | QComboBox | QCheckBox | QAbstractSpinBox)
        ]
        if not fields:
            return
        f = self.rng.choice(fields)
        if isinstance(f, QLineEdit) and not f.isReadOnly():
            f.setFocus()
            f.selectAll()
            text = self.rng.choice(TEXTS)
            if text.isascii():
                QTest.keyClicks(f, text)  # key by key, as typed
            else:
                f.insert(text)  # as an input method commits it (QTest types ASCII only)
            self.did("type")
        elif isinstance(f, QPlainTextEdit) and not f.isReadOnly():
            f.setPlainText(self.rng.choice(TEXTS))
            self.did("type")
        elif isinstance(f, QComboBox) and f.count():
            f.setCurrentIndex(self.rng.randrange(f.count()))
            self.did("choose")
        elif isinstance(f, QCheckBox):
            f.click()
            self.did("tick")
        elif isinstance(f, QAbstractSpinBox):
            f.setFocus()
            f.stepBy(self.rng.choice([-3, -1, 1, 5]))
            self.did("spin")
        # a wheel over any field it has no focus on must not change it (the settings dialog once did)
        if self.rng.random() < 0.2:
            from PySide6.QtCore import QPointF
            from PySide6.QtGui import QWheelEvent

            ev = QWheelEvent(
                QPointF(5, 5),
                QPointF(f.mapToGlobal(QPoint(5, 5))),
                QPoint(0, 0),
                QPoint(0, -120),
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
                Qt.ScrollPhase.NoScrollPhase,
                False,
            )
            QApplication.sendEvent(f, ev)
            self.did("wheel")

    # ---- whatever dialog is up -----------------------------------------------------------------
    def on_dialog(self, dlg: QWidget, leaving: bool) -> None:
        if self.stopping or QApplication.activeModalWidget() is not dlg or not dlg.isVisible():
            return
        depth = len(
            [t for t in QApplication.topLevelWidgets() if t.isVisible() and isinstance(t, QDialog)]
        )
        if isinstance(dlg, QFileDialog):
            self.on_file_dialog(dlg)
            return
        r = self.rng.random()
        if leaving or depth > 3 or r < 0.15:
            QTest.keyClick(dlg, Qt.Key.Key_Escape)
            self.did("dialog Esc")
        elif isinstance(dlg, QMessageBox):
            buttons = [b for b in dlg.buttons() if b.isVisible()]
            if buttons:
                b = self.rng.choice(buttons)
                self.did(f"message {b.text()}")
                b.click()
        elif r < 0.55:
            self.fill_some_field(dlg)
        elif r < 0.65:
            self.activate_some_row(dlg)
        elif r < 0.75:
            tabs = [t for t in dlg.findChildren(QTabWidget) if t.isVisible()]
            if tabs:
                t = self.rng.choice(tabs)
                t.setCurrentIndex(self.rng.randrange(t.count()))
                self.did("dialog tab")
        else:
            boxes = [b for b in dlg.findChildren(QDialogButtonBox) if b.isVisible()]
            buttons = [b for box in boxes for b in box.buttons() if b.isEnabled()]
            if not buttons or self.rng.random() < 0.4:
                self.click_some_button(dlg)
            else:
                b = self.rng.choice(buttons)
                self.did("dialog " + b.text())
                b.click()
        if self.rng.random() < 0.05:  # the window's close button
            dlg.close()
            self.did("dialog close")

    def on_file_dialog(self, dlg: QFileDialog) -> None:
        if self.rng.random() < 0.7:
            dlg.reject()
            self.did("file dialog cancel")
            return
        if dlg.acceptMode() == QFileDialog.AcceptMode.AcceptSave:
            name = f"导出 #{self.rng.randrange(1000)} %{self.rng.choice(['.xlsx', '.pdf', ''])}"
            target = self.workdir / "导出" / name
            target.parent.mkdir(exist_ok=True)
        else:
            files = sorted((self.workdir / "inputs").glob("*"))
            if not files:
                dlg.reject()
                return
            target = self.rng.choice(files)
        dlg.selectFile(str(target))
        self.did("file dialog accept")
        dlg.accept()


def gc_on_workers(stop: threading.Event, rng: random.Random) -> threading.Thread:
    """A thread that runs the garbage collector now and then, and every background job does too."""
    from brigade_desk.ui import tasks

    original = tasks._Job.run

    def run(job: tasks._Job) -> None:  # type: ignore[name-defined]
        gc.collect()
        original(job)
        gc.collect()

    tasks._Job.run = run  # type: ignore[method-assign]

    def loop() -> None:
        while not stop.wait(rng.uniform(0.05, 0.4)):
            gc.collect()

    t = threading.Thread(target=loop, name="gc-on-a-worker", daemon=True)
    t.start()
    return t


def watchdog(clerk: Clerk, hang_s: float, stop: threading.Event) -> None:
    def loop() -> None:
        while not stop.wait(1.0):
            if time.monotonic() - clerk.heartbeat > hang_s and clerk.window is not None:
                print(
                    f"soak seed={clerk.seed}: the GUI thread did not answer for {hang_s:.0f} s",
                    flush=True,
                )
                faulthandler.dump_traceback(all_threads=True)
                os._exit(3)

    threading.Thread(target=loop, name="watchdog", daemon=True).start()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--db", help="a demo database to copy (made when missing)")
    ap.add_argument(
        "--pg",
        help="an empty PostgreSQL database (postgresql://…): the demo is copied there (copy-db) "
        "and the clerk works on the server",
    )
    ap.add_argument("--workdir")
    ap.add_argument("--hang", type=float, default=20)
    ap.add_argument(
        "--without-safety",
        action="store_true",
        help="run without brigade_desk.ui.safety (to see the crashes it prevents)",
    )
    args = ap.parse_args()
    print(f"soak seed={args.seed} seconds={args.seconds:.0f}", flush=True)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="soak "))
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    # the program's own settings, logs and backups stay in the work folder
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_STATE_HOME"] = str(home / "state")
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    os.environ["HOME"] = str(home)
    db = workdir / "台账 #1 %" / "soak.sqlite"
    db.parent.mkdir(parents=True, exist_ok=True)
    if args.db and Path(args.db).exists():
        shutil.copy(args.db, db)
    else:
        from brigade_desk.app.cli import main as cli

        if cli(["--db", str(db), "demo"]) != 0:
            return 1
    inputs = workdir / "inputs"
    inputs.mkdir(exist_ok=True)
    from brigade_desk.app.cli import main as cli

    for kind in ("staff", "training", "cases"):
        cli(["--db", str(db), "template", kind, "--out", str(inputs / f"{kind}模板.xlsx")])
    (inputs / "空文件.xlsx").write_bytes(b"")
    (inputs / "不是表格.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")

    from brigade_desk.app import gui as app_module

    app_module.make_app()
    clerk = Clerk(args.seed, args.seconds, workdir)
    tracebacks: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = record.getMessage()
            if record.exc_info or "Traceback" in text:
                tracebacks.append(text[:2000])

    logging.getLogger().addHandler(Catch(logging.ERROR))
    logging.getLogger().setLevel(logging.INFO)

    def crash(text: str, parent: QWidget | None = None) -> None:
        clerk.crashes.append(text)
        print(f"soak seed={args.seed}: CRASH DIALOG\n{text}", flush=True)

    app_module.show_crash = crash  # type: ignore[assignment]
    if args.without_safety:

        class Nothing:
            def uninstall(self) -> None:
                pass

        app_module.install_safety = lambda app: Nothing()  # type: ignore[assignment]
    QDesktopServices.openUrl = staticmethod(lambda url: True)  # type: ignore[method-assign]
    qt_problems: list[str] = []

    def qt_messages(kind: QtMsgType, _ctx: object, msg: str) -> None:
        if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            qt_problems.append(msg)
        if kind != QtMsgType.QtDebugMsg and "propagateSizeHints" not in msg:
            print(f"qt: {msg}", file=sys.stderr, flush=True)

    qInstallMessageHandler(qt_messages)
    stop = threading.Event()
    gc_on_workers(stop, random.Random(args.seed + 1))
    watchdog(clerk, args.hang, stop)
    target = str(db)
    if args.pg:
        from brigade_desk.core.copydb import copy_database

        if not copy_database(db, args.pg).verified:
            return 1
        target = args.pg
    code = app_module.run_gui(target, clerk.ready)
    stop.set()
    problems = clerk.crashes + tracebacks + qt_problems
    print(
        f"soak seed={args.seed}: exit {code}, {len(clerk.crashes)} crash dialogs, "
        f"{len(tracebacks)} tracebacks logged, {len(qt_problems)} Qt critical messages",
        flush=True,
    )
    for t in tracebacks[:5]:
        print(t, flush=True)
    return 4 if problems else int(code)


if __name__ == "__main__":
    sys.exit(main())
