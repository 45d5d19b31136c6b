"""A superior's template keeps working after its detail rows are filled.

The formulas, names, validation, conditional formats, print area and merges of the template are
checked as text with openpyxl, and the totals are recalculated by LibreOffice and compared with
sums computed here from the same records.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.ledger import Source
from brigade_desk.core.period import Period
from brigade_desk.reports.template_fill import _Insertion, _shift_formula, fill_template

SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed: totals cannot be recalculated"
)

N = 60  # records of the first section
KINDS = ("甲", "乙", "丙")


def _records() -> list[dict[str, Any]]:
    out = []
    for i in range(N):
        out.append(
            {
                "序号": i + 1,
                "姓名": "=1+1" if i == 7 else f"人员{i + 1:02d}",  # data never becomes a formula
                "类别": KINDS[i % 3],
                "数量": (i * 7) % 13 + 1,
                "单价": 1.5 + (i % 4) * 0.25,
                "日期": dt.date(2026, 1, 1) + dt.timedelta(days=5 * i),
            }
        )
    return out


PEOPLE = [{"姓名": n, "学时": h} for n, h in (("赵", 12), ("钱", 30), ("孙", 7), ("李", 41))]


def _sources(records: list[dict[str, Any]]) -> dict[str, Source]:
    return {
        "明细": Source(
            "明细", ("序号", "姓名", "类别", "数量", "单价", "日期"), lambda s, p: records
        ),
        "人员": Source("人员", ("姓名", "学时"), lambda s, p: PEOPLE),
        "空": Source("空", ("姓名", "学时"), lambda s, p: []),
    }


def make_template(p: Path) -> Path:
    """Three sections on one sheet (60 records, 4 records, none) with totals under each."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "上报表"
    ws.merge_cells("A1:H1")
    ws["A1"] = "{{年度}}年明细表"
    ws["A2"] = "填报日期"
    ws["B2"] = "{{填报日期}}"
    ws["B2"].number_format = "yyyy年m月d日"
    ws.append(["序号", "姓名", "类别", "数量", "单价", "金额", "日期", "累计数量"])
    ws.append(
        [
            "{{行:明细.序号}}",
            "{{行:明细.姓名}}",
            "{{行:明细.类别}}",
            "{{行:明细.数量}}",
            "{{行:明细.单价}}",
            "=D4*E4",
            "{{行:明细.日期}}",
            "=SUM($D$4:D4)",  # a running total: its range must not grow
        ]
    )
    ws["D4"].number_format = "0"
    ws["E4"].number_format = "0.00"
    ws["F4"].number_format = "0.00"
    ws["G4"].number_format = "yyyy年m月d日"
    ws.append(
        [
            "合计",
            "=COUNTA(B4:B4)",
            '=COUNTIF(C4:C4,"甲")',
            "=SUM(D4:D4)",
            "=AVERAGE(E4:E4)",
            "=SUM(F4:F4)",
            '=COUNTIFS(C4:C4,"乙",D4:D4,">=5")',
        ]
    )
    ws["A6"] = "按名称"
    ws["B6"] = "=SUM(明细数量)"
    ws["C6"] = "=数量合计*2"
    ws["A7"] = "第二部分"
    ws.merge_cells("A7:H7")
    ws["A8"] = "{{行:人员.姓名}}"
    ws.merge_cells("A8:B8")  # a merge inside the detail row is repeated on every copy
    ws["C8"] = "{{行:人员.学时}}"
    ws["A9"] = "小计"
    ws["B9"] = "=COUNTA(A8:A8)"
    ws["C9"] = "=SUM(C8:C8)"
    ws["A10"] = "{{行:空.姓名}}"
    ws["C10"] = "{{行:空.学时}}"
    ws["A11"] = "小计"
    ws["B11"] = "=COUNTA(A10:A10)"
    ws["C11"] = "=SUM(C10:C10)"
    ws["A12"] = "填表人：{{填表人}}"
    ws.merge_cells("A12:C12")
    ws["E12"] = "审核人：{{审核人}}"
    ws.merge_cells("E12:H12")
    ws.print_area = "A1:H12"
    ws.print_title_rows = "3:3"
    ws.auto_filter.ref = "A3:H4"
    dv = DataValidation(type="list", formula1='"甲,乙,丙"', allow_blank=True)
    dv.add("C4")
    ws.add_data_validation(dv)
    dv_total = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
    dv_total.add("D5")  # on the 合计 row: moves with it
    ws.add_data_validation(dv_total)
    red = PatternFill("solid", fgColor="FFC7CE")
    ws.conditional_formatting.add("D4", FormulaRule(formula=["D4>AVERAGE($D$4:$D$4)"], fill=red))
    ws.conditional_formatting.add("D5", FormulaRule(formula=["D5>1000"], fill=red))
    wb.defined_names["明细数量"] = DefinedName("明细数量", attr_text="'上报表'!$D$4:$D$4")
    ws.defined_names["数量合计"] = DefinedName("数量合计", attr_text="上报表!$D$5")

    s = wb.create_sheet("汇总")
    s["A1"] = "='上报表'!D5"
    s["A2"] = "=SUM(上报表!$D$4:$D$4)"
    s["A3"] = "=明细数量"
    s["A4"] = "=SUM(明细数量)"
    s["A5"] = "=上报表!C9"
    s["A6"] = "=COUNTA(上报表!B:B)"  # a whole column: untouched
    s["A7"] = "='上报表'!F5/'上报表'!D5"
    s["A8"] = "=上报表!C11+上报表!B11"
    wb.save(p)
    return p


