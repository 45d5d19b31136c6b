"""Typed settings kept in the database, with defaults.

Every number a rule uses is a setting here so the clerk can change it without a new version.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

# ``Setting`` is imported inside the functions: importing the models package registers every ledger's
# tables, and some ledgers define their settings at import time (a cycle if imported here).


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SettingDef:
    key: str
    label: str
    default: Any
    help: str = ""
    # raises ValueError (a Chinese reason) for a value of the right JSON type but the wrong shape
    validate: Callable[[Any], None] | None = None

    def check(self, value: Any) -> None:
        """ValueError with a Chinese reason when ``value`` cannot be used for this setting."""
        if self.default is not None and not _same_kind(value, self.default):
            raise ValueError(f"应为{_kind_name(self.default)}")
        if self.validate is not None:
            self.validate(value)


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


def _kind_name(default: Any) -> str:
    if isinstance(default, bool):
        return "是或否"
    if isinstance(default, int | float):
        return "数字"
    if isinstance(default, list):
        return "列表（JSON 中用 [ ] 括起）"
    if isinstance(default, dict):
        return "对象（JSON 中用 { } 括起）"
    return "文字"


DEFINITIONS: dict[str, SettingDef] = {}

# Every module that defines settings (``define`` at import time), so the full list does not depend on
# which ledgers happen to have been imported already. A module calling ``define`` must be listed here.
SETTING_MODULES: tuple[str, ...] = (
    "brigade_desk.settings",
    "brigade_desk.services.training_hours",
    "brigade_desk.case_settings",
    "brigade_desk.reports.calendar",
)


def all_definitions() -> dict[str, SettingDef]:
    """Every setting of every ledger (importing the modules that define them first)."""
    import importlib

    for name in SETTING_MODULES:
        importlib.import_module(name)
    return DEFINITIONS


def define(
    key: str,
    label: str,
    default: Any,
    help: str = "",
    validate: Callable[[Any], None] | None = None,
) -> SettingDef:
    d = SettingDef(key, label, default, help, validate)
    DEFINITIONS[key] = d
    return d


UNIT_NAME = define("unit.name", "单位名称（填报单位）", "某县交通运输综合行政执法大队")
PREPARER = define("unit.preparer", "填表人", "")
REVIEWER = define("unit.reviewer", "审核人", "")
PHONE = define("unit.phone", "联系电话", "")
CERT_EXPIRING_DAYS = define(
    "roster.cert_expiring_days", "证件到期提醒天数", 90, "证件有效期在多少天内到期时提醒"
)
LEGAL_REVIEWER_RATIO = define(
    "roster.legal_reviewer_ratio", "法制审核人员最低比例（%）", 5.0, "占在岗执法人员的百分比"
)
BODYCAM_DEADLINE = define(
    "roster.bodycam_deadline",
    "一线执法人员配备执法记录仪期限",
    "2026-12-31",
    "交通运输部2024–2026年方案",
)
MASK_IDS = define(
    "privacy.mask_ids",
    "列表和不需要完整号码的表格中隐藏身份证号中间位",
    True,
    "关闭后所有列表和表格显示完整身份证号",
)
MASK_IDS_IN_FORMS = define(
    "privacy.mask_ids_in_roster_export",
    "上报花名册中也隐藏身份证号中间位",
    False,
    "花名册通常需要完整身份证号；如上级不需要可打开",
)


def get(session: Session, d: SettingDef) -> Any:
    from brigade_desk.models.settings import Setting

    row = session.get(Setting, d.key)
    if row is None:
        return d.default
    try:
        value = json.loads(row.value)
        d.check(value)
    except ValueError as exc:  # written by another program or an older version: the default
        log.warning(
            "setting %s holds an unusable value %r (%s); using the default",
            d.key,
            row.value[:200],
            exc,
        )
        return d.default
    return value


def set_value(session: Session, d: SettingDef | str, value: Any) -> None:
    from brigade_desk.models.settings import Setting

    key = d if isinstance(d, str) else d.key
    row = session.get(Setting, key)
    payload = json.dumps(value, ensure_ascii=False)
    if row is None:
        session.add(Setting(key=key, value=payload))
    else:
        row.value = payload


def get_key(session: Session, key: str, default: Any = None) -> Any:
    from brigade_desk.models.settings import Setting

    row = session.get(Setting, key)
    if row is None:
        defs = DEFINITIONS if key in DEFINITIONS else all_definitions()
        return defs[key].default if key in defs else default
    return json.loads(row.value)


# ---- AV record index (执法音像记录台账) ----
AV_FULL_PROCESS = define(
    "av.full_process_activities",
    "须全程音像记录的执法活动",
    ["查封扣押", "强制拆除"],
    "案件记录了这些执法活动而索引中没有该案件该活动的音像记录时提示（全程记录）",
)
AV_CASE_PERMANENT = define(
    "av.case_evidence_permanent",
    "作为案件证据的音像记录永久保存",
    True,
    "填写了案件编号的音像记录保存期限为永久",
)
AV_RETENTION_YEARS = define(
    "av.retention_years",
    "音像记录保存期限（年，按执法活动；空为永久）",
    {
        "查封扣押": None,
        "强制拆除": None,
        "现场检查": 1,
        "调查取证": None,
        "听证": None,
        "留置送达": None,
        "公告送达": None,
        "其他": 1,
    },
    "不作为案件证据的音像记录按执法活动保存的年数；null 表示永久",
)
AV_WORKERS = define(
    "av.hash_workers", "音像文件校验时同时处理的文件数", 2, "计算 SHA-256 时同时处理的文件数"
)
