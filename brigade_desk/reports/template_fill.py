"""Fill the superior's own .xlsx template.

- Cells holding ``{{单位名称}}``, ``{{年度}}``, ``{{季度}}``, ``{{月份}}``, ``{{填报日期}}`` … are replaced, also
  inside longer text ("填报单位：{{单位名称}}"). A cell that is exactly one placeholder gets a typed value
  (a date stays a date, a number a number).
- A row holding ``{{行:来源.字段}}`` markers is repeated once per record of that source, with the
  template row's formatting, number formats, merges and height; a formula in that row is copied
  down as Excel's fill-down would (``=E5*F5`` becomes ``=E6*F6``). Several sections per sheet.
- Every reference in the workbook follows the inserted rows as Excel moves it (formulas on every
  sheet, defined names, data validation, conditional formats, print area and titles, merges,
  filters, tables, links inside the book, chart series, pictures and charts anchored below): a
  range covering the detail row, or ending at it, grows over the new rows (``=SUM(D5:D5)`` →
  ``=SUM(D5:D64)``), anything below moves down, anything above stays. A single cell on the detail
  row (``=D5``) stays the first record's.
- Everything else in the template (other cells, merges, styles, print settings) is kept.
- No value from the data ever becomes a formula.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.formatting.formatting import ConditionalFormatting
from openpyxl.formula.tokenizer import Token, Tokenizer, TokenizerError
from openpyxl.formula.translate import Translator, TranslatorError
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.atomic import atomic_path
from brigade_desk.core.errors import UserError, describe_os_error
from brigade_desk.core.forms.xlsxform import DATE_FORMAT, DATETIME_FORMAT
from brigade_desk.core.ledger import Source
from brigade_desk.core.period import Period

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
ROW_MARK = re.compile(r"^行\s*[:：]\s*([^.．。]+)[.．。](.+)$")
FORMULA_PREFIXES = ("=", "+", "-", "@")
# a number format showing a date or time: a d/m/y/h/s outside quoted text and [locale] brackets
# (openpyxl's rule, kept here so this module imports nothing from openpyxl.styles)
_FORMAT_NOISE = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")

SCALARS_HELP = {
    "单位名称": "设置中的单位名称",
    "年度": "如 2026",
    "季度": "如 3",
    "月份": "如 10",
    "期间": "如 2026年第三季度",
    "填报日期": "今天（日期）",
    "填表人": "设置中的填表人",
    "审核人": "设置中的审核人",
    "联系电话": "设置中的联系电话",
    "起始日期": "期间第一天",
    "截止日期": "期间最后一天",
}


@dataclass
class FillReport:
    sections: int = 0
    rows: int = 0
    replaced: int = 0


def scalar_values(session: Session, period: Period, today: dt.date) -> dict[str, Any]:
    return {
        "单位名称": settings.get(session, settings.UNIT_NAME),
        "年度": period.year,
        "季度": period.quarter or "",
        "月份": period.month or "",
        "期间": period.label,
        "填报日期": today,
        "填表人": settings.get(session, settings.PREPARER),
        "审核人": settings.get(session, settings.REVIEWER),
        "联系电话": settings.get(session, settings.PHONE),
        "起始日期": period.start,
        "截止日期": period.end,
    }


def placeholder_help(sources: Mapping[str, Source]) -> list[tuple[str, str]]:
    """(placeholder, meaning) for every placeholder the filler knows — shown in the program."""
    out = [("{{" + k + "}}", v) for k, v in SCALARS_HELP.items()]
    for s in sources.values():
        out.append(("{{行:" + s.name + ".字段}}", f"{s.help}；字段：" + "、".join(s.fields)))
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, dt.date):
        return f"{v.year}年{v.month}月{v.day}日"
    return str(v)


def _row_markers(ws: Worksheet, r: int) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for cell in ws[r]:
        if isinstance(cell.value, str) and "{{" in cell.value:
            for m in PLACEHOLDER.finditer(cell.value):
                rm = ROW_MARK.match(m.group(1))
                if rm:
                    out.setdefault(cell.column, []).append(
                        (rm.group(1).strip(), rm.group(2).strip())
                    )
    return out


@dataclass(frozen=True)
class _Insertion:
    """``n`` rows inserted right below the detail row ``row`` of the sheet ``sheet``.

    References move as Excel moves them when rows are inserted inside a range: a range covering
    the detail row grows by ``n`` (here also one that ends at it, so ``SUM(D5:D5)`` under a one-row
    detail section covers every record), anything below moves down by ``n``, anything above stays.
    """

    sheet: str
    row: int
    n: int

    def rows(self, lo: int, hi: int, *, grow: bool) -> tuple[int, int]:
        if lo > self.row:
            return lo + self.n, hi + self.n
        if hi > self.row or (grow and hi == self.row):
            return lo, hi + self.n
        return lo, hi

    def on(self, sheet: str | None) -> bool:
        return sheet is not None and sheet.casefold() == self.sheet.casefold()


_CELL = r"(\$?)([A-Za-z]{1,3})(\$?)([1-9][0-9]{0,6})"
CELL_OR_RANGE = re.compile(rf"^{_CELL}(?::{_CELL})?$")
ROW_RANGE = re.compile(r"^(\$?)([1-9][0-9]{0,6}):(\$?)([1-9][0-9]{0,6})$")


def _sheet_of(prefix: str) -> str | None:
    """The sheet a reference's ``Sheet!`` prefix names; None for external or 3-D references."""
    if prefix.startswith("'") and prefix.endswith("'") and len(prefix) >= 2:
        name = prefix[1:-1].replace("''", "'")
    else:
        name = prefix
    if not name or name.startswith("[") or ":" in name:
        return None
    return name


