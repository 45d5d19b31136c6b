"""A damaged database: refused untouched with the clerk's message, restorable from the CLI and the GUI.

Damage kinds: a valid SQLite header with corrupt pages, a truncated file, an empty (0-byte) file, a
folder, random bytes. Each is refused by every command (exit 1, the message, the file's bytes
unchanged); ``backups`` and ``restore`` work without a usable database; the GUI offers the backups
of that database at start-up, restores the chosen one and carries on with its data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from dbtemplate import target
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from brigade_desk.app.cli import main
from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import backup
from brigade_desk.core.db import check_database_file, open_database
from brigade_desk.core.errors import (
    SQLITE_BUSY,
    DatabaseDamagedError,
    UserError,
    sqlite_code,
    translate_db_error,
)
from brigade_desk.ledgers.roster.service import RosterService
from brigade_desk.ui.tasks import TaskRunner, describe
from tests.conftest import IDS, add_officer

pytestmark = pytest.mark.sqlite_only(reason="a damaged SQLite file and its restore")

PAGE = 4096
NAMES = ["甲", "乙", "丙"]


def _corrupt_pages(p: Path) -> None:
    """Keep the header (page 1) and the schema, overwrite pages 3 onward with garbage."""
    size = p.stat().st_size
    assert size > PAGE * 12
    with open(p, "r+b") as fh:
        fh.seek(PAGE * 3)
        fh.write(random.Random(7).randbytes(min(size - PAGE * 3, PAGE * 40)))


def _corrupt_middle(p: Path) -> None:
    """Schema intact, a few pages in the middle of the file overwritten (found by quick_check only)."""
    pages = p.stat().st_size // PAGE
    with open(p, "r+b") as fh:
        fh.seek(PAGE * (pages // 2))
        fh.write(random.Random(11).randbytes(PAGE * 4))


def _truncate(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 3])


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _folder(p: Path) -> None:
    p.unlink()
    p.mkdir()
    (p / "别的东西.txt").write_text("不是数据库", encoding="utf-8")


def _random(p: Path) -> None:
    p.write_bytes(random.Random(3).randbytes(50_000))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "corrupt-pages": _corrupt_pages,
    "corrupt-middle": _corrupt_middle,
    "truncated": _truncate,
    "empty": _empty,
    "folder": _folder,
    "random": _random,
}


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with three officers (checkpointed into one file) and one manual backup beside it."""
    d = tmp_path_factory.mktemp("healthy")
    db = open_database(d / "台账.sqlite")
    roster = RosterService(db)
    for i, name in enumerate(NAMES):
        add_officer(roster, IDS[i], name)
    with db.engine.connect() as c:  # grow the file past a few pages, so "page 3 onward" hits data
        c.exec_driver_sql("CREATE TABLE padding (x BLOB)")
        c.exec_driver_sql(
            "INSERT INTO padding SELECT randomblob(3000) FROM (WITH RECURSIVE n(i) AS "
            "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60) SELECT i FROM n)"
        )
        c.commit()
    db.close()
    backup.make_backup(db.path, "manual")
    with sqlite3.connect(db.path) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    return db.path


def _damaged(healthy: Path, tmp_path: Path, kind: str) -> Path:
    shutil.copytree(healthy.parent / "backups", tmp_path / "backups")
    p = tmp_path / healthy.name
    shutil.copyfile(healthy, p)
    DAMAGE[kind](p)
    return p


def _fingerprint(p: Path) -> str:
    if p.is_dir():
        return "dir:" + "|".join(
            f"{c.name}:{hashlib.sha256(c.read_bytes()).hexdigest()}" for c in sorted(p.iterdir())
        )
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_open_database_refuses_damage_untouched(healthy: Path, tmp_path: Path, kind: str) -> None:
    p = _damaged(healthy, tmp_path, kind)
    before = _fingerprint(p)
    with pytest.raises(DatabaseDamagedError) as err:
        open_database(p)
    msg = err.value.message
    assert (
        str(p) in msg and "已损坏" in msg and "备份与恢复" in msg and "brigade-desk restore" in msg
    )
    assert str(tmp_path / "backups") in msg  # the backup folder is named
    assert _fingerprint(p) == before
    assert [b.kind for b in backup.list_backups(tmp_path / "backups")] == [
        "manual"
    ]  # no backup of the broken file
    if kind.startswith(
        "corrupt"
    ):  # a valid header: found by quick_check (as rows or as SQLITE_CORRUPT)
        assert err.value.detail in ("完整性检查发现损坏的数据页", "文件内容已损坏，SQLite 无法读取")


def test_an_empty_file_is_not_turned_into_an_empty_ledger(tmp_path: Path) -> None:
    p = tmp_path / "空.sqlite"
    p.touch()
    with pytest.raises(DatabaseDamagedError, match="0 字节"):
        open_database(p)
    assert p.stat().st_size == 0
    fresh = open_database(tmp_path / "新" / "台账.sqlite")  # only a path that does not exist is new
    fresh.close()


