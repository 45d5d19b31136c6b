"""AV record rules: full-process recording of each case that needs it, by time; integrity.

``av_missing_full_process`` reads the case register through a small protocol so that this ledger does
not depend on the case ledger's models: a table named ``case_record`` with the columns ``id``,
``case_no`` (text) and ``activities`` (a JSON list of activity names, e.g. ``["查封扣押", "现场检查"]``),
and optionally a table ``case_activity_window`` (``id``, ``case_id`` → ``case_record.id``,
``activity``, ``started_at``, ``ended_at``) with the time windows (开始/结束) of a case's activities.
When ``case_record`` does not exist the rule finds nothing. A case needs full-process recording for
each of its activities listed in the setting ``av.full_process_activities`` (default 查封扣押, 强制拆除):

- an activity with recorded windows is checked by time: the union of the spans
  ``[media_start, media_start + duration_s]`` of the AV records with the same ``case_no`` and
  ``activity`` must cover each window; the uncovered stretches longer than the setting
  ``av.coverage_gap_seconds`` are listed ("10:12–11:58 无音像记录，共106分钟"); a window with no record
  of the activity at all is the presence finding below, naming the window;
- an activity without a window is satisfied by at least one AV record with the same ``case_no`` and
  that ``activity`` (presence only; the finding says so).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

import brigade_desk.models  # noqa: F401  (every table known: foreign keys to staff are resolved by name)
from brigade_desk.core import dialect, settings
from brigade_desk.core.rules import Finding
from brigade_desk.ledgers.av import roots
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.av.models import (
    VERIFY_LABELS,
    AvRecord,
    AvRecordCheck,
    AvStorageRoot,
    VerifyStatus,
)

RULES = {
    "av_missing_full_process": "案件缺少全程音像记录",
    "av_integrity": "音像记录被修改或缺失",
}

CASE_TABLE = "case_record"
WINDOW_TABLE = "case_activity_window"
PARTIAL_MARK = "的音像记录未覆盖全程"  # in the detail of a window its recordings cover in part


def is_partial(f: Finding) -> bool:
    """A full-process finding about a window the case's recordings cover in part (the others: no
    recording of the activity at all)."""
    return f.rule == "av_missing_full_process" and PARTIAL_MARK in f.detail


def case_activities(session: Session) -> list[tuple[str, list[str]]] | None:
    """(case_no, activities) of every case, or None when there is no case register table."""
    rows = _case_rows(session)
    return None if rows is None else [(c, a) for _i, c, a in rows]


def case_numbers(session: Session) -> list[str] | None:
    """Every case number in the case register, or None when there is no case register table."""
    if _case_columns(session) is None:
        return None
    return [str(c) for (c,) in session.execute(text(f"SELECT case_no FROM {CASE_TABLE}")) if c]


def _parse_activities(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(a) for a in raw]
    if not raw:
        return []
    try:
        val = json.loads(raw)
        return [str(a) for a in val] if isinstance(val, list) else []
    except (ValueError, TypeError):
        return [
            a.strip()
            for a in str(raw).replace("，", ",").replace("、", ",").split(",")
            if a.strip()
        ]


def _case_rows(session: Session) -> list[tuple[int | None, str, list[str]]] | None:
    """(id or None, case_no, activities) read through the protocol (see the module docstring)."""
    cols = _case_columns(session)
    if cols is None:
        return None
    id_col = "id" if "id" in cols else "NULL"
    return [
        (rid, str(case_no or ""), _parse_activities(raw))
        for rid, case_no, raw in session.execute(
            text(f"SELECT {id_col}, case_no, activities FROM {CASE_TABLE}")
        )
    ]


def _case_columns(session: Session) -> set[str] | None:
    insp = inspect(session.get_bind())
    if not insp.has_table(CASE_TABLE):
        return None
    cols = {c["name"] for c in insp.get_columns(CASE_TABLE)}
    return cols if {"case_no", "activities"} <= cols else None


def check_full_process(session: Session, as_of: dt.date) -> list[Finding]:
    cols = _case_columns(session)
    if cols is None:
        return []
    needed = sorted(set(settings.get(session, av_settings.AV_FULL_PROCESS) or []))
    if not needed:
        return []
    tol = int(settings.get(session, av_settings.AV_COVERAGE_GAP))
    id_col = "c.id" if "id" in cols else "NULL"
    params = {f"a{i}": a for i, a in enumerate(needed)}
    marks = ", ".join(f":{k}" for k in params)
    # Done in SQL: ten years of cases against hundreds of thousands of AV records. Activities stored
    # as a JSON list are expanded by json_each; anything else (a hand-typed "a、b") is parsed below.
    # "+a.activity" keeps SQLite on the case_no index (a few records per case) rather than the
    # activity index (tens of thousands of records per activity).
    # (spelled for SQLite or PostgreSQL by core.dialect)
    d = dialect.name_of(session)
    order = "c.rowid" if d == "sqlite" or "id" not in cols else "c.id"
    missing: list[Sequence[Any]] = list(
        session.execute(
            text(
                f"SELECT {id_col}, c.case_no, j.value FROM {CASE_TABLE} c, "
                f"{dialect.json_items(d, 'c.activities', 'j')} "
                f"WHERE c.case_no != '' "
                f"AND j.value IN ({marks}) AND NOT EXISTS (SELECT 1 FROM av_record a "
                f"WHERE a.case_no = c.case_no AND {dialect.unindexed(d, 'a.activity')} = j.value) "
                f"ORDER BY {order}, j.value"
            ),
            params,
        ).all()
    )
    odd = session.execute(
        text(
            f"SELECT {id_col}, c.case_no, c.activities FROM {CASE_TABLE} c WHERE c.case_no != '' "
            f"AND c.activities IS NOT NULL AND {dialect.json_text(d, 'c.activities')} != '' "
            f"AND NOT {dialect.json_is_array(d, 'c.activities')}"
        )
    ).all()
    if odd:
        have = {
            (c, a)
            for c, a in session.execute(
                select(AvRecord.case_no, AvRecord.activity).where(
                    AvRecord.case_no.in_({r[1] for r in odd})
                )
            )
        }
        for case_id, case_no, raw in odd:
            missing.extend(
                (case_id, case_no, act)
                for act in sorted(set(_parse_activities(raw)) & set(needed))
                if (case_no, act) not in have
            )
    windows = _windows(session, cols, marks, params)
    out: list[Finding] = []
    absent: set[tuple[str, str]] = set()
    for case_id, case_no, act in missing:
        absent.add((case_no, act))
        ws = windows.get((case_no, act))
        if not ws:
            out.append(
                _full_finding(
                    case_id,
                    case_no,
                    act,
                    act,
                    f"案件记录了「{act}」，须全程音像记录，但音像记录台账中没有该案件的「{act}」记录"
                    f"（未登记该活动的开始/结束时间，只核对了有无记录）",
                )
            )
            continue
        for w in ws:
            out.append(
                _full_finding(
                    case_id,
                    case_no,
                    act,
                    _window_ref(act, w),
                    f"「{act}」{_window_label(w)}须全程音像记录，但音像记录台账中没有该案件的「{act}」记录："
                    f"{_span_label(w.start, w.end, w)} 无音像记录，共{_minutes(w.end - w.start)}分钟",
                )
            )
    for (case_no, act), ws in windows.items():
        if (case_no, act) in absent:
            continue
        for w in ws:
            gaps = uncovered(w.start, w.end, w.spans, tol)
            if not gaps:
                continue
            parts = [f"{_span_label(a, b, w)} 无音像记录，共{_minutes(b - a)}分钟" for a, b in gaps]
            total = _minutes(sum((b - a for a, b in gaps), dt.timedelta()))
            extra = f"；另有 {w.untimed} 个文件没有拍摄时间，未计入" if w.untimed else ""
            out.append(
                _full_finding(
                    w.case_id,
                    case_no,
                    act,
                    _window_ref(act, w),
                    f"「{act}」{_window_label(w)}{PARTIAL_MARK}：{'；'.join(parts)}"
                    f"（合计 {total} 分钟，间隙不超过 {tol} 秒不计{extra}）",
                )
            )
    return out


@dataclass
class _Window:
    id: int
    case_id: int
    start: dt.datetime
    end: dt.datetime
    spans: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    untimed: int = 0


def as_datetime(v: Any) -> dt.datetime | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v
    try:
        return dt.datetime.fromisoformat(str(v))
    except ValueError:
        return None


def _windows(
    session: Session, cols: set[str], marks: str, params: dict[str, str]
) -> dict[tuple[str, str], list[_Window]]:
    """The recorded windows of the full-process activities that the case records, each with the
    time spans of the case's AV records of that activity: (case_no, activity) → windows."""
    if "id" not in cols or not inspect(session.get_bind()).has_table(WINDOW_TABLE):
        return {}
    d = dialect.name_of(session)
    rows = session.execute(
        text(
            f"SELECT w.id, w.case_id, c.case_no, w.activity, w.started_at, w.ended_at, "
            f"a.id, a.media_start, a.duration_s FROM {WINDOW_TABLE} w "
            f"JOIN {CASE_TABLE} c ON c.id = w.case_id "
            f"LEFT JOIN av_record a ON a.case_no = c.case_no "
            f"AND {dialect.unindexed(d, 'a.activity')} = w.activity "
            f"WHERE w.activity IN ({marks}) AND c.case_no != '' "
            f"AND EXISTS (SELECT 1 FROM {dialect.json_items(d, 'c.activities', 'j')} "
            f"WHERE j.value = w.activity) "
            f"ORDER BY w.started_at, w.id"
        ),
        params,
    ).all()
    out: dict[tuple[str, str], list[_Window]] = {}
    by_id: dict[int, _Window] = {}
    for wid, case_id, case_no, act, ws, we, rec_id, ms, dur in rows:
        w = by_id.get(wid)
        if w is None:
            start, end = as_datetime(ws), as_datetime(we)
            if start is None or end is None or end <= start:
                continue
            w = by_id[wid] = _Window(wid, case_id, start, end)
            out.setdefault((case_no, act), []).append(w)
        if rec_id is None:
            continue
        t0 = as_datetime(ms)
        if t0 is None:
            w.untimed += 1
            continue
        w.spans.append((t0, t0 + dt.timedelta(seconds=max(0.0, float(dur or 0.0)))))
    return out


