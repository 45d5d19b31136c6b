"""``brigade-desk demo``: every ledger's demo part, in order, into an empty database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import demo
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.roster.models import Staff


def fill(
    db: Database,
    *,
    size: str = "small",
    seed: int = 1,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Demo data for a new user (``small`` ≈ 60 staff, ``large`` a big brigade over ten years);
    refused on a database that already holds people."""
    with db.session() as s:
        if (s.scalar(select(func.count(Staff.id))) or 0) > 0:
            raise UserError(
                f"{db.name} 已有数据，演示数据只能填入空数据库。"
                + ("请让管理员新建一个空数据库。" if db.server else "请用 --db 指定一个新文件。")
            )
    return demo.run(db, REGISTRY.demo_parts(), size=size, seed=seed, today=today, progress=progress)
