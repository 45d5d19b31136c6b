"""Faults of the database file, classified by SQLite's result code: one Chinese message each, naming
the file and the way out; no traceback; the file never written to.

Real faults where this machine can make them: corrupt pages in a real demo ledger, a truncated file, a
file that is no database, a read-only disk (a read-only bind mount: the tests run as root, whom chmod
does not stop), a file the user may not read or write (the CLI run as ``nobody``), a database locked
by another writer. Every code also with a synthetic ``sqlite3`` error carrying it, bare and wrapped as
SQLAlchemy wraps it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy.exc
from dbtemplate import target

from brigade_desk.app.cli import main
from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import db as dbmod
from brigade_desk.core.db import open_database
from brigade_desk.core.errors import (
    DatabaseDamagedError,
    describe_os_error,
    sqlite_code,
    translate_db_error,
)
from brigade_desk.ledgers.roster.service import RosterService
from tests.conftest import IDS, add_officer, fresh_db

pytestmark = pytest.mark.sqlite_only(reason="faults of the SQLite file, by SQLite's result codes")

REPO = Path(__file__).resolve().parents[2]
PAGE = 4096
TODAY = dt.date(2026, 11, 20)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _files(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` with its hash (the database, and anything written beside it)."""
    return {c.name: _sha(c) for c in sorted(folder.iterdir()) if c.is_file()}


def _no_english(text: str) -> None:
    for word in ("Traceback", "sqlite3.", "sqlalchemy", "attempt to", "database is", "Error:"):
        assert word not in text, text


# ---- classification by result code (synthetic errors) -------------------------------------------

# (code, name as Python 3.11 names it, what the message must say)
CODES = [
    (11, "SQLITE_CORRUPT", "已损坏"),
    (267, "SQLITE_CORRUPT_VTAB", "已损坏"),
    (26, "SQLITE_NOTADB", "已损坏"),
    (8, "SQLITE_READONLY", "不能写入"),
    (1032, "SQLITE_READONLY_DBMOVED", "不能写入"),
    (776, "SQLITE_READONLY_ROLLBACK", "不能写入"),
    (14, "SQLITE_CANTOPEN", "无法打开"),
    (526, "SQLITE_CANTOPEN_ISDIR", "无法打开"),
    (13, "SQLITE_FULL", "磁盘已满"),
    (10, "SQLITE_IOERR", "磁盘出错"),
    (522, "SQLITE_IOERR_SHORT_READ", "磁盘出错"),
    (5, "SQLITE_BUSY", "正忙"),
    (517, "SQLITE_BUSY_SNAPSHOT", "正忙"),
    (6, "SQLITE_LOCKED", "正忙"),
    (3, "SQLITE_PERM", "没有权限"),
    (23, "SQLITE_AUTH", "没有权限"),
]


def _sqlite_error(cls: type[sqlite3.Error], code: int, name: str, text: str) -> sqlite3.Error:
    e = cls(text)
    e.sqlite_errorcode = code  # type: ignore[attr-defined]  # as the sqlite3 module sets them
    e.sqlite_errorname = name  # type: ignore[attr-defined]
    return e


@pytest.mark.parametrize(("code", "name", "says"), CODES)
@pytest.mark.parametrize("wrapped", [False, True])
def test_every_code_has_its_chinese_message(
    tmp_path: Path, code: int, name: str, says: str, wrapped: bool
) -> None:
    path = tmp_path / "台账 #1.sqlite"
    # the English text is deliberately misleading: only the code may decide
    raw = _sqlite_error(sqlite3.DatabaseError, code, name, "not an error")
    exc: BaseException = (
        sqlalchemy.exc.DatabaseError("SELECT 1", {}, raw) if wrapped else raw  # type: ignore[arg-type]
    )
    assert sqlite_code(exc) == code & 0xFF
    user = translate_db_error(exc, path)
    assert user is not None
    assert says in user.message and str(path) in user.message
    _no_english(user.message)
    assert isinstance(user, DatabaseDamagedError) == (says == "已损坏")
    if says in ("已损坏", "磁盘出错"):  # the way out: the backups
        assert "备份与恢复" in user.message and "brigade-desk restore" in user.message
    if says in ("不能写入", "没有权限"):  # the way out: a writable place, or the rights
        assert "--db" in user.message and "BRIGADE_DESK_DB" in user.message


