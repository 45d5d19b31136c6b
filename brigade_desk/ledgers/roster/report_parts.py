"""Template sources from the roster: 执法证件 (one row per person with their current certificate)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from brigade_desk.core import settings
from brigade_desk.core.ledger import Section, SheetData, Source
from brigade_desk.core.period import Period, year_as_of
from brigade_desk.ledgers.cases.stats import (
    pct,
)
from brigade_desk.ledgers.roster import settings as roster_settings
from brigade_desk.ledgers.roster.models import (
    Certificate,
    CertStatus,
    Staff,
    StaffCategory,
    StaffStatus,
)

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
    """People on the roster during the period (on duty, or left during or after it)."""
    on_roster = or_(
        Staff.status == StaffStatus.ON_DUTY,
        Staff.status_date.is_(None),
        Staff.status_date >= period.start,
    )
    certs: dict[int, list[tuple[Any, ...]]] = {}
    for staff_id, *cert in session.execute(
        select(
            Certificate.staff_id,
            Certificate.id,
            Certificate.cert_no,
            Certificate.issuer,
            Certificate.issue_date,
            Certificate.valid_to,
            Certificate.national_format,
            Certificate.status,
        )
        .join(Staff, Staff.id == Certificate.staff_id)
        .where(on_roster)
    ):
        certs.setdefault(staff_id, []).append(tuple(cert))

    def current(
        cs: list[tuple[Any, ...]],
    ) -> tuple[Any, ...]:  # the newest certificate not cancelled, else the newest
        live = [c for c in cs if c[6] != CertStatus.CANCELLED]
        return max(live or cs, key=lambda c: (c[3] or c[4] or period.start, c[0]))

    rows: list[dict[str, Any]] = []
    for (
        sid,
        name,
        sex,
        id_number,
        squad,
        post,
        category,
        legal,
        front,
        status,
        status_date,
        bodycam,
        phone,
        notes,
    ) in session.execute(
        select(
            Staff.id,
            Staff.name,
            Staff.sex,
            Staff.id_number,
            Staff.squad,
            Staff.post,
            Staff.category,
            Staff.is_legal_reviewer,
            Staff.is_front_line,
            Staff.status,
            Staff.status_date,
            Staff.bodycam_no,
            Staff.phone,
            Staff.notes,
        )
        .where(on_roster)
        .order_by(Staff.squad, Staff.name, Staff.id)
    ):
        cs = certs.get(sid)
        _id, cert_no, issuer, issue_date, valid_to, national, cstatus = (
            current(cs) if cs else (None, "", "", None, None, None, "")
        )
        rows.append(
            {
                "序号": len(rows) + 1,
                "姓名": name,
                "性别": sex,
                "身份证号": id_number,
                "中队": squad,
                "职务": post,
                "人员类别": category,
                "法制审核人员": legal,
                "一线执法": front,
                "在岗状态": status,
                "状态变更日期": status_date,
                "执法证号": cert_no,
                "发证机关": issuer,
                "发证日期": issue_date,
                "有效期至": valid_to,
                "全国统一证件": national,
                "证件状态": cstatus,
                "执法记录仪编号": bodycam,
                "联系电话": phone,
                "备注": notes,
            }
        )
    return rows


SOURCES = [
    Source("执法证件", FIELDS, certificate_rows, "执法人员花名册及其当前执法证件"),
    Source("花名册", FIELDS, certificate_rows, "同“执法证件”"),
]


def certificate_sheet(session: Session, period: Period) -> SheetData:
    from brigade_desk.ledgers.roster.exports import ROSTER_COLS
    from brigade_desk.ledgers.roster.report_parts import certificate_rows

    keys = [
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
    ]
    rows = [[r[k] for k in keys] for r in certificate_rows(session, period)]
    return SheetData(
        f"{period.label}执法人员及执法证件情况",
        ROSTER_COLS,
        rows,
        note=f"统计截至 {period.so_far:%Y-%m-%d}{'（本季度尚未结束）' if period.so_far < period.end else ''}；"
        "含本季度内离岗、调离、退休人员。",
    )


def certificates_section(session: Session, year: int, as_of: dt.date) -> Section:
    from brigade_desk.ledgers.roster.report_parts import certificate_sheet
    from brigade_desk.ledgers.roster.rules import cert_is_valid

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
    soon = on + dt.timedelta(
        days=int(str(settings.get(session, roster_settings.CERT_EXPIRING_DAYS)))
    )
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
    ratio = float(str(settings.get(session, roster_settings.LEGAL_REVIEWER_RATIO)))
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
