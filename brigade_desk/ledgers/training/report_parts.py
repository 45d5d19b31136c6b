"""Template sources from the training ledger: 培训记录, 参训明细, 人员学时."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brigade_desk.core.period import Period
from brigade_desk.ledgers.roster.models import Staff
from brigade_desk.ledgers.training import hours as th
from brigade_desk.ledgers.training.models import TrainingAttendance, TrainingSession
from brigade_desk.ledgers.training.service import category_label
from brigade_desk.reports.sources import Source

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
    for i, p in enumerate(th.summary(s, period.start, period.end), 1):
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
