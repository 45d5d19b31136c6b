"""Reading messy spreadsheets the way a clerk's Excel files really are.

- The header row may be anywhere in the first 10 rows, under a merged title and a 填报单位 line.
- Header texts match after normalisation (NFKC, no spaces of any width, no punctuation) against a
  column's synonyms.
- Dates: real date cells, Excel serials, ``2021.3.5``, ``2021/03/05``, ``2021-3-5``, ``2021年3月5日``.
- Every problem is a :class:`~brigade_desk.core.errors.RowError` naming the sheet, the row as Excel
  numbers it, and the column header as written in the file.
- Formats, judged by the file's bytes, never its name: .xlsx/.xlsm with openpyxl; .xls and WPS .et
  (BIFF8 in an OLE compound file) and .ods with python-calamine; .csv (UTF-8 with or without BOM,
  UTF-16 with BOM, else GB18030, which covers GBK) with the csv module. :func:`open_workbook` hands
  back a :class:`Book` of :class:`Sheet` s whichever it was.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from brigade_desk.core.errors import RowError, UserError

HEADER_SEARCH_ROWS = 10


def norm_header(text: object) -> str:
    s = unicodedata.normalize("NFKC", str(text or ""))
    s = re.sub(r"[\s\u3000:：*＊()（）\[\]【】·.。、_\-—/]", "", s)
    return s.lower()


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False

    def names(self) -> set[str]:
        return {norm_header(self.label), *(norm_header(s) for s in self.synonyms)}


@dataclass
class Row:
    sheet: str
    row: int  # Excel row number
    values: dict[str, Any]
    headers: dict[str, str]  # key -> header text as written in the file
    labels: dict[str, str] = field(
        default_factory=dict
    )  # key -> Chinese label, for a column the sheet lacks

    def error(self, key: str, message: str) -> RowError:
        return RowError(
            self.sheet, self.row, self.headers.get(key) or self.labels.get(key, key), message
        )


@dataclass
class SheetTable:
    sheet: str
    header_row: int
    headers: dict[str, str]
    rows: list[Row] = field(default_factory=list)


CFB_MAGIC = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: .xls, .et or an encrypted .xlsx
)
ZIP_MAGIC = b"PK\x03\x04"
MAX_SHOWN = 40  # characters of a cell's value quoted back in a message
MAX_FILE_BYTES = 200 * 1024 * 1024  # a clerk's workbook is a few MB; photos make tens
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # what the parts add up to once unzipped (zip bombs)


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


class Sheet(Protocol):
    """What the importers use of a worksheet, met by openpyxl's read-only sheets and by ours."""

    @property
    def title(self) -> str: ...

    def iter_rows(
        self, *, max_row: int | None = None, values_only: bool = True
    ) -> Iterable[Sequence[Any]]: ...


class Book(Protocol):
    @property
    def worksheets(self) -> Sequence[Sheet]: ...

    def close(self) -> None: ...


class RowsSheet:
    """A sheet whose rows are produced on demand by ``load(max_row)`` (calamine, CSV)."""

    def __init__(self, title: str, load: Callable[[int | None], list[list[Any]]]) -> None:
        self._title = title
        self._load = load

    @property
    def title(self) -> str:
        return self._title

    def iter_rows(
        self, *, max_row: int | None = None, values_only: bool = True
    ) -> Iterator[tuple[Any, ...]]:
        for r in self._load(max_row):
            yield tuple(r)


class RowsBook:
    def __init__(self, sheets: list[RowsSheet], on_close: Callable[[], None] | None = None) -> None:
        self._sheets = sheets
        self._on_close = on_close

    @property
    def worksheets(self) -> Sequence[Sheet]:
        return self._sheets

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
            self._on_close = None


