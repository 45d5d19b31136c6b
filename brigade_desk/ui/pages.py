"""The navigation: every ledger's page, in order. A new ledger adds its PageDef here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageDef:
    key: str
    title: str
    factory: str | None  # "module:Class" taking (ctx); None = not available in this version
    entities: tuple[str, ...] = ()  # records this page can open (Finding.entity)
    tip: str = ""


PAGES: list[PageDef] = [
    PageDef(
        "home",
        "首页",
        "brigade_desk.ui.dashboard:DashboardPage",
        tip="上报事项、问题汇总和数据概览",
    ),
    PageDef(
        "findings", "问题清单", "brigade_desk.ui.findings:FindingsPage", tip="所有规则检查出的问题"
    ),
    PageDef(
        "roster",
        "执法人员花名册",
        "brigade_desk.ledgers.roster.ui.page:RosterPage",
        ("staff",),
        "人员与执法证件",
    ),
    PageDef(
        "training",
        "培训台账",
        "brigade_desk.ledgers.training.ui.page:TrainingPage",
        ("training_session", "training_plan", "training_month"),
        "培训计划、培训记录、学时",
    ),
    PageDef(
        "av",
        "音像记录",
        "brigade_desk.ledgers.av.ui.page:AvPage",
        ("av_record",),
        "执法音像记录台账：入库、检索、校验",
    ),
    PageDef(
        "cases",
        "案卷评查",
        "brigade_desk.ledgers.cases.ui.page:CasesPage",
        ("case",),
        "案件登记与案卷自查",
    ),
    PageDef(
        "reports", "报表", "brigade_desk.ui.reports_page:ReportsPage", tip="上报报表与年度报告"
    ),
]
