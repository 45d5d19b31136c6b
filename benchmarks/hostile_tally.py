"""Tally of hostile inputs tried against the real command line (issue 17, last "Done when").

Every attack runs ``python -m brigade_desk --db DB …`` as a subprocess, on a copy of one small demo
ledger built at the start, with ``BRIGADE_DESK_AUDIT_KEY`` pointing into a temporary folder (the
user's profile is not touched). Five categories:

1. hostile workbooks (``tests/fixtures/hostile/make_hostile.py`` at small scale, plus bidi,
   zero-width, BOM and ``#REF!`` values in names) → ``import staff FILE --json``;
2. damaged databases (corrupt middle pages, truncated, not a database) × import / check /
   audit verify / export roster / backup;
3. tampering with a sqlite3 shell (truncation, recomputed chain, rollback, AV check edited)
   → ``audit verify``;
4. AV ingest of a folder with an invalid UTF-8 name, an empty file, a .txt and a normal file;
5. restore from folders whose names look like URI syntax, with a decoy where an unescaped URI
   would lead.

Each attack is counted as tried, and checked for a traceback (``Traceback`` / ``Exception
ignored`` in the output, or an error line without Chinese), a silent loss (data gone or not
taken in without a word) and a wrong acceptance (exit 0 where the program must refuse or detect).
A valid input refused is counted apart as a false refusal. Prints a table per category and a JSON
summary; exits 1 if any count is not 0.

    python -m benchmarks.hostile_tally [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brigade_desk.core import audit
from tests.fixtures.hostile import make_hostile as mh

ROOT = Path(__file__).resolve().parents[1]
CODE = [ROOT]  # the checkout whose brigade_desk is attacked (``--code``)
PAGE = 4096
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Outcome:
    category: str
    name: str
    rc: int | None = None
    traceback: bool = False
    silent_loss: bool = False
    wrongly_accepted: bool = False
    false_refusal: bool = False
    note: str = ""


@dataclass
class Ctx:
    work: Path
    demo_dir: Path  # the demo ledger, its backups folder and its AV files
    key: Path
    outcomes: list[Outcome] = field(default_factory=list)
    counter: int = 0

    def fresh(self, tag: str) -> Path:
        """A copy of the demo ledger (with its backups folder) in a folder of its own; the DB path."""
        self.counter += 1
        d = self.work / f"{self.counter:03d}-{tag}"
        shutil.copytree(self.demo_dir, d, ignore=shutil.ignore_patterns("demo_av", "*.lock"))
        return d / "台账.sqlite"


def run_cli(
    ctx: Ctx, db: Path, *argv: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(CODE[0]),
        "BRIGADE_DESK_AUDIT_KEY": str(ctx.key),
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.pop("BRIGADE_DESK_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "brigade_desk", "--db", str(db), *argv],
        capture_output=True,
        text=True,
        errors="backslashreplace",
        cwd=CODE[0],
        env=env,
        timeout=timeout,
    )


def has_traceback(run: subprocess.CompletedProcess[str]) -> bool:
    """A traceback, or an error line a Chinese clerk cannot read."""
    text = run.stdout + run.stderr
    if "Traceback" in text or "Exception ignored" in text:
        return True
    return any(line.strip() and not CJK.search(line) for line in run.stderr.splitlines())


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def count(db: Path, sql: str, *args: Any) -> int:
    c = sqlite3.connect(db)
    try:
        return int(c.execute(sql, args).fetchone()[0])
    finally:
        c.close()


def names_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def payload(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    try:
        got = json.loads(run.stdout)
    except ValueError:
        return {}
    return got if isinstance(got, dict) else {}


# ---- 1. hostile workbooks ----------------------------------------------------------------------

# name → (writer, scale, expectation, data rows): "import" (all rows created), "refuse" (exit 1),
# "any" (either, without a traceback). At these scales some files are under the caps that refuse
# them at full size (test_import_resources lowers the caps to refuse them small): those whose real
# rows are then read are expected to import them all; the full-size files are measured by
# ``python -m benchmarks.import_resources``.
WORKBOOKS: dict[str, tuple[Callable[[Path, float], Path], float, str, int]] = {
    "legit_xlsx": (mh.legit_xlsx, 0.001, "import", 20),
    "legit_xls": (mh.legit_xls, 0.001, "import", 20),
    "legit_ods": (mh.legit_ods, 0.001, "import", 20),
    "legit_csv": (mh.legit_csv, 0.001, "import", 20),
    "no_refs_xlsx": (mh.no_refs_xlsx, 0.01, "import", 20),
    "big_csv": (mh.big_csv, 0.001, "import", 59),
    "far_cell_xlsx": (mh.far_cell_xlsx, 1.0, "import", 3),
    "huge_row_number_xlsx": (mh.huge_row_number_xlsx, 1.0, "refuse", 3),
    "row_zero_xlsx": (mh.row_zero_xlsx, 1.0, "refuse", 3),
    "zip_rows_xlsx": (mh.zip_rows_xlsx, 0.01, "any", 0),
    "wide_rows_xlsx": (mh.wide_rows_xlsx, 0.01, "refuse", 0),
    "huge_sst_xlsx": (mh.huge_sst_xlsx, 0.01, "import", 3),
    "sst_everywhere_xlsx": (mh.shared_string_everywhere_xlsx, 0.01, "any", 0),
    "giant_cell_xlsx": (mh.giant_cell_xlsx, 0.01, "refuse", 0),
    "empty_cells_xlsx": (mh.empty_cells_xlsx, 0.005, "import", 3),
    "ods_empty_cells": (mh.ods_empty_cells, 0.005, "import", 3),
    "ods_repeats": (mh.ods_repeats, 0.001, "refuse", 0),
    "ods_far_cell": (mh.ods_far_cell, 1.0, "refuse", 0),
    "ods_space_bomb": (mh.ods_space_bomb, 1.0, "refuse", 0),
    "xls_far_cell": (mh.xls_far_cell, 1.0, "refuse", 0),
    "xls_wide_col": (mh.xls_wide_col, 1.0, "refuse", 0),
    "xls_sst_everywhere": (mh.xls_sst_everywhere, 0.01, "any", 0),
    "xls_bad_container": (mh.xls_bad_container, 1.0, "refuse", 0),
    "blank_lines_csv": (mh.blank_lines_csv, 0.02, "import", 3),
    "wide_csv": (mh.wide_csv, 0.01, "refuse", 0),
    "quoted_newlines_csv": (mh.quoted_newlines_csv, 0.0, "refuse", 0),
}

# names an import must clean or refuse, never store as they are
POISON = {
    "rtl_override": "张\u202e三",
    "zero_width_space": "李\u200b四",
    "bom": "\ufeff王五",
    "ref_error": "#REF!",
    "na_error": "#N/A",
    "ref_error_cell": "#REF!",  # a real error cell (t="e"), as Excel writes it
}
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def poison_book(folder: Path, label: str, value: str, base: int) -> Path:
    good = mh.staff_row(base)
    bad = mh.staff_row(base + 1)
    bad[1] = value
    third = mh.xlsx_row(3, bad)
    if label.endswith("_cell"):
        cells = [mh.xlsx_cell(3, 1, bad[0]), f'<c r="B3" t="e"><v>{value}</v></c>']
        cells += [mh.xlsx_cell(3, c, v) for c, v in enumerate(bad[2:], 3)]
        third = ('<row r="3">' + "".join(cells) + "</row>").encode()
    body = [mh.xlsx_row(1, list(mh.HEADERS)), mh.xlsx_row(2, good), third]
    return mh.write_xlsx(folder / f"姓名_{label}.xlsx", mh.sheet_xml(body))


def workbook_attacks(ctx: Ctx, quick: bool) -> None:
    folder = ctx.work / "books"
    folder.mkdir()
    names = ["legit_xlsx", "row_zero_xlsx", "huge_row_number_xlsx"] if quick else list(WORKBOOKS)
    for name in names:
        writer, scale, expect, n = WORKBOOKS[name]
        sub = folder / name
        sub.mkdir()
        path = writer(sub, scale)
        db = ctx.fresh("book")
        staff0 = count(db, "SELECT count(*) FROM staff")
        run = run_cli(ctx, db, "import", "staff", str(path), "--json")
        got = payload(run)
        o = Outcome("1 工作簿", name, run.returncode, has_traceback(run))
        made = int(got.get("created", 0)) + int(got.get("updated", 0))
        o.note = f"{expect}: created+updated={made}"
        if run.returncode == 0:
            if expect == "refuse":
                o.wrongly_accepted = True
            if expect == "import" and made != n:
                o.silent_loss = True
            if made != count(db, "SELECT count(*) FROM staff") - staff0 + int(
                got.get("updated", 0)
            ):
                o.silent_loss = True  # said it wrote rows the ledger does not hold
        elif expect == "import":
            o.false_refusal = True
        ctx.outcomes.append(o)
    poisons = ["rtl_override", "ref_error"] if quick else list(POISON)
    for i, label in enumerate(poisons):
        value = POISON[label]
        path = poison_book(folder, label, value, 9000 + 10 * i)
        db = ctx.fresh("poison")
        run = run_cli(ctx, db, "import", "staff", str(path), "--json")
        o = Outcome("1 工作簿", f"name_{label}", run.returncode, has_traceback(run))
        c = sqlite3.connect(db)
        names = [r[0] for r in c.execute("SELECT name FROM staff")]
        c.close()
        stored = [x for x in names if x and (INVISIBLE.search(x) or x.strip() in ("#REF!", "#N/A"))]
        o.wrongly_accepted = bool(stored)
        o.note = f"stored as is: {stored!r}" if stored else "cleaned or refused"
        ctx.outcomes.append(o)


# ---- 2. damaged databases ----------------------------------------------------------------------


def _corrupt_middle(p: Path) -> None:
    pages = p.stat().st_size // PAGE
    with open(p, "r+b") as fh:
        fh.seek(PAGE * (pages // 2))
        fh.write(random.Random(11).randbytes(PAGE * 4))


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 3])


def _not_a_database(p: Path) -> None:
    p.write_text("姓名,身份证号\n张三,63010219850315002X\n" * 200, encoding="utf-8")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "corrupt-middle": _corrupt_middle,
    "truncated": _truncate,
    "not-a-database": _not_a_database,
}


def damage_attacks(ctx: Ctx, quick: bool) -> None:
    staff_file = mh.legit_xlsx(ctx.work, 0.0005)
    commands: dict[str, Callable[[Path], list[str]]] = {
        "import": lambda d: ["import", "staff", str(staff_file)],
        "check": lambda d: ["check"],
        "audit verify": lambda d: ["audit", "verify"],
        "export roster": lambda d: ["export", "roster", "--out", str(d / "导出.xlsx")],
        "backup": lambda d: ["backup"],
    }
    pairs = [(k, c) for k in DAMAGE for c in commands]
    if quick:
        pairs = [
            ("corrupt-middle", "import"),
            ("truncated", "audit verify"),
            ("not-a-database", "backup"),
        ]
    for kind, command in pairs:
        db = ctx.fresh("damage")
        c = sqlite3.connect(db)
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.execute("PRAGMA journal_mode=DELETE")
        c.close()
        DAMAGE[kind](db)
        before = sha(db)
        backups_before = names_in(db.parent / "backups")
        run = run_cli(ctx, db, *commands[command](db.parent))
        o = Outcome("2 损坏的数据库", f"{kind} × {command}", run.returncode, has_traceback(run))
        o.traceback = o.traceback or not run.stderr.startswith("错误：")
        o.wrongly_accepted = run.returncode != 1
        o.silent_loss = sha(db) != before
        made = (db.parent / "导出.xlsx").exists() or names_in(
            db.parent / "backups"
        ) != backups_before
        o.wrongly_accepted = o.wrongly_accepted or made
        o.note = run.stderr.strip().splitlines()[0][:60] if run.stderr.strip() else ""
        ctx.outcomes.append(o)


# ---- 3. tampering ------------------------------------------------------------------------------


def _shell(db: Path) -> sqlite3.Connection:
    c = sqlite3.connect(db, isolation_level=None)
    c.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    c.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    return c


def _drop_side_files(db: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def tamper_truncate(ctx: Ctx, db: Path, staff_file: Path) -> None:
    """Import ten people, then delete them and the audit entries that recorded them."""
    last = count(db, "SELECT coalesce(max(id), 0) FROM audit_log")
    assert run_cli(ctx, db, "import", "staff", str(staff_file)).returncode == 0
    c = _shell(db)
    c.execute("PRAGMA foreign_keys=OFF")
    rows = c.execute(
        "SELECT table_name, record_id FROM audit_log WHERE id > ? ORDER BY id DESC", (last,)
    ).fetchall()
    for table, rid in rows:
        try:
            c.execute(f'DELETE FROM "{table}" WHERE id = ?', (rid,))
        except sqlite3.Error:
            pass
    c.execute("DELETE FROM staff WHERE id_number IN (?, ?)", (mh.id_number(0), mh.id_number(1)))
    c.execute("DELETE FROM audit_log WHERE id > ?", (last,))
    c.close()


def tamper_recompute(ctx: Ctx, db: Path, staff_file: Path) -> None:
    """Rename the last person created and recompute the chain with the program's own code."""
    c = _shell(db)
    eid, rid, after = c.execute(
        "SELECT id, record_id, after FROM audit_log WHERE table_name='staff' AND action='create'"
        " ORDER BY id DESC LIMIT 1"
    ).fetchone()
    state = json.loads(after)
    state["name"] = "冒名者"
    c.execute("UPDATE staff SET name='冒名者' WHERE id=?", (rid,))
    c.execute("UPDATE audit_log SET after=? WHERE id=?", (audit.dumps(state), eid))
    rows = c.execute(
        "SELECT id, at, os_user, action, table_name, record_id, before, after, prev_hash"
        " FROM audit_log WHERE id >= ? ORDER BY id",
        (eid,),
    ).fetchall()
    prev = rows[0][8]
    for i, at, user, action, table, r, before, aft, _p in rows:
        h = audit.entry_hash(prev, i, at.split(".")[0], user, action, table, r, before, aft)
        c.execute("UPDATE audit_log SET prev_hash=?, hash=? WHERE id=?", (prev, h, i))
        prev = h
    c.close()


