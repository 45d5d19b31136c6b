"""Starting the GUI: logging, fonts, crash dialog, opening the database, the main window."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox

from brigade_desk import APP_NAME, APP_TITLE, __version__
from brigade_desk.core import paths
from brigade_desk.core.errors import UserError
from brigade_desk.core.forms import fonts
from brigade_desk.ui.safety import show_crash

log = logging.getLogger("brigade_desk")
LOG_FILE_NAME = paths.LOG_FILE_NAME


def setup_logging() -> Path | None:
    try:
        d = paths.log_dir()
        d.mkdir(parents=True, exist_ok=True)
        f = d / LOG_FILE_NAME
        h = logging.handlers.RotatingFileHandler(
            f, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(h)
        root.setLevel(logging.INFO)
        return f
    except OSError:
        return None


def log_file() -> Path:
    return paths.log_file()


def ensure_chinese_font(app: QApplication) -> str:
    """Use the system's Chinese UI font; load the shipped one when the system has none."""
    cjk = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    preferred = [
        "Microsoft YaHei UI",
        "Microsoft YaHei",
        "微软雅黑",
        "SimHei",
        "PingFang SC",
        "Noto Sans CJK SC",
        "WenQuanYi Micro Hei",
        "WenQuanYi Zen Hei",
    ]
    for fam in preferred:
        if fam in cjk:
            f = QFont(fam)
            f.setPointSize(10)
            app.setFont(f)
            return fam
    fid = QFontDatabase.addApplicationFont(str(fonts.shipped_font().path))
    fams = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
    if fams:
        f = QFont(fams[0])
        f.setPointSize(10)
        app.setFont(f)
        return fams[0]
    if cjk:
        return cjk[0]
    return app.font().family()


def _show_crash_on_window(text: str) -> None:
    from brigade_desk.ui.safety import parent_window

    show_crash(text, parent_window())  # looked up at call time (the soak test replaces it)


def _show_user_error(message: str) -> None:
    from brigade_desk.ui.safety import parent_window

    QMessageBox.warning(parent_window(), "无法完成", message)


def install_safety(app: QApplication) -> object:
    """Garbage collection and dialog deletion on the GUI thread; errors from any thread logged and
    shown there, once (``brigade_desk.ui.safety``)."""
    from brigade_desk.ui.safety import install

    return install(app, _show_crash_on_window, _show_user_error)


class _MnemonicTranslator(QTranslator):
    """Qt 6 texts that gained a mnemonic ("&Look in:", "Files of &type:" in the file dialog) while
    qtbase_zh_CN.qm still translates them without one ("Look in:" -> "查找范围："): looked up
    without the "&" and given back in Qt's Chinese style, "查找范围(&L)：". Anything else is left to
    the next translator."""

    def __init__(self, base: QTranslator, parent: QApplication) -> None:
        super().__init__(parent)
        self._base = base

    def translate(
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str | None:
        # None (a null QString) passes the text to the next translator; "" would translate it to
        # nothing
        if not source or "&" not in source or "&&" in source:
            return None
        at = source.index("&")
        if at + 1 >= len(source):
            return None
        plain = source[:at] + source[at + 1 :]
        got = self._base.translate(context, plain, disambiguation, n)
        if not got or got == plain:
            return None
        key = f"(&{source[at + 1].upper()})"
        body = got.rstrip("：:")
        return body + key + got[len(body) :]

    def isEmpty(self) -> bool:  # noqa: N802 - Qt's name
        return False


def install_qt_translations(app: QApplication, locale: str = "zh_CN") -> QTranslator | None:
    """Qt's own texts in Chinese: the standard buttons (是/否/确定/取消/打开/保存), message boxes, the
    file and print dialogs. Uses qtbase_zh_CN.qm shipped with PySide6 (and collected into the bundle)."""
    import PySide6
    from PySide6.QtCore import QLibraryInfo, QLocale

    QLocale.setDefault(
        QLocale(QLocale.Language.Chinese, QLocale.Country.China)
    )  # calendar: 一月, 周一
    pkg = Path(PySide6.__file__).parent
    folders = [
        QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath),
        str(pkg / "Qt" / "translations"),
        str(pkg / "translations"),
    ]
    tr = QTranslator(app)  # parented: lives as long as the application
    for folder in folders:
        if tr.load(f"qtbase_{locale}", folder):
            app.installTranslator(tr)
            # consulted first (installed last): Qt 6 labels whose source text gained a mnemonic
            app.installTranslator(_MnemonicTranslator(tr, app))
            return tr
    log.warning("Qt translations qtbase_%s not found in %s", locale, folders)
    return None


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(argv or sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_TITLE)
    app.setApplicationVersion(__version__)
    ensure_chinese_font(app)
    install_qt_translations(app)
    # Background work (the rules, exports) runs on Python threads; the GUI thread waits for the
    # interpreter lock each time Qt calls back into Python while painting. A shorter switch interval
    # (default 5 ms, here 0.5 ms) hands it back sooner, so tables paint without stutter while the rules run.
    sys.setswitchinterval(0.0005)
    return app


