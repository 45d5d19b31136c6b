"""Template sources from the training ledger: 培训记录, 参训明细, 人员学时."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.forms.xlsxform import Col
from brigade_desk.core.ledger import Section, SheetData, Source
from brigade_desk.core.period import Period, year_as_of
from brigade_desk.ledgers.cases.stats import YearSpan, zh_date
from brigade_desk.ledgers.roster.models import Staff
from brigade_desk.ledgers.training import hours as th
from brigade_desk.ledgers.training import settings as training_settings
from brigade_desk.ledgers.training.models import (
    PlanStatus,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
    is_professional,
)
from brigade_desk.ledgers.training.service import category_label

SESSION_FIELDS = (
    "序号",
    "开始日期",
    "结束日期",
    "培训名称",
    "培训形式",
    "培训类别",
    "学时",
    "组织单位",
    "培训地点",
    "全员集中学法",
    "全员轮训",
    "考试",
)
ATTEND_FIELDS = (
    "序号",
    "结束日期",
    "培训名称",
    "培训类别",
    "姓名",
    "身份证号",
    "中队",
    "出勤",
    "本次学时",
    "实得学时",
    "考试成绩",
    "是否合格",
    "缺勤原因",
)
HOURS_FIELDS = (
    "序号",
    "姓名",
    "身份证号",
    "中队",
    "人员类别",
    "在岗状态",
    "政治理论和党性教育",
    "公共法律知识",
    "业务知识",
    "执法技能",
    "业务学时",
    "总学时",
    "年度要求",
    "尚差学时",
)


def session_rows(s: Session, period: Period) -> list[dict[str, Any]]:
    rows = s.scalars(
        select(TrainingSession)
        .where(TrainingSession.end_date >= period.start, TrainingSession.end_date <= period.end)
        .order_by(TrainingSession.end_date, TrainingSession.id)
    ).all()
    return [
        dict(
            zip(
                SESSION_FIELDS,
                (
                    i,
                    t.start_date,
                    t.end_date,
                    t.title,
                    t.form,
                    category_label(t.category),
                    t.hours,
                    t.organiser,
                    t.place,
                    t.is_monthly_study,
                    t.is_rotation,
                    t.has_exam,
                ),
                strict=True,
            )
        )
        for i, t in enumerate(rows, 1)
    ]


def attendance_rows(s: Session, period: Period) -> list[dict[str, Any]]:
    q = (
        select(TrainingSession, TrainingAttendance, Staff)
        .join(TrainingAttendance, TrainingAttendance.session_id == TrainingSession.id)
        .join(Staff, Staff.id == TrainingAttendance.staff_id)
        .where(TrainingSession.end_date >= period.start, TrainingSession.end_date <= period.end)
        .order_by(TrainingSession.end_date, TrainingSession.id, Staff.squad, Staff.name)
    )
    out = []
    for i, (t, a, p) in enumerate(s.execute(q), 1):
        credited = (a.hours if a.hours is not None else t.hours) if a.attended else 0.0
        passed = None if a.exam_passed is None else ("合格" if a.exam_passed else "不合格")
        out.append(
            dict(
                zip(
                    ATTEND_FIELDS,
                    (
                        i,
                        t.end_date,
                        t.title,
                        category_label(t.category),
                        p.name,
                        p.id_number,
                        p.squad,
                        "出勤" if a.attended else "缺勤",
                        t.hours,
                        credited,
                        a.exam_score,
                        passed,
                        a.absence_reason,
                    ),
                    strict=True,
                )
            )
        )
    return out


def hours_rows(s: Session, period: Period) -> list[dict[str, Any]]:
    out = []
    day = min(period.end, dt.date.today())
    for i, p in enumerate(th.summary_on(s, period.start, day), 1):
        b = p.by_category
        out.append(
            dict(
                zip(
                    HOURS_FIELDS,
                    (
                        i,
                        p.name,
                        p.id_number,
                        p.squad,
                        p.category,
                        p.status,
                        p.political,
                        b.get("公共法律知识", 0.0),
                        b.get("业务知识", 0.0),
                        b.get("执法技能", 0.0),
                        p.professional,
                        p.total,
                        p.required if p.counted else None,
                        p.missing if p.counted else None,
                    ),
                    strict=True,
                )
            )
        )
    return out


SOURCES = [
    Source("培训记录", SESSION_FIELDS, session_rows, "期间内结束的每次培训"),
    Source("参训明细", ATTEND_FIELDS, attendance_rows, "期间内每次培训的每名参训/缺勤人员"),
    Source(
        "人员学时", HOURS_FIELDS, hours_rows, "每人期间内各类培训学时（在岗执法人员对照年度要求）"
    ),
]


HOURS_WIDTHS = {"序号": 6, "姓名": 10, "身份证号": 21, "中队": 12, "人员类别": 13, "在岗状态": 8}


@dataclass(frozen=True)
class _Range:
    start: dt.date
    end: dt.date


def training_sheet(session: Session, period: Period) -> SheetData:
    from brigade_desk.ledgers.training.report_parts import HOURS_FIELDS, hours_rows

    ytd = _Range(period.year_start, period.end)
    rows = [[r[f] for f in HOURS_FIELDS] for r in hours_rows(session, ytd)]  # type: ignore[arg-type]
    cols = [
        Col(f, HOURS_WIDTHS.get(f, 11), None if f in HOURS_WIDTHS else "0.0") for f in HOURS_FIELDS
    ]
    return SheetData(
        f"{period.year}年执法人员培训学时台账（截至{period.so_far.month}月{period.so_far.day}日）",
        cols,
        rows,
        note=f"统计{zh_date(ytd.start)}至{zh_date(period.so_far)}结束的培训，人员及在岗状态为"
        f"{zh_date(period.so_far)}的情况。业务学时（公共法律知识、业务知识、执法技能）"
        "另计于政治理论和党性教育之外，在岗执法人员每年不少于规定学时。",
    )


HOURS_COLS = [
    Col("序号", 6),
    Col("姓名", 10),
    Col("中队", 12),
    Col("政治理论学时", 12, "0.0"),
    Col("业务学时", 10, "0.0"),
    Col("年度要求", 10, "0.0"),
    Col("尚差学时", 10, "0.0"),
    Col("参训次数", 10),
    Col("考试/合格", 12),
]


def training_people(session: Session, year: int, as_of: dt.date) -> list[th.PersonHours]:
    """The officers held to the year's requirement: in post on the year's last day (or on ``as_of``
    while the year runs), with their hours of the sessions ending in the year up to that day."""
    on = year_as_of(year, as_of)
    return [p for p in th.summary_on(session, dt.date(year, 1, 1), on) if p.counted]


def training_section(session: Session, year: int, as_of: dt.date) -> Section:
    ys = YearSpan.of(year, as_of)
    until = ys.day
    people = training_people(session, year, as_of)
    sessions = session.scalars(
        select(TrainingSession).where(
            TrainingSession.end_date >= dt.date(year, 1, 1), TrainingSession.end_date <= until
        )
    ).all()
    plan = session.scalar(select(TrainingPlan).where(TrainingPlan.year == year))
    met = [p for p in people if p.missing == 0]
    short = [p for p in people if p.missing > 0]
    prof_hours = sum(float(s.hours) for s in sessions if is_professional(s.category))
    months_with_study = sorted({s.end_date.month for s in sessions if s.is_monthly_study})
    exams = sum(p.exams_taken for p in people)
    passed = sum(p.exams_passed for p in people)
    avg = sum(p.professional for p in people) / len(people) if people else 0.0
    req = (
        people[0].required
        if people
        else float(settings.get(session, training_settings.REQUIRED_HOURS))
    )
    plan_text = (
        f"年度培训计划已于{zh_date(plan.approved_date)}批准"
        if plan and plan.status == PlanStatus.APPROVED and plan.approved_date
        else ("年度培训计划尚未批准" if plan else "尚未制定年度培训计划")
    )
    running = ys.running
    paras = [
        f"{plan_text}。{ys.lead}{ys.whole}组织培训{len(sessions)}次，其中全员集中学法{sum(1 for s in sessions if s.is_monthly_study)}次"
        f"（覆盖{len(months_with_study)}个月），组织考试的培训{sum(1 for s in sessions if s.has_exam)}次。",
        f"截至{zh_date(until)}，在岗执法人员{len(people)}人，人均业务培训{avg:.1f}学时；"
        f"{'已' if running else ''}达到每年{req:g}学时要求的{len(met)}人"
        + (
            f"，{'尚' if running else ''}未达到的{len(short)}人"
            f"（合计尚差{sum(p.missing for p in short):.1f}学时）"
            if short
            else "，全部达标"
        )
        + "。",
        f"参加考试{exams}人次，合格{passed}人次"
        + (f"，合格率{passed * 100 / exams:.1f}%" if exams else "")
        + "。",
    ]
    rows: list[list[Any]] = [
        [
            "培训次数（次）",
            len(sessions),
            f"{year}年内结束的培训" + (f"，截至{zh_date(until)}" if running else ""),
        ],
        ["业务培训课时合计（学时）", round(prof_hours, 1), ""],
        ["在岗执法人员（人）", len(people), f"截至{zh_date(until)}"],
        ["人均业务学时", round(avg, 1), f"要求每人每年不少于{req:g}学时"],
        ["达标人数（人）", len(met), ""],
        ["未达标人数（人）", len(short), ""],
        ["考试人次", exams, ""],
        ["考试合格人次", passed, ""],
    ]
    detail = [
        [
            i,
            p.name,
            p.squad,
            p.political,
            p.professional,
            p.required,
            p.missing,
            p.sessions,
            f"{p.exams_taken}/{p.exams_passed}",
        ]
        for i, p in enumerate(sorted(people, key=lambda p: (p.squad, p.name)), 1)
    ]
    return Section(
        "执法人员培训情况",
        paras,
        rows,
        sheet="培训",
        detail_sheet="培训学时明细",
        detail_cols=HOURS_COLS,
        detail_rows=detail,
    )
