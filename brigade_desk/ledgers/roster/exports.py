"""执法人员花名册 / 执法证件台账 as the superior expects it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from brigade_desk.core import idcard, settings
from brigade_desk.core.db import Database
from brigade_desk.core.forms.common import cn_date, form_info, form_text
from brigade_desk.core.forms.xlsxform import Col, StreamWorkbook
from brigade_desk.ledgers.roster import rules as roster_rules
from brigade_desk.ledgers.roster.models import Certificate, CertStatus, Staff

ROSTER_COLS = [
    Col("序号", 6),
    Col("姓名", 10),
    Col("性别", 6),
    Col("身份证号", 22),
    Col("中队", 12),
    Col("职务/岗位", 12),
    Col("人员类别", 13),
    Col("法制审核人员", 8),
    Col("一线执法", 7),
    Col("在岗状态", 8),
    Col("状态变更日期", 12),
    Col("执法证号", 16),
    Col("发证机关", 18),
    Col("发证日期", 12),
    Col("有效期至", 12),
    Col("全国统一证件", 8),
    Col("证件状态", 8),
    Col("执法记录仪编号", 14),
    Col("联系电话", 14),
    Col("备注", 18),
]

FINDING_COLS = [
    Col("序号", 6),
    Col("问题", 26),
    Col("姓名/对象", 14),
    Col("证号/身份证号", 22),
    Col("期限", 12),
    Col("说明", 60),
]


def roster_rows(db: Database) -> list[list[object]]:
    rows: list[list[object]] = []
    with db.session() as s:
        mask = bool(settings.get(s, settings.MASK_IDS_IN_FORMS))
        staff = s.scalars(
            select(Staff)
            .options(selectinload(Staff.certificates))
            .order_by(Staff.squad, Staff.category, Staff.name)
        ).all()
        for p in staff:
            live = [c for c in p.certificates if c.status != CertStatus.CANCELLED]
            certs: Sequence[Certificate | None] = live or p.certificates[-1:]
            first = True
            for c in certs or [None]:
                rows.append(
                    [
                        len(rows) + 1,
                        p.name,
                        p.sex,
                        idcard.mask(p.id_number) if mask else p.id_number,
                        p.squad,
                        p.post,
                        p.category,
                        p.is_legal_reviewer,
                        p.is_front_line,
                        p.status,
                        p.status_date,
                        c.cert_no if c else "",
                        c.issuer if c else "",
                        c.issue_date if c else None,
                        c.valid_to if c else None,
                        (c.national_format if c else ""),
                        c.status if c else "",
                        p.bodycam_no,
                        p.phone,
                        p.notes if first else "",
                    ]
                )
                first = False
    return rows


def export_roster(db: Database, out: Path | str, *, as_of: dt.date | None = None) -> Path:
    as_of = as_of or dt.date.today()
    with db.session() as s:
        info = form_info(s, as_of)
        findings = roster_rules.check(s, as_of)
        mask_list = bool(settings.get(s, settings.MASK_IDS))
    labels = roster_rules.RULES
    with StreamWorkbook(out) as wb:
        wb.add_form_sheet(
            "执法人员花名册",
            f"{info.unit}执法人员花名册（执法证件台账）",
            info,
            ROSTER_COLS,
            roster_rows(db),
        )
        wb.add_form_sheet(
            "证件问题清单",
            "执法证件问题清单",
            info,
            FINDING_COLS,
            (
                [
                    i,
                    labels.get(f.rule, f.rule),
                    f.subject,
                    _ref(f.ref, mask_list),
                    f.due,
                    form_text(f.detail),
                ]
                for i, f in enumerate(findings, 1)
            ),
            note=f"统计日期：{cn_date(as_of)}。离岗人员证件须报司法行政部门注销。",
        )
    return Path(out)


def _ref(ref: str, mask: bool) -> str:
    return idcard.mask(ref) if mask and len(ref) == 18 and ref[:17].isdigit() else ref