@pytest.mark.parametrize("kind", list(DAMAGE))
@pytest.mark.parametrize("command", ["check", "import staff", "export roster", "backup"])
def test_cli_refuses_a_damaged_database(
    healthy: Path, tmp_path: Path, kind: str, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    p = _damaged(healthy, tmp_path, kind)
    before = _fingerprint(p)
    argv = {
        "check": ["check"],
        "import staff": ["import", "staff", str(tmp_path / "花名册.xlsx")],
        "export roster": ["export", "roster", "--out", str(tmp_path / "花名册导出.xlsx")],
        "backup": ["backup"],
    }[command]
    if command == "import staff":
        from brigade_desk.ledgers.roster.importer import write_template

        write_template(tmp_path / "花名册.xlsx")
    assert main(["--db", target(p), *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "已损坏" in err and str(p) in err and "Traceback" not in err
    assert _fingerprint(p) == before
    assert not (tmp_path / "花名册导出.xlsx").exists()
    assert [b.kind for b in backup.list_backups(tmp_path / "backups")] == ["manual"]


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_cli_lists_and_restores_without_a_working_database(
    healthy: Path, tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    p = _damaged(healthy, tmp_path, kind)
    before = _fingerprint(p)
    assert main(["--db", target(p), "backups"]) == 0
    out = capsys.readouterr()
    assert "手动" in out.out and "已损坏" in out.err
    (bk,) = backup.list_backups(tmp_path / "backups")
    assert main(["--db", target(p), "restore", str(bk.path)]) == 0
    said = capsys.readouterr().out
    (aside,) = tmp_path.glob(f"{p.name}.damaged-*[0-9]")
    assert str(aside) in said
    assert _fingerprint(aside) == before  # the broken file is kept, byte for byte
    db = open_database(p)
    try:
        assert {s.name for s in RosterService(db).list_staff()} >= set(NAMES)
    finally:
        db.close()
    assert main(["--db", target(p), "check"]) == 0


def test_damage_met_during_use_is_the_clerks_message(
    healthy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "用着坏了.sqlite"
    shutil.copyfile(healthy, p)
    db = open_database(p)
    db.engine.dispose()
    _corrupt_pages(p)  # the disk fails after the check passed
    with pytest.raises(DatabaseDamagedError) as err, db.session() as s:
        REGISTRY.run_rules(s, dt.date(2026, 1, 5))
    db.close()
    user, text = describe(err.value)
    assert user and str(p) in text and "本次操作没有完成" in text


def test_sqlite_errors_are_classified_by_code(healthy: Path, tmp_path: Path) -> None:
    p = tmp_path / "c.sqlite"
    shutil.copyfile(healthy, p)
    _corrupt_pages(p)
    c = sqlite3.connect(p)
    with pytest.raises(sqlite3.DatabaseError) as raw:
        c.execute("SELECT count(*) FROM padding").fetchall()
    c.close()
    assert not isinstance(raw.value, sqlite3.OperationalError)  # why the class must not decide
    assert isinstance(translate_db_error(raw.value, p), DatabaseDamagedError)
    q = tmp_path / "busy.sqlite"
    shutil.copyfile(healthy, q)
    holder = sqlite3.connect(q, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(q, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as busy:
        other.execute("SELECT 1 FROM staff").fetchall()
    holder.execute("ROLLBACK")
    holder.close()
    other.close()
    assert sqlite_code(busy.value) == SQLITE_BUSY
    user = translate_db_error(busy.value)
    assert isinstance(user, UserError) and "正忙" in user.message
    assert (
        translate_db_error(ValueError("database disk image is malformed")) is None
    )  # text decides nothing


def test_quick_check_passes_a_healthy_database(healthy: Path) -> None:
    check_database_file(healthy)


# ---- GUI ----------------------------------------------------------------------------------------


@pytest.fixture
def sync_tasks():
    TaskRunner.synchronous = True
    yield
    TaskRunner.synchronous = False


def _start(tmp_path: Path, p: Path, ready: list[object]):
    from brigade_desk.app.gui import start_window
    from brigade_desk.app.ledgers import REGISTRY
    from brigade_desk.ui.pages import all_pages

    PAGES = all_pages(REGISTRY)

    ini = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    ini.setValue("main/page", next(i for i, pd in enumerate(PAGES) if pd.key == "roster"))
    return start_window(p, ready.append, ini)[1]


@pytest.mark.parametrize("kind", ["corrupt-pages", "corrupt-middle", "empty", "random"])
def test_gui_start_on_a_damaged_database_restores_and_carries_on(
    healthy: Path, tmp_path: Path, qtbot, sync_tasks, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    from PySide6.QtCore import Qt

    from brigade_desk.ui.backup_dialog import BackupDialog

    p = _damaged(healthy, tmp_path, kind)
    before = _fingerprint(p)
    asked: list[str] = []
    told: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "warning",
        lambda _p, _t, text, *a: asked.append(text) or QMessageBox.StandardButton.Yes,
    )
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text, *a: told.append(text))
    ready: list[object] = []
    w = _start(tmp_path, p, ready)
    qtbot.addWidget(w)
    qtbot.waitUntil(
        lambda: any(d.isVisible() for d in w.findChildren(BackupDialog)), timeout=20_000
    )
    (dlg,) = [d for d in w.findChildren(BackupDialog) if d.isVisible()]
    assert not ready and w.ctx.db is None
    assert "正在打开数据库" not in w._db_label.text() and "已损坏" in w._db_label.text()
    assert str(p) in dlg.problem.text() and "已损坏" in dlg.problem.text()
    assert str(tmp_path / "backups") in dlg.folder_label.text()
    assert dlg.model.rowCount() == 1 and dlg.restore_btn.isEnabled()
    assert dlg.width() <= 1366 and dlg.height() <= 740
    assert dlg.sizeHint().width() <= 1366 and dlg.sizeHint().height() <= 740
    assert _fingerprint(p) == before  # nothing was written, not even a daily backup
    assert [b.kind for b in backup.list_backups(tmp_path / "backups")] == ["manual"]
    # the clerk picks the backup in the list and presses 从所选备份恢复…
    rect = dlg.view.visualRect(dlg.model.index(0, 0))
    qtbot.mouseClick(dlg.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseClick(dlg.restore_btn, Qt.MouseButton.LeftButton)
    assert asked and "损坏的数据库" in asked[-1]
    qtbot.waitUntil(lambda: bool(ready), timeout=20_000)
    assert told and "已改名保留" in told[-1]
    assert w.ctx.db is not None and w.ctx.db.path == p
    assert "数据库：" in w._db_label.text()
    page = w._pages.get("roster")
    assert page is not None and w.stack.currentWidget() is page
    qtbot.waitUntil(lambda: "共 3 人" in page.count.text(), timeout=20_000)
    (aside,) = tmp_path.glob(f"{p.name}.damaged-*[0-9]")
    assert _fingerprint(aside) == before
    w.ctx.db.close()


def test_gui_quit_instead_of_restoring(
    healthy: Path, tmp_path: Path, qtbot, sync_tasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import Qt

    from brigade_desk.ui import main_window
    from brigade_desk.ui.backup_dialog import BackupDialog

    p = _damaged(healthy, tmp_path, "truncated")
    before = _fingerprint(p)
    codes: list[int] = []

    class App:
        def exit(self, code: int) -> None:
            codes.append(code)

    monkeypatch.setattr(main_window, "app_instance", lambda: App())
    ready: list[object] = []
    w = _start(tmp_path, p, ready)
    qtbot.addWidget(w)
    qtbot.waitUntil(
        lambda: any(d.isVisible() for d in w.findChildren(BackupDialog)), timeout=20_000
    )
    (dlg,) = [d for d in w.findChildren(BackupDialog) if d.isVisible()]
    assert dlg.close_btn.text() == "退出程序"
    qtbot.mouseClick(dlg.close_btn, Qt.MouseButton.LeftButton)
    assert codes == [1] and not ready and w.ctx.db is None
    assert "正在打开数据库" not in w._db_label.text()
    assert _fingerprint(p) == before


def test_backup_menu_works_without_an_open_database(
    healthy: Path, tmp_path: Path, qtbot, sync_tasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """文件 → 备份与恢复 with ctx.db None: the list and restore work; the restored database then opens."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from brigade_desk.ui.backup_dialog import BackupDialog
    from brigade_desk.ui.context import AppContext
    from brigade_desk.ui.main_window import MainWindow

    p = _damaged(healthy, tmp_path, "random")
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda *a: None)
    ctx = AppContext(
        db=None,
        tasks=TaskRunner(),  # type: ignore[arg-type]
        qsettings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat),
        ledgers=REGISTRY,
    )
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.db_path = p
    seen: list[tuple[bool, bool, int]] = []

    def drive() -> None:
        dlg = QApplication.activeModalWidget()
        assert isinstance(dlg, BackupDialog)
        seen.append((dlg.now_btn.isEnabled(), dlg.folder_btn.isEnabled(), dlg.model.rowCount()))
        dlg.view.selectRow(0)
        dlg.restore_btn.click()

    QTimer.singleShot(0, drive)
    w.backups()
    assert seen == [(False, False, 1)]
    qtbot.waitUntil(lambda: w.ctx.db is not None, timeout=20_000)
    assert RosterService(w.ctx.db).count() == 3
    w.ctx.db.close()
