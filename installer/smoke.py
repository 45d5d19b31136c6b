#!/usr/bin/env python3
"""Smoke test of an INSTALLED Brigade Desk: runs the installed programs, never the source tree.

    python installer/smoke.py [--bundle dist/BrigadeDesk] [--gui-seconds 5] [--keep]
    python installer/smoke.py --venv DIR [--gui-seconds 0]

Two kinds of installed copy, one list of checks:
  * ``--bundle``: the PyInstaller one-folder build (dist/BrigadeDesk/, ``brigade-desk[.exe]`` and
    ``BrigadeDesk[.exe]``), made by installer/build.py;
  * ``--venv``: a virtual environment the WHEEL was pip-installed into (``brigade-desk`` and
    ``brigade-desk-gui`` console scripts); tests/app/test_installed_copy.py builds the wheel, makes a
    fresh venv, installs it with constraints.txt and runs this.

Checks, each timed (run in a temporary folder outside the source tree, on a database whose path
holds Chinese characters, ``#``, ``%`` and spaces):
  * bundle: both programs, the shipped font, Alembic's script.py.mako and every revision;
    venv: ``brigade_desk`` is imported from the venv (not a checkout) and carries its resources;
  * ``brigade-desk --version`` prints the package version;
  * ``brigade-desk --db TMP demo`` creates and migrates a fresh database and fills demo data;
  * ``brigade-desk --db TMP check --json`` prints JSON with a findings list;
  * every workbook export (roster, cases, reviews, quarterly, monthly, annual, training,
    training-plan, av, a 上级模板 filled by ``export template``, the blank import templates) is a
    complete .xlsx with data in it;
  * every PDF (case-review checklist blank / filled / all, review report, annual report, filing
    form, training plan, exam notice) is a real PDF and every font in it is EMBEDDED (``pdffonts``
    emb = yes when poppler-utils is installed; otherwise each font must be an embedded TrueType);
  * the GUI (QT_QPA_PLATFORM=offscreen) on that database is still running after N seconds, logged
    that it opened the database, and printed no traceback; then it is killed (N = 0 skips it).
With the user folders (XDG_*) pointed into the temporary folder on Linux, so it neither reads nor
writes the real user data. Exit status 0 only when every check passed.
Uses only the standard library.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
IS_WINDOWS = os.name == "nt"
EXE = ".exe" if IS_WINDOWS else ""
# A folder and a database name the way clerks name things: Chinese, spaces, and the characters
# that break SQLite URIs and naive URL/format handling.
ODD_DIR = "台账 数据 #1 %41"
ODD_DB = "内勤 台账 #2 %20.sqlite"
MIN_PDF_BYTES = 10_000  # the smallest real export with an embedded font subset is ~45 KB
MIN_XLSX_BYTES = 4_000
MIN_XLSX_CELLS = 20


class SmokeFailure(Exception):
    pass


def source_version() -> str | None:
    init = ROOT / "brigade_desk" / "__init__.py"
    if not init.is_file():
        return None
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == "__version__" for t in node.targets
        ):
            return str(ast.literal_eval(node.value))
    return None


def dir_size(p: Path) -> int:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink())


def pdf_font_rows(path: Path) -> list[tuple[str, str, bool]] | None:
    """(name, type, embedded) for every font ``pdffonts`` lists; None when pdffonts is missing."""
    exe = shutil.which("pdffonts")
    if exe is None:
        return None
    cp = subprocess.run(
        [exe, str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=60,
    )
    if cp.returncode != 0:
        raise SmokeFailure(f"pdffonts failed on {path.name}: {cp.stderr.strip()[:300]}")
    rows = []
    for line in cp.stdout.splitlines()[2:]:  # header + dashes
        parts = line.split()
        if len(parts) < 7:
            continue
        # name type(1-3 words) encoding emb sub uni objnum gen: read from the right
        rows.append((parts[0], " ".join(parts[1:-6]), parts[-5] == "yes"))
    return rows


def write_superior_template(path: Path) -> None:
    """A 上级模板 workbook (placeholders + one repeating row), written with the standard library only:
    the bundle has no Python for openpyxl, and the check must not depend on the program's own writer."""
    cells = [
        ("A1", "{{单位名称}}{{年度}}年执法证件情况"),
        ("A2", "填报日期：{{填报日期}}"),
        ("A3", "姓名"),
        ("B3", "执法证号"),
        ("A4", "{{行:执法证件.姓名}}"),
        ("B4", "{{行:执法证件.执法证号}}"),
        ("A5", "填表人：{{填表人}}"),
    ]

    def esc(t: str) -> str:
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    rows: dict[int, list[str]] = {}
    for ref, text in cells:
        rows.setdefault(int(ref[1:]), []).append(
            f'<c r="{ref}" t="inlineStr"><is><t>{esc(text)}</t></is></c>'
        )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + "".join(f'<row r="{r}">{"".join(cs)}</row>' for r, cs in sorted(rows.items()))
        + "</sheetData></worksheet>"
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="执法证件" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            z.writestr(name, xml)


