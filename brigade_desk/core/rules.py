"""Rules the program checks for the clerk. Each ledger contributes a module with ``check()``.

A rule module exposes ``RULES: dict[str, str]`` (code → Chinese label) and
``check(session, as_of) -> list[Finding]``. ``run_all`` runs every registered module.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

# Rule modules, in display order. A new ledger adds its module here.
RULE_MODULES: list[str] = [
    "brigade_desk.ledgers.roster.rules",
    "brigade_desk.ledgers.training.rules",
    "brigade_desk.ledgers.av.rules",
    "brigade_desk.ledgers.cases.rules",
]


@dataclass(frozen=True)
class Finding:
    rule: str
    subject: str
    ref: str
    due: dt.date | None
    detail: str
    # what the finding is about, so the GUI can open it: ("staff", id), ("case", id) …
    entity: str = ""
    entity_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["due"] = self.due.isoformat() if self.due else None
        return {k: d[k] for k in ("rule", "subject", "ref", "due", "detail")}


def _modules() -> list[Any]:
    return [importlib.import_module(m) for m in RULE_MODULES]


def labels() -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _modules():
        out.update(m.RULES)
    return out


def run_all(session: Session, as_of: dt.date) -> list[Finding]:
    findings: list[Finding] = []
    for m in _modules():
        findings.extend(m.check(session, as_of))
    return findings
