"""What every format of the file layer shares: the caps on what one import may hold (issue 15)
and the tally that counts them while a sheet is read, the magic numbers and date epochs, the
:class:`Sheet` / :class:`Book` protocols with their base classes, and the messages' helpers.

The formats are in :mod:`.xlsx`, :mod:`.calamine_books` and :mod:`.csvbook`; what a file is and
its rows are :mod:`.books`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from brigade_desk.core.errors import UserError

CFB_MAGIC = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: .xls, .et or an encrypted .xlsx
)
ZIP_MAGIC = b"PK\x03\x04"
MAX_SHOWN = 40  # characters of a cell's value quoted back in a message
MAX_FILE_BYTES = 200 * 1024 * 1024  # a clerk's workbook is a few MB; photos make tens
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # what the parts add up to once unzipped (zip bombs)

# ---- what one import may hold (issue 15) ---------------------------------------------------------
# An import keeps every row of a file (the importers check the whole file before writing anything),
# so these bound its memory and time. Measured (benchmarks/import_resources.py, one process per
# import, peak RSS): 20,000 rows × 15 columns take 135–165 MB and 1.4–2.8 s in every format, 59,000
# rows 270 MB; 99,800 rows took 410–425 MB in the staff and case importers (~3.5 KB a row), hence
# the row cap of 60,000, with room under the 500 MB target; a file at the text cap took 190 MB.
MAX_ROWS = 1_048_576  # Excel's grid: a row number beyond it is not from Excel
MAX_COLS = 16_384  # column XFD
MAX_FILE_ROWS = 60_000  # rows holding anything, all sheets of a file together
MAX_FILE_CELLS = 2_000_000  # cells from column A to each row's last value, all sheets together
MAX_SHEET_CELLS = 2_000_000  # the same for one sheet (for .xls/.ods: its used rectangle)
MAX_FILE_TEXT = 50_000_000  # characters of text in all cells (each cell counted where it is used)
MAX_CELL_TEXT = 1_000_000  # one cell as read (Excel's own 32,767 is the importers' message)
MAX_XML_TOKEN = 4 * 1024 * 1024  # bytes of one tag, comment or run of text in a file's XML
# XML elements (or .xls records, or CSV lines) gone through for one file, holding data or not: what
# the time of reading follows (200 MB of empty <c/> zip to nothing); about 1 µs each. 60,000 rows of
# 15 cells are under 3 million.
MAX_FILE_ELEMENTS = 10_000_000
MAX_XML_DEPTH = 200  # nesting of XML elements
MAX_SHEETS = 1_000  # worksheets listed in one workbook
MAX_CSV_RECORD = 4_000_000  # characters of one CSV record (a line, or lines joined by quotes)
_CHUNK = 64 * 1024  # bytes of XML parsed at a time


def shown(v: object, limit: int = MAX_SHOWN) -> str:
    """A cell's text as quoted in a message: one line, cut to ``limit`` characters."""
    s = " ".join(str(v).split())
    return s if len(s) <= limit else s[:limit] + f"…（共 {len(s)} 字）"


def describe_read_error(exc: OSError, p: Path) -> str:
    """A Chinese sentence for an OS error while reading an input file."""
    import errno

    code = getattr(exc, "errno", None)
    winerror = getattr(exc, "winerror", None)
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
        return f"文件 {p} 已不存在（可能已被移动、改名或删除，或 U 盘已拔出）。请重新选择文件。"
    if isinstance(exc, IsADirectoryError):
        return f"{p} 是文件夹，请选择一个表格文件（.xlsx、.xls、.et、.ods 或 .csv）。"
    if winerror in (32, 33):  # sharing / lock violation: open in Excel or WPS
        return f"文件 {p.name} 正被其他程序（如 Excel、WPS）占用，无法读取。请关闭该文件后重试。"
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return (
            f"没有权限读取文件 {p.name}（文件可能正被 Excel、WPS 等程序占用，或没有读取权限）。"
            "请关闭该文件后重试，或把它复制到桌面再导入。"
        )
    return (
        f"读取文件 {p.name} 时出错：{exc.strerror or exc}。请确认文件所在的磁盘或网络位置可以访问。"
    )


