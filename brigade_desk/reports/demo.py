"""Demo reporting calendar: everything due more than a week ago was sent on time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.demo import DemoContext
from brigade_desk.reports import reporting_calendar as calendar


def fill(s: Session, ctx: DemoContext) -> None:
    entries = settings.get(s, calendar.ENTRIES)
    start = ctx.today - dt.timedelta(days=calendar.LOOKBACK_DAYS + 5)
    n = 0
    for e in entries:
        for period, _label, due in calendar.occurrences(e, start, ctx.today - dt.timedelta(days=7)):
            calendar.mark_done(s, e["key"], period, due - dt.timedelta(days=ctx.rng.randint(0, 2)))
            n += 1
    ctx.counts["reports_sent"] = n
