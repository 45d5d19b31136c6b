"""培训台账 workbooks: per-person hours (人员学时汇总), sessions (培训记录), attendance (参训明细),
and the annual plan (年度培训计划). Same print set-up and title/footer as every form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import case, func, select

from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.forms.common import cn_date, form_info
from brigade_desk.core.forms.xlsxform import Col, Section, StreamWorkbook
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.roster.models import Staff
from brigade_desk.ledgers.training import hours as th
from brigade_desk.ledgers.training.models import (
    TrainingAttendance,
    TrainingCategory,
    TrainingSession,
)
from brigade_desk.ledgers.training.service import TrainingService

SUMMARY_COLS = [
    Col("序号", 6),
    Col("姓名", 10),
    Col("身份证号", 22),
    Col("中队", 10),
    Col("人员类别", 13),
    Col("在岗状态", 8),
    Col("政治理论和党性教育", 8, "0.0#"),
    Col("公共法律知识", 8, "0.0#"),
    Col("业务知识", 7, "0.0#"),
    Col("执法技能", 7, "0.0#"),
    Col("业务学时小计", 8, "0.0#"),
    Col("总学时", 7, "0.0#"),
    Col("年度累计业务学时", 8, "0.0#"),
    Col("年度要求", 7, "0.0#"),
    Col("尚差学时", 7, "0.0#"),
    Col("完成情况", 13),
    Col("参训次数", 7, "0"),
    Col("缺勤次数", 7, "0"),
    Col("考试次数", 7, "0"),
    Col("考试合格", 7, "0"),
]
SESSION_COLS = [
    Col("序号", 6),
    Col("开始日期", 12),
    Col("结束日期", 12),
    Col("培训名称", 34),
    Col("培训形式", 12),
    Col("培训类别", 16),
    Col("学时", 7, "0.0#"),
    Col("组织单位", 16),
    Col("培训地点", 14),
    Col("全员集中学法", 8),
    Col("全员轮训", 7),
    Col("考试", 6),
    Col("参训人数", 8, "0"),
    Col("缺勤人数", 8, "0"),
    Col("考试合格人数", 9, "0"),
]
ATTEND_COLS = [
    Col("序号", 7),
    Col("结束日期", 11),
    Col("培训名称", 30),
    Col("培训类别", 16),
    Col("姓名", 10),
    Col("身份证号", 22),
    Col("中队", 12),
    Col("人员类别", 13),
    Col("出勤", 6),
    Col("本次学时", 8, "0.0#"),
    Col("实得学时", 8, "0.0#"),
    Col("考试成绩", 8, "0.0#"),
    Col("是否合格", 8),
    Col("缺勤原因", 18),
]
PLAN_COLS = [
    Col("序号", 6),
    Col("月份", 7),
    Col("培训内容", 40),
    Col("培训形式", 14),
    Col("培训类别", 16),
    Col("计划学时", 9, "0.0#"),
    Col("组织单位", 18),
]
NOTE = (
    "统计口径：培训学时按培训结束日期计入所属期间；业务学时＝公共法律知识＋业务知识＋执法技能，"
    "不含政治理论和党性教育；在岗执法人员每年业务学时不少于{req}学时，执法辅助人员单列、不计入考核。"
)


def _label(cat: str) -> str:
    from brigade_desk.ledgers.training.service import category_label

    return category_label(cat)


def _status_text(p: th.PersonHours) -> str:
    if not p.counted:
        return "不计入考核（辅助人员）" if p.category != "执法人员" else f"不计入考核（{p.status}）"
    return "已完成" if p.missing <= 0 else f"未完成（{p.progress:.0%}）"


def export_training(
    db: Database,
    out: Path | str,
    *,
    year: int,
    quarter: int | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write the three sheets; ``progress`` is told about the attendance rows (and may cancel)."""
    if not 2000 <= year <= 2100:
        raise UserError(f"年度 {year} 无效")
    as_of = as_of or dt.date.today()
    start, end = th.year_bounds(year, quarter)
    period = f"{year}年" + (f"第{'一二三四'[quarter - 1]}季度" if quarter else "度")
    with db.session() as s:
        info = form_info(s, as_of)
        period_rows = th.summary(s, start, end)
        cumulative = th.credited_hours(s, dt.date(year, 1, 1), end)
        training_sessions = s.scalars(
            select(TrainingSession)
            .where(TrainingSession.end_date >= start, TrainingSession.end_date <= end)
            .order_by(TrainingSession.end_date, TrainingSession.id)
        ).all()
        counts = {
            ts_id: (int(n or 0), int(ab or 0), int(ok or 0))
            for ts_id, n, ab, ok in s.execute(
                select(
                    TrainingAttendance.session_id,
                    func.sum(case((TrainingAttendance.attended, 1), else_=0)),
                    func.sum(case((TrainingAttendance.attended, 0), else_=1)),
                    func.sum(case((TrainingAttendance.exam_passed.is_(True), 1), else_=0)),
                )
                .join(TrainingSession, TrainingSession.id == TrainingAttendance.session_id)
                .where(TrainingSession.end_date >= start, TrainingSession.end_date <= end)
                .group_by(TrainingAttendance.session_id)
            )
        }
        detail = s.execute(
            select(
                TrainingSession.end_date,
                TrainingSession.title,
                TrainingSession.category,
                Staff.name,
                Staff.id_number,
                Staff.squad,
                Staff.category,
                TrainingAttendance.attended,
                TrainingSession.hours,
                TrainingAttendance.hours,
                TrainingAttendance.exam_score,
                TrainingAttendance.exam_passed,
                TrainingAttendance.absence_reason,
                TrainingSession.has_exam,
            )
            .join(TrainingAttendance, TrainingAttendance.session_id == TrainingSession.id)
            .join(Staff, Staff.id == TrainingAttendance.staff_id)
            .where(TrainingSession.end_date >= start, TrainingSession.end_date <= end)
            .order_by(TrainingSession.end_date, TrainingSession.id, Staff.squad, Staff.name)
        ).all()
    required = period_rows[0].required if period_rows else 60.0
    officers = [p for p in period_rows if p.counted]
    others = [p for p in period_rows if not p.counted]

    def srow(i: int, p: th.PersonHours) -> list[object]:
        cum = cumulative.get(p.staff_id)
        cum_prof = cum.professional if cum else 0.0
        missing = th.r2(max(0.0, p.required - cum_prof)) if p.counted else None
        done = (
            (
                "已完成"
                if missing == 0
                else f"未完成（{min(1.0, cum_prof / p.required if p.required else 1):.0%}）"
            )
            if p.counted
            else _status_text(p)
        )
        b = p.by_category
        return [
            i,
            p.name,
            p.id_number,
            p.squad,
            p.category,
            p.status,
            b.get(TrainingCategory.POLITICAL.value, 0.0),
            b.get(TrainingCategory.PUBLIC_LAW.value, 0.0),
            b.get(TrainingCategory.BUSINESS.value, 0.0),
            b.get(TrainingCategory.SKILLS.value, 0.0),
            p.professional,
            p.total,
            cum_prof,
            p.required if p.counted else None,
            missing,
            done,
            p.sessions,
            p.absences,
            p.exams_taken,
            p.exams_passed,
        ]

    rows: list[list[object]] = [srow(i, p) for i, p in enumerate(officers, 1)]
    done_n = sum(1 for r in rows if r[15] == "已完成")
    if others:
        rows.append(["", Section("以下为执法辅助人员及不在岗人员（单列，不计入年度学时考核）")])
        rows.extend(srow(i, p) for i, p in enumerate(others, 1))

    def drows() -> Iterator[list[object]]:
        total = len(detail)
        for i, (
            end_d,
            title,
            cat,
            name,
            idn,
            squad,
            pcat,
            attended,
            s_hours,
            a_hours,
            score,
            passed,
            reason,
            exam,
        ) in enumerate(detail, 1):
            if progress is not None and i % 1000 == 0:
                progress.update(i, total, "正在写入参训明细…")
            credited = (a_hours if a_hours is not None else s_hours) if attended else 0.0
            yield [
                i,
                end_d,
                title,
                _label(cat),
                name,
                idn,
                squad,
                pcat,
                "出勤" if attended else "缺勤",
                s_hours,
                credited,
                score,
                ("合格" if passed else "不合格")
                if exam and attended and passed is not None
                else "",
                reason,
            ]

    with StreamWorkbook(out) as wb:  # nothing is written when cancelled
        wb.add_form_sheet(
            "人员学时汇总",
            f"{info.unit}{period}执法人员培训学时汇总表",
            info,
            SUMMARY_COLS,
            rows,
            note=NOTE.format(req=th.fmt_hours(required)) + f"在岗执法人员{len(officers)}人，"
            f"已完成{done_n}人，未完成{len(officers) - done_n}人（截至{cn_date(min(end, as_of))}）。",
        )
        wb.add_form_sheet(
            "培训记录",
            f"{info.unit}{period}培训记录",
            info,
            SESSION_COLS,
            (
                [
                    i,
                    t.start_date,
                    t.end_date,
                    t.title,
                    t.form,
                    _label(t.category),
                    t.hours,
                    t.organiser,
                    t.place,
                    t.is_monthly_study,
                    t.is_rotation,
                    t.has_exam,
                    *counts.get(t.id, (0, 0, 0)),
                ]
                for i, t in enumerate(training_sessions, 1)
            ),
            note=f"共 {len(training_sessions)} 次培训，合计 {th.fmt_hours(sum(t.hours for t in training_sessions))} 学时。",
        )
        wb.add_form_sheet(
            "参训明细",
            f"{info.unit}{period}参训明细",
            info,
            ATTEND_COLS,
            drows(),
            note=f"共 {len(detail)} 人次。实得学时等于本次学时表示全额计入；缺勤不计学时。",
        )
    return Path(out)


def export_plan(db: Database, out: Path | str, *, year: int, as_of: dt.date | None = None) -> Path:
    plan = TrainingService(db).get_plan(year)
    if plan is None:
        raise UserError(f"{year} 年还没有培训计划。")
    with db.session() as s:
        info = form_info(s, as_of)
    status = plan.status + (f"（{cn_date(plan.approved_date)}批准）" if plan.approved_date else "")
    totals = "；".join(f"{_label(k)} {th.fmt_hours(v)} 学时" for k, v in plan.planned_hours.items())
    with StreamWorkbook(out) as wb:
        wb.add_form_sheet(
            "年度培训计划",
            plan.title or f"{year}年度执法人员培训计划",
            info,
            PLAN_COLS,
            (
                [
                    i,
                    f"{it.month}月",
                    it.topic,
                    it.form,
                    _label(it.category),
                    it.planned_hours,
                    it.organiser,
                ]
                for i, it in enumerate(plan.items, 1)
            ),
            note=f"计划状态：{status}。计划学时：{totals or '无'}。",
        )
    return Path(out)
