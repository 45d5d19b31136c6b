"""Crash safety (issue 7): kill ``brigade-desk import`` at random moments; each import is all or nothing.

For every importer in ``tests.hostile_util.IMPORTER_CASES``: a big generated workbook is imported
by a real subprocess (``python -m brigade_desk --db X import KIND BIG.xlsx``) which is killed
(SIGKILL on POSIX, TerminateProcess on Windows) at a random moment, ``BRIGADE_DESK_KILL_RUNS`` times
(default 8), each time into a fresh copy of the same database. After every kill the database passes
``PRAGMA integrity_check`` and holds either none or all of the rows. Half the kills are aimed at
the moment SQLite writes the transaction (the write-ahead log has grown past a random size below
the size an uninterrupted run reaches), a quarter at a random time, a quarter right after a reader
first sees the committed rows (checkpoint, close, exit): those must keep every row. Finally the
import is re-run on a killed database (stale lock and all) and must complete.

``BRIGADE_DESK_KILL_ROWS`` (default 3000) sets the size; ``BRIGADE_DESK_KILL_SEED`` the random seed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from dbtemplate import fresh_db

from tests.hostile_util import IMPORTER_CASES, write_rows

pytestmark = pytest.mark.sqlite_only(
    reason="kills a writer of the SQLite file (journal, stale lock)"
)

RUNS = int(os.environ.get("BRIGADE_DESK_KILL_RUNS", "8"))
ROWS = int(os.environ.get("BRIGADE_DESK_KILL_ROWS", "3000"))
SEED = int(os.environ.get("BRIGADE_DESK_KILL_SEED", str(int(time.time()))))


def _spawn(db: Path, kind: str, xlsx: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "brigade_desk", "--db", str(db), "import", kind, str(xlsx)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if os.name == "posix":
        os.kill(proc.pid, signal.SIGKILL)
    else:
        proc.kill()


def _wal_size(db: Path) -> int:
    try:
        return Path(str(db) + "-wal").stat().st_size
    except OSError:
        return 0


def _state(db: Path, table: str) -> tuple[str, int]:
    con = sqlite3.connect(str(db))
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        n = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        fk = con.execute("PRAGMA foreign_key_check").fetchall()
        assert not fk, fk[:5]
        return ok, n
    finally:
        con.close()


@dataclass
class Timing:
    total: float  # an uninterrupted import, process start to exit
    write_start: float  # when the write-ahead log first grew
    max_wal: int  # its largest size (the whole transaction committed)


def _full_run(db: Path, kind: str, xlsx: Path) -> Timing:
    t0 = time.perf_counter()
    proc = _spawn(db, kind, xlsx)
    write_start = None
    max_wal = 0
    while proc.poll() is None:
        w = _wal_size(db)
        if w > 0 and write_start is None:
            write_start = time.perf_counter() - t0
        max_wal = max(max_wal, w)
        time.sleep(0.001)
    total = time.perf_counter() - t0
    out, err = proc.communicate()
    assert proc.returncode == 0, err.decode("utf-8", "replace")
    return Timing(total, write_start if write_start is not None else total, max_wal)


def _visible_rows(db: Path, table: str) -> int:
    """Rows a reader sees now (committed data only)."""
    try:
        con = sqlite3.connect(Path(db).resolve().as_uri() + "?mode=ro", uri=True, timeout=0.05)
        try:
            return int(con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return -1


def _run_and_kill(
    db: Path,
    kind: str,
    xlsx: Path,
    *,
    at: float | None = None,
    wal_at_least: int | None = None,
    committed: tuple[str, int] | None = None,
    limit: float = 600,
) -> tuple[bool, float, int]:
    """Start an import and kill it at ``at`` seconds, as soon as the WAL reaches ``wal_at_least``
    bytes, or as soon as a reader sees ``committed`` = (table, rows). Returns (killed while
    running, moment, WAL size then)."""
    proc = _spawn(db, kind, xlsx)
    t0 = time.perf_counter()
    wal = 0
    while proc.poll() is None and time.perf_counter() - t0 < limit:
        wal = _wal_size(db)
        if at is not None and time.perf_counter() - t0 >= at:
            break
        if wal_at_least is not None and wal >= wal_at_least:
            break
        if committed is not None and wal > 0 and _visible_rows(db, committed[0]) >= committed[1]:
            break
        time.sleep(0.001)
    moment = time.perf_counter() - t0
    alive = proc.poll() is None
    if alive:
        _kill(proc)
    proc.communicate()
    return alive, moment, wal


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(IMPORTER_CASES))
def test_sigkill_during_import_is_all_or_nothing(kind: str, tmp_path: Path) -> None:
    case = IMPORTER_CASES[kind]
    xlsx = write_rows(tmp_path / "big.xlsx", case.headers, (case.valid_row(i) for i in range(ROWS)))
    template = tmp_path / "template.sqlite"
    d = fresh_db(template)
    if case.prepare_db:
        case.prepare_db(d)
    d.close()
    with sqlite3.connect(str(template)) as con:  # one self-contained file to copy
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _, base_count = _state(template, case.count_table)

    full_db = tmp_path / "full.sqlite"
    shutil.copy(template, full_db)
    timing = _full_run(full_db, kind, xlsx)
    assert _state(full_db, case.count_table) == ("ok", base_count + ROWS)

    rng = random.Random(SEED)
    outcomes: list[tuple[str, float, int, int, bool]] = []  # (aim, moment, WAL bytes, rows, killed)
    db = tmp_path / "killed.sqlite"
    for i in range(RUNS):
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        shutil.copy(template, db)
        mode = ("mid-write", "anytime", "mid-write", "committed")[i % 4]
        if mode == "anytime":  # reading, checking, building the transaction, writing, exiting
            alive, moment, wal = _run_and_kill(db, kind, xlsx, at=rng.uniform(0.05, timing.total))
        elif mode == "mid-write" and timing.max_wal > 0:  # SQLite is writing the transaction
            alive, moment, wal = _run_and_kill(
                db, kind, xlsx, wal_at_least=rng.randint(1, max(int(timing.max_wal * 0.9), 1))
            )
        else:  # right after the commit: during the checkpoint, closing and exiting
            alive, moment, wal = _run_and_kill(
                db, kind, xlsx, committed=(case.count_table, base_count + ROWS)
            )
        ok, n = _state(db, case.count_table)
        outcomes.append((mode, moment, wal, n - base_count, alive))
        where = f"kill {i + 1} ({mode}) at {moment:.2f} s, WAL {wal} B"
        assert ok == "ok", f"{where}: integrity_check says {ok}"
        assert n - base_count in (0, ROWS), (
            f"{where}: {n - base_count} of {ROWS} rows — a partial import"
        )
        if mode == "committed":
            assert n - base_count == ROWS, f"{where}: a committed import was lost"

    # the clerk simply imports again after the crash: it completes
    proc = _spawn(db, kind, xlsx)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode("utf-8", "replace")
    assert _state(db, case.count_table) == ("ok", base_count + ROWS)

    killed = [o for o in outcomes if o[4]]
    assert killed, "every run finished before its kill moment: the test proved nothing"
    lines = [
        f"kill test ({kind}, {ROWS} rows, seed {SEED}): uninterrupted import {timing.total:.1f} s, "
        f"WAL grows from {timing.write_start:.1f} s to {timing.max_wal} B; "
        f"{len(killed)} of {RUNS} runs killed while running, all survived (integrity ok, all or nothing)"
    ]
    for mode, m, wal, n, alive in outcomes:
        lines.append(
            f"  {mode:9} at {m:5.2f} s  WAL {wal:>8} B  {'killed' if alive else 'had finished'}"
            f"  rows after: {n}"
        )
    print("\n" + "\n".join(lines), file=sys.stderr)
