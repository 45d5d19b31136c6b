"""AV record rules: full-process recording present for each case that needs it; integrity.

``av_missing_full_process`` reads the case register through a small protocol so that this ledger does
not depend on the case ledger's models: a table named ``case_record`` with the columns ``case_no``
(text) and ``activities`` (a JSON list of activity names, e.g. ``["查封扣押", "现场检查"]``). When that
table does not exist the rule finds nothing. A case needs full-process recording for each of its
activities listed in the setting ``av.full_process_activities`` (default 查封扣押, 强制拆除); it is
satisfied by at least one AV record with the same ``case_no`` and that ``activity``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

import brigade_desk.models  # noqa: F401  (every table known: foreign keys to staff are resolved by name)
from brigade_desk.core import settings
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
    id_col = "c.id" if "id" in cols else "NULL"
    params = {f"a{i}": a for i, a in enumerate(needed)}
    marks = ", ".join(f":{k}" for k in params)
    # Done in SQL: ten years of cases against hundreds of thousands of AV records. Activities stored
    # as a JSON list are expanded by json_each; anything else (a hand-typed "a、b") is parsed below.
    # "+a.activity" keeps SQLite on the case_no index (a few records per case) rather than the
    # activity index (tens of thousands of records per activity).
    missing: list[Sequence[Any]] = list(
        session.execute(
            text(
                f"SELECT {id_col}, c.case_no, j.value FROM {CASE_TABLE} c, json_each(c.activities) j "
                f"WHERE json_valid(c.activities) AND json_type(c.activities) = 'array' AND c.case_no != '' "
                f"AND j.value IN ({marks}) AND NOT EXISTS (SELECT 1 FROM av_record a "
                f"WHERE a.case_no = c.case_no AND +a.activity = j.value) ORDER BY c.rowid, j.value"
            ),
            params,
        ).all()
    )
    odd = session.execute(
        text(
            f"SELECT {id_col}, c.case_no, c.activities FROM {CASE_TABLE} c WHERE c.case_no != '' "
            f"AND c.activities IS NOT NULL AND c.activities != '' "
            f"AND NOT (json_valid(c.activities) AND json_type(c.activities) = 'array')"
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
    return [
        Finding(
            rule="av_missing_full_process",
            subject=case_no,
            ref=act,
            due=None,
            detail=f"案件记录了「{act}」，须全程音像记录，但音像记录台账中没有该案件的「{act}」记录",
            entity="case",
            entity_id=case_id,
        )
        for case_id, case_no, act in missing
    ]


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
