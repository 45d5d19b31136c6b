"""The quarterly upload workbook: sheets named exactly 培训台账, 执法证件, 音像记录, 案卷评查.

Each sheet comes from a provider ``fn(session, period) -> SheetData`` registered in ``SHEETS`` by the
ledger that owns the data.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from brigade_desk.core.db import Database
from brigade_desk.core.forms.common import form_info
from brigade_desk.core.forms.xlsxform import Col
from brigade_desk.core.period import Period
from brigade_desk.core.progress import Progress


@dataclass
class SheetData:
    title: str
    cols: Sequence[Col]
    rows: Iterable[Sequence[Any]]
    note: str = ""


# sheet name -> "module:function"; the order is the workbook's
SHEETS: dict[str, str] = {
    "培训台账": "brigade_desk.reports.quarterly_ledgers:training_sheet",
    "执法证件": "brigade_desk.reports.quarterly:certificate_sheet",
    "音像记录": "brigade_desk.reports.quarterly_ledgers:av_sheet",
    "案卷评查": "brigade_desk.ledgers.cases.quarterly:review_sheet",
}


def certificate_sheet(session: Session, period: Period) -> SheetData:
    from brigade_desk.ledgers.roster.exports import ROSTER_COLS
    from brigade_desk.ledgers.roster.report_parts import certificate_rows

    keys = [
        "序号",
        "姓名",
        "性别",
        "身份证号",
        "中队",
        "职务",
        "人员类别",
        "法制审核人员",
        "一线执法",
        "在岗状态",
        "状态变更日期",
        "执法证号",
        "发证机关",
        "发证日期",
        "有效期至",
        "全国统一证件",
        "证件状态",
        "执法记录仪编号",
        "联系电话",
        "备注",
    ]
    rows = [[r[k] for k in keys] for r in certificate_rows(session, period)]
    return SheetData(
        f"{period.label}执法人员及执法证件情况",
        ROSTER_COLS,
        rows,
        note=f"统计截至 {period.so_far:%Y-%m-%d}{'（本季度尚未结束）' if period.so_far < period.end else ''}；"
        "含本季度内离岗、调离、退休人员。",
    )


def export_quarterly(
    db: Database, out: Path | str, period: Period, progress: Progress | None = None
) -> Path:
    """Streamed (the form layout of :mod:`brigade_desk.core.forms.xlsxform`): the AV sheet alone can hold
    thousands of rows a quarter."""
    from brigade_desk.core.forms.xlsxform import StreamWorkbook

    with db.session() as s, StreamWorkbook(out) as wb:
        info = form_info(s)
        for i, (name, ref) in enumerate(SHEETS.items()):
            if progress:
                progress.update(i, len(SHEETS), name)
            mod, _, fn = ref.partition(":")
            data: SheetData = getattr(importlib.import_module(mod), fn)(s, period)
            wb.add_form_sheet(name, data.title, info, data.cols, data.rows, note=data.note)
    return Path(out)
