"""Verification: prove that nothing indexed was altered or lost.

Every indexed file (or a chosen subset) is looked up under its storage root and re-hashed:

- ``ok``       — present with the indexed SHA-256;
- ``modified`` — present with another size or another SHA-256 (the record keeps the original hash);
- ``missing``  — not at its path and not found anywhere else under the registered roots;
- ``moved``    — not at its path, but a file with the same size and SHA-256 exists under a registered
  root at a path no record owns: the record is pointed at the new path and the move is reported.

A run and every per-file result are kept with their date (``av_verify_run`` / ``av_verify_result``);
each record keeps its last status for the ``av_integrity`` rule. Hashing uses a thread pool, results
are written by the calling thread in batches. Cancelling keeps what was checked so far and marks the
run cancelled.

:func:`verify_budget` is the rolling variant for a brigade's volume (a full verify of ~90 TB a year
cannot run nightly): it takes the index in :func:`budget_order` — never verified first, case evidence
and permanently kept files with a head start, then the longest since its last verification — and
stops starting files once its time budget is spent; the next run carries on where the order stands.
:func:`verified_share` says how much of the index was verified in the last 30/90 days (home page).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Generator, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from concurrent.futures import wait as fwait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from brigade_desk.core import audit, dialect, settings
from brigade_desk.core.db import Database
from brigade_desk.core.errors import Cancelled
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.av import media, roots
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.av.hashing import hash_file
from brigade_desk.ledgers.av.ingest import TMP_PREFIX, _fmt_bytes
from brigade_desk.ledgers.av.models import (
    AvDeletion,
    AvRecord,
    AvRecordCheck,
    AvStorageRoot,
    AvVerifyResult,
    AvVerifyRun,
    VerifyStatus,
)

BATCH = 500


@dataclass
class VerifyResult:
    run_id: int = 0
    checked: int = 0
    ok: int = 0
    modified: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    moved: list[dict[str, str]] = field(default_factory=list)
    cancelled: bool = False

    @property
    def failed(self) -> bool:
        return bool(self.modified or self.missing)

    def as_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "ok": self.ok,
            "modified": self.modified,
            "missing": self.missing,
            "moved": self.moved,
            "cancelled": self.cancelled,
            "run_id": self.run_id,
        }

    def summary(self) -> str:
        s = (
            f"校验 {self.checked} 个：完好 {self.ok}，被修改 {len(self.modified)}，缺失 {len(self.missing)}，"
            f"已移动 {len(self.moved)}"
        )
        return ("已取消。" if self.cancelled else "") + s


@dataclass(frozen=True)
class _Rec:
    id: int
    root_id: int
    rel: str
    size: int
    sha: str
    path: Path


def _walk_unowned(
    root_list: Sequence[tuple[int, str]], owned: set[str], sizes: set[int]
) -> Iterable[tuple[int, Path, int]]:
    """Files under the roots that no record owns and whose size is one we are looking for."""
    seen: set[str] = set()
    for root_id, rpath in sorted(root_list, key=lambda r: -len(r[1])):  # innermost root first
        if not os.path.isdir(rpath):
            continue
        for dirpath, dirnames, filenames in os.walk(rpath):
            dirnames.sort()
            for name in sorted(filenames):
                if name.startswith(TMP_PREFIX):
                    continue
                p = os.path.join(dirpath, name)
                key = roots.norm(p)
                if key in seen or key in owned:
                    continue
                seen.add(key)
                if Path(name).suffix.lower() not in media.MEDIA_EXT:
                    continue
                try:
                    size = os.stat(p).st_size
                except OSError:
                    continue
                if size in sizes:
                    yield root_id, Path(p), size


def verify(
    db: Database,
    record_ids: Sequence[int] | None = None,
    *,
    workers: int = 2,
    progress: Progress | None = None,
    find_moved: bool = True,
) -> VerifyResult:
    progress = progress or Progress()
    now = dt.datetime.now()
    with db.begin() as s:
        run = AvVerifyRun(
            started_at=now, scope="全部" if record_ids is None else f"选定 {len(record_ids)} 个"
        )
        s.add(run)
        s.flush()
        run_id = run.id
        rmap = roots.roots_map(s)
        root_list = [(r.id, r.path) for r in s.scalars(select(AvStorageRoot))]
        q = select(
            AvRecord.id, AvRecord.root_id, AvRecord.rel_path, AvRecord.size, AvRecord.sha256
        ).where(AvRecord.id.not_in(select(AvDeletion.record_id)))  # deleted when due: not missing
        rows = s.execute(q.order_by(AvRecord.id)).all()
    wanted = set(record_ids) if record_ids is not None else None
    owned = {roots.norm(roots.resolve(rmap[r.root_id], r.rel_path)) for r in rows}
    recs = [
        _Rec(
            r.id,
            r.root_id,
            r.rel_path,
            r.size,
            r.sha256,
            roots.resolve(rmap[r.root_id], r.rel_path),
        )
        for r in rows
        if wanted is None or r.id in wanted
    ]

    result = VerifyResult(run_id=run_id)
    pending_rows: list[dict[str, Any]] = []
    missing: list[_Rec] = []
    to_hash: list[_Rec] = []
    for r in recs:  # stat first: cheap, and a missing disk must not cost a thread per file
        try:
            st = os.stat(r.path)
        except OSError:
            missing.append(r)
            continue
        if st.st_size != r.size:
            pending_rows.append(
                _row(r, VerifyStatus.MODIFIED, f"大小由 {r.size} 变为 {st.st_size} 字节")
            )
        else:
            to_hash.append(r)

    total = sum(r.size for r in to_hash)
    cancel = threading.Event()
    lock = threading.Lock()
    counter = {"bytes": 0, "files": 0}

    def on_bytes(n: int) -> None:
        with lock:
            counter["bytes"] += n

    def work(r: _Rec) -> tuple[_Rec, str, str]:
        try:
            sha, _ = hash_file(r.path, cancel=cancel, on_bytes=on_bytes)
            return r, sha, ""
        except OSError as exc:
            return r, "", str(exc)

    def report(stage: str = "") -> None:
        with lock:
            b = counter["bytes"]
        progress.update(
            b,
            total,
            stage
            or f"{counter['files']}/{len(to_hash)} 个文件，{_fmt_bytes(b)} / {_fmt_bytes(total)}",
        )

    def flush(force: bool = False) -> None:
        if pending_rows and (force or len(pending_rows) >= BATCH):
            _write(db, run_id, pending_rows, result)
            pending_rows.clear()

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="av-verify")
    try:
        futures = {pool.submit(work, r) for r in to_hash}
        while futures:
            done, futures = fwait(futures, timeout=0.1)
            for f in done:
                r, sha, err = f.result()
                with lock:
                    counter["files"] += 1
                if err:
                    pending_rows.append(_row(r, VerifyStatus.MISSING, f"无法读取：{err}"))
                elif sha == r.sha:
                    pending_rows.append(_row(r, VerifyStatus.OK, ""))
                else:
                    pending_rows.append(
                        _row(r, VerifyStatus.MODIFIED, f"SHA-256 由 {r.sha} 变为 {sha}")
                    )
            flush()
            report()
        pool.shutdown(wait=True)
        flush(force=True)
        # missing files: look for them (same size, same hash) elsewhere under the registered roots
        moved_to: dict[int, tuple[int, Path]] = {}
        if missing and find_moved:
            moved_to, _done = _find_moved(missing, root_list, owned, progress, cancel)
        pending_rows.extend(_missing_rows(missing, moved_to, rmap, searched=True))
        flush(force=True)
    except BaseException as exc:
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        flush(force=True)
        result.cancelled = True
        _finish_run(db, run_id, result)
        if not isinstance(exc, Cancelled):
            raise
        return result
    _finish_run(db, run_id, result)
    return result


def _find_moved(
    missing: Sequence[Any],
    root_list: list[tuple[int, str]],
    owned: set[str],
    progress: Progress,
    cancel: threading.Event,
    stop: Any = None,
) -> tuple[dict[int, tuple[int, Path]], bool]:
    """Missing files looked for (same size, same hash) elsewhere under the registered roots:
    record id → (root id, path) found, and whether the search ran to its end (``stop()`` — a
    spent time budget — may end it early)."""
    moved_to: dict[int, tuple[int, Path]] = {}
    by_sha = {r.sha: r for r in missing}
    sizes = {r.size for r in missing}
    for n, (root_id, p, _size) in enumerate(_walk_unowned(root_list, owned, sizes)):
        if stop is not None and stop():
            return moved_to, False
        progress.update(n, 0, f"查找被移动的文件：{p.name}")
        try:
            sha, _ = hash_file(p, cancel=cancel)
        except OSError:
            continue
        hit = by_sha.get(sha)
        if hit is not None and hit.id not in moved_to:
            moved_to[hit.id] = (root_id, p)
    return moved_to, True


def _missing_rows(
    missing: Sequence[Any],
    moved_to: dict[int, tuple[int, Path]],
    rmap: dict[int, str],
    *,
    searched: bool,
) -> list[dict[str, Any]]:
    """The results of the files not found in place: moved (where to), or missing."""
    out = []
    for r in missing:
        if r.id in moved_to:
            root_id, p = moved_to[r.id]
            rel = roots.rel_of(p, rmap[root_id])
            out.append(
                _row(r, VerifyStatus.MOVED, "", new_path=str(p), new_root=root_id, new_rel=rel)
            )
        elif searched:
            out.append(_row(r, VerifyStatus.MISSING, "文件不在原位置，也未在登记的存储位置中找到"))
        else:
            out.append(
                _row(r, VerifyStatus.MISSING, "文件不在原位置（限时已到，未查完其他存储位置）")
            )
    return out


def _row(
    r: _Rec,
    status: str,
    detail: str,
    *,
    new_path: str = "",
    new_root: int | None = None,
    new_rel: str = "",
) -> dict[str, Any]:
    return {
        "rec": r,
        "status": status,
        "detail": detail,
        "new_path": new_path,
        "new_root": new_root,
        "new_rel": new_rel,
    }


def _write(db: Database, run_id: int, rows: list[dict[str, Any]], result: VerifyResult) -> None:
    now = dt.datetime.now()
    with db.begin() as s:
        first_result = s.scalar(select(func.coalesce(func.max(AvVerifyResult.id), 0)))
        s.execute(
            insert(AvVerifyResult),
            [
                {
                    "run_id": run_id,
                    "record_id": x["rec"].id,
                    "status": x["status"],
                    "path": str(x["rec"].path),
                    "new_path": x["new_path"],
                    "detail": x["detail"],
                }
                for x in rows
            ],
        )
        ids = [x["rec"].id for x in rows]
        s.execute(delete(AvRecordCheck).where(AvRecordCheck.record_id.in_(ids)))
        s.execute(
            insert(AvRecordCheck),
            [
                {
                    "record_id": x["rec"].id,
                    "status": x["status"],
                    "verified_at": now,
                    "run_id": run_id,
                }
                for x in rows
            ],
        )
        # the results are facts (a tamper alarm): into the audit trail, in bulk
        audit.record_rows(s, "av_verify_result", "id > ?", (first_result,))
        for i in range(0, len(ids), 900):
            part = ids[i : i + 900]
            audit.record_rows(
                s, "av_record_check", f"record_id IN ({','.join('?' * len(part))})", tuple(part)
            )
        for x in rows:
            if (
                x["status"] == VerifyStatus.MOVED
            ):  # through the ORM: the audit trail records the move
                rec = s.get(AvRecord, x["rec"].id)
                assert rec is not None
                rec.root_id, rec.rel_path, rec.file_name = (
                    x["new_root"],
                    x["new_rel"],
                    Path(x["new_path"]).name,
                )
    for x in rows:
        result.checked += 1
        st, path = x["status"], str(x["rec"].path)
        if st == VerifyStatus.OK:
            result.ok += 1
        elif st == VerifyStatus.MODIFIED:
            result.modified.append(path)
        elif st == VerifyStatus.MISSING:
            result.missing.append(path)
        else:
            result.moved.append({"from": path, "to": x["new_path"]})


def _finish_run(db: Database, run_id: int, result: VerifyResult) -> None:
    with db.begin() as s:
        run = s.get(AvVerifyRun, run_id)
        assert run is not None
        run.finished_at = dt.datetime.now()
        run.checked, run.ok = result.checked, result.ok
        run.modified, run.missing, run.moved = (
            len(result.modified),
            len(result.missing),
            len(result.moved),
        )
        run.cancelled = result.cancelled


# ---- rolling verification within a time budget (issue 19) -----------------------------------------

_clock = time.monotonic  # the budget's clock (tests replace it)


@dataclass
class BudgetResult(VerifyResult):
    """A budgeted run: what was verified, in order, and how much of the index is left for later."""

    budget_minutes: float = 0.0
    elapsed_s: float = 0.0
    total: int = 0  # records in the index when the run started
    remaining: int = 0  # records not reached by this run
    stopped_by_budget: bool = False
    order: list[int] = field(default_factory=list)  # record ids in the order they were taken

    def as_json(self) -> dict[str, Any]:
        return {
            **super().as_json(),
            "budget_minutes": self.budget_minutes,
            "elapsed_s": round(self.elapsed_s, 1),
            "total": self.total,
            "remaining": self.remaining,
            "stopped_by_budget": self.stopped_by_budget,
        }

    def summary(self) -> str:
        used = (
            f"{self.elapsed_s:.0f} 秒"
            if self.elapsed_s < 120
            else f"{self.elapsed_s / 60:.1f} 分钟"
        )
        tail = (
            f"；用时 {used}（限时 {self.budget_minutes:g} 分钟），"
            f"索引共 {self.total} 个，本次未轮到 {self.remaining} 个"
        )
        if self.stopped_by_budget:
            tail += "，下次从最久未校验的接着校验"
        return super().summary() + tail


UNREACHABLE = "存储位置不可访问（磁盘未连接或盘符改变？），未能校验"
PRIORITY_SQL = (
    "CASE WHEN r.case_no != '' OR r.retention_years IS NULL OR r.important THEN 0 ELSE 1 END"
)


def budget_order(
    s: Session, head_start_days: int = 30
) -> Generator[tuple[int, int, str, int, str], None, None]:
    """(id, root_id, rel_path, size, sha256) of every record in the order a budgeted run takes
    them: never verified first of all, case-linked and permanently kept (no retention limit, or
    marked important) before the others; then by the time of the last verification, oldest first,
    case-linked and permanent files queued ``head_start_days`` earlier than they were verified (first
    among files verified about the same time, yet the others are never starved by a large body of
    evidence). Streamed: a run that stops after a few thousand files of millions reads only those."""
    conn = s.connection()
    if dialect.is_sqlite(conn):
        queued = (
            f"strftime('%Y-%m-%d %H:%M:%f', k.verified_at, "
            f"CASE WHEN {PRIORITY_SQL} = 0 THEN ? ELSE '+0 days' END)"
        )
        param: object = f"-{int(head_start_days)} days"
    else:
        queued = (
            f"k.verified_at - CASE WHEN {PRIORITY_SQL} = 0 THEN make_interval(days => ?) "
            "ELSE interval '0' END"
        )
        param = int(head_start_days)
    rows = conn.exec_driver_sql(
        dialect.driver_sql(
            conn,
            f"SELECT r.id, r.root_id, r.rel_path, r.size, r.sha256 FROM av_record r "
            f"LEFT JOIN av_record_check k ON k.record_id = r.id "
            f"WHERE NOT EXISTS (SELECT 1 FROM av_deletion d WHERE d.record_id = r.id) "
            f"ORDER BY k.verified_at IS NOT NULL, {queued}, {PRIORITY_SQL}, r.id",
        ),
        (param,),
    )
    try:
        for a, b, c, d, e in rows:
            yield int(a), int(b), str(c), int(d), str(e)
    finally:
        # a run stopped by its budget leaves the statement unfinished: finalise it, or the pooled
        # connection keeps its old read snapshot and a later write on it fails (SQLITE_BUSY_SNAPSHOT)
        rows.close()


def verify_budget(
    db: Database,
    budget_minutes: float,
    *,
    workers: int = 2,
    progress: Progress | None = None,
    find_moved: bool = True,
) -> BudgetResult:
    """Verify in :func:`budget_order` until ``budget_minutes`` are spent. The clock is read before
    each file is started: files being hashed when the budget runs out are finished (a single huge
    file counts whole), none is started after. Missing files are looked for elsewhere under the
    roots (moved) while the budget lasts."""
    progress = progress or Progress()
    t0 = _clock()
    deadline = t0 + max(0.0, budget_minutes) * 60

    def spent() -> bool:
        return _clock() >= deadline

    with db.begin() as s:
        run = AvVerifyRun(started_at=dt.datetime.now(), scope=f"限时 {budget_minutes:g} 分钟")
        s.add(run)
        s.flush()
        run_id = run.id
        rmap = roots.roots_map(s)
        root_list = [(r.id, r.path) for r in s.scalars(select(AvStorageRoot))]
    with db.session() as s:
        total = int(s.scalar(select(func.count()).select_from(AvRecord)) or 0)
        head_start = int(settings.get(s, av_settings.AV_VERIFY_HEAD_START))
    reachable = {rid for rid, path in root_list if os.path.isdir(path)}
    result = BudgetResult(run_id=run_id, budget_minutes=budget_minutes, total=total)
    pending_rows: list[dict[str, Any]] = []
    missing: list[_Rec] = []
    cancel = threading.Event()
    taken = 0

    def flush(force: bool = False) -> None:
        if pending_rows and (force or len(pending_rows) >= BATCH):
            _write(db, run_id, pending_rows, result)
            pending_rows.clear()

    def work(r: _Rec) -> tuple[_Rec, str, str]:
        try:
            sha, _ = hash_file(r.path, cancel=cancel)
            return r, sha, ""
        except OSError as exc:
            return r, "", str(exc)

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="av-verify")
    reader = db.session()  # the order is streamed; results are written on other connections
    it = budget_order(reader, head_start)
    try:
        in_flight: set[Any] = set()
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < max(1, workers) and not spent():
                row = next(it, None)
                if row is None:
                    exhausted = True
                    break
                rid, root_id, rel, size, sha = row
                r = _Rec(rid, root_id, rel, size, sha, roots.resolve(rmap[root_id], rel))
                taken += 1
                result.order.append(rid)
                if root_id not in reachable:  # no walk for these: written now, on the clock
                    pending_rows.append(_row(r, VerifyStatus.MISSING, UNREACHABLE))
                    flush()
                    continue
                try:
                    st = os.stat(r.path)
                except OSError:
                    missing.append(r)
                    continue
                if st.st_size != r.size:
                    pending_rows.append(
                        _row(r, VerifyStatus.MODIFIED, f"大小由 {r.size} 变为 {st.st_size} 字节")
                    )
                    flush()
                    continue
                in_flight.add(pool.submit(work, r))
            if not in_flight:
                break
            done, in_flight = fwait(in_flight, timeout=0.1, return_when=FIRST_COMPLETED)
            for f in done:
                r, sha, err = f.result()
                if err:
                    pending_rows.append(_row(r, VerifyStatus.MISSING, f"无法读取：{err}"))
                elif sha == r.sha:
                    pending_rows.append(_row(r, VerifyStatus.OK, ""))
                else:
                    pending_rows.append(
                        _row(r, VerifyStatus.MODIFIED, f"SHA-256 由 {r.sha} 变为 {sha}")
                    )
            flush()
            progress.update(
                taken,
                total,
                f"{taken}/{total} 个文件，已用 {(_clock() - t0) / 60:.1f} 分钟",
            )
        pool.shutdown(wait=True)
        it.close()
        reader.close()
        result.stopped_by_budget = not exhausted and taken < total
        result.remaining = max(0, total - taken)
        moved_to: dict[int, tuple[int, Path]] = {}
        searched = True
        if missing and find_moved:
            with db.session() as s:
                owned = {
                    roots.norm(roots.resolve(rmap[rid], rel))
                    for rid, rel in s.execute(select(AvRecord.root_id, AvRecord.rel_path))
                }
            moved_to, searched = _find_moved(
                missing, root_list, owned, progress, cancel, stop=spent
            )
        pending_rows.extend(_missing_rows(missing, moved_to, rmap, searched=searched))
        flush(force=True)
    except BaseException as exc:
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        it.close()
        reader.close()
        flush(force=True)
        result.cancelled = True
        result.remaining = max(0, total - result.checked)
        result.elapsed_s = _clock() - t0
        _finish_run(db, run_id, result)
        if not isinstance(exc, Cancelled):
            raise
        return result
    result.elapsed_s = _clock() - t0
    _finish_run(db, run_id, result)
    return result


@dataclass(frozen=True)
class VerifiedShare:
    """How much of the index had its last verification within the last ``days`` days."""

    days: int
    verified: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.verified / self.total if self.total else 0.0

    def text_zh(self) -> str:
        return f"近 {self.days} 天校验 {self.verified}/{self.total} 个（{self.percent:.1f}%）"


def verified_share(
    db: Database, days: Sequence[int] = (30, 90), now: dt.datetime | None = None
) -> list[VerifiedShare]:
    """The share of the index verified in the last 30 and 90 days (each record's last check)."""
    now = now or dt.datetime.now()
    with db.session() as s:
        total = int(s.scalar(select(func.count()).select_from(AvRecord)) or 0)
        out = []
        for d in days:
            n = s.scalar(
                select(func.count())
                .select_from(AvRecordCheck)
                .where(AvRecordCheck.verified_at >= now - dt.timedelta(days=d))
            )
            out.append(VerifiedShare(d, int(n or 0), total))
    return out
