"""Case rules: filing and publication deadlines on the official calendar, legal review, collective
discussion, hearing notice, decision period, certified officers, and overdue rectifications.

Every day count and kind is a setting (``brigade_desk.ledgers.cases.settings``). A deadline that crosses a
year the official calendar does not know is computed provisionally and the finding says so; each
such year also gets a ``calendar_year_unknown`` finding.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TypeVar, cast

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.rules import Finding
from brigade_desk.core.workdays import (
    CALENDAR,
    WORKING,
    Calendar,
    Deadline,
    UnknownYearError,
    normalize_kind,
)
from brigade_desk.ledgers.cases import settings as cs
from brigade_desk.ledgers.cases.models import (
    CaseCategory,
    CaseRecord,
    CaseReview,
    PartyType,
    Procedure,
    Rectification,
    case_officer,
)
from brigade_desk.ledgers.roster.models import Certificate, CertStatus, Staff

_T = TypeVar("_T")

RULES = {
    "filing_overdue": "重大处罚决定未按期备案",
    "publication_overdue": "执法决定未按期公示",
    "legal_review_missing": "重大案件缺少法制审核",
    "collective_discussion_missing": "重大案件缺少集体讨论",
    "hearing_notice_missing": "较大数额罚款未告知听证",
    "decision_overdue": "普通程序案件超期未作决定",
    "case_officers_insufficient": "案件持证执法人员少于两人",
    "rectification_overdue": "案卷整改逾期未完成",
    "calendar_year_unknown": "节假日安排未录入",
    "deadline_approaching": "备案、公示期限临近",
}


def _d(d: dt.date) -> str:
    return f"{d:%Y-%m-%d}"


class _Ctx:
    def __init__(self, session: Session, as_of: dt.date) -> None:
        self.s = session
        self.as_of = as_of
        self.cal = Calendar.load(session)
        self.unknown: dict[int, int] = defaultdict(int)
        self._settings: dict[str, object] = {}

    def approaching(self, c: _CaseFacts, dl: Deadline, what: str) -> list[Finding]:
        """A reminder when ``as_of`` is within the reminder window before the deadline."""
        if self.as_of > dl.due:
            return []
        try:
            left = self.cal.working_days_between(self.as_of, dl.due)
        except UnknownYearError:
            left = sum(
                1
                for i in range(1, (dl.due - self.as_of).days + 1)
                if (self.as_of + dt.timedelta(days=i)).weekday() < 5
            )
        if left > int(str(self.get(cs.REMIND_DAYS))):
            return []
        when = "今天是最后一天" if left == 0 else f"还剩 {left} 个工作日"
        return [
            _finding(
                "deadline_approaching",
                c,
                dl.due,
                f"{what}期限为 {_d(dl.due)}（{dl.describe()}），{when}{dl.caveat()}",
            )
        ]

    def known(self, d: dt.date | None) -> dt.date | None:
        """A date as known on ``as_of`` (a later date has not happened yet)."""
        return d if d is not None and d <= self.as_of else None

    def get(self, d: settings.SettingDef[_T]) -> _T:
        if d.key not in self._settings:
            self._settings[d.key] = settings.get(self.s, d)
        return cast(_T, self._settings[d.key])  # stored under d.key by the line above

    def deadline(
        self, start: dt.date, days_def: settings.IntSetting, kind_def: settings.ChoiceSetting
    ) -> Deadline:
        kind = normalize_kind(
            self.get(kind_def), CALENDAR if kind_def is cs.DECISION_KIND else WORKING
        )
        dl = self.cal.deadline(start, int(str(self.get(days_def))), kind)
        for y in dl.unknown_years:
            self.unknown[y] += 1
        return dl


class CaseDeadlines:
    """Deadlines of a case on the official calendar with the clerk's settings (for reports, monthly
    statistics "on time / late", and the GUI). Each returns a :class:`Deadline` (``provisional``
    when it rests on a year whose schedule is unknown)."""

    def __init__(self, session: Session) -> None:
        self._x = _Ctx(session, dt.date.today())

    def filing(self, decided_on: dt.date) -> Deadline:
        return self._x.deadline(decided_on, cs.FILING_DAYS, cs.FILING_KIND)

    def publication(self, decided_on: dt.date) -> Deadline:
        return self._x.deadline(decided_on, cs.PUBLICATION_DAYS, cs.PUBLICATION_KIND)

    def decision(self, filed_on: dt.date) -> Deadline:
        return self._x.deadline(filed_on, cs.DECISION_DAYS, cs.DECISION_KIND)


def _finding(rule: str, c: _CaseFacts | CaseRecord, due: dt.date | None, detail: str) -> Finding:
    return Finding(rule, c.party or c.case_no, c.case_no, due, detail, "case", c.id)


@dataclass(frozen=True, slots=True)
class _CaseFacts:
    """The columns of a case the rules read, as plain values: the rules read plain rows, not ORM
    objects (ten years of cases, checked on every open of the home page). Built by column name, so
    a field added here is a column selected (:data:`_CASE_COLUMNS`) and can shift no other."""

    id: int
    case_no: str
    party: str
    party_type: str
    category: str
    procedure: str
    filed_on: dt.date | None
    decided_on: dt.date | None
    closed_on: dt.date | None
    reported_on: dt.date | None
    published_on: dt.date | None
    legal_review_on: dt.date | None
    collective_on: dt.date | None
    hearing_notice_on: dt.date | None
    fine_amount: Decimal | None
    confiscation_amount: Decimal | None
    is_major: bool
    notes: str


_CASE_COLUMNS = [getattr(CaseRecord, f.name) for f in fields(_CaseFacts)]


def check(session: Session, as_of: dt.date) -> list[Finding]:
    x = _Ctx(session, as_of)
    since = as_of - dt.timedelta(days=int(str(x.get(cs.LOOKBACK_DAYS))))
    conn = session.connection()  # Core rows: the ORM's row machinery costs more than the rules here
    cases = [
        _CaseFacts(**r._mapping)
        for r in conn.execute(
            select(*_CASE_COLUMNS)
            .where(
                or_(
                    CaseRecord.filed_on >= since,
                    CaseRecord.decided_on >= since,
                    CaseRecord.closed_on.is_(None),
                    CaseRecord.filed_on.is_(None),
                )
            )
            .order_by(CaseRecord.filed_on, CaseRecord.case_no)
        )
    ]
    out: list[Finding] = []
    pub_categories = set(x.get(cs.PUBLICATION_CATEGORIES))
    thresholds = {
        PartyType.PERSON.value: Decimal(str(x.get(cs.HEARING_PERSON))),
        PartyType.ORG.value: Decimal(str(x.get(cs.HEARING_ORG))),
    }
    for c in cases:
        if c.decided_on is not None:
            if c.is_major:
                out.extend(_major(x, c))
            if c.category in pub_categories:
                out.extend(_publication(x, c))
            if c.category == CaseCategory.PENALTY:
                out.extend(_hearing(x, c, thresholds))
        elif (
            c.procedure == Procedure.ORDINARY
            and c.category == CaseCategory.PENALTY
            and c.filed_on is not None
            and c.closed_on is None
        ):
            dl = x.deadline(c.filed_on, cs.DECISION_DAYS, cs.DECISION_KIND)
            if as_of > dl.due:
                out.append(
                    _finding(
                        "decision_overdue",
                        c,
                        dl.due,
                        f"普通程序案件 {_d(c.filed_on)} 立案，应在 {dl.describe()}内（{_d(dl.due)} 前）作出决定，"
                        f"至今未作决定（已超 {(as_of - dl.due).days} 天）；确需延期的应经负责人批准并记录{dl.caveat()}",
                    )
                )
    out.extend(_officers(x, cases))
    out.extend(_rectifications(session, as_of))
    for y, n in sorted(x.unknown.items()):
        out.append(
            Finding(
                "calendar_year_unknown",
                f"{y} 年",
                str(y),
                None,
                f"{y} 年的国务院节假日安排尚未录入（日历库不认识该年），{n} 个案件期限暂按普通周末估算。"
                "请在“节假日安排”中录入该年放假和调休上班日期。",
            )
        )
    return out


def _major(x: _Ctx, c: _CaseFacts) -> list[Finding]:
    out: list[Finding] = []
    assert c.decided_on is not None
    dl = x.deadline(c.decided_on, cs.FILING_DAYS, cs.FILING_KIND)
    reported = x.known(c.reported_on)
    if reported is None:
        out.extend(x.approaching(c, dl, f"重大处罚决定 {_d(c.decided_on)} 作出，尚未备案，备案"))
        if x.as_of > dl.due:
            out.append(
                _finding(
                    "filing_overdue",
                    c,
                    dl.due,
                    f"重大处罚决定于 {_d(c.decided_on)} 作出，应在 {dl.describe()}内（{_d(dl.due)} 前）"
                    f"报送备案，至今未备案{dl.caveat()}",
                )
            )
    elif reported > dl.due:
        out.append(
            _finding(
                "filing_overdue",
                c,
                dl.due,
                f"重大处罚决定于 {_d(c.decided_on)} 作出，{_d(reported)} 才备案，"
                f"超过 {dl.describe()}期限（{_d(dl.due)}）{dl.caveat()}",
            )
        )
    for rule, field, label in (
        ("legal_review_missing", c.legal_review_on, "法制审核"),
        ("collective_discussion_missing", c.collective_on, "集体讨论"),
    ):
        if field is None:
            out.append(
                _finding(
                    rule,
                    c,
                    c.decided_on,
                    f"重大案件于 {_d(c.decided_on)} 作出决定，未登记{label}日期，应在决定前完成{label}",
                )
            )
        elif field > c.decided_on:
            out.append(
                _finding(
                    rule,
                    c,
                    c.decided_on,
                    f"{label}日期 {_d(field)} 晚于决定日期 {_d(c.decided_on)}，应在决定前完成{label}",
                )
            )
    return out


def _publication(x: _Ctx, c: _CaseFacts) -> list[Finding]:
    assert c.decided_on is not None
    dl = x.deadline(c.decided_on, cs.PUBLICATION_DAYS, cs.PUBLICATION_KIND)
    published = x.known(c.published_on)
    if published is None:
        soon = x.approaching(c, dl, f"{c.category}决定 {_d(c.decided_on)} 作出，尚未公示，公示")
        if soon:
            return soon
        if x.as_of > dl.due:
            return [
                _finding(
                    "publication_overdue",
                    c,
                    dl.due,
                    f"{c.category}决定于 {_d(c.decided_on)} 作出，应在 {dl.describe()}内（{_d(dl.due)} 前）公示，"
                    f"至今未公示{dl.caveat()}",
                )
            ]
    elif published > dl.due:
        return [
            _finding(
                "publication_overdue",
                c,
                dl.due,
                f"{c.category}决定于 {_d(c.decided_on)} 作出，{_d(published)} 才公示，"
                f"超过 {dl.describe()}期限（{_d(dl.due)}）{dl.caveat()}",
            )
        ]
    return []


def _hearing(x: _Ctx, c: _CaseFacts, thresholds: dict[str, Decimal]) -> list[Finding]:
    assert c.decided_on is not None
    limit = thresholds.get(c.party_type, thresholds[PartyType.PERSON.value])
    # 行政处罚法第63条: a large fine, or confiscating a large amount of illegal gains or property
    if c.fine_amount is not None and c.fine_amount >= limit:
        what = f"罚款 {c.fine_amount:,.2f} 元"
    elif c.confiscation_amount is not None and c.confiscation_amount >= limit:
        what = f"没收违法所得/非法财物 {c.confiscation_amount:,.2f} 元"
    else:
        return []
    head = f"对{c.party_type}{what}，达到听证告知数额 {limit:,.0f} 元"
    if c.hearing_notice_on is None:
        return [_finding("hearing_notice_missing", c, c.decided_on, f"{head}，未登记听证告知日期")]
    if c.hearing_notice_on >= c.decided_on:
        return [
            _finding(
                "hearing_notice_missing",
                c,
                c.decided_on,
                f"{head}，听证告知日期 {_d(c.hearing_notice_on)} 不早于决定日期 {_d(c.decided_on)}",
            )
        ]
    if "放弃听证" in (c.notes or ""):
        return []
    wait = x.deadline(c.hearing_notice_on, cs.HEARING_WAIT_DAYS, cs.HEARING_WAIT_KIND)
    if c.decided_on <= wait.due:
        return [
            _finding(
                "hearing_notice_missing",
                c,
                wait.due,
                f"{head}，{_d(c.hearing_notice_on)} 告知听证后申请期限 {wait.describe()}至 {_d(wait.due)} 届满，"
                f"但 {_d(c.decided_on)} 已作出决定（当事人书面放弃听证的，请在备注中注明“放弃听证”）{wait.caveat()}",
            )
        ]
    return []


def _officers(x: _Ctx, cases: Sequence[_CaseFacts]) -> list[Finding]:
    if not cases:
        return []
    need = int(str(x.get(cs.MIN_OFFICERS)))
    ids = [c.id for c in cases]
    links: dict[int, list[int]] = defaultdict(list)
    for i in range(0, len(ids), 900):
        for cid, sid in x.s.connection().execute(
            select(case_officer.c.case_id, case_officer.c.staff_id).where(
                case_officer.c.case_id.in_(ids[i : i + 900])
            )
        ):
            links[cid].append(sid)
    names = dict(x.s.execute(select(Staff.id, Staff.name)).all())
    # each person's periods of a valid certificate (the same test as rules.roster.cert_is_valid)
    spans: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for sid, issued, valid_to in x.s.connection().execute(
        select(Certificate.staff_id, Certificate.issue_date, Certificate.valid_to).where(
            Certificate.status == CertStatus.VALID
        )
    ):
        spans[sid].append((issued or dt.date.min, valid_to or dt.date.max))

    out = []
    for c in cases:
        when = c.filed_on or c.decided_on or x.as_of
        people = [sid for sid in links.get(c.id, []) if sid in names]
        certified = [
            sid for sid in people if any(lo <= when <= hi for lo, hi in spans.get(sid, ()))
        ]
        if len(certified) < need:
            others = [names[sid] for sid in people if sid not in certified]
            who = "、".join(names[sid] for sid in certified) or "无"
            extra = f"；无有效执法证件：{'、'.join(others)}" if others else ""
            out.append(
                _finding(
                    "case_officers_insufficient",
                    c,
                    None,
                    f"{_d(when)} 持有效执法证件的承办人员 {len(certified)} 人（{who}），"
                    f"少于 {need} 人{extra}",
                )
            )
    return out


def _rectifications(s: Session, as_of: dt.date) -> list[Finding]:
    rows = s.execute(
        select(Rectification, CaseRecord)
        .join(CaseReview, Rectification.review_id == CaseReview.id)
        .join(CaseRecord, CaseReview.case_id == CaseRecord.id)
        .where(Rectification.done_on.is_(None), Rectification.due_on < as_of)
        .order_by(Rectification.due_on)
    ).all()
    out = []
    for r, c in rows:
        if r.due_on is None:  # not selected: ``due_on < as_of`` is false for NULL
            continue
        who = f"，责任人 {r.assignee}" if r.assignee else ""
        out.append(
            Finding(
                "rectification_overdue",
                c.party or c.case_no,
                c.case_no,
                r.due_on,
                f"案卷评查问题“{r.problem or r.item_code}”应于 {_d(r.due_on)} 前整改完毕{who}，"
                f"至今未完成（逾期 {(as_of - r.due_on).days} 天）",
                "case",
                c.id,
            )
        )
    return out
