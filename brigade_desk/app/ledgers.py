"""The program's ledgers, in order: the only module that knows every ledger.

Adding a ledger is one package under ``brigade_desk/ledgers/`` (declaring its ``LEDGER``) plus one
line in ``LEDGERS`` below. What spans ledgers — the quarterly workbook, the monthly statistics, the
annual report, the superior's template — is declared here too, assembled from what the ledgers
contribute. The command line (``app/cli.py``) and the GUI (``app/gui.py`` puts it into the
``AppContext``) use :data:`REGISTRY`; nothing below ``app/`` imports this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brigade_desk.core.ledger import DemoPart, ExportDef, ExportRequest, Registry
from brigade_desk.ledgers.av import LEDGER as AV
from brigade_desk.ledgers.cases import LEDGER as CASES
from brigade_desk.ledgers.roster import LEDGER as ROSTER
from brigade_desk.ledgers.training import LEDGER as TRAINING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from brigade_desk.core.db import Database
    from brigade_desk.core.demo import DemoContext
    from brigade_desk.core.settings import SettingDef
    from brigade_desk.reports.annual import AnnualContent

LEDGERS = (ROSTER, TRAINING, AV, CASES)


# ---- what is no single ledger's -------------------------------------------------------------


def _extra_settings() -> Sequence[SettingDef[Any]]:
    from brigade_desk.core import settings
    from brigade_desk.reports import reporting_calendar

    return [*settings.SETTINGS, *reporting_calendar.SETTINGS]


def _annual_content() -> AnnualContent:
    from brigade_desk.reports.annual import AnnualContent

    return AnnualContent(REGISTRY.annual_sections(), REGISTRY.recording_parts())


def _quarterly(db: Database, req: ExportRequest) -> Path:
    from brigade_desk.reports.quarterly import export_quarterly

    assert req.period is not None  # ExportDef.check
    return export_quarterly(db, req.out, req.period, REGISTRY.quarterly_sheets(), req.progress)


def _monthly(db: Database, req: ExportRequest) -> Path:
    from brigade_desk.reports.monthly import export_monthly

    assert req.period is not None
    return export_monthly(db, req.out, req.period, as_of=req.as_of, progress=req.progress)


def _annual(db: Database, req: ExportRequest) -> Path:
    assert req.period is not None
    suffix = req.out.suffix.lower()
    if suffix in (".pdf", ".docx"):
        from brigade_desk.reports.annual_pdf import export_annual_docx, export_annual_pdf

        write = export_annual_docx if suffix == ".docx" else export_annual_pdf
        return write(
            db, req.out, req.period.year, _annual_content(), as_of=req.as_of, progress=req.progress
        )
    from brigade_desk.reports.annual import export_annual_workbook

    return export_annual_workbook(
        db, req.out, req.period.year, _annual_content(), as_of=req.as_of, progress=req.progress
    )


def _template(db: Database, req: ExportRequest) -> Path:
    from brigade_desk.reports.template_fill import fill_template

    assert req.period is not None and req.target is not None  # ExportDef.check
    with db.session() as s:
        rep = fill_template(s, req.target, req.out, req.period, REGISTRY.sources())
    req.notes.append(f"已填充 {rep.sections} 个明细区、{rep.rows} 行记录、{rep.replaced} 个占位符")
    return req.out


def _reporting_calendar_demo(s: Session, ctx: DemoContext) -> None:
    from brigade_desk.reports.demo import fill

    fill(s, ctx)


REPORT_EXPORTS = (
    ExportDef(
        "quarterly",
        "季度上传报表（培训台账、执法证件、音像记录、案卷评查）",
        _quarterly,
        period="quarter",
        help="各台账本季度（按年度统计的台账为年初至本季度末）的数据，工作表名称按上传要求固定。",
    ),
    ExportDef(
        "monthly",
        "行政执法数据月报（案件统计）",
        _monthly,
        period="month",
        help="本月及本年累计：立案、决定、结案，罚没金额，重大决定，备案和公示是否按期（按官方节假日计算），"
        "听证告知，行政复议、行政诉讼和行刑衔接移送。每月 5 日前报上月数据。",
    ),
    ExportDef(
        "annual",
        "年度行政执法工作报告",
        _annual,
        period="year",
        suffixes=(".pdf", ".docx", ".xlsx"),
        titles={
            ".pdf": "年度行政执法工作报告（报告稿 PDF）",
            ".docx": "年度行政执法工作报告（报告稿 Word，可修改）",
            ".xlsx": "年度行政执法数据（工作簿）",
        },
        helps={
            ".pdf": "按公文格式（GB/T 9704：A4、仿宋三号正文、小标宋标题、页码）生成年度工作报告初稿：人员和证件、"
            "办案、三项制度、案卷评查和整改；主送机关在设置中填写。1 月 31 日前报上年度报告。",
            ".docx": "与 PDF 相同版式的年度工作报告初稿 Word 文档（.docx），在 WPS 或 Word 中修改后定稿。",
            ".xlsx": "年度工作报告所依据的数据，每个主题一个工作表。",
        },
    ),
    ExportDef(
        "template",
        "按上级模板填报",
        _template,
        period="quarter",
        needs="year",
        target="template",
        help="打开上级发来的 .xlsx 模板：{{单位名称}} 等占位符被替换，含 {{行:来源.字段}} 的行按记录逐行展开，"
        "模板的其他内容保持不变。",
    ),
)

REGISTRY = Registry(
    LEDGERS,
    extra_settings=_extra_settings,
    extra_exports=REPORT_EXPORTS,
    extra_demo=(DemoPart("reports", _reporting_calendar_demo, order=50),),
    reports_page=(
        ("quarterly", ".xlsx"),
        ("monthly", ".xlsx"),
        ("annual", ".pdf"),
        ("annual", ".docx"),
        ("annual", ".xlsx"),
        ("filing", ".pdf"),
        ("roster", ".xlsx"),
        ("template", ".xlsx"),
    ),
)
