"""Attacks on the audit trail by someone with a SQLite shell (issue 17), each reproduced with
sqlite3 directly, and ``audit verify`` (the real CLI) must exit 1 with a Chinese message; a normal
session of edits, imports, backups and restores keeps it at exit 0."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbtemplate import new_target, query, target
from sqlalchemy import text

from brigade_desk.app.cli import main
from brigade_desk.core import anchor, audit, backup
from brigade_desk.core.db import Database, open_database
from brigade_desk.core.restore import restore
from brigade_desk.ledgers.roster.service import RosterService
from tests.conftest import IDS, add_officer

# an attack made with a SQLite shell on the file, or the file's own backup, restore and path
SHELL = pytest.mark.sqlite_only(reason="an attack made with a SQLite shell on the file")
FILE = pytest.mark.sqlite_only(reason="the SQLite file's backup, restore or path")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A key file of this test's own (never the user's profile)."""
    p = tmp_path / "profile" / "audit.key"
    monkeypatch.setenv(audit.KEY_ENV, str(p))
    audit._load_key.cache_clear()
    yield p
    audit._load_key.cache_clear()


@contextlib.contextmanager
def _opened(dbp: Path) -> Iterator[Database]:
    d = open_database(target(dbp))
    try:
        yield d
    finally:
        d.close()


