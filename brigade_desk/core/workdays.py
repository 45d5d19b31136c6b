"""Working days on the official calendar (State Council holiday schedule with make-up workdays).

``chinese-calendar`` knows the published years (2004–2026 in 1.11). For a year it does not know, the
clerk enters that year's official schedule (holidays and 调休 make-up workdays) in the program; it
is stored in ``official_year`` / ``official_day`` and then takes precedence. A year known to neither
is never silently treated as plain Monday–Friday: strict functions raise :class:`UnknownYearError`;
:meth:`Calendar.deadline` returns a :class:`Deadline` flagged ``provisional`` naming the unknown
years, so every rule that shows such a date says that it rests on an unknown year.

Counting (行政处罚法 Art. 85, 行政强制法 Art. 69): a period of *n* working days after an event ends on
the *n*-th working day after the event day; a calendar period of *n* days ends *n* days after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.core.models.holidays import OfficialDay, OfficialYear

if TYPE_CHECKING:
    from brigade_desk.core.db import Database

WORKING = "working"
CALENDAR = "calendar"
KINDS = {WORKING: "工作日", CALENDAR: "自然日"}
_KIND_WORDS = {
    "working": WORKING,
    "工作日": WORKING,
    "calendar": CALENDAR,
    "自然日": CALENDAR,
    "日历日": CALENDAR,
    "日": CALENDAR,
}


def normalize_kind(value: object, default: str = WORKING) -> str:
    """A setting's period kind as typed by the clerk (``working``/``工作日``, ``calendar``/``自然日``)."""
    return _KIND_WORDS.get(str(value).strip().lower(), default)


MAX_SPAN_DAYS = 4000


class UnknownYearError(Exception):
    """The official schedule of ``year`` is known neither to the library nor to the database."""

    def __init__(self, year: int) -> None:
        super().__init__(f"{year} 年的国务院节假日安排尚未录入，无法按官方日历计算工作日")
        self.year = year


@dataclass(frozen=True)
class Deadline:
    due: dt.date
    kind: str
    days: int
    # years whose official schedule is unknown: the date was estimated with plain weekends
    unknown_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.unknown_years)

    def caveat(self) -> str:
        """The sentence every finding carries when the date rests on an unknown year."""
        if not self.unknown_years:
            return ""
        years = "、".join(str(y) for y in self.unknown_years)
        return (
            f"（注意：该期限涉及 {years} 年，该年国务院节假日安排尚未录入，"
            "暂按普通周末估算，请在“节假日安排”中录入该年安排后以官方日历为准）"
        )

    def describe(self) -> str:
        return f"{self.days} 个{KINDS[self.kind]}"


