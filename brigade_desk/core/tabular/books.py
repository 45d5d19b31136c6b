"""The file layer under every importer: what a file really is (by its bytes, never its name)
and its sheets' rows, whatever wrote it.

- :func:`open_workbook` reads the file, sniffs it (an OLE compound file, a zip or text) and hands
  back a :class:`Book` of :class:`Sheet` s from the reader of its format:

  - .xlsx/.xlsm: :mod:`brigade_desk.core.tabular.xlsx` (the sheet XML streamed with expat, see
    :mod:`brigade_desk.core.tabular.xmlstream`);
  - .xls, WPS .et and .ods: :mod:`brigade_desk.core.tabular.calamine_books` (python-calamine,
    given only a copy rebuilt from what was checked);
  - .csv: :mod:`brigade_desk.core.tabular.csvbook`.

- :func:`read_sheet` / :func:`head_rows` give a sheet's rows that hold anything
  (:data:`SparseRows`); :func:`sheet_state` and :func:`date_epoch` what the importers need besides.
- The caps on what one import may hold (issue 15), the tally that counts them and what the formats
  share are in :mod:`brigade_desk.core.tabular.base`.
- Every way a file can fail to be read is a :class:`~brigade_desk.core.errors.UserError` in Chinese
  naming the file (and the sheet, where there is one).
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
import zipfile
from pathlib import Path

from brigade_desk.core.errors import UserError
from brigade_desk.core.tabular.base import (
    CFB_MAGIC,
    CSV_SUFFIXES,
    EXCEL_EPOCH,
    IMPORT_FILTER,
    IMPORT_SUFFIXES,
    MAC_EPOCH,
    MAX_FILE_BYTES,
    MAX_UNPACKED_BYTES,
    SAVE_AS,
    ZIP_MAGIC,
    Book,
    Sheet,
    SparseRows,
    _Hostile,
    _Sheet,
    _trim,
    _why,
    describe_read_error,
    shown,
)
from brigade_desk.core.tabular.calamine_books import (
    _open_ods,
    _open_xls,
)
from brigade_desk.core.tabular.csvbook import (
    _open_csv,
)
from brigade_desk.core.tabular.xlsx import (
    _open_xlsx,
    _XlsxBook,
)

__all__ = [  # what read.py and detect.py take from here
    "EXCEL_EPOCH",
    "IMPORT_FILTER",
    "IMPORT_SUFFIXES",
    "Book",
    "Sheet",
    "SparseRows",
    "date_epoch",
    "head_rows",
    "open_workbook",
    "read_sheet",
    "sheet_state",
    "shown",
]


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


# ---- rows ---------------------------------------------------------------------------------------------


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


def date_epoch(wb: Book) -> dt.date:
    """Day 0 of the workbook's plain-number dates: 1899-12-30, or 1904-01-01 for a workbook in the
    1904 date system (old Mac Excel, and some exports), whose serials are 1,462 days smaller."""
    epoch = getattr(wb, "epoch", None)
    if isinstance(epoch, dt.datetime) and epoch.date() == MAC_EPOCH:
        return MAC_EPOCH
    return EXCEL_EPOCH
