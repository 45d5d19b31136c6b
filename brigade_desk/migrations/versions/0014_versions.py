"""a version number on the records clerks edit in dialogs (issue 18: several clerks at once)

Each save of a person, certificate, training plan or session, case, case review or rectification
adds one; a save made from a dialog opened at an older version is refused instead of overwriting
the other clerk's change (core.conflict). Existing rows start at 1. One column added to each table
(ALTER TABLE … ADD COLUMN with a default: no table is rebuilt, no data is at risk).

Revision ID: 0014_versions
Revises: 0013_activity_windows
Create Date: 2026-12-05 10:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_versions"
down_revision = "0013_activity_windows"
branch_labels = None
depends_on = None

TABLES = (
    "staff",
    "certificate",
    "training_plan",
    "training_session",
    "case_record",
    "case_review",
    "rectification",
)


def upgrade() -> None:
    for t in TABLES:
        op.add_column(t, sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    for t in TABLES:
        with op.batch_alter_table(t) as batch:
            batch.drop_column("version")
