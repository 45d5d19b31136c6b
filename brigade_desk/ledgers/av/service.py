"""The AV index for the GUI: searching (in SQL, for hundreds of thousands of rows), details, edits,
verification history, storage roots, name patterns and the per-case view. Plain dataclasses out;
one short transaction per operation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, text
from sqlalchemy.orm import Session, aliased

import brigade_desk.models  # noqa: F401  (every table known: foreign keys to staff are resolved by name)
from brigade_desk.core import dialect, settings
from brigade_desk.core.cache import DataCache
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.core.ordering import sort_key, sorted_before
from brigade_desk.core.progress import Progress
from brigade_desk.core.textclean import DirtyText, Kind, check_fields, clean
from brigade_desk.ledgers.av import patterns as pat
from brigade_desk.ledgers.av import roots, search
from brigade_desk.ledgers.av import rules as av_rules
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.av.models import (
    ACTIVITIES,
    VERIFY_LABELS,
    AvAttribution,
    AvDeletion,
    AvDuplicate,
    AvNamePattern,
    AvRecord,
    AvRecordCheck,
    AvStorageRoot,
    AvVerifyResult,
    AvVerifyRun,
)
from brigade_desk.ledgers.cases.case_no import natural_key
from brigade_desk.ledgers.cases.case_no import normalize as normalize_case_no
from brigade_desk.ledgers.roster.models import Staff


class KiBProgress(Progress):
    """Forwards byte progress in KiB (a Qt progress bar holds 32-bit values); shares the cancel flag."""

    def __init__(self, inner: Progress) -> None:
        super().__init__(None)
        self._inner = inner
        self._cancel = inner._cancel

    def update(self, done: int, total: int = 0, text: str = "") -> None:
        self._inner.update(done >> 10, total >> 10, text)


# an attribution the clerk should look at (AvAttribution.to_check, in SQL)
ATTRIBUTION_TO_CHECK = or_(
    AvAttribution.conflict.is_(True), AvAttribution.kind.not_in(("holder", "corrected"))
)


@dataclass
class AvFilter:
    text: str = ""
    case_no: str = ""
    officer_id: int | None = None
    device: str = ""
    activity: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: str = ""  # "", ok, modified, missing, moved, unchecked, problem
    important_only: bool = False
    case_exact: bool = False  # case_no must match exactly (the per-case view)
    # only records whose officer the ingest could not take from the device register (no holder,
    # an unregistered device, no device number) or where it disagreed with the batch's officer
    attribution_to_check: bool = False


@dataclass(frozen=True)
class AvRow:
    id: int
    media_start: dt.datetime | None
    case_no: str
    target: str
    activity: str
    device_no: str
    officers: str
    file_name: str
    duration_s: float | None
    size: int
    important: bool
    status: str
    place: str


@dataclass
class AvDetail:
    id: int
    path: str
    root_name: str
    root_reachable: bool
    file_name: str
    size: int
    sha256: str
    media_start: dt.datetime | None
    time_source: str
    duration_s: float | None
    pattern_name: str
    device_no: str
    officer_code: str
    officer_id: int | None
    officer2_id: int | None
    officers: str
    activity: str
    case_no: str
    target: str
    place: str
    notes: str
    important: bool
    retention: str
    source_path: str
    ingested_at: dt.datetime
    status: str
    verified_at: dt.datetime | None
    checks: list[tuple[dt.datetime, str, str]] = field(
        default_factory=list
    )  # (run start, status, detail)
    duplicates: list[str] = field(default_factory=list)
    deleted: str = ""  # "已于 … 删除（…）" when the file was deleted at the end of its retention
    attribution: str = ""  # how the officer was attributed at ingest (or corrected)
    attribution_flag: bool = False  # the attribution needs the clerk's look (no holder, conflict…)


@dataclass
class AvEdit:
    case_no: str = ""
    activity: str = "其他"
    officer_id: int | None = None
    officer2_id: int | None = None
    target: str = ""
    place: str = ""
    notes: str = ""
    important: bool = False


@dataclass(frozen=True)
class RunView:
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    scope: str
    checked: int
    ok: int
    modified: int
    missing: int
    moved: int
    cancelled: bool


@dataclass(frozen=True)
class ResultView:
    record_id: int
    status: str
    path: str
    new_path: str
    detail: str


@dataclass(frozen=True)
class RootView:
    id: int
    name: str
    path: str
    is_archive: bool
    records: int
    reachable: bool


@dataclass(frozen=True)
class PatternView:
    id: int
    name: str
    regex: str
    priority: int
    enabled: bool
    notes: str


@dataclass(frozen=True)
class CaseSummary:
    case_no: str
    records: int
    activities: str
    missing: str  # full-process activities without a recording ("" when none / no case register)
    first: dt.datetime | None
    last: dt.datetime | None


SORT_KEYS = (
    "media_start",
    "case_no",
    "target",
    "activity",
    "device_no",
    "officers",
    "file_name",
    "duration_s",
    "size",
    "important",
    "status",
    "place",
)
INDEXED_SORTS = frozenset(SORT_KEYS) - {"officers", "status"}  # columns of av_record with an index
DRIVE_MAX = 5_000  # a text condition matching more records than this only filters the sorted walk


# what finds or names a recording (core.textclean: an invisible character refused, a zero-width one
# at either end removed) and what is free text (zero-width characters removed, direction and
# control characters refused)
EDIT_TEXT_KINDS = {
    "case_no": Kind.KEY,
    "target": Kind.TEXT,
    "place": Kind.TEXT,
    "notes": Kind.TEXT,
}
EDIT_LABELS = {
    "case_no": "「案件编号」",
    "target": "「执法对象」",
    "place": "「地点」",
    "notes": "「备注」",
}


class AvService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._has_fts: bool | None = None
        self._match_counts: dict[tuple[str, tuple[str, ...]], int] = {}

    # ---- searching ---------------------------------------------------------------------------
    # Text conditions go through the FTS5 index (``brigade_desk.ledgers.av.search``); everything else is an
    # indexed column. The table model asks for a count and then one page of ids at a time.

    def _fts(self) -> bool:
        if self._has_fts is None:
            with self.db.session() as s:
                self._has_fts = search.available(s)
        return self._has_fts

    def _match_count(self, query: str, columns: Sequence[str]) -> int:
        """How many records a text condition matches (a planning hint, cached per query)."""
        key = (query, tuple(columns))
        n = self._match_counts.get(key)
        if n is None:
            with self.db.session() as s:
                n = search.match_count(s, query, columns)
            if len(self._match_counts) > 200:
                self._match_counts.clear()
            self._match_counts[key] = n
        return n

    def _text(self, query: str, columns: Sequence[str], drive: bool) -> Any:
        """A substring condition. ``drive``: let the search index drive the query (look up its ids,
        then sort them) — right for a selective query; otherwise the ids are only a membership test
        while SQL walks the sort order (``id + 0`` keeps SQLite from driving with them)."""
        if not self._fts():
            return search.like_condition(query, columns)
        sub = search.match_ids(query, columns)
        return AvRecord.id.in_(sub) if drive else (AvRecord.id + 0).in_(sub)

    def _texts(self, f: AvFilter) -> list[tuple[str, tuple[str, ...]]]:
        out: list[tuple[str, tuple[str, ...]]] = []
        if f.text.strip():
            out.append((f.text.strip(), search.TEXT_COLUMNS))
        if f.case_no.strip() and not f.case_exact:
            out.append((normalize_case_no(f.case_no), ("case_no",)))
        if f.device.strip():
            out.append((f.device.strip(), ("device_no",)))
        return out

    def _filtered(self, q: Select[Any], f: AvFilter, drive: bool = True) -> Select[Any]:
        for query, cols in self._texts(f):
            q = q.where(self._text(query, cols, drive))
        if f.case_no.strip() and f.case_exact:
            q = q.where(AvRecord.case_no == normalize_case_no(f.case_no))
        if f.officer_id is not None:
            q = q.where(
                or_(AvRecord.officer_id == f.officer_id, AvRecord.officer2_id == f.officer_id)
            )
        if f.activity:
            q = q.where(AvRecord.activity == f.activity)
        if f.date_from:
            q = q.where(AvRecord.media_start >= dt.datetime.combine(f.date_from, dt.time()))
        if f.date_to:
            q = q.where(
                AvRecord.media_start
                < dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time())
            )
        if f.important_only:
            q = q.where(AvRecord.important.is_(True))
        if f.attribution_to_check:
            q = q.where(
                select(AvAttribution.record_id)
                .where(AvAttribution.record_id == AvRecord.id, ATTRIBUTION_TO_CHECK)
                .exists()
            )
        if f.status == "deleted":
            q = q.where(select(AvDeletion.id).where(AvDeletion.record_id == AvRecord.id).exists())
        elif f.status == "unchecked":
            q = q.where(AvRecordCheck.status.is_(None))
        elif f.status == "problem":
            q = q.where(AvRecordCheck.status.in_(["modified", "missing"]))
        elif f.status:
            q = q.where(AvRecordCheck.status == f.status)
        return q

    def _ordered(
        self, f: AvFilter, sort: str, descending: bool, drive: bool | None = None
    ) -> tuple[Select[Any], Any]:
        """SELECT av_record.id … filtered and sorted (the id breaks ties); also the sort column."""
        sort = sort if sort in SORT_KEYS else "media_start"
        q = select(AvRecord.id)
        if f.status or sort == "status":
            q = q.outerjoin(AvRecordCheck, AvRecordCheck.record_id == AvRecord.id)
        if sort == "officers":
            o1 = aliased(Staff)
            q = q.outerjoin(o1, o1.id == AvRecord.officer_id)
            col: Any = o1.name
        elif sort == "status":
            col = AvRecordCheck.status
        else:
            col = getattr(AvRecord, sort)
        if drive is None:
            drive = self._drive(f, sort)
        q = self._filtered(q, f, drive)
        return q.order_by(
            sort_key(col, descending, self.db.server),
            AvRecord.id.desc() if descending else AvRecord.id,
        ), col

    def _drive(self, f: AvFilter, sort: str) -> bool:
        """Whether the text conditions should drive the paged query (see ``_text``)."""
        texts = self._texts(f)
        if not texts or not self._fts() or sort not in INDEXED_SORTS:
            return True  # without an index on the sort column SQL sorts the matches anyway: fewest is best
        return min(self._match_count(q, c) for q, c in texts) <= DRIVE_MAX

    def count(self, f: AvFilter) -> int:
        """How many records match ``f`` (counted in SQL, through the indexes)."""
        texts = self._texts(f)
        others = AvFilter(text=f.text, device=f.device, case_no="" if f.case_exact else f.case_no)
        if len(texts) == 1 and self._fts() and f == others:
            return self._match_count(*texts[0])  # only one text condition: the index counts alone
        q = select(func.count()).select_from(AvRecord)
        if f.status:
            q = q.outerjoin(AvRecordCheck, AvRecordCheck.record_id == AvRecord.id)
        with self.db.session() as s:
            return int(s.scalar(self._filtered(q, f)) or 0)

    def page(
        self,
        f: AvFilter,
        sort: str = "media_start",
        descending: bool = True,
        offset: int = 0,
        limit: int = 200,
    ) -> list[AvRow]:
        """One window of the matching records in display order (sorted and cut in SQL)."""
        q, _col = self._ordered(f, sort, descending)
        with self.db.session() as s:
            ids = list(s.scalars(q.limit(limit).offset(offset)))
        return self.rows(ids)

    def ids(self, f: AvFilter, sort: str = "media_start", descending: bool = True) -> list[int]:
        """Ids of all matching records in display order (sorted in SQL)."""
        q, _col = self._ordered(f, sort, descending)
        with self.db.session() as s:
            return list(s.scalars(q))

    def position(self, f: AvFilter, sort: str, descending: bool, record_id: int) -> int:
        """The row of ``record_id`` in the sorted matches (-1 if it does not match): the number of
        matches sorted before it, counted in SQL on the sort column's index (NULLs sort first
        ascending, last descending, as in SQLite)."""
        q, col = self._ordered(f, sort, descending, drive=True)
        with self.db.session() as s:
            got = s.execute(q.add_columns(col).where(AvRecord.id == record_id)).first()
            if got is None:
                return -1
            before = sorted_before(col, AvRecord.id, got[1], record_id, descending)
            n = s.scalar(
                select(func.count()).select_from(q.order_by(None).where(before).subquery())
            )
        return int(n or 0)

    def rows(self, ids: Sequence[int]) -> list[AvRow]:
        o1, o2 = aliased(Staff), aliased(Staff)
        q = (
            select(
                AvRecord.id,
                AvRecord.media_start,
                AvRecord.case_no,
                AvRecord.target,
                AvRecord.activity,
                AvRecord.device_no,
                o1.name,
                o2.name,
                AvRecord.officer_code,
                AvRecord.file_name,
                AvRecord.duration_s,
                AvRecord.size,
                AvRecord.important,
                AvRecordCheck.status,
                AvRecord.place,
                AvDeletion.id,
            )
            .outerjoin(o1, o1.id == AvRecord.officer_id)
            .outerjoin(o2, o2.id == AvRecord.officer2_id)
            .outerjoin(AvRecordCheck, AvRecordCheck.record_id == AvRecord.id)
            .outerjoin(AvDeletion, AvDeletion.record_id == AvRecord.id)
            .where(AvRecord.id.in_(list(ids)))
        )
        with self.db.session() as s:
            got = {r[0]: r for r in s.execute(q)}
        out = []
        for i in ids:
            r = got.get(i)
            if r is None:
                continue
            names = "、".join(n for n in (r[6], r[7]) if n) or r[8]
            out.append(
                AvRow(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    names,
                    r[9],
                    r[10],
                    r[11],
                    bool(r[12]),
                    "deleted" if r[15] is not None else (r[13] or ""),
                    r[14],
                )
            )
        return out

    def count_all(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count(AvRecord.id))) or 0)

    # ---- one record ---------------------------------------------------------------------------
    def detail(self, record_id: int) -> AvDetail:
        with self.db.session() as s:
            r = s.get(AvRecord, record_id)
            if r is None:
                raise UserError(f"音像记录 #{record_id} 不存在（可能已被删除）")
            rmap = {x.id: x for x in s.scalars(select(AvStorageRoot))}
            root = rmap[r.root_id]
            names = [
                staff.name
                for i in (r.officer_id, r.officer2_id)
                if i and (staff := s.get(Staff, i)) is not None
            ]
            chk = s.get(AvRecordCheck, record_id)
            checks = [
                (run_start, st, det)
                for run_start, st, det in s.execute(
                    select(AvVerifyRun.started_at, AvVerifyResult.status, AvVerifyResult.detail)
                    .join(AvVerifyRun, AvVerifyRun.id == AvVerifyResult.run_id)
                    .where(AvVerifyResult.record_id == record_id)
                    .order_by(AvVerifyRun.started_at.desc())
                    .limit(20)
                )
            ]
            dups = list(
                s.scalars(select(AvDuplicate.path).where(AvDuplicate.record_id == record_id))
            )
            att = s.get(AvAttribution, record_id)
            gone = s.scalars(select(AvDeletion).where(AvDeletion.record_id == record_id)).first()
            deleted = (
                f"已于 {gone.deleted_at:%Y-%m-%d %H:%M} 由 {gone.deleted_by} 删除"
                f"（{gone.reason}，{gone.file_state}，删除记录 #{gone.id}）"
                if gone is not None
                else ""
            )
            src = ""
            if r.source_root_id is not None and r.source_rel_path:
                src = str(roots.resolve(rmap[r.source_root_id].path, r.source_rel_path))
            return AvDetail(
                id=r.id,
                path=str(roots.resolve(root.path, r.rel_path)),
                root_name=root.name,
                root_reachable=Path(root.path).is_dir(),
                file_name=r.file_name,
                size=r.size,
                sha256=r.sha256,
                media_start=r.media_start,
                time_source=r.time_source,
                duration_s=r.duration_s,
                pattern_name=r.pattern_name,
                device_no=r.device_no,
                officer_code=r.officer_code,
                officer_id=r.officer_id,
                officer2_id=r.officer2_id,
                officers="、".join(names),
                activity=r.activity,
                case_no=r.case_no,
                target=r.target,
                place=r.place,
                notes=r.notes,
                important=r.important,
                retention="永久" if r.retention_years is None else f"{r.retention_years} 年",
                source_path=src,
                ingested_at=r.ingested_at,
                status=chk.status if chk else "",
                verified_at=chk.verified_at if chk else None,
                checks=checks,
                duplicates=dups,
                deleted=deleted,
                attribution=att.message if att is not None else "",
                attribution_flag=att is not None and att.to_check,
            )

    def update(self, record_id: int, e: AvEdit) -> None:
        errs: dict[str, str] = check_fields(e, EDIT_TEXT_KINDS, EDIT_LABELS)
        if e.activity not in ACTIVITIES:
            errs["activity"] = f"「执法活动」应为：{'、'.join(ACTIVITIES)}"
        if len(e.case_no.strip()) > 100:
            errs.setdefault("case_no", "「案件编号」过长（最多 100 字）")
        if len(e.target.strip()) > 100:
            errs.setdefault("target", "「执法对象」过长（最多 100 字）")
        if len(e.place.strip()) > 200:
            errs.setdefault("place", "「地点」过长（最多 200 字）")
        if e.officer_id is not None and e.officer_id == e.officer2_id:
            errs["officer2_id"] = "「第二执法人员」不能与「执法人员」相同"
        if errs:
            raise ValidationError(errs)
        with self.db.begin() as s:
            r = s.get(AvRecord, record_id)
            if r is None:
                raise UserError(f"音像记录 #{record_id} 不存在（可能已被删除）")
            for key in ("officer_id", "officer2_id"):
                sid = getattr(e, key)
                if sid is not None and s.get(Staff, sid) is None:
                    raise ValidationError({key: f"「执法人员」编号 {sid} 不在花名册中"})
            r.case_no, r.activity, r.target = (
                normalize_case_no(e.case_no),
                e.activity,
                e.target.strip(),
            )
            r.place, r.notes, r.important = e.place.strip(), e.notes, e.important
            r.officer_id, r.officer2_id = e.officer_id, e.officer2_id
            if r.case_no and settings.get(s, av_settings.AV_CASE_PERMANENT):
                r.retention_years = None
            else:
                r.retention_years = (settings.get(s, av_settings.AV_RETENTION_YEARS) or {}).get(
                    r.activity
                )

    def correct_officer(
        self, record_id: int, officer_id: int | None, reason: str = ""
    ) -> tuple[int | None, int | None]:
        """更正执法人员: set the record's (first) officer; the audit trail keeps the old and the new
        value. A reason, when given, is appended to the record's 备注 with the date and both names.
        Returns (old officer id, new officer id)."""
        try:
            why, _ = clean(reason.strip(), Kind.TEXT)
        except DirtyText as exc:
            raise ValidationError({"reason": f"「更正原因」{exc}"}) from None
        with self.db.begin() as s:
            r = s.get(AvRecord, record_id)
            if r is None:
                raise UserError(f"音像记录 #{record_id} 不存在（可能已被删除）")
            new = s.get(Staff, officer_id) if officer_id is not None else None
            if officer_id is not None and new is None:
                raise ValidationError({"officer_id": f"「执法人员」编号 {officer_id} 不在花名册中"})
            old_id = r.officer_id
            if old_id == officer_id:
                return old_id, officer_id
            old = s.get(Staff, old_id) if old_id is not None else None
            r.officer_id = officer_id
            if r.officer2_id is not None and r.officer2_id == officer_id:
                r.officer2_id = old_id  # the two swap rather than the same person twice
            said = (
                f"{dt.date.today():%Y-%m-%d} 由内勤更正为 {new.name if new else '未定'}"
                f"（原为 {old.name if old else '未定'}）" + (f"；{why}" if why else "")
            )
            if why:
                note = (
                    f"〔{dt.date.today():%Y-%m-%d} 更正执法人员："
                    f"{old.name if old else '未定'} → {new.name if new else '未定'}；{why}〕"
                )
                r.notes = f"{r.notes}\n{note}" if r.notes else note
            att = s.get(AvAttribution, record_id)
            if att is None:
                s.add(AvAttribution(record_id=record_id, kind="corrected", message=said))
            else:
                # what ingest assumed stays quoted (the audit trail keeps every step)
                earlier = (
                    att.message if att.kind != "corrected" else att.message.partition("；以前：")[2]
                )
                att.kind, att.conflict = "corrected", False
                att.message = said + (f"；以前：{earlier}" if earlier else "")
            return old_id, officer_id

    def custody_holder(self, record_id: int) -> tuple[int | None, str]:
        """What the device register says about a record: (the holder's staff id or None, a sentence)."""
        from brigade_desk.ledgers.av.devices import Custody

        with self.db.session() as s:
            r = s.get(AvRecord, record_id)
            if r is None:
                raise UserError(f"音像记录 #{record_id} 不存在（可能已被删除）")
            when = r.media_start or r.file_mtime or r.ingested_at
            if not r.device_no:
                return None, "该记录没有执法记录仪编号，无法按设备登记推定"
            h = Custody(s).at(r.device_no, when)
        at = f"{when:%Y-%m-%d %H:%M}"
        if not h.registered:
            return None, f"设备{r.device_no}未在执法记录仪登记中"
        if h.staff_id is None:
            return None, f"设备{h.device_no}在{at}无人持有（设备登记中没有该时间的持有记录）"
        return h.staff_id, f"按设备{h.device_no}在{at}的持有人为 {h.staff}"

    def officers(self) -> list[tuple[int, str]]:
        with self.db.session() as s:
            rows = s.execute(
                select(Staff.id, Staff.name, Staff.squad, Staff.bodycam_no).order_by(
                    Staff.squad, Staff.name
                )
            ).all()
        return [(i, f"{n}（{sq}{'，' + b if b else ''}）") for i, n, sq, b in rows]

    # ---- verification -------------------------------------------------------------------------
    def runs(self, limit: int = 200) -> list[RunView]:
        with self.db.session() as s:
            return [
                RunView(
                    r.id,
                    r.started_at,
                    r.finished_at,
                    r.scope,
                    r.checked,
                    r.ok,
                    r.modified,
                    r.missing,
                    r.moved,
                    r.cancelled,
                )
                for r in s.scalars(
                    select(AvVerifyRun).order_by(AvVerifyRun.started_at.desc()).limit(limit)
                )
            ]

    def run_results(
        self, run_id: int, problems_only: bool = True, limit: int = 50_000
    ) -> list[ResultView]:
        q = select(AvVerifyResult).where(AvVerifyResult.run_id == run_id)
        if problems_only:
            q = q.where(AvVerifyResult.status != "ok")
        with self.db.session() as s:
            return [
                ResultView(r.record_id, r.status, r.path, r.new_path, r.detail)
                for r in s.scalars(
                    q.order_by(AvVerifyResult.status, AvVerifyResult.id).limit(limit)
                )
            ]

    def status_counts(self) -> dict[str, int]:
        with self.db.session() as s:
            total = int(s.scalar(select(func.count(AvRecord.id))) or 0)
            got = dict(
                s.execute(
                    select(AvRecordCheck.status, func.count()).group_by(AvRecordCheck.status)
                ).all()
            )
        got["unchecked"] = total - sum(got.values())
        got["total"] = total
        return got

    # ---- storage roots and patterns ------------------------------------------------------------
    def roots(self) -> list[RootView]:
        with self.db.session() as s:
            counts = dict(
                s.execute(select(AvRecord.root_id, func.count()).group_by(AvRecord.root_id)).all()
            )
            return [
                RootView(
                    r.id,
                    r.name,
                    r.path,
                    r.is_archive,
                    counts.get(r.id, 0),
                    Path(r.path).is_dir(),
                )
                for r in s.scalars(select(AvStorageRoot).order_by(AvStorageRoot.id))
            ]

    def set_root_path(self, root_id: int, path: str) -> None:
        with self.db.begin() as s:
            roots.set_root_path(s, root_id, path)

    def patterns(self) -> list[PatternView]:
        with self.db.session() as s:
            return [
                PatternView(p.id, p.name, p.regex, p.priority, p.enabled, p.notes)
                for p in s.scalars(
                    select(AvNamePattern).order_by(AvNamePattern.priority, AvNamePattern.id)
                )
            ]

    def save_pattern(
        self,
        pattern_id: int | None,
        name: str,
        regex: str,
        priority: int,
        enabled: bool,
        notes: str = "",
    ) -> int:
        pat.compile_regex(name, regex)
        with self.db.begin() as s:
            clash = s.scalar(select(AvNamePattern.id).where(AvNamePattern.name == name.strip()))
            if clash is not None and clash != pattern_id:
                raise ValidationError({"name": f"「名称」{name.strip()} 已被另一条规则使用"})
            p = s.get(AvNamePattern, pattern_id) if pattern_id else None
            if p is None:
                p = AvNamePattern()
                s.add(p)
            p.name, p.regex, p.priority, p.enabled, p.notes = (
                name.strip(),
                regex,
                priority,
                enabled,
                notes,
            )
            s.flush()
            return p.id

    def delete_pattern(self, pattern_id: int) -> None:
        with self.db.begin() as s:
            s.execute(delete(AvNamePattern).where(AvNamePattern.id == pattern_id))

    def test_pattern(self, regex: str, file_name: str) -> pat.NameInfo:
        rx = pat.compile_regex("测试", regex)
        return pat.parse_name(file_name, [pat.CompiledPattern("测试", rx)])

    # ---- cases ---------------------------------------------------------------------------------
    def cases(self) -> list[CaseSummary]:
        """Every case number seen in the AV index or the case register, with what is missing; kept
        while the data stays the same (``core.cache``): ten years are a second's work."""
        return list(DataCache.of(self.db).get(("av_cases", dt.date.today()), self._cases))

    def cached_cases(self) -> list[CaseSummary] | None:
        """``cases()`` when already known for the data as it is now (never waits)."""
        hit = DataCache.of(self.db).cached(("av_cases", dt.date.today()))
        return None if hit is None else list(hit)

    @staticmethod
    def _cases(s: Session) -> tuple[CaseSummary, ...]:
        rows = (
            s.connection()
            .execute(
                select(
                    AvRecord.case_no,
                    func.count(),
                    dialect.group_text(AvRecord.activity),
                    func.min(AvRecord.media_start),
                    func.max(AvRecord.media_start),
                )
                .where(AvRecord.case_no != "")
                .group_by(AvRecord.case_no)
            )
            .all()
        )
        missing: dict[str, list[str]] = {}
        for f in av_rules.check_full_process(s, dt.date.today()):
            missing.setdefault(f.subject, []).append(f.ref)
        register = av_rules.case_numbers(s) or []
        out = {
            c: CaseSummary(
                c,
                int(n),
                "、".join(sorted((a or "").split(","))),
                "、".join(missing.get(c, [])),
                lo,
                hi,
            )
            for c, n, a, lo, hi in rows
        }
        for c in register:
            if c not in out:
                out[c] = CaseSummary(c, 0, "", "、".join(missing.get(c, [])), None, None)
        return tuple(sorted(out.values(), key=lambda x: natural_key(x.case_no), reverse=True))

    def case_known(self, case_no: str) -> bool | None:
        """Whether the case register has ``case_no`` (however its brackets were typed); None when
        there is no case register to ask."""
        with self.db.session() as s:
            if av_rules.case_numbers(s) is None:
                return None
            row = s.execute(
                text(f"SELECT 1 FROM {av_rules.CASE_TABLE} WHERE case_no = :c"),
                {"c": normalize_case_no(case_no)},
            ).first()
        return row is not None

    def case_text(self, case_no: str) -> list[tuple[str, str]]:
        """The case register's row for ``case_no`` as (label, value) pairs (empty without a register)."""
        with self.db.session() as s:
            if av_rules.case_activities(s) is None:
                return []
            row = (
                s.execute(
                    text(f"SELECT * FROM {av_rules.CASE_TABLE} WHERE case_no = :c"), {"c": case_no}
                )
                .mappings()
                .first()
            )
        if row is None:
            return []
        try:  # Chinese labels from the case ledger when it is installed
            from brigade_desk.ledgers.cases.service import CASE_LABELS as labels
        except ImportError:
            labels = {}
        out = []
        for k, v in row.items():
            if k in ("id", "created_at", "updated_at") or v is None or v == "":
                continue
            if k == "activities":
                v = "、".join(av_rules._parse_activities(v))
            elif k == "is_major":
                v = "是" if v else "否"
            out.append((labels.get(k, k), str(v)))
        return out


STATUS_FILTERS = [
    ("", "全部"),
    ("problem", "被修改或缺失"),
    ("ok", VERIFY_LABELS["ok"]),
    ("modified", VERIFY_LABELS["modified"]),
    ("missing", VERIFY_LABELS["missing"]),
    ("moved", VERIFY_LABELS["moved"]),
    ("unchecked", VERIFY_LABELS[""]),
    ("deleted", VERIFY_LABELS["deleted"]),
]
