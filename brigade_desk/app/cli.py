"""The ``brigade-desk`` command line: the same services as the GUI.

Exit codes: 0 success, 1 input rejected / a check failed / an error the clerk can fix, 2 usage.
With no command it starts the GUI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from brigade_desk import __version__
from brigade_desk.app import cli_maint, cli_reports
from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import paths, settings
from brigade_desk.core.commands import (
    emit_json,
    open_db,
    parse_date,
    period_from,
    writing,
)
from brigade_desk.core.errors import UserError
from brigade_desk.core.ledger import ExportRequest
from brigade_desk.core.rules import Finding

# ---- commands -------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    try:
        with writing(args) as db:  # --dry-run too: it checks against a stable database
            result = REGISTRY.importers()[args.kind].run(
                db, args.file, dry_run=args.dry_run, skip_invalid=args.skip_invalid
            )
    except UserError as exc:
        if not args.json:
            raise
        from brigade_desk.core.tabular.result import refused

        emit_json(refused(exc.message))
        return 1
    if args.json:
        emit_json(result.as_json())
    else:
        for e in result.errors:
            print(str(e), file=sys.stderr)
        if result.more_errors:
            print(f"……另有 {result.more_errors} 处错误未列出", file=sys.stderr)
        print(("（试运行，未写入）" if args.dry_run else "") + result.summary())
        for line in result.details():
            print(line)
    return 1 if result.rejected else 0


def _temp_folder() -> str:
    import tempfile

    return f"临时文件夹 {tempfile.gettempdir()} 中的临时文件"


def cmd_export(args: argparse.Namespace) -> int:
    """Every export goes through its ``ExportDef``, as on the 报表 page and the ledger pages."""
    export = REGISTRY.exports()[args.kind]
    req = ExportRequest(
        Path(args.out), period=period_from(args), as_of=args.as_of, target=args.target
    )
    export.check(req)  # before opening the database: a missing --year is said at once
    db = open_db(args)
    try:
        out = export.export(db, req)  # checked again, and stamped with the audit chain's head
    finally:
        db.close()
    for note in req.notes:
        print(note)
    print(f"已导出：{out}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    out = REGISTRY.importers()[args.kind].write_template(args.out)
    print(f"已生成导入模板：{out}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    as_of = args.as_of or dt.date.today()
    db = open_db(args)
    try:
        with db.session() as s:
            findings = REGISTRY.run_rules(s, as_of)
            mask = bool(settings.get(s, settings.MASK_IDS))
    finally:
        db.close()
    if args.json:
        emit_json({"as_of": as_of.isoformat(), "findings": [f.as_json() for f in findings]})
    else:  # for reading: grouped by rule, ID numbers masked as on screen (设置 → 身份证号显示)
        from brigade_desk.core import idcard

        labels = REGISTRY.rule_labels()
        order = list(labels)
        groups: dict[str, list[Finding]] = {}
        for f in findings:
            groups.setdefault(f.rule, []).append(f)
        for rule in sorted(groups, key=lambda r: order.index(r) if r in order else len(order)):
            print(f"【{labels.get(rule, rule)}】{len(groups[rule])} 项")
            for f in groups[rule]:
                ref = (
                    idcard.mask(f.ref)
                    if mask and len(f.ref) == 18 and f.ref[:17].isdigit()
                    else f.ref
                )
                due = f" 期限 {f.due:%Y-%m-%d}" if f.due else ""
                print(f"  {f.subject} {ref}{due}：{f.detail}")
        print(f"共 {len(findings)} 项问题（截至 {as_of:%Y-%m-%d}）")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from brigade_desk.app import demo

    with writing(args) as db:
        counts = demo.fill(db, size=args.size, seed=args.seed)
    print("已生成演示数据：" + "，".join(f"{k} {v}" for k, v in counts.items()) + f"（{db.name}）")
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    from brigade_desk.app.gui import run_gui

    return run_gui(getattr(args, "db", None))


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=f"数据库文件（默认取环境变量 {paths.DB_ENV}，否则用户数据目录）",
    )
    p = argparse.ArgumentParser(
        prog="brigade-desk", description="执法大队内勤台账（Brigade Desk）", parents=[common]
    )
    p.add_argument("--version", action="version", version=f"brigade-desk {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    g = sub.add_parser("gui", parents=[common], help="启动图形界面（默认）")
    g.set_defaults(func=cmd_gui)

    imp = sub.add_parser("import", parents=[common], help="从 Excel 导入台账")
    imp.add_argument("kind", choices=sorted(REGISTRY.importers()))
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    imp.add_argument("--skip-invalid", action="store_true", help="跳过有错误的行，导入其余行")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=cmd_import)

    exp = sub.add_parser("export", parents=[common], help="导出报表")
    exp.add_argument("kind", choices=sorted(REGISTRY.exports()))
    exp.add_argument(
        "target",
        nargs="?",
        help="template: 上级模板文件；filing、checklist、checklist-blank: 案号；exam-notice: 培训编号",
    )
    exp.add_argument("--out", required=True)
    exp.add_argument("--year", type=int)
    exp.add_argument("--quarter", type=int, choices=[1, 2, 3, 4])
    exp.add_argument("--month", type=int, choices=range(1, 13), metavar="M")
    exp.add_argument("--as-of", type=parse_date)
    exp.set_defaults(func=cmd_export)

    tpl = sub.add_parser("template", parents=[common], help="生成空白导入模板")
    tpl.add_argument("kind", choices=sorted(REGISTRY.importers()))
    tpl.add_argument("--out", required=True)
    tpl.set_defaults(func=cmd_template)

    chk = sub.add_parser("check", parents=[common], help="检查所有规则，列出问题")
    chk.add_argument("--as-of", type=parse_date)
    chk.add_argument("--json", action="store_true")
    chk.set_defaults(func=cmd_check)

    dem = sub.add_parser("demo", parents=[common], help="向空数据库填入演示数据")
    dem.add_argument("--size", choices=["small", "large"], default="small")
    dem.add_argument("--seed", type=int, default=1)
    dem.set_defaults(func=cmd_demo)

    REGISTRY.register_cli(sub, common)  # each ledger's own commands (av, review, training …)
    cli_maint.register(sub, common)  # backup, restore, audit …
    cli_reports.register(sub, common)  # deadlines, calendar …
    return p


def _utf8_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconf = getattr(stream, "reconfigure", None)
        if reconf is not None:
            try:
                reconf(encoding="utf-8", errors="replace")
            except (ValueError, OSError):
                pass


def main(argv: Sequence[str] | None = None) -> int:
    _utf8_stdio()
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None) or cmd_gui
    try:
        return int(func(args) or 0)
    except UserError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:  # a disk, a folder, a permission: the environment's, said in Chinese
        from brigade_desk.core.errors import describe_os_error

        if isinstance(exc, BrokenPipeError):  # the output was piped into a program that stopped
            return 1
        print(
            # no file name: a temporary file (the export writers' scratch space in the TEMP folder)
            f"错误：{describe_os_error(exc, exc.filename or _temp_folder(), mode='access')}",
            file=sys.stderr,
        )
        return 1
    except Exception as exc:
        from brigade_desk.core.errors import translate_db_error

        # by SQLite's result code: a damaged file raises DatabaseError, which is no OperationalError
        target = paths.resolve_db_target(getattr(args, "db", None))
        if isinstance(target, str):  # a server: by SQLSTATE (core.server)
            from brigade_desk.core import server

            user = server.translate_error(exc, server.server_url(target))
        else:
            user = translate_db_error(exc, target)
        if user is None:
            raise
        print(f"错误：{user.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
