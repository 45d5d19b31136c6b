"""Every form the clerk can produce in one click, for the 报表 page.

A form takes the database, an output path, a period and (for some) a target (a case number or the
superior's template file). Ledgers add their forms to ``FORMS``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brigade_desk.db import Database
from brigade_desk.progress import Progress
from brigade_desk.reports.period import Period


@dataclass(frozen=True)
class FormDef:
    key: str
    title: str
    period: str  # "none" | "year" | "quarter" | "month"
    suffix: str  # ".xlsx" | ".pdf"
    func: str  # "module:function"(db, out, period, target, progress) -> Path
    target: str = "none"  # "none" | "case" | "template"
    help: str = ""

    def run(self, db: Database, out: Path | str, period: Period, target: str | None, progress: Progress | None) -> Path:
        mod, _, fn = self.func.partition(":")
        f: Callable[..., Path] = getattr(importlib.import_module(mod), fn)
        return f(db, out, period, target, progress)


def _roster(db: Database, out: Any, period: Period, _t: Any, _p: Any) -> Path:
    from brigade_desk.exports.roster import export_roster

    return export_roster(db, out, as_of=min(period.end, __import__("datetime").date.today()))


def _quarterly(db: Database, out: Any, period: Period, _t: Any, p: Progress | None) -> Path:
    from brigade_desk.reports.quarterly import export_quarterly

    return export_quarterly(db, out, period, p)


def _template(db: Database, out: Any, period: Period, target: str | None, _p: Any) -> Path:
    from brigade_desk.errors import UserError
    from brigade_desk.reports.template_fill import fill_template

    if not target:
        raise UserError("请先选择上级发来的模板文件（.xlsx）。")
    with db.Session() as s:
        fill_template(s, target, out, period)
    return Path(out)


FORMS: list[FormDef] = [
    FormDef("quarterly", "季度上传报表（培训台账、执法证件、音像记录、案卷评查）", "quarter", ".xlsx",
            "brigade_desk.reports.forms:_quarterly", help="各台账本季度（按年度统计的台账为年初至本季度末）的数据，工作表名称按上传要求固定。"),
    FormDef("roster", "执法人员花名册（执法证件台账）", "none", ".xlsx", "brigade_desk.reports.forms:_roster",
            help="全部人员及其当前执法证件，附证件问题清单。"),
    FormDef("template", "按上级模板填报", "quarter", ".xlsx", "brigade_desk.reports.forms:_template", target="template",
            help="打开上级发来的 .xlsx 模板：{{单位名称}} 等占位符被替换，含 {{行:来源.字段}} 的行按记录逐行展开，模板的其他内容保持不变。"),
]
