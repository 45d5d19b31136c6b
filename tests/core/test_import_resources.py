"""Bounded resources (issue 15): memory and time follow the cells that really hold data.

Small versions of the hostile files of ``tests/fixtures/hostile/make_hostile.py`` (the full-size
ones are measured by ``python -m benchmarks.import_resources``): each is imported for real and
either gives its rows or is refused with a message naming the file and sheet; .xls/.ods ones are
refused before calamine is handed the file. The .xlsx reader gives what openpyxl's read-only,
data-only mode gives.
"""

from __future__ import annotations

import datetime as dt
import os
import struct
import time
import tracemalloc
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.tabular import base, books, calamine_books, xlsx, xmlstream
from brigade_desk.core.tabular import read as tabular
from brigade_desk.core.tabular.detect import detect_kind
from brigade_desk.ledgers.roster.importer import import_staff
from tests.fixtures.hostile import make_hostile as mh
from tests.hostile_util import has_cjk, set_cap

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def sheets(path: Path) -> dict[str, books.SparseRows]:
    wb = tabular.open_workbook(path)
    try:
        return {ws.title: tabular.read_sheet(path, ws) for ws in wb.worksheets}
    finally:
        wb.close()


def refused(path: Path, *words: str) -> str:
    """The message of a file an import refuses; it names the file and says ``words``."""
    with pytest.raises(UserError) as ei:
        sheets(path)
    msg = ei.value.message
    assert has_cjk(msg) and len(msg) < 400 and path.name in msg, msg
    for w in words:
        assert w in msg, msg
    return msg


class ReachedCalamine(BaseException):
    """Raised where calamine would be handed the file (a BaseException: nothing turns it into a
    message on the way)."""


@pytest.fixture
def no_calamine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fail if a file reaches calamine: the hostile .xls/.ods are refused before it."""
    import python_calamine as cal

    def reached(*_a: Any, **_k: Any) -> Any:
        raise ReachedCalamine

    monkeypatch.setattr(cal.CalamineWorkbook, "from_filelike", reached)
    with pytest.raises(ReachedCalamine):  # an honest file does get there
        tabular.open_workbook(mh.legit_ods(tmp_path, 0.0))


def traced_peak_mb(fn: Any) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


# ---- the .xlsx reader reads what openpyxl reads --------------------------------------------------


def openpyxl_rows(path: Path) -> dict[str, books.SparseRows]:
    """openpyxl's read-only, data-only rows (what the importers read before issue 15), trimmed."""
    with warnings.catch_warnings():  # a date serial out of range, no default style
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
        wb.close()
    out = {}
    for title, got_rows in rows.items():
        got = []
        for n, r in enumerate(got_rows, 1):
            cells = base._trim(r)
            if cells:
                got.append((n, cells))
        out[title] = got
    return out


@pytest.mark.parametrize("epoch_1904", [False, True])
def test_values_are_what_openpyxl_reads(tmp_path: Path, epoch_1904: bool) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "混合"
    ws.append(
        [
            "文本",
            1,
            2.5,
            True,
            False,
            dt.date(2021, 3, 5),
            dt.datetime(2021, 3, 5, 12, 30),
            dt.time(8, 15),
            dt.timedelta(hours=30),
            "#REF!",
            "=1+1",
            None,
            "  ",
            "",
        ]
    )
    ws.append([None, None, "x", "   "])
    ws["A5"] = CellRichText(["富", TextBlock(InlineFont(b=True), "文本")])
    for ref, value, fmt in [
        ("B5", 44260, 'yyyy"年"m"月"d"日"'),
        ("C5", 44260, "0.00"),
        ("D5", -5, "yyyy-mm-dd"),  # a serial out of range: "#VALUE!"
        ("E5", 1e10, "yyyy-mm-dd"),
        ("F5", 0.5, "[h]:mm:ss"),  # a duration
        ("G5", 59, "yyyy-mm-dd"),  # before Excel's 1900-02-29
        ("H5", 44260.75, "yyyy-mm-dd hh:mm"),
    ]:
        ws[ref] = value
        ws[ref].number_format = fmt
    ws["A7"] = "x005F_y"
    hidden = wb.create_sheet("隐藏")
    hidden.sheet_state = "hidden"
    hidden["C3"] = "c3"
    wb.create_sheet("空")
    if epoch_1904:
        wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    p = tmp_path / "混合.xlsx"
    wb.save(p)
    assert sheets(p) == openpyxl_rows(p)
    book = tabular.open_workbook(p)
    assert [books.sheet_state(s) for s in book.worksheets] == ["visible", "hidden", "visible"]
    assert books.date_epoch(book) == (base.MAC_EPOCH if epoch_1904 else books.EXCEL_EPOCH)
    book.close()


