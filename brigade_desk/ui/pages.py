"""The navigation: the shell's own pages (首页, 问题清单, 报表) and every ledger's page, in order.

Ledger pages come from the registry the window was given (``Ledger.page``); their order numbers
place them between the shell's pages.
"""

from __future__ import annotations

from typing import Any

from brigade_desk.core.ledger import PageDef, Registry


def _home(ctx: Any) -> Any:
    from brigade_desk.ui.dashboard import DashboardPage

    return DashboardPage(ctx)


def _findings(ctx: Any) -> Any:
    from brigade_desk.ui.findings import FindingsPage

    return FindingsPage(ctx)


def _reports(ctx: Any) -> Any:
    from brigade_desk.ui.reports_page import ReportsPage

    return ReportsPage(ctx)


SHELL_PAGES = (
    PageDef("home", "首页", _home, tip="上报事项、问题汇总和数据概览", order=10),
    PageDef("findings", "问题清单", _findings, tip="所有规则检查出的问题", order=20),
    PageDef("reports", "报表", _reports, tip="上报报表与年度报告", order=90),
)


def all_pages(registry: Registry) -> list[PageDef]:
    return sorted([*SHELL_PAGES, *registry.pages()], key=lambda p: p.order)
