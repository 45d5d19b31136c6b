"""Hostile and broken input for every importer (issue 7): generated workbooks never crash an import.

Properties, for every kind in ``REGISTRY.importers()``:
- nothing but ``UserError`` escapes;
- every RowError names a sheet of the workbook, a row (>= 1, or 0 for a problem with the whole
  file) and, for a row, the column; its message is Chinese and short;
- a rejected import and a dry run change nothing in the database (every table's rows hashed).

Kinds with an entry in ``tests.hostile_util.IMPORTER_CASES`` also get generated tables built from
valid rows with hostile cells mixed in; the others get tables made from their COLUMNS labels.
``BRIGADE_DESK_HYPOTHESIS_EXAMPLES`` scales the budget (default keeps the file well under 60 s).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbtemplate import fresh_db
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.tabular.result import ImportResult
from tests.hostile_util import (
    IMPORTER_CASES,
    check_errors,
    has_cjk,
    importer,
    importer_headers,
    longest_text,
    snapshot,
    write_rows,
)

EXAMPLES = int(os.environ.get("BRIGADE_DESK_HYPOTHESIS_EXAMPLES", "60"))
KINDS = sorted(REGISTRY.importers())
CASE_KINDS = [k for k in KINDS if k in IMPORTER_CASES]
RAN: dict[str, int] = {}  # test name -> examples run (printed at the end of the module)

HUGE = 32767  # Excel's limit of characters in a cell

# ---- strategies -------------------------------------------------------------------------------

junk_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn")),  # what XML cannot carry
    max_size=30,
)
huge_text = st.sampled_from(["测", "9", "x", "=", " "]).map(lambda c: c * HUGE)
formulas = st.sampled_from(
    ["=1+1", "=A1", "=1/0", "=SUM(A:A)", "=XX(", '=INDIRECT("Z9")', "=A1&B1"]
)
excel_errors = st.sampled_from(["#VALUE!", "#REF!", "#DIV/0!", "#N/A", "#NAME?", "#NUM!"])
odd_dates = st.sampled_from(
    [
        dt.date(1, 1, 1),
        dt.date(9999, 12, 31),
        dt.date(1899, 12, 31),
        dt.date(1900, 2, 28),
        dt.datetime(9999, 12, 31, 23, 59, 59),
    ]
)
any_dates = st.one_of(odd_dates, st.dates(), st.datetimes())
odd_numbers = st.sampled_from(
    [0, -1, -44260, 1e10, -1e10, 2958466, 1e308, -0.0, 0.5, 2**63, -(2**70), 6.30102198503e17]
)
numbers = st.one_of(
    st.integers(-(2**64), 2**64), st.floats(allow_nan=False, allow_infinity=False), odd_numbers
)
odd_strings = st.sampled_from(
    [
        "0001-01-01",
        "9999-12-31",
        "2021-02-30",
        "2021年13月1日",
        "20210230",
        "1e10",
        "-1",
        "是否",
        "NULL",
        "None",
        "nan",
        "inf",
        "   ",
        "\u3000",
        "６３０１０２",
        "١٢٣",
        "😀",
        "\u202e\u202d",
        "ℌ𝔢𝔩𝔩𝔬",
        "\ufeff",
        "\u00a0",
    ]
)

# a cell: (value, number_format or None). A number with a date format is how Excel stores a date:
# negative serials and 1e10 formatted as dates are "dates out of range".
DATE_FMT = "yyyy-mm-dd"
cell_values = st.one_of(
    st.none().map(lambda v: (v, None)),
    st.booleans().map(lambda v: (v, None)),
    numbers.map(lambda v: (v, None)),
    st.one_of(odd_numbers, st.integers(-100_000, 3_000_000)).map(lambda v: (v, DATE_FMT)),
    any_dates.map(lambda v: (v, None)),
    formulas.map(lambda v: (v, None)),
    excel_errors.map(lambda v: (v, None)),
    odd_strings.map(lambda v: (v, None)),
    junk_text.map(lambda v: (v, None)),
    huge_text.map(lambda v: (v, None)),
)


def put(ws: Any, r: int, c: int, value: Any, fmt: str | None = None) -> None:
    cell = ws.cell(r, c)
    cell.value = value
    if fmt:
        cell.number_format = fmt


@st.composite
def sheet_specs(
    draw: st.DrawFn, headers: tuple[str, ...], valid_row: Any, table: bool = False
) -> dict[str, Any]:
    layouts = ["table", "table", "table", "empty", "junk", "header_only", "late_header"]
    layout = "table" if table else draw(st.sampled_from(layouts))
    cols = list(range(len(headers)))
    if draw(st.booleans()):
        cols = draw(st.permutations(cols))
    drop = (
        draw(st.sets(st.sampled_from(cols), max_size=2)) if draw(st.integers(0, 4)) == 0 else set()
    )
    cols = [c for c in cols if c not in drop]
    n_rows = draw(st.integers(0, 6))
    rows = []
    for i in range(n_rows):
        base = (
            list(valid_row(draw(st.integers(0, 40)) + 100 * i))
            if valid_row
            else [None] * len(headers)
        )
        clean = valid_row is not None and draw(st.booleans())  # half the valid rows stay valid
        hostile = (
            {}
            if clean
            else draw(
                st.dictionaries(
                    st.sampled_from(range(len(headers))),
                    cell_values,
                    max_size=len(headers) if valid_row is None else 3,
                )
            )
        )
        rows.append(
            [(hostile[j] if j in hostile else (base[j], None)) for j in range(len(headers))]
        )
    return {
        "layout": layout,
        "cols": cols,
        "title_rows": draw(st.integers(0, 3)),
        "merge_header": draw(st.sampled_from([None, None, "across", "down", "title"])),
        "blank_between": draw(st.booleans()),
        "extra_junk_col": draw(st.one_of(st.none(), cell_values)),
        "rows": rows,
        "junk": draw(st.lists(st.lists(cell_values, max_size=4), max_size=4))
        if layout == "junk"
        else [],
    }


sheet_titles = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Cn"), blacklist_characters="[]:*?/\\'"
    ),
    min_size=1,
    max_size=31,
).filter(lambda s: s.strip() == s and s.lower() != "history")


@st.composite
def workbook_specs(draw: st.DrawFn, kind: str, with_rows: bool) -> dict[str, Any]:
    case = IMPORTER_CASES.get(kind) if with_rows else None
    headers = importer_headers(kind)
    titles = draw(st.lists(sheet_titles, min_size=1, max_size=3, unique_by=str.lower))
    return {
        "headers": headers,
        # with rows, the first sheet is a table so that most examples reach the rows
        "sheets": [
            (
                t,
                draw(
                    sheet_specs(
                        headers, case.valid_row if case else None, table=bool(case) and i == 0
                    )
                ),
            )
            for i, t in enumerate(titles)
        ],
    }


def build(path: Path, spec: dict[str, Any]) -> dict[str, int]:
    """Write the workbook; returns sheet title -> number of rows written."""
    headers = spec["headers"]
    wb = Workbook()
    wb.remove(wb.active)
    sizes: dict[str, int] = {}
    for title, sh in spec["sheets"]:
        ws = wb.create_sheet(title)
        layout = sh["layout"]
        r = 1
        if layout == "empty":
            sizes[title] = 0
            continue
        if layout == "junk":
            for i, line in enumerate(sh["junk"], 1):
                for j, (v, f) in enumerate(line, 1):
                    put(ws, i, j, v, f)
            sizes[title] = len(sh["junk"])
            continue
        for _ in range(sh["title_rows"]):
            put(ws, r, 1, "某县交通运输综合行政执法大队 花名册")
            r += 1
        if layout == "late_header":  # below the 10 rows where a header is looked for
            r = max(r, 12)
        cols = sh["cols"]
        for j, c in enumerate(cols, 1):
            put(ws, r, j, headers[c])
        ncol = max(len(cols), 1)
        if sh["merge_header"] == "across" and ncol >= 3:
            ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=3)
        elif sh["merge_header"] == "down":
            ws.merge_cells(start_row=r, start_column=1, end_row=r + 1, end_column=1)
        elif sh["merge_header"] == "title" and r > 1:
            ws.merge_cells(start_row=r - 1, start_column=1, end_row=r, end_column=ncol)
        if sh["extra_junk_col"] is not None:
            put(ws, r, ncol + 1, "备用列")
        header_row = r
        r += 1
        if layout != "header_only":
            for row in sh["rows"]:
                if sh["blank_between"]:
                    r += 1
                for j, c in enumerate(cols, 1):
                    v, f = row[c]
                    if ws.cell(r, j).coordinate in ws.merged_cells:
                        continue
                    put(ws, r, j, v, f)
                if sh["extra_junk_col"] is not None:
                    put(ws, r, ncol + 1, *sh["extra_junk_col"])
                r += 1
        sizes[title] = max(r - 1, header_row + 1)
    wb.save(path)
    return sizes


# ---- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    d = tmp_path_factory.mktemp("hostile")
    yield d
    if RAN:
        print(
            "\nhypothesis examples run: " + ", ".join(f"{k}={v}" for k, v in sorted(RAN.items())),
            file=sys.stderr,
        )


@pytest.fixture(scope="module")
def dbs(work: Path) -> Iterator[dict[str, Database]]:
    """One database per kind, shared by that kind's generated examples (writes accumulate)."""
    opened: dict[str, Database] = {}

    def get(kind: str) -> Database:
        if kind not in opened:
            opened[kind] = fresh_db(work / f"{kind}.sqlite", lasting=True)
            case = IMPORTER_CASES.get(kind)
            if case and case.prepare_db:
                case.prepare_db(opened[kind])
        return opened[kind]

    yield get  # type: ignore[misc]
    for d in opened.values():
        d.close()


