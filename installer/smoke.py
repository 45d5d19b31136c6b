#!/usr/bin/env python3
"""Smoke test of the BUILT bundle (dist/BrigadeDesk/): runs the frozen programs, not the sources.

    python installer/smoke.py [--bundle dist/BrigadeDesk] [--gui-seconds 5]

Checks, each timed:
  * the bundle holds both programs, the shipped font, Alembic's script.py.mako and every revision;
  * ``brigade-desk --version`` prints the package version;
  * ``brigade-desk --db TMP demo`` creates and migrates a fresh database and fills demo data;
  * ``brigade-desk --db TMP check --json`` prints JSON with a findings list;
  * ``brigade-desk --db TMP export roster`` writes an .xlsx (openpyxl inside the bundle);
  * ``brigade-desk --db TMP export quarterly`` writes a complete multi-sheet .xlsx (XlsxWriter);
  * ``brigade-desk --db TMP review pdf CASE --blank`` writes a checklist PDF with an embedded
    TrueType font (reportlab, brigade_desk/resources/checklists and the shipped font in the bundle);
  * the GUI (QT_QPA_PLATFORM=offscreen) on that database is still running after N seconds, logged
    that it opened the database, and printed no traceback; then it is killed.
Runs in a temporary folder with the user folders (XDG_*) pointed there on Linux, so it neither
reads nor writes the real user data. Exit status 0 only when every check passed.
Uses only the standard library.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
IS_WINDOWS = os.name == "nt"
EXE = ".exe" if IS_WINDOWS else ""


class SmokeFailure(Exception):
    pass


def source_version() -> str | None:
    init = ROOT / "brigade_desk" / "__init__.py"
    if not init.is_file():
        return None
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return str(ast.literal_eval(node.value))
    return None


def dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink())


class Smoke:
    def __init__(self, bundle: Path, tmp: Path, gui_seconds: float) -> None:
        self.bundle = bundle
        self.tmp = tmp
        self.gui_seconds = gui_seconds
        self.cli = bundle / f"brigade-desk{EXE}"
        self.gui = bundle / f"BrigadeDesk{EXE}"
        self.db = tmp / "smoke.sqlite"
        self.results: list[tuple[str, bool, float, str]] = []
        env = {k: v for k, v in os.environ.items()
               if k not in ("BRIGADE_DESK_DB", "BRIGADE_DESK_RESOURCES", "PYTHONPATH", "PYTHONHOME")}
        env["QT_QPA_PLATFORM"] = "offscreen"
        env["PYTHONIOENCODING"] = "utf-8"
        if not IS_WINDOWS:  # keep the user's real data/log/config folders untouched
            for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
                env[var] = str(tmp / "home" / var.lower())
        self.env = env

    # -- helpers ---------------------------------------------------------------------------------

    def step(self, name: str, fn: Callable[[], str]) -> None:
        t0 = time.perf_counter()
        try:
            detail = fn()
            ok = True
        except SmokeFailure as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # a broken check is a failed check, never a crash of the smoke test
            detail, ok = f"{type(exc).__name__}: {exc}", False
        dt = time.perf_counter() - t0
        self.results.append((name, ok, dt, detail))
        print(f"{'PASS' if ok else 'FAIL'}  {name:<34} {dt:6.2f} s  {detail}", flush=True)

    def run_cli(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        cp = subprocess.run([str(self.cli), *args], cwd=self.tmp, env=self.env, capture_output=True,
                            text=True, encoding="utf-8", errors="replace", timeout=timeout)
        if cp.returncode != 0:
            raise SmokeFailure(f"exit {cp.returncode}: {(cp.stderr or cp.stdout).strip()[-1500:]}")
        return cp

    # -- checks ----------------------------------------------------------------------------------

    def check_layout(self) -> str:
        missing = [p.name for p in (self.cli, self.gui) if not p.is_file()]
        if missing:
            raise SmokeFailure(f"missing programs: {missing}")
        internal = self.bundle / "_internal"
        base = internal if internal.is_dir() else self.bundle
        need = [base / "brigade_desk" / "resources" / "fonts" / "wqy-microhei.ttc",
                base / "brigade_desk" / "migrations" / "env.py",
                base / "brigade_desk" / "migrations" / "script.py.mako"]
        lost = [str(p.relative_to(self.bundle)) for p in need if not p.is_file()]
        if lost:
            raise SmokeFailure(f"missing in bundle: {lost}")
        revs = sorted(p.name for p in (base / "brigade_desk" / "migrations" / "versions").glob("*.py")
                      if p.name != "__init__.py")
        src = ROOT / "brigade_desk" / "migrations" / "versions"
        if src.is_dir():
            want = sorted(p.name for p in src.glob("*.py") if p.name != "__init__.py")
            if want != revs:
                raise SmokeFailure(f"revisions in bundle {revs} != source {want}")
        if not revs:
            raise SmokeFailure("no migration revisions in bundle")
        if not list((base / "PySide6").glob("QtCharts*")):
            raise SmokeFailure("PySide6.QtCharts missing from the bundle")
        heavy = [p.name for p in base.rglob("*") if "WebEngine" in p.name]
        if heavy:
            raise SmokeFailure(f"QtWebEngine must not be bundled: {heavy[:3]}")
        return f"2 programs, font, QtCharts, {len(revs)} revision(s): {', '.join(revs)}"

    def check_version(self) -> str:
        out = self.run_cli("--version", timeout=60).stdout.strip()
        want = source_version()
        if not re.fullmatch(r"brigade-desk \S+", out):
            raise SmokeFailure(f"unexpected output {out!r}")
        if want and out != f"brigade-desk {want}":
            raise SmokeFailure(f"{out!r} but the source says {want}")
        return out

    def check_demo(self) -> str:
        cp = self.run_cli("--db", str(self.db), "demo")
        if not self.db.is_file():
            raise SmokeFailure("no database file written")
        return cp.stdout.strip().splitlines()[-1][:160]

    def check_check_json(self) -> str:
        cp = self.run_cli("--db", str(self.db), "check", "--json")
        try:
            data = json.loads(cp.stdout)
        except json.JSONDecodeError as exc:
            raise SmokeFailure(f"not JSON ({exc}): {cp.stdout[:300]!r}") from None
        findings = data.get("findings")
        if not isinstance(findings, list) or "as_of" not in data:
            raise SmokeFailure(f"unexpected JSON shape: keys {sorted(data)}")
        rules = sorted({f.get("rule") for f in findings})
        return f"{len(findings)} findings, rules {rules}"

    def check_export(self) -> str:
        out = self.tmp / "roster.xlsx"
        self.run_cli("--db", str(self.db), "export", "roster", "--out", str(out))
        head = out.read_bytes()[:2] if out.is_file() else b""
        if head != b"PK":
            raise SmokeFailure("no .xlsx written")
        return f"{out.name} {out.stat().st_size} bytes"

    def check_quarterly(self) -> str:
        import zipfile

        out = self.tmp / "quarterly.xlsx"
        today = dt.date.today()
        self.run_cli("--db", str(self.db), "export", "quarterly", "--year", str(today.year),
                     "--quarter", str((today.month - 1) // 3 + 1), "--out", str(out))
        try:
            with zipfile.ZipFile(out) as z:
                sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
                bad = z.testzip()
        except (OSError, zipfile.BadZipFile) as exc:
            raise SmokeFailure(f"no readable .xlsx written: {exc}") from None
        if bad is not None or len(sheets) < 2:
            raise SmokeFailure(f"workbook incomplete: {len(sheets)} sheet(s), bad member {bad}")
        return f"{out.name} {out.stat().st_size} bytes, {len(sheets)} sheets (XlsxWriter inside the bundle)"

    def check_review_pdf(self) -> str:
        """A case-review checklist PDF: reportlab, the shipped checklists and the shipped font."""
        year = dt.date.today().year - 1
        cp = self.run_cli("--db", str(self.db), "review", "sample", "--year", str(year), "--json")
        cases = [c for group in json.loads(cp.stdout).get("cases", {}).values() for c in group]
        if not cases:
            raise SmokeFailure(f"the demo review sample for {year} is empty")
        out = self.tmp / "checklist.pdf"
        self.run_cli("--db", str(self.db), "review", "pdf", cases[0], "--year", str(year), "--blank",
                     "--out", str(out))
        data = out.read_bytes() if out.is_file() else b""
        if not data.startswith(b"%PDF"):
            raise SmokeFailure("no PDF written")
        if b"/FontFile2" not in data:
            raise SmokeFailure("the PDF has no embedded TrueType font")
        fonts = sorted(set(re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([A-Za-z0-9-]+)", data)))
        return f"{out.name} {len(data)} bytes for {cases[0]}, embedded {b', '.join(fonts).decode()}"

    def _log_text(self, since: dict[Path, int]) -> str:
        text = ""
        for f in self._log_files():
            with open(f, "rb") as fh:
                fh.seek(since.get(f, 0))
                text += fh.read().decode("utf-8", "replace")
        return text

    def _log_files(self) -> list[Path]:
        if IS_WINDOWS:
            base = Path(os.environ.get("LOCALAPPDATA", "")) / "BrigadeDesk"
        else:
            base = self.tmp / "home"
        return sorted(base.rglob("brigade_desk.log")) if base.is_dir() else []

    def check_gui(self) -> str:
        since = {f: f.stat().st_size for f in self._log_files()}
        err_path, out_path = self.tmp / "gui.stderr", self.tmp / "gui.stdout"
        with open(err_path, "wb") as err, open(out_path, "wb") as out:
            t0 = time.perf_counter()
            proc = subprocess.Popen([str(self.gui), "--db", str(self.db)], cwd=self.tmp, env=self.env,
                                    stdout=out, stderr=err)
            try:
                while time.perf_counter() - t0 < self.gui_seconds:
                    if proc.poll() is not None:
                        break
                    time.sleep(0.1)
                alive = proc.poll() is None
                lived = time.perf_counter() - t0
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait(timeout=30)
        stderr = err_path.read_bytes().decode("utf-8", "replace")
        log_text = self._log_text(since)
        if not alive:
            raise SmokeFailure(f"GUI exited after {lived:.1f} s with {proc.returncode}: {stderr.strip()[-1500:]}")
        if "Traceback" in stderr:
            raise SmokeFailure(f"traceback on stderr: {stderr.strip()[-1500:]}")
        bad = [ln for ln in log_text.splitlines() if " ERROR " in ln or " CRITICAL " in ln]
        if bad:
            raise SmokeFailure(f"errors in the log: {bad[:3]}")
        if "opened " not in log_text:
            raise SmokeFailure(f"the log does not show the database opened: {log_text[-500:]!r}")
        return f"still running after {lived:.1f} s, log shows the database opened; killed"

    def run(self) -> int:
        self.step("bundle layout", self.check_layout)
        self.step("brigade-desk --version", self.check_version)
        self.step("brigade-desk demo", self.check_demo)
        self.step("brigade-desk check --json", self.check_check_json)
        self.step("brigade-desk export roster", self.check_export)
        self.step("brigade-desk export quarterly", self.check_quarterly)
        self.step("brigade-desk review pdf", self.check_review_pdf)
        self.step(f"GUI offscreen {self.gui_seconds:g} s", self.check_gui)
        failed = [r for r in self.results if not r[1]]
        size = dir_size(self.bundle)
        print(f"bundle {self.bundle}: {size / 2**20:.1f} MiB; "
              f"{len(self.results) - len(failed)}/{len(self.results)} checks passed", flush=True)
        return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Smoke-test the built Brigade Desk bundle")
    ap.add_argument("--bundle", type=Path, default=ROOT / "dist" / "BrigadeDesk")
    ap.add_argument("--gui-seconds", type=float, default=5.0)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args(argv)
    bundle = args.bundle.resolve()
    if not bundle.is_dir():
        print(f"FAIL  no bundle at {bundle}; run installer/build.py first", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="brigade-smoke-"))
    try:
        return Smoke(bundle, tmp, args.gui_seconds).run()
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
