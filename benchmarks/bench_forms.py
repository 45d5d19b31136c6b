"""The spreadsheet form engines on a big generated form: time and peak memory.

    .venv/bin/python benchmarks/bench_forms.py [--rows 50000] [--runs 3]

Writes the same form (title, 填报单位 line, header, ``--rows`` data rows × 15 columns of mixed
types — numbers with a number format, dates, short and long texts, formula-looking texts, empty
cells — and the 填表人 footer) through every engine's form API, each in a fresh process, and
reports the median wall time and the peak memory (``tracemalloc`` peak, in a separate run so that
tracing does not slow the timed one; and the process's peak RSS). The baseline, measured in the same
run, is openpyxl's write-only mode appending the same values without any style: every figure is
also given as a ratio to it.

This chose the one form engine (``brigade_desk.core.forms.xlsxform``). Measured on 2 shared cores,
50,000 rows, before the openpyxl form writer was removed:

    engine                         time     traced peak   peak RSS
    openpyxl write-only baseline   5.1 s    0.4 MB        36 MB
    openpyxl form (styled cells)   37.7 s   328 MB        397 MB   (7.4x the baseline's time)
    XlsxWriter constant memory     6.6 s    0.8 MB        36 MB    (1.3x)

After the port (wrapped rows now get their height, as the openpyxl writer gave them; XlsxWriter
keeps a small record per such row): 5.0 s (1.0x the baseline), 16 MB traced peak, 53 MB RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N_COLS = 15


def cols() -> list[Any]:
    from brigade_desk.core.forms.xlsxform import Col

    return [
        Col("序号", 7),
        Col("案号", 22),
        Col("案由", 30),
        Col("当事人", 18),
        Col("执法门类", 9),
        Col("立案日期", 11),
        Col("决定日期", 11),
        Col("罚款(元)", 11, "#,##0.00"),
        Col("没收(元)", 11, "#,##0.00"),
        Col("学时", 7, "0.0#"),
        Col("重大", 5),
        Col("承办人员", 14),
        Col("拍摄时间", 17),
        Col("备注", 16),
        Col("问题", 40),
    ]


def rows(n: int) -> Iterator[list[Any]]:
    d0 = dt.date(2026, 1, 1)
    t0 = dt.datetime(2026, 1, 1, 8, 30)
    for i in range(1, n + 1):
        yield [
            i,
            f"某交执罚〔2026〕{i:05d}号",
            "未按规定携带道路运输证从事道路货物运输经营" if i % 3 else "超限运输",
            f"某某运输有限公司{i % 97}",
            "道路运输",
            d0 + dt.timedelta(days=i % 300),
            None if i % 5 == 0 else d0 + dt.timedelta(days=i % 300 + 20),
            float(i % 50) * 100.5,
            None,
            (i % 7) * 1.5,
            i % 11 == 0,
            "张三、李四",
            t0 + dt.timedelta(minutes=i),
            "=HYPERLINK(x)" if i % 1000 == 0 else "",
            "" if i % 4 else "决定书未载明履行期限；送达回证缺少受送达人签名，需补正后归档",
        ]


# ---- the engines: "name" -> writer(out, n) ----
def _baseline(out: Path, n: int) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("表")
    ws.append(["标题"])
    ws.append(["填报单位：某县", None, None, "填报日期：2026年1月1日"])
    ws.append([c.header for c in cols()])
    for r in rows(n):
        ws.append(r)
    wb.save(out)


def _xlsxwriter_form(out: Path, n: int) -> None:
    from brigade_desk.core.forms.xlsxform import FormInfo, StreamWorkbook

    with StreamWorkbook(out) as wb:
        wb.add_form_sheet("表", "测试表", _info(FormInfo), cols(), rows(n), note="说明")


def _info(cls: Any) -> Any:
    return cls("某县交通运输综合行政执法大队", dt.date(2026, 1, 1), "张三", "李四", "0123")


ENGINES: dict[str, Callable[[Path, int], None]] = {
    "baseline_openpyxl_writeonly": _baseline,
    "xlsxwriter_form": _xlsxwriter_form,
}


def _child(engine: str, n: int, trace: bool) -> None:
    """One measurement in this (fresh) process; prints a JSON line."""
    import openpyxl  # noqa: F401
    import xlsxwriter  # noqa: F401

    import brigade_desk.core.forms.xlsxform  # noqa: F401  (imports are not what is measured)

    out = Path(tempfile.mkdtemp()) / "f.xlsx"
    if trace:
        tracemalloc.start()
    t = time.perf_counter()
    ENGINES[engine](out, n)
    secs = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "s": secs,
                "traced_peak_mb": peak / 2**20,
                "rss_mb": rss_kib / 1024,
                "size": out.stat().st_size,
            }
        )
    )
    out.unlink()


def measure(engine: str, n: int, trace: bool) -> dict[str, float]:
    res = subprocess.run(
        [sys.executable, __file__, "--child", engine, "--rows", str(n)]
        + (["--trace"] if trace else []),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def forms(_db: Path | None = None, runs: int = 3, n: int = 50_000) -> dict[str, Any]:
    """Figures for ``python -m benchmarks`` (the database is not used)."""
    out: dict[str, Any] = {"forms_rows": n, "forms_cols": N_COLS}
    base_s = base_mem = 0.0
    for name in ENGINES:
        ts = [measure(name, n, False) for _ in range(max(1, runs))]
        mem = measure(name, n, True)
        s = statistics.median(x["s"] for x in ts)
        out[f"forms_{name}_s"] = round(s, 2)
        out[f"forms_{name}_traced_peak_mb"] = round(mem["traced_peak_mb"], 1)
        out[f"forms_{name}_rss_mb"] = round(max(x["rss_mb"] for x in ts), 1)
        if name.startswith("baseline"):
            base_s, base_mem = s, mem["traced_peak_mb"]
        else:
            out[f"forms_{name}_ratio"] = round(s / base_s, 2)
            out[f"forms_{name}_mem_ratio"] = round(mem["traced_peak_mb"] / base_mem, 2)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--child")
    ap.add_argument("--trace", action="store_true")
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.rows, args.trace)
        return 0
    print(json.dumps(forms(None, args.runs, args.rows), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
