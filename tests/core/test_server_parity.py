"""The demo ledger on SQLite and the same ledger copied to PostgreSQL give the same findings and the
same exported forms (issue 18: "identical check --json findings and identical exports")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from brigade_desk.app import cli
from brigade_desk.core import copydb

# (kind, options, file): every form the export command makes
EXPORTS = [
    ("annual", ["--year", "2025"], "annual.docx"),
    ("av", ["--year", "2025"], "av.xlsx"),
    ("cases", ["--year", "2025"], "cases.xlsx"),
    ("checklists-blank", ["--year", "2025"], "cb.pdf"),
    ("checklists", ["--year", "2025"], "cl.pdf"),
    ("monthly", ["--year", "2026", "--month", "11"], "monthly.xlsx"),
    ("quarterly", ["--year", "2026", "--quarter", "3"], "quarterly.xlsx"),
    ("review-report", ["--year", "2025"], "rr.docx"),
    ("reviews", ["--year", "2025"], "reviews.xlsx"),
    ("roster", [], "roster.xlsx"),
    ("training", ["--year", "2025"], "training.xlsx"),
    ("training-plan", ["--year", "2026"], "tp.xlsx"),
]


def _content(p: Path) -> Any:
    """What a reader of the form sees: cell values, merges and footers; PDF text; 公文 text."""
    if p.suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(p)
        return [
            (
                ws.title,
                [[c.value for c in row] for row in ws.iter_rows()],
                sorted(map(str, ws.merged_cells.ranges)),
                ws.oddFooter.center.text if ws.oddFooter else None,
            )
            for ws in wb.worksheets
        ]
    if p.suffix == ".pdf":
        pdfplumber = pytest.importorskip("pdfplumber")
        with pdfplumber.open(p) as pdf:
            return [pg.extract_text() for pg in pdf.pages]
    import docx

    d = docx.Document(str(p))
    return [x.text for x in d.paragraphs] + [
        [c.text for c in r.cells] for t in d.tables for r in t.rows
    ]


@pytest.mark.slow
def test_same_findings_and_forms_on_both(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = tmp_path / "演示.sqlite"
    assert cli.main(["--db", str(demo), "demo"]) == 0
    assert copydb.copy_database(demo, pg_url).verified
    capsys.readouterr()
    checks = []
    for target in (str(demo), pg_url):
        assert cli.main(["--db", target, "check", "--json"]) == 0
        checks.append(json.loads(capsys.readouterr().out))
    assert len(checks[0]["findings"]) > 20
    assert checks[0] == checks[1]
    for kind, opts, name in EXPORTS:
        got = []
        for side, target in (("a", str(demo)), ("b", pg_url)):
            out = tmp_path / side / name
            out.parent.mkdir(exist_ok=True)
            assert cli.main(["--db", target, "export", kind, *opts, "--out", str(out)]) == 0, kind
            got.append(_content(out))
        assert got[0] == got[1], kind
