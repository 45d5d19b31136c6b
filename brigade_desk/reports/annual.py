"""The annual work report (年度行政执法工作报告): its sections and the data workbook.

A section comes from a provider listed in ``ANNUAL_SECTIONS`` ("module:function"), called as
``fn(session, year)`` or ``fn(session, year, as_of)``; it returns a :class:`Section` (or None when it
has nothing to say). Paragraph strings starting with ``"## "`` are second-level headings. The
training and AV ledgers add their providers to the list (training first, after the roster).

The same sections feed the PDF draft (``annual_pdf``) and the data workbook (one sheet per
section, plus its detail sheet when it has one).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import inspect
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brigade_desk.core import settings
from brigade_desk.core.db import Database
from brigade_desk.core.forms.common import form_info
from brigade_desk.core.forms.xlsxform import Col, Formatted, StreamWorkbook
from brigade_desk.core.period import Period
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.cases.models import CaseCategory
from brigade_desk.ledgers.cases.stats import (
    LATE,
    MISSING,
    ON_TIME,
    PENDING,
    StatsContext,
    case_stats,
    cases_touching,
    pct,
)
from brigade_desk.ledgers.roster.models import CertStatus, Staff, StaffCategory, StaffStatus

ANNUAL_SECTIONS: list[str] = [
    "brigade_desk.reports.annual_ledgers:training_section",
    "brigade_desk.reports.annual:certificates_section",
    "brigade_desk.reports.annual:cases_section",
    "brigade_desk.reports.annual:three_systems_section",
    "brigade_desk.reports.annual:review_section",
]

# parts of （二）执法全过程记录制度 from other ledgers: "module:function"(session, year, as_of) ->
# (paragraphs, figure rows [项目, 数值, 说明]); the AV ledger adds the recordings found for the cases
RECORDING_PARTS: list[str] = ["brigade_desk.reports.annual_ledgers:recording_part"]

FIGURE_COLS = [Col("序号", 6), Col("项目", 40), Col("数值", 14, "#,##0.##"), Col("说明", 50)]


@dataclass
class Section:
    title: str  # first-level heading, without the 一、 numbering
    paragraphs: list[str]
    rows: list[list[Any]] = field(default_factory=list)  # [项目, 数值, 说明] figures
    sheet: str = ""  # sheet name in the data workbook (else the title)
    detail_sheet: str = ""
    detail_cols: Sequence[Col] = ()
    detail_rows: list[list[Any]] = field(default_factory=list)


def _n(x: Decimal | float | int) -> str:
    if isinstance(x, Decimal):
        return f"{x:,.2f}"
    return f"{x:,}" if isinstance(x, int) else f"{x:,.1f}"


def year_as_of(year: int, as_of: dt.date) -> dt.date:
    """The day the year's figures are taken on: its last day, or today for the running year."""
    return min(dt.date(year, 12, 31), as_of)


# ---- 执法人员和执法证件 ------------------------------------------------------------------------


