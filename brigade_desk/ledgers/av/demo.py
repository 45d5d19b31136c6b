"""Demo AV records.

``small``: real small files are written into a demo storage root next to the database
(``<db folder>/demo_av``) and indexed with their true SHA-256, so verification can be tried at
once; after indexing one file is altered and one deleted (verification finds them), and a folder
``demo_av/待入库`` of new footage is left for the clerk to ingest.

``large``: hundreds of thousands of index rows over ten years, bulk-inserted, with no files (their
storage root points to a folder that does not exist).

Case numbers: if an earlier demo filler put ``ctx.shared["case_activities"]`` (a list of
``(case_no, [activity, …])``), recordings are made for those cases; otherwise case numbers are
generated here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import random
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brigade_desk.core.demo import DemoContext
from brigade_desk.ledgers.av import search
from brigade_desk.ledgers.av.models import ACTIVITIES, AvIngestBatch, AvRecord, AvStorageRoot
from brigade_desk.ledgers.av.patterns import defaults, parse_name
from brigade_desk.ledgers.roster.models import Staff, StaffStatus

PLACES = [
    "G109线K1987处",
    "乐都区碾伯镇汽车站",
    "平安驿服务区",
    "高庙镇治超站",
    "湟水河大桥",
    "海东火车站广场",
    "洪水镇客运点",
    "雨润镇货运市场",
    "寿乐镇工地",
    "G6京藏高速乐都收费站",
]
PLATES = "ABCDEFGH"
WEIGHTS = [
    8,
    2,
    30,
    25,
    3,
    6,
    4,
    22,
]  # 查封扣押, 强制拆除, 现场检查, 调查取证, 听证, 留置送达, 公告送达, 其他


def _plate(rng: random.Random) -> str:
    return f"青{rng.choice(PLATES)}{rng.randint(10000, 99999)}"


def _cases(ctx: DemoContext, n: int) -> list[tuple[str, list[str]]]:
    shared = ctx.shared.get("case_activities")
    if shared:
        return [(str(c), list(a)) for c, a in shared]
    rng = ctx.rng
    out = []
    for i in range(n):
        year = ctx.today.year - rng.randint(0, 9 if ctx.size == "large" else 1)
        act = rng.choices(ACTIVITIES[:7], weights=WEIGHTS[:7])[0]
        out.append((f"乐交执罚〔{year}〕{i + 1:04d}号", [act]))
    return out


def _mp4(seconds: int, payload: bytes) -> bytes:
    import struct

    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"isom", 0, b"isom")
    body = bytes(4) + struct.pack(">IIII", 0, 0, 1000, seconds * 1000) + bytes(80)
    mvhd = struct.pack(">I4s", 8 + len(body), b"mvhd") + body
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    return ftyp + moov + struct.pack(">I4s", 8 + len(payload), b"mdat") + payload


def _officers(s: Session) -> list[tuple[int | None, str]]:
    return [
        (i, b)
        for i, b in s.execute(
            select(Staff.id, Staff.bodycam_no).where(
                Staff.bodycam_no != "", Staff.status == StaffStatus.ON_DUTY
            )
        )
    ]


def fill(s: Session, ctx: DemoContext) -> None:
    if ctx.size == "large":
        _fill_large(s, ctx)
    else:
        _fill_small(s, ctx)


def _fill_small(s: Session, ctx: DemoContext) -> None:
    rng = ctx.rng
    base = ctx.db_path.parent / "demo_av"
    src = ctx.make_dir(base / "执法记录仪导出")
    officers = _officers(s) or [(None, "DSJ-DEMO")]
    root = AvStorageRoot(name="演示：执法记录仪导出", path=str(src), is_archive=False)
    s.add(root)
    batch = AvIngestBatch(
        folder=str(src), started_at=dt.datetime.now(), finished_at=dt.datetime.now()
    )
    s.add(batch)
    s.flush()
    pats = defaults()
    written: list[Path] = []
    cases = _cases(ctx, 12)
    n = 0
    for case_no, acts in cases:
        for act in acts:
            for _k in range(rng.randint(1, 3)):
                oid, dev = rng.choice(officers)
                start = dt.datetime.combine(
                    ctx.today - dt.timedelta(days=rng.randint(1, 300)),
                    dt.time(rng.randint(8, 18), rng.randint(0, 59), rng.randint(0, 59)),
                )
                n += 1
                imp = "IMP" if act in ("查封扣押", "强制拆除") and rng.random() < 0.5 else ""
                name = f"0{rng.randint(10000, 99999)}_{dev}_{start:%Y%m%d%H%M%S}_{n:04d}{imp}.mp4"
                folder = src / f"{start:%Y-%m}" / dev
                _write_record(
                    s,
                    ctx,
                    folder / name,
                    root.id,
                    src,
                    batch.id,
                    act,
                    case_no,
                    oid,
                    pats,
                    rng,
                    written,
                )
    # recordings not tied to a case (daily patrol inspections)
    for _ in range(10):
        oid, dev = rng.choice(officers)
        start = dt.datetime.combine(
            ctx.today - dt.timedelta(days=rng.randint(1, 120)), dt.time(rng.randint(8, 18), 5)
        )
        n += 1
        folder = src / f"{start:%Y-%m}" / "日常巡查"
        _write_record(
            s,
            ctx,
            folder / f"{start:%Y%m%d%H%M%S}_{n:04d}.mp4",
            root.id,
            src,
            batch.id,
            "现场检查",
            "",
            oid,
            pats,
            rng,
            written,
            device=dev,
        )
    batch.added = len(written)
    batch.bytes = sum(p.stat().st_size for p in written)
    # problems for verification to find: one file altered, one deleted
    if len(written) >= 3:
        data = bytearray(written[0].read_bytes())
        data[-1] ^= 0xFF
        written[0].write_bytes(bytes(data))
        written[1].unlink()
    # new footage waiting to be ingested
    todo = ctx.make_dir(base / "待入库" / "2号执法记录仪")
    for i in range(6):
        start = dt.datetime.combine(ctx.today - dt.timedelta(days=1), dt.time(9 + i, 12, 30))
        (todo / f"{start:%Y%m%d%H%M%S}_{i + 1:04d}{'IMP' if i == 2 else ''}.mp4").write_bytes(
            _mp4(30 + 17 * i, rng.randbytes(2048 + 512 * i))
        )
    (todo / "说明.txt").write_text(
        "演示：这些文件尚未入库，可在「音像记录」页点「入库」试用。", encoding="utf-8"
    )
    ctx.shared["av_demo_dir"] = str(base)
    ctx.counts["av_records"] = len(written)


def _write_record(
    s: Session,
    ctx: DemoContext,
    path: Path,
    root_id: int,
    src: Path,
    batch_id: int,
    act: str,
    case_no: str,
    officer_id: int | None,
    pats: Any,
    rng: random.Random,
    written: list[Path],
    device: str = "",
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    seconds = rng.randint(20, 900)
    data = _mp4(seconds, rng.randbytes(rng.randint(1024, 8192)))
    path.write_bytes(data)
    written.append(path)
    info = parse_name(path.name, pats)
    st = path.stat()
    mtime = dt.datetime.fromtimestamp(st.st_mtime)
    s.add(
        AvRecord(
            root_id=root_id,
            rel_path=path.relative_to(src).as_posix(),
            file_name=path.name,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            file_mtime=mtime,
            media_start=info.start or mtime,
            time_source="文件名" if info.start else "文件时间",
            duration_s=float(seconds),
            pattern_name=info.pattern,
            device_no=info.device or device,
            officer_code=info.officer,
            officer_id=officer_id,
            activity=act,
            case_no=case_no,
            target=_plate(rng) if case_no else "",
            place=rng.choice(PLACES),
            notes="",
            important=info.important,
            retention_years=None if case_no else 1,
            batch_id=batch_id,
            ingested_at=dt.datetime.now(),
        )
    )


LARGE_ROWS = 200_000

COLS = (
    "root_id",
    "rel_path",
    "file_name",
    "size",
    "sha256",
    "file_mtime",
    "media_start",
    "time_source",
    "duration_s",
    "pattern_name",
    "device_no",
    "officer_code",
    "officer_id",
    "officer2_id",
    "activity",
    "case_no",
    "target",
    "place",
    "notes",
    "important",
    "retention_years",
    "ingested_at",
)


def _ts(d: dt.datetime) -> str:
    """SQLAlchemy's SQLite DateTime storage format (so ORM reads these rows back as datetimes)."""
    return d.isoformat(" ", "seconds") + ".000000"  # isoformat is far cheaper than strftime


