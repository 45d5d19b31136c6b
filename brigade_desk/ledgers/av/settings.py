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
