"""Alembic migrations, shipped inside the package and run at start-up (see brigade_desk.core.db)."""
