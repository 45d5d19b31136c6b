"""The 案卷评查 sheet of the quarterly upload workbook.

The case-file review is yearly (the files of year Y are usually reviewed early in Y+1), so the sheet
covers the year to date: every review whose review date (or, when the reviewer left it empty, the
date it was entered) falls between 1 January and the quarter's end, whichever year's files it
reviews (shown in 评查年度). Main defects are the items that lost points (and the veto items hit);
the rectification status is worked out on the quarter's end.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from brigade_desk.core.forms.xlsxform import Col
from brigade_desk.core.period import Period
from brigade_desk.ledgers.cases import checklists
from brigade_desk.ledgers.cases.checklists import Item, Template
from brigade_desk.ledgers.cases.models import CaseRecord, CaseReview
from brigade_desk.reports.quarterly import SheetData

REVIEW_COLS = [
    Col("序号", 6),
    Col("评查年度", 8, "0"),
    Col("案号", 24),
    Col("案件类别", 10),
    Col("案由", 30),
    Col("当事人", 18),
    Col("决定日期", 12),
    Col("评查人", 10),
    Col("评查日期", 12),
    Col("得分", 7, "0.0"),
    Col("评查等级", 8),
    Col("否决项", 20),
    Col("主要问题", 48),
    Col("整改情况", 24),
]


def review_date_expr():  # type: ignore[no-untyped-def]
    return func.coalesce(CaseReview.reviewed_on, func.date(CaseReview.created_at))


def reviews_between(
    session: Session, start: dt.date, end: dt.date
) -> list[tuple[CaseReview, CaseRecord]]:
    """Reviews done from ``start`` to ``end``, by review year, category and case number."""
    rows = session.execute(
        select(CaseReview, CaseRecord)
        .join(CaseRecord, CaseReview.case_id == CaseRecord.id)
        .options(selectinload(CaseReview.items), selectinload(CaseReview.rectifications))
        .where(review_date_expr() >= start.isoformat(), review_date_expr() <= end.isoformat())
        .order_by(CaseReview.year, CaseRecord.category, CaseRecord.case_no)
    ).all()
    return [(r, c) for r, c in rows]


MAX_DEFECTS = 3  # the sheet is for upload: the full list is in the 案卷评查 export


def _short(title: str, n: int = 14) -> str:
    return title if len(title) <= n else title[:n] + "…"


def defects_text(r: CaseReview, t: Template) -> tuple[str, str]:
    """(veto items hit, items that lost points) as readable text."""
    vetoes, lost = [], []
    for i in r.items:
        item = t.item(i.item_code)
        title = item.title if item else i.item_code
        if i.veto_hit:
            vetoes.append(f"{i.item_code} {title}")
        elif isinstance(item, Item) and i.score is not None and i.score < item.points:
            lost.append(
                f"{i.item_code} {_short(title)}（扣{(item.points - i.score).normalize():f}分）"
            )
    more = f"等{len(lost)}项" if len(lost) > MAX_DEFECTS else ""
    return "；".join(vetoes), "；".join(lost[:MAX_DEFECTS]) + more


def rectification_state(r: CaseReview, on: dt.date) -> str:
    rects = r.rectifications
    if not rects:
        return "无需整改" if r.grade != "不合格" else "未安排整改"
    done = sum(1 for x in rects if x.done_on and x.done_on <= on)
    overdue = sum(
        1 for x in rects if not (x.done_on and x.done_on <= on) and x.due_on and x.due_on < on
    )
    if done == len(rects):
        return f"已完成（{done}项）"
    text = f"{len(rects)}项，已完成{done}项"
    return text + (f"，逾期{overdue}项" if overdue else "")


def review_rows(session: Session, period: Period) -> list[list[Any]]:
    templates: dict[tuple[str, int], Template] = {}
    rows: list[list[Any]] = []
    for r, c in reviews_between(session, period.year_start, period.end):
        key = (r.template_code, r.template_version)
        if key not in templates:
            templates[key] = checklists.get_template(session, *key)
        vetoes, lost = defects_text(r, templates[key])
        rows.append(
            [
                len(rows) + 1,
                r.year,
                c.case_no,
                c.category,
                c.cause,
                c.party,
                c.decided_on,
                r.reviewer,
                r.reviewed_on,
                r.score,
                r.grade,
                vetoes or ("否" if not r.vetoed else "是"),
                lost,
                rectification_state(r, period.end),
            ]
        )
    return rows


def review_sheet(session: Session, period: Period) -> SheetData:
    rows = review_rows(session, period)
    return SheetData(
        f"行政执法案卷评查情况（{period.year}年1月1日至{period.so_far.month}月{period.so_far.day}日）",
        REVIEW_COLS,
        rows,
        note=f"统计 {period.year_start:%Y-%m-%d} 至 {period.so_far:%Y-%m-%d} 完成的评查（按评查日期；未填评查日期的按录入日期）；"
        "评查年度为被评查案卷所属年度。",
    )
