"""Training ledger rules: yearly hours, the annual plan, the monthly all-staff legal study."""

from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from brigade_desk import settings
from brigade_desk.models.training import PlanStatus, TrainingPlan, TrainingSession
from brigade_desk.rules import Finding
from brigade_desk.services import training_hours as th

RULES = {
    "training_hours_short": "执法人员年度业务培训学时不足",
    "training_plan_missing": "年度培训计划未按时批准",
    "monthly_study_missing": "当月未开展全员集中学法",
}


def plan_due(s: Session, year: int) -> dt.date:
    raw = str(settings.get(s, th.PLAN_DUE)).strip()
    try:
        month, day = (int(x) for x in raw.split("-"))
        return dt.date(year, month, day)
    except ValueError:
        return dt.date(year, 3, 31)


def hours_short(s: Session, as_of: dt.date) -> list[Finding]:
    """On-duty officers under the required professional hours in ``as_of``'s year (so far)."""
    year = as_of.year
    out = []
    for p in th.year_summary(s, year, until=as_of):
        if not p.counted or p.professional >= p.required - 1e-9:
            continue
        out.append(Finding(
            "training_hours_short", p.name, p.id_number, dt.date(year, 12, 31),
            f"{year} 年业务培训已完成 {th.fmt_hours(p.professional)} 学时，还差 {th.fmt_hours(p.missing)} 学时"
            f"（要求不少于 {th.fmt_hours(p.required)} 学时；另有政治理论和党性教育 {th.fmt_hours(p.political)} 学时，不计入）",
            "staff", p.staff_id,
        ))
    return out


def plan_missing(s: Session, as_of: dt.date) -> list[Finding]:
    year = as_of.year
    due = plan_due(s, year)
    if as_of <= due:
        return []
    plan = s.scalar(select(TrainingPlan).where(TrainingPlan.year == year))
    approved = (plan is not None and plan.status == PlanStatus.APPROVED
                and (plan.approved_date is None or plan.approved_date <= as_of))
    if approved:
        return []
    unit = str(settings.get(s, settings.UNIT_NAME))
    state = "尚未编制" if plan is None else (f"仍为“{plan.status}”" if plan.status != PlanStatus.APPROVED
                                          else f"批准日期 {plan.approved_date:%Y-%m-%d} 晚于检查日期")
    return [Finding("training_plan_missing", unit, f"{year}年度培训计划", due,
                    f"{year} 年度培训计划应于 {due:%Y-%m-%d} 前制定并批准，目前{state}",
                    "training_plan", plan.id if plan else None)]


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
        out.append(Finding("monthly_study_missing", f"{y}-{m:02d}", unit, last,
                           f"{y} 年 {m} 月没有登记全员集中学法（每月至少一次）；如已开展，请补录并勾选“每月全员集中学法”",
                           "training_month", None))
    return out


def check(session: Session, as_of: dt.date) -> list[Finding]:
    return hours_short(session, as_of) + plan_missing(session, as_of) + study_missing(session, as_of)