def tamper_rollback(ctx: Ctx, db: Path, staff_file: Path) -> None:
    """Back up, import ten people, then copy the backup over the database."""
    old = db.parent / "旧备份.sqlite"
    assert run_cli(ctx, db, "backup", "--out", str(old)).returncode == 0
    assert run_cli(ctx, db, "import", "staff", str(staff_file)).returncode == 0
    _drop_side_files(db)
    shutil.copyfile(old, db)


def tamper_av_check(ctx: Ctx, db: Path, staff_file: Path) -> None:
    """After ``av verify``: every check row set to 'ok' (one set to 'modified' if all were ok)."""
    run_cli(ctx, db, "av", "verify")
    c = _shell(db)
    bad = c.execute("SELECT count(*) FROM av_record_check WHERE status != 'ok'").fetchone()[0]
    if bad:
        c.execute("UPDATE av_record_check SET status='ok'")
    else:
        c.execute(
            "UPDATE av_record_check SET status='modified'"
            " WHERE record_id = (SELECT min(record_id) FROM av_record_check)"
        )
    c.close()


TAMPER: dict[str, Callable[[Ctx, Path, Path], None]] = {
    "truncate last entries": tamper_truncate,
    "recomputed chain": tamper_recompute,
    "rollback": tamper_rollback,
    "av check edited": tamper_av_check,
}


