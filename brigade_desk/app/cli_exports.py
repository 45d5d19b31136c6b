"""Adapters from ``brigade-desk export KIND`` arguments to the export functions."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def roster(db: Any, out: str, args: argparse.Namespace) -> Path:
    from brigade_desk.ledgers.roster.exports import export_roster

    return export_roster(db, out, as_of=args.as_of)


def require_year(args: argparse.Namespace) -> int:
    from brigade_desk.core.errors import UserError

    if not args.year:
        raise UserError("请用 --year 指定年度")
    return int(args.year)


def period_from(args: argparse.Namespace) -> Any:
    from brigade_desk.core.period import Period

    return Period(require_year(args), getattr(args, "quarter", None), getattr(args, "month", None))


def template(db: Any, out: str, args: argparse.Namespace) -> Path:
    from brigade_desk.core.errors import UserError
    from brigade_desk.reports.template_fill import fill_template

    if not args.target:
        raise UserError(
            "请给出上级发来的模板文件：brigade-desk export template 模板.xlsx --year Y --out 结果.xlsx"
        )
    with db.session() as s:
        rep = fill_template(s, args.target, out, period_from(args))
    print(f"已填充 {rep.sections} 个明细区、{rep.rows} 行记录、{rep.replaced} 个占位符")
    return Path(out)


def quarterly(db: Any, out: str, args: argparse.Namespace) -> Path:
    from brigade_desk.core.errors import UserError
    from brigade_desk.reports.quarterly import export_quarterly

    if not args.quarter:
        raise UserError("请用 --quarter 指定季度（1–4）")
    return export_quarterly(db, out, period_from(args))
