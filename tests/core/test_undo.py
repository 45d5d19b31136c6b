"""Undo a delete: every deleted row comes back from the audit trail with its links; refused cleanly
when something now stands in the way."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from cases_support import D, add_case, add_staff
from sqlalchemy import inspect, select, text

from brigade_desk.core import audit, undo
from brigade_desk.core.changes import Changes
from brigade_desk.core.errors import UserError
from brigade_desk.ledgers.cases.models import (
    CaseRecord,
    CaseReview,
    Rectification,
    ReviewItem,
    ReviewSampleCase,
)
from brigade_desk.ledgers.cases.review import (
    ItemScore,
    RectificationInput,
    ReviewService,
    ScoreInput,
)
from brigade_desk.ledgers.cases.service import CaseService
from brigade_desk.ledgers.roster.models import CertAction
from tests.conftest import IDS, add_officer

TABLES = (
    "staff",
    "certificate",
    "certificate_event",
    "staff_event",
    "case_record",
    "case_officer",
    "case_review",
    "review_item",
    "rectification",
    "review_sample_case",
)


def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of the tables a delete touches, as stored (updated_at aside: restoring is an update;
    a timestamp may come back written with ".000000")."""
    out = {}
    with db.session() as s:
        for t in TABLES:
            cols = [
                c["name"]
                for c in inspect(s.connection()).get_columns(t)
                if c["name"] not in ("updated_at", "version")  # (version counts saves)
            ]
            rows = s.execute(text(f"SELECT {', '.join(cols)} FROM {t}"))
            # (a server's default timestamps carry microseconds; the trail keeps whole seconds)
            out[t] = sorted(
                tuple(
                    str(v.replace(microsecond=0) if isinstance(v, dt.datetime) else v).removesuffix(
                        ".000000"
                    )
                    for v in r
                )
                for r in rows
            )
    return out


def verify_ok(db) -> bool:
    with db.session() as s:
        return audit.verify(s).ok


def test_undo_a_person_with_certificates_and_history(db, roster):
    sid = add_officer(roster, IDS[0], "甲", bodycam_no="A1")
    cert = roster.get(sid).certificates[0]
    roster.cert_action(cert.id, CertAction.SUSPEND, date=dt.date(2026, 1, 5), reason="追责")
    add_officer(roster, IDS[1], "乙")
    before = snapshot(db)
    with undo.deleting(db, "人员 甲", Changes.STAFF) as got:
        roster.delete_staff(sid)
    assert len(got) == 1 and got[0].label == "人员 甲"
    assert snapshot(db) != before
    n = undo.undo(db, got[0])
    assert n >= 4  # person, certificate, its events, the person's events
    assert snapshot(db) == before
    assert verify_ok(db)
    with db.session() as s:
        assert [h.action for h in audit.history(s, "staff", sid)][-2:] == ["delete", "create"]


def test_undo_a_case_with_officers_reviews_and_sample(db):
    with db.begin() as s:
        o = [add_staff(s, "甲"), add_staff(s, "乙")]
        for i in range(3):
            add_case(
                s,
                f"2025-处罚-{i:03d}",
                o,
                decided_on=D(2025, 2, 1),
                closed_on=D(2025, 3, 1),
                fine_amount=Decimal("1234.50"),
            )
    rs = ReviewService(db)
    rs.draw_sample(2025, seed=1)
    rid = rs.save_review(
        "2025-处罚-000",
        2025,
        ScoreInput(reviewer="王五", items={"F2": ItemScore(Decimal(2), "未听取申辩")}),
    )
    rs.add_rectification(
        rid,
        RectificationInput(item_code="F2", problem="补正告知程序", assignee="李四"),
        today=D(2026, 1, 20),
    )
    before = snapshot(db)
    cs = CaseService(db)
    case_id = cs.find("2025-处罚-000").id
    with undo.deleting(db, "案件 2025-处罚-000", Changes.CASES) as got:
        cs.delete(case_id)
    with db.session() as s:
        assert s.get(CaseRecord, case_id) is None
        for model in (CaseReview, ReviewItem, Rectification):
            assert not s.scalars(select(model)).all()
        assert not s.scalars(
            select(ReviewSampleCase).where(ReviewSampleCase.case_id == case_id)
        ).all()
    assert verify_ok(db)  # the reviews went through the ORM: in the trail, no false alarm
    undo.undo(db, got[0])
    assert snapshot(db) == before
    assert cs.get(case_id).officer_names == "甲、乙"
    assert rs.review("2025-处罚-000", 2025).score == 98
    assert verify_ok(db)


def test_undo_refused_when_the_number_was_used_again(db):
    with db.begin() as s:
        add_case(s, "案1", [add_staff(s, "甲")])
    cs = CaseService(db)
    cid = cs.find("案1").id
    with undo.deleting(db, "案件 案1", Changes.CASES) as got:
        cs.delete(cid)
    with db.begin() as s:
        add_case(s, "案1", [])  # entered again meanwhile
    after = snapshot(db)
    with pytest.raises(UserError, match="案件 案1"):
        undo.undo(db, got[0])
    assert snapshot(db) == after  # nothing half-restored
    assert verify_ok(db)


def test_nothing_deleted_nothing_to_undo(db, roster):
    with undo.deleting(db, "人员 不存在", Changes.STAFF) as got:
        roster.delete_staff(999)
    assert got == []


def test_gui_delete_then_undo_from_the_edit_menu(gui_ctx, roster, qtbot):
    from brigade_desk.ui.main_window import MainWindow

    sid = add_officer(roster, IDS[0], "甲")
    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    assert not w.undo_action.isEnabled()
    seen = []
    gui_ctx.events.data_changed.connect(seen.append)
    gui_ctx.delete("人员 甲", Changes.STAFF, lambda: roster.delete_staff(sid))
    assert roster.count() == 0 and seen == [Changes.STAFF]
    assert w.undo_action.isEnabled() and "甲" in w.undo_action.text()
    w.undo_action.trigger()
    assert roster.count() == 1 and roster.get(sid).name == "甲"
    assert not w.undo_action.isEnabled() and seen == [Changes.STAFF, Changes.STAFF]


def test_gui_undo_takes_back_several_deletes_newest_first(gui_ctx, roster, qtbot):
    from brigade_desk.ui.main_window import MainWindow

    a, b = add_officer(roster, IDS[0], "甲"), add_officer(roster, IDS[1], "乙")
    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    gui_ctx.delete("人员 甲", Changes.STAFF, lambda: roster.delete_staff(a))
    gui_ctx.delete("人员 乙", Changes.STAFF, lambda: roster.delete_staff(b))
    assert roster.count() == 0 and "乙" in w.undo_action.text()
    w.undo_action.trigger()
    assert [p.name for p in roster.list_staff()] == ["乙"] and "甲" in w.undo_action.text()
    w.undo_action.trigger()
    assert (
        sorted(p.name for p in roster.list_staff()) == ["乙", "甲"]
        and not w.undo_action.isEnabled()
    )
