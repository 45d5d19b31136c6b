"""merge the training and AV performance indexes into one head

Revision ID: 0011
Revises: 0009_training_perf, 0010_av_perf
Create Date: 2026-11-23 15:00:00
"""

from __future__ import annotations

revision = "0011"
down_revision = ("0009_training_perf", "0010_av_perf")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the two index revisions were written side by side."""


def downgrade() -> None:
    """Nothing to undo."""
