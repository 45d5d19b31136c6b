"""The form layout of :mod:`brigade_desk.core.forms.xlsxform`, for big sheets, streamed with XlsxWriter.

Same merged title, 填报单位/填报日期 line, styled header (frozen, repeated on every printed page),
bordered body, 填表人/审核人/联系电话 footer, A4 landscape fit to width and formula-safe cells — but
written row by row in XlsxWriter's constant-memory mode: memory stays flat for tens of thousands of
rows, and a styled cell costs about what a bare value costs in openpyxl's write-only mode (openpyxl
creates, type-checks and hashes a styled cell object per cell, several times slower; see PITFALLS).

    with StreamWorkbook(out) as wb:
        wb.add_form_sheet("音像记录", title, info, cols, rows, note=...)

The file appears at ``out`` whole when the block ends without an error, and not at all otherwise
(e.g. when a progress callback cancels): temporary files are removed either way.
"""

from __future__ import annotations

import datetime as dt
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
from brigade_desk.core.forms.xlsxform import DATE_FORMAT, Col, FormInfo

DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
WRAP_OVER = 12  # texts longer than this wrap in their cell (as in xlsxform)
HEADER_ROW = 3  # 1-based: title, 填报单位 line, header

_BORDER = {"border": 1, "border_color": "#000000"}
_BODY = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", **_BORDER}


@dataclass(frozen=True)
class Section:
    """A bold caption inside the data, merged from its column to the last one (e.g. 以下为…)."""

    text: str


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
        return self.wb.add_worksheet(name)

    def add_form_sheet(
        self,
        name: str,
        title: str,
        info: FormInfo,
        cols: Sequence[Col],
        rows: Iterable[Sequence[Any]],
        *,
        note: str = "",
    ) -> int:
        """A new sheet filled as a printable form. Returns the number of data rows written."""
        return write_form_sheet_stream(
            self, self.add_sheet(name), title, info, cols, rows, note=note
        )


def _setup_page(ws: Worksheet, cols: Sequence[Col]) -> None:
    for j, col in enumerate(cols):
        # the stored width equals col.width (as openpyxl stores it), in XlsxWriter's 7-pixel units
        ws.set_column_pixels(j, j, round(col.width * 7))
    ws.freeze_panes(HEADER_ROW, 0)
    ws.repeat_rows(HEADER_ROW - 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=1, bottom=1)
    ws.set_header("", {"margin": 0.5})
    ws.set_footer("&C第 &P 页，共 &N 页", {"margin": 0.5})


def write_form_sheet_stream(
    book: StreamWorkbook,
    ws: Worksheet,
    title: str,
    info: FormInfo,
    cols: Sequence[Col],
    rows: Iterable[Sequence[Any]],
    *,
    note: str = "",
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
        if n > 1:
            ws.merge_range(foot, 0, foot, last, note, book.fmt())
        else:
            ws.write_string(foot, 0, note)
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
    stays text whatever it starts with (no formula from user data)."""
    n = len(cols)
    text = book.body()
    wrap = book.body(wrap=True)
    date_fmt = book.body(number_format=DATE_FORMAT)
    datetime_fmt = book.body(number_format=DATETIME_FORMAT)
    numeric = [book.body(number_format=c.number_format) for c in cols]  # numbers and empty cells
    write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
    r = first - 1
    for values in rows:
        r += 1
        for j, v in enumerate(values):
            if j == n:
                break
            t = type(v)
            if t is str:
                if v:
                    write_string(r, j, v, wrap if len(v) > WRAP_OVER else text)
                else:  # an empty cell (with its border), not an empty text
                    write_blank(r, j, None, text)
            elif t is int or t is float:
                write_number(r, j, v, numeric[j])
            elif v is None:
                write_blank(r, j, None, numeric[j])
            else:
                _write_other(book, ws, r, j, v, n, numeric[j], text, wrap, date_fmt, datetime_fmt)
    return r - first + 1


def _write_other(
    book: StreamWorkbook,
    ws: Worksheet,
    r: int,
    j: int,
    v: Any,
    n: int,
    num: Format,
    text: Format,
    wrap: Format,
    date_fmt: Format,
    datetime_fmt: Format,
) -> None:
    if isinstance(v, bool):
        v = "是" if v else "否"
    elif isinstance(v, Decimal):
        v = float(v)
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
        ws.write_string(r, j, s, wrap if len(s) > WRAP_OVER else text)
    elif isinstance(v, int | float):
        ws.write_number(r, j, v, num)
    elif isinstance(v, dt.datetime):
        ws.write_datetime(r, j, v, datetime_fmt)
    elif isinstance(v, dt.date):
        ws.write_datetime(r, j, v, date_fmt)
    else:
        ws.write(r, j, v, num)
