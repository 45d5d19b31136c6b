"""Two clerks saving the same review score sheet, rectification or training plan (issue 18): the
version the editor opened with is passed back; a mismatch is refused with who and when and writes
nothing, a match saves and counts the version, None (the command line) does not check. On a file
and on a server database (two connections = two PCs)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from cases_support import add_case, add_staff
from dbtemplate import fresh_db, target
from sqlalchemy import select

from brigade_desk.core import audit
from brigade_desk.core.conflict import ConflictError
from brigade_desk.core.db import Database, open_database
from brigade_desk.ledgers.cases.models import CaseReview
from brigade_desk.ledgers.cases.review import (
    ItemScore,
    RectificationInput,
    ReviewService,
    ScoreInput,
)
from brigade_desk.ledgers.training.service import PlanItemInput, TrainingService

NO = "乐交执罚〔2025〕7号"
WHEN = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


@pytest.fixture(params=["sqlite", "postgresql"])
def two_pcs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    if request.param == "sqlite":
        first = fresh_db(tmp_path / "台账.sqlite")
        second = open_database(target(first))
    else:
        url = str(request.getfixturevalue("pg_url"))
        first, second = open_database(url), open_database(url)
    yield first, second
    first.close()
    second.close()


def _scored_case(db: Database) -> int:
    """A 2025 case file in the year's sample, scored once; returns the review id."""
    with db.begin() as s:
        add_case(s, NO, [add_staff(s, "甲")], closed_on=dt.date(2025, 3, 1))
    svc = ReviewService(db)
    svc.draw_sample(2025, seed=1)
    return svc.save_review(NO, 2025, ScoreInput(reviewer="王五"))


def _conflict_says(exc: ConflictError, what: str) -> None:
    msg = exc.message
    assert "保存未成功" in msg and what in msg and "数据库没有被改动" in msg
    assert audit.os_user() in msg and WHEN.search(msg), msg


def test_review_score_sheet(two_pcs: tuple[Database, Database]) -> None:
    pc1, pc2 = two_pcs
    _scored_case(pc1)
    a, b = ReviewService(pc1), ReviewService(pc2)
    seen_a, seen_b = a.review(NO, 2025), b.review(NO, 2025)
    assert seen_a is not None and seen_b is not None and seen_a.version == seen_b.version == 1
    # the first clerk adds only a remark to an item at full points: the review's own columns are
    # unchanged, the save counts all the same
    a.save_review(
        NO,
        2025,
        ScoreInput(reviewer="王五", items={"A1": ItemScore(None, "目录齐全")}),
        expected_version=seen_a.version,
    )
    now = b.review(NO, 2025)
    assert now is not None and now.version == 2 and now.items["A1"].remark == "目录齐全"
    with pytest.raises(ConflictError) as caught:
        b.save_review(
            NO,
            2025,
            ScoreInput(reviewer="李四", items={"C2": ItemScore(Decimal(1), "未听取申辩")}),
            expected_version=seen_b.version,
        )
    _conflict_says(caught.value, f"案卷 {NO} 的评查结果")
    now = b.review(NO, 2025)
    assert now is not None and (now.reviewer, now.version) == ("王五", 2)  # nothing overwritten
    assert now.items["C2"].score == 3 and now.items["A1"].remark == "目录齐全"
    # reloaded (the version as it is now), the second clerk's save goes through and counts
    b.save_review(
        NO,
        2025,
        ScoreInput(reviewer="李四", items={"C2": ItemScore(Decimal(1), "未听取申辩")}),
        expected_version=now.version,
    )
    final = a.review(NO, 2025)
    assert final is not None and (final.reviewer, final.version) == ("李四", 3)
    assert final.items["C2"].score == 1
    # the command line (no version): saved without a check, still counted
    a.save_review(NO, 2025, ScoreInput(reviewer="赵六"))
    with pc1.session() as s:
        assert s.scalar(select(CaseReview.version)) == 4
    assert audit.verify_database(pc1).ok


def test_a_score_sheet_opened_before_the_first_score(two_pcs: tuple[Database, Database]) -> None:
    """Opened when the file had no review yet (version 0): a review another clerk saved since is
    not replaced."""
    pc1, pc2 = two_pcs
    with pc1.begin() as s:
        add_case(s, NO, [add_staff(s, "甲")], closed_on=dt.date(2025, 3, 1))
    ReviewService(pc1).draw_sample(2025, seed=1)
    ReviewService(pc1).save_review(NO, 2025, ScoreInput(reviewer="王五"), expected_version=0)
    with pytest.raises(ConflictError):
        ReviewService(pc2).save_review(NO, 2025, ScoreInput(reviewer="李四"), expected_version=0)
    r = ReviewService(pc2).review(NO, 2025)
    assert r is not None and (r.reviewer, r.version) == ("王五", 1)


