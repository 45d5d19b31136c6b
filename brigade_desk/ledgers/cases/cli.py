"""Command line for the case ledger: ``review sample|add|pdf|report``, ``holidays show|set``.

``review pdf|report`` run the ledger's exports (``checklist``, ``checklists``, ``review-report`` …),
the same ``ExportDef`` as ``brigade-desk export KEY`` and the 评查 page, with the same defaults."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from brigade_desk.core.commands import parse_date
from brigade_desk.core.errors import UserError
from brigade_desk.core.ledger import ExportDef, ExportRequest
from brigade_desk.core.period import Period


def cmd_sample(args: argparse.Namespace) -> int:
    from brigade_desk.core.commands import emit_json, writing
    from brigade_desk.ledgers.cases.review import ReviewService

    with writing(args) as db:  # draws and stores the sample unless the year has one
        v = ReviewService(db).draw_sample(
            args.year, per_category=args.per_category, seed=args.seed, redraw=args.redraw
        )
    if args.json:
        emit_json(v.as_json())
        return 0
    print(
        f"{v.year} 年案卷评查样本（{v.drawn_on:%Y-%m-%d} 抽取，随机种子 {v.seed}，每类至少 {v.per_category} 件，不足全部）"
    )
    for cat, nos in v.by_category().items():
        print(f"  {cat}：共 {v.population.get(cat, 0)} 件，抽取 {len(nos)} 件")
        for e in (x for x in v.entries if x.category == cat):
            print(f"    {e.case_no}  {e.party}  {e.cause}" + ("  [人工添加]" if e.manual else ""))
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from brigade_desk.core.commands import writing
    from brigade_desk.ledgers.cases.review import ReviewService

    with writing(args) as db:
        ReviewService(db).add_to_sample(args.year, args.case_no, args.reason or "")
    print(f"已将 {args.case_no} 人工加入 {args.year} 年评查样本")
    return 0


def _run(export: ExportDef, args: argparse.Namespace, req: ExportRequest) -> Path:
    """The same ``ExportDef`` as ``brigade-desk export KEY`` and the ledger's pages run."""
    from brigade_desk.core.commands import open_db

    export.check(req)  # before opening the database, as ``export`` does
    db = open_db(args)
    try:
        return export.export(db, req)
    finally:
        db.close()


def cmd_pdf(exports: Mapping[str, ExportDef], args: argparse.Namespace) -> int:
    out = Path(args.out)
    if args.case_no == "all":
        if not args.year:
            raise UserError("打印全部样本的评查表请用 --year 指定年度")
        key = "checklists-blank" if args.blank else "checklists"
        req = ExportRequest(out, period=Period(args.year))
    else:
        key = "checklist-blank" if args.blank else "checklist"
        req = ExportRequest(
            out, period=Period(args.year) if args.year else None, target=args.case_no
        )
    print(f"已生成评查表：{_run(exports[key], args, req)}")
    return 0


def cmd_report(exports: Mapping[str, ExportDef], args: argparse.Namespace) -> int:
    req = ExportRequest(Path(args.out), period=Period(args.year), as_of=args.as_of)
    print(f"已生成评查结果通报：{_run(exports['review-report'], args, req)}")
    return 0


def cmd_holidays(args: argparse.Namespace) -> int:
    from brigade_desk.core.commands import writing
    from brigade_desk.core.workdays import (
        Calendar,
        library_knows,
        parse_schedule_text,
        save_schedule,
    )

    with writing(args, writes=args.action == "set") as db:
        if args.action == "set":
            if not args.holidays:
                raise UserError(
                    '请用 --holidays 填写放假日期，如 "2027-01-01~2027-01-03 元旦;2027-02-06~2027-02-12 春节"'
                )
            data = parse_schedule_text(
                args.year,
                args.holidays.replace(";", "\n").replace("；", "\n"),
                (args.workdays or "").replace(";", "\n").replace("；", "\n"),
            )
            data.source = args.source or ""
            with db.begin() as s:
                save_schedule(s, data)
            print(
                f"已录入 {args.year} 年节假日安排：放假 {len(data.holidays)} 天，调休上班 {len(data.workdays)} 天"
            )
            return 0
        with db.session() as s:
            cal = Calendar.load(s)
        if args.year in cal.schedules:
            sc = cal.schedules[args.year]
            print(f"{args.year} 年：使用录入的安排")
            for d, name in sorted(sc.holidays.items()):
                print(f"  放假 {d:%Y-%m-%d} {name}")
            for d, name in sorted(sc.workdays.items()):
                print(f"  调休上班 {d:%Y-%m-%d} {name}")
        elif library_knows(args.year):
            print(f"{args.year} 年：日历库已收录国务院安排")
        else:
            print(
                f"{args.year} 年：尚未录入，涉及该年的期限只能按普通周末估算。请用 holidays set 录入。"
            )
            return 1
        return 0


