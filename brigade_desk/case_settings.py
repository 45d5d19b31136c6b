"""Settings of the case register and the case-file review (every number a case rule uses).

Defaults follow the law and the seeds; each can be changed by the clerk (settings page or
``settings.set_value``). Day kinds are ``working`` (official working days) or ``calendar``.
"""

from __future__ import annotations

from brigade_desk.settings import define

FILING_DAYS = define(
    "cases.filing_days",
    "重大处罚决定备案期限（天）",
    5,
    "决定作出后多少天内备案（行政处罚法第85条：五日指工作日）",
)
FILING_KIND = define(
    "cases.filing_kind", "备案期限计算方式", "working", "填 工作日 或 自然日（working / calendar）"
)
PUBLICATION_DAYS = define(
    "cases.publication_days", "执法决定公示期限（天）", 20, "决定作出后多少天内公示"
)
PUBLICATION_KIND = define(
    "cases.publication_kind",
    "公示期限计算方式",
    "working",
    "填 工作日 或 自然日（working / calendar）",
)
PUBLICATION_CATEGORIES = define(
    "cases.publication_categories",
    "需要公示的案件类别",
    ["行政处罚", "行政强制", "行政许可"],
    "这些类别的执法决定须在期限内公示",
)
DECISION_DAYS = define(
    "cases.decision_days",
    "普通程序作出决定期限（天）",
    90,
    "行政处罚法第60条：自立案之日起九十日内作出决定",
)
DECISION_KIND = define(
    "cases.decision_kind",
    "作出决定期限计算方式",
    "calendar",
    "填 工作日 或 自然日（working / calendar）",
)
HEARING_PERSON = define(
    "cases.hearing_threshold_person",
    "听证告知罚款数额（个人，元）",
    10000,
    "对个人罚款或没收达到该数额须告知听证权利（较大数额，各省标准不同，请按本省规定填写）",
)
HEARING_ORG = define(
    "cases.hearing_threshold_org",
    "听证告知罚款数额（单位，元）",
    100000,
    "对单位罚款或没收达到该数额须告知听证权利（较大数额，各省标准不同，请按本省规定填写）",
)
HEARING_WAIT_DAYS = define(
    "cases.hearing_wait_days",
    "听证申请期限（天）",
    5,
    "行政处罚法第64条：当事人在告知后五日内提出听证，期满前不得作出决定",
)
HEARING_WAIT_KIND = define(
    "cases.hearing_wait_kind",
    "听证申请期限计算方式",
    "working",
    "填 工作日 或 自然日（working / calendar）",
)
REMIND_DAYS = define(
    "cases.remind_working_days",
    "备案、公示期限提前提醒（工作日）",
    3,
    "期限前多少个工作日起在问题清单中提醒尚未备案、公示的案件",
)
MIN_OFFICERS = define(
    "cases.min_certified_officers", "每案最少持证执法人员数", 2, "行政处罚法第42条"
)
LOOKBACK_DAYS = define(
    "cases.rule_lookback_days",
    "案件规则检查回溯天数",
    730,
    "只检查立案或决定在该天数内、或尚未结案的案件",
)
PER_CATEGORY = define("review.per_category", "案卷评查每类最少抽取件数", 10, "不足该数时全部评查")
GRADE_EXCELLENT = define(
    "review.grade_excellent", "评查“优秀”最低分", 90, "得分不低于此分且无否决项为优秀"
)
GRADE_PASS = define("review.grade_pass", "评查“合格”最低分", 70, "得分不低于此分且无否决项为合格")
TEMPLATE_CODE = define(
    "review.template_code", "案卷评查表模板", "case_review", "使用的评查表模板代码（取最新版本）"
)
RECTIFY_DAYS = define(
    "review.rectification_days", "整改默认期限（自然日）", 30, "新建整改事项的默认完成期限"
)
