"""``brigade-desk av …`` commands (ingest, verify, roots, patterns) and the ``export av`` adapter."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.av import settings as av_settings


def _open(args: argparse.Namespace) -> Any:
    from brigade_desk.core.commands import open_db

    return open_db(args)


def _workers(args: argparse.Namespace, db: Any) -> int:
    if args.workers:
        return int(args.workers)
    from brigade_desk.core import settings

    with db.session() as s:
        return int(settings.get(s, av_settings.AV_WORKERS))


class _Ticker:
    """Progress on stderr for a terminal (one line, rewritten), silent otherwise or with --json."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()

    def __call__(self, done: int, total: int, text: str) -> None:
        if self.enabled:
            pct = f"{100 * done / total:5.1f}% " if total else ""
            print(f"\r{pct}{text}\033[K", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


def cmd_ingest(args: argparse.Namespace) -> int:
    from brigade_desk.core.commands import emit_json, writing
    from brigade_desk.ledgers.av.ingest import IngestOptions, ingest

    ticker = _Ticker(not args.json)
    with writing(args) as db:
        try:
            opts = IngestOptions(
                case_no=args.case or "",
                activity=args.activity or "其他",
                officer_id=args.officer,
                officer2_id=args.officer2,
                device_no=args.device or "",
                target=args.target or "",
                place=args.place or "",
                copy_to=args.copy_to,
                workers=_workers(args, db),
            )
            res = ingest(db, Path(args.dir), opts, progress=Progress(ticker))
        finally:
            ticker.close()
    if args.json:
        emit_json(res.as_json())
    else:
        for c in res.cleanup:
            print(f"清理：{c}")
        for d in res.duplicates:
            print(f"重复：{d['path']}（与 {d['existing']} 内容相同，未重复入库）")
        for r in res.renamed:
            print(f"归档重名：{r['path']} 已存在且内容不同，新文件存为 {r['to']}")
        for e in res.errors:
            print(
                f"未登记（{e.get('kind', '文件')}）：{e['path']}：{e['message']}", file=sys.stderr
            )
        print(res.summary())
    if res.cancelled:
        return 1
    return INGEST_INCOMPLETE if res.errors else 0


# exit code of ``av ingest`` that ran to its end but left files it found unindexed (listed): 1 is
# "refused or failed", 2 is argparse's usage error
INGEST_INCOMPLETE = 3


def cmd_verify(args: argparse.Namespace) -> int:
    if getattr(args, "budget_minutes", None) is not None:
        return cmd_verify_budget(args)
    from brigade_desk.core.commands import emit_json, writing
    from brigade_desk.ledgers.av.verify import verify

    ticker = _Ticker(not args.json)
    with writing(args) as db:  # records each file's check and the run
        try:
            res = verify(db, workers=_workers(args, db), progress=Progress(ticker))
        finally:
            ticker.close()
    if args.json:
        emit_json(res.as_json())
    else:
        for p in res.modified:
            print(f"已被修改：{p}")
        for p in res.missing:
            print(f"缺失：{p}")
        for m in res.moved:
            print(f"已移动：{m['from']} → {m['to']}")
        print(res.summary())
    return 1 if res.failed or res.cancelled else 0


def cmd_roots(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from brigade_desk.core.commands import emit_json, writing
    from brigade_desk.ledgers.av import roots
    from brigade_desk.ledgers.av.models import AvRecord, AvStorageRoot

    with writing(args, writes=bool(args.set_path)) as db:
        if args.set_path:
            rid, new = args.set_path
            with db.begin() as s:
                root = roots.set_root_path(s, int(rid), new)
                print(f"存储位置「{root.name}」已改为 {root.path}")
        with db.session() as s:
            counts = dict(
                s.execute(select(AvRecord.root_id, func.count()).group_by(AvRecord.root_id)).all()
            )
            rows = [
                {
                    "id": r.id,
                    "name": r.name,
                    "path": r.path,
                    "archive": r.is_archive,
                    "records": counts.get(r.id, 0),
                    "reachable": Path(r.path).is_dir(),
                }
                for r in s.scalars(select(AvStorageRoot).order_by(AvStorageRoot.id))
            ]
    if args.json:
        emit_json(rows)
    else:
        for r in rows:
            kind = "归档" if r["archive"] else "来源"
            ok = "" if r["reachable"] else "（当前不可访问）"
            print(f"#{r['id']} [{kind}] {r['name']}：{r['path']}{ok}，{r['records']} 条记录")
    return 0


def cmd_patterns(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from brigade_desk.core.commands import emit_json
    from brigade_desk.ledgers.av.models import AvNamePattern

    db = _open(args)
    try:
        with db.session() as s:
            rows = [
                {
                    "name": p.name,
                    "regex": p.regex,
                    "priority": p.priority,
                    "enabled": p.enabled,
                    "notes": p.notes,
                }
                for p in s.scalars(
                    select(AvNamePattern).order_by(AvNamePattern.priority, AvNamePattern.id)
                )
            ]
    finally:
        db.close()
    if args.json:
        emit_json(rows)
    else:
        for r in rows:
            print(
                f"{'✓' if r['enabled'] else '✗'} {r['priority']:>3} {r['name']}：{r['regex']}  {r['notes']}"
            )
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from brigade_desk.ledgers.av.models import ACTIVITIES

    av = sub.add_parser("av", parents=[common], help="执法音像记录台账：入库、校验")
    avsub = av.add_subparsers(dest="av_command", metavar="AV_COMMAND", required=True)

    ing = avsub.add_parser(
        "ingest",
        parents=[common],
        help="把一个文件夹（含子文件夹）的音像文件入库",
        description="把一个文件夹（含子文件夹）的音像文件入库。退出码：0 全部登记（或已在索引中、重复、"
        "非音像文件）；3 已运行完，但有文件或文件夹未能登记（逐个列出原因）；1 被拒绝、出错或取消。",
    )
    ing.add_argument("dir", help="要入库的文件夹")
    ing.add_argument("--case", help="案件编号")
    ing.add_argument("--activity", choices=ACTIVITIES, help="执法活动（默认 其他）")
    ing.add_argument("--officer", type=int, help="执法人员（花名册编号），文件名未带人员时使用")
    ing.add_argument("--officer2", type=int, help="第二名执法人员（花名册编号）")
    ing.add_argument("--device", help="执法记录仪编号，文件名未带设备号时使用")
    ing.add_argument("--target", help="执法对象（当事人 / 车牌号）")
    ing.add_argument("--place", help="地点")
    ing.add_argument(
        "--copy-to", metavar="DIR", help="同时复制到归档位置（年/月/设备），复制后校验"
    )
    ing.add_argument("--workers", type=int, help="并行计算 SHA-256 的线程数（默认取设置，2）")
    ing.add_argument("--json", action="store_true")
    ing.set_defaults(func=cmd_ingest)

    ver = avsub.add_parser(
        "verify", parents=[common], help="重新计算所有已入库文件的 SHA-256，报告修改 / 缺失 / 移动"
    )
    ver.add_argument("--workers", type=int)
    ver.add_argument(
        "--budget-minutes",
        type=float,
        metavar="N",
        help="限时校验 N 分钟：从未校验的先校验，再按上次校验时间由远到近（案件证据和永久保存的提前排队），"
        "时间到即停，下次接着校验",
    )
    ver.add_argument("--json", action="store_true")
    ver.set_defaults(func=cmd_verify)

    ro = avsub.add_parser(
        "roots", parents=[common], help="列出存储位置；--set-path 在盘符变化后重新指向"
    )
    ro.add_argument("--set-path", nargs=2, metavar=("ID", "PATH"))
    ro.add_argument("--json", action="store_true")
    ro.set_defaults(func=cmd_roots)

    pa = avsub.add_parser("patterns", parents=[common], help="列出文件名规则")
    pa.add_argument("--json", action="store_true")
    pa.set_defaults(func=cmd_patterns)

    _register_custody(avsub, common)


def cmd_verify_budget(args: argparse.Namespace) -> int:
    """``av verify --budget-minutes N``: rolling verification within a time budget (issue 19)."""
    from brigade_desk.core.commands import emit_json, writing
    from brigade_desk.core.errors import UserError
    from brigade_desk.ledgers.av.verify import verify_budget

    if not args.budget_minutes > 0:
        raise UserError(f"限时应为大于 0 的分钟数：{args.budget_minutes:g}")
    ticker = _Ticker(not args.json)
    with writing(args) as db:
        try:
            res = verify_budget(
                db, args.budget_minutes, workers=_workers(args, db), progress=Progress(ticker)
            )
        finally:
            ticker.close()
    if args.json:
        emit_json(res.as_json())
    else:
        for p in res.modified:
            print(f"已被修改：{p}")
        for p in res.missing:
            print(f"缺失：{p}")
        for m in res.moved:
            print(f"已移动：{m['from']} → {m['to']}")
        print(
            f"已被修改 {len(res.modified)} 个，缺失 {len(res.missing)} 个，已移动 {len(res.moved)} 个"
        )
        print(res.summary())
    return 1 if res.failed or res.cancelled else 0


def cmd_custody(args: argparse.Namespace) -> int:
    """``av custody CASE_NO --out 音像证据清单.pdf``: the custody report with its manifests."""
    from brigade_desk.core.commands import emit_json, open_db
    from brigade_desk.ledgers.av.custody import export_custody

    db = open_db(args)
    try:
        res = export_custody(db, args.case_no, Path(args.out))
    finally:
        db.close()
    if args.json:
        emit_json(
            {
                "pdf": str(res.pdf),
                "sha256": str(res.manifest),
                "json": str(res.json),
                "files": res.files,
            }
        )
    else:
        print(f"已生成音像证据清单（{res.files} 个文件）：{res.pdf}")
        print(f"校验清单（sha256sum -c 可核对）：{res.manifest}")
        print(f"JSON：{res.json}")
    return 0


def _register_custody(avsub: Any, common: argparse.ArgumentParser) -> None:
    cu = avsub.add_parser(
        "custody",
        parents=[common],
        help="音像证据清单（PDF）：案件的全部音像文件、SHA-256、入库和校验记录，旁附 .sha256 与 .json",
    )
    cu.add_argument("case_no", help="案号")
    cu.add_argument("--out", required=True, help="PDF 文件，如 音像证据清单.pdf")
    cu.add_argument("--json", action="store_true")
    cu.set_defaults(func=cmd_custody)
