"""Template sources from the roster: 执法证件 (one row per person with their current certificate)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brigade_desk.models.roster import CertStatus, Staff, StaffStatus
from brigade_desk.reports.period import Period
from brigade_desk.reports.sources import Source

FIELDS = ("序号", "姓名", "性别", "身份证号", "中队", "职务", "人员类别", "法制审核人员", "一线执法", "在岗状态",
          "状态变更日期", "执法证号", "发证机关", "发证日期", "有效期至", "全国统一证件", "证件状态", "执法记录仪编号", "联系电话", "备注")


def certificate_rows(session: Session, period: Period) -> list[dict[str, Any]]:
    """People on the roster during the period (on duty, or left during or after it)."""
    staff = session.scalars(select(Staff).options(selectinload(Staff.certificates)).order_by(Staff.squad, Staff.name)).all()
    rows: list[dict[str, Any]] = []
    for p in staff:
        if p.status != StaffStatus.ON_DUTY and p.status_date is not None and p.status_date < period.start:
            continue
        live = [c for c in p.certificates if c.status != CertStatus.CANCELLED]
        c = max(live or p.certificates, key=lambda c: (c.issue_date or c.valid_to or period.start, c.id)) if p.certificates else None
        rows.append({
            "序号": len(rows) + 1, "姓名": p.name, "性别": p.sex, "身份证号": p.id_number, "中队": p.squad, "职务": p.post,
            "人员类别": p.category, "法制审核人员": p.is_legal_reviewer, "一线执法": p.is_front_line, "在岗状态": p.status,
            "状态变更日期": p.status_date, "执法证号": c.cert_no if c else "", "发证机关": c.issuer if c else "",
            "发证日期": c.issue_date if c else None, "有效期至": c.valid_to if c else None,
            "全国统一证件": c.national_format if c else None, "证件状态": c.status if c else "",
            "执法记录仪编号": p.bodycam_no, "联系电话": p.phone, "备注": p.notes,
        })
    return rows


SOURCES = [
    Source("执法证件", FIELDS, certificate_rows, "执法人员花名册及其当前执法证件"),
    Source("花名册", FIELDS, certificate_rows, "同“执法证件”"),
]
