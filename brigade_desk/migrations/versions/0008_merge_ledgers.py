"""merge the ledger branches (training, AV, reporting calendar, case statistics) into one head

Revision ID: 0008
Revises: 0002, 0003, 0006, 0007
Create Date: 2026-11-23 13:30:00
"""

from __future__ import annotations

revision = "0008"
down_revision = ("0002", "0003", "0006", "0007")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the ledgers were developed side by side and only their histories join here."""


def downgrade() -> None:
    """Nothing to undo."""
