"""The shape of a ledger: what one ledger contributes to the program, typed.

Each ledger package (``brigade_desk/ledgers/<name>/__init__.py``) declares one :class:`Ledger`:
its settings, rules, importers, exports, parts of the cross-ledger reports (quarterly sheet, annual
report sections, template sources, home charts), demo data, command-line commands and GUI page.
Everything heavy is reached through a function that imports it when it is first used, so listing
the ledgers costs nothing at start-up; nothing is looked up by a "module:function" string.

``brigade_desk/app/ledgers.py`` lists the ledgers and builds the :class:`Registry` that the command
line, the GUI and the reports get as a parameter; nothing below ``app/`` imports the list itself,
which keeps the import graph free of cycles.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from brigade_desk.core.changes import Changes
from brigade_desk.core.errors import UserError
from brigade_desk.core.period import Period
from brigade_desk.core.progress import Progress
from brigade_desk.core.rules import Finding

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from brigade_desk.core.db import Database
    from brigade_desk.core.demo import DemoContext
    from brigade_desk.core.forms.xlsxform import Col
    from brigade_desk.core.settings import SettingDef
    from brigade_desk.core.tabular.result import ImportResult


# ---- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSet:
    """A ledger's rules: code -> Chinese label (in display order) and the check itself."""

    labels: Mapping[str, str]
    check: Callable[[Session, dt.date], Sequence[Finding]]


# ---- imports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImporterDef:
    kind: str  # the command line's ``import KIND``
    label: str  # shown in the import dialog
    changes: Changes  # what an import changes (the pages that refresh)
    # (db, path, *, dry_run, skip_invalid) -> ImportResult
    run: Callable[..., ImportResult]
    write_template: Callable[[Path | str], Path]  # a blank import template
    columns: Callable[
        [], Sequence[Any]
    ]  # the importer's columns (to recognise a file by its header)
    order: int = 0  # position in the import dialog


# ---- exports: one path for the command line, the reports page and the ledger pages -------------

PeriodKind = Literal["none", "year", "quarter", "month"]
# what ``ExportRequest.target`` names: a case number, the superior's template file, or a training
# session's id (the exam whose results are announced)
TargetKind = Literal["none", "case", "template", "session"]


@dataclass(frozen=True)
class ExportRequest:
    """What an export is asked for. Every caller fills the same fields; defaults are the export's."""

    out: Path
    period: Period | None = None
    as_of: dt.date | None = (
        None  # the day figures are taken on (default: today, or the period's end)
    )
    target: str | None = None  # a case number, the superior's template file or a session id
    progress: Progress | None = None
    notes: list[str] = field(default_factory=list)  # what the export has to tell the user besides

    def day(self) -> dt.date:
        """``as_of``, else the period's last day when it is over, else today."""
        if self.as_of is not None:
            return self.as_of
        today = dt.date.today()
        return min(self.period.end, today) if self.period is not None else today


_PERIOD_NEEDS = {
    "year": "请指定年度（命令行：--year）",
    "quarter": "请指定季度（命令行：--year 和 --quarter 1–4）",
    "month": "请指定月份（命令行：--year 和 --month 1–12）",
}


