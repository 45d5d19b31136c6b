"""Replacing a training plan's items is in the audit trail: the items removed, and the sessions that
lose their link to them (found by the soak test on a server: audit verify failed afterwards)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from brigade_desk.core import audit
from brigade_desk.core.db import open_database
from brigade_desk.ledgers.training.service import PlanItemInput, SessionInput, TrainingService


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "计划.sqlite")
    return str(request.getfixturevalue("pg_url"))


def test_replacing_plan_items_is_audited(target: str) -> None:
    db = open_database(target)
    try:
        svc = TrainingService(db)
        items = [
            PlanItemInput(
                month=m,
                topic=f"专题{m}",
                form="法治讲堂",
                category="公共法律知识",
                planned_hours=2,
                organiser="",
            )
            for m in (1, 2, 3)
        ]
        svc.save_plan(2026, items)
        plan = svc.get_plan(2026)
        linked = plan.items[1].id
        sid = svc.save_session(
            SessionInput(
                start_date=dt.date(2026, 2, 5),
                title="专题2",
                form="法治讲堂",
                category="公共法律知识",
                hours=2,
                plan_item_id=linked,
            ),
            [],
        )
        svc.save_plan(2026, items[:2])  # the items replaced: the session's link goes
        assert svc.get_session(sid).plan_item_id is None
        res = audit.verify_database(db)
        assert res.ok, res.problem
        with db.session() as s:
            deletes = s.scalar(
                select(func.count()).where(
                    audit.AuditEntry.table_name == "training_plan_item",
                    audit.AuditEntry.action == "delete",
                )
            )
            hist = audit.history(s, "training_session", sid)
        assert deletes == 3
        assert ("plan_item_id", linked, None) in hist[-1].changes
    finally:
        db.close()
