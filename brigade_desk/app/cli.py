"""The ``brigade-desk`` command line: the same services as the GUI.

Exit codes: 0 success, 1 input rejected / a check failed / an error the clerk can fix, 2 usage.
With no command it starts the GUI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from brigade_desk import __version__
from brigade_desk.core import paths, settings
from brigade_desk.core.errors import UserError

# kind -> "module:function" with signature (db, path, *, dry_run, skip_invalid) -> ImportResult
IMPORTERS: dict[str, str] = {
    "staff": "brigade_desk.ledgers.roster.importer:import_staff",
    "training": "brigade_desk.ledgers.training.importer:import_training",
    "cases": "brigade_desk.ledgers.cases.importer:import_cases",
}
# kind -> "module:function" with signature (db, out, args) -> Path
EXPORTERS: dict[str, str] = {
    "roster": "brigade_desk.app.cli_exports:roster",
    "av": "brigade_desk.ledgers.av.cli:export_av",
    "training": "brigade_desk.ledgers.training.cli:export_training",
    "training-plan": "brigade_desk.ledgers.training.cli:export_plan",
    "template": "brigade_desk.app.cli_exports:template",
    "quarterly": "brigade_desk.app.cli_exports:quarterly",
    "reviews": "brigade_desk.ledgers.cases.cli:export_reviews",
    "cases": "brigade_desk.ledgers.cases.cli:export_cases",
    "monthly": "brigade_desk.app.cli_report_forms:monthly",
    "annual": "brigade_desk.app.cli_report_forms:annual",
    "filing": "brigade_desk.app.cli_report_forms:filing",
}
# kind -> "module:function" writing a blank import template (out) -> Path
TEMPLATES: dict[str, str] = {
    "staff": "brigade_desk.ledgers.roster.importer:write_template",
    "training": "brigade_desk.ledgers.training.importer:write_template",
    "cases": "brigade_desk.ledgers.cases.importer:write_template",
}
# modules with register(subparsers) adding their own commands (av, review, audit …)
COMMAND_MODULES: list[str] = [
    "brigade_desk.ledgers.av.cli",
    "brigade_desk.app.cli_maint",
    "brigade_desk.app.cli_reports",
    "brigade_desk.ledgers.cases.cli",
    "brigade_desk.ledgers.training.cli",
]


def _load(ref: str) -> Callable[..., Any]:
    mod, _, fn = ref.partition(":")
    return getattr(importlib.import_module(mod), fn)  # type: ignore[no-any-return]


def _date(s: str) -> dt.date:
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{s}") from None


def emit_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def db_path(args: argparse.Namespace) -> Path:
    return paths.resolve_db_path(getattr(args, "db", None))


def open_db(args: argparse.Namespace) -> Any:
    """The database for a command that only reads (see :func:`writing` for one that writes)."""
    from brigade_desk.core.db import open_database

    return open_database(db_path(args))


# what to do when the lock is held: by the GUI (open all day) or by another writing command
WRITE_ADVICE = "请先关闭那里的 Brigade Desk（或等那里的命令运行完），再运行此命令"


def write_lock(args: argparse.Namespace) -> AbstractContextManager[Any]:
    """The program's lock on the database (``brigade_desk.core.lock``) for a command's writes. The GUI
    holds it as long as it is open, so a writing command is refused at once, with who holds it,
    instead of writing under a GUI whose pages and caches would not know."""
    from brigade_desk.core.lock import DatabaseLock

    path = db_path(args)
    try:  # the lock file lies beside the database: a new database's folder first (as the GUI does)
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # acquiring says what is wrong
    return DatabaseLock(path, advice=WRITE_ADVICE)


@contextmanager
def writing(args: argparse.Namespace, *, writes: bool = True) -> Iterator[Any]:
    """The open database for a command that writes, with :func:`write_lock` held until it is
    closed. ``writes=False`` when this run of the command only reads (``deadlines`` without
    ``--done``): no lock then, so it runs beside the GUI."""
    with write_lock(args) if writes else nullcontext():
        db = open_db(args)
        try:
            yield db
        finally:
            db.close()


# ---- commands -------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    with writing(args) as db:  # --dry-run too, as before: it checks against a stable database
        result = _load(IMPORTERS[args.kind])(
            db, args.file, dry_run=args.dry_run, skip_invalid=args.skip_invalid
        )
    if args.json:
        emit_json(result.as_json())
    else:
        for e in result.errors:
            print(str(e), file=sys.stderr)
        print(("（试运行，未写入）" if args.dry_run else "") + result.summary())
    return 1 if result.rejected else 0


def cmd_export(args: argparse.Namespace) -> int:
    db = open_db(args)
    try:
        out = _load(EXPORTERS[args.kind])(db, args.out, args)
    finally:
        db.close()
    print(f"已导出：{out}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    out = _load(TEMPLATES[args.kind])(args.out)
    print(f"已生成导入模板：{out}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from brigade_desk.core import rules

    as_of = args.as_of or dt.date.today()
    db = open_db(args)
    try:
        with db.session() as s:
            findings = rules.run_all(s, as_of)
            mask = bool(settings.get(s, settings.MASK_IDS))
    finally:
        db.close()
    if args.json:
        emit_json({"as_of": as_of.isoformat(), "findings": [f.as_json() for f in findings]})
    else:  # for reading: grouped by rule, ID numbers masked as on screen (设置 → 身份证号显示)
        from brigade_desk.core import idcard

        labels = rules.labels()
        order = list(labels)
        groups: dict[str, list[rules.Finding]] = {}
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
    from brigade_desk.core import demo

    with writing(args) as db:
        counts = demo.fill(db, size=args.size, seed=args.seed)
    print("已生成演示数据：" + "，".join(f"{k} {v}" for k, v in counts.items()) + f"（{db.path}）")
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
    imp.add_argument("kind", choices=sorted(IMPORTERS))
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    imp.add_argument("--skip-invalid", action="store_true", help="跳过有错误的行，导入其余行")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=cmd_import)

    exp = sub.add_parser("export", parents=[common], help="导出报表")
    exp.add_argument("kind", choices=sorted(EXPORTERS))
    exp.add_argument("target", nargs="?", help="template: 上级模板文件；filing: 案件编号")
    exp.add_argument("--out", required=True)
    exp.add_argument("--year", type=int)
    exp.add_argument("--quarter", type=int, choices=[1, 2, 3, 4])
    exp.add_argument("--month", type=int, choices=range(1, 13), metavar="M")
    exp.add_argument("--as-of", type=_date)
    exp.set_defaults(func=cmd_export)

    tpl = sub.add_parser("template", parents=[common], help="生成空白导入模板")
    tpl.add_argument("kind", choices=sorted(TEMPLATES))
    tpl.add_argument("--out", required=True)
    tpl.set_defaults(func=cmd_template)

    chk = sub.add_parser("check", parents=[common], help="检查所有规则，列出问题")
    chk.add_argument("--as-of", type=_date)
    chk.add_argument("--json", action="store_true")
    chk.set_defaults(func=cmd_check)

    dem = sub.add_parser("demo", parents=[common], help="向空数据库填入演示数据")
    dem.add_argument("--size", choices=["small", "large"], default="small")
    dem.add_argument("--seed", type=int, default=1)
    dem.set_defaults(func=cmd_demo)

    for m in COMMAND_MODULES:
        importlib.import_module(m).register(sub, common)
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
    except Exception as exc:
        from brigade_desk.core.errors import translate_db_error

        # by SQLite's result code: a damaged file raises DatabaseError, which is no OperationalError
        user = translate_db_error(exc, paths.resolve_db_path(getattr(args, "db", None)))
        if user is None:
            raise
        print(f"错误：{user.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