def run_and_check(
    kind: str,
    db: Database,
    path: Path,
    sizes: dict[str, int],
    *,
    dry_run: bool,
    skip_invalid: bool,
    generated: bool = False,
) -> ImportResult | None:
    """Import once and assert the properties. Returns the result (None when refused by UserError)."""
    before = snapshot(db)
    try:
        result = importer(kind)(db, path, dry_run=dry_run, skip_invalid=skip_invalid)
    except UserError as exc:
        if generated:
            event("refused: UserError")
        assert has_cjk(exc.message) and len(exc.message) <= 400, exc.message
        assert snapshot(db) == before, "refused import changed the database"
        return None
    assert isinstance(result, ImportResult)
    if generated:  # labels for --hypothesis-show-statistics
        event(
            "structural error"
            if any(e.row == 0 for e in result.errors)
            else "rejected"
            if result.rejected
            else "written"
            if result.written
            else "dry run / nothing to do"
        )
        if result.errors:
            event("row errors" if any(e.row for e in result.errors) else "file errors only")
    check_errors(result.errors, sizes)
    after = snapshot(db)
    if dry_run:
        assert after == before, "dry run wrote to the database"
        assert not result.written
    if result.rejected:
        assert after == before, f"rejected import changed the database: {result.errors[:3]}"
    if result.errors and not skip_invalid:
        assert not result.written and result.rejected
    if any(e.row == 0 for e in result.errors):
        assert not result.written
    assert result.created >= 0 and result.updated >= 0 and result.skipped >= 0
    # the shared policy (importers.policy): a structural error is never skipped past, and valid
    # rows are held back only when all-or-nothing refused them
    if result.structural:
        assert not result.written and result.held_back == 0
    if result.held_back:
        assert not skip_invalid and result.rejected and result.skipped >= result.held_back
    if result.written:  # a 32,767-character cell pasted by mistake never lands in the ledger
        assert longest_text(db) < HUGE
    return result


