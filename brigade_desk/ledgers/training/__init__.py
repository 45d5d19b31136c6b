"""培训台账: plans, sessions, attendance and hours (≥ 60 professional hours per officer per year).

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
    from brigade_desk.ledgers.training import settings

    return settings.SETTINGS


def _rules() -> RuleSet:
    from brigade_desk.ledgers.training import rules

    return RuleSet(rules.RULES, rules.check)


def _import(db: Database, path: Path | str, **kw: Any) -> ImportResult:
    from brigade_desk.ledgers.training.importer import import_training

    return import_training(db, path, **kw)


def _template(out: Path | str) -> Path:
    from brigade_desk.ledgers.training.importer import write_template

    return write_template(out)


def _columns() -> Sequence[Any]:
    from brigade_desk.ledgers.training.importer import COLUMNS

    return COLUMNS


def _export(db: Database, req: ExportRequest) -> Path:
    from brigade_desk.ledgers.training.exports import export_training

    assert req.period is not None  # ExportDef.check: a year at least
    return export_training(
        db,
        req.out,
        year=req.period.year,
        quarter=req.period.quarter,
        as_of=req.as_of,
        progress=req.progress,
    )


def _export_plan(db: Database, req: ExportRequest) -> Path:
    assert req.period is not None
    if req.out.suffix.lower() == ".pdf":
        from brigade_desk.ledgers.training.exports_pdf import plan_pdf

        return plan_pdf(db, req.out, req.period.year)
    from brigade_desk.ledgers.training.exports import export_plan

    return export_plan(db, req.out, year=req.period.year, as_of=req.as_of)


def _export_exam_notice(db: Database, req: ExportRequest) -> Path:
    from brigade_desk.ledgers.training.exports_pdf import exam_notice_docx, exam_notice_pdf

    assert req.target is not None  # ExportDef.check: the session's id, digits
    write = exam_notice_docx if req.out.suffix.lower() == ".docx" else exam_notice_pdf
    return write(db, req.out, int(req.target), date=req.as_of)


def _quarterly() -> Sequence[QuarterlySheet]:
    from brigade_desk.ledgers.training.report_parts import training_sheet

    return [QuarterlySheet("培训台账", training_sheet, order=10)]


def _annual() -> Sequence[AnnualSection]:
    from brigade_desk.ledgers.training.report_parts import training_section

    return [AnnualSection(training_section, order=10)]


def _sources() -> Sequence[Source]:
    from brigade_desk.ledgers.training.report_parts import SOURCES

    return SOURCES


def _charts(session: Session, as_of: dt.date) -> list[ChartSpec]:
    from brigade_desk.ledgers.training.charts import charts

    return charts(session, as_of)


def _demo(s: Session, ctx: DemoContext) -> None:
    from brigade_desk.ledgers.training.demo import fill

    fill(s, ctx)


def _cli(sub: Any, common: argparse.ArgumentParser) -> None:
    from brigade_desk.ledgers.training.cli import register

    # the commands run this ledger's own exports, handed in (importing this package from cli.py
    # would be an import cycle)
    register(sub, common, {d.key: d for d in LEDGER.exports})


def _page(ctx: Any) -> Any:
    from brigade_desk.ledgers.training.ui.page import TrainingPage

    return TrainingPage(ctx)


LEDGER = Ledger(
    key="training",
    title="培训台账",
    settings=_settings,
    rules=_rules,
    importers=(
        ImporterDef(
            "training",
            "培训签到表 / 参训记录",
            Changes.TRAINING,
            run=_import,
            write_template=_template,
            columns=_columns,
            order=30,
        ),
    ),
    exports=(
        ExportDef(
            "training",
            "培训台账（培训记录、参训明细、学时统计）",
            _export,
            needs="year",
            help="一年（或一个季度）的培训记录、参训明细和每人学时。",
        ),
        ExportDef(
            "training-plan",
            "年度培训计划",
            _export_plan,
            needs="year",
            suffixes=(".xlsx", ".pdf"),
            help="年度培训计划表（.xlsx）或计划文本（.pdf）。",
        ),
        ExportDef(
            "exam-notice",
            "考试成绩通报（PDF）",
            _export_exam_notice,
            suffixes=(".pdf", ".docx"),
            target="session",
            help="一次培训考试的成绩通报（按培训编号），按公文格式：成绩表、不合格和缺考人员；"
            "落款日期取 --as-of，默认今天。",
            titles={".docx": "考试成绩通报（Word，可修改）"},
            helps={
                ".docx": "与 PDF 相同版式的成绩通报 Word 文档（.docx），可在 WPS 或 Word 中修改后定稿。"
            },
        ),
    ),
    quarterly=_quarterly,
    annual=_annual,
    sources=_sources,
    charts=_charts,
    chart_order=40,
    demo=(DemoPart("training", _demo, order=20),),
    cli=_cli,
    page=PageDef(
        "training",
        "培训台账",
        _page,
        ("training_session", "training_plan", "training_month"),
        "培训计划、培训记录、学时",
        order=40,
    ),
)