def _why(exc: BaseException) -> str:
    return shown(type(exc).__name__ + ": " + str(exc), 80)


def _wan(n: int) -> str:
    """A count in 万 as a clerk reads it: 2000000 -> "200 万"."""
    return f"{n / 10000:g} 万"


class _Hostile(Exception):
    """Content no office program writes, refused before it costs memory; the message (Chinese) says
    what was found and is completed with the file and sheet by whoever catches it."""


class Sheet(Protocol):
    """What the importers use of a worksheet (every sheet :func:`open_workbook` returns is one)."""

    @property
    def title(self) -> str: ...

    def iter_rows(
        self, *, max_row: int | None = None, values_only: bool = True
    ) -> Iterable[Sequence[Any]]: ...


class Book(Protocol):
    @property
    def worksheets(self) -> Sequence[Sheet]: ...

    def close(self) -> None: ...


# ---- the caps, counted while a sheet is read -------------------------------------------------------


class _Tally:
    """What the sheets of one file hold, against the per-file caps. A sheet's figures are those of
    its last complete read, so reading a sheet twice does not count it twice."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.base_text = 0  # text held for the whole file (an .xlsx's shared strings)
        self.base_elements = 0  # XML elements of the parts read for the whole file
        self.done: dict[str, tuple[int, int, int, int]] = {}

    def count(self, title: str) -> _Count:
        return _Count(self, title)

    def element(self) -> None:
        """Count one XML element of a part read for the whole file."""
        self.base_elements += 1
        if self.base_elements > MAX_FILE_ELEMENTS:
            raise _too_many_elements(self.name, "")

    def add_text(self, n: int, what: str) -> None:
        self.base_text += n
        if self.base_text > MAX_FILE_TEXT:
            raise UserError(
                f"{self.name} 的{what}中的文字超过 {_wan(MAX_FILE_TEXT)}字，远超一份台账的大小，"
                "文件可能已损坏。请在 Excel 中打开，删去不需要的内容后另存再导入。"
            )


class _Count:
    """One read of one sheet: rows, cells (from column A to each row's last value) and characters."""

    __slots__ = (
        "tally",
        "title",
        "rows",
        "cells",
        "text",
        "elements",
        "max_rows",
        "max_cells",
        "max_text",
        "max_elements",
    )

    def __init__(self, tally: _Tally, title: str) -> None:
        self.tally = tally
        self.title = title
        self.rows = self.cells = self.text = self.elements = 0
        others = [v for k, v in tally.done.items() if k != title]
        self.max_rows = MAX_FILE_ROWS - sum(v[0] for v in others)
        self.max_cells = min(MAX_SHEET_CELLS, MAX_FILE_CELLS - sum(v[1] for v in others))
        self.max_text = MAX_FILE_TEXT - tally.base_text - sum(v[2] for v in others)
        self.max_elements = MAX_FILE_ELEMENTS - tally.base_elements - sum(v[3] for v in others)

    def row(self, width: int, text: int) -> None:
        """Count one row holding something; refuse the file when a cap is passed."""
        self.rows += 1
        self.cells += width
        self.text += text
        if self.rows > self.max_rows or self.cells > self.max_cells or self.text > self.max_text:
            self.refuse()

    def refuse(self) -> None:
        where = f"{self.tally.name} 的工作表「{self.title}」"
        if self.rows > self.max_rows:
            raise UserError(
                f"{where}：有数据的行超过 {_wan(MAX_FILE_ROWS)}行（整个文件合计），超出一次导入的上限。"
                "请按年度或单位把表格拆成几个文件，分别导入。"
            )
        if self.cells > self.max_cells:
            sheet_cap = self.max_cells == MAX_SHEET_CELLS
            cap, whole = (MAX_SHEET_CELLS, "") if sheet_cap else (MAX_FILE_CELLS, "，整个文件合计")
            raise UserError(
                f"{where}：单元格超过 {_wan(cap)}个（从 A 列算到每行最后一个有内容的单元格{whole}），"
                "远超一份台账的大小，可能在很远的列里有内容或有大量空白格式。"
                "请删去多余的行列，或把表格拆成几个文件后再导入。"
            )
        raise UserError(
            f"{where}：单元格中的文字超过 {_wan(MAX_FILE_TEXT)}字（整个文件合计），远超一份台账的大小。"
            "请删去不需要的长文本，或把表格拆成几个文件后再导入。"
        )

    def done(self) -> None:
        self.tally.done[self.title] = (self.rows, self.cells, self.text, self.elements)

    def too_many_elements(self) -> UserError:
        return _too_many_elements(self.tally.name, self.title)


def _too_many_elements(name: str, sheet: str) -> UserError:
    where = f"{name} 的工作表「{sheet}」" if sheet else f"{name} "
    return UserError(
        f"{where}中的 XML 元素超过 {_wan(MAX_FILE_ELEMENTS)}个（大量空白单元格、空行或格式），"
        "远超一份台账的大小，文件可能已损坏。请在 Excel 中打开，删去多余的行列后另存再导入。"
    )


def _trim(values: Iterable[Any]) -> list[Any]:
    out = list(values)
    while out and (out[-1] is None or (isinstance(out[-1], str) and not out[-1].strip())):
        out.pop()
    return out


def _text_len(cells: list[Any]) -> int:
    return sum(len(v) for v in cells if type(v) is str)


class _Sheet:
    """A sheet of any format: rows with their Excel row numbers, produced by ``_rows``."""

    def __init__(self, tally: _Tally, title: str, state: str = "visible") -> None:
        self._tally = tally
        self._title = title
        self.sheet_state = state

    @property
    def title(self) -> str:
        return self._title

    def _rows(self, count: _Count, limit: int | None) -> Iterator[tuple[int, list[Any]]]:
        """(Excel row number, cells from column A, blank ones at the end left off) for each row
        holding anything, each counted in ``count``; ``limit`` rows are enough when given."""
        raise NotImplementedError

    def iter_rows(
        self, *, max_row: int | None = None, values_only: bool = True
    ) -> Iterator[tuple[Any, ...]]:
        """Rows from row 1 as openpyxl gives them, a blank row as an empty tuple (for callers of the
        Sheet protocol; the importers use :func:`read_sheet`)."""
        n = 0
        for r, cells in self._rows(self._tally.count(self.title), None):
            if max_row is not None and r > max_row:
                break
            while n + 1 < r:
                n += 1
                yield ()
            n = r
            yield tuple(cells)


class _Book:
    def __init__(
        self,
        sheets: list[_Sheet],
        on_close: Callable[[], None] | None = None,
        epoch: dt.datetime | None = None,
    ) -> None:
        self._sheets = sheets
        self._on_close = on_close
        self.epoch = epoch or dt.datetime(1899, 12, 30)

    @property
    def worksheets(self) -> Sequence[Sheet]:
        return self._sheets

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
            self._on_close = None


CSV_SUFFIXES = (".csv", ".txt")
# what the import dialog offers and the main window accepts when dropped
IMPORT_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".ods", ".csv")
IMPORT_FILTER = (
    "表格文件 (*.xlsx *.xlsm *.xls *.et *.ods *.csv);;Excel 工作簿 (*.xlsx *.xlsm);;"
    "旧版 Excel / WPS 表格 (*.xls *.et);;ODS 表格 (*.ods);;CSV 文本 (*.csv);;所有文件 (*)"
)
SAVE_AS = "请在 Excel 或 WPS 中打开后“另存为” Excel 工作簿（.xlsx），再导入。"


# One sheet's rows as the importers see them: (Excel row number, the cells from column A with the
# blank cells at the end left off). Blank rows are left out, so the rows stand for the cells that
# really hold data, never for a declared size or a far-away row number.
SparseRows = list[tuple[int, list[Any]]]


EXCEL_EPOCH = dt.date(1899, 12, 30)
MAC_EPOCH = dt.date(1904, 1, 1)