@dataclass(frozen=True)
class ExportDef:
    key: str  # the command line's ``export KIND``
    title: str  # the reports page's entry
    run: Callable[[Database, ExportRequest], Path]
    period: PeriodKind = "none"  # the period the reports page offers for it
    needs: PeriodKind | None = None  # the period it cannot do without (default: ``period``)
    suffixes: tuple[str, ...] = (".xlsx",)  # the first is the default; the run picks by suffix
    target: TargetKind = "none"
    help: str = ""
    titles: Mapping[str, str] = field(default_factory=dict)  # per suffix, when they differ
    helps: Mapping[str, str] = field(default_factory=dict)  # per suffix, when they differ

    def title_for(self, suffix: str) -> str:
        return self.titles.get(suffix, self.title)

    def help_for(self, suffix: str) -> str:
        return self.helps.get(suffix, self.help)

    def check(self, req: ExportRequest) -> None:
        """The one place that says what an export needs before it runs (a clear message)."""
        p, needs = req.period, self.needs or self.period
        if needs != "none":
            if p is None:
                raise UserError(_PERIOD_NEEDS[needs])
            if needs == "quarter" and p.quarter is None:
                raise UserError(_PERIOD_NEEDS["quarter"])
            if needs == "month" and p.month is None:
                raise UserError(_PERIOD_NEEDS["month"])
        suffix = req.out.suffix.lower()
        if suffix not in self.suffixes:
            wanted = " 或 ".join(self.suffixes)
            raise UserError(f"{self.title}的输出文件应为 {wanted}：{req.out}")
        if self.target == "case" and not req.target:
            raise UserError("请给出案号（可输入案号的一部分）。")
        if self.target == "template" and not req.target:
            raise UserError("请先选择上级发来的模板文件（.xlsx）。")
        if self.target == "session":
            if not req.target:
                raise UserError("请给出考试所在培训的编号（培训记录中的编号）。")
            if not (req.target.strip().isascii() and req.target.strip().isdigit()):
                raise UserError(f"培训编号应为数字：{req.target}")

    def export(self, db: Database, req: ExportRequest) -> Path:
        """Check ``req`` and write the export, stamped with the audit chain's head as it is now
        (``core.forms.stamp``: the form shows which state of the ledger it was made from)."""
        from brigade_desk.core import anchor
        from brigade_desk.core.forms.stamp import stamped

        self.check(req)
        with db.session() as s:
            text = anchor.current(s).text_zh
        with stamped(text):
            return self.run(db, req)


# ---- parts of the cross-ledger reports ----------------------------------------------------------


@dataclass
class SheetData:
    """One sheet of the quarterly upload workbook."""

    title: str
    cols: Sequence[Col]
    rows: Iterable[Sequence[Any]]
    note: str = ""


@dataclass(frozen=True)
class QuarterlySheet:
    name: str  # the sheet's name, fixed by the upload rules
    build: Callable[[Session, Period], SheetData]
    order: int  # position in the workbook


@dataclass
class Section:
    """A first-level section of the annual report (and its sheets in the data workbook)."""

    title: str  # without the 一、 numbering
    paragraphs: list[str]
    rows: list[list[Any]] = field(default_factory=list)  # [项目, 数值, 说明] figures
    sheet: str = ""  # sheet name in the data workbook (else the title)
    detail_sheet: str = ""
    detail_cols: Sequence[Col] = ()
    detail_rows: Sequence[Sequence[Any]] = field(default_factory=list)


# (session, year, as_of) -> a section, or None when the ledger has nothing to say that year
SectionBuilder = Callable[["Session", int, dt.date], "Section | None"]
# (session, year, as_of) -> (paragraphs, figure rows) added to another section
PartBuilder = Callable[["Session", int, dt.date], tuple[list[str], list[list[Any]]]]


@dataclass(frozen=True)
class AnnualSection:
    build: SectionBuilder
    order: int


@dataclass(frozen=True)
class Source:
    """Named records for the superior's own templates (``{{行:执法证件.姓名}}``)."""

    name: str
    fields: tuple[str, ...]
    rows: Callable[[Session, Period], list[dict[str, Any]]]
    help: str = ""


@dataclass
class ChartSpec:
    """One chart on the home page, computed without Qt; the GUI draws it."""

    key: str
    title: str
    kind: str  # "bar" | "stacked" | "pie"
    categories: list[str]
    series: dict[str, list[float]] = field(default_factory=dict)
    note: str = ""
    y_label: str = ""
    target: float | None = None  # a reference line (e.g. 60 hours)


@dataclass(frozen=True)
class DemoPart:
    name: str
    fill: Callable[[Session, DemoContext], None]
    order: int  # later parts use what earlier ones made (the roster first)


@dataclass(frozen=True)
class PageDef:
    key: str
    title: str
    factory: Callable[[Any], Any] | None  # (AppContext) -> QWidget; None = not in this version
    entities: tuple[str, ...] = ()  # records this page can open (Finding.entity)
    tip: str = ""
    order: int = 0


# ---- the ledger -----------------------------------------------------------------------------


def _nothing() -> tuple[()]:
    return ()


