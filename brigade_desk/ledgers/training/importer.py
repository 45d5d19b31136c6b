"""Import sign-in / attendance workbooks (签到表 / 培训台账) into the training ledger.

Two layouts, mixed freely across the sheets of one file:

- one row per attendee, each row carrying the session (date, title, form, category, hours) beside the
  person (name, ID number optional, score optional);
- a session block per sheet: the session's facts above the table as ``培训日期：2025年3月5日`` lines
  (label and value in one cell or in neighbouring cells), then a table of attendees.

A value in a row wins over the sheet's block. Rows with the same date and title form one session;
a session already in the database with that date and title is updated, and its attendance is
updated per person — re-importing never duplicates. People are found by ID number when given, else
by name (narrowed by 中队 when that column exists); a name matching nobody or several people is an
error naming the row. Without ``skip_invalid`` nothing is written when any row is invalid (the
shared policy of ``core.tabular.policy``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import operator
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from brigade_desk.core import audit, dialect
from brigade_desk.core.db import Database
from brigade_desk.core.errors import RowError
from brigade_desk.core.tabular import read as t
from brigade_desk.core.tabular.policy import CheckedRow, Written, run_import
from brigade_desk.core.tabular.result import ImportResult
from brigade_desk.ledgers.roster.models import Staff
from brigade_desk.ledgers.training.models import (
    TrainingAttendance,
    TrainingCategory,
    TrainingSession,
)
from brigade_desk.ledgers.training.service import SessionInput, validate_session
from brigade_desk.ledgers.training.settings import PASS_SCORE

SESSION_COLUMNS = [
    t.Column(
        "date",
        "培训日期",
        (
            "日期",
            "开始日期",
            "学习日期",
            "培训时间",
            "时间",
            "学习时间",
            "活动日期",
            "开班日期",
            "考试日期",
            "考试时间",
            "测试日期",
        ),
    ),
    t.Column("end_date", "结束日期", ("结业日期", "截止日期", "培训结束日期")),
    t.Column(
        "title",
        "培训名称",
        (
            "培训主题",
            "培训内容",
            "主题",
            "学习内容",
            "学习主题",
            "课程名称",
            "培训项目",
            "名称",
            "课程",
        ),
    ),
    t.Column("form", "培训形式", ("形式", "学习形式", "培训方式", "方式")),
    t.Column("category", "培训类别", ("类别", "培训类型", "类型", "学习类别", "内容类别")),
    t.Column("hours", "学时", ("培训学时", "课时", "学时数", "计划学时", "本次学时")),
    t.Column("organiser", "组织单位", ("主办单位", "组织部门", "承办单位", "举办单位")),
    t.Column("place", "培训地点", ("地点", "学习地点")),
    t.Column(
        "monthly", "是否全员集中学法", ("全员集中学法", "集中学法", "每月集中学法", "是否集中学法")
    ),
    t.Column("rotation", "是否全员轮训", ("全员轮训", "计入全员轮训")),
]
PERSON_COLUMNS = [
    t.Column(
        "name",
        "姓名",
        ("姓 名", "名字", "人员姓名", "参训人员", "参训人", "学员姓名"),
        required=True,
    ),
    t.Column(
        "id_number",
        "身份证号",
        ("身份证号码", "公民身份号码", "身份证", "证件号码", "公民身份证号"),
    ),
    t.Column("squad", "中队", ("所属中队", "所在中队", "部门", "单位", "科室中队")),
    t.Column("credited", "实得学时", ("获得学时", "认定学时", "实际学时", "计入学时", "参训学时")),
    t.Column("score", "考试成绩", ("成绩", "得分", "分数", "考试分数", "考核成绩")),
    t.Column("passed", "是否合格", ("合格", "考试结果", "考核结果")),
    t.Column("presence", "签到情况", ("出勤情况", "出勤", "签到", "是否参加", "参训情况", "考勤")),
    t.Column("reason", "缺勤原因", ("请假原因", "未参加原因", "缺席原因")),
    t.Column("seq", "序号", ("编号",), stored=False),
    t.Column("signature", "本人签名", ("签名", "签字", "本人签字"), stored=False),
]
COLUMNS = SESSION_COLUMNS + PERSON_COLUMNS
SESSION_KEYS = [c.key for c in SESSION_COLUMNS]

CATEGORY_WORDS = [
    (
        ("政治", "党性", "党史", "党建", "思想", "廉政", "党纪", "党风"),
        TrainingCategory.POLITICAL.value,
    ),
    (("技能", "实操", "实务", "练兵", "执法技能", "装备"), TrainingCategory.SKILLS.value),
    (("法律", "法治", "法规", "公共法律", "学法"), TrainingCategory.PUBLIC_LAW.value),
    (("业务", "专业", "行业"), TrainingCategory.BUSINESS.value),
]
PRESENT = {
    "√",
    "✓",
    "✔",
    "到",
    "已到",
    "出勤",
    "签到",
    "已签到",
    "参加",
    "已参加",
    "是",
    "正常",
    "y",
    "1",
}
ABSENT = {
    "缺勤",
    "缺席",
    "未到",
    "未参加",
    "请假",
    "病假",
    "事假",
    "公假",
    "公差",
    "出差",
    "外出",
    "休假",
    "年假",
    "产假",
    "×",
    "✗",
    "否",
    "n",
    "0",
    "旷课",
}
GENERIC_ABSENT = {"缺勤", "缺席", "未到", "未参加", "×", "✗", "否", "n", "0"}
_PAIR_RE = re.compile(r"([^\s:：]{1,12})\s*[:：]\s*(.*?)(?=\s+[^\s:：]{1,12}\s*[:：]|$)")


def parse_category(v: Any) -> str:
    s = t.text(v)
    if not s:
        raise ValueError("培训类别为空")
    if s in {c.value for c in TrainingCategory}:
        return s
    for words, cat in CATEGORY_WORDS:
        if any(w in s for w in words):
            return cat
    raise ValueError(
        f"培训类别「{t.shown(s)}」无法识别（应为 政治教育 / 公共法律知识 / 业务知识 / 执法技能）"
    )


def parse_hours(v: Any) -> float | None:
    s = (
        t.text(v).replace("学时", "").replace("课时", "").replace("小时", "").strip()
        if isinstance(v, str)
        else v
    )
    h = t.parse_float(s)
    if h is None:
        return None
    if h < 0:
        raise ValueError("学时不能为负数")
    return h


# a score cell saying the person did not sit the exam
NO_EXAM = frozenset({"缺考", "未考", "未参考", "免考", "缓考"})


def parse_score(v: Any) -> float | None:
    if isinstance(v, str) and "".join(v.split()) in NO_EXAM:
        t.note(f"「{v.strip()}」：未参加考试，不计成绩")
        return None
    s = t.text(v).replace("分", "") if isinstance(v, str) else v
    x = t.parse_float(s)
    if x is not None and not 0 <= x <= 100:
        raise ValueError(f"成绩 {x:g} 应在 0–100 之间")
    return x


@dataclass
class Block:
    values: dict[str, Any] = field(default_factory=dict)
    where: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> (row, label text)
    longest: int = sys.maxsize  # the sheet's longest text, when known (see t.sheet_texts)


def _block_fields(raw: list[list[Any]], nums: list[int], header_idx: int) -> Block:
    """Label/value pairs above the header row ("培训日期：2025-3-5", or label | value cells)."""
    lookup: dict[str, str] = {}
    for c in SESSION_COLUMNS:
        for n in c.names():
            lookup.setdefault(n, c.key)
    primary = {t.norm_header(c.label) for c in SESSION_COLUMNS}
    b = Block()
    for i, row in enumerate(raw[:header_idx]):
        cells = list(row)
        used: set[int] = set()
        for j, cell in enumerate(cells):
            if t._blank(cell) or j in used:
                continue
            if isinstance(cell, str) and re.search(r"[:：]", cell):
                for label, value in _PAIR_RE.findall(t.text(cell)):
                    key = lookup.get(t.norm_header(label))
                    if key and key not in b.values:
                        val: Any = value.strip()
                        if not val:  # "培训日期：" with the value in the next cell
                            val = next((c for c in cells[j + 1 :] if not t._blank(c)), None)
                        b.values[key] = val
                        b.where[key] = (nums[i], label)
                continue
            key = lookup.get(t.norm_header(cell))
            if key and key not in b.values:
                k = next((k for k in range(j + 1, len(cells)) if not t._blank(cells[k])), None)
                if k is not None and t.norm_header(cells[k]) not in primary:
                    used.add(k)
                    b.values[key] = cells[k]
                    b.where[key] = (nums[i], str(cell).strip())
    return b


@dataclass(slots=True)
class ParsedRow:
    row: t.Row
    training_session: SessionInput
    staff_id: int
    attended: bool
    credited: float | None
    reason: str
    score: float | None
    passed: bool | None
    flags: dict[str, bool]


def read_rows(
    path: Path, info: t.ReadInfo | None = None
) -> tuple[list[tuple[t.Row, Block, int]], list[RowError]]:
    """The rows of the file's sign-in lists, each with its sheet's block above the table and a
    token: rows with the same token (>= 0) have the same session cells, in one sheet (a run of
    one session's attendees); -1: not known (a blank or carried cell, side-by-side blocks)."""
    info = info if info is not None else t.ReadInfo()
    wb = t.open_workbook(path)
    wb_titles = [ws.title for ws in wb.worksheets]
    out: list[tuple[t.Row, Block, int]] = []
    tokens = 0
    skipped: list[str] = []
    with_header: list[str] = []
    person_keys = {c.key for c in PERSON_COLUMNS if c.stored}
    try:
        epoch = t.date_epoch(wb)
        for ws in t.sheet_notes(wb, path, info):
            sparse = t.read_sheet(path, ws)
            hdr = t.find_header(sparse, COLUMNS)
            if hdr is None:
                if sparse:
                    skipped.append(ws.title)
                continue
            with_header.append(ws.title)
            raw = [r for _, r in sparse]
            block = _block_fields(raw, [n for n, _ in sparse], hdr.first)
            data = sparse[hdr.last + 1 :]
            head_rows = sparse[hdr.first : hdr.last + 1]
            info.ignored.extend(t.ignored_columns(ws.title, hdr, data, COLUMNS, head_rows))
            info.stored.extend(t.stored_columns(ws.title, hdr, COLUMNS))
            for texts in hdr.texts:
                for key, (line, label) in block.where.items():
                    texts.setdefault(key, f"{label}（第 {line} 行）")
            # a session column merged down over its attendees holds its value in the first row
            # only: later rows carry it on (said per row)
            above: dict[str, Any] = {}
            # per block, worked out once: its columns, its session and person columns, the
            # header names a repeated header line would show
            plan = [
                (
                    list(colmap.items()),
                    [k for k in SESSION_KEYS if k in colmap],
                    [k for k in person_keys if k in colmap],
                    texts,
                    t.header_probe(colmap, texts),
                )
                for colmap, texts in zip(hdr.blocks, hdr.texts, strict=True)
            ]
            # the block above the table too; a sheet whose longest text fits every person
            # column needs no length check on its rows (clean: nothing to take out of a cell)
            head = t.sheet_texts(sparse[: hdr.last + 1])
            body = t.sheet_texts(data)
            clean = head.clean and body.clean
            block.longest = max(head.longest, body.longest) if clean else sys.maxsize
            # no text under the header reads as a header name: no row repeats it
            probing = [t.may_repeat_header(body.texts, probe) for *_rest, probe in plan]
            # one block (the usual list): a row whose session cells are those of the row before,
            # all filled, has nothing to carry and nothing new to remember (99 rows in 100)
            session_cols = [hdr.blocks[0][k] for k in plan[0][1]] if len(plan) == 1 else []
            same_session = _cells_getter(session_cols)
            reach = max(session_cols, default=0)
            if same_session is not None and _any_bool(data, same_session, reach):
                same_session = None  # TRUE == 1: equal cells would not be the same session
            last: tuple[Any, ...] | None = None  # a tuple (no blank in it) or None
            title = ws.title
            for i, r in data:
                n = len(r)
                for b, (items, session_here, person_here, texts, probe) in enumerate(plan):
                    vals = {k: (r[j] if j < n else None) for k, j in items}
                    for k in person_here:
                        v = vals[k]
                        if v is not None and (type(v) is not str or v.strip()):
                            break  # a person's cell holds something
                    else:
                        footer_row = t.Row(ws.title, i, vals, texts, cells=r)
                        if t.is_footer(footer_row, "name"):  # 合计 学时 44 under a list
                            info.notes.append(t.footer_note(footer_row))
                        continue
                    if probing[b] and t.repeats_header(r, probe):
                        info.notes.append(f"工作表「{ws.title}」第 {i} 行重复了表头，已跳过。")
                        break
                    row = t.Row(title, i, vals, texts, epoch=epoch, cells=r, clean=clean)
                    if same_session is not None and n > reach:
                        cells = same_session(r)
                        if cells == last:
                            out.append((row, block, tokens))
                            continue
                    else:
                        cells = None
                    carried = []
                    for k in session_here:
                        v = vals[k]
                        if v is None or (type(v) is str and not v.strip()):  # t._blank, inline
                            if k in above:
                                carried.append(k)
                            cells = None  # a blank: compared cell by cell next time too
                        else:
                            above[k] = v
                    last = cells
                    if cells is not None:
                        tokens += 1
                    for k in carried:
                        vals[k] = above[k]
                        row.note(
                            k,
                            f"本行为空，沿用上一行的“{t.shown(t.text(above[k]), 20)}”（合并单元格）",
                        )
                    out.append((row, block, tokens if cells is not None else -1))
    finally:
        wb.close()
    errors: list[RowError] = []
    if not out and with_header:
        errors.append(
            RowError(with_header[0], 0, "", "找到了表头，但表头下面没有参训人员的数据行。")
        )
    elif not out:
        errors.append(
            RowError(
                skipped[0] if skipped else (wb_titles[0] if wb_titles else ""),
                0,
                "",
                f"在前 {t.HEADER_SEARCH_ROWS} 行中没有找到参训人员表头（至少需要“姓名”列和培训日期、名称等）。"
                "请确认是否选错了文件。",
            )
        )
    else:
        info.notes.extend(f"工作表「{name}」中没有找到表头，未导入。" for name in skipped)
    return out, errors


def _any_bool(
    rows: t.SparseRows, cells: Callable[[Sequence[Any]], tuple[Any, ...]], reach: int
) -> bool:
    """Whether a TRUE/FALSE cell stands in the given cells of any row long enough to hold them
    (TRUE == 1 and FALSE == 0 in Python: cells compared by value would take one for the other)."""
    got = map(cells, (r for _n, r in rows if len(r) > reach))
    return bool in set(map(type, chain.from_iterable(got)))


def _cells_getter(cols: list[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]] | None:
    """The cells at ``cols`` of a row, as one tuple to compare (None: no columns)."""
    if not cols:
        return None
    if len(cols) == 1:
        col = cols[0]
        return lambda r: (r[col],)
    return operator.itemgetter(*cols)


# the kinds of cell a memo keyed by cell values may hold: texts and empty cells (1 == 1.0 == TRUE
# would share a key)
_TEXT_OR_NONE = frozenset({str, type(None)})


class StaffIndex:
    """The roster as an import finds people in it, with what one import remembers of the cells
    it has looked at (the same people, scores and squads come back on every session's list)."""

    def __init__(self, s: Session) -> None:
        rows = s.execute(select(Staff.id, Staff.name, Staff.id_number, Staff.squad)).all()
        self.checked: dict[str, str] = {}  # ID number as written -> as checked
        # (name, ID number, squad) as written -> the person found: each person comes back on
        # every session's list; only a clean find is remembered (errors are said per row)
        self.found: dict[tuple[Any, Any, Any], int] = {}
        self.short: set[Any] = set()  # (column, text) found within its length (check_lengths)
        # a number in a score or hours cell -> what parsing it gave, when it gave no error or note
        self.numbers: dict[tuple[str, Any], float] = {}
        # (签到情况, 缺勤原因) cells as written -> what they say (see _presence), when understood
        self.presence: dict[tuple[Any, Any], tuple[str, str, bool]] = {}
        self.by_id = {r.id_number: r for r in rows}
        self.by_name: dict[str, list[Any]] = {}
        for r in rows:
            self.by_name.setdefault("".join(r.name.split()), []).append(r)

    def find(self, row: t.Row, errors: list[RowError]) -> int | None:
        values = row.values
        key = (values.get("name"), values.get("id_number"), values.get("squad"))
        if not _TEXT_OR_NONE.issuperset(map(type, key)):
            # a number (an ID number typed as one …) or another kind: looked up the long way,
            # not remembered (1 == 1.0 == TRUE would share a key)
            return self._find(row, errors)
        hit = self.found.get(key)
        if hit is not None:
            return hit
        before = len(errors)
        sid = self._find(row, errors)
        if sid is not None and len(errors) == before:
            self.found[key] = sid
        return sid

    def _find(self, row: t.Row, errors: list[RowError]) -> int | None:
        name = "".join(t.text(row.values.get("name")).split())
        if not name:
            errors.append(row.error("name", "姓名为空"))
            return None
        raw_id = row.values.get("id_number")
        if not t._blank(raw_id):
            # each person comes back on many rows: a text ID number is checked once
            idn = self.checked.get(raw_id) if isinstance(raw_id, str) else None
            if idn is None:
                idn = t.cell(row, "id_number", t.parse_id_number, errors)
                if idn is None:
                    return None
                if isinstance(raw_id, str):
                    self.checked[raw_id] = idn
            p = self.by_id.get(idn)
            if p is None:
                errors.append(
                    row.error("id_number", f"身份证号 {idn} 不在花名册中，请先在花名册登记“{name}”")
                )
                return None
            if "".join(p.name.split()) != name:
                errors.append(
                    row.error("name", f"姓名“{name}”与花名册中该身份证号的人员“{p.name}”不符")
                )
                return None
            return int(p.id)
        cands = self.by_name.get(name, [])
        squad = t.text(row.values.get("squad"))
        if len(cands) > 1 and squad:
            narrowed = [c for c in cands if c.squad == squad]
            if narrowed:
                cands = narrowed
        if not cands:
            errors.append(
                row.error("name", f"花名册中没有名为“{name}”的人员，请核对姓名或先在花名册登记")
            )
            return None
        if len(cands) > 1:
            where = "、".join(c.squad or "未分中队" for c in cands)
            errors.append(
                row.error(
                    "name",
                    f"姓名“{name}”在花名册中有 {len(cands)} 人（{where}），请填写身份证号区分",
                )
            )
            return None
        return int(cands[0].id)


def _value(row: t.Row, block: Block, key: str) -> Any:
    v = row.values.get(key)
    return block.values.get(key) if t._blank(v) else v


MAX_LEN = {
    "title": 200,
    "form": 30,
    "organiser": 100,
    "place": 100,
    "name": 50,
    "squad": 50,
    "reason": 500,
}


# a session's facts parsed once per import: a 20,000-row list repeats each session's cells on every
# attendee's row (key: the raw session cells and which columns the sheet has -> what parsing gave,
# and the notes to repeat on each row)
# the door (t.check_cells): every cell is checked for #REF! and invisible characters; in these
# columns, which find a person or name a session, an invisible character is refused (at either end
# a zero-width one is removed), the others are free text (core.textclean)
KEY_COLUMNS = frozenset({"name", "id_number", "squad", "title"})
PERSON_CELLS = tuple(c.key for c in PERSON_COLUMNS if c.stored)
SessionCache = dict[tuple[Any, ...], tuple[SessionInput, dict[str, bool], list[tuple[str, str]]]]
PERSON_MAX_LEN = {k: v for k, v in MAX_LEN.items() if k not in SESSION_KEYS}
SESSION_MAX_LEN = {k: v for k, v in MAX_LEN.items() if k in SESSION_KEYS}
PERSON_SHORTEST = min(PERSON_MAX_LEN.values())


def _session(
    row: t.Row,
    block: Block,
    pass_score: float,
    errors: list[RowError],
    cache: SessionCache,
    token: int = -1,
) -> tuple[SessionInput, dict[str, bool]] | None:
    """The session a row belongs to (its own cells, else the sheet's block above the table).
    ``token`` (see read_rows): rows with the same one have the same session cells."""
    hit = cache.get((token,)) if token >= 0 else None
    key: tuple[Any, ...] = ()
    if hit is None:
        # the session's cells as written (the headers dict is the block's, shared by its rows
        # and alive while they are): the same cells, sheet and date system parse the same
        raw = tuple(map(row.values.get, SESSION_KEYS))
        above = tuple(map(block.values.get, SESSION_KEYS)) if block.values else None
        # (with the kinds: TRUE and 1 are equal, and parse differently)
        key = (raw, tuple(map(type, raw)), above, id(row.headers), row.sheet, row.epoch)
        hit = cache.get(key)
        if hit is not None and token >= 0:
            cache[(token,)] = hit
    if hit is not None:
        cached, cached_flags, notes = hit
        if notes:
            row.notes.extend(RowError(row.sheet, row.row, col, msg) for col, msg in notes)
        # shared by every row of the session: never changed in place (see _per_person_hours)
        return cached, cached_flags
    vals = {k: _value(row, block, k) for k in SESSION_KEYS}
    before = len(errors)
    notes_before = len(row.notes)
    t.check_lengths(t.Row(row.sheet, row.row, vals, row.headers), SESSION_MAX_LEN, errors)
    if len(errors) > before:
        return None
    # the same notes and date system as the row, so what is assumed about the block is said
    probe = t.Row(
        row.sheet, row.row, vals, row.headers, epoch=row.epoch, notes=row.notes, clean=row.clean
    )
    t.check_cells(probe, errors, KEY_COLUMNS)  # the row's session cells and the sheet's block
    if len(errors) > before:
        return None

    def need(key: str, label: str) -> None:
        if t._blank(vals.get(key)):
            errors.append(
                row.error(key, f"{label}为空")
                if key in row.headers
                else RowError(
                    row.sheet, row.row, label, f"缺少“{label}”（既没有该列，也没有在表头上方写明）"
                )
            )

    for k, label in (
        ("date", "培训日期"),
        ("title", "培训名称"),
        ("form", "培训形式"),
        ("category", "培训类别"),
        ("hours", "学时"),
    ):
        need(k, label)
    if len(errors) > before:
        return None
    data = SessionInput(
        start_date=t.cell(probe, "date", t.parse_date, errors),
        end_date=t.cell(probe, "end_date", t.parse_date, errors),
        title=t.text(vals["title"]),
        form=t.text(vals["form"]),
        category=t.cell(probe, "category", parse_category, errors) or "",
        hours=t.cell(probe, "hours", parse_hours, errors) or 0.0,
        organiser=t.text(vals.get("organiser")),
        place=t.text(vals.get("place")),
        pass_score=pass_score,
    )
    flags: dict[str, bool] = {}
    if "monthly" in row.headers:
        flags["is_monthly_study"] = bool(
            t.cell(probe, "monthly", lambda x: t.parse_bool(x, False), errors)
        )
    else:
        flags["is_monthly_study"] = data.form == "集中学法"
    if "rotation" in row.headers:
        flags["is_rotation"] = bool(
            t.cell(probe, "rotation", lambda x: t.parse_bool(x, False), errors)
        )
    data.is_monthly_study = flags["is_monthly_study"]
    data.is_rotation = flags.get("is_rotation", False)
    if len(errors) == before:
        for k, msg in validate_session(data).items():
            col = {
                "start_date": "date",
                "end_date": "end_date" if "end_date" in row.headers else "date",
            }.get(k, k)
            errors.append(row.error(col, msg))
    if len(errors) > before:
        return data, flags  # not cached: the next row with these cells is told the same
    cache[key] = (
        data,
        flags,
        [(n.column, n.message) for n in row.notes[notes_before:]],
    )
    if token >= 0:
        cache[(token,)] = cache[key]
    return data, flags


def _parse(
    row: t.Row,
    block: Block,
    people: StaffIndex,
    pass_score: float,
    errors: list[RowError],
    cache: SessionCache | None = None,
    token: int = -1,
) -> ParsedRow | None:
    before = len(errors)
    t.check_cells(row, errors, KEY_COLUMNS, PERSON_CELLS)  # the session's: in _session, once
    if len(errors) > before:
        return None
    if block.longest > PERSON_SHORTEST:
        t.check_lengths(row, PERSON_MAX_LEN, errors, people.short)
    if len(errors) > before:
        return None
    got = _session(row, block, pass_score, errors, {} if cache is None else cache, token)
    if got is None:
        return None
    data, flags = got
    staff_id = people.find(row, errors)
    values = row.values
    raw_presence, raw_reason = values.get("presence"), values.get("reason")
    # remembered for texts and empty cells only (True, 1 and 1.0 would share a key)
    plain = type(raw_presence) in _TEXT_OR_NONE and type(raw_reason) in _TEXT_OR_NONE
    known = people.presence.get((raw_presence, raw_reason)) if plain else None
    if known is not None:
        presence, reason, attended = known
    else:
        presence, reason, attended, understood = _presence(raw_presence, raw_reason)
        if understood:
            if plain and len(people.presence) < 65536:
                people.presence[(raw_presence, raw_reason)] = (presence, reason, attended)
        elif (
            "".join(presence.split()) != "".join(t.text(row.values.get("name")).split()).lower()
        ):  # a 签到 column holding the person's own name (typed in place of a signature) is present
            errors.append(
                row.error(
                    "presence",
                    f"签到情况「{t.shown(presence)}」无法识别（写 √ / 已签到 表示参加，缺勤 / 请假 / 病假 表示未参加）",
                )
            )
    raw_score = values.get("score")
    # (a number is no 缺席)
    score_text = "".join(t.text(raw_score).split()) if type(raw_score) is str else ""
    if score_text in ("缺席", "缺勤", "未参加"):
        score = None
        if presence and attended:
            errors.append(
                row.error("score", f"成绩栏写“{score_text}”，但签到情况为“{presence}”，请核对")
            )
        elif not presence:
            attended = False
            row.note("score", f"成绩栏写“{score_text}”：按未参加本次培训登记")
    else:  # an empty cell parses to None: not sent through t.cell (half the rows of a list)
        score = _number(row, "score", parse_score, errors, people.numbers)
    credited = _number(row, "credited", parse_hours, errors, people.numbers)
    passed = None
    raw_passed = values.get("passed")
    if raw_passed is None:
        pass
    elif t.empty_mark(raw_passed):
        row.note("passed", f"「{t.text(row.values.get('passed'))}」视为未填")
    elif not t._blank(row.values.get("passed")):
        pv = t.text(row.values.get("passed"))
        passed = {"合格": True, "通过": True, "不合格": False, "未通过": False}.get(pv)
        if passed is None:
            passed = t.cell(row, "passed", lambda x: t.parse_bool(x, False), errors)
    if credited is not None and data.hours and credited > data.hours + 1e-9:
        errors.append(
            row.error("credited", f"实得学时 {credited:g} 超过本次培训学时 {data.hours:g}")
        )
    if not attended and score is not None:
        errors.append(row.error("score", "缺勤人员不应有考试成绩"))
    if len(errors) > before or staff_id is None:
        return None
    return ParsedRow(
        row=row,
        training_session=data,
        staff_id=staff_id,
        attended=attended,
        credited=None if not attended else credited,
        reason=reason,
        score=score,
        passed=passed,
        flags=flags,
    )


def _presence(raw: Any, raw_reason: Any) -> tuple[str, str, bool, bool]:
    """The 签到情况 and 缺勤原因 cells read: (presence as compared, the reason to store, attended,
    understood — False: neither a presence nor an absence word, left to the row's name)."""
    presence = t.text(raw).lower()
    reason = t.text(raw_reason)
    if not presence:
        return presence, reason, not reason, True
    if presence in ABSENT:
        if presence not in GENERIC_ABSENT:
            reason = presence + (f"（{reason}）" if reason else "")
        return presence, reason, False, True
    return presence, reason, True, presence in PRESENT or "签" in presence


def _number(
    row: t.Row,
    key: str,
    parser: Callable[[Any], float | None],
    errors: list[RowError],
    memo: dict[tuple[str, Any], float],
) -> float | None:
    """A score or hours cell parsed (None when empty); a plain number gives what it gave before
    when that came without an error or a note (scores 55 to 100 on every list)."""
    v = row.values.get(key)
    if v is None:
        return None
    plain = type(v) is int or type(v) is float
    if plain:
        got = memo.get((key, v))
        if got is not None:
            return got
    before, notes = len(errors), len(row.notes)
    parsed: float | None = t.cell(row, key, parser, errors)
    if plain and parsed is not None and len(errors) == before and len(row.notes) == notes:
        memo[(key, v)] = parsed
    return parsed


def _per_person_hours(parsed: list[tuple[t.Row, ParsedRow | None, list[RowError]]]) -> None:
    """A 学时 column giving each person's own hours (22 for most, 18 for one who left early) and no
    实得学时 column: the session's hours are the most common value, the others partial credit."""
    groups: dict[tuple[dt.date, str], list[tuple[t.Row, ParsedRow]]] = {}
    for row, p, errs in parsed:
        if (
            p is None
            or errs
            or "hours" not in row.headers
            or "credited" in row.headers
            or not p.attended
            or p.training_session.start_date is None
        ):
            continue
        key = (p.training_session.start_date, p.training_session.title)
        groups.setdefault(key, []).append((row, p))
    for members in groups.values():
        values = [p.training_session.hours for _r, p in members]
        if len(set(values)) < 2:
            continue
        counts: dict[float, int] = {}
        for h in values:
            counts[h] = counts.get(h, 0) + 1
        usual = max(counts, key=lambda h: (counts[h], h))
        for row, p in members:
            own = p.training_session.hours
            if own < usual:
                # a copy: the parsed session is shared by every row of it
                p.training_session = dataclasses.replace(p.training_session, hours=usual)
                p.credited = own
                row.note(
                    "hours",
                    f"本行学时 {own:g} 少于同一培训多数人的 {usual:g}：本次培训按 {usual:g} 学时登记，"
                    f"此人计入 {own:g} 学时",
                )
            # more than the usual: left to _same, which names the disagreement


def _same(a: SessionInput, b: SessionInput) -> str | None:
    for attr, label in (
        ("end_date", "结束日期"),
        ("form", "培训形式"),
        ("category", "培训类别"),
        ("hours", "学时"),
    ):
        if getattr(a, attr) != getattr(b, attr):
            return label
    return None


def import_training(
    db: Database,
    path: Path | str,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    today: dt.date | None = None,
) -> ImportResult:
    del today
    # reading and checking make hundreds of thousands of short-lived objects, none in a cycle:
    # collections during them only walk the rows already read (a fifth of the time)
    with _gc_paused():
        return _import(db, Path(path), dry_run=dry_run, skip_invalid=skip_invalid)


def _import(db: Database, path: Path, *, dry_run: bool, skip_invalid: bool) -> ImportResult:
    info = t.ReadInfo()
    rows, structural = read_rows(path, info)
    with db.session() as s:
        from brigade_desk.core import settings

        people = StaffIndex(s)
        pass_score = float(settings.get(s, PASS_SCORE))
        checked: list[CheckedRow[ParsedRow]] = []
        parsed: list[tuple[t.Row, ParsedRow | None, list[RowError]]] = []
        sessions: SessionCache = {}
        plain_names: set[str] = set()  # names that are no footer word: looked at once each
        for row, block, token in rows:
            name = row.values.get("name")
            if not (type(name) is str and name in plain_names) and t.is_footer(
                row, "name", plain_names
            ):  # 合计 / 小计 / 制表人 lines, under the list or between
                info.notes.append(t.footer_note(row))
                continue
            row_errs: list[RowError] = []
            parsed.append(
                (row, _parse(row, block, people, pass_score, row_errs, sessions, token), row_errs)
            )
        _per_person_hours(parsed)
        first: dict[SessionKey, ParsedRow] = {}
        seen: dict[SessionKey, dict[int, t.Row]] = {}  # session -> person -> the row naming them
        # rows of one session follow each other sharing its parsed facts (see _session): its key
        # and its people worked out once per run of them
        last_ts: SessionInput | None = None
        key: SessionKey = (dt.date.min, "")
        here: dict[int, t.Row] = {}
        for row, p, row_errs in parsed:
            if p is not None and not row_errs:
                ts_in = p.training_session
                if ts_in is not last_ts:
                    assert ts_in.start_date is not None
                    key = (ts_in.start_date, ts_in.title)
                    here = seen.setdefault(key, {})
                    last_ts = ts_in
                f = first.get(key)
                if (
                    f is not None
                    # rows of one session share its parsed facts (see _session): the same object
                    and f.training_session is not ts_in
                    and (diff := _same(f.training_session, ts_in))
                ):
                    row_errs.append(
                        row.error(
                            {"学时": "hours", "培训形式": "form", "培训类别": "category"}.get(
                                diff, "date"
                            ),
                            f"同一培训（{key[0]:%Y-%m-%d}“{key[1]}”）的{diff}与工作表「{f.row.sheet}」第 {f.row.row} 行不一致",
                        )
                    )
                prev = here.get(p.staff_id)
                if prev is not None:
                    row_errs.append(
                        row.error(
                            "name", f"同一培训中此人已在工作表「{prev.sheet}」第 {prev.row} 行登记"
                        )
                    )
                if not row_errs:
                    if f is None:
                        first[key] = p
                    here[p.staff_id] = row
            checked.append(
                CheckedRow(row.sheet, row.row, None if row_errs else p, row_errs, row.notes)
            )

        def write(accepted: list[ParsedRow], dry_run: bool) -> Written:
            # a dry run writes too (sessions are flushed to attach attendance): the policy rolls
            # it back
            del dry_run
            return _write(s, accepted, first, pass_score, Path(path).name)

        return run_import(
            s,
            checked,
            write,
            structural=structural,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            info=info,
        )


# new attendance rows from this many on are recorded in the audit trail in bulk (digests, see
# _write); fewer are recorded row by row with their values, as the ORM would
BULK_AUDIT_ROWS = 2000

# the attendance columns an import sets (besides the session and the person)
ATTENDANCE_FIELDS = ("attended", "hours", "absence_reason", "exam_score", "exam_passed")
_IN_CHUNK = 500  # values per IN (...) list, well under SQLite's limit on bound parameters

SessionKey = tuple[dt.date, str]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: the bulk write makes tens of thousands of dicts and
    tuples (none of them in a cycle), and every collection they set off would walk all the rows
    read from the file too — a fifth of the write's time for 20,000 rows."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i : i + _IN_CHUNK] for i in range(0, len(values), _IN_CHUNK)]


def _write(
    s: Session,
    accepted: list[ParsedRow],
    first: dict[tuple[dt.date, str], ParsedRow],
    pass_score: float,
    file_name: str,
) -> Written:
    """Write the accepted rows in bulk, inside the caller's transaction (the policy commits, or
    rolls back a dry run; an error on the way leaves nothing written).

    The sessions (a few hundred at most) go through the ORM in one flush, so the audit listeners
    record them. The attendance (one row per person and session: tens of thousands) is read, inserted
    and updated with a few Core statements — one query per 500 sessions to find what exists, one
    executemany to insert, one to update. Changed rows, and new rows of an ordinary sheet, are
    recorded with :func:`audit.append_bulk` (their values: the entries the ORM would have
    written); ``BULK_AUDIT_ROWS`` new rows or more with :func:`audit.record_rows` (each row's
    digest, in a few entries of the same hash chain).
    """
    with _gc_paused():
        by_key: dict[SessionKey, list[ParsedRow]] = {}
        for p in accepted:
            assert p.training_session.start_date is not None
            by_key.setdefault((p.training_session.start_date, p.training_session.title), []).append(
                p
            )
        sessions, existed = _write_sessions(s, by_key, first, pass_score, file_name)

        conn = s.connection()
        att = cast(Table, TrainingAttendance.__table__)
        current: dict[tuple[int, int], Any] = {}
        for chunk in _chunks(sorted(sessions[k].id for k in existed)):
            for r in conn.execute(select(att).where(att.c.session_id.in_(chunk))):
                current[(r.session_id, r.staff_id)] = r._mapping
        next_id = int(conn.execute(select(func.coalesce(func.max(att.c.id), 0))).scalar_one())
        new: dict[tuple[int, int], dict[str, Any]] = {}
        changed: list[tuple[int, dict[str, Any], dict[str, Any]]] = []  # (id, before, after)
        created = updated = 0
        for key, rows in by_key.items():
            ts = sessions[key]
            # the session's facts read once (ORM attributes), not on each of its rows
            ts_id, ts_hours = ts.id, ts.hours
            passing = (ts.pass_score or pass_score) - 1e-9
            for p in rows:
                score, credited = p.score, p.credited
                vals = {
                    "attended": p.attended,
                    "hours": credited
                    if credited is not None and abs(credited - ts_hours) > 1e-9
                    else None,
                    "absence_reason": "" if p.attended else p.reason,
                    "exam_score": score,
                    "exam_passed": p.passed
                    if p.passed is not None
                    else (None if score is None else score >= passing),
                }
                pair = (ts_id, p.staff_id)
                old = current.get(pair)
                if old is None and pair not in new:  # a new row: this dict, with its keys
                    created += 1
                    next_id += 1
                    vals["id"], vals["session_id"], vals["staff_id"] = next_id, ts_id, p.staff_id
                    new[pair] = vals
                elif old is not None:
                    updated += 1
                    before = {f: old[f] for f in ATTENDANCE_FIELDS if old[f] != vals[f]}
                    if before:  # unchanged rows are neither written nor recorded, as with the ORM
                        after = {c.name: old[c.name] for c in att.columns} | vals
                        changed.append((old["id"], before, after))
                        current[pair] = after
                else:  # the same person twice in one session: the later row wins
                    updated += 1
                    new[pair].update(vals)
        if new:
            server = not dialect.is_sqlite(conn)
            if server:  # other PCs insert too: ids from the table's sequence, not max(id) + 1
                taken = dialect.take_ids(conn, att, len(new))
                for fresh, rid in zip(new.values(), taken, strict=True):
                    fresh["id"] = rid
            first_new = min(r["id"] for r in new.values())
            written = _insert_many(conn, att, list(new.values()))
            note = f"由 Excel 导入：{file_name}"
            if len(new) < BULK_AUDIT_ROWS:  # a sign-in sheet: each row's values in the history
                audit.append_bulk(s, att.name, "create", ((r["id"], None, r) for r in new.values()))
            elif server:  # exactly these ids (another PC's rows may lie between them)
                for part in _chunks(sorted(r["id"] for r in new.values())):
                    audit.record_rows(
                        s, att.name, f'"id" IN ({", ".join("?" * len(part))})', part, note=note
                    )
            elif not audit.record_written(s, att.name, written, note=note):
                # thousands of rows (a year's lists at once): recorded as stored, one entry per
                # 5,000 rows holding each row's digest, verified as the demo's rows are — per-row
                # entries took a fifth of a 20,000-row import. From the values just written (in
                # id order) when SQLite's stored form of each is plain; else read back.
                audit.record_rows(s, att.name, '"id" >= ?', (first_new,), note=note)
        if changed:
            conn.execute(
                update(att).where(att.c.id == bindparam("_id")),
                [
                    {"_id": rid, **{f: after[f] for f in ATTENDANCE_FIELDS}}
                    for rid, _b, after in changed
                ],
            )
            audit.append_bulk(s, att.name, "update", changed)
        return Written(created, updated)


def _insert_many(
    conn: Connection, table: Table, rows: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (every column of ``table``, as int, float, str, bool or None — values the
    driver stores as SQLAlchemy would) with one executemany of the driver: no per-row parameter
    processing, which takes Core's ``insert`` a third longer for 20,000 rows. Returns the rows
    as sent (tuples in the table's column order)."""
    cols = [c.name for c in table.columns]
    names = ", ".join(f'"{c}"' for c in cols)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(cols))})'
    params = (
        list(map(operator.itemgetter(*cols), rows))  # tuples, in C
        if len(cols) > 1
        else [(r[cols[0]],) for r in rows]
    )
    conn.exec_driver_sql(dialect.driver_sql(conn, sql), params)
    return params


