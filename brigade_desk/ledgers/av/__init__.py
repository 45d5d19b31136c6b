"""音像记录: the body-camera file index, hashed on ingest, linked to cases, re-verified for tampering.

The ledger's contributions to the program are declared in ``LEDGER`` below; everything is reached
through a function that imports its module when first used. (No spreadsheet import: files come in
through ``ingest``.)
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brigade_desk.core.ledger import (
    ChartSpec,
    DemoPart,
    ExportDef,
    ExportRequest,
    Ledger,
    PageDef,
    PartBuilder,
    QuarterlySheet,
    RuleSet,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from brigade_desk.core.db import Database
    from brigade_desk.core.demo import DemoContext
    from brigade_desk.core.settings import SettingDef


def _settings() -> Sequence[SettingDef[Any]]:
    from brigade_desk.ledgers.av import settings

    return settings.SETTINGS


def _rules() -> RuleSet:
    from brigade_desk.ledgers.av import rules

    return RuleSet(rules.RULES, rules.check)


def _export(db: Database, req: ExportRequest) -> Path:
    from brigade_desk.ledgers.av.exports import export_av

    assert req.period is not None  # ExportDef.check: a year at least
    return export_av(db, req.out, year=req.period.year, quarter=req.period.quarter, as_of=req.as_of)


def _quarterly() -> Sequence[QuarterlySheet]:
    from brigade_desk.ledgers.av.report_parts import av_sheet

    return [QuarterlySheet("音像记录", av_sheet, order=30)]


def _recording_parts() -> Sequence[PartBuilder]:
    from brigade_desk.ledgers.av.report_parts import recording_part

    return [recording_part]


def _charts(session: Session, as_of: dt.date) -> list[ChartSpec]:
    from brigade_desk.ledgers.av.charts import charts

    return charts(session, as_of)


def _demo(s: Session, ctx: DemoContext) -> None:
    from brigade_desk.ledgers.av.demo import fill

    fill(s, ctx)


def _cli(sub: Any, common: argparse.ArgumentParser) -> None:
    from brigade_desk.ledgers.av.cli import register

    register(sub, common)


def _page(ctx: Any) -> Any:
    from brigade_desk.ledgers.av.ui.page import AvPage

    return AvPage(ctx)


LEDGER = Ledger(
    key="av",
    title="音像记录",
    settings=_settings,
    rules=_rules,
    exports=(
        ExportDef(
            "av",
            "执法音像记录台账",
            _export,
            needs="year",
            help="一年（或一个季度）拍摄的音像文件，含 SHA-256 和校验结果。",
        ),
    ),
    quarterly=_quarterly,
    recording_parts=_recording_parts,
    charts=_charts,
    chart_order=20,
    demo=(DemoPart("av", _demo, order=40),),
    cli=_cli,
    page=PageDef(
        "av", "音像记录", _page, ("av_record",), "执法音像记录台账：入库、检索、校验", order=50
    ),
)
