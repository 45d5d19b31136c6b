"""Certificate and roster rules."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brigade_desk.core import settings
from brigade_desk.core.rules import Finding
from brigade_desk.ledgers.roster import settings as roster_settings
from brigade_desk.ledgers.roster.asof import CertOn, PersonOn, roster_on
from brigade_desk.ledgers.roster.models import (
    LEFT_STATUSES,
    Certificate,
    CertStatus,
    Staff,
    StaffCategory,
    StaffStatus,
)

RULES = {
    "cert_expiring": "执法证件即将到期",
    "cert_expired": "执法证件已过期",
    "left_not_cancelled": "人员已离岗，证件未注销",
    "no_valid_cert": "在岗执法人员无有效执法证件",
    "legal_reviewer_ratio": "法制审核人员不足 5%",
    "bodycam_missing": "一线执法人员未配备执法记录仪",
}

LIVE_CERT = (CertStatus.VALID, CertStatus.SUSPENDED, CertStatus.PENDING_RENEWAL)


def cert_is_valid(c: Certificate | CertOn, as_of: dt.date) -> bool:
    if c.status != CertStatus.VALID:
        return False
    if c.issue_date and c.issue_date > as_of:
        return False
    return c.valid_to is None or c.valid_to >= as_of


def load_staff(session: Session) -> list[Staff]:
    return list(
        session.scalars(
            select(Staff)
            .options(selectinload(Staff.certificates))
            .order_by(Staff.squad, Staff.name)
        ).all()
    )


def check(
    session: Session, as_of: dt.date, staff: Sequence[Staff | PersonOn] | None = None
) -> list[Finding]:
    """Every roster finding; ``staff`` may be passed when the caller already loaded it. On a past
    ``as_of`` the roster is taken as it stood that day (``roster.asof``: status, certificates),
    so ``check --as-of`` agrees with the reports of a period ending then."""
    days = int(settings.get(session, roster_settings.CERT_EXPIRING_DAYS))
    ratio = float(settings.get(session, roster_settings.LEGAL_REVIEWER_RATIO))
    bodycam_due = settings.get(session, roster_settings.BODYCAM_DEADLINE)
    if staff is None:
        staff = load_staff(session) if as_of >= dt.date.today() else roster_on(session, as_of)
    out: list[Finding] = []
    horizon = as_of + dt.timedelta(days=days)
    officers_on_duty = 0
    reviewers = 0
    for p in staff:
        on_duty = p.status == StaffStatus.ON_DUTY
        is_officer = p.category == StaffCategory.OFFICER
        for c in p.certificates:
            if c.status in LIVE_CERT and c.valid_to is not None and on_duty:
                if c.valid_to < as_of:
                    out.append(
                        Finding(
                            "cert_expired",
                            p.name,
                            c.cert_no,
                            c.valid_to,
                            f"证件 {c.cert_no} 已于 {c.valid_to:%Y-%m-%d} 过期，应停止执法并办理换发",
                            "staff",
                            p.id,
                        )
                    )
                elif c.valid_to <= horizon and c.status == CertStatus.VALID:
                    left = (c.valid_to - as_of).days
                    out.append(
                        Finding(
                            "cert_expiring",
                            p.name,
                            c.cert_no,
                            c.valid_to,
                            f"证件 {c.cert_no} 将于 {c.valid_to:%Y-%m-%d} 到期（剩 {left} 天），请及时申请换发",
                            "staff",
                            p.id,
                        )
                    )
            if p.status in LEFT_STATUSES and c.status != CertStatus.CANCELLED:
                since = f"于 {p.status_date:%Y-%m-%d} " if p.status_date else ""
                req = (
                    f"；已于 {c.cancel_requested:%Y-%m-%d} 申请注销，待办结"
                    if c.cancel_requested
                    else "；请报司法行政部门注销"
                )
                out.append(
                    Finding(
                        "left_not_cancelled",
                        p.name,
                        c.cert_no,
                        None,
                        f"{since}{p.status}，证件 {c.cert_no} 状态仍为“{c.status}”{req}",
                        "staff",
                        p.id,
                    )
                )
        if on_duty and is_officer:
            officers_on_duty += 1
            reviewers += 1 if p.is_legal_reviewer else 0
            valid = any(cert_is_valid(c, as_of) for c in p.certificates)
            if not valid:
                out.append(
                    Finding(
                        "no_valid_cert",
                        p.name,
                        p.id_number,
                        None,
                        "在岗执法人员没有有效执法证件，不得独立从事执法活动",
                        "staff",
                        p.id,
                    )
                )
            elif p.is_front_line and not p.bodycam_no.strip():
                out.append(
                    Finding(
                        "bodycam_missing",
                        p.name,
                        p.id_number,
                        bodycam_due,
                        f"持证一线执法人员未登记执法记录仪编号（应于 {bodycam_due:%Y-%m-%d} 前配齐）",
                        "staff",
                        p.id,
                    )
                )
    if officers_on_duty:
        need = math.ceil(officers_on_duty * ratio / 100 - 1e-9)
        if reviewers < need:
            unit = str(settings.get(session, settings.UNIT_NAME))
            pct = reviewers * 100 / officers_on_duty
            out.append(
                Finding(
                    "legal_reviewer_ratio",
                    unit,
                    "",
                    None,
                    f"法制审核人员 {reviewers} 人，在岗执法人员 {officers_on_duty} 人，占 {pct:.1f}%，"
                    f"低于 {ratio:g}%（至少需要 {need} 人）",
                )
            )
    return out
