"""Maintenance commands: backup, restore, list backups, audit verify / history."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _db_path(args: argparse.Namespace) -> Path:
    from brigade_desk.core.commands import db_path

    return db_path(args)


def cmd_backup(args: argparse.Namespace) -> int:
    from brigade_desk.core.backup import make_backup
    from brigade_desk.core.commands import db_target, writing
    from brigade_desk.core.db import check_database_file, needs_migration

    target = db_target(args)
    if isinstance(target, str):
        return _backup_server(target, args)
    if args.format != "auto":
        from brigade_desk.core.errors import UserError

        raise UserError("--format 只适用于服务器上的数据库；数据库文件的备份总是数据库文件。")
    p = _db_path(args)
    check_database_file(p)  # (before anything reads it; opening checks again)
    # the copy only reads (SQLite's backup API), so it runs beside the GUI; but opening a file of
    # an older schema migrates it (so the backup is of a current schema): a write, under the lock
    with writing(args, writes=needs_migration(p)):
        pass
    out = make_backup(p, "manual", out=Path(args.out) if args.out else None)
    print(f"已备份到：{out}（{out.stat().st_size / 1024:.0f} KB，完整性检查通过）")
    return 0


def _backup_server(url: str, args: argparse.Namespace) -> int:
    """A server ledger backed up into this PC's folder for it: a pg_dump file when pg_dump is
    found and not older than the server, else the program's own consistent copy (core.pgbackup)."""
    from brigade_desk.core.pgbackup import backup_server

    res = backup_server(url, out=Path(args.out) if args.out else None, fmt=args.format)
    print(res.text_zh)
    print("恢复：brigade-desk --db 服务器地址 restore 备份文件 --replace（先自动备份当前数据）。")
    return 0


def cmd_backups(args: argparse.Namespace) -> int:
    from brigade_desk.core.backup import backup_dir, list_backups
    from brigade_desk.core.commands import db_target
    from brigade_desk.core.db import check_database_file
    from brigade_desk.core.errors import UserError

    target = db_target(args)
    if isinstance(target, str):  # a server database: this PC's backups of it
        from brigade_desk.core.pgbackup import backup_folder

        folder = backup_folder(target)
        items = list_backups(folder)
    else:
        folder = backup_dir(target)
        items = list_backups(folder)
        try:  # works without a usable database: that is when the list is needed
            check_database_file(target)
        except UserError as exc:
            print(f"注意：{exc.message}", file=sys.stderr)
    if args.json:
        from brigade_desk.core.commands import emit_json

        emit_json(
            [
                {
                    "path": str(b.path),
                    "when": b.when.isoformat(sep=" "),
                    "kind": b.kind,
                    "format": b.format,
                    "size": b.size,
                }
                for b in items
            ]
        )
    else:
        print(f"备份文件夹：{folder}")
        for b in items:
            print(
                f"{b.when:%Y-%m-%d %H:%M:%S}  {b.kind_zh:6}  {b.format_zh:6}  "
                f"{b.size / 1024:8.0f} KB  {b.path.name}"
            )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from brigade_desk.core.commands import db_target, write_lock
    from brigade_desk.core.restore import restore

    target = db_target(args)
    if isinstance(target, str):
        return _restore_server(target, args)
    p = _db_path(args)
    with write_lock(args):
        kept = restore(p, Path(args.file))
    if ".damaged-" in kept.name:
        print(f"已从 {args.file} 恢复。损坏的数据库文件已改名保留为：{kept}")
    else:
        print(f"已从 {args.file} 恢复。恢复前的数据已另存为：{kept}")
    return 0


