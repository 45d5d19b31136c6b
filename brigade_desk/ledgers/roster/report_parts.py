"""Template sources from the roster: 执法证件 (one row per person with their current certificate)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.ledger import Section, SheetData, Source
from brigade_desk.core.period import Period, year_as_of
from brigade_desk.ledgers.cases.stats import pct, zh_date
from brigade_desk.ledgers.roster import settings as roster_settings
from brigade_desk.ledgers.roster.asof import CertOn, PersonOn, roster_on
from brigade_desk.ledgers.roster.models import Certificate, CertStatus, StaffCategory
from brigade_desk.ledgers.roster.service import EXPIRED

FIELDS = (
    "序号",
    "姓名",
    "性别",
    "身份证号",
    "中队",
    "职务",
    "人员类别",
    "法制审核人员",
    "一线执法",
    "在岗状态",
    "状态变更日期",
    "执法证号",
    "发证机关",
    "发证日期",
    "有效期至",
    "全国统一证件",
    "证件状态",
    "执法记录仪编号",
    "联系电话",
    "备注",
)


def certificate_rows(session: Session, period: Period) -> list[dict[str, Any]]:
    """People on the roster during the period (in post on its last day so far, or left during it),
    each with status, squad and certificate as they were on that day (``roster.asof``)."""
    return rows_on(session, period.start, period.so_far)


def rows_on(session: Session, start: dt.date, day: dt.date) -> list[dict[str, Any]]:
    """People in post on ``day`` or who left from ``start`` to ``day``, as they were on ``day``."""
    rows: list[dict[str, Any]] = []
    for p in roster_on(session, day):
        # a leaver whose leaving date is unknown is listed (they may have left during the period)
        if not p.in_post and p.status_date is not None and p.status_date < start:
            continue
        c = p.current_cert
        rows.append(
            {
                "序号": len(rows) + 1,
                "姓名": p.name,
                "性别": p.sex,
                "身份证号": p.id_number,
                "中队": p.squad,
                "职务": p.post,
                "人员类别": p.category,
                "法制审核人员": p.is_legal_reviewer,
                "一线执法": p.is_front_line,
                "在岗状态": p.status,
                "状态变更日期": p.status_date,
                "执法证号": c.cert_no if c else "",
                "发证机关": c.issuer if c else "",
                "发证日期": c.issue_date if c else None,
                "有效期至": c.valid_to if c else None,
                "全国统一证件": c.national_format if c else None,
                "证件状态": _cert_state(c) if c else "",
                "执法记录仪编号": p.bodycam_no,
                "联系电话": p.phone,
                "备注": p.notes,
            }
        )
    return rows


def _cert_state(c: CertOn) -> str:
    """The status as the clerk reads it: 有效 on paper but past its term is 已过期."""
    if c.status == CertStatus.VALID and c.valid_to is not None and c.valid_to < c.day:
        return EXPIRED
    return c.status


SOURCES = [
    Source("执法证件", FIELDS, certificate_rows, "执法人员花名册及其当前执法证件"),
    Source("花名册", FIELDS, certificate_rows, "同“执法证件”"),
]


def certificate_sheet(session: Session, period: Period) -> SheetData:
    from brigade_desk.ledgers.roster.exports import ROSTER_COLS

    rows = [[r[k] for k in FIELDS] for r in certificate_rows(session, period)]
    running = "（本季度尚未结束）" if period.so_far < period.end else ""
    return SheetData(
        f"{period.label}执法人员及执法证件情况",
        ROSTER_COLS,
        rows,
        note=f"在岗状态、中队和执法证件均为{zh_date(period.so_far)}的情况{running}；"
        "含本季度内离岗、调离、退休人员。",
    )


@dataclass(frozen=True)
class CertificateFigures:
    """The roster's figures on one day (``roster.asof``): what the annual report states."""

    day: dt.date
    officers: list[PersonOn]  # 执法人员 in post on the day
    auxiliaries: list[PersonOn]
    reviewers: list[PersonOn]
    with_valid: list[PersonOn]
    national: list[PersonOn]
    issued_later: list[PersonOn]  # no valid certificate on the day, one issued after it
    expiring: list[PersonOn]
    expiring_until: dt.date
    left_this_year: list[PersonOn]  # left from 1 January to the day
    left_open: list[PersonOn]  # of those, officers holding a certificate not cancelled on the day
    earlier_open: list[
        PersonOn
    ]  # left before 1 January, certificate still not cancelled on the day
    ratio: float

    @property
    def without_valid(self) -> list[PersonOn]:
        ids = {p.id for p in self.with_valid}
        return [p for p in self.officers if p.id not in ids]

    @property
    def share(self) -> float | None:
        return len(self.reviewers) / len(self.officers) if self.officers else None


