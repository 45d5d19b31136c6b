"""Named record sources for the superior's own templates (``{{行:执法证件.姓名}}``) and exports.

Each ledger contributes sources from a module listed in ``SOURCE_MODULES``: a module-level
``SOURCES: list[Source]``. A source gives its field names (Chinese, as the clerk writes them in a
template) and the rows for a period.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from brigade_desk.core.period import Period

SOURCE_MODULES: list[str] = [
    "brigade_desk.ledgers.roster.report_parts",
    "brigade_desk.ledgers.cases.report_parts",
    "brigade_desk.ledgers.training.report_parts",
]


@dataclass(frozen=True)
class Source:
    name: str
    fields: tuple[str, ...]
    rows: Callable[[Session, Period], list[dict[str, Any]]]
    help: str = ""


def all_sources() -> dict[str, Source]:
    out: dict[str, Source] = {}
    for m in SOURCE_MODULES:
        for s in importlib.import_module(m).SOURCES:
            out[s.name] = s
    return out
