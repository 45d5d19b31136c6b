"""What a rule finds. Each ledger's ``rules`` module has ``RULES`` (code -> Chinese label) and
``check(session, as_of) -> list[Finding]``; the ledger declares them in its ``Ledger`` and the
registry (``brigade_desk/app/ledgers.py``) runs them all (``Registry.run_rules``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any


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
