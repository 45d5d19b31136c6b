"""Backups and restores of a ledger on a PostgreSQL server (issue 18, core.pgbackup): pg_dump when
this PC has it (verified with pg_restore), else the program's own copy; restore from either kind,
refused over data unless replacing, one transaction, the audit trail verified afterwards."""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_support import admin_connect, with_database
from training_helpers import id_no

from brigade_desk.app.cli import main
from brigade_desk.core import audit, pgbackup, server
from brigade_desk.core.db import open_database
from brigade_desk.core.errors import UserError
from brigade_desk.ledgers.roster.service import RosterService, StaffInput

PG_BIN = next(
    (p for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)),
    None,
)


@pytest.fixture(autouse=True)
def _this_pc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This PC's data folder (the server database's backups and anchors) inside the test's folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "本机 数据"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "本机 数据"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "本机 数据"))


@pytest.fixture
def with_pg_dump(monkeypatch: pytest.MonkeyPatch) -> Path:
    """PostgreSQL's client programs, named by BRIGADE_DESK_PG_BIN."""
    folder = Path(shutil.which("pg_dump") or "").parent if shutil.which("pg_dump") else PG_BIN
    if folder is None or not (folder / "pg_restore").exists():
        pytest.skip("no pg_dump / pg_restore on this machine")
    monkeypatch.setenv(pgbackup.PG_BIN_ENV, str(folder))
    return folder


@pytest.fixture
def without_pg_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pgbackup.PG_BIN_ENV, str(tmp_path / "没有 这个 文件夹"))


def _staff(db_url: str) -> dict[str, str]:
    db = open_database(db_url)
    try:
        with db.engine.connect() as c:
            return dict(c.exec_driver_sql("SELECT id_number, name FROM staff").all())
    finally:
        db.close()


def _fill(url: str, n: int = 3, start: int = 0) -> None:
    db = open_database(url)
    try:
        svc = RosterService(db)
        for k in range(start, start + n):
            svc.save_staff(
                StaffInput(name=f"队员{k}", id_number=id_no(100 + k), squad="一中队", post="队员")
            )
    finally:
        db.close()


def _change(url: str) -> None:
    """After the backup: one more person, one renamed."""
    _fill(url, 1, start=10)
    db = open_database(url)
    try:
        svc = RosterService(db)
        view = svc.find_by_id_number(id_no(100))
        assert view is not None
        view.name = "改过的名字"
        svc.save_staff(view, view.id, version=view.version)
    finally:
        db.close()


def _verify(url: str) -> audit.VerifyResult:
    db = open_database(url)
    try:
        return audit.verify_database(db)
    finally:
        db.close()


@pytest.fixture
def ledger(pg_url: str) -> str:
    _fill(pg_url)
    return pg_url


def _backups(url: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["--db", url, "backups", "--json"]) == 0
    return list(json.loads(capsys.readouterr().out))


