"""Hours arithmetic: partial credit, political vs professional, year boundaries, absences."""

from __future__ import annotations

import datetime as dt

import pytest
from training_helpers import add_session, add_staff, new_db

from brigade_desk.core.errors import ValidationError
from brigade_desk.ledgers.training.hours import year_bounds
from brigade_desk.ledgers.training.service import AttendanceInput, SessionInput, TrainingService

D = dt.date


@pytest.fixture
def db(tmp_path):
    d = new_db(tmp_path)
    yield d
    d.close()


def _person(db, sid, year=2025):
    return next(p for p in TrainingService(db).year_summary(year) if p.staff_id == sid)


def test_full_and_partial_credit_and_categories(db):
    a = add_staff(db, "张三")
    b = add_staff(db, "李四")
    add_session(
        db, D(2025, 3, 5), 8, [a, AttendanceInput(staff_id=b, hours=3.5)], category="执法技能"
    )
    add_session(db, D(2025, 4, 1), 4, [a, b], category="公共法律知识")
    add_session(db, D(2025, 5, 1), 6, [a, b], category="政治教育")
    add_session(
        db,
        D(2025, 6, 1),
        2.5,
        [a, AttendanceInput(staff_id=b, attended=False, absence_reason="病假")],
    )
    pa, pb = _person(db, a), _person(db, b)
    assert pa.professional == 14.5 and pa.political == 6 and pa.total == 20.5
    assert pb.professional == 7.5 and pb.political == 6
    assert pb.by_category == {
        "执法技能": 3.5,
        "公共法律知识": 4.0,
        "政治教育": 6.0,
        "业务知识": 0.0,
    }
    assert pb.absences == 1 and pb.sessions == 3
    assert pa.missing == 45.5 and pb.missing == 52.5
    assert pa.counted


def test_full_credit_follows_session_hours_edit(db):
    a = add_staff(db, "张三")
    b = add_staff(db, "李四")
    svc = TrainingService(db)
    sid = add_session(
        db,
        D(2025, 3, 5),
        8,
        [AttendanceInput(staff_id=a, hours=8), AttendanceInput(staff_id=b, hours=2)],
    )
    v = svc.get_session(sid)
    assert {x.name: x.hours for x in v.attendance} == {"张三": None, "李四": 2}
    data = SessionInput(**{k: getattr(v, k) for k in SessionInput.__dataclass_fields__})
    data.hours = 6
    svc.save_session(
        data, [AttendanceInput(staff_id=x.staff_id, hours=x.hours) for x in v.attendance], sid
    )
    assert _person(db, a).professional == 6
    assert _person(db, b).professional == 2


def test_credit_above_session_hours_is_refused(db):
    a = add_staff(db, "张三")
    with pytest.raises(ValidationError) as e:
        add_session(db, D(2025, 3, 5), 4, [AttendanceInput(staff_id=a, hours=4.5)])
    assert "参训人员" in str(e.value) and "张三" in str(e.value) and "超过" in str(e.value)


def test_year_boundary_uses_end_date(db):
    a = add_staff(db, "张三")
    add_session(db, D(2024, 12, 30), 10, [a], end=D(2025, 1, 2))
    add_session(db, D(2024, 12, 31), 3, [a])
    add_session(db, D(2025, 12, 31), 5, [a])
    add_session(db, D(2026, 1, 1), 7, [a])
    assert _person(db, a, 2024).professional == 3
    assert _person(db, a, 2025).professional == 15
    assert _person(db, a, 2026).professional == 7


def test_quarter_and_until(db):
    a = add_staff(db, "张三")
    add_session(db, D(2025, 3, 31), 2, [a])
    add_session(db, D(2025, 4, 1), 3, [a])
    add_session(db, D(2025, 6, 30), 4, [a])
    svc = TrainingService(db)
    q1 = next(p for p in svc.year_summary(2025, quarter=1) if p.staff_id == a)
    q2 = next(p for p in svc.year_summary(2025, quarter=2) if p.staff_id == a)
    assert (q1.professional, q2.professional) == (2, 7)
    upto = next(p for p in svc.year_summary(2025, until=D(2025, 4, 1)) if p.staff_id == a)
    assert upto.professional == 5
    assert year_bounds(2025, 4) == (D(2025, 10, 1), D(2025, 12, 31))


def test_summary_lists_officers_then_auxiliaries_and_departed_with_hours(db):
    aux = add_staff(db, "辅助甲", category="执法辅助人员")
    off = add_staff(db, "执法乙")
    gone = add_staff(db, "调离丙", status="调离")
    gone_no_hours = add_staff(db, "退休丁", status="退休")
    add_session(db, D(2025, 2, 1), 3, [aux, off, gone])
    rows = TrainingService(db).year_summary(2025)
    ids = [p.staff_id for p in rows]
    assert gone_no_hours not in ids
    assert ids.index(off) < ids.index(aux)
    by = {p.staff_id: p for p in rows}
    assert by[off].counted and not by[aux].counted and not by[gone].counted


