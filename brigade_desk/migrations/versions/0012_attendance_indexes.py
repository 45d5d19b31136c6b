"""fewer indexes on training attendance: five that no query needs, each written by every import

``session_id`` and ``staff_id`` lead the unique (session_id, staff_id) index and the
(staff_id, session_id) index, which serve every lookup and the foreign keys' cascades; the flags and
the score (``attended``, ``exam_passed``, ``exam_score``) are only ever read with a session, through
the covering index of 0009_training_perf. A 20,000-row sign-in import spent 0.06 s of its 0.13 s
insert keeping these five up to date. Indexes only: no table is rebuilt, no data is at risk.

Revision ID: 0012_attendance_indexes
Revises: 0011
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0012_attendance_indexes"
down_revision = "0011"
branch_labels = None
depends_on = None

DROPPED = {
    "ix_training_attendance_session_id": ["session_id"],
    "ix_training_attendance_staff_id": ["staff_id"],
    "ix_training_attendance_attended": ["attended"],
    "ix_training_attendance_exam_passed": ["exam_passed"],
    "ix_training_attendance_exam_score": ["exam_score"],
}


def upgrade() -> None:
    for name in DROPPED:
        op.drop_index(name, table_name="training_attendance")


def downgrade() -> None:
    for name, cols in DROPPED.items():
        op.create_index(name, "training_attendance", cols, unique=False)
