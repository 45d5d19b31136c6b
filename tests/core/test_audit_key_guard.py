"""A trail signed with one key is never continued with another (issue 18: several PCs on one
ledger): a PC without the ledger's key — a second clerk's PC on a server, a ledger carried to
another PC — is refused the write, nothing of it is kept, and the trail stays checkable."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import IDS
from dbtemplate import fresh_db, target

from brigade_desk.core import audit
from brigade_desk.core.db import Database, open_database
from brigade_desk.ledgers.roster.models import Staff
from brigade_desk.ledgers.roster.service import RosterService, StaffInput


def _use_key(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setenv(audit.KEY_ENV, str(path))
    audit._load_key.cache_clear()


def _people(db: Database) -> list[str]:
    with db.session() as s:
        return [p.name for p in s.query(Staff).order_by(Staff.id)]


@pytest.mark.parametrize("where", ["sqlite", "server"])
def test_a_pc_without_the_ledgers_key_cannot_write(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    _use_key(monkeypatch, tmp_path / "office" / "audit.key")
    if where == "server":
        url = request.getfixturevalue("pg_url")
        db = open_database(url)
    else:
        db = fresh_db(tmp_path / "台账 #1" / "brigade.sqlite")
        url = target(db)
    RosterService(db).save_staff(StaffInput(name="甲", id_number=IDS[0], squad="一中队"))
    db.close()

    for other in ("none", "another"):  # a PC with no key file, a PC with a key of its own
        _use_key(monkeypatch, tmp_path / f"pc-{other}" / "audit.key")
        if other == "another":
            audit.chain_key()  # this PC made a key of its own earlier
        db = open_database(url)
        with pytest.raises(audit.AuditKeyError) as err:
            RosterService(db).save_staff(StaffInput(name="乙", id_number=IDS[1], squad="一中队"))
        msg = err.value.message
        assert "不能保存" in msg and "audit.key" in msg and str(tmp_path / f"pc-{other}") in msg
        assert _people(db) == ["甲"]  # nothing of the refused save is kept
        db.close()
        if other == "none":
            assert not (tmp_path / "pc-none" / "audit.key").exists()  # no key of its own made

    _use_key(monkeypatch, tmp_path / "office" / "audit.key")  # the key copied over: it works
    db = open_database(url)
    RosterService(db).save_staff(StaffInput(name="乙", id_number=IDS[1], squad="一中队"))
    assert _people(db) == ["甲", "乙"]
    res = audit.verify_database(db)
    assert res.ok, res.problem
    db.close()


def test_the_warning_says_a_missing_key_is_no_tampering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_key(monkeypatch, tmp_path / "office" / "audit.key")
    db = fresh_db(tmp_path / "brigade.sqlite")
    RosterService(db).save_staff(StaffInput(name="甲", id_number=IDS[0], squad="一中队"))
    _use_key(monkeypatch, tmp_path / "pc2" / "audit.key")
    res = audit.verify_database(db)
    assert not res.ok and res.key_problem
    shown = res.warning("，请核实并从备份恢复")
    assert shown.startswith("⚠ 审计记录无法在本机核对：") and "程序之外" not in shown
    _use_key(monkeypatch, tmp_path / "office" / "audit.key")
    with db.engine.begin() as c:  # an insider's edit
        c.exec_driver_sql("UPDATE staff SET name = '丙'")
    res = audit.verify_database(db)
    assert not res.ok and not res.key_problem
    shown = res.warning("，请核实并从备份恢复")
    assert "程序之外被改动，请核实并从备份恢复。" in shown and "。。" not in shown
    db.close()
