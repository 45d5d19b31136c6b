"""``brigade-desk deadlines``: what is due to superiors and what is late."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any


def cmd_deadlines(args: argparse.Namespace) -> int:
    from brigade_desk.core.commands import emit_json, writing
    from brigade_desk.reports import reporting_calendar as calendar

    as_of = args.as_of or dt.date.today()
    with writing(args, writes=bool(args.done)) as db:
        if args.done:
            key, period = args.done
            with db.begin() as s:
                calendar.mark_done(s, key, period, as_of)
        with db.session() as s:
            items = calendar.deadlines(s, as_of)
    if args.json:
        emit_json({"as_of": as_of.isoformat(), "items": [i.as_json() for i in items]})
    else:
        zh = {"late": "已逾期", "due": "待报送", "done": "已报送"}
        for i in items:
            print(
                f"{zh[i.state]:4} {i.due:%Y-%m-%d}  {i.name}（{i.period_label}）  [{i.key} {i.period}]"
            )
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from brigade_desk.core.commands import parse_date as _date

    d = sub.add_parser("deadlines", parents=[common], help="上报日历：近 30 天待报和已逾期事项")
    d.add_argument("--as-of", type=_date)
    d.add_argument("--json", action="store_true")
    d.add_argument(
        "--done",
        nargs=2,
        metavar=("KEY", "PERIOD"),
        help="把某一期标记为已报送，如 monthly_data 2026-10",
    )
    d.set_defaults(func=cmd_deadlines)
