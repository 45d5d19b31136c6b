"""The import policy, once for every importer (and for the import dialog).

- All or nothing by default: when any row has an error nothing is written, and the rows without
  errors are counted as ``held_back`` (they would be imported with 跳过有错误的行).
- ``skip_invalid``: the rows without errors are written, the rows with errors are ``skipped``.
- Structural errors (no header, a required column missing, no data rows) refuse the whole file,
  even with ``skip_invalid``. A file that cannot be read at all raises ``UserError`` before any
  row is checked, so it never gets this far.
- ``dry_run`` never commits: the result says what an import with the same flags would do.

``skipped`` counts every data row that was not written, so ``created + updated + skipped`` is the
number of data rows (unless the file was refused as a whole). Errors are listed structural first,
then by row as the rows were read.

The importers keep what is theirs (columns, parsing and checking a row, turning a row into
records) and hand their checked rows and a ``write`` callback to :func:`run_import`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from brigade_desk.core.errors import RowError
from brigade_desk.core.tabular.read import ReadInfo
from brigade_desk.core.tabular.result import ImportResult

T = TypeVar("T")


@dataclass(slots=True)  # (tens of thousands per import)
class CheckedRow(Generic[T]):
    """One data row after parsing and checking: what to write (``value``) or why not (``errors``).

    An importer may add errors after parsing (a duplicate in the file, a number already owned in
    the database); a row with any error is never written, whatever ``value`` holds.
    """

    sheet: str
    row: int
    value: T | None
    errors: list[RowError] = field(default_factory=list)
    # what was assumed reading the row (t.Row.notes): reported whether or not the row is written
    notes: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.value is not None


@dataclass(frozen=True)
class Written:
    """What ``write`` did (or, in a dry run, would do) with the accepted rows."""

    created: int = 0
    updated: int = 0


class Transaction(Protocol):
    """The part of a SQLAlchemy ``Session`` the policy uses: it alone ends the transaction."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


# write(accepted values, dry_run) -> counts. It runs inside the transaction; in a dry run it may
# write (the policy rolls back) or only count, whichever tells the truth more cheaply.
WriteRows = Callable[[list[T], bool], Written]


def accepts(*, structural: bool, row_errors: bool, skip_invalid: bool) -> bool:
    """Whether the rows without errors get written: the one rule of the policy."""
    return not structural and (not row_errors or skip_invalid)


def would_import(result: ImportResult, *, skip_invalid: bool) -> bool:
    """Whether importing the file just checked (``result``) with ``skip_invalid`` would write its
    rows without errors. A structural error refuses the file whatever the flag."""
    return accepts(
        structural=result.structural, row_errors=bool(result.errors), skip_invalid=skip_invalid
    )


def run_import(
    tx: Transaction,
    rows: Sequence[CheckedRow[T]],
    write: WriteRows[T],
    *,
    structural: Sequence[RowError] = (),
    dry_run: bool = False,
    skip_invalid: bool = False,
    info: ReadInfo | None = None,
) -> ImportResult:
    """Decide what is written, call ``write`` with it inside ``tx``, commit (or roll back in a dry
    run or when refused), and say what happened."""
    bad: list[CheckedRow[T]] = []
    good: list[T] = []
    errors = list(structural)
    # one line per row and cell: two people in one row (side-by-side blocks) share a note
    notes: dict[tuple[str, int, str, str], RowError] = {}
    for r in rows:  # CheckedRow.ok, in one pass (tens of thousands of rows)
        if not r.errors and r.value is not None:
            good.append(r.value)
        else:
            bad.append(r)
            errors.extend(r.errors)
        if r.notes:
            for n in r.notes:
                notes[(n.sheet, n.row, n.column, n.message)] = n
    result = ImportResult(
        errors=errors,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        structural=bool(structural),
        interpretations=list(notes.values()),
    )
    if info is not None:
        result.ignored_columns = list(info.ignored)
        result.stored_columns = list(info.stored)
        result.notes = list(dict.fromkeys(info.notes))  # a line in two blocks: said once
    result.cap()
    if not accepts(structural=bool(structural), row_errors=bool(bad), skip_invalid=skip_invalid):
        result.skipped = len(rows)
        # the valid rows wait for the clerk only when 跳过有错误的行 would let them through
        result.held_back = 0 if structural else len(good)
        tx.rollback()
        return result
    done = write(good, dry_run)
    result.created, result.updated = done.created, done.updated
    result.skipped = len(bad)
    if dry_run:
        tx.rollback()
    else:
        tx.commit()
        result.written = True
    return result
