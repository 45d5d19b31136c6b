"""Helpers for the hostile-input and kill tests: valid-row factories per importer, DB snapshots.

``IMPORTER_CASES`` maps an importer kind (a key of ``REGISTRY.importers()``) to the headers
of a workbook it accepts and a factory of valid rows. Adding an importer to the hostile-input
property tests and the kill test is one entry here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbtemplate import all_rows, query, table_names, target
from openpyxl import Workbook

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import idcard
from brigade_desk.core.db import Database
from brigade_desk.core.errors import RowError

IMPORTERS = REGISTRY.importers()


@dataclass(frozen=True)
class ImporterCase:
    """How to build a workbook the importer accepts."""

    headers: tuple[str, ...]
    valid_row: Callable[[int], list[Any]]  # n (0 … 20,000) -> one valid row, unique per n
    invalid_row: Callable[[int], list[Any]]  # n -> a row the importer must reject (one error)
    count_table: str  # the table that gets one row per imported data row (all-or-nothing check)
    # run before importing into an empty database (e.g. the staff the rows refer to); may be None
    prepare_db: Callable[[Any], None] | None = None


def staff_id_number(n: int) -> str:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=n)
    first17 = f"630102{birth:%Y%m%d}001"
    return first17 + idcard.check_char(first17)


STAFF_HEADERS = (
    "序号",
    "姓名",
    "性别",
    "身份证号",
    "所属中队",
    "职务",
    "人员类别",
    "是否法制审核人员",
    "是否一线",
    "在岗状态",
    "执法证号",
    "发证机关",
    "发证日期",
    "有效期至",
    "执法记录仪编号",
    "联系电话",
    "备注",
)


def staff_bad_row(n: int) -> list[Any]:
    r = staff_row(n)
    r[3] = staff_id_number(n)[:17] + (
        "0" if staff_id_number(n)[17] != "0" else "1"
    )  # wrong checksum
    return r


def staff_row(n: int) -> list[Any]:
    return [
        n + 1,
        f"测试{n}",
        "男",
        staff_id_number(n),
        "一中队",
        "队员",
        "执法人员",
        "否",
        "是",
        "在岗",
        f"C{n:07d}",
        "青海省人民政府",
        dt.date(2021, 3, 5),
        dt.date(2031, 3, 4),
        f"JL-{n}",
        "13800000000",
        "",
    ]


# kind -> case; `training` and `cases` are added here when they are merged
TRAINING_HEADERS = (
    "序号",
    "培训日期",
    "培训名称",
    "培训形式",
    "培训类别",
    "学时",
    "姓名",
    "身份证号",
    "考试成绩",
)
TRAINEE_ID = staff_id_number(7)


def training_row(n: int) -> list[Any]:
    day = dt.date(2020, 1, 1) + dt.timedelta(days=n % 2000)
    return [
        n + 1,
        day,
        f"业务培训第{n}期",
        "集中轮训",
        "业务知识",
        2,
        "参训甲",
        TRAINEE_ID,
        80 + n % 20,
    ]


def training_bad_row(n: int) -> list[Any]:
    r = training_row(n)
    r[5] = "两个半"  # hours that are not a number
    return r


def training_prepare(db: Any) -> None:
    from brigade_desk.ledgers.roster.service import RosterService, StaffInput

    RosterService(db).save_staff(StaffInput(name="参训甲", id_number=TRAINEE_ID, squad="一中队"))


CASE_HEADERS = (
    "序号",
    "案号",
    "案由",
    "当事人",
    "当事人类型",
    "执法门类",
    "案件类别",
    "适用程序",
    "立案日期",
    "罚款金额",
)


def case_row(n: int) -> list[Any]:
    return [
        n + 1,
        f"乐交执罚〔2025〕{n + 1}号",
        "超限运输",
        f"当事人{n}",
        "个人",
        "公路路政",
        "行政处罚",
        "普通",
        dt.date(2025, 1, 1) + dt.timedelta(days=n % 300),
        1000 + n,
    ]


def case_bad_row(n: int) -> list[Any]:
    r = case_row(n)
    r[8] = "2025-02-30"  # a date that does not exist
    return r


IMPORTER_CASES: dict[str, ImporterCase] = {
    "staff": ImporterCase(STAFF_HEADERS, staff_row, staff_bad_row, "staff"),
    "training": ImporterCase(
        TRAINING_HEADERS, training_row, training_bad_row, "training_attendance", training_prepare
    ),
    "cases": ImporterCase(CASE_HEADERS, case_row, case_bad_row, "case_record"),
}


def importer(kind: str) -> Callable[..., Any]:
    """The import function the ledger declares for ``kind``."""
    return IMPORTERS[kind].run


def importer_headers(kind: str) -> tuple[str, ...]:
    """The case's headers, else the labels of the importer module's COLUMNS (if it has them)."""
    if kind in IMPORTER_CASES:
        return IMPORTER_CASES[kind].headers
    cols = IMPORTERS[kind].columns() or []
    return tuple(getattr(c, "label", str(c)) for c in cols) or ("姓名", "身份证号")


def write_rows(
    path: Path, headers: tuple[str, ...] | list[str], rows: Any, sheet: str = "数据"
) -> Path:
    """A plain workbook (write-only mode: fast for big files) with one header row."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def snapshot(db: Any) -> dict[str, tuple[int, str]]:
    """Row count and a content hash of every table, read through a separate connection (``db``: a
    Database, or a test database's path). The AV search index (fts_*) is derived, left out."""
    return {
        t: (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        for t, rows in all_rows(db).items()
    }


def longest_text(db: Any) -> int:
    """The longest text value stored in any table (on SQLite in any column: its columns take any
    type; on a server in the text columns)."""
    from sqlalchemy import String, inspect

    best = 0
    server = isinstance(db, Database) and db.server or "://" in target(db)
    for t in table_names(db):
        if server:
            engine = db.engine if isinstance(db, Database) else None
            assert engine is not None
            cols = [
                c["name"] for c in inspect(engine).get_columns(t) if isinstance(c["type"], String)
            ]
            expr = ", ".join(f'max(length("{c}"))' for c in cols)
        else:
            cols = [r[1] for r in query(db, f'PRAGMA table_info("{t}")')]
            expr = ", ".join(
                f'max(length(CASE WHEN typeof("{c}")=\'text\' THEN "{c}" END))' for c in cols
            )
        if cols:
            best = max([best, *(v or 0 for v in query(db, f'SELECT {expr} FROM "{t}"')[0])])
    return best


def has_cjk(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)


def check_errors(errors: list[RowError], sheets: dict[str, int]) -> None:
    """Every error names the sheet, the row (0 = the whole file) and, for a row, the column.

    ``sheets`` maps each sheet title in the workbook to its number of rows.
    """
    for e in errors:
        assert isinstance(e, RowError), e
        assert isinstance(e.sheet, str) and isinstance(e.column, str) and isinstance(e.row, int), e
        assert e.row >= 0, e
        if sheets:
            assert e.sheet in sheets, (e, list(sheets))
        if e.row >= 1:
            assert e.column.strip(), f"row error without a column: {e}"
            assert e.row <= max(sheets.get(e.sheet, 0), 1), (e, sheets)
        assert e.message and has_cjk(e.message), e
        assert len(e.message) <= 400, f"message too long ({len(e.message)}): {e.message[:200]}"
        assert len(str(e)) <= 600


def set_cap(monkeypatch: Any, name: str, value: int) -> None:
    """Set a cap of the file layer (``MAX_…``) for one test in every module of
    :mod:`brigade_desk.core.tabular` that binds it, i.e. wherever the readers look it up."""
    from brigade_desk.core.tabular import base, books, calamine_books, csvbook, xlsx, xmlstream

    found = [m for m in (base, xmlstream, xlsx, calamine_books, csvbook, books) if hasattr(m, name)]
    assert found, name
    for m in found:
        monkeypatch.setattr(m, name, value)
