"""行政执法数据月报: the monthly statistics workbook (due by the 5th for the previous month).

Sheets: 汇总 (the month and the year to date), 分类统计 (by category, domain and procedure), 重大决定,
备案公示 (every decision of the month that must be filed or published, on time or late, on the official
calendar), 复议诉讼移送 (reconsiderations, suits and 行刑衔接 transfers of the month).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from brigade_desk.core.db import Database
from brigade_desk.core.forms.common import form_info
from brigade_desk.core.forms.xlsxform import Col, Formatted, StreamWorkbook
from brigade_desk.core.period import Period
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.cases.models import (
    DOMAINS,
    CaseCategory,
    CaseRecord,
    PartyType,
    Procedure,
)
from brigade_desk.ledgers.cases.stats import (
    LATE,
    MISSING,
    ON_TIME,
    PENDING,
    CaseStats,
    StatsContext,
    case_stats,
    cases_touching,
    zh_date,
)

MONEY = "#,##0.00"
SUMMARY_COLS = [
    Col("序号", 6),
    Col("统计项目", 34),
    Col("本月", 14, "0"),  # counts; the money rows carry their own format (``MONEY_ROWS``)
    Col("本年累计", 14, "0"),
    Col("说明", 56),
]
GROUP_COLS = [
    Col("统计维度", 10),
    Col("分类", 14),
    Col("本月立案", 10, "0"),
    Col("本月作出决定", 12, "0"),
    Col("本月结案", 10, "0"),
    Col("本月罚款（元）", 14, MONEY),
    Col("本月没收（元）", 14, MONEY),
    Col("本年立案", 10, "0"),
    Col("本年作出决定", 12, "0"),
    Col("本年罚款（元）", 14, MONEY),
]
MAJOR_COLS = [
    Col("序号", 6),
    Col("案号", 24),
    Col("当事人", 18),
    Col("案由", 30),
    Col("决定日期", 12),
    Col("罚款（元）", 12, MONEY),
    Col("没收（元）", 12, MONEY),
    Col("法制审核日期", 12),
    Col("集体讨论日期", 12),
    Col("备案期限", 12),
    Col("备案日期", 12),
    Col("备案情况", 12),
]
DEADLINE_COLS = [
    Col("序号", 6),
    Col("案号", 24),
    Col("案件类别", 10),
    Col("当事人", 18),
    Col("决定日期", 12),
    Col("重大", 6),
    Col("备案期限", 12),
    Col("备案日期", 12),
    Col("备案情况", 12),
    Col("公示期限", 12),
    Col("公示日期", 12),
    Col("公示情况", 12),
]
APPEAL_COLS = [
    Col("序号", 6),
    Col("事项", 10),
    Col("日期", 12),
    Col("案号", 24),
    Col("案件类别", 10),
    Col("当事人", 18),
    Col("案由", 30),
    Col("决定日期", 12),
    Col("罚款（元）", 12, MONEY),
]
APPEALS = (
    ("reconsidered_on", "行政复议"),
    ("sued_on", "行政诉讼"),
    ("transferred_on", "行刑衔接移送"),
)


def _state(state: str, provisional: bool) -> str:
    return state + ("（估算）" if provisional else "")


MONEY_ROWS = ("罚款金额（元）", "没收金额（元）")


def _yuan(d: Decimal) -> str:
    return f"{d:.0f}" if d == d.to_integral_value() else f"{d:.2f}"


def summary_rows(m: CaseStats, y: CaseStats, ctx: StatsContext | None = None) -> list[list[Any]]:
    def both(f: Callable[[CaseStats], Any]) -> tuple[Any, Any]:
        return f(m), f(y)

    filing = f"决定后{ctx.filing_period}内备案" if ctx else "决定后法定期限内备案"
    publication = f"决定后{ctx.publication_period}内公示" if ctx else "决定后规定期限内公示"

    items: list[tuple[str, tuple[Any, Any], str]] = [
        ("立案数（件）", both(lambda s: s.filed), "按立案日期"),
        (
            "作出决定数（件）",
            both(lambda s: s.decided),
            "按决定日期；以下罚没、重大、备案、公示、听证均按决定日期统计",
        ),
        ("结案数（件）", both(lambda s: s.closed), "按结案日期"),
        ("罚款案件数（件）", both(lambda s: s.fined_cases), ""),
        ("罚款金额（元）", both(lambda s: s.fines), ""),
        ("没收金额（元）", both(lambda s: s.confiscations), "没收违法所得、非法财物"),
        ("重大行政处罚决定（件）", both(lambda s: s.major), "登记为重大案件的决定"),
        ("  其中决定前经法制审核（件）", both(lambda s: s.major_reviewed), ""),
        ("  其中决定前经集体讨论（件）", both(lambda s: s.major_discussed), ""),
        (
            "应备案（件）",
            both(lambda s: s.filing.total),
            f"重大行政处罚决定，{filing}",
        ),
        ("  按期备案（件）", both(lambda s: s.filing.counts[ON_TIME]), ""),
        ("  逾期备案（件）", both(lambda s: s.filing.counts[LATE]), ""),
        ("  逾期未备案（件）", both(lambda s: s.filing.counts[MISSING]), "期限已过仍未备案"),
        ("  尚在备案期限内（件）", both(lambda s: s.filing.counts[PENDING]), ""),
        (
            "应公示（件）",
            both(lambda s: s.publication.total),
            (
                "、".join(c.value for c in CaseCategory if c.value in ctx.pub_categories)
                if ctx
                else "应公示类别"
            )
            + f"的决定，{publication}",
        ),
        ("  按期公示（件）", both(lambda s: s.publication.counts[ON_TIME]), ""),
        ("  逾期公示（件）", both(lambda s: s.publication.counts[LATE]), ""),
        ("  逾期未公示（件）", both(lambda s: s.publication.counts[MISSING]), "期限已过仍未公示"),
        ("  尚在公示期限内（件）", both(lambda s: s.publication.counts[PENDING]), ""),
        (
            "达到听证告知数额的罚款决定（件）",
            both(lambda s: s.hearing_due),
            (
                f"罚款数额达到个人{_yuan(ctx.thresholds[PartyType.PERSON.value])}元、"
                f"单位{_yuan(ctx.thresholds[PartyType.ORG.value])}元"
                if ctx
                else "罚款数额达到听证告知标准"
            ),
        ),
        ("  其中已告知听证（件）", both(lambda s: s.hearing_notice), ""),
        ("听证告知（件）", both(lambda s: s.hearing_notice_all), "按听证告知日期"),
        ("举行听证（件）", both(lambda s: s.hearings), "执法活动含“听证”的决定"),
        ("行政复议（件）", both(lambda s: s.reconsidered), "按申请复议日期"),
        ("行政诉讼（件）", both(lambda s: s.sued), "按提起诉讼日期"),
        ("行刑衔接移送（件）", both(lambda s: s.transferred), "涉嫌犯罪移送司法机关，按移送日期"),
    ]
    return [
        [i, name, *((Formatted(v, MONEY) for v in vals) if name in MONEY_ROWS else vals), note]
        for i, (name, vals, note) in enumerate(items, start=1)
    ]


def _ordered(values: set[str], order: tuple[str, ...] | list[str]) -> list[str]:
    return [v for v in order if v in values] + sorted(values - set(order))


def group_rows(cases: list[CaseRecord], period: Period) -> list[list[Any]]:
    def inside(d: dt.date | None, start: dt.date) -> bool:
        return d is not None and start <= d <= period.end

    dims: list[tuple[str, Callable[[CaseRecord], str], tuple[str, ...] | list[str]]] = [
        ("案件类别", lambda c: c.category, [x.value for x in CaseCategory]),
        ("执法门类", lambda c: c.domain or "未填写", DOMAINS),
        ("适用程序", lambda c: c.procedure, [x.value for x in Procedure]),
    ]
    rows: list[list[Any]] = []
    for dim, key, order in dims:
        groups: dict[str, list[CaseRecord]] = {}
        for c in cases:
            groups.setdefault(key(c), []).append(c)
        total = [dim, "合计", *[0] * 3, Decimal(0), Decimal(0), 0, 0, Decimal(0)]
        for g in _ordered(set(groups), order):
            cs_ = groups[g]
            row: list[Any] = [dim, g]
            for start, fields in (
                (period.start, ("filed", "decided", "closed", "fine", "conf")),
                (period.year_start, ("filed", "decided", "fine")),
            ):
                for f in fields:
                    if f == "filed":
                        row.append(sum(inside(c.filed_on, start) for c in cs_))
                    elif f == "decided":
                        row.append(sum(inside(c.decided_on, start) for c in cs_))
                    elif f == "closed":
                        row.append(sum(inside(c.closed_on, start) for c in cs_))
                    elif f == "fine":
                        row.append(
                            sum(
                                (
                                    c.fine_amount or Decimal(0)
                                    for c in cs_
                                    if inside(c.decided_on, start)
                                ),
                                Decimal(0),
                            )
                        )
                    else:
                        row.append(
                            sum(
                                (
                                    c.confiscation_amount or Decimal(0)
                                    for c in cs_
                                    if inside(c.decided_on, start)
                                ),
                                Decimal(0),
                            )
                        )
            if any(row[2:]):
                rows.append(row)
                for j in range(2, len(row)):
                    total[j] += row[j]
        rows.append(total)
    return rows


def monthly_workbook_rows(
    session: Session, period: Period, as_of: dt.date
) -> dict[str, list[list[Any]]]:
    """The rows of every sheet (also used by the tests)."""
    ctx = StatsContext(session, as_of)
    ytd_cases = cases_touching(session, period.year_start, period.end)
    month_cases = [
        c
        for c in ytd_cases
        if any(
            period.contains(getattr(c, k))
            for k in (
                "filed_on",
                "decided_on",
                "closed_on",
                "hearing_notice_on",
                "reconsidered_on",
                "sued_on",
                "transferred_on",
            )
        )
    ]
    m = case_stats(session, period.start, period.end, ctx, month_cases)
    y = case_stats(session, period.year_start, period.end, ctx, ytd_cases)
    decided = sorted(
        (c for c in month_cases if period.contains(c.decided_on)),
        key=lambda c: (c.decided_on, c.case_no),
    )
    major: list[list[Any]] = []
    deadlines: list[list[Any]] = []
    for c in decided:
        f = ctx.filing(c)
        p = ctx.publication(c)
        if c.is_major and f is not None:
            major.append(
                [
                    len(major) + 1,
                    c.case_no,
                    c.party,
                    c.cause,
                    c.decided_on,
                    c.fine_amount,
                    c.confiscation_amount,
                    c.legal_review_on,
                    c.collective_on,
                    f[0].due,
                    c.reported_on,
                    _state(f[1], f[0].provisional),
                ]
            )
        if f is not None or p is not None:
            deadlines.append(
                [
                    len(deadlines) + 1,
                    c.case_no,
                    c.category,
                    c.party,
                    c.decided_on,
                    c.is_major,
                    f[0].due if f else None,
                    c.reported_on if f else None,
                    _state(f[1], f[0].provisional) if f else "不需备案",
                    p[0].due if p else None,
                    c.published_on if p else None,
                    _state(p[1], p[0].provisional) if p else "不需公示",
                ]
            )
    appeals: list[list[Any]] = []
    for key, label in APPEALS:
        for c in sorted(
            (c for c in month_cases if period.contains(getattr(c, key))),
            key=lambda c: (getattr(c, key), c.case_no),
        ):
            appeals.append(
                [
                    len(appeals) + 1,
                    label,
                    getattr(c, key),
                    c.case_no,
                    c.category,
                    c.party,
                    c.cause,
                    c.decided_on,
                    c.fine_amount,
                ]
            )
    return {
        "汇总": summary_rows(m, y, ctx),
        "分类统计": group_rows(ytd_cases, period),
        "重大决定": major,
        "备案公示": deadlines,
        "复议诉讼移送": appeals,
    }


def export_monthly(
    db: Database,
    out: Path | str,
    period: Period,
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Path:
    if not period.month:
        raise ValueError("monthly statistics need a month")
    as_of = as_of or dt.date.today()
    with db.session() as s:
        info = form_info(s, as_of)
        if progress:
            progress.update(0, 2, "统计案件")
        data = monthly_workbook_rows(s, period, as_of)
    if progress:
        progress.update(1, 2, "写入工作簿")
    unit = info.unit
    label = period.label
    status_note = (
        f"备案、公示情况按国务院公布的节假日安排计算，截至{zh_date(as_of)}；"
        "“估算”表示该年节假日安排尚未公布或尚未录入，按普通周末计算。"
    )
    with StreamWorkbook(out) as wb:
        wb.add_form_sheet(
            "汇总",
            f"{unit}{label}行政执法数据统计表",
            info,
            SUMMARY_COLS,
            data["汇总"],
            note=f"本年累计为{zh_date(period.year_start)}至{zh_date(min(period.end, as_of))}。{status_note}",
        )
        wb.add_form_sheet(
            "分类统计",
            f"{label}行政执法案件分类统计",
            info,
            GROUP_COLS,
            data["分类统计"],
            note="罚没金额按决定日期统计；只列出本年有案件的分类。",
        )
        wb.add_form_sheet(
            "重大决定",
            f"{label}重大行政处罚决定情况",
            info,
            MAJOR_COLS,
            data["重大决定"],
            note=status_note,
        )
        wb.add_form_sheet(
            "备案公示",
            f"{label}执法决定备案、公示情况",
            info,
            DEADLINE_COLS,
            data["备案公示"],
            note=status_note,
        )
        wb.add_form_sheet(
            "复议诉讼移送",
            f"{label}行政复议、行政诉讼及行刑衔接情况",
            info,
            APPEAL_COLS,
            data["复议诉讼移送"],
        )
    return Path(out)
