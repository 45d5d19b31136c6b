"""."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brigade_desk.core.ledger import SheetData
from brigade_desk.core.period import Period
from brigade_desk.ledgers.av import rules as av_rules
from brigade_desk.ledgers.av.models import AvRecord


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


def recording_part(
    session: Session, year: int, as_of: dt.date
) -> tuple[list[str], list[list[Any]]]:
    start, end = dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
    n, with_case, important = session.execute(
        select(
            func.count(AvRecord.id),
            func.count(func.nullif(AvRecord.case_no, "")),
            func.sum(AvRecord.important),
        ).where(AvRecord.media_start >= start, AvRecord.media_start < end)
    ).one()
    missing = [f for f in av_rules.check_full_process(session, as_of)]
    integrity = [f for f in av_rules.check_integrity(session, as_of)]
    paras = [
        f"全年入库执法音像记录{n}个文件，其中关联案件的{with_case}个、重点标记的{int(important or 0)}个；"
        f"入库时逐个计算 SHA-256 指纹，定期校验防删改。"
        + (
            f"目前有{len(missing)}项须全程音像记录的执法活动未找到对应的音像记录，"
            if missing
            else "须全程音像记录的执法活动均有对应音像记录，"
        )
        + (
            f"最近一次校验发现{len(integrity)}个文件被修改或缺失。"
            if integrity
            else "最近一次校验未发现文件被修改或缺失。"
        )
    ]
    rows = [
        ["音像记录文件（个）", n, f"{year}年拍摄"],
        ["  关联案件的文件（个）", with_case, ""],
        ["缺少全程音像记录的执法活动（项）", len(missing), f"截至 {as_of:%Y-%m-%d}"],
        ["校验发现修改或缺失（项）", len(integrity), ""],
    ]
    return paras, rows
