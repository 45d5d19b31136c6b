"""Bounded resources of an import (issue 15): peak memory and time on hostile files.

    python -m benchmarks.import_resources [--scale 1.0] [--only NAME ...] [--code DIR]
                                          [--limit-gb 6] [--timeout 180] [--json FILE]

Writes the hostile set of ``tests/fixtures/hostile/make_hostile.py`` (a declared dimension of
A1:XFD1048576 with one far cell, ``<row r="99999999999">``, 200 MB of rows zipped to 1 MB, rows as
wide as the grid, a 20-million-entry shared string table, a 30,000-character string used in every
cell, ODS repeat counts, a far .xls cell, a broken compound file, CSV files of 10 MB …, and honest
20,000-row rosters in every format) into a temporary folder, then imports each file with the staff
importer (``import_staff(db, path, dry_run=True)`` on a fresh database) in a process of its own and
reports that process's peak RSS (``wait4``: also for a process that was killed) and the time of the
import call. A case passes when it stays under 500 MB and 60 s and ends as it should: an honest or
odd-but-legal file imports its rows without errors, a hostile one is refused with a Chinese message
naming the file.

``--code DIR`` runs the children on another copy of the program (``git archive <rev> | tar -x``),
for before/after figures; each child is held to ``--limit-gb`` of address space so a runaway one
fails alone (a MemoryError, or an abort) instead of taking the machine down with it.

Also a step of ``python -m benchmarks`` (``--only import_resources``): the figures go to
benchmarks/results.json as ``import_<case>_peak_mb`` / ``import_<case>_s`` / ``import_<case>_ok``.
Linux (or any POSIX with ``wait4``) only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RSS_TARGET_MB = 500
TIME_TARGET_S = 60

# the child: import one file, say how it went (the parent measures memory)
CHILD = r"""
import json, sys, time
from pathlib import Path
path, kind, db_path = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
from brigade_desk.core.db import open_database
from brigade_desk.core.errors import UserError
from brigade_desk.app.ledgers import REGISTRY
db = open_database(db_path)
run = REGISTRY.importers()[kind].run
out = {}
t = time.perf_counter()
try:
    r = run(db, path, dry_run=True)
    out.update(outcome="import", created=r.created, updated=r.updated, errors=len(r.errors),
               message=str(r.errors[0]) if r.errors else "")
except UserError as exc:
    out.update(outcome="refuse", message=exc.message)
except MemoryError:
    out.update(outcome="MemoryError", message="")
out["import_s"] = round(time.perf_counter() - t, 2)
try:  # this process's own high-water mark since exec (Linux)
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("VmHWM:"):
            out["own_peak_mb"] = round(int(line.split()[1]) / 1024, 1)
except OSError:
    pass
