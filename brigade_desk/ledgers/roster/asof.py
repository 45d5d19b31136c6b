"""The roster as it stood on a given day, read from the history it keeps (read-only).

A report for a period states every figure as it was on the period's last day (or on its as-of day
while the period is still running), not as the roster stands today:

- **status** (在岗 / 离岗 / 调离 / 退休) from the person's dated ``staff_event`` entries
  ("在岗状态：在岗 → 调离", written with the change's own date); a person without such entries keeps
  today's status, except that a leaver whose ``status_date`` falls after the day was still 在岗;
- **on the roster at all**: the only joining date the program keeps is the 登记入册 event (as for
  the rotation rule in ``training/rules.py``), and it is a joining date only when it was recorded as
  one — dated before the day the person was entered (the demo, a back-dated entry) — or when the
  program was already in use on the day (someone had been entered by then). Otherwise it is merely
  the day the clerk typed the roster in, and the person counts. Someone who joined after the day is
  left out unless the ledgers show them in the brigade by then: another roster event or a status
  date on or before the day, or a training record of a session starting on or before it. People
  without a 登记入册 event (imported from Excel, added directly) count;
- **squad, post, category, legal reviewer, front line, body camera**: today's values, except where
  the audit trail (``audit_log``, every change with its old value) shows a change recorded after the
  day: then the value before the first such change;
- **certificates**: held on the day when issued on or before it (the first 发证/换发 event, else the
  issue date); the status on the day from the dated ``certificate_event`` entries (发证/换发/恢复 →
  有效, 暂扣, 收回, 注销, 标记待换发, a 修改 of 证件状态) when those entries lead to today's status —
  otherwise the history is incomplete and today's status is taken; the term (有效期至) as it was
  before any later change in the audit trail.

On a day from today on every figure is the roster as it stands (what ``check`` sees).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brigade_desk.core.models.audit import AuditEntry
from brigade_desk.ledgers.roster.models import (
    LEFT_STATUSES,
    CertAction,
    Certificate,
    CertificateEvent,
    CertStatus,
    Staff,
    StaffCategory,
    StaffEvent,
    StaffStatus,
)

REGISTERED_EVENT = "登记入册"
_STATUS_CHANGE = re.compile(r"在岗状态：\s*(\S+?)\s*→\s*(在岗|离岗|调离|退休)")
# a 修改 of the certificate's status, as the service ("证件状态 有效 → 注销") and the Excel import
# ("status: 有效 → 注销") write it
_CERT_STATUS_EDIT = re.compile(r"(?:证件状态|status:)\s*(\S+?)\s*→\s*(有效|暂扣|收回|注销|待换发)")
_CERT_ACTION_STATUS = {
    CertAction.ISSUE.value: CertStatus.VALID.value,
    CertAction.RENEW.value: CertStatus.VALID.value,
    CertAction.RESTORE.value: CertStatus.VALID.value,
    CertAction.SUSPEND.value: CertStatus.SUSPENDED.value,
    CertAction.REVOKE.value: CertStatus.REVOKED.value,
    CertAction.CANCEL.value: CertStatus.CANCELLED.value,
    CertAction.MARK_RENEWAL.value: CertStatus.PENDING_RENEWAL.value,
}
# staff columns read back from the audit trail (status has its own dated events)
_DAY = dt.timedelta(days=1)
_STAFF_FIELDS = (
    "squad",
    "post",
    "category",
    "is_legal_reviewer",
    "is_front_line",
    "bodycam_no",
)
_CERT_FIELDS = ("cert_no", "issuer", "valid_to", "national_format")


@dataclass(frozen=True)
class CertOn:
    """A certificate as it was on the day (only certificates issued by then)."""

    id: int
    cert_no: str
    issuer: str
    issued_on: dt.date | None
    issue_date: dt.date | None
    valid_to: dt.date | None
    national_format: bool
    status: str
    day: dt.date
    cancel_requested: dt.date | None = None  # cancellation applied for on or before the day

    @property
    def valid(self) -> bool:
        """有效 on the day and within its term (``rules.cert_is_valid`` on the day)."""
        return self.status == CertStatus.VALID and (
            self.valid_to is None or self.valid_to >= self.day
        )

    @property
    def cancelled(self) -> bool:
        return self.status == CertStatus.CANCELLED


@dataclass(frozen=True)
class PersonOn:
    """A person of the roster as they were on ``day``."""

    id: int
    name: str
    sex: str
    id_number: str
    squad: str
    post: str
    category: str
    is_legal_reviewer: bool
    is_front_line: bool
    bodycam_no: str
    phone: str
    notes: str
    status: str
    status_date: dt.date | None  # the date of the status in force on the day (None: never changed)
    certificates: tuple[CertOn, ...]
    day: dt.date

    @property
    def is_officer(self) -> bool:
        return self.category == StaffCategory.OFFICER

    @property
    def in_post(self) -> bool:
        return self.status == StaffStatus.ON_DUTY

    @property
    def has_left(self) -> bool:
        return self.status in LEFT_STATUSES

    @property
    def has_valid_cert(self) -> bool:
        return any(c.valid for c in self.certificates)

    @property
    def open_certificates(self) -> list[CertOn]:
        """Certificates held on the day and not cancelled (a leaver's are to be cancelled)."""
        return [c for c in self.certificates if not c.cancelled]

    @property
    def current_cert(self) -> CertOn | None:
        """The certificate that matters: the newest not cancelled, else the newest."""
        live = [c for c in self.certificates if not c.cancelled]
        pool = live or list(self.certificates)
        if not pool:
            return None
        return max(pool, key=lambda c: (c.issued_on or c.issue_date or dt.date.min, c.id))


def _d(v: Any) -> dt.date | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def _audit_before(
    session: Session, table: str, day: dt.date, fields: Iterable[str]
) -> dict[int, dict[str, Any]]:
    """For each record of ``table``: the old value of every field in ``fields`` whose first change
    was recorded after ``day`` (the value it had on the day)."""
    wanted = set(fields)
    after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    out: dict[int, dict[str, Any]] = {}
    rows = session.execute(
        select(AuditEntry.record_id, AuditEntry.before)
        .where(
            AuditEntry.table_name == table,
            AuditEntry.action == "update",
            AuditEntry.at >= after,
        )
        .order_by(AuditEntry.id)
    )
    for rid, before in rows:
        if not before:
            continue
        try:
            old = json.loads(before)
            key = int(rid)
        except (ValueError, TypeError):
            continue
        if not isinstance(old, dict):
            continue
        seen = out.setdefault(key, {})
        for k, v in old.items():
            if k in wanted and k not in seen:
                seen[k] = v
    return out


def status_on(
    status: str, status_date: dt.date | None, changes: list[tuple[dt.date, str, str]], day: dt.date
) -> tuple[str, dt.date | None]:
    """(status, date it took effect) on ``day`` from the dated changes (date, old, new), oldest
    first; without changes from today's status and status date."""
    before = [c for c in changes if c[0] <= day]
    if before:
        return before[-1][2], before[-1][0]
    if changes:
        return changes[0][1], None
    if status != StaffStatus.ON_DUTY and status_date is not None and status_date > day:
        return StaffStatus.ON_DUTY.value, None
    return status, status_date


def _cert_status_on(current: str, events: list[tuple[dt.date, int, str, str]], day: dt.date) -> str:
    """The status on ``day`` from the dated events (date, id, action, reason), when they lead to
    today's status; otherwise today's status."""

    def walk(evs: Iterable[tuple[dt.date, int, str, str]], start: str | None) -> str | None:
        st = start
        for _d0, _id, action, reason in evs:
            if action in _CERT_ACTION_STATUS:
                st = _CERT_ACTION_STATUS[action]
            elif action == CertAction.EDIT and (m := _CERT_STATUS_EDIT.search(reason)):
                st = m.group(2)
        return st

    ordered = sorted(events)
    if walk(ordered, None) != current:
        return current  # a change the events do not show: only today's status is known
    return walk([e for e in ordered if e[0] <= day], None) or current


def roster_on(
    session: Session,
    day: dt.date,
    *,
    officers_only: bool = False,
    certificates: bool = True,
) -> list[PersonOn]:
    """Everyone on the roster on ``day`` (joined by then; leavers included, with their status on the
    day), by squad, name and id; ``certificates=False`` leaves their certificates out (faster)."""
    cols = [
        Staff.id,
        Staff.name,
        Staff.sex,
        Staff.id_number,
        Staff.phone,
        Staff.notes,
        Staff.status,
        Staff.status_date,
        Staff.created_at,
        *(getattr(Staff, f) for f in _STAFF_FIELDS),
    ]
    staff = session.execute(select(*cols)).all()
    events: dict[int, list[tuple[dt.date, int, str]]] = {}
    for sid, eid, date, what in session.execute(
        select(StaffEvent.staff_id, StaffEvent.id, StaffEvent.date, StaffEvent.what)
    ):
        events.setdefault(sid, []).append((date, eid, what))
    entries = [d for d in (_d(p.created_at) for p in staff) if d is not None]
    first_entry = min(entries, default=None)
    in_use = first_entry is not None and first_entry <= day
    staff_old = _audit_before(session, "staff", day, _STAFF_FIELDS)
    certs = certificates_on(session, day) if certificates else {}
    # people whose 登记入册 is a joining date after the day and whom no roster fact shows in the
    # brigade by then: a training record by the day is the last evidence (one query for them all)
    later: set[int] = set()
    for p in staff:
        evs = events.get(p.id, [])
        registered = [d for d, _i, w in evs if w.startswith(REGISTERED_EVENT)]
        if not registered or min(registered) <= day:
            continue
        entered = _d(p.created_at)
        # a day's slack: created_at is the database's UTC clock, the event date the local day
        backdated = entered is not None and min(registered) < entered - _DAY
        other_event = any(d <= day for d, _i, w in evs if not w.startswith(REGISTERED_EVENT))
        by_status = p.status_date is not None and p.status_date <= day
        if (in_use or backdated) and not (other_event or by_status):
            later.add(p.id)
    if later:
        later -= _trained_by(session, day, later)
    out: list[PersonOn] = []
    for p in staff:
        if p.id in later:
            continue  # joined after the day
        evs = sorted(events.get(p.id, []))
        changes = [
            (d, m.group(1), m.group(2)) for d, _i, w in evs if (m := _STATUS_CHANGE.search(w))
        ]
        status, since = status_on(p.status, p.status_date, changes, day)
        old = staff_old.get(p.id, {})
        vals = {f: old.get(f, p._mapping[f]) for f in _STAFF_FIELDS}
        if officers_only and vals["category"] != StaffCategory.OFFICER:
            continue
        out.append(
            PersonOn(
                id=p.id,
                name=p.name,
                sex=p.sex,
                id_number=p.id_number,
                squad=str(vals["squad"] or ""),
                post=str(vals["post"] or ""),
                category=str(vals["category"]),
                is_legal_reviewer=bool(vals["is_legal_reviewer"]),
                is_front_line=bool(vals["is_front_line"]),
                bodycam_no=str(vals["bodycam_no"] or ""),
                phone=p.phone,
                notes=p.notes,
                status=status,
                status_date=since,
                certificates=tuple(certs.get(p.id, ())),
                day=day,
            )
        )
    out.sort(key=lambda p: (p.squad, p.name, p.id))
    return out


def certificates_on(session: Session, day: dt.date) -> dict[int, list[CertOn]]:
    """Certificates issued on or before ``day``, by staff id, as they were on the day."""
    events: dict[int, list[tuple[dt.date, int, str, str]]] = {}
    for cid, eid, date, action, reason in session.execute(
        select(
            CertificateEvent.certificate_id,
            CertificateEvent.id,
            CertificateEvent.date,
            CertificateEvent.action,
            CertificateEvent.reason,
        )
    ):
        events.setdefault(cid, []).append((date, eid, action, reason or ""))
    old_vals = _audit_before(session, "certificate", day, (*_CERT_FIELDS, "issue_date"))
    out: dict[int, list[CertOn]] = {}
    for c in session.scalars(select(Certificate).order_by(Certificate.id)):
        evs = events.get(c.id, [])
        starts = [d for d, _i, a, _r in evs if a in (CertAction.ISSUE, CertAction.RENEW)]
        old = old_vals.get(c.id, {})
        issue_date = _d(old["issue_date"]) if "issue_date" in old else c.issue_date
        issued_on = min(starts) if starts else issue_date
        if issued_on is not None and issued_on > day:
            continue
        if issue_date is not None and issue_date > day:  # renewed under the same number later
            issue_date = issued_on
        requested = c.cancel_requested if c.cancel_requested and c.cancel_requested <= day else None
        out.setdefault(c.staff_id, []).append(
            CertOn(
                id=c.id,
                cert_no=str(old.get("cert_no", c.cert_no)),
                issuer=str(old.get("issuer", c.issuer) or ""),
                issued_on=issued_on,
                issue_date=issue_date,
                valid_to=_d(old["valid_to"]) if "valid_to" in old else c.valid_to,
                national_format=bool(old.get("national_format", c.national_format)),
                status=_cert_status_on(c.status, evs, day),
                day=day,
                cancel_requested=requested,
            )
        )
    return out


def _trained_by(session: Session, day: dt.date, ids: set[int]) -> set[int]:
    """Those of ``ids`` with a training record (present or absent) of a session starting on or
    before ``day``: evidence of being in the brigade by then (the training ledger's tables)."""
    from brigade_desk.models import Base

    a = Base.metadata.tables.get("training_attendance")
    t = Base.metadata.tables.get("training_session")
    if a is None or t is None:
        return set()
    return set(
        session.scalars(
            select(a.c.staff_id)
            .join(t, t.c.id == a.c.session_id)
            .where(t.c.start_date <= day, a.c.staff_id.in_(sorted(ids)))
            .distinct()
        )
    )


def officers_in_post(session: Session, day: dt.date) -> list[PersonOn]:
    """执法人员 in post (在岗) on ``day``: the people every report of a period counts as 在岗执法人员."""
    return [p for p in roster_on(session, day, officers_only=True) if p.in_post]
