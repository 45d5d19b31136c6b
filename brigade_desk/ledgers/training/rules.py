"""Training ledger rules: yearly hours, the annual plan, the monthly all-staff legal study, the
full-staff rotation training (全员轮训)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.rules import Finding
from brigade_desk.ledgers.roster.models import Staff, StaffCategory, StaffEvent, StaffStatus
from brigade_desk.ledgers.training import hours as th
from brigade_desk.ledgers.training import settings as training_settings
from brigade_desk.ledgers.training.models import (
    PlanStatus,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
)

RULES = {
    "training_hours_short": "执法人员年度业务培训学时不足",
    "training_plan_missing": "年度培训计划未按时批准",
    "monthly_study_missing": "有月份未开展全员集中学法",
    "rotation_missing": "执法人员未参加全员轮训",
}


def plan_due(s: Session, year: int) -> dt.date:
    raw = str(settings.get(s, training_settings.PLAN_DUE)).strip()
    try:
        month, day = (int(x) for x in raw.split("-"))
        return dt.date(year, month, day)
    except ValueError:
        return dt.date(year, 3, 31)


def hours_short(s: Session, as_of: dt.date) -> list[Finding]:
    """Officers in post on ``as_of`` (the roster as it stood then) under the required professional
    hours in ``as_of``'s year (so far) — the people the annual report counts."""
    year = as_of.year
    out = []
    for p in th.summary_on(s, dt.date(year, 1, 1), as_of):
        if not p.counted or p.professional >= p.required - 1e-9:
            continue
        out.append(
            Finding(
                "training_hours_short",
                p.name,
                p.id_number,
                dt.date(year, 12, 31),
                f"{year} 年业务培训已完成 {th.fmt_hours(p.professional)} 学时，还差 {th.fmt_hours(p.missing)} 学时"
                f"（要求不少于 {th.fmt_hours(p.required)} 学时；另有政治理论和党性教育 {th.fmt_hours(p.political)} 学时，不计入）",
                "staff",
                p.staff_id,
            )
        )
    return out


def plan_missing(s: Session, as_of: dt.date) -> list[Finding]:
    year = as_of.year
    due = plan_due(s, year)
    if as_of <= due:
        return []
    plan = s.scalar(select(TrainingPlan).where(TrainingPlan.year == year))
    approved = (
        plan is not None
        and plan.status == PlanStatus.APPROVED
        and (plan.approved_date is None or plan.approved_date <= as_of)
    )
    if approved:
        return []
    unit = str(settings.get(s, settings.UNIT_NAME))
    state = (
        "尚未编制"
        if plan is None
        else (
            f"仍为“{plan.status}”"
            if plan.status != PlanStatus.APPROVED
            else f"批准日期 {plan.approved_date:%Y-%m-%d} 晚于检查日期"
        )
    )
    return [
        Finding(
            "training_plan_missing",
            unit,
            f"{year}年度培训计划",
            due,
            f"{year} 年度培训计划应于 {due:%Y-%m-%d} 前制定并批准，目前{state}",
            "training_plan",
            plan.id if plan else None,
        )
    ]


def finished_months(as_of: dt.date) -> list[tuple[int, int]]:
    """Months of ``as_of``'s year that are over by ``as_of`` (the month before it and earlier)."""
    return [(as_of.year, m) for m in range(1, as_of.month)]


def study_missing(s: Session, as_of: dt.date) -> list[Finding]:
    months = finished_months(as_of)
    if not months:
        return []
    year = as_of.year
    dates = s.scalars(
        select(TrainingSession.end_date).where(
            TrainingSession.is_monthly_study.is_(True),
            TrainingSession.end_date >= dt.date(year, 1, 1),
            TrainingSession.end_date < dt.date(year, as_of.month, 1),
        )
    ).all()
    held = {(d.year, d.month) for d in dates}
    unit = str(settings.get(s, settings.UNIT_NAME))
    out = []
    for y, m in months:
        if (y, m) in held:
            continue
        last = dt.date(y, m, calendar.monthrange(y, m)[1])
        out.append(
            Finding(
                "monthly_study_missing",
                f"{y}-{m:02d}",
                unit,
                last,
                f"{y} 年 {m} 月没有登记全员集中学法（每月至少一次）；如已开展，请补录并勾选“每月全员集中学法”",
                "training_month",
                y * 100 + m,
            )
        )  # the month as 202608, for the GUI to open
    return out


# the roster's "added to the roster" event (services/roster.py save_staff, demo/roster.py): its date is the
# only joining date the program keeps
REGISTERED_EVENT = "登记入册"


def rotation_window(s: Session) -> tuple[dt.date, dt.date]:
    """(first day a rotation session may end and still count, the due date), from the settings
    (an unreadable date gives the default)."""
    return settings.get(s, training_settings.ROTATION_FROM), settings.get(
        s, training_settings.ROTATION_DUE
    )


def took_part_in_rotation(start: dt.date, until: dt.date) -> Select[int]:
    """Ids of people credited for a rotation session ending in [start, until] (a SELECT to use with IN)."""
    a, t = TrainingAttendance, TrainingSession
    return (
        select(a.staff_id)
        .join(t, t.id == a.session_id)
        .where(t.is_rotation.is_(True), t.end_date >= start, t.end_date <= until, th.CREDIT > 0)
    )


