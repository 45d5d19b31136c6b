"""备份与恢复 on a server database (issue 18): 立即备份 in the background (pg_dump, or the program's
copy without it), this PC's backups listed, 恢复 after a confirmation naming the server database,
the window's pages told afterwards — through the real TaskRunner and its finish callbacks."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from training_helpers import id_no

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import audit, pgbackup
from brigade_desk.core.changes import Changes
from brigade_desk.core.db import open_database
from brigade_desk.ledgers.roster.service import RosterService, StaffInput
from brigade_desk.ui.backup_dialog import BackupDialog
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.tasks import TaskRunner

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


@pytest.fixture
def pg_ctx(
    pg_url: str, tmp_path: Path, qapp: object, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppContext]:
    """As conftest's gui_ctx, on a server database; this PC's data folder in the test's folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "本机 数据"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "本机 数据"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "本机 数据"))
    TaskRunner.synchronous = True
    db = open_database(pg_url)
    svc = RosterService(db)
    for k in range(3):
        svc.save_staff(
            StaffInput(name=f"队员{k}", id_number=id_no(140 + k), squad="一中队", post="队员")
        )
    ctx = AppContext(
        db=db,
        tasks=TaskRunner(),
        qsettings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat),
        ledgers=REGISTRY,
    )
    yield ctx
    TaskRunner.synchronous = False
    db.close()


def _names(ctx: AppContext) -> list[str]:
    return sorted(s.name for s in RosterService(ctx.db).list_staff())


class Boxes:
    """The confirmation answered 是, and every message box's text kept."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answer: bool = True) -> None:
        self.asked: list[str] = []
        self.said: list[str] = []
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No

        def warning(_parent: Any, title: str, text: str, *a: Any) -> QMessageBox.StandardButton:
            self.asked.append(f"{title}\n{text}")
            return yes if answer else no

        def information(_parent: Any, title: str, text: str, *a: Any) -> None:
            self.said.append(f"{title}\n{text}")

        monkeypatch.setattr(QMessageBox, "warning", warning)
        monkeypatch.setattr(QMessageBox, "information", information)


@pytest.mark.parametrize("tools", ["pg_dump", "none"])
def test_back_up_and_restore_a_server_database(
    tools: str, pg_ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if tools == "pg_dump":
        found = shutil.which("pg_dump")
        folder = Path(found).parent if found else PG_BIN
        if folder is None:
            pytest.skip("no pg_dump on this machine")
        monkeypatch.setenv(pgbackup.PG_BIN_ENV, str(folder))
    else:
        monkeypatch.setenv(pgbackup.PG_BIN_ENV, str(tmp_path / "没有"))
    ctx = pg_ctx
    dlg = BackupDialog(ctx)
    # the server's dialog: its name in the title, this PC's folder for it, no folder setting
    assert ctx.db.name in dlg.windowTitle()
    assert not dlg.folder_btn.isVisibleTo(dlg) and dlg.now_btn.isEnabled()
    assert dlg.folder() == pgbackup.backup_folder(ctx.db.engine.url.render_as_string(False))
    assert dlg.model.rowCount() == 0 and not dlg.restore_btn.isEnabled()
    # fits the smallest screen the office has
    assert dlg.width() <= 1366 and dlg.height() <= 740
    heard: list[str] = []
    ctx.events.status.connect(heard.append)
    dlg.now_btn.click()
    assert dlg.model.rowCount() == 1 and dlg.restore_btn.isEnabled()
    made = dlg.model.row_at(0)
    if tools == "pg_dump":
        assert made.format == "dump" and "已用 pg_dump" in dlg.hint.text()
    else:
        assert made.format == "sqlite" and "未用 pg_dump" in dlg.hint.text()
    assert dlg.hint.isVisibleTo(dlg) and heard and made.path.name in heard[-1]
    at_backup = _names(ctx)
    # later work, then the backup restored over it
    RosterService(ctx.db).save_staff(
        StaffInput(name="后来的人", id_number=id_no(150), squad="二中队", post="队员")
    )
    assert _names(ctx) != at_backup
    notices: list[Changes] = []
    ctx.events.data_changed.connect(notices.append)
    boxes = Boxes(monkeypatch, answer=False)
    dlg.view.selectRow(0)
    dlg.restore_btn.click()
    assert len(boxes.asked) == 1 and ctx.db.name in boxes.asked[0]  # names the server database
    assert "后来的人" in _names(ctx) and not notices  # 否: nothing happened
    boxes = Boxes(monkeypatch)
    dlg.restore_btn.click()
    assert len(boxes.said) == 1 and "恢复完成" in boxes.said[0], boxes.said
    assert "审计记录核对通过" in boxes.said[0]
    assert _names(ctx) == at_backup  # the same open database reads the restored data
    assert notices and notices[-1] & Changes.ALL == Changes.ALL
    kinds = {b.kind for b in dlg.model.rows}
    assert kinds == {"manual", "pre-restore"}  # the data before the restore, kept on this PC
    assert audit.verify_database(ctx.db).ok
    # work goes on, on the same open database
    RosterService(ctx.db).save_staff(
        StaffInput(name="恢复后的人", id_number=id_no(151), squad="二中队", post="队员")
    )
    assert audit.verify_database(ctx.db).ok
    dlg.close()


@pytest.mark.parametrize("tools", ["pg_dump", "none"])
def test_backup_can_be_cancelled(
    tools: str, pg_ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """取消 while pg_dump runs (or while the copy is written): the program is ended, no file is
    left (nor its .part), and the dialog's list stays as it was."""
    found = shutil.which("pg_dump")
    folder = Path(found).parent if found else PG_BIN
    if tools == "pg_dump" and folder is None:
        pytest.skip("no pg_dump on this machine")
    monkeypatch.setenv(
        pgbackup.PG_BIN_ENV, str(folder if tools == "pg_dump" else tmp_path / "没有")
    )
    ctx = pg_ctx
    dlg = BackupDialog(ctx)
    real = pgbackup.backup_server
    midway = "正在用 pg_dump 备份" if tools == "pg_dump" else "正在复制"
    seen: list[str] = []

    def cancelled_midway(url: str, **kw: Any) -> pgbackup.ServerBackup:
        p = kw["progress"]
        forward = p.update

        def update(done: int, total: int = 0, text: str = "") -> None:
            seen.append(text)
            if midway in text:
                p.cancel()  # as the progress dialog's 取消 does
            forward(done, total, text)

        p.update = update
        return real(url, **kw)

    monkeypatch.setattr(pgbackup, "backup_server", cancelled_midway)
    dlg.now_btn.click()
    assert any(midway in t for t in seen), seen
    assert dlg.model.rowCount() == 0
    left = [p.name for p in dlg.folder().iterdir() if p.name != "brigade_desk-anchors.jsonl"]
    assert not left, left
    dlg.close()


def test_the_window_opens_the_dialog_on_a_server(
    pg_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from brigade_desk.ui.main_window import MainWindow

    opened: list[BackupDialog] = []
    monkeypatch.setattr(BackupDialog, "exec", lambda self: opened.append(self) or 0)
    monkeypatch.setattr(
        QMessageBox, "information", lambda *a: pytest.fail("an information box, not the dialog")
    )
    w = MainWindow(pg_ctx)
    try:
        w.backups()
        assert len(opened) == 1 and opened[0].server_url is not None
    finally:
        pg_ctx.tasks.wait_idle(30_000)
        w.close()