def _shift_operand(op: str, host: str | None, ins: _Insertion, per_row: bool) -> str:
    """One range operand of a formula (``D5:D5``, ``'明细'!$D$5``, ``5:7``) after the insertion.

    ``per_row``: the formula is evaluated once per detail row (a formula in the detail row itself,
    a conditional format or validation on it); there only a range whose end row is absolute
    (``$E$5:$E$5``) grows — ``SUM($E$5:E5)`` stays a running total.
    """
    prefix, bang, ref = op.rpartition("!")
    sheet = _sheet_of(prefix) if bang else host
    if not ins.on(sheet):
        return op
    m = CELL_OR_RANGE.match(ref)
    if m:
        d1, c1, a1, r1, d2, c2, a2, r2 = m.groups()
        if c2 is None:  # one cell: moves when below, never grows
            lo, _hi = ins.rows(int(r1), int(r1), grow=False)
            return f"{prefix}{bang}{d1}{c1}{a1}{lo}"
        rows = _shift_pair(int(r1), int(r2), ins, grow=not per_row or a2 == "$")
        return f"{prefix}{bang}{d1}{c1}{a1}{rows[0]}:{d2}{c2}{a2}{rows[1]}"
    m = ROW_RANGE.match(ref)
    if m:
        a1, r1, a2, r2 = m.groups()
        rows = _shift_pair(int(r1), int(r2), ins, grow=not per_row or a2 == "$")
        return f"{prefix}{bang}{a1}{rows[0]}:{a2}{rows[1]}"
    return op  # whole columns, names, anything else


def _shift_pair(r1: int, r2: int, ins: _Insertion, *, grow: bool) -> tuple[int, int]:
    lo, hi = ins.rows(min(r1, r2), max(r1, r2), grow=grow)
    return (lo, hi) if r1 <= r2 else (hi, lo)


def _shift_formula(text: str, host: str | None, ins: _Insertion, per_row: bool = False) -> str:
    """A formula (with its leading ``=``) with every range operand moved for the insertion."""
    if not text.startswith("="):
        return text
    try:
        tok = Tokenizer(text)
    except TokenizerError:
        return text  # Excel would not have saved it; leave it exactly as the superior wrote it
    changed = False
    for t in tok.items:
        if t.type == Token.OPERAND and t.subtype == Token.RANGE:
            new = _shift_operand(t.value, host, ins, per_row)
            if new != t.value:
                t.value, changed = new, True
    return str(tok.render()) if changed else text


def _shift_bare(text: str | None, host: str | None, ins: _Insertion, per_row: bool) -> str | None:
    """A formula stored without ``=`` (defined names, validation, conditional formats)."""
    if not text:
        return text
    if text.startswith("="):
        return _shift_formula(text, host, ins, per_row)
    return _shift_formula("=" + text, host, ins, per_row)[1:]


