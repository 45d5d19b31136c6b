"""Shared helpers for the training ledger tests (a plain module, not a conftest, to merge cleanly)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from dbtemplate import fresh_db

from brigade_desk.core import idcard
from brigade_desk.core.db import Database
from brigade_desk.ledgers.roster.models import Staff
from brigade_desk.ledgers.training.service import AttendanceInput, SessionInput, TrainingService

_seq = itertools.count(1)


def new_db(tmp_path: Path) -> Database:
    return fresh_db(tmp_path / "t.sqlite")


def id_no(n: int | None = None, male: bool = True) -> str:
    n = next(_seq) if n is None else n
    birth = dt.date(1980, 1, 1) + dt.timedelta(days=n * 37)
    first17 = f"630102{birth:%Y%m%d}{n % 100:02d}{'1' if male else '2'}"
    return first17 + idcard.check_char(first17)


def add_staff(
    db: Database,
    name: str,
    *,
    category: str = "执法人员",
    status: str = "在岗",
    squad: str = "一中队",
    id_number: str | None = None,
) -> int:
    with db.begin() as s:
        p = Staff(
            name=name,
            sex="男",
            id_number=id_number or id_no(),
            squad=squad,
            post="队员",
            category=category,
            status=status,
            bodycam_no="",
            phone="",
            notes="",
        )
        s.add(p)
        s.flush()
        return p.id


def add_session(
    db: Database,
    day: dt.date,
    hours: float,
    people: list[int] | list[AttendanceInput],
    *,
    category: str = "业务知识",
    title: str = "培训",
    end: dt.date | None = None,
    form: str = "集中轮训",
    monthly: bool = False,
) -> int:
    rows = [p if isinstance(p, AttendanceInput) else AttendanceInput(staff_id=p) for p in people]
    data = SessionInput(
        start_date=day,
        end_date=end,
        title=title,
        form=form,
        category=category,
        hours=hours,
        is_monthly_study=monthly,
    )
    return TrainingService(db).save_session(data, rows)
