"""Settings of the case register and the case-file review (every number a case rule uses).

Defaults follow the law and the seeds; each can be changed by the clerk (settings page or
``settings.set_value``). Day kinds are ``working`` (official working days) or ``calendar``.
"""

from __future__ import annotations

from typing import Any

from brigade_desk.core.settings import (
    ChoiceSetting,
    FloatSetting,
    IntSetting,
    SettingDef,
    TextListSetting,
    TextSetting,
)

# how a period is counted (the codes of brigade_desk.core.workdays; the words normalize_kind also reads)
DAY_KINDS = (("working", "工作日"), ("calendar", "自然日"))
DAY_KIND_ALIASES = (("日历日", "calendar"), ("日", "calendar"))
MAX_DAYS = 3650


def _days(key: str, label: str, default: int, help: str) -> IntSetting:
    return IntSetting(key, label, default, help, min=0, max=MAX_DAYS)


def _day_kind(key: str, label: str, default: str) -> ChoiceSetting:
    return ChoiceSetting(
        key,
        label,
        default,
        "填 工作日 或 自然日（working / calendar）",
        options=DAY_KINDS,
        aliases=DAY_KIND_ALIASES,
    )


def _yuan(key: str, label: str, default: float, help: str) -> FloatSetting:
    return FloatSetting(key, label, default, help, min=0.0, max=100_000_000.0, decimals=2)


FILING_DAYS = _days(
    "cases.filing_days",
    "重大处罚决定备案期限（天）",
    5,
    "决定作出后多少天内备案（行政处罚法第85条：五日指工作日）",
)
FILING_KIND = _day_kind("cases.filing_kind", "备案期限计算方式", "working")
PUBLICATION_DAYS = _days(
    "cases.publication_days", "执法决定公示期限（天）", 20, "决定作出后多少天内公示"
)
PUBLICATION_KIND = _day_kind("cases.publication_kind", "公示期限计算方式", "working")
PUBLICATION_CATEGORIES = TextListSetting(
    "cases.publication_categories",
    "需要公示的案件类别",
    ["行政处罚", "行政强制", "行政许可"],
    "这些类别的执法决定须在期限内公示",
    min_items=1,
)
DECISION_DAYS = _days(
    "cases.decision_days",
    "普通程序作出决定期限（天）",
    90,
    "行政处罚法第60条：自立案之日起九十日内作出决定",
)
DECISION_KIND = _day_kind("cases.decision_kind", "作出决定期限计算方式", "calendar")
# amounts in yuan: a province's figure may have fen (a stored 10000.01 is kept as it is)
HEARING_PERSON = _yuan(
    "cases.hearing_threshold_person",
    "听证告知罚款数额（个人，元）",
    10000.0,
    "对个人罚款或没收达到该数额须告知听证权利（较大数额，各省标准不同，请按本省规定填写）",
)
HEARING_ORG = _yuan(
    "cases.hearing_threshold_org",
    "听证告知罚款数额（单位，元）",
    100000.0,
    "对单位罚款或没收达到该数额须告知听证权利（较大数额，各省标准不同，请按本省规定填写）",
)
HEARING_WAIT_DAYS = _days(
    "cases.hearing_wait_days",
    "听证申请期限（天）",
    5,
    "行政处罚法第64条：当事人在告知后五日内提出听证，期满前不得作出决定",
)
HEARING_WAIT_KIND = _day_kind("cases.hearing_wait_kind", "听证申请期限计算方式", "working")
REMIND_DAYS = _days(
    "cases.remind_working_days",
    "备案、公示期限提前提醒（工作日）",
    3,
    "期限前多少个工作日起在问题清单中提醒尚未备案、公示的案件",
)
MIN_OFFICERS = IntSetting(
    "cases.min_certified_officers",
    "每案最少持证执法人员数",
    2,
    "行政处罚法第42条",
    min=0,
    max=100,
)
LOOKBACK_DAYS = _days(
    "cases.rule_lookback_days",
    "案件规则检查回溯天数",
    730,
    "只检查立案或决定在该天数内、或尚未结案的案件",
)
PER_CATEGORY = IntSetting(
    "review.per_category",
    "案卷评查每类最少抽取件数",
    10,
    "不足该数时全部评查",
    min=0,
    max=100_000,
)
# a score is at most 100; a threshold above it (e.g. 101) means no review reaches that grade
GRADE_EXCELLENT = IntSetting(
    "review.grade_excellent",
    "评查“优秀”最低分",
    90,
    "得分不低于此分且无否决项为优秀",
    min=0,
    max=1000,
)
GRADE_PASS = IntSetting(
    "review.grade_pass",
    "评查“合格”最低分",
    70,
    "得分不低于此分且无否决项为合格",
    min=0,
    max=1000,
)
TEMPLATE_CODE = TextSetting(
    "review.template_code", "案卷评查表模板", "case_review", "使用的评查表模板代码（取最新版本）"
)
RECTIFY_DAYS = _days(
    "review.rectification_days", "整改默认期限（自然日）", 30, "新建整改事项的默认完成期限"
)

SETTINGS: list[SettingDef[Any]] = [
    FILING_DAYS,
    FILING_KIND,
    PUBLICATION_DAYS,
    PUBLICATION_KIND,
    PUBLICATION_CATEGORIES,
    DECISION_DAYS,
    DECISION_KIND,
    HEARING_PERSON,
    HEARING_ORG,
    HEARING_WAIT_DAYS,
    HEARING_WAIT_KIND,
    REMIND_DAYS,
    MIN_OFFICERS,
    LOOKBACK_DAYS,
    PER_CATEGORY,
    GRADE_EXCELLENT,
    GRADE_PASS,
    TEMPLATE_CODE,
    RECTIFY_DAYS,
]