def _grow_range(coord: str, ins: _Insertion) -> str:
    cr = CellRange(coord)
    if cr.min_row is None or cr.max_row is None:  # whole columns
        return coord
    lo, hi = ins.rows(cr.min_row, cr.max_row, grow=True)
    return str(CellRange(min_col=cr.min_col, min_row=lo, max_col=cr.max_col, max_row=hi).coord)


def _grow_sqref(sqref: MultiCellRange, ins: _Insertion) -> MultiCellRange:
    return MultiCellRange(" ".join(_grow_range(cr.coord, ins) for cr in sqref.ranges))


def _covers(sqref: MultiCellRange, row: int) -> bool:
    return any(cr.min_row <= row <= cr.max_row for cr in sqref.ranges)


_DIGITS = re.compile(r"[0-9]+")


def _may_refer(text: str, host: str, ins: _Insertion) -> bool:
    """False when the formula surely holds no reference the insertion moves (a fast pre-check:
    such a reference names the sheet, or sits on it, and has a row number >= the detail row)."""
    if not ins.on(host):
        t, name = text.casefold(), ins.sheet.casefold()
        if name not in t and name.replace("'", "''") not in t:
            return False
    return any(int(d) >= ins.row for d in _DIGITS.findall(text))


def _shift_references(wb: Workbook, ins: _Insertion, detail_rows: Mapping[str, set[int]]) -> None:
    """Every reference of the workbook to ``ins.sheet``, adjusted before the rows are inserted."""
    for ws in wb.worksheets:
        per_row = detail_rows.get(ws.title, set())
        for cell in ws._cells.values():
            v = cell.value
            if isinstance(v, str) and cell.data_type == "f" and _may_refer(v, ws.title, ins):
                new = _shift_formula(v, ws.title, ins, cell.row in per_row)
                if new != v:
                    cell.value = new
            if cell.hyperlink is not None and cell.hyperlink.location:  # a link inside the book
                cell.hyperlink.location = _shift_bare(cell.hyperlink.location, ws.title, ins, False)
            elif isinstance(v, ArrayFormula) and isinstance(v.text, str):
                v.text = _shift_formula(v.text, ws.title, ins, cell.row in per_row)
                if ins.on(ws.title) and v.ref:
                    cr = CellRange(v.ref)
                    lo, hi = ins.rows(cr.min_row, cr.max_row, grow=False)
                    v.ref = CellRange(
                        min_col=cr.min_col, min_row=lo, max_col=cr.max_col, max_row=hi
                    ).coord
        for dv in ws.data_validations.dataValidation:
            rowwise = ins.on(ws.title) and _covers(dv.sqref, ins.row)
            dv.formula1 = _shift_bare(dv.formula1, ws.title, ins, rowwise)
            dv.formula2 = _shift_bare(dv.formula2, ws.title, ins, rowwise)
            if ins.on(ws.title):
                dv.sqref = _grow_sqref(dv.sqref, ins)
        cf_rules = ws.conditional_formatting._cf_rules
        if cf_rules:
            moved: dict[ConditionalFormatting, list[Any]] = {}
            for cf, rules in cf_rules.items():
                rowwise = ins.on(ws.title) and _covers(cf.sqref, ins.row)
                for rule in rules:
                    rule.formula = [
                        _shift_bare(f, ws.title, ins, rowwise) or f for f in rule.formula
                    ]
                sqref = _grow_sqref(cf.sqref, ins) if ins.on(ws.title) else cf.sqref
                moved.setdefault(ConditionalFormatting(sqref=sqref), []).extend(rules)
            cf_rules.clear()
            cf_rules.update(moved)
        for dn in ws.defined_names.values():
            dn.value = _shift_bare(dn.value, ws.title, ins, False)
        for chart in ws._charts:  # the series' data ranges
            # a combined chart lists its parts in ``_charts``, itself first
            for part in {id(c): c for c in (chart, *getattr(chart, "_charts", ()))}.values():
                for ser in getattr(part, "series", ()):
                    for ref in _series_refs(ser):
                        ref.f = _shift_series(ref.f, ins)
    for dn in wb.defined_names.values():
        dn.value = _shift_bare(dn.value, None, ins, False)


