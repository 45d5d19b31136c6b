#!/usr/bin/env python3
"""Build the Brigade Desk one-folder bundle (and, on Windows, the setup program).

    python installer/build.py            # Linux
    py installer\\build.py                # Windows (Python 3.11 x64)

Steps: make (or reuse) a build venv in build/venv, install the project with its dependencies and
PyInstaller there, run installer/brigade_desk.spec, and leave the program in dist/BrigadeDesk/
(BrigadeDesk[.exe] = GUI, brigade-desk[.exe] = command line). On Windows, when Inno Setup 6's
ISCC.exe is found, it then compiles installer/brigade_desk.iss into dist/installer/.

Options: --smoke runs installer/smoke.py on the result; --no-iscc skips the setup program;
--iscc PATH names ISCC.exe; --venv DIR uses another venv; --no-install skips pip (offline rebuild).
Uses only the standard library.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "brigade_desk.spec"
ISS = HERE / "brigade_desk.iss"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
BUNDLE = DIST / "BrigadeDesk"
PYINSTALLER_REQ = "pyinstaller>=6.10,<7"
CONSTRAINTS = ROOT / "constraints.txt"  # the dependency versions the tests ran with
IS_WINDOWS = os.name == "nt"


def log(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def read_version() -> str:
    tree = ast.parse((ROOT / "brigade_desk" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == "__version__" for t in node.targets
        ):
            return str(ast.literal_eval(node.value))
    raise SystemExit("brigade_desk/__init__.py has no __version__")


def venv_python(vdir: Path) -> Path:
    return vdir / ("Scripts/python.exe" if IS_WINDOWS else "bin/python")


def ensure_venv(vdir: Path, install: bool) -> Path:
    py = venv_python(vdir)
    if not py.exists():
        log(f"creating venv {vdir}")
        venv.EnvBuilder(with_pip=True).create(vdir)
    if not install:
        return py
    # Reinstall only when the dependency list (or this script's requirement) changed.
    digest = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + CONSTRAINTS.read_bytes() + PYINSTALLER_REQ.encode()
    ).hexdigest()
    stamp = vdir / ".brigade-desk-build"
    if stamp.exists() and stamp.read_text() == digest:
        log("venv up to date")
        return py
    log(
        "installing the project (editable, so the bundle always takes the source tree) and PyInstaller"
    )
    # Editable: the spec analyses the source tree (pathex=ROOT); the venv only supplies dependencies.
    subprocess.check_call(
        [
            str(py),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            "-c",
            str(CONSTRAINTS),
            "-e",
            ".[fast]",
            PYINSTALLER_REQ,
        ],
        cwd=ROOT,
    )
    stamp.write_text(digest)
    return py


def dir_size(p: Path) -> tuple[int, int]:
    total = files = 0
    for f in p.rglob("*"):
        if f.is_file() and not f.is_symlink():
            total += f.stat().st_size
            files += 1
    return total, files


def run_pyinstaller(py: Path) -> float:
    cmd = [
        str(py),
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(DIST),
        "--workpath",
        str(WORK),
        str(SPEC),
    ]
    log(" ".join(cmd))
    t0 = time.perf_counter()
    subprocess.check_call(cmd, cwd=ROOT)
    return time.perf_counter() - t0


def find_iscc(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    found = shutil.which("ISCC") or shutil.which("iscc")
    if found:
        return Path(found)
    roots = [
        os.environ.get("ProgramFiles(x86)"),
        os.environ.get("ProgramFiles"),
        os.path.join(os.environ.get("LOCALAPPDATA", ""), "Programs"),
    ]
    for r in roots:
        if r:
            cand = Path(r) / "Inno Setup 6" / "ISCC.exe"
            if cand.is_file():
                return cand
    return None


def run_iscc(iscc: Path, version: str) -> Path:
    out = DIST / "installer"
    cmd = [str(iscc), f"/DAppVersion={version}", f"/DBundleDir={BUNDLE}", f"/O{out}", str(ISS)]
    log(" ".join(cmd))
    subprocess.check_call(cmd, cwd=ROOT)
    return out / f"BrigadeDesk-Setup-{version}.exe"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build the Brigade Desk bundle")
    ap.add_argument("--venv", type=Path, default=ROOT / "build" / "venv")
    ap.add_argument("--no-install", action="store_true", help="use the venv as it is (no pip)")
    ap.add_argument("--smoke", action="store_true", help="run installer/smoke.py afterwards")
    ap.add_argument(
        "--no-iscc", action="store_true", help="Windows: do not build the setup program"
    )
    ap.add_argument("--iscc", help="path to Inno Setup's ISCC.exe")
    args = ap.parse_args(argv)

    if sys.version_info < (3, 11):  # noqa: UP036  (run by any system Python)
        sys.exit(f"需要 Python 3.11 或更新版本（当前 {sys.version.split()[0]}）")
    if IS_WINDOWS and struct.calcsize("P") != 8:
        sys.exit("请使用 64 位 Python（x64）构建。")
    version = read_version()
    log(f"Brigade Desk {version} on {sys.platform}, Python {sys.version.split()[0]}")

    t0 = time.perf_counter()
    py = ensure_venv(args.venv.resolve(), install=not args.no_install)
    t_env = time.perf_counter() - t0
    t_pyi = run_pyinstaller(py)

    gui = BUNDLE / ("BrigadeDesk.exe" if IS_WINDOWS else "BrigadeDesk")
    cli = BUNDLE / ("brigade-desk.exe" if IS_WINDOWS else "brigade-desk")
    for exe in (gui, cli):
        if not exe.is_file():
            sys.exit(f"构建失败：缺少 {exe}")
    size, files = dir_size(BUNDLE)
    report = {
        "version": version,
        "platform": sys.platform,
        "python": sys.version.split()[0],
        "bundle": str(BUNDLE),
        "bundle_bytes": size,
        "bundle_mib": round(size / 2**20, 1),
        "files": files,
        "venv_seconds": round(t_env, 1),
        "pyinstaller_seconds": round(t_pyi, 1),
    }
    log(
        f"bundle {BUNDLE}: {report['bundle_mib']} MiB in {files} files; "
        f"PyInstaller {t_pyi:.1f} s (venv/pip {t_env:.1f} s)"
    )

    if IS_WINDOWS and not args.no_iscc:
        iscc = find_iscc(args.iscc)
        if iscc is None:
            log("Inno Setup 6 (ISCC.exe) not found: setup program skipped; see installer/README.md")
        else:
            t1 = time.perf_counter()
            setup = run_iscc(iscc, version)
            report["setup"] = str(setup)
            report["iscc_seconds"] = round(time.perf_counter() - t1, 1)
            log(f"setup program: {setup}")

    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build" / "build-report.json").write_text(
        json.dumps(report, indent=2), encoding="utf-8"
    )

    if args.smoke:
        return subprocess.call([sys.executable, str(HERE / "smoke.py"), "--bundle", str(BUNDLE)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
