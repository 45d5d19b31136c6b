"""Training rules at their edges."""

from __future__ import annotations

import datetime as dt

import pytest
from training_helpers import add_session, add_staff, new_db

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import settings
from brigade_desk.ledgers.training import rules as tr
from brigade_desk.ledgers.training.service import AttendanceInput, PlanItemInput, TrainingService
from brigade_desk.ledgers.training.settings import REQUIRED_HOURS

D = dt.date


@pytest.fixture
def db(tmp_path):
    d = new_db(tmp_path)
    yield d
    d.close()


def _find(db, as_of, rule):
    with db.session() as s:
        return [f for f in REGISTRY.run_rules(s, as_of) if f.rule == rule]


def test_rules_registered():
    assert {"training_hours_short", "training_plan_missing", "monthly_study_missing"} <= set(
        REGISTRY.rule_labels()
    )


def test_hours_short_at_60(db):
    full = add_staff(db, "满六十")
    short = add_staff(db, "差半小时")
    aux = add_staff(db, "辅助人员", category="执法辅助人员")
    gone = add_staff(db, "已调离", status="调离")
    add_session(db, D(2025, 3, 1), 59.5, [full, short, aux, gone])
    add_session(
        db,
        D(2025, 4, 1),
        0.5,
        [full, AttendanceInput(staff_id=short, attended=False, absence_reason="病假")],
    )
    add_session(db, D(2025, 5, 1), 20, [short], category="政治教育")  # political does not count
    fs = _find(db, D(2025, 12, 31), "training_hours_short")
    assert [f.subject for f in fs] == ["差半小时"]
    f = fs[0]
    assert f.due == D(2025, 12, 31)
    assert "已完成 59.5 学时" in f.detail and "还差 0.5 学时" in f.detail
    assert f.entity == "staff" and f.ref.startswith("630102")


def test_hours_short_counts_only_the_as_of_year_and_sessions_so_far(db):
    p = add_staff(db, "张三")
    add_session(db, D(2024, 6, 1), 60, [p])
    add_session(db, D(2025, 6, 1), 60, [p])
    assert _find(db, D(2024, 12, 31), "training_hours_short") == []
    assert [f.subject for f in _find(db, D(2025, 5, 31), "training_hours_short")] == ["张三"]
    assert _find(db, D(2025, 6, 1), "training_hours_short") == []
    # next year starts again from zero
    fs = _find(db, D(2026, 1, 1), "training_hours_short")
    assert fs and fs[0].due == D(2026, 12, 31) and "已完成 0 学时" in fs[0].detail


def test_hours_short_threshold_is_a_setting(db):
    add_staff(db, "张三")
    pid = add_staff(db, "李四")
    add_session(db, D(2025, 6, 1), 40, [pid])
    with db.begin() as s:
        settings.set_value(s, REQUIRED_HOURS, 40)
    assert [f.subject for f in _find(db, D(2025, 12, 1), "training_hours_short")] == ["张三"]


def test_plan_missing_edges(db):
    svc = TrainingService(db)
    assert _find(db, D(2025, 3, 31), "training_plan_missing") == []
    fs = _find(db, D(2025, 4, 1), "training_plan_missing")
    assert len(fs) == 1 and fs[0].due == D(2025, 3, 31) and "尚未编制" in fs[0].detail
    svc.save_plan(
        2025, [PlanItemInput(month=1, topic="行政处罚法", category="公共法律知识", planned_hours=4)]
    )
    assert "草稿" in _find(db, D(2025, 4, 1), "training_plan_missing")[0].detail
    svc.set_plan_status(2025, "已批准", D(2025, 4, 10))
    assert (
        len(_find(db, D(2025, 4, 9), "training_plan_missing")) == 1
    )  # not yet approved on that day
    assert _find(db, D(2025, 4, 10), "training_plan_missing") == []
    # an approved plan for another year does not count
    assert len(_find(db, D(2026, 4, 1), "training_plan_missing")) == 1
    assert _find(db, D(2026, 3, 31), "training_plan_missing") == []


def test_monthly_study_edges(db):
    p = add_staff(db, "张三")
    add_session(db, D(2025, 1, 31), 2, [p], monthly=True, category="公共法律知识")
    add_session(db, D(2025, 2, 15), 2, [p], monthly=False)  # not the all-staff study
    add_session(db, D(2025, 3, 1), 2, [p], monthly=True, category="公共法律知识")
    # in January nothing of this year is finished yet
    assert _find(db, D(2025, 1, 31), "monthly_study_missing") == []
    # on 1 March February is finished and has no study
    fs = _find(db, D(2025, 3, 1), "monthly_study_missing")
    assert [f.subject for f in fs] == ["2025-02"] and fs[0].due == D(2025, 2, 28)
    # the running month (April) is not reported until it is over
    assert [f.subject for f in _find(db, D(2025, 4, 30), "monthly_study_missing")] == ["2025-02"]
    assert [f.subject for f in _find(db, D(2025, 5, 1), "monthly_study_missing")] == [
        "2025-02",
        "2025-04",
    ]
    assert [f.subject for f in _find(db, D(2024, 12, 31), "monthly_study_missing")] == [
        f"2024-{m:02d}" for m in range(1, 12)
    ]


def test_finished_months():
    assert tr.finished_months(D(2025, 1, 1)) == []
    assert tr.finished_months(D(2025, 12, 31))[-1] == (2025, 11)
