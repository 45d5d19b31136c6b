"""Dashboard figures from the training ledger: average professional hours per squad against 60."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.ledger import ChartSpec
from brigade_desk.ledgers.training import hours as th
from brigade_desk.ledgers.training import settings as training_settings


def charts(s: Session, as_of: dt.date) -> list[ChartSpec]:
    people = [p for p in th.year_summary(s, as_of.year, until=as_of) if p.counted]
    required = (
        people[0].required if people else float(settings.get(s, training_settings.REQUIRED_HOURS))
    )
    squads = sorted({p.squad or "未分中队" for p in people})
    avg: list[float] = []
    for sq in squads:
        mine = [p.professional for p in people if (p.squad or "未分中队") == sq]
        avg.append(round(sum(mine) / len(mine), 1))
    behind = sum(1 for p in people if p.missing > 0)
    note = (
        f"在岗执法人员 {len(people)} 人，未满 {th.fmt_hours(required)} 学时 {behind} 人"
        if people
        else "尚无在岗执法人员"
    )
    return [
        ChartSpec(
            "training_hours",
            f"{as_of.year}年人均业务培训学时（按中队）",
            "bar",
            squads,
            {"人均业务学时": avg},
            note=note,
            y_label="学时",
            target=required,
        )
    ]
