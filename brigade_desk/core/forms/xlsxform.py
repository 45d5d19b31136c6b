"""The layout of a Chinese government spreadsheet, shared by every generated form; the one engine.

Merged title row, a 填报单位 / 填报日期 line, the header row (frozen, repeated on every printed page),
the bordered data, and a 填表人 / 审核人 / 联系电话 footer, printed A4 landscape so that it can be read:

- the print scale is chosen here (:func:`print_plan`), never "fit to page": the 10 pt body prints
  at >= 8 pt; a form too wide for one page at that size prints as few pages wide as it needs, the
  key columns (序号, 姓名 / 案号) repeated on each, page order left then right;
- every row's height is set, from its wrapped texts (:func:`wrapped_lines`): neither Excel nor
  LibreOffice grows a row for wrapped text on opening;
- the title, the 填报单位 line, the note and the footer are merged over columns wide enough for
  their text, and the pages are planned here, the footer kept with the last rows (:func:`plan_pages`);
- counts print as integers, a 序号 centred, a column of optional decimals ("#,##0.##", which shows
  11 as "11.") gets a fixed format per value.

Numbers stay numbers and dates stay dates; every text goes through one writer
(:meth:`StreamWorkbook.text`: ``write_string``, quote-prefixed when it starts like a formula), so
that no cell, title or header ever becomes a formula from user data or settings.

Written with XlsxWriter in constant-memory mode, row by row: memory stays flat for tens of
thousands of rows, and a styled cell costs about what a bare value costs in openpyxl's write-only
mode (openpyxl builds, type-checks and hashes a styled cell object per cell: about 6 times slower
and hundreds of MB for 50,000 rows, see ``benchmarks/bench_forms.py``).

    with StreamWorkbook(out) as wb:
        wb.add_form_sheet("音像记录", title, info, cols, rows, note=...)

The file appears at ``out`` whole when the block ends without an error, and not at all otherwise
(e.g. when a progress callback cancels): temporary files are removed either way.

Filling a superior's own workbook (``reports.template_fill``) edits an existing file and stays with
openpyxl; it is not this layout.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from brigade_desk.core.atomic import atomic_path
from brigade_desk.core.forms.stamp import audit_stamp

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_ROW = 3  # 1-based: title, 填报单位 line, header
BY_VALUE = "#,##0.##"  # a column of counts and amounts: each number gets 0 or 0.0/0.00 by its value

_BORDER = {"border": 1, "border_color": "#000000"}
_BODY = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", **_BORDER}
_PLAIN = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
# The workbook's default font decides the unit of column widths: Arial 10 has a 7-pixel digit in
# Excel, WPS and LibreOffice (Liberation Sans), so a column is as wide on paper in all three. With
# XlsxWriter's Calibri a Linux LibreOffice without Carlito prints every column a third wider.
_DEFAULT_FONT = {"font_name": "Arial", "font_size": 10}

# ---- the printed page: A4 landscape, the scale chosen here so that the body prints at >= 8 pt ----
PAPER_MM = (297.0, 210.0)
MARGIN_IN = {"left": 0.3, "right": 0.3, "top": 0.75, "bottom": 0.75}
HEADER_FOOTER_IN = 0.3
BODY_PT = 10.0
MIN_PRINT_PT = 8.0
MIN_SCALE = math.ceil(100 * MIN_PRINT_PT / BODY_PT)  # 80 %
# Millimetres a pixel of column width takes on paper at 100 %: Excel 0.2646 (96 dpi); LibreOffice
# 0.2796 (its Liberation Sans digit is a little wider). The larger one, so that nothing is cut.
MM_PER_PX = 0.28
LINE_PT = 13.5  # one line of 10 pt body text (the CJK fallback fonts are tall)
ROW_PT = 15.75  # a one-line row: 21 pixels (whole pixels, 0.75 pt each; 15 pt, the default,
# would be left out by XlsxWriter and the row then sized by each program on its own)
MAX_ROW_PT = 409.0  # Excel's largest row height


@dataclass(frozen=True)
class Col:
    """A column of a form: its header, width (in characters, as Excel shows it) and number format.

    ``key``: repeated at the left of every printed page when the form is printed more than one
    page wide (序号 and 姓名 / 案号). Without any key column: the leading columns up to the one that
    names the row (姓名, 案号 …) among the first four, else 序号 and the column after it."""

    header: str
    width: float = 12
    number_format: str | None = None
    key: bool = False


@dataclass(frozen=True)
class FormInfo:
    unit: str
    date: dt.date
    preparer: str = ""
    reviewer: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Section:
    """A bold caption inside the data, merged from its column to the last one (e.g. 以下为…)."""

    text: str


@dataclass(frozen=True)
class Formatted:
    """A data value shown with its own number format instead of its column's (e.g. a rate as 0.0%)."""

    value: Any
    number_format: str