def certificate_figures(session: Session, year: int, on: dt.date) -> CertificateFigures:
    roster = roster_on(session, on)
    in_post = [p for p in roster if p.in_post]
    officers = [p for p in in_post if p.is_officer]
    with_valid = [p for p in officers if p.has_valid_cert]
    valid_ids = {p.id for p in with_valid}
    holders = set(session.scalars(select(Certificate.staff_id).distinct()))
    issued_later = [
        p for p in officers if p.id not in valid_ids and not p.certificates and p.id in holders
    ]
    soon = on + dt.timedelta(
        days=int(str(settings.get(session, roster_settings.CERT_EXPIRING_DAYS)))
    )
    expiring = [
        p
        for p in with_valid
        if max(c.valid_to or dt.date.max for c in p.certificates if c.valid) <= soon
    ]
    first = dt.date(year, 1, 1)
    left = [p for p in roster if p.has_left]
    this_year = [p for p in left if p.status_date is not None and p.status_date >= first]
    ids = {p.id for p in this_year}
    return CertificateFigures(
        day=on,
        officers=officers,
        auxiliaries=[p for p in in_post if p.category == StaffCategory.AUXILIARY],
        reviewers=[p for p in officers if p.is_legal_reviewer],
        with_valid=with_valid,
        national=[
            p for p in officers if any(c.valid and c.national_format for c in p.certificates)
        ],
        issued_later=issued_later,
        expiring=expiring,
        expiring_until=soon,
        left_this_year=this_year,
        left_open=[p for p in this_year if p.open_certificates],
        earlier_open=[p for p in left if p.id not in ids and p.open_certificates],
        ratio=float(str(settings.get(session, roster_settings.LEGAL_REVIEWER_RATIO))),
    )


def certificates_section(session: Session, year: int, as_of: dt.date) -> Section:
    on = year_as_of(year, as_of)
    f = certificate_figures(session, year, on)
    officers, with_valid = f.officers, f.with_valid
    missing = len(officers) - len(with_valid)
    later_note = (
        ""
        if not f.issued_later
        else f"证件均在{zh_date(on)}之后核发"
        if len(f.issued_later) == missing
        else f"其中{len(f.issued_later)}人的证件在{zh_date(on)}之后核发"
    )
    share, ratio = f.share, f.ratio
    rows: list[list[Any]] = [
        ["在岗执法人员（人）", len(officers), f"截至{zh_date(on)}"],
        ["执法辅助人员（人）", len(f.auxiliaries), "不得单独执法，不发执法证件"],
        ["持有效执法证件的执法人员（人）", len(with_valid), ""],
        ["  其中全国统一执法证件（人）", len(f.national), ""],
        ["未持有效证件的在岗执法人员（人）", missing, later_note or "不得从事执法活动"],
        ["证件将在提醒期内到期（人）", len(f.expiring), f"有效期至{zh_date(f.expiring_until)}前"],
        [
            "法制审核人员（人）",
            len(f.reviewers),
            f"占执法人员{pct(share)}，要求不低于{ratio:g}%",
        ],
        ["本年离岗、调离、退休（人）", len(f.left_this_year), ""],
        ["  其中执法证件尚未注销（人）", len(f.left_open), "应通过司法行政机关办理注销"],
        ["往年离岗人员证件未注销（人）", len(f.earlier_open), ""],
    ]
    paras = [
        f"截至{zh_date(on)}，本单位在岗执法人员{len(officers)}人、执法辅助人员{len(f.auxiliaries)}人。"
        f"持有效执法证件的执法人员{len(with_valid)}人，其中持全国统一执法证件{len(f.national)}人；"
        + (
            f"{missing}名在岗执法人员未持有效证件"
            + (f"（{later_note}）" if later_note else "")
            + "，未持证期间不得从事执法活动。"
            if missing
            else "在岗执法人员均持证上岗。"
        ),
        f"法制审核人员{len(f.reviewers)}人，占执法人员的{pct(share)}"
        + ("，达到不低于" if share is not None and share * 100 >= ratio else "，未达到")
        + f"{ratio:g}%的要求。",
    ]
    if f.left_this_year:
        paras.append(
            f"本年度离岗、调离、退休{len(f.left_this_year)}人，"
            + (
                f"其中{len(f.left_open)}人的执法证件尚未注销，正通过司法行政机关办理"
                if f.left_open
                else "执法证件均已注销"
            )
            + (
                f"；另有往年离岗的{len(f.earlier_open)}人执法证件尚未注销，正督促办理。"
                if f.earlier_open
                else "。"
            )
        )
    elif f.earlier_open:
        paras.append(
            f"本年度无人员离岗；往年离岗的{len(f.earlier_open)}人执法证件尚未注销，正督促办理。"
        )
    if f.expiring:
        paras.append(
            f"{len(f.expiring)}人的执法证件将于{zh_date(f.expiring_until)}前到期，应及时办理换发。"
        )
    from brigade_desk.ledgers.roster.exports import ROSTER_COLS

    detail = [[r[k] for k in FIELDS] for r in rows_on(session, dt.date(year, 1, 1), on)]
    return Section(
        "执法人员和执法证件管理情况",
        paras,
        rows,
        sheet="执法证件",
        detail_sheet="执法人员名册",
        detail_cols=ROSTER_COLS,
        detail_rows=detail,
    )
