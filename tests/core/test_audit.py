"""The audit trail: recorded in the same transaction, hash-chained, tampering detected."""

import datetime as dt
import json
from pathlib import Path

import pytest
from dbtemplate import new_target, query, target
from sqlalchemy.exc import DBAPIError

from brigade_desk.app.cli import main
from brigade_desk.core import audit
from brigade_desk.core.db import Database
from brigade_desk.ledgers.roster.models import CertAction
from brigade_desk.ledgers.roster.service import RosterService, StaffInput
from tests.conftest import IDS, add_officer


def verify(db: Database) -> audit.VerifyResult:
    with db.session() as s:
        return audit.verify(s)


def raw(db: Database, *sql: str) -> None:
    """Statements run behind the program's back in one transaction (SQLite's words; on a server
    the same done PostgreSQL's way)."""
    if db.server:
        sql = tuple(
            "SET LOCAL session_replication_role = replica"  # no foreign-key checks (nor triggers)
            if q == "PRAGMA foreign_keys=OFF"
            else f"{q} ON audit_log"
            if q.startswith("DROP TRIGGER audit_log_")
            else q
            for q in sql
        )
    with db.engine.begin() as c:
        for q in sql:
            c.exec_driver_sql(q)


@pytest.fixture
def filled(db: Database, roster: RosterService) -> tuple[Database, int]:
    sid = add_officer(roster, IDS[0], "甲", bodycam_no="A")
    add_officer(roster, IDS[1], "乙", bodycam_no="B")
    p = roster.get(sid)
    data = StaffInput(**{k: getattr(p, k) for k in StaffInput.__dataclass_fields__})
    data.squad = "二中队"
    roster.save_staff(data, sid)
    roster.cert_action(
        p.certificates[0].id, CertAction.SUSPEND, date=dt.date(2026, 1, 5), reason="追责"
    )
    return db, sid


def test_every_change_is_recorded_with_before_and_after(filled: tuple[Database, int]) -> None:
    db, sid = filled
    with db.session() as s:
        h = audit.history(s, "staff", sid)
    assert [x.action for x in h] == ["create", "update"]
    assert ("squad", "一中队", "二中队") in h[1].changes
    # on a server also which PC (several write to one database)
    assert h[1].user == (f"{audit.os_user()}@{audit._host()}" if db.server else audit.os_user())
    with db.session() as s:
        cert_hist = audit.history(s, "certificate", RosterService(db).get(sid).certificates[0].id)
    assert ("status", "有效", "暂扣") in cert_hist[-1].changes
    assert verify(db).ok


def test_delete_is_recorded_and_verifies(filled: tuple[Database, int]) -> None:
    db, sid = filled
    RosterService(db).delete_staff(sid)
    with db.session() as s:
        assert audit.history(s, "staff", sid)[-1].action == "delete"
    res = verify(db)
    assert res.ok, res.problem


def test_failed_transaction_leaves_no_trail(db: Database, roster: RosterService) -> None:
    add_officer(roster, IDS[0], "甲")
    with db.session() as s:
        n = s.query(audit.AuditEntry).count()
    with pytest.raises(RuntimeError):
        with db.begin() as s:
            from brigade_desk.models import Staff

            s.add(Staff(name="丙", sex="男", id_number=IDS[2]))
            s.flush()
            raise RuntimeError("boom")
    with db.session() as s:
        assert s.query(audit.AuditEntry).count() == n


def test_row_edited_behind_the_back(filled: tuple[Database, int]) -> None:
    db, sid = filled
    raw(db, f"UPDATE staff SET name='篡改' WHERE id={sid}")
    res = verify(db)
    assert not res.ok and "staff" in res.problem and "name" in res.problem and res.broken_entry


def test_row_deleted_behind_the_back(filled: tuple[Database, int]) -> None:
    db, sid = filled
    raw(
        db,
        "PRAGMA foreign_keys=OFF",
        f"DELETE FROM certificate_event WHERE certificate_id IN (SELECT id FROM certificate WHERE staff_id={sid})",
    )
    res = verify(db)
    assert not res.ok and "不见了" in res.problem


