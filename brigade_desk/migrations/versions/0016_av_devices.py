"""av: device register with dated holder history, and the permanent deletion log

Revision ID: 0016_av_devices
Revises: 0015_av_name_patterns
Create Date: 2026-12-05 10:00:00

- ``av_device``: the brigade's body cameras (编号, 型号, 产品序号, notes, active).
- ``av_device_holder``: who held which camera from when until when (open end = still holds it);
  ingest attributes each file to the holder of its camera at the file's start time.
- ``av_attribution``: per record, how ingest attributed its officer (or the clerk's correction).
- ``av_deletion``: one row per indexed file deleted when its retention was due (the ``av_record``
  row stays and is shown as deleted).

New tables only: ``av_record`` is not re-created (its FTS triggers stay).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_av_devices"
down_revision = "0015_av_name_patterns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "av_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_no", sa.String(length=50), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("serial_no", sa.String(length=100), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_av_device")),
        sa.UniqueConstraint("device_no", name=op.f("uq_av_device_device_no")),
    )
    op.create_table(
        "av_device_holder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("from_at", sa.DateTime(), nullable=False),
        sa.Column("to_at", sa.DateTime(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["av_device.id"],
            name=op.f("fk_av_device_holder_device_id_av_device"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_av_device_holder_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_av_device_holder")),
    )
    with op.batch_alter_table("av_device_holder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_av_device_holder_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_av_device_holder_staff_id"), ["staff_id"], unique=False
        )
        batch_op.create_index("ix_av_device_holder_period", ["device_id", "from_at"], unique=False)

    op.create_table(
        "av_deletion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_start", sa.DateTime(), nullable=True),
        sa.Column("device_no", sa.String(length=50), nullable=False),
        sa.Column("case_no", sa.String(length=100), nullable=False),
        sa.Column("activity", sa.String(length=10), nullable=False),
        sa.Column("retention_years", sa.Integer(), nullable=True),
        sa.Column("file_state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("deleted_by", sa.String(length=100), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["av_record.id"], name=op.f("fk_av_deletion_record_id_av_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_av_deletion")),
        sa.UniqueConstraint("record_id", name=op.f("uq_av_deletion_record_id")),
    )
    with op.batch_alter_table("av_deletion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_av_deletion_deleted_at"), ["deleted_at"], unique=False)

    op.create_table(
        "av_attribution",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("conflict", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["av_record.id"],
            name=op.f("fk_av_attribution_record_id_av_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_av_attribution")),
    )
    with op.batch_alter_table("av_attribution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_av_attribution_kind"), ["kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("av_attribution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_av_attribution_kind"))
    op.drop_table("av_attribution")
    with op.batch_alter_table("av_deletion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_av_deletion_deleted_at"))
    op.drop_table("av_deletion")
    with op.batch_alter_table("av_device_holder", schema=None) as batch_op:
        batch_op.drop_index("ix_av_device_holder_period")
        batch_op.drop_index(batch_op.f("ix_av_device_holder_staff_id"))
        batch_op.drop_index(batch_op.f("ix_av_device_holder_device_id"))
    op.drop_table("av_device_holder")
    op.drop_table("av_device")
