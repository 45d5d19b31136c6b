"""The formats offices send: .xls, WPS .et (BIFF8 or OOXML), .ods and .csv import like .xlsx.

The spreadsheets under tests/fixtures/formats/ were made once with openpyxl and converted by
LibreOffice (tests/fixtures/formats/make_fixtures.py); the CSV files are written here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.tabular import base
from brigade_desk.core.tabular import read as tabular
from brigade_desk.core.tabular.detect import detect_kind
from brigade_desk.ledgers.cases.importer import import_cases
from brigade_desk.ledgers.roster.importer import import_staff
from brigade_desk.ledgers.training.importer import import_training
from tests.conftest import fresh_db, query
from tests.hostile_util import has_cjk, set_cap

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def csv_from_xlsx(src: Path, out: Path, encoding: str, dates: str = "iso") -> Path:
    """The first sheet of ``src`` as a CSV, dates as text the way a clerk's export writes them."""
    wb = load_workbook(src, read_only=True, data_only=True)
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    for r in wb.worksheets[0].iter_rows(values_only=True):
        cells = []
        for v in r:
            if isinstance(v, dt.datetime | dt.date):
                cells.append(
                    f"{v.year}年{v.month}月{v.day}日" if dates == "cn" else f"{v:%Y-%m-%d}"
                )
            else:
                cells.append("" if v is None else str(v))
        w.writerow(cells)
    wb.close()
    out.write_bytes(buf.getvalue().encode(encoding))
    return out


def staff_rows(db: Database) -> list[tuple[Any, ...]]:
    from sqlalchemy import inspect

    cols = [
        c["name"]
        for c in inspect(db.engine).get_columns("staff")
        if c["name"] not in {"id", "created_at", "updated_at"}
    ]
    q = f"SELECT {', '.join(cols)} FROM staff ORDER BY id_number"
    return [tuple(r) for r in query(db, q)]


def count(db: Database, table: str) -> int:
    return int(query(db, f'SELECT COUNT(*) FROM "{table}"')[0][0])


ROSTER_FILES = ["花名册.xls", "花名册.ods", "花名册_biff.et", "花名册_ooxml.et"]
CSV_ENCODINGS = [("utf-8", "iso"), ("utf-8-sig", "cn"), ("gbk", "cn"), ("gb18030", "iso")]


def test_fixtures_are_what_their_names_say() -> None:
    assert (FIX / "花名册.xls").read_bytes()[:8] == base.CFB_MAGIC
    assert (FIX / "花名册_biff.et").read_bytes()[:8] == base.CFB_MAGIC
    assert (FIX / "花名册_ooxml.et").read_bytes()[:4] == base.ZIP_MAGIC
    with zipfile.ZipFile(FIX / "花名册.ods") as z:
        assert z.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"


@pytest.fixture
def reference(tmp_path: Path) -> list[tuple[Any, ...]]:
    """The staff the .xlsx roster imports (into a database of its own)."""
    ref = fresh_db(tmp_path / "ref" / "brigade.sqlite")
    try:
        r = import_staff(ref, FIX / "花名册.xlsx")
        assert r.created == 3 and not r.errors, r.errors
        rows = staff_rows(ref)
    finally:
        ref.close()
    assert [row[:1] for row in rows] and len(rows) == 3
    return rows


@pytest.mark.parametrize("name", ROSTER_FILES)
def test_roster_in_every_format_imports_the_same_people(
    name: str, db: Database, reference: list[tuple[Any, ...]]
) -> None:
    r = import_staff(db, FIX / name)
    assert r.created == 3 and not r.errors, r.errors
    assert staff_rows(db) == reference


@pytest.mark.parametrize("encoding, dates", CSV_ENCODINGS)
def test_roster_csv_in_every_encoding(
    encoding: str, dates: str, tmp_path: Path, db: Database, reference: list[tuple[Any, ...]]
) -> None:
    p = csv_from_xlsx(FIX / "花名册.xlsx", tmp_path / f"花名册_{encoding}.csv", encoding, dates)
    if encoding == "utf-8-sig":
        assert p.read_bytes().startswith(b"\xef\xbb\xbf")
    if encoding == "gbk":
        with pytest.raises(UnicodeDecodeError):
            p.read_bytes().decode("utf-8")
    r = import_staff(db, p)
    assert r.created == 3 and not r.errors, r.errors
    assert staff_rows(db) == reference