def test_date_formats_are_told_as_openpyxl_tells_them() -> None:
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

    formats = [
        *BUILTIN_FORMATS.values(),
        'yyyy"年"m"月"d"日"',
        "[$-F800]dddd, mmmm dd, yyyy",
        "[Red]0.00",
        "[h]:mm:ss",
        "[mm]:ss.00",
        "0.00_);[Red]\\(0.00\\)",
        '"d"0',
        "@",
        "yyyy/m/d;@",
        "General",
    ]
    for fmt in formats:
        assert xlsx._is_date_format(fmt) == is_date_format(fmt), fmt
        assert xlsx._is_timedelta_format(fmt) == is_timedelta_format(fmt), fmt
    for fid, fmt in BUILTIN_FORMATS.items():
        assert is_date_format(fmt) == (fid in xlsx._BUILTIN_DATES), fid
        assert xlsx._BUILTIN_DATES.get(fid, fmt) == fmt


def test_fixtures_read_as_openpyxl_reads_them() -> None:
    for p in [*FIX.glob("*.xlsx")]:
        assert sheets(p) == openpyxl_rows(p), p.name


def test_shared_strings_with_phonetic_runs(tmp_path: Path) -> None:
    """Shared strings as Excel writes them for CJK text: rich runs count, phonetic runs (rPh) do
    not; the same file through openpyxl gives the same."""
    sst = [
        b"<si><t>\xe5\xa7\x93\xe5\x90\x8d</t></si>",  # 姓名
        b"<si><r><t>\xe5\xbc\xa0</t></r><r><rPr><b/></rPr><t>\xe4\xb8\x89</t></r>"
        b"<rPh sb='0' eb='1'><t>zhang</t></rPh></si>",  # 张 + 三, phonetic zhang
    ]
    body = [
        b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        b'<row r="2"><c r="A2" t="s"><v>1</v></c></row>',
    ]
    p = mh.write_xlsx(tmp_path / "共享.xlsx", mh.sheet_xml(body), sst)
    assert sheets(p) == openpyxl_rows(p) == {"花名册": [(1, ["姓名"]), (2, ["张三"])]}


def test_rows_and_cells_without_r_follow_the_one_before(tmp_path: Path, db: Database) -> None:
    p = mh.no_refs_xlsx(tmp_path, 0.01)
    got = sheets(p)["花名册"]
    assert [n for n, _ in got] == list(range(1, len(got) + 1))
    assert got == openpyxl_rows(p)["花名册"]
    r = import_staff(db, p, dry_run=True)
    assert r.created == len(got) - 1 and not r.errors


def test_rows_out_of_order_are_sorted_and_a_row_twice_is_refused(tmp_path: Path) -> None:
    body = [mh.xlsx_row(3, ["三"]), mh.xlsx_row(1, ["一"]), mh.xlsx_row(2, ["二"])]
    p = mh.write_xlsx(tmp_path / "乱序.xlsx", mh.sheet_xml(body))
    assert sheets(p)["花名册"] == [(1, ["一"]), (2, ["二"]), (3, ["三"])]
    body.append(mh.xlsx_row(2, ["又是二"]))
    p = mh.write_xlsx(tmp_path / "重行.xlsx", mh.sheet_xml(body))
    refused(p, "「花名册」", "第 2 行", "不止一次")


def test_utf16_sheet_xml_reads_the_same(tmp_path: Path) -> None:
    """Some .NET writers save the parts as UTF-16."""
    src = mh.write_xlsx(
        tmp_path / "a.xlsx", mh.sheet_xml(mh.xlsx_row(i, r) for i, r in enumerate(mh.rows(3), 1))
    )
    out = tmp_path / "utf16.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                text = data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
                data = text.encode("utf-16")  # with a BOM
            zout.writestr(item.filename, data)
    assert sheets(out) == sheets(src) == openpyxl_rows(src)


# ---- far cells, huge row numbers, row 0 -----------------------------------------------------------


def test_declared_dimension_and_a_far_cell_cost_nothing(tmp_path: Path, db: Database) -> None:
    p = mh.far_cell_xlsx(tmp_path, 1.0)
    assert p.stat().st_size < 4096
    got: dict[str, books.SparseRows] = {}
    peak = traced_peak_mb(lambda: got.update(sheets(p)))
    rows = got["花名册"]
    assert [n for n, _ in rows] == [1, 2, 3, 4, 1_048_576]
    assert rows[-1][1][-1] == 1 and len(rows[-1][1]) == base.MAX_COLS
    assert peak < 20, f"{peak:.1f} MB traced"  # openpyxl: 23 GB
    r = import_staff(db, p, dry_run=True)
    assert r.created == 3 and not r.errors


