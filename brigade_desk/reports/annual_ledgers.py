"""Annual report parts from the training ledger and the AV index."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brigade_desk.core.forms.xlsxform import Col
from brigade_desk.ledgers.av import rules as av_rules
from brigade_desk.ledgers.av.models import AvRecord
from brigade_desk.ledgers.training import hours as th
from brigade_desk.ledgers.training.models import (
    PlanStatus,
    TrainingPlan,
    TrainingSession,
    is_professional,
)
from brigade_desk.reports.annual import Section

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


def training_section(session: Session, year: int, as_of: dt.date) -> Section:
    until = min(dt.date(year, 12, 31), as_of)
    people = [p for p in th.summary(session, dt.date(year, 1, 1), until) if p.counted]
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
    req = people[0].required if people else 60.0
    plan_text = (
        f"年度培训计划已于{plan.approved_date:%Y年%m月%d日}批准"
        if plan and plan.status == PlanStatus.APPROVED and plan.approved_date
        else ("年度培训计划尚未批准" if plan else "尚未制定年度培训计划")
    )
    paras = [
        f"{plan_text}。全年组织培训{len(sessions)}次，其中全员集中学法{sum(1 for s in sessions if s.is_monthly_study)}次"
        f"（覆盖{len(months_with_study)}个月），组织考试的培训{sum(1 for s in sessions if s.has_exam)}次。",
        f"在岗执法人员{len(people)}人，人均业务培训{avg:.1f}学时；达到每年{req:g}学时要求的{len(met)}人"
        + (
            f"，未达到的{len(short)}人（合计尚差{sum(p.missing for p in short):.1f}学时）"
            if short
            else "，全部达标"
        )
        + "。",
        f"参加考试{exams}人次，合格{passed}人次"
        + (f"，合格率{passed * 100 / exams:.1f}%" if exams else "")
        + "。",
    ]
    rows: list[list[Any]] = [
        ["培训次数（次）", len(sessions), f"{year}年内结束的培训"],
        ["业务培训课时合计（学时）", round(prof_hours, 1), ""],
        ["在岗执法人员（人）", len(people), ""],
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


def recording_part(
    session: Session, year: int, as_of: dt.date
) -> tuple[list[str], list[list[Any]]]:
    start, end = dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
    n, with_case, important = session.execute(
        select(
            func.count(AvRecord.id),
            func.count(func.nullif(AvRecord.case_no, "")),
            func.sum(AvRecord.important),
        ).where(AvRecord.media_start >= start, AvRecord.media_start < end)
    ).one()
    missing = [f for f in av_rules.check_full_process(session, as_of)]
    integrity = [f for f in av_rules.check_integrity(session, as_of)]
    paras = [
        f"全年入库执法音像记录{n}个文件，其中关联案件的{with_case}个、重点标记的{int(important or 0)}个；"
        f"入库时逐个计算 SHA-256 指纹，定期校验防删改。"
        + (
            f"目前有{len(missing)}项须全程音像记录的执法活动未找到对应的音像记录，"
            if missing
            else "须全程音像记录的执法活动均有对应音像记录，"
        )
        + (
            f"最近一次校验发现{len(integrity)}个文件被修改或缺失。"
            if integrity
            else "最近一次校验未发现文件被修改或缺失。"
        )
    ]
    rows = [
        ["音像记录文件（个）", n, f"{year}年拍摄"],
        ["  关联案件的文件（个）", with_case, ""],
        ["缺少全程音像记录的执法活动（项）", len(missing), f"截至 {as_of:%Y-%m-%d}"],
        ["校验发现修改或缺失（项）", len(integrity), ""],
    ]
    return paras, rows