def uncovered(
    start: dt.datetime,
    end: dt.datetime,
    spans: Sequence[tuple[dt.datetime, dt.datetime]],
    tolerance_s: float = 0,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The stretches of [start, end] that no span covers, leaving out those of at most
    ``tolerance_s`` seconds (a gap between two consecutive files, a late start)."""
    gaps: list[tuple[dt.datetime, dt.datetime]] = []
    cur = start
    for s, e in sorted(spans):
        if s >= end:
            break
        if e <= cur:
            continue
        if s > cur:
            gaps.append((cur, s))
        cur = e
    if cur < end:
        gaps.append((cur, end))
    return [(a, b) for a, b in gaps if (b - a).total_seconds() > tolerance_s]


def _minutes(d: dt.timedelta) -> int:
    return max(1, round(d.total_seconds() / 60))


def _window_label(w: _Window) -> str:
    return f"{w.start:%Y-%m-%d %H:%M}–{_span_end(w.end, w)}（{_minutes(w.end - w.start)}分钟）"


def _window_ref(act: str, w: _Window) -> str:
    return f"{act} {w.start:%Y-%m-%d %H:%M}"


def _span_end(t: dt.datetime, w: _Window) -> str:
    return f"{t:%H:%M}" if t.date() == w.start.date() else f"{t:%m-%d %H:%M}"


def _span_label(a: dt.datetime, b: dt.datetime, w: _Window) -> str:
    return f"{_span_end(a, w)}–{_span_end(b, w)}"


def _full_finding(case_id: Any, case_no: str, act: str, ref: str, detail: str) -> Finding:
    return Finding(
        rule="av_missing_full_process",
        subject=case_no,
        ref=ref,
        due=None,
        detail=detail,
        entity="case",
        entity_id=case_id,
    )


def check_integrity(session: Session, as_of: dt.date) -> list[Finding]:
    """One finding per modified/missing file; files under a storage root that is not reachable at all
    (archive disk not connected, drive letter changed) are summed up in one finding per root."""
    roots_all = {r.id: r for r in session.scalars(select(AvStorageRoot))}
    unreachable = {rid for rid, r in roots_all.items() if not Path(r.path).is_dir()}
    q = (
        select(
            AvRecord.id,
            AvRecord.root_id,
            AvRecord.rel_path,
            AvRecord.case_no,
            AvRecord.file_name,
            AvRecordCheck.status,
            AvRecordCheck.verified_at,
        )
        .join(AvRecordCheck, AvRecordCheck.record_id == AvRecord.id)
        .where(AvRecordCheck.status.in_([VerifyStatus.MODIFIED, VerifyStatus.MISSING]))
        .order_by(AvRecordCheck.verified_at, AvRecord.id)
    )
    out: list[Finding] = []
    per_root: dict[int, list[Any]] = {}
    for r in session.execute(q):
        if r.root_id in unreachable and r.status == VerifyStatus.MISSING:
            per_root.setdefault(r.root_id, []).append(r)
            continue
        path = str(roots.resolve(roots_all[r.root_id].path, r.rel_path))
        when = f"{r.verified_at:%Y-%m-%d %H:%M}"
        out.append(
            Finding(
                rule="av_integrity",
                subject=r.case_no or r.file_name,
                ref=path,
                due=None,
                detail=f"{when} 校验结果：{VERIFY_LABELS.get(r.status, r.status)}",
                entity="av_record",
                entity_id=r.id,
            )
        )
    for rid, rows in per_root.items():
        root = roots_all[rid]
        last = max(x.verified_at for x in rows)
        out.append(
            Finding(
                rule="av_integrity",
                subject=root.name,
                ref=root.path,
                due=None,
                detail=(
                    f"{last:%Y-%m-%d %H:%M} 校验时存储位置不可访问，{len(rows)} 个文件缺失（磁盘未连接或盘符改变？"
                    "连接磁盘或在「存储位置」中修改路径后重新校验）"
                ),
                entity="av_record",
                entity_id=rows[0].id,
            )
        )
    return out


def check(session: Session, as_of: dt.date) -> list[Finding]:
    return check_full_process(session, as_of) + check_integrity(session, as_of)
