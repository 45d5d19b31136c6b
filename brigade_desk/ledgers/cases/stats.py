"""Case figures for a date range: the monthly statistics and the annual report share them.

"On time" always means on the official calendar with the clerk's settings (``CaseDeadlines``): a
filing or publication done on or before its deadline is 按期, after it 逾期; not done and the deadline
passed (on ``as_of``) is 逾期未办; not done and still within the deadline is 期限内. A deadline that
rests on a year whose official holiday schedule is unknown is counted as well, and as provisional.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.workdays import KINDS, Deadline, normalize_kind
from brigade_desk.ledgers.cases import settings as cs
from brigade_desk.ledgers.cases.models import CaseCategory, CaseRecord, PartyType
from brigade_desk.ledgers.cases.rules import CaseDeadlines

# activities that must be recorded on video from start to end (查封扣押, 强制拆除, and those touching
# major property or requiring compulsion); the AV ledger checks the recordings themselves
FULL_PROCESS_ACTIVITIES = ("查封扣押", "强制拆除", "暂扣车辆", "强制执行")

ON_TIME, LATE, MISSING, PENDING = "按期", "逾期", "逾期未办", "期限内"


def timeliness(done: dt.date | None, dl: Deadline, as_of: dt.date) -> str:
    if done is not None:
        return ON_TIME if done <= dl.due else LATE
    return MISSING if as_of > dl.due else PENDING


@dataclass
class Timeliness:
    counts: Counter[str] = field(default_factory=Counter)
    provisional: int = 0

    def add(self, state: str, dl: Deadline) -> None:
        self.counts[state] += 1
        self.provisional += int(dl.provisional)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def rate(self) -> float | None:
        """Share done on time among those whose deadline has passed or which are done."""
        n = self.total - self.counts[PENDING]
        return None if n == 0 else self.counts[ON_TIME] / n


@dataclass
class CaseStats:
    start: dt.date
    end: dt.date
    filed: int = 0
    decided: int = 0
    closed: int = 0
    fines: Decimal = Decimal(0)
    confiscations: Decimal = Decimal(0)
    fined_cases: int = 0
    major: int = 0
    major_reviewed: int = 0  # 法制审核 on or before the decision
    major_discussed: int = 0  # 集体讨论 on or before the decision
    filing: Timeliness = field(default_factory=Timeliness)
    publication: Timeliness = field(default_factory=Timeliness)
    hearing_due: int = 0  # fines at or above the hearing threshold
    hearing_notice: int = 0  # of those, party told of the right to a hearing
    hearing_notice_all: int = 0  # every hearing notice given in the range
    hearings: int = 0
    reconsidered: int = 0
    sued: int = 0
    transferred: int = 0
    full_process: int = (
        0  # cases filed in the range with an activity needing full-process recording
    )
    full_process_by_activity: Counter[str] = field(default_factory=Counter)


def in_range(col, start: dt.date, end: dt.date):
    return and_(col >= start, col <= end)


def cases_touching(session: Session, start: dt.date, end: dt.date) -> list[CaseRecord]:
    cols = (
        CaseRecord.filed_on,
        CaseRecord.decided_on,
        CaseRecord.closed_on,
        CaseRecord.hearing_notice_on,
        CaseRecord.reconsidered_on,
        CaseRecord.sued_on,
        CaseRecord.transferred_on,
    )
    return list(
        session.scalars(
            select(CaseRecord)
            .where(or_(*(in_range(c, start, end) for c in cols)))
            .order_by(CaseRecord.decided_on, CaseRecord.id)
        )
    )


class StatsContext:
    """Settings and deadlines read once for many cases."""

    def __init__(self, session: Session, as_of: dt.date) -> None:
        self.as_of = as_of
        self.deadlines = CaseDeadlines(session)
        self.pub_categories = set(settings.get(session, cs.PUBLICATION_CATEGORIES))
        self.thresholds = {
            PartyType.PERSON.value: Decimal(str(settings.get(session, cs.HEARING_PERSON))),
            PartyType.ORG.value: Decimal(str(settings.get(session, cs.HEARING_ORG))),
        }

        def rule(days: settings.IntSetting, kind: settings.ChoiceSetting) -> str:
            n = int(str(settings.get(session, days)))
            return f"{n}个{KINDS[normalize_kind(settings.get(session, kind))]}"

        # the deadlines as the forms state them: "5个工作日", "20个工作日"
        self.filing_period = rule(cs.FILING_DAYS, cs.FILING_KIND)
        self.publication_period = rule(cs.PUBLICATION_DAYS, cs.PUBLICATION_KIND)

    def filing(self, c: CaseRecord) -> tuple[Deadline, str] | None:
        if not c.is_major or c.decided_on is None:
            return None
        dl = self.deadlines.filing(c.decided_on)
        return dl, timeliness(c.reported_on, dl, self.as_of)

    def publication(self, c: CaseRecord) -> tuple[Deadline, str] | None:
        if c.decided_on is None or c.category not in self.pub_categories:
            return None
        dl = self.deadlines.publication(c.decided_on)
        return dl, timeliness(c.published_on, dl, self.as_of)

    def hearing_due(self, c: CaseRecord) -> bool:
        t = self.thresholds.get(c.party_type, self.thresholds[PartyType.PERSON.value])
        return (
            c.category == CaseCategory.PENALTY and c.fine_amount is not None and c.fine_amount >= t
        )


def case_stats(
    session: Session,
    start: dt.date,
    end: dt.date,
    ctx: StatsContext,
    cases: list[CaseRecord] | None = None,
) -> CaseStats:
    st = CaseStats(start, end)

    def inside(d: dt.date | None) -> bool:
        return d is not None and start <= d <= end

    for c in cases if cases is not None else cases_touching(session, start, end):
        if inside(c.filed_on):
            st.filed += 1
            hits = [a for a in (c.activities or []) if a in FULL_PROCESS_ACTIVITIES]
            if hits:
                st.full_process += 1
                st.full_process_by_activity.update(hits)
        if inside(c.closed_on):
            st.closed += 1
        if inside(c.hearing_notice_on):
            st.hearing_notice_all += 1
        st.reconsidered += inside(c.reconsidered_on)
        st.sued += inside(c.sued_on)
        st.transferred += inside(c.transferred_on)
        if not inside(c.decided_on):
            continue
        assert c.decided_on is not None
        st.decided += 1
        if c.fine_amount:
            st.fines += c.fine_amount
            st.fined_cases += 1
        if c.confiscation_amount:
            st.confiscations += c.confiscation_amount
        if c.is_major:
            st.major += 1
            st.major_reviewed += bool(c.legal_review_on and c.legal_review_on <= c.decided_on)
            st.major_discussed += bool(c.collective_on and c.collective_on <= c.decided_on)
        if (f := ctx.filing(c)) is not None:
            st.filing.add(f[1], f[0])
        if (p := ctx.publication(c)) is not None:
            st.publication.add(p[1], p[0])
        if ctx.hearing_due(c):
            st.hearing_due += 1
            st.hearing_notice += c.hearing_notice_on is not None
        st.hearings += "听证" in (c.activities or [])
    return st


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def zh_date(d: dt.date) -> str:
    """A date as 公文 prose writes it: 2025年12月31日."""
    return f"{d.year}年{d.month}月{d.day}日"


@dataclass(frozen=True)
class YearSpan:
    """The part of a year a report covers: to its last day, or — while the year is still running —
    to the as-of day; the prose then says 截至… and 本年, never 全年."""

    year: int
    day: dt.date

    @classmethod
    def of(cls, year: int, as_of: dt.date) -> YearSpan:
        return cls(year, min(dt.date(year, 12, 31), as_of))

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def running(self) -> bool:
        return self.day < dt.date(self.year, 12, 31)

    @property
    def lead(self) -> str:
        """ "截至2026年12月4日，" while the year runs, else nothing."""
        return f"截至{zh_date(self.day)}，" if self.running else ""

    @property
    def whole(self) -> str:
        """How the prose names the span: 全年, or 本年 while the year runs."""
        return "本年" if self.running else "全年"
