"""The file layer under every importer: what a file really is (by its bytes, never its name) and
its sheets' rows, whatever wrote it.

- .xlsx/.xlsm: the sheet XML is streamed here (expat), row by row with the row numbers the file
  gives, so a declared ``<dimension>``, a far-away cell or a row numbered in the billions costs
  nothing; values are what openpyxl's read-only, data-only mode gives (dates by the cell's number
  format and the workbook's epoch, numbers, text, booleans, error strings such as ``#REF!``).
- .xls and WPS .et (BIFF8 in an OLE compound file) and .ods: python-calamine, which builds a dense
  rectangle of every sheet when the file is opened. The file is checked first and calamine is only
  given a copy rebuilt from what was checked: for .xls a fresh compound file holding the workbook
  stream (formulas' token lists dropped: only their results are read); for .ods the mimetype and
  content.xml, whose repeated rows and cells are counted the way calamine expands them.
- .csv (UTF-8 with or without BOM, UTF-16 with BOM, else GB18030, which covers GBK) with the csv
  module. :func:`open_workbook` hands back a :class:`Book` of :class:`Sheet` s whichever it was.
- Memory and time follow the cells that really hold data (issue 15): caps on rows, cells and text
  per file (:data:`MAX_FILE_ROWS`, :data:`MAX_FILE_CELLS`, :data:`MAX_FILE_TEXT`), on Excel's grid
  (:data:`MAX_ROWS` × :data:`MAX_COLS`) and on any one XML token, each refused with a message.
- Every way a file can fail to be read is a :class:`~brigade_desk.core.errors.UserError` in Chinese
  naming the file (and the sheet, where there is one).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import struct
import threading
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import IO, Any, Protocol

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


def _cfb_kind(data: bytes) -> str:
    """What an OLE compound file holds: "encrypted" (a password-protected .xlsx), "xls" (also WPS
    .et, which is BIFF8 too), "doc", or ""."""
    if (
        "EncryptedPackage".encode("utf-16-le") in data
        or "EncryptionInfo".encode("utf-16-le") in data
    ):
        return "encrypted"
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "xls"
    if "WordDocument".encode("utf-16-le") in data:
        return "doc"
    return ""


def _sniff(p: Path, data: bytes) -> str:
    """What the file is by its bytes: "cfb", "zip" or "csv"; a clear refusal for anything else."""
    name = p.name
    if not data:
        raise UserError(
            f"{name} 是空文件（0 字节），可能没有保存完整或下载中断。请重新获取该文件。"
        )
    if data.startswith(CFB_MAGIC):
        kind = _cfb_kind(data)
        if kind == "encrypted":
            raise UserError(
                f"{name} 设置了打开密码（已加密），无法读取。请在 Excel 中输入密码打开，"
                "在“文件 → 信息 → 保护工作簿 → 用密码进行加密”中清除密码并保存，再导入。"
            )
        if kind == "doc":
            raise UserError(f"{name} 是 Word 文档，不是表格。请选择 Excel/WPS 表格文件。")
        return "cfb"
    if data.startswith(ZIP_MAGIC):
        return "zip"
    head = data[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        what = "它是 PDF 文件"
    elif head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")):
        what = "它是网页（HTML/XML）文件，常见于业务系统导出的“假 Excel”"
    elif p.suffix.lower() in CSV_SUFFIXES:
        return "csv"
    else:
        what = "可能是 .csv、文本或其他格式改了扩展名，或文件已损坏"
    raise UserError(f"{name} 不是有效的 Excel（.xlsx）文件（{what}）。" + SAVE_AS)


def _zip_kind(zf: zipfile.ZipFile) -> str:
    names = set(zf.namelist())
    if "xl/workbook.xml" in names or any(n.lower().endswith("workbook.xml") for n in names):
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "content.xml" in names and "mimetype" in names:
        try:
            info = zf.getinfo("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else None
            # (a manifest lists a few files: a huge one is not read, and calamine gets a new one)
            manifest = zf.read(info) if info is not None and info.file_size < 1 << 20 else b""
        except Exception:  # noqa: BLE001 - a broken manifest: calamine says what it can
            manifest = b""
        return "ods-encrypted" if b"encryption-data" in manifest else "ods"
    return ""


def _read_bytes(p: Path) -> bytes:
    try:
        if p.is_dir():
            raise UserError(f"{p} 是文件夹，请选择一个表格文件（.xlsx、.xls、.et、.ods 或 .csv）。")
        if not p.exists():
            raise UserError(f"找不到文件：{p}（可能已被移动、改名或删除）。请重新选择文件。")
        if not p.is_file():  # a FIFO, socket or device: reading it could block forever
            raise UserError(f"{p.name} 不是普通文件（可能是管道或设备），请选择一个表格文件。")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UserError(
                f"{p.name} 太大（{size / 1024 / 1024:.0f} MB），不像是一份台账表格。"
                "请确认是否选错了文件，或删去表中的图片后另存再导入。"
            )
        with open(p, "rb") as fh:  # read(n) sets n bytes aside first: ask for what is there
            data = fh.read(min(size, MAX_FILE_BYTES) + 1)
            if len(data) > size:  # it grew since (a download still being written)
                data += fh.read(MAX_FILE_BYTES + 1 - len(data))
            return data
    except OSError as exc:
        raise UserError(describe_read_error(exc, p)) from exc


def open_workbook(path: Path) -> Book:
    """Open a spreadsheet with data values; a clear message for every way it can fail.

    The file is read into memory first, so it is judged by its content (an .xlsx named .xls or
    without a suffix still opens, a WPS .et opens as what it really is) and is not held open while
    the rows are read.
    """
    p = Path(path)
    data = _read_bytes(p)
    kind = _sniff(p, data)
    name = p.name
    if kind == "cfb":
        return _open_xls(p, data, "xls" if _cfb_kind(data) == "xls" else "")
    if kind == "csv":
        return _open_csv(p, data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        zkind = _zip_kind(zf)
        unpacked = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise UserError(
            f"无法读取 {name}：文件已损坏（压缩包不完整，可能没有保存完整或下载中断）。请重新获取该文件。"
        ) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise UserError(
            f"{name} 解压后有 {unpacked / 1024 / 1024:.0f} MB，远超一份台账的大小，可能已损坏或不是正常的表格。"
            "请在 Excel 中打开后另存再导入。"
        )
    if zkind == "xlsb":
        raise UserError(
            f"{name} 是 Excel 二进制工作簿（.xlsb），无法读取。请在 Excel 中“另存为” Excel 工作簿（.xlsx）。"
        )
    if zkind == "docx":
        raise UserError(f"{name} 是 Word 文档，不是 Excel 工作簿。请选择 .xlsx 文件。")
    if zkind == "pptx":
        raise UserError(f"{name} 是 PowerPoint 演示文稿，不是 Excel 工作簿。请选择 .xlsx 文件。")
    if zkind == "ods-encrypted":
        raise UserError(
            f"{name} 设置了打开密码（已加密），无法读取。请在 WPS 或 LibreOffice 中输入密码打开，"
            "取消密码后保存，再导入。"
        )
    if zkind == "ods":
        return _open_ods(p, zf)
    if zkind != "xlsx":
        raise UserError(f"{name} 是压缩文件，但不是 Excel 工作簿（.xlsx）。请选择正确的文件。")
    book = _open_xlsx(p, zf)
    if isinstance(book, _XlsxBook):
        book.data = data  # for the fast reader of plain sheets (see _plain_sheet)
    return book


# ---- XML, streamed with expat under a guard -------------------------------------------------------


class _XmlGuard:
    """Looks at the raw bytes before expat does. Expat holds a whole tag, comment or processing
    instruction in memory until its end, so none may be longer than :data:`MAX_XML_TOKEN`; text is
    passed on in pieces (each reader bounds a cell's text itself). A document type declaration
    (entities, the "billion laughs") is refused outright: no office program writes one.

    Tags and attribute values cannot hold a raw ``<``: a run without one is at most a token long.
    Comments, CDATA and processing instructions can; they are followed to their end."""

    _ENDS = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))

    def __init__(self) -> None:
        self.run = 0  # bytes since the last "<"
        self.term: bytes | None = None  # the end of the comment / CDATA / PI we are in
        self.inside = 0
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        first = chunk.find(b"<")
        if first < 0:
            self.run += len(chunk)
        else:
            self.run += first
            if self.run <= MAX_XML_TOKEN:
                self.run = len(chunk) - chunk.rfind(b"<") - 1
        if self.run > MAX_XML_TOKEN:
            raise _Hostile(
                f"XML 中有一段超过 {MAX_XML_TOKEN // 1024 // 1024} MB 的内容，文件已损坏"
            )
        if self.term is None and not self.carry and b"<!" not in chunk and b"<?" not in chunk:
            if chunk.endswith(b"<"):
                self.carry = b"<"
            return
        buf = self.carry + chunk
        self.carry = b""
        i = 0
        while True:
            if self.term is not None:
                j = buf.find(self.term, i)
                self.inside += (len(buf) if j < 0 else j) - i
                if self.inside > MAX_XML_TOKEN:
                    raise _Hostile(
                        f"XML 中有超过 {MAX_XML_TOKEN // 1024 // 1024} MB 的注释或说明，文件已损坏"
                    )
                if j < 0:
                    self.carry = buf[-(len(self.term) - 1) :]
                    return
                i = j + len(self.term)
                self.term = None
                self.inside = 0
            a, b = buf.find(b"<!", i), buf.find(b"<?", i)
            j = min(a, b) if a >= 0 and b >= 0 else max(a, b)
            if j < 0:
                self.carry = buf[-1:] if buf.endswith(b"<") else b""
                return
            head = buf[j : j + 9]
            for start, end in self._ENDS:
                if head.startswith(start):
                    self.term = end
                    i = j + len(start)
                    break
            else:
                if len(head) < 9:  # "<!" near the end of the chunk: decide with the next one
                    self.carry = buf[j:]
                    return
                raise _Hostile("文件中有文档类型声明（DOCTYPE/ENTITY），不是办公软件写出的表格")


def _expat(encoding: str | None = None) -> Any:
    from xml.parsers import expat

    p = expat.ParserCreate(encoding)
    p.buffer_text = True
    p.buffer_size = _CHUNK

    def no_dtd(*_a: Any) -> None:
        raise _Hostile("文件中有文档类型声明（DOCTYPE/ENTITY），不是办公软件写出的表格")

    p.StartDoctypeDeclHandler = no_dtd
    p.EntityDeclHandler = no_dtd
    return p


def _xml_chunks(fh: IO[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """(raw bytes, bytes for expat) of a zip member: UTF-16 (rare, .NET writers) is re-encoded as
    UTF-8 so the guard sees ASCII delimiters; the parser is then created for UTF-8."""
    import codecs

    first = fh.read(_CHUNK)
    enc = None
    if first.startswith((b"\xff\xfe", b"<\x00")):
        enc = "utf-16-le"
    elif first.startswith((b"\xfe\xff", b"\x00<")):
        enc = "utf-16-be"
    dec = codecs.getincrementaldecoder(enc)("strict") if enc else None
    chunk = first
    while chunk:
        if dec is None:
            yield chunk, chunk
        else:
            text = dec.decode(chunk)
            yield chunk, text.lstrip("\ufeff").encode("utf-8") if chunk is first else text.encode()
        chunk = fh.read(_CHUNK)


def _parse_member(zf: zipfile.ZipFile, part: str, setup: Callable[[Any], None]) -> None:
    """Parse one zip member with the handlers ``setup`` puts on a fresh parser."""
    with zf.open(part) as fh:
        guard = _XmlGuard()
        p: Any = None
        for raw, chunk in _xml_chunks(fh):
            if p is None:
                p = _expat("UTF-8" if raw is not chunk else None)
                setup(p)
            guard.feed(chunk)
            p.Parse(chunk, False)
        if p is not None:
            p.Parse(b"", True)


def _walk(
    zf: zipfile.ZipFile,
    part: str,
    tally: _Tally,
    on_start: Callable[[list[str], dict[str, str]], None],
) -> None:
    """Call ``on_start(path of local names, attributes)`` for every element of a small part."""
    stack: list[str] = []

    def setup(p: Any) -> None:
        def start(name: str, attrs: dict[str, str]) -> None:
            stack.append(name[name.find(":") + 1 :])
            tally.element()
            if len(stack) > MAX_XML_DEPTH:
                raise _Hostile("XML 嵌套过深，文件已损坏")
            on_start(stack, attrs)

        def end(_name: str) -> None:
            stack.pop()

        p.StartElementHandler = start
        p.EndElementHandler = end

    _parse_member(zf, part, setup)


# ---- .xlsx / .xlsm ---------------------------------------------------------------------------------


def _rels(
    zf: zipfile.ZipFile, names: set[str], part: str, tally: _Tally
) -> dict[str, tuple[str, str]]:
    """The relationships of ``part``: Id -> (Type, target as a path in the zip)."""
    import posixpath

    folder, base = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", base + ".rels")
    out: dict[str, tuple[str, str]] = {}
    if rels_path not in names:
        return out

    def start(path: list[str], a: dict[str, str]) -> None:
        if path[-1] != "Relationship" or a.get("TargetMode") == "External":
            return
        if len(out) >= 100 * MAX_SHEETS:
            raise _Hostile("关系表中的条目过多，文件已损坏")
        target = a.get("Target", "")
        if target.startswith("/"):
            target = target[1:]
        else:
            target = posixpath.normpath(posixpath.join(folder, target))
        out[a.get("Id", "")] = (a.get("Type", ""), target)

    _walk(zf, rels_path, tally, start)
    return out


def _of_type(rels: dict[str, tuple[str, str]], kind: str) -> str | None:
    return next((t for typ, t in rels.values() if typ.endswith("/" + kind)), None)


def _styles(
    zf: zipfile.ZipFile, part: str | None, tally: _Tally
) -> tuple[frozenset[int], frozenset[int]]:
    """The cell formats (indexes of ``cellXfs``) whose number format is a date, and of those the
    durations, decided as openpyxl decides them."""
    if part is None:
        return frozenset(), frozenset()
    custom: dict[int, str] = {}
    xfs: list[int] = []

    def start(path: list[str], a: dict[str, str]) -> None:
        if len(path) != 3:
            return
        if path[1] == "numFmts" and path[2] == "numFmt":
            if len(custom) > 100_000:
                raise _Hostile("数字格式过多，文件已损坏")
            custom[int(a["numFmtId"])] = a.get("formatCode", "")
        elif path[1] == "cellXfs" and path[2] == "xf":
            if len(xfs) > 1_000_000:
                raise _Hostile("单元格格式过多，文件已损坏")
            xfs.append(int(a.get("numFmtId", 0)))

    _walk(zf, part, tally, start)
    dates, durations = set(), set()
    for i, fid in enumerate(xfs):
        fmt = custom[fid] if fid in custom else _BUILTIN_DATES.get(fid)
        if _is_date_format(fmt):
            dates.add(i)
        if _is_timedelta_format(fmt):
            durations.add(i)
    return frozenset(dates), frozenset(durations)


# How openpyxl 3.1 (styles/numbers.py) tells a date format, so cells read as they read there (this
# module only reads; tests/core/test_import_resources.py checks both agree). Of the built-in number
# formats only these are dates or times: the others read as numbers.
_BUILTIN_DATES = {
    14: "mm-dd-yy",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "m/d/yy h:mm",
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
}
_STRIP_FORMAT = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')  # quoted text, [locale]
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_DURATION = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)


def _is_date_format(fmt: str | None) -> bool:
    return (
        fmt is not None and _DATE_CODE.search(_STRIP_FORMAT.sub("", fmt.split(";")[0])) is not None
    )


def _is_timedelta_format(fmt: str | None) -> bool:
    return fmt is not None and _DURATION.search(fmt.split(";")[0]) is not None


def _shared_strings(zf: zipfile.ZipFile, part: str | None, tally: _Tally) -> list[str]:
    """The shared string table as openpyxl reads it (plain and rich text runs, not the phonetic
    ones), counted against the caps as it is read."""
    strings: list[str] = []
    if part is None:
        return strings

    def setup(p: Any) -> None:
        depth = 0
        parts: list[str] | None = None  # the <si> being read
        collect = False
        rph = 0
        size = 0

        def start(name: str, _a: dict[str, str]) -> None:
            nonlocal depth, parts, collect, rph, size
            depth += 1
            tally.element()
            if depth > MAX_XML_DEPTH:
                raise _Hostile("XML 嵌套过深，文件已损坏")
            local = name[name.find(":") + 1 :]
            if depth == 2 and local == "si":
                parts, size = [], 0
            elif parts is not None:
                if local == "rPh":
                    rph += 1
                elif local == "t" and not rph:
                    collect = True

        def text(data: str) -> None:
            nonlocal size
            if collect and parts is not None:
                parts.append(data)
                size += len(data)
                if size > MAX_CELL_TEXT:
                    raise _Hostile(f"共享字符串表中有一段超过 {_wan(MAX_CELL_TEXT)}字的文字")

        def end(name: str) -> None:
            nonlocal depth, parts, collect, rph
            local = name[name.find(":") + 1 :]
            if parts is not None:
                if depth == 2:
                    s = "".join(parts).replace("x005F_", "")
                    strings.append(s)
                    parts = None
                    tally.add_text(len(s), "共享字符串表")
                    if len(strings) > MAX_FILE_CELLS:
                        raise UserError(
                            f"{tally.name} 的共享字符串表有超过 {_wan(MAX_FILE_CELLS)}条文字，"
                            "远超一份台账的大小，文件可能已损坏。请在 Excel 中打开后另存再导入。"
                        )
                elif local == "t":
                    collect = False
                elif local == "rPh":
                    rph -= 1
            depth -= 1

        p.StartElementHandler = start
        p.EndElementHandler = end
        p.CharacterDataHandler = text

    _parse_member(zf, part, setup)
    return strings


def _cast_number(value: str) -> int | float:
    """A cell's number as openpyxl reads it."""
    if "." in value or "E" in value or "e" in value:
        return float(value)
    return int(value)


def _row_number(r: str) -> int:
    """A <row r="…"> as openpyxl reads it: an integer, or a float that is one."""
    try:
        return int(r)
    except ValueError:
        val = float(r)
        if val.is_integer():
            return int(val)
        raise ValueError(f"{r} is not a valid row number") from None


_COLUMNS: dict[str, int] = {}


def _column(coord: str) -> int:
    """The column number of a cell reference such as "AB12" (validated as openpyxl does)."""
    if not _COLUMNS:
        from openpyxl.utils import get_column_letter

        _COLUMNS.update((get_column_letter(i), i) for i in range(1, MAX_COLS + 1))
    letters = coord.rstrip("0123456789")
    col = _COLUMNS.get(letters)
    if col is None or len(letters) == len(coord) or int(coord[len(letters) :]) == 0:
        from openpyxl.utils.cell import coordinate_to_tuple

        col = coordinate_to_tuple(coord)[1]  # raises for a malformed reference or row 0
    return col


class _XlsxSheet(_Sheet):
    def __init__(self, book: _XlsxBook, title: str, part: str, state: str) -> None:
        super().__init__(book.tally, title, state)
        self._book = book
        self._part = part

    def _rows(self, count: _Count, limit: int | None) -> Iterator[tuple[int, list[Any]]]:
        if limit is None:
            try:
                rows = self._fast(count)
            except BaseException as exc:  # calamine disagreed with the scan: read it slowly
                # a Rust panic (a date out of range …) is a BaseException; Ctrl+C is not ours
                if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                    raise
                rows = None
            if rows is not None:
                yield from rows
                return
        yield from self._streamed(count, limit)

    def _fast(self, count: _Count) -> list[tuple[int, list[Any]]] | None:
        """A plain sheet (see :func:`_plain_sheet`) through python-calamine, about ten times as
        fast as streaming it: the same values, counted against the same caps; None when the sheet
        is not plain. Calamine reads on a thread of its own (it lets go of the GIL) once the sheet
        is found safe for it (:func:`_calamine_safe`), while the sheet is checked for what would
        make its values differ (:func:`_calamine_same`)."""
        x = _sheet_xml(self._book.zip, self._part)
        if x is None or not _calamine_safe(x, self._book.strings):
            return None
        wb = self._book.calamine()
        if wb is None or self.title not in wb.sheet_names:
            return None
        got: list[Any] = []

        def read() -> None:
            try:
                ws = wb.get_sheet_by_name(self.title)
                got.append((ws.start, ws.to_python(skip_empty_area=True)))
            except BaseException as exc:  # noqa: BLE001 - raised again below, on the caller's thread
                got.append(exc)

        reader = threading.Thread(target=read, name="calamine-sheet", daemon=True)
        reader.start()
        try:
            same = _calamine_same(x)
            del x
        finally:
            reader.join()
        if isinstance(got[0], BaseException):
            raise got[0]
        start, rows = got.pop()
        if not same:
            return None
        if start is None:
            return []
        r0, c0 = start
        pad: list[Any] = [None] * c0
        out: list[tuple[int, list[Any]]] = []
        convert = _as_openpyxl
        big = float(2**53)
        for i in range(len(rows)):
            raw = rows[i]
            rows[i] = None  # let each row go once converted
            # _as_openpyxl inlined for the usual text and number cells (a quarter of the read)
            cells = [
                (v or None)
                if type(v) is str
                else (int(v) if v.is_integer() and -big < v < big else v)
                if type(v) is float
                else convert(v)
                for v in raw
            ]
            while cells and (
                cells[-1] is None or (type(cells[-1]) is str and not cells[-1].strip())
            ):  # _trim, in place
                cells.pop()
            if cells:
                out.append((r0 + i + 1, pad + cells if c0 else cells))
        # the caps, counted for the whole sheet at once (calamine has built it already, within
        # the bounds _calamine_safe checked): the same refusal as row by row, a tenth of the cost
        lengths = list(
            map(len, filter(str.__instancecheck__, chain.from_iterable(c for _n, c in out)))
        )
        if lengths and max(lengths) > MAX_CELL_TEXT:
            return None  # the streamed reader refuses it, naming the cell
        count.rows += len(out)
        count.cells += sum(len(c) for _n, c in out)
        count.text += sum(lengths)
        if (
            count.rows > count.max_rows
            or count.cells > count.max_cells
            or count.text > count.max_text
        ):
            count.refuse()
        return out

    def _streamed(self, count: _Count, limit: int | None) -> Iterator[tuple[int, list[Any]]]:
        """The sheet XML streamed with expat: only the rows there are, never the gaps between them
        or a declared size; cells as openpyxl's read-only, data-only mode gives them."""
        from openpyxl.utils.datetime import from_excel, from_ISO8601

        book = self._book
        strings, dates, durations, epoch = book.strings, book.dates, book.durations, book.epoch
        if not _COLUMNS:
            _column("A1")
        columns = _COLUMNS
        kinds = dict(_KINDS)  # tag -> what it is, for the tags met (prefixed ones added as met)
        out: list[tuple[int, list[Any]]] = []
        depth = 0
        in_data = False  # inside <sheetData>
        row_depth = 0  # depth of the <row> being read (0: outside one)
        row_no = 0  # openpyxl's counter: a row without r="…" follows the one before
        cells: list[tuple[int, Any]] = []
        col = 0
        cell_depth = 0
        ctype = "n"
        cstyle = 0
        vtext: str | None = None
        inline: list[str] | None = None  # <is> text runs
        parts: list[str] | None = None  # text being collected (<v>, or <t> of an inline string)
        size = 0
        rph = 0  # inside phonetic runs, which are not the cell's text
        elements, max_elements = 0, count.max_elements

        def kind(tag: str) -> int:
            k = _KINDS.get(tag[tag.find(":") + 1 :], 0)
            if len(kinds) < 256:
                kinds[tag] = k
            return k

        def too_far(what: str) -> _Hostile:
            return _Hostile(what + "，超出 Excel 的表格范围，文件可能已损坏或由其他程序生成")

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal depth, in_data, row_depth, row_no, cells, col, cell_depth, ctype, cstyle
            nonlocal vtext, inline, parts, size, rph, elements
            depth += 1
            elements += 1
            if elements > max_elements:
                raise count.too_many_elements()
            if depth > MAX_XML_DEPTH:
                raise _Hostile("XML 嵌套过深，文件已损坏")
            k = kinds.get(tag)
            if k is None:
                k = kind(tag)
            if cell_depth:
                if k == _V:
                    if depth == cell_depth + 1:
                        parts, size = [], 0
                elif k == _T:
                    if inline is not None and not rph:
                        parts, size = [], 0
                elif k == _IS:
                    if depth == cell_depth + 1:
                        inline = []
                elif k == _RPH:
                    rph += 1
            elif row_depth:
                if k == _C and depth == row_depth + 1:
                    ctype = attrs.get("t", "n")
                    s: Any = attrs.get("s", 0)
                    cstyle = int(s) if s else 0
                    coord = attrs.get("r")
                    if coord:
                        letters = coord.rstrip("0123456789")
                        c = columns.get(letters)
                        if (
                            c is None
                            or len(letters) == len(coord)
                            or (coord[-1] == "0" and not coord[len(letters) :].strip("0"))
                        ):
                            c = _column(coord)  # validated as openpyxl does, or an error
                        col = c
                    else:
                        col += 1
                    if col > MAX_COLS:
                        raise too_far(
                            f"第 {row_no} 行有第 {col} 列的单元格（最多 {MAX_COLS} 列，到 XFD 列）"
                        )
                    vtext = inline = parts = None
                    cell_depth = depth
            elif in_data:
                if k == _ROW and depth == 3:
                    r = attrs.get("r")
                    row_no = _row_number(r) if r is not None else row_no + 1
                    col = 0
                    cells = []
                    row_depth = depth
            elif k == _DATA and depth == 2:
                in_data = True

        def text(data: str) -> None:
            nonlocal size
            if parts is not None:
                parts.append(data)
                size += len(data)
                if size > MAX_CELL_TEXT:
                    raise _Hostile(
                        f"第 {row_no} 行第 {col} 列的单元格有超过 {_wan(MAX_CELL_TEXT)}字"
                        "（Excel 一个单元格最多 32767 字），文件可能已损坏"
                    )

        def end(tag: str) -> None:
            nonlocal depth, in_data, row_depth, cell_depth, vtext, parts, inline, rph
            if cell_depth:
                if depth == cell_depth:
                    cell_depth = 0
                    value: Any
                    v = vtext or None
                    t = ctype
                    if t == "inlineStr":
                        value = "".join(inline) if inline is not None else None
                    elif v is None:
                        value = None
                    elif t == "n":
                        value = _cast_number(v)
                        if cstyle in dates:
                            try:
                                value = from_excel(value, epoch, timedelta=cstyle in durations)
                            except (OverflowError, ValueError):
                                value = "#VALUE!"  # openpyxl: a date serial out of range
                    elif t == "s":
                        i = int(v)
                        if i < 0:
                            raise IndexError(f"shared string {i}")
                        value = strings[i]
                    elif t == "b":
                        value = bool(int(v))
                    elif t == "d":
                        value = from_ISO8601(v)
                    else:  # "str" (a formula's text), "e" (#REF! …) and anything unknown: as written
                        value = v
                    if value is not None:
                        cells.append((col, value))
                elif parts is not None:
                    k = kinds.get(tag)
                    if k is None:
                        k = kind(tag)
                    if k == _V:
                        if vtext is None:
                            vtext = "".join(parts)
                        parts = None
                    elif k == _T and inline is not None:
                        inline.append("".join(parts))
                        parts = None
                elif rph and (kinds.get(tag) or kind(tag)) == _RPH:
                    rph -= 1
            elif row_depth:
                if depth == row_depth:
                    row_depth = 0
                    width = 0
                    chars = 0
                    for c, v in cells:
                        if type(v) is str:
                            chars += len(v)
                            if c > width and v and not v.isspace():
                                width = c
                        elif c > width:
                            width = c
                    if width:
                        if not 1 <= row_no <= MAX_ROWS:
                            if row_no < 1:
                                raise _Hostile(
                                    f"有行号为 {row_no} 的行（Excel 的行号从 1 开始），"
                                    "文件不符合 Excel 格式，可能由其他程序生成"
                                )
                            raise too_far(f"有第 {row_no} 行（最多 {MAX_ROWS} 行）")
                        vals: list[Any] = [None] * width
                        for c, v in cells:
                            if c <= width:
                                vals[c - 1] = v
                        count.row(width, chars)
                        out.append((row_no, vals))
            elif depth == 2 and in_data:
                in_data = False
            depth -= 1

        with book.zip.open(self._part) as fh:
            guard = _XmlGuard()
            p: Any = None
            for raw, chunk in _xml_chunks(fh):
                if p is None:
                    p = _expat("UTF-8" if raw is not chunk else None)
                    p.StartElementHandler = start
                    p.EndElementHandler = end
                    p.CharacterDataHandler = text
                guard.feed(chunk)
                p.Parse(chunk, False)
                if out:
                    yield from out
                    if limit is not None and count.rows >= limit:
                        return
                    out.clear()
            if p is not None:
                p.Parse(b"", True)
                yield from out
        count.elements = elements


# the sheet XML elements the reader acts on, by local name
_C, _V, _IS, _T, _RPH, _ROW, _DATA = range(1, 8)
_KINDS = {"c": _C, "v": _V, "is": _IS, "t": _T, "rPh": _RPH, "row": _ROW, "sheetData": _DATA}


MAX_PLAIN_XML = 64 * 1024 * 1024  # a sheet part larger than this is streamed, never scanned whole
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"')
_ROW_REF = re.compile(rb'<row r="([0-9]{1,7})"')
_LAST_ROW = re.compile(rb'<row r="([1-9][0-9]{0,6})"')  # matched at the last <row r="
_SHARED_REF = re.compile(rb't="s"[^>]*><v>([0-9]{1,9})</v>')
MAX_PLAIN_TEXT = 10_000_000  # characters of text calamine may build for one sheet
# a tag other than those of sheet data (sheetViews, pageSetup … are a few dozen at most)
_ODD_TAG = re.compile(rb"<(?!/?(?:c|v|row|f|is|t|r|rPr|mergeCell|col)[\s/>])")
_DIMENSION = re.compile(
    rb'<dimension ref="([A-Z]{1,3})?([0-9]{1,7})?(?::([A-Z]{1,3})([0-9]{1,7}))?"'
)


def _plain_sheet(zf: zipfile.ZipFile, part: str, strings: Sequence[str] = ()) -> bool:
    """Whether a sheet is plain enough for python-calamine: :func:`_calamine_safe` and
    :func:`_calamine_same`. Anything else is streamed (:meth:`_XlsxSheet._streamed`), which is
    bounded whatever the file says."""
    x = _sheet_xml(zf, part)
    return x is not None and _calamine_safe(x, strings) and _calamine_same(x)


def _sheet_xml(zf: zipfile.ZipFile, part: str) -> bytes | None:
    """A sheet part's bytes, when small enough to be scanned whole."""
    try:
        info = zf.getinfo(part)
        if info.file_size > MAX_PLAIN_XML:
            return None
        return zf.read(part)
    except Exception:  # noqa: BLE001 - the streamed reader says what is wrong
        return None


def _calamine_safe(x: bytes, strings: Sequence[str] = ()) -> bool:
    """Whether python-calamine can read the sheet XML ``x`` without a memory blow-up: it builds
    the whole used rectangle (and reserves what the declared dimension says) before we see a row,
    so every cell and row must be named by its own ``r`` (as Excel, WPS and LibreOffice write
    them), the rectangle, declared and used, within the cell cap, no token of megabytes, no
    DOCTYPE, and the shared strings it copies into cells within a text budget."""
    if b"<c " not in x or b"<!" in x:
        return False  # no cells; DOCTYPE / comments
    # calamine takes a cell's place from any attribute named r, lower-case letters too, after
    # any whitespace, with or without a namespace prefix: only the one form the scans below
    # read is let through — every cell tag exactly <c r="A1"> with its other attributes (s, t,
    # cm, vm, ph) after it, separated by single spaces (_TAG_OK), no tab and no line break in
    # the sheet but the one after the XML declaration, no prefixed cell (":c")
    if b"\t" in x or b":c" in x:
        return False
    body = x.find(b"?>") + 2 if x.startswith(b"<?xml") else 0
    if x.find(b"\n", body + 2) != -1 or x.find(b"\r", body + 2) != -1:
        return False
    # one tag or text run of megabytes: any run longer than MAX_XML_TOKEN holds a whole window of
    # half that length without a ">" (shorter runs may be sent to the streamed reader too)
    half = max(MAX_XML_TOKEN // 2, 1)
    if any(b">" not in x[i : i + half] for i in range(0, len(x), half)):
        return False
    dim = _DIMENSION.search(x)
    if dim and dim.group(3):
        declared = (int(dim.group(4)) * _column(dim.group(3).decode() + "1")) if dim.group(4) else 0
        if declared > MAX_SHEET_CELLS:
            return False
    # calamine copies a shared string into every cell that uses it: a long one used everywhere
    # would be gigabytes before we see a row
    shared = x.count(b't="s"') if strings else 0
    if shared and shared * max(map(len, strings)) > MAX_PLAIN_TEXT:
        try:
            used = sum(len(strings[int(i)]) for i in _SHARED_REF.findall(x))
        except (IndexError, ValueError):
            return False
        if used > MAX_PLAIN_TEXT:
            return False
    # the usual sheet in one pass over its cells: every cell names its place (checked above), so
    # the rectangle calamine builds is bounded by the cells' own references — none in row 0 or
    # with a leading zero, below the last <row r> or right of the widest column the cell cap
    # allows for that many rows (each <c r=" looked at once; anything odd: the long way below).
    # Rows named twice, without r or with odd numbers make no rectangle bigger; they would read
    # differently, which _calamine_same checks.
    last = _LAST_ROW.match(x, max(x.rfind(b'<row r="'), 0))
    max_row = int(last.group(1)) if last else 0
    if 0 < max_row <= MAX_ROWS and not _odd_cell(max_row, MAX_SHEET_CELLS // max_row).search(x):
        return True  # (the pattern also finds a cell tag of another form)
    if _BAD_CELL.search(x):
        return False  # a cell tag of another form (see above)
    if b"<row>" in x or b'<row r="0' in x:
        return False  # rows without r, row 0 or a number written with leading zeros
    row_refs = _ROW_REF.findall(x)
    if len(row_refs) != x.count(b"<row "):
        return False  # a row whose first attribute is not its r, or a number of over 7 digits
    max_row = max(map(int, row_refs)) if row_refs else 0
    if _ZERO_CELL.search(x):
        return False  # a cell in row 0 or a number written with leading zeros
    try:
        max_col = max(_column(c.decode() + "1") for c in set(_CELL_COLUMN.findall(x)))
    except Exception:  # noqa: BLE001 - a column past XFD …: the streamed reader refuses it
        return False
    # the highest row a cell names: the highest <row r> unless a cell names one beyond it
    if not max_row or _beyond(max_row).search(x):
        refs = _CELL_REF.findall(x)
        if len(refs) != x.count(b"<c "):
            return False  # a row number of more than 7 digits
        max_row = max(int(r.lstrip(_LETTERS)) for r in refs)
    return max_row <= MAX_ROWS and max_col <= MAX_COLS and max_row * max_col <= MAX_SHEET_CELLS


def _calamine_same(x: bytes) -> bool:
    """Whether python-calamine gives the sheet XML ``x`` the values the streamed reader would:
    no namespace prefixes, no processing instructions, no error values (calamine reads #REF! as
    blank) or ISO dates, no cell or row named twice, and only the usual tags of sheet data (a
    sheet with many others — deep nesting, odd extensions — is left to the streamed reader and
    its guards). Checked while calamine reads (it lets go of the GIL)."""
    if b":c " in x or x.count(b"<?") > 1 or b't="e"' in x or b't="d"' in x:
        return False
    if b"<row>" in x or b'<row r="0' in x:
        return False  # rows without r, row 0 or a number written with leading zeros
    if len(_ODD_TAG.findall(x)) > 200:
        return False
    refs = _CELL_REF.findall(x)
    if len(refs) != x.count(b"<c ") or len(set(refs)) != len(refs):
        return False  # a cell without its own r, or one cell twice
    row_refs = _ROW_REF.findall(x)
    return len(row_refs) == x.count(b"<row ") and len(set(row_refs)) == len(row_refs)


_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})')
# a literal start, no alternation: scanned at memchr speed
_ZERO_CELL = re.compile(rb'<c r="[A-Z]{1,3}0')


def _beyond(n: int) -> re.Pattern[bytes]:
    """A cell reference whose row number is greater than ``n`` (written without leading zeros)."""
    return re.compile(f'<c r="[A-Z]{{1,3}}(?:{_rows_beyond(n)})"'.encode())


def _rows_beyond(n: int) -> str:
    """A pattern of row numbers greater than ``n`` (written without leading zeros)."""
    d = str(n)
    ways = [f"[1-9][0-9]{{{len(d)},}}"]  # more digits
    for i, c in enumerate(d):  # the same first digits, then a greater one
        if c != "9":
            ways.append(f"{d[:i]}[{int(c) + 1}-9][0-9]{{{len(d) - i - 1}}}")
    return "|".join(ways)


def _rows_upto(n: int) -> str:
    """A pattern of the row numbers 1 to ``n`` (``n`` ≥ 1), written without leading zeros."""
    d = str(n)
    ways = [f"[1-9][0-9]{{0,{len(d) - 2}}}"] if len(d) > 1 else []  # fewer digits
    for i, c in enumerate(d):  # the same first digits, then a smaller one
        lo = 1 if i == 0 else 0
        if int(c) > lo:
            ways.append(f"{d[:i]}[{lo}-{int(c) - 1}][0-9]{{{len(d) - i - 1}}}")
    ways.append(d)
    return "|".join(ways)


def _columns_upto(n: int) -> str:
    """A pattern of the column letters A to column ``n`` (1 ≤ ``n`` ≤ XFD)."""
    letters = ""
    k = min(n, MAX_COLS)
    while k:
        k, rem = divmod(k - 1, 26)
        letters = chr(65 + rem) + letters
    ways = [f"[A-Z]{{1,{len(letters) - 1}}}"] if len(letters) > 1 else []  # fewer letters
    for i, c in enumerate(letters):  # the same first letters, then an earlier one
        if c != "A":
            ways.append(f"{letters[:i]}[A-{chr(ord(c) - 1)}][A-Z]{{{len(letters) - i - 1}}}")
    ways.append(letters)
    return "|".join(ways)


# the one form of a cell tag the scans read calamine's places from: r first, a reference of
# capital letters and a row number without leading zeros, then only the other attributes a cell
# has, each after one space, in double quotes. calamine takes a cell's place from any attribute
# named r (lower-case letters too, after any whitespace, with or without a namespace prefix).
_TAG_REST = rb'"(?: (?:s|t|cm|vm|ph)="[^"]*+")*+/?>'  # (possessive: no backtracking)
# a cell tag (<c followed by no letter: not <col>, <cfRule> …) of any other form
_BAD_CELL = re.compile(rb'<c(?![A-Za-z])(?! r="[A-Z]{1,3}[1-9][0-9]{0,6}' + _TAG_REST + rb")")


@functools.lru_cache(maxsize=64)
def _odd_cell(max_row: int, max_col: int) -> re.Pattern[bytes]:
    """A cell :func:`_calamine_safe` must look at closely: any cell tag but the one form
    (``_BAD_CELL``) with a row up to ``max_row`` and a column up to ``max_col`` (0: none) — a
    whitelist, one pass over the cells."""
    if max_col < 1 or max_row < 1:
        return re.compile(rb"<c(?![A-Za-z])")
    ok = f' r="(?:{_columns_upto(max_col)})(?:{_rows_upto(max_row)})'.encode() + _TAG_REST
    return re.compile(rb"<c(?![A-Za-z])(?!" + ok + rb")")


class _XlsxBook(_Book):
    def __init__(self, zf: zipfile.ZipFile, tally: _Tally) -> None:
        super().__init__([], zf.close)
        self.zip = zf
        self.tally = tally
        self.strings: list[str] = []
        self.dates: frozenset[int] = frozenset()
        self.durations: frozenset[int] = frozenset()
        self.data: bytes | None = None  # the file, for calamine on a plain sheet
        self._calamine: Any = None

    def calamine(self) -> Any:
        if self._calamine is None and self.data is not None:
            import python_calamine as cal

            self._calamine = cal.CalamineWorkbook.from_filelike(io.BytesIO(self.data))
        return self._calamine


def _workbook_part(zf: zipfile.ZipFile, names: set[str], tally: _Tally) -> str:
    """Where the workbook is: the package's officeDocument relationship, else the usual place."""
    rels = _rels(zf, names, "", tally)
    part = _of_type(rels, "officeDocument")
    if part in names:
        return part
    for n in ("xl/workbook.xml", *sorted(n for n in names if n.lower().endswith("workbook.xml"))):
        if n in names:
            return n
    raise KeyError("File contains no valid workbook part")


def _open_xlsx(p: Path, zf: zipfile.ZipFile) -> Book:
    name = p.name
    tally = _Tally(name)
    book = _XlsxBook(zf, tally)
    try:
        names = set(zf.namelist())
        wb_part = _workbook_part(zf, names, tally)
        rels = _rels(zf, names, wb_part, tally)
        listed: list[tuple[str, str, str]] = []  # name, state, relationship id
        date1904 = [False]

        def start(path: list[str], a: dict[str, str]) -> None:
            if len(path) == 3 and path[1] == "sheets" and path[2] == "sheet":
                if len(listed) >= MAX_SHEETS:
                    raise _Hostile(f"工作表超过 {MAX_SHEETS} 个")
                rid = next((v for k, v in a.items() if k.endswith(":id")), "")
                listed.append((a.get("name", ""), a.get("state") or "visible", rid))
            elif len(path) == 2 and path[1] == "workbookPr":
                v = a.get("date1904")
                date1904[0] = bool(v) and v not in ("false", "f", "0")

        _walk(zf, wb_part, tally, start)
        if date1904[0]:
            book.epoch = dt.datetime(1904, 1, 1)
        styles = _of_type(rels, "styles")
        if styles not in names:
            styles = "xl/styles.xml" if "xl/styles.xml" in names else None
        book.dates, book.durations = _styles(zf, styles, tally)
        strings = _of_type(rels, "sharedStrings")
        if strings not in names:
            strings = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else None
        book.strings = _shared_strings(zf, strings, tally)
        for title, state, rid in listed:
            if not rid or rid not in rels:  # openpyxl skips these too (old .xlsm macro sheets)
                continue
            typ, target = rels[rid]
            if "chartsheet" in typ or target not in names:
                continue
            book._sheets.append(_XlsxSheet(book, title, target, state))
        return book
    except UserError:
        zf.close()
        raise
    except _Hostile as exc:
        zf.close()
        raise UserError(
            f"无法读取 {name}：{exc}。请在 Excel 中打开并“另存为” .xlsx 后再试。"
        ) from exc
    except Exception as exc:  # malformed XML, bad numbers, missing parts …
        zf.close()
        raise UserError(
            f"无法读取 {name}：Excel 文件内容已损坏或格式不受支持（{_why(exc)}）。"
            "请在 Excel 中打开并“另存为” .xlsx 后再试。"
        ) from exc


# ---- .xls / .et / .ods through calamine, after a check of what it will build ------------------------


def _calamine_value(v: Any) -> Any:
    """As openpyxl gives it: None for an empty cell, an int for a whole number (ODS stores 4.0)."""
    if v == "":
        return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def _as_openpyxl(v: Any) -> Any:
    """A calamine value of an .xlsx cell as the streamed reader gives it (a date cell is a
    datetime, as in openpyxl)."""
    tv = type(v)
    if tv is str:
        return v or None
    if tv is float:
        return int(v) if v.is_integer() and abs(v) < 2**53 else v
    if tv is dt.date:
        return dt.datetime(v.year, v.month, v.day)
    return _calamine_value(v)


def _calamine_failed(name: str, kind: str, exc: BaseException) -> UserError:
    if kind == "xls":
        what = f"{name} 是旧版 Excel（.xls）或 WPS 表格（.et）格式，但文件已损坏，无法读取"
    elif kind == "ods":
        what = f"无法读取 {name}：ODS 表格内容已损坏"
    else:
        what = f"{name} 是加密（设置了打开密码）的工作簿或旧版 Office 格式（.xls / .et），无法读取"
    return UserError(f"{what}（{_why(exc)}）。" + SAVE_AS)


def _password(name: str) -> UserError:
    return UserError(
        f"{name} 设置了打开密码（已加密），无法读取。请在 Excel 或 WPS 中输入密码打开，"
        "清除密码后保存，再导入。"
    )


def _too_big(name: str, sheet: str, height: int, width: int) -> UserError:
    return UserError(
        f"{name} 的工作表「{sheet}」有 {height} 行 × {width} 列，远超一份台账的大小，"
        "可能已损坏或在很远的单元格里有内容。请删去多余的行列后另存再导入。"
    )


class _CalamineSheet(_Sheet):
    def __init__(self, wb: Any, title: str, state: str, tally: _Tally) -> None:
        super().__init__(tally, title, state)
        self._wb = wb

    def _rows(self, count: _Count, limit: int | None) -> Iterator[tuple[int, list[Any]]]:
        ws = self._wb.get_sheet_by_name(self.title)
        start = ws.start
        if start is None:  # an empty sheet
            return
        r0, c0 = start
        if limit is None:
            rows = ws.to_python(skip_empty_area=True)
        else:  # a guess from the first rows (detect.py): blank rows are rare so early
            rows = ws.to_python(skip_empty_area=True, nrows=min(ws.height, 50 * limit + 100))
        del ws  # the sheet's copy of the range
        pad: list[Any] = [None] * c0
        for i in range(len(rows)):
            raw = rows[i]
            rows[i] = None  # let each row go once converted
            cells = _trim([_calamine_value(v) for v in raw])
            if cells:
                if c0:
                    cells = pad + cells
                count.row(len(cells), _text_len(cells))
                yield r0 + i + 1, cells


def _open_calamine(p: Path, data: bytes, kind: str, tally: _Tally, epoch: dt.datetime) -> Book:
    """``data`` (a file rebuilt from what was checked) through python-calamine; ``kind`` is "xls",
    "ods" or "" (an OLE file whose streams did not say)."""
    import python_calamine as cal

    name = p.name
    try:
        wb = cal.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = [m for m in wb.sheets_metadata if m.typ == cal.SheetTypeEnum.WorkSheet]
        if not metas:  # a BIFF or ODS file without a single worksheet is not what offices send
            raise ValueError("没有工作表")
    except cal.PasswordError as exc:
        raise _password(name) from exc
    except BaseException as exc:  # calamine's errors, and a Rust panic (a BaseException)
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise _calamine_failed(name, kind, exc) from exc

    def state(v: Any) -> str:  # the enum is not hashable
        if v == cal.SheetVisibleEnum.Hidden:
            return "hidden"
        return "veryHidden" if v == cal.SheetVisibleEnum.VeryHidden else "visible"

    book = _Book([], wb.close, epoch)
    book._sheets = [_CalamineSheet(wb, m.name, state(m.visible), tally) for m in metas]
    return book


# -- .ods: calamine reads content.xml at once, expanding repeated rows and cells --------------------

_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_ODS_MANIFEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest='
    b'"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    b'<manifest:file-entry manifest:full-path="/" manifest:media-type="'
    + _ODS_MIME
    + b'"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    b"</manifest:manifest>"
)
_ODS_VALUES = (
    "office:value",
    "office:string-value",
    "office:date-value",
    "office:time-value",
    "office:boolean-value",
)


