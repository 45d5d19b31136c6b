"""Things every export needs: the unit's header/footer info from settings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.forms.xlsxform import FormInfo


def form_info(session: Session, date: dt.date | None = None) -> FormInfo:
    return FormInfo(
        unit=str(settings.get(session, settings.UNIT_NAME)),
        date=date or dt.date.today(),
        preparer=str(settings.get(session, settings.PREPARER)),
        reviewer=str(settings.get(session, settings.REVIEWER)),
        phone=str(settings.get(session, settings.PHONE)),
    )