def test_rectification(two_pcs: tuple[Database, Database]) -> None:
    pc1, pc2 = two_pcs
    rid = _scored_case(pc1)
    a, b = ReviewService(pc1), ReviewService(pc2)
    x = a.add_rectification(
        rid, RectificationInput(item_code="C2", problem="补正告知程序", assignee="李四")
    )
    seen_a, seen_b = a.rectification(x), b.rectification(x)
    assert seen_a.version == seen_b.version == 1 and seen_b.case_no == NO
    a.update_rectification(
        x,
        RectificationInput(
            item_code="C2", problem="补正告知程序", assignee="张三", due_on=seen_a.due_on
        ),
        expected_version=seen_a.version,
    )
    closing = RectificationInput(
        item_code="C2",
        problem="补正告知程序",
        assignee="李四",
        due_on=seen_b.due_on,
        done_on=dt.date(2026, 1, 20),
        evidence="整改报告",
    )
    with pytest.raises(ConflictError) as caught:
        b.update_rectification(x, closing, expected_version=seen_b.version)
    _conflict_says(caught.value, "整改事项“补正告知程序”")
    now = b.rectification(x)
    assert (now.assignee, now.done_on, now.evidence, now.version) == ("张三", None, "", 2)
    closing.assignee = now.assignee
    b.update_rectification(x, closing, expected_version=now.version)
    final = a.rectification(x)
    assert (final.assignee, final.done_on, final.version) == ("张三", dt.date(2026, 1, 20), 3)
    a.update_rectification(x, RectificationInput(problem="补正告知程序", assignee="王五"))
    assert a.rectification(x).version == 4  # no version given: no check
    assert audit.verify_database(pc1).ok


def test_training_plan(two_pcs: tuple[Database, Database]) -> None:
    pc1, pc2 = two_pcs
    a, b = TrainingService(pc1), TrainingService(pc2)
    item = PlanItemInput(month=3, topic="行政处罚法", category="公共法律知识", planned_hours=4)
    # opened with no plan yet (version 0): the first save creates it, a second such save is refused
    a.save_plan(2025, [item], expected_version=0)
    with pytest.raises(ConflictError):
        b.save_plan(2025, [], expected_version=0)
    seen_a, seen_b = a.get_plan(2025), b.get_plan(2025)
    assert seen_a is not None and seen_b is not None and seen_a.version == seen_b.version == 1
    # only the items change (the title stays): the save counts
    a.save_plan(
        2025,
        [PlanItemInput(month=4, topic="道路运输条例", category="业务知识", planned_hours=2)],
        title=seen_a.title,
        expected_version=seen_a.version,
    )
    with pytest.raises(ConflictError) as caught:
        b.save_plan(2025, [item], title="改过的计划", expected_version=seen_b.version)
    _conflict_says(caught.value, "2025年度培训计划")
    with pytest.raises(ConflictError):  # approving what another clerk changed meanwhile: refused
        b.set_plan_status(2025, "已批准", dt.date(2025, 3, 1), expected_version=seen_b.version)
    now = b.get_plan(2025)
    assert now is not None and now.version == 2 and now.status == "草稿"
    assert [i.topic for i in now.items] == ["道路运输条例"] and now.title == seen_a.title
    b.save_plan(2025, [item], title="改过的计划", expected_version=now.version)
    b.set_plan_status(2025, "已批准", dt.date(2025, 3, 1), expected_version=3)
    final = a.get_plan(2025)
    assert final is not None and (final.title, final.status, final.version) == (
        "改过的计划",
        "已批准",
        4,
    )
    assert [i.topic for i in final.items] == ["行政处罚法"]
    a.save_plan(2025, [item], title="命令行")  # no version: no check
    assert audit.verify_database(pc1).ok


def _input_of(view: object, cls: type) -> object:
    import dataclasses

    return cls(**{f.name: getattr(view, f.name) for f in dataclasses.fields(cls)})


def test_a_save_of_only_the_officers_or_only_the_attendance_counts(
    two_pcs: tuple[Database, Database],
) -> None:
    """A case saved with only its officers changed, a training session saved with only its
    attendance changed: the version goes up all the same, so the other clerk's editor, opened
    before, is refused — nothing of the first save is overwritten in silence."""
    from brigade_desk.ledgers.cases.service import CaseInput, CaseService
    from brigade_desk.ledgers.training.service import AttendanceInput, SessionInput

    a, b = two_pcs
    with a.begin() as s:
        p1, p2 = add_staff(s, "甲"), add_staff(s, "乙")
        s.flush()
        one, two = p1.id, p2.id
        cid = add_case(s, NO, [p1]).id
    seen_a, seen_b = CaseService(a).get(cid), CaseService(b).get(cid)
    data_b = _input_of(seen_b, CaseInput)
    data_b.officer_ids = [one, two]  # type: ignore[attr-defined]
    CaseService(b).save(data_b, cid, version=seen_b.version)  # type: ignore[arg-type]
    data_a = _input_of(seen_a, CaseInput)
    data_a.party = "李四"  # type: ignore[attr-defined]
    with pytest.raises(ConflictError) as err:
        CaseService(a).save(data_a, cid, version=seen_a.version)  # type: ignore[arg-type]
    _conflict_says(err.value, f"案件 {NO}")
    now = CaseService(a).get(cid)
    assert sorted(o.id for o in now.officers) == sorted([one, two]) and now.party != "李四"

    ta, tb = TrainingService(a), TrainingService(b)
    sid = ta.save_session(
        SessionInput(
            start_date=dt.date(2025, 4, 1),
            title="业务培训",
            form="集中轮训",
            category="业务知识",
            hours=4,
        ),
        [AttendanceInput(staff_id=one)],
    )
    va, vb = ta.get_session(sid), tb.get_session(sid)
    tb.save_session(
        _input_of(vb, SessionInput),  # type: ignore[arg-type]
        [AttendanceInput(staff_id=one), AttendanceInput(staff_id=two)],
        sid,
        version=vb.version,
    )
    with pytest.raises(ConflictError) as err:
        ta.save_session(
            _input_of(va, SessionInput),  # type: ignore[arg-type]
            [AttendanceInput(staff_id=one, attended=False, absence_reason="病假")],
            sid,
            version=va.version,
        )
    _conflict_says(err.value, "培训“业务培训”")
    assert sorted(x.staff_id for x in ta.get_session(sid).attendance) == sorted([one, two])
    assert audit.verify_database(a).ok