@dataclass(frozen=True)
class Ledger:
    key: str
    title: str
    settings: Callable[[], Sequence[SettingDef[Any]]] = _nothing
    rules: Callable[[], RuleSet] | None = None
    importers: Sequence[ImporterDef] = ()
    exports: Sequence[ExportDef] = ()
    quarterly: Callable[[], Sequence[QuarterlySheet]] = _nothing
    annual: Callable[[], Sequence[AnnualSection]] = _nothing
    # paragraphs and figures for the annual report's 执法全过程记录 part (the AV ledger's recordings)
    recording_parts: Callable[[], Sequence[PartBuilder]] = _nothing
    sources: Callable[[], Sequence[Source]] = _nothing
    charts: Callable[[Session, dt.date], list[ChartSpec]] | None = None
    chart_order: int = 0  # position of the ledger's charts on the home page
    demo: Sequence[DemoPart] = ()
    cli: Callable[[Any, argparse.ArgumentParser], None] | None = None  # (subparsers, common)
    page: PageDef | None = None


@dataclass(frozen=True)
class Registry:
    """Every ledger, and what they contribute together. Built once in ``app/ledgers.py``."""

    ledgers: tuple[Ledger, ...]
    # what is not one ledger's: the unit's own settings, the reporting calendar …
    extra_settings: Callable[[], Sequence[SettingDef[Any]]] = _nothing
    extra_exports: Sequence[ExportDef] = ()
    extra_demo: Sequence[DemoPart] = ()
    # the 报表 page's entries, in order: (export key, file suffix)
    reports_page: Sequence[tuple[str, str]] = ()

    # rules
    def rule_sets(self) -> list[RuleSet]:
        return [lg.rules() for lg in self.ledgers if lg.rules is not None]

    def rule_labels(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for rs in self.rule_sets():
            out.update(rs.labels)
        return out

    def run_rules(self, session: Session, as_of: dt.date) -> list[Finding]:
        found: list[Finding] = []
        for rs in self.rule_sets():
            found.extend(rs.check(session, as_of))
        return found

    # settings
    def settings(self) -> dict[str, SettingDef[Any]]:
        """Every setting of the program, whatever has been imported so far."""
        out: dict[str, SettingDef[Any]] = {}
        for d in self.extra_settings():
            out[d.key] = d
        for lg in self.ledgers:
            for d in lg.settings():
                out[d.key] = d
        return out

    # imports and exports
    def importers(self) -> dict[str, ImporterDef]:
        defs = [d for lg in self.ledgers for d in lg.importers]
        return {d.kind: d for d in sorted(defs, key=lambda d: d.order)}

    def exports(self) -> dict[str, ExportDef]:
        return {
            d.key: d for d in [*(d for lg in self.ledgers for d in lg.exports), *self.extra_exports]
        }

    # report parts
    def quarterly_sheets(self) -> list[QuarterlySheet]:
        return sorted((q for lg in self.ledgers for q in lg.quarterly()), key=lambda q: q.order)

    def annual_sections(self) -> list[AnnualSection]:
        return sorted((a for lg in self.ledgers for a in lg.annual()), key=lambda a: a.order)

    def recording_parts(self) -> list[PartBuilder]:
        return [p for lg in self.ledgers for p in lg.recording_parts()]

    def sources(self) -> dict[str, Source]:
        return {s.name: s for lg in self.ledgers for s in lg.sources()}

    def charts(self, session: Session, as_of: dt.date) -> list[ChartSpec]:
        return [
            c for lg in self.ledgers if lg.charts is not None for c in lg.charts(session, as_of)
        ]

    def demo_parts(self) -> list[DemoPart]:
        parts = [*(p for lg in self.ledgers for p in lg.demo), *self.extra_demo]
        return sorted(parts, key=lambda p: p.order)

    # command line and GUI
    def register_cli(self, sub: Any, common: argparse.ArgumentParser) -> None:
        for lg in self.ledgers:
            if lg.cli is not None:
                lg.cli(sub, common)

    def pages(self) -> list[PageDef]:
        return sorted(
            (lg.page for lg in self.ledgers if lg.page is not None), key=lambda p: p.order
        )
