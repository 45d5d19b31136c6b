"""Every case rule at its edges."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cases_support import D, add_case, add_staff, db  # noqa: F401

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import settings
from brigade_desk.core.workdays import parse_schedule_text, save_schedule
from brigade_desk.ledgers.cases import rules as case_rules
from brigade_desk.ledgers.cases import settings as cs
from brigade_desk.ledgers.cases.models import CaseReview, Rectification
from brigade_desk.ledgers.cases.service import CaseService


def run(db, as_of, rule=None):  # noqa: F811
    with db.session() as s:
        out = case_rules.check(s, as_of)
    return [f for f in out if rule is None or f.rule == rule]


def officers(s):
    return [add_staff(s, "甲"), add_staff(s, "乙")]


def test_registered_and_labels():
    from brigade_desk.ledgers.cases import rules as case_rules

    assert any(rs.check is case_rules.check for rs in REGISTRY.rule_sets())
    assert REGISTRY.rule_labels()["filing_overdue"] == "重大处罚决定未按期备案"


def test_filing_overdue_edges(db):  # noqa: F811
    # decided Fri 26 Sep 2025: 5 working days across National Day -> due 10 Oct 2025
    with db.begin() as s:
        o = officers(s)
        base = dict(
            is_major=True,
            decided_on=D(2025, 9, 26),
            legal_review_on=D(2025, 9, 20),
            collective_on=D(2025, 9, 22),
            published_on=D(2025, 9, 30),
            filed_on=D(2025, 8, 1),
        )
        add_case(s, "A-unfiled", o, **base)
        add_case(s, "A-ontime", o, reported_on=D(2025, 10, 10), **base)
        add_case(s, "A-late", o, reported_on=D(2025, 10, 13), **base)
        add_case(s, "A-notmajor", o, **{**base, "is_major": False})
    assert run(db, D(2025, 10, 10), "filing_overdue") == []  # the due day itself is still in time
    f = run(db, D(2025, 10, 11), "filing_overdue")
    assert sorted(x.ref for x in f) == ["A-late", "A-unfiled"]  # A-late is not filed yet on 11 Oct
    assert all("至今未备案" in x.detail for x in f)
    f = run(db, D(2025, 10, 13), "filing_overdue")
    assert sorted(x.ref for x in f) == ["A-late", "A-unfiled"]
    assert all(x.due == D(2025, 10, 10) for x in f)
    late = next(x for x in f if x.ref == "A-late")
    assert "2025-10-13 才备案" in late.detail and "5 个工作日" in late.detail
    assert late.entity == "case" and late.entity_id


def test_filing_days_and_kind_are_settings(db):  # noqa: F811
    with db.begin() as s:
        add_case(
            s,
            "B1",
            officers(s),
            is_major=True,
            decided_on=D(2025, 9, 26),
            legal_review_on=D(2025, 9, 20),
            collective_on=D(2025, 9, 22),
            published_on=D(2025, 9, 30),
            filed_on=D(2025, 8, 1),
        )
        settings.set_value(s, cs.FILING_KIND, "自然日")  # as a clerk types it
    f = run(db, D(2025, 10, 2), "filing_overdue")
    assert [x.due for x in f] == [D(2025, 10, 1)] and "5 个自然日" in f[0].detail


def test_publication_overdue_spring_festival(db):  # noqa: F811
    # decided 13 Feb 2026: 20 working days with 14 and 28 Feb make-up days -> due 19 Mar 2026
    with db.begin() as s:
        o = officers(s)
        add_case(s, "P-none", o, decided_on=D(2026, 2, 13), filed_on=D(2026, 1, 5))
        add_case(
            s,
            "P-edge",
            o,
            decided_on=D(2026, 2, 13),
            published_on=D(2026, 3, 19),
            filed_on=D(2026, 1, 5),
        )
        add_case(
            s,
            "P-late",
            o,
            decided_on=D(2026, 2, 13),
            published_on=D(2026, 3, 20),
            filed_on=D(2026, 1, 5),
        )
        add_case(
            s,
            "P-inspection",
            o,
            category="行政检查",
            decided_on=D(2026, 2, 13),
            filed_on=D(2026, 1, 5),
        )
    assert run(db, D(2026, 3, 19), "publication_overdue") == []
    f = run(db, D(2026, 3, 20), "publication_overdue")
    assert sorted(x.ref for x in f) == ["P-late", "P-none"] and {x.due for x in f} == {
        D(2026, 3, 19)
    }


def test_unknown_year_deadline_is_flagged(db):  # noqa: F811
    with db.begin() as s:
        add_case(s, "U1", officers(s), decided_on=D(2026, 12, 28), filed_on=D(2026, 11, 2))
    f = run(db, D(2027, 3, 1))
    pub = [x for x in f if x.rule == "publication_overdue"]
    assert len(pub) == 1 and "2027 年" in pub[0].detail and "尚未录入" in pub[0].detail
    unk = [x for x in f if x.rule == "calendar_year_unknown"]
    assert [x.ref for x in unk] == ["2027"]
    # once the clerk enters 2027, the caveat and the calendar finding disappear
    with db.begin() as s:
        save_schedule(
            s,
            parse_schedule_text(2027, "2027-01-01~2027-01-03 元旦\n2027-02-06~2027-02-12 春节", ""),
        )
    f = run(db, D(2027, 3, 1))
    assert not [x for x in f if x.rule == "calendar_year_unknown"]
    pub = [x for x in f if x.rule == "publication_overdue"]
    assert "尚未录入" not in pub[0].detail


def test_legal_review_and_collective_discussion(db):  # noqa: F811
    with db.begin() as s:
        o = officers(s)
        common = dict(
            is_major=True,
            decided_on=D(2025, 6, 10),
            filed_on=D(2025, 5, 5),
            reported_on=D(2025, 6, 11),
            published_on=D(2025, 6, 12),
        )
        add_case(
            s, "L-ok", o, legal_review_on=D(2025, 6, 10), collective_on=D(2025, 6, 10), **common
        )  # same day ok
        add_case(
            s, "L-after", o, legal_review_on=D(2025, 6, 11), collective_on=D(2025, 6, 9), **common
        )
        add_case(s, "L-none", o, **common)
        add_case(s, "L-undecided", o, is_major=True, filed_on=D(2025, 5, 5))
    lr = run(db, D(2025, 7, 1), "legal_review_missing")
    cd = run(db, D(2025, 7, 1), "collective_discussion_missing")
    assert sorted(x.ref for x in lr) == ["L-after", "L-none"]
    assert [x.ref for x in cd] == ["L-none"]
    assert "晚于决定日期" in next(x for x in lr if x.ref == "L-after").detail


def test_hearing_notice_thresholds_per_party_type(db):  # noqa: F811
    with db.begin() as s:
        o = officers(s)
        c = dict(decided_on=D(2025, 6, 20), filed_on=D(2025, 5, 5), published_on=D(2025, 6, 21))
        add_case(s, "H-below", o, fine_amount="9999.99", **c)
        add_case(s, "H-at", o, fine_amount="10000", **c)
        add_case(s, "H-at-ok", o, fine_amount="10000", hearing_notice_on=D(2025, 6, 10), **c)
        add_case(
            s, "H-org-below", o, fine_amount="99999", party_type="单位", party="某运输公司", **c
        )
        add_case(
            s,
            "H-org-at",
            o,
            fine_amount="100000",
            party_type="单位",
            party="某运输公司",
            hearing_notice_on=D(2025, 6, 20),
            **c,
        )
        # notice 16 Jun (Mon): 5 working days run to 23 Jun; decided 20 Jun is inside the period
        add_case(s, "H-too-soon", o, fine_amount="20000", hearing_notice_on=D(2025, 6, 16), **c)
        add_case(
            s,
            "H-waived",
            o,
            fine_amount="20000",
            hearing_notice_on=D(2025, 6, 16),
            notes="当事人书面放弃听证",
            **c,
        )
        add_case(
            s, "H-exact", o, fine_amount="20000", hearing_notice_on=D(2025, 6, 13), **c
        )  # due 20 Jun
        add_case(
            s, "H-confiscation", o, fine_amount="500", confiscation_amount=Decimal("12000"), **c
        )
    f = {x.ref: x for x in run(db, D(2025, 7, 1), "hearing_notice_missing")}
    assert sorted(f) == ["H-at", "H-confiscation", "H-exact", "H-org-at", "H-too-soon"]
    assert "没收违法所得" in f["H-confiscation"].detail
    assert "不早于决定日期" in f["H-org-at"].detail
    assert f["H-too-soon"].due == D(2025, 6, 23)
    with db.begin() as s:
        settings.set_value(s, cs.HEARING_PERSON, 10000.01)
    f = {x.ref for x in run(db, D(2025, 7, 1), "hearing_notice_missing")}
    assert "H-at" not in f


def test_decision_overdue_90_days(db):  # noqa: F811
    with db.begin() as s:
        o = officers(s)
        add_case(s, "D-open", o, filed_on=D(2025, 1, 2))  # due 2 Apr 2025
        add_case(s, "D-simple", o, filed_on=D(2025, 1, 2), procedure="简易")
        add_case(
            s, "D-closed", o, filed_on=D(2025, 1, 2), closed_on=D(2025, 2, 1), notes="撤销立案"
        )
        add_case(
            s,
            "D-decided",
            o,
            filed_on=D(2025, 1, 2),
            decided_on=D(2025, 3, 1),
            published_on=D(2025, 3, 2),
        )
    assert run(db, D(2025, 4, 2), "decision_overdue") == []
    f = run(db, D(2025, 4, 3), "decision_overdue")
    assert [x.ref for x in f] == ["D-open"] and f[0].due == D(2025, 4, 2)


def test_fewer_than_two_certified_officers(db):  # noqa: F811
    with db.begin() as s:
        a = add_staff(s, "持证甲")
        b = add_staff(s, "持证乙")
        expired = add_staff(s, "过期丙", valid_to=D(2025, 1, 31))
        aux = add_staff(s, "辅助丁", certified=False, category="执法辅助人员")
        add_case(s, "O-two", [a, b], filed_on=D(2025, 3, 1))
        add_case(s, "O-expired", [a, expired], filed_on=D(2025, 3, 1))
        add_case(
            s, "O-expired-in-time", [a, expired], filed_on=D(2025, 1, 31)
        )  # still valid that day
        add_case(s, "O-aux", [a, aux], filed_on=D(2025, 3, 1))
        add_case(s, "O-none", [], filed_on=D(2025, 3, 1))
    f = {x.ref: x for x in run(db, D(2025, 4, 1), "case_officers_insufficient")}
    assert sorted(f) == ["O-aux", "O-expired", "O-none"]
    assert "过期丙" in f["O-expired"].detail and "1 人" in f["O-expired"].detail


def test_rectification_overdue(db):  # noqa: F811
    with db.begin() as s:
        c = add_case(
            s,
            "R1",
            officers(s),
            filed_on=D(2024, 3, 1),
            decided_on=D(2024, 4, 1),
            published_on=D(2024, 4, 2),
            closed_on=D(2024, 5, 1),
        )
        r = CaseReview(
            case_id=c.id, year=2024, template_code="case_review", template_version=1, grade="不合格"
        )
        s.add(r)
        s.flush()
        s.add(
            Rectification(
                review_id=r.id,
                item_code="A1",
                problem="缺卷内目录",
                assignee="王五",
                due_on=D(2025, 3, 31),
            )
        )
        s.add(
            Rectification(
                review_id=r.id,
                item_code="A2",
                problem="文书涂改",
                assignee="王五",
                due_on=D(2025, 3, 1),
                done_on=D(2025, 3, 2),
                evidence="补正材料",
            )
        )
    assert run(db, D(2025, 3, 31), "rectification_overdue") == []
    f = run(db, D(2025, 4, 1), "rectification_overdue")
    assert len(f) == 1 and f[0].due == D(2025, 3, 31) and "缺卷内目录" in f[0].detail


def test_lookback_ignores_old_closed_cases(db):  # noqa: F811
    with db.begin() as s:
        add_case(
            s, "OLD", [], filed_on=D(2015, 3, 1), decided_on=D(2015, 4, 1), closed_on=D(2015, 5, 1)
        )
    assert run(db, D(2025, 4, 1)) == []
    assert dt.date.today()


def test_deadline_approaching_reminders(db):  # noqa: F811
    # decided Fri 26 Sep 2025: filing due 10 Oct (after National Day), publication due 30 Oct 2025
    with db.begin() as s:
        add_case(
            s,
            "N1",
            officers(s),
            is_major=True,
            decided_on=D(2025, 9, 26),
            legal_review_on=D(2025, 9, 20),
            collective_on=D(2025, 9, 22),
            filed_on=D(2025, 8, 1),
        )
    f = run(
        db, D(2025, 10, 6), "deadline_approaching"
    )  # in the holiday: 9 and 10 Oct left = 2 working days
    assert [x.due for x in f] == [D(2025, 10, 10)] and "还剩 2 个工作日" in f[0].detail
    assert (
        run(db, D(2025, 9, 26), "deadline_approaching") == []
    )  # decision day: 5 working days left
    assert (
        "还剩 3 个工作日" in run(db, D(2025, 9, 29), "deadline_approaching")[0].detail
    )  # 30 Sep, 9, 10 Oct
    with db.begin() as s:
        settings.set_value(s, cs.REMIND_DAYS, 2)
    assert run(db, D(2025, 9, 29), "deadline_approaching") == []  # 3 left: beyond 2
    f = run(db, D(2025, 10, 10), "deadline_approaching")
    assert "今天是最后一天" in f[0].detail
    assert run(db, D(2025, 10, 11), "deadline_approaching") == []  # now it is overdue instead
    assert run(db, D(2025, 10, 11), "filing_overdue")
    f = run(db, D(2025, 10, 28), "deadline_approaching")
    assert [x.due for x in f] == [D(2025, 10, 30)] and "公示" in f[0].detail


def test_case_deadlines_api_for_reports(db):  # noqa: F811
    with db.session() as s:
        dl = case_rules.CaseDeadlines(s)
        assert dl.filing(D(2025, 9, 26)).due == D(2025, 10, 10)
        assert dl.publication(D(2026, 2, 13)).due == D(2026, 3, 19)
        assert dl.decision(D(2025, 1, 2)).due == D(2025, 4, 2)
        assert dl.filing(D(2026, 12, 30)).provisional


def test_deadline_notes_the_editor_shows(db):  # noqa: F811
    """备案 for a major decision, 公示 for a category published; undecided: the decision deadline of
    an ordinary penalty case only."""
    svc = CaseService(db)
    decided, filed = D(2025, 9, 26), D(2025, 9, 1)
    with db.session() as s:
        dl = case_rules.CaseDeadlines(s)
        filing, publication, decision = (
            dl.filing(decided),
            dl.publication(decided),
            dl.decision(filed),
        )
    notes = svc.deadline_notes(decided, filed, major=True, category="行政处罚", procedure="普通")
    assert notes == [
        f"备案期限 {filing.due:%Y-%m-%d}（{filing.describe()}）{filing.caveat()}",
        f"公示期限 {publication.due:%Y-%m-%d}（{publication.describe()}）{publication.caveat()}",
    ]
    assert (
        svc.deadline_notes(decided, None, major=False, category="行政检查", procedure="普通") == []
    )
    assert svc.deadline_notes(None, filed, major=True, category="行政处罚", procedure="普通") == [
        f"应于 {decision.due:%Y-%m-%d} 前作出决定（{decision.describe()}）"
    ]
    assert svc.deadline_notes(None, filed, major=True, category="行政处罚", procedure="简易") == []
    assert svc.deadline_notes(None, None, major=True, category="行政处罚", procedure="普通") == []
    with db.begin() as s:
        settings.set_value(s, cs.PUBLICATION_CATEGORIES, ["行政检查"])
    assert svc.deadline_notes(
        decided, None, major=False, category="行政检查", procedure="普通"
    ) == [f"公示期限 {publication.due:%Y-%m-%d}（{publication.describe()}）{publication.caveat()}"]
