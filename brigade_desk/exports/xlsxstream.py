"""The form layout of :mod:`brigade_desk.exports.xlsxform`, for big sheets in openpyxl's write-only mode.

Same merged title, 填报单位/填报日期 line, styled header (frozen, repeated on every printed page),
bordered body, 填表人/审核人/联系电话 footer, A4 landscape fit to width and formula-safe cells — but
streamed row by row, which is several times faster and keeps memory flat for tens of thousands of
rows (see PITFALLS: openpyxl's normal mode is slow here). The whole workbook must be write-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

from brigade_desk.exports.xlsxform import (
    BODY_FONT,
    BORDER,
    DATE_FORMAT,
    FORMULA_PREFIXES,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    Col,
    FormInfo,
)

_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TITLE = Alignment(horizontal="center", vertical="center")
_RIGHT = Alignment(horizontal="right")
_WRAP = Alignment(vertical="center", wrap_text=True)
_PLAIN = Alignment(vertical="center")


def new_stream_workbook() -> Workbook:
    return Workbook(write_only=True)


class _Styler:
    """Body cell styles computed once: assigning fonts/borders per cell hashes them every time (slow)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.cache: dict[tuple[bool, str | None], StyleArray] = {}

    def style(self, wrap: bool, number_format: str | None) -> StyleArray:
        key = (wrap, number_format)
        st = self.cache.get(key)
        if st is None:
            c = WriteOnlyCell(self.ws, None)
            c.font, c.border, c.alignment = BODY_FONT, BORDER, _WRAP if wrap else _PLAIN
            if number_format:
                c.number_format = number_format
            st = self.cache[key] = c._style
        return st

    def cell(self, value: Any, col: Col | None = None) -> Any:
        if isinstance(value, Cell):  # a cell the caller styled itself
            return value
        if isinstance(value, Decimal):
            value = float(value)
        if isinstance(value, bool):
            value = "是" if value else "否"
        c = WriteOnlyCell(self.ws, value)
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            c.data_type = "s"
        fmt = None
        if isinstance(value, dt.datetime):
            fmt = "yyyy-mm-dd hh:mm"
        elif isinstance(value, dt.date):
            fmt = DATE_FORMAT
        elif col is not None and col.number_format and not isinstance(value, str):
            fmt = col.number_format
        c._style = StyleArray(self.style(isinstance(value, str) and len(value) > 12, fmt))
        return c


def write_form_sheet_stream(ws: Any, title: str, info: FormInfo, cols: Sequence[Col],
                            rows: Iterable[Sequence[Any]], *, note: str = "") -> int:
    """Fill a write-only worksheet as a printable form. Returns the number of data rows written."""
    n = len(cols)
    last = get_column_letter(n)
    for j, col in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(j)].width = col.width
    header_row = 3
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"

    t = WriteOnlyCell(ws, title)
    t.font, t.alignment = TITLE_FONT, _TITLE
    ws.row_dimensions[1].height = 30
    ws.append([t])
    ws.merged_cells.add(f"A1:{last}1")
    half = max(1, n // 2)
    line: list[Any] = [f"填报单位：{info.unit}"] + [None] * (n - 1)
    if n > half:
        d = WriteOnlyCell(ws, f"填报日期：{info.date.year}年{info.date.month}月{info.date.day}日")
        d.alignment = _RIGHT
        line[half] = d
        ws.merged_cells.add(f"A2:{get_column_letter(half)}2")
        ws.merged_cells.add(f"{get_column_letter(half + 1)}2:{last}2")
    ws.append(line)
    hdr = []
    for col in cols:
        c = WriteOnlyCell(ws, col.header)
        c.font, c.fill, c.border, c.alignment = HEADER_FONT, HEADER_FILL, BORDER, _CENTER
        hdr.append(c)
    ws.row_dimensions[header_row].height = 30
    ws.append(hdr)
    count = 0
    styler = _Styler(ws)
    for values in rows:
        count += 1
        ws.append([styler.cell(v, col) for col, v in zip(cols, values, strict=False)])
    r = header_row + count
    if count:
        ws.auto_filter.ref = f"A{header_row}:{last}{r}"
    ws.append([])
    foot = r + 2
    if note:
        ws.append([note])
        ws.merged_cells.add(f"A{foot}:{last}{foot}")
        foot += 1
    third = max(1, n // 3)
    footer: list[Any] = [None] * n
    for col_idx, txt in ((1, f"填表人：{info.preparer}"), (third + 1, f"审核人：{info.reviewer}"),
                         (2 * third + 1, f"联系电话：{info.phone}")):
        if col_idx <= n:
            footer[col_idx - 1] = txt
    ws.append(footer)
    return count
