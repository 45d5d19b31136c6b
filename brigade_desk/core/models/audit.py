"""The audit trail: append-only, hash-chained record of every create, update and delete."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from brigade_desk.core.models.base import Base

HASH_TYPE = String(64).with_variant(String(80), "postgresql")


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    os_user: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(10))  # create / update / delete
    table_name: Mapped[str] = mapped_column(String(60))
    record_id: Mapped[str] = mapped_column(String(60))
    before: Mapped[str | None] = mapped_column(
        Text, nullable=True
    )  # JSON of changed fields' old values
    after: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON of the full row after
    # a keyed entry's hash is "k1:<key id>:<64 hex>" (76 characters): SQLite never enforced the
    # 64, PostgreSQL does — its tables (all made by today's chain) get room for it
    prev_hash: Mapped[str] = mapped_column(HASH_TYPE)
    hash: Mapped[str] = mapped_column(HASH_TYPE)


Index("ix_audit_record", AuditEntry.table_name, AuditEntry.record_id, AuditEntry.id)