def test_hours_by_month_and_exam_counts(db):
    a = add_staff(db, "张三")
    b = add_staff(db, "李四")
    sid = add_session(
        db,
        D(2025, 1, 10),
        2,
        [AttendanceInput(staff_id=a, exam_score=90), AttendanceInput(staff_id=b, exam_score=59.5)],
    )
    add_session(db, D(2025, 1, 20), 3, [a], category="政治教育")
    add_session(db, D(2025, 12, 1), 1, [a, b])
    months = TrainingService(db).hours_by_month(2025)
    assert months[0] == (3.0, 4.0) and months[11] == (0.0, 2.0) and months[5] == (0.0, 0.0)
    v = TrainingService(db).get_session(sid)
    assert v.has_exam
    assert {x.name: x.exam_passed for x in v.attendance} == {"张三": True, "李四": False}
    pa, pb = _person(db, a), _person(db, b)
    assert (pa.exams_taken, pa.exams_passed, pb.exams_taken, pb.exams_passed) == (1, 1, 1, 0)


def test_person_ledger(db):
    a = add_staff(db, "张三")
    add_session(
        db, D(2025, 1, 10), 2, [AttendanceInput(staff_id=a, hours=1.5)], title="法治讲堂第一讲"
    )
    add_session(
        db,
        D(2025, 2, 10),
        4,
        [AttendanceInput(staff_id=a, attended=False, absence_reason="出差")],
        title="轮训",
    )
    add_session(db, D(2024, 2, 10), 4, [a], title="去年")
    led = TrainingService(db).person_ledger(a, 2025)
    assert [ln.title for ln in led.lines] == ["法治讲堂第一讲", "轮训"]
    assert [ln.credited for ln in led.lines] == [1.5, 0.0]
    assert led.lines[1].absence_reason == "出差"
    assert led.person.professional == 1.5 and led.person.missing == 58.5


def test_session_validation_names_fields(db):
    svc = TrainingService(db)
    with pytest.raises(ValidationError) as e:
        svc.save_session(
            SessionInput(
                start_date=D(2025, 3, 5),
                end_date=D(2025, 3, 1),
                title="",
                form="",
                category="体育",
                hours=0,
            ),
            [],
        )
    f = e.value.fields
    assert set(f) >= {"title", "end_date", "form", "category", "hours"}
    assert f["title"].startswith("培训名称") and f["hours"].startswith("学时")


def test_duplicate_attendee_and_absent_with_score_refused(db):
    a = add_staff(db, "张三")
    with pytest.raises(ValidationError, match="重复"):
        add_session(db, D(2025, 3, 5), 2, [a, a])
    with pytest.raises(ValidationError, match="缺勤"):
        add_session(
            db, D(2025, 3, 5), 2, [AttendanceInput(staff_id=a, attended=False, exam_score=80)]
        )


def test_forms_setting_is_editable(db):
    svc = TrainingService(db)
    assert "法治讲堂" in svc.forms()
    svc.set_forms(["法治讲堂", " 夜校 ", "法治讲堂", ""])
    assert svc.forms() == ["法治讲堂", "夜校"]
    with pytest.raises(ValidationError):
        svc.set_forms([" "])


def test_plan_save_and_approve(db):
    from brigade_desk.ledgers.training.service import PlanItemInput

    svc = TrainingService(db)
    svc.save_plan(
        2025,
        [
            PlanItemInput(
                month=3,
                topic="行政处罚法",
                form="法治讲堂",
                category="公共法律知识",
                planned_hours=4,
            ),
            PlanItemInput(
                month=1, topic="党史", form="集中学法", category="政治教育", planned_hours=2
            ),
        ],
    )
    p = svc.get_plan(2025)
    assert p is not None and p.status == "草稿" and [i.month for i in p.items] == [1, 3]
    assert p.planned_hours == {"政治教育": 2, "公共法律知识": 4}
    with pytest.raises(ValidationError, match="批准日期"):
        svc.set_plan_status(2025, "已批准")
    svc.set_plan_status(2025, "已批准", D(2025, 3, 1))
    assert svc.get_plan(2025).approved_date == D(2025, 3, 1)
    with pytest.raises(ValidationError, match="第 1 项"):
        svc.save_plan(2025, [PlanItemInput(month=13, topic="x")])


def test_edits_and_removals_are_in_the_audit_trail(db):
    from brigade_desk.core import audit

    a = add_staff(db, "张三")
    b = add_staff(db, "李四")
    svc = TrainingService(db)
    sid = add_session(db, D(2025, 3, 5), 8, [a, b])
    v = svc.get_session(sid)
    data = SessionInput(**{k: getattr(v, k) for k in SessionInput.__dataclass_fields__})
    svc.save_session(data, [AttendanceInput(staff_id=a, hours=4)], sid)
    svc.delete_session(sid)
    with db.session() as s:
        res = audit.verify(s)
        assert res.ok, res.problem
        from brigade_desk.core.models.audit import AuditEntry

        acts = [
            e.action
            for e in s.query(AuditEntry).filter(AuditEntry.table_name == "training_attendance")
        ]
        assert acts.count("create") == 2 and acts.count("delete") == 2 and "update" in acts
