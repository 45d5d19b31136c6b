"""Starting the GUI: logging, fonts, crash dialog, opening the database, the main window."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QSettings, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from brigade_desk import APP_NAME, APP_TITLE, __version__, fonts, paths
from brigade_desk.errors import UserError

log = logging.getLogger("brigade_desk")
LOG_FILE_NAME = "brigade_desk.log"


def setup_logging() -> Path | None:
    try:
        d = paths.log_dir()
        d.mkdir(parents=True, exist_ok=True)
        f = d / LOG_FILE_NAME
        h = logging.handlers.RotatingFileHandler(f, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(h)
        root.setLevel(logging.INFO)
        return f
    except OSError:
        return None


def log_file() -> Path:
    return paths.log_dir() / LOG_FILE_NAME


def ensure_chinese_font(app: QApplication) -> str:
    """Use the system's Chinese UI font; load the shipped one when the system has none."""
    cjk = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    preferred = ["Microsoft YaHei UI", "Microsoft YaHei", "微软雅黑", "SimHei", "PingFang SC",
                 "Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei"]
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


def show_crash(text: str, parent: QWidget | None = None) -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("程序出错")
    box.setText(
        "程序遇到了意外错误。已保存的数据不受影响。\n"
        f"请把日志文件发给维护人员：{log_file()}"
    )
    box.setDetailedText(text)
    box.exec()


def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    if isinstance(exc, UserError):
        QMessageBox.warning(None, "无法完成", exc.message)
        return
    log.error("unhandled exception:\n%s", text)
    try:
        show_crash(text)
    except Exception:  # the dialog itself must never take the process down
        sys.__excepthook__(exc_type, exc, tb)


def install_qt_translations(app: QApplication, locale: str = "zh_CN") -> QTranslator | None:
    """Qt's own texts in Chinese: the standard buttons (是/否/确定/取消/打开/保存), message boxes, the
    file and print dialogs. Uses qtbase_zh_CN.qm shipped with PySide6 (and collected into the bundle)."""
    import PySide6
    from PySide6.QtCore import QLibraryInfo, QLocale

    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))  # calendar: 一月, 周一
    pkg = Path(PySide6.__file__).parent
    folders = [QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath),
               str(pkg / "Qt" / "translations"), str(pkg / "translations")]
    tr = QTranslator(app)  # parented: lives as long as the application
    for folder in folders:
        if tr.load(f"qtbase_{locale}", folder):
            app.installTranslator(tr)
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


def start_window(path: Path, on_ready: Callable[[object], None] | None = None,
                 settings: QSettings | None = None) -> tuple[QApplication, object]:
    """Show the main window first, then open (and migrate) the database on the next turn.

    The clerk sees the window at once; the heavy imports (SQLAlchemy, Alembic) and the migration
    happen after the first paint. Errors opening the database are shown and end the program.
    """
    from PySide6.QtCore import QEvent, QObject, QTimer

    from brigade_desk.ui.context import AppContext
    from brigade_desk.ui.main_window import MainWindow
    from brigade_desk.ui.tasks import TaskRunner

    app = make_app()
    ctx = AppContext(db=None, tasks=TaskRunner(), qsettings=settings or qsettings())  # type: ignore[arg-type]
    win = MainWindow(ctx)

    class FirstPaint(QObject):
        def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802
            if ev.type() == QEvent.Type.Paint:
                win.removeEventFilter(self)
                QTimer.singleShot(0, finish)
            return False

    def finish() -> None:
        from brigade_desk.db import open_database

        try:
            db = open_database(path)
        except (UserError, OSError) as exc:
            QMessageBox.critical(win, "无法打开数据库", getattr(exc, "message", str(exc)))
            app.exit(1)
            return
        log.info("opened %s (version %s)", path, __version__)
        win.attach_database(db)
        if on_ready is not None:
            on_ready(win)

    watcher = FirstPaint(win)
    win.installEventFilter(watcher)
    win.show()
    return app, win


def run_gui(db_arg: str | None = None) -> int:
    from brigade_desk.lock import DatabaseLock

    setup_logging()
    path = paths.resolve_db_path(db_arg)
    lock = DatabaseLock(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except (UserError, OSError) as exc:
        make_app()
        QMessageBox.critical(None, "无法打开数据库", getattr(exc, "message", str(exc)))
        return 1
    sys.excepthook = _excepthook
    app, win = start_window(path, lambda w: w.start_background_checks())  # type: ignore[attr-defined]
    code = app.exec()
    ctx = win.ctx  # type: ignore[attr-defined]
    ctx.tasks.wait_idle(60_000)
    if ctx.db is not None:
        ctx.db.close()
    lock.release()
    return int(code)


def main() -> int:
    import argparse

    p = argparse.ArgumentParser(prog="brigade-desk-gui")
    p.add_argument("--db")
    args, _ = p.parse_known_args()
    return run_gui(args.db)
