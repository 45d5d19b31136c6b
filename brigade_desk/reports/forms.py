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

from brigade_desk.core.db import Database
from brigade_desk.core.period import Period
from brigade_desk.core.progress import Progress


@dataclass(frozen=True)
class FormDef:
    key: str
    title: str
    period: str  # "none" | "year" | "quarter" | "month"
    suffix: str  # ".xlsx" | ".pdf"
    func: str  # "module:function"(db, out, period, target, progress) -> Path
    target: str = "none"  # "none" | "case" | "template"
    help: str = ""

    def run(
        self,
        db: Database,
        out: Path | str,
        period: Period,
        target: str | None,
        progress: Progress | None,
    ) -> Path:
        mod, _, fn = self.func.partition(":")
        f: Callable[..., Path] = getattr(importlib.import_module(mod), fn)
        return f(db, out, period, target, progress)


def _roster(db: Database, out: Any, period: Period, _t: Any, _p: Any) -> Path:
    from brigade_desk.ledgers.roster.exports import export_roster

    return export_roster(db, out, as_of=min(period.end, __import__("datetime").date.today()))


def _quarterly(db: Database, out: Any, period: Period, _t: Any, p: Progress | None) -> Path:
    from brigade_desk.reports.quarterly import export_quarterly

    return export_quarterly(db, out, period, p)


def _template(db: Database, out: Any, period: Period, target: str | None, _p: Any) -> Path:
    from brigade_desk.core.errors import UserError
    from brigade_desk.reports.template_fill import fill_template

    if not target:
        raise UserError("请先选择上级发来的模板文件（.xlsx）。")
    with db.session() as s:
        fill_template(s, target, out, period)
    return Path(out)


def _monthly(db: Database, out: Any, period: Period, _t: Any, p: Progress | None) -> Path:
    from brigade_desk.reports.monthly import export_monthly

    return export_monthly(db, out, period, progress=p)


def _annual_xlsx(db: Database, out: Any, period: Period, _t: Any, p: Progress | None) -> Path:
    from brigade_desk.reports.annual import export_annual_workbook

    return export_annual_workbook(db, out, period.year, progress=p)


def _annual_pdf(db: Database, out: Any, period: Period, _t: Any, p: Progress | None) -> Path:
    from brigade_desk.reports.annual_pdf import export_annual_pdf

    return export_annual_pdf(db, out, period.year, progress=p)


def _filing(db: Database, out: Any, _period: Period, target: str | None, _p: Any) -> Path:
    from brigade_desk.core.errors import UserError
    from brigade_desk.ledgers.cases.filing_pdf import export_filing_pdf

    if not target:
        raise UserError("请先填写案号（可输入案号的一部分，从提示中选择）。")
    return export_filing_pdf(db, out, target)


FORMS: list[FormDef] = [
    FormDef(
        "quarterly",
        "季度上传报表（培训台账、执法证件、音像记录、案卷评查）",
        "quarter",
        ".xlsx",
        "brigade_desk.reports.forms:_quarterly",
        help="各台账本季度（按年度统计的台账为年初至本季度末）的数据，工作表名称按上传要求固定。",
    ),
    FormDef(
        "monthly",
        "行政执法数据月报（案件统计）",
        "month",
        ".xlsx",
        "brigade_desk.reports.forms:_monthly",
        help="本月及本年累计：立案、决定、结案，罚没金额，重大决定，备案和公示是否按期（按官方节假日计算），"
        "听证告知，行政复议、行政诉讼和行刑衔接移送。每月 5 日前报上月数据。",
    ),
    FormDef(
        "annual_pdf",
        "年度行政执法工作报告（报告稿 PDF）",
        "year",
        ".pdf",
        "brigade_desk.reports.forms:_annual_pdf",
        help="按公文格式（GB/T 9704：A4、仿宋三号正文、黑体标题、页码）生成年度工作报告初稿：人员和证件、办案、"
        "三项制度、案卷评查和整改。1 月 31 日前报上年度报告。",
    ),
    FormDef(
        "annual_xlsx",
        "年度行政执法数据（工作簿）",
        "year",
        ".xlsx",
        "brigade_desk.reports.forms:_annual_xlsx",
        help="年度工作报告所依据的数据，每个主题一个工作表。",
    ),
    FormDef(
        "filing",
        "重大行政处罚决定备案表（PDF）",
        "none",
        ".pdf",
        "brigade_desk.reports.forms:_filing",
        target="case",
        help="按案件登记填写一件案件的备案表，备案期限按官方节假日计算；决定之日起 5 个工作日内报备案。",
    ),
    FormDef(
        "roster",
        "执法人员花名册（执法证件台账）",
        "none",
        ".xlsx",
        "brigade_desk.reports.forms:_roster",
        help="全部人员及其当前执法证件，附证件问题清单。",
    ),
    FormDef(
        "template",
        "按上级模板填报",
        "quarter",
        ".xlsx",
        "brigade_desk.reports.forms:_template",
        target="template",
        help="打开上级发来的 .xlsx 模板：{{单位名称}} 等占位符被替换，含 {{行:来源.字段}} 的行按记录逐行展开，模板的其他内容保持不变。",
    ),
]
