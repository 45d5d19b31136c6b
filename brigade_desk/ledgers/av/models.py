"""The audio-video record index (执法音像记录台账): storage roots, file-name patterns, records,
ingest batches, duplicates seen, and verification runs with their per-file results.

Paths are kept relative to a registered storage root (``AvStorageRoot``) with ``/`` separators, so
an archive disk that comes back under another drive letter resolves again once the root's path is
updated. Content identity is the SHA-256: one record per distinct content.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from brigade_desk.core.models.base import Base


class Activity(enum.StrEnum):
    SEIZURE = "查封扣押"
    DEMOLITION = "强制拆除"
    INSPECTION = "现场检查"
    INVESTIGATION = "调查取证"
    HEARING = "听证"
    LEFT_SERVICE = "留置送达"
    PUBLIC_SERVICE = "公告送达"
    OTHER = "其他"


ACTIVITIES: list[str] = [a.value for a in Activity]


class VerifyStatus(enum.StrEnum):
    OK = "ok"
    MODIFIED = "modified"
    MISSING = "missing"
    MOVED = "moved"


VERIFY_LABELS = {
    "ok": "完好",
    "modified": "已被修改",
    "missing": "缺失",
    "moved": "已移动",
    "": "未校验",
}


class AvStorageRoot(Base):
    """A folder (office PC folder or archive disk) under which indexed files live."""

    __tablename__ = "av_storage_root"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    path: Mapped[str] = mapped_column(Text)  # absolute path on this machine, editable
    is_archive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class AvNamePattern(Base):
    """A named regular expression for body-camera file names (named groups officer, device,
    start (YYYYMMDDhhmmss), seq, imp). Tried in ``priority`` order; the first match wins."""

    __tablename__ = "av_name_pattern"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    regex: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")


class AvRecord(Base):
    """One indexed file. Searching goes through the FTS5 tables ``fts_av_tri``/``fts_av_uni`` kept in
    step by triggers (migration 0010_av_perf, ``brigade_desk.ledgers.av.search``); a migration that re-creates
    this table must re-create those triggers."""

    __tablename__ = "av_record"
    __table_args__ = (UniqueConstraint("root_id", "rel_path", name="uq_av_record_root_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root_id: Mapped[int] = mapped_column(ForeignKey("av_storage_root.id"), index=True)
    rel_path: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str] = mapped_column(String(255), index=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_mtime: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    media_start: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    time_source: Mapped[str] = mapped_column(String(10), default="")  # 文件名 / 文件时间
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    pattern_name: Mapped[str] = mapped_column(String(100), default="")
    device_no: Mapped[str] = mapped_column(String(50), default="", index=True)
    officer_code: Mapped[str] = mapped_column(String(50), default="")
    officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), nullable=True, index=True
    )
    officer2_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), nullable=True, index=True
    )
    activity: Mapped[str] = mapped_column(String(10), default=Activity.OTHER, index=True)
    case_no: Mapped[str] = mapped_column(String(100), default="", index=True)
    target: Mapped[str] = mapped_column(String(100), default="", index=True)  # party / plate
    place: Mapped[str] = mapped_column(String(200), default="", index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    important: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    retention_years: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None = 永久
    source_root_id: Mapped[int | None] = mapped_column(
        ForeignKey("av_storage_root.id"), nullable=True
    )
    source_rel_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("av_ingest_batch.id", ondelete="SET NULL"), nullable=True, index=True
    )
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime)


Index("ix_av_record_source", AvRecord.source_root_id, AvRecord.source_rel_path)


class AvRecordCheck(Base):
    """The last verification result of a record (one row per verified record).

    Kept apart from ``av_record`` on purpose: a record is written once through the ORM and therefore
    protected by the audit trail (its SHA-256 included); the verification status changes with every
    run and is written in bulk, so it must not live in an audited row.
    """

    __tablename__ = "av_record_check"

    record_id: Mapped[int] = mapped_column(
        ForeignKey("av_record.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(10), index=True)
    verified_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("av_verify_run.id", ondelete="SET NULL"), nullable=True
    )


class AvIngestBatch(Base):
    __tablename__ = "av_ingest_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder: Mapped[str] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    added: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    existing: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    copy_to: Mapped[str] = mapped_column(Text, default="")


class AvDuplicate(Base):
    """A file whose content was already indexed under another path (kept once, reported)."""

    __tablename__ = "av_duplicate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("av_ingest_batch.id", ondelete="CASCADE"), index=True
    )
    record_id: Mapped[int] = mapped_column(
        ForeignKey("av_record.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(Text)


class AvVerifyRun(Base):
    __tablename__ = "av_verify_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[int] = mapped_column(Integer, default=0)
    modified: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    moved: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    scope: Mapped[str] = mapped_column(String(200), default="全部")


class AvVerifyResult(Base):
    __tablename__ = "av_verify_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("av_verify_run.id", ondelete="CASCADE"), index=True
    )
    record_id: Mapped[int] = mapped_column(
        ForeignKey("av_record.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), index=True)
    path: Mapped[str] = mapped_column(Text)
    new_path: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")


# ---- device custody and retention (issue #19, items 2 and 6; migration 0016_av_devices) ---------


class AvDevice(Base):
    """A body camera (执法记录仪) of the brigade: 编号 as the camera writes it into file names."""

    __tablename__ = "av_device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_no: Mapped[str] = mapped_column(String(50), unique=True)
    model: Mapped[str] = mapped_column(String(100), default="")  # 型号
    serial_no: Mapped[str] = mapped_column(String(100), default="")  # 产品序号
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class AvDeviceHolder(Base):
    """Who held a device from ``from_at`` until ``to_at`` (exclusive; None = still holds it).

    Periods of one device never overlap (checked by ``brigade_desk.ledgers.av.service``)."""

    __tablename__ = "av_device_holder"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(
        ForeignKey("av_device.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    from_at: Mapped[dt.datetime] = mapped_column(DateTime)
    to_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")


Index("ix_av_device_holder_period", AvDeviceHolder.device_id, AvDeviceHolder.from_at)


class AvDeletion(Base):
    """The permanent deletion log: one row per indexed file deleted when its retention was due.

    The ``av_record`` row stays (its facts and history remain findable); this row marks it deleted
    and keeps what the file was, who approved the deletion, when and why. Never edited or removed by
    the program (the audit trail shows it if it is)."""

    __tablename__ = "av_deletion"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("av_record.id"), unique=True)
    path: Mapped[str] = mapped_column(Text)  # where the file was (absolute, at deletion)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    media_start: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    device_no: Mapped[str] = mapped_column(String(50), default="")
    case_no: Mapped[str] = mapped_column(String(100), default="")
    activity: Mapped[str] = mapped_column(String(10), default="")
    retention_years: Mapped[int | None] = mapped_column(Integer, nullable=True)
    file_state: Mapped[str] = mapped_column(String(20), default="")  # 已删除 / 删除前已缺失
    reason: Mapped[str] = mapped_column(Text, default="")
    deleted_by: Mapped[str] = mapped_column(String(100), default="")
    deleted_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class AvAttribution(Base):
    """Why a record's officer is who it is: what ingest assumed from the device register (or the
    fallback it used), kept with the record; a correction by the clerk replaces it (audited)."""

    __tablename__ = "av_attribution"

    record_id: Mapped[int] = mapped_column(
        ForeignKey("av_record.id", ondelete="CASCADE"), primary_key=True
    )
    # holder / no_holder / unknown_device / no_device (at ingest) / corrected (by the clerk)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text, default="")

    @property
    def to_check(self) -> bool:
        """Whether the clerk should look at it: the officer was not found by the device register at
        the file's time, or disagreed with the one given for the batch (and nobody corrected it)."""
        return bool(self.conflict) or self.kind not in ("holder", "corrected")


VERIFY_LABELS["deleted"] = (
    "已删除（保存期满）"  # shown for a record whose file was deleted (av_deletion)
)
