"""Template sources from the case register: 案卷评查 (reviews of the year to date) and 重大决定
(major decisions of the period with their filing on the official calendar)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from brigade_desk.core import dialect
from brigade_desk.core.forms.common import fmt_number
from brigade_desk.core.forms.xlsxform import Col
from brigade_desk.core.ledger import Section, SheetData, Source
from brigade_desk.core.period import Period
from brigade_desk.ledgers.cases import checklists
from brigade_desk.ledgers.cases.checklists import Item, Template
from brigade_desk.ledgers.cases.models import (
    CaseCategory,
    CaseRecord,
    CaseReview,
    ReviewSample,
)
from brigade_desk.ledgers.cases.stats import (
    StatsContext,
    YearSpan,
    case_stats,
    cases_touching,
    pct,
    zh_date,
)

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
    Source("案卷评查", REVIEW_FIELDS, review_source_rows, "本年1月1日至期末完成的案卷评查"),
    Source("重大决定", MAJOR_FIELDS, major_rows, "本期作出的重大行政处罚决定及备案是否按期"),
]


def cases_section(session: Session, year: int, as_of: dt.date) -> Section:
    ys = YearSpan.of(year, as_of)
    start, end = ys.start, ys.day
    ctx = StatsContext(session, end)
    cases = cases_touching(session, start, end)
    st = case_stats(session, start, end, ctx, cases)
    rows = [
        ["立案（件）", st.filed, "按立案日期" + (f"，截至{zh_date(end)}" if ys.running else "")],
        ["作出决定（件）", st.decided, "按决定日期"],
        ["结案（件）", st.closed, ""],
        ["罚款金额（元）", st.fines, f"{st.fined_cases}件"],
        ["没收金额（元）", st.confiscations, ""],
        ["重大行政处罚决定（件）", st.major, ""],
        ["听证告知（件）", st.hearing_notice_all, ""],
        ["举行听证（件）", st.hearings, ""],
        ["行政复议（件）", st.reconsidered, "按申请日期"],
        ["行政诉讼（件）", st.sued, "按起诉日期"],
        ["行刑衔接移送（件）", st.transferred, "涉嫌犯罪移送司法机关"],
    ]
    by_cat: dict[str, list[Any]] = {}
    for c in cases:
        r = by_cat.setdefault(c.category, [c.category, 0, 0, 0, Decimal(0), Decimal(0)])
        r[1] += c.filed_on is not None and start <= c.filed_on <= end
        r[3] += c.closed_on is not None and start <= c.closed_on <= end
        if c.decided_on is not None and start <= c.decided_on <= end:
            r[2] += 1
            r[4] += c.fine_amount or 0
            r[5] += c.confiscation_amount or 0
    order = [x.value for x in CaseCategory]
    detail = [by_cat[k] for k in sorted(by_cat, key=lambda k: order.index(k) if k in order else 99)]
    parts = "、".join(f"{r[0]}{r[1]}件" for r in detail if r[1])
    paras = [
        f"{ys.lead}{year}年共立案{st.filed}件（{parts or '无'}），作出决定{st.decided}件，结案{st.closed}件；"
        f"罚款{st.fined_cases}件、金额{fmt_number(st.fines)}元"
        + (f"，没收{fmt_number(st.confiscations)}元" if st.confiscations else "")
        + f"。作出重大行政处罚决定{st.major}件。",
        f"{ys.whole}发生行政复议{st.reconsidered}件、行政诉讼{st.sued}件，向司法机关移送涉嫌犯罪案件{st.transferred}件。",
    ]
    return Section(
        "行政执法办案基本情况",
        paras,
        rows,
        sheet="执法办案",
        detail_sheet="案件分类",
        detail_cols=[
            Col("案件类别", 12),
            Col("立案（件）", 10, "0"),
            Col("作出决定（件）", 12, "0"),
            Col("结案（件）", 10, "0"),
            Col("罚款（元）", 14, "#,##0.00"),
            Col("没收（元）", 14, "#,##0.00"),
        ],
        detail_rows=detail,
    )


class _SessionDb:
    """Lets a service written for a Database run inside the caller's session."""

    def __init__(self, s: Session) -> None:
        self.s = s

    def begin(self) -> contextlib.AbstractContextManager[Session]:
        return contextlib.nullcontext(self.s)

    session = begin


