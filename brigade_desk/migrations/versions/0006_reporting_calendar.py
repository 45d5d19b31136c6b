"""reporting calendar

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 11:38:43.136461
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_done",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("key", "period", name=op.f("pk_report_done")),
    )


def downgrade() -> None:
    op.drop_table("report_done")
