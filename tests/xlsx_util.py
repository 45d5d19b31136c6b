"""Build messy workbooks the way clerks really make them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook


def messy_workbook(
    path: Path,
    headers: list[str],
    rows: list[list[Any]],
    *,
    title: str = "某县执法人员花名册",
    unit_line: bool = True,
    sheet: str = "花名册",
    id_col_text: bool = True,
) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.cell(1, 1, title)
    r = 2
    if unit_line:
        ws.cell(2, 1, "填报单位：某县交通运输综合行政执法大队")
        ws.cell(2, len(headers) - 1, "填报日期：2026年11月1日")
        r = 3
    for j, h in enumerate(headers, 1):
        ws.cell(r, j, h)
    for i, row in enumerate(rows, r + 1):
        for j, v in enumerate(row, 1):
            c = ws.cell(i, j, v)
            if id_col_text and isinstance(v, str):
                c.number_format = "@"
    wb.save(path)
    return path
