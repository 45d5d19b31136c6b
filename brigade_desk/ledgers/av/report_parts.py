"""The AV index's parts of the reports: the quarterly 音像记录 sheet and the annual report's
recordings paragraph (in the 三项制度 section)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from brigade_desk.core.ledger import SheetData
from brigade_desk.core.period import Period
from brigade_desk.ledgers.av import rules as av_rules
from brigade_desk.ledgers.av.models import AvRecord
from brigade_desk.ledgers.cases.models import CaseRecord
from brigade_desk.ledgers.cases.stats import YearSpan, zh_date


def av_sheet(session: Session, period: Period) -> SheetData:
    from brigade_desk.ledgers.av.exports import LEDGER_COLS, ledger_rows

    start = dt.datetime.combine(period.start, dt.time())
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time())
    rows, _summary, _cases = ledger_rows(session, start, end)
    return SheetData(
        f"{period.label}执法音像记录台账",
        LEDGER_COLS,
        rows,
        note=f"拍摄时间在{zh_date(period.start)}至{zh_date(period.so_far)}的文件，共{len(rows)}个；"
        "SHA-256为入库时的文件指纹。",
    )


def recording_part(
    session: Session, year: int, as_of: dt.date
) -> tuple[list[str], list[list[Any]]]:
    """The year's recordings (to ``as_of`` while the year runs) and the full-process activities of
    the cases filed in it that have no recording."""
    ys = YearSpan.of(year, as_of)
    start = dt.datetime(year, 1, 1)
    end = dt.datetime.combine(ys.day + dt.timedelta(days=1), dt.time())
    n, with_case, important = session.execute(
        select(
            func.count(AvRecord.id),
            func.count(func.nullif(AvRecord.case_no, "")),
            func.sum(cast(AvRecord.important, Integer)),
        ).where(AvRecord.media_start >= start, AvRecord.media_start < end)
    ).one()
    filed = set(
        session.scalars(select(CaseRecord.id).where(CaseRecord.filed_on.between(ys.start, ys.day)))
    )
    found = [f for f in av_rules.check_full_process(session, ys.day) if f.entity_id in filed]
    missing = [f for f in found if not av_rules.is_partial(f)]
    partial = [f for f in found if av_rules.is_partial(f)]
    integrity = list(av_rules.check_integrity(session, ys.day))
    paras = [
        f"{ys.lead}{ys.whole}入库执法音像记录{n}个文件，其中关联案件的{with_case}个、重点标记的{int(important or 0)}个；"
        "入库时逐个计算SHA-256指纹，定期校验防删改。"
        + (
            f"本年立案的案件中有{len(missing)}项须全程音像记录的执法活动未找到对应的音像记录，"
            if missing
            else "本年立案案件中须全程音像记录的执法活动均有对应音像记录，"
        )
        + (f"{len(partial)}个登记了起止时间的执法活动时段音像记录未覆盖全程，" if partial else "")
        + (
            f"最近一次校验发现{len(integrity)}个文件被修改或缺失。"
            if integrity
            else "最近一次校验未发现文件被修改或缺失。"
        )
    ]
    rows = [
        [
            "音像记录文件（个）",
            n,
            f"{year}年拍摄" + (f"，截至{zh_date(ys.day)}" if ys.running else ""),
        ],
        ["  关联案件的文件（个）", with_case, ""],
        ["缺少全程音像记录的执法活动（项）", len(missing), f"本年立案，截至{zh_date(ys.day)}"],
        ["音像记录未覆盖全程的执法时段（个）", len(partial), "按登记的执法活动起止时间核对"],
        ["校验发现修改或缺失（项）", len(integrity), "最近一次校验"],
    ]
    return paras, rows