def _shift_series(f: str, ins: _Insertion) -> str:
    """A chart series' data: always a range, so one cell on the detail row grows too."""
    prefix, bang, ref = f.rpartition("!")
    m = CELL_OR_RANGE.match(ref)
    if bang and m and m.group(6) is None:
        grown = _shift_bare(f"{prefix}!{ref}:{ref}", None, ins, False) or f
        first, _, last = grown.rpartition("!")[2].partition(":")
        return grown if first != last else _shift_bare(f, None, ins, False) or f
    return _shift_bare(f, None, ins, False) or f


def _series_refs(ser: Any) -> list[Any]:
    out = []
    for src in (ser.tx, ser.cat, ser.val, ser.xVal, ser.yVal, ser.bubbleSize):
        for name in ("numRef", "strRef"):
            ref = getattr(src, name, None)
            if ref is not None and ref.f:
                out.append(ref)
    return out


def _move_drawings(ws: Worksheet, ins: _Insertion) -> None:
    """Pictures and charts anchored below the detail row move down; one spanning it grows."""
    for obj in (*ws._images, *ws._charts):
        anchor = obj.anchor
        if isinstance(anchor, str):
            cr = CellRange(anchor)
            obj.anchor = (
                f"{get_column_letter(cr.min_col)}{ins.rows(cr.min_row, cr.min_row, grow=False)[0]}"
            )
            continue
        start = getattr(anchor, "_from", None)
        end = getattr(anchor, "to", None)
        if start is None:  # an absolute anchor: placed in EMU, not on cells
            continue
        lo = start.row + 1  # anchors count rows from 0
        hi = end.row + 1 if end is not None else lo
        new_lo, new_hi = ins.rows(lo, hi, grow=False)
        start.row = new_lo - 1
        if end is not None:
            end.row = new_hi - 1


def _insert_rows_keeping_layout(ws: Worksheet, ins: _Insertion) -> None:
    """Insert the rows; merges, row heights, print area and titles, filters and tables follow."""
    r, n = ins.row, ins.n
    if n <= 0:
        return
    heights = {
        k: ws.row_dimensions[k].height
        for k in list(ws.row_dimensions)
        if k > r and ws.row_dimensions[k].height
    }
    # merges below move; merges spanning the detail row and more grow; a merge lying in the
    # detail row alone is repeated on every copy (``_fill_section``)
    moved = [m for m in ws.merged_cells.ranges if m.min_row > r]
    grown = [m for m in ws.merged_cells.ranges if m.min_row <= r <= m.max_row != m.min_row]
    for m in moved + grown:
        ws.merged_cells.remove(m)
    ws.insert_rows(r + 1, n)
    for m in moved:
        m.shift(0, n)
        ws.merged_cells.add(m)
    for m in grown:
        ws.merge_cells(_grow_range(m.coord, ins))
    for k in sorted(heights, reverse=True):
        ws.row_dimensions[k + n].height = heights[k]
        ws.row_dimensions[k].height = None
    if ws._print_rows is not None and ws._print_rows.min_row is not None:
        lo, hi = ins.rows(ws._print_rows.min_row, ws._print_rows.max_row, grow=False)
        ws.print_title_rows = f"{lo}:{hi}"
    if ws._print_area.ranges:
        ws.print_area = [_grow_range(cr.coord, ins) for cr in ws._print_area.sorted()]
    if ws.auto_filter.ref:
        ws.auto_filter.ref = _grow_range(ws.auto_filter.ref, ins)
    _move_drawings(ws, ins)
    for table in ws.tables.values():
        table.ref = _grow_range(table.ref, ins)
        if table.autoFilter is not None and table.autoFilter.ref:
            table.autoFilter.ref = _grow_range(table.autoFilter.ref, ins)


