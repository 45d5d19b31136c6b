"""The roster service: staff, certificates and their history.

The GUI and the command line both go through here. Every write validates first and names each
wrong field in Chinese (:class:`~brigade_desk.core.errors.ValidationError`); each operation is one short
transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from brigade_desk.core import audit, conflict, idcard
from brigade_desk.core.cache import DataCache
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.core.ledger import Registry
from brigade_desk.core.rules import Finding
from brigade_desk.core.textclean import Kind, check_fields
from brigade_desk.ledgers.roster.models import (
    LEFT_STATUSES,
    CertAction,
    Certificate,
    CertificateEvent,
    CertStatus,
    Sex,
    Staff,
    StaffCategory,
    StaffEvent,
    StaffStatus,
)

STAFF_LABELS = {
    "name": "姓名",
    "sex": "性别",
    "id_number": "身份证号",
    "squad": "中队",
    "post": "职务/岗位",
    "category": "人员类别",
    "is_legal_reviewer": "法制审核人员",
    "is_front_line": "一线执法",
    "status": "在岗状态",
    "status_date": "状态变更日期",
    "bodycam_no": "执法记录仪编号",
    "phone": "联系电话",
    "notes": "备注",
}

CERT_LABELS = {
    "cert_no": "执法证号",
    "issuer": "发证机关",
    "issue_date": "发证日期",
    "valid_to": "有效期至",
    "national_format": "全国统一证件",
    "status": "证件状态",
}


@dataclass
class StaffInput:
    name: str = ""
    sex: str = ""
    id_number: str = ""
    squad: str = ""
    post: str = ""
    category: str = StaffCategory.OFFICER.value
    is_legal_reviewer: bool = False
    is_front_line: bool = True
    status: str = StaffStatus.ON_DUTY.value
    status_date: dt.date | None = None
    bodycam_no: str = ""
    phone: str = ""
    notes: str = ""


@dataclass
class CertInput:
    cert_no: str = ""
    issuer: str = ""
    issue_date: dt.date | None = None
    valid_to: dt.date | None = None
    national_format: bool = True
    status: str = CertStatus.VALID.value


EXPIRED = "已过期"  # shown, never stored: 有效 certificates past their 有效期至


@dataclass
class CertView(CertInput):
    id: int = 0
    staff_id: int = 0
    version: int = 1  # as loaded: passed back to update_certificate (core.conflict)
    cancel_requested: dt.date | None = None

    def state(self, as_of: dt.date) -> str:
        """The status as the clerk reads it: a certificate still 有效 on paper but past its 有效期至
        is shown as 已过期 (the rules count it as not valid too)."""
        if self.status == CertStatus.VALID and self.valid_to is not None and self.valid_to < as_of:
            return EXPIRED
        return str(self.status)


@dataclass
class StaffView(StaffInput):
    id: int = 0
    version: int = 1  # as loaded: passed back to save_staff (core.conflict)
    certificates: list[CertView] = field(default_factory=list)

    @property
    def current_cert(self) -> CertView | None:
        """The certificate that matters: a live one, else the most recent."""
        live = [c for c in self.certificates if c.status != CertStatus.CANCELLED]
        pool = live or self.certificates
        return max(pool, key=lambda c: (c.issue_date or dt.date.min, c.id)) if pool else None


@dataclass(frozen=True)
class HistoryEntry:
    date: dt.date
    what: str
    reason: str = ""


@dataclass(frozen=True)
class SaveResult:
    staff_id: int
    # set when the person just left the post and still holds certificates not cancelled
    offer_cancel: list[int] = field(default_factory=list)


def _cert_view(c: Certificate) -> CertView:
    return CertView(
        id=c.id,
        staff_id=c.staff_id,
        version=c.version,
        cert_no=c.cert_no,
        issuer=c.issuer,
        issue_date=c.issue_date,
        valid_to=c.valid_to,
        national_format=c.national_format,
        status=c.status,
        cancel_requested=c.cancel_requested,
    )


def _staff_view(s: Staff) -> StaffView:
    v = StaffView(id=s.id, version=s.version, certificates=[_cert_view(c) for c in s.certificates])
    for f in fields(StaffInput):
        setattr(v, f.name, getattr(s, f.name))
    return v


# ---- validation -----------------------------------------------------------------------------


MIN_AGE = (
    18  # staff (officers and auxiliaries) are adults; a younger birth date is a mistyped ID number
)


# what finds or names a person (core.textclean: an invisible character refused, a zero-width one at
# either end removed) and what is free text (zero-width characters removed, direction and control
# characters refused)
STAFF_TEXT_KINDS = {
    "name": Kind.KEY,
    "id_number": Kind.KEY,
    "squad": Kind.KEY,
    "bodycam_no": Kind.KEY,
    "phone": Kind.KEY,
    "post": Kind.TEXT,
    "notes": Kind.TEXT,
}
CERT_TEXT_KINDS = {"cert_no": Kind.KEY, "issuer": Kind.TEXT}


def validate_staff(data: StaffInput) -> dict[str, str]:
    errs: dict[str, str] = {}
    dirty = check_fields(
        data, STAFF_TEXT_KINDS, STAFF_LABELS
    )  # first: the checks below see the clean text
    data.name = "".join(data.name.split())
    data.id_number = idcard.normalize(data.id_number)
    if not data.name:
        errs["name"] = "姓名不能为空"
    elif len(data.name) > 20:
        errs["name"] = "姓名过长（最多 20 个字）"
    reason = idcard.validate(data.id_number) if data.id_number else "身份证号不能为空"
    if reason:
        errs["id_number"] = reason
    else:
        derived = idcard.sex_of(data.id_number)
        born, today = idcard.birth_date(data.id_number), dt.date.today()
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if age < MIN_AGE:
            errs["id_number"] = (
                f"按身份证号出生日期（{born:%Y-%m-%d}），此人现年 {age} 岁，未满 {MIN_AGE} 周岁，请核对身份证号"
            )
        if not data.sex:
            data.sex = derived
        elif data.sex != derived:
            errs["sex"] = f"性别“{data.sex}”与身份证号（{derived}）不一致"
    if data.sex and data.sex not in {s.value for s in Sex}:
        errs["sex"] = "性别应为“男”或“女”"
    if data.category not in {c.value for c in StaffCategory}:
        errs["category"] = "人员类别应为“执法人员”或“执法辅助人员”"
    if data.status not in {s.value for s in StaffStatus}:
        errs["status"] = "在岗状态应为 在岗 / 离岗 / 调离 / 退休"
    if data.status_date and data.status_date > dt.date.today() + dt.timedelta(days=366):
        errs["status_date"] = "状态变更日期过于靠后，请检查年份"
    # two numbers in one cell ("138…、0571-…") are kept as written
    if data.phone and not all(ch.isdigit() or ch in "-+ ()/、,，;；" for ch in data.phone):
        errs["phone"] = "联系电话只能包含数字和 -（两个号码之间可用“、”或“/”分隔）"
    if data.category == StaffCategory.AUXILIARY and data.is_legal_reviewer:
        errs["is_legal_reviewer"] = "执法辅助人员不能担任法制审核人员"
    errs.update(dirty)  # the cause of whatever else the field's check said
    return errs


def validate_cert(data: CertInput) -> dict[str, str]:
    errs: dict[str, str] = {}
    dirty = check_fields(data, CERT_TEXT_KINDS, CERT_LABELS)
    data.cert_no = "".join(data.cert_no.split())
    if not data.cert_no:
        errs["cert_no"] = "执法证号不能为空"
    if data.status not in {s.value for s in CertStatus}:
        errs["status"] = "证件状态应为 有效 / 暂扣 / 收回 / 注销 / 待换发"
    if data.issue_date and data.valid_to and data.valid_to <= data.issue_date:
        errs["valid_to"] = "有效期至应晚于发证日期"
    if not data.valid_to:
        errs["valid_to"] = "有效期至不能为空"
    errs.update(dirty)
    return errs


# ---- the service ----------------------------------------------------------------------------


class RosterService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # queries
    def list_staff(self) -> list[StaffView]:
        with self.db.session() as s:
            rows = s.scalars(
                select(Staff)
                .options(selectinload(Staff.certificates))
                .order_by(Staff.squad, Staff.name)
            ).all()
            return [_staff_view(r) for r in rows]

    def list_with_findings(
        self, as_of: dt.date, registry: Registry
    ) -> tuple[list[StaffView], list[Finding]]:
        """The roster and every finding about its people (the roster's own rules from the same read,
        the other ledgers' from the shared findings); kept while the data stays the same
        (``core.cache``: the main window computes it in the background)."""
        from brigade_desk.ledgers.roster import rules as roster_rules

        def compute(s: Session) -> tuple[tuple[StaffView, ...], tuple[Finding, ...]]:
            from brigade_desk.core import findings as svc_findings

            staff = roster_rules.load_staff(s)
            own = roster_rules.check(s, as_of, staff)
            # what other ledgers find about a person (training hours, rotation …), from the shared findings
            others = [
                f
                for f in svc_findings.findings(self.db, as_of, registry)
                if f.entity == "staff" and f.rule not in roster_rules.RULES
            ]
            return tuple(_staff_view(r) for r in staff), tuple(own + others)

        staff, found = DataCache.of(self.db).get(("roster", as_of), compute)
        return list(staff), list(found)

    def cached_list_with_findings(
        self, as_of: dt.date
    ) -> tuple[list[StaffView], list[Finding]] | None:
        """``list_with_findings`` when it is already known for the data as it is now (never waits)."""
        hit = DataCache.of(self.db).cached(("roster", as_of))
        return None if hit is None else (list(hit[0]), list(hit[1]))

    def get(self, staff_id: int) -> StaffView:
        with self.db.session() as s:
            st = s.get(Staff, staff_id, options=[selectinload(Staff.certificates)])
            if st is None:
                raise UserError("该人员已被删除。")
            return _staff_view(st)

    def find_by_id_number(self, id_number: str) -> StaffView | None:
        with self.db.session() as s:
            st = s.scalar(select(Staff).where(Staff.id_number == idcard.normalize(id_number)))
            return _staff_view(st) if st else None

    def squads(self) -> list[str]:
        with self.db.session() as s:
            return [r for r in s.scalars(select(Staff.squad).distinct().order_by(Staff.squad)) if r]

    def count(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count(Staff.id))) or 0)

    def history(self, staff_id: int) -> list[HistoryEntry]:
        with self.db.session() as s:
            st = s.get(Staff, staff_id)
            if st is None:
                raise UserError("该人员已被删除。")
            out = [HistoryEntry(e.date, e.what) for e in st.events]
            for c in st.certificates:
                out.extend(
                    HistoryEntry(e.date, f"证件 {c.cert_no}：{e.action}", e.reason)
                    for e in c.events
                )
            return sorted(out, key=lambda h: h.date)

    def audit_history(self, staff_id: int) -> list[audit.HistoryItem]:
        """Every recorded change of the person and their certificates, oldest first."""
        with self.db.session() as s:
            items = audit.history(s, "staff", staff_id)
            cert_ids = s.scalars(
                select(Certificate.id).where(Certificate.staff_id == staff_id)
            ).all()
            for cid in cert_ids:
                items.extend(audit.history(s, "certificate", cid))
        return sorted(items, key=lambda h: h.at)

    # writes
    def save_staff(
        self,
        data: StaffInput,
        staff_id: int | None = None,
        *,
        today: dt.date | None = None,
        version: int | None = None,
    ) -> SaveResult:
        """Save a person. ``version``: the one the dialog showed (StaffView.version); a newer one
        in the database means somebody else saved meanwhile: ConflictError, nothing written."""
        today = today or dt.date.today()
        errs = validate_staff(data)
        with self.db.begin() as s:
            if "id_number" not in errs:
                clash = s.scalar(select(Staff).where(Staff.id_number == data.id_number))
                if clash is not None and clash.id != staff_id:
                    errs["id_number"] = (
                        f"身份证号已登记给“{clash.name}”（{clash.squad or '未分中队'}）"
                    )
            st: Staff | None = None  # the person being edited; None: a new one (staff_id None)
            if staff_id is not None:
                st = s.get(Staff, staff_id)
                if st is None:
                    raise UserError("该人员已被删除，无法保存。")
                conflict.check(s, st, version, f"人员“{st.name}”")
                if data.category == StaffCategory.AUXILIARY and any(
                    c.status != CertStatus.CANCELLED for c in st.certificates
                ):
                    errs["category"] = (
                        "此人持有未注销的执法证件，不能改为执法辅助人员（请先注销证件）"
                    )
            if errs:
                raise ValidationError({k: f"{STAFF_LABELS[k]}：{v}" for k, v in errs.items()})
            if st is None:
                st = Staff()
                s.add(st)
                old_status = None
            else:
                old_status = st.status
            if (
                data.status != old_status
                and data.status != StaffStatus.ON_DUTY
                and data.status_date is None
            ):
                data.status_date = today
            for f in fields(StaffInput):
                setattr(st, f.name, getattr(data, f.name))
            s.flush()
            if old_status is None:
                st.events.append(
                    StaffEvent(date=today, what=f"登记入册（{data.category}，{data.status}）")
                )
            elif old_status != data.status:
                st.events.append(
                    StaffEvent(
                        date=data.status_date or today,
                        what=f"在岗状态：{old_status} → {data.status}",
                    )
                )
            offer: list[int] = []
            if data.status in LEFT_STATUSES and old_status not in LEFT_STATUSES:
                offer = [
                    c.id
                    for c in st.certificates
                    if c.status != CertStatus.CANCELLED and not c.cancel_requested
                ]
            return SaveResult(st.id, offer)

    def delete_staff(self, *staff_ids: int) -> None:
        """Delete people entered by mistake, all or none. Someone the other ledgers refer to (training
        attendance, case officer, AV recording) is refused: deleting would silently take those records
        with them; the clerk changes the person's status (调离、退休…) instead."""
        with self.db.begin() as s:
            people = [p for p in (s.get(Staff, i) for i in staff_ids) if p is not None]
            blockers = _delete_blockers(s, people)
            if blockers:
                raise UserError(
                    "；".join(b.reason for b in blockers)
                    + "，不能删除——删除会连带抹去这些记录。"
                    + KEEP_INSTEAD
                )
            for p in people:
                s.delete(p)

    def delete_blockers(self, *staff_ids: int) -> list[DeleteBlocker]:
        """Why these people cannot be deleted (asked before the clerk is asked to confirm): one entry per
        person whom other ledgers refer to; empty when all of them can be deleted."""
        with self.db.session() as s:
            return _delete_blockers(
                s, [p for p in (s.get(Staff, i) for i in staff_ids) if p is not None]
            )

    def add_certificate(
        self, staff_id: int, data: CertInput, *, today: dt.date | None = None, reason: str = ""
    ) -> int:
        today = today or dt.date.today()
        errs = validate_cert(data)
        with self.db.begin() as s:
            st = s.get(Staff, staff_id)
            if st is None:
                raise UserError("该人员已被删除。")
            if st.category == StaffCategory.AUXILIARY:
                errs["cert_no"] = "执法辅助人员不能持有执法证件"
            self._check_cert_no(s, data.cert_no, None, errs)
            if errs:
                raise ValidationError({k: f"{CERT_LABELS.get(k, k)}：{v}" for k, v in errs.items()})
            c = Certificate(
                staff_id=staff_id, **{f.name: getattr(data, f.name) for f in fields(CertInput)}
            )
            s.add(c)
            c.events.append(
                CertificateEvent(
                    date=data.issue_date or today,
                    action=CertAction.ISSUE,
                    reason=reason or "登记证件",
                )
            )
            s.flush()
            return c.id

    def get_certificate(self, cert_id: int) -> CertView:
        """One certificate as saved now (an editor reloading after a conflict)."""
        with self.db.session() as s:
            c = s.get(Certificate, cert_id)
            if c is None:
                raise UserError("该证件已被删除。")
            return _cert_view(c)

    def update_certificate(
        self,
        cert_id: int,
        data: CertInput,
        *,
        today: dt.date | None = None,
        version: int | None = None,
    ) -> None:
        """Correct a certificate. ``version``: the one the dialog showed (CertView.version); a
        newer one means somebody else saved it meanwhile: ConflictError, nothing written."""
        today = today or dt.date.today()
        errs = validate_cert(data)
        with self.db.begin() as s:
            c = s.get(Certificate, cert_id)
            if c is None:
                raise UserError("该证件已被删除。")
            conflict.check(s, c, version, f"执法证件 {c.cert_no}")
            self._check_cert_no(s, data.cert_no, cert_id, errs)
            if errs:
                raise ValidationError({k: f"{CERT_LABELS.get(k, k)}：{v}" for k, v in errs.items()})
            changes = []
            for f in fields(CertInput):
                old, new = getattr(c, f.name), getattr(data, f.name)
                if old != new:
                    changes.append(f"{CERT_LABELS[f.name]} {_fmt(old)} → {_fmt(new)}")
                    setattr(c, f.name, new)
            if changes:
                c.events.append(
                    CertificateEvent(date=today, action=CertAction.EDIT, reason="；".join(changes))
                )

    def _check_cert_no(
        self, s: Session, cert_no: str, own_id: int | None, errs: dict[str, str]
    ) -> None:
        if "cert_no" in errs or not cert_no:
            return
        clash = s.scalar(select(Certificate).where(Certificate.cert_no == cert_no))
        if clash is not None and clash.id != own_id:
            errs["cert_no"] = f"证号 {cert_no} 已登记给“{clash.staff.name}”"

    def cert_action(
        self,
        cert_id: int,
        action: CertAction,
        *,
        date: dt.date,
        reason: str = "",
        renewal: CertInput | None = None,
    ) -> int:
        """Apply a lifecycle action. Returns the id of the certificate now current (renewal may make a new one)."""
        reason = reason.strip()
        with self.db.begin() as s:
            c = s.get(Certificate, cert_id)
            if c is None:
                raise UserError("该证件已被删除。")
            if c.status == CertStatus.CANCELLED and action not in (CertAction.EDIT,):
                raise UserError(f"证件 {c.cert_no} 已注销，不能再{action.value}。")
            needs_reason = {
                CertAction.SUSPEND,
                CertAction.REVOKE,
                CertAction.CANCEL,
                CertAction.REQUEST_CANCEL,
            }
            if action in needs_reason and not reason:
                raise ValidationError({"reason": f"原因：{action.value}证件必须写明原因"})
            if date > dt.date.today() + dt.timedelta(days=366):
                raise ValidationError({"date": "日期：日期过于靠后，请检查年份"})
            simple = {
                CertAction.SUSPEND: CertStatus.SUSPENDED,
                CertAction.RESTORE: CertStatus.VALID,
                CertAction.REVOKE: CertStatus.REVOKED,
                CertAction.CANCEL: CertStatus.CANCELLED,
                CertAction.MARK_RENEWAL: CertStatus.PENDING_RENEWAL,
            }
            if action == CertAction.RESTORE and c.status != CertStatus.SUSPENDED:
                raise UserError(f"只有暂扣的证件可以恢复，证件 {c.cert_no} 当前为“{c.status}”。")
            if action in simple:
                c.status = simple[action]
                c.events.append(CertificateEvent(date=date, action=action, reason=reason))
                return c.id
            if action == CertAction.REQUEST_CANCEL:
                c.cancel_requested = date
                c.events.append(CertificateEvent(date=date, action=action, reason=reason))
                return c.id
            if action == CertAction.RENEW:
                if renewal is None:
                    raise ValidationError({"cert_no": "执法证号：换发需填写新证信息"})
                renewal.status = CertStatus.VALID.value
                errs = validate_cert(renewal)
                if renewal.cert_no != c.cert_no:
                    self._check_cert_no(s, renewal.cert_no, None, errs)
                if errs:
                    raise ValidationError(
                        {k: f"{CERT_LABELS.get(k, k)}：{v}" for k, v in errs.items()}
                    )
                if renewal.cert_no == c.cert_no:
                    for f in fields(CertInput):
                        setattr(c, f.name, getattr(renewal, f.name))
                    c.events.append(
                        CertificateEvent(
                            date=date,
                            action=action,
                            reason=reason or f"换发，有效期至 {_fmt(renewal.valid_to)}",
                        )
                    )
                    return c.id
                old_no = c.cert_no
                c.status = CertStatus.CANCELLED
                c.events.append(
                    CertificateEvent(
                        date=date,
                        action=CertAction.CANCEL,
                        reason=f"换发新证 {renewal.cert_no}" + (f"；{reason}" if reason else ""),
                    )
                )
                new = Certificate(
                    staff_id=c.staff_id,
                    **{f.name: getattr(renewal, f.name) for f in fields(CertInput)},
                )
                s.add(new)
                new.events.append(
                    CertificateEvent(
                        date=date,
                        action=CertAction.RENEW,
                        reason=f"由 {old_no} 换发" + (f"；{reason}" if reason else ""),
                    )
                )
                s.flush()
                return new.id
            raise UserError(f"未知的证件操作：{action}")


def _fmt(v: object) -> str:
    if v is None or v == "":
        return "（空）"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


# Records of other ledgers that point at a person: (table, column, what the clerk calls them).
STAFF_REFERENCES: list[tuple[str, str, str]] = [
    ("training_attendance", "staff_id", "培训签到记录"),
    ("case_officer", "staff_id", "案件承办记录"),
    ("av_record", "officer_id", "音像记录"),
    ("av_record", "officer2_id", "音像记录（第二执法人员）"),
]


KEEP_INSTEAD = "调离、退休的人员请在“编辑”中把“在岗状态”改为调离或退休，其记录和台账都会保留。"


@dataclass(frozen=True)
class DeleteBlocker:
    """A person who cannot be deleted, and why: the records of other ledgers that name them."""

    staff_id: int
    name: str
    status: str
    used: tuple[tuple[str, int], ...]  # (参训记录, 3) …

    @property
    def reason(self) -> str:
        return f"{self.name} 已有{'、'.join(f'{what} {n} 条' for what, n in self.used)}"


def _delete_blockers(s: Session, people: list[Staff]) -> list[DeleteBlocker]:
    out = []
    for p in people:
        used = staff_references(s, p.id)
        if used:
            out.append(DeleteBlocker(p.id, p.name, str(p.status), tuple(used)))
    return out


def staff_references(s: Session, staff_id: int) -> list[tuple[str, int]]:
    """How many records of each kind in the other ledgers name this person."""
    from brigade_desk.models import Base

    out = []
    for table, col, what in STAFF_REFERENCES:
        t = Base.metadata.tables.get(table)
        if t is None:
            continue
        n = int(s.scalar(select(func.count()).select_from(t).where(t.c[col] == staff_id)) or 0)
        if n:
            out.append((what, n))
    return out
