"""Template sources from the roster: 执法证件 (one row per person with their current certificate)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from brigade_desk.core.period import Period
from brigade_desk.ledgers.roster.models import Certificate, CertStatus, Staff, StaffStatus
from brigade_desk.reports.sources import Source

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
