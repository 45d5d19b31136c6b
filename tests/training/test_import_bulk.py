"""The sign-in import writes in bulk (issue 15): the same rows, counts and audit trail as the
row-by-row ORM writer it replaced, all or nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from dbtemplate import query, target
from sqlalchemy import func, select
from training_helpers import add_staff, id_no, new_db

from brigade_desk.app import cli
from brigade_desk.core import audit
from brigade_desk.core.db import Database
from brigade_desk.core.tabular.policy import Written
from brigade_desk.ledgers.training import importer
from brigade_desk.ledgers.training.importer import ParsedRow, import_training
from brigade_desk.ledgers.training.models import TrainingAttendance, TrainingSession
from brigade_desk.ledgers.training.service import AttendanceInput, SessionInput, TrainingService

HEADERS = [
    "培训日期",
    "培训名称",
    "培训形式",
    "培训类别",
    "学时",
    "姓名",
    "身份证号",
    "中队",
    "签到情况",
    "缺勤原因",
    "实得学时",
    "考试成绩",
    "是否合格",
]
NAMES = ["张三", "李四", "王五", "赵六", "钱七"]


def _orm_write(
    s: Any,
    accepted: list[ParsedRow],
    first: dict[tuple[dt.date, str], ParsedRow],
    pass_score: float,
    file_name: str,
) -> Written:
    """The row-by-row ORM writer the bulk writer replaced (kept here as the reference)."""
    created = updated = 0
    training_sessions: dict[tuple[dt.date, str], TrainingSession] = {}
    for p in accepted:
        assert p.training_session.start_date is not None
        key = (p.training_session.start_date, p.training_session.title)
        ts = training_sessions.get(key)
        if ts is None:
            ts = s.scalar(
                select(TrainingSession).where(
                    TrainingSession.start_date == key[0], TrainingSession.title == key[1]
                )
            )
            if ts is None:
                ts = TrainingSession(
                    start_date=key[0], title=key[1], notes=f"由 Excel 导入：{file_name}"
                )
                s.add(ts)
            src = first[key]
            d = src.training_session
            ts.end_date, ts.form, ts.category, ts.hours = (
                d.end_date or key[0],
                d.form,
                d.category,
                d.hours,
            )
            ts.organiser = d.organiser or (ts.organiser or "")
            ts.place = d.place or (ts.place or "")
            ts.is_monthly_study = src.flags.get("is_monthly_study", bool(ts.is_monthly_study))
            ts.is_rotation = src.flags.get("is_rotation", bool(ts.is_rotation))
            ts.pass_score = ts.pass_score if ts.pass_score is not None else pass_score
            s.flush()
            training_sessions[key] = ts
        if p.score is not None:
            ts.has_exam = True
        a = s.scalar(
            select(TrainingAttendance).where(
                TrainingAttendance.session_id == ts.id,
                TrainingAttendance.staff_id == p.staff_id,
            )
        )
        if a is None:
            a = TrainingAttendance(session_id=ts.id, staff_id=p.staff_id)
            s.add(a)
            created += 1
        else:
            updated += 1
        a.attended = p.attended
        a.hours = (
            p.credited if p.credited is not None and abs(p.credited - ts.hours) > 1e-9 else None
        )
        a.absence_reason = "" if p.attended else p.reason
        a.exam_score = p.score
        a.exam_passed = (
            p.passed
            if p.passed is not None
            else (None if p.score is None else p.score >= (ts.pass_score or pass_score) - 1e-9)
        )
    s.flush()
    return Written(created, updated)


def _book(path: Path, rows: list[list[Any]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "签到表"
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _rows(ids: dict[str, str], *, second: bool = False) -> list[list[Any]]:
    """Three sessions × five people: absences (generic and specific), partial credit, an exam with
    scores and an explicit 是否合格, a monthly study session. ``second``: the same file edited."""
    out: list[list[Any]] = []
    sessions = [
        ("2025-03-05", "行政处罚法讲座", "法治讲堂", "公共法律知识", 3),
        ("2025-03-12", "执法技能比武", "岗位练兵", "执法技能", 4),
        ("2025-04-01", "四月集中学法", "集中学法", "公共法律知识", 2),
    ]
    for k, (day, title, form, cat, hours) in enumerate(sessions):
        for j, name in enumerate(NAMES):
            presence, reason, credited, score, passed = "√", None, None, None, None
            if (j + k) % 4 == 3:
                presence, reason = ("请假", "出差") if k else ("缺勤", "家中有事")
            elif j == 1:
                credited = hours - 1
            elif j == 2:
                credited = hours  # full hours written out: stored as NULL
            if k == 1 and presence == "√":
                score = 50 + 10 * j
                passed = "合格" if j == 0 else None
            if second and k == 1 and j == 3:
                score = 45  # re-marked: now fails
            if second and k == 2 and j == 0:
                presence, reason = "病假", None  # now absent
            out.append(
                [day, title, form, cat, hours, name, ids[name], "一中队", presence, reason]
                + [credited, score, passed]
            )
    return out


@pytest.fixture
def two_dbs(tmp_path: Path) -> tuple[Database, Database, dict[str, str]]:
    """The same roster in two databases: one for the bulk writer, one for the reference."""
    ids = {n: id_no(60 + i) for i, n in enumerate(NAMES)}
    dbs = []
    for sub in ("bulk", "orm"):
        d = new_db(tmp_path / sub)
        for n in NAMES:
            add_staff(d, n, id_number=ids[n])
        dbs.append(d)
    yield dbs[0], dbs[1], ids
    for d in dbs:
        d.close()


def _table(db: Database, table: str) -> list[dict[str, Any]]:
    rows = [dict(r._mapping) for r in query(db, f'SELECT * FROM "{table}" ORDER BY id')]
    for r in rows:
        r.pop("created_at", None)
        r.pop("updated_at", None)
        r.pop("version", None)  # counts saves: the ORM writer saved a session twice
    return rows


def _last_states(db: Database, table: str) -> dict[str, str | None]:
    """Each record's last recorded state (JSON, without the creation time)."""
    out: dict[str, str | None] = {}
    for rid, after in query(
        db, "SELECT record_id, after FROM audit_log WHERE table_name = :t ORDER BY id", t=table
    ):
        if after is not None:
            st = json.loads(after)
            st.pop("created_at", None)
            after = json.dumps(st, ensure_ascii=False, sort_keys=True)
        out[rid] = after
    return out


