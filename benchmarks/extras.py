"""Benchmark steps that belong to one ledger: 100 checklist PDFs, ingest hashing vs openssl."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any


def pdfs(db_path: Path, runs: int) -> dict[str, Any]:
    """100 filled checklist PDFs (the case review), one file each, as the clerk prints them."""
    from sqlalchemy import select

    from brigade_desk.core.db import open_database
    from brigade_desk.ledgers.cases.exports_pdf import checklist_pdf
    from brigade_desk.ledgers.cases.models import CaseRecord, CaseReview

    db = open_database(db_path)
    with db.session() as s:
        nos = list(
            s.scalars(
                select(CaseRecord.case_no)
                .join(CaseReview, CaseReview.case_id == CaseRecord.id)
                .limit(100)
            )
        )
    out = Path(tempfile.mkdtemp())
    ts = []
    for _ in range(max(1, min(runs, 3))):
        t = time.perf_counter()
        for i, no in enumerate(nos):
            checklist_pdf(db, no, out / f"{i}.pdf")
        ts.append(time.perf_counter() - t)
    db.close()
    shutil.rmtree(out, ignore_errors=True)
    return {
        "checklist_pdfs": len(nos),
        "checklist_pdfs_s": round(statistics.median(ts), 2),
        "checklist_pdfs_target_s": 15,
    }


def hashing(_db: Path, runs: int) -> dict[str, Any]:
    """Ingest hashing (2 workers) against ``openssl dgst -sha256`` on the same 4 × 256 MiB files."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_hash import make_files, warm

    from brigade_desk.ledgers.av.hashing import hash_file

    openssl = shutil.which("openssl")
    folder = Path(tempfile.gettempdir()) / "brigade_bench_hash"
    files = make_files(folder, 4, 256)
    warm(files)
    gib = sum(p.stat().st_size for p in files) / 2**30

    def best(fn: Any) -> float:
        ts = []
        for _ in range(max(3, runs)):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
        return min(ts)

    def pool(w: int) -> None:
        with ThreadPoolExecutor(w) as p:
            list(p.map(hash_file, files))

    res: dict[str, Any] = {"hash_gib": round(gib, 2)}
    t1, t2 = best(lambda: pool(1)), best(lambda: pool(2))
    res["hash_1worker_gib_s"] = round(gib / t1, 2)
    res["hash_2workers_gib_s"] = round(gib / t2, 2)
    if openssl:
        to = best(
            lambda: subprocess.run(
                [openssl, "dgst", "-sha256", *map(str, files)], capture_output=True, check=True
            )
        )
        res["openssl_gib_s"] = round(gib / to, 2)
        res["hash_2workers_vs_openssl"] = round(to / t2, 2)
        res["hash_target_ratio"] = 1.0
    return res
