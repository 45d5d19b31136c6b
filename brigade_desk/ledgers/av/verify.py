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
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as fwait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select

from brigade_desk.core import audit
from brigade_desk.core.db import Database
from brigade_desk.core.errors import Cancelled
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.av import media, roots
from brigade_desk.ledgers.av.hashing import hash_file
from brigade_desk.ledgers.av.ingest import TMP_PREFIX, _fmt_bytes
from brigade_desk.ledgers.av.models import (
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
        q = select(AvRecord.id, AvRecord.root_id, AvRecord.rel_path, AvRecord.size, AvRecord.sha256)
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
            by_sha = {r.sha: r for r in missing}
            sizes = {r.size for r in missing}
            for n, (root_id, p, _size) in enumerate(_walk_unowned(root_list, owned, sizes)):
                progress.update(n, 0, f"查找被移动的文件：{p.name}")
                try:
                    sha, _ = hash_file(p, cancel=cancel)
                except OSError:
                    continue
                hit = by_sha.get(sha)
                if hit is not None and hit.id not in moved_to:
                    moved_to[hit.id] = (root_id, p)
        for r in missing:
            if r.id in moved_to:
                root_id, p = moved_to[r.id]
                rel = roots.rel_of(p, rmap[root_id])
                pending_rows.append(
                    _row(r, VerifyStatus.MOVED, "", new_path=str(p), new_root=root_id, new_rel=rel)
                )
            else:
                pending_rows.append(
                    _row(r, VerifyStatus.MISSING, "文件不在原位置，也未在登记的存储位置中找到")
                )
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