def tamper_attacks(ctx: Ctx, quick: bool) -> None:
    (ctx.work / "tamper").mkdir()
    staff_file = mh.legit_xlsx(ctx.work / "tamper", 0.0005)
    names = ["truncate last entries", "recomputed chain", "rollback"] if quick else list(TAMPER)
    for name in names:
        db = ctx.fresh("tamper")
        run_cli(ctx, db, "backup")
        o = Outcome("3 篡改", name)
        try:
            TAMPER[name](ctx, db, staff_file)
        except Exception as exc:  # the attack itself could not be made: say so, count nothing
            o.note = f"attack not made: {exc!r}"[:80]
            o.false_refusal = True
            ctx.outcomes.append(o)
            continue
        run = run_cli(ctx, db, "audit", "verify")
        o.rc = run.returncode
        o.traceback = has_traceback(run)
        o.wrongly_accepted = run.returncode != 1
        o.note = (
            (run.stdout + run.stderr).strip().splitlines()[-1][:60]
            if run.stdout + run.stderr
            else ""
        )
        ctx.outcomes.append(o)


# ---- 4. AV ingest ------------------------------------------------------------------------------


def av_attacks(ctx: Ctx, quick: bool) -> None:
    folders: dict[str, list[tuple[bytes, bytes]]] = {
        "mixed folder": [
            (b"DSJ001_20261101_101010.mp4", os.urandom(5000)),
            (b"empty.mp4", b""),
            (b"note.txt", b"hi\n"),
            (b"bad\xff\xfe.mp4", os.urandom(3000)),
            (b"zz_after_bad.mp4", os.urandom(4000)),
        ],
        "invalid UTF-8 folder": [
            (b"sub\xc3\x28/DSJ002_20261102_111111.mp4", os.urandom(6000)),
            (b"DSJ003_20261103_121212.mp4", os.urandom(7000)),
        ],
        "only odd files": [
            (b"empty.mp4", b""),
            (b"readme.txt", b"x"),
            (b"a b#%41.mp4", b"y" * 100),
        ],
    }
    names = ["mixed folder", "invalid UTF-8 folder"] if quick else list(folders)
    for i, name in enumerate(names):
        root = ctx.work / f"av{i}"
        root.mkdir()
        o = Outcome("4 音像入库", name)
        made = 0
        for rel, data in folders[name]:
            target = os.path.join(os.fsencode(root), rel)
            try:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as fh:
                    fh.write(data)
                made += 1
            except (OSError, UnicodeError):
                o.note = "filesystem refused an invalid UTF-8 name; "
        db = ctx.fresh("av")
        before = count(db, "SELECT count(*) FROM av_record")
        run = run_cli(ctx, db, "av", "ingest", str(root), "--in-place", "--json")
        got = payload(run)
        o.rc = run.returncode
        o.traceback = has_traceback(run)
        indexed = count(db, "SELECT count(*) FROM av_record") - before
        accounted = (
            indexed
            + len(got.get("duplicate_files", []))
            + len(got.get("skipped_files", []))
            + len([e for e in got.get("errors", []) if e.get("kind") == "文件"])
        )
        folder_errors = [e for e in got.get("errors", []) if e.get("kind") != "文件"]
        o.silent_loss = accounted < made and not folder_errors
        if run.returncode == 0 and got.get("errors"):
            o.wrongly_accepted = True  # errors listed but the exit code says all is well
        o.note += f"files {made}, indexed {indexed}, accounted {accounted}"
        ctx.outcomes.append(o)


