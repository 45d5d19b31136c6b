#!/usr/bin/env python3
"""One command to set up and run Brigade Desk, or to set up and run its tests.

    python dev.py run      # create .venv, install, start the program
    python dev.py test     # create .venv, install with test tools, run ruff + mypy + pytest
    python dev.py demo     # create .venv, install, fill a demo database and start the program on it

Works on Windows (py dev.py run) and Linux; uses only the standard library.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
CONSTRAINTS = ROOT / "constraints.txt"  # the tested versions of every dependency
SOURCES = ["brigade_desk", "tests", "benchmarks", "installer", "tools", "dev.py"]


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def ensure_venv(extras: str) -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036  (dev.py itself may be started by an older Python)
        sys.exit(f"需要 Python 3.11 或更新版本（当前 {sys.version.split()[0]}）")
    py = venv_python()
    if not py.exists():
        print("创建虚拟环境 .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + CONSTRAINTS.read_bytes()
    ).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        target = f".[{extras}]" if extras else "."
        print(f"安装依赖（{target}，版本按 constraints.txt）…", flush=True)
        # -c: exactly the dependency versions that were tested, never whatever is newest today
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
                target,
            ],
            cwd=ROOT,
        )
        stamp.write_text(digest)
    return py


def main() -> int:
    cmd = sys.argv[1] if len(sys.argv) > 1 else "run"
    rest = sys.argv[2:]
    if cmd == "run":
        py = ensure_venv("fast")
        return subprocess.call([str(py), "-m", "brigade_desk", *rest], cwd=ROOT)
    if cmd == "demo":
        py = ensure_venv("fast")
        db = ROOT / "demo.sqlite"
        if not db.exists():
            subprocess.check_call(
                [str(py), "-m", "brigade_desk", "--db", str(db), "demo", *rest], cwd=ROOT
            )
        return subprocess.call([str(py), "-m", "brigade_desk", "--db", str(db)], cwd=ROOT)
    if cmd == "test":
        py = ensure_venv("test,fast")
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        # the same checks as CI, cheapest first: lint, formatting, types, then the tests
        checks = [
            ["ruff", "check", *SOURCES],
            ["ruff", "format", "--check", *SOURCES],
            ["mypy"],  # what and how strictly: [tool.mypy] in pyproject.toml
        ]
        for check in checks:
            rc = subprocess.call([str(py), "-m", *check], cwd=ROOT, env=env)
            if rc != 0:
                return rc
        return subprocess.call([str(py), "-m", "pytest", "-q", *rest], cwd=ROOT, env=env)
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
