"""The GUI on database faults: damage met while the program is in use gets its own message with the
way out (从备份恢复…), once, never the crash box; a file SQLite cannot open at start-up is said in
Chinese; the crash box claims saved data is safe only when the error did not come from the database.
(The damaged file at start-up and its restore dialog: tests/core/test_damaged_db.py.)"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from brigade_desk.core.errors import DatabaseDamagedError
from brigade_desk.ledgers.roster.service import RosterService
from brigade_desk.ui import safety
from brigade_desk.ui.tasks import TaskRunner
from tests.conftest import IDS, add_officer, fresh_db, template_path

pytestmark = pytest.mark.sqlite_only(reason="the GUI on faults of the SQLite file")

PAGE = 4096


@pytest.fixture
def sync_tasks():
    TaskRunner.synchronous = True
    yield
    TaskRunner.synchronous = False


@pytest.fixture
def healthy(tmp_path: Path) -> Path:
    d = fresh_db(tmp_path / "在用 #1" / "台账.sqlite")
    roster = RosterService(d)
    for i in range(3):
        add_officer(roster, IDS[i], f"人{i}")
    with d.engine.connect() as c:
        c.exec_driver_sql("CREATE TABLE padding (x BLOB)")
        c.exec_driver_sql(
            "INSERT INTO padding SELECT randomblob(3000) FROM (WITH RECURSIVE n(i) AS "
            "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 80) SELECT i FROM n)"
        )
        c.commit()
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    d.close()
    return d.path


def _start(tmp_path: Path, p: Path, ready: list[object]):
    from brigade_desk.app.gui import start_window

    ini = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    return start_window(p, ready.append, ini)[1]


class Boxes:
    """QMessageBox.exec replaced: records each box (title, text, buttons) and presses ``press``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, press: str | None = None) -> None:
        self.seen: list[tuple[str, str, list[str]]] = []
        boxes = self

        def exec_(box: QMessageBox) -> int:
            names = [b.text() for b in box.buttons()]
            boxes.seen.append((box.windowTitle(), box.text(), names))
            for b in box.buttons():
                if b.text() == press:
                    b.click()
            return 0

        monkeypatch.setattr(QMessageBox, "exec", exec_)


def test_damage_met_during_use_is_said_once_with_the_way_out(
    healthy: Path, tmp_path: Path, qtbot, sync_tasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashes: list[str] = []
    monkeypatch.setattr(safety, "show_crash", lambda text, parent=None: crashes.append(text))
    ready: list[object] = []
    w = _start(tmp_path, healthy, ready)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: bool(ready), timeout=20_000)
    db = w.ctx.db
    assert db is not None
    boxes = Boxes(monkeypatch, press="从备份恢复…")
    opened: list[bool] = []
    monkeypatch.setattr(w, "backups", lambda: opened.append(True))
    # the disk fails under the open program
    db.engine.dispose()
    with open(healthy, "r+b") as fh:
        fh.seek(PAGE * 2)
        fh.write(random.Random(5).randbytes(healthy.stat().st_size - PAGE * 2))
    damaged = healthy.read_bytes()
    w.ctx.tasks.run(lambda _p: RosterService(db).list_staff())  # nobody handles its failure
    assert len(boxes.seen) == 1, boxes.seen
    title, text, buttons = boxes.seen[0]
    assert title == "数据库已损坏" and str(healthy) in text and "已损坏" in text
    assert "备份与恢复" in text and "brigade-desk restore" in text
    assert "已保存的数据不受影响" not in text and "Traceback" not in text
    assert buttons == ["从备份恢复…", "关闭"] and opened == [True]
    assert "已损坏" in w._db_label.text()
    # a write attempted afterwards is refused (nothing runs on the damaged file), said once only
    w.ctx.tasks.run(lambda _p: add_officer(RosterService(db), IDS[3], "不该写入"), writes=True)
    assert len(boxes.seen) == 1 and "已损坏" in w.statusBar().currentMessage()
    assert crashes == []
    assert healthy.read_bytes() == damaged
    db.close()


