"""The same ledger on SQLite and on a PostgreSQL server (issue 18): what works on both so far.

Each test that takes ``ledger`` runs twice: on a SQLite file and on a new database of the test
session's PostgreSQL server (tests/pg_support.py).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pg_support import admin_connect
from sqlalchemy import select
from training_helpers import id_no

from brigade_desk.app import cli
from brigade_desk.core import audit, server
from brigade_desk.core.db import Database, open_database
from brigade_desk.core.errors import DatabaseUnavailableError, UserError
from brigade_desk.ledgers.roster.service import RosterService, StaffInput
from brigade_desk.ledgers.training import importer
from brigade_desk.ledgers.training.importer import TEMPLATE_HEADERS, import_training
from brigade_desk.ledgers.training.models import TrainingAttendance


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "账本 #1" / "brigade.sqlite")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def ledger(target: str) -> Any:
    db = open_database(target)
    yield db
    db.close()


def _people(db: Database, n: int) -> list[tuple[str, str]]:
    svc = RosterService(db)
    out = []
    for i in range(n):
        name, idn = f"队员{i:02d}", id_no(200 + i)
        svc.save_staff(
            StaffInput(name=name, sex="男", id_number=idn, squad="一中队", post="队员"),
            today=dt.date(2025, 1, 1),
        )
        out.append((name, idn))
    return out


def _sheet(path: Path, people: list[tuple[str, str]], sessions: int) -> Path:
    from brigade_desk.core.forms.xlsxform import StreamWorkbook

    rows = []
    for k in range(sessions):
        for j, (name, idn) in enumerate(people):
            rows.append(
                [
                    f"2025-03-{k + 1:02d}",
                    f"第{k + 1}期法治讲堂",
                    "法治讲堂",
                    "公共法律知识",
                    3,
                    name,
                    idn,
                    "一中队",
                    "请假" if (j + k) % 7 == 0 else "√",
                    None,
                    2 if (j + k) % 5 == 0 and (j + k) % 7 else None,
                    80 + j % 20 if k == 0 and (j + k) % 7 else None,
                ]
            )
    with StreamWorkbook(path) as wb:
        wb.add_table_sheet(
            "签到",
            list(TEMPLATE_HEADERS),
            rows,
            [12] * 12,
            text_columns=[6],
            text_rows=len(rows) + 1,
        )
    return path


def test_opens_migrates_and_names_itself(ledger: Database, target: str) -> None:
    assert ledger.server == target.startswith("postgresql")
    if ledger.server:
        assert ledger.name.startswith("PostgreSQL 数据库 bd_t_") and "127.0.0.1" in ledger.name
        # this PC's folder for it holds the anchors; nothing is written beside the URL
        assert "servers" in ledger.path.parts
    # opened twice (a second PC, a second program): no file lock on a server, same schema
    again = open_database(target)
    again.close()


def test_roster_edit_audited_and_verified(ledger: Database) -> None:
    people = _people(ledger, 3)
    svc = RosterService(ledger)
    with ledger.session() as s:
        from brigade_desk.ledgers.roster.models import Staff

        sid = s.scalar(select(Staff.id).where(Staff.name == people[1][0]))
    staff = svc.get(sid)
    data = StaffInput(
        name=staff.name, sex=staff.sex, id_number=staff.id_number, squad="二中队", post="队员"
    )
    svc.save_staff(data, sid, today=dt.date(2025, 2, 1))
    res = audit.verify_database(ledger)
    assert res.ok, res.problem
    assert res.entries >= 4 and res.keyed == res.entries  # signed entries fit the column
    with ledger.session() as s:
        hist = audit.history(s, "staff", sid)
    assert [h.action for h in hist] == ["create", "update"]
    assert ("squad", "一中队", "二中队") in hist[1].changes


@pytest.mark.parametrize("bulk_from", [10_000, 10])
def test_training_import_and_tampering(
    ledger: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk_from: int
) -> None:
    """Both audit paths of the importer (row by row; bulk digests) on both databases: written,
    verified, re-imported without duplicates, and a change behind the program's back caught."""
    monkeypatch.setattr(importer, "BULK_AUDIT_ROWS", bulk_from)
    people = _people(ledger, 6)
    f = _sheet(tmp_path / "签到 #3.xlsx", people, 4)
    got = import_training(ledger, f)
    assert not got.errors and got.written and (got.created, got.updated) == (24, 0)
    res = audit.verify_database(ledger)
    assert res.ok, res.problem
    again = import_training(ledger, f)
    assert (again.created, again.updated) == (0, 24)
    with ledger.session() as s:
        ids = sorted(s.scalars(select(TrainingAttendance.id)))
        scores = {a.id: a.exam_score for a in s.scalars(select(TrainingAttendance)) if a.exam_score}
    assert len(ids) == 24 and len(set(ids)) == 24 and len(scores) >= 4
    # a later edit through the ORM after the import: the sequence was advanced past the ids used
    svc = RosterService(ledger)
    svc.save_staff(
        StaffInput(name="新队员", sex="男", id_number=id_no(150), squad="一中队", post="队员"),
        today=dt.date(2025, 4, 1),
    )
    assert audit.verify_database(ledger).ok
    # behind the program's back
    victim = ids[5]
    if ledger.server:
        with admin_connect(str(ledger.engine.url.set(drivername="postgresql"))) as c:
            c.execute("UPDATE training_attendance SET exam_score = 99 WHERE id = %s", (victim,))
    else:
        c2 = sqlite3.connect(ledger.path)
        c2.execute("UPDATE training_attendance SET exam_score = 99 WHERE id = ?", (victim,))
        c2.commit()
        c2.close()
    res = audit.verify_database(ledger)
    assert not res.ok and f"training_attendance #{victim}" in res.problem


