"""Sampling, scoring with veto items, grades and template versioning."""

from __future__ import annotations

from decimal import Decimal

import pytest
from cases_support import D, add_case, add_staff, db  # noqa: F401

from brigade_desk.core import settings
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.ledgers.cases import settings as cs
from brigade_desk.ledgers.cases.review import (
    FAIL,
    ItemScore,
    RectificationInput,
    ReviewService,
    ScoreInput,
    draw,
    grade_for,
)


def fill_year(db, year=2025, counts=None):  # noqa: F811
    counts = counts or {"行政处罚": 25, "行政检查": 10, "行政强制": 3}
    with db.begin() as s:
        o = [add_staff(s, "甲"), add_staff(s, "乙")]
        for cat, n in counts.items():
            for i in range(n):
                add_case(
                    s,
                    f"{year}-{cat[2:]}-{i:03d}",
                    o,
                    category=cat,
                    filed_on=D(year, 1, 5),
                    decided_on=D(year, 2, 1) if cat != "行政检查" else None,
                    closed_on=D(year, 3, 1),
                )
        # a case closed the next year belongs to the next year's review
        add_case(s, f"{year}-late", o, filed_on=D(year, 12, 1), closed_on=D(year + 1, 1, 10))


def test_draw_is_pure_and_reproducible():
    pool = {"行政处罚": [f"P{i}" for i in range(30)], "行政强制": ["Q1", "Q2"]}
    a = draw(pool, 10, 42)
    assert a == draw(pool, 10, 42)
    assert len(a["行政处罚"]) == 10 and a["行政强制"] == ["Q1", "Q2"]
    assert a != draw(pool, 10, 43)
    # a change in one category does not reshuffle another
    pool2 = {**pool, "行政强制": ["Q1", "Q2", "Q3"]}
    assert draw(pool2, 10, 42)["行政处罚"] == a["行政处罚"]


def test_sample_minimum_exact_fewer_and_stored(db):  # noqa: F811
    fill_year(db)
    svc = ReviewService(db)
    v = svc.draw_sample(2025, seed=7, today=D(2026, 1, 15))
    cats = v.by_category()
    assert len(cats["行政处罚"]) == 10  # 25 files: at least 10
    assert len(cats["行政检查"]) == 10  # exactly 10: all of them
    assert len(cats["行政强制"]) == 3  # fewer: all of them
    assert "2025-late" not in sum(cats.values(), [])
    assert v.population == {"行政处罚": 25, "行政检查": 10, "行政强制": 3}
    stored = svc.sample(2025)
    assert stored.seed == 7 and stored.drawn_on == D(2026, 1, 15) and stored.per_category == 10
    assert stored.by_category() == cats
    # asking again returns the stored sample; a different seed needs an explicit redraw
    assert svc.draw_sample(2025).by_category() == cats
    with pytest.raises(UserError, match="重新抽取"):
        svc.draw_sample(2025, seed=8)
    # same seed on the same cases in a fresh draw -> same files
    again = svc.draw_sample(2025, seed=7, redraw=True, today=D(2026, 2, 1))
    assert again.by_category() == cats and again.drawn_on == D(2026, 2, 1)
    other = svc.draw_sample(2025, seed=8, redraw=True)
    assert other.by_category()["行政处罚"] != cats["行政处罚"]


def test_per_category_minimum_is_a_setting(db):  # noqa: F811
    fill_year(db)
    with db.begin() as s:
        settings.set_value(s, cs.PER_CATEGORY, 12)
    v = ReviewService(db).draw_sample(2025, seed=1)
    assert len(v.by_category()["行政处罚"]) == 12 and len(v.by_category()["行政检查"]) == 10
    v = ReviewService(db).draw_sample(2025, seed=1, per_category=5, redraw=True)
    assert len(v.by_category()["行政处罚"]) == 5


