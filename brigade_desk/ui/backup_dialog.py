"""备份与恢复: the list of backups with dates and sizes; back up now; restore in two clicks.

Also works with no database open (``ctx.db`` is None): listing and restoring only, for the database
at ``db_path``. With ``damaged`` (the message of a database that failed its check) it is the dialog
the clerk meets at start-up: what is wrong, the backups of that database, restore or quit.
``restored`` is emitted after a restore done without an open database: the caller opens it then.

On a server database (``ctx.db.server``): this PC's backups of it (core.pgbackup: pg_dump files or
the program's own copies), 立即备份 in the background with progress and 取消, and restore from either
kind into the server database after a confirmation naming it; the backup folder is this PC's folder
for the server database and is not changed here (the setting would be every PC's).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core import backup, pgbackup, restore, settings
from brigade_desk.core.backup import BackupInfo
from brigade_desk.core.changes import Changes
from brigade_desk.core.progress import Progress
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.screen import fit_to_screen
from brigade_desk.ui.widgets.table import Column, ListTableModel, apply_widths, make_view


class BackupDialog(QDialog):
    restored = Signal(object)  # Path kept aside (pre-restore backup or the renamed damaged file)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        db_path: Path | None = None,
        damaged: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        if db_path is None:
            db_path = ctx.db.path
        self.db_path = db_path
        self.damaged = damaged
        # a server database: its address (with the password, for pg_dump / the copy; never shown)
        self.server_url: str | None = (
            ctx.db.engine.url.render_as_string(hide_password=False)
            if ctx.db is not None and ctx.db.server and not damaged
            else None
        )
        self.setWindowTitle(
            "数据库已损坏 — 从备份恢复"
            if damaged
            else f"备份与恢复 — {ctx.db.name}"
            if self.server_url and ctx.db is not None
            else "备份与恢复"
        )
        fit_to_screen(self, 760, 520 if damaged else 460)
        self.problem = QLabel(damaged or "")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color:#a40000")
        self.problem.setVisible(bool(damaged))
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        cols: list[Column[BackupInfo]] = [
            Column("时间", lambda b: b.when, 150),
            Column("类型", lambda b: b.kind_zh, 80),
            Column("大小", lambda b: f"{b.size / 1024:,.0f} KB", 90, align_right=True),
            Column("文件", lambda b: b.path.name, 360),
        ]
        if self.server_url:  # pg_dump files beside the program's copies
            cols.insert(2, Column("格式", lambda b: b.format_zh, 90))
            cols[-1] = Column("文件", lambda b: b.path.name, 290)
        self.model: ListTableModel[BackupInfo] = ListTableModel(cols, self)
        self.view = make_view(self, "backups")
        self.view.setModel(self.model)
        self.view.setSortingEnabled(False)
        self.view.setSelectionMode(self.view.SelectionMode.SingleSelection)
        apply_widths(self.view, cols)
        self.view.doubleClicked.connect(lambda _i: self.restore_selected())
        now = QPushButton("立即备份")
        self.restore_btn = QPushButton("从所选备份恢复…")
        other = QPushButton("从其他文件恢复…")
        folder = QPushButton("更改备份文件夹…")
        open_folder = QPushButton("打开备份文件夹")
        close = QPushButton("退出程序" if damaged else "关闭")
        self.close_btn = close
        now.clicked.connect(self.backup_now)
        self.restore_btn.clicked.connect(self.restore_selected)
        other.clicked.connect(self.restore_other)
        folder.clicked.connect(self.change_folder)
        open_folder.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder())))
        )
        close.clicked.connect(self.reject if damaged else self.accept)
        if ctx.db is None:  # nothing open to back up, no setting to write the folder into
            for b, why in (
                (now, "数据库没有打开，无法备份"),
                (folder, "数据库没有打开，无法更改备份文件夹"),
            ):
                b.setEnabled(False)
                b.setToolTip(why)
        self.now_btn, self.folder_btn = now, folder
        bar = QHBoxLayout()
        for b in (now, self.restore_btn, other, folder, open_folder):
            bar.addWidget(b)
        if self.server_url:  # this PC's folder for the server database: not a shared setting
            folder.setVisible(False)
        bar.addStretch(1)
        bar.addWidget(close)
        note = QLabel(
            "每天第一次启动时自动备份；每日备份保留 30 天，每月保留一份共 12 个月，每年保留一份。"
            "手动、升级前和恢复前的备份不会被自动删除。"
            + (
                "恢复时损坏的数据库文件会改名保留在原文件夹中，不会删除。"
                if damaged
                else "恢复前会先备份当前数据。"
            )
            + "音像文件本身不在备份中，只备份其索引。"
        )
        if self.server_url and ctx.db is not None:
            note.setText(
                f"{ctx.db.name}在服务器上。“立即备份”把它备份到本机的文件夹：本机装有 PostgreSQL 的 "
                "pg_dump（版本不低于服务器）时为 pg_dump 文件，否则为本程序的数据库文件，两种都能用来恢复。"
                "每天第一次启动时自动备份一次。恢复会替换服务器上的全部数据，所有电脑看到的都将是备份时的数据；"
                "恢复前会先把当前数据备份到本机。音像文件本身不在备份中，只备份其索引。"
            )
        note.setWordWrap(True)
        note.setStyleSheet("color:#555")
        lay = QVBoxLayout(self)
        lay.addWidget(self.problem)
        lay.addWidget(self.hint)
        lay.addWidget(self.folder_label)
        lay.addWidget(self.view, 1)
        lay.addWidget(note)
        lay.addLayout(bar)
        self.reload()

    def folder(self) -> Path:
        if self.server_url:
            return pgbackup.backup_folder(self.server_url)
        return backup.backup_dir(self.db_path)

    def reload(self) -> None:
        f = self.folder()
        self.folder_label.setText(f"备份文件夹：{f}")
        self.model.set_rows(backup.list_backups(f))
        self.restore_btn.setEnabled(bool(self.model.rows))
        if self.model.rows and self.damaged:
            self.view.selectRow(0)  # the newest: usually the one to restore
        if self.damaged:
            self.hint.setText(
                "请在下面选择一个备份（最上面的是最新的），点“从所选备份恢复…”。恢复后程序会打开恢复的数据继续工作；"
                "备份之后录入的内容需要重新录入。"
                if self.model.rows
                else "备份文件夹中没有这个数据库的备份。如有备份副本（例如在 U 盘上），请点“从其他文件恢复…”选择它；"
                "否则请点“退出程序”，联系维护人员。"
            )
        self.hint.setVisible(bool(self.damaged) or bool(self.hint.text()))

    def backup_now(self) -> None:
        if self.server_url:
            self._backup_server()
            return
        path = self.db_path

        def done(out: object) -> None:
            self.reload()
            self.ctx.say(f"已备份：{out}")

        self.ctx.tasks.run(
            lambda _p: backup.make_backup(path, "manual"),
            on_success=done,
            label="正在备份…",
            parent=self,
            cancellable=False,
        )

    def _backup_server(self) -> None:
        """pg_dump (or the program's copy) in the background, with progress and 取消."""
        url = self.server_url
        assert url is not None

        def done(res: pgbackup.ServerBackup) -> None:
            self.hint.setText(res.text_zh)
            self.reload()
            self.ctx.say(f"已备份：{res.path.name}")

        self.ctx.tasks.run(
            lambda p: pgbackup.backup_server(url, progress=p),
            on_success=done,
            label="正在备份服务器上的数据库…",
            parent=self,
            cancellable=True,
        )

    def restore_selected(self) -> None:
        sel = self.view.selectionModel().selectedRows()
        if not sel:
            QMessageBox.information(self, "恢复", "请先在列表中选择一个备份。")
            return
        self._restore(self.model.row_at(sel[0].row()).path)

    def restore_other(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "选择备份文件",
            str(self.folder()),
            "备份文件 (*.dump *.sqlite *.db);;所有文件 (*)"
            if self.server_url
            else "数据库备份 (*.sqlite *.db);;所有文件 (*)",
        )
        if path:
            self._restore(Path(path))

    def _restore(self, file: Path) -> None:
        if self.server_url:
            self._restore_server(file)
            return
        if self.damaged:
            question = (
                f"用备份 {file.name} 替换损坏的数据库 {self.db_path.name} 吗？\n\n"
                f"损坏的文件不会删除，会改名（{self.db_path.name}.damaged-日期-时间）保留在原文件夹中。"
            )
        else:
            question = f"用备份 {file.name} 替换当前的全部数据吗？\n\n当前数据会先自动备份（“恢复前”），需要时可以再恢复回来。"
        ans = QMessageBox.warning(
            self,
            "从备份恢复",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if ans != QMessageBox.StandardButton.Yes:
            return
        db = self.ctx.db
        if db is None:
            self._restore_unopened(file)
            return

        def work(_p: object) -> Path:
            db.engine.dispose()
            kept = restore.restore(db.path, file)
            db.changes.bump()  # the file was replaced under the engine: every cache is stale
            return kept

        def done(kept: Path) -> None:
            db.engine.dispose()
            db.changes.bump()
            self.reload()
            self.ctx.changed(Changes.ALL)
            QMessageBox.information(
                self, "恢复完成", f"已从 {file.name} 恢复。\n恢复前的数据已另存为：{kept.name}"
            )

        self.ctx.tasks.run(
            work, on_success=done, label="正在恢复…", parent=self, cancellable=False, writes=True
        )

    def _restore_server(self, file: Path) -> None:
        """A backup of either kind into the server database, after a confirmation naming it; the
        window's pages refresh afterwards as after a file restore."""
        db, url = self.ctx.db, self.server_url
        assert db is not None and url is not None
        ans = QMessageBox.warning(
            self,
            "从备份恢复服务器上的数据库",
            f"用备份 {file.name} 替换{db.name}中的全部数据吗？\n\n"
            "这是服务器上的数据库：所有电脑看到的都将是备份时的数据，备份之后录入的内容需要重新录入。"
            "其他电脑上的程序最好先关闭。\n\n"
            "当前数据会先备份到本机（“恢复前”），需要时可以再恢复回来。",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if ans != QMessageBox.StandardButton.Yes:
            return

        def work(p: Progress) -> pgbackup.ServerRestore:
            db.engine.dispose()  # no connection of ours holds the tables being replaced
            try:
                return pgbackup.restore_server(url, file, replace=True, progress=p)
            finally:
                db.changes.bump()

        def done(res: pgbackup.ServerRestore) -> None:
            db.engine.dispose()
            db.changes.bump()
            self.hint.setText(res.text_zh)
            self.reload()
            self.ctx.changed(Changes.ALL)
            if res.ok:
                QMessageBox.information(self, "恢复完成", res.text_zh)
            else:
                QMessageBox.warning(self, "恢复后核对发现问题", res.text_zh)

        self.ctx.tasks.run(
            work,
            on_success=done,
            label="正在恢复服务器上的数据库…",
            parent=self,
            cancellable=False,
            writes=True,
        )

    def _restore_unopened(self, file: Path) -> None:
        """No database is open (it is damaged, or not opened yet): restore the file, then let the
        caller open it (``restored``)."""
        target = self.db_path

        def done(kept: Path) -> None:
            if ".damaged-" in kept.name:
                said = f"损坏的数据库已改名保留为：{kept.name}"
            elif kept != target:
                said = f"恢复前的数据已另存为：{kept.name}"
            else:
                said = ""
            QMessageBox.information(self, "恢复完成", f"已从 {file.name} 恢复。\n{said}".strip())
            self.accept()
            self.restored.emit(kept)

        self.ctx.tasks.run(
            lambda _p: restore.restore(target, file),
            on_success=done,
            label="正在恢复…",
            parent=self,
            cancellable=False,
            writes=True,
        )

    def change_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "选择备份文件夹（可以在另一块磁盘上）", str(self.folder())
        )
        if not path:
            return
        settings.save_many(self.ctx.db, {backup.SETTING_KEY: path})
        self.reload()
