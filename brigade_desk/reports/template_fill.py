"""Fill the superior's own .xlsx template.

- Cells holding ``{{单位名称}}``, ``{{年度}}``, ``{{季度}}``, ``{{月份}}``, ``{{填报日期}}`` … are replaced, also
  inside longer text ("填报单位：{{单位名称}}"). A cell that is exactly one placeholder gets a typed value
  (a date stays a date, a number a number).
- A row holding ``{{行:来源.字段}}`` markers is repeated once per record of that source, with the
  template row's formatting and height; rows, merges and row heights below move down with it.
  Several repeated sections per sheet are allowed.
- Everything else in the template (other cells, merges, styles, print settings) is kept.
- No value from the data ever becomes a formula.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from brigade_desk.core import settings
from brigade_desk.core.atomic import atomic_path
from brigade_desk.core.errors import UserError
from brigade_desk.core.forms.xlsxform import DATE_FORMAT, DATETIME_FORMAT
from brigade_desk.core.ledger import Source
from brigade_desk.core.period import Period

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
ROW_MARK = re.compile(r"^行\s*[:：]\s*([^.．。]+)[.．。](.+)$")
FORMULA_PREFIXES = ("=", "+", "-", "@")

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


def _insert_rows_keeping_layout(ws: Worksheet, after: int, n: int) -> None:
    """Insert ``n`` rows after row ``after``, moving merges and row heights below with them."""
    if n <= 0:
        return
    heights = {
        r: ws.row_dimensions[r].height
        for r in list(ws.row_dimensions)
        if r > after and ws.row_dimensions[r].height
    }
    moved = [mr for mr in ws.merged_cells.ranges if mr.min_row > after]
    for mr in moved:
        ws.merged_cells.remove(mr)
    ws.insert_rows(after + 1, n)
    for mr in moved:
        mr.shift(0, n)
        ws.merged_cells.add(mr)
    for r in sorted(heights, reverse=True):
        ws.row_dimensions[r + n].height = heights[r]
        ws.row_dimensions[r].height = None
    if ws.print_title_rows:
        m = re.match(r"\$?(\d+):\$?(\d+)", ws.print_title_rows.replace("'", "").split("!")[-1])
        if m and int(m.group(1)) > after:
            ws.print_title_rows = f"{int(m.group(1)) + n}:{int(m.group(2)) + n}"
    if ws.print_area:
        area = ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0]
        m = re.search(r"\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)", area)
        if m and int(m.group(4)) >= after:
            ws.print_area = f"{m.group(1)}{m.group(2)}:{m.group(3)}{int(m.group(4)) + n}"


def _fill_section(
    ws: Worksheet,
    r: int,
    markers: dict[int, list[tuple[str, str]]],
    sources: Mapping[str, Source],
    session: Session,
    period: Period,
    report: FillReport,
) -> None:
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
    template = {c.column: (c.value, copy.copy(c._style)) for c in ws[r]}
    height = ws.row_dimensions[r].height
    _insert_rows_keeping_layout(ws, r, len(records) - 1)
    report.sections += 1
    report.rows += len(records)
    blank: list[dict[str, Any] | None] = [None]  # no records: one row, markers emptied
    for i, rec in enumerate(records or blank):
        row = r + i
        if height:
            ws.row_dimensions[row].height = height
        for col, (value, style) in template.items():
            cell = ws.cell(row, col)
            cell._style = copy.copy(style)
            if isinstance(value, str) and "{{" in value:
                set_safe(cell, _render_row_cell(value, rec))
            elif i > 0:
                cell.value = value  # the template's own constant text, repeated as it was


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
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT


def _open_template(p: Path) -> Any:
    import zipfile

    import openpyxl

    if not p.is_file():
        raise UserError(f"找不到模板文件：{p}")
    if p.suffix.lower() != ".xlsx":
        raise UserError(f"模板 {p.name} 不是 .xlsx 文件。旧版 .xls 请先在 Excel 中“另存为” .xlsx。")
    try:
        return openpyxl.load_workbook(p)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UserError(f"无法读取模板 {p.name}：不是有效的 Excel 文件或已损坏（{exc}）。") from exc


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
    for ws in wb.worksheets:
        marker_rows = [r for r in range(1, ws.max_row + 1) if _row_markers(ws, r)]
        for r in reversed(marker_rows):
            _fill_section(ws, r, _row_markers(ws, r), sources, session, period, report)
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if not (isinstance(v, str) and "{{" in v):
                    continue
                whole = PLACEHOLDER.fullmatch(v.strip())
                if whole and whole.group(1) in scalars:
                    set_safe(cell, scalars[whole.group(1)])
                    report.replaced += 1
                    continue
                unknown = [m.group(1) for m in PLACEHOLDER.finditer(v) if m.group(1) not in scalars]
                if unknown:
                    raise UserError(
                        f"工作表「{ws.title}」单元格 {cell.coordinate} 的占位符 {{{{{unknown[0]}}}}} 无法识别。"
                        f"可用的占位符：{'、'.join('{{' + k + '}}' for k in scalars)}，以及 {{{{行:来源.字段}}}}。"
                    )
                set_safe(cell, PLACEHOLDER.sub(lambda m: _fmt(scalars[m.group(1)]), v))
                report.replaced += 1
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return report