# ---- 5. odd paths ------------------------------------------------------------------------------

DECOYS = {"x%41": "xA", "备份#2": "备份", "100%25": "100%", "a?b": "a"}


def path_attacks(ctx: Ctx, quick: bool) -> None:
    staff_file = ctx.work / "paths"
    staff_file.mkdir()
    staff_file = mh.legit_xlsx(staff_file, 0.0005)
    names = ["x%41", "备份#2"] if quick else list(DECOYS)
    for name in names:
        db = ctx.fresh("path")
        base = db.parent / "odd"
        folder = base / name
        folder.mkdir(parents=True)
        good = folder / "brigade_desk-20261201-090000-manual.sqlite"
        o = Outcome("5 特殊路径", f"restore from {name}/")
        run = run_cli(ctx, db, "backup", "--out", str(good))
        o.traceback = has_traceback(run)
        if run.returncode != 0:
            o.rc, o.false_refusal, o.note = run.returncode, True, "backup refused"
            ctx.outcomes.append(o)
            continue
        staff_then = count(good, "SELECT count(*) FROM staff")
        audit_then = count(good, "SELECT count(*) FROM audit_log")
        decoy = base / DECOYS[name]
        decoy.mkdir(exist_ok=True)
        shutil.copyfile(good, decoy / good.name)
        c = sqlite3.connect(decoy / good.name)
        c.execute("PRAGMA foreign_keys=OFF")
        c.execute("DELETE FROM staff")
        c.commit()
        c.close()
        run_cli(ctx, db, "import", "staff", str(staff_file))
        run = run_cli(ctx, db, "restore", str(good))
        o.rc = run.returncode
        o.traceback = o.traceback or has_traceback(run)
        if run.returncode == 0:
            got = (
                count(db, "SELECT count(*) FROM staff"),
                count(db, "SELECT count(*) FROM audit_log"),
            )
            o.wrongly_accepted = got[0] != staff_then or got[1] < audit_then
            o.note = f"staff {got[0]} (backup {staff_then})"
        else:
            o.false_refusal = True
            o.note = run.stderr.strip()[:60]
        ctx.outcomes.append(o)


