"""Training hours arithmetic: who earned how many hours of which kind in a period.

A session's hours count in the period holding its **end date**. An attendance earns the session's
hours unless a smaller credit was recorded (partial credit); an absence earns nothing. Political
and Party education is kept apart from professional training (public law, business knowledge,
enforcement skills); only professional hours count toward the yearly requirement (60 by default),
and only on-duty officers (执法人员, 在岗) are held to it — auxiliaries are listed separately.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from brigade_desk.core import dialect, settings
from brigade_desk.ledgers.roster.asof import roster_on
from brigade_desk.ledgers.roster.models import Staff, StaffCategory, StaffStatus
from brigade_desk.ledgers.training import settings as training_settings
from brigade_desk.ledgers.training.models import (
    PROFESSIONAL_CATEGORIES,
    TrainingAttendance,
    TrainingCategory,
    TrainingSession,
)


def r2(x: float | None) -> float:
    """Hours rounded to 2 decimals (floats never show 59.99999)."""
    return round(float(x or 0.0) + 0.0, 2)


def fmt_hours(x: float) -> str:
    return f"{r2(x):g}"


def year_bounds(year: int, quarter: int | None = None) -> tuple[dt.date, dt.date]:
    if quarter is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter must be 1..4")
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return start, end - dt.timedelta(days=1)


CREDIT = case(
    (TrainingAttendance.attended, func.coalesce(TrainingAttendance.hours, TrainingSession.hours)),
    else_=0.0,
)


@dataclass
class PersonHours:
    staff_id: int
    name: str
    id_number: str
    squad: str
    category: str
    status: str
    by_category: dict[str, float] = field(default_factory=dict)
    sessions: int = 0
    absences: int = 0
    exams_taken: int = 0
    exams_passed: int = 0
    required: float = 60.0

    @property
    def political(self) -> float:
        return r2(self.by_category.get(TrainingCategory.POLITICAL.value, 0.0))

    @property
    def professional(self) -> float:
        return r2(sum(self.by_category.get(c.value, 0.0) for c in PROFESSIONAL_CATEGORIES))

    @property
    def total(self) -> float:
        return r2(self.political + self.professional)

    @property
    def counted(self) -> bool:
        """Held to the yearly requirement: an officer on duty."""
        return self.category == StaffCategory.OFFICER and self.status == StaffStatus.ON_DUTY

    @property
    def missing(self) -> float:
        return r2(max(0.0, self.required - self.professional))

    @property
    def progress(self) -> float:
        return 1.0 if self.required <= 0 else min(1.0, self.professional / self.required)


def credited_hours(
    s: Session, start: dt.date, end: dt.date, staff_ids: list[int] | None = None
) -> dict[int, PersonHours]:
    """Hours per person and category for sessions ending in [start, end]. Only people with records."""
    q = (
        select(
            TrainingAttendance.staff_id,
            TrainingSession.category,
            func.sum(CREDIT),
            func.sum(case((TrainingAttendance.attended, 1), else_=0)),
            func.sum(case((TrainingAttendance.attended, 0), else_=1)),
            func.sum(
                case(
                    (
                        and_(
                            TrainingAttendance.attended, TrainingAttendance.exam_score.is_not(None)
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(
                case(
                    (
                        and_(TrainingAttendance.attended, TrainingAttendance.exam_passed.is_(True)),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(TrainingSession.end_date >= start, TrainingSession.end_date <= end)
        .group_by(TrainingAttendance.staff_id, TrainingSession.category)
    )
    if staff_ids is not None:
        q = q.where(TrainingAttendance.staff_id.in_(staff_ids))
    out: dict[int, PersonHours] = {}
    for staff_id, cat, hrs, n, absent, taken, passed in s.execute(q):
        p = out.setdefault(staff_id, PersonHours(staff_id, "", "", "", "", ""))
        p.by_category[cat] = r2(p.by_category.get(cat, 0.0) + (hrs or 0.0))
        p.sessions += int(n or 0)
        p.absences += int(absent or 0)
        p.exams_taken += int(taken or 0)
        p.exams_passed += int(passed or 0)
    return out


def summary(s: Session, start: dt.date, end: dt.date) -> list[PersonHours]:
    """Everyone on duty now, plus anyone with a record in the period, with their hours.

    Sorted: officers first, then auxiliaries; by squad and name.
    """
    required = float(settings.get(s, training_settings.REQUIRED_HOURS))
    hours = credited_hours(s, start, end)
    people = s.execute(
        select(Staff.id, Staff.name, Staff.id_number, Staff.squad, Staff.category, Staff.status)
        .where(or_(Staff.status == StaffStatus.ON_DUTY, Staff.id.in_(list(hours))))
        .order_by(Staff.category.desc(), Staff.squad, Staff.name, Staff.id)
    ).all()
    out = []
    for staff_id, name, idn, squad, cat, status in people:
        p = hours.get(staff_id) or PersonHours(staff_id, "", "", "", "", "")
        p.name, p.id_number, p.squad, p.category, p.status, p.required = (
            name,
            idn,
            squad,
            cat,
            status,
            required,
        )
        out.append(p)
    # 执法人员 sorts after 执法辅助人员 by code point; put officers first explicitly
    out.sort(key=lambda p: (p.category != StaffCategory.OFFICER, p.squad, p.name, p.staff_id))
    return out


def summary_on(s: Session, start: dt.date, day: dt.date) -> list[PersonHours]:
    """``hours.summary`` as the roster stood on ``day`` (``roster.asof``): everyone in post on the
    day, plus anyone with a record of a session ending from ``start`` to ``day``, with their status
    and squad on the day and their hours of those sessions. Officers first, by squad and name."""
    required = float(settings.get(s, training_settings.REQUIRED_HOURS))
    hours = credited_hours(s, start, day)
    out = []
    for p in roster_on(s, day, certificates=False):
        if not p.in_post and p.id not in hours:
            continue
        h = hours.get(p.id) or PersonHours(p.id, "", "", "", "", "")
        h.name, h.id_number, h.squad, h.category, h.status, h.required = (
            p.name,
            p.id_number,
            p.squad,
            p.category,
            p.status,
            required,
        )
        out.append(h)
    out.sort(key=lambda p: (p.category != StaffCategory.OFFICER, p.squad, p.name, p.staff_id))
    return out


def year_summary(
    s: Session, year: int, *, quarter: int | None = None, until: dt.date | None = None
) -> list[PersonHours]:
    start, end = year_bounds(year, quarter)
    if until is not None:
        end = min(end, until)
    return summary(s, start, end)


def hours_by_month(s: Session, year: int) -> list[tuple[float, float]]:
    """Credited hours of everybody per month of ``year``: [(political, professional)] × 12."""
    q = (
        select(
            dialect.date_text("%m", TrainingSession.end_date),
            TrainingSession.category,
            func.sum(CREDIT),
        )
        .join(TrainingAttendance, TrainingAttendance.session_id == TrainingSession.id)
        .where(
            TrainingSession.end_date >= dt.date(year, 1, 1),
            TrainingSession.end_date <= dt.date(year, 12, 31),
        )
        .group_by(dialect.date_text("%m", TrainingSession.end_date), TrainingSession.category)
    )
    out = [[0.0, 0.0] for _ in range(12)]
    for m, cat, hrs in s.execute(q):
        idx = 0 if cat == TrainingCategory.POLITICAL else 1
        out[int(m) - 1][idx] += float(hrs or 0.0)
    return [(r2(a), r2(b)) for a, b in out]
