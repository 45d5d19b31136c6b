"""Several clerks at once on a PostgreSQL server against one clerk on a SQLite file (issue 18).

    .venv/bin/python -m benchmarks.multi_client [--seconds 20] [--pg postgresql://postgres@host:port/postgres]

The small demo ledger, copied to a new server database (``copy-db``). Four client processes run at
the same time against the server, each one clerk's work, for ``--seconds``:

- import: a 300-row sign-in sheet with new session titles each round (``import_training``);
- ingest: a folder of 10 new camera files each round, copied into the archive (``av ingest``);
- edits: open a person (read, with the version), change the phone, save — round after round;
- check: every rule of every ledger (``brigade-desk check``).

Then two editors on the same five people at once (a "dialog" held open 20 ms): how many saves are
refused as conflicts (none may be lost: the last saved phone of each person is one a clerk saved).
The baseline is the same four kinds of work done by one client alone on a SQLite copy of the same
ledger, one kind after the other, each for ``--seconds``. Reported: operations per second for each
kind (server with four clients / SQLite alone), conflicts, and ``audit verify`` on both afterwards.

Without ``--pg`` a throw-away cluster is started with this machine's PostgreSQL programs
(tests/pg_support.py), as the tests do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

KINDS = ("import", "ingest", "edits", "check")


def _sheet(path: Path, people: list[tuple[str, str]], tag: str, n_sessions: int = 3) -> Path:
    from brigade_desk.core.forms.xlsxform import StreamWorkbook
    from brigade_desk.ledgers.training.importer import TEMPLATE_HEADERS

    rows = []
    for k in range(n_sessions):
        for name, idn in people:
            rows.append(
                [
                    f"2025-05-{k + 1:02d}",
                    f"第{k + 1}期业务培训（{tag}）",
                    "集中轮训",
                    "业务知识",
                    2,
                    name,
                    idn,
                    "",
                    "√",
                    None,
                    None,
                    None,
                ]
            )
    with StreamWorkbook(path) as wb:
        wb.add_table_sheet(
            "签到",
            list(TEMPLATE_HEADERS),
            rows,
            [12] * 12,
            text_columns=[6],
            text_rows=len(rows) + 1,
        )
    return path


def _people(target: str, n: int) -> list[tuple[str, str, int]]:
    from sqlalchemy import select

    from brigade_desk.core.db import open_database
    from brigade_desk.ledgers.roster.models import Staff

    db = open_database(target)
    try:
        with db.session() as s:
            return [
                (r.name, r.id_number, r.id)
                for r in s.execute(
                    select(Staff.name, Staff.id_number, Staff.id)
                    .where(Staff.status == "在岗")
                    .order_by(Staff.id)
                    .limit(n)
                )
            ]
    finally:
        db.close()


def client(kind: str, target: str, seconds: float, work: str, seed: int, q: Any) -> None:
    """One clerk doing ``kind`` for ``seconds``; puts (kind, ops, conflicts, errors) on ``q``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from brigade_desk.core.conflict import ConflictError
    from brigade_desk.core.db import open_database
    from brigade_desk.core.errors import UserError

    rng = random.Random(seed)
    wdir = Path(work) / f"{kind}-{uuid.uuid4().hex[:6]}"
    wdir.mkdir(parents=True)
    people = _people(target, 100)
    db = open_database(target)
    ops = conflicts = errors = 0
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            try:
                if kind == "import":
                    from brigade_desk.ledgers.training.importer import import_training

                    f = _sheet(
                        wdir / f"s{ops}.xlsx", [(a, b) for a, b, _ in people], f"{wdir.name}-{ops}"
                    )
                    r = import_training(db, f)
                    if not r.written:
                        raise UserError(str(r.errors[:1]))
                elif kind == "ingest":
                    from brigade_desk.ledgers.av.ingest import IngestOptions, ingest

                    card = wdir / f"card{ops}"
                    card.mkdir()
                    t0 = dt.datetime(2026, 11, 1, 8) + dt.timedelta(minutes=rng.randrange(40_000))
                    for i in range(10):
                        (
                            card
                            / f"DSJ-{seed:03d}_{t0 + dt.timedelta(minutes=i):%Y%m%d%H%M%S}_{i:04d}.mp4"
                        ).write_bytes(os.urandom(64 * 1024))
                    r2 = ingest(db, card, IngestOptions(copy_to=str(wdir / "archive")))
                    if r2.added != 10:
                        raise UserError(f"ingested {r2.added}")
                elif kind == "edits" or kind == "editor":
                    from brigade_desk.ledgers.roster.service import RosterService, StaffInput

                    svc = RosterService(db)
                    pool = people[:5] if kind == "editor" else people
                    _n, _i, sid = rng.choice(pool)
                    v = svc.get(sid)  # the dialog opens
                    if kind == "editor":
                        time.sleep(0.02)  # the clerk types
                    data = StaffInput(**{k: getattr(v, k) for k in StaffInput.__dataclass_fields__})
                    data.phone = f"139{rng.randrange(10**8):08d}"
                    svc.save_staff(data, sid, version=v.version)
                else:
                    from brigade_desk.app import cli

                    with open(os.devnull, "w") as null:
                        old = sys.stdout
                        sys.stdout = null
                        try:
                            if cli.main(["--db", target, "check", "--json"]) != 0:
                                raise UserError("check failed")
                        finally:
                            sys.stdout = old
                ops += 1
            except ConflictError:
                conflicts += 1
            except UserError as exc:
                errors += 1
                print(f"{kind}: {exc.message[:200]}", file=sys.stderr)
    finally:
        db.close()
    q.put((kind, ops, conflicts, errors))


