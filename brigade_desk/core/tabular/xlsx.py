""".xlsx / .xlsm: the sheet XML streamed with expat, row by row with the row numbers the file
gives; plain sheets checked first may be read whole by calamine (see :func:`_calamine_safe`)."""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import threading
import zipfile
from collections.abc import Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from brigade_desk.core.errors import UserError
from brigade_desk.core.tabular.base import (
    MAX_CELL_TEXT,
    MAX_COLS,
    MAX_FILE_CELLS,
    MAX_ROWS,
    MAX_SHEET_CELLS,
    MAX_SHEETS,
    MAX_XML_DEPTH,
    MAX_XML_TOKEN,
    Book,
    _Book,
    _Count,
    _Hostile,
    _Sheet,
    _Tally,
    _wan,
    _why,
)
from brigade_desk.core.tabular.calamine_books import (
    _as_openpyxl,
)
from brigade_desk.core.tabular.xmlstream import (
    _expat,
    _parse_member,
    _walk,
    _xml_chunks,
    _XmlGuard,
)

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
                    p = _expat("UTF-8" if raw is not chunk else None, start, end, text)
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
    # cm, vm, ph) after it, separated by single spaces (_odd_cell, _BAD_CELL: a tab or a line
    # break in a cell tag is another form; in a text it is fine), and no prefixed cell (":c")
    if b":c" in x:
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
