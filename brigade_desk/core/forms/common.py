"""Things every export needs: the unit's header/footer info from settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.forms.xlsxform import BY_VALUE, Col, FormInfo


def default_addressee(unit: str) -> str:
    """The superior a brigade reports to, from its name: 某县交通运输综合行政执法大队 → 某县交通运输局."""
    for tail in ("交通运输", "交通"):
        if tail in unit:
            return unit[: unit.index(tail) + len(tail)] + "局"
    return "上级主管部门"


def addressee(session: Session) -> str:
    """主送机关 of the annual report: the setting, or the unit's superior guessed from its name."""
    given = str(settings.get(session, settings.ADDRESSEE)).strip().rstrip("：:")
    return given or default_addressee(str(settings.get(session, settings.UNIT_NAME)))


def form_info(session: Session, date: dt.date | None = None) -> FormInfo:
    return FormInfo(
        unit=str(settings.get(session, settings.UNIT_NAME)),
        date=date or dt.date.today(),
        preparer=str(settings.get(session, settings.PREPARER)),
        reviewer=str(settings.get(session, settings.REVIEWER)),
        phone=str(settings.get(session, settings.PHONE)),
    )


# 数值 holds counts and amounts: BY_VALUE gives a count "#,##0", hours "#,##0.0", money "#,##0.00"
FIGURE_COLS = [Col("序号", 6), Col("项目", 40), Col("数值", 14, BY_VALUE), Col("说明", 50)]


_QUOTES = str.maketrans({"「": "“", "」": "”", "『": "‘", "』": "’"})


def form_text(text: str) -> str:
    """A program message (a rule's finding) made fit for a form sent upward: the 「」 quotes of the
    program's screens become the “” of GB/T 15834."""
    return text.translate(_QUOTES)


def cn_date(d: dt.date) -> str:
    """A date as a form's prose writes it: 2026年12月4日."""
    return f"{d.year}年{d.month}月{d.day}日"


def fmt_number(x: Decimal | float | int) -> str:
    if isinstance(x, Decimal):
        return f"{x:,.2f}"
    return f"{x:,}" if isinstance(x, int) else f"{x:,.1f}"
