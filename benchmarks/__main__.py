"""Measure Brigade Desk on the large demo dataset and write the figures to JSON.

    python -m benchmarks [--db large.sqlite] [--runs 5] [--out benchmarks/results.json]

Builds the large dataset first when the file does not exist (timed: target < 120 s). Each figure is
the median of several runs and is reported with a baseline measured in the same run, as a ratio:

- start-up to the first painted main window (offscreen) vs a bare PySide6 window;
- opening each ledger page and a text filter on the largest table (target ≤ 150 ms);
- ``check`` over everything (target ≤ 2 s);
- the quarterly export vs openpyxl write-only writing the same cells (target ≤ 1.5×);
- peak memory of the GUI with the large database open (target ≤ 400 MB);
- and every extra measurement listed in ``extra_steps`` (checklist PDFs, hashing, the form engine,
  a 20,000-row training sign-in import vs calamine + executemany: ``benchmarks/import_speed.py``;
  peak memory and time of importing hostile files: ``benchmarks/import_resources.py``; AV ingest
  into the archive vs cp + sha256sum, and full verification: ``benchmarks/av_ingest_speed.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent

# "module:function"(db, runs) -> dict of figures, added by ledgers (PDFs, hashing …)


def median_time(fn: Callable[[], Any], runs: int) -> float:
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def startup(db: Path, runs: int) -> dict[str, Any]:
    def probe(mode: str) -> tuple[float, float, float, float]:
        env = dict(os.environ, BENCH_T0=repr(time.time()), PYTHONPATH=str(ROOT))
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.startup_probe", mode, str(db)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        ).stdout
        vals = dict(line.split() for line in out.splitlines() if " " in line)
        return (
            float(vals["painted"]),
            float(vals.get("maxrss_mb", "nan")),
            float(vals.get("ready", "nan")),
            float(vals.get("home_filled", "nan")),
        )

    # the program as installed: pip and PyInstaller compile the bytecode ahead, so a start does not
    # compile every module from source (this machine sets PYTHONDONTWRITEBYTECODE, which would)
    import compileall

    compileall.compile_dir(str(ROOT / "brigade_desk"), quiet=1)
    probe("bare")
    probe("app")  # warm the file cache
    bare = [probe("bare") for _ in range(runs)]
    app = [probe("app") for _ in range(runs)]
    b = statistics.median(x[0] for x in bare)
    a = statistics.median(x[0] for x in app)
    return {
        "startup_bare_s": round(b, 3),
        "startup_app_s": round(a, 3),
        "startup_ratio": round(a / b, 2),
        "startup_target_ratio": 2.0,
        "startup_db_open_and_first_page_s": round(statistics.median(x[2] for x in app), 3),
        "startup_home_filled_s": round(statistics.median(x[3] for x in app), 3),
        "app_peak_rss_mb": max(x[1] for x in app),
        "rss_target_mb": 400,
    }


def pages(db_path: Path, runs: int) -> dict[str, Any]:
    from PySide6.QtCore import QCoreApplication, QSettings

    from brigade_desk.app.gui import make_app
    from brigade_desk.app.ledgers import REGISTRY
    from brigade_desk.core.cache import DataCache
    from brigade_desk.core.db import open_database
    from brigade_desk.reports.home import warm
    from brigade_desk.ui.context import AppContext
    from brigade_desk.ui.main_window import MainWindow
    from brigade_desk.ui.pages import all_pages
    from brigade_desk.ui.tasks import TaskRunner

    make_app()
    TaskRunner.synchronous = True  # measure the work itself, end to end
    db = open_database(db_path)
    tmp = tempfile.mkdtemp()
    out: dict[str, Any] = {}
    cache = DataCache.of(db)
    today = dt.date.today()

    # what the main window computes in the background at start-up and again after every change
    # (reports.home.warm: every rule's findings, deadlines, charts, the roster), cold
    def background() -> None:
        cache.clear()
        warm(db, today, REGISTRY)

    out["background_refresh_s"] = round(median_time(background, runs), 3)
    for pd in all_pages(REGISTRY):
        if pd.factory is None:
            continue
        factory = pd.factory
        # "warm": as the clerk meets the page (background refresh done). "cold": caches emptied first,
        # as if the clerk were faster than the refresh; the page's own load then runs every rule in the
        # background (the real, threaded TaskRunner): "cold" is the time until the page is shown and
        # usable, "cold_filled" until the findings are on it too.
        for mode in ("warm", "cold"):
            ts, filled = [], []
            TaskRunner.synchronous = mode == "warm"
            for _ in range(runs):
                if mode == "cold":
                    cache.clear()
                else:
                    warm(db, today, REGISTRY)
                ctx = AppContext(
                    db=db,
                    tasks=TaskRunner(),
                    qsettings=QSettings(f"{tmp}/b.ini", QSettings.Format.IniFormat),
                    ledgers=REGISTRY,
                )
                t = time.perf_counter()
                page = factory(
                    ctx
                )  # the page as the clerk first opens it: built, data loaded, shown
                page.resize(1200, 760)
                page.show()
                if hasattr(page, "on_shown"):
                    page.on_shown()
                QCoreApplication.processEvents()
                ts.append(time.perf_counter() - t)
                if not ctx.tasks.wait_idle(60_000):
                    raise RuntimeError(f"page {pd.key}: background load did not finish")
                QCoreApplication.processEvents()
                filled.append(time.perf_counter() - t)
                page.close()
                page.deleteLater()
                QCoreApplication.processEvents()
            if mode == "warm":
                out[f"page_{pd.key}_s"] = round(statistics.median(ts), 3)
            else:
                out[f"page_{pd.key}_cold_s"] = round(statistics.median(ts), 3)
                out[f"page_{pd.key}_cold_filled_s"] = round(statistics.median(filled), 3)
    TaskRunner.synchronous = True
    # text filter on the largest table each page offers (benchmarks.page_filters)
    from benchmarks.page_filters import FILTERS

    ctx = AppContext(
        db=db,
        tasks=TaskRunner(),
        qsettings=QSettings(f"{tmp}/b.ini", QSettings.Format.IniFormat),
        ledgers=REGISTRY,
    )
    w = MainWindow(ctx)
    w.show()
    for pd in all_pages(REGISTRY):
        if pd.factory is None:
            continue
        page = w.show_page(pd.key)
        set_filter = FILTERS.get(pd.key)
        if set_filter is None:
            continue
        QCoreApplication.processEvents()

        def once(page: Any = page, f: Callable[[Any, str], None] = set_filter) -> None:
            f(page, "王")
            QCoreApplication.processEvents()
            f(page, "")

        out[f"filter_{pd.key}_s"] = round(median_time(once, runs) / 2, 3)
    out["page_target_s"] = 0.150
    db.close()
    return out


def check(db_path: Path, runs: int) -> dict[str, Any]:
    from brigade_desk.app.ledgers import REGISTRY
    from brigade_desk.core.db import open_database

    db = open_database(db_path)
    today = dt.date.today()

    def run() -> int:
        with db.session() as s:
            return len(REGISTRY.run_rules(s, today))

    n = run()
    t = median_time(run, runs)
    db.close()
    return {"check_s": round(t, 3), "check_findings": n, "check_target_s": 2.0}


def extra_steps() -> dict[str, Callable[[Path, int], dict[str, Any]]]:
    """The extra measurements: checklist PDFs, hashing, the form engine, the training import,
    imports of hostile files."""
    from benchmarks import av_ingest_speed, bench_forms, extras, import_resources, import_speed

    return {
        "pdfs": extras.pdfs,
        "hashing": extras.hashing,
        "forms": bench_forms.forms,
        "import": import_speed.import_speed,
        "import_resources": import_resources.step,
        "av_ingest": av_ingest_speed.step,
    }


def quarterly(db_path: Path, runs: int) -> dict[str, Any]:
    import openpyxl

    from brigade_desk.app.ledgers import REGISTRY
    from brigade_desk.core.db import open_database
    from brigade_desk.core.period import Period
    from brigade_desk.reports.quarterly import export_quarterly

    db = open_database(db_path)
    today = dt.date.today()
    period = Period(today.year, (today.month - 1) // 3 + 1)
    tmp = Path(tempfile.mkdtemp())
    out = tmp / "q.xlsx"
    sheets = REGISTRY.quarterly_sheets()
    t_app = median_time(lambda: export_quarterly(db, out, period, sheets), runs)
    # baseline: openpyxl write-only writing the same cells
    cells = []
    wb_in = openpyxl.load_workbook(out, read_only=True)
    for ws in wb_in.worksheets:
        cells.append((ws.title, [list(r) for r in ws.iter_rows(values_only=True)]))
    wb_in.close()

    def baseline() -> None:
        wb = openpyxl.Workbook(write_only=True)
        for title, rows in cells:
            ws = wb.create_sheet(title)
            for r in rows:
                ws.append(r)
        wb.save(tmp / "base.xlsx")

    t_base = median_time(baseline, runs)
    db.close()
    n = sum(len(r) for _t, r in cells)
    return {
        "quarterly_export_s": round(t_app, 3),
        "quarterly_baseline_writeonly_s": round(t_base, 3),
        "quarterly_ratio": round(t_app / t_base, 2),
        "quarterly_rows": n,
        "quarterly_target_ratio": 1.5,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--db", default=str(Path(tempfile.gettempdir()) / "brigade_desk_bench_large.sqlite")
    )
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results.json"))
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    db = Path(args.db)
    results: dict[str, Any] = {}
    if args.only and Path(args.out).exists():  # a partial run updates the figures it measured
        results = json.loads(Path(args.out).read_text(encoding="utf-8"))
    results |= {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "runs": args.runs,
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": sys.platform,
        },
    }
    if not db.exists():
        from brigade_desk.app import demo
        from brigade_desk.core.db import open_database

        t = time.perf_counter()
        d = open_database(db)
        counts = demo.fill(d, size="large", seed=1)
        d.close()
        results["demo_large_s"] = round(time.perf_counter() - t, 1)
        results["demo_large_target_s"] = 120
        results["demo_counts"] = counts
        print(f"large demo built in {results['demo_large_s']} s: {counts}", flush=True)
    steps: dict[str, Callable[[Path, int], dict[str, Any]]] = {
        "startup": startup,
        "check": check,
        "quarterly": quarterly,
        "pages": pages,
    }
    steps.update(extra_steps())
    for name, fn in steps.items():
        if args.only and name not in args.only:
            continue
        t = time.perf_counter()
        r = fn(db, args.runs)
        results.update(r)
        print(
            f"{name}: {json.dumps(r, ensure_ascii=False)}  ({time.perf_counter() - t:.1f} s)",
            flush=True,
        )
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