def _entries(db: Database, table: str) -> list[tuple[str, str, str | None, str | None]]:
    rows = query(
        db,
        "SELECT action, record_id, before, after, id FROM audit_log WHERE table_name = :t",
        t=table,
    )
    # by the record's (first) id — a bulk entry's record_id is a range "16..30" — then the entry
    rows.sort(key=lambda r: (int(r[1].split("..")[0]), r[4]))
    return [tuple(r[:4]) for r in rows]


def _count(db: Database, model: Any) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _reference(monkeypatch: pytest.MonkeyPatch, db: Database, path: Path) -> Any:
    with monkeypatch.context() as m:
        m.setattr(importer, "_write", _orm_write)
        return import_training(db, path)


def test_bulk_writes_what_the_orm_writer_wrote(two_dbs, tmp_path, monkeypatch):
    bulk, orm, ids = two_dbs
    f = _book(tmp_path / "签到.xlsx", _rows(ids))
    got = import_training(bulk, f)
    want = _reference(monkeypatch, orm, f)
    assert not got.errors and got.written
    assert (got.created, got.updated, got.skipped) == (want.created, want.updated, 0) == (15, 0, 0)
    assert _table(bulk, "training_session") == _table(orm, "training_session")
    assert _table(bulk, "training_attendance") == _table(orm, "training_attendance")
    # every attendance is in the trail with the very entry the ORM listeners wrote
    assert _entries(bulk, "training_attendance") == _entries(orm, "training_attendance")
    assert len(_entries(bulk, "training_attendance")) == 15
    # a session with an exam: the ORM writer recorded it created, then updated (has_exam); the
    # bulk writer knows every row first and records it once, created with has_exam — same state
    assert _last_states(bulk, "training_session") == _last_states(orm, "training_session")
    assert audit.verify_database(bulk).ok and audit.verify_database(orm).ok

    # the rules of the rows, read back through the service
    svc = TrainingService(bulk)
    by_title = {r.title: svc.get_session(r.id) for r in svc.list_sessions()}
    law, drill, monthly = (
        by_title["行政处罚法讲座"],
        by_title["执法技能比武"],
        by_title["四月集中学法"],
    )
    assert (law.hours, law.form, law.category) == (3, "法治讲堂", "公共法律知识")
    assert not law.has_exam and drill.has_exam and not monthly.has_exam
    assert monthly.is_monthly_study and not law.is_monthly_study
    assert drill.pass_score == 60.0
    assert drill.notes == law.notes == "由 Excel 导入：签到.xlsx"
    people = {a.name: a for a in law.attendance}
    assert people["李四"].hours == 2 and people["王五"].hours is None
    assert not people["赵六"].attended and people["赵六"].absence_reason == "家中有事"
    assert people["张三"].attended and people["张三"].exam_score is None
    d = {a.name: a for a in drill.attendance}
    assert d["张三"].exam_score == 50 and d["张三"].exam_passed is True  # 是否合格 wins
    assert d["李四"].exam_passed is True and d["李四"].hours == 3  # 60 ≥ 60; 3 of 4 hours
    assert d["赵六"].exam_score == 80 and d["钱七"].exam_score == 90
    assert not d["王五"].attended and d["王五"].absence_reason == "请假（出差）"
    assert d["王五"].exam_score is None and d["王五"].exam_passed is None


