"""training ledger: plans, plan items, sessions, attendance

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:25:32.408883
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=4), nullable=False),
        sa.Column("approved_date", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_plan")),
        sa.UniqueConstraint("year", name=op.f("uq_training_plan_year")),
    )
    with op.batch_alter_table("training_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_plan_status"), ["status"], unique=False)

    op.create_table(
        "training_plan_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("form", sa.String(length=30), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("planned_hours", sa.Float(), nullable=False),
        sa.Column("organiser", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["training_plan.id"],
            name=op.f("fk_training_plan_item_plan_id_training_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_plan_item")),
    )
    with op.batch_alter_table("training_plan_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_plan_item_month"), ["month"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_training_plan_item_plan_id"), ["plan_id"], unique=False
        )

    op.create_table(
        "training_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("form", sa.String(length=30), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("organiser", sa.String(length=100), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("is_monthly_study", sa.Boolean(), nullable=False),
        sa.Column("is_rotation", sa.Boolean(), nullable=False),
        sa.Column("has_exam", sa.Boolean(), nullable=False),
        sa.Column("pass_score", sa.Float(), nullable=False),
        sa.Column("plan_item_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["plan_item_id"],
            ["training_plan_item.id"],
            name=op.f("fk_training_session_plan_item_id_training_plan_item"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_session")),
    )
    with op.batch_alter_table("training_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_session_category"), ["category"], unique=False
        )
        batch_op.create_index(
            "ix_training_session_category_end", ["category", "end_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_session_end_date"), ["end_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_training_session_form"), ["form"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_training_session_has_exam"), ["has_exam"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_session_is_monthly_study"), ["is_monthly_study"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_session_is_rotation"), ["is_rotation"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_session_organiser"), ["organiser"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_session_plan_item_id"), ["plan_item_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_session_start_date"), ["start_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_training_session_title"), ["title"], unique=False)

    op.create_table(
        "training_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("absence_reason", sa.String(length=200), nullable=False),
        sa.Column("exam_score", sa.Float(), nullable=True),
        sa.Column("exam_passed", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_session.id"],
            name=op.f("fk_training_attendance_session_id_training_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_training_attendance_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_attendance")),
        sa.UniqueConstraint("session_id", "staff_id", name="uq_training_attendance_session_staff"),
    )
    with op.batch_alter_table("training_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_attendance_attended"), ["attended"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_attendance_exam_passed"), ["exam_passed"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_attendance_exam_score"), ["exam_score"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_attendance_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_attendance_staff_id"), ["staff_id"], unique=False
        )
        batch_op.create_index(
            "ix_training_attendance_staff_session", ["staff_id", "session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("training_attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_training_attendance_staff_session")
        batch_op.drop_index(batch_op.f("ix_training_attendance_staff_id"))
        batch_op.drop_index(batch_op.f("ix_training_attendance_session_id"))
        batch_op.drop_index(batch_op.f("ix_training_attendance_exam_score"))
        batch_op.drop_index(batch_op.f("ix_training_attendance_exam_passed"))
        batch_op.drop_index(batch_op.f("ix_training_attendance_attended"))

    op.drop_table("training_attendance")
    with op.batch_alter_table("training_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_session_title"))
        batch_op.drop_index(batch_op.f("ix_training_session_start_date"))
        batch_op.drop_index(batch_op.f("ix_training_session_plan_item_id"))
        batch_op.drop_index(batch_op.f("ix_training_session_organiser"))
        batch_op.drop_index(batch_op.f("ix_training_session_is_rotation"))
        batch_op.drop_index(batch_op.f("ix_training_session_is_monthly_study"))
        batch_op.drop_index(batch_op.f("ix_training_session_has_exam"))
        batch_op.drop_index(batch_op.f("ix_training_session_form"))
        batch_op.drop_index(batch_op.f("ix_training_session_end_date"))
        batch_op.drop_index("ix_training_session_category_end")
        batch_op.drop_index(batch_op.f("ix_training_session_category"))

    op.drop_table("training_session")
    with op.batch_alter_table("training_plan_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_plan_item_plan_id"))
        batch_op.drop_index(batch_op.f("ix_training_plan_item_month"))

    op.drop_table("training_plan_item")
    with op.batch_alter_table("training_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_plan_status"))

    op.drop_table("training_plan")
