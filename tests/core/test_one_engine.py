"""One spreadsheet engine for generated forms and one PDF base, kept so by scanning the source.

- only ``core/forms/xlsxform.py`` imports XlsxWriter; openpyxl only reads workbooks (``importers/tabular``)
  or edits a superior's own template (``reports/template_fill``), never writes a form;
- only ``pdf.py`` defines a reportlab Canvas subclass or registers fonts;
- and the behaviour the single engine and the single canvas took over from the removed copies.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

import brigade_desk
from brigade_desk.core.forms.xlsxform import (
    ROW_PT,
    Col,
    Formatted,
    FormInfo,
    StreamWorkbook,
    wrapped_lines,
)

PKG = Path(brigade_desk.__file__).resolve().parent
INFO = FormInfo("某县交通运输综合行政执法大队", dt.date(2026, 10, 9), "张三", "李四", "0123")


def _modules() -> dict[str, ast.Module]:
    return {
        p.relative_to(PKG).as_posix(): ast.parse(p.read_text(encoding="utf-8"))
        for p in sorted(PKG.rglob("*.py"))
    }


def _imports(tree: ast.Module) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def _top(names: set[str], package: str) -> bool:
    return any(n == package or n.startswith(package + ".") for n in names)


def test_only_xlsxform_imports_xlsxwriter_and_openpyxl_writes_no_form() -> None:
    mods = {name: _imports(tree) for name, tree in _modules().items()}
    assert {m for m, names in mods.items() if _top(names, "xlsxwriter")} == {
        "core/forms/xlsxform.py"
    }
    assert {m for m, names in mods.items() if _top(names, "openpyxl")} <= {
        "core/tabular/xlsx.py",  # reads the clerk's files
        "reports/template_fill.py",  # edits a superior's workbook in place
    }
    writing = {"openpyxl.Workbook", "openpyxl.styles", "openpyxl.worksheet.datavalidation"}
    assert not {
        m for m, names in mods.items() if any(n.startswith(w) for n in names for w in writing)
    }
    assert not (PKG / "core" / "forms" / "xlsxstream.py").exists()


def test_only_pdf_module_defines_a_canvas_or_registers_fonts() -> None:
    canvases, registering, private = set(), set(), set()
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b).split(".")[-1] for b in node.bases}
                if bases & {"Canvas", "NumberedCanvas"}:
                    canvases.add(name)
            elif isinstance(node, ast.Attribute | ast.Name):
                ident = node.attr if isinstance(node, ast.Attribute) else node.id
                if ident in ("registerFont", "TTFont", "pdfmetrics"):
                    registering.add(name)
            elif isinstance(node, ast.ImportFrom) and node.module == "brigade_desk.core.forms.pdf":
                if any(a.name.startswith("_") for a in node.names):
                    private.add(name)
    assert canvases == {"core/forms/pdf.py"}
    assert registering == {"core/forms/pdf.py"}
    assert not private  # the PDF base's API is public


def test_wrapped_rows_get_their_height_and_a_value_its_own_format(tmp_path: Path) -> None:
    cols = [Col("序号", 6), Col("项目", 20), Col("数值", 10, "#,##0.##")]
    long = "一段超过十二个字需要换行显示的很长很长的说明文字"
    note = "说明" * 80
    out = tmp_path / "f.xlsx"
    with StreamWorkbook(out) as wb:
        wb.add_form_sheet(
            "表",
            "标题",
            INFO,
            cols,
            [[1, "短", 3.5], [2, long, Formatted(0.756, "0.0%")], [3, "按期率", None]],
            note=note,
            wrap_note=True,
        )
    ws = openpyxl.load_workbook(out)["表"]
    assert ws.row_dimensions[4].height == ROW_PT  # one line: every row's height is set
    lines = wrapped_lines(long, 20)
    assert lines > 1 and ws.row_dimensions[5].height == pytest.approx(13.5 * lines + 1.5, abs=0.75)
    # a column of optional decimals: each number gets a fixed format ("11." never shows)
    assert ws["C4"].number_format == "#,##0.0" and ws["C5"].value == 0.756
    assert ws["C5"].number_format == "0.0%" and ws["C5"].border.left.style == "thin"
    assert ws["C6"].number_format == "#,##0.##"  # an empty cell keeps the column's format
    assert ws["A8"].value == note and ws["A8"].alignment.wrap_text
    assert ws["A8"].alignment.vertical == "top" and ws.row_dimensions[8].height > 100
    assert ws["A9"].value == "填表人：张三"


def test_table_sheet_text_column_and_drop_downs(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    with StreamWorkbook(out) as wb:
        wb.add_table_sheet(
            "模板",
            ["姓名", "身份证号", "状态"],
            [["张三", "630102198503150011", "在岗"]],
            [10, 21, 10],
            text_columns=[1],
            text_rows=50,
            choices={2: "在岗,离岗"},
            choice_rows=50,
        )
        wb.add_text_sheet("填写说明", ["1. 第一条", "=不是公式"], 100)
    wb2 = openpyxl.load_workbook(out)
    ws = wb2["模板"]
    assert [c.value for c in ws[1]] == ["姓名", "身份证号", "状态"] and ws["A1"].font.b
    assert ws["B2"].value == "630102198503150011" and ws["B2"].data_type == "s"
    assert ws["B2"].number_format == "@" and ws["B50"].number_format == "@"
    assert ws.freeze_panes == "A2" and ws.column_dimensions["B"].width == 21
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list" and dv.formula1 == '"在岗,离岗"' and str(dv.sqref) == "C2:C50"
    note = wb2["填写说明"]
    assert note["A2"].value == "=不是公式" and note["A2"].data_type == "s"
    assert note.column_dimensions["A"].width == 100


def test_page_label_and_per_file_numbering(tmp_path: Path) -> None:
    from reportlab.platypus import PageBreak, Paragraph

    from brigade_desk.core.forms.pdf import FileStart, build_pdf, styles

    seen: list[tuple[int, int]] = []

    def label(canvas: object, page: int, total: int) -> None:
        seen.append((page, total))

    st = styles()
    story = [FileStart(), Paragraph("一", st["body"]), PageBreak(), Paragraph("二", st["body"])]
    story += [PageBreak(), FileStart(), Paragraph("三", st["body"])]
    build_pdf(tmp_path / "a.pdf", story, title="t", page_label=label)
    assert seen == [(1, 2), (2, 2), (1, 1)]
    seen.clear()
    story = [Paragraph("一", st["body"]), PageBreak(), Paragraph("二", st["body"])]
    build_pdf(tmp_path / "b.pdf", story, title="t", page_label=label)  # no marks: the whole file
    assert seen == [(1, 2), (2, 2)]
