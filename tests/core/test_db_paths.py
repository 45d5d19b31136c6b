"""Paths are data: folders named with ``#``, ``?``, ``%``, ``%41``, spaces, Chinese, and very long
paths, for every file the command line touches — the database (``--db`` and ``BRIGADE_DESK_DB``),
backups, exports (``--out``), import files, templates and their filling, the AV ingest root.

Each command must act on exactly the file named: ``x%41`` is never read as ``xA``, ``a?b`` never
cut at the ``?`` (as a SQLite URI would), and nothing appears anywhere else.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import sys
from pathlib import Path

import openpyxl
import pytest
from dbtemplate import target

from brigade_desk.app.cli import main
from brigade_desk.core import backup, paths
from brigade_desk.ledgers.roster.service import RosterService
from tests.conftest import IDS, add_officer, fresh_db

pytestmark = pytest.mark.sqlite_only(reason="the SQLite file's path (a server has none)")

LONG = "很长的文件夹名" * 11  # 77 characters, 231 bytes in UTF-8 (a name may have 255)
# SQLite opens a full path of at most 512 bytes (its unix VFS): the longest folder a database can be
# in, with the pytest folder before it (~80 bytes) and the backup names after (~60)
DB_LONG = "/".join(["很长的文件夹名" * 7] * 2)  # 295 bytes

FOLDERS = {
    "hash": "备份#2",
    "percent": "100%25",
    "percent-hex": "x%41",
    "spaces": "有 空 格 ",
    "chinese": "交通执法大队台账",
    "long": DB_LONG,
    "everything": "a#b %41 c%25 中文 #?",
}
if sys.platform != "win32":
    FOLDERS["question"] = "a?b"
    FOLDERS["query"] = "x?mode=ro&cache=shared"


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _staff(path: Path) -> int:
    c = sqlite3.connect(path)
    try:
        return int(c.execute("SELECT count(*) FROM staff").fetchone()[0])
    finally:
        c.close()


@pytest.fixture(params=list(FOLDERS), ids=list(FOLDERS))
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A folder with the odd name, holding a database of two officers; beside it a decoy folder
    with the name a careless URI would decode to (``xA`` for ``x%41``, ``a`` for ``a?b``)."""
    name = FOLDERS[request.param]
    folder = tmp_path / name
    d = fresh_db(folder / "台账 #1.sqlite")
    roster = RosterService(d)
    add_officer(roster, IDS[0], "甲")
    add_officer(roster, IDS[1], "乙")
    d.close()
    return folder


def test_every_file_operation_in_an_odd_folder(
    place: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.av_fixtures import mp4_bytes
    from tests.reports.test_reports_calendar_template import make_template

    db = place / "台账 #1.sqlite"
    decoy_root = tmp_path
    before_outside = _tree(decoy_root) - {
        str(p.relative_to(decoy_root)) for p in [place, *place.rglob("*")]
    }

    def run(*argv: str) -> str:
        code = main(["--db", target(db), *argv])
        out = capsys.readouterr()
        assert code == 0, out.err
        assert "Traceback" not in out.err
        return out.out

    assert "共" in run("check")
    assert "审计记录完整" in run("audit", "verify")
    said = run("backup")
    (bk,) = backup.list_backups(place / "backups")
    assert str(bk.path) in said and bk.path.parent == place / "backups"
    out = place / "导出 #1 %41.xlsx"
    run("export", "roster", "--out", str(out))
    assert out.is_file() and openpyxl.load_workbook(out).sheetnames
    tpl = place / "模板 %25 #.xlsx"
    run("template", "staff", "--out", str(tpl))
    assert tpl.is_file()
    run("import", "staff", str(tpl))  # the template's example row
    assert _staff(db) == 3
    superior = make_template(place / "上级模板 #?.xlsx" if os.name != "nt" else place / "上级.xlsx")
    filled = place / "已填 %41.xlsx"
    run(
        "export",
        "template",
        str(superior),
        "--year",
        "2026",
        "--quarter",
        "4",
        "--out",
        str(filled),
    )
    assert openpyxl.load_workbook(filled)["上报表"]["B4"].value in ("甲", "乙", "张三")
    media = place / "音像 #1 %41"
    media.mkdir()
    (media / "20261101_120000_DSJ001.mp4").write_bytes(mp4_bytes(2.0))
    assert "新增 1 个" in run("av", "ingest", "--in-place", str(media))
    # the restore reads the backup through a read-only URI: the same file, not a decoded name
    said = run("restore", str(bk.path))
    assert _staff(db) == 2  # the backup's two officers, from this folder's database
    # nothing was created outside the odd folder (no decoded twin, no cut-off name)
    after_outside = _tree(decoy_root) - {
        str(p.relative_to(decoy_root)) for p in [place, *place.rglob("*")]
    }
    assert after_outside == before_outside


@pytest.mark.parametrize("name", ["x%41", "备份#2", "a b%25"])
def test_the_database_named_by_the_environment(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    folder = tmp_path / name
    d = fresh_db(folder / "台账?.sqlite" if os.name != "nt" else folder / "台账.sqlite")
    add_officer(RosterService(d), IDS[0], "甲")
    d.close()
    twin = tmp_path / "xA"
    twin.mkdir()
    monkeypatch.setenv(paths.DB_ENV, str(d.path))
    assert main(["backup"]) == 0
    assert "已备份到" in capsys.readouterr().out
    assert main(["check", "--as-of", dt.date(2026, 11, 20).isoformat()]) == 0
    capsys.readouterr()
    assert len(backup.list_backups(folder / "backups")) == 1
    assert list(twin.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({name, "xA"})


def test_files_in_very_long_paths_and_a_database_path_too_long_for_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exports, templates and import files work in a path of ~1.4 KB; a database there cannot be
    opened by SQLite at all (512 bytes at most): said in Chinese, with the way out, untouched."""
    from tests.conftest import template_path

    d = fresh_db(tmp_path / "短" / "台账.sqlite")
    add_officer(RosterService(d), IDS[0], "甲")
    d.close()
    deep = tmp_path.joinpath(*[LONG] * 6)
    deep.mkdir(parents=True)
    assert len(os.fsencode(str(deep))) > 1300
    tpl, out = deep / "模板 #%41.xlsx", deep / "导出 #%41.xlsx"
    for argv in (
        ["template", "staff", "--out", str(tpl)],
        ["import", "staff", str(tpl)],
        ["export", "roster", "--out", str(out)],
    ):
        assert main(["--db", target(d), *argv]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert out.is_file() and _staff(d.path) == 2
    far = deep / "台账.sqlite"
    far.write_bytes(template_path().read_bytes())
    before = far.read_bytes()
    for argv in (["check"], ["import", "staff", str(tpl)], ["backup"]):
        assert main(["--db", target(far), *argv]) == 1
        err = capsys.readouterr().err
        assert err.startswith("错误：") and "路径太长" in err and "--db" in err, err
        assert "Traceback" not in err and "unable to open" not in err
    assert far.read_bytes() == before