def certificates_section(session: Session, year: int, as_of: dt.date) -> Section:
    from brigade_desk.ledgers.roster.rules import cert_is_valid
    from brigade_desk.reports.quarterly import certificate_sheet

    on = year_as_of(year, as_of)
    staff = session.scalars(select(Staff).options(selectinload(Staff.certificates))).all()
    on_duty = [
        p
        for p in staff
        if p.status == StaffStatus.ON_DUTY or (p.status_date is not None and p.status_date > on)
    ]
    officers = [p for p in on_duty if p.category == StaffCategory.OFFICER]
    aux = [p for p in on_duty if p.category == StaffCategory.AUXILIARY]
    reviewers = [p for p in officers if p.is_legal_reviewer]
    with_valid = [p for p in officers if any(cert_is_valid(c, on) for c in p.certificates)]
    # no valid certificate on the day, but one issued later (the roster has no hiring date: maybe hired later)
    later = [
        p
        for p in officers
        if p not in with_valid
        and p.certificates
        and min(c.issue_date or dt.date.min for c in p.certificates) > on
    ]
    later_note = f"其中{len(later)}人的证件在 {on:%Y-%m-%d} 之后核发" if later else ""
    national = [
        p
        for p in officers
        if any(cert_is_valid(c, on) and c.national_format for c in p.certificates)
    ]
    soon = on + dt.timedelta(days=int(str(settings.get(session, settings.CERT_EXPIRING_DAYS))))
    expiring = [
        p
        for p in with_valid
        if max(c.valid_to or dt.date.max for c in p.certificates if cert_is_valid(c, on)) <= soon
    ]
    left = [
        p
        for p in staff
        if p.status != StaffStatus.ON_DUTY
        and p.status_date is not None
        and dt.date(year, 1, 1) <= p.status_date <= on
    ]
    left_open = [
        p
        for p in left
        if p.category == StaffCategory.OFFICER
        and any(c.status not in (CertStatus.CANCELLED,) for c in p.certificates)
    ]
    ratio = float(str(settings.get(session, settings.LEGAL_REVIEWER_RATIO)))
    share = len(reviewers) / len(officers) if officers else None
    rows = [
        ["在岗执法人员（人）", len(officers), f"截至 {on:%Y-%m-%d}"],
        ["执法辅助人员（人）", len(aux), "不得单独执法，不发执法证件"],
        ["持有效执法证件的执法人员（人）", len(with_valid), ""],
        ["  其中全国统一执法证件（人）", len(national), ""],
        [
            "未持有效证件的在岗执法人员（人）",
            len(officers) - len(with_valid),
            later_note or "不得从事执法活动",
        ],
        ["证件将在提醒期内到期（人）", len(expiring), f"有效期至 {soon:%Y-%m-%d} 前"],
        ["法制审核人员（人）", len(reviewers), f"占执法人员 {pct(share)}，要求不低于 {ratio:g}%"],
        ["本年离岗、调离、退休（人）", len(left), ""],
        ["  其中执法证件尚未注销（人）", len(left_open), "应通过司法行政机关办理注销"],
    ]
    paras = [
        f"截至{on.year}年{on.month}月{on.day}日，本单位在岗执法人员{len(officers)}人、执法辅助人员{len(aux)}人。"
        f"持有效执法证件的执法人员{len(with_valid)}人，其中持全国统一执法证件{len(national)}人；"
        + (
            f"{len(officers) - len(with_valid)}名在岗执法人员未持有效证件"
            + (f"（{later_note}）" if later else "")
            + "，未持证期间不得从事执法活动。"
            if len(officers) > len(with_valid)
            else "在岗执法人员均持证上岗。"
        ),
        f"法制审核人员{len(reviewers)}人，占执法人员的{pct(share)}"
        + ("，达到不低于" if share is not None and share * 100 >= ratio else "，未达到")
        + f"{ratio:g}%的要求。",
    ]
    if left:
        paras.append(
            f"本年度离岗、调离、退休{len(left)}人，"
            + (
                f"其中{len(left_open)}人的执法证件尚未注销，正通过司法行政机关办理。"
                if left_open
                else "执法证件均已按规定注销。"
            )
        )
    if expiring:
        paras.append(
            f"{len(expiring)}人的执法证件将于{soon.year}年{soon.month}月{soon.day}日前到期，应及时办理换发。"
        )
    roster = certificate_sheet(session, Period(year, quarter=4))
    return Section(
        "执法人员和执法证件管理情况",
        paras,
        rows,
        sheet="执法证件",
        detail_sheet="执法人员名册",
        detail_cols=roster.cols,
        detail_rows=list(roster.rows),
    )


# ---- 执法办案 ----------------------------------------------------------------------------------


def cases_section(session: Session, year: int, as_of: dt.date) -> Section:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    ctx = StatsContext(session, as_of)
    cases = cases_touching(session, start, end)
    st = case_stats(session, start, end, ctx, cases)
    rows = [
        ["立案（件）", st.filed, "按立案日期"],
        ["作出决定（件）", st.decided, "按决定日期"],
        ["结案（件）", st.closed, ""],
        ["罚款金额（元）", st.fines, f"{st.fined_cases} 件"],
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
        f"{year}年共立案{st.filed}件（{parts or '无'}），作出决定{st.decided}件，结案{st.closed}件；"
        f"罚款{st.fined_cases}件、金额{_n(st.fines)}元"
        + (f"，没收{_n(st.confiscations)}元" if st.confiscations else "")
        + f"。作出重大行政处罚决定{st.major}件。",
        f"全年发生行政复议{st.reconsidered}件、行政诉讼{st.sued}件，向司法机关移送涉嫌犯罪案件{st.transferred}件。",
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
            Col("罚款(元)", 14, "#,##0.00"),
            Col("没收(元)", 14, "#,##0.00"),
        ],
        detail_rows=detail,
    )


