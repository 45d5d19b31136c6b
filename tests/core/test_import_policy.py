"""The import policy (importers.policy), directly and through each importer.

All or nothing by default (the valid rows are counted as held back); skip_invalid writes the valid
rows and counts the invalid ones as skipped; a structural error refuses the file even with
skip_invalid; a dry run never commits and still says what would happen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dbtemplate import fresh_db

from brigade_desk.core.errors import RowError
from brigade_desk.core.tabular.policy import CheckedRow, Written, run_import, would_import
from brigade_desk.core.tabular.result import ImportResult
from tests.hostile_util import IMPORTER_CASES, importer, snapshot, write_rows


class FakeTx:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def commit(self) -> None:
        self.calls.append("commit")

    def rollback(self) -> None:
        self.calls.append("rollback")


class Writer:
    """A write callback that records what it was given; every value counts as created unless it
    starts with "old" (then updated)."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], bool]] = []

    def __call__(self, values: list[str], dry_run: bool) -> Written:
        self.calls.append((list(values), dry_run))
        old = sum(v.startswith("old") for v in values)
        return Written(created=len(values) - old, updated=old)


def err(row: int, msg: str = "错", sheet: str = "表1", column: str = "姓名") -> RowError:
    return RowError(sheet, row, column, msg)


def rows() -> list[CheckedRow[str]]:
    """Four data rows: two new, one bad, one already in the database."""
    return [
        CheckedRow("表1", 2, "a"),
        CheckedRow("表1", 3, None, [err(3, "身份证号校验位错误"), err(3, "性别无法识别")]),
        CheckedRow("表1", 4, "b"),
        CheckedRow("表1", 5, "old-c"),
    ]


def run(rs: list[CheckedRow[str]], **kw: Any) -> tuple[ImportResult, FakeTx, Writer]:
    tx, w = FakeTx(), Writer()
    return run_import(tx, rs, w, **kw), tx, w


def test_all_or_nothing_holds_the_valid_rows_back() -> None:
    r, tx, w = run(rows())
    assert w.calls == [] and tx.calls == ["rollback"]
    assert (r.created, r.updated, r.skipped, r.held_back) == (0, 0, 4, 3)
    assert [(e.row, e.message) for e in r.errors] == [
        (3, "身份证号校验位错误"),
        (3, "性别无法识别"),
    ]
    assert r.rejected and not r.written and not r.structural and not r.skip_invalid
    assert "未写入任何数据" in r.summary() and "其中 3 行没有错误" in r.summary()
    assert not would_import(r, skip_invalid=False) and would_import(r, skip_invalid=True)


def test_a_row_with_a_value_but_an_error_added_later_is_not_written() -> None:
    rs = rows()
    rs[0].errors.append(err(2, "执法证号已登记给“甲”"))  # e.g. found in the database afterwards
    r, _tx, w = run(rs, skip_invalid=True)
    assert w.calls == [(["b", "old-c"], False)]
    assert (r.created, r.updated, r.skipped, r.held_back) == (1, 1, 2, 0)
    assert [e.row for e in r.errors] == [2, 3, 3]  # by row, as read


def test_skip_invalid_writes_the_valid_rows_and_skips_the_invalid() -> None:
    r, tx, w = run(rows(), skip_invalid=True)
    assert w.calls == [(["a", "b", "old-c"], False)] and tx.calls == ["commit"]
    assert (r.created, r.updated, r.skipped, r.held_back) == (2, 1, 1, 0)
    assert r.created + r.updated + r.skipped == 4  # every data row accounted for
    assert r.written and not r.rejected and r.skip_invalid and len(r.errors) == 2
    assert "其中" not in r.summary() and "跳过 1 条" in r.summary()


def test_without_errors_everything_is_written_either_way() -> None:
    ok = [r for r in rows() if r.ok]
    for skip in (False, True):
        r, tx, w = run(ok, skip_invalid=skip)
        assert w.calls == [(["a", "b", "old-c"], False)] and tx.calls == ["commit"]
        assert (r.created, r.updated, r.skipped, r.held_back, r.errors) == (2, 1, 0, 0, [])
        assert r.written and not r.rejected
        assert would_import(r, skip_invalid=False) and would_import(r, skip_invalid=True)


@pytest.mark.parametrize("skip_invalid", [False, True])
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_structural_error_refuses_the_file_even_with_skip_invalid(
    skip_invalid: bool, dry_run: bool
) -> None:
    # a required column missing is reported on the row that looks like the header, not row 0
    missing = err(1, "缺少必需的列：身份证号", column="身份证号")
    r, tx, w = run(
        [CheckedRow("表1", 2, "a")],
        structural=[missing],
        skip_invalid=skip_invalid,
        dry_run=dry_run,
    )
    assert w.calls == [] and tx.calls == ["rollback"]
    assert r.structural and r.rejected and not r.written
    assert r.errors == [missing] and (r.created, r.updated, r.held_back) == (0, 0, 0)
    assert "其中" not in r.summary()
    assert not would_import(r, skip_invalid=True) and not would_import(r, skip_invalid=False)


