"""Adapters from ``brigade-desk export KIND`` arguments to the export functions."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def roster(db: Any, out: str, args: argparse.Namespace) -> Path:
    from brigade_desk.exports.roster import export_roster

    return export_roster(db, out, as_of=args.as_of)


def require_year(args: argparse.Namespace) -> int:
    from brigade_desk.errors import UserError

    if not args.year:
        raise UserError("请用 --year 指定年度")
    return int(args.year)
