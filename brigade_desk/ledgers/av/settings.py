"""The AV index's settings: full-process activities, retention, hashing workers."""

from __future__ import annotations

from typing import Any

from brigade_desk.core.settings import (
    BoolSetting,
    IntSetting,
    SettingDef,
    TextListSetting,
    TextSetting,
    YearsTableSetting,
)

# ---- AV record index (执法音像记录台账) ----
AV_FULL_PROCESS = TextListSetting(
    "av.full_process_activities",
    "须全程音像记录的执法活动",
    ["查封扣押", "强制拆除"],
    "案件记录了这些执法活动而索引中没有该案件该活动的音像记录时提示（全程记录）",
    min_items=1,
)


AV_CASE_PERMANENT = BoolSetting(
    "av.case_evidence_permanent",
    "作为案件证据的音像记录永久保存",
    True,
    "填写了案件编号的音像记录保存期限为永久",
)


AV_RETENTION_YEARS = YearsTableSetting(
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


AV_WORKERS = IntSetting(
    "av.hash_workers",
    "音像文件校验时同时处理的文件数",
    2,
    "计算 SHA-256 时同时处理的文件数",
    min=1,
    max=64,
)


SETTINGS: list[SettingDef[Any]] = [
    AV_FULL_PROCESS,
    AV_CASE_PERMANENT,
    AV_RETENTION_YEARS,
    AV_WORKERS,
]


# ---- coverage by time (issue 19): full-process recording compared with the activity's 开始/结束 ----
AV_COVERAGE_GAP = IntSetting(
    "av.coverage_gap_seconds",
    "全程音像记录允许的间隙（秒）",
    90,
    "执法活动登记了开始/结束时间时，相邻两段音像文件之间（以及开始、结束处）不超过此秒数的空档"
    "不算未记录（换卡、换电池、文件自动分段）",
    min=0,
    max=1800,
)
SETTINGS.append(AV_COVERAGE_GAP)


# ---- rolling verification (issue 19) ----
AV_VERIFY_HEAD_START = IntSetting(
    "av.verify_evidence_head_days",
    "限时校验时案件证据、永久保存文件的优先天数",
    30,
    "限时校验（av verify --budget-minutes）先校验从未校验的文件，再按上次校验时间由远到近；"
    "案件证据和永久保存的文件按上次校验时间提前这么多天排队，其他文件也不会一直轮不到",
    min=0,
    max=3650,
)
SETTINGS.append(AV_VERIFY_HEAD_START)


# ---- archive by default (issue #19 item 6) ----
AV_ARCHIVE_ROOT = TextSetting(
    "av.archive_root",
    "音像文件归档位置（入库时复制到此处）",
    "",
    "入库默认把文件复制到此文件夹（按 年/月/设备 存放，复制后校验）；"
    "也可用命令 brigade-desk av archive-root 文件夹 设置",
    placeholder="如 D:\\执法音像归档",
)
SETTINGS.append(AV_ARCHIVE_ROOT)
