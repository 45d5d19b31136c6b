"""Dashboard figures from the AV index: files by month (last 12 months) and last verification state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from brigade_desk.core import dialect
from brigade_desk.core.ledger import ChartSpec
from brigade_desk.ledgers.av.models import VERIFY_LABELS, AvRecord, AvRecordCheck


def charts(session: Session, as_of: dt.date) -> list[ChartSpec]:
    y, m = as_of.year, as_of.month
    months: list[tuple[int, int]] = []
    for _ in range(12):
        months.insert(0, (y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    start = dt.datetime(months[0][0], months[0][1], 1)
    month = dialect.date_text("%Y-%m", AvRecord.media_start)
    # one expression, no bound "" (PostgreSQL takes two bound values for two different columns)
    checked = func.coalesce(AvRecordCheck.status, literal_column("''"))
    rows = session.execute(
        select(month, checked, func.count())
        .select_from(AvRecord)
        .outerjoin(AvRecordCheck, AvRecordCheck.record_id == AvRecord.id)
        .where(AvRecord.media_start >= start)
        .group_by(month, checked)
    ).all()
    keys = [f"{yy}-{mm:02d}" for yy, mm in months]
    series: dict[str, list[float]] = {}
    for ym, status, n in rows:
        if ym in keys:
            label = VERIFY_LABELS.get(status, status)
            series.setdefault(label, [0.0] * 12)[keys.index(ym)] += float(n)
    order = [VERIFY_LABELS[k] for k in ("ok", "", "moved", "modified", "missing")]
    series = {k: series[k] for k in order if k in series} or {"未校验": [0.0] * 12}
    return [
        ChartSpec(
            "av_months",
            "执法音像记录（近 12 个月，按最近校验结果）",
            "stacked",
            [f"{mm}月" for _y, mm in months],
            series,
            y_label="文件数",
        )
    ]
