"""The layout of a Chinese government spreadsheet, shared by every export.

Merged title row, a 填报单位 / 填报日期 line, the header row (frozen, repeated on every printed page),
the data, and a 填表人 / 审核人 / 联系电话 footer; A4 landscape fitted to the page width. Numbers stay
numbers and dates stay dates; a text that starts with ``= + - @`` is forced to text so that no cell
ever becomes a formula from user data.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from brigade_desk.core.atomic import atomic_path

FORMULA_PREFIXES = ("=", "+", "-", "@")
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
TITLE_FONT = Font(name="黑体", size=16, bold=True)
HEADER_FONT = Font(name="宋体", size=11, bold=True)
BODY_FONT = Font(name="宋体", size=10)
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class Col:
    header: str
    width: float = 12
    number_format: str | None = None


@dataclass(frozen=True)
class FormInfo:
    unit: str
    date: dt.date
    preparer: str = ""
    reviewer: str = ""
    phone: str = ""


def set_safe(cell: Any, value: Any) -> None:
    """Assign a value keeping its type; a formula-like text stays text."""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, bool):
        value = "是" if value else "否"
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
    if isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT


def wrapped_lines(text: str, width: float) -> int:
    """Lines a text takes in a column of ``width`` characters (a CJK character counts two)."""
    per_line = max(1.0, width - 1)
    return sum(
        max(1, math.ceil(sum(2 if ord(ch) > 0x2E7F else 1 for ch in part) / per_line))
        for part in text.split("\n")
    )


def write_form_sheet(
    ws: Worksheet,
    title: str,
    info: FormInfo,
    cols: Sequence[Col],
    rows: Iterable[Sequence[Any]],
    *,
    note: str = "",
) -> int:
    """Fill ``ws`` as a printable form. Returns the number of data rows written."""
    n = len(cols)
    last = get_column_letter(n)
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = title
    ws["A1"].font = TITLE_FONT
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30

    half = max(1, n // 2)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=half)
    set_safe(ws.cell(2, 1), f"填报单位：{info.unit}")
    if n > half:
        ws.merge_cells(start_row=2, start_column=half + 1, end_row=2, end_column=n)
    c = ws.cell(2, half + 1 if n > half else 1)
    if n > half:
        c.value = f"填报日期：{info.date.year}年{info.date.month}月{info.date.day}日"
        c.alignment = Alignment(horizontal="right")
    header_row = 3
    for j, col in enumerate(cols, start=1):
        cell = ws.cell(header_row, j, col.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = col.width
    ws.row_dimensions[header_row].height = 30

    r = header_row
    count = 0
    for values in rows:
        r += 1
        count += 1
        lines = 1
        for j, (col, v) in enumerate(zip(cols, values, strict=False), start=1):
            cell = ws.cell(r, j)
            set_safe(cell, v)
            cell.font = BODY_FONT
            cell.border = BORDER
            wrap = isinstance(v, str) and len(v) > 12
            cell.alignment = Alignment(vertical="center", wrap_text=wrap)
            if wrap:
                lines = max(lines, wrapped_lines(v, col.width))
            if col.number_format and not isinstance(v, str):
                cell.number_format = col.number_format
        if lines > 1:  # neither Excel nor LibreOffice grows a row for wrapped text on opening
            ws.row_dimensions[r].height = 13.5 * lines + 2

    foot = r + 2
    if note:
        ws.merge_cells(start_row=foot, start_column=1, end_row=foot, end_column=n)
        set_safe(ws.cell(foot, 1), note)
        foot += 1
    third = max(1, n // 3)
    parts = [
        (1, f"填表人：{info.preparer}"),
        (third + 1, f"审核人：{info.reviewer}"),
        (2 * third + 1, f"联系电话：{info.phone}"),
    ]
    for col_idx, txt in parts:
        if col_idx <= n:
            set_safe(ws.cell(foot, col_idx), txt)

    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    if r > header_row:
        ws.auto_filter.ref = f"A{header_row}:{last}{r}"
    return count


def new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def save_workbook(wb: Workbook, out: Path | str) -> Path:
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return Path(out)
