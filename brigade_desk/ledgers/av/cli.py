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
    from brigade_desk.ledgers.av.ingest import IngestOptions, in_place_warning, ingest

    if args.in_place and args.copy_to:
        print("--in-place（原位登记）与 --copy-to（复制到归档）只能选一个", file=sys.stderr)
        return 2
    ticker = _Ticker(not args.json)
    with writing(args) as db:
        if args.in_place:
            print(f"注意：{in_place_warning(args.dir)}", file=sys.stderr)
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
                in_place=bool(args.in_place),
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
        for a in res.attribution:
            flag = "⚠ " if a["conflict"] or a["kind"] != "holder" else ""
            print(f"人员：{flag}{a['path']}：{a['message']}")
        if res.attribution:
            print(res.attribution_summary())
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
        "--copy-to",
        metavar="DIR",
        help="本次复制到此归档位置（年/月/设备），复制后校验；默认取设置的归档位置"
        "（brigade-desk av archive-root）",
    )
    ing.add_argument(
        "--in-place",
        action="store_true",
        help="原位登记：不复制，文件留在原处登记（存储卡清空后记录将变为缺失）",
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

    _register_custody(avsub, common)  # the custody report (音像证据清单)
    register_custody(avsub, common)  # devices, archive root, officer, retention


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


# ---- device custody, archive root, officer correction, retention (issue #19 items 2 and 6) -------


def _staff_id(db: Any, raw: str) -> int:
    """A roster id, or a name that is unique in the roster."""
    from sqlalchemy import select

    from brigade_desk.core.errors import UserError
    from brigade_desk.ledgers.roster.models import Staff

    raw = raw.strip()
    if raw.isdigit():
        return int(raw)
    with db.session() as s:
        ids = list(s.scalars(select(Staff.id).where(Staff.name == raw)))
    if len(ids) != 1:
        raise UserError(
            f"花名册中{'没有' if not ids else '有不止一个'}名为「{raw}」的人员；请改用花名册编号"
        )
    return int(ids[0])


def _holder_json(h: Any) -> dict[str, Any]:
    return {
        "id": h.id,
        "device_no": h.device_no,
        "staff_id": h.staff_id,
        "staff": h.staff,
        "from": h.from_at.isoformat(sep=" "),
        "to": h.to_at.isoformat(sep=" ") if h.to_at else None,
        "notes": h.notes,
    }


def cmd_device(args: argparse.Namespace) -> int:
    from brigade_desk.core.commands import emit_json, writing
    from brigade_desk.ledgers.av.devices import DeviceService, fmt_time, parse_time, span

    action = args.device_command
    with writing(args, writes=action in ("add", "hand-over", "return")) as db:
        svc = DeviceService(db)
        if action == "add":
            did = svc.save_device(
                None, args.device_no, args.model or "", args.serial or "", args.notes or ""
            )
            if args.holder:
                svc.hand_over(
                    did,
                    _staff_id(db, args.holder),
                    parse_time(args.since) if args.since else _now(),
                )
            out: Any = {"id": did, "device_no": args.device_no.strip()}
            text = [f"已登记执法记录仪 {args.device_no.strip()}（#{did}）"]
        elif action in ("hand-over", "return"):
            did = svc.device_id(args.device_no)
            at = parse_time(args.at) if args.at else _now()
            to = _staff_id(db, args.to) if action == "hand-over" else None
            hid = svc.hand_over(did, to, at, args.notes or "")
            hist = svc.history(did)
            out = {"holder_id": hid, "history": [_holder_json(h) for h in hist]}
            cur = next((h for h in hist if h.to_at is None), None)
            text = [
                f"执法记录仪 {args.device_no.strip()} 自 {fmt_time(at)} 由 {cur.staff} 持有"
                if cur
                else f"执法记录仪 {args.device_no.strip()} 已于 {fmt_time(at)} 归还，无人持有"
            ]
        elif action == "history":
            one = svc.device_id(args.device_no) if args.device_no else None
            hist = svc.history(one)
            out = [_holder_json(h) for h in hist]
            text = [
                f"{h.device_no}  {h.staff}  {span(h.from_at, h.to_at)}"
                + (f"  {h.notes}" if h.notes else "")
                for h in hist
            ] or ["没有持有记录"]
        else:  # list
            devs = svc.devices()
            out = [
                {
                    "id": d.id,
                    "device_no": d.device_no,
                    "model": d.model,
                    "serial_no": d.serial_no,
                    "notes": d.notes,
                    "active": d.active,
                    "holder_id": d.holder_id,
                    "holder": d.holder,
                    "since": d.since.isoformat(sep=" ") if d.since else None,
                }
                for d in devs
            ]
            text = [
                f"#{d.id} {d.device_no}  {d.model or '-'}  {d.serial_no or '-'}  "
                + (f"{d.holder}（自 {fmt_time(d.since)}）" if d.holder else "无人持有")
                + ("" if d.active else "  〔停用〕")
                for d in devs
            ] or ["尚未登记执法记录仪（brigade-desk av device add 编号 …）"]
    if args.json:
        emit_json(out)
    else:
        print("\n".join(text))
    return 0


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now().replace(second=0, microsecond=0)


def cmd_archive_root(args: argparse.Namespace) -> int:
    import os

    from brigade_desk.core import settings
    from brigade_desk.core.commands import emit_json, writing

    with writing(args, writes=args.path is not None) as db:
        if args.path is not None:
            path = os.path.abspath(args.path) if args.path.strip() else ""
            with db.begin() as s:
                settings.set_value(s, av_settings.AV_ARCHIVE_ROOT, path)
        with db.session() as s:
            cur = str(settings.get(s, av_settings.AV_ARCHIVE_ROOT) or "")
    if args.json:
        emit_json({"archive_root": cur, "reachable": bool(cur) and Path(cur).is_dir()})
    elif cur:
        ok = "" if Path(cur).is_dir() else "（当前不存在或不可访问，入库时将尝试创建）"
        print(f"归档位置：{cur}{ok}")
    else:
        print("未设置归档位置；用 brigade-desk av archive-root 文件夹 设置")
    return 0


def cmd_officer(args: argparse.Namespace) -> int:
    from brigade_desk.core.commands import emit_json, writing
    from brigade_desk.ledgers.av.service import AvService

    with writing(args) as db:
        sid = None if args.staff in ("", "-") else _staff_id(db, args.staff)
        old, new = AvService(db).correct_officer(args.record, sid, args.reason or "")
    if args.json:
        emit_json({"id": args.record, "old_officer_id": old, "officer_id": new})
    else:
        print(f"音像记录 #{args.record} 的执法人员已由 {old} 更正为 {new}（已记入审计记录）")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    import datetime as dt

    from brigade_desk.core.commands import emit_json, writing
    from brigade_desk.ledgers.av import retention

    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    with writing(args, writes=bool(args.approve)) as db:
        if args.log:
            log = retention.deletion_log(db)
            if args.json:
                emit_json([d.as_json() for d in log])
            else:
                for d in log:
                    print(
                        f"#{d.id} {d.deleted_at:%Y-%m-%d %H:%M} {d.deleted_by}  {d.path}  "
                        f"{d.sha256}  {d.size} 字节  {d.activity}  {d.file_state}  {d.reason}"
                    )
                if not log:
                    print("删除记录为空")
            return 0
        if args.approve:
            res = retention.delete(
                db, list(args.approve), by=args.by or "", reason=args.reason or "", as_of=as_of
            )
            if args.json:
                emit_json(res.as_json())
            else:
                for d in res.deleted:
                    print(f"已删除 #{d.record_id} {d.path}（{d.file_state}，删除记录 #{d.id}）")
                for rid, msg in res.refused:
                    print(msg if str(rid) in msg else f"#{rid}：{msg}", file=sys.stderr)
                print(f"删除 {len(res.deleted)} 个，未删除 {len(res.refused)} 个")
            return 1 if res.refused else 0
        props = retention.proposals(db, as_of)
    if args.json:
        emit_json([p.as_json() for p in props])
    else:
        for p in props:
            print(
                f"#{p.record_id} {p.path}  {p.activity}  "
                f"{p.media_start:%Y-%m-%d %H:%M}  保存 {p.years} 年，{p.due_on} 到期"
                if p.media_start
                else f"#{p.record_id} {p.path}  {p.activity}  保存 {p.years} 年，{p.due_on} 到期"
            )
        print(
            f"保存期限已到、可删除的文件 {len(props)} 个（关联案件、重点、永久保存的文件不列出）。"
            "删除：brigade-desk av retention --approve 编号 … [--reason 原因]"
            if props
            else "没有保存期限已到的文件（关联案件、重点、永久保存的文件从不列出）"
        )
    return 0


def register_custody(avsub: Any, common: argparse.ArgumentParser) -> None:
    dev = avsub.add_parser("device", parents=[common], help="执法记录仪登记与持有人交接")
    dsub = dev.add_subparsers(dest="device_command", metavar="DEVICE_COMMAND", required=True)
    add = dsub.add_parser("add", parents=[common], help="登记一台执法记录仪")
    add.add_argument("device_no", help="编号（与文件名中的设备号一致）")
    add.add_argument("--model", help="型号")
    add.add_argument("--serial", help="产品序号")
    add.add_argument("--notes", help="备注")
    add.add_argument("--holder", help="当前持有人（花名册编号或姓名）")
    add.add_argument("--since", help="持有起始时间，如 2026-12-01 08:00（默认现在）")
    add.add_argument("--json", action="store_true")
    lst = dsub.add_parser("list", parents=[common], help="列出执法记录仪及当前持有人")
    lst.add_argument("--json", action="store_true")
    ho = dsub.add_parser(
        "hand-over", parents=[common], help="交接：当前持有人的持有到此时结束，新持有人自此时持有"
    )
    ho.add_argument("device_no")
    ho.add_argument("--to", required=True, help="新持有人（花名册编号或姓名）")
    ho.add_argument("--at", help="交接时间，如 2026-12-01 10:30（默认现在）")
    ho.add_argument("--notes", help="备注")
    ho.add_argument("--json", action="store_true")
    rt = dsub.add_parser("return", parents=[common], help="归还：当前持有人的持有到此时结束")
    rt.add_argument("device_no")
    rt.add_argument("--at", help="归还时间（默认现在）")
    rt.add_argument("--notes", help="备注")
    rt.add_argument("--json", action="store_true")
    hi = dsub.add_parser("history", parents=[common], help="持有记录（一台或全部）")
    hi.add_argument("device_no", nargs="?")
    hi.add_argument("--json", action="store_true")
    for p in (add, lst, ho, rt, hi):
        p.set_defaults(func=cmd_device)

    ar = avsub.add_parser(
        "archive-root", parents=[common], help="查看或设置入库默认复制到的归档位置"
    )
    ar.add_argument("path", nargs="?", help="归档文件夹（给空字符串则清除）")
    ar.add_argument("--json", action="store_true")
    ar.set_defaults(func=cmd_archive_root)

    of = avsub.add_parser(
        "officer", parents=[common], help="更正一条音像记录的执法人员（记入审计）"
    )
    of.add_argument("record", type=int, help="音像记录编号")
    of.add_argument("staff", help="执法人员（花名册编号或姓名；- 表示清空）")
    of.add_argument("--reason", help="更正原因（写入备注）")
    of.add_argument("--json", action="store_true")
    of.set_defaults(func=cmd_officer)

    re_ = avsub.add_parser(
        "retention",
        parents=[common],
        help="列出保存期限已到的文件；--approve 删除（记入永久删除记录）",
        description="列出保存期限已到、可删除的音像文件（关联案件、重点、永久保存的从不列出）。"
        "--approve 编号… 删除这些文件并写入永久删除记录；--log 查看删除记录。",
    )
    re_.add_argument("--approve", type=int, nargs="+", metavar="ID", help="批准删除的记录编号")
    re_.add_argument("--reason", help="删除原因（默认：保存期限届满）")
    re_.add_argument("--by", help="批准人（默认：当前操作系统用户）")
    re_.add_argument("--as-of", help="按此日期判断是否到期（YYYY-MM-DD，默认今天）")
    re_.add_argument("--log", action="store_true", help="列出永久删除记录")
    re_.add_argument("--json", action="store_true")
    re_.set_defaults(func=cmd_retention)
