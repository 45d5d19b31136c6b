"""The streamed form layout (XlsxWriter): cell types and styles, the printed set-up, nothing left behind
when writing stops half-way; and the text path join used by the AV ledger."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from brigade_desk.core.forms.xlsxform import ROW_PT, Col, FormInfo, Section, StreamWorkbook
from brigade_desk.ledgers.av import roots

INFO = FormInfo(
    "某县交通运输综合行政执法大队", dt.date(2026, 10, 9), "张三", "李四", "0123-4567890"
)
COLS = [
    Col("序号", 6),
    Col("文本", 20),
    Col("数量", 9, "0.0"),
    Col("日期", 12),
    Col("时间", 17),
    Col("备注", 16),
]


def test_stream_sheet_cells_styles_and_print_setup(tmp_path: Path) -> None:
    rows = [
        [1, "=SUM(A1:A9)", 2.25, dt.date(2026, 9, 30), dt.datetime(2026, 9, 30, 8, 5), "+86 123"],
        [2, "-1", Decimal("3.5"), None, None, True],
        [3, "一段超过十二个字的很长很长的文字需要换行", None, "", "@x", False],
        ["", Section("以下为单列人员")],
        [4, "x" * 5, 7, None, None, "附加", "多出的列不写"],
    ]
    out = tmp_path / "s.xlsx"
    with StreamWorkbook(out) as wb:
        assert wb.add_form_sheet("表一", "测试表", INFO, COLS, rows, note="说明文字") == 5
    ws = openpyxl.load_workbook(out)["表一"]
    assert ws["A1"].value == "测试表" and ws["A1"].font.b and ws["A1"].font.name == "黑体"
    merged = {str(r) for r in ws.merged_cells.ranges}
    # the 填报单位 line: the unit and the date each merged over columns wide enough for it
    assert {"A1:F1", "A2:D2", "E2:F2", "B7:F7", "A10:F10"} <= merged
    assert (
        ws["A2"].value == "填报单位：某县交通运输综合行政执法大队"
        and ws["E2"].value == "填报日期：2026年10月9日"
    )
    assert [c.value for c in ws[3]] == [c.header for c in COLS] and ws[
        "A3"
    ].fill.fgColor.rgb.endswith("D9E1F2")
    # formula-like texts stay text, marked as text (quote prefix) so that editing keeps them so
    for ref in ("B4", "F4", "B5", "E6"):
        assert ws[ref].data_type == "s" and ws[ref].quotePrefix, ref
    assert not ws["B6"].quotePrefix
    assert (
        ws["B4"].value == "=SUM(A1:A9)" and ws["F4"].value == "+86 123" and ws["B5"].value == "-1"
    )
    # numbers and dates keep their types and formats
    assert ws["C4"].value == 2.25 and ws["C4"].number_format == "0.0"
    assert ws["D4"].value == dt.datetime(2026, 9, 30) and ws["D4"].number_format == "yyyy-mm-dd"
    assert (
        ws["E4"].value == dt.datetime(2026, 9, 30, 8, 5)
        and ws["E4"].number_format == "yyyy-mm-dd hh:mm"
    )
    assert ws["C5"].value == 3.5 and ws["F5"].value == "是" and ws["F6"].value == "否"
    # every body cell bordered, empty ones too; long texts wrap
    for row in ws.iter_rows(min_row=4, max_row=6, max_col=6):
        for c in row:
            assert c.border.left.style == "thin" and c.font.name == "宋体", c.coordinate
    assert (
        ws["D6"].value is None and ws["C6"].value is None and ws["D5"].border.bottom.style == "thin"
    )
    assert ws["B6"].alignment.wrap_text and not ws["B4"].alignment.wrap_text
    assert ws["B7"].value == "以下为单列人员" and ws["B7"].font.b
    assert ws["F8"].value == "附加" and ws["G8"].value is None
    # footer block: three merged runs, each wide enough for its text; print set-up
    assert ws["A10"].value == "说明文字"
    assert {"A11:B11", "C11:D11", "E11:F11"} <= merged
    assert [ws["A11"].value, ws["C11"].value, ws["E11"].value] == [
        "填表人：张三",
        "审核人：李四",
        "联系电话：0123-4567890",
    ]
    assert ws["A4"].alignment.horizontal == "center"  # 序号 is not glued to the next column
    assert (
        ws.auto_filter.ref == "A3:F8" and ws.freeze_panes == "A4" and ws.print_title_rows == "$3:$3"
    )
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"
    # a narrow form prints one page wide at 100 %, not "fit to page"
    assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.scale in (100, None)  # 100 is the default XlsxWriter leaves out
    assert ws.page_margins.left == 0.3 and ws.page_margins.right == 0.3
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert ws.column_dimensions["B"].width == 20 and ws.row_dimensions[1].height == 30
    # every row has its height; the wrapped one is higher than a one-line row
    assert ws.row_dimensions[4].height == ROW_PT and ws.row_dimensions[6].height > ROW_PT


def test_stream_workbook_leaves_nothing_when_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)

    def rows():  # type: ignore[no-untyped-def]
        yield [1, "a"]
        raise KeyboardInterrupt  # e.g. Cancelled from a progress callback

    out = tmp_path / "x.xlsx"
    out.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), StreamWorkbook(out) as wb:
        wb.add_form_sheet("一", "t", INFO, COLS, [[1]])
        wb.add_form_sheet("二", "t", INFO, COLS, rows())
    assert out.read_bytes() == b"old"  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp", "x.xlsx"] and not list(
        tmp.iterdir()
    )


@pytest.mark.parametrize("root", ["/data/av", "/data/av/", "/", "data/rel", ".", ""])
@pytest.mark.parametrize(
    "rel",
    [
        "a/b.mp4",
        "2026/10/09/x y.MP4",
        "a//b",
        "./a",
        "a/./b",
        "a/.",
        "/abs/x",
        "a/../b",
        "a\\b",
        "c:x",
        ".hidden/f",
        "a/",
    ],
)
def test_path_joiner_matches_resolve(root: str, rel: str) -> None:
    join = roots.path_joiner({1: root})
    assert join(1, rel) == str(roots.resolve(root, rel))


@pytest.mark.skipif(os.name != "nt", reason="Windows drive letters")
@pytest.mark.parametrize("root", ["E:\\", "E:\\av", "E:", "\\\\server\\share\\av"])
def test_path_joiner_matches_resolve_windows(root: str) -> None:
    join = roots.path_joiner({1: root})
    for rel in ("a/b.mp4", "a\\b", "a//b"):
        assert join(1, rel) == str(roots.resolve(root, rel))
