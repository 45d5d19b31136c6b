"""Reading messy spreadsheets the way a clerk's Excel files really are.

- The header row may be anywhere in the first 10 rows, under a merged title and a 填报单位 line.
- Header texts match after normalisation (NFKC, no spaces of any width, no punctuation) against a
  column's synonyms.
- Dates: real date cells, Excel serials, ``2021.3.5``, ``2021/03/05``, ``2021-3-5``, ``2021年3月5日``.
- Every problem is a :class:`~brigade_desk.errors.RowError` naming the sheet, the row as Excel
  numbers it, and the column header as written in the file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from brigade_desk.errors import RowError, UserError

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

    def error(self, key: str, message: str) -> RowError:
        return RowError(self.sheet, self.row, self.headers.get(key, key), message)


@dataclass
class SheetTable:
    sheet: str
    header_row: int
    headers: dict[str, str]
    rows: list[Row] = field(default_factory=list)


def open_workbook(path: Path) -> Any:
    """Open an .xlsx read-only with data values; a clear message for every way it can fail."""
    import openpyxl

    p = Path(path)
    if not p.exists():
        raise UserError(f"找不到文件：{p}")
    if p.is_dir():
        raise UserError(f"{p} 是文件夹，请选择一个 Excel 文件（.xlsx）。")
    if p.suffix.lower() == ".xls":
        raise UserError(f"{p.name} 是旧版 Excel（.xls）格式。请在 Excel 中“另存为” .xlsx 后再导入。")
    try:
        return openpyxl.load_workbook(p, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UserError(f"无法读取 {p.name}：不是有效的 Excel（.xlsx）文件，或文件已损坏（{exc}）。") from exc
    except Exception as exc:  # openpyxl raises a zoo of errors on broken files
        raise UserError(f"无法读取 {p.name}：{type(exc).__name__}: {exc}") from exc


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


def read_tables(path: Path, columns: Sequence[Column]) -> tuple[list[SheetTable], list[RowError]]:
    """Every sheet whose header row is found; sheets without one are reported when none match."""
    wb = open_workbook(path)
    tables: list[SheetTable] = []
    skipped: list[str] = []
    try:
        for ws in wb.worksheets:
            raw = [list(r) for r in ws.iter_rows(values_only=True)]
            hdr = find_header(raw, columns)
            if hdr is None:
                skipped.append(ws.title)
                continue
            idx, colmap, texts = hdr
            table = SheetTable(ws.title, idx + 1, texts)
            for i, r in enumerate(raw[idx + 1 :], start=idx + 2):
                vals = {k: (r[j] if j < len(r) else None) for k, j in colmap.items()}
                if all(_blank(v) for v in vals.values()):
                    continue
                table.rows.append(Row(ws.title, i, vals, texts))
            tables.append(table)
    finally:
        wb.close()
    errors: list[RowError] = []
    if not tables:
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
_DATE_RE = re.compile(r"^\s*(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?\s*$")
_COMPACT_RE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")


def text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return unicodedata.normalize("NFKC", str(v)).strip()


def parse_date(v: Any) -> dt.date | None:
    if _blank(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        if 1 <= v < 2958466:
            return EXCEL_EPOCH + dt.timedelta(days=int(v))
        raise ValueError(f"日期数值 {v} 不是有效的 Excel 日期")
    s = unicodedata.normalize("NFKC", str(v)).strip()
    m = _DATE_RE.match(s) or _COMPACT_RE.match(s)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        try:
            return dt.date(y, mo, d)
        except ValueError:
            raise ValueError(f"日期「{s}」不存在") from None
    if s.isdigit() and 1 <= int(s) < 2958466 and len(s) <= 5:
        return EXCEL_EPOCH + dt.timedelta(days=int(s))
    raise ValueError(f"无法识别的日期「{s}」，请写成 2021-03-05 或 2021年3月5日")


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "有", "对"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "无", "不是", ""}


def parse_bool(v: Any, default: bool = False) -> bool:
    if v is None:
        return default
    if isinstance(v, bool):
        return v
    s = text(v).lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False if s else default
    raise ValueError(f"「{s}」应填“是”或“否”")


def parse_id_number(v: Any) -> str:
    from brigade_desk import idcard

    if _blank(v):
        raise ValueError("身份证号为空")
    if isinstance(v, float | int) and not isinstance(v, bool):
        raise ValueError(
            "身份证号被 Excel 存成了数字（末几位可能已丢失）。请把该列设置为“文本”格式后重新填写"
        )
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
    if isinstance(v, int | float) and not isinstance(v, bool):
        return Decimal(str(v))
    s = text(v).replace(",", "").replace("，", "").replace("元", "").strip()
    try:
        return Decimal(s)
    except InvalidOperation:
        raise ValueError(f"「{s}」不是数字") from None


def parse_float(v: Any) -> float | None:
    d = parse_decimal(v)
    return None if d is None else float(d)


def parse_choice(v: Any, choices: dict[str, str], label: str) -> str:
    """Map a text to one of ``choices`` (normalised text → stored value)."""
    s = norm_header(text(v))
    for k, val in choices.items():
        if norm_header(k) == s:
            return val
    raise ValueError(f"{label}「{text(v)}」不在可选值中（{'、'.join(dict.fromkeys(choices.values()))}）")


def cell(row: Row, key: str, parser: Callable[[Any], Any], errors: list[RowError]) -> Any:
    """Parse one cell; on failure record the error and return None."""
    try:
        return parser(row.values.get(key))
    except ValueError as exc:
        errors.append(row.error(key, str(exc)))
        return None


def iter_rows(tables: Sequence[SheetTable]) -> Iterator[Row]:
    for t in tables:
        yield from t.rows
