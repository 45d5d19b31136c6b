"""Reading messy spreadsheets the way a clerk's Excel files really are.

- The header row may be anywhere in the first 10 rows, under a merged title and a 填报单位 line.
- Header texts match after normalisation (NFKC, no spaces of any width, no punctuation) against a
  column's synonyms.
- Dates: real date cells, Excel serials, ``2021.3.5``, ``2021/03/05``, ``2021-3-5``, ``2021年3月5日``.
- Every problem is a :class:`~brigade_desk.core.errors.RowError` naming the sheet, the row as Excel
  numbers it, and the column header as written in the file.
- The file itself (its format, its sheets' rows) is :mod:`brigade_desk.core.tabular.books`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import operator
import re
import sys
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from brigade_desk.core import textclean
from brigade_desk.core.errors import RowError
from brigade_desk.core.tabular.books import (
    EXCEL_EPOCH,
    IMPORT_FILTER,
    IMPORT_SUFFIXES,
    Book,
    Sheet,
    SparseRows,
    date_epoch,
    open_workbook,
    read_sheet,
    sheet_state,
    shown,
)

__all__ = [  # the file layer, re-exported for the importers that read through this module
    "EXCEL_EPOCH",
    "IMPORT_FILTER",
    "IMPORT_SUFFIXES",
    "Book",
    "Sheet",
    "SparseRows",
    "date_epoch",
    "open_workbook",
    "read_sheet",
    "sheet_state",
    "shown",
]

HEADER_SEARCH_ROWS = 10


_HEADER_NOISE = re.compile(r"[\s\u3000:：*＊()（）\[\]【】·.。、_\-—/]")


@functools.lru_cache(maxsize=65536)
def _norm_str(s: str) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", s)).lower()


def norm_header(text: object) -> str:
    """A header text as compared: NFKC, no spaces of any width, no punctuation, lower case."""
    if isinstance(text, str):
        return _norm_str(text)  # the same texts come back on every row (names, titles …)
    return _norm_str(str(text or ""))


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    # recognised (it helps find the header) but not kept, e.g. 本人签名: listed as not imported
    stored: bool = True

    def names(self) -> set[str]:
        return {norm_header(self.label), *(norm_header(s) for s in self.synonyms)}


@dataclass(slots=True)  # (tens of thousands per import: slots make each one cheaper)
class Row:
    sheet: str
    row: int  # Excel row number
    values: dict[str, Any]
    headers: dict[str, str]  # key -> header text as written in the file
    labels: dict[str, str] = field(
        default_factory=dict
    )  # key -> Chinese label, for a column the sheet lacks
    epoch: dt.date = EXCEL_EPOCH  # day 0 of plain-number dates (1904-01-01 in a 1904 workbook)
    # what the program assumed while reading this row ("/" read as empty …), shown to the clerk
    notes: list[RowError] = field(default_factory=list)
    cells: Sequence[Any] = ()  # the whole row as read, the columns not imported too
    # its sheet holds no text the door (check_cells) acts on: no "#", no invisible character
    clean: bool = False

    def error(self, key: str, message: str) -> RowError:
        return RowError(
            self.sheet, self.row, self.headers.get(key) or self.labels.get(key, key), message
        )

    def note(self, key: str, message: str) -> None:
        self.notes.append(self.error(key, message))


@dataclass(frozen=True)
class IgnoredColumn:
    """A column of the file that is not imported, and why."""

    sheet: str
    column: str  # the column letter, as Excel shows it
    header: str  # the header text as written ("" for a column without one)
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {
            "sheet": self.sheet,
            "column": self.column,
            "header": self.header,
            "reason": self.reason,
        }

    def describe(self) -> str:
        head = f"「{shown(self.header)}」" if self.header else "（无表头）"
        return f"工作表「{self.sheet}」{self.column} 列{head}：{self.reason}"


@dataclass
class ReadInfo:
    """What reading a file left out or assumed for a whole sheet: columns not imported, hidden or
    unrecognised sheets, the 1904 date system, repeated header lines …"""

    ignored: list[IgnoredColumn] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stored: list[StoredColumn] = field(default_factory=list)


@dataclass(frozen=True)
class StoredColumn:
    """A column of the file that is imported, and into which field of the ledger."""

    sheet: str
    column: str  # the column letter
    header: str  # the header text as written
    field: str  # the ledger's name for it (the Column's label)

    def as_dict(self) -> dict[str, str]:
        return {
            "sheet": self.sheet,
            "column": self.column,
            "header": self.header,
            "field": self.field,
        }


def stored_columns(sheet: str, hdr: Header, columns: Sequence[Column]) -> list[StoredColumn]:
    """The file's columns that are imported (every block), with the field each one fills."""
    labels = {c.key: c.label for c in columns if c.stored}
    out = [
        StoredColumn(sheet, column_letter(j), hdr.cells.get(j, ""), labels[key])
        for blk in hdr.blocks
        for key, j in blk.items()
        if key in labels
    ]
    return sorted(set(out), key=lambda c: (len(c.column), c.column))


@dataclass
class SheetTable:
    sheet: str
    header_row: int
    headers: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    letters: dict[str, str] = field(default_factory=dict)  # key -> column letter (first block)
    above: str = ""  # the text above the header (the table's title, 填报单位 …)