_WIDE = re.compile("[\u2e80-\U0010ffff]")  # CJK and wider: two character widths each
# pieces a line may not be broken inside: a CJK character, or a run up to a space, "-", "/" or "\\"
_PIECE = re.compile("[\u2e80-\U0010ffff]|[^\\s/\\\\\\-\u2e80-\U0010ffff]*[\\s/\\\\\\-]*")
NARROW = 1.1  # a Latin letter or digit, in column-width units (LibreOffice's DejaVu is wider than SimSun)


def text_units(text: str) -> float:
    """Width of a one-line text in column-width units: 2 for a CJK character, 1.1 for others."""
    if text.isascii():
        return len(text) * NARROW
    wide = len(_WIDE.findall(text))
    return (len(text) - wide) * NARROW + 2 * wide


def wrapped_lines(text: str, width: float) -> int:
    """Lines a text takes in a column of ``width`` characters (a CJK character counts two, another
    1.1), breaking as Excel and LibreOffice do: between CJK characters and after spaces, "-", "/"
    and "\\"; a piece longer than a line is cut anywhere. Counted by pieces, not per character: the
    AV sheet has thousands of paths."""
    per_line = max(1.0, width - 1)
    if "\n" in text:
        return sum(wrapped_lines(part, width) for part in text.split("\n"))
    if text_units(text) <= per_line:
        return 1
    lines, used = 1, 0.0
    for piece in _PIECE.findall(text):
        if len(piece) == 1:  # mostly a CJK character: no call, no regular expression
            w = 2.0 if piece >= "\u2e80" else NARROW
        elif not piece:
            continue
        elif piece.isascii():
            w = len(piece) * NARROW
        else:
            w = text_units(piece)
        if used + w <= per_line:
            used += w
        elif w <= per_line:
            lines, used = lines + 1, w
        else:  # a piece longer than a line: it starts on a fresh line when the current one is used
            if used:
                lines += 1
            full, rest = divmod(w, per_line)
            lines += int(full) - (0 if rest else 1)
            used = rest if rest else per_line
    return lines


def wrapped_height(lines: int, line_pt: float = LINE_PT) -> float:
    """Row height for ``lines`` wrapped lines of body text (neither Excel nor LibreOffice grows a row
    for wrapped text on opening)."""
    return min(MAX_ROW_PT, max(ROW_PT, math.ceil((line_pt * lines + 1.5) / 0.75) * 0.75))


def column_pixels(width: float) -> int:
    """XlsxWriter pixels for a column whose stored width is ``width`` characters."""
    return round(width * 7)


def column_mm(width: float) -> float:
    """Millimetres a column takes on paper at 100 % (the wider of Excel and LibreOffice)."""
    return column_pixels(width) * MM_PER_PX


@dataclass(frozen=True)
class PrintPlan:
    """How a form prints: the scale (percent) and the column groups, one printed page wide each;
    groups after the first repeat the key columns ``0..keys-1`` at their left."""

    scale: int
    groups: tuple[tuple[int, int], ...]  # (first, last) column index of each page
    keys: int

    @property
    def first(self) -> tuple[int, int]:
        return self.groups[0]


def printable_mm() -> tuple[float, float]:
    w, h = PAPER_MM
    return (
        w - (MARGIN_IN["left"] + MARGIN_IN["right"]) * 25.4,
        h - (MARGIN_IN["top"] + MARGIN_IN["bottom"]) * 25.4,
    )


