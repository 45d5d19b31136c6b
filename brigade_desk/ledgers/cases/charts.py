"""Dashboard figures from the case review: grades by category in the latest review year."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brigade_desk.core.ledger import ChartSpec
from brigade_desk.ledgers.cases.models import CaseRecord, CaseReview

GRADES = ("优秀", "合格", "不合格")


def charts(session: Session, as_of: dt.date) -> list[ChartSpec]:
    year = session.scalar(select(func.max(CaseReview.year)).where(CaseReview.grade != ""))
    if year is None:
        return [
            ChartSpec(
                "review_grades",
                "案卷评查等次（尚无评查结果）",
                "stacked",
                [],
                {g: [] for g in GRADES},
            )
        ]
    rows = session.execute(
        select(CaseRecord.category, CaseReview.grade, func.count())
        .join(CaseRecord, CaseReview.case_id == CaseRecord.id)
        .where(CaseReview.year == year, CaseReview.grade != "")
        .group_by(CaseRecord.category, CaseReview.grade)
    ).all()
    cats = sorted({c for c, _g, _n in rows})
    series = {g: [0.0] * len(cats) for g in GRADES}
    for c, g, n in rows:
        if g in series:
            series[g][cats.index(c)] = float(n)
    return [
        ChartSpec(
            "review_grades",
            f"{year}年案卷评查等次（按类别）",
            "stacked",
            cats,
            series,
            y_label="卷数",
        )
    ]
