"""The training ledger service: sessions, attendance, plans, and the hours views.

The GUI and the command line both go through here. Every write validates first and names each
wrong field in Chinese (:class:`~brigade_desk.core.errors.ValidationError`); each operation is one short
transaction; the UI receives plain dataclasses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from brigade_desk.core import conflict, dialect, settings
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.core.textclean import Kind, check_fields
from brigade_desk.ledgers.roster.models import Staff, StaffStatus
from brigade_desk.ledgers.training import hours as th
from brigade_desk.ledgers.training import queries as tv
from brigade_desk.ledgers.training import settings as training_settings
from brigade_desk.ledgers.training.hours import PersonHours, r2
from brigade_desk.ledgers.training.models import (
    CATEGORY_LABELS,
    PlanStatus,
    TrainingAttendance,
    TrainingCategory,
    TrainingPlan,
    TrainingPlanItem,
    TrainingSession,
)
from brigade_desk.ledgers.training.queries import (
    PersonPick,
    SessionFilter,
    SessionRow,
    YearOverview,
)
from brigade_desk.ledgers.training.settings import FORMS, PASS_SCORE

if TYPE_CHECKING:
    from brigade_desk.ledgers.training.rules import RotationStatus

MAX_SPAN_DAYS = 62
MAX_HOURS = 400.0

SESSION_LABELS = {
    "start_date": "开始日期",
    "end_date": "结束日期",
    "title": "培训名称",
    "form": "培训形式",
    "category": "培训类别",
    "hours": "学时",
    "organiser": "组织单位",
    "place": "培训地点",
    "is_monthly_study": "每月全员集中学法",
    "is_rotation": "计入全员轮训",
    "has_exam": "是否考试",
    "pass_score": "合格分数线",
    "plan_item_id": "对应计划项目",
    "notes": "备注",
    "attendance": "参训人员",
}

PLAN_ITEM_LABELS = {
    "month": "月份",
    "topic": "培训内容",
    "form": "培训形式",
    "category": "培训类别",
    "planned_hours": "计划学时",
    "organiser": "组织单位",
}


@dataclass
class SessionInput:
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    title: str = ""
    form: str = ""
    category: str = TrainingCategory.BUSINESS.value
    hours: float = 0.0
    organiser: str = ""
    place: str = ""
    is_monthly_study: bool = False
    is_rotation: bool = False
    has_exam: bool = False
    pass_score: float = 60.0
    plan_item_id: int | None = None
    notes: str = ""


@dataclass
class AttendanceInput:
    staff_id: int
    attended: bool = True
    hours: float | None = None  # None = the session's full hours
    absence_reason: str = ""
    exam_score: float | None = None
    exam_passed: bool | None = None  # None = derived from the score and the pass mark


@dataclass
class AttendanceView(AttendanceInput):
    name: str = ""
    squad: str = ""
    category: str = ""
    status: str = ""
    id_number: str = ""
    credited: float = 0.0


@dataclass
class SessionView(SessionInput):
    id: int = 0
    version: int = 1  # as loaded: passed back to save_session (core.conflict)
    attendance: list[AttendanceView] = field(default_factory=list)


@dataclass(frozen=True)
class RosterPick:
    id: int
    name: str
    squad: str
    category: str
    status: str
    id_number: str


@dataclass(frozen=True)
class LedgerLine:
    session_id: int
    start_date: dt.date
    end_date: dt.date
    title: str
    form: str
    category: str
    session_hours: float
    attended: bool
    credited: float
    absence_reason: str
    exam_score: float | None
    exam_passed: bool | None


@dataclass
class PersonLedger:
    person: PersonHours
    year: int
    lines: list[LedgerLine]


@dataclass(frozen=True)
class ExamRow:
    session_id: int
    date: dt.date
    title: str
    staff_id: int
    name: str
    squad: str
    score: float | None
    passed: bool | None
    attended: bool
    absence_reason: str


@dataclass
class PlanItemInput:
    month: int = 1
    topic: str = ""
    form: str = ""
    category: str = TrainingCategory.BUSINESS.value
    planned_hours: float = 0.0
    organiser: str = ""


@dataclass
class PlanItemView(PlanItemInput):
    id: int = 0


@dataclass
class PlanView:
    id: int
    year: int
    title: str
    status: str
    approved_date: dt.date | None
    notes: str
    items: list[PlanItemView]
    version: int = 1  # as loaded: passed back to save_plan / set_plan_status (core.conflict)

    @property
    def planned_hours(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for it in self.items:
            out[it.category] = r2(out.get(it.category, 0.0) + it.planned_hours)
        return out


# ---- validation -----------------------------------------------------------------------------


def category_names() -> list[str]:
    return [c.value for c in TrainingCategory]


# a session is found by its date and title: an invisible character in the title is refused (at
# either end a zero-width one removed); the other texts are free (core.textclean)
SESSION_TEXT_KINDS = {
    "title": Kind.KEY,
    "form": Kind.TEXT,
    "organiser": Kind.TEXT,
    "place": Kind.TEXT,
    "notes": Kind.TEXT,
}


def validate_session(data: SessionInput) -> dict[str, str]:
    errs: dict[str, str] = {}
    dirty = check_fields(data, SESSION_TEXT_KINDS, SESSION_LABELS)
    data.title = " ".join(data.title.split())
    data.form = data.form.strip()
    data.organiser = data.organiser.strip()
    data.place = data.place.strip()
    if not data.title:
        errs["title"] = "培训名称不能为空"
    elif len(data.title) > 200:
        errs["title"] = "培训名称过长（最多 200 字）"
    if data.start_date is None:
        errs["start_date"] = "开始日期不能为空"
    else:
        if data.end_date is None:
            data.end_date = data.start_date
        if data.end_date < data.start_date:
            errs["end_date"] = "结束日期不能早于开始日期"
        elif (data.end_date - data.start_date).days > MAX_SPAN_DAYS:
            errs["end_date"] = f"培训跨度超过 {MAX_SPAN_DAYS} 天，请检查日期"
        if data.start_date.year < 2000 or data.end_date.year > dt.date.today().year + 2:
            errs["start_date"] = "日期超出合理范围，请检查年份"
    if not data.form:
        errs["form"] = "培训形式不能为空"
    elif len(data.form) > 30:
        errs["form"] = "培训形式过长（最多 30 字）"
    if data.category not in category_names():
        errs["category"] = "培训类别应为 " + " / ".join(category_names())
    try:
        data.hours = float(data.hours)
    except (TypeError, ValueError):
        errs["hours"] = "学时应为数字"
    else:
        if not 0 < data.hours <= MAX_HOURS:
            errs["hours"] = f"学时应大于 0 且不超过 {MAX_HOURS:g}"
    if not 0 <= float(data.pass_score) <= 100:
        errs["pass_score"] = "合格分数线应在 0–100 之间"
    errs.update(dirty)  # the cause of whatever else the field's check said
    return errs


def validate_attendance(
    data: SessionInput, rows: list[AttendanceInput], names: dict[int, str]
) -> dict[str, str]:
    """Check attendance rows against the session; ``names`` maps staff id → name (all known staff)."""
    problems: list[str] = []
    seen: set[int] = set()
    for a in rows:
        who = names.get(a.staff_id)
        if who is None:
            problems.append(f"人员编号 {a.staff_id} 不在花名册中")
            continue
        if a.staff_id in seen:
            problems.append(f"{who} 重复登记")
        seen.add(a.staff_id)
        if a.attended:
            if a.hours is not None:
                if a.hours < 0:
                    problems.append(f"{who} 的实得学时不能为负数")
                elif isinstance(data.hours, float) and a.hours > data.hours + 1e-9:
                    problems.append(f"{who} 的实得学时 {a.hours:g} 超过本次培训学时 {data.hours:g}")
            if a.exam_score is not None and not 0 <= a.exam_score <= 100:
                problems.append(f"{who} 的考试成绩 {a.exam_score:g} 应在 0–100 之间")
        else:
            if a.exam_score is not None:
                problems.append(f"{who} 缺勤，不能有考试成绩")
    if problems:
        return {"attendance": "；".join(problems[:8]) + ("……" if len(problems) > 8 else "")}
    return {}


def _labelled(errs: dict[str, str], labels: dict[str, str]) -> ValidationError:
    return ValidationError({k: f"{labels.get(k, k)}：{v}" for k, v in errs.items()})


def _normalise_attendance(data: SessionInput, a: AttendanceInput) -> None:
    if not a.attended:
        a.hours = None
        a.exam_score = None
        a.exam_passed = None
        return
    a.absence_reason = ""
    if a.hours is not None and abs(a.hours - data.hours) < 1e-9:
        a.hours = None  # full credit follows the session's hours
    if a.exam_score is not None and a.exam_passed is None:
        a.exam_passed = a.exam_score >= data.pass_score - 1e-9


def apply_session(
    s: Session,
    data: SessionInput,
    rows: list[AttendanceInput],
    training_session_id: int | None,
) -> TrainingSession:
    """Write a validated training session and its attendance (replacing the old list) inside
    ``s``; a new one when ``training_session_id`` is None."""
    if training_session_id is None:
        ts = TrainingSession()
        s.add(ts)
    else:
        found = s.get(TrainingSession, training_session_id)
        if found is None:
            raise UserError("该培训记录已被删除，无法保存。")
        ts = found
    for f in fields(SessionInput):
        setattr(ts, f.name, getattr(data, f.name))
    if any(a.exam_score is not None for a in rows):
        ts.has_exam = True
    s.flush()
    existing = {
        a.staff_id: a
        for a in s.scalars(select(TrainingAttendance).where(TrainingAttendance.session_id == ts.id))
    }
    keep = set()
    for a in rows:
        _normalise_attendance(data, a)
        keep.add(a.staff_id)
        row = existing.get(a.staff_id)
        if row is None:
            row = TrainingAttendance(session_id=ts.id, staff_id=a.staff_id)
            s.add(row)
        row.attended, row.hours, row.absence_reason = a.attended, a.hours, a.absence_reason.strip()
        row.exam_score, row.exam_passed = a.exam_score, a.exam_passed
    for staff_id, row in existing.items():  # through the ORM: the audit trail records each removal
        if staff_id not in keep:
            s.delete(row)
    return ts


def _session_view(ts: TrainingSession, people: dict[int, Staff]) -> SessionView:
    v = SessionView(id=ts.id, version=ts.version)
    for f in fields(SessionInput):
        setattr(v, f.name, getattr(ts, f.name))
    for a in ts.attendance:
        p = people.get(a.staff_id)
        credited = (a.hours if a.hours is not None else ts.hours) if a.attended else 0.0
        v.attendance.append(
            AttendanceView(
                staff_id=a.staff_id,
                attended=a.attended,
                hours=a.hours,
                absence_reason=a.absence_reason,
                exam_score=a.exam_score,
                exam_passed=a.exam_passed,
                name=p.name if p else "",
                squad=p.squad if p else "",
                category=p.category if p else "",
                status=p.status if p else "",
                id_number=p.id_number if p else "",
                credited=r2(credited),
            )
        )
    v.attendance.sort(key=lambda a: (a.squad, a.name))
    return v


# ---- the service ----------------------------------------------------------------------------


class TrainingService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # settings
    def forms(self) -> list[str]:
        with self.db.session() as s:
            return [str(x) for x in settings.get(s, FORMS)]

    def set_forms(self, forms: list[str]) -> list[str]:
        clean = list(dict.fromkeys(f.strip() for f in forms if f.strip()))
        if not clean:
            raise ValidationError({"forms": "培训形式列表：至少保留一种培训形式"})
        too_long = [f for f in clean if len(f) > 30]
        if too_long:
            raise ValidationError({"forms": f"培训形式列表：“{too_long[0]}”过长（最多 30 字）"})
        with self.db.begin() as s:
            settings.set_value(s, FORMS, clean)
        return clean

    def pass_score(self) -> float:
        with self.db.session() as s:
            return float(settings.get(s, PASS_SCORE))

    def required_hours(self) -> float:
        with self.db.session() as s:
            return float(settings.get(s, training_settings.REQUIRED_HOURS))

    # sessions
    def years(self) -> list[int]:
        with self.db.session() as s:
            ys = s.scalars(
                select(func.distinct(dialect.date_text("%Y", TrainingSession.end_date)))
            ).all()
            return sorted({int(y) for y in ys if y}, reverse=True)

    def list_sessions(
        self,
        year: int | None = None,
        *,
        text: str = "",
        form: str = "",
        category: str = "",
        exams_only: bool = False,
    ) -> list[SessionRow]:
        f = SessionFilter(year=year, text=text, form=form, category=category, exams_only=exams_only)
        with self.db.session() as s:
            return tv.list_sessions(s, f)

    # the page's lazy sessions table: ids in SQL, rows fetched a page of ids at a time
    def session_ids(
        self, f: SessionFilter, sort: str = "end_date", descending: bool = True
    ) -> list[int]:
        with self.db.session() as s:
            return tv.session_ids(s, f, sort, descending)

    def session_rows(self, ids: list[int]) -> dict[int, SessionRow]:
        with self.db.session() as s:
            return tv.session_rows(s, ids)

    def session_forms(self, year: int | None = None) -> list[str]:
        """The configured forms plus any other form used by the year's sessions."""
        with self.db.session() as s:
            configured = [str(x) for x in settings.get(s, FORMS)]
            return sorted({*configured, *tv.session_forms(s, year)})

    def year_overview(self, year: int, until: dt.date) -> YearOverview:
        with self.db.session() as s:
            return tv.year_overview(s, year, until)

    def ledger_people(self, year: int, until: dt.date | None = None) -> list[PersonPick]:
        with self.db.session() as s:
            return tv.ledger_people(s, year, until)

    def exam_sessions(self, year: int | None) -> list[tuple[int, dt.date, str]]:
        with self.db.session() as s:
            return tv.exam_sessions(s, year)

    def get_session(self, training_session_id: int) -> SessionView:
        with self.db.session() as s:
            ts = s.get(
                TrainingSession,
                training_session_id,
                options=[selectinload(TrainingSession.attendance)],
            )
            if ts is None:
                raise UserError("该培训记录已被删除。")
            ids = [a.staff_id for a in ts.attendance]
            people = (
                {p.id: p for p in s.scalars(select(Staff).where(Staff.id.in_(ids)))} if ids else {}
            )
            return _session_view(ts, people)

    def save_session(
        self,
        data: SessionInput,
        attendance: list[AttendanceInput],
        training_session_id: int | None = None,
        *,
        version: int | None = None,
    ) -> int:
        """``version``: the one the editor showed; a newer one means somebody else saved the
        session meanwhile: ConflictError, nothing written (core.conflict)."""
        errs = validate_session(data)
        with self.db.begin() as s:
            if training_session_id is not None:
                ts_now = s.get(TrainingSession, training_session_id)
                if ts_now is not None:
                    conflict.check(
                        s,
                        ts_now,
                        version,
                        f"培训“{ts_now.title}”",
                        [("training_attendance", [a.id for a in ts_now.attendance])],
                    )
            ids = [a.staff_id for a in attendance]
            names = (
                dict(s.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids))).all())
                if ids
                else {}
            )
            if "hours" not in errs:
                errs.update(validate_attendance(data, attendance, names))
            if data.plan_item_id is not None and s.get(TrainingPlanItem, data.plan_item_id) is None:
                errs["plan_item_id"] = "对应的计划项目已被删除"
            if errs:
                raise _labelled(errs, SESSION_LABELS)
            loaded = (
                None if training_session_id is None else s.get(TrainingSession, training_session_id)
            )
            was = loaded.version if loaded is not None else None
            ts = apply_session(s, data, attendance, training_session_id)
            if was is not None and ts.version == was:
                conflict.touch(ts)  # a save that changed only the attendance counts too
            return ts.id

    def delete_session(self, training_session_id: int) -> None:
        with self.db.begin() as s:
            ts = s.get(TrainingSession, training_session_id)
            if ts is not None:
                s.delete(ts)

    def roster(self, *, include_ids: list[int] | None = None) -> list[RosterPick]:
        """People to tick attendance from: everyone on duty, plus those already on the list."""
        with self.db.session() as s:
            cond = Staff.status == StaffStatus.ON_DUTY
            if include_ids:
                cond = or_(cond, Staff.id.in_(include_ids))
            rows = s.execute(
                select(
                    Staff.id, Staff.name, Staff.squad, Staff.category, Staff.status, Staff.id_number
                )  # labelled as RosterPick's fields
                .where(cond)
                .order_by(Staff.squad, Staff.name)
            ).all()
            return [RosterPick(**r._mapping) for r in rows]

    def squads(self) -> list[str]:
        with self.db.session() as s:
            return [r for r in s.scalars(select(Staff.squad).distinct().order_by(Staff.squad)) if r]

    # hours views
    def year_summary(
        self, year: int, *, quarter: int | None = None, until: dt.date | None = None
    ) -> list[PersonHours]:
        with self.db.session() as s:
            return th.year_summary(s, year, quarter=quarter, until=until)

    def hours_by_month(self, year: int) -> list[tuple[float, float]]:
        with self.db.session() as s:
            return th.hours_by_month(s, year)

    def rotation_status(self, staff_id: int, as_of: dt.date) -> RotationStatus:
        """Whether the person has done the full-staff rotation (全员轮训), for the person's ledger."""
        from brigade_desk.ledgers.training.rules import rotation_status

        with self.db.session() as s:
            return rotation_status(s, staff_id, as_of)

    def person_ledger(self, staff_id: int, year: int) -> PersonLedger:
        start, end = th.year_bounds(year)
        with self.db.session() as s:
            p = s.get(Staff, staff_id)
            if p is None:
                raise UserError("该人员已被删除。")
            hours = th.credited_hours(s, start, end, [staff_id]).get(staff_id) or PersonHours(
                staff_id, "", "", "", "", ""
            )
            hours.name, hours.id_number, hours.squad, hours.category, hours.status = (
                p.name,
                p.id_number,
                p.squad,
                p.category,
                p.status,
            )
            hours.required = float(settings.get(s, training_settings.REQUIRED_HOURS))
            q = (
                select(TrainingSession, TrainingAttendance)
                .join(TrainingAttendance, TrainingAttendance.session_id == TrainingSession.id)
                .where(
                    TrainingAttendance.staff_id == staff_id,
                    TrainingSession.end_date >= start,
                    TrainingSession.end_date <= end,
                )
                .order_by(TrainingSession.end_date, TrainingSession.id)
            )
            lines = []
            for ts, a in s.execute(q):
                credited = (a.hours if a.hours is not None else ts.hours) if a.attended else 0.0
                lines.append(
                    LedgerLine(
                        session_id=ts.id,
                        start_date=ts.start_date,
                        end_date=ts.end_date,
                        title=ts.title,
                        form=ts.form,
                        category=ts.category,
                        session_hours=ts.hours,
                        attended=a.attended,
                        credited=r2(credited),
                        absence_reason=a.absence_reason,
                        exam_score=a.exam_score,
                        exam_passed=a.exam_passed,
                    )
                )
            return PersonLedger(hours, year, lines)

    def exam_results(
        self, year: int | None = None, *, training_session_id: int | None = None
    ) -> list[ExamRow]:
        with self.db.session() as s:
            return exam_rows(s, year=year, training_session_id=training_session_id)

    # plans
    def get_plan(self, year: int) -> PlanView | None:
        with self.db.session() as s:
            p = s.scalar(
                select(TrainingPlan)
                .where(TrainingPlan.year == year)
                .options(selectinload(TrainingPlan.items))
            )
            return _plan_view(p) if p else None

    def save_plan(
        self,
        year: int,
        items: list[PlanItemInput],
        *,
        title: str = "",
        notes: str = "",
        expected_version: int | None = None,
    ) -> int:
        """Write the year's plan (its items replaced). ``expected_version``: the plan's as the tab
        showed it (0: there was no plan yet); a newer one means somebody else saved the plan
        meanwhile: ConflictError, nothing written (core.conflict). None: no check."""
        errs: list[str] = []
        for i, it in enumerate(items, 1):
            it.topic = it.topic.strip()
            if not 1 <= int(it.month) <= 12:
                errs.append(f"第 {i} 项月份应为 1–12")
            if not it.topic:
                errs.append(f"第 {i} 项培训内容不能为空")
            if it.category not in category_names():
                errs.append(f"第 {i} 项培训类别无效")
            if not 0 <= float(it.planned_hours) <= MAX_HOURS:
                errs.append(f"第 {i} 项计划学时应在 0–{MAX_HOURS:g} 之间")
        if not 2000 <= year <= 2100:
            errs.insert(0, "年度无效")
        if errs:
            raise ValidationError({"items": "计划项目：" + "；".join(errs)})
        with self.db.begin() as s:
            p = s.scalar(select(TrainingPlan).where(TrainingPlan.year == year))
            if p is None:
                p = TrainingPlan(year=year, status=PlanStatus.DRAFT)
                s.add(p)
            else:
                _check_plan(s, p, expected_version)
                conflict.touch(p)  # a save that changed only the items counts too
            p.title = title.strip() or f"{year}年度执法人员培训计划"
            p.notes = notes
            old = {it.id: it for it in p.items}
            if old:  # sessions linked to a replaced item lose the link through the ORM (audited),
                # not through the database's ON DELETE SET NULL behind the audit trail's back
                for ts in s.scalars(
                    select(TrainingSession).where(TrainingSession.plan_item_id.in_(list(old)))
                ):
                    ts.plan_item_id = None
            p.items.clear()
            s.flush()
            del old
            for it in items:
                p.items.append(
                    TrainingPlanItem(
                        month=int(it.month),
                        topic=it.topic,
                        form=it.form.strip(),
                        category=it.category,
                        planned_hours=float(it.planned_hours),
                        organiser=it.organiser.strip(),
                    )
                )
            s.flush()
            return p.id

    def set_plan_status(
        self,
        year: int,
        status: str,
        approved_date: dt.date | None = None,
        *,
        expected_version: int | None = None,
    ) -> int:
        """Approve the plan or put it back to draft; ``expected_version`` as for save_plan.
        Returns the plan's version after the change."""
        if status not in {x.value for x in PlanStatus}:
            raise ValidationError({"status": "计划状态：应为 草稿 / 已批准"})
        if status == PlanStatus.APPROVED and approved_date is None:
            raise ValidationError({"approved_date": "批准日期：批准计划须填写批准日期"})
        with self.db.begin() as s:
            p = s.scalar(select(TrainingPlan).where(TrainingPlan.year == year))
            if p is None:
                raise UserError(f"{year} 年还没有培训计划，请先编制计划。")
            _check_plan(s, p, expected_version)
            p.status = status
            p.approved_date = approved_date if status == PlanStatus.APPROVED else None
            s.flush()
            return p.version