def _fill_section(
    wb: Workbook,
    ws: Worksheet,
    r: int,
    sources: Mapping[str, Source],
    session: Session,
    period: Period,
    report: FillReport,
    detail_rows: dict[str, set[int]],
) -> int:
    """Expand the detail row ``r``; the number of rows it takes now (at least one)."""
    markers = _row_markers(ws, r)
    names = {src for ms in markers.values() for src, _f in ms}
    if len(names) > 1:
        raise UserError(
            f"工作表「{ws.title}」第 {r} 行同时使用了多个来源（{'、'.join(sorted(names))}），一行只能对应一个来源。"
        )
    src_name = names.pop()
    src = sources.get(src_name)
    if src is None:
        raise UserError(
            f"工作表「{ws.title}」第 {r} 行的来源“{src_name}”无法识别。可用来源：{'、'.join(sources)}"
        )
    for ms in markers.values():
        for _s, f in ms:
            if f not in src.fields:
                raise UserError(
                    f"工作表「{ws.title}」第 {r} 行：来源“{src_name}”没有字段“{f}”。可用字段：{'、'.join(src.fields)}"
                )
    records = src.rows(session, period)
    ins = _Insertion(ws.title, r, max(len(records) - 1, 0))
    if ins.n:
        _shift_references(wb, ins, detail_rows)
    # from here on its copies are ordinary rows; the detail rows below move down
    detail_rows[ws.title] = {x + ins.n if x > r else x for x in detail_rows[ws.title] if x != r}
    template = {c.column: (c.value, copy.copy(c._style)) for c in ws[r] if not _merged(c)}
    row_merges = [m.coord for m in ws.merged_cells.ranges if m.min_row == m.max_row == r]
    height = ws.row_dimensions[r].height
    fill_down = {  # the template's formulas, copied down as Excel's fill-down would
        col: Translator(value, origin=f"{get_column_letter(col)}{r}")
        for col, (value, _st) in template.items()
        if isinstance(value, str) and value.startswith("=")
    }
    _insert_rows_keeping_layout(ws, ins)
    report.sections += 1
    report.rows += len(records)
    blank: list[dict[str, Any] | None] = [None]  # no records: one row, markers emptied
    for i, rec in enumerate(records or blank):
        row = r + i
        if height:
            ws.row_dimensions[row].height = height
        for col, (value, style) in template.items():
            cell = ws.cell(row, col)
            if _merged(cell):  # under a merge that spans the detail rows
                continue
            cell._style = copy.copy(style)
            if isinstance(value, str) and "{{" in value:
                set_safe(cell, _render_row_cell(value, rec))
            elif i > 0 and col in fill_down:
                cell.value = _translated(fill_down[col], value, f"{cell.column_letter}{row}")
            elif i > 0:
                cell.value = value  # the template's own text, repeated as it was
        if i > 0:
            for coord in row_merges:
                cr = CellRange(coord)
                ws.merge_cells(
                    start_row=row, start_column=cr.min_col, end_row=row, end_column=cr.max_col
                )
    return max(len(records), 1)


def _merged(cell: Any) -> bool:
    return isinstance(cell, MergedCell)


def _translated(tr: Translator, value: str, dest: str) -> str:
    try:
        return str(tr.translate_formula(dest))
    except (TranslatorError, TokenizerError):
        return value  # a reference that would leave the sheet: keep the formula as written


def _render_row_cell(value: str, rec: dict[str, Any] | None) -> Any:
    """The value of one template cell for one record (typed when the cell is one marker)."""
    if rec is None:
        return PLACEHOLDER.sub("", value) or None
    whole = PLACEHOLDER.fullmatch(value.strip())
    mark = ROW_MARK.match(whole.group(1)) if whole else None
    if mark:
        return rec.get(mark.group(2).strip())

    def one(m: re.Match[str]) -> str:
        mk = ROW_MARK.match(m.group(1))
        return _fmt(rec.get(mk.group(2).strip())) if mk else m.group(0)

    return PLACEHOLDER.sub(one, value)


def is_date_format(fmt: str | None) -> bool:
    return bool(fmt) and bool(_DATE_CODE.search(_FORMAT_NOISE.sub("", str(fmt).split(";")[0])))


def set_safe(cell: Any, value: Any) -> None:
    """Assign a value keeping its type; a formula-like text stays text.

    The cell's number format is the template's: a date keeps a date format the superior chose
    (``yyyy年m月d日``); only a cell without one gets the program's date format.
    """
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, bool):
        value = "是" if value else "否"
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
    if isinstance(value, dt.date) and not is_date_format(cell.number_format):
        cell.number_format = DATETIME_FORMAT if isinstance(value, dt.datetime) else DATE_FORMAT


MAX_TEMPLATE_BYTES = 20 * 1024 * 1024
MAX_TEMPLATE_UNPACKED = 200 * 1024 * 1024
# what openpyxl raises on a damaged or odd file (a bad zip, a missing part, broken XML, a value of
# the wrong type): the clerk gets a sentence, not a traceback
BAD_WORKBOOK = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    SyntaxError,
    InvalidFileException,
)