# ---- 三项制度 ----------------------------------------------------------------------------------


def three_systems_section(session: Session, year: int, as_of: dt.date) -> Section:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    ctx = StatsContext(session, as_of)
    st = case_stats(session, start, end, ctx)
    pub, fil = st.publication, st.filing
    rec_paras: list[str] = []
    rec_rows: list[list[Any]] = []
    for ref in RECORDING_PARTS:  # the AV ledger: recordings found for those activities
        mod, _, fn = ref.partition(":")
        ps, rs = getattr(importlib.import_module(mod), fn)(session, year, as_of)
        rec_paras += ps
        rec_rows += rs
    rows = [
        ["应公示的执法决定（件）", pub.total, "决定后 20 个工作日内公示（按设置）"],
        ["  按期公示（件）", pub.counts[ON_TIME], ""],
        ["  逾期公示（件）", pub.counts[LATE], ""],
        ["  逾期未公示（件）", pub.counts[MISSING], f"截至 {as_of:%Y-%m-%d}"],
        ["  尚在期限内（件）", pub.counts[PENDING], ""],
        [
            "  按期公示率",
            pub.rate() if pub.rate() is not None else "—",
            "按期公示 ÷（应公示 − 尚在期限内）",
        ],
        [
            "须全程音像记录的案件（件）",
            st.full_process,
            "本年立案、含查封扣押、强制拆除、暂扣车辆、强制执行",
        ],
        *[[f"  其中{a}（件）", n, ""] for a, n in sorted(st.full_process_by_activity.items())],
        *rec_rows,
        ["重大行政处罚决定（件）", st.major, ""],
        ["  决定前经法制审核（件）", st.major_reviewed, ""],
        ["  决定前经集体讨论（件）", st.major_discussed, ""],
        ["  按期备案（件）", fil.counts[ON_TIME], "决定后 5 个工作日内（按设置）"],
        ["  逾期备案或逾期未备案（件）", fil.counts[LATE] + fil.counts[MISSING], ""],
    ]
    paras = [
        "## （一）行政执法公示制度",
        f"{year}年作出应公示的执法决定{pub.total}件，按期公示{pub.counts[ON_TIME]}件，逾期公示{pub.counts[LATE]}件，"
        f"逾期未公示{pub.counts[MISSING]}件"
        + (f"，{pub.counts[PENDING]}件尚在公示期限内" if pub.counts[PENDING] else "")
        + f"，按期公示率{pct(pub.rate())}。",
        "## （二）执法全过程记录制度",
        (
            f"本年立案的案件中，实施查封扣押、强制拆除等须全程音像记录的执法活动{st.full_process}件（"
            + "、".join(f"{a}{n}件" for a, n in sorted(st.full_process_by_activity.items()))
            + "），均应全程音像记录并归档。"
        )
        if st.full_process
        else "本年立案的案件中没有须全程音像记录的执法活动。",
        *rec_paras,
        "## （三）重大执法决定法制审核制度",
        f"全年作出重大行政处罚决定{st.major}件，决定前经法制审核{st.major_reviewed}件、经集体讨论{st.major_discussed}件；"
        f"按期备案{fil.counts[ON_TIME]}件，逾期备案{fil.counts[LATE]}件，逾期未备案{fil.counts[MISSING]}件。",
    ]
    if st.major > st.major_reviewed:
        paras.append(
            f"有{st.major - st.major_reviewed}件重大决定缺少决定前的法制审核记录，应予核查整改。"
        )
    if pub.provisional or fil.provisional:
        paras.append("注：部分期限涉及尚未录入节假日安排的年份，按普通周末估算。")
    return Section("行政执法“三项制度”落实情况", paras, rows, sheet="三项制度")