def column_letter(j: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass
class Header:
    """Where a table's header is and what each column means.

    The header may take up to three rows: a merged group label over the names under it
    (执法证件信息 over 执法证号 / 发证日期 / 有效期至), and a name merged down over two rows (序号).
    Repeated blocks side by side (姓名 签到 | 姓名 签到, the usual A4 签到表) give one map per block.
    """

    first: int  # index (in the sparse rows) of the first header row
    last: int  # index of the last header row: the data follows it
    blocks: list[dict[str, int]]  # key -> 0-based column, one map per side-by-side block
    texts: list[dict[str, str]]  # key -> header text as written, per block
    cells: dict[int, str]  # every column with header text -> that text ("组/名" when grouped)
    duplicates: dict[int, int]  # a repeated column -> the column whose value is used

    @property
    def colmap(self) -> dict[str, int]:
        return self.blocks[0]


MAX_HEADER_DEPTH = 3
SEQUENCE_HEADERS = frozenset({"序号", "序", "编号", "no"})
MAX_HEADER_WIDTH = 512  # columns looked at for a header (a row 16,384 cells wide is no header)


def _lookup(columns: Sequence[Column]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for c in columns:
        for n in c.names():
            lookup.setdefault(n, c.key)
    return lookup


_LINE_BREAKS = re.compile(r"[\r\n]+")


def _head_text(v: Any) -> str:
    """A header cell's text as written (its own brackets and widths), on one line."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = str(v)
    if "\n" not in s and "\r" not in s:
        return s.strip()
    # a line break typed with Alt+Enter, with the blanks around it: one space (split, not a regex
    # with \s* on both sides, which backtracks quadratically over a long run of blanks)
    return " ".join(part.strip() for part in _LINE_BREAKS.split(s) if part.strip())


def _header_cells(
    levels: Sequence[Sequence[Any]], lookup: dict[str, str]
) -> dict[int, list[str]] | None:
    """Column -> its header texts from the top level down. A group label merged across columns
    (only its first cell holds the text) stands over the blank cells to its right that have a name
    under them. None when the rows cannot be one header: a column name standing alone over
    another name (label/value lines above a table, not a group label)."""
    width = min(max((len(lv) for lv in levels), default=0), MAX_HEADER_WIDTH)
    grid = [[_head_text(lv[j]) if j < len(lv) else "" for j in range(width)] for lv in levels]
    for k in range(len(grid) - 1):
        below = [any(grid[m][j] for m in range(k + 1, len(grid))) for j in range(width)]
        for j in range(width):
            spans = j + 1 < width and not grid[k][j + 1] and below[j + 1]
            if grid[k][j] and below[j] and not spans and norm_header(grid[k][j]) in lookup:
                return None
        last = ""
        for j in range(width):
            if grid[k][j]:
                last = grid[k][j]
            elif last and below[j]:
                grid[k][j] = last
            else:
                last = ""
    out: dict[int, list[str]] = {}
    for j in range(width):
        parts: list[str] = []
        for k in range(len(grid)):
            if grid[k][j] and (not parts or parts[-1] != grid[k][j]):
                parts.append(grid[k][j])
        if parts:
            out[j] = parts
    return out


def _match(parts: list[str], lookup: dict[str, str]) -> str | None:
    """The column key for a header cell's texts: the whole path first (执法证件信息/有效期至), then
    the lowest name alone."""
    for cand in ("".join(parts), parts[-1]):
        key = lookup.get(norm_header(cand))
        if key:
            return key
    return None


def _consecutive(rows: SparseRows, i: int, depth: int) -> bool:
    return i + depth <= len(rows) and all(rows[i + k][0] == rows[i][0] + k for k in range(depth))


def _single(found: dict[str, list[int]]) -> tuple[list[dict[str, int]], dict[int, int]]:
    """One block: the first column of each key is used, the others are duplicates."""
    duplicates: dict[int, int] = {}
    single: dict[str, int] = {}
    for key, cols in found.items():
        single[key] = cols[0]
        for c in cols[1:]:
            duplicates[c] = cols[0]
    return [single], duplicates


def _blocks(
    found: dict[str, list[int]], anchor: str | None
) -> tuple[list[dict[str, int]], dict[int, int]]:
    """Split the recognised columns into side-by-side blocks when the anchor column repeats with
    the columns around it (姓名 签到 | 姓名 签到); otherwise a repeated column is a duplicate (the
    first one is used)."""
    positions = found.get(anchor, []) if anchor else []
    if len(positions) < 2:
        return _single(found)
    period = positions[1] - positions[0]
    at = {c: k for k, cols in found.items() for c in cols}
    back = 0  # how far a block reaches left of its anchor (序号 姓名 | 序号 姓名)
    while (
        back + 1 < period
        and positions[0] - back - 1 >= 0
        and at.get(positions[0] - back - 1) is not None
        and at.get(positions[0] - back - 1) == at.get(positions[1] - back - 1)
    ):
        back += 1
    starts = [p - back for p in positions]
    first = {at[c] for c in at if starts[0] <= c < starts[1]}
    second = {at[c] for c in at if starts[1] <= c < starts[1] + period}
    same = first & second
    if len(same) < 2 and not (first == second == {anchor}):
        return _single(found)  # 案号 … 决定书文号: one table whose two columns both look like 案号
    if len(same) * 2 < len(first):
        return _single(found)
    duplicates: dict[int, int] = {}
    shared: dict[str, int] = {}
    blocks: list[dict[str, int]] = [{} for _ in starts]
    for c in sorted(at):
        key = at[c]
        b = max((i for i, st in enumerate(starts) if st <= c), default=-1)
        target = shared if b < 0 else blocks[b]
        if key in target:
            duplicates[c] = target[key]
        else:
            target[key] = c
    for blk in blocks:
        for key, c in shared.items():
            blk.setdefault(key, c)
    return blocks, duplicates


def _named_above(rows: SparseRows, i: int, depth: int, cells: dict[int, list[str]]) -> int:
    """How many columns a header read from row i, depth rows deep, names only from the rows
    above its last one (联系人电话 in the top row, or merged down over both), counting those that
    hold data in the first rows below it. 0 for a one-row reading."""
    if depth == 1:
        return 0
    last = rows[i + depth - 1][1]
    pending = {j for j in cells if j >= len(last) or _blank(last[j])}
    n = len(pending)
    for _num, r in rows[i + depth : i + depth + _DATA_LOOK]:
        if not pending:
            break
        pending -= {j for j in pending if j < len(r) and not _blank(r[j])}
    return n - len(pending)


_DATA_LOOK = 2000  # data rows looked at for a column named only above the header's last row


def find_header(rows: SparseRows, columns: Sequence[Column]) -> Header | None:
    """Locate the header among the first rows that hold anything, one to three rows deep; the
    reading that recognises the most columns wins (the shallower one on a tie)."""
    lookup = _lookup(columns)
    required = [c.key for c in columns if c.required]
    best: tuple[int, int, int, int, dict[int, list[str]], dict[str, list[int]]] | None = None
    for i in range(min(len(rows), HEADER_SEARCH_ROWS)):
        for depth in range(1, MAX_HEADER_DEPTH + 1):
            if not _consecutive(rows, i, depth):
                break
            cells = _header_cells([rows[i + k][1] for k in range(depth)], lookup)
            if cells is None:
                break
            found: dict[str, list[int]] = {}
            for j, parts in cells.items():
                key = _match(parts, lookup)
                if key:
                    found.setdefault(key, []).append(j)
            if not set(required) <= found.keys() or len(found) < max(2, len(required)):
                continue
            # the most columns recognised; on a tie the reading that names more columns holding
            # data (联系人电话 written only in the top row, or merged down over both rows), then
            # the shallower one (a merged title over the header is not a group label), then the
            # earlier one
            above = _named_above(rows, i, depth, cells)
            if best is None or (len(found), above, -depth) > (best[2], best[3], -best[1]):
                best = (i, depth, len(found), above, cells, found)
    if best is None:
        return None
    i, depth, _n, _above, cells, found = best
    first_col = {k: v[0] for k, v in found.items()}
    anchor = required[0] if required else min(first_col, key=first_col.__getitem__)
    blocks, duplicates = _blocks(found, anchor)
    texts: list[dict[str, str]] = []
    for b, blk in enumerate(blocks):
        suffix = f"（第 {b + 1} 栏）" if len(blocks) > 1 and b else ""
        texts.append({k: "/".join(cells[c]) + suffix for k, c in blk.items()})
    return Header(
        first=i,
        last=i + depth - 1,
        blocks=blocks,
        texts=texts,
        cells={j: "/".join(parts) for j, parts in cells.items()},
        duplicates=duplicates,
    )


def near_header(
    rows: SparseRows, columns: Sequence[Column]
) -> tuple[int, list[str], list[str]] | None:
    """The row that looks most like a header although a required column is missing: (Excel row
    number, the labels of the columns recognised, the labels of the required ones missing); None
    when no row has at least three known columns."""
    lookup: dict[str, Column] = {}
    for c in columns:
        for n in c.names():
            lookup.setdefault(n, c)
    best: tuple[int, list[str], list[str]] | None = None
    for num, row in rows[:HEADER_SEARCH_ROWS]:
        seen = {
            lookup[h].key: lookup[h]
            for h in (norm_header(cell) for cell in row[:MAX_HEADER_WIDTH])
            if h in lookup
        }
        if len(seen) >= 3 and (best is None or len(seen) > len(best[1])):
            missing = [c.label for c in columns if c.required and c.key not in seen]
            best = (num, [c.label for c in seen.values()], missing)
    return best


def hdr_key(hdr: Header, col: int) -> str:
    """The key a header column was recognised as ("" when none)."""
    return next((k for blk in hdr.blocks for k, j in blk.items() if j == col), "")


def ignored_columns(
    sheet: str,
    hdr: Header,
    data: SparseRows,
    columns: Sequence[Column],
    header_rows: SparseRows | None = None,
) -> list[IgnoredColumn]:
    """Every column of the table that is not imported: an unknown header, a repeated one, one the
    program recognises but does not keep, and a column with content but no header.
    ``header_rows``: for text past the columns a header is looked for in (MAX_HEADER_WIDTH)."""
    used = {c for blk in hdr.blocks for c in blk.values()}
    unstored = {c.key for c in columns if not c.stored}
    labels = {c.key: c.label for c in columns}
    out: list[IgnoredColumn] = []
    for j, head in sorted(hdr.cells.items()):
        if j in hdr.duplicates:
            other = hdr.duplicates[j]
            out.append(
                IgnoredColumn(
                    sheet,
                    column_letter(j),
                    head,
                    f"与 {column_letter(other)} 列「{shown(hdr.cells.get(other, ''))}」"
                    f"被认作同一项（{labels.get(hdr_key(hdr, other), '')}），只导入了 {column_letter(other)} 列",
                )
            )
        elif j not in used:
            why = (
                "序号列，不需要导入"
                if norm_header(head) in SEQUENCE_HEADERS
                else "本程序不认识这一列，未导入"
            )
            out.append(IgnoredColumn(sheet, column_letter(j), head, why))
    for blk in hdr.blocks:
        for key, j in blk.items():
            if key in unstored and not any(o.column == column_letter(j) for o in out):
                out.append(
                    IgnoredColumn(
                        sheet,
                        column_letter(j),
                        hdr.cells.get(j, ""),
                        "序号列，不需要导入"
                        if norm_header(hdr.cells.get(j, "")) in SEQUENCE_HEADERS
                        else "本程序不保存这一列",
                    )
                )
    headed = set(hdr.cells)
    seen: set[int] = set()
    # only the columns without a header are looked at: the gaps between headed columns, and
    # what lies right of the last one (a 20,000-row list is not walked cell by cell)
    top = max(headed, default=-1)
    gaps = [j for j in range(top + 1) if j not in headed]
    for _num, r in data:
        n = len(r)
        for j in gaps:
            if j < n and j not in seen and not _blank(r[j]):
                seen.add(j)
        for j in range(top + 1, n):
            if j not in seen and not _blank(r[j]):
                seen.add(j)
    out.extend(
        IgnoredColumn(sheet, column_letter(j), "", "这一列有内容但没有表头，未导入")
        for j in sorted(seen)
    )
    far: dict[int, str] = {}  # header text right of the columns looked at for a header
    for _num, r in header_rows or ():
        for j in range(MAX_HEADER_WIDTH, len(r)):
            if j not in seen and j not in far and not _blank(r[j]):
                far[j] = _head_text(r[j])
    out.extend(
        IgnoredColumn(
            sheet, column_letter(j), text, f"表头只看前 {MAX_HEADER_WIDTH} 列，这一列未导入"
        )
        for j, text in sorted(far.items())
    )
    out.sort(key=lambda c: (len(c.column), c.column))
    return out


class HeaderProbe(list[tuple[int, str]]):
    """(column, header name as compared) for :func:`repeats_header`, worked out once per block,
    with what each cell text seen in a column gave (the same names, titles and squads come back
    on every row: compared once each), and the quick answer for a row all of whose cells were
    seen before: ``known`` holds every value classified so far, ``header_like`` the texts among
    them that read as one of the block's header names; a row with none of those cannot repeat
    the header (two matching columns at least are needed), decided with set operations in C."""

    def __init__(self, items: Iterable[tuple[int, str]]) -> None:
        super().__init__(items)
        self.seen: list[dict[str, bool]] = [{} for _ in self]
        self.heads = frozenset(head for _j, head in self if head)
        self.header_like: set[str] = set()
        self.known: set[Any] = {None}  # a column past a short row's end reads as empty
        # the probed cells of a row of each length as one tuple (the columns within its length)
        self._getters: dict[int, Callable[[Sequence[Any]], Any]] = {}

    def _getter(self, n: int) -> Callable[[Sequence[Any]], Any]:
        cols = [j for j, _h in self if j < n] or [0]
        g = self._getters[n] = (
            operator.itemgetter(*cols) if len(cols) > 1 else (lambda r: (r[cols[0]],))
        )
        return g

    def quick_no(self, r: Sequence[Any]) -> bool:
        """True when the row certainly does not repeat the header (every probed cell a value seen
        before, none of them reading as a header name); False: compare it column by column."""
        n = len(r)
        if not n:
            return False
        g = self._getters.get(n) or self._getter(n)
        try:
            vals = set(g(r))
        except TypeError:  # an unhashable cell
            return False
        return vals <= self.known and self.header_like.isdisjoint(vals)

    def learn(self, r: Sequence[Any]) -> None:
        """Classify the probed cells of ``r`` for :meth:`quick_no`."""
        if len(self.known) >= _PROBE_MEMO:
            return
        n = len(r)
        for j, _head in self:
            v = r[j] if j < n else None
            try:
                if v in self.known:
                    continue
            except TypeError:
                continue
            if type(v) is str and norm_header(v) in self.heads:
                self.header_like.add(v)
            self.known.add(v)


_PROBE_MEMO = 65536  # values a probe remembers (a column of all-different texts stops adding)


def header_probe(blk: dict[str, int], texts: dict[str, str]) -> HeaderProbe:
    """The probe of a block's header for :func:`repeats_header`."""
    return HeaderProbe(
        (j, norm_header(texts[k].split("/")[-1].split("（第")[0])) for k, j in blk.items()
    )


def may_repeat_header(texts: Iterable[str], probe: HeaderProbe) -> bool:
    """Whether any of a sheet's data ``texts`` reads as one of the block's header names: if none
    does, no row of it can repeat the header and :func:`repeats_header` need not be asked."""
    heads = probe.heads
    return any(norm_header(v) in heads for v in texts)


def repeats_header(r: Sequence[Any], probe: list[tuple[int, str]]) -> bool:
    """A data row that repeats the header (printed pages often carry it again)."""
    if isinstance(probe, HeaderProbe):
        if probe.quick_no(r):
            return False
        probe.learn(r)
    n = len(r)
    need = max(2, (len(probe) + 1) // 2)  # columns that must match
    misses_allowed = len(probe) - need
    same = misses = 0
    seen = probe.seen if isinstance(probe, HeaderProbe) else [{} for _ in probe]
    for i, (j, head) in enumerate(probe):
        v = r[j] if j < n else None
        hit: bool | None = False
        if type(v) is str and head:  # dates, numbers never match
            memo = seen[i]
            hit = memo.get(v)
            if hit is None:
                hit = norm_header(v) == head
                if len(memo) < 4096:  # a column of all-different texts: compared each time
                    memo[v] = hit
        if hit:
            same += 1
        else:
            misses += 1
            if misses > misses_allowed:
                return False
    return same >= need


def sheet_notes(wb: Book, path: Path, info: ReadInfo) -> list[Sheet]:
    """The sheets to read: hidden ones are left out and named in ``info``; a 1904 date system is
    said once."""
    out: list[Sheet] = []
    for ws in wb.worksheets:
        state = sheet_state(ws)
        if state != "visible":
            how = "深度隐藏（veryHidden）" if state == "veryHidden" else "隐藏"
            info.notes.append(
                f"工作表「{ws.title}」是{how}的工作表，未导入。如需导入，请在 Excel 中取消隐藏后再导入。"
            )
            continue
        out.append(ws)
    if date_epoch(wb) != EXCEL_EPOCH:
        info.notes.append(
            f"{Path(path).name} 使用 1904 日期系统（旧版 Mac Excel），写成数字的日期已按此换算。"
        )
    return out


def read_tables(
    path: Path, columns: Sequence[Column], info: ReadInfo | None = None
) -> tuple[list[SheetTable], list[RowError]]:
    """Every sheet whose header is found, one :class:`Row` per data row and side-by-side block.
    Sheets without a header are reported (as the error when none has one); columns and sheets not
    imported go to ``info``."""
    info = info if info is not None else ReadInfo()
    wb = open_workbook(path)
    tables: list[SheetTable] = []
    skipped: list[str] = []
    almost: list[RowError] = []  # sheets whose header lacks a required column
    labels = {c.key: c.label for c in columns}
    titles = [ws.title for ws in wb.worksheets]
    try:
        epoch = date_epoch(wb)
        for ws in sheet_notes(wb, path, info):
            sparse = read_sheet(path, ws)
            hdr = find_header(sparse, columns)
            if hdr is None:
                if sparse:
                    skipped.append(ws.title)
                near = near_header(sparse, columns)
                if near is not None and near[2]:
                    almost.append(
                        RowError(
                            ws.title,
                            near[0],
                            near[2][0],
                            (
                                f"第 {near[0]} 行像是表头（认出了 {'、'.join(near[1][:6])} 等 {len(near[1])} 列），"
                                f"但缺少必需的列：{'、'.join(near[2])}。请在表头中加上该列（列名可用常见写法）。"
                            ),
                        )
                    )
                continue
            data = sparse[hdr.last + 1 :]
            header_rows = sparse[hdr.first : hdr.last + 1]
            info.ignored.extend(ignored_columns(ws.title, hdr, data, columns, header_rows))
            info.stored.extend(stored_columns(ws.title, hdr, columns))
            table = SheetTable(
                ws.title,
                sparse[hdr.last][0],
                hdr.texts[0],
                letters={k: column_letter(j) for k, j in hdr.colmap.items()},
                above=" ".join(text(v) for _n, r in sparse[: hdr.first] for v in r if text(v))[
                    :500
                ],
            )
            probes = [header_probe(b, tx) for b, tx in zip(hdr.blocks, hdr.texts, strict=True)]
            clean = sheet_is_clean(sparse)
            for num, r in data:
                for blk, texts, probe in zip(hdr.blocks, hdr.texts, probes, strict=True):
                    vals = {k: (r[j] if j < len(r) else None) for k, j in blk.items()}
                    if all(_blank(v) for v in vals.values()):
                        if any(isinstance(v, str) and _footer_word(v) for v in r):
                            # 合计 in the 序号 column, the sum in a column not imported
                            info.notes.append(footer_note(Row(ws.title, num, vals, texts)))
                        continue
                    if repeats_header(r, probe):
                        info.notes.append(f"工作表「{ws.title}」第 {num} 行重复了表头，已跳过。")
                        break
                    table.rows.append(
                        Row(ws.title, num, vals, texts, labels, epoch, cells=r, clean=clean)
                    )
            tables.append(table)
    finally:
        wb.close()
    errors: list[RowError] = []
    if not tables and almost:
        errors.extend(almost)
    elif not tables:
        need = "、".join(c.label for c in columns if c.required)
        errors.append(
            RowError(
                skipped[0] if skipped else (titles[0] if titles else ""),
                0,
                "",
                f"在前 {HEADER_SEARCH_ROWS} 行中没有找到表头（至少需要：{need}）。请确认是否选错了文件。",
            )
        )
    else:
        info.notes.extend(f"工作表「{name}」中没有找到表头，未导入。" for name in skipped)
    return tables, errors


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


# ---- cell parsers: return a value or raise ValueError with a Chinese reason -------------------

MIN_DATE = dt.date(1900, 1, 1)  # dates outside these are typing slips (0021, 20211, 9999 …)
MAX_DATE = dt.date(2100, 12, 31)
EXCEL_ERRORS = frozenset(
    {
        "#VALUE!",
        "#REF!",
        "#DIV/0!",
        "#N/A",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
    }
)
# an error value somewhere in a text (a cell holding one holds this)
_EXCEL_ERROR_IN = re.compile("|".join(re.escape(e) for e in sorted(EXCEL_ERRORS)), re.IGNORECASE)
_DATE_RE = re.compile(r"^\s*(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?\s*$")
_COMPACT_RE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")


def text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return unicodedata.normalize("NFKC", str(v)).strip()


def check_not_excel_error(v: Any) -> None:
    """Raise ValueError when a cell holds an Excel error value (#VALUE!, #REF! …)."""
    if isinstance(v, str) and v.strip().upper() in EXCEL_ERRORS:
        raise ValueError(
            f"单元格是 Excel 错误值 {v.strip().upper()}（公式出错，或日期数值超出 Excel 能表示的范围），请改为实际内容"
        )


def check_cells(
    row: Row,
    errors: list[RowError],
    keys: Collection[str] = (),
    only: Iterable[str] | None = None,
) -> None:
    """The door every imported cell goes through before it is parsed (issue 17).

    - An Excel error value (#REF!, #N/A, #VALUE! …) is refused in any column, text columns
      (names, 案由 …) too: it is what a broken formula left, never the real content.
    - Invisible characters are removed or refused as :mod:`brigade_desk.core.textclean` decides;
      ``keys`` are the row's columns that find or name a record (names, ID / certificate / case
      numbers, squads), the others are free text. A value with characters removed replaces the
      cell's in ``row.values`` and the row says so (``note``: shown before anything is written).

    ``only``: the columns to look at (default: every column of the row). Each refusal is one
    error naming the sheet, the row and the column; the caller skips parsing the row then, as
    for :func:`check_lengths`.
    """
    if row.clean:  # the whole sheet was looked at once (sheet_is_clean): nothing to do
        return
    values = row.values
    cells = values.items() if only is None else ((k, values.get(k)) for k in only)
    for k, v in cells:
        # plain text (ASCII, Chinese …) without a "#" is done after two C-level checks
        if type(v) is str and (not v.isprintable() or "#" in v):
            _check_cell(row, k, v, k in keys, errors)


def sheet_is_clean(rows: SparseRows) -> bool:
    """Whether no text cell of the sheet holds an Excel error value or an invisible character, so
    that :func:`check_cells` has nothing to do on any of its rows: the sheet's text joined and
    scanned once in C, not cell by cell (a tenth of a 20,000-row import's time otherwise); each
    distinct text once (a list repeats its names, titles and squads on every row)."""
    return sheet_texts(rows).clean


class SheetTexts(NamedTuple):
    """What :func:`sheet_texts` found in a sheet's cells, each distinct value looked at once."""

    clean: bool  # no Excel error value, no invisible character (see sheet_is_clean)
    # the longest text a cell gives text(), when known without looking at each cell (every text
    # as NFKC leaves it, no number of 30 digits or more), else sys.maxsize
    longest: int
    texts: list[str]  # the distinct texts


def sheet_texts(rows: SparseRows) -> SheetTexts:
    """The sheet's texts scanned once in C (a list repeats its names, titles and squads on every
    row): whether :func:`check_cells` has anything to do on any row, and whether any row can need
    :func:`check_lengths` (a sheet whose longest text is within a column's limit needs none)."""
    distinct = {v for _n, r in rows for v in r}
    texts = [v for v in distinct if type(v) is str]
    joined = " ".join(texts)
    if "#" in joined and _EXCEL_ERROR_IN.search(joined):  # "3#楼" is no error value
        clean = False
    else:
        clean = not textclean.has_unwanted(joined)
    # a number's text is short (a float, a date, a time: under 30 characters) unless it is an
    # integer of 30 digits or more (text(1e60) writes out all 61); any other kind: not known
    big = any(
        (type(v) in (int, float) and abs(v) >= 1e29) or type(v) not in _SHORT_KINDS
        for v in distinct
        if type(v) is not str
    )
    if big or not all(map(_nfkc_as_is, texts)):
        return SheetTexts(clean, sys.maxsize, texts)
    return SheetTexts(clean, max(map(len, texts), default=0), texts)


_nfkc_as_is = functools.partial(unicodedata.is_normalized, "NFKC")
_SHORT_KINDS = frozenset(
    {type(None), bool, int, float, dt.datetime, dt.date, dt.time, dt.timedelta}
)


def _check_cell(row: Row, key: str, v: str, is_key: bool, errors: list[RowError]) -> None:
    try:
        check_not_excel_error(v)
        new, removed = textclean.clean(v, textclean.Kind.KEY if is_key else textclean.Kind.TEXT)
        check_not_excel_error(new)  # "#REF!" behind a zero-width space
    except ValueError as exc:  # DirtyText is one
        errors.append(row.error(key, str(exc)))
        return
    if removed:
        row.values[key] = new
        row.note(key, removed + "，其余内容照原样导入")


def _in_range(d: dt.date, shown_as: str) -> dt.date:
    if not MIN_DATE <= d <= MAX_DATE:
        raise ValueError(
            f"日期「{shown(shown_as)}」超出合理范围（{MIN_DATE.year}—{MAX_DATE.year} 年），请检查年份"
        )
    return d


def _serial(v: float | int) -> dt.date:
    if not (1 <= v < 2958466):  # also false for NaN
        raise ValueError(
            f"日期数值 {shown(v)} 不是有效的 Excel 日期，请写成 2021-03-05 或 2021年3月5日"
        )
    return _epoch() + dt.timedelta(days=int(v))


_DATE_TAIL_RE = re.compile(
    r"^[\s,，]*(?:[(（]?\s*(?:星期|周|礼拜)(?P<wd>[一二三四五六日天])\s*[)）]?)?"
    r"[\s,，]*(?:上午|下午|晚上|早上|中午|全天)?\s*"
    r"(?:\d{1,2}\s*[:：点时]\s*(?:\d{1,2}\s*分?)?(?:\s*[:：]\s*\d{1,2})?"
    r"(?:\s*[-—–~～至到]+\s*(?:上午|下午|晚上)?\s*\d{1,2}\s*[:：点时]\s*(?:\d{1,2}\s*分?)?)?)?\s*$"
)
_DATE_HEAD_RE = re.compile(
    r"^\s*(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?(.*)$", re.S
)


MAX_DATE_TAIL = 60  # characters after the date: （星期三）上午9:00—12:00 is 17


def _date_with_tail(s: str) -> dt.date | None:
    """``2025年3月5日（星期三）上午9:00—12:00``: the date, checked against its weekday; the time is
    left out (the ledgers keep days). None when ``s`` is not a date followed by such a tail."""
    m = _DATE_HEAD_RE.match(s)
    if not m or not m.group(4).strip():
        return None
    rest = " ".join(m.group(4).split())  # blanks collapsed: the pattern's runs of \s* never
    if len(rest) > MAX_DATE_TAIL:  # backtrack over a long one; a weekday and times are short
        return None
    tail = _DATE_TAIL_RE.match(rest)
    if not tail:
        return None
    y, mo, d = (int(g) for g in m.groups()[:3])
    try:
        day = dt.date(y, mo, d)
    except ValueError:
        raise ValueError(f"日期「{shown(s)}」不存在") from None
    wd = tail.group("wd")
    if wd:
        said = min("一二三四五六日天".index(wd), 6)  # 星期天 = 星期日
        if said != day.weekday():
            real = "一二三四五六日"[day.weekday()]
            raise ValueError(
                f"「{shown(s)}」中日期 {day:%Y-%m-%d} 是星期{real}，与所写的“星期{wd}”不符，请核对日期"
            )
    note(f"「{shown(s)}」取日期 {day:%Y-%m-%d}（星期、时间不导入）")
    return _in_range(day, s)


def parse_date(v: Any) -> dt.date | None:
    if _blank(v) or _marked_empty(v):
        return None
    if isinstance(v, dt.datetime):
        return _in_range(v.date(), v.date().isoformat())
    if isinstance(v, dt.date):
        return _in_range(v, v.isoformat())
    if isinstance(v, dt.time | dt.timedelta):
        raise ValueError(f"「{shown(v)}」是时间而不是日期，请写成 2021-03-05 或 2021年3月5日")
    if isinstance(v, int | float) and not isinstance(v, bool):
        return _in_range(_serial(v), str(v))
    check_not_excel_error(v)
    # blanks collapsed: the patterns' neighbouring \s* would backtrack quadratically over a long run
    s = " ".join(unicodedata.normalize("NFKC", str(v)).split())
    m = _DATE_RE.match(s) or _COMPACT_RE.match(s)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        try:
            day = dt.date(y, mo, d)
        except ValueError:
            raise ValueError(f"日期「{shown(s)}」不存在") from None
        return _in_range(day, s)
    if s.isdigit() and len(s) <= 5 and 1 <= int(s) < 2958466:
        return _in_range(_serial(int(s)), s)
    with_tail = _date_with_tail(s)
    if with_tail is not None:
        return with_tail
    raise ValueError(f"无法识别的日期「{shown(s)}」，请写成 2021-03-05 或 2021年3月5日")


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "有", "对"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "无", "不是", ""}


def parse_bool(v: Any, default: bool = False) -> bool:
    if v is None:
        return default
    if isinstance(v, bool):
        return v
    check_not_excel_error(v)
    s = text(v).lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False if s else default
    raise ValueError(f"「{shown(s)}」应填“是”或“否”")


def parse_id_number(v: Any) -> str:
    from brigade_desk.core import idcard

    if _blank(v):
        raise ValueError("身份证号为空")
    if isinstance(v, float | int) and not isinstance(v, bool):
        raise ValueError(
            "身份证号被 Excel 存成了数字（末几位可能已丢失）。请把该列设置为“文本”格式后重新填写"
        )
    if isinstance(v, dt.date | dt.time | dt.timedelta):
        raise ValueError("身份证号被 Excel 当成了日期/时间，请把该列设置为“文本”格式后重新填写")
    check_not_excel_error(v)
    s = idcard.normalize(unicodedata.normalize("NFKC", str(v)))
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", s):
        raise ValueError("身份证号是科学计数法（被 Excel 当成了数字），请改为文本格式后重新填写")
    reason = idcard.validate(s)
    if reason:
        raise ValueError(reason)
    return s


def parse_decimal(v: Any) -> Decimal | None:
    if _blank(v) or _marked_empty(v):
        return None
    if isinstance(v, bool) or isinstance(v, dt.date | dt.time | dt.timedelta):
        raise ValueError(f"「{shown(v)}」不是数字")
    check_not_excel_error(v)
    if isinstance(v, int | float):
        d = Decimal(str(v))
    else:
        s = text(v).replace(",", "").replace("，", "").replace("元", "").strip()
        try:
            d = Decimal(s)
        except InvalidOperation:
            raise ValueError(f"「{shown(s)}」不是数字") from None
    if not d.is_finite() or abs(d) >= Decimal("1e15"):
        raise ValueError(f"「{shown(v)}」不是有效的数字（过大或无穷）")
    return d


def parse_float(v: Any) -> float | None:
    d = parse_decimal(v)
    return None if d is None else float(d)


def parse_choice(v: Any, choices: dict[str, str], label: str) -> str:
    """Map a text to one of ``choices`` (normalised text → stored value)."""
    s = norm_header(text(v))
    for k, val in choices.items():
        if norm_header(k) == s:
            return val
    check_not_excel_error(v)
    raise ValueError(
        f"{label}「{shown(text(v))}」不在可选值中（{'、'.join(dict.fromkeys(choices.values()))}）"
    )


def cell(row: Row, key: str, parser: Callable[[Any], Any], errors: list[RowError]) -> Any:
    """Parse one cell; on failure record the error and return None. What the parser assumed
    (``note``) is kept on the row, and plain-number dates count from the row's workbook epoch."""
    token = _CELL.set((row, key))
    try:
        return parser(row.values.get(key))
    except ValueError as exc:
        errors.append(row.error(key, str(exc)))
        return None
    finally:
        _CELL.reset(token)


# the row and column being parsed by :func:`cell`, so the parsers can say what they assumed and
# know the workbook's date system without every importer passing them along
_CELL: contextvars.ContextVar[tuple[Row, str] | None] = contextvars.ContextVar(
    "brigade_desk_cell", default=None
)


def note(message: str) -> None:
    """Record on the row being parsed what the program assumed about its cell (shown to the clerk
    before anything is written); outside :func:`cell` it is dropped, as nobody asked."""
    current = _CELL.get()
    if current is not None:
        row, key = current
        row.note(key, message)


def _epoch() -> dt.date:
    current = _CELL.get()
    return current[0].epoch if current is not None else EXCEL_EPOCH


# what offices write in a cell to say "nothing here"
EMPTY_MARKS = frozenset(
    {"/", "／", "\\", "-", "－", "--", "—", "——", "–", "无", "暂无", "不适用", "空", "n/a", "na"}
)


def empty_mark(v: Any) -> bool:
    """A cell holding one of :data:`EMPTY_MARKS` ("/", "—", "无" …)."""
    return isinstance(v, str) and unicodedata.normalize("NFKC", v).strip().lower() in EMPTY_MARKS


def _marked_empty(v: Any) -> bool:
    if empty_mark(v):
        note(f"「{str(v).strip()}」视为空")
        return True
    return False


def check_lengths(
    row: Row, limits: dict[str, int], errors: list[RowError], fine: set[Any] | None = None
) -> None:
    """Record an error for every cell whose text is longer than its column allows (a 32,767-character
    cell pasted by mistake must not end up in the ledger). ``fine``: (column, text) pairs already
    found short enough (the same names come back on every list), filled as they are met."""
    values = row.values
    for key, limit in limits.items():
        v = values.get(key)
        if v is None:
            continue
        if type(v) is str:
            if fine is not None and (key, v) in fine:
                continue
            if len(v) <= limit and unicodedata.is_normalized("NFKC", v):
                if fine is not None and len(fine) < 65536:
                    fine.add((key, v))
                continue  # as short as written, and NFKC leaves it as it is
        n = len(text(v))
        if n > limit:
            errors.append(
                row.error(key, f"内容过长（{n} 字，最多 {limit} 字），请检查是否粘贴错了内容")
            )


def iter_rows(tables: Sequence[SheetTable]) -> Iterator[Row]:
    for t in tables:
        yield from t.rows


_FOOTER = (
    "合计",
    "总计",
    "小计",
    "制表",
    "填表",
    "审核",
    "注：",
    "注:",
    "说明",
    "导出时间",
    "打印时间",
)


def _footer_word(s: str) -> bool:
    return "".join(s.split()).startswith(_FOOTER)


# a count written where a totals line has its key column ("2人", "共 12 人", "35"): no name, ID
# or case number looks like it
_COUNT = re.compile(r"(?:共|计|合计)?\d+(?:人|名|人次|次|项|件|个|条|份|户)?")
_COUNT_END = frozenset("人名次项件个条份户0123456789")


def is_footer(row: Row, key: str, plain: set[str] | None = None) -> bool:
    """A totals, subtotal or signature line, under the table or between its rows: the ``key``
    column (the case number, the ID number, the name …) empty, itself 合计 / 小计 …, or a count
    (合计 … 2人), and a footer word somewhere in the row.

    ``plain``: texts of the key column already found to rule a footer out (a name on many rows
    is looked at once); filled as they are met."""
    v = row.values.get(key)
    if plain is not None and type(v) is str and v in plain:
        return False
    k = text(v)
    if (
        k
        and not _footer_word(k)
        and not (k[-1] in _COUNT_END and _COUNT.fullmatch("".join(k.split())))
    ):
        if plain is not None and type(v) is str and len(plain) < 65536:
            plain.add(v)
        return False
    texts = [text(v) for v in (*row.values.values(), *row.cells) if text(v)]
    return bool(texts) and any(_footer_word(x) for x in texts)


def footer_note(row: Row) -> str:
    """What the clerk is told about a line :func:`is_footer` left out."""
    return f"工作表「{row.sheet}」第 {row.row} 行是合计、小计或制表、签名行，未导入。"