def test_a_row_number_in_the_billions_is_refused(tmp_path: Path) -> None:
    p = mh.huge_row_number_xlsx(tmp_path, 1.0)
    t = time.perf_counter()
    peak = traced_peak_mb(lambda: refused(p, "「花名册」", "第 99999999999 行", "1048576"))
    assert peak < 20 and time.perf_counter() - t < 5


def test_row_zero_is_refused_not_dropped(tmp_path: Path) -> None:
    refused(mh.row_zero_xlsx(tmp_path, 1.0), "「花名册」", "行号为 0")


def test_a_cell_beyond_column_xfd_is_refused(tmp_path: Path) -> None:
    body = [mh.xlsx_row(1, ["姓名"]), b'<row r="2"><c r="XFE2"><v>1</v></c></row>']
    refused(mh.write_xlsx(tmp_path / "超列.xlsx", mh.sheet_xml(body)), "第 16385 列", "XFD")


# ---- the caps -------------------------------------------------------------------------------------


def test_rows_past_the_cap_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """200 MB of the same row, zipped to 1 MB (here 2 MB of rows and a cap of 1,000 rows)."""
    set_cap(monkeypatch, "MAX_FILE_ROWS", 1000)
    p = mh.zip_rows_xlsx(tmp_path, 0.01)
    refused(p, "「花名册」", "超过 0.1 万行", "拆成几个文件")


