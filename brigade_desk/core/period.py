"""A reporting period (year, quarter or month) as a date range and a Chinese label."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None
    month: int | None = None

    @property
    def start(self) -> dt.date:
        if self.month:
            return dt.date(self.year, self.month, 1)
        if self.quarter:
            return dt.date(self.year, 3 * self.quarter - 2, 1)
        return dt.date(self.year, 1, 1)

    @property
    def end(self) -> dt.date:
        if self.month:
            return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        if self.quarter:
            m = 3 * self.quarter
            return dt.date(self.year, m, calendar.monthrange(self.year, m)[1])
        return dt.date(self.year, 12, 31)

    @property
    def so_far(self) -> dt.date:
        """The last day with data: the period's end, or today while the period is still running
        (a form titled 截至12月31日 in November would claim figures nobody has yet)."""
        return min(self.end, dt.date.today())

    @property
    def year_start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def label(self) -> str:
        if self.month:
            return f"{self.year}年{self.month}月"
        if self.quarter:
            return f"{self.year}年第{'一二三四'[self.quarter - 1]}季度"
        return f"{self.year}年度"

    def contains(self, d: dt.date | None) -> bool:
        return d is not None and self.start <= d <= self.end


def year_as_of(year: int, as_of: dt.date) -> dt.date:
    """The day the year's figures are taken on: its last day, or today for the running year."""
    return min(dt.date(year, 12, 31), as_of)
