"""case register: time windows (开始/结束) of a case's enforcement activities (AV coverage by time)

Revision ID: 0013_activity_windows
Revises: 0012_attendance_indexes
Create Date: 2026-12-05 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_activity_windows"
down_revision = "0012_attendance_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_activity_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_record.id"],
            name=op.f("fk_case_activity_window_case_id_case_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_activity_window")),
    )
    with op.batch_alter_table("case_activity_window", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_activity_window_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            "ix_case_activity_window_case_activity", ["case_id", "activity"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_activity_window", schema=None) as batch_op:
        batch_op.drop_index("ix_case_activity_window_case_activity")
        batch_op.drop_index(batch_op.f("ix_case_activity_window_case_id"))
    op.drop_table("case_activity_window")