def test_rows_at_the_cap_import(
    tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_cap(monkeypatch, "MAX_FILE_ROWS", 501)
    p = mh.legit_xlsx(tmp_path, 0.025)  # a header and 500 rows
    assert import_staff(db, p, dry_run=True).created == 500


def test_wide_rows_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Column A and column XFD in every row: 16,384 cells a row as the importers see it."""
    set_cap(monkeypatch, "MAX_SHEET_CELLS", 200_000)
    refused(mh.wide_rows_xlsx(tmp_path, 0.01), "「花名册」", "单元格超过 20 万个")


def test_the_file_cap_counts_all_sheets_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wb = Workbook()
    for title in ("一", "二"):
        ws = wb.create_sheet(title)
        for i in range(60):
            ws.append([i, "x"])
    del wb["Sheet"]
    p = tmp_path / "两表.xlsx"
    wb.save(p)
    set_cap(monkeypatch, "MAX_FILE_ROWS", 100)
    book = tabular.open_workbook(p)
    one, two = book.worksheets
    for _ in range(3):  # reading a sheet again does not count it again
        assert len(tabular.read_sheet(p, one)) == 60
    with pytest.raises(UserError) as ei:
        tabular.read_sheet(p, two)
    assert "「二」" in ei.value.message and "整个文件合计" in ei.value.message
    book.close()


def test_a_huge_shared_string_table_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_cap(monkeypatch, "MAX_FILE_CELLS", 100_000)
    p = mh.huge_sst_xlsx(tmp_path, 0.01)  # 200,000 strings
    with pytest.raises(UserError) as ei:
        tabular.open_workbook(p)
    assert p.name in ei.value.message and "共享字符串表" in ei.value.message


def test_a_long_string_used_everywhere_counts_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_cap(monkeypatch, "MAX_FILE_TEXT", 3_000_000)
    refused(mh.shared_string_everywhere_xlsx(tmp_path, 0.01), "「花名册」", "文字超过 300 万字")


def test_a_giant_cell_is_refused_while_read(tmp_path: Path) -> None:
    p = mh.giant_cell_xlsx(tmp_path, 0.01)  # 2 MB of text in one cell
    peak = traced_peak_mb(lambda: refused(p, "「花名册」", "第 5 行第 15 列", "32767"))
    assert peak < 30


# ---- XML no office program writes ------------------------------------------------------------------


def _sheet_with(tmp_path: Path, name: str, extra: bytes) -> Path:
    body = [mh.xlsx_row(1, ["姓名"]), extra, mh.xlsx_row(2, ["张三"])]
    return mh.write_xlsx(tmp_path / name, mh.sheet_xml(body))


def test_small_comments_and_cdata_are_fine(tmp_path: Path) -> None:
    p = _sheet_with(tmp_path, "注释.xlsx", b"<!-- by a tool <x> --><?pi data?>")
    assert sheets(p)["花名册"] == [(1, ["姓名"]), (2, ["张三"])]
    cdata = '<row r="3"><c r="A3" t="inlineStr"><is><t><![CDATA[<李四>]]></t></is></c></row>'
    got = sheets(_sheet_with(tmp_path, "cdata.xlsx", cdata.encode()))["花名册"]
    assert got[-1] == (3, ["<李四>"])


@pytest.mark.parametrize(
    "extra",
    [
        b'<row r="3" x="' + b"a" * 300_000 + b'"/>',  # one tag held whole by expat
        b"<!--" + b"<a>" * 100_000 + b"-->",  # a comment full of "<"
        b"<?pi " + b"<" * 300_000 + b"?>",
    ],
    ids=["attribute", "comment", "processing-instruction"],
)
def test_a_huge_xml_token_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: bytes
) -> None:
    set_cap(monkeypatch, "MAX_XML_TOKEN", 200_000)
    refused(_sheet_with(tmp_path, "长标记.xlsx", extra), "「花名册」", "损坏")


def test_doctype_and_deep_nesting_are_refused(tmp_path: Path) -> None:
    src = mh.write_xlsx(tmp_path / "a.xlsx", mh.sheet_xml([mh.xlsx_row(1, ["姓名"])]))
    out = tmp_path / "实体.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data.replace(
                    b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]><worksheet', 1
                )
            zout.writestr(item.filename, data)
    refused(out, "DOCTYPE")
    deep = b"<x>" * 1000 + b"</x>" * 1000
    refused(_sheet_with(tmp_path, "嵌套.xlsx", deep), "嵌套过深")


def test_the_guard_sees_across_chunk_boundaries() -> None:
    doc = b'<?xml version="1.0"?><a><!-- x < y --><![CDATA[ <z> ]]><?p <q ?></a>'
    for size in (1, 2, 3, 5, 7):
        g = xmlstream._XmlGuard()
        for i in range(0, len(doc), size):
            g.feed(doc[i : i + size])
        g = xmlstream._XmlGuard()
        with pytest.raises(base._Hostile):
            bad = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a/>'
            for i in range(0, len(bad), size):
                g.feed(bad[i : i + size])


# ---- time follows what is gone through, data or not --------------------------------------------------


def test_elements_lines_and_records_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 MB of empty cells zip to nothing: the time of reading them is bounded by a cap on XML
    elements (.xlsx, .ods), records (.xls) and lines (.csv) per file."""
    set_cap(monkeypatch, "MAX_FILE_ELEMENTS", 50_000)
    refused(mh.empty_cells_xlsx(tmp_path, 0.005), "「花名册」", "XML 元素超过 5 万个")
    refused(mh.ods_empty_cells(tmp_path, 0.005), "XML 元素超过 5 万个")
    refused(mh.legit_xls(tmp_path, 0.25), "记录超过 5 万条")
    refused(mh.blank_lines_csv(tmp_path, 0.02), "超过 5 万行")


def test_blank_lines_cost_no_memory(tmp_path: Path, db: Database) -> None:
    p = mh.blank_lines_csv(tmp_path, 0.02)  # 100,000 empty lines between rows 2 and 3
    got: dict[str, books.SparseRows] = {}
    peak = traced_peak_mb(lambda: got.update(sheets(p)))
    assert [n for n, _ in got["空行"]] == [1, 2, 100_003, 100_004] and peak < 20
    assert import_staff(db, p, dry_run=True).created == 3


# ---- .ods: refused before calamine expands it -------------------------------------------------------


def test_ods_empty_cells_calamine_would_push(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_calamine: None
) -> None:
    """Calamine keeps every empty cell of a row that is not at its end (56 bytes each)."""
    set_cap(monkeypatch, "MAX_FILE_CELLS", 100_000)
    refused(mh.ods_empty_cells(tmp_path, 0.05), "含空白单元格")


def test_ods_repeats_far_cells_and_space_bombs(tmp_path: Path, no_calamine: None) -> None:
    refused(mh.ods_repeats(tmp_path, 0.001), "「花名册」", "16384 列", "远超")
    refused(mh.ods_far_cell(tmp_path, 1.0), "1048576 行 × 15 列", "远超")
    refused(mh.ods_space_bomb(tmp_path, 1.0), "「花名册」", "32767")
    body = [
        mh.ods_row(["姓名"]),
        b'<table:table-row table:number-rows-repeated="2000000">'
        b'<table:table-cell office:value-type="float" office:value="1"/></table:table-row>',
    ]
    refused(mh.write_ods(tmp_path / "超行.ods", body), "1048576")


def test_ods_as_libreoffice_saves_it_imports(tmp_path: Path, db: Database) -> None:
    """LibreOffice ends a sheet with the rest of the grid as repeated empty rows and cells."""
    body = [mh.ods_row(r) for r in mh.rows(5)]
    body.append(
        b'<table:table-row table:number-rows-repeated="1048570"><table:table-cell '
        b'table:number-columns-repeated="16384"/></table:table-row>'
    )
    p = mh.write_ods(tmp_path / "花名册.ods", body)
    got = sheets(p)["花名册"]
    assert [n for n, _ in got] == [1, 2, 3, 4, 5, 6] and got[1][1][3] == mh.id_number(0)
    assert import_staff(db, p, dry_run=True).created == 5


# ---- .xls: a checked, rebuilt copy is what calamine reads -------------------------------------------


def test_xls_far_cell_wide_column_and_shared_text(tmp_path: Path, no_calamine: None) -> None:
    refused(mh.xls_far_cell(tmp_path, 1.0), "65536 行 × 256 列", "远超")
    refused(mh.xls_wide_col(tmp_path, 1.0), "「花名册」", "第 65536 列")
    refused(mh.xls_sst_everywhere(tmp_path, 0.01), "「花名册」", "文字超过")


def test_xls_with_a_broken_container_is_damaged_not_a_crash(tmp_path: Path) -> None:
    refused(mh.xls_bad_container(tmp_path, 1.0), "旧版 Excel（.xls）", "损坏")


def test_xls_dimensions_formulas_and_1904(tmp_path: Path, db: Database) -> None:
    """A DIMENSIONS record claiming 4 billion rows is left out (calamine reserves memory from it);
    a formula's result is read, its tokens are not; the 1904 date system is the workbook's epoch."""
    cells, strings = mh.biff_rows(mh.rows(3))
    dims = mh.rec(0x0200, struct.pack("<IIHHH", 0, 0xFFFFFFF0, 0, 256, 0))
    # =1+1 with its result 2, and a formula whose result is text (a STRING record follows)
    one_plus_one = b"\x1e\x01\x00\x1e\x01\x00\x03"
    f_num = mh.rec(0x0006, struct.pack("<HHHdHIH", 5, 0, 0, 2.0, 0, 0, 7) + one_plus_one)
    text_result = struct.pack("<HHHBBBBHHIH", 6, 0, 0, 0, 0, 0, 0, 0xFFFF, 0, 0, 7)
    f_text = mh.rec(0x0006, text_result + one_plus_one)
    string = mh.rec(0x0207, struct.pack("<HB", 2, 1) + "结果".encode("utf-16-le"))
    p = mh.write_xls(tmp_path / "公式.xls", [dims, *cells, f_num, f_text, string], strings)
    got = sheets(p)["花名册"]
    assert got[-2:] == [(6, [2]), (7, ["结果"])]
    assert import_staff(db, p, dry_run=True).created == 3

    glob = mh.biff_workbook(cells, strings)
    datemode = mh.rec(0x0022, struct.pack("<H", 1))
    at = glob.index(mh.rec(0x0042, struct.pack("<H", 1200)))
    stream = glob[:at] + datemode + glob[at:]
    pos = stream.index(b"\x85\x00") + 4  # the BoundSheet8's position field
    sheet_at = stream.index(
        mh.rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 6))
    )
    stream = stream[:pos] + struct.pack("<I", sheet_at) + stream[pos + 4 :]
    p1904 = tmp_path / "1904.xls"
    p1904.write_bytes(calamine_books.cfb_container("Workbook", stream))
    book = tabular.open_workbook(p1904)
    assert books.date_epoch(book) == base.MAC_EPOCH
    book.close()