def test_manual_additions_are_marked_and_survive_redraw(db):  # noqa: F811
    fill_year(db)
    svc = ReviewService(db)
    v = svc.draw_sample(2025, seed=3)
    extra = next(
        f"2025-处罚-{i:03d}"
        for i in range(25)
        if f"2025-处罚-{i:03d}" not in v.by_category()["行政处罚"]
    )
    svc.add_to_sample(2025, extra, "群众投诉案件")
    v = svc.sample(2025)
    e = next(x for x in v.entries if x.case_no == extra)
    assert e.manual and e.reason == "群众投诉案件"
    assert v.as_json()["manual"] == [extra]
    with pytest.raises(UserError, match="已在"):
        svc.add_to_sample(2025, extra)
    v2 = svc.draw_sample(2025, seed=3, redraw=True)
    assert extra in v2.as_json()["manual"]
    drawn = next(x.case_no for x in v2.entries if not x.manual)
    with pytest.raises(UserError, match="随机抽取"):
        svc.remove_manual(2025, drawn)
    svc.remove_manual(2025, extra)
    assert extra not in sum(svc.sample(2025).by_category().values(), [])


def test_grades_and_thresholds():
    assert grade_for(Decimal(90), False, Decimal(90), Decimal(70)) == "优秀"
    assert grade_for(Decimal("89.5"), False, Decimal(90), Decimal(70)) == "合格"
    assert grade_for(Decimal(70), False, Decimal(90), Decimal(70)) == "合格"
    assert grade_for(Decimal("69.5"), False, Decimal(90), Decimal(70)) == "不合格"
    assert grade_for(Decimal(100), True, Decimal(90), Decimal(70)) == FAIL


def test_scoring_with_veto_and_remarks(db):  # noqa: F811
    fill_year(db, counts={"行政处罚": 2})
    svc = ReviewService(db)
    t = svc.template()
    assert t.version == 2 and t.total == 100
    # full marks
    rid = svc.save_review(
        "2025-处罚-000", 2025, ScoreInput(reviewer="法制股 王五", reviewed_on=D(2026, 1, 20))
    )
    r = svc.review("2025-处罚-000", 2025)
    assert r.id == rid and r.score == 100 and r.grade == "优秀" and not r.vetoed
    # deductions need a remark
    with pytest.raises(ValidationError) as ei:
        svc.save_review(
            "2025-处罚-001", 2025, ScoreInput(reviewer="王五", items={"D2": ItemScore(Decimal(3))})
        )
    assert "扣分理由" in ei.value.fields["D2"]
    with pytest.raises(ValidationError) as ei:
        svc.save_review(
            "2025-处罚-001",
            2025,
            ScoreInput(reviewer="王五", items={"D2": ItemScore(Decimal(9), "x")}),
        )
    assert "0–8" in ei.value.fields["D2"]
    with pytest.raises(ValidationError) as ei:
        svc.save_review(
            "2025-处罚-001", 2025, ScoreInput(reviewer="王五", vetoes={"A1": "不是否决项"})
        )
    assert "A1" in ei.value.fields["items"]
    with pytest.raises(ValidationError) as ei:
        svc.save_review("2025-处罚-001", 2025, ScoreInput(reviewer=""))
    assert "评查人" in ei.value.fields["reviewer"]
    # 95 points but a veto item: 不合格 whatever the score
    data = ScoreInput(
        reviewer="王五",
        items={"D2": ItemScore(Decimal(3), "询问笔录未签名")},
        vetoes={"V3": "仅一名执法人员在现场"},
    )
    svc.save_review("2025-处罚-001", 2025, data)
    r = svc.review("2025-处罚-001", 2025)
    assert r.score == 95 and r.vetoed and r.grade == "不合格"
    assert r.vetoes == {"V3": "仅一名执法人员在现场"} and r.items["D2"].remark == "询问笔录未签名"
    # thresholds are settings
    with db.begin() as s:
        settings.set_value(s, cs.GRADE_EXCELLENT, 101)
    svc.save_review("2025-处罚-000", 2025, ScoreInput(reviewer="王五"))
    assert svc.review("2025-处罚-000", 2025).grade == "合格"


