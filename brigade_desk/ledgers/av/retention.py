"""Retention (保存期限): which indexed files are due for deletion, and deleting them on approval.

A file is proposed when ALL of these hold:

- it is not linked to a case (``case_no`` empty) — case evidence is never proposed;
- it is not marked important (重点);
- its record has a retention (``retention_years`` not None: None means 永久), and the current
  setting for its activity (``av.retention_years``) is not 永久 either; the longer of the two
  counts (a setting raised later keeps files longer, lowered later never shortens a kept file's
  term below what it was indexed with);
- its shooting time (``media_start``, else the ingest time) plus that many years is on or before
  the day asked about;
- it has not been deleted already.

Deleting is the clerk's act (``delete(..., by=..., reason=...)``), file by file, each re-checked at
that moment. The file is first renamed beside itself (``.~av-del-*``), the deletion log row
(``av_deletion``: file, SHA-256, size, case/activity, who, when, reason) is committed, and only then
is the renamed file removed; a failure before the commit renames it back. A file that was already
missing is logged as 删除前已缺失. The ``av_record`` row stays: the record is shown as deleted (its
deletion row) rather than vanishing, and its verification history is kept. A file whose content no
longer matches its SHA-256 is not deleted (run 校验 first: it may be evidence of tampering).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import brigade_desk.models  # noqa: F401
from brigade_desk.core import settings
from brigade_desk.core.audit import os_user
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError, ValidationError, describe_os_error
from brigade_desk.core.textclean import DirtyText, Kind, clean
from brigade_desk.ledgers.av import roots
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.av.hashing import hash_file
from brigade_desk.ledgers.av.models import AvDeletion, AvRecord, AvStorageRoot

DEFAULT_REASON = "保存期限届满"
DEL_PREFIX = ".~av-del-"
STATE_DELETED = "已删除"
STATE_WAS_MISSING = "删除前已缺失"


def add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February in a year without one
        return d.replace(year=d.year + years, day=28)


@dataclass(frozen=True)
class Proposal:
    record_id: int
    path: str
    file_name: str
    size: int
    sha256: str
    media_start: dt.datetime | None
    activity: str
    device_no: str
    years: int
    due_on: dt.date

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.record_id,
            "path": self.path,
            "file_name": self.file_name,
            "size": self.size,
            "sha256": self.sha256,
            "media_start": self.media_start.isoformat(sep=" ") if self.media_start else None,
            "activity": self.activity,
            "device_no": self.device_no,
            "retention_years": self.years,
            "due_on": self.due_on.isoformat(),
        }


@dataclass(frozen=True)
class DeletionView:
    id: int
    record_id: int
    path: str
    file_name: str
    sha256: str
    size: int
    media_start: dt.datetime | None
    device_no: str
    case_no: str
    activity: str
    retention_years: int | None
    file_state: str
    reason: str
    deleted_by: str
    deleted_at: dt.datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record_id": self.record_id,
            "path": self.path,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "size": self.size,
            "media_start": self.media_start.isoformat(sep=" ") if self.media_start else None,
            "device_no": self.device_no,
            "case_no": self.case_no,
            "activity": self.activity,
            "retention_years": self.retention_years,
            "file_state": self.file_state,
            "reason": self.reason,
            "deleted_by": self.deleted_by,
            "deleted_at": self.deleted_at.isoformat(sep=" "),
        }


def _years(rec_years: int | None, setting: dict[str, Any], activity: str) -> int | None:
    """The term that applies (None: keep for ever)."""
    if rec_years is None:
        return None
    if activity not in setting:
        return rec_years
    now = setting[activity]
    if now is None:
        return None
    return max(int(rec_years), int(now))


def _why_not(s: Session, r: AvRecord, as_of: dt.date, setting: dict[str, Any]) -> str:
    """Why ``r`` may not be deleted now ("" when it may)."""
    if s.scalar(select(AvDeletion.id).where(AvDeletion.record_id == r.id)) is not None:
        return "已删除"
    if r.case_no:
        return f"关联案件 {r.case_no}，作为案件证据不删除"
    if r.important:
        return "标为重点，不删除"
    years = _years(r.retention_years, setting, r.activity)
    if years is None:
        return "保存期限为永久"
    base = (r.media_start or r.ingested_at).date()
    due = add_years(base, years)
    if due > as_of:
        return f"保存期限 {years} 年，{due:%Y-%m-%d} 到期，尚未到期"
    return ""


def proposals(db: Database, as_of: dt.date | None = None) -> list[Proposal]:
    """Files whose retention is due on ``as_of`` (default today), oldest first."""
    as_of = as_of or dt.date.today()
    with db.session() as s:
        setting = dict(settings.get(s, av_settings.AV_RETENTION_YEARS) or {})
        rmap = {r.id: r.path for r in s.scalars(select(AvStorageRoot))}
        deleted = select(AvDeletion.record_id)
        q = (
            select(AvRecord)
            .where(
                AvRecord.case_no == "",
                AvRecord.important.is_(False),
                AvRecord.retention_years.is_not(None),
                AvRecord.id.not_in(deleted),
            )
            .order_by(AvRecord.media_start, AvRecord.id)
        )
        out = []
        for r in s.scalars(q):
            years = _years(r.retention_years, setting, r.activity)
            if years is None:
                continue
            due = add_years((r.media_start or r.ingested_at).date(), years)
            if due > as_of:
                continue
            out.append(
                Proposal(
                    r.id,
                    str(roots.resolve(rmap[r.root_id], r.rel_path)),
                    r.file_name,
                    r.size,
                    r.sha256,
                    r.media_start,
                    r.activity,
                    r.device_no,
                    years,
                    due,
                )
            )
        return out


def _clean_reason(reason: str) -> str:
    try:
        out, _ = clean(reason.strip(), Kind.TEXT)
    except DirtyText as exc:
        raise ValidationError({"reason": f"「删除原因」{exc}"}) from None
    return out or DEFAULT_REASON


@dataclass
class DeleteResult:
    deleted: list[DeletionView]
    refused: list[tuple[int, str]]  # (record id, why) — nothing done for these

    def as_json(self) -> dict[str, Any]:
        return {
            "deleted": [d.as_json() for d in self.deleted],
            "refused": [{"id": i, "message": m} for i, m in self.refused],
        }


def delete(
    db: Database,
    record_ids: list[int],
    *,
    by: str = "",
    reason: str = "",
    as_of: dt.date | None = None,
) -> DeleteResult:
    """Delete the approved files (each re-checked now); log each in ``av_deletion``."""
    as_of = as_of or dt.date.today()
    reason = _clean_reason(reason)
    by = (by or "").strip() or os_user()
    res = DeleteResult([], [])
    for rid in dict.fromkeys(record_ids):
        try:
            res.deleted.append(_delete_one(db, rid, by, reason, as_of))
        except UserError as exc:
            res.refused.append((rid, exc.message))
    return res


def _delete_one(db: Database, rid: int, by: str, reason: str, as_of: dt.date) -> DeletionView:
    with db.session() as s:
        r = s.get(AvRecord, rid)
        if r is None:
            raise UserError(f"音像记录 #{rid} 不存在")
        setting = dict(settings.get(s, av_settings.AV_RETENTION_YEARS) or {})
        why = _why_not(s, r, as_of, setting)
        if why:
            raise UserError(f"音像记录 #{rid}（{r.file_name}）未删除：{why}")
        root = s.get(AvStorageRoot, r.root_id)
        assert root is not None
        root_path, name = root.path, r.file_name
        path = roots.resolve(root_path, r.rel_path)
        size, sha = r.size, r.sha256
    aside: Path | None = None
    state = STATE_DELETED
    if not Path(root_path).is_dir():
        raise UserError(
            f"音像记录 #{rid}（{name}）未删除：存储位置 {root_path} 当前不可访问"
            "（移动硬盘未连接或盘符已变）；请连接后再删除。"
        )
    if path.is_file():
        if path.stat().st_size != size or hash_file(path)[0] != sha:
            raise UserError(
                f"音像记录 #{rid}（{name}）未删除：文件内容与入库时的 SHA-256 不符"
                "（可能被修改），请先校验并查明原因。"
            )
        aside = path.with_name(f"{DEL_PREFIX}{uuid.uuid4().hex}{path.suffix}")
        try:
            os.rename(path, aside)
        except OSError as exc:
            raise UserError(
                f"音像记录 #{rid}（{name}）未删除：{describe_os_error(exc, path)}"
            ) from exc
    else:
        state = STATE_WAS_MISSING
    try:
        with db.begin() as s:
            r2 = s.get(AvRecord, rid)
            assert r2 is not None
            row = AvDeletion(
                record_id=rid,
                path=str(path),
                file_name=r2.file_name,
                sha256=r2.sha256,
                size=r2.size,
                media_start=r2.media_start,
                device_no=r2.device_no,
                case_no=r2.case_no,
                activity=r2.activity,
                retention_years=r2.retention_years,
                file_state=state,
                reason=reason,
                deleted_by=by[:100],
                deleted_at=dt.datetime.now().replace(microsecond=0),
            )
            s.add(row)
            s.flush()
            view = _view(row)
    except BaseException:
        if aside is not None and aside.exists() and not path.exists():
            os.rename(aside, path)
        raise
    if aside is not None:
        try:
            aside.unlink()
        except OSError:  # logged as deleted; the renamed leftover is removed on the next try
            pass
    return view


def _view(d: AvDeletion) -> DeletionView:
    return DeletionView(
        d.id,
        d.record_id,
        d.path,
        d.file_name,
        d.sha256,
        d.size,
        d.media_start,
        d.device_no,
        d.case_no,
        d.activity,
        d.retention_years,
        d.file_state,
        d.reason,
        d.deleted_by,
        d.deleted_at,
    )


def deletion_log(db: Database, limit: int = 10_000) -> list[DeletionView]:
    with db.session() as s:
        return [
            _view(d)
            for d in s.scalars(
                select(AvDeletion)
                .order_by(AvDeletion.deleted_at.desc(), AvDeletion.id.desc())
                .limit(limit)
            )
        ]


def deletion_of(db: Database, record_id: int) -> DeletionView | None:
    with db.session() as s:
        d = s.scalars(select(AvDeletion).where(AvDeletion.record_id == record_id)).first()
        return _view(d) if d is not None else None
