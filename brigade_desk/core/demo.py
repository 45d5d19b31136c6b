"""Synthetic demo data so a new user sees a living program (``brigade-desk demo``).

Each ledger contributes a ``DemoPart`` (``fill(session, ctx)``, see ``Ledger.demo``); the parts run in
order in ONE transaction,
so a failure anywhere leaves the database exactly as it was (empty) and the demo can simply be run
again; folders of demo files a filler created are removed again too. ``small`` ≈ 60 staff;
``large`` = a big brigade over ten years.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.progress import Progress

if TYPE_CHECKING:
    from brigade_desk.core.ledger import DemoPart


@dataclass
class DemoContext:
    size: str
    seed: int
    today: dt.date
    rng: random.Random
    db_path: Path
    # facts shared between fillers (e.g. the staff ids created by the roster filler)
    shared: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    # folders a filler created outside the database (demo footage), removed if the demo fails
    created_dirs: list[Path] = field(default_factory=list)

    def make_dir(self, path: Path) -> Path:
        """``mkdir -p`` that remembers the topmost folder it created, for the clean-up on failure."""
        top = path
        while not top.parent.exists():
            top = top.parent
        if not path.exists():
            self.created_dirs.append(top)
        path.mkdir(parents=True, exist_ok=True)
        return path


def run(
    db: Database,
    parts: Sequence[DemoPart],
    *,
    size: str = "small",
    seed: int = 1,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    if size not in ("small", "large"):
        raise UserError("--size 只能是 small 或 large")
    if size == "large" and db.server:  # its bulk writer is SQLite's own (raw inserts, its indexes)
        raise UserError(
            "大型演示数据只能生成在 SQLite 文件中；要在服务器上试用，先生成到文件，"
            "再用 copy-db 复制到服务器。"
        )
    ctx = DemoContext(
        size=size,
        seed=seed,
        today=today or dt.date.today(),
        rng=random.Random(seed),
        db_path=db.path,
    )
    try:
        with db.begin() as s:  # all or nothing: a half-filled database could not be filled again
            for i, part in enumerate(parts):
                if progress:
                    progress.update(i, len(parts), part.name)
                part.fill(s, ctx)
            # the fillers' bulk inserts are ledger facts too: into the audit trail, in bulk
            from brigade_desk.core import audit

            audit.record_unaudited(s)
    except BaseException:
        for d in reversed(ctx.created_dirs):
            shutil.rmtree(d, ignore_errors=True)
        raise
    # fold the bulk inserts' write-ahead log into the file (hundreds of MB for the large set, which the
    # next program to open the database would otherwise read through)
    if not db.server:  # a file's write-ahead log; a server database has none of its own
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return ctx.counts
