"""行政执法案件台账: the case register as a printable form, with the problems the case rules find."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.forms.common import cn_date, form_info, form_text
from brigade_desk.core.forms.xlsxform import Col, StreamWorkbook
from brigade_desk.ledgers.cases import rules as case_rules
from brigade_desk.ledgers.cases.models import CaseRecord

CASE_COLS = [
    Col("序号", 6),
    Col("案号", 24, key=True),
    Col("案由", 30),
    Col("当事人", 18),
    Col("当事人类型", 7),
    Col("执法门类", 9),
    Col("案件类别", 9),
    Col("程序", 6),
    Col("承办人员", 14),
    Col("立案日期", 12),
    Col("法制审核", 12),
    Col("集体讨论", 12),
    Col("听证告知", 12),
    Col("决定日期", 12),
    Col("送达日期", 12),
    Col("结案日期", 12),
    Col("备案日期", 12),
    Col("公示日期", 12),
    Col("罚款（元）", 11, "#,##0.00"),
    Col("没收（元）", 11, "#,##0.00"),
    Col("重大", 6),
    Col("执法活动", 16),
    Col("问题", 40),
]


def export_cases(db: Database, year: int, out: Path | str, *, as_of: dt.date | None = None) -> Path:
    """Cases filed in ``year`` (立案年度), one row each, with the case rules' findings."""
    as_of = as_of or dt.date.today()
    labels = case_rules.RULES
    with db.session() as s:
        info = form_info(s, as_of)
        cases = s.scalars(
            select(CaseRecord)
            .options(selectinload(CaseRecord.officers))
            .where(
                CaseRecord.filed_on >= dt.date(year, 1, 1),
                CaseRecord.filed_on <= dt.date(year, 12, 31),
            )
            .order_by(CaseRecord.filed_on, CaseRecord.id)
        ).all()
        if not cases:
            raise UserError(f"{year} 年没有立案的案件")
        problems: dict[int, list[str]] = {}
        for f in case_rules.check(s, as_of):
            if f.entity == "case" and f.entity_id is not None:
                problems.setdefault(f.entity_id, []).append(
                    form_text(f"{labels.get(f.rule, f.rule)}：{f.detail}")
                )
        rows = [
            [
                i,
                c.case_no,
                c.cause,
                c.party,
                c.party_type,
                c.domain,
                c.category,
                c.procedure,
                "、".join(o.name for o in c.officers),
                c.filed_on,
                c.legal_review_on,
                c.collective_on,
                c.hearing_notice_on,
                c.decided_on,
                c.served_on,
                c.closed_on,
                c.reported_on,
                c.published_on,
                c.fine_amount,
                c.confiscation_amount,
                c.is_major,
                "、".join(c.activities or []),
                "；".join(problems.get(c.id, [])),
            ]
            for i, c in enumerate(cases, start=1)
        ]
    with StreamWorkbook(out) as wb:
        wb.add_form_sheet(
            f"{year}年案件台账",
            f"{info.unit}{year}年度行政执法案件台账",
            info,
            CASE_COLS,
            rows,
            note=f"按立案日期统计；问题为截至{cn_date(as_of)}的检查结果。",
        )
    return Path(out)
