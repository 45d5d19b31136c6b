"""The reporting calendar: what is due to superiors, when, and whether it was sent.

Entries are a setting (editable list); each has a recurrence (monthly / quarterly / yearly), a day,
and a lead time. Occurrences are generated around a date; the clerk marks one as sent (报送) and that
is stored in ``report_done``.
"""

from __future__ import annotations

import calendar as cal
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.ledgers.roster.models import Staff
from brigade_desk.reports.models import ReportDone

if TYPE_CHECKING:
    from brigade_desk.core.db import Database

DEFAULT_ENTRIES: list[dict[str, Any]] = [
    {
        "key": "monthly_data",
        "name": "月度执法数据报送（上月案件、监督、复议诉讼、行刑衔接）",
        "recurrence": "monthly",
        "day": 5,
        "lead": 5,
    },
    {"key": "monthly_brief", "name": "月度工作简报", "recurrence": "monthly", "day": 3, "lead": 3},
    {
        "key": "city_progress",
        "name": "工作进展报市局",
        "recurrence": "monthly",
        "day": 25,
        "lead": 5,
    },
    {
        "key": "quarterly_upload",
        "name": "季度台账报表上传（培训、证件、音像、案卷）",
        "recurrence": "quarterly",
        "day": 10,
        "lead": 10,
    },
    {
        "key": "system_usage",
        "name": "信息系统使用情况统计",
        "recurrence": "quarterly",
        "day": 10,
        "lead": 10,
    },
    {
        "key": "training_plan",
        "name": "年度培训计划",
        "recurrence": "yearly",
        "month": 3,
        "day": 31,
        "lead": 30,
    },
    {
        "key": "annual_data",
        "name": "上年度执法数据公开",
        "recurrence": "yearly",
        "month": 1,
        "day": 31,
        "lead": 20,
    },
    {
        "key": "annual_report",
        "name": "上年度执法工作报告",
        "recurrence": "yearly",
        "month": 1,
        "day": 31,
        "lead": 20,
    },
]


def check_entries(value: Any) -> None:
    """ValueError (Chinese) unless ``value`` is a list of calendar entries this module can use."""
    if not isinstance(value, list):
        raise ValueError("应为 JSON 列表（用 [ ] 括起的若干项）")
    keys: set[str] = set()
    for i, e in enumerate(value, 1):
        where = f"第 {i} 项"
        if not isinstance(e, dict):
            raise ValueError(f"{where}应为 {{…}} 形式的对象")
        for field in ("key", "name", "recurrence", "day"):
            if field not in e:
                raise ValueError(f"{where}缺少“{field}”")
        if not isinstance(e["key"], str) or not e["key"].strip() or e["key"] in keys:
            raise ValueError(f"{where}的 key 应为不重复的文字")
        keys.add(e["key"])
        if e["recurrence"] not in ("monthly", "quarterly", "yearly"):
            raise ValueError(f"{where}的 recurrence 应为 monthly、quarterly 或 yearly")
        for field, lo, hi in (("day", 1, 31), ("month", 1, 12), ("lead", 0, 366)):
            if field in e and (
                isinstance(e[field], bool)
                or not isinstance(e[field], int)
                or not lo <= e[field] <= hi
            ):
                raise ValueError(f"{where}的 {field} 应为 {lo}–{hi} 的整数")


# records with several fields each: the one setting edited as JSON
ENTRIES: settings.JsonSetting[list[dict[str, Any]]] = settings.JsonSetting(
    "reports.calendar",
    "上报日历（JSON 列表：名称、周期、日、提前天数）",
    DEFAULT_ENTRIES,
    "recurrence: monthly / quarterly / yearly；day: 截止日；month: 年度事项的月份；lead: 提前提醒天数",
    validate=check_entries,
)
SETTINGS: list[settings.SettingDef[Any]] = [ENTRIES]
HORIZON_DAYS = 30
LOOKBACK_DAYS = 40