def test_the_xls_fixtures_still_read(db: Database) -> None:
    for name in ("花名册.xls", "花名册_biff.et"):
        assert [n for n, _ in sheets(FIX / name)["花名册"]] == [1, 2, 3, 4, 5, 6]


# ---- .csv ---------------------------------------------------------------------------------------------


def test_csv_lines_that_never_end_are_refused(tmp_path: Path) -> None:
    refused(mh.wide_csv(tmp_path, 0.5), "第 2 行", "400 万字")
    refused(mh.quoted_newlines_csv(tmp_path, 0.5), "第 2 行", "引号")
    p = tmp_path / "两万列.csv"
    p.write_text("姓名\n" + "a," * 20_000 + "\n", encoding="utf-8")
    refused(p, "第 2 行", "20001 列", "16384")


def test_big_csv_imports(tmp_path: Path, db: Database) -> None:
    p = mh.big_csv(tmp_path, 0.02)  # 1,180 rows
    r = import_staff(db, p, dry_run=True)
    assert r.created > 1000 and not r.errors


# ---- guessing the kind reads a few rows only ----------------------------------------------------------


def test_detect_reads_only_the_first_rows(tmp_path: Path) -> None:
    from brigade_desk.app.ledgers import REGISTRY

    p = mh.zip_rows_xlsx(tmp_path, 0.1)  # 20 MB of rows
    t = time.perf_counter()
    assert detect_kind(p, REGISTRY.importers()) == "staff"
    assert time.perf_counter() - t < 2