def test_an_error_raised_in_a_slot_goes_the_same_way(
    healthy: Path, tmp_path: Path, qtbot, sync_tasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Errors that escape a slot reach the CrashReporter: a SQLite fault is classified by its code."""
    ready: list[object] = []
    w = _start(tmp_path, healthy, ready)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: bool(ready), timeout=20_000)
    crashes: list[str] = []
    users: list[str] = []
    said: list[BaseException] = []
    rep = safety.CrashReporter(crashes.append, users.append)
    monkeypatch.setattr(safety, "parent_window", lambda: w)
    monkeypatch.setattr(w, "database_damaged", said.append)

    def raw(code: int, name: str) -> sqlite3.Error:
        e = sqlite3.DatabaseError("database disk image is malformed")
        e.sqlite_errorcode = code  # type: ignore[attr-defined]
        e.sqlite_errorname = name  # type: ignore[attr-defined]
        return e

    rep._show(raw(11, "SQLITE_CORRUPT"), "Traceback …\nsqlite3.DatabaseError: malformed")
    assert len(said) == 1 and isinstance(said[0], DatabaseDamagedError)
    rep._show(raw(13, "SQLITE_FULL"), "Traceback …\nsqlite3.OperationalError: full")
    assert len(users) == 1 and "磁盘已满" in users[0]
    rep._show(ValueError("a bug"), "Traceback …\nValueError: a bug")
    assert len(crashes) == 1 and crashes[0].endswith("ValueError: a bug")
    w.ctx.db.close()


def test_the_crash_box_claims_nothing_about_saved_data_after_a_database_error() -> None:
    db_text = "Traceback …\nsqlalchemy.exc.IntegrityError: (sqlite3.IntegrityError) NOT NULL"
    said = safety.crash_message(db_text)
    assert "不受影响" not in said and "备份与恢复" in said and "日志" in said
    assert "已保存的数据不受影响" in safety.crash_message("Traceback …\nKeyError: 'x'")


def test_a_database_sqlite_cannot_open_at_start_up(
    tmp_path: Path, qtbot, sync_tasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path longer than SQLite opens (512 bytes): the Chinese reason in the box, then the program
    ends; the file is not touched."""
    from brigade_desk.ui import main_window

    deep = tmp_path.joinpath(*["很长的文件夹名" * 11] * 3)
    deep.mkdir(parents=True)
    p = deep / "台账.sqlite"
    shutil.copyfile(template_path(), p)
    before = p.read_bytes()
    critical: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QMessageBox, "critical", lambda _p, title, text, *a: critical.append((title, text))
    )
    codes: list[int] = []

    class App:
        def exit(self, code: int) -> None:
            codes.append(code)

    monkeypatch.setattr(main_window, "app_instance", lambda: App())
    ready: list[object] = []
    w = _start(tmp_path, p, ready)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: bool(codes), timeout=20_000)
    assert codes == [1] and not ready
    ((title, text),) = critical
    assert title == "无法打开数据库" and "路径太长" in text and str(p) in text
    assert "Traceback" not in text and "unable to open" not in text
    assert p.read_bytes() == before


def test_restore_from_the_damage_box_and_carry_on(
    healthy: Path, tmp_path: Path, qtbot, sync_tasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """从备份恢复… with the damaged database still open: the backup replaces it (the damaged file is
    kept aside), and the same open program reads the restored data."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from brigade_desk.core import backup
    from brigade_desk.ui.backup_dialog import BackupDialog

    backup.make_backup(healthy, "manual")
    ready: list[object] = []
    w = _start(tmp_path, healthy, ready)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: bool(ready), timeout=20_000)
    db = w.ctx.db
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda *a: None)
    Boxes(monkeypatch, press="从备份恢复…")
    db.engine.dispose()
    with open(healthy, "r+b") as fh:
        fh.seek(PAGE * 2)
        fh.write(random.Random(5).randbytes(healthy.stat().st_size - PAGE * 2))
    seen: list[int] = []

    def drive() -> None:
        dlg = QApplication.activeModalWidget()
        assert isinstance(dlg, BackupDialog)
        seen.append(dlg.model.rowCount())
        dlg.view.selectRow(0)
        dlg.restore_btn.click()
        dlg.accept()

    QTimer.singleShot(0, drive)
    w.ctx.tasks.run(lambda _p: RosterService(db).count())
    assert seen == [1]
    assert RosterService(db).count() == 3  # the same open database, restored
    (aside,) = healthy.parent.glob(f"{healthy.name}.damaged-*[0-9]")  # the damaged file, kept
    assert aside.stat().st_size == healthy.stat().st_size
    db.close()
