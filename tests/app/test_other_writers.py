"""Other writers: every writing command takes the program's lock (so it is refused, with a message,
while the GUI has the database open); the GUI sees writes by other programs (``ChangeCounter.poll``
through its timer) and refreshes its pages and caches."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbtemplate import fresh_db, target

from brigade_desk.app.cli import main
from brigade_desk.core import findings as svc_findings
from brigade_desk.core.changes import Changes
from brigade_desk.core.db import open_database
from brigade_desk.ledgers.roster.service import RosterService
from tests.conftest import IDS, add_officer


def _hold_lock(db: Path) -> subprocess.Popen[str]:
    """Another process holding the database's lock, as the GUI does while it is open."""
    code = (
        "import sys,time; from pathlib import Path; from brigade_desk.core.lock import DatabaseLock;"
        f"l=DatabaseLock(Path({str(db)!r})); l.acquire(); print('ready', flush=True); time.sleep(120)"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return p


def _version(db: Path) -> tuple[int, int]:
    """What a write would change: the number of rows in every table, the schema version."""
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = sum(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
        return rows, con.execute("PRAGMA schema_version").fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    folder = tmp_path_factory.mktemp("held")
    dbp = folder / "台账.sqlite"
    d = fresh_db(dbp)
    add_officer(RosterService(d), IDS[0], "甲")
    d.close()
    (folder / "音像").mkdir()
    p = _hold_lock(dbp)
    try:
        yield dbp, p.pid
    finally:
        p.kill()
        p.wait()


WRITERS = [
    ["import", "staff", "花名册.xlsx"],
    ["import", "staff", "花名册.xlsx", "--dry-run"],
    ["demo"],
    ["restore", "备份.sqlite"],
    ["av", "ingest", "--in-place", "音像"],
    ["av", "verify"],
    ["av", "roots", "--set-path", "1", "E:/音像"],
    ["review", "sample", "--year", "2026"],
    ["review", "add", "2026-处罚-001", "--year", "2026"],
    ["holidays", "set", "--year", "2031", "--holidays", "2031-01-01~2031-01-01 元旦"],
    ["deadlines", "--done", "monthly_data", "2026-10"],
    ["training", "forms", "--set", "集中授课,网络培训"],
]


@pytest.mark.sqlite_only(reason="the SQLite file's single-writer lock (a server has none)")
@pytest.mark.parametrize("argv", WRITERS, ids=lambda a: " ".join(a[:2]) + (" …" if a[2:] else ""))
def test_every_writing_command_is_refused_while_another_program_holds_the_lock(
    held: tuple[Path, int], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    dbp, pid = held
    before = _version(dbp)
    args = [a if a != "音像" else str(dbp.parent / a) for a in argv]
    assert main(["--db", target(dbp), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：该数据库正被") and f"进程 {pid}" in err, err
    assert "再运行此命令" in err and "Traceback" not in err
    assert _version(dbp) == before


READERS = [
    ["check"],
    ["deadlines"],
    ["holidays", "show", "--year", "2026"],
    ["av", "roots"],
    ["av", "patterns"],
    ["training", "forms"],
    ["audit", "verify"],
    ["backups"],
]


@pytest.mark.sqlite_only(reason="the SQLite file's single-writer lock (a server has none)")
@pytest.mark.parametrize("argv", READERS, ids=" ".join)
def test_reading_commands_run_beside_the_lock_holder(
    held: tuple[Path, int], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    dbp, _pid = held
    before = _version(dbp)
    assert main(["--db", target(dbp), *argv]) in (0, 1)  # (holidays show: 1 = year not entered)
    assert "正被" not in capsys.readouterr().err
    assert _version(dbp) == before


@pytest.mark.sqlite_only(reason="the SQLite file's single-writer lock (a server has none)")
def test_backup_runs_beside_the_gui_unless_it_must_create_or_migrate(
    held: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    dbp, _pid = held
    out = dbp.parent / "备份" / "手动.sqlite"
    out.parent.mkdir(exist_ok=True)
    assert main(["--db", target(dbp), "backup", "--out", str(out)]) == 0  # only reads the database
    assert out.is_file()
    new = dbp.parent / "新.sqlite"  # opening would create (and migrate) it: a write
    p = _hold_lock(new)
    try:
        assert main(["--db", target(new), "backup", "--out", str(out.with_name("新.sqlite"))]) == 1
        assert "正被" in capsys.readouterr().err and not new.exists()
    finally:
        p.kill()
        p.wait()


@pytest.mark.sqlite_only(reason="the SQLite file's single-writer lock (a server has none)")
def test_the_lock_is_free_again_after_a_writing_command(tmp_path: Path) -> None:
    from brigade_desk.core.lock import DatabaseLock

    dbp = tmp_path / "a.sqlite"
    assert main(["--db", target(dbp), "training", "forms", "--set", "集中授课,网络培训"]) == 0
    lock = DatabaseLock(dbp)
    lock.acquire()  # a GUI can start now
    lock.release()


# ---- the GUI sees other programs' writes ----------------------------------------------------


@pytest.fixture
def window(gui_ctx, qtbot):  # type: ignore[no-untyped-def]
    from brigade_desk.ui.main_window import MainWindow

    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    w.show()
    return w


def _add_officer_elsewhere(db: str, id_number: str, name: str) -> None:
    """Another program (here: another Python process with its own connection) adds a person."""
    code = (
        "import sys; from pathlib import Path; from brigade_desk.core.db import open_database;"
        "from brigade_desk.ledgers.roster.service import RosterService;"
        "sys.path.insert(0, 'tests'); from conftest import add_officer;"
        "d = open_database(sys.argv[1]); add_officer(RosterService(d), sys.argv[2], sys.argv[3]);"
        "d.close()"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-c", code, str(db), id_number, name],
        check=True,
        timeout=120,
        cwd=root,
    )


def test_findings_page_shows_another_programs_write_without_restart(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    db = window.ctx.db
    add_officer(RosterService(db), IDS[0], "甲", valid_to=None)  # no valid certificate: a finding
    page = window.show_page("findings")
    page.reload()
    subjects = lambda: {f.subject for f in page.model.rows}  # noqa: E731
    assert "甲" in subjects() and "乙" not in subjects()
    seen: list[Changes] = []
    window.ctx.events.data_changed.connect(seen.append)
    _add_officer_elsewhere(target(db), IDS[1], "乙")
    assert "乙" not in subjects()  # nothing told the GUI: only its watch timer can see it
    qtbot.waitUntil(lambda: "乙" in subjects(), timeout=10_000)  # the real 2 s timer
    assert seen == [Changes.ALL | Changes.EXTERNAL]
    # the shared cache holds the new result, not the one from before the other program's write
    cached = svc_findings.cached_findings(db, page.as_of.date().toPython())
    assert cached is not None and "乙" in {f.subject for f in cached}


def test_roster_page_refreshes_once_for_another_writer_and_never_for_its_own(
    window, qtbot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    window._watch_timer.stop()  # the poll slot is called by hand below, through the same path
    db = window.ctx.db
    roster = RosterService(db)
    page = window.show_page("roster")
    seen: list[Changes] = []
    window.ctx.events.data_changed.connect(seen.append)
    reloads: list[int] = []
    original = page.reload
    monkeypatch.setattr(page, "reload", lambda *a, **k: (reloads.append(1), original(*a, **k)))
    # our own write, announced as usual, is not taken for another program's
    add_officer(roster, IDS[0], "甲")
    window.ctx.changed(Changes.STAFF)
    assert window.poll_other_writers() is False
    assert seen == [Changes.STAFF] and len(reloads) == 1
    # another Database object (another connection, as another program would have)
    other = open_database(target(db))
    try:
        add_officer(RosterService(other), IDS[1], "乙")
    finally:
        other.close()
    names = lambda: {page.model.row_at(r).staff.name for r in range(page.model.rowCount())}  # noqa: E731
    assert names() == {"甲"}
    assert window.poll_other_writers() is True
    assert names() == {"甲", "乙"}
    assert window.poll_other_writers() is False  # once
    assert seen == [Changes.STAFF, Changes.ALL | Changes.EXTERNAL] and len(reloads) == 2


def test_change_notices_are_typed(gui_ctx) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError):
        gui_ctx.changed("staff")
    assert Changes.ALL & Changes.STAFF and not Changes.ALL & Changes.EXTERNAL


@pytest.mark.sqlite_only(reason="the SQLite file's folder")
def test_a_writing_command_creates_a_new_databases_folder(tmp_path: Path) -> None:
    dbp = tmp_path / "新文件夹" / "台账.sqlite"
    assert main(["--db", target(dbp), "deadlines", "--done", "monthly_data", "2026-10"]) == 0
    assert dbp.is_file()
