"""case register: dates of 行政复议, 行政诉讼 and 行刑衔接 transfer (monthly statistics)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 12:12:10.113251
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reconsidered_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("sued_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("transferred_on", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_case_record_reconsidered_on"), ["reconsidered_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_record_sued_on"), ["sued_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_record_transferred_on"), ["transferred_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_record_transferred_on"))
        batch_op.drop_index(batch_op.f("ix_case_record_sued_on"))
        batch_op.drop_index(batch_op.f("ix_case_record_reconsidered_on"))
        batch_op.drop_column("transferred_on")
        batch_op.drop_column("sued_on")
        batch_op.drop_column("reconsidered_on")
