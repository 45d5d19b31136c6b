"""The annual work report as a draft 公文 (GB/T 9704-2012): PDF, or .docx to edit before 定稿.

The layout is the one 公文 page (:mod:`brigade_desk.core.forms.gongwen`); the words are the sections
of :mod:`brigade_desk.reports.annual`. 主送机关 is the setting (or the unit's superior guessed from
its name), 署名 the unit, 成文日期 the day the draft is made (``as_of``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from brigade_desk.core.db import Database
from brigade_desk.core.forms.common import addressee, form_info
from brigade_desk.core.forms.gongwen import Block, GongwenDoc, Para, TableBlock, title_text
from brigade_desk.core.ledger import Section
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.roster.models import Staff
from brigade_desk.reports.annual import AnnualContent, annual_sections

NUMERALS = "一二三四五六七八九十"


def _num(v: Any, label: str = "") -> str:
    """A figure as printed; a rate (its label ends with 率) is a fraction shown as a percentage."""
    if isinstance(v, float) and label.strip().endswith("率"):
        return f"{v * 100:.1f}%"
    if isinstance(v, float):
        return f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, Decimal):
        return f"{v:,.2f}"
    return str(v)


def _figures(sec: Section) -> TableBlock:
    rows = [
        [str(name).replace("  ", "　　"), _num(value, str(name)), str(note or "")]
        for name, value, note in sec.rows
    ]
    return TableBlock(("项　　目", "数　值", "说　　明"), rows, (62, 30, 64), ("l", "r", "l"))


def report_doc(
    sections: list[Section],
    unit: str,
    year: int,
    today: dt.date,
    *,
    to: str,
    names: frozenset[str] = frozenset(),
) -> GongwenDoc:
    # a year still running is reported up to the draft's day, never as a whole year
    running = today < dt.date(year, 12, 31)
    period = f"{year}年以来（截至{today.month}月{today.day}日）" if running else f"{year}年度"
    blocks: list[Block] = [
        Para(
            f"{year}年，我单位认真落实行政执法“三项制度”，加强执法人员队伍和执法证件管理，规范执法办案，"
            f"开展案卷评查和问题整改。现将{period}行政执法工作情况报告如下："
        )
    ]
    for i, sec in enumerate(sections):
        num = NUMERALS[i] if i < len(NUMERALS) else str(i + 1)
        blocks.append(Para(f"{num}、{sec.title}", "h1"))
        for p in sec.paragraphs:
            blocks.append(Para(p[3:], "h2") if p.startswith("## ") else Para(p))
        if sec.rows:
            blocks.append(_figures(sec))
    blocks.append(Para("特此报告。"))
    return GongwenDoc(
        title=title_text(
            unit,
            f"{year}年度行政执法工作报告"
            + ("（截至" + f"{today.month}月{today.day}日）" if running else ""),
        ),
        addressee=to,
        blocks=blocks,
        signer=unit,
        date=today,
        names=names,
    )


def annual_doc(
    db: Database,
    year: int,
    content: AnnualContent,
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> GongwenDoc:
    today = as_of or dt.date.today()
    with db.session() as s:
        info = form_info(s, today)
        sections = annual_sections(s, year, today, content, progress)
        to = addressee(s)
        names = frozenset(str(n) for n in s.scalars(select(Staff.name)) if n)
    return report_doc(sections, info.unit, year, today, to=to, names=names)


def export_annual_pdf(
    db: Database,
    out: Path | str,
    year: int,
    content: AnnualContent,
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Path:
    from brigade_desk.core.forms.gongwen import build_gongwen_pdf

    doc = annual_doc(db, year, content, as_of=as_of, progress=progress)
    return build_gongwen_pdf(doc, out)


def export_annual_docx(
    db: Database,
    out: Path | str,
    year: int,
    content: AnnualContent,
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Path:
    from brigade_desk.core.forms.gongwen_docx import build_gongwen_docx

    doc = annual_doc(db, year, content, as_of=as_of, progress=progress)
    return build_gongwen_docx(doc, out)
