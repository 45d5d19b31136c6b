"""The installed copy is the tested copy (issue 13).

An editable install (what ``dev.py`` makes and every other test uses) finds files beside the
package that a wheel does not carry. This test builds the wheel from the tracked sources, installs
it with ``constraints.txt`` into a FRESH venv, and runs ``installer/smoke.py``'s checks with that
venv's ``brigade-desk`` from a folder outside the source tree: demo, every workbook and every PDF
export the README lists (each PDF's fonts all embedded per ``pdffonts``), on a database whose path
holds Chinese characters, ``#``, ``%`` and spaces. The same checks run on the PyInstaller bundle
(``python installer/smoke.py``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
import venv
import zipfile
from pathlib import Path

import pytest

import brigade_desk

ROOT = Path(__file__).resolve().parents[2]
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""
# What the wheel must carry besides the modules: everything the program opens as a file.
MUST_SHIP = [
    "brigade_desk/resources/fonts/wqy-microhei.ttc",
    "brigade_desk/resources/fonts/LICENSE-wqy-microhei-Apache-2.0.txt",
    "brigade_desk/resources/fonts/gbsn00lp-gb2312.ttf",
    "brigade_desk/resources/fonts/gkai00mp-gb2312.ttf",
    "brigade_desk/resources/fonts/LICENSE-arphic-ARPHICPL.txt",
    "brigade_desk/migrations/env.py",
    "brigade_desk/migrations/script.py.mako",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.sqlite_only(reason="the installed wheel, run on a SQLite demo file of its own"),
]


def _smoke_module():
    spec = importlib.util.spec_from_file_location("brigade_smoke", ROOT / "installer" / "smoke.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _tracked_sources(dest: Path) -> Path:
    """Copy only what a build needs, from the files git tracks when this is a checkout: so the wheel
    cannot pick up .venv/, build/, *.egg-info, __pycache__ or a stale build/lib, and the build writes
    nothing into the source tree."""
    try:
        listed = (
            subprocess.run(
                ["git", "-C", str(ROOT), "ls-files", "-z"],
                capture_output=True,
                check=True,
                timeout=60,
            )
            .stdout.decode("utf-8")
            .split("\0")
        )
        files = [f for f in listed if f]
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        files = [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file()
            and not (
                {".venv", ".git", "build", "dist", "__pycache__"} & set(p.relative_to(ROOT).parts)
            )
        ]
    keep = [
        f for f in files if f.startswith("brigade_desk/") or f in ("pyproject.toml", "README.md")
    ]
    for rel in keep:
        src = ROOT / rel
        if src.is_file():  # tracked but deleted in the work tree: not part of what we test
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    # files that exist in the work tree but are not committed yet still belong to the package
    for p in (ROOT / "brigade_desk").rglob("*"):
        rel = p.relative_to(ROOT)
        if p.is_file() and "__pycache__" not in rel.parts and p.suffix not in (".pyc", ".pyo"):
            if not (dest / rel).exists():
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(p, dest / rel)
    return dest


def _pip(python: Path, *args: str, timeout: float = 900) -> None:
    cp = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PIP_NO_INPUT": "1"},
    )
    assert cp.returncode == 0, (
        f"pip {' '.join(args)} failed:\n{cp.stdout[-3000:]}\n{cp.stderr[-3000:]}"
    )


def test_wheel_in_a_fresh_venv_runs_demo_and_every_export(tmp_path: Path) -> None:
    if shutil.which("pdffonts") is None:
        pytest.skip(
            "pdffonts (poppler-utils) is not installed: cannot prove the PDFs embed their fonts"
        )
    assert not tmp_path.resolve().is_relative_to(ROOT), "the smoke must run outside the source tree"
    t0 = time.perf_counter()
    figures: dict[str, float] = {}

    # 1. the wheel, from the tracked sources only
    src = _tracked_sources(tmp_path / "src")
    wheels = tmp_path / "wheels"
    _pip(Path(sys.executable), "wheel", "--no-deps", "-q", "-w", str(wheels), str(src))
    (wheel,) = wheels.glob("brigade_desk-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    missing = [n for n in MUST_SHIP if n not in names]
    assert not missing, f"the wheel lacks {missing}"
    checklists = [
        n
        for n in names
        if n.startswith("brigade_desk/resources/checklists/") and n.endswith(".json")
    ]
    assert len(checklists) == len(list((ROOT / "brigade_desk/resources/checklists").glob("*.json")))
    revisions = {
        n.rsplit("/", 1)[-1] for n in names if n.startswith("brigade_desk/migrations/versions/")
    }
    assert revisions >= {p.name for p in (ROOT / "brigade_desk/migrations/versions").glob("*.py")}
    junk = [
        n
        for n in names
        if not n.startswith(("brigade_desk/", "brigade_desk-"))
        or "__pycache__" in n
        or n.endswith((".pyc", ".sqlite"))
    ]
    assert not junk, f"the wheel carries files that are not the package: {junk[:10]}"
    figures["wheel_s"] = time.perf_counter() - t0

    # 2. a fresh venv (not the dev one) with the wheel and the tested dependency versions
    t1 = time.perf_counter()
    vdir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(vdir)
    py = vdir / BIN / f"python{EXE}"
    _pip(py, "install", "-q", "-c", str(ROOT / "constraints.txt"), str(wheel))
    figures["venv_install_s"] = time.perf_counter() - t1

    # 3. the smoke: that venv's programs, from a temporary folder, on an awkward database path
    t2 = time.perf_counter()
    smoke = _smoke_module()
    work = tmp_path / "run"
    work.mkdir()
    s = smoke.Smoke(
        [str(vdir / BIN / f"brigade-desk{EXE}")],
        work,
        gui=[str(vdir / BIN / f"brigade-desk-gui{EXE}")],
        gui_seconds=3.0,
        python=py,
        prefix=vdir,
    )
    rc = s.run()
    figures["smoke_s"] = time.perf_counter() - t2
    report = "\n".join(
        f"{'PASS' if ok else 'FAIL'} {name} ({took:.1f} s): {detail}"
        for name, ok, took, detail in s.results
    )
    assert rc == 0, f"smoke of the installed wheel failed:\n{report}"
    names_run = {r[0] for r in s.results}
    assert "installed package" in names_run and "brigade-desk demo" in names_run
    assert sum(1 for n in names_run if ".pdf" in n or n.startswith("review pdf")) >= 8
    assert brigade_desk.__version__ in s.results[1][3]
    print(f"installed-copy smoke: {figures} total {time.perf_counter() - t0:.1f} s\n{report}")