def _restore_server(url: str, args: argparse.Namespace) -> int:
    """A backup of either kind (pg_dump file or the program's copy) into the server database."""
    from brigade_desk.core.pgbackup import restore_server

    res = restore_server(url, Path(args.file), replace=args.replace)
    print(res.text_zh, file=sys.stdout if res.ok else sys.stderr)
    return 0 if res.ok else 1


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from brigade_desk.core import audit
    from brigade_desk.core.commands import emit_json, open_db

    db = open_db(args)
    try:
        with db.session() as s:
            res = audit.verify(s)
    finally:
        db.close()
    if args.json:
        emit_json(res.as_json())
    elif res.ok:
        anchors = (
            f"与库外 {res.anchors} 个锚点（备份清单与锚点文件）相符"
            if res.anchors
            else "未找到库外锚点（尚无备份或锚点文件），只核对了数据库本身"
        )
        print(
            f"审计记录完整：{res.entries} 条记录（{res.keyed} 条有密钥签名），"
            f"核对 {res.records} 个对象，{anchors}，未发现改动。"
        )
        for r in res.restores:
            print(f"在程序中恢复过：{r}")
    else:
        print(f"发现问题：{res.problem}")
    return 0 if res.ok else 1


def cmd_audit_log(args: argparse.Namespace) -> int:
    from brigade_desk.core import audit
    from brigade_desk.core.commands import open_db

    db = open_db(args)
    try:
        with db.session() as s:
            items = audit.history(s, args.table, args.id)
    finally:
        db.close()
    for h in items:
        ch = "；".join(f"{k}: {b!r} → {a!r}" for k, b, a in h.changes)
        print(f"{h.at:%Y-%m-%d %H:%M:%S} {h.user} {audit.ACTION_ZH.get(h.action, h.action)} {ch}")
    return 0


def cmd_copy_db(args: argparse.Namespace) -> int:
    import json

    from brigade_desk.core import paths
    from brigade_desk.core.copydb import copy_database

    def target(v: str) -> Path | str:
        return paths.resolve_db_target(v)

    def progress(table: str, done: int, total: int) -> None:
        if not args.json and (done == total or done % 50_000 == 0):
            print(f"  {table}：{done}/{total}", file=sys.stderr)

    res = copy_database(target(args.source), target(args.target), progress)
    if args.json:
        print(json.dumps(res.as_json(), ensure_ascii=False, indent=2))
    elif res.verified:
        print(
            f"已复制 {sum(res.counts.values())} 行（{len(res.counts)} 个表）到 {res.target}；"
            f"各表行数一致，审计记录核对通过（{res.audit_entries} 条）。"
        )
    else:
        print(f"复制后核对未通过：{res.problem}", file=sys.stderr)
    return 0 if res.verified else 1


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    cp = sub.add_parser(
        "copy-db",
        parents=[common],
        help="把台账复制到另一个数据库（SQLite 文件 ↔ PostgreSQL 服务器），复制后核对",
    )
    cp.add_argument("source", help="来源：数据库文件，或 postgresql://用户@服务器:端口/数据库")
    cp.add_argument("target", help="目标（须为新建的空数据库）")
    cp.add_argument("--json", action="store_true")
    cp.set_defaults(func=cmd_copy_db)
    b = sub.add_parser("backup", parents=[common], help="立即备份数据库")
    b.add_argument("--out", help="备份文件（默认写入备份文件夹）")
    b.add_argument(
        "--format",
        choices=("auto", "pg_dump", "sqlite"),
        default="auto",
        help="服务器上的数据库：auto（默认，本机有 pg_dump 时用它，否则为本程序的数据库文件）、"
        "pg_dump、sqlite（本程序的数据库文件）",
    )
    b.set_defaults(func=cmd_backup)
    ls = sub.add_parser("backups", parents=[common], help="列出备份")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_backups)
    r = sub.add_parser("restore", parents=[common], help="从备份恢复（先自动备份当前数据）")
    r.add_argument("file", help="备份文件（数据库文件；服务器上的数据库也可用 pg_dump 文件）")
    r.add_argument(
        "--replace",
        action="store_true",
        help="服务器上的数据库已有数据时，确认用备份替换（先自动备份当前数据）",
    )
    r.set_defaults(func=cmd_restore)
    a = sub.add_parser("audit", parents=[common], help="审计记录")
    asub = a.add_subparsers(dest="audit_cmd", required=True, metavar="ACTION")
    v = asub.add_parser("verify", parents=[common], help="核对审计记录与数据是否被改动")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=cmd_audit_verify)
    lg = asub.add_parser("log", parents=[common], help="某条记录的修改历史")
    lg.add_argument("table")
    lg.add_argument("id")
    lg.set_defaults(func=cmd_audit_log)
