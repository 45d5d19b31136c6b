"""former merge of the training and AV performance indexes: now an empty step

Revision ID: 0011
Revises: 0010_av_perf
Create Date: 2026-11-23 15:00:00

Until the chain was made linear this revision joined 0009_training_perf and 0010_av_perf. It stays
(empty) because databases carry its id in ``alembic_version``.
"""

from __future__ import annotations

revision = "0011"
down_revision = "0010_av_perf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the two index revisions were written side by side."""


def downgrade() -> None:
    """Nothing to undo."""