def test_training_import_into_a_server_gives_what_a_file_gets(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same sheet into a SQLite file and into a server database: the same rows, and the same
    row digests in the audit trail (values compared as SQLite stores them, core.dialect)."""
    monkeypatch.setattr(importer, "BULK_AUDIT_ROWS", 10)
    digests = []
    tables = []
    for target in (str(tmp_path / "a.sqlite"), pg_url):
        db = open_database(target)
        try:
            people = _people(db, 5)
            import_training(db, _sheet(tmp_path / "s.xlsx", people, 3))
            with db.session() as s:
                rows = s.execute(
                    select(
                        TrainingAttendance.session_id,
                        TrainingAttendance.staff_id,
                        TrainingAttendance.attended,
                        TrainingAttendance.hours,
                        TrainingAttendance.exam_score,
                        TrainingAttendance.exam_passed,
                    ).order_by(TrainingAttendance.id)
                ).all()
                bulk = s.scalars(
                    select(audit.AuditEntry.after).where(
                        audit.AuditEntry.table_name == "training_attendance",
                        audit.AuditEntry.action == "bulk",
                    )
                ).all()
            tables.append([tuple(r) for r in rows])
            digests.append([d for a in bulk for _r, d in json.loads(a)["rows"]])
        finally:
            db.close()
    assert tables[0] == tables[1] and len(tables[0]) == 15
    assert digests[0] == digests[1] and len(digests[0]) == 15


def test_the_trail_is_append_only_on_the_server(pg_url: str) -> None:
    db = open_database(pg_url)
    try:
        _people(db, 1)
    finally:
        db.close()
    with admin_connect(pg_url) as c:
        for sql in (
            "UPDATE audit_log SET os_user = 'x'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(Exception, match="append-only"):
                c.execute(sql)


def test_cli_on_the_server(pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = open_database(pg_url)
    people = _people(db, 4)
    db.close()
    f = _sheet(tmp_path / "签到.xlsx", people, 2)
    assert cli.main(["--db", pg_url, "import", "training", str(f), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 8
    assert cli.main(["--db", pg_url, "audit", "verify", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["entries"] == 2 * 4 + 2 + 8  # a person: two entries
    # no file was made from the address (it once became a folder named "postgresql:")
    assert not Path("postgresql:").exists()
    # restoring a server from a backup file that is not there says so (and changes nothing)
    assert cli.main(["--db", pg_url, "restore", str(tmp_path / "x.sqlite")]) == 1
    assert "找不到备份文件" in capsys.readouterr().err


def test_connection_trouble_is_said_in_chinese(pg_admin: str, tmp_path: Path) -> None:
    base = pg_admin.rsplit("/", 1)[0]
    with pytest.raises(DatabaseUnavailableError, match="服务器上没有数据库 no_such_ledger"):
        open_database(f"{base}/no_such_ledger")
    # nothing listens on this port
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DatabaseUnavailableError, match="无法连接到PostgreSQL 数据库 x（127.0.0.1"):
        open_database(f"postgresql://clerk:secret@127.0.0.1:{port}/x")
    with pytest.raises(UserError, match="没有写数据库名"):
        open_database("postgresql://clerk@127.0.0.1:5432")
    assert server.redacted("postgresql://clerk:s3cret@h/db") == "postgresql://clerk:***@h/db"


def test_other_clients_commits_are_seen(pg_url: str) -> None:
    """The caches' change counter on a server: another client's commit moves it (no file)."""
    a, b = open_database(pg_url), open_database(pg_url)
    try:
        assert a.changes.poll() is False  # starts watching
        _people(b, 1)
        assert a.changes.poll() is True
        assert a.changes.poll() is False
    finally:
        a.close()
        b.close()


def test_two_first_opens_at_once_build_the_schema_once(pg_admin: str) -> None:
    """Two PCs opening a new server database at the same moment: one builds the schema (advisory
    lock), the other waits and finds it built; both work."""
    import threading
    import uuid

    name = f"bd_new_{uuid.uuid4().hex[:8]}"
    with admin_connect(pg_admin) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = pg_admin.rsplit("/", 1)[0] + "/" + name
    got: list[object] = []

    def open_one() -> None:
        try:
            db = open_database(url)
            db.close()
            got.append("ok")
        except BaseException as exc:  # noqa: BLE001 - reported below
            got.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert got == ["ok", "ok", "ok"], got
        with admin_connect(url) as c:
            assert c.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
    finally:
        with admin_connect(pg_admin) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_dropped_connection_is_made_again(ledger: Database) -> None:
    """The server restarted or the network dropped between two saves: the next save reconnects
    (the pool checks a connection before use) instead of failing."""
    if not ledger.server:
        pytest.skip("a file has no connection to lose")
    _people(ledger, 1)
    url = str(ledger.engine.url.set(drivername="postgresql"))
    with admin_connect(url) as c:
        killed = c.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert killed >= 1
    _people_more = RosterService(ledger).save_staff(
        StaffInput(name="重连后", sex="男", id_number=id_no(140), squad="一中队", post="队员")
    )
    assert _people_more.staff_id and audit.verify_database(ledger).ok


def test_a_connection_lost_in_the_middle_of_a_save(ledger: Database) -> None:
    """The connection dies inside a save's transaction: the clerk's Chinese message, nothing of
    the save written, and the next save works on a new connection."""
    if not ledger.server:
        pytest.skip("a file has no connection to lose")
    from brigade_desk.core.errors import DatabaseUnavailableError
    from brigade_desk.ledgers.roster.models import Staff

    url = str(ledger.engine.url.set(drivername="postgresql"))
    with pytest.raises(DatabaseUnavailableError, match="连接中断.*没有写入任何内容"):
        with ledger.begin() as s:
            s.add(
                Staff(
                    name="半途",
                    sex="男",
                    id_number=id_no(141),
                    squad="一中队",
                    post="队员",
                    category="执法人员",
                    status="在岗",
                )
            )
            s.flush()  # written inside the transaction, not committed
            with admin_connect(url) as c:
                c.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
    with ledger.session() as s:
        assert s.scalar(select(Staff.id).where(Staff.name == "半途")) is None
    RosterService(ledger).save_staff(
        StaffInput(name="之后", sex="男", id_number=id_no(142), squad="一中队", post="队员")
    )
    assert audit.verify_database(ledger).ok
