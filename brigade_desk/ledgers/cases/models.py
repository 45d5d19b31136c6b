"""The case register (案件登记) and the case-file self-review (案卷自查/评查).

``case_record`` holds one row per case as exported from the province's online system. Officers are
linked to the roster through ``case_officer``. ``activities`` is a JSON list of Chinese activity
names (查封扣押, 强制拆除 …) that the AV ledger reads.

The review side: checklist templates (immutable versions), the yearly sample with its seed, one
review per file and year with its item scores, and rectifications of failed items.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from brigade_desk.core.models.base import Base, TimestampMixin, VersionedMixin
from brigade_desk.ledgers.roster.models import Staff


class PartyType(enum.StrEnum):
    PERSON = "个人"
    ORG = "单位"


class CaseCategory(enum.StrEnum):
    PENALTY = "行政处罚"
    COERCION = "行政强制"
    INSPECTION = "行政检查"
    LICENSING = "行政许可"
    OTHER = "其他"


class Procedure(enum.StrEnum):
    SIMPLE = "简易"
    ORDINARY = "普通"


DOMAINS = ("道路运政", "公路路政", "水路运政", "港口", "工程质量", "航道", "城市客运", "其他")
ACTIVITIES = (
    "查封扣押",
    "强制拆除",
    "现场检查",
    "调查取证",
    "听证",
    "留置送达",
    "公告送达",
    "先行登记保存",
    "暂扣车辆",
    "强制执行",
)

# date fields of a case, in procedural order, with their Chinese labels
CASE_DATES: dict[str, str] = {
    "filed_on": "立案日期",
    "investigated_on": "调查终结日期",
    "notified_on": "告知日期",
    "hearing_notice_on": "听证告知日期",
    "legal_review_on": "法制审核日期",
    "collective_on": "集体讨论日期",
    "decided_on": "决定日期",
    "served_on": "送达日期",
    "executed_on": "执行完毕日期",
    "closed_on": "结案日期",
    "reported_on": "备案日期",
    "published_on": "公示日期",
    "reconsidered_on": "申请复议日期",
    "sued_on": "提起诉讼日期",
    "transferred_on": "涉罪移送日期",
}

case_officer = Table(
    "case_officer",
    Base.metadata,
    Column("case_id", ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True),
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class CaseRecord(VersionedMixin, TimestampMixin, Base):
    __tablename__ = "case_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(80), unique=True)
    cause: Mapped[str] = mapped_column(String(300), default="")
    party: Mapped[str] = mapped_column(String(200), default="", index=True)
    party_type: Mapped[str] = mapped_column(String(4), default=PartyType.PERSON)
    domain: Mapped[str] = mapped_column(String(20), default="", index=True)
    category: Mapped[str] = mapped_column(String(10), default=CaseCategory.PENALTY, index=True)
    procedure: Mapped[str] = mapped_column(String(4), default=Procedure.ORDINARY, index=True)
    filed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    investigated_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    notified_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    hearing_notice_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    legal_review_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    collective_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    decided_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    served_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    executed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    reported_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    published_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # 行政复议 applied for, 行政诉讼 brought, 行刑衔接 transfer of a suspected crime (monthly statistics)
    reconsidered_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    sued_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    transferred_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    fine_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    confiscation_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    is_major: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    activities: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")

    officers: Mapped[list[Staff]] = relationship(secondary=case_officer, order_by=Staff.id)


class ChecklistTemplate(Base):
    """One immutable version of a checklist template; editing creates the next version."""

    __tablename__ = "checklist_template"
    __table_args__ = (
        UniqueConstraint("code", "version", name="uq_checklist_template_code_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    body: Mapped[dict[str, object]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(20), default="resource")  # resource / edited
    created_on: Mapped[dt.date] = mapped_column(Date)


class ReviewSample(Base):
    """The yearly sample: seed, minimum per category and the date it was drawn."""

    __tablename__ = "review_sample"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    seed: Mapped[int] = mapped_column(Integer)
    per_category: Mapped[int] = mapped_column(Integer)
    drawn_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    items: Mapped[list[ReviewSampleCase]] = relationship(
        back_populates="sample", cascade="all, delete-orphan", order_by="ReviewSampleCase.id"
    )


class ReviewSampleCase(Base):
    __tablename__ = "review_sample_case"
    __table_args__ = (
        UniqueConstraint("sample_id", "case_id", name="uq_review_sample_case_sample_case"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(
        ForeignKey("review_sample.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    added_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")

    sample: Mapped[ReviewSample] = relationship(back_populates="items")
    case: Mapped[CaseRecord] = relationship()


class CaseReview(VersionedMixin, TimestampMixin, Base):
    """The review of one case file in one year's review, scored on one template version."""

    __tablename__ = "case_review"
    __table_args__ = (UniqueConstraint("case_id", "year", name="uq_case_review_case_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer, index=True)
    template_code: Mapped[str] = mapped_column(String(50))
    template_version: Mapped[int] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(100), default="")
    reviewed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), nullable=True)
    grade: Mapped[str] = mapped_column(String(4), default="", index=True)
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    remarks: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[CaseRecord] = relationship()
    items: Mapped[list[ReviewItem]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewItem.id"
    )
    rectifications: Mapped[list[Rectification]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="Rectification.id"
    )


class ReviewItem(Base):
    """The score of one checklist item (or the hit of one veto item) with its remark."""

    __tablename__ = "review_item"
    __table_args__ = (
        UniqueConstraint("review_id", "item_code", name="uq_review_item_review_item"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("case_review.id", ondelete="CASCADE"), index=True
    )
    item_code: Mapped[str] = mapped_column(String(20))
    score: Mapped[Decimal | None] = mapped_column(
        Numeric(6, 2), nullable=True
    )  # None for veto items
    veto_hit: Mapped[bool] = mapped_column(Boolean, default=False)
    remark: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[CaseReview] = relationship(back_populates="items")


class Rectification(VersionedMixin, TimestampMixin, Base):
    __tablename__ = "rectification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("case_review.id", ondelete="CASCADE"), index=True
    )
    item_code: Mapped[str] = mapped_column(String(20), default="")
    problem: Mapped[str] = mapped_column(Text, default="")
    assignee: Mapped[str] = mapped_column(String(100), default="")
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    done_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    evidence: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[CaseReview] = relationship(back_populates="rectifications")


Index("ix_case_record_category_closed", CaseRecord.category, CaseRecord.closed_on)


class CaseActivityWindow(Base):
    """When one of a case's enforcement activities (查封扣押, 强制拆除 …) took place: its 开始/结束.

    The AV ledger's ``av_missing_full_process`` rule compares the union of the case's recordings of
    that activity with these windows (coverage by time); an activity without a window is checked for
    the presence of a recording only."""

    __tablename__ = "case_activity_window"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    activity: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ended_at: Mapped[dt.datetime] = mapped_column(DateTime)
    notes: Mapped[str] = mapped_column(Text, default="")


Index(
    "ix_case_activity_window_case_activity", CaseActivityWindow.case_id, CaseActivityWindow.activity
)