# ---- the run -----------------------------------------------------------------------------------

CATEGORIES: list[Callable[[Ctx, bool], None]] = [
    workbook_attacks,
    damage_attacks,
    tamper_attacks,
    av_attacks,
    path_attacks,
]


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    per: dict[str, dict[str, int]] = {}
    for o in outcomes:
        row = per.setdefault(
            o.category,
            {
                "tried": 0,
                "tracebacks": 0,
                "silent_losses": 0,
                "wrongly_accepted": 0,
                "false_refusals": 0,
            },
        )
        row["tried"] += 1
        row["tracebacks"] += o.traceback
        row["silent_losses"] += o.silent_loss
        row["wrongly_accepted"] += o.wrongly_accepted
        row["false_refusals"] += o.false_refusal
    total = {
        k: sum(r[k] for r in per.values())
        for k in ("tried", "tracebacks", "silent_losses", "wrongly_accepted", "false_refusals")
    }
    return {**total, "categories": per}


def tally(quick: bool, work: Path) -> tuple[dict[str, Any], list[Outcome]]:
    key_dir = work / "key"
    key_dir.mkdir()
    ctx = Ctx(work=work, demo_dir=work / "demo", key=key_dir / "audit.key")
    ctx.demo_dir.mkdir()
    demo_db = ctx.demo_dir / "台账.sqlite"
    built = run_cli(ctx, demo_db, "demo", "--size", "small", "--seed", "3")
    if built.returncode != 0:
        raise SystemExit(f"演示数据库生成失败：{built.stderr}")
    control = run_cli(ctx, demo_db, "audit", "verify")
    if control.returncode != 0:
        raise SystemExit(f"未受攻击的演示数据库审计核对未通过：{control.stdout}{control.stderr}")
    for category in CATEGORIES:
        category(ctx, quick)
    return summary(ctx.outcomes), ctx.outcomes