HYPO = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


# ---- property tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@HYPO
@given(data=st.data(), dry_run=st.booleans(), skip_invalid=st.booleans())
def test_generated_workbooks_never_crash(
    kind: str, work: Path, dbs: Any, data: st.DataObject, dry_run: bool, skip_invalid: bool
) -> None:
    """Any structure: empty sheets, junk, header late or merged, cells of every wrong type."""
    spec = data.draw(workbook_specs(kind, with_rows=False))
    path = work / f"{kind}-any.xlsx"
    sizes = build(path, spec)
    RAN[f"any/{kind}"] = RAN.get(f"any/{kind}", 0) + 1
    run_and_check(
        kind, dbs(kind), path, sizes, dry_run=dry_run, skip_invalid=skip_invalid, generated=True
    )


@pytest.mark.parametrize("kind", CASE_KINDS)
@HYPO
@given(data=st.data(), dry_run=st.booleans(), skip_invalid=st.booleans())
def test_valid_rows_with_hostile_cells(
    kind: str, work: Path, dbs: Any, data: st.DataObject, dry_run: bool, skip_invalid: bool
) -> None:
    """Valid rows with a few cells replaced by wrong types, huge texts, formulas, odd dates."""
    spec = data.draw(workbook_specs(kind, with_rows=True))
    path = work / f"{kind}-rows.xlsx"
    sizes = build(path, spec)
    RAN[f"rows/{kind}"] = RAN.get(f"rows/{kind}", 0) + 1
    run_and_check(
        kind, dbs(kind), path, sizes, dry_run=dry_run, skip_invalid=skip_invalid, generated=True
    )