def test_csv_with_semicolons_or_tabs(tmp_path: Path, db: Database, reference: Any) -> None:
    src = csv_from_xlsx(FIX / "花名册.xlsx", tmp_path / "a.csv", "utf-8")
    rows = list(csv.reader(io.StringIO(src.read_text(encoding="utf-8"))))
    p = tmp_path / "制表符.csv"
    p.write_text("\n".join("\t".join(r) for r in rows), encoding="gb18030")
    r = import_staff(db, p)
    assert r.created == 3 and not r.errors, r.errors
    assert staff_rows(db) == reference


@pytest.mark.parametrize("name", ["培训签到.xls", "培训签到.ods", "培训签到.csv"])
def test_training_sign_in_sheet(name: str, tmp_path: Path, db: Database) -> None:
    assert not import_staff(db, FIX / "花名册.xlsx").errors
    p = FIX / name
    if name.endswith(".csv"):
        p = csv_from_xlsx(FIX / "培训签到.xlsx", tmp_path / name, "gbk", "cn")
    r = import_training(db, p)
    assert not r.errors and not r.rejected, r.errors
    assert count(db, "training_attendance") == 3
    got = query(db, "SELECT title, CAST(start_date AS VARCHAR(10)) FROM training_session")
    assert [tuple(r) for r in got] == [("路政执法业务培训", "2025-03-12")]


@pytest.mark.parametrize("name", ["案件台账.xlsx", "案件台账.xls", "案件台账.ods", "案件台账.csv"])
def test_case_list(name: str, tmp_path: Path, db: Database) -> None:
    p = FIX / name
    if name.endswith(".csv"):
        p = csv_from_xlsx(FIX / "案件台账.xlsx", tmp_path / name, "utf-8-sig")
    r = import_cases(db, p)
    assert r.created == 3 and not r.errors, r.errors
    got = sorted(r[0] for r in query(db, "SELECT CAST(filed_on AS VARCHAR(10)) FROM case_record"))
    assert got == ["2025-02-03", "2025-02-04", "2025-02-05"]


@pytest.mark.parametrize(
    "name, kind",
    [("花名册.xls", "staff"), ("花名册.ods", "staff"), ("培训签到.xls", "training")]
    + [("案件台账.ods", "cases"), ("花名册_biff.et", "staff")],
)
def test_kind_is_guessed_for_every_format(name: str, kind: str, tmp_path: Path) -> None:
    assert detect_kind(FIX / name, REGISTRY.importers()) == kind
    src = FIX / (name.split(".")[0].split("_")[0] + ".xlsx")
    p = csv_from_xlsx(src, tmp_path / "x.csv", "gbk")
    assert detect_kind(p, REGISTRY.importers()) == kind


def test_calamine_sheets_match_openpyxl() -> None:
    """Same rows, same Excel row numbers; dates as dates, whole numbers as int, blanks as None."""

    def rows(p: Path) -> list[list[Any]]:
        wb = tabular.open_workbook(p)
        try:
            return [r for _, r in [tabular.read_sheet(p, ws) for ws in wb.worksheets][0]]
        finally:
            wb.close()

    def norm(v: Any) -> Any:
        return v.date() if isinstance(v, dt.datetime) else v

    want = [[norm(v) for v in r] for r in rows(FIX / "花名册.xlsx")]
    for name in ("花名册.xls", "花名册.ods"):
        got = rows(FIX / name)
        assert got[: len(want)] == want, name


# ---- odd and hostile files: a clear Chinese message naming the file -----------------------------


def refused(path: Path) -> str:
    with pytest.raises(UserError) as ei:
        wb = tabular.open_workbook(path)
        try:
            for ws in wb.worksheets:
                tabular.read_sheet(path, ws)
        finally:
            wb.close()
    msg = ei.value.message
    assert has_cjk(msg) and len(msg) < 400 and "Traceback" not in msg
    assert path.name in msg or str(path) in msg, msg
    return msg