def test_backup_with_pg_dump_writes_a_verified_dump(
    ledger: str, with_pg_dump: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", ledger, "backup"]) == 0
    out = capsys.readouterr().out
    assert "已用 pg_dump" in out and "pg_restore 核对通过" in out, out
    (item,) = _backups(ledger, capsys)
    assert item["format"] == "dump" and item["kind"] == "manual"
    dump = Path(str(item["path"]))
    assert dump.parent == pgbackup.backup_folder(ledger)
    assert dump.read_bytes()[:5] == b"PGDMP"
    assert not list(dump.parent.glob("*.part"))
    # pg_restore reads it whole; the audit trail's data is in it, entry for entry
    tools, _ = pgbackup.find_tools()
    assert tools is not None
    info = pgbackup.inspect_dump(tools, dump)
    entries = _verify(ledger).entries
    assert entries > 3 and info.audit_rows == entries
    assert any("TABLE DATA" in e and " staff " in e for e in info.entries)
    # the dump's head is anchored beside it (as a file's backup)
    manifest = json.loads(dump.with_name(dump.name + ".anchor.json").read_text("utf-8"))
    assert manifest["event"] == "backup" and manifest["entries"] == entries
    # the password never goes on a command line; the connection string carries none
    info_str = pgbackup.conninfo(server.server_url(ledger.replace("@", ":机密@", 1)))
    assert "机密" not in info_str and "dbname=" in info_str


def test_backup_without_pg_dump_is_the_programs_copy_and_says_so(
    ledger: str, without_pg_dump: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", ledger, "backup"]) == 0
    out = capsys.readouterr().out
    assert "本程序的数据库文件" in out and "未用 pg_dump" in out and "BRIGADE_DESK_PG_BIN" in out
    (item,) = _backups(ledger, capsys)
    assert item["format"] == "sqlite"
    copy = Path(str(item["path"]))
    assert copy.read_bytes()[:16] == b"SQLite format 3\x00"
    assert _staff(str(copy)) == _staff(ledger)
    assert not (copy.parent / "backups").exists()  # anchored as a backup, not as a new ledger
    # asked for pg_dump explicitly: refused in Chinese, nothing written
    assert main(["--db", ledger, "backup", "--format", "pg_dump"]) == 1
    assert "无法用 pg_dump 备份" in capsys.readouterr().err
    assert len(_backups(ledger, capsys)) == 1


def test_without_pg_dump_on_path(
    ledger: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(pgbackup.PG_BIN_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "空"))
    tools, why = pgbackup.find_tools()
    assert tools is None and "没有找到" in why
    res = pgbackup.backup_server(ledger)
    assert res.format == "sqlite" and res.path.suffix == ".sqlite" and "没有找到" in res.note


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for an old pg_dump")
def test_a_pg_dump_older_than_the_server_is_not_used(
    ledger: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "pg96" / "bin"
    old.mkdir(parents=True)
    for name in ("pg_dump", "pg_restore"):
        (old / name).write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) 9.6.24'\n")
        (old / name).chmod(0o755)
    monkeypatch.setenv(pgbackup.PG_BIN_ENV, str(old))
    tools, _ = pgbackup.find_tools()
    assert tools is not None and tools.version == (9, 6)
    res = pgbackup.backup_server(ledger)
    assert res.format == "sqlite" and "9.6.24" in res.note and "旧" in res.note
    with pytest.raises(UserError, match="pg_dump 版本 9.6.24"):
        pgbackup.backup_server(ledger, fmt="pg_dump")


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for a failing pg_dump")
def test_a_failing_pg_dump_still_leaves_a_backup(
    ledger: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pg_dump fails (here: refused a table): the backup is the program's copy, and why is said;
    asked for pg_dump only, the failure is said in Chinese and nothing is left behind."""
    bad = tmp_path / "pg99" / "bin"
    bad.mkdir(parents=True)
    (bad / "pg_dump").write_text(
        "#!/bin/sh\n"
        'case "$1" in --version) echo "pg_dump (PostgreSQL) 99.1"; exit 0;; esac\n'
        'echo "pg_dump: error: query failed: ERROR:  permission denied for table staff" >&2\n'
        "exit 1\n"
    )
    (bad / "pg_restore").write_text("#!/bin/sh\necho 'pg_restore (PostgreSQL) 99.1'\n")
    for f in bad.iterdir():
        f.chmod(0o755)
    monkeypatch.setenv(pgbackup.PG_BIN_ENV, str(bad))
    res = pgbackup.backup_server(ledger)
    assert (
        res.format == "sqlite"
        and "pg_dump 没有成功" in res.note
        and "没有进行这项操作的权限" in res.note
    )
    assert _staff(str(res.path)) == _staff(ledger)
    with pytest.raises(UserError, match="备份没有完成.*权限"):
        pgbackup.backup_server(ledger, fmt="pg_dump")
    left = sorted(
        p.name for p in res.path.parent.iterdir() if p.name != "brigade_desk-anchors.jsonl"
    )
    assert left == [res.path.name, res.path.name + ".anchor.json"]


@pytest.mark.parametrize("fmt", ["pg_dump", "sqlite"])
def test_restore_into_a_changed_database(
    fmt: str, ledger: str, with_pg_dump: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", ledger, "backup", "--format", fmt]) == 0
    (item,) = _backups(ledger, capsys)
    file = Path(str(item["path"]))
    at_backup = _staff(ledger)
    _change(ledger)
    changed = _staff(ledger)
    assert changed != at_backup and len(changed) == 4
    # over data: refused unless --replace, nothing touched
    assert main(["--db", ledger, "restore", str(file)]) == 1
    err = capsys.readouterr().err
    assert "已有数据" in err and "--replace" in err
    assert _staff(ledger) == changed
    assert main(["--db", ledger, "restore", str(file), "--replace"]) == 0
    out = capsys.readouterr().out
    assert "审计记录核对通过" in out and "恢复前的数据已备份到本机" in out, out
    assert _staff(ledger) == at_backup
    assert main(["--db", ledger, "audit", "verify"]) == 0
    assert "在程序中恢复过" in capsys.readouterr().out
    # the data as it was before the restore is kept, and restores back
    kinds = {(b["kind"], b["format"]) for b in _backups(ledger, capsys)}
    assert ("pre-restore", "dump") in kinds
    (pre,) = [b for b in _backups(ledger, capsys) if b["kind"] == "pre-restore"]
    assert main(["--db", ledger, "restore", str(pre["path"]), "--replace"]) == 0
    assert _staff(ledger) == changed
    # work goes on after a restore: new entries chain on, and verify
    _fill(ledger, 1, start=20)
    assert _verify(ledger).ok


@pytest.fixture
def empty_db(pg_admin: str, pg_template: str) -> Iterator[str]:
    name = f"bd_empty_{uuid.uuid4().hex[:8]}"
    with admin_connect(pg_admin) as c:
        c.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield with_database(pg_admin, name)
    with admin_connect(pg_admin) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("fmt", ["pg_dump", "sqlite"])
def test_restore_into_an_empty_database_needs_no_replace(
    fmt: str, ledger: str, empty_db: str, with_pg_dump: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res = pgbackup.backup_server(ledger, fmt=fmt)
    assert main(["--db", empty_db, "restore", str(res.path)]) == 0
    assert "恢复前数据库是空的" in capsys.readouterr().out
    assert _staff(empty_db) == _staff(ledger)
    assert _verify(empty_db).ok


@pytest.mark.parametrize("fmt", ["pg_dump", "sqlite"])
def test_a_failed_restore_leaves_the_database_as_it_was(
    fmt: str, ledger: str, with_pg_dump: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another client holds the roster (an open transaction): the restore waits a while, gives up in
    Chinese, and the database is exactly as before (one transaction)."""
    from brigade_desk.core import copydb

    res = pgbackup.backup_server(ledger, fmt=fmt)
    _change(ledger)
    changed = _staff(ledger)
    monkeypatch.setattr(copydb, "LOCK_TIMEOUT_MS", 300)
    monkeypatch.setattr(pgbackup, "LOCK_TIMEOUT_MS", 300)
    with admin_connect(ledger) as other:
        other.autocommit = False
        other.execute("SELECT count(*) FROM staff").fetchone()  # holds a lock until it ends
        with pytest.raises(UserError, match="其他电脑正在使用") as got:
            pgbackup.restore_server(ledger, res.path, replace=True)
        other.rollback()
    assert "数据没有改动" in got.value.message or "没有改动" in got.value.message
    assert _staff(ledger) == changed
    assert _verify(ledger).ok


def test_a_dump_of_an_older_schema_is_restored_and_upgraded(
    ledger: str, with_pg_dump: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup from before a program upgrade (a table fewer): the tables it does not know go
    too, all in one transaction, and the program upgrades the restored schema."""
    import subprocess

    from alembic import command

    from brigade_desk.core.db import _script as script_of
    from brigade_desk.core.db import alembic_config, migration_chain

    head = migration_chain(script_of())[-1]
    db = open_database(ledger)
    try:
        with db.engine.connect() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0015_av_name_patterns")
            conn.commit()
    finally:
        db.close()
    old = tmp_path / "旧版本.dump"
    url = server.server_url(ledger)
    env = dict(os.environ)
    subprocess.run(
        [
            str(with_pg_dump / "pg_dump"),
            "-Fc",
            f"--file={old}",
            f"--dbname={pgbackup.conninfo(url)}",
        ],
        check=True,
        env=env,
    )
    at_backup = _staff(ledger)  # (opening upgrades the database again)
    _change(ledger)
    assert main(["--db", ledger, "restore", str(old), "--replace"]) == 0, capsys.readouterr().err
    assert "审计记录核对通过" in capsys.readouterr().out
    assert _staff(ledger) == at_backup
    with admin_connect(ledger) as c:
        assert c.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
        assert c.execute("SELECT count(*) FROM av_device").fetchone() is not None
    assert main(["--db", ledger, "audit", "verify"]) == 0


def test_failures_are_said_in_chinese(
    ledger: str, with_pg_dump: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = pgbackup.backup_server(ledger)
    # a dump cut short: refused before anything is touched
    cut = tmp_path / "半截.dump"
    cut.write_bytes(res.path.read_bytes()[: res.path.stat().st_size // 2])
    before = _staff(ledger)
    with pytest.raises(UserError, match="核对未通过"):
        pgbackup.restore_server(ledger, cut, replace=True)
    assert _staff(ledger) == before
    # not a backup at all
    junk = tmp_path / "别的.dump"
    junk.write_bytes(b"hello")
    with pytest.raises(UserError, match="不是 Brigade Desk 的备份文件"):
        pgbackup.restore_server(ledger, junk, replace=True)
    # the server down
    down = "postgresql://postgres@127.0.0.1:1/nothing"
    with pytest.raises(UserError, match="无法连接到"):
        pgbackup.backup_server(down)
    # a dump, but no pg_restore on this PC
    monkeypatch.setenv(pgbackup.PG_BIN_ENV, str(tmp_path / "无"))
    with pytest.raises(UserError, match="需要 pg_restore"):
        pgbackup.restore_server(ledger, res.path, replace=True)
    assert _staff(ledger) == before


def test_what_pg_dump_says_is_said_in_chinese() -> None:
    url = server.server_url("postgresql://clerk:pw@db.example:5432/brigade")
    cases = {
        'pg_dump: error: connection to server at "db.example" (10.0.0.5), port 5432 failed: '
        'FATAL:  password authentication failed for user "clerk"': "用户名 clerk 或密码不对",
        "pg_dump: error: aborting because of server version mismatch\n"
        "pg_dump: detail: server version: 16.1; pg_dump version: 15.18": "版本旧",
        'pg_dump: error: connection to server at "db.example", port 5432 failed: '
        "Connection refused": "无法连接到PostgreSQL 数据库 brigade（db.example:5432）",
        "pg_restore: error: unsupported version (1.16) in file header": "更新版本的 pg_dump",
        "pg_restore: error: could not execute query: ERROR:  canceling statement due to lock "
        "timeout": "其他电脑正在使用",
        "pg_restore: error: could not execute query: ERROR:  must be owner of table staff": (
            "没有进行这项操作的权限"
        ),
    }
    for stderr, want in cases.items():
        said = pgbackup.explain("pg_dump", stderr, url)
        assert want in said, (stderr, said)
        assert "pw" not in said.replace("pg_", "")


def test_tool_versions() -> None:
    assert pgbackup.major_of("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)") == (15, 0)
    assert pgbackup.major_of("pg_dump (PostgreSQL) 9.6.24") == (9, 6)
    assert pgbackup.server_major(150018) == (15, 0)
    assert pgbackup.server_major(90624) == (9, 6)


@pytest.mark.skipif(sys.platform != "win32", reason="Windows' installation folders")
def test_windows_program_files_are_searched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(pgbackup.PG_BIN_ENV, raising=False)
    monkeypatch.setenv("ProgramW6432", str(tmp_path))
    (tmp_path / "PostgreSQL" / "16" / "bin").mkdir(parents=True)
    assert tmp_path / "PostgreSQL" / "16" / "bin" in pgbackup.search_dirs()


@pytest.fixture(scope="module")
def password_server() -> Iterator[str]:
    """A server of its own that asks for passwords (the shared test server trusts everyone): the
    clerk's URL, with a password that needs quoting in a URL and in a connection string."""
    from urllib.parse import quote

    from pg_support import Cluster, _bin_dir

    bindir = _bin_dir()
    if bindir is None:
        pytest.skip("no PostgreSQL programs to start a server with passwords")
    cluster = Cluster(bindir)
    admin = cluster.start()
    secret = "秘 p@ss:w/rd'1"
    try:
        with admin_connect(admin) as c:
            from psycopg import sql

            c.execute(sql.SQL("CREATE ROLE clerk LOGIN PASSWORD {}").format(sql.Literal(secret)))
            c.execute("CREATE DATABASE ledger OWNER clerk")
            hba = Path(c.execute("SHOW hba_file").fetchone()[0])
            hba.write_text(
                "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n", encoding="utf-8"
            )
            c.execute("SELECT pg_reload_conf()")
        base = admin.rsplit("@", 1)[1].rsplit("/", 1)[0]
        yield f"postgresql://clerk:{quote(secret, safe='')}@{base}/ledger"
    finally:
        cluster.stop()


def test_a_server_that_asks_for_a_password(
    password_server: str,
    with_pg_dump: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """pg_dump and pg_restore get the password from the URL through the environment — never on a
    command line — and a wrong one is said in Chinese."""
    import subprocess

    url = password_server
    _fill(url)
    started: list[list[str]] = []
    real_popen = subprocess.Popen

    def popen(cmd: list[str], *a: object, **kw: object) -> object:
        started.append(list(cmd))
        return real_popen(cmd, *a, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    res = pgbackup.backup_server(url)
    assert res.format == "pg_dump"
    at_backup = _staff(url)
    _change(url)
    assert pgbackup.restore_server(url, res.path, replace=True).ok
    assert _staff(url) == at_backup
    assert any("pg_restore" in c[0] and "--single-transaction" in c for c in started)
    assert started and not any("秘" in arg or "p@ss" in arg for c in started for arg in c)
    # the wrong password: in Chinese, naming the user, never the password
    wrong = url.replace("%27", "%28")
    assert main(["--db", wrong, "backup"]) == 1
    err = capsys.readouterr().err
    assert "无法登录" in err and "clerk" in err and "p@ss" not in err and "秘" not in err
