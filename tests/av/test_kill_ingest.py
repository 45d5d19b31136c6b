"""Crash safety (issue 7) for AV ingest: kill ``brigade-desk av ingest`` at random moments.

After every kill the database passes ``integrity_check``, every indexed record is whole (its file
re-hashes to the stored SHA-256: ``av verify`` finds nothing modified or missing), the audit trail
verifies, and re-running the ingest completes the index without duplicates (ingest is resumable).
``BRIGADE_DESK_KILL_RUNS`` (default 8) sets the number of kills.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dbtemplate import fresh_db

pytestmark = pytest.mark.sqlite_only(
    reason="kills a writer of the SQLite file (journal, stale lock)"
)

RUNS = int(os.environ.get("BRIGADE_DESK_KILL_RUNS", "8"))
FILES = 80


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "brigade_desk", "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _count(db: Path) -> int:
    con = sqlite3.connect(str(db))
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return int(con.execute("SELECT count(*) FROM av_record").fetchone()[0])
    finally:
        con.close()


@pytest.mark.slow
def test_sigkill_during_ingest_keeps_every_record_whole(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("BRIGADE_DESK_KILL_SEED", "11")))
    src = tmp_path / "执法记录仪 导出"
    src.mkdir()
    for i in range(FILES):  # distinct content, body-camera names
        (src / f"035357_DSJ-A0009_20261122{i // 60:02d}{i % 60:02d}16_{i:04d}.mp4").write_bytes(
            os.urandom(1_500_000)
        )
    base = tmp_path / "base.sqlite"
    fresh_db(base).close()
    # an uninterrupted run tells how long the kills may wait
    full = tmp_path / "full.sqlite"
    shutil.copy(base, full)
    t = time.perf_counter()
    r = _cli(full, "av", "ingest", "--in-place", str(src), "--workers", "2", "--json")
    duration = time.perf_counter() - t
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == FILES
    killed = 0
    for i in range(RUNS):
        db = tmp_path / f"k{i}.sqlite"
        shutil.copy(base, db)
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        p = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "brigade_desk",
                "--db",
                str(db),
                "av",
                "ingest",
                "--in-place",
                str(src),
                "--workers",
                "2",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        time.sleep(rng.uniform(0.25, 0.95) * duration)
        if p.poll() is None:
            if os.name == "posix":
                os.kill(p.pid, signal.SIGKILL)
            else:
                p.kill()
            killed += 1
        p.wait()
        n = _count(db)
        assert 0 <= n <= FILES
        v = _cli(db, "av", "verify", "--json")
        out = json.loads(v.stdout)
        assert (
            v.returncode == 0 and out["checked"] == n and not out["modified"] and not out["missing"]
        ), v.stdout
        a = _cli(db, "audit", "verify", "--json")
        assert a.returncode == 0 and json.loads(a.stdout)["ok"], a.stdout
        # resumable: the rest is added, nothing twice
        again = _cli(db, "av", "ingest", "--in-place", str(src), "--workers", "2", "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["added"] == FILES - n
        assert _count(db) == FILES
    print(
        f"\ningest kills: {killed} of {RUNS} runs killed mid-ingest (uninterrupted run {duration:.1f} s)"
    )
    assert killed >= RUNS // 2
