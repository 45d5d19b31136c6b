"""Time windows (开始/结束) of a case's enforcement activities: when a 查封扣押 or 强制拆除 took place.

The AV ledger's full-process rule compares the case's recordings of an activity with these windows
(``brigade_desk.ledgers.av.rules``). Every write goes through the ORM: the audit trail records it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.ledgers.cases.models import CaseActivityWindow, CaseRecord

MAX_WINDOW = dt.timedelta(days=7)  # longer is a typing error (a wrong year or month)

_DT = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*[T\s]\s*"
    r"(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*(?:[:：分]\s*(\d{1,2})\s*秒?)?\s*分?\s*$"
)


def parse_datetime(text: str, label: str = "时间") -> dt.datetime:
    """ "2026-12-01 10:12", "2026/12/1 10:12:30", "2026年12月1日 10时12分" → a datetime."""
    m = _DT.match(text or "")
    if not m:
        raise UserError(f"{label}「{text}」不是日期时间，请写成 2026-12-01 10:12")
    y, mo, d, h, mi, sec = (int(x) if x else 0 for x in m.groups())
    try:
        return dt.datetime(y, mo, d, h, mi, sec)
    except ValueError as exc:
        raise UserError(f"{label}「{text}」不是有效的日期时间") from exc


@dataclass
class WindowView:
    id: int | None
    case_no: str
    activity: str
    started_at: dt.datetime
    ended_at: dt.datetime
    notes: str = ""

    @property
    def minutes(self) -> int:
        return round((self.ended_at - self.started_at).total_seconds() / 60)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_no": self.case_no,
            "activity": self.activity,
            "started_at": self.started_at.isoformat(sep=" "),
            "ended_at": self.ended_at.isoformat(sep=" "),
            "minutes": self.minutes,
            "notes": self.notes,
        }


def validate_window(
    activities: Sequence[str], activity: str, started: dt.datetime, ended: dt.datetime
) -> dict[str, str]:
    errs: dict[str, str] = {}
    if activity not in activities:
        errs["activity"] = f"案件未记录执法活动「{activity}」，请先在案件中勾选该活动"
    if ended <= started:
        errs["ended_at"] = (
            f"结束时间 {ended:%Y-%m-%d %H:%M} 不晚于开始时间 {started:%Y-%m-%d %H:%M}"
        )
    elif ended - started > MAX_WINDOW:
        errs["ended_at"] = (
            f"{activity} 从 {started:%Y-%m-%d %H:%M} 到 {ended:%Y-%m-%d %H:%M} 超过 7 天，请核对日期"
        )
    return errs


def _case(s: Session, case_no: str) -> CaseRecord:
    c = s.scalar(select(CaseRecord).where(CaseRecord.case_no == case_no.strip()))
    if c is None:
        raise UserError(f"案件登记中没有案号 {case_no}")
    return c


def _view(w: CaseActivityWindow, case_no: str) -> WindowView:
    return WindowView(w.id, case_no, w.activity, w.started_at, w.ended_at, w.notes)


def list_windows(db: Database, case_no: str | None = None) -> list[WindowView]:
    with db.session() as s:
        q = select(CaseActivityWindow, CaseRecord.case_no).join(
            CaseRecord, CaseRecord.id == CaseActivityWindow.case_id
        )
        if case_no is not None:
            q = q.where(CaseRecord.id == _case(s, case_no).id)
        q = q.order_by(CaseRecord.case_no, CaseActivityWindow.started_at, CaseActivityWindow.id)
        return [_view(w, no) for w, no in s.execute(q).all()]


def windows_of(db: Database, case_id: int) -> list[WindowView]:
    with db.session() as s:
        c = s.get(CaseRecord, case_id)
        if c is None:
            return []
        q = (
            select(CaseActivityWindow)
            .where(CaseActivityWindow.case_id == case_id)
            .order_by(CaseActivityWindow.started_at, CaseActivityWindow.id)
        )
        return [_view(w, c.case_no) for w in s.scalars(q)]


def add_window(
    db: Database,
    case_no: str,
    activity: str,
    started: dt.datetime,
    ended: dt.datetime,
    notes: str = "",
) -> WindowView:
    with db.begin() as s:
        c = _case(s, case_no)
        errs = validate_window(list(c.activities or []), activity, started, ended)
        if errs:
            raise ValidationError(errs)
        w = CaseActivityWindow(
            case_id=c.id, activity=activity, started_at=started, ended_at=ended, notes=notes.strip()
        )
        s.add(w)
        s.flush()
        return _view(w, c.case_no)


def delete_window(db: Database, window_id: int) -> None:
    with db.begin() as s:
        w = s.get(CaseActivityWindow, window_id)
        if w is None:
            raise UserError(f"没有编号为 {window_id} 的执法活动时间")
        s.delete(w)


def replace_windows(
    s: Session, case_id: int, activities: Sequence[str], windows: Sequence[WindowView]
) -> None:
    """Make the case's windows equal to ``windows`` (those with an id are kept or updated, the
    others added, the rest deleted), inside the caller's transaction. Windows of an activity that
    the case no longer records are deleted."""
    errs: dict[str, str] = {}
    for n, w in enumerate(windows, 1):
        for k, msg in validate_window(activities, w.activity, w.started_at, w.ended_at).items():
            errs.setdefault(f"window_{k}", f"第 {n} 个执法活动时间：{msg}")
    if errs:
        raise ValidationError(errs)
    old = {
        w.id: w
        for w in s.scalars(select(CaseActivityWindow).where(CaseActivityWindow.case_id == case_id))
    }
    keep: set[int] = set()
    for v in windows:
        row = old.get(v.id) if v.id is not None else None
        if row is None:
            row = CaseActivityWindow(case_id=case_id)
            s.add(row)
        else:
            keep.add(row.id)
        for name, val in (
            ("activity", v.activity),
            ("started_at", v.started_at),
            ("ended_at", v.ended_at),
            ("notes", v.notes.strip()),
        ):
            if getattr(row, name, None) != val:
                setattr(row, name, val)
    for wid, row in old.items():
        if wid not in keep:
            s.delete(row)
