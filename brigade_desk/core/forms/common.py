"""Things every export needs: the unit's header/footer info from settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.forms.xlsxform import Col, FormInfo


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


FIGURE_COLS = [Col("序号", 6), Col("项目", 40), Col("数值", 14, "#,##0.##"), Col("说明", 50)]


def fmt_number(x: Decimal | float | int) -> str:
    if isinstance(x, Decimal):
        return f"{x:,.2f}"
    return f"{x:,}" if isinstance(x, int) else f"{x:,.1f}"