def test_every_importer_has_a_case() -> None:
    """A new importer gets generated valid rows (and the kill test) by one entry in IMPORTER_CASES."""
    missing = [k for k in KINDS if k not in IMPORTER_CASES]
    assert not missing, (
        f"add a valid-row factory for {missing} to tests/hostile_util.py IMPORTER_CASES"
    )


# ---- the named hostile cases, deterministically, for every importer -----------------------------


def _named_cases(headers: tuple[str, ...], make_row: Any) -> dict[str, Any]:
    """name -> function(ws) writing that case into the (only) sheet. ``make_row(n)`` a valid row."""
    make_row = make_row or (lambda n: ["x"] * len(headers))
    base = make_row(7)

    def table(ws: Any, rows: list[list[Any]], at: int = 1) -> None:
        for j, h in enumerate(headers, 1):
            ws.cell(at, j, h)
        for i, r in enumerate(rows, at + 1):
            for j, v in enumerate(r, 1):
                ws.cell(i, j, v)

    def every_column(value: Any, fmt: str | None = None) -> Any:
        def w(ws: Any) -> None:
            rows = []
            for j in range(len(headers)):
                r = list(make_row(100 + j))  # distinct rows: no duplicate errors hide the bad cell
                r[j] = value
                rows.append(r)
            table(ws, rows)
            if fmt:
                for rr in ws.iter_rows(min_row=2):
                    for c in rr:
                        if c.value == value:
                            c.number_format = fmt

        return w

    def merged_header(ws: Any) -> None:
        table(ws, [base])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=min(4, len(headers)))

    def merged_two_row_header(ws: Any) -> None:
        ws.cell(1, 1, "某县执法人员花名册")
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        table(ws, [base, make_row(8)], at=2)
        ws.merge_cells(start_row=2, start_column=2, end_row=3, end_column=2)

    return {
        "empty_sheet": lambda ws: None,
        "no_header": lambda ws: [ws.cell(i, j, f"列{j}") for i in (1, 2) for j in range(1, 6)],
        "header_only": lambda ws: table(ws, []),
        "header_below_row_10": lambda ws: table(ws, [base], at=12),
        "merged_header": merged_header,
        "merged_title_and_header": merged_two_row_header,
        "formula_1+1_everywhere": every_column("=1+1"),
        "formula_A1_everywhere": every_column("=A1"),
        "huge_cell_everywhere": every_column("测" * HUGE),
        "date_year_1": every_column(dt.date(1, 1, 1)),
        "date_year_9999": every_column(dt.datetime(9999, 12, 31)),
        "negative_serial_as_date": every_column(-5, DATE_FMT),
        "1e10_as_date": every_column(1e10, DATE_FMT),
        "bool_everywhere": every_column(True),
        "float_everywhere": every_column(6.30102198503e17),
        "error_value_everywhere": every_column("#REF!"),
        "unicode_junk_everywhere": every_column("\u202e\ufeff😀ℌ\u3000\u00a0"),
    }