def print_tables(outcomes: list[Outcome]) -> None:
    current = None
    for o in outcomes:
        if o.category != current:
            current = o.category
            print(f"\n== {current}")
            print(f"{'attack':34} {'rc':>3}  TB SL WA FR  note")
        flags = "  ".join(
            "X" if f else "."
            for f in (o.traceback, o.silent_loss, o.wrongly_accepted, o.false_refusal)
        )
        print(f"{o.name[:34]:34} {o.rc if o.rc is not None else '-':>3}  {flags}  {o.note}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2–3 attacks per category")
    ap.add_argument("--json-only", action="store_true", help="print the JSON summary only")
    ap.add_argument(
        "--code",
        type=Path,
        default=ROOT,
        help="the checkout whose brigade_desk is attacked (default: this one)",
    )
    args = ap.parse_args(argv)
    CODE[0] = args.code.resolve()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hostile-tally-") as tmp:
        result, outcomes = tally(args.quick, Path(tmp))
    result["seconds"] = round(time.perf_counter() - started, 1)
    if not args.json_only:
        print_tables(outcomes)
        print()
    print(json.dumps(result, ensure_ascii=False))
    bad = ("tracebacks", "silent_losses", "wrongly_accepted", "false_refusals")
    return 1 if any(result[k] for k in bad) else 0


if __name__ == "__main__":
    raise SystemExit(main())
