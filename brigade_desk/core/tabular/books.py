"""The file layer under every importer: what a file really is (by its bytes, never its name) and
its sheets' rows, whatever wrote it.

- .xlsx/.xlsm with openpyxl; .xls and WPS .et (BIFF8 in an OLE compound file) and .ods with
  python-calamine; .csv (UTF-8 with or without BOM, UTF-16 with BOM, else GB18030, which covers
  GBK) with the csv module. :func:`open_workbook` hands back a :class:`Book` of :class:`Sheet` s
  whichever it was.
- Every way a file can fail to be read is a :class:`~brigade_desk.core.errors.UserError` in Chinese
  naming the file.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
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

    def __init__(
        self, title: str, load: Callable[[int | None], list[list[Any]]], state: str = "visible"
    ) -> None:
        self._title = title
        self._load = load
        self.sheet_state = state

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

    def state(v: Any) -> str:  # the enum is not hashable
        if v == cal.SheetVisibleEnum.Hidden:
            return "hidden"
        return "veryHidden" if v == cal.SheetVisibleEnum.VeryHidden else "visible"

    return RowsBook(
        [RowsSheet(m.name, loader(m.name), state(m.visible)) for m in metas],
        wb.close,
    )


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


# One sheet's rows as the importers see them: (Excel row number, the cells from column A with the
# blank cells at the end left off). Blank rows are left out, so the rows stand for the cells that
# really hold data, never for a declared size or a far-away row number.
SparseRows = list[tuple[int, list[Any]]]


def _trim(values: Iterable[Any]) -> list[Any]:
    out = list(values)
    while out and (out[-1] is None or (isinstance(out[-1], str) and not out[-1].strip())):
        out.pop()
    return out


def read_sheet(path: Path, ws: Sheet) -> SparseRows:
    """The rows of a sheet that hold anything (see :data:`SparseRows`); a damaged sheet becomes a
    message naming it."""
    try:
        with warnings.catch_warnings():  # a date serial out of range warns and reads as #VALUE!
            warnings.simplefilter("ignore", UserWarning)
            out: SparseRows = []
            for n, r in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = _trim(r)
                if cells:
                    out.append((n, cells))
            return out
    except UserError:
        raise
    except Exception as exc:  # malformed XML, bad shared-string index, bad ISO dates …
        raise UserError(
            f"无法读取 {Path(path).name} 的工作表「{ws.title}」：内容已损坏"
            f"（{shown(type(exc).__name__ + ': ' + str(exc), 80)}）。请在 Excel 中打开并“另存为” .xlsx 后再试。"
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
