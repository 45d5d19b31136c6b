"""The training ledger (培训台账): annual plans, sessions and who attended them.

Hours a session earns count in the year (and month) of its **end date** — a multi-day course that
runs over New Year is credited when it finishes. An attendance's ``hours`` is NULL when the person
was credited the session's full hours (so editing the session's hours carries over); a number means
partial credit. An absence earns nothing.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from brigade_desk.core.models.base import Base, TimestampMixin, VersionedMixin


class TrainingCategory(enum.StrEnum):
    POLITICAL = "政治教育"  # political theory and Party education
    PUBLIC_LAW = "公共法律知识"
    BUSINESS = "业务知识"
    SKILLS = "执法技能"


PROFESSIONAL_CATEGORIES = (
    TrainingCategory.PUBLIC_LAW,
    TrainingCategory.BUSINESS,
    TrainingCategory.SKILLS,
)
CATEGORY_LABELS = {
    TrainingCategory.POLITICAL: "政治理论和党性教育",
    TrainingCategory.PUBLIC_LAW: "公共法律知识",
    TrainingCategory.BUSINESS: "业务知识",
    TrainingCategory.SKILLS: "执法技能",
}


def is_professional(category: str) -> bool:
    return category in {c.value for c in PROFESSIONAL_CATEGORIES}


class PlanStatus(enum.StrEnum):
    DRAFT = "草稿"
    APPROVED = "已批准"


class TrainingPlan(VersionedMixin, TimestampMixin, Base):
    """年度培训计划: one per year."""

    __tablename__ = "training_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(4), default=PlanStatus.DRAFT, index=True)
    approved_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    items: Mapped[list[TrainingPlanItem]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by=lambda: [TrainingPlanItem.month, TrainingPlanItem.id],
    )


class TrainingPlanItem(Base):
    __tablename__ = "training_plan_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("training_plan.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[int] = mapped_column(Integer, index=True)
    topic: Mapped[str] = mapped_column(String(200))
    form: Mapped[str] = mapped_column(String(30), default="")
    category: Mapped[str] = mapped_column(String(10), default=TrainingCategory.BUSINESS)
    planned_hours: Mapped[float] = mapped_column(Float, default=0.0)
    organiser: Mapped[str] = mapped_column(String(100), default="")

    plan: Mapped[TrainingPlan] = relationship(back_populates="items")


class TrainingSession(VersionedMixin, TimestampMixin, Base):
    """One training activity (a course, a lecture, a study session, an exam day …)."""

    __tablename__ = "training_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    start_date: Mapped[dt.date] = mapped_column(Date, index=True)
    end_date: Mapped[dt.date] = mapped_column(Date, index=True)  # hours are credited on this date
    title: Mapped[str] = mapped_column(String(200), index=True)
    form: Mapped[str] = mapped_column(String(30), default="", index=True)
    category: Mapped[str] = mapped_column(String(10), default=TrainingCategory.BUSINESS, index=True)
    hours: Mapped[float] = mapped_column(Float)
    organiser: Mapped[str] = mapped_column(String(100), default="", index=True)
    place: Mapped[str] = mapped_column(String(100), default="")
    is_monthly_study: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    is_rotation: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    has_exam: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    pass_score: Mapped[float] = mapped_column(Float, default=60.0)
    plan_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_plan_item.id", ondelete="SET NULL"), nullable=True, index=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")

    attendance: Mapped[list[TrainingAttendance]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="TrainingAttendance.id"
    )


class TrainingAttendance(Base):
    __tablename__ = "training_attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "staff_id", name="uq_training_attendance_session_staff"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # no single-column indexes (migration 0012): session_id and staff_id lead the unique and the
    # (staff_id, session_id) indexes, and the flags and scores are read through the covering index
    # below; each index more costs every import of tens of thousands of rows
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    attended: Mapped[bool] = mapped_column(Boolean, default=True)
    hours: Mapped[float | None] = mapped_column(Float, nullable=True)  # NULL = the session's hours
    absence_reason: Mapped[str] = mapped_column(String(200), default="")
    exam_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    exam_passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    session: Mapped[TrainingSession] = relationship(back_populates="attendance")


Index("ix_training_session_category_end", TrainingSession.category, TrainingSession.end_date)
# a year's exams (has_exam alone matches every year's exams)
Index("ix_training_session_exam_end", TrainingSession.has_exam, TrainingSession.end_date)
Index(
    "ix_training_attendance_staff_session",
    TrainingAttendance.staff_id,
    TrainingAttendance.session_id,
)
# covering index for the per-year sums (hours per person, per month, attendees per session, exam
# counts): a year's sessions are found by end date, then their attendance is read from this index
# alone, without visiting the table rows
Index(
    "ix_training_attendance_session_cover",
    TrainingAttendance.session_id,
    TrainingAttendance.attended,
    TrainingAttendance.staff_id,
    TrainingAttendance.hours,
    TrainingAttendance.exam_score,
    TrainingAttendance.exam_passed,
)
