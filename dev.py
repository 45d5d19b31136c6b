#!/usr/bin/env python3
"""One command to set up and run Brigade Desk, or to set up and run its tests.

    python dev.py run      # create .venv, install, start the program
    python dev.py test     # create .venv, install with test tools, run ruff + mypy + pytest
                           # (pytest on SQLite, then on PostgreSQL where it is installed)
    python dev.py demo     # create .venv, install, fill a demo database and start the program on it

Works on Windows (py dev.py run) and Linux; uses only the standard library.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
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


def postgresql_at_hand() -> bool:
    """A server named for the tests (BRIGADE_DESK_TEST_PG), PostgreSQL's programs to start a
    throw-away one (Debian's package), or CI's demand for it (a missing server then fails there)."""
    if os.environ.get("BRIGADE_DESK_TEST_PG", "").strip():
        return True
    if os.environ.get("BRIGADE_DESK_TEST_REQUIRE_PG") == "1":
        return True
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb"))


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
        # the suite once on SQLite, then — where PostgreSQL is at hand — once more on PostgreSQL
        # (tests/dbtemplate.py: BRIGADE_DESK_TEST_DB); both must pass
        runs = [("sqlite", "SQLite")]
        if postgresql_at_hand():
            runs.append(("postgresql", "PostgreSQL"))
        else:
            print("本机没有 PostgreSQL：只在 SQLite 上运行测试。", flush=True)
        for dialect, label in runs:
            print(f"== pytest on {label} (BRIGADE_DESK_TEST_DB={dialect}) ==", flush=True)
            run_env = dict(env, BRIGADE_DESK_TEST_DB=dialect)
            rc = subprocess.call([str(py), "-m", "pytest", "-q", *rest], cwd=ROOT, env=run_env)
            if rc != 0:
                print(f"== pytest on {label}: failed (exit {rc}) ==", flush=True)
                return rc
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
