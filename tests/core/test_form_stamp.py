"""Every exported form carries the audit chain's head it was made from (an anchor outside the
database, issue 17): in the sheets' page footer and workbook properties, in the PDF forms' footer
and metadata, in the 公文's metadata only (its GB/T 9704 page stays as it is)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from dbtemplate import fresh_db, target
from sqlalchemy import select

from brigade_desk.app import cli, demo
from brigade_desk.core import anchor
from brigade_desk.core.db import open_database

TODAY = dt.date(2026, 12, 4)


def test_exports_carry_the_chain_head(tmp_path: Path) -> None:
    pdfplumber = pytest.importorskip("pdfplumber")
    from brigade_desk.ledgers.cases.models import CaseRecord

    path = tmp_path / "demo.sqlite"
    db = fresh_db(path)
    try:
        demo.fill(db, size="small", seed=7, today=TODAY)
        with db.session() as s:
            case_no = s.scalars(
                select(CaseRecord.case_no).where(CaseRecord.is_major.is_(True))
            ).first()
    finally:
        db.close()
    db = open_database(target(path))
    try:
        with db.session() as s:
            stamp = anchor.current(s).text_zh
    finally:
        db.close()
    assert stamp.startswith("审计链：第 ") and "末条摘要" in stamp

    def export(kind: str, out: Path, *extra: str) -> Path:
        code = cli.main(["--db", target(path), "export", kind, *extra, "--out", str(out)])
        assert code == 0 and out.exists(), kind
        return out

    wb = openpyxl.load_workbook(export("roster", tmp_path / "花名册.xlsx"))
    assert wb.properties.keywords == stamp
    for ws in wb.worksheets:
        assert ws.oddFooter.left.text == stamp, ws.title
        assert "第 &P 页" in (ws.oddFooter.center.text or "")

    filing = export("filing", tmp_path / "备案表.pdf", str(case_no), "--as-of", TODAY.isoformat())
    with pdfplumber.open(filing) as pdf:
        assert pdf.metadata.get("Subject") == stamp
        assert all(stamp.replace(" ", "") in p.extract_text().replace(" ", "") for p in pdf.pages)
        # every character, the stamp too, at least 6 mm from the paper's bottom edge (printable)
        for page in pdf.pages:
            assert page.height - max(c["bottom"] for c in page.chars) >= 6 / 25.4 * 72

    annual = export("annual", tmp_path / "年报.pdf", "--year", "2025", "--as-of", TODAY.isoformat())
    with pdfplumber.open(annual) as pdf:
        assert pdf.metadata.get("Subject") == stamp
        assert "审计链" not in "".join(p.extract_text() for p in pdf.pages)  # 公文: metadata only
