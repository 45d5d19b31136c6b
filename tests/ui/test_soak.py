"""The impatient clerk (tests/soak_clerk.py) on the demo database: several seeds, a few minutes in
all, the garbage collector running on worker threads. Any crash, hang, traceback or crash dialog
fails the test; the seed is printed so a failure can be repeated:

    python tests/soak_clerk.py --seed N --seconds 600

BRIGADE_SOAK_SEEDS="1,2,3" and BRIGADE_SOAK_SECONDS=65 (per seed) change what CI runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
SEEDS = [int(s) for s in os.environ.get("BRIGADE_SOAK_SEEDS", "11,22,33").split(",") if s.strip()]
SECONDS = float(os.environ.get("BRIGADE_SOAK_SECONDS", "65"))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("soak demo") / "演示 #1.sqlite"
    out = subprocess.run(
        [sys.executable, "-m", "brigade_desk", "--db", str(db), "demo", "--seed", "5"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return db


@pytest.mark.slow
@pytest.mark.sqlite_only(reason="drives the real program on a SQLite demo copy of its own")
@pytest.mark.parametrize("seed", SEEDS)
def test_an_impatient_clerk_cannot_crash_or_hang_the_program(
    seed: int, demo_db: Path, tmp_path: Path
) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1")
    print(f"soak seed {seed}, {SECONDS:.0f} s")
    proc = subprocess.run(
        [
            sys.executable,
            str(TESTS / "soak_clerk.py"),
            "--seed",
            str(seed),
            "--seconds",
            str(SECONDS),
            "--db",
            str(demo_db),
            "--workdir",
            str(tmp_path / "soak"),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=SECONDS + 240,
        env=env,
    )
    output = proc.stdout + proc.stderr
    summary = [line for line in output.splitlines() if line.startswith("soak seed")]
    print("\n".join(summary))
    assert proc.returncode == 0, f"seed {seed}: exit {proc.returncode}\n{output[-6000:]}"
    assert "Traceback" not in output, output[-6000:]
    actions = next(line for line in summary if " actions: " in line)
    assert int(actions.split(": ")[1].split()[0]) > SECONDS * 3  # it really clicked about