def test_trail_entry_edited_or_deleted(filled: tuple[Database, int], tmp_path: Path) -> None:
    db, _ = filled
    with pytest.raises(DBAPIError):
        raw(
            db, "UPDATE audit_log SET os_user='x' WHERE id=2"
        )  # append-only inside the program's schema
    raw(db, "DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET os_user='someone' WHERE id=3")
    res = verify(db)
    assert not res.ok and res.broken_entry == 3


def test_trail_entry_deleted(filled: tuple[Database, int]) -> None:
    db, _ = filled
    raw(db, "DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log WHERE id=4")
    res = verify(db)
    assert not res.ok and res.broken_entry == 4 and "缺失" in res.problem


def test_cli_audit_verify_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbp = tmp_path / "审计.sqlite"
    new_target(dbp)
    assert main(["--db", target(dbp), "demo"]) == 0
    capsys.readouterr()
    assert main(["--db", target(dbp), "audit", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    query(
        dbp,
        "UPDATE certificate SET valid_to='2099-01-01' WHERE id=(SELECT min(id) FROM certificate)",
    )
    assert main(["--db", target(dbp), "audit", "verify"]) == 1
    assert "valid_to" in capsys.readouterr().out


def test_case_officer_links_are_in_the_trail_and_verified(filled: tuple[Database, int]) -> None:
    from brigade_desk.ledgers.cases.models import CaseRecord
    from brigade_desk.ledgers.roster.models import Staff

    db, sid = filled
    with db.begin() as s:
        people = {p.name: p for p in s.query(Staff)}
        c = CaseRecord(case_no="青交执罚〔2026〕1号", activities=[])
        c.officers = [people["甲"]]
        s.add(c)
        s.flush()
        cid = c.id
    with db.begin() as s:
        c = s.get(CaseRecord, cid)
        c.officers = [people_ for people_ in s.query(Staff)]  # only the link list changes
    with db.session() as s:
        h = audit.history(s, "case_record", cid)
        ids = {p.name: p.id for p in s.query(Staff)}
    assert [x.action for x in h] == ["create", "update"]
    assert ("officers", None, [f"甲#{ids['甲']}"]) in h[0].changes
    assert h[1].changes == [
        ("officers", [f"甲#{ids['甲']}"], sorted([f"甲#{ids['甲']}", f"乙#{ids['乙']}"]))
    ]
    assert verify(db).ok
    raw(
        db, f"DELETE FROM case_officer WHERE staff_id = {ids['乙']}"
    )  # a link removed behind the back
    res = verify(db)
    assert not res.ok and "officers" in res.problem


def test_a_person_other_ledgers_refer_to_cannot_be_deleted(filled: tuple[Database, int]) -> None:
    from brigade_desk.core.errors import UserError
    from brigade_desk.ledgers.cases.models import CaseRecord
    from brigade_desk.ledgers.roster.models import Staff

    db, sid = filled
    roster = RosterService(db)
    spare = add_officer(roster, IDS[2], "丙")
    with db.begin() as s:
        c = CaseRecord(case_no="案1", activities=[])
        c.officers = [s.get(Staff, sid)]
        s.add(c)
    with pytest.raises(UserError, match="甲 已有案件承办记录 1 条"):
        roster.delete_staff(spare, sid)  # all or none: 丙 stays too
    with db.session() as s:
        assert {p.name for p in s.query(Staff)} == {"甲", "乙", "丙"}
    roster.delete_staff(spare)
    assert verify(db).ok


def test_history_of_several_records_newest_first_and_verify_database(
    db: Database, roster: RosterService
) -> None:
    """The 修改记录 dialog's records: every change of all the records asked for, newest first."""
    a = add_officer(roster, IDS[0], "甲")
    b = add_officer(roster, IDS[1], "乙")
    roster.save_staff(StaffInput(name="甲二", id_number=IDS[0], squad="一中队"), a)
    items = audit.history_of(db, [("staff", a), ("staff", b)])
    assert sorted((h.record_id, h.action) for h in items) == [
        (str(a), "create"),
        (str(a), "update"),
        (str(b), "create"),
    ]
    assert [h.at for h in items] == sorted((h.at for h in items), reverse=True)
    update = next(h for h in items if h.action == "update")
    assert ("name", "甲", "甲二") in update.changes
    assert audit.history_of(db, []) == []
    res = audit.verify_database(db)
    assert res.ok and res.entries >= 3