print(json.dumps(out, ensure_ascii=False), flush=True)
"""


def run_child(path: Path, kind: str, code: Path, limit_gb: float, timeout: float) -> dict[str, Any]:
    """Import ``path`` in a fresh process; its outcome, import time, wall time and peak RSS."""
    import resource

    limit = int(limit_gb * 1024**3)

    def cap() -> None:  # in the child, before it runs anything
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with tempfile.TemporaryDirectory(prefix="bd-res-") as tmp:
        out_path, err_path = Path(tmp) / "out", Path(tmp) / "err"
        env = dict(os.environ, PYTHONPATH=str(code), PYTHONDONTWRITEBYTECODE="1")
        t = time.perf_counter()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(path), kind, str(Path(tmp) / "db.sqlite")],
                stdout=out,
                stderr=err,
                env=env,
                cwd=tmp,
                preexec_fn=cap,  # noqa: PLW1509 - no threads here
            )
            timed_out = False
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() - t > timeout:
                    proc.kill()
                    pid, status, usage = os.wait4(proc.pid, 0)
                    timed_out = True
                    break
                time.sleep(0.02)
            proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t
        text = out_path.read_text(encoding="utf-8", errors="replace").strip()
        err_text = err_path.read_text(encoding="utf-8", errors="replace").strip()
    res: dict[str, Any] = {
        "peak_mb": round(usage.ru_maxrss / 1024, 1),  # KB on Linux
        "wall_s": round(wall, 2),
    }
    if text:
        res.update(json.loads(text.splitlines()[-1]))
        # wait4's figure also counts the parent's pages the child held between fork and exec (a
        # 400 MB test process makes every child look 400 MB): the child's own figure is the truth
        if "own_peak_mb" in res:
            res["peak_mb"] = res.pop("own_peak_mb")
    elif timed_out:
        res.update(outcome="timeout", message=f"killed after {timeout:.0f} s")
    else:
        last = err_text.splitlines()[-1] if err_text else ""
        res.update(outcome=f"crash (exit {proc.returncode})", message=last[:200])
    res.setdefault("import_s", res["wall_s"])
    return res


def judge(res: dict[str, Any], expect: str, name: str) -> bool:
    if res["peak_mb"] >= RSS_TARGET_MB or res["import_s"] >= TIME_TARGET_S:
        return False
    if expect == "import":
        return res.get("outcome") == "import" and not res.get("errors") and res["created"] > 0
    msg = res.get("message", "")
    return (
        res.get("outcome") == "refuse"
        and name in msg
        and any("\u4e00" <= c <= "\u9fff" for c in msg)
    )


def measure(
    scale: float = 1.0,
    only: list[str] | None = None,
    code: Path = ROOT,
    limit_gb: float = 6.0,
    timeout: float = 180.0,
    echo: bool = True,
) -> dict[str, dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    from tests.fixtures.hostile.make_hostile import CASES

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bd-hostile-") as folder:
        if echo:
            print(
                f"{'case':24} {'file':>9} {'peak MB':>8} {'import s':>9} {'wall s':>7}  result  outcome",
                flush=True,
            )
        for name, (writer, expect) in CASES.items():
            if only and name not in only:
                continue
            path = writer(Path(folder), scale)
            res = run_child(path, "staff", code, limit_gb, timeout)
            res["file_kb"] = round(path.stat().st_size / 1024)
            res["expect"] = expect
            res["ok"] = judge(res, expect, path.name)
            results[name] = res
            path.unlink()
            if echo:
                how = res.get("outcome", "")
                if how == "import":
                    how += f" ({res.get('created')} rows, {res.get('errors')} errors)"
                msg = res.get("message", "")
                print(
                    f"{name:24} {res['file_kb']:>7}KB {res['peak_mb']:>8.0f} {res['import_s']:>9.2f}"
                    f" {res['wall_s']:>7.2f}  {'pass' if res['ok'] else 'FAIL':6}  {how}"
                    + (f": {msg[:90]}" if msg and how != "import" else ""),
                    flush=True,
                )
    return results


def step(_db: Path, _runs: int) -> dict[str, Any]:
    """The step of ``python -m benchmarks``: every case once (they are single, deterministic runs)."""
    out: dict[str, Any] = {
        "import_rss_target_mb": RSS_TARGET_MB,
        "import_time_target_s": TIME_TARGET_S,
    }
    if not hasattr(os, "wait4"):
        return out | {"import_resources": "skipped: needs os.wait4 (Linux)"}
    for name, r in measure(echo=False).items():
        out[f"import_{name}_peak_mb"] = r["peak_mb"]
        out[f"import_{name}_s"] = r["import_s"]
        out[f"import_{name}_ok"] = r["ok"]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="size of the big cases (1.0: full)")
    ap.add_argument("--only", nargs="*", help="case names (see make_hostile.CASES)")
    ap.add_argument("--code", type=Path, default=ROOT, help="the program to run (a checkout)")
    ap.add_argument("--limit-gb", type=float, default=6.0, help="address space of each child")
    ap.add_argument("--timeout", type=float, default=180.0)
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args()
    if not hasattr(os, "wait4"):
        print("needs os.wait4 (Linux): the peak RSS of each child is read from it")
        return 2
    res = measure(args.scale, args.only, args.code.resolve(), args.limit_gb, args.timeout)
    if args.json:
        args.json.write_text(json.dumps(res, ensure_ascii=False, indent=2), encoding="utf-8")
    failed = [n for n, r in res.items() if not r["ok"]]
    print(
        f"{len(res) - len(failed)}/{len(res)} pass"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