def _ods_scan(name: str) -> tuple[Any, Any, Any]:
    """Expat handlers (start, end, text) counting what calamine (0.3x, ``ods.rs``) builds from
    content.xml, refusing before it runs what would be too much. For each named table calamine
    pushes every cell of a row into one list (a run of repeated cells expanded, up to column
    16,384), except the empty cells at the end of the row; then builds the rectangle from the first
    to the last row and column holding a value, every repeated row expanded, twice (values and
    formulas); each copy of a text is its own string. Names are matched with their usual prefixes,
    as calamine matches them.
    """
    depth = elements = 0
    table: str | None = None
    # the file so far: rectangles and pushed cells of the tables done, text of every copy
    file_cells = file_pushed = file_text = 0
    # the table being read
    rows = 0  # rows so far, repeats counted (capped as calamine caps them)
    first = last = -1  # the first and last row holding a value
    cmin, cmax = MAX_COLS, -1
    pushed = table_text = 0
    # the row being read
    in_row = False
    row_reps = row_capped = row_pushed = pending = row_text = 0
    rmin, rmax = MAX_COLS, -1
    # the cell being read
    cell = 0  # its depth (0: none)
    cell_reps = cell_text = annotation = 0
    string = False  # its text is its value
    first_p = True

    def bad(what: str) -> _Hostile:
        return _Hostile(f"工作表「{table}」{what}，超出 Excel 的表格范围，文件可能已损坏")

    def check() -> None:
        h, w = (last - first + 1, cmax - cmin + 1) if first >= 0 else (0, 0)
        assert table is not None
        if h * w > MAX_SHEET_CELLS or file_cells + h * w > MAX_FILE_CELLS:
            raise _too_big(name, table, h, w)
        if file_pushed + pushed > MAX_FILE_CELLS:
            raise UserError(
                f"{name} 的工作表「{table}」有超过 {_wan(MAX_FILE_CELLS)}个单元格（含空白单元格），"
                "远超一份台账的大小，可能有大量空白格式。请删去多余的行列后另存再导入。"
            )
        if file_text + table_text > MAX_FILE_TEXT:
            raise UserError(
                f"{name} 的工作表「{table}」中的文字超过 {_wan(MAX_FILE_TEXT)}字"
                "（重复的单元格和行逐个计算），远超一份台账的大小。请删去不需要的内容后另存再导入。"
            )

    def cell_size() -> None:
        if cell_text > MAX_CELL_TEXT:
            raise _Hostile(
                f"工作表「{table}」第 {rows + 1} 行有一个单元格超过 {_wan(MAX_CELL_TEXT)}字"
                "（Excel 一个单元格最多 32767 字），文件可能已损坏"
            )

    def start(tag: str, a: dict[str, str]) -> None:
        nonlocal depth, elements, table, rows, first, last, cmin, cmax, pushed, table_text
        nonlocal in_row, row_reps, row_capped, row_pushed, pending, row_text, rmin, rmax
        nonlocal cell, cell_reps, cell_text, annotation, string, first_p
        depth += 1
        elements += 1
        if elements > MAX_FILE_ELEMENTS:
            raise _too_many_elements(name, table or "")
        if depth > MAX_XML_DEPTH:
            raise _Hostile("XML 嵌套过深，文件已损坏")
        if cell:
            if string and not annotation:
                if tag == "text:p":
                    if first_p:
                        first_p = False
                    else:
                        cell_text += 1
                elif tag == "text:s":
                    n = int(a.get("text:c", "1"))
                    if n < 0:
                        raise ValueError(f"text:c={n}")
                    cell_text += n
                    cell_size()
                elif tag == "office:annotation":
                    annotation = depth
            return
        if in_row:
            if tag == "table:table-cell" or tag == "table:covered-table-cell":
                reps = int(a.get("table:number-columns-repeated", 1)) if a else 1
                if reps < 0:
                    raise ValueError(f"number-columns-repeated={reps}")
                # calamine pushes the empty cells waiting before this one, then this one's repeats
                row_pushed += min(pending, MAX_COLS - row_pushed)
                pending = 0
                capped = min(reps, MAX_COLS - row_pushed)
                cell, cell_text, cell_reps, string = depth, 0, 0, False
                if not a or len(a) == 1 and "table:number-columns-repeated" in a:
                    pending = capped  # an empty cell (the usual filler): nothing else to look at
                    return
                valued = any(k in a for k in _ODS_VALUES)
                string = a.get("office:value-type") == "string" and not valued
                formula = a.get("table:formula", "")
                if valued or string or formula:
                    if capped < reps:
                        raise bad(f"第 {rows + 1} 行有超过 {MAX_COLS} 列的内容")
                    rmin = min(rmin, row_pushed)
                    row_pushed += capped
                    rmax = max(rmax, row_pushed - 1)
                    cell_reps = capped
                else:
                    pending = capped
                cell_text = len(formula) + sum(len(a[k]) for k in _ODS_VALUES[1:4] if k in a)
                first_p = True
                annotation = 0
            return
        if table is None:
            if tag == "table:table" and "table:name" in a:
                table = a["table:name"]
                rows, first, last, cmin, cmax, pushed, table_text = 0, -1, -1, MAX_COLS, -1, 0, 0
            return
        if tag == "table:table-row":
            reps = int(a.get("table:number-rows-repeated", "1"))
            if reps < 0:
                raise ValueError(f"number-rows-repeated={reps}")
            in_row = True
            row_reps, row_capped = reps, min(reps, MAX_ROWS - rows)
            row_pushed = pending = row_text = 0
            rmin, rmax = MAX_COLS, -1

    def end(tag: str) -> None:
        nonlocal depth, table, rows, first, last, cmin, cmax, pushed, table_text, in_row
        nonlocal cell, row_text, annotation, file_cells, file_pushed, file_text
        if cell:
            if depth == cell:
                cell = 0
                row_text += cell_text * cell_reps
            elif depth == annotation:
                annotation = 0
        elif in_row:
            if tag == "table:table-row":
                in_row = False
                pushed += row_pushed
                if rmax >= 0:
                    if row_capped < row_reps or row_capped == 0:
                        raise bad(f"有超过第 {MAX_ROWS} 行的内容")
                    if first < 0:
                        first = rows
                    last = rows + row_capped - 1
                    cmin, cmax = min(cmin, rmin), max(cmax, rmax)
                    table_text += row_text * row_capped
                check()
                rows += row_capped
        elif table is not None and tag == "table:table":
            check()
            file_cells += (last - first + 1) * (cmax - cmin + 1) if first >= 0 else 0
            file_pushed += pushed
            file_text += table_text
            table = None
        depth -= 1

    def text(data: str) -> None:
        nonlocal cell_text
        if cell and string and not annotation:
            cell_text += len(data)
            cell_size()

    return start, end, text


