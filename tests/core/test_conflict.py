"""Two clerks saving the same person (issue 18): the second save is refused with who and when,
nothing is overwritten; on a file and on a server database (two connections = two PCs)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from training_helpers import id_no

from brigade_desk.core import audit
from brigade_desk.core.conflict import ConflictError
from brigade_desk.core.db import open_database
from brigade_desk.ledgers.roster.models import Staff
from brigade_desk.ledgers.roster.service import RosterService, StaffInput
from brigade_desk.ledgers.training.importer import import_training


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "台账.sqlite")
    return str(request.getfixturevalue("pg_url"))


def _input(v, **changes):  # type: ignore[no-untyped-def]
    data = StaffInput(**{k: getattr(v, k) for k in StaffInput.__dataclass_fields__})
    for k, x in changes.items():
        setattr(data, k, x)
    return data


def test_second_save_is_refused_and_names_the_first(target: str) -> None:
    pc1, pc2 = open_database(target), open_database(target)
    try:
        a, b = RosterService(pc1), RosterService(pc2)
        sid = a.save_staff(
            StaffInput(name="张三", sex="男", id_number=id_no(10), squad="一中队", post="队员"),
            today=dt.date(2025, 1, 1),
        ).staff_id
        seen_by_1, seen_by_2 = a.get(sid), b.get(sid)  # both dialogs open
        assert seen_by_1.version == seen_by_2.version == 1
        a.save_staff(_input(seen_by_1, squad="二中队"), sid, version=seen_by_1.version)
        with pytest.raises(ConflictError) as caught:
            b.save_staff(_input(seen_by_2, phone="13900000000"), sid, version=seen_by_2.version)
        msg = caught.value.message
        assert "保存未成功" in msg and "张三" in msg and audit.os_user() in msg
        assert "数据库没有被改动" in msg
        now = b.get(sid)
        assert (now.squad, now.phone, now.version) == ("二中队", "", 2)  # nothing overwritten
        # reloaded, the second clerk's save goes through
        b.save_staff(_input(now, phone="13900000000"), sid, version=now.version)
        assert a.get(sid).phone == "13900000000" and a.get(sid).squad == "二中队"
        assert audit.verify_database(pc1).ok
    finally:
        pc1.close()
        pc2.close()


def test_a_save_without_a_version_is_the_command_lines(target: str) -> None:
    """No version given (a command, an import): saved as before, version counted."""
    db = open_database(target)
    try:
        svc = RosterService(db)
        sid = svc.save_staff(
            StaffInput(name="李四", sex="男", id_number=id_no(11), squad="一中队", post="队员")
        ).staff_id
        svc.save_staff(_input(svc.get(sid), post="中队长"), sid)
        with db.session() as s:
            assert s.scalar(select(Staff.version).where(Staff.id == sid)) == 2
    finally:
        db.close()


def test_two_imports_at_once_both_land(pg_url: str, tmp_path: Path) -> None:
    """Two PCs import two sign-in sheets into one server database at the same moment: both are
    written whole (the audit chain is extended one transaction at a time), no deadlock."""
    from test_server_db import _people, _sheet

    db = open_database(pg_url)
    people = _people(db, 8)
    db.close()
    files = []
    for k in range(2):
        f = _sheet(tmp_path / f"签到{k}.xlsx", people, 3)
        import openpyxl

        wb = openpyxl.load_workbook(f)
        ws = wb.active
        for row in ws.iter_rows(min_row=2):
            if row[1].value:
                row[1].value = f"{row[1].value}（{'甲乙'[k]}）"  # different sessions
        wb.save(f)
        files.append(f)
    results: list[object] = [None, None]

    def run(k: int) -> None:
        d = open_database(pg_url)
        try:
            results[k] = import_training(d, files[k])
        except BaseException as exc:  # noqa: BLE001 - reported below
            results[k] = exc
        finally:
            d.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(not t.is_alive() for t in threads)
    for r in results:
        assert not isinstance(r, BaseException), r
        assert r.written and r.created == 24  # type: ignore[union-attr]
    db = open_database(pg_url)
    try:
        res = audit.verify_database(db)
        assert res.ok, res.problem
        with db.session() as s:
            users = set(s.scalars(select(audit.AuditEntry.os_user)))
        assert all("@" in u for u in users)  # the OS user and the PC, on a server
    finally:
        db.close()


def test_sessions_and_cases_too(target: str) -> None:
    """The training session editor and the case editor pass the version they opened with."""
    import dataclasses
    import datetime as dt2

    from brigade_desk.ledgers.cases.service import CaseInput, CaseService
    from brigade_desk.ledgers.training.service import SessionInput, TrainingService

    pc1, pc2 = open_database(target), open_database(target)
    try:
        people = RosterService(pc1)
        a = people.save_staff(
            StaffInput(name="甲", sex="男", id_number=id_no(20), squad="一中队", post="队员")
        ).staff_id
        b = people.save_staff(
            StaffInput(name="乙", sex="男", id_number=id_no(21), squad="一中队", post="队员")
        ).staff_id
        t1, t2 = TrainingService(pc1), TrainingService(pc2)
        sid = t1.save_session(
            SessionInput(
                start_date=dt2.date(2025, 3, 5),
                title="法治讲堂",
                form="法治讲堂",
                category="公共法律知识",
                hours=3,
            ),
            [],
        )
        v1, v2 = t1.get_session(sid), t2.get_session(sid)
        fields = {f.name for f in dataclasses.fields(SessionInput)}
        t1.save_session(
            SessionInput(**{**{k: getattr(v1, k) for k in fields}, "place": "一楼会议室"}),
            [],
            sid,
            version=v1.version,
        )
        with pytest.raises(ConflictError, match="培训“法治讲堂”"):
            t2.save_session(
                SessionInput(**{**{k: getattr(v2, k) for k in fields}, "hours": 2}),
                [],
                sid,
                version=v2.version,
            )
        assert t2.get_session(sid).hours == 3 and t2.get_session(sid).place == "一楼会议室"
        c1, c2 = CaseService(pc1), CaseService(pc2)
        cid = c1.save(
            CaseInput(
                case_no="乐交执罚〔2026〕93号",
                cause="超限运输",
                party="王五",
                filed_on=dt2.date(2026, 3, 1),
                officer_ids=[a, b],
            ),
            today=dt2.date(2026, 11, 23),
        )
        w1, w2 = c1.get(cid), c2.get(cid)
        cfields = {f.name for f in dataclasses.fields(CaseInput)}
        c1.save(
            CaseInput(**{**{k: getattr(w1, k) for k in cfields}, "party": "王五（运输公司）"}),
            cid,
            today=dt2.date(2026, 11, 23),
            version=w1.version,
        )
        with pytest.raises(ConflictError, match="案件 乐交执罚〔2026〕93号"):
            c2.save(
                CaseInput(**{**{k: getattr(w2, k) for k in cfields}, "cause": "未按规定"}),
                cid,
                today=dt2.date(2026, 11, 23),
                version=w2.version,
            )
        assert c2.get(cid).cause == "超限运输"
        assert audit.verify_database(pc1).ok
    finally:
        pc1.close()
        pc2.close()


def test_certificates_too(target: str) -> None:
    from brigade_desk.ledgers.roster.service import CertInput

    pc1, pc2 = open_database(target), open_database(target)
    try:
        a, b = RosterService(pc1), RosterService(pc2)
        sid = a.save_staff(
            StaffInput(name="丙", sex="男", id_number=id_no(22), squad="一中队", post="队员")
        ).staff_id
        a.add_certificate(
            sid,
            CertInput(
                cert_no="630100012345",
                issuer="青海省人民政府",
                issue_date=dt.date(2025, 1, 1),
                valid_to=dt.date(2030, 1, 1),
            ),
        )
        c1, c2 = a.get(sid).certificates[0], b.get(sid).certificates[0]

        def edit(c, **kw):  # type: ignore[no-untyped-def]
            data = CertInput(**{k: getattr(c, k) for k in CertInput.__dataclass_fields__})
            for k, v in kw.items():
                setattr(data, k, v)
            return data

        a.update_certificate(c1.id, edit(c1, issuer="青海省交通运输厅"), version=c1.version)
        with pytest.raises(ConflictError, match="执法证件 630100012345"):
            b.update_certificate(c2.id, edit(c2, valid_to=dt.date(2031, 1, 1)), version=c2.version)
        now = b.get(sid).certificates[0]
        assert now.issuer == "青海省交通运输厅" and now.valid_to == dt.date(2030, 1, 1)
        assert audit.verify_database(pc1).ok
    finally:
        pc1.close()
        pc2.close()