def rotation_missing(s: Session, as_of: dt.date) -> list[Finding]:
    """Officers who have not taken part in the full-staff rotation training (全员轮训) by its due date.

    Policy (000 §3, 001 §3): every enforcement officer takes part in one rotation by the end of June
    2024 (setting ``training.rotation_due``). Nothing is reported until ``as_of`` is past the due date
    (on the due date itself the rotation can still be completed).

    Who is counted — as for the yearly hours: officers (not auxiliaries) who are on duty (在岗) now,
    and who were already in the brigade on the due date. The roster has no hiring date; the joining
    date is the person's 登记入册 event (written when the clerk adds a newcomer in the program, and by
    the demo with the joining date). Someone registered after the due date is not counted — unless
    the ledgers show them in the brigade by then: another roster event (status change, Excel import)
    or a training record (present or absent) of a session starting on or before the due date. People
    without a 登记入册 event (imported from Excel, or added directly) have an unknown joining date and
    are counted. A certificate's issue date is no evidence: a transferee may have held one elsewhere.

    What counts as taking part: an attendance marked present with credited hours (the session's hours
    or a partial credit above 0 — the same semantics as the hours sums) at a session marked 计入全员轮训
    that ended between ``training.rotation_from`` (2023-01-01, older rotations belong to earlier
    rounds) and ``as_of``. An absence, or a session without the flag, does not count.

    Completed late: an officer who took part only after the due date (but by ``as_of``) has done the
    rotation; the finding list is what the clerk still has to act on, so that is no finding. Late
    completions stay visible in the ledger (session dates) for the report to the superior.

    Two queries whatever the brigade's size: the flagged officers (with their rotation absences), and
    the number of rotation sessions held, to tell the clerk when none is flagged at all.
    """
    start, due = rotation_window(s)
    if as_of <= due:
        return []
    rows = s.execute(_rotation_missing_query(start, due, as_of)).all()
    if not rows:
        return []
    t = TrainingSession
    held = (
        s.scalar(
            select(func.count(t.id)).where(
                t.is_rotation.is_(True), t.end_date >= start, t.end_date <= as_of
            )
        )
        or 0
    )
    none_held = (
        f"；{start:%Y-%m-%d} 以来没有登记“计入全员轮训”的培训，如已开展，请补录或在培训中勾选“计入全员轮训”"
        if held == 0
        else ""
    )
    out = []
    for staff_id, name, idn, absent in rows:
        missed = f"（轮训缺席 {absent} 次）" if absent else ""
        out.append(
            Finding(
                "rotation_missing",
                name,
                idn,
                due,
                f"应于 {due:%Y-%m-%d} 前参加一次全员轮训，截至 {as_of:%Y-%m-%d} 没有参加记录{missed}{none_held}",
                "staff",
                staff_id,
            )
        )
    return out


def _rotation_missing_query(
    start: dt.date, due: dt.date, as_of: dt.date, staff_id: int | None = None
) -> Select[int, str, str, int]:
    """(id, name, ID number, rotation absences) of counted officers not credited for a rotation by ``as_of``."""
    a, t = TrainingAttendance, TrainingSession
    in_window = and_(t.is_rotation.is_(True), t.end_date >= start, t.end_date <= as_of)
    absences = (
        select(a.staff_id.label("staff_id"), func.count().label("n"))
        .join(t, t.id == a.session_id)
        .where(in_window, th.CREDIT <= 0)
        .group_by(a.staff_id)
        .subquery()
    )
    registered_later = (
        select(StaffEvent.id)
        .where(
            StaffEvent.staff_id == Staff.id,
            StaffEvent.what.startswith(REGISTERED_EVENT),
            StaffEvent.date > due,
        )
        .exists()
    )
    event_by_due = (
        select(StaffEvent.id)
        .where(StaffEvent.staff_id == Staff.id, StaffEvent.date <= due)
        .exists()
    )
    trained_by_due = (
        select(a.id)
        .join(t, t.id == a.session_id)
        .where(a.staff_id == Staff.id, t.start_date <= due)
        .exists()
    )
    in_service = or_(~registered_later, event_by_due, trained_by_due)
    q = (
        select(Staff.id, Staff.name, Staff.id_number, func.coalesce(absences.c.n, 0))
        .outerjoin(absences, absences.c.staff_id == Staff.id)
        .where(
            Staff.category == StaffCategory.OFFICER,
            Staff.status == StaffStatus.ON_DUTY,
            Staff.id.not_in(took_part_in_rotation(start, as_of)),
            in_service,
        )
        .order_by(Staff.squad, Staff.name, Staff.id)
    )
    return q if staff_id is None else q.where(Staff.id == staff_id)


@dataclass(frozen=True)
class RotationStatus:
    """One person's full-staff rotation, for the person's ledger."""

    due: dt.date
    done: (
        dt.date | None
    )  # end date of the first credited rotation session (may be after ``due``: late)
    required: bool  # counted by the rule (on-duty officer in the brigade by the due date)

    @property
    def text(self) -> str:
        if self.done is not None:
            late = f"，逾期（期限 {self.due:%Y-%m-%d}）" if self.done > self.due else ""
            return f"全员轮训：{self.done:%Y-%m-%d} 已参加{late}"
        if self.required:
            return f"全员轮训：未参加（应于 {self.due:%Y-%m-%d} 前参加）"
        return ""


def rotation_status(s: Session, staff_id: int, as_of: dt.date) -> RotationStatus:
    start, due = rotation_window(s)
    a, t = TrainingAttendance, TrainingSession
    done = s.scalar(
        select(func.min(t.end_date))
        .join(a, a.session_id == t.id)
        .where(
            a.staff_id == staff_id,
            t.is_rotation.is_(True),
            t.end_date >= start,
            t.end_date <= as_of,
            th.CREDIT > 0,
        )
    )
    required = (
        done is None
        and s.execute(_rotation_missing_query(start, due, as_of, staff_id)).first() is not None
    )
    return RotationStatus(due, done, required)


def check(s: Session, as_of: dt.date) -> list[Finding]:
    return (
        hours_short(s, as_of)
        + plan_missing(s, as_of)
        + study_missing(s, as_of)
        + rotation_missing(s, as_of)
    )
