"""Hashing speed of the AV index against ``openssl dgst -sha256`` on the same files.

    .venv/bin/python benchmarks/bench_hash.py [--files 4] [--mib 512] [--dir /tmp/av-bench] [--keep]

Writes N random files of the given size (once; reused while they exist), reads them once so every
contender starts from the page cache, then times:

- ``openssl dgst -sha256 f1 f2 …`` (one process, the same OpenSSL/SHA-NI engine hashlib uses),
- ``brigade_desk.ledgers.av.hashing.hash_file`` over a thread pool of 1 and of 2 workers,
- a full ``ingest`` of the folder (hashing + index writes) with 2 workers, into a fresh database,

and prints GiB/s for each and the ratio to openssl. Best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from brigade_desk.ledgers.av.hashing import hash_file  # noqa: E402


def make_files(folder: Path, n: int, mib: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    block = os.urandom(1 << 20)
    for i in range(n):
        p = folder / f"2024010{i % 10}08000{i % 10}_{i:04d}.mp4"
        if not p.exists() or p.stat().st_size != mib << 20 or (i and _same_head(p, files[0])):
            with open(p, "wb") as fh:
                fh.write(os.urandom(1 << 20))  # distinct content per file
                for k in range(1, mib):
                    fh.write(block[k % 7 :] + block[: k % 7])
        files.append(p)
    return files


def _same_head(a: Path, b: Path) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read(1 << 20) == fb.read(1 << 20)


def warm(files: list[Path]) -> None:
    for p in files:
        with open(p, "rb", buffering=0) as fh:
            while fh.read(8 << 20):
                pass


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "av-bench"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the test files afterwards")
    args = ap.parse_args()
    openssl = shutil.which("openssl")
    folder = Path(args.dir)
    files = make_files(folder, args.files, args.mib)
    total = sum(p.stat().st_size for p in files)
    gib = total / 2**30
    warm(files)
    print(f"machine: {cpu_name()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"files: {len(files)} × {args.mib} MiB = {gib:.2f} GiB in {folder} (page cache warm)")

    results: dict[str, float] = {}
    if openssl:
        ver = subprocess.run([openssl, "version"], capture_output=True, text=True).stdout.strip()
        sums = {}

        def run_openssl() -> None:
            out = subprocess.run(
                [openssl, "dgst", "-sha256", "-r", *map(str, files)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for line in out.splitlines():
                h, _, name = line.partition(" ")
                sums[name.lstrip("*")] = h

        results[f"openssl dgst -sha256 ({ver})"] = best(run_openssl, args.repeat)
    else:
        print("openssl not found: no reference figure")

    for workers in (1, 2):
        mine = {}

        def run_pool(w: int = workers, mine: dict[str, str] = mine) -> None:
            with ThreadPoolExecutor(w) as pool:
                for p, (h, _n) in zip(files, pool.map(hash_file, files), strict=True):
                    mine[str(p)] = h

        results[f"brigade-desk hash_file, {workers} worker{'s' if workers > 1 else ''}"] = best(
            run_pool, args.repeat
        )
        if openssl:
            assert all(sums[str(p)] == mine[str(p)] for p in files), "digests differ from openssl!"

    from brigade_desk.core.db import open_database
    from brigade_desk.ledgers.av.ingest import IngestOptions, ingest

    ingest_times = []
    for _ in range(args.repeat):  # a fresh database each time (opening/migrating it is not timed)
        with tempfile.TemporaryDirectory() as d:
            db = open_database(Path(d) / "b.sqlite")
            try:
                t = time.perf_counter()
                res = ingest(db, folder, IngestOptions(workers=2))
                ingest_times.append(time.perf_counter() - t)
                assert res.added == len(files), res.summary()
            finally:
                db.close()
    results["brigade-desk av ingest (2 workers, with index writes)"] = min(ingest_times)

    ref = next((v for k, v in results.items() if k.startswith("openssl")), None)
    print(f"{'contender':58} {'seconds':>8} {'GiB/s':>7} {'vs openssl':>10}")
    for k, v in results.items():
        ratio = f"{ref / v:9.2f}×" if ref else ""
        print(f"{k:58} {v:8.3f} {gib / v:7.2f} {ratio:>10}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
