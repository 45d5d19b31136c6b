""".csv (UTF-8 with or without BOM, UTF-16 with BOM, else GB18030) read with the csv module."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from brigade_desk.core.errors import UserError
from brigade_desk.core.tabular.base import (
    MAX_COLS,
    MAX_CSV_RECORD,
    MAX_FILE_ELEMENTS,
    Book,
    _Book,
    _Count,
    _Sheet,
    _Tally,
    _text_len,
    _trim,
    _wan,
    _why,
)

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