class Smoke:
    """The checks, parameterised by how to start the installed programs.

    ``cli``: the command line program as an argv prefix (``[".../brigade-desk"]``);
    ``gui``: the GUI program as an argv prefix, or None; ``bundle``: the PyInstaller folder (layout
    check); ``python`` + ``prefix``: the venv's interpreter and folder (import-location check).
    """

    def __init__(
        self,
        cli: Sequence[str],
        tmp: Path,
        *,
        gui: Sequence[str] | None = None,
        gui_seconds: float = 5.0,
        bundle: Path | None = None,
        python: Path | None = None,
        prefix: Path | None = None,
    ) -> None:
        self.cli = list(cli)
        self.gui = list(gui) if gui else None
        self.tmp = tmp
        self.gui_seconds = gui_seconds
        self.bundle = bundle
        self.python = python
        self.prefix = prefix
        self.work = tmp / ODD_DIR
        self.work.mkdir(parents=True, exist_ok=True)
        self.db = self.work / ODD_DB
        self.year = dt.date.today().year
        self.case_no = ""
        self.results: list[tuple[str, bool, float, str]] = []
        env = {
            k: v
            for k, v in os.environ.items()
            if k
            not in ("BRIGADE_DESK_DB", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
        }
        env["QT_QPA_PLATFORM"] = "offscreen"
        env["PYTHONIOENCODING"] = "utf-8"
        env["PYTHONNOUSERSITE"] = "1"  # no package from ~/.local can stand in for the installed one
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
        except (
            Exception
        ) as exc:  # a broken check is a failed check, never a crash of the smoke test
            detail, ok = f"{type(exc).__name__}: {exc}", False
        took = time.perf_counter() - t0
        self.results.append((name, ok, took, detail))
        print(f"{'PASS' if ok else 'FAIL'}  {name:<40} {took:6.2f} s  {detail}", flush=True)

    def run_cli(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        cp = subprocess.run(
            [*self.cli, *args],
            cwd=self.tmp,
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
        )
        if cp.returncode != 0:
            raise SmokeFailure(f"exit {cp.returncode}: {(cp.stderr or cp.stdout).strip()[-1500:]}")
        return cp

    # -- checks ----------------------------------------------------------------------------------

    def check_layout(self) -> str:
        assert self.bundle is not None
        programs = [self.bundle / f"brigade-desk{EXE}", self.bundle / f"BrigadeDesk{EXE}"]
        missing = [p.name for p in programs if not p.is_file()]
        if missing:
            raise SmokeFailure(f"missing programs: {missing}")
        internal = self.bundle / "_internal"
        base = internal if internal.is_dir() else self.bundle
        need = [
            base / "brigade_desk" / "resources" / "fonts" / "wqy-microhei.ttc",
            base / "brigade_desk" / "migrations" / "env.py",
            base / "brigade_desk" / "migrations" / "script.py.mako",
        ]
        lost = [str(p.relative_to(self.bundle)) for p in need if not p.is_file()]
        if lost:
            raise SmokeFailure(f"missing in bundle: {lost}")
        revs = sorted(
            p.name
            for p in (base / "brigade_desk" / "migrations" / "versions").glob("*.py")
            if p.name != "__init__.py"
        )
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

    def check_installed_package(self) -> str:
        """The venv imports brigade_desk from ITSELF (not a checkout) and its resources came along."""
        assert self.python is not None and self.prefix is not None
        code = (
            "import json, brigade_desk, importlib.resources as r; "
            "from brigade_desk.core.forms import fonts; from brigade_desk.ledgers.cases.checklists import resource_templates; "
            "print(json.dumps({'file': brigade_desk.__file__, 'font': str(fonts.shipped_font().path), "
            "'checklists': len(resource_templates()), "
            "'migrations': str(r.files('brigade_desk').joinpath('migrations', 'script.py.mako'))}))"
        )
        cp = subprocess.run(
            [str(self.python), "-c", code],
            cwd=self.tmp,
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=120,
        )
        if cp.returncode != 0:
            raise SmokeFailure(f"import failed: {cp.stderr.strip()[-1500:]}")
        info = json.loads(cp.stdout.strip().splitlines()[-1])
        prefix = self.prefix.resolve()
        pkg = Path(info["file"]).resolve().parent
        if not pkg.is_relative_to(prefix):
            raise SmokeFailure(f"brigade_desk imported from {pkg}, not from the venv {prefix}")
        if ROOT.resolve() in (pkg, *pkg.parents) and ROOT.resolve() != prefix:
            raise SmokeFailure(f"brigade_desk imported from the source tree {pkg}")
        font = Path(info["font"]).resolve()
        if not font.is_relative_to(pkg) or font.stat().st_size < 1_000_000:
            raise SmokeFailure(f"shipped font {font} is not the package's own")
        if info["checklists"] < 1:
            raise SmokeFailure("no checklist template shipped in the package")
        if not Path(info["migrations"]).is_file():
            raise SmokeFailure(f"{info['migrations']} missing")
        return (
            f"brigade_desk from {pkg.relative_to(prefix)}, font {font.stat().st_size / 2**20:.1f} MiB, "
            f"{info['checklists']} checklist version(s)"
        )

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
            raise SmokeFailure(f"no database file written at {self.db}")
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

    def check_sample(self) -> str:
        """The demo's case-review sample of last year: the case used by the per-case PDFs."""
        cp = self.run_cli(
            "--db", str(self.db), "review", "sample", "--year", str(self.year - 1), "--json"
        )
        cases = [c for group in json.loads(cp.stdout).get("cases", {}).values() for c in group]
        if not cases:
            raise SmokeFailure(f"the demo review sample for {self.year - 1} is empty")
        self.case_no = cases[0]
        return f"{len(cases)} files sampled for {self.year - 1}, using {self.case_no}"

    def check_media_facts(self) -> str:
        """The installed copy finds libmediainfo (inside the pymediainfo package): a WAV written
        here is ingested with its duration and the start time its name gives."""
        import sqlite3
        import wave

        folder = self.work / "音像 #1"
        folder.mkdir(exist_ok=True)
        name = "20261201_103000_现场录音.wav"
        with wave.open(str(folder / name), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(bytes(8000 * 2 * 25 // 2))  # 12.5 s of silence
        archive = self.work / "音像归档 #1"  # copied into the archive, as by default
        self.run_cli(
            "--db", str(self.db), "av", "ingest", str(folder), "--copy-to", str(archive), "--json"
        )
        with sqlite3.connect(self.db) as c:
            row = c.execute(
                "SELECT duration_s, media_start, time_source FROM av_record WHERE file_name = ?",
                (name,),
            ).fetchone()
        if row is None:
            raise SmokeFailure(f"{name} was not indexed")
        duration, start, source = row
        if duration is None or abs(duration - 12.5) > 0.2:
            raise SmokeFailure(f"{name}: duration {duration!r}, expected 12.5 s (libmediainfo?)")
        if not str(start).startswith("2026-12-01 10:30:00") or source != "文件名":
            raise SmokeFailure(f"{name}: start {start!r} from {source!r}, expected the name's")
        return f"{name}: {duration} s, start {start} ({source})"

    def check_xlsx(self, out: Path, *args: str) -> str:
        cp = self.run_cli("--db", str(self.db), *args, "--out", str(out))
        if not out.is_file():
            raise SmokeFailure(f"{out.name} not written: {cp.stdout.strip()[-300:]}")
        size = out.stat().st_size
        try:
            with zipfile.ZipFile(out) as z:
                if z.testzip() is not None or "xl/workbook.xml" not in z.namelist():
                    raise SmokeFailure(f"{out.name} is not a complete workbook")
                sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
                cells = sum(z.read(n).count(b"<c ") for n in sheets)
        except zipfile.BadZipFile as exc:
            raise SmokeFailure(f"{out.name} is not an .xlsx: {exc}") from None
        if size < MIN_XLSX_BYTES or cells < MIN_XLSX_CELLS:
            raise SmokeFailure(
                f"{out.name} looks empty: {size} bytes, {len(sheets)} sheet(s), {cells} cells"
            )
        return f"{size / 1024:.0f} KB, {len(sheets)} sheet(s), {cells} cells"

    def check_pdf(self, out: Path, *args: str) -> str:
        self.run_cli("--db", str(self.db), *args, "--out", str(out))
        data = out.read_bytes() if out.is_file() else b""
        if not data.startswith(b"%PDF") or b"%%EOF" not in data[-1024:]:
            raise SmokeFailure(f"{out.name}: no complete PDF written")
        if len(data) < MIN_PDF_BYTES:
            raise SmokeFailure(f"{out.name} looks empty: {len(data)} bytes")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
        rows = pdf_font_rows(out)
        if rows is None:  # no poppler here (e.g. Windows): read the PDF's own font dictionaries
            if b"/FontFile2" not in data or re.search(
                rb"/BaseFont\s*/(Helvetica|Times|Courier)", data
            ):
                raise SmokeFailure(f"{out.name}: a font is not embedded")
            how = "fonts embedded (/FontFile2; pdffonts not installed)"
        else:
            bad = [f"{n} ({t})" for n, t, emb in rows if not emb]
            if not rows or bad:
                raise SmokeFailure(f"{out.name}: fonts not embedded: {bad or 'no fonts at all'}")
            how = f"pdffonts: {len(rows)} font(s) all embedded ({', '.join(sorted({n.split('+')[-1] for n, _t, _e in rows}))})"
        return f"{len(data) / 1024:.0f} KB, {pages} page(s), {how}"

    def check_custody(self, out: Path) -> str:
        """音像证据清单 of a demo case with AV files: the PDF as every PDF, and its manifest beside it
        (one ``sha256sum`` line per file: 64 hex digits, two spaces, an absolute path)."""
        import sqlite3

        c = sqlite3.connect(self.db.absolute().as_uri() + "?mode=ro", uri=True)
        try:
            row = c.execute(
                "SELECT case_no FROM av_record WHERE case_no != '' "
                "GROUP BY case_no ORDER BY count(*) DESC, case_no LIMIT 1"
            ).fetchone()
        finally:
            c.close()
        if row is None:
            raise SmokeFailure("the demo has no AV file linked to a case")
        res = self.check_pdf(out, "av", "custody", str(row[0]))
        lines = out.with_suffix(".sha256").read_text(encoding="utf-8").splitlines()
        bad = [x for x in lines if not re.match(r"^\\?[0-9a-f]{64}  \S", x)]
        if not lines or bad or not out.with_suffix(".json").is_file():
            raise SmokeFailure(f"{out.name}: manifest {len(lines)} line(s), bad {bad[:2]}")
        return f"{res}; manifest {len(lines)} file(s)"

    def check_template_export(self, out: Path) -> str:
        tpl = self.work / "上级 模板 #3.xlsx"
        write_superior_template(tpl)
        detail = self.check_xlsx(out, "export", "template", str(tpl), "--year", str(self.year))
        with zipfile.ZipFile(out) as z:
            xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/"))
        if b"{{" in xml:
            raise SmokeFailure(f"{out.name}: placeholders left unfilled")
        return detail

    def check_import_template(self, kind: str) -> str:
        out = self.work / f"导入模板 {kind}.xlsx"
        self.run_cli("template", kind, "--out", str(out))
        with zipfile.ZipFile(out) as z:
            if z.testzip() is not None or "xl/workbook.xml" not in z.namelist():
                raise SmokeFailure(f"{out.name} is not a complete workbook")
        return f"{out.stat().st_size / 1024:.0f} KB"

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
        assert self.gui is not None
        since = {f: f.stat().st_size for f in self._log_files()}
        err_path, out_path = self.tmp / "gui.stderr", self.tmp / "gui.stdout"
        with open(err_path, "wb") as err, open(out_path, "wb") as out:
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                [*self.gui, "--db", str(self.db)],
                cwd=self.tmp,
                env=self.env,
                stdout=out,
                stderr=err,
            )
            try:
                # at least gui_seconds, and (on a loaded machine) until the log shows the database opened
                while proc.poll() is None:
                    lived = time.perf_counter() - t0
                    if lived >= self.gui_seconds and (
                        "opened " in self._log_text(since) or lived > self.gui_seconds + 60
                    ):
                        break
                    time.sleep(0.2)
                alive = proc.poll() is None
                lived = time.perf_counter() - t0
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait(timeout=30)
        stderr = err_path.read_bytes().decode("utf-8", "replace")
        log_text = self._log_text(since)
        if not alive:
            raise SmokeFailure(
                f"GUI exited after {lived:.1f} s with {proc.returncode}: {stderr.strip()[-1500:]}"
            )
        if "Traceback" in stderr:
            raise SmokeFailure(f"traceback on stderr: {stderr.strip()[-1500:]}")
        bad = [ln for ln in log_text.splitlines() if " ERROR " in ln or " CRITICAL " in ln]
        if bad:
            raise SmokeFailure(f"errors in the log: {bad[:3]}")
        if "opened " not in log_text:
            raise SmokeFailure(f"the log does not show the database opened: {log_text[-500:]!r}")
        return f"still running after {lived:.1f} s, log shows the database opened; killed"

    # -- the run ---------------------------------------------------------------------------------

    def exports(self) -> list[tuple[str, Callable[[], str]]]:
        """Every workbook and PDF the README lists, on the demo database."""
        y, ly, w = str(self.year), str(self.year - 1), self.work
        month = str(max(1, dt.date.today().month - 1))
        quarter = str((dt.date.today().month - 1) // 3 + 1)
        x, pdf = self.check_xlsx, self.check_pdf
        return [
            ("export roster .xlsx", lambda: x(w / "花名册 #.xlsx", "export", "roster")),
            ("export cases .xlsx", lambda: x(w / "案件台账.xlsx", "export", "cases", "--year", y)),
            (
                "export reviews .xlsx",
                lambda: x(w / "评查结果.xlsx", "export", "reviews", "--year", ly),
            ),
            (
                "export quarterly .xlsx",
                lambda: x(
                    w / "季度 %.xlsx", "export", "quarterly", "--year", y, "--quarter", quarter
                ),
            ),
            (
                "export monthly .xlsx",
                lambda: x(w / "月报.xlsx", "export", "monthly", "--year", y, "--month", month),
            ),
            ("export annual .xlsx", lambda: x(w / "年报.xlsx", "export", "annual", "--year", y)),
            ("export annual .pdf", lambda: pdf(w / "年报 #.pdf", "export", "annual", "--year", y)),
            ("export filing .pdf", lambda: pdf(w / "备案表.pdf", "export", "filing", self.case_no)),
            (
                "export training .xlsx",
                lambda: x(w / "培训台账.xlsx", "export", "training", "--year", y),
            ),
            (
                "export training-plan .xlsx",
                lambda: x(w / "培训计划.xlsx", "export", "training-plan", "--year", y),
            ),
            (
                "export training-plan .pdf",
                lambda: pdf(w / "培训计划.pdf", "export", "training-plan", "--year", y),
            ),
            ("export av .xlsx", lambda: x(w / "音像台账.xlsx", "export", "av", "--year", y)),
            (
                "export template (上级模板)",
                lambda: self.check_template_export(w / "按模板填报.xlsx"),
            ),
            (
                "review pdf CASE --blank",
                lambda: pdf(
                    w / "评查表 空白.pdf", "review", "pdf", self.case_no, "--year", ly, "--blank"
                ),
            ),
            (
                "review pdf CASE (filled)",
                lambda: pdf(w / "评查表 已填.pdf", "review", "pdf", self.case_no, "--year", ly),
            ),
            (
                "review pdf all",
                lambda: pdf(w / "评查表 全部 %.pdf", "review", "pdf", "all", "--year", ly),
            ),
            (
                "review report .pdf",
                lambda: pdf(w / "评查通报.pdf", "review", "report", "--year", ly),
            ),
            ("training notice .pdf", lambda: pdf(w / "成绩通报.pdf", "training", "notice")),
            ("av custody .pdf", lambda: self.check_custody(w / "音像证据清单 #1 %.pdf")),
            *(
                (f"template {k} (import template)", lambda k=k: self.check_import_template(k))
                for k in ("staff", "cases", "training")
            ),
        ]

    def run(self) -> int:
        if self.bundle is not None:
            self.step("bundle layout", self.check_layout)
        if self.python is not None:
            self.step("installed package", self.check_installed_package)
        self.step("brigade-desk --version", self.check_version)
        self.step("brigade-desk demo", self.check_demo)
        self.step("brigade-desk check --json", self.check_check_json)
        self.step("brigade-desk review sample", self.check_sample)
        self.step("brigade-desk av ingest (media facts)", self.check_media_facts)
        for name, fn in self.exports():
            self.step(name, fn)
        if self.gui is not None and self.gui_seconds > 0:
            self.step(f"GUI offscreen {self.gui_seconds:g} s", self.check_gui)
        failed = [r for r in self.results if not r[1]]
        where = (
            f"bundle {self.bundle}: {dir_size(self.bundle) / 2**20:.1f} MiB; "
            if self.bundle
            else ""
        )
        print(
            f"{where}{len(self.results) - len(failed)}/{len(self.results)} checks passed in "
            f"{sum(r[2] for r in self.results):.1f} s",
            flush=True,
        )
        return 1 if failed else 0


def venv_scripts(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts" if IS_WINDOWS else "bin")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Smoke-test an installed Brigade Desk (bundle or venv)"
    )
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--bundle", type=Path, help="PyInstaller folder (default dist/BrigadeDesk)")
    where.add_argument("--venv", type=Path, help="a venv the wheel was pip-installed into")
    ap.add_argument("--gui-seconds", type=float, default=5.0, help="0 skips the GUI check")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="brigade-smoke-"))
    try:
        if args.venv is not None:
            vdir = args.venv.resolve()
            scripts = venv_scripts(vdir)
            cli = scripts / f"brigade-desk{EXE}"
            if not cli.is_file():
                print(f"FAIL  no {cli}; pip install the wheel into {vdir} first", file=sys.stderr)
                return 1
            smoke = Smoke(
                [str(cli)],
                tmp,
                gui=[str(scripts / f"brigade-desk-gui{EXE}")],
                gui_seconds=args.gui_seconds,
                python=scripts / f"python{EXE}",
                prefix=vdir,
            )
        else:
            bundle = (args.bundle or ROOT / "dist" / "BrigadeDesk").resolve()
            if not bundle.is_dir():
                print(f"FAIL  no bundle at {bundle}; run installer/build.py first", file=sys.stderr)
                return 1
            smoke = Smoke(
                [str(bundle / f"brigade-desk{EXE}")],
                tmp,
                gui=[str(bundle / f"BrigadeDesk{EXE}")],
                gui_seconds=args.gui_seconds,
                bundle=bundle,
            )
        return smoke.run()
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
