"""The training ledger's settings: the yearly required professional hours (60), the plan's due date, training forms, the exam pass score, the rotation window."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from brigade_desk.core import settings


def check_month_day(value: str) -> None:
    """ValueError unless ``value`` is a month and day as MM-DD (03-31; 02-29 too)."""
    try:
        if not re.fullmatch(r"\d\d-\d\d", value.strip()):
            raise ValueError
        dt.date.fromisoformat(f"2024-{value.strip()}")
    except ValueError:
        raise ValueError("应为 月-日，如 03-31") from None


REQUIRED_HOURS = settings.FloatSetting(
    "training.required_hours",
    "执法人员年度业务培训最低学时",
    60.0,
    "公共法律知识、业务知识、执法技能学时合计，不含政治理论和党性教育",
    min=0.0,
    max=1000.0,
)


PLAN_DUE = settings.TextSetting(
    "training.plan_due",
    "年度培训计划报送期限（月-日）",
    "03-31",
    "每年一季度末",
    check_month_day,
    placeholder="MM-DD，如 03-31",
)


DEFAULT_FORMS = [
    "集中轮训",
    "法治讲堂",
    "线上学习",
    "知识竞赛",
    "案例教学",
    "庭审旁听",
    "现场观摩",
    "情景模拟",
    "每周一学",
    "上级组织培训",
    "集中学法",
    "专题讲座",
    "岗位练兵",
    "考试",
]


FORMS = settings.TextListSetting(
    "training.forms",
    "培训形式列表",
    DEFAULT_FORMS,
    "会话编辑时可选的培训形式，可增删",
    min_items=1,
)


PASS_SCORE = settings.FloatSetting(
    "training.pass_score", "考试合格分数线", 60.0, min=0.0, max=1000.0
)


ROTATION_DUE = settings.DateSetting(
    "training.rotation_due",
    "全员轮训完成期限",
    dt.date(2024, 6, 30),
    "每名执法人员应于此日期前参加一次全员轮训（三年行动方案：2024 年 6 月底前）",
)


ROTATION_FROM = settings.DateSetting(
    "training.rotation_from",
    "全员轮训计入起始日期",
    dt.date(2023, 1, 1),
    "此日期前结束的轮训属于以往轮次，不计入本次全员轮训（三年行动 2023–2025 年）",
)


SETTINGS: list[settings.SettingDef[Any]] = [
    REQUIRED_HOURS,
    PLAN_DUE,
    FORMS,
    PASS_SCORE,
    ROTATION_DUE,
    ROTATION_FROM,
]
