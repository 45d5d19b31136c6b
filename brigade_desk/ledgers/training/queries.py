"""Queries behind the 培训台账 page's lazy views, all counted and summed in SQL.

- the sessions table: ids filtered and sorted in SQL (:func:`session_ids`), row contents fetched a
  page of ids at a time with their attendee counts (:func:`session_rows`);
- the page's headline (:func:`year_overview`): sessions in the year, on-duty officers and how many
  of them are still short of the required professional hours;
- the people offered in the per-person ledger (:func:`ledger_people`) and the exams of a year
  (:func:`exam_sessions`), without computing anybody's hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Row, Select, String, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.dialect import number_text
from brigade_desk.core.ordering import sort_key
from brigade_desk.ledgers.roster.models import Staff, StaffCategory, StaffStatus
from brigade_desk.ledgers.training import hours as th
from brigade_desk.ledgers.training import settings as training_settings
from brigade_desk.ledgers.training.hours import PersonHours, r2
from brigade_desk.ledgers.training.models import (
    CATEGORY_LABELS,
    PROFESSIONAL_CATEGORIES,
    TrainingAttendance,
    TrainingSession,
)

_Ts = TypeVarTuple("_Ts")


@dataclass(frozen=True)
class SessionFilter:
    year: int | None = None
    text: str = (
        ""  # matched against every text the sessions table shows (dates, title, form, category…)
    )
    form: str = ""
    category: str = ""
    exams_only: bool = False


@dataclass(frozen=True)
class SessionRow:
    id: int
    start_date: dt.date
    end_date: dt.date
    title: str
    form: str
    category: str
    hours: float
    organiser: str
    place: str
    is_monthly_study: bool
    is_rotation: bool
    has_exam: bool
    attendees: int
    absent: int


@dataclass(frozen=True)
class YearOverview:
    year: int
    as_of: dt.date
    sessions: int  # sessions ending in the year
    counted: int  # on-duty officers (held to the yearly requirement)
    behind: int  # of them, still short of the required professional hours on ``as_of``
    required: float


@dataclass(frozen=True)
class PersonPick:
    staff_id: int
    name: str
    squad: str
    category: str


def _attendance_count(attended: bool) -> Any:
    return (
        select(func.count(TrainingAttendance.id))
        .where(
            TrainingAttendance.session_id == TrainingSession.id,
            TrainingAttendance.attended.is_(attended),
        )
        .correlate(TrainingSession)
        .scalar_subquery()
    )


# sort keys of the sessions table → SQL expressions (ties broken by id in the same direction)
SESSION_SORT: dict[str, Any] = {
    "start_date": TrainingSession.start_date,
    "end_date": TrainingSession.end_date,
    "title": TrainingSession.title,
    "form": TrainingSession.form,
    "category": TrainingSession.category,
    "hours": TrainingSession.hours,
    "attendees": _attendance_count(True),
    "absent": _attendance_count(False),
    "is_monthly_study": TrainingSession.is_monthly_study,
    "is_rotation": TrainingSession.is_rotation,
    "has_exam": TrainingSession.has_exam,
    "organiser": TrainingSession.organiser,
    "place": TrainingSession.place,
}


def _like(text: str) -> str:
    t = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{t}%"


def _text_condition(text: str) -> ColumnElement[bool]:
    t = text.strip().lower()
    like = _like(t)
    conds: list[ColumnElement[bool]] = [
        col.like(like, escape="\\")
        for col in (
            TrainingSession.title,
            TrainingSession.form,
            TrainingSession.organiser,
            TrainingSession.place,
        )
    ]
    conds += [
        cast(TrainingSession.start_date, String).like(like, escape="\\"),
        cast(TrainingSession.end_date, String).like(like, escape="\\"),
        number_text(TrainingSession.hours).like(like, escape="\\"),
    ]
    cats = [
        c.value
        for c, label in CATEGORY_LABELS.items()
        if t in label.lower() or t in c.value.lower()
    ]
    if cats:
        conds.append(TrainingSession.category.in_(cats))
    return or_(*conds)


def apply_session_filter(q: Select[*_Ts], f: SessionFilter) -> Select[*_Ts]:
    if f.year:
        q = q.where(
            TrainingSession.end_date >= dt.date(f.year, 1, 1),
            TrainingSession.end_date <= dt.date(f.year, 12, 31),
        )
    if f.text.strip():
        q = q.where(_text_condition(f.text))
    if f.form:
        q = q.where(TrainingSession.form == f.form)
    if f.category:
        q = q.where(TrainingSession.category == f.category)
    if f.exams_only:
        q = q.where(TrainingSession.has_exam.is_(True))
    return q


def session_ids(
    s: Session, f: SessionFilter, sort: str = "end_date", descending: bool = True
) -> list[int]:
    """Ids of the matching sessions in display order (filtered and sorted in SQL)."""
    col = SESSION_SORT.get(sort, TrainingSession.end_date)
    q = apply_session_filter(select(TrainingSession.id), f)
    server = s.get_bind().dialect.name != "sqlite"
    id_key = TrainingSession.id.desc() if descending else TrainingSession.id.asc()
    q = q.order_by(sort_key(col, descending, server), id_key)
    return list(s.scalars(q))


def _rows_query() -> Select[*tuple[Any, ...]]:
    """The sessions table's columns, labelled with the :class:`SessionRow` field names."""
    t = TrainingSession
    a = TrainingAttendance
    return (
        select(
            t.id,
            t.start_date,
            t.end_date,
            t.title,
            t.form,
            t.category,
            t.hours,
            t.organiser,
            t.place,
            t.is_monthly_study,
            t.is_rotation,
            t.has_exam,
            func.coalesce(func.sum(case((a.attended.is_(True), 1), else_=0)), 0).label("attendees"),
            func.coalesce(func.sum(case((a.attended.is_(False), 1), else_=0)), 0).label("absent"),
        )
        .outerjoin(a, a.session_id == t.id)
        .group_by(t.id)
    )