@dataclass
class YearSchedule:
    year: int
    holidays: dict[dt.date, str] = field(default_factory=dict)
    workdays: dict[dt.date, str] = field(default_factory=dict)  # make-up workdays (调休上班)

    def is_workday(self, d: dt.date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5


def library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class Calendar:
    """The official calendar: clerk-entered years first, then ``chinese-calendar``."""

    def __init__(self, schedules: Iterable[YearSchedule] = ()) -> None:
        self.schedules = {s.year: s for s in schedules}
        self._cache: dict[dt.date, bool] = {}
        self._deadlines: dict[tuple[dt.date, int, str], Deadline] = {}

    @classmethod
    def load(cls, session: Session) -> Calendar:
        years = session.scalars(select(OfficialYear).options(selectinload(OfficialYear.days))).all()
        out = []
        for y in years:
            ys = YearSchedule(y.year)
            for d in y.days:
                (ys.workdays if d.is_workday else ys.holidays)[d.date] = d.name
            out.append(ys)
        return cls(out)

    def knows(self, year: int) -> bool:
        return year in self.schedules or library_knows(year)

    def is_workday(self, d: dt.date) -> bool:
        """Strict: raises :class:`UnknownYearError` for a year nobody knows."""
        hit = self._cache.get(d)
        if hit is not None:
            return hit
        sched = self.schedules.get(d.year)
        if sched is not None:
            value = sched.is_workday(d)
        else:
            try:
                value = bool(chinese_calendar.is_workday(d))
            except NotImplementedError:
                raise UnknownYearError(d.year) from None
        self._cache[d] = value
        return value

    def _is_workday_or_guess(self, d: dt.date, unknown: set[int]) -> bool:
        try:
            return self.is_workday(d)
        except UnknownYearError:
            unknown.add(d.year)
            return d.weekday() < 5

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``start`` (strict: raises for an unknown year)."""
        d = start
        counted = 0
        for _ in range(MAX_SPAN_DAYS):
            if counted >= n:
                return d
            d += dt.timedelta(days=1)
            if self.is_workday(d):
                counted += 1
        raise ValueError("working-day span too long")

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end] (strict)."""
        if end <= start:
            return 0
        n = 0
        d = start
        while d < end:
            d += dt.timedelta(days=1)
            n += 1 if self.is_workday(d) else 0
        return n

    def deadline(self, start: dt.date, days: int, kind: str = WORKING) -> Deadline:
        """The last day of a period; for an unknown year an estimate flagged ``provisional``."""
        if kind == CALENDAR:
            return Deadline(start + dt.timedelta(days=days), kind, days)
        if kind != WORKING:
            raise ValueError(f"unknown period kind {kind!r}")
        hit = self._deadlines.get((start, days, kind))
        if hit is not None:  # many cases share a date; a Calendar lives for one check or report
            return hit
        unknown: set[int] = set()
        d = start
        counted = 0
        while counted < days:
            d += dt.timedelta(days=1)
            if self._is_workday_or_guess(d, unknown):
                counted += 1
        out = self._deadlines[(start, days, kind)] = Deadline(d, kind, days, tuple(sorted(unknown)))
        return out


# ---- the clerk's schedule for a year -----------------------------------------------------------


@dataclass
class ScheduleInput:
    year: int
    source: str = ""
    holidays: list[tuple[dt.date, str]] = field(default_factory=list)
    workdays: list[tuple[dt.date, str]] = field(default_factory=list)


def parse_schedule_text(year: int, holidays: str, workdays: str) -> ScheduleInput:
    """Parse what the clerk typed: one date or range per line, an optional name after a space.

    ``2027-02-06~2027-02-12 春节`` or ``2027-05-01 劳动节``; make-up workdays the same way.
    """
    from brigade_desk.core.tabular.read import parse_date

    out = ScheduleInput(year)
    errs: dict[str, str] = {}
    for key, text_, target in (
        ("holidays", holidays, out.holidays),
        ("workdays", workdays, out.workdays),
    ):
        label = "放假日期" if key == "holidays" else "调休上班日期"
        for n, line in enumerate(text_.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            span, _, name = line.partition(" ")
            a, sep, b = span.replace("～", "~").replace("至", "~").partition("~")
            try:
                first = parse_date(a)
                last = parse_date(b) if sep else first
            except ValueError as exc:
                errs[key] = f"{label}第 {n} 行：{exc}"
                break
            if first is None or last is None or last < first or (last - first).days > 31:
                errs[key] = f"{label}第 {n} 行：日期范围「{span}」不正确"
                break
            d = first
            while d <= last:
                if d.year != year:
                    errs[key] = f"{label}第 {n} 行：{d:%Y-%m-%d} 不在 {year} 年"
                    break
                target.append((d, name.strip()))
                d += dt.timedelta(days=1)
    if errs:
        raise ValidationError(errs)
    return out


def save_schedule(session: Session, data: ScheduleInput, today: dt.date | None = None) -> None:
    """Store (replace) the official schedule of one year."""
    errs: dict[str, str] = {}
    if not 2000 <= data.year <= 2100:
        errs["year"] = "年度应在 2000–2100 之间"
    hol = {d for d, _ in data.holidays}
    wd = {d for d, _ in data.workdays}
    both = sorted(hol & wd)
    if both:
        errs["workdays"] = f"{both[0]:%Y-%m-%d} 同时被填为放假和调休上班"
    for d, _ in data.holidays + data.workdays:
        if d.year != data.year:
            errs["holidays"] = f"{d:%Y-%m-%d} 不在 {data.year} 年"
    if not data.holidays:
        errs["holidays"] = "请至少填写一个放假日期（元旦、春节、清明、劳动节、端午、中秋、国庆）"
    if errs:
        raise ValidationError(errs)
    existing = session.get(OfficialYear, data.year)
    if existing is not None:
        session.delete(existing)
        session.flush()
    y = OfficialYear(
        year=data.year, source=data.source.strip(), entered_on=today or dt.date.today()
    )
    for d, name in data.holidays:
        y.days.append(OfficialDay(date=d, is_workday=False, name=name))
    for d, name in data.workdays:
        y.days.append(OfficialDay(date=d, is_workday=True, name=name))
    session.add(y)


def delete_schedule(session: Session, year: int) -> None:
    y = session.get(OfficialYear, year)
    if y is None:
        raise UserError(f"没有录入 {year} 年的节假日安排")
    session.delete(y)


# ---- for the 节假日安排 page: each in a session or transaction of its own ---------------------


def entered_year(db: Database, year: int) -> tuple[YearSchedule | None, str]:
    """The schedule the clerk entered for ``year`` (None when none) and the source it names."""
    with db.session() as s:
        cal = Calendar.load(s)
        row = s.get(OfficialYear, year)
        return cal.schedules.get(year), (row.source if row else "")


def store_schedule(db: Database, data: ScheduleInput) -> None:
    """``save_schedule`` in one transaction (ValidationError: nothing is stored)."""
    with db.begin() as s:
        save_schedule(s, data)


def remove_schedule(db: Database, year: int) -> None:
    """``delete_schedule`` in one transaction (UserError when the year has no entered schedule)."""
    with db.begin() as s:
        delete_schedule(s, year)
