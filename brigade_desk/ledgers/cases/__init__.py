"""案卷评查: the case register, sampled case-file reviews on a checklist, rectification, deadlines.

The ledger's contributions to the program are declared in ``LEDGER`` below; everything is reached
through a function that imports its module when first used.
"""

from __future__ import annotations

import argparse
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
    from brigade_desk.ledgers.cases import settings

    return settings.SETTINGS


def _rules() -> RuleSet:
    from brigade_desk.ledgers.cases import rules

    return RuleSet(rules.RULES, rules.check)


def _import(db: Database, path: Path | str, **kw: Any) -> ImportResult:
    from brigade_desk.ledgers.cases.importer import import_cases

    return import_cases(db, path, **kw)


def _template(out: Path | str) -> Path:
    from brigade_desk.ledgers.cases.importer import write_template

    return write_template(out)


def _columns() -> Sequence[Any]:
    from brigade_desk.ledgers.cases.importer import COLUMNS

    return COLUMNS


def _export_cases(db: Database, req: ExportRequest) -> Path:
    from brigade_desk.ledgers.cases.exports import export_cases

    assert req.period is not None
    return export_cases(db, req.period.year, req.out, as_of=req.as_of)


def _export_reviews(db: Database, req: ExportRequest) -> Path:
    from brigade_desk.ledgers.cases.exports_reviews import export_reviews

    assert req.period is not None
    return export_reviews(db, req.period.year, req.out, as_of=req.as_of)


def _export_filing(db: Database, req: ExportRequest) -> Path:
    from brigade_desk.ledgers.cases.filing_pdf import export_filing_pdf

    assert req.target is not None  # ExportDef.check
    return export_filing_pdf(db, req.out, req.target, as_of=req.as_of)


def _checklist(db: Database, req: ExportRequest, *, blank: bool) -> Path:
    from brigade_desk.ledgers.cases.exports_pdf import checklist_pdf

    assert req.target is not None  # ExportDef.check
    year = req.period.year if req.period is not None else None  # default: the latest review
    return checklist_pdf(db, req.target, req.out, blank=blank, year=year)


def _export_checklist(db: Database, req: ExportRequest) -> Path:
    return _checklist(db, req, blank=False)


def _export_checklist_blank(db: Database, req: ExportRequest) -> Path:
    return _checklist(db, req, blank=True)


def _checklists(db: Database, req: ExportRequest, *, blank: bool) -> Path:
    from brigade_desk.ledgers.cases.exports_pdf import sample_checklists_pdf

    assert req.period is not None
    return sample_checklists_pdf(db, req.period.year, req.out, blank=blank)


def _export_checklists(db: Database, req: ExportRequest) -> Path:
    return _checklists(db, req, blank=False)


def _export_checklists_blank(db: Database, req: ExportRequest) -> Path:
    return _checklists(db, req, blank=True)


def _export_review_report(db: Database, req: ExportRequest) -> Path:
    from brigade_desk.ledgers.cases.exports_pdf import report_docx, report_pdf

    assert req.period is not None
    write = report_docx if req.out.suffix.lower() == ".docx" else report_pdf
    return write(db, req.period.year, req.out, as_of=req.as_of)


def _quarterly() -> Sequence[QuarterlySheet]:
    from brigade_desk.ledgers.cases.report_parts import review_sheet

    return [QuarterlySheet("案卷评查", review_sheet, order=40)]


def _annual() -> Sequence[AnnualSection]:
    from brigade_desk.ledgers.cases.report_parts import cases_section, review_section

    return [AnnualSection(cases_section, order=30), AnnualSection(review_section, order=50)]


def _sources() -> Sequence[Source]:
    from brigade_desk.ledgers.cases.report_parts import SOURCES

    return SOURCES


def _charts(session: Session, as_of: dt.date) -> list[ChartSpec]:
    from brigade_desk.ledgers.cases.charts import charts

    return charts(session, as_of)


def _demo(s: Session, ctx: DemoContext) -> None:
    from brigade_desk.ledgers.cases.demo import fill

    fill(s, ctx)


def _cli(sub: Any, common: argparse.ArgumentParser) -> None:
    from brigade_desk.ledgers.cases.cli import register

    # the commands run this ledger's own exports, handed in (importing this package from cli.py
    # would be an import cycle)
    register(sub, common, {d.key: d for d in LEDGER.exports})


def _page(ctx: Any) -> Any:
    from brigade_desk.ledgers.cases.ui.page import CasesPage

    return CasesPage(ctx)


LEDGER = Ledger(
    key="cases",
    title="案卷评查",
    settings=_settings,
    rules=_rules,
    importers=(
        ImporterDef(
            "cases",
            "案件登记（省平台导出的案件列表）",
            Changes.CASES,
            run=_import,
            write_template=_template,
            columns=_columns,
            order=20,
        ),
    ),
    exports=(
        ExportDef(
            "cases",
            "行政执法案件台账",
            _export_cases,
            needs="year",
            help="当年立案的案件，每件一行，附案件规则查出的问题。",
        ),
        ExportDef(
            "reviews",
            "案卷评查结果",
            _export_reviews,
            needs="year",
            help="抽样、逐项评分、主要问题和整改情况。",
        ),
        ExportDef(
            "filing",
            "重大行政处罚决定备案表（PDF）",
            _export_filing,
            suffixes=(".pdf",),
            target="case",
            help="按案件登记填写一件案件的备案表，备案期限按官方节假日计算；决定之日起 5 个工作日内报备案。",
        ),
        ExportDef(
            "checklist",
            "案卷评查表（已填写）",
            _export_checklist,
            period="year",
            needs="none",
            suffixes=(".pdf",),
            target="case",
            help="一份案卷已填写的评查表：给出年度时取该年的评查，否则取最近一次评查。",
        ),
        ExportDef(
            "checklist-blank",
            "案卷评查表（空白）",
            _export_checklist_blank,
            period="year",
            needs="none",
            suffixes=(".pdf",),
            target="case",
            help="一份案卷的空白评查表，手工评查用。",
        ),
        ExportDef(
            "checklists",
            "年度样本案卷评查表（已填写）",
            _export_checklists,
            needs="year",
            suffixes=(".pdf",),
            help="该年评查样本中已评查案卷的评查表，合为一个文件，页码按案卷分别编排。",
        ),
        ExportDef(
            "checklists-blank",
            "年度样本案卷评查表（空白）",
            _export_checklists_blank,
            needs="year",
            suffixes=(".pdf",),
            help="该年评查样本全部案卷的空白评查表，合为一个文件，手工评查用。",
        ),
        ExportDef(
            "review-report",
            "案卷评查结果通报（PDF）",
            _export_review_report,
            needs="year",
            suffixes=(".pdf", ".docx"),
            help="年度案卷评查结果通报（公文格式）：评查结果、主要问题、不合格案卷、整改情况和工作要求。",
            titles={".docx": "案卷评查结果通报（Word，可修改）"},
            helps={
                ".docx": "与 PDF 相同版式的评查结果通报 Word 文档（.docx），可在 WPS 或 Word 中修改后定稿。"
            },
        ),
    ),
    quarterly=_quarterly,
    annual=_annual,
    sources=_sources,
    charts=_charts,
    chart_order=30,
    demo=(DemoPart("cases", _demo, order=30),),
    cli=_cli,
    page=PageDef("cases", "案卷评查", _page, ("case",), "案件登记与案卷自查", order=60),
)
