"""Quarterly sheets 培训台账 (year to date: training hours are counted per year) and 音像记录 (the quarter)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from brigade_desk.core.forms.xlsxform import Col
from brigade_desk.core.period import Period
from brigade_desk.reports.quarterly import SheetData

HOURS_WIDTHS = {"序号": 6, "姓名": 10, "身份证号": 21, "中队": 12, "人员类别": 13, "在岗状态": 8}


@dataclass(frozen=True)
class _Range:
    start: dt.date
    end: dt.date


def training_sheet(session: Session, period: Period) -> SheetData:
    from brigade_desk.ledgers.training.report_parts import HOURS_FIELDS, hours_rows

    ytd = _Range(period.year_start, period.end)
    rows = [[r[f] for f in HOURS_FIELDS] for r in hours_rows(session, ytd)]  # type: ignore[arg-type]
    cols = [
        Col(f, HOURS_WIDTHS.get(f, 11), None if f in HOURS_WIDTHS else "0.0") for f in HOURS_FIELDS
    ]
    return SheetData(
        f"{period.year}年执法人员培训学时台账（截至{period.so_far.month}月{period.so_far.day}日）",
        cols,
        rows,
        note=f"统计 {ytd.start:%Y-%m-%d} 至 {period.so_far:%Y-%m-%d} 结束的培训。业务学时（公共法律知识、业务知识、执法技能）"
        "另计于政治理论和党性教育之外，在岗执法人员每年不少于规定学时。",
    )


def av_sheet(session: Session, period: Period) -> SheetData:
    from brigade_desk.ledgers.av.exports import LEDGER_COLS, ledger_rows

    start = dt.datetime.combine(period.start, dt.time())
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time())
    rows, _summary, _cases = ledger_rows(session, start, end)
    return SheetData(
        f"{period.label}执法音像记录台账",
        LEDGER_COLS,
        rows,
        note=f"拍摄时间在 {period.start:%Y-%m-%d} 至 {period.so_far:%Y-%m-%d} 的文件，共 {len(rows)} 个；SHA-256 为入库时的文件指纹。",
    )
