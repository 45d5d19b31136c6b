"""Which import a spreadsheet is for (花名册, 培训签到表, 案件台账), guessed from its header row."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from brigade_desk.core.tabular import read as t
from brigade_desk.core.tabular.books import head_rows

if TYPE_CHECKING:
    from brigade_desk.core.ledger import ImporterDef


def detect_kind(path: Path | str, importers: Mapping[str, ImporterDef]) -> str | None:
    """The kind whose columns the file's best header row names most of (at least three); None when
    nothing fits or the file cannot be read (the import itself then says why)."""
    try:
        wb = t.open_workbook(Path(path))
    except Exception:  # noqa: BLE001 - a guess only: the import reports the real problem
        return None
    try:
        heads = [  # the first rows holding anything, read no further
            [cells for _n, cells in head_rows(Path(path), ws, t.HEADER_SEARCH_ROWS)]
            for ws in wb.worksheets[:5]
        ]
    except Exception:  # noqa: BLE001
        return None
    finally:
        wb.close()
    best: tuple[int, str] | None = None
    for kind, imp in importers.items():
        cols = imp.columns()
        lookup = {n for c in cols for n in c.names()}
        for rows in heads:
            for row in rows:
                score = len({t.norm_header(cell) for cell in row} & lookup)
                if score >= 3 and (best is None or score > best[0]):
                    best = (score, kind)
    return best[1] if best else None
