"""Template sources from the case register: 案卷评查 (reviews of the year to date) and 重大决定
(major decisions of the period with their filing on the official calendar)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brigade_desk.core.period import Period
from brigade_desk.ledgers.cases.models import CaseRecord
from brigade_desk.ledgers.cases.quarterly import REVIEW_COLS, review_rows
from brigade_desk.ledgers.cases.stats import StatsContext
from brigade_desk.reports.sources import Source

REVIEW_FIELDS = tuple(c.header for c in REVIEW_COLS)
MAJOR_FIELDS = (
    "序号",
    "案号",
    "当事人",
    "当事人类型",
    "案由",
    "罚款金额",
    "没收金额",
    "法制审核日期",
    "集体讨论日期",
    "决定日期",
    "备案期限",
    "备案日期",
    "备案情况",
)


def review_source_rows(session: Session, period: Period) -> list[dict[str, Any]]:
    return [dict(zip(REVIEW_FIELDS, r, strict=True)) for r in review_rows(session, period)]


def major_rows(session: Session, period: Period) -> list[dict[str, Any]]:
    ctx = StatsContext(session, dt.date.today())
    cases = session.scalars(
        select(CaseRecord)
        .where(
            CaseRecord.is_major.is_(True), CaseRecord.decided_on.between(period.start, period.end)
        )
        .order_by(CaseRecord.decided_on, CaseRecord.case_no)
    ).all()
    out: list[dict[str, Any]] = []
    for c in cases:
        f = ctx.filing(c)
        assert f is not None
        out.append(
            dict(
                zip(
                    MAJOR_FIELDS,
                    (
                        len(out) + 1,
                        c.case_no,
                        c.party,
                        c.party_type,
                        c.cause,
                        c.fine_amount,
                        c.confiscation_amount,
                        c.legal_review_on,
                        c.collective_on,
                        c.decided_on,
                        f[0].due,
                        c.reported_on,
                        f[1],
                    ),
                    strict=True,
                )
            )
        )
    return out


SOURCES = [
    Source("案卷评查", REVIEW_FIELDS, review_source_rows, "本年 1 月 1 日至期末完成的案卷评查"),
    Source("重大决定", MAJOR_FIELDS, major_rows, "本期作出的重大行政处罚决定及备案是否按期"),
]
