"""Opening, pragmas, migrations, refusing newer schemas, resolving the database path."""

import sqlite3
from pathlib import Path

import pytest
from alembic import command

from brigade_desk.core import db as dbmod
from brigade_desk.core import paths
from brigade_desk.core.errors import DatabaseUnavailableError, SchemaTooNewError
from tests.conftest import IDS


def test_fresh_database_has_schema_and_pragmas(tmp_path: Path) -> None:
    d = dbmod.open_database(tmp_path / "a.sqlite")
    try:
        with d.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == dbmod.BUSY_TIMEOUT_MS
            tables = {
                r[0] for r in c.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")
            }
        assert {
            "staff",
            "certificate",
            "certificate_event",
            "staff_event",
            "setting",
            "alembic_version",
        } <= tables
        assert dbmod.current_revisions(d.engine) == dbmod.known_heads()
    finally:
        d.close()


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    p = tmp_path / "new.sqlite"
    dbmod.open_database(p).close()
    with sqlite3.connect(p) as c:
        c.execute(
            "UPDATE alembic_version SET version_num='9999_future' WHERE rowid = (SELECT min(rowid) FROM alembic_version)"
        )
    before = p.read_bytes()
    with pytest.raises(SchemaTooNewError) as e:
        dbmod.open_database(p)
    assert "更新版本" in str(e.value)
    assert p.read_bytes() == before


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "x.sqlite"
    p.write_text("hello, not sqlite")
    with pytest.raises(DatabaseUnavailableError):
        dbmod.open_database(p)


def test_upgrade_from_first_revision_keeps_rows_and_backs_up(tmp_path: Path) -> None:
    """An old database (at 0001, with children rows) upgrades to heads without losing a row."""
    p = tmp_path / "old.sqlite"
    eng = dbmod._make_engine(p, foreign_keys=False)
    cfg = dbmod.alembic_config()
    with eng.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.commit()
    eng.dispose()
    # a person with a certificate, written as a program of that time did (the models of today
    # carry later columns, e.g. version: raw SQL against the 0001 schema)
    with sqlite3.connect(p) as c:
        c.execute(
            "INSERT INTO staff (id, name, sex, id_number, squad, post, category, is_legal_reviewer,"
            " is_front_line, status, status_date, bodycam_no, phone, notes) VALUES"
            " (1, '甲', '女', ?, '一中队', '队员', '执法人员', 0, 1, '在岗', NULL, '', '', '')",
            (IDS[0],),
        )
        c.execute(
            "INSERT INTO certificate (id, staff_id, cert_no, issuer, issue_date, valid_to,"
            " national_format, status, cancel_requested) VALUES"
            " (1, 1, 'C0315002X', '青海省人民政府', '2025-01-01', '2030-01-01', 1, '有效', NULL)"
        )
        c.execute(
            "INSERT INTO certificate_event (id, certificate_id, date, action, reason)"
            " VALUES (1, 1, '2025-01-01', '发证', '')"
        )
    heads = dbmod.known_heads()
    d = dbmod.open_database(p)
    try:
        assert dbmod.current_revisions(d.engine) == heads
        with d.engine.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM certificate").scalar() == 1
            assert c.exec_driver_sql("SELECT count(*) FROM certificate_event").scalar() == 1
    finally:
        d.close()
    backups = list(paths.backup_dir_for(p).glob("brigade_desk-*-pre-migration.sqlite"))
    if heads != {"0001"}:
        assert len(backups) == 1
        with sqlite3.connect(backups[0]) as c:
            assert c.execute("SELECT count(*) FROM staff").fetchone()[0] == 1
            assert c.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_backup_file_is_checked_copy(tmp_path: Path) -> None:
    p = tmp_path / "b.sqlite"
    dbmod.open_database(p).close()
    from brigade_desk.core.backup import copy_database

    out = copy_database(p, tmp_path / "bk" / "copy.sqlite")
    with sqlite3.connect(out) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_db_path_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(paths.DB_ENV, raising=False)
    assert paths.resolve_db_target(None).name == paths.DB_FILENAME
    monkeypatch.setenv(paths.DB_ENV, str(tmp_path / "环境.sqlite"))
    assert paths.resolve_db_target(None) == (tmp_path / "环境.sqlite").resolve()
    assert (
        paths.resolve_db_target(str(tmp_path / "命令行.sqlite"))
        == (tmp_path / "命令行.sqlite").resolve()
    )
    # a server address is kept as it is (never made a path: it once became a folder "postgresql:")
    url = "postgresql://clerk@192.168.1.10:5432/brigade"
    assert paths.resolve_db_target(url) == url
    monkeypatch.setenv(paths.DB_ENV, " " + url)
    assert paths.resolve_db_target(None) == url


def test_shipped_font_is_found() -> None:
    from brigade_desk.core.forms import fonts

    f = fonts.shipped_font()
    assert f.path.is_file() and f.path.stat().st_size > 1_000_000


def test_resources_are_package_data_read_through_importlib() -> None:
    """The font and checklists live inside the package (a wheel carries them), nowhere else."""
    import importlib.resources

    import brigade_desk
    from brigade_desk.core import paths
    from brigade_desk.core.forms import fonts
    from brigade_desk.ledgers.cases.checklists import resource_templates

    pkg = Path(brigade_desk.__file__).resolve().parent
    assert fonts.shipped_font().path.resolve() == pkg / "resources" / "fonts" / "wqy-microhei.ttc"
    assert (
        paths.resources()
        .joinpath("fonts")
        .joinpath("LICENSE-wqy-microhei-Apache-2.0.txt")
        .is_file()
    )
    names = sorted(
        f.name
        for f in importlib.resources.files("brigade_desk")
        .joinpath("resources", "checklists")
        .iterdir()
        if f.name.endswith(".json")
    )
    assert names and len(resource_templates()) == len(names)
    assert not (
        pkg.parent / "resources"
    ).exists()  # no second copy beside the package to fall back on
