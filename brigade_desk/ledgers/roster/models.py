"""The roster: staff, their enforcement certificates and the dated history of both."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from brigade_desk.core.models.base import Base, TimestampMixin, VersionedMixin


class Sex(enum.StrEnum):
    MALE = "男"
    FEMALE = "女"


class StaffCategory(enum.StrEnum):
    OFFICER = "执法人员"
    AUXILIARY = "执法辅助人员"


class StaffStatus(enum.StrEnum):
    ON_DUTY = "在岗"
    OFF_POST = "离岗"
    TRANSFERRED = "调离"
    RETIRED = "退休"


LEFT_STATUSES = (StaffStatus.OFF_POST, StaffStatus.TRANSFERRED, StaffStatus.RETIRED)


class CertStatus(enum.StrEnum):
    VALID = "有效"
    SUSPENDED = "暂扣"
    REVOKED = "收回"
    CANCELLED = "注销"
    PENDING_RENEWAL = "待换发"


class CertAction(enum.StrEnum):
    ISSUE = "发证"
    RENEW = "换发"
    SUSPEND = "暂扣"
    RESTORE = "恢复"
    REVOKE = "收回"
    CANCEL = "注销"
    MARK_RENEWAL = "标记待换发"
    REQUEST_CANCEL = "申请注销"
    EDIT = "修改"


class Staff(VersionedMixin, TimestampMixin, Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    sex: Mapped[str] = mapped_column(String(2))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    squad: Mapped[str] = mapped_column(String(50), default="", index=True)
    post: Mapped[str] = mapped_column(String(50), default="")
    category: Mapped[str] = mapped_column(String(10), default=StaffCategory.OFFICER, index=True)
    is_legal_reviewer: Mapped[bool] = mapped_column(Boolean, default=False)
    is_front_line: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(4), default=StaffStatus.ON_DUTY, index=True)
    status_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    bodycam_no: Mapped[str] = mapped_column(String(50), default="", index=True)
    phone: Mapped[str] = mapped_column(String(30), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    certificates: Mapped[list[Certificate]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", order_by="Certificate.issue_date"
    )
    events: Mapped[list[StaffEvent]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", order_by="StaffEvent.id"
    )


class Certificate(VersionedMixin, TimestampMixin, Base):
    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    cert_no: Mapped[str] = mapped_column(String(50), unique=True)
    issuer: Mapped[str] = mapped_column(String(100), default="")
    issue_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True, index=True)
    national_format: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(4), default=CertStatus.VALID, index=True)
    cancel_requested: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    staff: Mapped[Staff] = relationship(back_populates="certificates")
    events: Mapped[list[CertificateEvent]] = relationship(
        back_populates="certificate", cascade="all, delete-orphan", order_by="CertificateEvent.id"
    )


class CertificateEvent(Base):
    __tablename__ = "certificate_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificate.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    certificate: Mapped[Certificate] = relationship(back_populates="events")


class StaffEvent(Base):
    """A dated change of a person's status (or other notable fact) for the history view."""

    __tablename__ = "staff_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    what: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    staff: Mapped[Staff] = relationship(back_populates="events")


Index("ix_staff_status_category", Staff.status, Staff.category)