def _check_plan(s: Session, p: TrainingPlan, expected_version: int | None) -> None:
    conflict.check(
        s,
        p,
        expected_version,
        f"{p.year}年度培训计划",
        [("training_plan_item", [it.id for it in p.items])],
    )


def _plan_view(p: TrainingPlan) -> PlanView:
    return PlanView(
        id=p.id,
        version=p.version,
        year=p.year,
        title=p.title,
        status=p.status,
        approved_date=p.approved_date,
        notes=p.notes,
        items=[
            PlanItemView(
                id=it.id,
                month=it.month,
                topic=it.topic,
                form=it.form,
                category=it.category,
                planned_hours=it.planned_hours,
                organiser=it.organiser,
            )
            for it in p.items
        ],
    )


def exam_rows(
    s: Session, *, year: int | None = None, training_session_id: int | None = None
) -> list[ExamRow]:
    q = (
        select(  # labelled as ExamRow's fields
            TrainingSession.id.label("session_id"),
            TrainingSession.end_date.label("date"),
            TrainingSession.title,
            Staff.id.label("staff_id"),
            Staff.name,
            Staff.squad,
            TrainingAttendance.exam_score.label("score"),
            TrainingAttendance.exam_passed.label("passed"),
            TrainingAttendance.attended,
            TrainingAttendance.absence_reason,
        )
        .join(TrainingAttendance, TrainingAttendance.session_id == TrainingSession.id)
        .join(Staff, Staff.id == TrainingAttendance.staff_id)
        .where(TrainingSession.has_exam.is_(True))
        .order_by(
            TrainingSession.end_date.desc(),
            TrainingSession.id,
            TrainingAttendance.exam_score.desc(),
            Staff.name,
        )
    )
    if year:
        q = q.where(
            TrainingSession.end_date >= dt.date(year, 1, 1),
            TrainingSession.end_date <= dt.date(year, 12, 31),
        )
    if training_session_id is not None:
        q = q.where(TrainingSession.id == training_session_id)
    return [ExamRow(**r._mapping) for r in s.execute(q)]


def category_label(c: str) -> str:
    try:
        return CATEGORY_LABELS[TrainingCategory(c)]
    except ValueError:
        return c