def _row(r: Row[*tuple[Any, ...]]) -> SessionRow:
    m = dict(r._mapping)  # by column label: a column added to the query shifts no field
    m["attendees"] = int(m["attendees"] or 0)
    m["absent"] = int(m["absent"] or 0)
    return SessionRow(**m)


def session_rows(s: Session, ids: list[int]) -> dict[int, SessionRow]:
    """The sessions ``ids`` with their attendee and absence counts (counted for these ids only)."""
    if not ids:
        return {}
    return {r[0]: _row(r) for r in s.execute(_rows_query().where(TrainingSession.id.in_(ids)))}


def list_sessions(s: Session, f: SessionFilter) -> list[SessionRow]:
    """Every matching session, newest first (for the command line and exports)."""
    q = apply_session_filter(_rows_query(), f).order_by(
        TrainingSession.end_date.desc(), TrainingSession.id.desc()
    )
    return [_row(r) for r in s.execute(q)]


def session_forms(s: Session, year: int | None) -> list[str]:
    """The training forms used by the sessions of ``year`` (or of every year)."""
    q = apply_session_filter(select(TrainingSession.form).distinct(), SessionFilter(year=year))
    return sorted(x for x in s.scalars(q) if x)


def count_sessions(s: Session, year: int | None) -> int:
    return int(
        s.scalar(
            apply_session_filter(select(func.count(TrainingSession.id)), SessionFilter(year=year))
        )
        or 0
    )


def year_overview(s: Session, year: int, until: dt.date) -> YearOverview:
    """The page headline, summed in SQL over the on-duty officers' professional attendance only."""
    start, end = th.year_bounds(year)
    end = min(end, until)
    required = float(settings.get(s, training_settings.REQUIRED_HOURS))
    counted = set(
        s.scalars(
            select(Staff.id).where(
                Staff.category == StaffCategory.OFFICER, Staff.status == StaffStatus.ON_DUTY
            )
        )
    )
    # no join to staff and no test on ``attended`` here: SQLite would then start from the staff or
    # the attended index and visit every year's attendance; CREDIT already gives absences 0 hours
    q = (
        select(TrainingAttendance.staff_id, TrainingSession.category, func.sum(th.CREDIT))
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(
            TrainingSession.end_date >= start,
            TrainingSession.end_date <= end,
            TrainingSession.category.in_([c.value for c in PROFESSIONAL_CATEGORIES]),
        )
        .group_by(TrainingAttendance.staff_id, TrainingSession.category)
    )
    people: dict[int, PersonHours] = {}
    for staff_id, cat, hrs in s.execute(q):
        if staff_id not in counted:
            continue
        p = people.setdefault(
            staff_id, PersonHours(staff_id, "", "", "", "", "", required=required)
        )
        p.by_category[cat] = r2(p.by_category.get(cat, 0.0) + (hrs or 0.0))
    # the same arithmetic (rounding included) as the brigade view's PersonHours
    behind = sum(
        1
        for staff_id in counted
        if (
            people.get(staff_id) or PersonHours(staff_id, "", "", "", "", "", required=required)
        ).missing
        > 0
    )
    return YearOverview(year, end, count_sessions(s, year), len(counted), behind, required)


def ledger_people(s: Session, year: int, until: dt.date | None = None) -> list[PersonPick]:
    """Who has a ledger in ``year``: everyone on duty, plus anybody with a record in the year.

    The same people, in the same order, as the brigade view (officers first, by squad and name).
    """
    start, end = th.year_bounds(year)
    if until is not None:
        end = min(end, until)
    with_records = (
        select(TrainingAttendance.staff_id)
        .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
        .where(TrainingSession.end_date >= start, TrainingSession.end_date <= end)
    )
    rows = s.execute(
        select(Staff.id.label("staff_id"), Staff.name, Staff.squad, Staff.category).where(
            or_(Staff.status == StaffStatus.ON_DUTY, Staff.id.in_(with_records))
        )
    ).all()
    out = [PersonPick(**r._mapping) for r in rows]
    out.sort(key=lambda p: (p.category != StaffCategory.OFFICER, p.squad, p.name, p.staff_id))
    return out


def exam_sessions(s: Session, year: int | None) -> list[tuple[int, dt.date, str]]:
    """The year's exams that have results to show: (session id, end date, title), newest first."""
    has_rows = exists().where(TrainingAttendance.session_id == TrainingSession.id)
    q = apply_session_filter(
        select(TrainingSession.id, TrainingSession.end_date, TrainingSession.title),
        SessionFilter(year=year, exams_only=True),
    )
    q = q.where(has_rows).order_by(TrainingSession.end_date.desc(), TrainingSession.id)
    return [(int(i), d, t) for i, d, t in s.execute(q)]
