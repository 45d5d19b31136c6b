"""执法人员花名册: officers, auxiliary staff, enforcement certificates and their whole lifecycle.

The ledger's contributions to the program are declared in ``LEDGER`` below; everything is reached
through a function that imports its module when first used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brigade_desk.core.changes import Changes
from brigade_desk.core.ledger import (
    AnnualSection,
    ChartSpec,
    DemoPart,
    ExportDef,
    ExportRequest,
    ImporterDef,
    Ledger,
    PageDef,
    QuarterlySheet,
    RuleSet,
    Source,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from brigade_desk.core.db import Database
    from brigade_desk.core.demo import DemoContext
    from brigade_desk.core.settings import SettingDef
    from brigade_desk.core.tabular.result import ImportResult


def _settings() -> Sequence[SettingDef[Any]]:
    from brigade_desk.ledgers.roster import settings

    return settings.SETTINGS


def _rules() -> RuleSet:
    from brigade_desk.ledgers.roster import rules

    return RuleSet(rules.RULES, rules.check)


def _import(db: Database, path: Path | str, **kw: Any) -> ImportResult:
    from brigade_desk.ledgers.roster.importer import import_staff

    return import_staff(db, path, **kw)


def _template(out: Path | str) -> Path:
    from brigade_desk.ledgers.roster.importer import write_template

    return write_template(out)


def _columns() -> Sequence[Any]:
    from brigade_desk.ledgers.roster.importer import COLUMNS

    return COLUMNS


def _export(db: Database, req: ExportRequest) -> Path:
    from brigade_desk.ledgers.roster.exports import export_roster

    return export_roster(db, req.out, as_of=req.day())


def _quarterly() -> Sequence[QuarterlySheet]:
    from brigade_desk.ledgers.roster.report_parts import certificate_sheet

    return [QuarterlySheet("执法证件", certificate_sheet, order=20)]


def _annual() -> Sequence[AnnualSection]:
    from brigade_desk.ledgers.roster.report_parts import certificates_section

    return [AnnualSection(certificates_section, order=20)]


def _sources() -> Sequence[Source]:
    from brigade_desk.ledgers.roster.report_parts import SOURCES

    return SOURCES


def _charts(session: Session, as_of: dt.date) -> list[ChartSpec]:
    from brigade_desk.ledgers.roster.charts import charts

    return charts(session, as_of)


def _demo(s: Session, ctx: DemoContext) -> None:
    from brigade_desk.ledgers.roster.demo import fill

    fill(s, ctx)


def _page(ctx: Any) -> Any:
    from brigade_desk.ledgers.roster.ui.page import RosterPage

    return RosterPage(ctx)


LEDGER = Ledger(
    key="roster",
    title="执法人员花名册",
    settings=_settings,
    rules=_rules,
    importers=(
        ImporterDef(
            "staff",
            "执法人员花名册 / 执法证件台账",
            Changes.STAFF,
            run=_import,
            write_template=_template,
            columns=_columns,
            order=10,
        ),
    ),
    exports=(
        ExportDef(
            "roster",
            "执法人员花名册（执法证件台账）",
            _export,
            help="全部人员及其当前执法证件，附证件问题清单。",
        ),
    ),
    quarterly=_quarterly,
    annual=_annual,
    sources=_sources,
    charts=_charts,
    chart_order=10,
    demo=(DemoPart("roster", _demo, order=10),),
    page=PageDef("roster", "执法人员花名册", _page, ("staff",), "人员与执法证件", order=30),
)