def qsettings() -> QSettings:
    return QSettings(APP_NAME, APP_NAME)


def start_window(
    path: Path | str,
    on_ready: Callable[[object], None] | None = None,
    settings: QSettings | None = None,
) -> tuple[QApplication, object]:
    """Show the main window first, then open (and migrate) the database on the next turn.

    The clerk sees the window at once; the heavy imports (SQLAlchemy, Alembic), the check of the
    file and the migration happen after the first paint (MainWindow.open_database_at). A damaged
    database gets the restore dialog; other errors opening it are shown and end the program.
    """
    from PySide6.QtCore import QEvent, QObject, QTimer

    from brigade_desk.app.ledgers import REGISTRY
    from brigade_desk.ui.context import AppContext
    from brigade_desk.ui.main_window import MainWindow
    from brigade_desk.ui.tasks import TaskRunner

    app = make_app()
    ctx = AppContext(
        db=None,  # type: ignore[arg-type]
        tasks=TaskRunner(),
        qsettings=settings or qsettings(),
        ledgers=REGISTRY,
    )
    win = MainWindow(ctx)
    win.db_path = path if isinstance(path, Path) else None  # a server has no file here

    from brigade_desk.ui.safety import SafeEventFilter

    class FirstPaint(SafeEventFilter):
        def filter(self, obj: QObject, ev: QEvent) -> bool:
            if ev.type() == QEvent.Type.Paint:
                win.removeEventFilter(self)
                QTimer.singleShot(0, finish)
            return False

    def finish() -> None:
        # checked, opened and migrated off the GUI thread (quick_check reads the whole file); a
        # damaged file gets the restore dialog, other failures a message and the end of the program
        win.open_database_at(path, on_ready)

    watcher = FirstPaint(win)
    win.installEventFilter(watcher)
    win.show()
    return app, win


def run_gui(db_arg: str | None = None, on_ready: Callable[[object], None] | None = None) -> int:
    """The program: lock the database, start the window, run until it closes. ``on_ready`` is
    called with the window once the database is open (after the background checks started)."""
    from brigade_desk.core.lock import DatabaseLock

    setup_logging()
    target = paths.resolve_db_target(db_arg)
    # a file: the program's lock beside it; a server: several PCs at once, no lock
    lock = DatabaseLock(target) if isinstance(target, Path) else None
    if lock is not None:
        try:
            lock.path.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except (UserError, OSError) as exc:
            make_app()
            QMessageBox.critical(None, "无法打开数据库", getattr(exc, "message", str(exc)))
            return 1
    safety = install_safety(make_app())

    def ready(w: object) -> None:
        w.start_background_checks()  # type: ignore[attr-defined]
        if on_ready is not None:
            on_ready(w)

    app, win = start_window(target, ready)
    code = app.exec()
    ctx = win.ctx  # type: ignore[attr-defined]
    ctx.tasks.wait_idle(60_000)
    if ctx.db is not None:
        ctx.db.close()
    if lock is not None:
        lock.release()
    safety.uninstall()  # type: ignore[attr-defined]
    return int(code)


def main() -> int:
    import argparse

    p = argparse.ArgumentParser(prog="brigade-desk-gui")
    p.add_argument("--db")
    args, _ = p.parse_known_args()
    return run_gui(args.db)
