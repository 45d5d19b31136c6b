"""The roster's settings: certificate reminders, the legal-reviewer ratio, the body-camera deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from brigade_desk.core.settings import DateSetting, FloatSetting, IntSetting, SettingDef

CERT_EXPIRING_DAYS = IntSetting(
    "roster.cert_expiring_days",
    "证件到期提醒天数",
    90,
    "证件有效期在多少天内到期时提醒",
    min=0,
    max=3650,
)


LEGAL_REVIEWER_RATIO = FloatSetting(
    "roster.legal_reviewer_ratio",
    "法制审核人员最低比例（%）",
    5.0,
    "占在岗执法人员的百分比",
    min=0.0,
    max=100.0,
)


BODYCAM_DEADLINE = DateSetting(
    "roster.bodycam_deadline",
    "一线执法人员配备执法记录仪期限",
    dt.date(2026, 12, 31),
    "交通运输部2024–2026年方案",
)


SETTINGS: list[SettingDef[Any]] = [
    CERT_EXPIRING_DAYS,
    LEGAL_REVIEWER_RATIO,
    BODYCAM_DEADLINE,
]