def test_damaged_xls(tmp_path: Path) -> None:
    data = (FIX / "花名册.xls").read_bytes()
    p = tmp_path / "坏的.xls"
    p.write_bytes(data[: len(data) // 3])
    msg = refused(p)
    assert "损坏" in msg or "无法读取" in msg


def test_damaged_ods(tmp_path: Path) -> None:
    src = FIX / "花名册.ods"
    p = tmp_path / "坏的.ods"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(p, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "content.xml":
                data = data[: len(data) // 2]
            zout.writestr(item, data)
    assert "损坏" in refused(p)


def test_encrypted_ods(tmp_path: Path) -> None:
    p = tmp_path / "加密.ods"
    with zipfile.ZipFile(FIX / "花名册.ods") as zin, zipfile.ZipFile(p, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "META-INF/manifest.xml":
                data = data.replace(  # what an ODS saved with a password lists
                    b"</manifest:manifest>",
                    b'<manifest:file-entry manifest:full-path="content.xml">'
                    b"<manifest:encryption-data/></manifest:file-entry></manifest:manifest>",
                )
                assert b"encryption-data" in data
            zout.writestr(item, data)
    assert "密码" in refused(p)


def test_csv_in_no_known_encoding(tmp_path: Path) -> None:
    p = tmp_path / "乱码.csv"
    p.write_bytes("姓名,身份证号\n".encode() + b"\x80\xff\x80\xff,123\n")
    msg = refused(p)
    assert "编码" in msg and "UTF-8" in msg and "GB18030" in msg


def test_utf16_without_bom_is_not_text(tmp_path: Path) -> None:
    p = tmp_path / "宽字符.csv"
    p.write_bytes("姓名,身份证号\n".encode("utf-16-le"))
    assert "编码" in refused(p)


def test_utf16_with_bom_reads(tmp_path: Path) -> None:
    p = tmp_path / "unicode.csv"
    p.write_bytes("姓名\t身份证号\n张三\t1\n".encode("utf-16"))
    wb = tabular.open_workbook(p)
    assert [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)] == [
        ["姓名", "身份证号"],
        ["张三", "1"],
    ]


def test_empty_csv_and_empty_xls(tmp_path: Path) -> None:
    for name in ("空.csv", "空.xls", "空.ods", "空.et"):
        p = tmp_path / name
        p.write_bytes(b"")
        assert "空文件" in refused(p)


def test_directory_and_fifo(tmp_path: Path) -> None:
    d = tmp_path / "文件夹.xls"
    d.mkdir()
    assert "是文件夹" in refused(d)
    if not hasattr(os, "mkfifo"):
        return
    f = tmp_path / "管道.csv"
    os.mkfifo(f)
    assert "不是普通文件" in refused(f)  # and does not block waiting for a writer


def test_renamed_files_are_judged_by_content(tmp_path: Path, db: Database) -> None:
    """An .xls named .xlsx, an .ods named .xls, an .xlsx named .csv: each read as what it is."""
    for src, name in [("花名册.xls", "a.xlsx"), ("花名册.ods", "b.xls"), ("花名册.xlsx", "c.csv")]:
        shutil.copyfile(FIX / src, tmp_path / name)
        wb = tabular.open_workbook(tmp_path / name)
        assert [ws.title for ws in wb.worksheets] == ["花名册"]
        wb.close()
    assert import_staff(db, tmp_path / "b.xls").created == 3


def test_huge_used_area_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_cap(monkeypatch, "MAX_SHEET_CELLS", 10)
    msg = refused(FIX / "花名册.ods")
    assert "远超" in msg and "「花名册」" in msg


def test_dialog_offers_the_new_formats() -> None:
    for ext in ("*.xlsx", "*.xls", "*.et", "*.ods", "*.csv"):
        assert ext in tabular.IMPORT_FILTER.split(";;")[0]
    assert {".xls", ".et", ".ods", ".csv"} <= set(tabular.IMPORT_SUFFIXES)