def _open_template(p: Path) -> Workbook:
    if not p.is_file():
        raise UserError(f"找不到模板文件：{p}")
    if p.suffix.lower() != ".xlsx":
        raise UserError(f"模板 {p.name} 不是 .xlsx 文件。旧版 .xls 请先在 Excel 中“另存为” .xlsx。")
    try:
        size = p.stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            raise UserError(
                f"模板 {p.name} 有 {size / 1024 / 1024:.1f} MB，超过 20 MB，不像一份上报表格。"
                "请确认选择的文件是否正确，或删去其中的图片和多余工作表后再试。"
            )
        with zipfile.ZipFile(p) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_TEMPLATE_UNPACKED:
                raise UserError(
                    f"模板 {p.name} 解压后超过 200 MB，不像一份上报表格，程序不打开它。"
                )
        return openpyxl.load_workbook(p)
    except OSError as exc:
        raise UserError(describe_os_error(exc, p)) from exc
    except BAD_WORKBOOK as exc:
        raise UserError(
            f"无法读取模板 {p.name}：不是有效的 Excel 文件或已损坏。"
            "请在 Excel 或 WPS 中打开后“另存为” .xlsx 再试。"
        ) from exc


def _replace_scalars(cell: Any, v: str, scalars: Mapping[str, Any]) -> bool:
    """Replace ``{{单位名称}}`` … in one cell (row markers stay for the sections); True if any."""
    whole = PLACEHOLDER.fullmatch(v.strip())
    if whole and whole.group(1) in scalars:
        set_safe(cell, scalars[whole.group(1)])
        return True
    if not any(m.group(1) in scalars for m in PLACEHOLDER.finditer(v)):
        return False
    set_safe(
        cell,
        PLACEHOLDER.sub(
            lambda m: _fmt(scalars[m.group(1)]) if m.group(1) in scalars else m.group(0), v
        ),
    )
    return True


def fill_template(
    session: Session,
    template: Path | str,
    out: Path | str,
    period: Period,
    sources: Mapping[str, Source],
    *,
    today: dt.date | None = None,
) -> FillReport:
    """Fill the superior's ``template``; ``sources`` are the record sources of every ledger (by name)."""
    today = today or dt.date.today()
    wb = _open_template(Path(template))
    scalars = scalar_values(session, period, today)
    report = FillReport()
    for (
        ws
    ) in wb.worksheets:  # unknown placeholders named where the clerk wrote them, before rows move
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and "{{" in cell.value:
                    unknown = [
                        m.group(1)
                        for m in PLACEHOLDER.finditer(cell.value)
                        if m.group(1) not in scalars and not ROW_MARK.match(m.group(1))
                    ]
                    if unknown:
                        raise UserError(
                            f"工作表「{ws.title}」单元格 {cell.coordinate} 的占位符 {{{{{unknown[0]}}}}} 无法识别。"
                            f"可用的占位符：{'、'.join('{{' + k + '}}' for k in scalars)}，以及 {{{{行:来源.字段}}}}。"
                        )
    for ws in wb.worksheets:  # scalars first: a record's text is never read as a placeholder
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, str) and "{{" in v and _replace_scalars(cell, v, scalars):
                    report.replaced += 1
    # the detail rows not yet expanded, by sheet: formulas there are evaluated once per record
    detail_rows = {
        ws.title: {r for r in range(1, ws.max_row + 1) if _row_markers(ws, r)}
        for ws in wb.worksheets
    }
    for ws in wb.worksheets:
        r = 1
        while pending := sorted(x for x in detail_rows[ws.title] if x >= r):  # top-down
            r = pending[0] + _fill_section(
                wb, ws, pending[0], sources, session, period, report, detail_rows
            )
        for cell in ws._cells.values():  # a link's cell is written as it was set: re-point it
            if cell.hyperlink is not None:
                cell.hyperlink.ref = cell.coordinate
    with atomic_path(out) as tmp:
        try:
            wb.save(tmp)
        except BAD_WORKBOOK as exc:
            raise UserError(
                f"模板 {Path(template).name} 填写后无法保存：其中有程序无法写回的内容。"
                "请在 Excel 或 WPS 中打开模板后“另存为” .xlsx 再试。"
            ) from exc
    return report