# ---- the whole import in a process of its own: peak RSS ---------------------------------------------


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="peak RSS of a child via wait4 (POSIX)")
def test_peak_memory_of_real_imports(tmp_path: Path) -> None:
    from benchmarks.import_resources import run_child

    root = Path(__file__).resolve().parents[2]

    def run(path: Path) -> dict[str, Any]:
        return run_child(path, "staff", root, limit_gb=4, timeout=60)

    far = run(mh.far_cell_xlsx(tmp_path, 1.0))
    assert far["outcome"] == "import" and far["created"] == 3 and far["peak_mb"] < 200, far
    for p in (mh.xls_far_cell(tmp_path, 1.0), mh.ods_repeats(tmp_path, 1.0)):
        r = run(p)
        assert r["outcome"] == "refuse" and p.name in r["message"] and r["peak_mb"] < 200, r


def test_plain_sheets_read_by_calamine_give_the_streamed_rows(tmp_path: Path) -> None:
    """The fast reader of plain .xlsx sheets (python-calamine after a byte scan) gives exactly the
    rows the streamed reader gives, on the committed real-world layouts and a mixed-type sheet."""
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "日期", "数", "小数", "真", "时间", None, "空后"])
    ws.append(["张三", dt.datetime(2025, 3, 5), 3, 2.5, True, dt.time(9, 30), None, "x"])
    ws.append([])
    ws.append(["李四", dt.date(2024, 2, 29), 10**15, -0.1, False, None, None, None])
    mixed = tmp_path / "混合.xlsx"
    wb.save(mixed)
    layouts = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
    files = [mixed, *sorted(layouts.glob("*.xlsx"))]
    fast_used = 0
    for f in files:
        book = books.open_workbook(f)
        try:
            for sheet in book.worksheets:
                assert isinstance(sheet, xlsx._XlsxSheet)
                streamed = list(sheet._streamed(sheet._tally.count(sheet.title), None))
                if xlsx._plain_sheet(sheet._book.zip, sheet._part, sheet._book.strings):
                    fast = sheet._fast(sheet._tally.count(sheet.title))
                    assert fast == streamed, (f.name, sheet.title)
                    fast_used += 1
        finally:
            book.close()
    assert fast_used >= len(files) - 1  # every plain sheet here took the fast path


def test_a_long_shared_string_used_everywhere_is_never_given_to_calamine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """calamine copies a shared string into every cell using it (a 30,000-character string in
    every cell took 6 GB and aborted the process): such a sheet is streamed, and counted."""
    set_cap(monkeypatch, "MAX_PLAIN_TEXT", 100_000)
    path = mh.shared_string_everywhere_xlsx(tmp_path, 0.01)
    book = books.open_workbook(path)
    try:
        sheet = book.worksheets[0]
        assert isinstance(sheet, xlsx._XlsxSheet)
        assert not xlsx._plain_sheet(sheet._book.zip, sheet._part, sheet._book.strings)
    finally:
        book.close()


