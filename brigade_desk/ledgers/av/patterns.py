"""Body-camera file-name patterns: data (the ``av_name_pattern`` table), not code.

A pattern is a named regular expression matched against the file NAME (not the folder), case
insensitive, with these optional named groups:

- ``officer`` — the officer's number (警号 / 执法证号) as written by the camera,
- ``device``  — the camera's number (执法记录仪编号),
- ``start``   — the recording start, ``YYYYMMDDhhmmss`` (separators between the digits, as in
  ``20261201_103000`` or ``2026-12-01 10-30-00``, are ignored),
- ``seq``     — the camera's sequence number,
- ``imp``     — non-empty when the file is marked 重点 (IMP).

Four common naming schemes ship as defaults (seeded by the migrations; the clerk can edit them,
add more, change the order or disable them): 警号_设备号_时间_序号 and 时间_序号 (Chinese body
cameras), 设备号_时间_序号 (``DSJ-X_20261201103000_001.mp4``), and 日期_时间[_后缀] for recorders,
phones and cameras that write ``20261201_103000_录音.wav``, ``20261201_103000_0001.MP4`` or
``VID_20261201_103000.mp4``. Every pattern is anchored and has one unbounded part at most, so a
long hostile name is matched in linear time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from brigade_desk.core.errors import ValidationError
from brigade_desk.ledgers.av.models import AvNamePattern

GROUPS = ("officer", "device", "start", "seq", "imp")

# (name, regex, priority, notes)
DEFAULT_PATTERNS: list[tuple[str, str, int, str]] = [
    (
        "警号_设备号_时间_序号",
        r"^(?P<officer>[0-9A-Za-z]{3,12})_(?P<device>[0-9A-Za-z\-]{3,30})_(?P<start>\d{14})_"
        r"(?P<seq>\d{1,6})_?(?P<imp>IMP)?\.[0-9A-Za-z]{2,5}$",
        10,
        "{警号}_{设备号}_{YYYYMMDDhhmmss}_{序号}[IMP].mp4，IMP 表示重点文件",
    ),
    (
        "时间_序号",
        r"^(?P<start>\d{14})_(?P<seq>\d{1,6})_?(?P<imp>IMP)?\.[0-9A-Za-z]{2,5}$",
        20,
        "{YYYYMMDDhhmmss}_{序号}[IMP].mp4，IMP 表示重点文件；设备与人员由入库时统一指定",
    ),
    (
        "设备号_时间_序号",
        r"^(?P<device>[A-Za-z][0-9A-Za-z\-]{1,29})_(?P<start>\d{14})_(?P<seq>\d{1,6})"
        r"(?:_?(?P<imp>IMP))?(?:[_\- (（][^.]*)?\.[0-9A-Za-z]{2,5}$",
        30,
        "{设备号}_{YYYYMMDDhhmmss}_{序号}[IMP][_后缀].mp4，如 DSJ-X_20261201103000_001.mp4；"
        "人员按入库时指定",
    ),
    (
        "日期_时间_后缀",
        r"^(?:[A-Za-z]{1,8}_)?(?P<start>\d{8}_\d{6})(?:_(?P<seq>\d{1,6}))?(?:_?(?P<imp>IMP))?"
        r"(?:[_\- (（][^.]*)?\.[0-9A-Za-z]{2,5}$",
        40,
        "[前缀_]{YYYYMMDD}_{hhmmss}[_序号][IMP][_后缀].wav，如 20261201_103000_录音.wav、"
        "20261201_103000_0001.MP4、VID_20261201_103000.mp4",
    ),
]


@dataclass(frozen=True)
class CompiledPattern:
    name: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class NameInfo:
    pattern: str = ""
    officer: str = ""
    device: str = ""
    start: dt.datetime | None = None
    seq: str = ""
    important: bool = False

    @property
    def recognised(self) -> bool:
        return bool(self.pattern)


def compile_regex(name: str, regex: str) -> re.Pattern[str]:
    """Compile a clerk-entered pattern or raise a ValidationError naming the field."""
    if not name.strip():
        raise ValidationError({"name": "「名称」不能为空"})
    try:
        rx = re.compile(regex, re.IGNORECASE)
    except re.error as exc:
        raise ValidationError({"regex": f"「正则表达式」有误：{exc}"}) from None
    unknown = set(rx.groupindex) - set(GROUPS)
    if unknown:
        raise ValidationError(
            {
                "regex": f"「正则表达式」含未知分组 {', '.join(sorted(unknown))}；可用分组：{', '.join(GROUPS)}"
            }
        )
    if not set(rx.groupindex) & {"officer", "device", "start", "imp"}:
        raise ValidationError(
            {"regex": "「正则表达式」至少要有 officer、device、start、imp 分组之一"}
        )
    return rx


def compile_all(rows: Iterable[tuple[str, str]]) -> list[CompiledPattern]:
    return [CompiledPattern(n, re.compile(r, re.IGNORECASE)) for n, r in rows]


def load(session: Session) -> list[CompiledPattern]:
    rows = session.execute(
        select(AvNamePattern.name, AvNamePattern.regex)
        .where(AvNamePattern.enabled.is_(True))
        .order_by(AvNamePattern.priority, AvNamePattern.id)
    ).all()
    out: list[CompiledPattern] = []
    for name, regex in rows:
        try:
            out.append(CompiledPattern(name, re.compile(regex, re.IGNORECASE)))
        except re.error:
            continue  # an invalid stored pattern never stops an ingest; the editor flags it
    return out


def defaults() -> list[CompiledPattern]:
    return compile_all((n, r) for n, r, _p, _n in DEFAULT_PATTERNS)


def _parse_start(s: str) -> dt.datetime | None:
    digits = re.sub(r"[^0-9]", "", s)  # 20261201_103000, 2026-12-01 10:30:00 → 20261201103000
    if len(digits) != 14:
        return None
    try:
        return dt.datetime.strptime(digits, "%Y%m%d%H%M%S")
    except ValueError:
        return None


def parse_name(file_name: str, patterns: Sequence[CompiledPattern]) -> NameInfo:
    """What a file name says, by the first pattern that matches (with a valid time if it has one)."""
    for p in patterns:
        m = p.regex.match(file_name)
        if not m:
            continue
        g = m.groupdict()
        start = None
        if g.get("start"):
            start = _parse_start(g["start"])
            if start is None:
                continue  # 20231345… is not a time: try the next pattern
        return NameInfo(
            pattern=p.name,
            officer=(g.get("officer") or "").strip(),
            device=(g.get("device") or "").strip(),
            start=start,
            seq=(g.get("seq") or "").strip(),
            important=bool(g.get("imp")),
        )
    return NameInfo()


def seed_defaults(session: Session) -> int:
    """Add the shipped patterns that are missing (by name). Returns how many were added."""
    have = set(session.scalars(select(AvNamePattern.name)))
    n = 0
    for name, regex, prio, notes in DEFAULT_PATTERNS:
        if name not in have:
            session.add(
                AvNamePattern(name=name, regex=regex, priority=prio, enabled=True, notes=notes)
            )
            n += 1
    return n
