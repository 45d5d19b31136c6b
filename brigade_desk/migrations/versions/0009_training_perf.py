"""indexes for the training ledger's per-year sums and exam lists

The 培训台账 page sums a year's attendance per person, per month and per session. With this index
SQLite reads the attendance of the year's sessions from the index alone instead of visiting every
table row; a year's exams are found by (has_exam, end_date) instead of every year's exams. Indexes
only: no table is rebuilt, so no data is at risk.

Revision ID: 0009_training_perf
Revises: 0008
Create Date: 2026-11-23 14:29:23
"""

from __future__ import annotations

from alembic import op

revision = "0009_training_perf"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_training_attendance_session_cover",
        "training_attendance",
        ["session_id", "attended", "staff_id", "hours", "exam_score", "exam_passed"],
        unique=False,
    )
    op.create_index(
        "ix_training_session_exam_end", "training_session", ["has_exam", "end_date"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_training_session_exam_end", table_name="training_session")
    op.drop_index("ix_training_attendance_session_cover", table_name="training_attendance")