@pytest.mark.parametrize("code", [1, 19, 20, 21, 25])  # ERROR, CONSTRAINT, MISMATCH, MISUSE, RANGE
def test_codes_of_bugs_are_not_dressed_up_as_the_environments_fault(code: int) -> None:
    raw = _sqlite_error(sqlite3.OperationalError, code, "X", "database disk image is malformed")
    assert translate_db_error(raw) is None
    assert translate_db_error(ValueError("attempt to write a readonly database")) is None


def test_a_file_that_cannot_be_read_is_not_reported_as_one_that_cannot_be_written(
    tmp_path: Path,
) -> None:
    import errno

    exc = PermissionError(errno.EACCES, "Permission denied")
    p = tmp_path / "a.sqlite"
    assert "没有权限读取" in describe_os_error(exc, p, mode="read")
    assert "写入" not in describe_os_error(exc, p, mode="read").split("。")[0]
    assert "没有权限写入" in describe_os_error(exc, p)
    assert "没有权限访问" in describe_os_error(exc, p, mode="access")


# ---- damage in a real demo ledger ---------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo ledger in one file (checkpointed, rollback journal), a manual backup beside it."""
    from brigade_desk.app.demo import fill
    from brigade_desk.core import backup

    path = tmp_path_factory.mktemp("demo") / "台账.sqlite"
    d = fresh_db(path)
    fill(d, size="small", seed=3, today=TODAY)
    d.close()
    backup.make_backup(path, "manual")
    c = sqlite3.connect(path)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.execute("PRAGMA journal_mode=DELETE")
    c.close()
    return path


def _corrupt_middle(p: Path) -> None:
    """Overwrite four pages in the middle of the file: the header and the schema stay valid."""
    pages = p.stat().st_size // PAGE
    with open(p, "r+b") as fh:
        fh.seek(PAGE * (pages // 2))
        fh.write(random.Random(11).randbytes(PAGE * 4))


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 3])


def _not_a_database(p: Path) -> None:
    p.write_text("姓名,身份证号\n张三,63010219850315002X\n" * 200, encoding="utf-8")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "corrupt-middle": _corrupt_middle,
    "truncated": _truncate,
    "not-a-database": _not_a_database,
}


def _commands(folder: Path) -> dict[str, list[str]]:
    return {
        "import": ["import", "staff", str(folder / "导入.xlsx")],
        "check": ["check"],
        "audit verify": ["audit", "verify"],
        "export": ["export", "roster", "--out", str(folder / "导出.xlsx")],
        "backup": ["backup"],
    }


@pytest.fixture(scope="module")
def staff_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from brigade_desk.ledgers.roster.importer import write_template

    return write_template(tmp_path_factory.mktemp("in") / "花名册.xlsx")


def _damaged_copy(demo: Path, tmp_path: Path, kind: str, staff_file: Path) -> Path:
    shutil.copytree(demo.parent / "backups", tmp_path / "backups")
    shutil.copyfile(staff_file, tmp_path / "导入.xlsx")
    p = tmp_path / demo.name
    shutil.copyfile(demo, p)
    DAMAGE[kind](p)
    return p


def test_the_demo_ledger_is_healthy_before_the_damage(demo: Path) -> None:
    dbmod.check_database_file(demo)