def test_structural_errors_come_before_row_errors() -> None:
    head = err(0, "没有找到表头", column="")
    r, _tx, _w = run(rows(), structural=[head], skip_invalid=True)
    assert r.errors[0] == head and [e.row for e in r.errors[1:]] == [3, 3]


def test_dry_run_never_commits_and_says_what_would_happen() -> None:
    r, tx, w = run([r for r in rows() if r.ok], dry_run=True)
    assert w.calls == [(["a", "b", "old-c"], True)] and tx.calls == ["rollback"]
    assert (r.created, r.updated, r.skipped) == (2, 1, 0) and not r.written and r.dry_run
    assert r.summary().startswith("将新增 2 条，将更新 1 条")
    # with skip_invalid: what an import with the flag would write and skip
    r, tx, w = run(rows(), dry_run=True, skip_invalid=True)
    assert w.calls == [(["a", "b", "old-c"], True)] and tx.calls == ["rollback"]
    assert (r.created, r.updated, r.skipped, r.held_back) == (2, 1, 1, 0) and not r.written
    assert would_import(r, skip_invalid=True)
    # without it: nothing would be written, and the valid rows are held back
    r, tx, w = run(rows(), dry_run=True)
    assert w.calls == [] and tx.calls == ["rollback"]
    assert (r.created, r.updated, r.skipped, r.held_back) == (0, 0, 4, 3) and r.rejected


def test_skip_invalid_when_every_row_is_invalid_writes_nothing_but_is_not_refused() -> None:
    r, tx, w = run([rows()[1]], skip_invalid=True)
    assert w.calls == [([], False)] and tx.calls == ["commit"]
    assert (r.created, r.updated, r.skipped, r.held_back) == (0, 0, 1, 0)


# ---- every importer follows the same policy ----------------------------------------------------

KINDS = sorted(IMPORTER_CASES)
# a header each importer cannot do without
REQUIRED = {"staff": "身份证号", "training": "姓名", "cases": "案由"}


@pytest.fixture
def kind_db(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    kind = request.param
    db = fresh_db(tmp_path / f"{kind}.sqlite")
    case = IMPORTER_CASES[kind]
    if case.prepare_db:
        case.prepare_db(db)
    yield kind, db
    db.close()


def test_every_importer_is_covered() -> None:
    assert KINDS == ["cases", "staff", "training"]


@pytest.mark.parametrize("kind_db", KINDS, indirect=True)
def test_held_back_is_set_the_same_way_by_every_importer(kind_db: Any, tmp_path: Path) -> None:
    kind, db = kind_db
    case = IMPORTER_CASES[kind]
    path = write_rows(
        tmp_path / "f.xlsx",
        case.headers,
        [case.valid_row(0), case.valid_row(1), case.invalid_row(2), case.valid_row(3)],
    )
    before = snapshot(db)
    imp = importer(kind)
    for dry_run in (False, True):
        r = imp(db, path, dry_run=dry_run)
        assert [e.row for e in r.errors] == [4], r.errors  # header is row 1
        assert (r.created, r.updated, r.skipped, r.held_back) == (0, 0, 4, 3), kind
        assert r.rejected and not r.written and not r.structural
        assert "其中 3 行没有错误" in r.summary()
        assert would_import(r, skip_invalid=True) and not would_import(r, skip_invalid=False)
        assert snapshot(db) == before
    r = imp(db, path, dry_run=True, skip_invalid=True)
    assert (r.created, r.updated, r.skipped, r.held_back, r.written) == (3, 0, 1, 0, False)
    assert snapshot(db) == before
    r = imp(db, path, skip_invalid=True)
    assert (r.created, r.updated, r.skipped, r.held_back, r.written) == (3, 0, 1, 0, True)
    assert not r.rejected and snapshot(db) != before
    # again: the same rows are now updates
    r = imp(db, path, dry_run=True, skip_invalid=True)
    assert (r.created, r.updated, r.skipped, r.held_back) == (0, 3, 1, 0)


@pytest.mark.parametrize("kind_db", KINDS, indirect=True)
def test_a_missing_required_column_refuses_the_file_even_with_skip_invalid(
    kind_db: Any, tmp_path: Path
) -> None:
    kind, db = kind_db
    case = IMPORTER_CASES[kind]
    drop = case.headers.index(REQUIRED[kind])
    headers = [h for i, h in enumerate(case.headers) if i != drop]
    data = [[v for i, v in enumerate(case.valid_row(n)) if i != drop] for n in range(3)]
    path = write_rows(tmp_path / "f.xlsx", headers, data)
    before = snapshot(db)
    for dry_run in (False, True):
        r = importer(kind)(db, path, dry_run=dry_run, skip_invalid=True)
        assert r.structural and r.rejected and not r.written, (kind, r)
        assert len(r.errors) == 1 and (r.created, r.updated, r.held_back) == (0, 0, 0)
        assert not would_import(r, skip_invalid=True)
        assert snapshot(db) == before
