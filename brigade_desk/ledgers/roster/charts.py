"""."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from brigade_desk.core.ledger import ChartSpec
from brigade_desk.ledgers.roster.models import Certificate, CertStatus, Staff, StaffStatus
from brigade_desk.ledgers.roster.service import EXPIRED


def charts(session: Session, as_of: dt.date) -> list[ChartSpec]:
    """The roster's own figures: certificates by status and by expiry month."""
    on_duty = select(Staff.id).where(Staff.status == StaffStatus.ON_DUTY)
    # a 有效 certificate past its 有效期至 is counted as 已过期, as the roster shows it and the rules treat it
    shown = case(
        (and_(Certificate.status == CertStatus.VALID, Certificate.valid_to < as_of), EXPIRED),
        else_=Certificate.status,
    )
    rows = session.execute(
        select(shown, func.count()).where(Certificate.staff_id.in_(on_duty)).group_by(shown)
    ).all()
    counts = {CertStatus.VALID.value: 0, EXPIRED: 0, **{s.value: 0 for s in CertStatus}}
    for status, n in rows:
        counts[str(status)] = n
    by_status = ChartSpec(
        "cert_status",
        "在岗人员执法证件状态",
        "pie",
        list(counts),
        {"证件数": [float(v) for v in counts.values()]},
    )
    months = []
    y, m = as_of.year, as_of.month
    for _ in range(12):
        months.append((y, m))
        m += 1
        if m == 13:
            y, m = y + 1, 1
    end = dt.date(
        months[-1][0] + (1 if months[-1][1] == 12 else 0),
        1 if months[-1][1] == 12 else months[-1][1] + 1,
        1,
    )
    vt = session.scalars(
        select(Certificate.valid_to).where(
            Certificate.status.in_(
                [CertStatus.VALID, CertStatus.PENDING_RENEWAL, CertStatus.SUSPENDED]
            ),
            Certificate.staff_id.in_(on_duty),
            Certificate.valid_to < end,
        )
    ).all()
    per = {k: 0 for k in months}
    expired = 0
    for d in vt:
        if d is None:
            continue
        if d < as_of.replace(day=1):
            expired += 1
        elif (d.year, d.month) in per:
            per[(d.year, d.month)] += 1
    expiry = ChartSpec(
        "cert_expiry",
        "执法证件到期分布（未来 12 个月，按月）",
        "bar",
        [f"{mm}月" for _yy, mm in months],
        {"到期证件数": [float(per[k]) for k in months]},
        note=f"另有已过期未处理 {expired} 本" if expired else "",
    )
    return [by_status, expiry]
