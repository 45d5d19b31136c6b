"""Command line of the training ledger: ``brigade-desk training …`` (its exports are ``Ledger.exports``;
``training notice`` runs the ``exam-notice`` one)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from brigade_desk.core.ledger import ExportDef, ExportRequest


def cmd_notice(exports: Mapping[str, ExportDef], args: argparse.Namespace) -> int:
    """Runs the ``exam-notice`` export (as ``brigade-desk export exam-notice ID`` and the 考试 tab);
    without ``--session`` the latest exam (of ``--year``) is announced."""
    from brigade_desk.core.commands import open_db
    from brigade_desk.core.errors import UserError
    from brigade_desk.ledgers.training.service import TrainingService

    export = exports["exam-notice"]
    db = open_db(args)
    try:
        sid = args.session
        if sid is None:
            rows = TrainingService(db).list_sessions(args.year, exams_only=True)
            if not rows:
                raise UserError("没有找到有考试成绩的培训。")
            sid = rows[0].id
        out = export.export(db, ExportRequest(Path(args.out), target=str(sid)))
    finally:
        db.close()
    print(f"已生成成绩通报：{out}")
    return 0


def cmd_forms(args: argparse.Namespace) -> int:
    from brigade_desk.core.commands import writing
    from brigade_desk.ledgers.training.service import TrainingService

    with writing(args, writes=args.set is not None) as db:
        svc = TrainingService(db)
        forms = (
            svc.set_forms([f for f in args.set.split(",")]) if args.set is not None else svc.forms()
        )
    print("\n".join(forms))
    return 0


def register(sub: Any, common: argparse.ArgumentParser, exports: Mapping[str, ExportDef]) -> None:
    """``exports``: the ledger's own (``LEDGER.exports`` by key), which ``training notice`` runs."""
    tr = sub.add_parser("training", parents=[common], help="培训台账：成绩通报、培训形式列表")
    tsub = tr.add_subparsers(dest="training_command", metavar="ACTION", required=True)
    n = tsub.add_parser("notice", parents=[common], help="生成考试成绩通报 PDF（默认最近一次考试）")
    n.add_argument("--session", type=int, help="培训编号")
    n.add_argument("--year", type=int)
    n.add_argument("--out", required=True)
    n.set_defaults(func=partial(cmd_notice, exports))
    f = tsub.add_parser("forms", parents=[common], help="查看或设置培训形式列表")
    f.add_argument("--set", metavar="A,B,C", help="用逗号分隔的新列表")
    f.set_defaults(func=cmd_forms)
