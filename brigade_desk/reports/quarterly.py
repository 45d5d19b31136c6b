"""The quarterly upload workbook: sheets named exactly 培训台账, 执法证件, 音像记录, 案卷评查.

Each sheet comes from a provider ``fn(session, period) -> SheetData`` registered in ``SHEETS`` by the
ledger that owns the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from brigade_desk.core.db import Database
from brigade_desk.core.forms.common import form_info
from brigade_desk.core.ledger import QuarterlySheet
from brigade_desk.core.period import Period
from brigade_desk.core.progress import Progress


def export_quarterly(
    db: Database,
    out: Path | str,
    period: Period,
    sheets: Sequence[QuarterlySheet],
    progress: Progress | None = None,
) -> Path:
    """Streamed (the form layout of :mod:`brigade_desk.core.forms.xlsxform`): the AV sheet alone can hold
    thousands of rows a quarter."""
    from brigade_desk.core.forms.xlsxform import StreamWorkbook

    with db.session() as s, StreamWorkbook(out) as wb:
        info = form_info(s)
        for i, sheet in enumerate(sheets):
            if progress:
                progress.update(i, len(sheets), sheet.name)
            data = sheet.build(s, period)
            wb.add_form_sheet(sheet.name, data.title, info, data.cols, data.rows, note=data.note)
    return Path(out)
