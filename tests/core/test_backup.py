"""Backups, rotation, restore round trip, the single-instance lock."""

import datetime as dt
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from dbtemplate import target

from brigade_desk.app.cli import main
from brigade_desk.core import backup, restore
from brigade_desk.core.db import Database, open_database
from brigade_desk.core.errors import SchemaTooNewError, UserError
from brigade_desk.core.lock import DatabaseLock
from brigade_desk.ledgers.roster.service import RosterService, StaffInput
from tests.conftest import IDS, add_officer

pytestmark = pytest.mark.sqlite_only(
    reason="the SQLite file's backups, restore and lock (a server's backup is pg_dump)"
)


def test_backup_is_checked_single_file(db: Database, roster: RosterService) -> None:
    add_officer(roster, IDS[0], "甲")
    out = backup.make_backup(db.path, "manual")
    assert out.parent == backup.backup_dir(db.path)
    with sqlite3.connect(out) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert c.execute("SELECT count(*) FROM staff").fetchone()[0] == 1
    assert not list(out.parent.glob("*-wal")) and not list(out.parent.glob("*.part"))
    assert [b.kind for b in backup.list_backups(out.parent)] == ["manual"]


def test_daily_backup_once_a_day(db: Database) -> None:
    t = dt.datetime(2026, 11, 23, 8, 0)
    assert backup.daily_backup_if_due(db.path, t) is not None
    assert backup.daily_backup_if_due(db.path, t + dt.timedelta(hours=3)) is None
    assert backup.daily_backup_if_due(db.path, t + dt.timedelta(days=1)) is not None


def test_rotation_keeps_30_daily_12_monthly_and_yearly(tmp_path: Path) -> None:
    folder = tmp_path / "bk"
    folder.mkdir()
    start = dt.date(2023, 1, 1)
    for i in range(0, 1000):  # ~2.7 years of daily backups
        d = start + dt.timedelta(days=i)
        (folder / f"brigade_desk-{d:%Y%m%d}-080000-daily.sqlite").write_bytes(b"x")
    (folder / "brigade_desk-20230105-090000-manual.sqlite").write_bytes(b"x")
    today = start + dt.timedelta(days=999)
    backup.rotate(folder, today)
    kept = backup.list_backups(folder)
    daily = sorted(b.when.date() for b in kept if b.kind == "daily")
    last30 = [today - dt.timedelta(days=i) for i in range(30)]
    assert set(last30) <= set(daily)
    months = {(d.year, d.month) for d in daily if d.day == 1}
    assert len(months) >= 12
    assert {d.year for d in daily if d.month == 1 and d.day == 1} == {2023, 2024, 2025}
    assert len(daily) <= 30 + 12 + 3
    assert any(b.kind == "manual" for b in kept)


def test_restore_round_trip(db: Database, roster: RosterService) -> None:
    add_officer(roster, IDS[0], "甲")
    snap = backup.make_backup(db.path, "manual")
    add_officer(roster, IDS[1], "乙")
    assert roster.count() == 2
    before = {b.path for b in backup.list_backups(backup.backup_dir(db.path))}
    db.engine.dispose()
    kept = restore.restore(db.path, snap)
    assert RosterService(db).count() == 1
    after = {b.path for b in backup.list_backups(backup.backup_dir(db.path))}
    assert before <= after and kept in after  # nothing rotated away, current data kept
    db.engine.dispose()
    restore.restore(db.path, kept)
    assert RosterService(db).count() == 2


def test_restore_refuses_damaged_and_newer(db: Database, tmp_path: Path) -> None:
    snap = backup.make_backup(db.path, "manual")
    damaged = tmp_path / "damaged.sqlite"
    data = snap.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError):
        restore.restore(db.path, damaged)
    newer = tmp_path / "newer.sqlite"
    newer.write_bytes(data)
    with sqlite3.connect(newer) as c:
        # several ledgers branch off 0001, so there may be several heads: make one of them unknown
        c.execute(
            "UPDATE alembic_version SET version_num='9999' WHERE rowid = (SELECT min(rowid) FROM alembic_version)"
        )
    with pytest.raises(SchemaTooNewError):
        restore.restore(db.path, newer)
    not_db = tmp_path / "x.sqlite"
    not_db.write_text("hello")
    with pytest.raises(UserError, match="不是"):
        restore.restore(db.path, not_db)


def test_cli_backup_and_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbp = tmp_path / "c.sqlite"
    assert main(["--db", target(dbp), "demo"]) == 0
    out = tmp_path / "手动备份.sqlite"
    assert main(["--db", target(dbp), "backup", "--out", str(out)]) == 0
    d = open_database(dbp)
    n = RosterService(d).count()
    RosterService(d).save_staff(
        StaffInput(name="备份后新增", id_number="632123199001010017", squad="一中队")
    )
    assert RosterService(d).count() == n + 1
    d.close()
    assert main(["--db", target(dbp), "restore", str(out)]) == 0
    d = open_database(dbp)
    assert RosterService(d).count() == n
    d.close()
    assert main(["--db", target(dbp), "restore", str(tmp_path / "nope.sqlite")]) == 1


def test_single_instance_lock(tmp_path: Path) -> None:
    dbp = tmp_path / "锁.sqlite"
    code = (
        "import sys,time; from pathlib import Path; from brigade_desk.core.lock import DatabaseLock;"
        f"l=DatabaseLock(Path({str(dbp)!r})); l.acquire(); print('ready', flush=True); time.sleep(60)"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        with pytest.raises(UserError, match=f"进程 {p.pid}"):
            DatabaseLock(dbp).acquire()
    finally:
        p.kill()
        p.wait()
    lock = DatabaseLock(dbp)  # the holder died: its lock is gone with it
    lock.acquire()
    lock.release()
