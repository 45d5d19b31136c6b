"""The layout of a Chinese government spreadsheet, shared by every generated form; the one engine.

Merged title row, a 填报单位 / 填报日期 line, the header row (frozen, repeated on every printed page),
the bordered data, and a 填表人 / 审核人 / 联系电话 footer; A4 landscape fitted to the page width.
Numbers stay numbers and dates stay dates; a text stays text whatever it starts with (``= + - @``),
so that no cell ever becomes a formula from user data.

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

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
WRAP_OVER = 12  # texts longer than this wrap in their cell
HEADER_ROW = 3  # 1-based: title, 填报单位 line, header

_BORDER = {"border": 1, "border_color": "#000000"}
_BODY = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", **_BORDER}


@dataclass(frozen=True)
class Col:
    """A column of a form: its header, width (in characters, as Excel shows it) and number format."""

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


def wrapped_lines(text: str, width: float) -> int:
    """Lines a text takes in a column of ``width`` characters (a CJK character counts two). Counted
    with a regular expression, not per character in Python: the AV sheet has thousands of paths."""
    per_line = max(1.0, width - 1)
    if "\n" not in text:  # the usual case: one paragraph
        n = len(text) if text.isascii() else len(text) + len(_WIDE.findall(text))
        return max(1, math.ceil(n / per_line))
    return sum(wrapped_lines(part, width) for part in text.split("\n"))


def wrapped_height(lines: int) -> float:
    """Row height for ``lines`` wrapped lines of body text (neither Excel nor LibreOffice grows a row
    for wrapped text on opening)."""
    return 13.5 * lines + 2


def column_pixels(width: float) -> int:
    """XlsxWriter pixels for a column whose stored width is ``width`` characters."""
    return round(width * 7)


class StreamWorkbook:
    """An XlsxWriter workbook in constant-memory mode, saved atomically to ``out`` on leaving the block."""

    def __init__(self, out: Path | str) -> None:
        self.out = Path(out)
        self._atomic = atomic_path(self.out)
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._formats: dict[tuple[Any, ...], Format] = {}
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
            },
        )
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        try:
            if et is None:
                assert self.wb is not None
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
        return f

    def body(self, wrap: bool = False, number_format: str | None = None) -> Format:
        props: dict[str, Any] = dict(_BODY)
        if wrap:
            props["text_wrap"] = True
        if number_format:
            props["num_format"] = number_format
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
        wrap_note: bool = False,
    ) -> int:
        """A new sheet filled as a printable form. Returns the number of data rows written.

        ``wrap_note``: a long note wraps inside its merged row (top-aligned, the row made high
        enough) instead of running past the printed page."""
        return write_form_sheet(
            self, self.add_sheet(name), title, info, cols, rows, note=note, wrap_note=wrap_note
        )

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
            ws.write_string(0, j, h, bold)
        r = 0
        for values in rows:
            r += 1
            for j, v in enumerate(values):
                f = as_text if j in text_columns else None
                if v is None or v == "":
                    if f is not None:
                        ws.write_blank(r, j, None, f)
                elif isinstance(v, str):
                    ws.write_string(r, j, v, f)
                else:
                    ws.write(r, j, v, f)
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
            ws.write_string(r, 0, line)
        return ws


def _setup_page(ws: Worksheet, cols: Sequence[Col]) -> None:
    for j, col in enumerate(cols):
        # the stored width equals col.width (as Excel shows it), in XlsxWriter's 7-pixel units
        ws.set_column_pixels(j, j, column_pixels(col.width))
    ws.freeze_panes(HEADER_ROW, 0)
    ws.repeat_rows(HEADER_ROW - 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=1, bottom=1)
    ws.set_header("", {"margin": 0.5})
    ws.set_footer("&C第 &P 页，共 &N 页", {"margin": 0.5})


def write_form_sheet(
    book: StreamWorkbook,
    ws: Worksheet,
    title: str,
    info: FormInfo,
    cols: Sequence[Col],
    rows: Iterable[Sequence[Any]],
    *,
    note: str = "",
    wrap_note: bool = False,
) -> int:
    """Fill ``ws`` (a sheet of ``book``) as a printable form. Returns the number of data rows written."""
    n = len(cols)
    last = n - 1
    _setup_page(ws, cols)

    ws.set_row(0, 30)
    title_fmt = book.fmt(
        font_name="黑体", font_size=16, bold=True, align="center", valign="vcenter"
    )
    if n > 1:
        ws.merge_range(0, 0, 0, last, title, title_fmt)
    else:
        ws.write_string(0, 0, title, title_fmt)
    half = max(1, n // 2)
    unit = f"填报单位：{info.unit}"
    date = f"填报日期：{info.date.year}年{info.date.month}月{info.date.day}日"
    if n > half:
        plain = book.fmt()
        if half > 1:
            ws.merge_range(1, 0, 1, half - 1, unit, plain)
        else:
            ws.write_string(1, 0, unit)
        right = book.fmt(align="right")
        if n - half > 1:
            ws.merge_range(1, half, 1, last, date, right)
        else:
            ws.write_string(1, half, date, right)
    else:
        ws.write_string(1, 0, unit)

    h = HEADER_ROW - 1
    ws.set_row(h, 30)
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
    for j, col in enumerate(cols):
        ws.write_string(h, j, col.header, hdr)

    count = _write_body(book, ws, cols, rows, first=HEADER_ROW)
    r = h + count  # 0-based index of the last data row
    if count:
        ws.autofilter(h, 0, r, last)
    foot = r + 2
    if note:
        note_fmt = book.fmt(text_wrap=True, valign="top") if wrap_note else book.fmt()
        if wrap_note:
            per_line = sum(c.width for c in cols) / 2.1
            ws.set_row(foot, 15 * (math.ceil(len(note) / per_line) + 1))
        if n > 1:
            ws.merge_range(foot, 0, foot, last, note, note_fmt)
        else:
            ws.write_string(foot, 0, note, note_fmt)
        foot += 1
    third = max(1, n // 3)
    for col_idx, txt in (
        (0, f"填表人：{info.preparer}"),
        (third, f"审核人：{info.reviewer}"),
        (2 * third, f"联系电话：{info.phone}"),
    ):
        if col_idx < n:
            ws.write_string(foot, col_idx, txt)
    return count


def _write_body(
    book: StreamWorkbook,
    ws: Worksheet,
    cols: Sequence[Col],
    rows: Iterable[Sequence[Any]],
    first: int,
) -> int:
    """The data rows from 0-based row ``first``: every cell bordered, numbers/dates keep their type, a text
    stays text whatever it starts with (no formula from user data); a row with a wrapped text is made
    high enough for its lines."""
    n = len(cols)
    widths = [c.width for c in cols]
    text = book.body()
    wrap = book.body(wrap=True)
    date_fmt = book.body(number_format=DATE_FORMAT)
    datetime_fmt = book.body(number_format=DATETIME_FORMAT)
    numeric = [book.body(number_format=c.number_format) for c in cols]  # numbers and empty cells
    write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
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
                elif len(v) > WRAP_OVER:
                    write_string(r, j, v, wrap)
                    lines = max(lines, wrapped_lines(v, widths[j]))
                else:
                    write_string(r, j, v, text)
            elif t is int or t is float:
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
                    ),
                )
        if lines > 1:  # the row is still open (constant-memory mode writes it at the next one)
            ws.set_row(r, wrapped_height(lines))
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
) -> int:
    """Write a value of a less common type; returns the lines it takes."""
    if isinstance(v, bool):
        v = "是" if v else "否"
    elif isinstance(v, Decimal):
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
        if j < n - 1:
            ws.merge_range(r, j, r, n - 1, v.text, f)
        else:
            ws.write_string(r, j, v.text, f)
    elif isinstance(v, str):
        s = str(v)
        if not s:
            ws.write_blank(r, j, None, text)
        elif len(s) > WRAP_OVER:
            ws.write_string(r, j, s, wrap)
            return wrapped_lines(s, width)
        else:
            ws.write_string(r, j, s, text)
    elif isinstance(v, int | float):
        ws.write_number(r, j, v, num)
    elif isinstance(v, dt.datetime):
        ws.write_datetime(r, j, v, datetime_fmt)
    elif isinstance(v, dt.date):
        ws.write_datetime(r, j, v, date_fmt)
    elif v is None:
        ws.write_blank(r, j, None, num)
    else:
        ws.write(r, j, v, num)
    return 1