_NAMING = frozenset({"姓名", "案号", "案件编号", "文件名", "名称", "项目", "事项"})


def key_columns(cols: Sequence[Col]) -> int:
    """How many leading columns repeat on every page of a form printed more than a page wide."""
    marked = [j for j, c in enumerate(cols) if c.key]
    if marked:
        return max(marked) + 1
    for j, c in enumerate(cols[:4]):  # 序号 … up to the column that names the row
        if c.header in _NAMING:
            return j + 1
    if cols and cols[0].header == "序号":
        return min(2, len(cols))
    return min(1, len(cols))


def _groups(mm: Sequence[float], keys: int, page: float) -> list[tuple[int, int]]:
    key_mm = sum(mm[:keys])
    groups: list[tuple[int, int]] = []
    start, used = 0, 0.0
    for j, w in enumerate(mm):
        if j > start and used + w > page:
            groups.append((start, j - 1))
            start, used = j, key_mm
        used += w
    groups.append((start, len(mm) - 1))
    return groups


def print_plan(cols: Sequence[Col]) -> PrintPlan:
    """The largest scale up to 100 % at which the form prints one page wide, if that is at least
    MIN_SCALE (the body then prints at >= 8 pt); otherwise as few pages wide as MIN_SCALE allows,
    at the largest scale that keeps that many, each page repeating the key columns."""
    width, _ = printable_mm()
    mm = [column_mm(c.width) for c in cols]
    total = sum(mm) or 1.0
    fit = min(100, math.floor(100 * width / total))
    keys = key_columns(cols)
    if fit >= MIN_SCALE:
        return PrintPlan(fit, ((0, len(cols) - 1),), keys)
    groups = _groups(mm, keys, width * 100 / MIN_SCALE)
    scale = MIN_SCALE
    for s in range(100, MIN_SCALE, -1):
        g = _groups(mm, keys, width * 100 / s)
        if len(g) <= len(groups):
            scale, groups = s, g
            break
    return PrintPlan(scale, tuple(groups), keys)


_WHOLE = (None, "0", "#,##0")  # column formats of counts (and of General numbers)
_RISKY = frozenset(
    "=+-@\t\r\n"
)  # a text starting so is marked as text (quote prefix) for editing too