def _write_sessions(
    s: Session,
    by_key: dict[SessionKey, list[ParsedRow]],
    first: dict[SessionKey, ParsedRow],
    pass_score: float,
    file_name: str,
) -> tuple[dict[SessionKey, TrainingSession], set[SessionKey]]:
    """The sessions of ``by_key``, found by (start date, title) or created, with the file's values;
    flushed once (the audit listeners record them). Returns them and the keys that existed."""
    found: dict[SessionKey, TrainingSession] = {}
    for chunk in _chunks(sorted({k[1] for k in by_key})):
        for old in s.scalars(
            select(TrainingSession)
            .where(TrainingSession.title.in_(chunk))
            .order_by(TrainingSession.id)
        ):
            key = (old.start_date, old.title)
            if key in by_key:
                found.setdefault(key, old)
    sessions: dict[SessionKey, TrainingSession] = {}
    # on a file, new sessions get their id and times here, as the database would give them (the
    # next ids; CURRENT_TIMESTAMP: UTC, whole seconds), so the flush inserts them with one
    # executemany — with the database to fill them in, SQLite's RETURNING sends one INSERT per
    # session. A server keeps its own (its sequence and clock; it batches the RETURNING).
    local = dialect.is_sqlite(s.connection())
    if local:
        tsc = cast(Table, TrainingSession.__table__).c
        next_id = int(s.execute(select(func.coalesce(func.max(tsc.id), 0))).scalar_one())
        now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    for key, rows in by_key.items():
        ts = found.get(key)
        if ts is None:
            ts = TrainingSession(
                start_date=key[0], title=key[1], notes=f"由 Excel 导入：{file_name}"
            )
            if local:
                next_id += 1
                ts.id, ts.created_at, ts.updated_at, ts.version = next_id, now, now, 1
            s.add(ts)
        src = first[key]
        d = src.training_session
        ts.end_date, ts.form, ts.category, ts.hours = (
            d.end_date or key[0],
            d.form,
            d.category,
            d.hours,
        )
        ts.organiser = d.organiser or (ts.organiser or "")
        ts.place = d.place or (ts.place or "")
        ts.is_monthly_study = src.flags.get("is_monthly_study", bool(ts.is_monthly_study))
        ts.is_rotation = src.flags.get("is_rotation", bool(ts.is_rotation))
        ts.pass_score = ts.pass_score if ts.pass_score is not None else pass_score
        exam = any(p.score is not None for p in rows)
        if exam or key not in found:  # every new one says it: one shape of INSERT for them all
            ts.has_exam = exam or bool(ts.has_exam)
        sessions[key] = ts
    s.flush()
    return sessions, set(found)