def test_reimport_updates_like_the_orm_writer_without_duplicates(two_dbs, tmp_path, monkeypatch):
    bulk, orm, ids = two_dbs
    f1 = _book(tmp_path / "一.xlsx", _rows(ids))
    f2 = _book(tmp_path / "二.xlsx", _rows(ids, second=True))
    import_training(bulk, f1)
    _reference(monkeypatch, orm, f1)
    got = import_training(bulk, f2)
    want = _reference(monkeypatch, orm, f2)
    assert (got.created, got.updated) == (want.created, want.updated) == (0, 15)
    assert _count(bulk, TrainingAttendance) == 15 and _count(bulk, TrainingSession) == 3
    assert _table(bulk, "training_attendance") == _table(orm, "training_attendance")
    assert _table(bulk, "training_session") == _table(orm, "training_session")
    # only the two changed people get an update entry, with the old values of what changed
    assert _entries(bulk, "training_attendance") == _entries(orm, "training_attendance")
    updates = [e for e in _entries(bulk, "training_attendance") if e[0] == "update"]
    assert len(updates) == 2
    befores = sorted(sorted(json.loads(e[2]).items()) for e in updates)
    assert [("exam_passed", True), ("exam_score", 80.0)] in befores
    assert [("absence_reason", ""), ("attended", True)] in befores
    assert audit.verify_database(bulk).ok
    # the same file a third time: counted as updates, nothing written, nothing recorded
    with bulk.session() as s:
        n_entries = s.scalar(select(func.count()).select_from(audit.AuditEntry))
    again = import_training(bulk, f2)
    assert (again.created, again.updated) == (0, 15)
    with bulk.session() as s:
        assert s.scalar(select(func.count()).select_from(audit.AuditEntry)) == n_entries


