"""Alembic environment: always driven from code with a ready connection (brigade_desk.core.db)."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from brigade_desk.models import Base

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("brigade_desk migrations run only through brigade_desk.core.db.migrate()")


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """Autogenerate ignores objects managed by hand in migrations (FTS5 search tables and their shadow
    tables, all named ``fts_*``); otherwise it would propose dropping them."""
    return not (type_ == "table" and (name or "").startswith("fts_"))


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