def _verify(dbp: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(["--db", target(dbp), "audit", "verify"])
    return rc, capsys.readouterr().out


def _shell(dbp: Path) -> sqlite3.Connection:
    """The attacker's sqlite3 shell: no program, triggers dropped."""
    c = sqlite3.connect(dbp, isolation_level=None)
    c.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    c.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    return c


def _count(dbp: Path | Database, sql: str) -> int:
    return int(query(dbp, sql)[0][0])


@pytest.fixture
def filled(db: Database) -> Database:
    r = RosterService(db)
    for i, idn in enumerate(IDS[:3]):
        add_officer(r, idn, f"人员{i}")
    return db


def _demo(tmp_path: Path) -> Path:
    dbp = tmp_path / "演示" / "brigade.sqlite"
    dbp.parent.mkdir()
    new_target(dbp)  # (a server database in the PostgreSQL run)
    assert main(["--db", target(dbp), "demo"]) == 0
    return dbp


# ---- the attacks ------------------------------------------------------------------------------


@SHELL
def test_truncation_deleting_last_entries_and_their_rows(
    filled: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    dbp = filled.path
    sid = add_officer(RosterService(filled), IDS[3], "被删者")
    filled.close()
    assert _verify(dbp, capsys)[0] == 0
    c = _shell(dbp)
    # everything the last person's transaction created, and the entries that recorded it
    rows = c.execute(
        "SELECT id, table_name, record_id FROM audit_log WHERE id > "
        "(SELECT min(id) - 1 FROM audit_log WHERE table_name='staff' AND record_id=?)",
        (str(sid),),
    ).fetchall()
    assert len(rows) >= 3
    for _eid, table, rid in reversed(rows):
        c.execute(f'DELETE FROM "{table}" WHERE id = ?', (rid,))
    c.execute("DELETE FROM audit_log WHERE id >= ?", (rows[0][0],))
    c.close()
    # the trail alone is consistent again: only the anchor can tell
    with _opened(dbp) as d2, d2.session() as s:
        assert audit.verify(s, anchors=False).ok
    rc, out = _verify(dbp, capsys)
    assert rc == 1
    assert "审计记录被截断" in out and f"第 {rows[0][0]} 至 {rows[-1][0]} 条" in out, out
    assert "程序之外被删除" in out


@SHELL
def test_recomputed_chain_without_the_key(
    filled: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    dbp = filled.path
    filled.close()
    c = _shell(dbp)
    # edit a person's name and the entry that recorded it, then recompute with the program's code
    eid, after = c.execute(  # the last person: entries before it stay signed
        "SELECT id, after FROM audit_log WHERE table_name='staff' AND action='create'"
        " ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert eid > 1
    rid = c.execute("SELECT record_id FROM audit_log WHERE id=?", (eid,)).fetchone()[0]
    state = json.loads(after)
    state["name"] = "冒名者"
    c.execute("UPDATE staff SET name='冒名者' WHERE id=?", (rid,))
    c.execute("UPDATE audit_log SET after=? WHERE id=?", (audit.dumps(state), eid))
    _recompute(c, eid, key=None)
    c.close()
    rc, out = _verify(dbp, capsys)
    assert rc == 1 and "没有密钥签名" in out and f"审计记录第 {eid} 条" in out, out


def _recompute(c: sqlite3.Connection, start: int, key: audit.ChainKey | None) -> None:
    rows = c.execute(
        "SELECT id, at, os_user, action, table_name, record_id, before, after, prev_hash"
        " FROM audit_log WHERE id >= ? ORDER BY id",
        (start,),
    ).fetchall()
    prev = rows[0][8]
    for eid, at, user, action, table, rid, before, after, _p in rows:
        h = audit.entry_hash(
            prev, eid, at.split(".")[0], user, action, table, rid, before, after, key
        )
        c.execute("UPDATE audit_log SET prev_hash=?, hash=? WHERE id=?", (prev, h, eid))
        prev = h


@SHELL
def test_recomputed_chain_with_the_key_is_caught_by_the_anchor(
    filled: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    """An insider who has the key too: the chain verifies, the anchors written at each commit do not."""
    dbp = filled.path
    filled.close()
    key = audit.chain_key(create=False)
    assert key is not None
    c = _shell(dbp)
    eid, rid, after = c.execute(
        "SELECT id, record_id, after FROM audit_log WHERE table_name='staff' ORDER BY id LIMIT 1"
    ).fetchone()
    state = json.loads(after)
    state["name"] = "冒名者"
    c.execute("UPDATE staff SET name='冒名者' WHERE id=?", (rid,))
    c.execute("UPDATE audit_log SET after=? WHERE id=?", (audit.dumps(state), eid))
    _recompute(c, eid, key=key)
    c.close()
    with _opened(dbp) as d2, d2.session() as s:
        assert audit.verify(s, anchors=False).ok  # the rewrite is perfect without anchors
    rc, out = _verify(dbp, capsys)
    assert rc == 1 and "审计链与锚点不符" in out and "重算了哈希链" in out, out


@FILE
def test_rollback_copying_an_older_backup_over_the_database(
    filled: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dbp = filled.path
    filled.close()
    assert main(["--db", target(dbp), "backup"]) == 0
    (old,) = backup.list_backups(backup.backup_dir(dbp))
    with _opened(dbp) as d2:
        add_officer(RosterService(d2), IDS[4], "后来的人")
    for suffix in ("-wal", "-shm"):
        Path(str(dbp) + suffix).unlink(missing_ok=True)
    shutil.copyfile(old.path, dbp)  # behind the program's back
    rc, out = _verify(dbp, capsys)
    assert rc == 1 and "数据库被退回到了旧的状态" in out and old.path.name in out, out
    # and it stays detected after the clerk goes on working
    with _opened(dbp) as d3:
        add_officer(RosterService(d3), "632126198808080045", "又一人")
    rc, out = _verify(dbp, capsys)
    assert rc == 1 and "锚点" in out, out


@SHELL
def test_av_check_status_edited_is_detected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from brigade_desk.ledgers.av import verify as av_verify

    dbp = _demo(tmp_path)
    with _opened(dbp) as d:
        res = av_verify.verify(d, workers=1)
    assert res.checked > 0
    n = _count(dbp, "SELECT count(*) FROM av_record_check")
    assert n == res.checked
    assert _verify(dbp, capsys)[0] == 0
    c = sqlite3.connect(dbp, isolation_level=None)
    alarm = c.execute(
        "SELECT record_id, status FROM av_record_check WHERE status != 'ok' ORDER BY record_id"
    ).fetchone()
    if alarm is not None:  # the attack: hide a tamper alarm
        rid = alarm[0]
        c.execute("UPDATE av_record_check SET status='ok' WHERE record_id=?", (rid,))
    else:  # the demo's files all intact: raise a false alarm instead (the same kind of edit)
        rid = c.execute("SELECT min(record_id) FROM av_record_check").fetchone()[0]
        c.execute("UPDATE av_record_check SET status='modified' WHERE record_id=?", (rid,))
    c.close()
    rc, out = _verify(dbp, capsys)
    assert rc == 1 and f"av_record_check #{rid}" in out and "程序之外被修改" in out, out
    c = sqlite3.connect(dbp, isolation_level=None)
    c.execute(
        "UPDATE av_record_check SET status = (SELECT status FROM av_verify_result r"
        " WHERE r.record_id = av_record_check.record_id ORDER BY r.id DESC LIMIT 1)"
    )
    c.close()
    assert _verify(dbp, capsys)[0] == 0  # put back as it was: consistent again
    c = sqlite3.connect(dbp, isolation_level=None)
    c.execute(
        "UPDATE av_verify_result SET detail = 'x' WHERE id = (SELECT max(id) FROM av_verify_result)"
    )
    c.close()
    rc, out = _verify(dbp, capsys)
    assert rc == 1 and "av_verify_result #" in out, out


def test_demo_bulk_rows_are_in_the_trail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dbp = _demo(tmp_path)
    rc, out = _verify(dbp, capsys)
    assert rc == 0, out
    # every row of every ledger table (single-key tables) is covered
    with _opened(dbp) as d, d.begin() as s:
        assert audit.record_unaudited(s) == 0
    aid = _count(dbp, "SELECT max(id) FROM training_attendance")
    flip = "UPDATE training_attendance SET attended = NOT attended WHERE id = :i"
    query(dbp, flip, i=aid)
    rc, out = _verify(dbp, capsys)
    assert rc == 1 and f"training_attendance #{aid}" in out, out
    query(dbp, flip, i=aid)
    cid = _count(dbp, "SELECT max(id) FROM case_record")
    with _opened(dbp) as d, d.engine.begin() as c:  # past the program; no foreign-key checks
        c.exec_driver_sql(
            "PRAGMA foreign_keys=OFF"
            if not d.server
            else "SET LOCAL session_replication_role = replica"
        )
        c.execute(text("DELETE FROM case_record WHERE id = :i"), {"i": cid})
    rc, out = _verify(dbp, capsys)
    assert rc == 1 and f"case_record #{cid} 在数据库中不见了" in out, out


def test_missing_key_is_reported(
    filled: Database, _key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dbp = target(filled)
    filled.close()
    assert _verify(dbp, capsys)[0] == 0
    _key.rename(_key.with_name("elsewhere.key"))
    audit._load_key.cache_clear()
    rc, out = _verify(dbp, capsys)
    assert rc == 1 and "找不到密钥文件" in out and str(_key) in out, out


# ---- the normal life of a database keeps verify at 0 ------------------------------------------


@FILE
def test_normal_session_edits_imports_backups_restores(
    filled: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from brigade_desk.core.models.holidays import OfficialYear
    from brigade_desk.ledgers.roster.models import Staff

    dbp = filled.path
    r = RosterService(filled)
    with filled.begin() as s:  # an edit
        st = s.query(Staff).order_by(Staff.id).first()
        assert st is not None
        st.phone = "13800000000"
    with filled.begin() as s:  # an import-style bulk write, recorded with append_bulk
        import datetime as dt

        s.add(OfficialYear(year=2027, source="国办发明电", entered_on=dt.date(2026, 11, 1)))
    filled.close()
    assert _verify(dbp, capsys)[0] == 0
    assert main(["--db", target(dbp), "backup"]) == 0
    (first,) = backup.list_backups(backup.backup_dir(dbp))
    with _opened(dbp) as d2:
        add_officer(RosterService(d2), IDS[4], "新人")
    assert _verify(dbp, capsys)[0] == 0
    # restore the older backup through the program: a legitimate rollback
    assert main(["--db", target(dbp), "restore", str(first.path)]) == 0
    rc, out = _verify(dbp, capsys)
    assert rc == 0 and "在程序中恢复过：" in out and first.path.name in out, out
    # and life goes on after the restore, with new entries on the restored head
    with _opened(dbp) as d3:
        add_officer(RosterService(d3), "632126198808080045", "恢复后的人")
    assert main(["--db", target(dbp), "backup"]) == 0
    rc, out = _verify(dbp, capsys)
    assert rc == 0 and "锚点" in out, out
    anchors = anchor.find(dbp)
    assert {a.event for a in anchors} >= {"commit", "backup", "restore"}
    del r


@SHELL
def test_cli_subprocess_reports_in_chinese(tmp_path: Path, _key: Path) -> None:
    dbp = _demo(tmp_path)
    c = _shell(dbp)
    last = c.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    c.execute("DELETE FROM audit_log WHERE id > ?", (last - 2,))
    c.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT), audit.KEY_ENV: str(_key)}
    p = subprocess.run(
        [sys.executable, "-m", "brigade_desk", "--db", target(dbp), "audit", "verify"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert p.returncode == 1, p.stdout + p.stderr
    assert "审计记录被截断" in p.stdout and "Traceback" not in p.stderr


def test_current_anchor_text_for_forms(filled: Database) -> None:
    with filled.session() as s:
        a = anchor.current(s)
        n = _count(filled, "SELECT count(*) FROM audit_log")
    assert a.entries == n > 0
    assert a.text_zh == f"审计链：第 {n} 条，末条摘要 {a.digest[:8]}…"


def test_anchor_file_is_append_only_and_survives_a_torn_line(filled: Database) -> None:
    f = anchor.anchor_file(filled.path)
    before = f.read_bytes()
    from brigade_desk.ledgers.roster.models import Staff

    with filled.begin() as s:  # one transaction: one anchor
        st = s.query(Staff).order_by(Staff.id).first()
        assert st is not None
        st.phone = "13900000000"
    after = f.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1
    with open(f, "ab") as fh:
        fh.write(b'{"v":1,"entries":9')  # a power cut mid-line
    assert len(anchor.find(filled.path)) == after.count(b"\n")


# ---- backups: paths are data, killed backups leave nothing behind -------------------------------

FOLDERS = ["x%41", "备份#2", "100%25", "带 空格 的 文件夹", "中文备份"]
if os.name != "nt":
    FOLDERS.append("a?b")


@FILE
@pytest.mark.parametrize("name", [*FOLDERS, "long"])
def test_restore_from_a_folder_whose_name_looks_like_uri_syntax(
    filled: Database, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dbp = filled.path
    filled.close()
    folder = tmp_path / name
    if name == "long":  # long, but within what SQLite opens (512 bytes on POSIX)
        folder = tmp_path.joinpath(*(["很长的路径" * 5] * 3))
        assert len(str(folder)) > 120 and len(os.fsencode(str(folder))) < 400
    folder.mkdir(parents=True)
    good = folder / "brigade_desk-20261201-090000-manual.sqlite"
    assert main(["--db", target(dbp), "backup", "--out", str(good)]) == 0, capsys.readouterr()
    staff_then = _count(dbp, "SELECT count(*) FROM staff")
    # a decoy where an unescaped URI would lead ("x%41" → "xA", "备份#2" → "备份")
    decoy_dir = tmp_path / {"x%41": "xA", "备份#2": "备份", "100%25": "100%", "a?b": "a"}.get(
        name, "decoy"
    )
    decoy_dir.mkdir(exist_ok=True)
    shutil.copyfile(good, decoy_dir / good.name)
    c = sqlite3.connect(decoy_dir / good.name)
    c.execute("PRAGMA foreign_keys=OFF")
    c.execute("DELETE FROM staff")
    c.commit()
    c.close()
    with _opened(dbp) as d2:
        add_officer(RosterService(d2), IDS[4], "备份后的人")
    assert _count(dbp, "SELECT count(*) FROM staff") == staff_then + 1
    capsys.readouterr()
    assert main(["--db", target(dbp), "restore", str(good)]) == 0, capsys.readouterr()
    assert _count(dbp, "SELECT count(*) FROM staff") == staff_then
    assert _verify(dbp, capsys)[0] == 0


@FILE
def test_restore_core_with_escaped_names(filled: Database, tmp_path: Path) -> None:
    dbp = filled.path
    filled.close()
    folder = tmp_path / "x%41"
    folder.mkdir()
    b = backup.make_backup(dbp, folder=folder)
    assert (b.parent / (b.name + anchor.MANIFEST_SUFFIX)).is_file()
    kept = restore(dbp, b)
    assert kept.exists()


@FILE
def test_killed_backup_part_files_are_cleaned(filled: Database, tmp_path: Path) -> None:
    dbp = filled.path
    folder = backup.backup_dir(dbp)
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / "brigade_desk-20261201-090000-daily.sqlite.part"
    fresh = folder / "brigade_desk-20261205-090000-manual.sqlite.part"
    other = folder / "notes.sqlite.part"
    for p in (stale, fresh, other):
        p.write_bytes(b"x" * 1000)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    filled.close()
    backup.make_backup(dbp)
    assert not stale.exists()  # a killed backup's leftover
    assert fresh.exists()  # maybe another program's backup still being written
    assert other.exists()  # not ours


@FILE
def test_a_killed_backup_then_a_rerun(filled: Database, tmp_path: Path) -> None:
    """SIGKILL during a CLI backup, then another backup: no stale .part once it is old."""
    dbp = filled.path
    filled.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = (
        "import os, sqlite3, signal\n"
        "from pathlib import Path\n"
        "from brigade_desk.core import backup\n"
        "class Killed(sqlite3.Connection):\n"
        "    def backup(self, target, **kw):\n"
        "        super().backup(target, **kw)\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "connect = sqlite3.connect\n"
        "sqlite3.connect = lambda *a, **kw: connect(*a, factory=Killed, **kw)\n"
        f"backup.make_backup(Path({str(dbp)!r}))\n"
    )
    if os.name == "nt":
        pytest.skip("SIGKILL is POSIX")
    p = subprocess.run([sys.executable, "-c", code], env=env, timeout=120)
    assert p.returncode == -9
    folder = backup.backup_dir(dbp)
    parts = list(folder.glob("*.part"))
    assert len(parts) == 1 and not backup.list_backups(folder)
    old = time.time() - backup.STALE_PART_AGE - 1
    os.utime(parts[0], (old, old))
    backup.make_backup(dbp)
    assert not list(folder.glob("*.part")) and len(backup.list_backups(folder)) == 1


@FILE
def test_a_path_too_long_for_sqlite_gets_a_chinese_message(
    filled: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dbp = filled.path
    filled.close()
    folder = tmp_path.joinpath(*(["很长的路径" * 6] * 6))
    folder.mkdir(parents=True)
    capsys.readouterr()
    assert main(["--db", target(dbp), "backup", "--out", str(folder / "b.sqlite")]) == 1
    err = capsys.readouterr().err
    assert "路径太长" in err and "Traceback" not in err, err
    assert not list(folder.iterdir())


@SHELL
def test_demo_case_officer_links_are_covered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from brigade_desk.ledgers.cases.models import CaseRecord

    dbp = _demo(tmp_path)
    c = sqlite3.connect(dbp)
    (cid, n), (other, _n2) = c.execute(
        "SELECT case_id, count(*) FROM case_officer GROUP BY case_id HAVING count(*) > 1"
        " ORDER BY case_id LIMIT 2"
    ).fetchall()
    c.close()
    # the program changes one case's officers: the case's entry now records its links
    with _opened(dbp) as d, d.begin() as s:
        case = s.get(CaseRecord, cid)
        assert case is not None
        case.officers = case.officers[:1]
    rc, out = _verify(dbp, capsys)
    assert rc == 0, out
    # a link removed behind the program's back
    c = sqlite3.connect(dbp, isolation_level=None)
    c.execute(
        "DELETE FROM case_officer WHERE case_id = ? AND rowid IN "
        "(SELECT max(rowid) FROM case_officer WHERE case_id = ?)",
        (other, other),
    )
    c.close()
    rc, out = _verify(dbp, capsys)
    assert rc == 1 and f"case_officer #{other}," in out and "程序之外被删除" in out, out


@FILE
def test_a_new_database_at_the_same_path_is_not_an_attack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dbp = _demo(tmp_path)
    assert main(["--db", target(dbp), "backup"]) == 0
    for p in dbp.parent.glob("brigade.sqlite*"):
        p.unlink()
    time.sleep(1.1)  # (entry times are kept to the second)
    assert main(["--db", target(dbp), "demo"]) == 0
    rc, out = _verify(dbp, capsys)
    assert rc == 0, out


@SHELL
def test_a_row_added_behind_the_back_is_detected(
    filled: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    dbp = filled.path
    filled.close()
    c = sqlite3.connect(dbp, isolation_level=None)
    cols = [r[1] for r in c.execute("PRAGMA table_info(staff)")]
    row = c.execute("SELECT * FROM staff ORDER BY id DESC LIMIT 1").fetchone()
    fake = dict(zip(cols, row, strict=True))
    fake["id"] = int(fake["id"]) + 1
    fake["name"] = "虚构的人"
    fake["id_number"] = IDS[4]
    c.execute(
        f"INSERT INTO staff ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
        tuple(fake.values()),
    )
    c.close()
    rc, out = _verify(dbp, capsys)
    assert rc == 1 and f"staff #{fake['id']} 没有任何审计记录" in out and "程序之外被加入" in out, (
        out
    )


def test_deleting_and_undoing_demo_rows_through_the_program_keeps_verify_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from brigade_desk.core.changes import Changes
    from brigade_desk.core.undo import deleting, undo
    from brigade_desk.ledgers.cases.service import CaseService

    dbp = _demo(tmp_path)
    cid = _count(dbp, "SELECT min(case_id) FROM case_review")
    with _opened(dbp) as d:
        with deleting(d, "案件", Changes.CASES) as got:
            CaseService(d).delete(cid)
        rc, out = _verify(dbp, capsys)
        assert rc == 0, out
        assert undo(d, got[0]) > 1
    rc, out = _verify(dbp, capsys)
    assert rc == 0, out
    assert _count(dbp, f"SELECT count(*) FROM case_record WHERE id = {cid}") == 1