@dataclass(frozen=True)
class DeadlineItem:
    key: str
    name: str
    period: str  # e.g. "2026-10", "2026-Q3", "2026"
    period_label: str
    due: dt.date
    lead: int
    state: str  # due | late | done | upcoming
    done_on: dt.date | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "period": self.period,
            "due": self.due.isoformat(),
            "state": self.state,
            "key": self.key,
        }


def _clamp_day(y: int, m: int, d: int) -> dt.date:
    return dt.date(y, m, min(d, cal.monthrange(y, m)[1]))


def occurrences(
    entry: dict[str, Any], start: dt.date, end: dt.date
) -> list[tuple[str, str, dt.date]]:
    """(period key, period label, due date) of ``entry`` with due dates in [start, end]."""
    out: list[tuple[str, str, dt.date]] = []
    rec = entry.get("recurrence", "monthly")
    day = int(entry.get("day", 1))
    if rec == "monthly":
        y, m = start.year, start.month
        while True:
            due = _clamp_day(y, m, day)
            if due > end:
                break
            # a report due in month m concerns month m-1 when due early in the month, else month m
            py, pm = (y, m - 1) if day <= 10 else (y, m)
            if pm == 0:
                py, pm = y - 1, 12
            if due >= start:
                out.append((f"{py}-{pm:02d}", f"{py}年{pm}月", due))
            m += 1
            if m == 13:
                y, m = y + 1, 1
    elif rec == "quarterly":
        for y in range(start.year - 1, end.year + 1):
            for q in range(1, 5):
                m = 3 * q + 1
                yy = y + (1 if m == 13 else 0)
                mm = 1 if m == 13 else m
                due = _clamp_day(yy, mm, day)
                if start <= due <= end:
                    out.append((f"{y}-Q{q}", f"{y}年第{'一二三四'[q - 1]}季度", due))
    elif rec == "yearly":
        month = int(entry.get("month", 1))
        for y in range(start.year, end.year + 1):
            due = _clamp_day(y, month, day)
            if start <= due <= end:
                # January reports concern the previous year; the training plan the current one
                py = y - 1 if month == 1 else y
                out.append((f"{py}", f"{py}年度", due))
    return out


def deadlines(
    session: Session, as_of: dt.date, *, horizon: int = HORIZON_DAYS
) -> list[DeadlineItem]:
    entries = settings.get(session, ENTRIES)
    done = {(r.key, r.period): r.done_on for r in session.scalars(select(ReportDone))}
    items: list[DeadlineItem] = []
    start, end = as_of - dt.timedelta(days=LOOKBACK_DAYS), as_of + dt.timedelta(days=horizon)
    # reports due before the clerk started keeping the roster here were handled the old way: not
    # "overdue" on a first start (the first person entered marks the start; none yet: nothing is late)
    first = session.scalar(select(func.min(Staff.created_at)))
    began = first.date() if isinstance(first, dt.datetime) else as_of
    for e in entries:
        for period, label, due in occurrences(e, start, end):
            d = done.get((e["key"], period))
            if d is not None:
                if due < as_of - dt.timedelta(days=31):
                    continue  # old and done: no longer interesting
                state = "done"
            elif due < began:
                continue
            elif due < as_of:
                state = "late"
            else:
                state = "due"
            items.append(
                DeadlineItem(
                    e["key"], e["name"], period, label, due, int(e.get("lead", 0)), state, d
                )
            )
    order = {"late": 0, "due": 1, "done": 2}
    return sorted(items, key=lambda i: (order[i.state], i.due, i.name))


def mark_done(session: Session, key: str, period: str, on: dt.date | None = None) -> None:
    row = session.get(ReportDone, (key, period))
    if row is None:
        session.add(ReportDone(key=key, period=period, done_on=on or dt.date.today()))
    else:
        row.done_on = on or dt.date.today()


def unmark_done(session: Session, key: str, period: str) -> None:
    row = session.get(ReportDone, (key, period))
    if row is not None:
        session.delete(row)


def set_done(db: Database, key: str, period: str, done: bool) -> None:
    """Mark one report of one period as sent (标记为已报送), or take the mark back, in one
    transaction."""
    with db.begin() as s:
        if done:
            mark_done(s, key, period)
        else:
            unmark_done(s, key, period)