def test_trail_continues_after_a_bulk_import_and_catches_tampering(two_dbs, tmp_path, capsys):
    bulk, _orm, ids = two_dbs
    f = _book(tmp_path / "a.xlsx", _rows(ids))
    dbp = target(bulk)
    assert cli.main(["--db", target(dbp), "import", "training", str(f), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 15
    assert cli.main(["--db", target(dbp), "audit", "verify", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["entries"] == 5 + 3 + 15  # staff, sessions, attendance
    svc = TrainingService(bulk)
    sid = next(r.id for r in svc.list_sessions() if r.title == "行政处罚法讲座")
    v = svc.get_session(sid)
    data = SessionInput(
        **{k: getattr(v, k) for k in SessionInput.__dataclass_fields__ if hasattr(v, k)}
    )
    rows = [
        AttendanceInput(
            staff_id=a.staff_id,
            attended=a.attended,
            hours=1.0 if a.name == "张三" else a.hours,
            absence_reason=a.absence_reason,
            exam_score=a.exam_score,
            exam_passed=a.exam_passed,
        )
        for a in v.attendance
    ]
    svc.save_session(data, rows, sid)  # edited through the ORM after the bulk import
    res = audit.verify_database(bulk)
    assert res.ok, res.problem
    with bulk.session() as s:
        aid = s.scalar(
            select(TrainingAttendance.id).where(
                TrainingAttendance.session_id == sid,
                TrainingAttendance.staff_id
                == next(a.staff_id for a in v.attendance if a.name == "张三"),
            )
        )
        hist = audit.history(s, "training_attendance", aid)
    assert [h.action for h in hist] == ["create", "update"]
    assert ("hours", None, 1.0) in hist[1].changes
    # a bulk-written row changed behind the program's back is caught
    query(
        bulk,
        "UPDATE training_attendance SET exam_score = 99"
        " WHERE id = (SELECT max(id) FROM training_attendance)",
    )
    res = audit.verify_database(bulk)
    assert not res.ok and "training_attendance" in res.problem and "exam_score" in res.problem
    assert cli.main(["--db", target(dbp), "audit", "verify"]) == 1


def _snapshot(db: Database) -> tuple[int, int, int, str]:
    with db.session() as s:
        last = s.execute(select(audit.AuditEntry.hash).order_by(audit.AuditEntry.id.desc())).first()
    return (
        _count(db, TrainingSession),
        _count(db, TrainingAttendance),
        _count(db, audit.AuditEntry),
        last[0] if last else "",
    )


@pytest.mark.parametrize("where", ["after_insert", "in_audit"])
def test_failure_inside_the_bulk_write_leaves_nothing(two_dbs, tmp_path, monkeypatch, where):
    bulk, _orm, ids = two_dbs
    import_training(bulk, _book(tmp_path / "a.xlsx", _rows(ids)))  # something to keep intact
    before = _snapshot(bulk)
    rows = _rows(ids)
    for r in rows:
        r[1] = "另一" + r[1]  # new sessions: new attendance rows to insert
    f = _book(tmp_path / "b.xlsx", rows)
    if where == "after_insert":
        real = importer._insert_many

        def insert_then_fail(*a: Any) -> None:
            real(*a)  # the rows are in the database (inside the transaction) …
            raise RuntimeError("磁盘已满")

        monkeypatch.setattr(importer, "_insert_many", insert_then_fail)
    else:
        real_hash = audit.entry_hash
        calls = {"n": 0}

        def hash_then_fail(*a: Any) -> str:
            calls["n"] += 1
            if calls["n"] > 7:  # the sessions are recorded and the attendance inserted by now
                raise RuntimeError("磁盘已满")
            return real_hash(*a)

        monkeypatch.setattr(audit, "entry_hash", hash_then_fail)
    with pytest.raises(RuntimeError, match="磁盘已满"):
        import_training(bulk, f)
    monkeypatch.undo()
    assert _snapshot(bulk) == before
    res = audit.verify_database(bulk)
    assert res.ok, res.problem
    # and the same file then imports whole, the chain continuing from where it was
    r = import_training(bulk, f)
    assert (r.created, r.updated) == (15, 0)
    assert _count(bulk, TrainingSession) == 6 and audit.verify_database(bulk).ok


def test_dry_run_writes_nothing(two_dbs, tmp_path):
    bulk, _orm, ids = two_dbs
    before = _snapshot(bulk)
    dry = import_training(bulk, _book(tmp_path / "a.xlsx", _rows(ids)), dry_run=True)
    assert dry.dry_run and not dry.written and (dry.created, dry.updated) == (15, 0)
    assert _snapshot(bulk) == before
    assert audit.verify_database(bulk).ok


def test_many_sessions_and_people_in_chunks(tmp_path):
    """More sessions than one IN (...) list holds, re-imported: found again, not duplicated."""
    db = new_db(tmp_path)
    try:
        ids = [id_no(70 + i) for i in range(3)]
        for i, n in enumerate(ids):
            add_staff(db, f"人员{i}", id_number=n)
        n_sessions = importer._IN_CHUNK + 20
        rows = [
            [
                (dt.date(2025, 1, 1) + dt.timedelta(days=k % 300)).isoformat(),
                f"第{k}期",
                "集中轮训",
                "业务知识",
                2,
                f"人员{i}",
                ids[i],
                "一中队",
                "√",
                None,
                None,
                None,
                None,
            ]
            for k in range(n_sessions)
            for i in range(3)
        ]
        f = _book(tmp_path / "big.xlsx", rows)
        first = import_training(db, f)
        assert (first.created, first.updated) == (3 * n_sessions, 0)
        again = import_training(db, f)
        assert (again.created, again.updated) == (0, 3 * n_sessions)
        assert _count(db, TrainingSession) == n_sessions
        assert _count(db, TrainingAttendance) == 3 * n_sessions
        res = audit.verify_database(db)
        assert res.ok, res.problem
        assert res.entries == 3 + n_sessions + 3 * n_sessions  # staff, sessions, attendance
    finally:
        db.close()


def test_a_person_twice_in_a_session_reaching_the_writer_counts_once(
    two_dbs, tmp_path, monkeypatch
):
    """The checking loop refuses such rows; should two reach the writer, the later one wins, as
    with the ORM writer (new or existing attendance alike) and the trail still verifies."""
    import dataclasses

    bulk, _orm, ids = two_dbs
    real = importer._write

    def twice(s: Any, accepted: list[ParsedRow], *rest: Any) -> Written:
        later = [
            dataclasses.replace(p, reason="第二行", attended=False, score=None) for p in accepted
        ]
        return real(s, accepted + later, *rest)

    monkeypatch.setattr(importer, "_write", twice)
    f = _book(tmp_path / "a.xlsx", _rows(ids))
    for created, updated in ((15, 15), (0, 30)):
        r = import_training(bulk, f)
        assert (r.created, r.updated) == (created, updated)
        rows = _table(bulk, "training_attendance")
        assert len(rows) == 15
        assert all(not a["attended"] and a["absence_reason"] == "第二行" for a in rows)
        res = audit.verify_database(bulk)
        assert res.ok, res.problem


def test_thousands_of_new_rows_are_recorded_in_bulk_digests(two_dbs, tmp_path, monkeypatch):
    """From BULK_AUDIT_ROWS new rows on (a year's lists at once) the attendance is recorded as
    stored, each row's digest in a few bulk entries: verified, shown in a record's history,
    tampering caught, and a failure on the way leaves nothing."""
    bulk, _orm, ids = two_dbs
    monkeypatch.setattr(importer, "BULK_AUDIT_ROWS", 10)  # 15 rows: the bulk path
    f = _book(tmp_path / "全年签到.xlsx", _rows(ids))
    # a failure while the digests are made: nothing of the file stays
    before = _snapshot(bulk)
    real_digest = audit._row_digest
    calls = {"n": 0}

    def digest_then_fail(values: tuple[Any, ...]) -> str:
        calls["n"] += 1
        if calls["n"] > 5:
            raise RuntimeError("磁盘已满")
        return real_digest(values)

    monkeypatch.setattr(audit, "_row_digest", digest_then_fail)
    with pytest.raises(RuntimeError, match="磁盘已满"):
        import_training(bulk, f)
    monkeypatch.setattr(audit, "_row_digest", real_digest)
    assert _snapshot(bulk) == before and audit.verify_database(bulk).ok

    got = import_training(bulk, f)
    assert (got.created, got.updated) == (15, 0) and got.written
    entries = _entries(bulk, "training_attendance")
    assert [e[0] for e in entries] == ["bulk"]  # 15 rows: one entry of digests
    data = json.loads(entries[0][3])
    assert data["note"] == "由 Excel 导入：全年签到.xlsx"
    with bulk.session() as s:
        att_ids = sorted(s.scalars(select(TrainingAttendance.id)))
    assert sorted(int(r[0]) for r in data["rows"]) == att_ids
    assert entries[0][1] == f"{att_ids[0]}..{att_ids[-1]}"
    res = audit.verify_database(bulk)
    assert res.ok and res.records >= 15, res.problem
    # each row's history says where it came from; an edit afterwards follows it
    with bulk.session() as s:
        hist = audit.history(s, "training_attendance", att_ids[3])
    assert [h.action for h in hist] == ["bulk"]
    assert hist[0].changes[0][0] == "由 Excel 导入：全年签到.xlsx"
    assert str(hist[0].changes[0][2]).startswith("数值摘要 ")
    query(bulk, "UPDATE training_attendance SET exam_score = 99 WHERE id = :i", i=att_ids[7])
    res = audit.verify_database(bulk)
    assert not res.ok and f"training_attendance #{att_ids[7]}" in res.problem
    assert "在程序之外被修改" in res.problem


def test_what_one_import_remembers_never_hides_a_later_rows_fault(tmp_path: Path) -> None:
    """A person found, a score parsed, a name that is no footer word and a text short enough are
    remembered for the rest of the import (issue 15's speed); an error or a note is never: each
    row that has one is told, and a totals line under names seen before is still left out."""
    db = new_db(tmp_path)
    ids = [id_no() for _ in NAMES[:3]]
    for name, idn in zip(NAMES, ids, strict=False):
        add_staff(db, name, id_number=idn)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for k in range(3):  # three sessions, the same people with the same cells on each
        for name, idn in zip(NAMES, ids, strict=False):
            ws.append(
                [
                    f"2025-03-0{k + 1}",
                    f"第{k}期",
                    "集中轮训",
                    "业务知识",
                    4,
                    name,
                    idn,
                    "一中队",
                    "√",
                    None,
                    None,
                    80,
                    None,
                ]
            )
    ws.append(
        [
            "2025-03-05",
            "第5期",
            "集中轮训",
            "业务知识",
            4,
            "张三",
            ids[0],
            "一中队",
            "√",
            None,
            None,
            150,
            None,
        ]
    )  # a score out of range
    ws.append(
        [
            "2025-03-06",
            "第6期",
            "集中轮训",
            "业务知识",
            4,
            "张三",
            ids[0],
            "一中队",
            "√",
            None,
            None,
            150,
            None,
        ]
    )  # the same cell again: told again
    ws.append(
        [
            "2025-03-06",
            "第6期",
            "集中轮训",
            "业务知识",
            4,
            "李四",
            "63010219800101001X",
            "一中队",
            "√",
            None,
            None,
            80,
            None,
        ]
    )  # the name seen, a wrong ID number
    ws.append([None, None, None, None, None, "合计", None, None, "共 10 人次"])
    path = tmp_path / "签到.xlsx"
    wb.save(path)
    r = import_training(db, path, dry_run=True)
    rows_with_errors = sorted({(e.row, e.column) for e in r.errors})
    assert rows_with_errors[:2] == [(11, "考试成绩"), (12, "考试成绩")], r.errors
    assert any(e.row == 13 for e in r.errors), r.errors
    assert any("第 14 行是合计" in n for n in r.notes), r.notes
    ok = import_training(db, path, skip_invalid=True)
    assert ok.created == 9 and len(ok.errors) == 3


@pytest.mark.sqlite_only(reason="digests from the values written: SQLite's stored form only")
@pytest.mark.parametrize(
    ("score", "passed", "hours"),
    [
        (88.0, True, None),
        (60, False, 2.5),  # an int in a FLOAT column comes back as a float
        (-0.0, None, 0.0),  # -0.0 comes back as 0.0
        (None, None, True),  # a bool in a FLOAT column: 1.0
        (1e15 + 0.5, 1, 3),
    ],
)
def test_digests_from_the_values_written_match_the_rows_read_back(
    tmp_path: Path, score: Any, passed: Any, hours: Any
) -> None:
    """``audit.record_written`` (a big import's attendance, digested from the values it just
    inserted) gives each row the digest ``audit.record_rows`` gives it after reading it back —
    SQLite's stored form (0/1 for bools, floats in FLOAT columns, -0.0 as 0.0) — so the trail
    verifies; a value whose stored form is not plain (NaN, a date, a huge int) is left to
    ``record_rows``."""
    db = new_db(tmp_path)
    staff = [add_staff(db, n, id_number=id_no()) for n in ("赵宏", "钱敏", "孙立")]
    sid = TrainingService(db).save_session(
        SessionInput(
            start_date=dt.date(2025, 3, 5),
            title="法治讲堂",
            form="法治讲堂",
            category="公共法律知识",
            hours=3,
        ),
        [AttendanceInput(staff_id=staff[0])],
    )
    att = TrainingAttendance.__table__
    cols = [c.name for c in att.columns]
    rows = [
        (900 + i, sid, p, attended, hours, reason, score, passed)
        for i, (p, attended, reason) in enumerate(
            [(staff[1], True, ""), (staff[2], False, "出差 ☂")]
        )
    ]
    assert cols == [
        "id",
        "session_id",
        "staff_id",
        "attended",
        "hours",
        "absence_reason",
        "exam_score",
        "exam_passed",
    ]
    with db.begin() as s:
        conn = s.connection()
        conn.exec_driver_sql(
            f"INSERT INTO training_attendance VALUES ({', '.join('?' * len(cols))})", rows
        )
        assert audit.record_written(s, "training_attendance", rows, note="由 Excel 导入：x.xlsx")
        audit.record_rows(s, "training_attendance", '"id" >= ?', (900,), note="x")
        for bad in (float("nan"), dt.date(2025, 1, 1), 2**60):
            odd = [(*rows[0][:6], bad, rows[0][7])]
            assert not audit.record_written(s, "training_attendance", odd)
    written, read = (json.loads(e[3])["rows"] for e in _entries(db, "training_attendance")[-2:])
    assert written == read and len(written) == 2
    assert audit.verify_database(db).ok


def test_new_sessions_go_in_one_statement_with_the_database_s_own_times(
    two_dbs, tmp_path: Path
) -> None:
    """On a file the import gives new sessions their ids and times (UTC, whole seconds: what
    CURRENT_TIMESTAMP would have stored), so the three go in one INSERT, and the trail records
    the times the rows hold; on a server the database gives them (its sequence and clock)."""
    from sqlalchemy import event

    bulk, _orm, ids = two_dbs
    inserts: list[int] = []

    def count(_conn: Any, _cur: Any, stmt: str, params: Any, _ctx: Any, many: bool) -> None:
        if stmt.startswith("INSERT INTO training_session"):
            inserts.append(len(params) if many else 1)

    event.listen(bulk.engine, "before_cursor_execute", count)
    started = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    try:
        r = import_training(bulk, _book(tmp_path / "a.xlsx", _rows(ids)))
    finally:
        event.remove(bulk.engine, "before_cursor_execute", count)
    assert r.written and r.created == 15
    with bulk.session() as s:
        made = {t.id: t.created_at for t in s.scalars(select(TrainingSession))}
    assert len(made) == 3
    recorded = {
        int(rid): json.loads(after)["created_at"]
        for _a, rid, _b, after in _entries(bulk, "training_session")
    }
    # (a server's clock has sub-second digits; the trail records whole seconds)
    assert recorded == {k: v.replace(microsecond=0).isoformat(sep=" ") for k, v in made.items()}
    if not bulk.server:
        assert inserts == [3]
        assert all(v.microsecond == 0 for v in made.values())
        assert all(abs((v - started).total_seconds()) <= 5 for v in made.values()), (made, started)
