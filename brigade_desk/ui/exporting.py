"""Running an export from a page: the same ``ExportDef`` the command line and the 报表 page use,
in the background with progress, and "已导出：…" (or the page's own words) in the status bar when it
is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from brigade_desk.core.ledger import ExportRequest
from brigade_desk.core.period import Period
from brigade_desk.ui.context import AppContext


def run_export(
    ctx: AppContext,
    parent: QWidget,
    key: str,
    out: Path | str,
    *,
    period: Period | None = None,
    target: str | None = None,
    label: str = "正在导出…",
    said: str = "已导出",
) -> None:
    """``label`` shows while it runs; ``said`` starts the status bar's "已导出：<path>"."""
    export = ctx.ledgers.exports()[key]
    db = ctx.db

    def work(progress: Any) -> tuple[Path, list[str]]:
        req = ExportRequest(Path(out), period=period, target=target, progress=progress)
        return export.export(db, req), req.notes

    def done(result: tuple[Path, list[str]]) -> None:
        path, notes = result
        ctx.say("；".join([*notes, f"{said}：{path}"]))

    ctx.tasks.run(work, on_success=done, label=label, parent=parent)
