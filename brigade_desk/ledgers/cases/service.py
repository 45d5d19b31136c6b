"""The case register service: validation, listing with filters (in SQL), editing.

The GUI and the importer both validate through :func:`validate_case`; every wrong field is named
in Chinese. Each operation is one short transaction and hands plain dataclasses out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, TypeVarTuple

from sqlalchemy import Select, delete, func, insert, or_, select
from sqlalchemy.orm import Session, selectinload

from brigade_desk.core import conflict, dialect
from brigade_desk.core.cache import DataCache
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.core.ordering import sort_key, sorted_before
from brigade_desk.core.textclean import Kind, check_fields
from brigade_desk.ledgers.cases.case_no import normalize as normalize_case_no
from brigade_desk.ledgers.cases.models import (
    ACTIVITIES,
    CASE_DATES,
    CaseActivityWindow,
    CaseCategory,
    CaseRecord,
    CaseReview,
    PartyType,
    Procedure,
    ReviewSampleCase,
    case_officer,
)
from brigade_desk.ledgers.cases.windows import WindowView, replace_windows
from brigade_desk.ledgers.roster.models import Staff, StaffCategory, StaffStatus

CASE_LABELS: dict[str, str] = {
    "case_no": "案号",
    "cause": "案由",
    "party": "当事人",
    "party_type": "当事人类型",
    "domain": "执法门类",
    "category": "案件类别",
    "procedure": "适用程序",
    **CASE_DATES,
    "fine_amount": "罚款金额",
    "confiscation_amount": "没收金额",
    "is_major": "重大案件",
    "activities": "执法活动",
    "officer_ids": "承办人员",
    "notes": "备注",
}

# dates that must not come before 立案 (filing of the case)
_AFTER_FILED = (
    "investigated_on",
    "notified_on",
    "hearing_notice_on",
    "legal_review_on",
    "collective_on",
    "decided_on",
    "served_on",
    "executed_on",
    "closed_on",
    "reported_on",
    "published_on",
    "reconsidered_on",
    "sued_on",
    "transferred_on",
)
# dates that must not come before the decision
_AFTER_DECISION = (
    "served_on",
    "executed_on",
    "reported_on",
    "published_on",
    "reconsidered_on",
    "sued_on",
)

_Ts = TypeVarTuple("_Ts")


@dataclass
class CaseInput:
    case_no: str = ""
    cause: str = ""
    party: str = ""
    party_type: str = PartyType.PERSON.value
    domain: str = ""
    category: str = CaseCategory.PENALTY.value
    procedure: str = Procedure.ORDINARY.value
    filed_on: dt.date | None = None
    investigated_on: dt.date | None = None
    notified_on: dt.date | None = None
    hearing_notice_on: dt.date | None = None
    legal_review_on: dt.date | None = None
    collective_on: dt.date | None = None
    decided_on: dt.date | None = None
    served_on: dt.date | None = None
    executed_on: dt.date | None = None
    closed_on: dt.date | None = None
    reported_on: dt.date | None = None
    published_on: dt.date | None = None
    reconsidered_on: dt.date | None = None
    sued_on: dt.date | None = None
    transferred_on: dt.date | None = None
    fine_amount: Decimal | None = None
    confiscation_amount: Decimal | None = None
    is_major: bool = False
    activities: list[str] = field(default_factory=list)
    notes: str = ""
    officer_ids: list[int] = field(default_factory=list)


@dataclass
class OfficerRef:
    id: int
    name: str


@dataclass
class CaseView(CaseInput):
    id: int = 0
    version: int = 1  # as loaded: passed back to save (core.conflict)
    officers: list[OfficerRef] = field(default_factory=list)

    @property
    def officer_names(self) -> str:
        return "、".join(o.name for o in self.officers)


MODEL_FIELDS = [f.name for f in fields(CaseInput) if f.name != "officer_ids"]


# what finds or names a case (core.textclean: an invisible character refused, a zero-width one at
# either end removed) and what is free text (zero-width characters removed, direction and control
# characters refused)
CASE_TEXT_KINDS = {
    "case_no": Kind.KEY,
    "party": Kind.KEY,
    "cause": Kind.TEXT,
    "domain": Kind.TEXT,
    "notes": Kind.TEXT,
}


def validate_case(data: CaseInput, today: dt.date | None = None) -> dict[str, str]:
    """Normalise ``data`` in place and return field → Chinese message for every problem."""
    errs: dict[str, str] = {}
    dirty = check_fields(data, CASE_TEXT_KINDS, CASE_LABELS)  # first: the rest sees clean text
    data.case_no = normalize_case_no(data.case_no)  # 〔2026〕 however the brackets were typed
    data.cause = data.cause.strip()
    data.party = data.party.strip()
    if not data.case_no:
        errs["case_no"] = "案号不能为空"
    elif len(data.case_no) > 80:
        errs["case_no"] = "案号过长（最多 80 个字符）"
    if not data.cause:
        errs["cause"] = "案由不能为空"
    if data.party_type not in {p.value for p in PartyType}:
        errs["party_type"] = "当事人类型应为“个人”或“单位”"
    if data.category not in {c.value for c in CaseCategory}:
        errs["category"] = f"案件类别应为{'、'.join(c.value for c in CaseCategory)}之一"
    if data.procedure not in {p.value for p in Procedure}:
        errs["procedure"] = "适用程序应为“简易”或“普通”"
    for k in ("fine_amount", "confiscation_amount"):
        v = getattr(data, k)
        if v is not None:
            if v < 0:
                errs[k] = f"{CASE_LABELS[k]}不能为负数"
            elif v >= Decimal("1e11"):
                errs[k] = f"{CASE_LABELS[k]}数额过大"
    if data.fine_amount and data.category not in (CaseCategory.PENALTY, CaseCategory.OTHER):
        errs["fine_amount"] = f"{data.category}案件不应有罚款金额（请检查案件类别）"
    unknown = [a for a in data.activities if a not in ACTIVITIES]
    data.activities = list(dict.fromkeys(a.strip() for a in data.activities if a.strip()))
    if unknown:
        errs["activities"] = (
            f"执法活动「{'、'.join(unknown)}」不在可选值中（{'、'.join(ACTIVITIES)}）"
        )
    if data.filed_on is None and data.procedure == Procedure.ORDINARY:
        errs["filed_on"] = "普通程序案件必须填写立案日期"
    if data.filed_on is not None:
        for k in _AFTER_FILED:
            v = getattr(data, k)
            if v is not None and v < data.filed_on:
                errs.setdefault(
                    k, f"{CASE_LABELS[k]}（{v:%Y-%m-%d}）早于立案日期（{data.filed_on:%Y-%m-%d}）"
                )
    if data.decided_on is not None:
        for k in _AFTER_DECISION:
            v = getattr(data, k)
            if v is not None and v < data.decided_on:
                errs.setdefault(
                    k, f"{CASE_LABELS[k]}（{v:%Y-%m-%d}）早于决定日期（{data.decided_on:%Y-%m-%d}）"
                )
    if (
        data.closed_on
        and data.decided_on is None
        and data.category == CaseCategory.PENALTY
        and data.procedure == Procedure.ORDINARY
        and not data.notes.strip()
    ):
        errs["notes"] = (
            "普通程序处罚案件没有决定日期就结案的，请在备注中说明（如撤销立案、不予处罚）"
        )
    if today is not None:
        for k in CASE_DATES:
            v = getattr(data, k)
            if v is not None and v > today + dt.timedelta(days=1):
                errs.setdefault(k, f"{CASE_LABELS[k]}（{v:%Y-%m-%d}）晚于今天")
    if len(set(data.officer_ids)) != len(data.officer_ids):
        data.officer_ids = list(dict.fromkeys(data.officer_ids))
    errs.update(dirty)  # the cause of whatever else the field's check said
    return errs


def view_of(c: CaseRecord) -> CaseView:
    v = CaseView(
        id=c.id, version=c.version, officers=[OfficerRef(o.id, o.name) for o in c.officers]
    )
    for name in MODEL_FIELDS:
        val = getattr(c, name)
        setattr(v, name, list(val or []) if name == "activities" else val)
    v.officer_ids = [o.id for o in c.officers]
    return v


@dataclass
class CaseFilter:
    text: str = ""  # case number, party or cause contains
    category: str = ""
    domain: str = ""
    procedure: str = ""
    year: int | None = None  # year of 立案
    major_only: bool = False
    open_only: bool = False  # not closed
    only_ids: frozenset[int] | None = None  # e.g. the cases with findings ("只看有问题的")


SORT_COLUMNS = {
    "case_no": CaseRecord.case_no,
    "cause": CaseRecord.cause,
    "party": CaseRecord.party,
    "category": CaseRecord.category,
    "domain": CaseRecord.domain,
    "procedure": CaseRecord.procedure,
    "filed_on": CaseRecord.filed_on,
    "decided_on": CaseRecord.decided_on,
    "closed_on": CaseRecord.closed_on,
    "fine_amount": CaseRecord.fine_amount,
    "is_major": CaseRecord.is_major,
}


def apply_filter(q: Select[*_Ts], f: CaseFilter) -> Select[*_Ts]:
    if f.text.strip():
        like = f"%{f.text.strip()}%"
        no_like = f"%{normalize_case_no(f.text)}%"  # 乐交执罚(2026 finds 乐交执罚〔2026〕…
        q = q.where(
            or_(
                CaseRecord.case_no.like(no_like),
                CaseRecord.party.like(like),
                CaseRecord.cause.like(like),
            )
        )
    if f.category:
        q = q.where(CaseRecord.category == f.category)
    if f.domain:
        q = q.where(CaseRecord.domain == f.domain)
    if f.procedure:
        q = q.where(CaseRecord.procedure == f.procedure)
    if f.year:
        q = q.where(
            CaseRecord.filed_on >= dt.date(f.year, 1, 1),
            CaseRecord.filed_on <= dt.date(f.year, 12, 31),
        )
    if f.major_only:
        q = q.where(CaseRecord.is_major.is_(True))
    if f.open_only:
        q = q.where(CaseRecord.closed_on.is_(None))
    if f.only_ids is not None:  # one JSON parameter, however many ids (no host-parameter limit)
        q = q.where(dialect.in_json_ids(CaseRecord.id, f.only_ids))
    return q


def _years(s: Session) -> list[int]:
    lo, hi = s.execute(select(func.min(CaseRecord.filed_on), func.max(CaseRecord.filed_on))).one()
    if lo is None or hi is None:
        return []
    return [
        y
        for y in range(hi.year, lo.year - 1, -1)
        if s.scalar(
            select(CaseRecord.id)
            .where(
                CaseRecord.filed_on >= dt.date(y, 1, 1), CaseRecord.filed_on <= dt.date(y, 12, 31)
            )
            .limit(1)
        )
        is not None
    ]


def _domains(s: Session) -> list[str]:
    return [
        d for d in s.scalars(select(CaseRecord.domain).distinct().order_by(CaseRecord.domain)) if d
    ]


class CaseService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- reading ------------------------------------------------------------------------------

    def _ordered(self, f: CaseFilter | None, sort: str, descending: bool) -> Select[int]:
        col = SORT_COLUMNS.get(sort, CaseRecord.filed_on)
        q = apply_filter(select(CaseRecord.id), f or CaseFilter())
        return q.order_by(
            sort_key(col, descending, self.db.server),
            CaseRecord.id.desc() if descending else CaseRecord.id,
        )

    def ids(
        self, f: CaseFilter | None = None, sort: str = "filed_on", descending: bool = True
    ) -> list[int]:
        """Ids in display order, filtered and sorted in SQL."""
        with self.db.engine.connect() as conn:  # plain Core rows: ten years of ids, no ORM overhead
            return list(conn.execute(self._ordered(f, sort, descending)).scalars().all())

    def position(self, f: CaseFilter | None, sort: str, descending: bool, case_id: int) -> int:
        """The row of ``case_id`` among the sorted matches (-1 if it does not match): the number of
        matches sorted before it, counted in SQL (NULLs sort first ascending, last descending)."""
        col = SORT_COLUMNS.get(sort, CaseRecord.filed_on)
        f = f or CaseFilter()
        with self.db.engine.connect() as conn:
            got = conn.execute(
                apply_filter(select(CaseRecord.id, col), f).where(CaseRecord.id == case_id)
            ).first()
            if got is None:
                return -1
            before = sorted_before(col, CaseRecord.id, got[1], case_id, descending)
            return int(
                conn.scalar(apply_filter(select(func.count(CaseRecord.id)), f).where(before)) or 0
            )

    def page(
        self,
        f: CaseFilter | None = None,
        sort: str = "filed_on",
        descending: bool = True,
        offset: int = 0,
        limit: int = 100,
    ) -> list[CaseView]:
        """One window of the matching cases in display order (filtered, sorted and cut in SQL)."""
        with self.db.engine.connect() as conn:
            ids = list(
                conn.execute(
                    self._ordered(f, sort, descending).limit(limit).offset(offset)
                ).scalars()
            )
        got = self.rows(ids)
        return [got[i] for i in ids if i in got]

    def rows(self, ids: list[int]) -> dict[int, CaseView]:
        """The cases ``ids`` as views (two plain Core queries: the columns, then the officers)."""
        if not ids:
            return {}
        cols = [CaseRecord.id, CaseRecord.version, *(getattr(CaseRecord, n) for n in MODEL_FIELDS)]
        with self.db.engine.connect() as conn:
            got = conn.execute(select(*cols).where(CaseRecord.id.in_(ids))).all()
            links = conn.execute(
                select(case_officer.c.case_id, Staff.id, Staff.name)
                .join(Staff, Staff.id == case_officer.c.staff_id)
                .where(case_officer.c.case_id.in_(ids))
                .order_by(Staff.id)
            ).all()
        officers: dict[int, list[OfficerRef]] = {}
        for cid, sid, name in links:
            officers.setdefault(cid, []).append(OfficerRef(sid, name))
        out = {}
        for r in got:
            v = CaseView(id=r.id, version=r.version, officers=officers.get(r.id, []))
            for name in MODEL_FIELDS:
                val = getattr(r, name)
                setattr(v, name, list(val or []) if name == "activities" else val)
            v.officer_ids = [o.id for o in v.officers]
            out[r.id] = v
        return out

    def get(self, case_id: int) -> CaseView:
        with self.db.session() as s:
            c = s.get(CaseRecord, case_id, options=[selectinload(CaseRecord.officers)])
            if c is None:
                raise UserError("该案件已不存在（可能已被删除）")
            return view_of(c)

    def find(self, case_no: str) -> CaseView | None:
        with self.db.session() as s:
            c = s.scalar(select(CaseRecord).where(CaseRecord.case_no == normalize_case_no(case_no)))
            return view_of(c) if c else None

    def count(self, f: CaseFilter | None = None) -> int:
        with self.db.session() as s:
            q = apply_filter(select(func.count(CaseRecord.id)), f or CaseFilter())
            return int(s.scalar(q) or 0)

    def years(self) -> list[int]:
        """The years in which cases were filed, newest first (index seeks, one per year)."""
        with self.db.session() as s:
            return _years(s)

    def domains(self) -> list[str]:
        with self.db.session() as s:
            return _domains(s)

    def deadline_notes(
        self,
        decided_on: dt.date | None,
        filed_on: dt.date | None,
        *,
        major: bool,
        category: str,
        procedure: str,
    ) -> list[str]:
        """The deadlines of a case being typed, on the official calendar with the clerk's
        settings, as the editor shows them: 备案 (a major decision) and 公示 (a category published)
        once decided; before that, the decision deadline of an ordinary penalty case."""
        from brigade_desk.core import settings
        from brigade_desk.ledgers.cases import settings as cs
        from brigade_desk.ledgers.cases.rules import CaseDeadlines

        parts = []
        with self.db.session() as s:
            dl = CaseDeadlines(s)
            if decided_on is not None:
                if major:
                    f = dl.filing(decided_on)
                    parts.append(f"备案期限 {f.due:%Y-%m-%d}（{f.describe()}）{f.caveat()}")
                if category in (settings.get(s, cs.PUBLICATION_CATEGORIES) or []):
                    p = dl.publication(decided_on)
                    parts.append(f"公示期限 {p.due:%Y-%m-%d}（{p.describe()}）{p.caveat()}")
            elif (
                filed_on is not None
                and procedure == Procedure.ORDINARY
                and category == CaseCategory.PENALTY
            ):
                d = dl.decision(filed_on)
                parts.append(f"应于 {d.due:%Y-%m-%d} 前作出决定（{d.describe()}）")
        return parts

    def filter_choices(self) -> tuple[list[int], list[str], int]:
        """The 立案年度 and 门类 lists and the number of cases, kept while the data stays the same
        (see ``core.cache``)."""

        def compute(s: Session) -> tuple[list[int], list[str], int]:
            return _years(s), _domains(s), int(s.scalar(select(func.count(CaseRecord.id))) or 0)

        return DataCache.of(self.db).get(("case_filter_choices",), compute)

    def officer_choices(self) -> list[OfficerRef]:
        """Roster officers and auxiliaries, for the editor's officer picker."""
        with self.db.session() as s:
            rows = s.execute(
                select(Staff.id, Staff.name, Staff.squad, Staff.category, Staff.status).order_by(
                    Staff.squad, Staff.name
                )
            ).all()
        out = []
        for r in rows:
            tags = [
                t
                for t in (
                    r.squad,
                    "辅助" if r.category == StaffCategory.AUXILIARY else "",
                    r.status if r.status != StaffStatus.ON_DUTY else "",
                )
                if t
            ]
            out.append(OfficerRef(r.id, f"{r.name}（{'，'.join(tags)}）" if tags else r.name))
        return out

    # ---- writing ------------------------------------------------------------------------------

    def save(
        self,
        data: CaseInput,
        case_id: int | None = None,
        *,
        today: dt.date | None = None,
        windows: Sequence[WindowView] | None = None,
        version: int | None = None,
    ) -> int:
        """``windows``: when given, the case's activity time windows become these (same
        transaction, see :func:`windows.replace_windows`). ``version``: the one the editor showed;
        a newer one means somebody else saved the case meanwhile: ConflictError (core.conflict)."""
        errs = validate_case(data, today or dt.date.today())
        with self.db.begin() as s:
            dup = s.scalar(select(CaseRecord.id).where(CaseRecord.case_no == data.case_no))
            if dup is not None and dup != case_id:
                errs.setdefault("case_no", f"案号 {data.case_no} 已存在")
            if data.officer_ids:
                found = set(s.scalars(select(Staff.id).where(Staff.id.in_(data.officer_ids))))
                if found != set(data.officer_ids):
                    errs.setdefault("officer_ids", "所选承办人员不在花名册中")
            if errs:
                raise ValidationError(errs)
            c = CaseRecord() if case_id is None else s.get(CaseRecord, case_id)
            if c is None:
                raise UserError("该案件已不存在（可能已被删除）")
            if case_id is not None:
                conflict.check(
                    s,
                    c,
                    version,
                    f"案件 {c.case_no}",
                    [
                        (
                            "case_activity_window",
                            s.scalars(
                                select(CaseActivityWindow.id).where(
                                    CaseActivityWindow.case_id == c.id
                                )
                            ),
                        )
                    ],
                )
                # a save that changed only the officers or the time windows counts too
                conflict.touch(c)
            write_case(s, c, data)
            if case_id is None:
                s.add(c)
            s.flush()
            if windows is not None:
                replace_windows(s, c.id, list(data.activities), windows)
            return c.id

    def delete(self, case_id: int) -> None:
        """Delete a case with its reviews and sample entries, each through the ORM so that every row
        is in the audit trail (and the delete can be undone, core.undo)."""
        with self.db.begin() as s:
            c = s.get(CaseRecord, case_id, options=[selectinload(CaseRecord.officers)])
            if c is None:
                raise UserError("该案件已不存在")
            for model in (CaseReview, ReviewSampleCase, CaseActivityWindow):
                for row in s.scalars(select(model).where(model.case_id == case_id)):
                    s.delete(row)
            s.flush()
            s.delete(c)


def write_case(s: Session, c: CaseRecord, data: CaseInput) -> None:
    for name in MODEL_FIELDS:
        setattr(c, name, getattr(data, name))
    c.activities = list(data.activities)
    c.officers = (
        list(s.scalars(select(Staff).where(Staff.id.in_(data.officer_ids))))
        if data.officer_ids
        else []
    )


def bulk_insert(
    s: Session, rows: list[dict[str, Any]], officers: list[tuple[int, int]] | None = None
) -> None:
    """Fast insert for the demo: case dicts (ids included) and (case_id, staff_id) pairs."""
    if rows:
        s.execute(insert(CaseRecord), rows)
    if officers:
        s.execute(insert(case_officer), [{"case_id": c, "staff_id": o} for c, o in officers])


def clear_officers(s: Session, case_id: int) -> None:
    s.execute(delete(case_officer).where(case_officer.c.case_id == case_id))