def _fill_large(s: Session, ctx: DemoContext) -> None:
    rng = ctx.rng
    rnd = rng.random
    officers = _officers(s) or [(None, "DSJ-DEMO")]
    arch = AvStorageRoot(
        name="演示：归档盘（无文件）",
        path=str(ctx.db_path.parent / "demo_av_large_archive"),
        is_archive=True,
    )
    s.add(arch)
    s.flush()
    cases = _cases(ctx, 9000)
    start_day = dt.datetime.combine(ctx.today - dt.timedelta(days=3650), dt.time(7))
    target_rows = LARGE_ROWS
    weights_cum = list(itertools.accumulate(WEIGHTS))
    # raw DB-API executemany: SQLAlchemy's per-row parameter processing would double the time here
    raw = s.connection().connection.driver_connection
    assert raw is not None
    raw.execute(
        "PRAGMA cache_size=-262144"
    )  # the random-order SHA-256 index thrashes the default 2 MB
    sql = f"INSERT INTO av_record ({', '.join(COLS)}) VALUES ({', '.join('?' * len(COLS))})"
    # secondary indexes are rebuilt once at the end: much cheaper than maintaining them row by row
    index_sql = [
        r[0]
        for r in raw.execute(
            "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name='av_record' AND sql IS NOT NULL"
        )
    ]
    for (name,) in raw.execute(
        "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='av_record' AND sql IS NOT NULL"
    ).fetchall():
        raw.execute(f'DROP INDEX "{name}"')
    # likewise the search index: its insert trigger is dropped and the new rows indexed in bulk
    triggers = raw.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='av_record'"
        " AND name LIKE 'fts_%'"
    ).fetchall()
    for name, _sql in triggers:
        raw.execute(f'DROP TRIGGER "{name}"')
    first_id = raw.execute("SELECT coalesce(max(id), 0) FROM av_record").fetchone()[0]
    rows: list[tuple[Any, ...]] = []
    n_off = len(officers)
    n_cases = len(cases)
    for n in range(1, target_rows + 1):
        if rnd() < 0.45 and n_cases:
            case_no, acts = cases[n % n_cases]
            act = acts[int(rnd() * len(acts))] if acts else "其他"
            target = f"青{PLATES[n % 8]}{10000 + (n * 7919) % 90000}"
            keep = None
        else:
            case_no, target, keep = "", "", 1
            act = rng.choices(ACTIVITIES, cum_weights=weights_cum)[0]
        oid, dev = officers[int(rnd() * n_off)]
        o2 = officers[int(rnd() * n_off)][0]
        start = start_day + dt.timedelta(
            seconds=int(rnd() * 3649 * 86400 * 0.5) * 2
        )  # up to yesterday
        start = start.replace(hour=7 + start.hour % 13)
        imp = "IMP" if act in ("查封扣押", "强制拆除") and rnd() < 0.4 else ""
        code = f"0{(oid or 0) + 10000}"
        iso = _ts(start)
        stamp = iso[0:4] + iso[5:7] + iso[8:10] + iso[11:13] + iso[14:16] + iso[17:19]
        name = f"{code}_{dev}_{stamp}_{n:06d}{imp}.mp4"
        dur = 15 + int(rnd() * 1785)
        rows.append(
            (
                arch.id,
                f"{iso[0:4]}/{iso[5:7]}/{dev}/{name}",
                name,
                dur * (900_000 + int(rnd() * 500_000)),
                f"{rng.getrandbits(256):064x}",
                _ts(start + dt.timedelta(seconds=dur)),
                iso,
                "文件名",
                float(dur),
                "警号_设备号_时间_序号",
                dev,
                code,
                oid,
                o2 if o2 != oid else None,
                act,
                case_no,
                target,
                PLACES[n % len(PLACES)],
                "",
                bool(imp),
                keep,
                _ts(start + dt.timedelta(days=n % 4)),
            )
        )
        if len(rows) >= 25_000:
            raw.executemany(sql, rows)
            rows.clear()
    if rows:
        raw.executemany(sql, rows)
    for stmt in index_sql:
        raw.execute(stmt)
    if triggers:
        search.fill(raw, after_id=first_id)
        for _name, stmt in triggers:
            raw.execute(stmt)
    ctx.counts["av_records"] = target_rows