NAMED = list(_named_cases(("a",), None))


@pytest.mark.parametrize("name", NAMED)
@pytest.mark.parametrize("kind", KINDS)
def test_named_hostile_case(kind: str, name: str, work: Path, dbs: Any) -> None:
    headers = importer_headers(kind)
    case = IMPORTER_CASES.get(kind)
    writer = _named_cases(headers, case.valid_row if case else None)[name]
    wb = Workbook()
    ws = wb.active
    ws.title = "表1"
    writer(ws)
    path = work / f"{kind}-{name}.xlsx"
    wb.save(path)
    sizes = {"表1": ws.max_row}
    db = dbs(kind)
    for dry_run, skip_invalid in ((False, False), (True, False), (False, True)):
        result = run_and_check(kind, db, path, sizes, dry_run=dry_run, skip_invalid=skip_invalid)
        if name == "header_below_row_10" and result is not None:
            # blank rows do not count: the header under eleven empty rows is the first row there is
            assert not result.structural, result.errors
        if name in ("empty_sheet", "no_header") and result is not None:
            assert (
                result.rejected and result.errors[0].row == 0 and "表头" in result.errors[0].message
            )
        if case and name.endswith("_everywhere") and result is not None:
            # row j+1 has the hostile value in column j: every error is on a data row, named by
            # the column the bad cell is in (or a column that depends on it)
            assert all(2 <= e.row <= ws.max_row and e.column for e in result.errors), result.errors
            if name in ("huge_cell_everywhere", "date_year_1", "error_value_everywhere"):
                bad_id_row = 2 + headers.index("身份证号") if "身份证号" in headers else None
                assert result.errors and (result.rejected or skip_invalid)
                if skip_invalid and not dry_run:  # the rows without a bad cell were written
                    assert result.written and result.created + result.updated >= 1
                if bad_id_row:
                    assert any(
                        e.row == bad_id_row and e.column == "身份证号" for e in result.errors
                    )


def test_no_sheets_at_all(work: Path, dbs: Any) -> None:
    """A workbook whose only sheet was removed from workbook.xml (openpyxl cannot save one)."""
    import zipfile

    src = work / "one.xlsx"
    wb = Workbook()
    wb.active.title = "S"
    wb.save(src)
    out = work / "nosheet.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                import re

                data = re.sub(rb"<sheet [^>]*/>", b"", data)
            zout.writestr(item, data)
    for kind in KINDS:
        result = run_and_check(kind, dbs(kind), out, {}, dry_run=False, skip_invalid=False)
        assert result is None or (result.rejected and result.errors and result.errors[0].row == 0)


# ---- 10,000 rows: one example ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("kind", CASE_KINDS)
def test_ten_thousand_rows_one_bad_at_the_end(kind: str, tmp_path: Path) -> None:
    case = IMPORTER_CASES[kind]
    n = 10_000
    rows = (case.valid_row(i) for i in range(n))
    t0 = time.perf_counter()
    path = write_rows(tmp_path / "big.xlsx", case.headers, [*rows, case.invalid_row(n)])
    t_write = time.perf_counter() - t0
    db = fresh_db(tmp_path / "big.sqlite")
    try:
        if case.prepare_db:
            case.prepare_db(db)
        before = snapshot(db)
        t0 = time.perf_counter()
        result = importer(kind)(db, path)
        t_import = time.perf_counter() - t0
        assert result.rejected and not result.written
        check_errors(result.errors, {"数据": n + 2})
        assert {e.row for e in result.errors} == {n + 2}, result.errors[:5]  # header is row 1
        assert snapshot(db) == before
    finally:
        db.close()
    print(
        f"\n10,000 rows ({kind}): write {t_write:.1f} s, import (rejected) {t_import:.1f} s",
        file=sys.stderr,
    )