def _ods_checked(name: str, zf: zipfile.ZipFile) -> bytes:
    """A copy of the .ods holding what calamine reads (mimetype, a manifest, content.xml as it is),
    once content.xml has been counted by :func:`_ods_scan`. Calamine is given this copy, so it
    reads exactly the bytes that were counted (not a part a hostile zip lists twice) and nothing
    else (pictures, thumbnails)."""
    start, end, text = _ods_scan(name)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), _ODS_MIME)
        z.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
        info = zipfile.ZipInfo("content.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open("content.xml") as src, z.open(info, "w", force_zip64=True) as dst:
            guard = _XmlGuard()
            p: Any = None
            held = b""  # the end of the last chunk, where an error cell's attributes may begin
            keep = len(_ODS_ERROR_CELL) - 1
            for raw, chunk in _xml_chunks(src):
                if p is None:
                    p = _expat("UTF-8" if raw is not chunk else None)
                    p.StartElementHandler = start
                    p.EndElementHandler = end
                    p.CharacterDataHandler = text
                guard.feed(chunk)
                p.Parse(chunk, False)
                data = (held + raw).replace(_ODS_ERROR_CELL, _ODS_ERROR_TEXT)
                held = data[-keep:]
                dst.write(data[:-keep])
            dst.write(held)
            if p is not None:
                p.Parse(b"", True)
    return out.getvalue()


# an error value (#N/A …) as LibreOffice writes it: an empty string value and the error's text in
# <text:p>. Calamine reads the empty value (a blank) unless it is dropped; then it reads the text,
# and the importers refuse it like an .xlsx's #REF!
_ODS_ERROR_CELL = b' office:string-value="" calcext:value-type="error"'
_ODS_ERROR_TEXT = b' calcext:value-type="error"'


def _open_ods(p: Path, zf: zipfile.ZipFile) -> Book:
    name = p.name
    try:
        data = _ods_checked(name, zf)
    except UserError:
        raise
    except _Hostile as exc:
        raise UserError(f"无法读取 {name}：{exc}。" + SAVE_AS) from exc
    except Exception as exc:  # malformed XML, a number that is not one, a broken zip …
        raise _calamine_failed(name, "ods", exc) from exc
    finally:
        zf.close()
    return _open_calamine(p, data, "ods", _Tally(name), dt.datetime(1899, 12, 30))


# -- .xls / .et: an OLE compound file around a BIFF record stream ------------------------------------

_FREE, _END, _FATSECT, _DIFSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC
_NOSTREAM = 0xFFFFFFFF


def _cfb_stream(
    data: bytes, names: Sequence[str] = ("Workbook", "Book", "WORKBOOK", "BOOK")
) -> bytes:
    """The first stream named in ``names`` of a compound file (as calamine looks it up), read with
    every sector number, chain and count checked against the file's size: a loop or a count from a
    broken header is an error here, never a loop or an allocation."""
    from array import array

    if len(data) < 512 or data[:8] != CFB_MAGIC:
        raise ValueError("不是完整的复合文档")
    shift = struct.unpack_from("<H", data, 30)[0]
    if shift not in (9, 12) or struct.unpack_from("<H", data, 32)[0] != 6:
        raise ValueError(f"扇区大小无效（{shift}）")
    ss = 1 << shift
    nsec = -(-(len(data) - ss) // ss) if len(data) > ss else 0

    def sector(i: int) -> bytes:
        if i >= nsec:
            raise ValueError(f"扇区 {i} 超出文件")
        return data[(i + 1) * ss : (i + 2) * ss].ljust(ss, b"\0")

    # a FAT sector describes ss/4 sectors: a file needs nsec/(ss/4) of them, a few more at most
    most = 2 * (nsec // (ss // 4)) + 256
    difat = list(struct.unpack_from("<109I", data, 76))
    nxt = struct.unpack_from("<I", data, 68)[0]
    seen: set[int] = set()
    while nxt < 0xFFFFFFFA:
        if nxt in seen or len(difat) > most:
            raise ValueError("DIFAT 链有环或过长")
        seen.add(nxt)
        ids = struct.unpack(f"<{ss // 4}I", sector(nxt))
        difat.extend(ids[:-1])
        nxt = ids[-1]
    fat_sectors = [i for i in difat if i < _DIFSECT]
    if len(fat_sectors) > most:
        raise ValueError("FAT 扇区数超出文件")
    fat = array("L" if array("I").itemsize < 4 else "I")
    for i in fat_sectors:
        fat.extend(struct.unpack(f"<{ss // 4}I", sector(i)))

    def chain(start: int, size: int, table: Any, get: Callable[[int], bytes], limit: int) -> bytes:
        out = bytearray()
        sid, steps = start, 0
        while sid != _END and len(out) < size:
            if sid >= len(table) or steps > limit:
                raise ValueError("扇区链断开或有环")
            out += get(sid)
            steps += 1
            sid = table[sid]
        return bytes(out[:size])

    v3 = ss == 512
    dirs = chain(struct.unpack_from("<I", data, 48)[0], nsec * ss, fat, sector, nsec)
    entries: list[tuple[str, int, int]] = []
    for k in range(0, len(dirs) - 127, 128):
        if len(entries) >= 100_000:  # a workbook has a handful (macros and objects: hundreds)
            raise ValueError("目录条目过多")
        e = dirs[k : k + 128]
        ename = e[:64].decode("utf-16-le", "replace").split("\0", 1)[0]
        start = struct.unpack_from("<I", e, 116)[0]
        size = struct.unpack_from("<I" if v3 else "<Q", e, 120)[0]
        entries.append((ename, start, size))
    if not entries:
        raise ValueError("没有目录")
    for want in names:
        found = next((e for e in entries if e[0] == want), None)
        if found is None:
            continue
        _n, start, size = found
        size = min(size, len(data))
        if size >= 4096:
            return chain(start, size, fat, sector, nsec)
        # a small stream lives in the mini stream (64-byte sectors inside the root's stream)
        root = entries[0]
        mini = chain(root[1], min(root[2], len(data)), fat, sector, nsec)
        mfat_len = struct.unpack_from("<I", data, 64)[0]
        mfat_raw = chain(
            struct.unpack_from("<I", data, 60)[0], min(mfat_len, nsec) * ss, fat, sector, nsec
        )
        mfat = struct.unpack(f"<{len(mfat_raw) // 4}I", mfat_raw[: len(mfat_raw) // 4 * 4])

        def mini_sector(i: int, mini: bytes = mini) -> bytes:
            if (i + 1) * 64 > len(mini):
                raise ValueError(f"小扇区 {i} 超出")
            return mini[i * 64 : (i + 1) * 64]

        return chain(start, size, mfat, mini_sector, len(mini) // 64)
    raise LookupError("没有 Workbook 数据流")


def cfb_container(stream_name: str, stream: bytes) -> bytes:
    """A compound file (version 3, 512-byte sectors) holding one stream under the root entry, laid
    out plainly: what calamine is given instead of the file as found (also used by the tests)."""
    stream = stream.ljust(4096, b"\0")  # from 4096 bytes on a stream is kept in the FAT sectors
    n_data = -(-len(stream) // 512)
    n_fat = n_dif = 0
    while True:
        total = n_data + 1 + n_fat + n_dif
        need_fat = -(-total // 128)
        need_dif = -(-(need_fat - 109) // 127) if need_fat > 109 else 0
        if (need_fat, need_dif) == (n_fat, n_dif):
            break
        n_fat, n_dif = need_fat, need_dif
    dir_id, fat0 = n_data, n_data + 1
    dif0 = fat0 + n_fat
    fat = [_FREE] * (n_fat * 128)
    fat[: n_data - 1] = range(1, n_data)
    fat[n_data - 1] = _END
    fat[dir_id] = _END
    fat[fat0 : fat0 + n_fat] = [_FATSECT] * n_fat
    fat[dif0 : dif0 + n_dif] = [_DIFSECT] * n_dif
    fat_ids = list(range(fat0, fat0 + n_fat))
    header = bytearray(512)
    struct.pack_into(
        "<8s16sHHHHH6sIIIIIIIII",
        header,
        0,
        CFB_MAGIC,
        b"\0" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\0" * 6,
        0,
        n_fat,
        dir_id,
        0,
        4096,
        _END,
        0,
        dif0 if n_dif else _END,
        n_dif,
    )
    struct.pack_into("<109I", header, 76, *(fat_ids[:109] + [_FREE] * 109)[:109])

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB", len(raw), kind, 1 if name else 0)
            + struct.pack("<III", _NOSTREAM, _NOSTREAM, child)
            + b"\0" * 36
            + struct.pack("<IQ", start, size)
        )

    directory = (
        entry("Root Entry", 5, 1, _END, 0)
        + entry(stream_name, 2, _NOSTREAM, 0, len(stream))
        + entry("", 0, _NOSTREAM, 0, 0) * 2
    )
    difs = bytearray()
    rest = fat_ids[109:]
    for k in range(n_dif):
        ids = rest[k * 127 : (k + 1) * 127]
        ids += [_FREE] * (127 - len(ids))
        difs += struct.pack("<128I", *ids, dif0 + k + 1 if k + 1 < n_dif else _END)
    return (
        bytes(header)
        + stream.ljust(n_data * 512, b"\0")
        + directory
        + struct.pack(f"<{len(fat)}I", *fat)
        + bytes(difs)
    )


def _biff_records(s: bytes, pos: int, seen: list[int]) -> Iterator[tuple[int, int, int, int]]:
    """(type, data start, data end, end with its CONTINUE records) from ``pos``, split as calamine's
    ``RecordIter`` splits them; a record running past the stream is an error, as there. ``seen[0]``
    counts the records gone through, against :data:`MAX_FILE_ELEMENTS`."""
    n = len(s)
    while pos < n:
        if n - pos < 4:
            raise ValueError("记录不完整")
        seen[0] += 1
        if seen[0] > MAX_FILE_ELEMENTS:
            raise _Hostile(
                f"记录超过 {_wan(MAX_FILE_ELEMENTS)}条（大量空白单元格或格式），远超一份台账的大小"
            )
        typ, ln = struct.unpack_from("<HH", s, pos)
        ds = pos + 4
        de = end = ds + ln
        if de > n:
            raise ValueError("记录长度超出数据流")
        k = 0
        while n - end > 4 and s[end : end + 2] == b"\x3c\x00":
            end += 4 + struct.unpack_from("<H", s, end + 2)[0]
            if end > n:
                raise ValueError("续接记录长度超出数据流")
            k += 1
            if k > 20_000:  # calamine takes them one by one from the front of a list: quadratic
                raise _Hostile("一条记录后有过多的续接记录，文件已损坏")
        yield typ, ds, de, end
        pos = end


def _sst_lengths(s: bytes, ds: int, de: int, end: int) -> list[int]:
    """The length (characters) of each string of a BIFF8 shared string table record, read across
    its CONTINUE records as calamine reads them (a split string's next part starts with a flags
    byte)."""
    if de - ds < 8:
        raise ValueError("SST 记录太短")
    segs = [(ds + 8, de)]
    pos = de
    while pos < end:
        ln = struct.unpack_from("<H", s, pos + 2)[0]
        segs.append((pos + 4, pos + 4 + ln))
        pos += 4 + ln
    out: list[int] = []
    i = 0
    p, b = segs[0]

    def need(k: int) -> None:
        if b - p < k:
            raise ValueError("SST 字符串不完整")

    while True:
        if p >= b:
            i += 1
            if i >= len(segs):
                return out
            p, b = segs[i]
            continue
        need(3)
        cch, flags = struct.unpack_from("<HB", s, p)
        p += 3
        c_run = cb_ext = 0
        if flags & 0x8:
            need(2)
            c_run = struct.unpack_from("<H", s, p)[0]
            p += 2
        if flags & 0x4:
            need(4)
            cb_ext = struct.unpack_from("<i", s, p)[0]
            p += 4
            if cb_ext < 0:
                raise ValueError("SST 扩展长度为负")
        left, width = cch, 2 if flags & 1 else 1
        while left:
            take = min(left, (b - p) // width)
            p += take * width
            left -= take
            if left:
                i += 1
                if i >= len(segs) or segs[i][0] >= segs[i][1]:
                    raise ValueError("SST 字符串不完整")
                p, b = segs[i]
                width = 2 if s[p] & 1 else 1
                p += 1
        skip = c_run * 4 + cb_ext
        while skip:
            if p >= b:
                i += 1
                if i >= len(segs):
                    raise ValueError("SST 字符串不完整")
                p, b = segs[i]
                continue
            k = min(skip, b - p)
            p += k
            skip -= k
        out.append(cch)


def _biff_name(raw: bytes) -> str:
    """A BoundSheet8's name (ShortXLUnicodeString) for a message; BIFF5 names read as Latin-1."""
    if len(raw) < 2:
        return "?"
    cch, flags = raw[0], raw[1]
    if flags & 1:
        return raw[2 : 2 + 2 * cch].decode("utf-16-le", "replace")
    return raw[2 : 2 + cch].decode("latin-1")


# cell records calamine reads, with the length it needs (a shorter one is an error there)
_BIFF_CELLS = {0x0203: 14, 0x0204: 8, 0x00D6: 8, 0x0205: 8, 0x027E: 10, 0x00FD: 10}
# and the other records of a sheet it reads: FORMULA, STRING, MULRK, MERGECELLS
_BIFF_KEPT = {*_BIFF_CELLS, 0x0006, 0x0207, 0x00BD, 0x00E5}
# BIFF8 error codes (BOOLERR, a FORMULA's cached result): calamine makes a blank of them, so they
# are handed to it as text (LABEL records) and the importers refuse them like an .xlsx's #REF!
_BIFF_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
    0x2B: "#GETTING_DATA",
}


def _biff_error_label(s: bytes, ds: int, code: int) -> bytes:
    """A LABEL record for the cell (row, column, format at ``s[ds:ds + 6]``) holding the error
    value ``code`` as its text."""
    text = _BIFF_ERRORS.get(code, "#UNKNOWN!").encode("latin-1")
    body = s[ds : ds + 6] + struct.pack("<HB", len(text), 0) + text
    return struct.pack("<HH", 0x0204, len(body)) + body


def _biff_checked(s: bytes, name: str) -> tuple[bytes, bool]:
    """The workbook stream rebuilt with what calamine reads, after counting what it will build:
    the workbook globals as they are (sheet positions updated), then each sheet's own records that
    calamine reads. Left out: DIMENSIONS (calamine reserves rows × columns of memory from it, as the
    file says), nested substreams (charts), records calamine ignores, and each formula's token list
    (its result is what is read; its text is only rendered). Returns (stream, 1904 date system)."""
    out = bytearray()
    sheets: list[tuple[int, str, int]] = []  # position, name, where its position is in ``out``
    sst: list[int] = []
    date1904 = False
    seen = [0]
    for typ, ds, de, end in _biff_records(s, 0, seen):
        if typ == 0x002F and de - ds >= 2 and s[ds : ds + 2] != b"\0\0":
            raise _password(name)  # FILEPASS: the rest is encrypted
        if typ == 0x0085 and de - ds >= 6:
            if len(sheets) >= MAX_SHEETS:
                raise _Hostile(f"工作表超过 {MAX_SHEETS} 个")
            pos = struct.unpack_from("<I", s, ds)[0]
            sheets.append((pos, _biff_name(s[ds + 6 : de]), len(out) + 4))
        elif typ == 0x00FC:
            sst = _sst_lengths(s, ds, de, end)
        elif typ == 0x0022 and de - ds >= 2:
            date1904 = struct.unpack_from("<H", s, ds)[0] == 1
        out += s[ds - 4 : end]
        if typ == 0x000A:
            break
    file_text = sum(sst)
    file_cells = file_records = 0
    body = bytearray()
    for pos, sheet, at in sheets:
        if pos > len(s):
            raise ValueError(f"工作表「{sheet}」的位置超出数据流")
        struct.pack_into("<I", out, at, len(out) + len(body))
        rmin = cmin = frmin = fcmin = 1 << 32
        rmax = cmax = frmax = fcmax = -1
        records = text = 0
        fmla = (0, 0)
        depth = 0
        seen_bof = False
        ended = False
        for typ, ds, de, end in _biff_records(s, pos, seen):
            if depth:
                depth += typ == 0x0809
                depth -= typ == 0x000A
                continue
            ln = de - ds
            at_cells: tuple[int, int, int] | None = None  # row, first column, last column
            if typ == 0x0809:
                if seen_bof:
                    depth = 1
                    continue
                seen_bof = True
            elif typ == 0x000A:
                body += s[ds - 4 : end]
                ended = True
                break
            elif typ == 0x0006 and ln >= 20:
                row, col = struct.unpack_from("<HH", s, ds)
                fmla = (row, col)
                frmin, frmax = min(frmin, row), max(frmax, row)
                fcmin, fcmax = min(fcmin, col), max(fcmax, col)
                at_cells = (row, col, col)
                if s[ds + 6] == 2 and s[ds + 12 : ds + 14] == b"\xff\xff":  # an error result
                    body += _biff_error_label(s, ds, s[ds + 8])
                else:
                    body += struct.pack("<HH", 0x0006, 22) + s[ds : ds + 20] + b"\0\0"
            elif typ == 0x0205 and ln >= 8 and s[ds + 7] == 1:  # BOOLERR holding an error
                row, col = struct.unpack_from("<HH", s, ds)
                at_cells = (row, col, col)
                body += _biff_error_label(s, ds, s[ds + 6])
            elif typ in _BIFF_CELLS and ln >= _BIFF_CELLS[typ]:
                row, col = struct.unpack_from("<HH", s, ds)
                at_cells = (row, col, col)
                if typ in (0x0204, 0x00D6):
                    text += struct.unpack_from("<H", s, ds + 6)[0]
                elif typ == 0x00FD:
                    isst = struct.unpack_from("<I", s, ds + 6)[0]
                    if isst < len(sst):
                        text += sst[isst]
                    else:
                        at_cells = None  # calamine makes no cell of it
            elif typ == 0x0207 and ln >= 2:
                at_cells = (fmla[0], fmla[1], fmla[1])
                text += struct.unpack_from("<H", s, ds)[0]
            elif typ == 0x00BD and ln >= 6:
                row, first = struct.unpack_from("<HH", s, ds)
                last = struct.unpack_from("<H", s, de - 2)[0]
                if last >= first and ln == 6 + 6 * (last - first + 1):
                    at_cells = (row, first, last)
            elif typ not in _BIFF_KEPT:  # what calamine passes over
                continue
            if at_cells is not None:
                row, first, last = at_cells
                if last >= MAX_COLS:
                    raise _Hostile(
                        f"工作表「{sheet}」第 {row + 1} 行有第 {last + 1} 列的单元格，超出 Excel 的表格范围"
                        f"（最多 {MAX_COLS} 列），文件已损坏"
                    )
                records += last - first + 1
                rmin, rmax = min(rmin, row), max(rmax, row)
                cmin, cmax = min(cmin, first), max(cmax, last)
            if (typ != 0x0006 or ln < 20) and not (typ == 0x0205 and ln >= 8 and s[ds + 7] == 1):
                body += s[ds - 4 : end]  # (a short FORMULA is kept: calamine says it is damaged)
        if not ended:
            body += b"\x0a\x00\x00\x00"  # EOF: the next sheet's records must not run on
        if len(out) + len(body) > len(s) + 65536:
            raise _Hostile("多个工作表指向同一段数据，文件已损坏")
        h, w = (rmax - rmin + 1, cmax - cmin + 1) if rmax >= 0 else (0, 0)
        fh, fw = (frmax - frmin + 1, fcmax - fcmin + 1) if frmax >= 0 else (0, 0)
        file_cells += h * w + fh * fw
        file_records += records
        file_text += text
        if max(h * w, fh * fw) > MAX_SHEET_CELLS or file_cells > MAX_FILE_CELLS:
            raise _too_big(name, sheet, h, w)
        if file_records > MAX_FILE_CELLS:
            raise _too_big(name, sheet, h, w)
        if file_text > MAX_FILE_TEXT:
            raise UserError(
                f"{name} 的工作表「{sheet}」中的文字超过 {_wan(MAX_FILE_TEXT)}字（每个单元格逐个计算），"
                "远超一份台账的大小。请删去不需要的内容后另存再导入。"
            )
    return bytes(out + body), date1904


def _open_xls(p: Path, data: bytes, kind: str) -> Book:
    name = p.name
    try:
        stream = _cfb_stream(data)
        rebuilt, date1904 = _biff_checked(stream, name)
    except UserError:
        raise
    except _Hostile as exc:
        raise UserError(f"无法读取 {name}：{exc}。" + SAVE_AS) from exc
    except Exception as exc:  # a broken container or record stream
        raise _calamine_failed(name, kind, exc) from exc
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    return _open_calamine(p, cfb_container("Workbook", rebuilt), kind, _Tally(name), epoch)


# ---- .csv ---------------------------------------------------------------------------------------------


def _decode_text(p: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK/GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "gb18030"]
    for enc in encodings:
        try:
            s = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" not in s:
            return s
    raise UserError(
        f"{p.name} 的文字编码无法识别（既不是 UTF-8，也不是 GBK/GB18030），或它不是文本文件。"
        "请在 Excel 或 WPS 中打开后“另存为” Excel 工作簿（.xlsx），或另存为“CSV UTF-8”后再导入。"
    )


class _CsvSheet(_Sheet):
    def __init__(self, p: Path, text_: str, dialect: Any, tally: _Tally) -> None:
        super().__init__(tally, p.stem or p.name)
        self._p = p
        self._text = text_
        self._dialect = dialect

    def _rows(self, count: _Count, limit: int | None) -> Iterator[tuple[int, list[Any]]]:
        import csv

        name = self._p.name
        pending = [0]  # characters of the record being read
        lines_read = [0]

        def lines() -> Iterator[str]:
            # the lines StringIO(newline="") gives, one at a time: a record can only be as long
            # as the lines csv pulls for it
            for m in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", self._text):
                lines_read[0] += 1
                if lines_read[0] > MAX_FILE_ELEMENTS:
                    raise UserError(
                        f"{name} 超过 {_wan(MAX_FILE_ELEMENTS)}行（含空行），远超一份台账的大小。"
                        "请确认是否选错了文件。"
                    )
                pending[0] += m.end() - m.start()
                if pending[0] > MAX_CSV_RECORD:
                    raise UserError(
                        f"{name} 的第 {n + 1} 行超过 {_wan(MAX_CSV_RECORD)}字（可能有未配对的引号），"
                        "不像是一份台账。请在 Excel 或 WPS 中打开检查后另存再导入。"
                    )
                yield m.group()

        n = 0
        try:
            for r in csv.reader(lines(), self._dialect):
                pending[0] = 0
                n += 1
                if len(r) > MAX_COLS:
                    raise UserError(
                        f"{name} 的第 {n} 行有 {len(r)} 列，超出 Excel 的最大列数 {MAX_COLS}，"
                        "不像是一份台账。请在 Excel 或 WPS 中打开检查后另存再导入。"
                    )
                cells = _trim([None if v == "" else v for v in r])
                if cells:
                    count.row(len(cells), _text_len(cells))
                    yield n, cells
        except csv.Error as exc:
            raise UserError(
                f"无法读取 {name}：CSV 内容有误（第 {n + 1} 行，{_why(exc)}）。"
                "请在 Excel 或 WPS 中打开检查后另存再导入。"
            ) from exc


def _open_csv(p: Path, data: bytes) -> Book:
    import csv

    text_ = _decode_text(p, data)
    sample = text_[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    return _Book([_CsvSheet(p, text_, dialect, _Tally(p.name))])


# ---- rows ---------------------------------------------------------------------------------------------

# One sheet's rows as the importers see them: (Excel row number, the cells from column A with the
# blank cells at the end left off). Blank rows are left out, so the rows stand for the cells that
# really hold data, never for a declared size or a far-away row number.
SparseRows = list[tuple[int, list[Any]]]


def read_sheet(path: Path, ws: Sheet) -> SparseRows:
    """The rows of a sheet that hold anything (see :data:`SparseRows`), in row order; a damaged
    sheet, or one past a cap, becomes a message naming it."""
    return _read(path, ws, None)


def head_rows(path: Path, ws: Sheet, n: int) -> SparseRows:
    """The first ``n`` rows of a sheet that hold anything, reading no further (a guess at what a
    file is, as detect.py makes it)."""
    return _read(path, ws, n)


def _read(path: Path, ws: Sheet, limit: int | None) -> SparseRows:
    name = Path(path).name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out: SparseRows = []
            if not isinstance(ws, _Sheet):  # any other Sheet: its rows from row 1
                for n, r in enumerate(ws.iter_rows(values_only=True), start=1):
                    cells = _trim(r)
                    if cells:
                        out.append((n, cells))
                        if limit is not None and len(out) >= limit:
                            break
                return out
            count = ws._tally.count(ws.title)
            for item in ws._rows(count, limit):
                out.append(item)
                if limit is not None and len(out) >= limit:
                    return out
            if any(out[i][0] >= out[i + 1][0] for i in range(len(out) - 1)):
                out.sort(
                    key=lambda x: x[0]
                )  # rows written out of order: Excel's order is by number
                for i in range(len(out) - 1):
                    if out[i][0] == out[i + 1][0]:
                        raise _Hostile(f"第 {out[i][0]} 行在文件中出现了不止一次，文件已损坏")
            count.done()
            return out
    except UserError:
        raise
    except _Hostile as exc:
        raise UserError(
            f"无法读取 {name} 的工作表「{ws.title}」：{exc}。请在 Excel 中打开并“另存为” .xlsx 后再试。"
        ) from exc
    except Exception as exc:  # malformed XML, bad shared-string index, bad ISO dates …
        raise UserError(
            f"无法读取 {name} 的工作表「{ws.title}」：内容已损坏"
            f"（{_why(exc)}）。请在 Excel 中打开并“另存为” .xlsx 后再试。"
        ) from exc


def sheet_state(ws: Sheet) -> str:
    """ "visible", "hidden" or "veryHidden" (a sheet only a macro or the VBA editor can show)."""
    return str(getattr(ws, "sheet_state", "visible") or "visible")


EXCEL_EPOCH = dt.date(1899, 12, 30)
MAC_EPOCH = dt.date(1904, 1, 1)


def date_epoch(wb: Book) -> dt.date:
    """Day 0 of the workbook's plain-number dates: 1899-12-30, or 1904-01-01 for a workbook in the
    1904 date system (old Mac Excel, and some exports), whose serials are 1,462 days smaller."""
    epoch = getattr(wb, "epoch", None)
    if isinstance(epoch, dt.datetime) and epoch.date() == MAC_EPOCH:
        return MAC_EPOCH
    return EXCEL_EPOCH