def test_template_versioning(db):  # noqa: F811
    fill_year(db, counts={"行政处罚": 2})
    svc = ReviewService(db)
    # scored on version 1 explicitly (as an older review would have been)
    svc.save_review(
        "2025-处罚-000",
        2025,
        ScoreInput(reviewer="王五", items={"A4": ItemScore(Decimal(2), "页码缺漏")}),
        version=1,
    )
    r = svc.review("2025-处罚-000", 2025)
    assert r.template.version == 1 and r.template.item("I3") is None and r.score == 98
    # the clerk edits the template in the program -> version 3; old results keep version 1
    body = dict(svc.template().body)
    body["sections"] = [dict(sec) for sec in body["sections"]]
    body["sections"][0]["items"] = [dict(i) for i in body["sections"][0]["items"]]
    body["sections"][0]["items"][0]["title"] = "案卷封面、目录、备考表齐全（修订）"
    t3 = svc.save_template(body, today=D(2026, 3, 1))
    assert t3.version == 3 and svc.template().version == 3
    assert svc.review("2025-处罚-000", 2025).template.version == 1
    # re-saving an existing review keeps its version; a new review takes the newest
    svc.save_review("2025-处罚-000", 2025, ScoreInput(reviewer="王五"))
    assert svc.review("2025-处罚-000", 2025).template.version == 1
    svc.save_review("2025-处罚-001", 2025, ScoreInput(reviewer="王五"))
    r = svc.review("2025-处罚-001", 2025)
    assert r.template.version == 3 and r.template.items[0].title.endswith("（修订）")
    with pytest.raises(ValidationError):
        svc.save_template({"code": "case_review", "sections": []})


def test_rectification_and_summary(db):  # noqa: F811
    fill_year(db, counts={"行政处罚": 3})
    svc = ReviewService(db)
    svc.draw_sample(2025, seed=1)
    rid = svc.save_review(
        "2025-处罚-000",
        2025,
        ScoreInput(
            reviewer="王五",
            vetoes={"V4": "先决定后告知"},
            items={"F2": ItemScore(Decimal(1), "告知书日期晚于决定书")},
        ),
    )
    svc.save_review(
        "2025-处罚-001",
        2025,
        ScoreInput(reviewer="王五", items={"F2": ItemScore(Decimal(2), "未听取申辩")}),
    )
    with pytest.raises(ValidationError) as ei:
        svc.add_rectification(rid, RectificationInput(problem="", assignee=""))
    assert set(ei.value.fields) == {"problem", "assignee"}
    x = svc.add_rectification(
        rid,
        RectificationInput(item_code="F2", problem="补正告知程序", assignee="一中队 李四"),
        today=D(2026, 1, 20),
    )
    rects = svc.rectifications(2025)
    assert rects[0].due_on == D(2026, 2, 19)  # default 30 days
    with pytest.raises(ValidationError) as ei:
        svc.update_rectification(
            x,
            RectificationInput(
                item_code="F2",
                problem="补正告知程序",
                assignee="李四",
                due_on=D(2026, 2, 19),
                done_on=D(2026, 2, 10),
            ),
        )
    assert "evidence" in ei.value.fields
    svc.update_rectification(
        x,
        RectificationInput(
            item_code="F2",
            problem="补正告知程序",
            assignee="李四",
            due_on=D(2026, 2, 19),
            done_on=D(2026, 2, 10),
            evidence="整改报告",
        ),
    )
    sm = svc.summary(2025, as_of=D(2026, 3, 1))
    assert sm.grades["行政处罚"]["不合格"] == 1 and sm.grades["行政处罚"]["优秀"] == 1
    assert sm.defects[0] == ("F2", 2) and sm.vetoes == [("V4", 1)]
    assert (sm.rect_total, sm.rect_done, sm.rect_overdue) == (1, 1, 0)


