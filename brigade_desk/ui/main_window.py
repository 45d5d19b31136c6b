"""The main window: navigation on the left, one page per ledger, status bar, remembered layout."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from brigade_desk import APP_TITLE, __version__
from brigade_desk.core import paths
from brigade_desk.core.changes import Changes
from brigade_desk.core.ledger import PageDef
from brigade_desk.core.tabular.read import IMPORT_SUFFIXES
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.pages import all_pages
from brigade_desk.ui.tasks import describe
from brigade_desk.ui.widgets.screen import place_main_window

log = logging.getLogger(__name__)
WATCH_MS = 2000  # how often to look for writes by other programs (one cheap PRAGMA)


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        from brigade_desk.ui.widgets.wheel import install_wheel_guard

        install_wheel_guard(QApplication.instance())  # type: ignore[arg-type]  # once per application; the wheel changes focused fields only
        self.ctx = ctx
        ctx.window = self
        self.pages: list[PageDef] = all_pages(ctx.ledgers)
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self._pages: dict[str, QWidget] = {}
        self.audit_result: object | None = None
        self.db_path: Path | None = (
            ctx.db.path if ctx.db is not None else None
        )  # also before it opens
        self._on_ready: Callable[[MainWindow], None] | None = None

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setMinimumWidth(150)
        self.nav.setMaximumWidth(220)
        self.stack = QStackedWidget()
        for pd in self.pages:
            item = QListWidgetItem(pd.title if pd.factory else f"{pd.title}（后续版本）")
            item.setData(Qt.ItemDataRole.UserRole, pd.key)
            item.setToolTip(pd.tip)
            if pd.factory is None:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.nav.addItem(item)
            self.stack.addWidget(QWidget())  # replaced by the real page on first show
        self.nav.currentRowChanged.connect(self._show_row)

        self.splitter = QSplitter()
        self.splitter.addWidget(self.nav)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, False)
        self.setCentralWidget(self.splitter)

        self._db_label = QLabel("正在打开数据库…")
        self._damage_said: Path | None = (
            None  # the damaged database already told (database_damaged)
        )
        self.damage_box: QMessageBox | None = None
        self.statusBar().addPermanentWidget(self._db_label)
        ctx.events.status.connect(lambda t: self.statusBar().showMessage(t, 8000))
        ctx.tasks.unhandled_error.connect(self.show_error)
        # after a change, every rule's findings and the home page figures are computed again in the
        # background (debounced), so the pages that show them open at once
        self._warm_timer = QTimer(self)
        self._warm_timer.setSingleShot(True)
        self._warm_timer.setInterval(400)
        self._warm_timer.timeout.connect(self.warm_caches)
        ctx.events.data_changed.connect(lambda _w: self._warm_timer.start())
        # another program's writes (the file lock keeps other Brigade Desk programs from writing,
        # not every program): every page and cache refreshes as after a restore
        self._watch_timer = QTimer(self)
        self._watch_timer.setInterval(WATCH_MS)
        self._watch_timer.timeout.connect(self.poll_other_writers)
        self._watch_timer.start()
        self._build_menus()
        self._restore_geometry()
        if ctx.db is not None:
            self.attach_database(ctx.db)

    def open_database_at(
        self, path: Path | str, on_ready: Callable[[MainWindow], None] | None = None
    ) -> None:
        """Check and open (migrate) the database at ``path`` in the background, then attach it.

        A damaged file (it failed its check and was not written to) gets the restore dialog: the
        backups of this database, restore, then open the restored one and carry on — or quit. Any
        other failure is said (a message or the crash dialog) and ends the program: the window never
        stays on 正在打开数据库…."""
        from brigade_desk.core.db import open_database
        from brigade_desk.core.dburl import redacted
        from brigade_desk.core.errors import DatabaseDamagedError

        # a file's path (backups, damage, the data folder); a server (core.server) has none here
        self.db_path = path if isinstance(path, Path) else None
        target = path
        path = path if isinstance(path, Path) else redacted(path)  # as shown and logged
        self._on_ready = on_ready
        self._db_label.setText("正在检查并打开数据库…")

        def opened(db: object) -> None:
            log.info("opened %s (version %s)", path, __version__)
            self.attach_database(db)
            if on_ready is not None:
                on_ready(self)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, DatabaseDamagedError):
                log.warning("database %s failed its check: %s", path, exc.detail)
                self._db_label.setText(f"数据库已损坏，未打开：{path}")
                what = f"（{exc.detail}）" if exc.detail else ""
                self.offer_restore(
                    f"数据库文件 {path} 已损坏，无法使用{what}。为免损坏扩大，程序没有向其中写入任何内容。"
                )
                return
            self._db_label.setText(f"无法打开数据库：{path}")
            user, text = describe(exc)
            if user:
                QMessageBox.critical(self, "无法打开数据库", text)
            else:
                log.error("opening the database failed:\n%s", text)
                from brigade_desk.ui.safety import show_crash

                show_crash(text, self)
            app_instance().exit(1)

        self.ctx.tasks.run(
            lambda _p: open_database(target), on_success=opened, on_failure=failed, writes=True
        )

    def offer_restore(self, message: str) -> None:
        """The database is damaged: the backups of this database, to restore one (then open it), or quit."""
        from brigade_desk.ui.backup_dialog import BackupDialog

        assert self.db_path is not None
        dlg = BackupDialog(self.ctx, self, db_path=self.db_path, damaged=message)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.restored.connect(lambda _kept: self._reopen())
        dlg.rejected.connect(self._quit_unopened)
        self.damaged_dialog = dlg
        dlg.open()  # window-modal; the answer comes back through the signals above

    def _reopen(self) -> None:
        if self.ctx.db is None and self.db_path is not None:
            path, on_ready = self.db_path, self._on_ready
            QTimer.singleShot(0, lambda: self.open_database_at(path, on_ready))

    def _quit_unopened(self) -> None:
        log.info("quit without a database (damaged: %s)", self.db_path)
        self._db_label.setText("数据库已损坏，未打开。")
        app_instance().exit(1)

    def _need_db(self) -> bool:
        if self.ctx.db is not None:
            return True
        QMessageBox.information(
            self,
            "数据库未打开",
            "数据库还没有打开（或已损坏）。请先用“文件 → 备份与恢复”从备份恢复。",
        )
        return False

    def poll_other_writers(self) -> bool:
        """Tell every page when somebody else wrote to the database since the last look (one
        ``PRAGMA data_version``, see ``ChangeCounter.poll``). Our own writes are not taken for
        another's; while our own writing task runs, the look waits (that task sends its notice)."""
        db = self.ctx.db
        if db is None or self.ctx.tasks.writer.activeThreadCount():
            return False
        if not db.changes.poll():
            return False
        log.info("database %s was changed by another program", db.name)
        self.ctx.changed(Changes.ALL | Changes.EXTERNAL)
        return True

    def attach_database(self, db: object) -> None:
        """The database is open: show its name and the page the clerk was on last time."""
        self.ctx.db = db  # type: ignore[assignment]
        self.ctx.db.changes.poll()  # start watching for other writers from here
        db = self.ctx.db
        self.db_path = None if db.server else db.path
        # Qt adds " — 执法大队内勤台账" (the application display name)
        self.setWindowTitle(db.name if db.server else db.path.name)
        self._db_label.setText(f"数据库：{db.name}")
        row = int(self.ctx.qsettings.value("main/page", 0) or 0)  # type: ignore[call-overload]  # value() is typed object
        if not (0 <= row < len(self.pages)) or self.pages[row].factory is None:
            row = 0
        if self.nav.currentRow() == row:  # already selected while there was no database: no signal
            self._show_row(row)
        else:
            self.nav.setCurrentRow(row)

    # ---- pages --------------------------------------------------------------------------------
    def page(self, key: str) -> QWidget:
        """The page for ``key``, created on first use."""
        if key in self._pages:
            return self._pages[key]
        idx = next(i for i, p in enumerate(self.pages) if p.key == key)
        pd = self.pages[idx]
        if pd.factory is None:
            raise KeyError(key)
        widget: QWidget = pd.factory(self.ctx)
        old = self.stack.widget(idx)
        assert old is not None  # every page has its placeholder in the stack
        self.stack.removeWidget(old)
        old.deleteLater()
        self.stack.insertWidget(idx, widget)
        self._pages[key] = widget
        return widget

    def show_page(self, key: str) -> QWidget:
        idx = next(i for i, p in enumerate(self.pages) if p.key == key)
        self.nav.setCurrentRow(idx)
        return self.page(key)

    def _show_row(self, row: int) -> None:
        if row < 0 or self.ctx.db is None:
            return
        pd: PageDef = self.pages[row]
        if pd.factory is None:
            return
        w = self.page(pd.key)
        self.stack.setCurrentIndex(row)
        refresh = getattr(w, "on_shown", None)
        if refresh:
            refresh()

    def open_record(self, entity: str, record_id: int | None) -> None:
        for pd in self.pages:
            if entity in pd.entities and pd.factory:
                w = self.show_page(pd.key)
                opener = getattr(w, "open_record", None)
                if opener and record_id is not None:
                    opener(entity, record_id)
                return
        self.statusBar().showMessage("该问题没有可打开的记录", 5000)

    # ---- menus --------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        m = self.menuBar().addMenu("文件(&F)")
        act = QAction("从 Excel 导入(&I)…", self)
        act.setShortcut(QKeySequence("Ctrl+I"))
        act.triggered.connect(lambda: self.import_file(None))
        m.addAction(act)
        tpl = QAction("下载导入模板(&T)…", self)
        tpl.triggered.connect(self.save_template)
        m.addAction(tpl)
        m.addSeparator()
        settings = QAction("单位信息与规则设置(&S)…", self)
        settings.triggered.connect(self.edit_settings)
        m.addAction(settings)
        bk = QAction("备份与恢复(&B)…", self)
        bk.triggered.connect(self.backups)
        m.addAction(bk)
        m.addSeparator()
        data = QAction("打开数据文件夹", self)
        data.triggered.connect(
            lambda: (
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.db_path.parent)))
                if self.db_path is not None
                else None
            )
        )
        m.addAction(data)
        quit_ = QAction("退出(&X)", self)
        quit_.setShortcut(QKeySequence.StandardKey.Quit)
        quit_.triggered.connect(self.close)
        m.addAction(quit_)
        e = self.menuBar().addMenu("编辑(&E)")
        self.undo_action = QAction("撤销删除(&U)", self)
        self.undo_action.setShortcut(
            QKeySequence.StandardKey.Undo
        )  # a text box with focus keeps Ctrl+Z for itself
        self.undo_action.setEnabled(False)
        self.undo_action.triggered.connect(self.undo_delete)
        e.addAction(self.undo_action)
        self.find_action = QAction("查找(&F)", self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.setToolTip("把光标放到本页列表的搜索框（Ctrl+F）")
        self.find_action.triggered.connect(self.focus_filter)
        e.addAction(self.find_action)
        self.ctx.events.deleted.connect(self._deleted)
        self.ledger_menu = self.menuBar().addMenu("台账(&L)")
        for i, pd in enumerate(self.pages):
            a = QAction(pd.title, self)
            a.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            a.setEnabled(pd.factory is not None)
            a.triggered.connect(lambda _=False, k=pd.key: self.show_page(k))
            self.ledger_menu.addAction(a)
        h = self.menuBar().addMenu("帮助(&H)")
        about = QAction("关于(&A)", self)
        about.triggered.connect(self.about)
        h.addAction(about)

    def focus_filter(self) -> None:
        """Ctrl+F: the cursor into the search field of the list shown (each page says which field
        through ``filter_field()``, by the tab shown), its text selected so typing replaces it."""
        page = self.stack.currentWidget()
        getter = getattr(page, "filter_field", None)
        field = getter() if callable(getter) else None
        if field is None:
            self.statusBar().showMessage("本页没有可搜索的列表", 5000)
            return
        field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        edit = field if isinstance(field, QLineEdit) else getattr(field, "lineEdit", lambda: None)()
        if isinstance(edit, QLineEdit):
            edit.selectAll()

    def _deleted(self, label: str) -> None:
        self._show_undo()
        self.statusBar().showMessage(
            f"已删除{label}。需要时可用“编辑 → 撤销删除”（Ctrl+Z）恢复。", 10000
        )

    def _show_undo(self) -> None:
        batch = self.ctx.last_deleted
        self.undo_action.setText(f"撤销删除：{batch.label}(&U)" if batch else "撤销删除(&U)")
        self.undo_action.setEnabled(batch is not None)

    def undo_delete(self) -> None:
        """Put back what the latest delete not yet undone removed (from the audit trail:
        core.undo); Ctrl+Z again takes back the one before."""
        from brigade_desk.core import undo
        from brigade_desk.core.errors import UserError

        batch = self.ctx.last_deleted
        if batch is None:
            return
        try:
            n = undo.undo(self.ctx.db, batch)
        except UserError as exc:
            QMessageBox.warning(self, "无法撤销", str(exc))
            return
        self.ctx.deleted = self.ctx.deleted[:-1]
        self._show_undo()
        self.statusBar().showMessage(f"已撤销删除{batch.label}（恢复 {n} 条记录）", 8000)
        self.ctx.changed(batch.what)

    def about(self) -> None:
        db = self.ctx.db
        server = db is not None and db.server  # a server ledger has no file (db_path is None)
        where = db.name if db is not None and server else (self.db_path or "（未打开）")
        QMessageBox.about(
            self,
            "关于",
            f"<h3>{APP_TITLE}（Brigade Desk）</h3>"
            f"<p>版本 {__version__}</p>"
            f"<p>数据库：{where}</p>"
            f"<p>备份文件夹：{paths.backup_dir_for(self.db_path) if self.db_path else '—'}</p>"
            f"<p>日志文件夹：{paths.log_dir()}</p>"
            + (
                "<p>台账保存在局域网的数据库服务器上。</p>"
                if server
                else "<p>离线运行，数据只保存在本机。</p>"
            ),
        )

    def edit_settings(self) -> None:
        from brigade_desk.ui.settings_dialog import SettingsDialog

        if not self._need_db():
            return
        if SettingsDialog(self.ctx, self).exec():
            self.ctx.changed(Changes.SETTINGS)

    def backups(self) -> None:
        from brigade_desk.ui.backup_dialog import BackupDialog

        if self.ctx.db is None:  # not open (damaged, or still opening): list and restore only
            if self.db_path is None:
                QMessageBox.information(self, "备份与恢复", "数据库还没有打开，请稍候。")
                return
            dlg = BackupDialog(self.ctx, self, db_path=self.db_path)
            dlg.restored.connect(lambda _kept: self._reopen())
            dlg.exec()
            self._damage_said = None
            return
        BackupDialog(self.ctx, self).exec()
        self._damage_said = None  # damage met after a restore is said again

    def start_background_checks(self) -> None:
        """After the window shows: the daily backup, then verify the audit trail."""
        from brigade_desk.core import audit, backup
        from brigade_desk.core.errors import UserError

        db = self.ctx.db
        said: list[str] = []

        def work(_p: object) -> audit.VerifyResult:
            if not db.server:
                backup.daily_backup_if_due(db.path)
            else:  # this PC's daily backup of the server database (core.pgbackup)
                from brigade_desk.core import pgbackup

                try:
                    pgbackup.daily_backup_if_due(
                        db.engine.url.render_as_string(hide_password=False)
                    )
                except UserError as exc:  # the server's own data is untouched: said, not fatal
                    log.warning("daily backup of %s failed: %s", db.name, exc)
                    said.append(f"今天的自动备份没有完成：{exc.message}")
            return audit.verify_database(db)

        def done(res: audit.VerifyResult) -> None:
            self.audit_result = res
            if not res.ok:
                self.statusBar().showMessage(f"警告：审计记录核对发现问题——{res.problem}")
                self.ctx.changed(Changes.AUDIT)
            elif said:
                self.statusBar().showMessage(said[0], 30_000)

        self.warm_caches()
        self.ctx.tasks.run(work, on_success=done)

    def warm_caches(self) -> None:
        """Compute the findings, the home page figures and the roster in the background (see
        core.cache), so the pages that show them open at once."""
        from brigade_desk.reports.home import warm

        db = self.ctx.db
        if db is None:
            return
        today = dt.date.today()

        def failed(exc: BaseException) -> None:  # the page that needs it will say what went wrong
            log.warning("background refresh of the findings failed: %s", exc)

        ledgers = self.ctx.ledgers
        self.ctx.tasks.run(lambda _p: warm(db, today, ledgers), on_failure=failed)

    def save_template(self) -> None:
        from brigade_desk.ui.import_dialog import save_template

        save_template(self.ctx, self)

    def import_file(self, path: str | None) -> None:
        from brigade_desk.ui.import_dialog import ImportDialog

        if not self._need_db():
            return
        dlg = ImportDialog(self.ctx, self, path)
        dlg.exec()

    # ---- drag & drop --------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        if urls and all(u.toLocalFile().lower().endswith(IMPORT_SUFFIXES) for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        if urls:
            self.import_file(urls[0].toLocalFile())

    # ---- errors -------------------------------------------------------------------------------
    def show_error(self, exc: BaseException) -> None:
        from brigade_desk.core.errors import DatabaseDamagedError, translate_db_error

        damaged = translate_db_error(exc, self.db_path)
        if isinstance(damaged, DatabaseDamagedError):
            self.database_damaged(damaged)
            return
        user, text = describe(exc)
        if user:
            QMessageBox.warning(self, "无法完成", text)
        else:  # logged and shown once per distinct bug, like an error in a slot (ui/safety.py)
            from brigade_desk.ui.safety import report_exception

            log.error("unexpected error in background task:\n%s", text)
            report_exception(type(exc), exc, exc.__traceback__, text=text, logged=True)

    def database_damaged(self, exc: BaseException) -> None:
        """A query met damage while the program was in use (the database had passed its check at
        start-up: the disk failed since). The engine runs nothing more on that file; the clerk is
        told once, with the way out (备份与恢复), not with the crash box; later failures of the same
        kind go to the status bar only, until a restore."""
        db = self.ctx.db
        key = db.path if db is not None else self.db_path
        self._db_label.setText(f"数据库已损坏：{key}")
        if self._damage_said == key:
            self.statusBar().showMessage("数据库已损坏，操作没有完成。请从备份恢复。", 8000)
            return
        self._damage_said = key
        log.warning("database %s damaged during use: %s", key, exc)
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("数据库已损坏")
        box.setText(str(exc))
        restore_btn = box.addButton("从备份恢复…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("关闭", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore_btn)
        self.damage_box = box
        box.exec()
        self.damage_box = None
        if box.clickedButton() is restore_btn:
            self.backups()

    # ---- layout memory ------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        s = self.ctx.qsettings
        geo = s.value("main/geometry")
        restored = isinstance(geo, QByteArray) and not geo.isEmpty() and self.restoreGeometry(geo)
        place_main_window(self, restored)  # only when it fits the screen; else maximised
        st = s.value("main/state")
        if isinstance(st, QByteArray):
            self.restoreState(st)
        sp = s.value("main/splitter")
        if not (isinstance(sp, QByteArray) and self.splitter.restoreState(sp)):
            self.splitter.setSizes([170, max(600, self.width() - 170)])

    def closeEvent(self, event: object) -> None:  # noqa: N802
        if self.ctx.tasks.busy:
            ans = QMessageBox.question(
                self, "仍有任务在运行", "后台任务尚未完成。等待其完成后退出吗？"
            )
            if ans != QMessageBox.StandardButton.Yes:
                event.ignore()  # type: ignore[attr-defined]
                return
            self.ctx.tasks.wait_idle(60_000)
        s = self.ctx.qsettings
        s.setValue("main/geometry", self.saveGeometry())
        s.setValue("main/state", self.saveState())
        s.setValue("main/splitter", self.splitter.saveState())
        s.setValue("main/page", self.nav.currentRow())
        for w in self._pages.values():
            saver = getattr(w, "save_state", None)
            if saver:
                saver()
        s.sync()
        super().closeEvent(event)  # type: ignore[arg-type]


def app_instance() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return app


def resource_path(*parts: str) -> Path:
    return paths.resource(*parts)