def _fill(db: Database, tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    out = tmp_path / "已填.xlsx"
    with db.session() as s:
        rep = fill_template(
            s,
            make_template(tmp_path / "模板.xlsx"),
            out,
            Period(2026),
            _sources(records),
            today=dt.date(2026, 12, 4),
        )
    assert rep.sections == 3 and rep.rows == len(records) + len(PEOPLE)
    return out


# rows after filling: 60 detail rows 4..63, 合计 64, names 65, part two 66, 4 people 67..70,
# 小计 71, the empty section's one emptied row 72, its 小计 73, footer 74
TOTAL, NAMES, PART2, P_FIRST, P_LAST, SUB2, EMPTY, SUB3, FOOT = 64, 65, 66, 67, 70, 71, 72, 73, 74


def test_formulas_names_and_ranges_follow_the_inserted_rows(db: Database, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(_fill(db, tmp_path, _records()))
    ws = wb["上报表"]
    last = 3 + N
    assert [ws.cell(TOTAL, c).value for c in range(1, 8)] == [
        "合计",
        f"=COUNTA(B4:B{last})",
        f'=COUNTIF(C4:C{last},"甲")',
        f"=SUM(D4:D{last})",
        f"=AVERAGE(E4:E{last})",
        f"=SUM(F4:F{last})",
        f'=COUNTIFS(C4:C{last},"乙",D4:D{last},">=5")',
    ]
    # the detail row's own formulas are copied down, relative references moving
    assert ws["F4"].value == "=D4*E4" and ws["F5"].value == "=D5*E5"
    assert ws[f"F{last}"].value == f"=D{last}*E{last}"
    assert ws["H4"].value == "=SUM($D$4:D4)" and ws[f"H{last}"].value == f"=SUM($D$4:D{last})"
    # data that looks like a formula stays text
    assert ws["B11"].value == "=1+1" and ws["B11"].data_type == "s"
    assert ws[f"B{NAMES}"].value == "=SUM(明细数量)"
    assert ws[f"C{NAMES}"].value == "=数量合计*2"
    assert wb.defined_names["明细数量"].attr_text == f"'上报表'!$D$4:$D${last}"
    assert ws.defined_names["数量合计"].attr_text == f"上报表!$D${TOTAL}"
    assert ws[f"A{PART2}"].value == "第二部分"
    assert [ws.cell(r, 1).value for r in range(P_FIRST, P_LAST + 1)] == ["赵", "钱", "孙", "李"]
    assert ws[f"B{SUB2}"].value == f"=COUNTA(A{P_FIRST}:A{P_LAST})"
    assert ws[f"C{SUB2}"].value == f"=SUM(C{P_FIRST}:C{P_LAST})"
    assert ws[f"A{EMPTY}"].value is None and ws[f"C{EMPTY}"].value is None
    assert ws[f"C{SUB3}"].value == f"=SUM(C{EMPTY}:C{EMPTY})"
    assert ws[f"A{FOOT}"].value.startswith("填表人：")
    merges = {str(m) for m in ws.merged_cells.ranges}
    assert {"A1:H1", f"A{PART2}:H{PART2}", f"A{FOOT}:C{FOOT}", f"E{FOOT}:H{FOOT}"} <= merges
    assert {f"A{r}:B{r}" for r in range(P_FIRST, P_LAST + 1)} <= merges
    assert not any(m.min_row == m.max_row and 4 <= m.min_row <= last for m in ws.merged_cells)
    assert ws.print_area == f"'上报表'!$A$1:$H${FOOT}"
    assert ws.print_title_rows == "$3:$3"
    assert ws.auto_filter.ref == f"A3:H{last}"
    dvs = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert dvs == {'"甲,乙,丙"': f"C4:C{last}", "0": f"D{TOTAL}"}
    cfs = {str(cf.sqref): [r.formula for r in cf.rules] for cf in ws.conditional_formatting}
    assert cfs == {
        f"D4:D{last}": [[f"D4>AVERAGE($D$4:$D${last})"]],
        f"D{TOTAL}": [["D64>1000"]],
    }
    s = wb["汇总"]
    assert [s[f"A{r}"].value for r in range(1, 9)] == [
        f"='上报表'!D{TOTAL}",
        f"=SUM(上报表!$D$4:$D${last})",
        "=明细数量",
        "=SUM(明细数量)",
        f"=上报表!C{SUB2}",
        "=COUNTA(上报表!B:B)",
        f"='上报表'!F{TOTAL}/'上报表'!D{TOTAL}",
        f"=上报表!C{SUB3}+上报表!B{SUB3}",
    ]


def test_each_column_keeps_the_template_number_format(db: Database, tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(_fill(db, tmp_path, _records()))["上报表"]
    assert ws["B2"].number_format == "yyyy年m月d日" and ws["B2"].value.date() == dt.date(
        2026, 12, 4
    )
    for r in (4, 30, 3 + N):
        assert ws[f"G{r}"].number_format == "yyyy年m月d日"
        assert isinstance(ws[f"G{r}"].value, dt.datetime)
        assert ws[f"E{r}"].number_format == "0.00" and ws[f"F{r}"].number_format == "0.00"
        assert ws[f"D{r}"].number_format == "0" and isinstance(ws[f"D{r}"].value, int)
    assert ws["G4"].value.date() == dt.date(2026, 1, 1)


def test_a_general_cell_gets_the_default_date_format(db: Database, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "{{行:明细.日期}}"
    wb.active["B1"] = "{{填报日期}}"
    wb.save(tmp_path / "t.xlsx")
    with db.session() as s:
        fill_template(
            s,
            tmp_path / "t.xlsx",
            tmp_path / "o.xlsx",
            Period(2026),
            _sources(_records()[:2]),
            today=dt.date(2026, 12, 4),
        )
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx").active
    assert ws["A1"].number_format == ws["A2"].number_format == ws["B1"].number_format
    assert ws["A1"].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize(
    ("formula", "host", "per_row", "expected"),
    [
        ("=SUM(D5:D5)", "明细", False, "=SUM(D5:D64)"),
        ("=COUNTA(B5:B7)", "明细", False, "=COUNTA(B5:B66)"),
        ("=SUM(D3:D5,D8)+D4+D5+D6", "明细", False, "=SUM(D3:D64,D67)+D4+D5+D65"),
        ("=SUM(D7:D5)", "明细", False, "=SUM(D66:D5)"),
        ("=SUM(D:D)+SUM(5:5)+SUM($5:$6)", "明细", False, "=SUM(D:D)+SUM(5:64)+SUM($5:$65)"),
        ("='明细'!D5:D5 + 明细!$D$6", "汇总", False, "='明细'!D5:D64 + 明细!$D$65"),
        ("=其他!D5:D5+D6", "汇总", False, "=其他!D5:D5+D6"),
        ("=[1]明细!D6+'明细:其他'!D6", "汇总", False, "=[1]明细!D6+'明细:其他'!D6"),
        ('="D5:D6"&T("明细!D6")', "明细", False, '="D5:D6"&T("明细!D6")'),
        ("=SUM($E$5:E5)", "明细", True, "=SUM($E$5:E5)"),
        ("=E5/SUM($E$5:$E$5)", "明细", True, "=E5/SUM($E$5:$E$64)"),
        ("=SUM(D2:D4)", "明细", False, "=SUM(D2:D4)"),
    ],
)
def test_shift_formula(formula: str, host: str, per_row: bool, expected: str) -> None:
    assert _shift_formula(formula, host, _Insertion("明细", 5, 59), per_row) == expected


def test_a_quoted_sheet_name_with_an_apostrophe() -> None:
    ins = _Insertion("It's", 5, 2)
    assert _shift_formula("='It''s'!A6+A6", "x", ins) == "='It''s'!A8+A6"
    assert _shift_formula("=a6", "IT'S", ins) == "=a8"  # sheet names compare case-insensitively


def _recalculated(path: Path, tmp_path: Path) -> openpyxl.Workbook:
    """The workbook as LibreOffice computes it.

    openpyxl writes formulas without cached values, which LibreOffice computes on load; a value
    cached by Excel would be kept under LibreOffice's default (OOXML "never recalculate"), so the
    private profile sets OOXMLRecalcMode=0 (always recalculate) and every formula is computed.
    """
    profile = tmp_path / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
        '<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>\n'
        "</oor:items>\n",
        encoding="utf-8",
    )
    outdir = tmp_path / "lo-out"
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(outdir),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    return openpyxl.load_workbook(outdir / path.name, data_only=True)


@needs_soffice
def test_libreoffice_totals_match_the_records(db: Database, tmp_path: Path) -> None:
    records = _records()
    wb = _recalculated(_fill(db, tmp_path, records), tmp_path)
    ws = wb["上报表"]
    qty = sum(r["数量"] for r in records)
    amount = sum(r["数量"] * r["单价"] for r in records)
    assert qty == 412 and N == 60  # the figures the form must print
    assert ws[f"B{TOTAL}"].value == N
    assert ws[f"C{TOTAL}"].value == sum(r["类别"] == "甲" for r in records)
    assert ws[f"D{TOTAL}"].value == qty
    assert ws[f"E{TOTAL}"].value == pytest.approx(statistics.mean(r["单价"] for r in records))
    assert ws[f"F{TOTAL}"].value == pytest.approx(amount)
    assert ws[f"G{TOTAL}"].value == sum(r["类别"] == "乙" and r["数量"] >= 5 for r in records)
    assert ws[f"H{3 + N}"].value == qty  # the running total ends at the total
    assert ws[f"F{3 + N}"].value == pytest.approx(records[-1]["数量"] * records[-1]["单价"])
    assert ws[f"B{NAMES}"].value == qty and ws[f"C{NAMES}"].value == 2 * qty
    assert ws[f"B{SUB2}"].value == len(PEOPLE)
    assert ws[f"C{SUB2}"].value == sum(p["学时"] for p in PEOPLE)
    assert ws[f"B{SUB3}"].value == 0 and ws[f"C{SUB3}"].value == 0
    s = wb["汇总"]
    assert s["A1"].value == qty and s["A2"].value == qty and s["A4"].value == qty
    assert s["A5"].value == sum(p["学时"] for p in PEOPLE)
    assert s["A7"].value == pytest.approx(amount / qty)
    assert s["A8"].value == 0


@needs_soffice
def test_libreoffice_totals_with_no_records(db: Database, tmp_path: Path) -> None:
    wb = _recalculated(_fill(db, tmp_path, []), tmp_path)
    ws = wb["上报表"]
    # nothing inserted: 合计 stays on row 5 over the one emptied row
    assert ws["A5"].value == "合计"
    assert ws["B5"].value == 0 and ws["C5"].value == 0 and ws["D5"].value == 0
    assert ws["F5"].value == 0 and ws["G5"].value == 0
    assert ws["C12"].value == sum(p["学时"] for p in PEOPLE)  # 4 people on rows 8..11
    assert wb["汇总"]["A1"].value == 0


def test_an_oversized_template_is_refused_by_name(db: Database, tmp_path: Path) -> None:
    big = tmp_path / "上级大模板.xlsx"
    with big.open("wb") as f:
        f.truncate(21 * 1024 * 1024)  # sparse: costs no disk
    with db.session() as s, pytest.raises(UserError, match="上级大模板.xlsx.*超过 20 MB"):
        fill_template(s, big, tmp_path / "o.xlsx", Period(2026), {})
    assert not (tmp_path / "o.xlsx").exists()


def test_a_damaged_template_gives_a_sentence(db: Database, tmp_path: Path) -> None:
    import zipfile

    junk = tmp_path / "坏模板.xlsx"
    junk.write_bytes(b"PK\x03\x04 this is not really a workbook" * 10)
    half = tmp_path / "半个模板.xlsx"
    with zipfile.ZipFile(half, "w") as z:  # a zip with a workbook part that is not XML
        z.writestr("[Content_Types].xml", "<Types")
        z.writestr("xl/workbook.xml", "not xml")
    for p in (junk, half):
        with db.session() as s, pytest.raises(UserError, match=f"无法读取模板 {p.name}"):
            fill_template(s, p, tmp_path / "o.xlsx", Period(2026), {})
    assert not (tmp_path / "o.xlsx").exists()


def test_a_record_text_is_never_read_as_a_placeholder(db: Database, tmp_path: Path) -> None:
    records = _records()[:3]
    records[1]["姓名"] = "{{单位名称}}{{不存在}}"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "{{行:明细.姓名}}（{{年度}}年）"
    wb.active["B1"] = "{{行:明细.姓名}}"
    wb.save(tmp_path / "t.xlsx")
    with db.session() as s:
        fill_template(s, tmp_path / "t.xlsx", tmp_path / "o.xlsx", Period(2026), _sources(records))
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx").active
    assert [ws.cell(r, 1).value for r in (1, 2, 3)] == [
        "人员01（2026年）",
        "{{单位名称}}{{不存在}}（2026年）",
        "人员03（2026年）",
    ]
    assert ws["B2"].value == "{{单位名称}}{{不存在}}"


def test_tables_charts_pictures_and_links_follow(db: Database, tmp_path: Path) -> None:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.drawing.image import Image
    from openpyxl.worksheet.hyperlink import Hyperlink
    from openpyxl.worksheet.table import Table
    from PIL import Image as PILImage

    records = _records()[:10]
    n = len(records) - 1
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "上报表"
    ws.append(["标题"])
    ws.append([])
    ws.append(["姓名", "类别", "数量"])
    ws.append(["{{行:明细.姓名}}", "{{行:明细.类别}}", "{{行:明细.数量}}"])
    ws.append(["合计", None, "=SUM(Table1[数量])"])
    ws.add_table(Table(displayName="Table1", ref="A3:C4"))
    ws["A7"] = "回到表头"
    ws["A7"].hyperlink = Hyperlink(ref="A7", location="'上报表'!A3", display="回到表头")
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=3, min_row=3, max_row=4), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=4, max_row=4))
    ws.add_chart(chart, "E1")  # beside the title: stays
    stamp = tmp_path / "章.png"
    PILImage.new("RGB", (40, 40), "red").save(stamp)
    ws.add_image(Image(str(stamp)), "B9")  # below the detail rows: moves with them
    wb.save(tmp_path / "t.xlsx")
    with db.session() as s:
        fill_template(s, tmp_path / "t.xlsx", tmp_path / "o.xlsx", Period(2026), _sources(records))
    wb = openpyxl.load_workbook(tmp_path / "o.xlsx")
    ws = wb["上报表"]
    assert ws.tables["Table1"].ref == f"A3:C{4 + n}"
    assert ws[f"C{5 + n}"].value == "=SUM(Table1[数量])"
    link = ws[f"A{7 + n}"].hyperlink
    assert link is not None and link.ref == f"A{7 + n}" and link.location == "'上报表'!A3"
    (img,) = ws._images
    assert img.anchor._from.row == 9 - 1 + n
    (ch,) = ws._charts
    assert ch.anchor._from.row == 0
    refs = {r.numRef.f if r.numRef else None for r in (ch.series[0].val,)}
    assert refs == {f"'上报表'!$C$4:$C${4 + n}"}
    assert ch.series[0].cat.numRef.f == f"'上报表'!$A$4:$A${4 + n}"
    if SOFFICE is not None:
        calc = _recalculated(tmp_path / "o.xlsx", tmp_path)
        assert calc["上报表"][f"C{5 + n}"].value == sum(r["数量"] for r in records)