class StreamWorkbook:
    """An XlsxWriter workbook in constant-memory mode, saved atomically to ``out`` on leaving the block.

    Every text goes through :meth:`text` (``write_string``, never ``write``): a unit name, a header or
    a case note starting with ``=`` stays a text, and is marked as one (the cell's quote prefix) so
    that editing it in Excel or WPS does not turn it into a formula either."""

    def __init__(self, out: Path | str) -> None:
        self.out = Path(out)
        self._atomic = atomic_path(self.out)
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._formats: dict[tuple[Any, ...], Format] = {}
        self._props: dict[int, dict[str, Any]] = {}
        self.wb: xlsxwriter.Workbook | None = None

    def __enter__(self) -> StreamWorkbook:
        target = self._atomic.__enter__()
        self._tmpdir = tempfile.TemporaryDirectory(prefix="brigade-xlsx-")
        self.wb = xlsxwriter.Workbook(
            str(target),
            {
                "constant_memory": True,
                "tmpdir": self._tmpdir.name,
                "nan_inf_to_errors": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "default_format_properties": dict(_DEFAULT_FONT),
            },
        )
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        try:
            if et is None:
                assert self.wb is not None
                if audit_stamp():
                    self.wb.set_properties({"comments": audit_stamp(), "keywords": audit_stamp()})
                self.wb.close()
        except BaseException as exc:  # a failed save leaves no file behind either
            self._cleanup()
            if not self._atomic.__exit__(type(exc), exc, exc.__traceback__):
                raise
            return None
        self._cleanup()
        return self._atomic.__exit__(et, ev, tb)

    def _cleanup(self) -> None:
        if self.wb is not None:
            for ws in (
                self.wb.worksheets()
            ):  # the row files of a workbook left unsaved (cancelled, failed)
                fh = getattr(ws, "row_data_fh", None)
                if fh is not None and not fh.closed:
                    fh.close()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    # ---- formats (one XlsxWriter Format per distinct look, shared by every cell that has it) ----
    def fmt(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        f = self._formats.get(key)
        if f is None:
            assert self.wb is not None
            f = self._formats[key] = self.wb.add_format(props)
            self._props[id(f)] = props
        return f

    def quoted(self, f: Format | None) -> Format:
        """``f`` with the quote prefix: the cell is a text even when edited."""
        props = dict(self._props.get(id(f), {})) if f is not None else {}
        props["quote_prefix"] = True
        return self.fmt(**props)

    def text(self, ws: Worksheet, r: int, c: int, value: str, f: Format | None = None) -> None:
        """The one way a text reaches a cell: ``write_string``, quote-prefixed when it starts like a
        formula (``= + - @``, a tab or a line break)."""
        if value and value[0] in _RISKY:
            f = self.quoted(f)
        ws.write_string(r, c, value, f)

    def merged_text(
        self, ws: Worksheet, r: int, c1: int, c2: int, value: str, f: Format, rows: int = 1
    ) -> None:
        """A text over the cells ``c1..c2`` of row ``r`` (merged when more than one), written by
        :meth:`text`: the merge is made empty and the text written into its first cell."""
        if c2 > c1 or rows > 1:
            ff = self.quoted(f) if value and value[0] in _RISKY else f
            ws.merge_range(r, c1, r + rows - 1, c2, "", ff)
        self.text(ws, r, c1, value, f)

    def body(self, wrap: bool = False, number_format: str | None = None, **extra: Any) -> Format:
        props: dict[str, Any] = dict(_BODY)
        if wrap:
            props["text_wrap"] = True
        if number_format:
            props["num_format"] = number_format
        props.update(extra)
        return self.fmt(**props)

    def add_sheet(self, name: str) -> Worksheet:
        assert self.wb is not None, "use StreamWorkbook in a with block"
        ws = self.wb.add_worksheet(name)
        # Excel's own "normal" margins (as openpyxl and Excel write them), not XlsxWriter's
        ws.set_margins(left=0.75, right=0.75, top=1, bottom=1)
        ws.set_header("", {"margin": 0.5})
        ws.set_footer("", {"margin": 0.5})
        return ws

    def add_form_sheet(
        self,
        name: str,
        title: str,
        info: FormInfo,
        cols: Sequence[Col],
        rows: Iterable[Sequence[Any]],
        *,
        note: str = "",
        wrap_note: bool = True,
    ) -> int:
        """A new sheet filled as a printable form. Returns the number of data rows written.

        A note always wraps inside its merged row (top-aligned, the row made high enough) instead
        of running past the printed page; ``wrap_note`` is kept for callers that still pass it."""
        del wrap_note
        return write_form_sheet(self, self.add_sheet(name), title, info, cols, rows, note=note)

    def add_table_sheet(
        self,
        name: str,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        widths: Sequence[float],
        *,
        text_columns: Sequence[int] = (),
        text_rows: int = 0,
        choices: dict[int, str] | None = None,
        choice_rows: int = 0,
    ) -> Worksheet:
        """A plain table (e.g. an import template): a bold header row (frozen) and ``rows``.

        ``text_columns`` (0-based) are formatted as text down to row ``text_rows`` (1-based, as Excel
        numbers them) so that Excel keeps long digit strings; ``choices`` maps a 0-based column to a
        drop-down list (``"a,b,c"``) on rows 2 to ``choice_rows``."""
        ws = self.add_sheet(name)
        bold = self.fmt(bold=True)
        as_text = self.fmt(num_format="@")
        for j, w in enumerate(widths):
            ws.set_column_pixels(j, j, column_pixels(w))
        for j, h in enumerate(headers):
            self.text(ws, 0, j, h, bold)
        r = 0
        for values in rows:
            r += 1
            for j, v in enumerate(values):
                f = as_text if j in text_columns else None
                if v is None or v == "":
                    if f is not None:
                        ws.write_blank(r, j, None, f)
                elif isinstance(v, str):
                    self.text(ws, r, j, v, f)
                elif isinstance(v, bool):
                    ws.write_boolean(r, j, v, f)
                elif isinstance(v, int | float | Decimal):
                    ws.write_number(r, j, float(v), f)
                elif isinstance(v, dt.date):
                    ws.write_datetime(r, j, v, f or self.fmt(num_format=DATE_FORMAT))
                else:
                    self.text(ws, r, j, str(v), f)
            for j in text_columns:
                if j >= len(values):
                    ws.write_blank(r, j, None, as_text)
        for blank in range(r + 1, text_rows):
            for j in text_columns:
                ws.write_blank(blank, j, None, as_text)
        for j, listed in (choices or {}).items():
            ws.data_validation(
                1,
                j,
                choice_rows - 1,
                j,
                {"validate": "list", "source": listed.split(","), "ignore_blank": True},
            )
        ws.freeze_panes(1, 0)
        return ws

    def add_text_sheet(self, name: str, lines: Iterable[str], width: float) -> Worksheet:
        """A sheet of plain text lines in its first column (e.g. 填写说明)."""
        ws = self.add_sheet(name)
        ws.set_column_pixels(0, 0, column_pixels(width))
        for r, line in enumerate(lines):
            self.text(ws, r, 0, line)
        return ws


def _setup_page(ws: Worksheet, cols: Sequence[Col], plan: PrintPlan) -> None:
    for j, col in enumerate(cols):
        # the stored width equals col.width (as Excel shows it), in XlsxWriter's 7-pixel units
        ws.set_column_pixels(j, j, column_pixels(col.width))
    ws.freeze_panes(HEADER_ROW, 0)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    # the scale is chosen here, not by "fit to page" (which Excel and LibreOffice would each decide,
    # down to 4 pt for a wide ledger): the body prints at >= 8 pt and the pages can be planned
    ws.set_print_scale(plan.scale)
    if len(plan.groups) > 1:
        ws.repeat_columns(0, plan.keys - 1)
        ws.set_v_pagebreaks([g[0] for g in plan.groups[1:]])
        ws.print_across()  # a band of rows is read left page then right page
        ws.repeat_rows(HEADER_ROW - 1)
    else:
        ws.repeat_rows(HEADER_ROW - 1)
        ws.center_horizontally()
    ws.set_margins(**MARGIN_IN)
    ws.set_header("", {"margin": HEADER_FOOTER_IN})
    stamp = audit_stamp().replace("&", "&&")  # which state of the ledger: bottom left
    left = f"&L{stamp}" if stamp else ""
    ws.set_footer(f"{left}&C第 &P 页，共 &N 页", {"margin": HEADER_FOOTER_IN})


def _split(widths: Sequence[float], needs: Sequence[float]) -> list[tuple[int, int]] | None:
    """Cut the columns into ``len(needs)`` neighbouring runs, each at least as wide as its need and
    as near an equal share of the whole as can be; None when the columns are too few or too narrow."""
    n, k = len(widths), len(needs)
    if n < k:
        return None
    share = sum(widths) / k
    best: tuple[float, list[tuple[int, int]]] | None = None
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = (0, *cuts, n)
        runs = [(bounds[i], bounds[i + 1] - 1) for i in range(k)]
        sizes = [sum(widths[a : b + 1]) for a, b in runs]
        if any(size < need for size, need in zip(sizes, needs, strict=True)):
            continue
        score = sum((size - share) ** 2 for size in sizes)
        if best is None or score < best[0]:
            best = (score, runs)
    return best[1] if best else None


def _shift(runs: list[tuple[int, int]] | None, by: int) -> list[tuple[int, int]] | None:
    return None if runs is None else [(a + by, b + by) for a, b in runs]


def write_form_sheet(
    book: StreamWorkbook,
    ws: Worksheet,
    title: str,
    info: FormInfo,
    cols: Sequence[Col],
    rows: Iterable[Sequence[Any]],
    *,
    note: str = "",
) -> int:
    """Fill ``ws`` (a sheet of ``book``) as a printable form. Returns the number of data rows written.

    The title, the 填报单位 line, the note and the footer are merged over the columns of the first
    printed page, each wide enough for its text (wrapped and the row made higher when not); the
    footer is kept on a page with the last data rows (:func:`plan_pages`)."""
    n = len(cols)
    last = n - 1
    plan = print_plan(cols)
    _setup_page(ws, cols, plan)
    first_last = plan.first[1]  # the last column of the first printed page
    # on a form printed more than a page wide the key columns repeat on every page, with whatever
    # their cells hold: the 填报单位 line, the note and the footer start right of them
    lo = plan.keys if len(plan.groups) > 1 else 0
    widths = [c.width for c in cols]
    page_width = sum(widths[lo : first_last + 1])
    heights: list[float] = []  # every row's height, to plan where the pages end

    # title: 16 pt 黑体, 1.6 times the body's character width
    title_fmt = book.fmt(
        font_name="黑体", font_size=16, bold=True, align="center", valign="vcenter", text_wrap=True
    )
    t_lines = wrapped_lines(title, page_width / 1.6)
    heights.append(max(30.0, 22.0 * t_lines + 6))
    ws.set_row(0, heights[-1])
    book.merged_text(ws, 0, 0, first_last, title, title_fmt)

    unit = f"填报单位：{info.unit}"
    date = f"填报日期：{info.date.year}年{info.date.month}月{info.date.day}日"
    left = book.fmt(**_PLAIN, text_wrap=True)
    right = book.fmt(**_PLAIN, align="right")
    runs = _shift(
        _split(widths[lo : first_last + 1], [text_units(unit) + 1, text_units(date) + 1]), lo
    )
    if runs is None:  # too narrow for both on one line: the date under the unit
        lines = wrapped_lines(unit, page_width) + 1
    else:
        lines = wrapped_lines(unit, sum(widths[runs[0][0] : runs[0][1] + 1]))
    heights.append(wrapped_height(lines, 15))
    ws.set_row(1, heights[-1])
    if runs is None:
        book.merged_text(ws, 1, lo, first_last, f"{unit}\n{date}", left)
    else:
        book.merged_text(ws, 1, runs[0][0], runs[0][1], unit, left)
        book.merged_text(ws, 1, runs[1][0], runs[1][1], date, right)

    h = HEADER_ROW - 1
    hdr = book.fmt(
        font_name="宋体",
        font_size=11,
        bold=True,
        pattern=1,
        bg_color="#D9E1F2",
        align="center",
        valign="vcenter",
        text_wrap=True,
        **_BORDER,
    )
    h_lines = max(wrapped_lines(c.header, c.width / 1.15) for c in cols) if cols else 1
    heights.append(max(30.0, 15.0 * h_lines + 4))
    ws.set_row(h, heights[-1])
    for j, col in enumerate(cols):
        book.text(ws, h, j, col.header, hdr)

    count = _write_body(book, ws, cols, rows, first=HEADER_ROW, heights=heights)
    r = h + count  # 0-based index of the last data row
    if count:
        ws.autofilter(h, 0, r, last)
    foot = r + 2
    block: list[float] = [ROW_PT]  # the empty row between the table and the footer
    ws.set_row(r + 1, ROW_PT)
    ws.write_blank(
        r + 1, 0, None, book.fmt(**_PLAIN)
    )  # so that the row, and its height, is written
    if note:
        note_fmt = book.fmt(**{**_PLAIN, "valign": "top"}, text_wrap=True)
        block.append(wrapped_height(wrapped_lines(note, page_width), 15) + 2)
        ws.set_row(foot, block[-1])
        book.merged_text(ws, foot, lo, first_last, note, note_fmt)
        foot += 1
    texts = [f"填表人：{info.preparer}", f"审核人：{info.reviewer}", f"联系电话：{info.phone}"]
    plain = book.fmt(**_PLAIN)
    runs = _shift(_split(widths[lo : first_last + 1], [text_units(t) + 2 for t in texts]), lo)
    if runs is not None:
        ws.set_row(foot, 18)
        block.append(18)
        for (c1, c2), t in zip(runs, texts, strict=True):
            book.merged_text(ws, foot, c1, c2, t, plain)
    else:  # a narrow form: one line each
        for t in texts:
            lines = wrapped_lines(t, page_width)
            ws.set_row(foot, wrapped_height(lines, 15))
            block.append(wrapped_height(lines, 15))
            book.merged_text(ws, foot, lo, first_last, t, book.fmt(**_PLAIN, text_wrap=True))
            foot += 1
    breaks = plan_pages(heights, block, plan.scale, first_data=HEADER_ROW)
    if breaks:
        ws.set_h_pagebreaks(breaks)
    return count


MAX_BREAKS = 1000  # Excel keeps at most 1,026 manual page breaks a sheet
PAGE_SPARE = 0.97  # pages planned 3 % shorter than the printable height (programs round heights)


def page_starts(heights: Sequence[float], header: float, page: float) -> tuple[list[int], float]:
    """Lay ``heights`` out on pages of ``page`` points, whole rows, the header row repeated on
    every page after the first: the rows that start a page (after the first) and the height used
    on the last page."""
    starts: list[int] = []
    used, on_page = 0.0, 0
    for i, hgt in enumerate(heights):
        if used + hgt > page and on_page:
            starts.append(i)
            used, on_page = header, 0
        used += hgt
        on_page += 1
    return starts, used


def plan_pages(
    heights: Sequence[float], block: Sequence[float], scale: int, first_data: int
) -> list[int]:
    """The manual page breaks (0-based rows starting a page) of a form: every page as planned here
    on pages 3 % shorter than the printable height, so that Excel, WPS and LibreOffice, which fit
    a little more, break exactly there and nowhere else; and the footer block kept with the last
    rows (up to 3 of them, as many as fit with it, go over to a new page when it would stand
    alone). A sheet of more pages than Excel keeps breaks for gets the last break only."""
    _, page_mm = printable_mm()
    page = page_mm / 25.4 * 72 * 100 / scale * PAGE_SPARE
    header = heights[first_data - 1] if len(heights) >= first_data else 0.0
    starts, used = page_starts(heights, header, page)
    need = sum(block)
    last_start = starts[-1] if starts else first_data
    on_last = len(heights) - max(last_start, first_data)  # data rows on the last page
    if used + need > page and on_last > 1 and need <= page - header:
        room = page - header - need
        move = 1
        while move < min(3, on_last - 1) and sum(heights[-(move + 1) :]) <= room:
            move += 1
        starts.append(len(heights) - move)
    if len(starts) > MAX_BREAKS:
        return starts[-1:]
    return starts


def _optional_decimals(number_format: str | None) -> int:
    """Decimals of a format whose decimals are all optional ("#,##0.##" -> 2), else 0. Such a format
    shows 11 as "11." in Excel and WPS; each value gets a fixed format instead."""
    if not number_format:
        return 0
    m = re.fullmatch(r"([#,0]*0)\.(#+)", number_format)
    return len(m.group(2)) if m else 0


def _by_value(number_format: str, v: Any) -> str:
    """The fixed format for ``v`` in a column of optional decimals: an integer (or a whole count)
    without decimals, money (Decimal) with two, a measure with as few as it needs (at least one)."""
    m = re.fullmatch(r"([#,0]*0)\.(#+)", number_format)
    assert m is not None
    whole, most = m.group(1), len(m.group(2))
    if isinstance(v, int):
        return whole
    if isinstance(v, Decimal):  # money: always with its fen
        return f"{whole}.{'0' * max(2, most)}"
    x = float(v)
    for d in range(1, most + 1):
        if round(x, d) == round(x, most):
            return f"{whole}.{'0' * d}"
    return f"{whole}.{'0' * most}"


def _write_body(
    book: StreamWorkbook,
    ws: Worksheet,
    cols: Sequence[Col],
    rows: Iterable[Sequence[Any]],
    first: int,
    heights: list[float],
) -> int:
    """The data rows from 0-based row ``first``: every cell bordered, numbers/dates keep their type, a text
    stays text whatever it starts with (no formula from user data); a text wider than its column
    wraps and its row is made high enough for its lines. Every row's height is set (and appended
    to ``heights``) so that the printed pages can be planned."""
    n = len(cols)
    widths = [c.width for c in cols]
    caps = [max(1.0, w - 1) for w in widths]
    serial = [c.header == "序号" for c in cols]
    text = book.body()
    wrap = book.body(wrap=True)
    # dates centred: right-aligned they fill a date column and run into the text beside them
    date_fmt = book.body(number_format=DATE_FORMAT, align="center")
    datetime_fmt = book.body(number_format=DATETIME_FORMAT, align="center")
    optional = [_optional_decimals(c.number_format) for c in cols]
    # numbers and empty cells: a 序号 and a count (a column of whole numbers) centred, so that they
    # do not run into a text beside them; measures and amounts right-aligned
    numeric = [
        book.body(number_format="0", align="center")
        if serial[j]
        else book.body(number_format=c.number_format, align="center")
        if c.number_format in _WHOLE
        else book.body(number_format=c.number_format)
        for j, c in enumerate(cols)
    ]
    serial_text = book.body(align="center")
    write_number, write_blank = ws.write_number, ws.write_blank
    put = book.text
    r = first - 1
    for values in rows:
        r += 1
        lines = 1
        for j, v in enumerate(values):
            if j == n:
                break
            t = type(v)
            if t is str:
                if not v:  # an empty cell (with its border), not an empty text
                    write_blank(r, j, None, text)
                elif (len(v) * NARROW if v.isascii() else text_units(v)) > caps[j]:
                    put(ws, r, j, v, wrap)
                    lines = max(lines, wrapped_lines(v, widths[j]))
                else:
                    put(ws, r, j, v, serial_text if serial[j] else text)
            elif t is int or t is float:
                if optional[j]:
                    write_number(
                        r, j, v, book.body(number_format=_by_value(cols[j].number_format or "", v))
                    )
                else:
                    write_number(r, j, v, numeric[j])
            elif v is None:
                write_blank(r, j, None, numeric[j])
            else:
                lines = max(
                    lines,
                    _write_other(
                        book,
                        ws,
                        r,
                        j,
                        v,
                        n,
                        widths[j],
                        numeric[j],
                        text,
                        wrap,
                        date_fmt,
                        datetime_fmt,
                        cols[j].number_format if optional[j] else None,
                    ),
                )
        # the row is still open (constant-memory mode writes it at the next one)
        hgt = wrapped_height(lines)
        ws.set_row(r, hgt)
        heights.append(hgt)
    return r - first + 1


def _write_other(
    book: StreamWorkbook,
    ws: Worksheet,
    r: int,
    j: int,
    v: Any,
    n: int,
    width: float,
    num: Format,
    text: Format,
    wrap: Format,
    date_fmt: Format,
    datetime_fmt: Format,
    by_value: str | None,
) -> int:
    """Write a value of a less common type; returns the lines it takes."""
    if isinstance(v, bool):
        v = "是" if v else "否"
    elif isinstance(v, Decimal):
        if by_value:
            num = book.body(number_format=_by_value(by_value, v))
        v = float(v)
    if isinstance(v, Formatted):
        inner = float(v.value) if isinstance(v.value, Decimal) else v.value
        num = book.body(number_format=v.number_format)
        date_fmt = datetime_fmt = num
        v = inner
    if isinstance(v, Section):
        # the right edge closes the table's outline, as the bordered cells under the merge did before
        f = book.fmt(
            font_name="宋体", font_size=10, bold=True, align="left", right=1, right_color="#000000"
        )
        book.merged_text(ws, r, j, n - 1, v.text, f)
    elif isinstance(v, str):
        s = str(v)
        if not s:
            ws.write_blank(r, j, None, text)
        elif text_units(s) > max(1.0, width - 1):
            book.text(ws, r, j, s, wrap)
            return wrapped_lines(s, width)
        else:
            book.text(ws, r, j, s, text)
    elif isinstance(v, int | float):
        ws.write_number(r, j, v, num)
    elif isinstance(v, dt.datetime):
        ws.write_datetime(r, j, v, datetime_fmt)
    elif isinstance(v, dt.date):
        ws.write_datetime(r, j, v, date_fmt)
    elif v is None:
        ws.write_blank(r, j, None, num)
    else:  # anything else is shown as its text, through the one text writer
        s = str(v)
        book.text(ws, r, j, s, wrap if text_units(s) > max(1.0, width - 1) else text)
        return wrapped_lines(s, width)
    return 1