MAX_SHEET_CELLS = 20_000_000  # rows × columns of one sheet's used area (a cell at XFD1048576 …)
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
            manifest = zf.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
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
        with open(p, "rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UserError(describe_read_error(exc, p)) from exc


def open_workbook(path: Path) -> Book:
    """Open a spreadsheet with data values; a clear message for every way it can fail.

    The file is read into memory first, so it is judged by its content (an .xlsx named .xls or
    without a suffix still opens, a WPS .et opens as what it really is) and is not held open while
    the rows are read.
    """
    import io

    import openpyxl

    p = Path(path)
    data = _read_bytes(p)
    kind = _sniff(p, data)
    name = p.name
    if kind == "cfb":
        return _open_calamine(p, data, "xls" if _cfb_kind(data) == "xls" else "")
    if kind == "csv":
        return _open_csv(p, data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
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
        return _open_calamine(p, data, "ods")
    if zkind != "xlsx":
        raise UserError(f"{name} 是压缩文件，但不是 Excel 工作簿（.xlsx）。请选择正确的文件。")
    try:
        with warnings.catch_warnings():  # "no default style", unsupported extensions …
            warnings.simplefilter("ignore", UserWarning)
            wb: Book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            return wb
    except Exception as exc:  # openpyxl raises a zoo of errors on broken files
        raise UserError(
            f"无法读取 {name}：Excel 文件内容已损坏或格式不受支持（{shown(type(exc).__name__ + ': ' + str(exc), 80)}）。"
            "请在 Excel 中打开并“另存为” .xlsx 后再试。"
        ) from exc


def _why(exc: BaseException) -> str:
    return shown(type(exc).__name__ + ": " + str(exc), 80)


def _open_calamine(p: Path, data: bytes, kind: str) -> Book:
    """An .xls/.et (BIFF8) or .ods through python-calamine; ``kind`` is "xls", "ods" or "" (an OLE
    file whose streams did not say)."""
    import io

    import python_calamine as cal

    name = p.name
    try:
        wb = cal.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = [m for m in wb.sheets_metadata if m.typ == cal.SheetTypeEnum.WorkSheet]
        if not metas:  # a BIFF or ODS file without a single worksheet is not what offices send
            raise ValueError("没有工作表")
    except cal.PasswordError as exc:
        raise UserError(
            f"{name} 设置了打开密码（已加密），无法读取。请在 Excel 或 WPS 中输入密码打开，"
            "清除密码后保存，再导入。"
        ) from exc
    except BaseException as exc:  # calamine's errors, and a Rust panic (a BaseException)
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        if kind == "xls":
            what = f"{name} 是旧版 Excel（.xls）或 WPS 表格（.et）格式，但文件已损坏，无法读取"
        elif kind == "ods":
            what = f"无法读取 {name}：ODS 表格内容已损坏"
        else:
            what = (
                f"{name} 是加密（设置了打开密码）的工作簿或旧版 Office 格式（.xls / .et），无法读取"
            )
        raise UserError(f"{what}（{_why(exc)}）。" + SAVE_AS) from exc

    def loader(sheet_name: str) -> Callable[[int | None], list[list[Any]]]:
        def load(max_row: int | None) -> list[list[Any]]:
            ws = wb.get_sheet_by_name(sheet_name)
            # the used area from A1, so list positions stay Excel's row numbers
            height = ws.end[0] + 1 if ws.end else 0
            width = ws.end[1] + 1 if ws.end else 0
            if max_row is not None:
                height = min(height, max_row)
            if height * width > MAX_SHEET_CELLS:
                raise UserError(
                    f"{name} 的工作表「{sheet_name}」有 {height} 行 × {width} 列，远超一份台账的大小，"
                    "可能已损坏或在很远的单元格里有内容。请删去多余的行列后另存再导入。"
                )
            rows = ws.to_python(skip_empty_area=False, nrows=max_row)
            return [[_calamine_value(v) for v in r] for r in rows]

        return load

    return RowsBook([RowsSheet(m.name, loader(m.name)) for m in metas], wb.close)


def _calamine_value(v: Any) -> Any:
    """As openpyxl gives it: None for an empty cell, an int for a whole number (ODS stores 4.0)."""
    if v == "":
        return None
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


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


def _open_csv(p: Path, data: bytes) -> Book:
    import csv
    import io

    text_ = _decode_text(p, data)
    sample = text_[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel

    def load(max_row: int | None) -> list[list[Any]]:
        out: list[list[Any]] = []
        try:
            for r in csv.reader(io.StringIO(text_, newline=""), dialect):
                out.append([None if v == "" else v for v in r])
                if max_row is not None and len(out) >= max_row:
                    break
        except csv.Error as exc:
            raise UserError(
                f"无法读取 {p.name}：CSV 内容有误（第 {len(out) + 1} 行，{_why(exc)}）。"
                "请在 Excel 或 WPS 中打开检查后另存再导入。"
            ) from exc
        return out

    return RowsBook([RowsSheet(p.stem or p.name, load)])


def find_header(
    rows: Sequence[Sequence[Any]], columns: Sequence[Column]
) -> tuple[int, dict[str, int], dict[str, str]] | None:
    """Locate the header row among the first rows. Returns (index, key->col, key->text)."""
    lookup: dict[str, str] = {}
    for c in columns:
        for n in c.names():
            lookup.setdefault(n, c.key)
    required = {c.key for c in columns if c.required}
    best: tuple[int, dict[str, int], dict[str, str]] | None = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        texts: dict[str, str] = {}
        for j, cell in enumerate(row):
            key = lookup.get(norm_header(cell))
            if key and key not in found:
                found[key] = j
                texts[key] = str(cell).strip()
        if required <= found.keys() and len(found) >= max(2, len(required)):
            if best is None or len(found) > len(best[1]):
                best = (i, found, texts)
    return best


def near_header(
    rows: Sequence[Sequence[Any]], columns: Sequence[Column]
) -> tuple[int, list[str], list[str]] | None:
    """The row that looks most like a header although a required column is missing: (index, the
    labels of the columns recognised, the labels of the required ones missing); None when no row
    has at least three known columns."""
    lookup: dict[str, Column] = {}
    for c in columns:
        for n in c.names():
            lookup.setdefault(n, c)
    best: tuple[int, list[str], list[str]] | None = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        seen = {
            lookup[h].key: lookup[h] for h in (norm_header(cell) for cell in row) if h in lookup
        }
        if len(seen) >= 3 and (best is None or len(seen) > len(best[1])):
            missing = [c.label for c in columns if c.required and c.key not in seen]
            best = (i, [c.label for c in seen.values()], missing)
    return best


def read_tables(path: Path, columns: Sequence[Column]) -> tuple[list[SheetTable], list[RowError]]:
    """Every sheet whose header row is found; sheets without one are reported when none match."""
    wb = open_workbook(path)
    tables: list[SheetTable] = []
    skipped: list[str] = []
    almost: list[RowError] = []  # sheets whose header lacks a required column
    labels = {c.key: c.label for c in columns}
    try:
        for ws in wb.worksheets:
            raw = read_sheet(path, ws)
            hdr = find_header(raw, columns)
            if hdr is None:
                skipped.append(ws.title)
                near = near_header(raw, columns)
                if near is not None and near[2]:
                    almost.append(
                        RowError(
                            ws.title,
                            near[0] + 1,
                            near[2][0],
                            (
                                f"第 {near[0] + 1} 行像是表头（认出了 {'、'.join(near[1][:6])} 等 {len(near[1])} 列），"
                                f"但缺少必需的列：{'、'.join(near[2])}。请在表头中加上该列（列名可用常见写法）。"
                            ),
                        )
                    )
                continue
            idx, colmap, texts = hdr
            table = SheetTable(ws.title, idx + 1, texts)
            for i, r in enumerate(raw[idx + 1 :], start=idx + 2):
                vals = {k: (r[j] if j < len(r) else None) for k, j in colmap.items()}
                if all(_blank(v) for v in vals.values()):
                    continue
                table.rows.append(Row(ws.title, i, vals, texts, labels))
            tables.append(table)
    finally:
        wb.close()
    errors: list[RowError] = []
    if not tables and almost:
        errors.extend(almost)
    elif not tables:
        need = "、".join(c.label for c in columns if c.required)
        errors.append(
            RowError(
                skipped[0] if skipped else "",
                0,
                "",
                f"在前 {HEADER_SEARCH_ROWS} 行中没有找到表头（至少需要：{need}）。请确认是否选错了文件。",
            )
        )
    return tables, errors


def read_sheet(path: Path, ws: Sheet) -> list[list[Any]]:
    """All rows of a sheet as lists; a damaged sheet becomes a message naming it."""
    try:
        with warnings.catch_warnings():  # a date serial out of range warns and reads as #VALUE!
            warnings.simplefilter("ignore", UserWarning)
            return [list(r) for r in ws.iter_rows(values_only=True)]
    except UserError:
        raise
    except Exception as exc:  # malformed XML, bad shared-string index, bad ISO dates …
        raise UserError(
            f"无法读取 {Path(path).name} 的工作表「{ws.title}」：内容已损坏"
            f"（{shown(type(exc).__name__ + ': ' + str(exc), 80)}）。请在 Excel 中打开并“另存为” .xlsx 后再试。"
        ) from exc


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


# ---- cell parsers: return a value or raise ValueError with a Chinese reason -------------------

EXCEL_EPOCH = dt.date(1899, 12, 30)
MIN_DATE = dt.date(1900, 1, 1)  # dates outside these are typing slips (0021, 20211, 9999 …)
MAX_DATE = dt.date(2100, 12, 31)
EXCEL_ERRORS = frozenset(
    {
        "#VALUE!",
        "#REF!",
        "#DIV/0!",
        "#N/A",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
    }
)
_DATE_RE = re.compile(r"^\s*(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?\s*$")
_COMPACT_RE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")


def text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return unicodedata.normalize("NFKC", str(v)).strip()


def check_not_excel_error(v: Any) -> None:
    """Raise ValueError when a cell holds an Excel error value (#VALUE!, #REF! …)."""
    if isinstance(v, str) and v.strip().upper() in EXCEL_ERRORS:
        raise ValueError(
            f"单元格是 Excel 错误值 {v.strip().upper()}（公式出错，或日期数值超出 Excel 能表示的范围），请改为实际内容"
        )


def _in_range(d: dt.date, shown_as: str) -> dt.date:
    if not MIN_DATE <= d <= MAX_DATE:
        raise ValueError(
            f"日期「{shown(shown_as)}」超出合理范围（{MIN_DATE.year}—{MAX_DATE.year} 年），请检查年份"
        )
    return d


def _serial(v: float | int) -> dt.date:
    if not (1 <= v < 2958466):  # also false for NaN
        raise ValueError(
            f"日期数值 {shown(v)} 不是有效的 Excel 日期，请写成 2021-03-05 或 2021年3月5日"
        )
    return EXCEL_EPOCH + dt.timedelta(days=int(v))


def parse_date(v: Any) -> dt.date | None:
    if _blank(v):
        return None
    if isinstance(v, dt.datetime):
        return _in_range(v.date(), v.date().isoformat())
    if isinstance(v, dt.date):
        return _in_range(v, v.isoformat())
    if isinstance(v, dt.time | dt.timedelta):
        raise ValueError(f"「{shown(v)}」是时间而不是日期，请写成 2021-03-05 或 2021年3月5日")
    if isinstance(v, int | float) and not isinstance(v, bool):
        return _in_range(_serial(v), str(v))
    check_not_excel_error(v)
    s = unicodedata.normalize("NFKC", str(v)).strip()
    m = _DATE_RE.match(s) or _COMPACT_RE.match(s)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        try:
            day = dt.date(y, mo, d)
        except ValueError:
            raise ValueError(f"日期「{shown(s)}」不存在") from None
        return _in_range(day, s)
    if s.isdigit() and len(s) <= 5 and 1 <= int(s) < 2958466:
        return _in_range(_serial(int(s)), s)
    raise ValueError(f"无法识别的日期「{shown(s)}」，请写成 2021-03-05 或 2021年3月5日")


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "有", "对"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "无", "不是", ""}


def parse_bool(v: Any, default: bool = False) -> bool:
    if v is None:
        return default
    if isinstance(v, bool):
        return v
    check_not_excel_error(v)
    s = text(v).lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False if s else default
    raise ValueError(f"「{shown(s)}」应填“是”或“否”")


def parse_id_number(v: Any) -> str:
    from brigade_desk.core import idcard

    if _blank(v):
        raise ValueError("身份证号为空")
    if isinstance(v, float | int) and not isinstance(v, bool):
        raise ValueError(
            "身份证号被 Excel 存成了数字（末几位可能已丢失）。请把该列设置为“文本”格式后重新填写"
        )
    if isinstance(v, dt.date | dt.time | dt.timedelta):
        raise ValueError("身份证号被 Excel 当成了日期/时间，请把该列设置为“文本”格式后重新填写")
    check_not_excel_error(v)
    s = idcard.normalize(unicodedata.normalize("NFKC", str(v)))
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", s):
        raise ValueError("身份证号是科学计数法（被 Excel 当成了数字），请改为文本格式后重新填写")
    reason = idcard.validate(s)
    if reason:
        raise ValueError(reason)
    return s


def parse_decimal(v: Any) -> Decimal | None:
    if _blank(v):
        return None
    if isinstance(v, bool) or isinstance(v, dt.date | dt.time | dt.timedelta):
        raise ValueError(f"「{shown(v)}」不是数字")
    check_not_excel_error(v)
    if isinstance(v, int | float):
        d = Decimal(str(v))
    else:
        s = text(v).replace(",", "").replace("，", "").replace("元", "").strip()
        try:
            d = Decimal(s)
        except InvalidOperation:
            raise ValueError(f"「{shown(s)}」不是数字") from None
    if not d.is_finite() or abs(d) >= Decimal("1e15"):
        raise ValueError(f"「{shown(v)}」不是有效的数字（过大或无穷）")
    return d


def parse_float(v: Any) -> float | None:
    d = parse_decimal(v)
    return None if d is None else float(d)


def parse_choice(v: Any, choices: dict[str, str], label: str) -> str:
    """Map a text to one of ``choices`` (normalised text → stored value)."""
    s = norm_header(text(v))
    for k, val in choices.items():
        if norm_header(k) == s:
            return val
    check_not_excel_error(v)
    raise ValueError(
        f"{label}「{shown(text(v))}」不在可选值中（{'、'.join(dict.fromkeys(choices.values()))}）"
    )


def cell(row: Row, key: str, parser: Callable[[Any], Any], errors: list[RowError]) -> Any:
    """Parse one cell; on failure record the error and return None."""
    try:
        return parser(row.values.get(key))
    except ValueError as exc:
        errors.append(row.error(key, str(exc)))
        return None


def check_lengths(row: Row, limits: dict[str, int], errors: list[RowError]) -> None:
    """Record an error for every cell whose text is longer than its column allows (a 32,767-character
    cell pasted by mistake must not end up in the ledger)."""
    for key, limit in limits.items():
        n = len(text(row.values.get(key)))
        if n > limit:
            errors.append(
                row.error(key, f"内容过长（{n} 字，最多 {limit} 字），请检查是否粘贴错了内容")
            )


def iter_rows(tables: Sequence[SheetTable]) -> Iterator[Row]:
    for t in tables:
        yield from t.rows


_FOOTER = (
    "合计",
    "总计",
    "小计",
    "制表",
    "填表",
    "审核",
    "注：",
    "注:",
    "说明",
    "导出时间",
    "打印时间",
)


def is_footer(row: Row, key: str) -> bool:
    """A totals or signature line under the table: nothing in the ``key`` column (the case number,
    the ID number …) and a footer word (合计, 制表人 …) somewhere in the row."""
    if text(row.values.get(key)):
        return False
    texts = [text(v) for v in row.values.values() if text(v)]
    return bool(texts) and any(x.replace(" ", "").startswith(_FOOTER) for x in texts)