# the columns of the blank sign-in template, one row per attendee (also what benchmarks write)
TEMPLATE_HEADERS = (
    "培训日期",
    "培训名称",
    "培训形式",
    "培训类别",
    "学时",
    "姓名",
    "身份证号",
    "中队",
    "签到情况",
    "缺勤原因",
    "实得学时",
    "考试成绩",
)


def write_template(out: Path | str) -> Path:
    """A blank sign-in template (one row per attendee) with an example row and instructions."""
    from brigade_desk.core.forms.xlsxform import StreamWorkbook

    headers = list(TEMPLATE_HEADERS)
    example = [
        "2025-03-05",
        "《行政处罚法》专题法治讲堂",
        "法治讲堂",
        "公共法律知识",
        3,
        "张三",
        None,
        "一中队",
        "√",
        None,
        None,
        92,
    ]
    widths = [max(10, len(h) * 2.4) for h in headers]
    widths[1], widths[6] = 30, 21
    with StreamWorkbook(out) as wb:
        wb.add_table_sheet(
            "参训签到",
            headers,
            [example],
            widths,
            text_columns=[6],  # 身份证号: text, so that Excel keeps all 18 digits
            text_rows=2000,
            choices={3: "政治教育,公共法律知识,业务知识,执法技能"},
            choice_rows=2000,
        )
        wb.add_text_sheet(
            "填写说明",
            (
                "1. 每行一名参训人员；同一天同名称的行合并为一次培训。也可以每个工作表一次培训：在表头上方写“培训日期：”“培训名称：”“培训形式：”“培训类别：”“学时：”，下面只列人员。",
                "2. 培训类别：政治教育（政治理论和党性教育，不计入 60 学时）、公共法律知识、业务知识、执法技能。",
                "3. 重名人员请填写身份证号（文本格式）；也可填写中队区分。",
                "4. 签到情况写 √ 或“已签到”；未参加写“缺勤”“请假”“病假”等，并可在“缺勤原因”列说明。",
                "5. 实得学时留空表示按本次培训学时全额计入；只参加了一部分时填写实际学时。",
                "6. 再次导入同一培训（同日期、同名称）会更新，不会重复。",
            ),
            120,
        )
    return Path(out)
