""".xls, WPS .et and .ods through python-calamine, after a check of what it will build: calamine
is only given a copy rebuilt from what was checked (a fresh compound file holding the workbook
stream for .xls, the mimetype and content.xml for .ods)."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from brigade_desk.core.errors import UserError
from brigade_desk.core.tabular.base import (
    CFB_MAGIC,
    MAX_CELL_TEXT,
    MAX_COLS,
    MAX_FILE_CELLS,
    MAX_FILE_ELEMENTS,
    MAX_FILE_TEXT,
    MAX_ROWS,
    MAX_SHEET_CELLS,
    MAX_SHEETS,
    MAX_XML_DEPTH,
    SAVE_AS,
    Book,
    _Book,
    _Count,
    _Hostile,
    _Sheet,
    _Tally,
    _text_len,
    _too_many_elements,
    _trim,
    _wan,
    _why,
)
from brigade_desk.core.tabular.xmlstream import (
    _expat,
    _xml_chunks,
    _XmlGuard,
)

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
                    p = _expat("UTF-8" if raw is not chunk else None, start, end, text)
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