def cmd_activity(args: argparse.Namespace) -> int:
    """``case activity add|list|delete``: the time windows of a case's enforcement activities."""
    from brigade_desk.core.commands import emit_json, writing
    from brigade_desk.ledgers.cases import windows

    with writing(args, writes=args.action != "list") as db:
        if args.action == "add":
            if not (args.case_no and args.activity and args.start and args.end):
                raise UserError(
                    "添加执法活动时间请写：case activity add 案号 --activity 查封扣押 "
                    '--start "2026-12-01 10:00" --end "2026-12-01 12:00"'
                )
            w = windows.add_window(
                db,
                args.case_no,
                args.activity,
                windows.parse_datetime(args.start, "开始时间"),
                windows.parse_datetime(args.end, "结束时间"),
                args.notes or "",
            )
            if args.json:
                emit_json(w.as_json())
            else:
                print(
                    f"已登记 #{w.id} {w.case_no} {w.activity}：{w.started_at:%Y-%m-%d %H:%M} 至 "
                    f"{w.ended_at:%Y-%m-%d %H:%M}（{w.minutes} 分钟）"
                )
            return 0
        if args.action == "delete":
            if args.id is None:
                raise UserError("删除执法活动时间请用 --id 给出编号（见 case activity list）")
            windows.delete_window(db, args.id)
            print(f"已删除执法活动时间 #{args.id}")
            return 0
        rows = windows.list_windows(db, args.case_no or None)
    if args.json:
        emit_json([w.as_json() for w in rows])
        return 0
    for w in rows:
        note = f"  {w.notes}" if w.notes else ""
        print(
            f"#{w.id} {w.case_no} {w.activity}：{w.started_at:%Y-%m-%d %H:%M} 至 "
            f"{w.ended_at:%Y-%m-%d %H:%M}（{w.minutes} 分钟）{note}"
        )
    if not rows:
        print("没有登记执法活动时间")
    return 0


def _register_case(sub: Any, common: argparse.ArgumentParser) -> None:
    from brigade_desk.ledgers.cases.models import ACTIVITIES

    ca = sub.add_parser("case", parents=[common], help="案件登记：执法活动的起止时间")
    csub = ca.add_subparsers(dest="case_cmd", metavar="ACTION", required=True)
    ac = csub.add_parser(
        "activity",
        parents=[common],
        help="执法活动（查封扣押、强制拆除…）的开始/结束时间，全程音像记录按此核对",
    )
    ac.add_argument("action", choices=["add", "list", "delete"])
    ac.add_argument("case_no", nargs="?", default="", help="案号（list 不填则列出全部）")
    ac.add_argument("--activity", choices=ACTIVITIES)
    ac.add_argument("--start", help='开始时间，如 "2026-12-01 10:00"')
    ac.add_argument("--end", help='结束时间，如 "2026-12-01 12:00"')
    ac.add_argument("--notes", default="")
    ac.add_argument("--id", type=int, help="要删除的执法活动时间编号（delete）")
    ac.add_argument("--json", action="store_true")
    ac.set_defaults(func=cmd_activity)


def register(sub: Any, common: argparse.ArgumentParser, exports: Mapping[str, ExportDef]) -> None:
    _register_case(sub, common)
    """``exports``: the ledger's own (``LEDGER.exports`` by key), which ``review pdf|report`` run."""
    rv = sub.add_parser("review", parents=[common], help="案卷评查：抽样、评查表、通报")
    rsub = rv.add_subparsers(dest="review_cmd", metavar="ACTION", required=True)

    s = rsub.add_parser("sample", parents=[common], help="抽取（或查看）年度评查样本")
    s.add_argument("--year", type=int, required=True)
    s.add_argument(
        "--per-category", type=int, default=None, help="每类最少抽取件数（默认取设置，10）"
    )
    s.add_argument("--seed", type=int, default=None, help="随机种子（不填则随机生成并记录）")
    s.add_argument("--redraw", action="store_true", help="重新抽取（保留人工添加的案卷）")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_sample)

    a = rsub.add_parser("add", parents=[common], help="人工向样本添加案卷")
    a.add_argument("case_no")
    a.add_argument("--year", type=int, required=True)
    a.add_argument("--reason", default="")
    a.set_defaults(func=cmd_add)

    p = rsub.add_parser("pdf", parents=[common], help="打印案卷评查表（空白或已填写）")
    p.add_argument("case_no", help="案号；写 all 并加 --year 则打印该年样本的全部评查表")
    p.add_argument("--out", required=True)
    p.add_argument("--blank", action="store_true", help="空白评查表（手工评查用）")
    p.add_argument("--year", type=int, default=None, help="评查年度（默认最近一次评查）")
    p.set_defaults(func=partial(cmd_pdf, exports))

    r = rsub.add_parser("report", parents=[common], help="生成年度评查结果通报（PDF）")
    r.add_argument("--year", type=int, required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--as-of", type=parse_date, default=None)
    r.set_defaults(func=partial(cmd_report, exports))

    h = sub.add_parser(
        "holidays", parents=[common], help="国务院节假日安排（日历库未收录的年份由此录入）"
    )
    h.add_argument("action", choices=["show", "set"])
    h.add_argument("--year", type=int, required=True)
    h.add_argument(
        "--holidays", default="", help='放假日期，分号分隔，如 "2027-01-01~2027-01-03 元旦"'
    )
    h.add_argument("--workdays", default="", help="调休上班日期，分号分隔")
    h.add_argument("--source", default="", help="依据（国务院办公厅通知文号）")
    h.set_defaults(func=cmd_holidays)
