"""Budgeted (rolling) verification throughput against ``sha256sum`` of the same files, same run.

    .venv/bin/python benchmarks/bench_verify.py [--files 8] [--mib 128] [--dir /tmp/av-verify-bench]
                                                [--budget-s 2] [--large DB]

Writes N random files (reused while they exist), ingests them into a fresh database, reads them once
so every contender starts from the page cache, then times:

- ``sha256sum f1 f2 …`` (coreutils, one process) and ``openssl dgst -sha256`` when present;
- ``verify_budget`` with a budget that covers everything (throughput of a rolling run, 2 workers);
- ``verify_budget`` with a budget of ``--budget-s`` seconds: how far past the budget it stops (a file
  in flight is finished) and how many files it verified;
- with ``--large DB`` (a ``demo --size large`` database): the time to stream the first rows of the
  rolling order of its whole index (the cost a nightly run pays before its first file).

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_hash import make_files  # noqa: E402
from brigade_desk.core.db import open_database  # noqa: E402
from brigade_desk.ledgers.av import verify as av_verify  # noqa: E402
from brigade_desk.ledgers.av.ingest import IngestOptions, ingest  # noqa: E402


def _tool(cmd: list[str], files: list[Path]) -> float | None:
    if shutil.which(cmd[0]) is None:
        return None
    t = time.perf_counter()
    subprocess.run([*cmd, *map(str, files)], check=True, capture_output=True)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--mib", type=int, default=128)
    ap.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "av-verify-bench"))
    ap.add_argument("--budget-s", type=float, default=2.0)
    ap.add_argument("--large", default="")
    args = ap.parse_args(argv)
    folder = Path(args.dir)
    files = make_files(folder / "files", args.files, args.mib)
    gib = sum(p.stat().st_size for p in files) / (1 << 30)
    dbdir = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    out: dict[str, object] = {"files": len(files), "gib": round(gib, 3)}
    try:
        db = open_database(dbdir / "b.sqlite")
        ingest(db, folder / "files", IngestOptions(case_no="基准〔2026〕1号", activity="查封扣押"))
        for p in files:  # page cache warm for every contender
            p.read_bytes()
        for name, cmd in (
            ("sha256sum", ["sha256sum"]),
            ("openssl", ["openssl", "dgst", "-sha256"]),
        ):
            s = _tool(cmd, files)
            out[f"{name}_gib_s"] = round(gib / s, 3) if s else None
        t = time.perf_counter()
        res = av_verify.verify_budget(db, 60.0, workers=2)
        full = time.perf_counter() - t
        out["budget_all_gib_s"] = round(gib / full, 3)
        out["budget_all_checked"] = res.checked
        if out.get("sha256sum_gib_s"):
            out["vs_sha256sum"] = round(
                float(out["budget_all_gib_s"]) / float(out["sha256sum_gib_s"]), 2
            )  # type: ignore[arg-type]
        t = time.perf_counter()
        res = av_verify.verify_budget(db, args.budget_s / 60, workers=2)
        out["budget_s"] = args.budget_s
        out["budget_run_s"] = round(time.perf_counter() - t, 2)
        out["budget_checked"] = res.checked
        out["budget_remaining"] = res.remaining
        db.close()
        if args.large:
            big = open_database(args.large)
            with big.session() as s:
                t = time.perf_counter()
                it = av_verify.budget_order(s)
                first = [next(it) for _ in range(1000)]
                it.close()
                out["large_order_first_1000_s"] = round(time.perf_counter() - t, 3)
                out["large_rows"] = (
                    s.connection().exec_driver_sql("SELECT count(*) FROM av_record").scalar()
                )
                assert len(first) == 1000
            big.close()
    finally:
        shutil.rmtree(dbdir, ignore_errors=True)
    print(json.dumps(out, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
