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

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from brigade_desk.core.errors import RowError
from brigade_desk.core.tabular.books import (
    IMPORT_FILTER,
    IMPORT_SUFFIXES,
    Book,
    Sheet,
    open_workbook,
    read_sheet,
    shown,
)

__all__ = [  # the file layer, re-exported for the importers that read through this module
    "IMPORT_FILTER",
    "IMPORT_SUFFIXES",
    "Book",
    "Sheet",
    "open_workbook",
    "read_sheet",
    "shown",
]

HEADER_SEARCH_ROWS = 10


def norm_header(text: object) -> str:
    s = unicodedata.normalize("NFKC", str(text or ""))
    s = re.sub(r"[\s\u3000:：*＊()（）\[\]【】·.。、_\-—/]", "", s)
    return s.lower()


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False

    def names(self) -> set[str]:
        return {norm_header(self.label), *(norm_header(s) for s in self.synonyms)}


@dataclass
class Row:
    sheet: str
    row: int  # Excel row number
    values: dict[str, Any]
    headers: dict[str, str]  # key -> header text as written in the file
    labels: dict[str, str] = field(
        default_factory=dict
    )  # key -> Chinese label, for a column the sheet lacks

    def error(self, key: str, message: str) -> RowError:
        return RowError(
            self.sheet, self.row, self.headers.get(key) or self.labels.get(key, key), message
        )


@dataclass
class SheetTable:
    sheet: str
    header_row: int
    headers: dict[str, str]
    rows: list[Row] = field(default_factory=list)


def find_header(
    rows: Sequence[Sequence[Any]], columns: Sequence[Column]
) -> tuple[int, dict[str, int], dict[str, str]] | None:
    """Locate the header row among the first rows. Returns (index, key->col, key->text)."""
    lookup: dict[str, str] = {}
    for c in columns:
        for n in c.names():
            lookup.setdefault(n, c.key)
    required = {c.key for c in columns if c.required}
    best: tuple[int, dict[str, int], dict[str, str]] | None = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        texts: dict[str, str] = {}
        for j, cell in enumerate(row):
            key = lookup.get(norm_header(cell))
            if key and key not in found:
                found[key] = j
                texts[key] = str(cell).strip()
        if required <= found.keys() and len(found) >= max(2, len(required)):
            if best is None or len(found) > len(best[1]):
                best = (i, found, texts)
    return best


def near_header(
    rows: Sequence[Sequence[Any]], columns: Sequence[Column]
) -> tuple[int, list[str], list[str]] | None:
    """The row that looks most like a header although a required column is missing: (index, the
    labels of the columns recognised, the labels of the required ones missing); None when no row
    has at least three known columns."""
    lookup: dict[str, Column] = {}
    for c in columns:
        for n in c.names():
            lookup.setdefault(n, c)
    best: tuple[int, list[str], list[str]] | None = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        seen = {
            lookup[h].key: lookup[h] for h in (norm_header(cell) for cell in row) if h in lookup
        }
        if len(seen) >= 3 and (best is None or len(seen) > len(best[1])):
            missing = [c.label for c in columns if c.required and c.key not in seen]
            best = (i, [c.label for c in seen.values()], missing)
    return best


def read_tables(path: Path, columns: Sequence[Column]) -> tuple[list[SheetTable], list[RowError]]:
    """Every sheet whose header row is found; sheets without one are reported when none match."""
    wb = open_workbook(path)
    tables: list[SheetTable] = []
    skipped: list[str] = []
    almost: list[RowError] = []  # sheets whose header lacks a required column
    labels = {c.key: c.label for c in columns}
    try:
        for ws in wb.worksheets:
            sparse = read_sheet(path, ws)
            raw = [r for _, r in sparse]
            nums = [n for n, _ in sparse]
            hdr = find_header(raw, columns)
            if hdr is None:
                skipped.append(ws.title)
                near = near_header(raw, columns)
                if near is not None and near[2]:
                    almost.append(
                        RowError(
                            ws.title,
                            nums[near[0]],
                            near[2][0],
                            (
                                f"第 {nums[near[0]]} 行像是表头（认出了 {'、'.join(near[1][:6])} 等 {len(near[1])} 列），"
                                f"但缺少必需的列：{'、'.join(near[2])}。请在表头中加上该列（列名可用常见写法）。"
                            ),
                        )
                    )
                continue
            idx, colmap, texts = hdr
            table = SheetTable(ws.title, nums[idx], texts)
            for i, r in sparse[idx + 1 :]:
                vals = {k: (r[j] if j < len(r) else None) for k, j in colmap.items()}
                if all(_blank(v) for v in vals.values()):
                    continue
                table.rows.append(Row(ws.title, i, vals, texts, labels))
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
                skipped[0] if skipped else "",
                0,
                "",
                f"在前 {HEADER_SEARCH_ROWS} 行中没有找到表头（至少需要：{need}）。请确认是否选错了文件。",
            )
        )
    return tables, errors


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


# ---- cell parsers: return a value or raise ValueError with a Chinese reason -------------------

EXCEL_EPOCH = dt.date(1899, 12, 30)
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
    return EXCEL_EPOCH + dt.timedelta(days=int(v))


def parse_date(v: Any) -> dt.date | None:
    if _blank(v):
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
    s = unicodedata.normalize("NFKC", str(v)).strip()
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
    if _blank(v):
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
    """Parse one cell; on failure record the error and return None."""
    try:
        return parser(row.values.get(key))
    except ValueError as exc:
        errors.append(row.error(key, str(exc)))
        return None


def check_lengths(row: Row, limits: dict[str, int], errors: list[RowError]) -> None:
    """Record an error for every cell whose text is longer than its column allows (a 32,767-character
    cell pasted by mistake must not end up in the ledger)."""
    for key, limit in limits.items():
        n = len(text(row.values.get(key)))
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


def is_footer(row: Row, key: str) -> bool:
    """A totals or signature line under the table: nothing in the ``key`` column (the case number,
    the ID number …) and a footer word (合计, 制表人 …) somewhere in the row."""
    if text(row.values.get(key)):
        return False
    texts = [text(v) for v in row.values.values() if text(v)]
    return bool(texts) and any(x.replace(" ", "").startswith(_FOOTER) for x in texts)
