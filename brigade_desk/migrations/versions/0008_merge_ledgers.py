"""former merge of the ledger branches (training, AV, reporting calendar, cases): an empty step

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 13:30:00

Until the chain was made linear this revision joined 0002, 0003, 0006 and 0007. It stays (empty)
because databases carry its id in ``alembic_version``; brigade_desk.core.db maps the branchy history
onto the chain.
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the ledgers were developed side by side and only their histories join here."""


def downgrade() -> None:
    """Nothing to undo."""