@pytest.mark.parametrize("kind", list(DAMAGE))
@pytest.mark.parametrize("command", ["import", "check", "audit verify", "export", "backup"])
def test_every_command_on_a_damaged_demo_ledger(
    demo: Path,
    staff_file: Path,
    tmp_path: Path,
    kind: str,
    command: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    p = _damaged_copy(demo, tmp_path, kind, staff_file)
    before = _files(tmp_path)
    backups = _files(tmp_path / "backups")  # the demo's backup, its anchor manifest, the anchors
    assert main(["--db", target(p), *_commands(tmp_path)[command]]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：") and str(p) in err and "已损坏" in err, err
    assert "备份与恢复" in err and "brigade-desk restore" in err
    _no_english(err)
    after = _files(tmp_path)
    after.pop(p.name + ".lock", None)  # the writing commands' lock file (empty until locked)
    assert after == before  # the database byte for byte, no export, nothing beside it
    assert _files(tmp_path / "backups") == backups  # no backup made, no anchor appended


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_the_real_command_line_prints_no_traceback(
    demo: Path, staff_file: Path, tmp_path: Path, kind: str
) -> None:
    p = _damaged_copy(demo, tmp_path, kind, staff_file)
    before = _sha(p)
    for argv in (["import", "staff", str(tmp_path / "导入.xlsx")], ["audit", "verify"]):
        run = subprocess.run(
            [sys.executable, "-m", "brigade_desk", "--db", target(p), *argv],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=120,
        )
        assert run.returncode == 1, run.stderr
        assert run.stderr.startswith("错误：") and "已损坏" in run.stderr
        _no_english(run.stderr)
    assert _sha(p) == before


def test_damage_met_during_use_stops_every_later_statement(tmp_path: Path) -> None:
    """The file passed its check, then the disk failed: the first query meets the damage, and from
    then on nothing runs on that engine — above all no write — until the file is restored."""
    healthy = tmp_path / "好.sqlite"
    d = fresh_db(healthy)
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
    p = tmp_path / "用着坏了.sqlite"
    shutil.copyfile(healthy, p)
    db = open_database(p)
    db.engine.dispose()
    with open(p, "r+b") as fh:  # every page from the third on
        fh.seek(PAGE * 2)
        fh.write(random.Random(5).randbytes(p.stat().st_size - PAGE * 2))
    damaged = _sha(p)
    with pytest.raises(DatabaseDamagedError), db.session() as s:
        REGISTRY.run_rules(s, TODAY)
    with pytest.raises(DatabaseDamagedError, match="已损坏"):
        add_officer(RosterService(db), IDS[3], "不该写入")
    with pytest.raises(DatabaseDamagedError):
        RosterService(db).count()
    assert _sha(p) == damaged
    # restored under the open engine (as the GUI's 备份与恢复 does): it runs again once disposed
    db.engine.dispose()
    shutil.copyfile(healthy, p)
    for side in ("-wal", "-shm"):
        Path(str(p) + side).unlink(missing_ok=True)
    db.engine.dispose()
    assert RosterService(db).count() == 3
    db.close()


# ---- a database locked by another writer --------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Path:
    d = fresh_db(tmp_path / "锁 住" / "台账.sqlite")
    add_officer(RosterService(d), IDS[0], "甲")
    d.close()
    return d.path


def test_a_locked_database(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from brigade_desk.ledgers.roster.importer import write_template

    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 300)
    book = write_template(tmp_path / "花名册.xlsx")
    holder = sqlite3.connect(small, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program in the middle of a write
    holder.execute("CREATE TABLE x_holder (x)")
    try:
        before = _sha(small)
        assert main(["--db", target(small), "import", "staff", str(book)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("错误：") and "正忙" in err and str(small) in err
        _no_english(err)
        assert main(["--db", target(small), "check"]) == 0  # reading beside a writer works (WAL)
        capsys.readouterr()
        assert _sha(small) == before
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert main(["--db", target(small), "import", "staff", str(book)]) == 0


# ---- a read-only disk (a read-only bind mount) --------------------------------------------------


@pytest.fixture
def read_only_disk(small: Path, tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a read-only bind mount needs root (chmod does not stop root)")
    src = small.parent
    mnt = tmp_path / "只读 U盘"
    mnt.mkdir()
    ok = subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True)
    if ok.returncode:
        pytest.skip(f"cannot bind-mount here: {ok.stderr.decode(errors='replace').strip()}")
    try:
        ro = subprocess.run(["mount", "-o", "remount,bind,ro", str(mnt)], capture_output=True)
        if ro.returncode:
            pytest.skip("cannot remount read-only here")
        yield mnt / small.name
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


@pytest.mark.parametrize("command", ["import", "check", "audit verify", "export", "backup"])
def test_a_read_only_disk(
    read_only_disk: Path,
    staff_file: Path,
    tmp_path: Path,
    command: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    p = read_only_disk
    shutil.copyfile(staff_file, tmp_path / "导入.xlsx")
    before = _files(p.parent)
    assert main(["--db", target(p), *_commands(tmp_path)[command]]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：") and str(p) in err and "只读" in err, err
    assert "--db" in err  # the way out: a copy on a writable disk
    _no_english(err)
    assert _files(p.parent) == before
    assert not (tmp_path / "导出.xlsx").exists()


# ---- permissions, as a user they apply to (the CLI run as nobody) -------------------------------


@pytest.fixture
def as_nobody(
    small: Path,
) -> Iterator[Callable[[Path, list[str]], subprocess.CompletedProcess[str]]]:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run the command line as an ordinary user")
    home = Path(tempfile.mkdtemp(prefix="bd-nobody-"))
    home.chmod(0o777)
    # the audit key the ledger was signed with, readable by that user (as the clerk's own profile)
    from brigade_desk.core import audit

    key = home / "audit.key"
    shutil.copyfile(audit.key_path(), key)
    key.chmod(0o644)

    def run(db: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
            + [sys.executable, "-m", "brigade_desk", "--db", target(db), *argv],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={
                **os.environ,
                "PYTHONPATH": str(REPO),
                "HOME": str(home),
                "BRIGADE_DESK_AUDIT_KEY": str(key),
            },
            timeout=120,
        )

    probe = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", "1"],
        capture_output=True,
    )
    if probe.returncode:
        pytest.skip("nobody cannot run this Python")
    yield run
    shutil.rmtree(home, ignore_errors=True)


def _shared_copy(small: Path, name: str, file_mode: int, dir_mode: int) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="bd-perm-")) / name
    folder.mkdir()
    folder.parent.chmod(0o755)
    p = folder / "台账.sqlite"
    shutil.copyfile(small, p)
    p.chmod(file_mode)
    folder.chmod(dir_mode)
    return p


@pytest.mark.parametrize(
    ("case", "file_mode", "dir_mode", "says"),
    [
        ("unreadable file (chmod 000)", 0o000, 0o777, "没有权限读取"),
        ("read-only file", 0o444, 0o777, "不能写入"),
        ("read-only folder", 0o666, 0o555, "不能在文件夹"),
    ],
)
def test_permissions(
    small: Path,
    staff_file: Path,
    as_nobody,
    case: str,
    file_mode: int,
    dir_mode: int,
    says: str,
) -> None:
    """Reading commands either run (reading is safe) or say why not; importing is refused, with the
    reason; the file is never changed. A file that cannot be read is not called unwritable."""
    p = _shared_copy(small, case, file_mode, dir_mode)
    book = p.parent.parent / "导入.xlsx"
    shutil.copyfile(staff_file, book)
    book.chmod(0o644)
    try:
        before = _sha(p)
        for argv in (["check"], ["audit", "verify"], ["import", "staff", str(book)]):
            run = as_nobody(p, argv)
            assert "Traceback" not in run.stderr
            if run.returncode == 0:
                assert argv[0] != "import" and file_mode != 0, run.stdout
                continue
            assert run.returncode == 1, run.stderr
            assert run.stderr.startswith("错误：") and str(p) in run.stderr, run.stderr
            assert says in run.stderr or (argv[0] != "import" and "不能写入" in run.stderr)
            _no_english(run.stderr)
            if file_mode == 0:
                assert "写入" not in run.stderr.split("。")[0]  # reading failed: not a write
        assert _sha(p) == before
    finally:
        p.parent.chmod(0o755)
        shutil.rmtree(p.parent.parent, ignore_errors=True)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("ENOSPC", "磁盘空间不足"),
        ("ENOTDIR", "路径中有一项是文件"),
        ("EISDIR", "是文件夹"),
        ("ENAMETOOLONG", "路径太长"),
        ("EIO", "磁盘出错"),
        ("EROFS", "只读"),
        ("ENXIO", "系统错误 ENXIO"),
    ],
)
def test_disk_errors_are_chinese(name: str, says: str, tmp_path: Path) -> None:
    import errno

    code = getattr(errno, name)
    text = describe_os_error(OSError(code, os.strerror(code)), tmp_path / "文件.xlsx")
    assert says in text and str(tmp_path) in text
    assert os.strerror(code) not in text  # the system's English text is not shown


def test_an_output_path_through_a_file(
    small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = small / "导出.xlsx"  # "folder" that is the database file
    assert main(["--db", target(small), "export", "roster", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：") and str(out) in err and "路径中有一项是文件" in err
    _no_english(err)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1.2 MB file system (tmpfs) holding an empty ledger of ~0.7 MB."""
    from tests.conftest import template_path

    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    mnt = tmp_path / "小 U盘"
    mnt.mkdir()
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(mnt)])
    if ok.returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        p = mnt / "台账.sqlite"
        shutil.copyfile(template_path(), p)
        yield p
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_a_full_disk(small_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", target(small_disk), "demo"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：") and "磁盘已满" in err and str(small_disk) in err, err
    _no_english(err)
    dbmod.check_database_file(small_disk)  # the transaction was rolled back: the file is sound
    db = open_database(small_disk)
    try:
        assert RosterService(db).count() == 0
    finally:
        db.close()
