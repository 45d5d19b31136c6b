"""``copy-db``: a ledger moved from a SQLite file to a PostgreSQL server and back (issue 18)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from pg_support import admin_connect, with_database
from sqlalchemy import func, insert, select
from training_helpers import id_no

from brigade_desk.app import cli
from brigade_desk.core import audit, copydb
from brigade_desk.core.db import open_database
from brigade_desk.core.errors import UserError
from brigade_desk.ledgers.roster.service import RosterService, StaffInput


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo ledger (every ledger, bulk and per-row audit entries, links, JSON)."""
    p = tmp_path_factory.mktemp("demo") / "演示 #1.sqlite"
    assert cli.main(["--db", str(p), "demo"]) == 0
    return p


def _counts(target: str | Path) -> dict[str, int]:
    db = open_database(target)
    try:
        with db.engine.connect() as c:
            return {
                t.name: int(c.execute(select(func.count()).select_from(t)).scalar() or 0)
                for t in copydb._tables()
            }
    finally:
        db.close()


def test_a_new_database_holds_only_the_seeded_rows(tmp_path: Path, pg_url: str) -> None:
    """What copy-db replaces in a new target: only the tables the migrations fill."""
    for target in (str(tmp_path / "new.sqlite"), pg_url):
        filled = {t for t, n in _counts(target).items() if n}
        assert filled <= copydb.SEEDED, filled


def test_there_and_back(demo_file: Path, pg_url: str, tmp_path: Path, capsys) -> None:
    want = _counts(demo_file)
    assert want["training_attendance"] > 1000 and want["audit_log"] > 100
    assert cli.main(["copy-db", str(demo_file), pg_url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verified"] is True and out["problem"] == ""
    assert out["rows"] == sum(want.values()) and out["audit_entries"] == want["audit_log"]
    assert _counts(pg_url) == want
    # new rows on the server after the copy: the id sequences were moved past the copied ids
    db = open_database(pg_url)
    try:
        RosterService(db).save_staff(
            StaffInput(
                name="复制后新增", sex="男", id_number=id_no(120), squad="一中队", post="队员"
            )
        )
        assert audit.verify_database(db).ok
    finally:
        db.close()
    back = tmp_path / "回来的 账本.sqlite"
    assert cli.main(["copy-db", pg_url, str(back)]) == 0
    assert "审计记录核对通过" in capsys.readouterr().out
    got = _counts(back)
    assert got["staff"] == want["staff"] + 1 and got["audit_log"] > want["audit_log"]
    assert cli.main(["--db", str(back), "audit", "verify"]) == 0
    # the target is anchored from the copy on: a copy of an older state over it is a rollback
    assert "锚点" in capsys.readouterr().out


def test_a_target_with_data_is_refused(demo_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "已有.sqlite"
    db = open_database(target)
    RosterService(db).save_staff(
        StaffInput(name="原有人员", sex="男", id_number=id_no(121), squad="一中队", post="队员")
    )
    db.close()
    before = _counts(target)
    with pytest.raises(UserError, match="已有数据（audit_log、staff"):
        copydb.copy_database(demo_file, target)
    assert _counts(target) == before
    with pytest.raises(UserError, match="同一个数据库"):
        copydb.copy_database(demo_file, demo_file)
    with pytest.raises(UserError, match="找不到要复制的数据库文件"):
        copydb.copy_database(tmp_path / "没有.sqlite", tmp_path / "x.sqlite")


def test_a_failure_on_the_way_leaves_the_target_empty(
    demo_file: Path, pg_admin: str, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value the server refuses half-way (here: a text longer than its column, which SQLite
    never enforced): a Chinese message naming the table and rows; nothing written."""
    bad = demo_file.with_name("长名字.sqlite")
    bad.write_bytes(demo_file.read_bytes())
    c = sqlite3.connect(bad)
    c.execute("UPDATE training_session SET title = ? WHERE id = 3", ("很长" * 300,))
    c.commit()
    c.close()
    monkeypatch.setattr(audit, "verify_database", lambda db: pytest.fail("not reached"))
    with pytest.raises(UserError, match=r"复制表 training_session 时目标数据库拒绝了第 1–\d+ 行"):
        copydb.copy_database(bad, pg_url)
    assert sum(_counts(pg_url).values()) == sum(
        n for t, n in _counts(pg_url).items() if t in copydb.SEEDED
    )
    assert _counts(pg_url)["staff"] == 0 and _counts(pg_url)["audit_log"] == 0


def test_copy_between_two_servers_databases(demo_file: Path, pg_admin: str, pg_url: str) -> None:
    """Server to server (a new office server) works the same way."""
    res = copydb.copy_database(demo_file, pg_url)
    assert res.verified
    name = "bd_copy_two"
    with admin_connect(pg_admin) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        res2 = copydb.copy_database(pg_url, with_database(pg_admin, name))
        assert res2.verified and res2.counts == res.counts
    finally:
        with admin_connect(pg_admin) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_insert_is_what_copies(demo_file: Path) -> None:
    """Guard: every audited table is copied (a new table in the models is picked up)."""
    from brigade_desk.models import Base

    names = {t.name for t in copydb._tables()}
    assert {t.name for t in Base.metadata.sorted_tables} - names == set(copydb.SKIP) & {
        t.name for t in Base.metadata.sorted_tables
    }
    assert insert  # (the copy goes through Core inserts: ORM listeners write no new entries)


def test_backup_of_a_server_ledger_and_restore_into_a_new_one(
    demo_file: Path, pg_admin: str, pg_url: str, tmp_path: Path, capsys
) -> None:
    """``backup`` on a server: a consistent, verified SQLite copy in this PC's folder; restored
    with copy-db into a new server database, it gives the same rows."""
    assert copydb.copy_database(demo_file, pg_url).verified
    out = tmp_path / "服务器 备份.sqlite"
    assert cli.main(["--db", pg_url, "backup", "--out", str(out)]) == 0
    assert "审计记录核对通过" in capsys.readouterr().out
    assert _counts(out) == _counts(pg_url)
    name = "bd_restored"
    with admin_connect(pg_admin) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        restored = with_database(pg_admin, name)
        assert cli.main(["copy-db", str(out), restored]) == 0
        assert _counts(restored) == _counts(pg_url)
    finally:
        with admin_connect(pg_admin) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