def test_propose_rectifications_from_deductions(db):  # noqa: F811
    fill_year(db, counts={"行政处罚": 1})
    svc = ReviewService(db)
    rid = svc.save_review(
        "2025-处罚-000",
        2025,
        ScoreInput(
            reviewer="王五",
            items={
                "D2": ItemScore(Decimal(5), "询问笔录未签名"),
                "A1": ItemScore(Decimal(2), "缺目录"),
            },
            vetoes={"V3": "仅一人"},
        ),
    )
    with pytest.raises(ValidationError):
        svc.propose_rectifications(rid, " ")
    assert svc.propose_rectifications(rid, "李四", today=D(2026, 1, 10)) == 3
    assert svc.propose_rectifications(rid, "李四") == 0  # not twice
    rects = {x.item_code: x for x in svc.rectifications(2025)}
    assert set(rects) == {"A1", "D2", "V3"} and rects["D2"].problem.endswith("询问笔录未签名")
    assert rects["V3"].problem.startswith("（否决项）") and rects["A1"].due_on == D(2026, 2, 9)


def test_shipped_templates_are_valid_and_versioned():
    from brigade_desk.ledgers.cases.checklists import parse_template, resource_templates

    bodies = resource_templates()
    versions = sorted(b["version"] for b in bodies if b["code"] == "case_review")
    assert versions == [1, 2]
    for b in bodies:
        t = parse_template(b)
        assert t.total == 100 and len(t.veto) >= 7
        assert {s[1] for s in t.sections} >= {
            "卷面/文书",
            "主体",
            "执法资格",
            "事实证据",
            "定性与法律适用",
            "程序",
            "裁量",
            "送达执行",
            "归档",
        }


def test_sample_of_an_empty_year_is_refused(db):  # noqa: F811
    fill_year(db, counts={"行政处罚": 1})
    with pytest.raises(UserError, match="没有可抽取的案卷"):
        ReviewService(db).draw_sample(2019)
    with pytest.raises(ValidationError):
        ReviewService(db).draw_sample(2025, per_category=0)


def test_review_date_in_the_future_or_before_filing_is_refused(db):  # noqa: F811
    import datetime as dt

    from brigade_desk.core.errors import ValidationError
    from brigade_desk.ledgers.cases.review import ReviewService, ScoreInput

    with db.begin() as s:
        add_case(
            s,
            "乐交执罚〔2025〕5号",
            [add_staff(s, "甲"), add_staff(s, "乙")],
            filed_on=D(2025, 3, 3),
        )
    svc = ReviewService(db)
    for when, word in (
        (dt.date.today() + dt.timedelta(days=40), "晚于今天"),
        (D(2025, 1, 2), "早于立案日期"),
    ):
        try:
            svc.save_review(
                "乐交执罚〔2025〕5号", 2025, ScoreInput(reviewer="王五", reviewed_on=when)
            )
        except ValidationError as e:
            assert word in e.fields["reviewed_on"]
        else:
            raise AssertionError("saved")
    assert svc.save_review(
        "乐交执罚〔2025〕5号", 2025, ScoreInput(reviewer="王五", reviewed_on=D(2026, 1, 5))
    )


def test_template_versions_and_a_version_of_a_named_template(db):  # noqa: F811
    """The template dialog: the code in use, its versions oldest first, any version by code."""
    svc = ReviewService(db)
    code, versions = svc.template_versions()
    assert code == settings.read(db, cs.TEMPLATE_CODE)
    assert [v for v, *_ in versions] == sorted(v for v, *_ in versions) and versions
    newest = versions[-1][0]
    assert svc.template(newest, code).version == newest == svc.template().version
    assert svc.template(versions[0][0], code).version == versions[0][0]
    with pytest.raises(UserError, match="找不到评查表模板“没有这个”"):
        svc.template(None, "没有这个")