def run_clients(kinds: list[str], target: str, seconds: float, work: Path) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [
        ctx.Process(target=client, args=(k, target, seconds, str(work), i + 1, q))
        for i, k in enumerate(kinds)
    ]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    got = [q.get(timeout=seconds * 4 + 300) for _ in procs]
    for p in procs:
        p.join(60)
    wall = time.perf_counter() - t0
    out: dict[str, Any] = {"wall_s": round(wall, 2)}
    for kind, ops, conflicts, errors in got:
        e = out.setdefault(kind, {"ops": 0, "conflicts": 0, "errors": 0})
        e["ops"] += ops
        e["conflicts"] += conflicts
        e["errors"] += errors
    for kind in set(kinds):
        out[kind]["per_s"] = round(out[kind]["ops"] / seconds, 2)
    return out


def verify(target: str) -> bool:
    from brigade_desk.core import audit
    from brigade_desk.core.db import open_database

    db = open_database(target)
    try:
        res = audit.verify_database(db)
        if not res.ok:
            print(f"audit verify {target}: {res.problem}", file=sys.stderr)
        return res.ok
    finally:
        db.close()


def multi_client(seconds: float, pg_admin: str | None) -> dict[str, Any]:
    from pg_support import Cluster, _bin_dir, admin_connect, with_database

    from brigade_desk.app import cli
    from brigade_desk.core.copydb import copy_database

    tmp = Path(tempfile.mkdtemp(prefix="brigade-multi-"))
    os.environ.setdefault("BRIGADE_DESK_AUDIT_KEY", str(tmp / "audit.key"))
    cluster = None
    try:
        if not pg_admin:
            bindir = _bin_dir()
            if bindir is None:
                raise SystemExit("no PostgreSQL here: give --pg or install postgresql")
            cluster = Cluster(bindir)
            pg_admin = cluster.start()
        demo = tmp / "demo.sqlite"
        with open(os.devnull, "w") as null:
            old, sys.stdout = sys.stdout, null
            try:
                cli.main(["--db", str(demo), "demo"])
            finally:
                sys.stdout = old
        name = f"bd_multi_{uuid.uuid4().hex[:6]}"
        with admin_connect(pg_admin) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        url = with_database(pg_admin, name)
        assert copy_database(demo, url).verified
        # one clerk alone on the file, each kind of work in turn
        alone: dict[str, Any] = {}
        sqlite_copy = tmp / "alone.sqlite"
        shutil.copyfile(demo, sqlite_copy)
        for kind in KINDS:
            alone[kind] = run_clients([kind], str(sqlite_copy), seconds, tmp / "alone")[kind]
        # four clerks at once on the server
        together = run_clients(list(KINDS), url, seconds, tmp / "together")
        # two editors on the same five people
        clash = run_clients(["editor", "editor"], url, seconds / 2, tmp / "clash")
        out: dict[str, Any] = {"seconds": seconds}
        for kind in KINDS:
            a, b = alone[kind]["per_s"], together[kind]["per_s"]
            out[f"multi_{kind}_sqlite_alone_per_s"] = a
            out[f"multi_{kind}_server_4_clients_per_s"] = b
            out[f"multi_{kind}_ratio"] = round(b / a, 2) if a else None
            out[f"multi_{kind}_errors"] = alone[kind]["errors"] + together[kind]["errors"]
        out["multi_total_sqlite_alone_per_s"] = round(sum(alone[k]["per_s"] for k in KINDS), 2)
        out["multi_server_saves_by_two_editors"] = clash["editor"]["ops"]
        out["multi_server_conflicts_refused"] = clash["editor"]["conflicts"]
        out["multi_audit_verify_sqlite"] = verify(str(sqlite_copy))
        out["multi_audit_verify_server"] = verify(url)
        with admin_connect(pg_admin) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return out
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--pg", help="an administrator's URL of a PostgreSQL server")
    args = ap.parse_args()
    print(json.dumps(multi_client(args.seconds, args.pg), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