def review_section(session: Session, year: int, as_of: dt.date) -> Section | None:
    from brigade_desk.ledgers.cases.review import (
        CATEGORY_ORDER,
        EXCELLENT,
        FAIL,
        GRADES,
        PASS,
        ReviewService,
    )

    as_of = YearSpan.of(year, as_of).day
    svc = ReviewService(_SessionDb(session))  # type: ignore[arg-type]

    def begun_by(review_year: int) -> bool:
        """The review of ``review_year``'s files had begun by the day (a review done, or the
        sample drawn, on or before it)."""
        first = session.scalar(
            select(func.min(review_date_expr())).where(CaseReview.year == review_year)
        )
        if first is not None and str(first) <= as_of.isoformat():
            return True
        drawn = session.scalar(
            select(ReviewSample.drawn_on).where(ReviewSample.year == review_year)
        )
        return drawn is not None and drawn <= as_of

    # files of a year are reviewed early the next year: the report states the review under way by
    # its day — this year's files, else last year's (a review done after the day belongs to the
    # next report)
    chosen = next((y for y in (year, year - 1) if begun_by(y)), None)
    if chosen is None:
        return Section(
            "案卷评查和整改情况",
            [f"截至{zh_date(as_of)}，尚未开展案卷评查。"],
            [],
            sheet="案卷评查",
        )
    sm = svc.summary(chosen, as_of)
    total = Counter[str]()
    detail = []
    for cat, counts in sorted(
        sm.grades.items(),
        key=lambda kv: CATEGORY_ORDER.index(kv[0]) if kv[0] in CATEGORY_ORDER else 99,
    ):
        total.update(counts)
        detail.append([cat, sum(counts.values()), *[counts[g] for g in GRADES]])
    n = sum(total.values())
    drawn = len(sm.sample.entries) if sm.sample else n
    rows: list[list[Any]] = [
        ["抽取案卷（件）", drawn, f"{sm.year}年度案卷"],
        ["已评查（件）", n, ""],
        ["  优秀（件）", total[EXCELLENT], ""],
        ["  合格（件）", total[PASS], ""],
        ["  不合格（件）", total[FAIL], ""],
        ["  合格率", (total[EXCELLENT] + total[PASS]) / n if n else "—", "（优秀+合格）÷已评查"],
        ["整改事项（项）", sm.rect_total, ""],
        ["  已完成（项）", sm.rect_done, ""],
        ["  逾期未完成（项）", sm.rect_overdue, f"截至{zh_date(as_of)}"],
    ]
    defects = "、".join(f"“{sm.titles.get(c, c)}”（{k}件）" for c, k in sm.defects[:5])
    paras = [
        f"对{sm.year}年度办结的案卷开展评查，抽取{drawn}件，已评查{n}件，其中优秀{total[EXCELLENT]}件、合格{total[PASS]}件、"
        f"不合格{total[FAIL]}件，合格率{pct((total[EXCELLENT] + total[PASS]) / n if n else None)}。"
    ]
    if defects:
        paras.append(f"扣分较多的问题主要有：{defects}。")
    if sm.vetoes:
        paras.append(
            "触及否决项的："
            + "、".join(f"“{sm.titles.get(c, c)}”（{k}件）" for c, k in sm.vetoes)
            + "。"
        )
    paras.append(
        f"评查发现问题已建立整改台账{sm.rect_total}项，已完成{sm.rect_done}项"
        + (f"，逾期未完成{sm.rect_overdue}项，正督促落实。" if sm.rect_overdue else "。")
    )
    return Section(
        "案卷评查和整改情况",
        paras,
        rows,
        sheet="案卷评查",
        detail_sheet="评查等级",
        detail_cols=[
            Col("案件类别", 12),
            Col("评查（件）", 10, "0"),
            *[Col(f"{g}（件）", 10, "0") for g in GRADES],
        ],
        detail_rows=detail,
    )


def review_date_expr():
    return func.coalesce(CaseReview.reviewed_on, dialect.date_of(CaseReview.created_at))


def reviews_between(
    session: Session, start: dt.date, end: dt.date
) -> list[tuple[CaseReview, CaseRecord]]:
    """Reviews done from ``start`` to ``end``, by review year, category and case number."""
    rows = session.execute(
        select(CaseReview, CaseRecord)
        .join(CaseRecord, CaseReview.case_id == CaseRecord.id)
        .options(selectinload(CaseReview.items), selectinload(CaseReview.rectifications))
        .where(review_date_expr() >= start, review_date_expr() <= end)
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
        note=f"统计{zh_date(period.year_start)}至{zh_date(period.so_far)}完成的评查（按评查日期；未填评查日期的按录入日期）；"
        "评查年度为被评查案卷所属年度。",
    )