# ---- 案卷评查和整改 ---------------------------------------------------------------------------


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

    svc = ReviewService(_SessionDb(session))  # type: ignore[arg-type]
    sm = svc.summary(year, as_of)
    if (
        not sm.reviews
    ):  # files of a year are reviewed early the next year: report the review done this year
        prev = svc.summary(year - 1, as_of)
        if prev.reviews:
            sm = prev
    if not sm.reviews and sm.sample is None:
        return Section(
            "案卷评查和整改情况", [f"{year}年度尚未开展案卷评查。"], [], sheet="案卷评查"
        )
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
    rows = [
        ["抽取案卷（件）", drawn, f"{sm.year}年度案卷"],
        ["已评查（件）", n, ""],
        ["  优秀（件）", total[EXCELLENT], ""],
        ["  合格（件）", total[PASS], ""],
        ["  不合格（件）", total[FAIL], ""],
        ["  合格率", (total[EXCELLENT] + total[PASS]) / n if n else "—", "优秀与合格之和 ÷ 已评查"],
        ["整改事项（项）", sm.rect_total, ""],
        ["  已完成（项）", sm.rect_done, ""],
        ["  逾期未完成（项）", sm.rect_overdue, f"截至 {as_of:%Y-%m-%d}"],
    ]
    defects = "、".join(f"{sm.titles.get(c, c)}（{k}件）" for c, k in sm.defects[:5])
    paras = [
        f"对{sm.year}年度办结的案卷开展评查，抽取{drawn}件，已评查{n}件，其中优秀{total[EXCELLENT]}件、合格{total[PASS]}件、"
        f"不合格{total[FAIL]}件，合格率{pct((total[EXCELLENT] + total[PASS]) / n if n else None)}。"
    ]
    if defects:
        paras.append(f"扣分较多的问题主要有：{defects}。")
    if sm.vetoes:
        paras.append(
            "触及否决项的："
            + "、".join(f"{sm.titles.get(c, c)}（{k}件）" for c, k in sm.vetoes)
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


# ---- assembling --------------------------------------------------------------------------------


def annual_sections(
    session: Session, year: int, as_of: dt.date, progress: Progress | None = None
) -> list[Section]:
    out = []
    for i, ref in enumerate(ANNUAL_SECTIONS):
        if progress:
            progress.update(i, len(ANNUAL_SECTIONS), ref.rsplit(":", 1)[-1])
        mod, _, fn = ref.partition(":")
        f = getattr(importlib.import_module(mod), fn)
        sec = (
            f(session, year, as_of)
            if len(inspect.signature(f).parameters) >= 3
            else f(session, year)
        )
        if sec is not None:
            out.append(sec)
    return out


def export_annual_workbook(
    db: Database,
    out: Path | str,
    year: int,
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Path:
    as_of = as_of or dt.date.today()
    with db.session() as s:
        info = form_info(s, as_of)
        sections = annual_sections(s, year, as_of, progress)
    used: set[str] = set()
    with StreamWorkbook(out) as wb:
        for sec in sections:
            name = (sec.sheet or sec.title)[:31]
            while name in used:
                name = name[:29] + f"{len(used)}"
            used.add(name)
            wb.add_form_sheet(
                name,
                f"{info.unit}{year}年度{sec.title}",
                info,
                FIGURE_COLS,
                _percentages([i, *r] for i, r in enumerate(sec.rows, start=1)),
                # the summary text wraps inside its merged row instead of widening the printed page
                note="".join(p for p in sec.paragraphs if not p.startswith("## ")),
                wrap_note=True,
            )
            if sec.detail_sheet:
                wb.add_form_sheet(
                    sec.detail_sheet[:31],
                    f"{year}年度{sec.detail_sheet}",
                    info,
                    sec.detail_cols,
                    _percentages(sec.detail_rows),
                )
    return Path(out)


def _percentages(rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """A rate (an item in the second column ending with 率, a fraction in the third) shows as 0.0%."""
    for row in rows:
        if (
            len(row) > 2
            and isinstance(row[1], str)
            and row[1].strip().endswith("率")
            and isinstance(row[2], float | Decimal)
        ):
            row = [row[0], row[1], Formatted(row[2], "0.0%"), *row[3:]]
        yield row