def test_a_rust_panic_in_calamine_falls_back_to_the_streamed_reader(tmp_path: Path) -> None:
    """A duration cell far out of range makes calamine panic (a BaseException from Rust): the
    sheet is read by the streamed reader instead, the same rows as openpyxl would give."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "时长"])
    ws.append(["张三", "x", -1e300])
    ws["C2"].number_format = "[h]:mm"
    path = tmp_path / "时长.xlsx"
    wb.save(path)
    book = books.open_workbook(path)
    try:
        rows = books.read_sheet(path, book.worksheets[0])
    finally:
        book.close()
    assert rows[0] == (1, ["姓名", "身份证号", "时长"]) and rows[1][1][:2] == ["张三", "x"]


def test_a_cell_beyond_every_row_number_is_seen_without_listing_the_cells() -> None:
    """The scan before calamine bounds the rectangle by the highest <row r> and looks for a cell
    naming a higher row with one regular expression (:func:`xlsx._beyond`): it matches exactly
    the row numbers greater than n, and a far cell hidden in row 1 keeps the sheet from calamine."""
    import random

    rnd = random.Random(15)
    for n in [1, 9, 10, 19, 99, 100, 20001, 99999, 1048575, *rnd.sample(range(1, 2_000_000), 200)]:
        pattern = xlsx._beyond(n)
        for m in {1, n - 1, n, n + 1, n * 10, n + 9, *rnd.sample(range(1, 3_000_000), 50)}:
            if m < 1:
                continue
            for col in ("A", "AB", "XFD"):
                got = bool(pattern.search(f'<c r="{col}{m}" t="s">'.encode()))
                assert got == (m > n), (n, m, col)
    ok = b'<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="B2"><v>2</v></c></row>'
    assert xlsx._calamine_safe(b"<sheetData>" + ok + b"</sheetData>")
    far = ok.replace(b'<c r="B2">', b'<c r="XFD1048576">')
    assert not xlsx._calamine_safe(b"<sheetData>" + far + b"</sheetData>")
    assert not xlsx._calamine_safe(ok.replace(b'"A1"', b'"A0"'))  # row 0
    assert not xlsx._calamine_safe(ok.replace(b'<c r="A1">', b'<c s="1" r="A1">'))  # r not first
    # cells or rows named twice are safe for calamine but would read differently: streamed
    twice = ok.replace(b'"B2"', b'"A1"')
    assert xlsx._calamine_safe(twice) and not xlsx._calamine_same(twice)


def test_the_one_pass_scan_agrees_with_listing_every_cell() -> None:
    """The usual sheet passes :func:`xlsx._calamine_safe` after one look at each cell
    (:func:`xlsx._odd_cell`: row 0 or a leading zero, a row below the last ``<row r>``, a
    column beyond what the cell cap allows for that many rows); anything it flags is decided by
    listing the cells, as before. Its column pattern names exactly the columns greater than n,
    and the cap is the same either way."""
    import random

    from openpyxl.utils import get_column_letter

    rnd = random.Random(18)
    for n in [
        1,
        25,
        26,
        27,
        99,
        100,
        701,
        702,
        703,
        16383,
        16384,
        *rnd.sample(range(1, 16384), 60),
    ]:
        pattern = xlsx._odd_cell(10, n)
        for c in {1, n - 1, n, n + 1, 26, 27, 702, 703, 16384, *rnd.sample(range(1, 16385), 40)}:
            if c < 1:
                continue
            got = bool(pattern.search(f'<c r="{get_column_letter(c)}7" t="s">'.encode()))
            assert got == (c > n), (n, c)

    def sheet(rows: int, extra: str = "") -> bytes:
        cells = "".join(
            f'<row r="{r}"><c r="A{r}"><v>1</v></c><c r="B{r}"><v>2</v></c>'
            + (extra.format(r=r) if r == rows else "")
            + "</row>"
            for r in range(1, rows + 1)
        )
        return f"<sheetData>{cells}</sheetData>".encode()

    rows = 20001  # the cap allows 99 columns (CU) for this many rows
    assert xlsx._calamine_safe(sheet(rows))
    assert xlsx._calamine_safe(sheet(rows, '<c r="CU{r}"><v>3</v></c>'))
    assert not xlsx._calamine_safe(sheet(rows, '<c r="CV{r}"><v>3</v></c>'))
    assert not xlsx._calamine_safe(sheet(rows, '<c r="C0{r}"><v>3</v></c>'))  # leading zero
    # below the last row: the rectangle grows to it (60,006 cells: fine; 2.37 million: not)
    assert xlsx._calamine_safe(sheet(rows, '<c r="C20002"><v>3</v></c>'))
    assert not xlsx._calamine_safe(sheet(rows, '<c r="CA30000"><v>3</v></c>'))
    # a cell of a later row, written in an earlier one (within the cap): read by listing cells
    assert xlsx._calamine_safe(sheet(30, '<c r="C40"><v>3</v></c>'))


def test_odd_rows_are_no_danger_but_go_to_the_streamed_reader() -> None:
    """With every cell naming its place, how the rows are written makes calamine's rectangle no
    bigger, but it would read differently from the streamed reader, so ``_calamine_same`` sends
    the sheet there whatever the safety scan said: a row without r, row 0 / a leading zero, rows out
    of order with cells below the last row element (decided the long way, by the cells)."""
    ok = b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="B2"><v>2</v></c></row></sheetData>'
    assert xlsx._calamine_safe(ok) and xlsx._calamine_same(ok)
    for odd in (
        ok.replace(b'<row r="2">', b"<row>"),
        ok.replace(b'<row r="2">', b'<row r="02">'),
        ok.replace(b'<row r="1">', b'<row r="0">'),
    ):
        assert not xlsx._calamine_same(odd), odd  # (safe or not: never read by calamine)
    # the last row element names row 1, a cell names row 3: looked at cell by cell, still safe
    backwards = ok.replace(b'<row r="2"><c r="B2">', b'<row r="1"><c r="B3">').replace(
        b'<row r="1"><c r="A1">', b'<row r="2"><c r="A1">'
    )
    assert xlsx._calamine_safe(backwards)
    # ... and a far cell hidden that way is still refused
    far = backwards.replace(b'"B3"', b'"XFD1048576"')
    assert not xlsx._calamine_safe(far)


# cell tags calamine reads a place from although the scans used to look only for <c r="…":
# a tab or a line break before r, a second r, lower-case letters, a namespace prefix, cells
# without r in a far row (calamine counts their columns), r not first
_FAR_CELLS = [
    b'<c\tr="XFD1048576"><v>2</v></c>',
    b'<c\nr="XFD1048576"><v>2</v></c>',
    b'<c r="C1" r="XFD1048576"><v>2</v></c>',
    b'<c r="C1" t="n" r="XFD1048576"><v>2</v></c>',
    b'<c r = "XFD1048576"><v>2</v></c>',
    b'<c r="xfd1048576"><v>2</v></c>',
    b'<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="XFD1048576"><v>2</v></x:c>',
    b'<c s="0" r="XFD1048576"><v>2</v></c>',
    b"<c r='XFD1048576'><v>2</v></c>",
    b'<c r="C1" t="x>y" r="XFD1048576"><v>2</v></c>',  # a ">" inside a value is no tag end
    b'<c r="C1" t=\'n\' r="XFD1048576"><v>2</v></c>',
]


@pytest.mark.parametrize("far", _FAR_CELLS)
def test_a_far_cell_in_any_form_never_reaches_calamine(tmp_path: Path, far: bytes) -> None:
    """Every cell tag must be the one form the scan reads places from, within the bounds, or
    the sheet is streamed: a 1 KB file naming XFD1048576 another way used to make calamine ask
    for 512 GB and end the program (a Rust abort, no message). Read in a child process with its
    memory capped, so a regression fails this test instead of the whole run."""
    import subprocess
    import sys

    src = tmp_path / "src.xlsx"
    wb = Workbook()
    wb.active.title = "花名册"
    wb.active.append(["姓名", "身份证号"])
    wb.save(src)
    path = tmp_path / "far.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for n in zin.namelist():
            d = zin.read(n)
            if n == "xl/worksheets/sheet1.xml":
                assert b"</row></sheetData>" in d
                d = d.replace(b"</row></sheetData>", far + b"</row></sheetData>")
                assert not xlsx._calamine_safe(d), far
            zout.writestr(n, d)
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from brigade_desk.core.tabular import read as t\n"
        "wb = t.open_workbook(sys.argv[1])\n"
        "try:\n"
        "    rows = t.read_sheet(sys.argv[1], wb.worksheets[0])\n"
        "    print('rows', len(rows))\n"
        "except Exception as exc:\n"
        "    print('refused', type(exc).__name__)\n"
    )
    if sys.platform == "win32":
        pytest.skip("RLIMIT_AS is POSIX")
    got = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    assert got.returncode == 0, got.stderr[-2000:]
    assert got.stdout.startswith(("rows", "refused")), got.stdout


def test_the_bounds_patterns_name_exactly_the_rows_and_columns_within() -> None:
    """``_rows_upto(n)`` matches the row numbers 1..n written without leading zeros,
    ``_columns_upto(n)`` the column letters A..n — the whitelist the one-pass scan uses."""
    import random
    import re

    from openpyxl.utils import get_column_letter

    rnd = random.Random(19)
    for n in [
        1,
        9,
        10,
        11,
        19,
        20,
        99,
        100,
        101,
        20001,
        99999,
        1048576,
        *rnd.sample(range(1, 2_000_000), 80),
    ]:
        rows = re.compile(f"(?:{xlsx._rows_upto(n)})")
        for m in {1, n - 1, n, n + 1, 10 * n, n + 9, *rnd.sample(range(1, 3_000_000), 40)}:
            if m >= 1:
                assert bool(rows.fullmatch(str(m))) == (m <= n), (n, m)
        assert not rows.fullmatch("0") and not rows.fullmatch("01")
    for n in [1, 25, 26, 27, 52, 99, 701, 702, 703, 16383, 16384, *rnd.sample(range(1, 16384), 60)]:
        cols = re.compile(f"(?:{xlsx._columns_upto(n)})")
        for c in {1, n - 1, n, n + 1, 26, 27, 702, 703, 16384, *rnd.sample(range(1, 16385), 40)}:
            if c >= 1:
                assert bool(cols.fullmatch(get_column_letter(c))) == (c <= n), (n, c)
        assert not cols.fullmatch("a") and not cols.fullmatch("AAAA")


def test_line_breaks_in_texts_keep_a_sheet_on_the_fast_path() -> None:
    """A tab or a line break inside a cell tag is refused by the cell-tag whitelist; in a text
    (a title written on two lines, as the program's own exports write 填报单位 … 填报日期)
    it changes nothing: the sheet still goes to calamine."""
    from brigade_desk.core.tabular import xlsx

    text = '<c r="A1" t="inlineStr"><is><t>填报单位：某大队\n填报日期：2026年\t12月5日</t></is></c>'
    x = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<worksheet><sheetData>'
        f'<row r="1">{text}</row><row r="2"><c r="B2"><v>1</v></c></row></sheetData></worksheet>'
    ).encode()
    assert xlsx._calamine_safe(x) and xlsx._calamine_same(x)
    for odd in (b'<c\tr="B2">', b'<c\nr="B2">', b'<c\r\nr="B2">', b'<c r="B2"\ns="1">'):
        assert not xlsx._calamine_safe(x.replace(b'<c r="B2">', odd)), odd
