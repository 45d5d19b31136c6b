"""Adapters from ``brigade-desk export monthly|annual|filing`` arguments to the report forms."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from brigade_desk.app.cli_exports import require_year


def monthly(db: Any, out: str, args: argparse.Namespace) -> Path:
    from brigade_desk.core.errors import UserError
    from brigade_desk.core.period import Period
    from brigade_desk.reports.monthly import export_monthly

    if not args.month:
        raise UserError("请用 --month 指定月份（1–12）")
    return export_monthly(db, out, Period(require_year(args), month=args.month), as_of=args.as_of)


def annual(db: Any, out: str, args: argparse.Namespace) -> Path:
    from brigade_desk.core.errors import UserError

    year = require_year(args)
    suffix = Path(out).suffix.lower()
    if suffix == ".pdf":
        from brigade_desk.reports.annual_pdf import export_annual_pdf

        return export_annual_pdf(db, out, year, as_of=args.as_of)
    if suffix == ".xlsx":
        from brigade_desk.reports.annual import export_annual_workbook

        return export_annual_workbook(db, out, year, as_of=args.as_of)
    raise UserError(f"年度报告的输出文件应为 .xlsx（数据表）或 .pdf（报告稿）：{out}")


def filing(db: Any, out: str, args: argparse.Namespace) -> Path:
    from brigade_desk.core.errors import UserError
    from brigade_desk.ledgers.cases.filing_pdf import export_filing_pdf

    if not args.target:
        raise UserError("请给出案号：brigade-desk export filing 案号 --out 备案表.pdf")
    return export_filing_pdf(db, out, args.target, as_of=args.as_of)
