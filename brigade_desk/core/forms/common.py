"""Things every export needs: the unit's header/footer info from settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.forms.xlsxform import Col, FormInfo


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
