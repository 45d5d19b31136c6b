"""two more shipped file-name patterns: 设备号_时间_序号 and 日期_时间_后缀

Revision ID: 0015_av_name_patterns
Revises: 0014_versions
Create Date: 2026-12-05 10:00:00

Data only (no schema change): files named ``DSJ-X_20261201103000_001.mp4``,
``20261201_103000_录音.wav`` or ``20261201_103000_0001.MP4`` take their start time from the name,
not the file's modification time. A pattern the clerk already has under the same name is kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_av_name_patterns"
down_revision = "0014_versions"
branch_labels = None
depends_on = None

# frozen copy of the two entries of brigade_desk.ledgers.av.patterns.DEFAULT_PATTERNS at this revision
PATTERNS = [
    (
        "设备号_时间_序号",
        "^(?P<device>[A-Za-z][0-9A-Za-z\\-]{1,29})_(?P<start>\\d{14})_(?P<seq>\\d{1,6})"
        "(?:_?(?P<imp>IMP))?(?:[_\\- (（][^.]*)?\\.[0-9A-Za-z]{2,5}$",
        30,
        "{设备号}_{YYYYMMDDhhmmss}_{序号}[IMP][_后缀].mp4，如 DSJ-X_20261201103000_001.mp4；"
        "人员按入库时指定",
    ),
    (
        "日期_时间_后缀",
        "^(?:[A-Za-z]{1,8}_)?(?P<start>\\d{8}_\\d{6})(?:_(?P<seq>\\d{1,6}))?(?:_?(?P<imp>IMP))?"
        "(?:[_\\- (（][^.]*)?\\.[0-9A-Za-z]{2,5}$",
        40,
        "[前缀_]{YYYYMMDD}_{hhmmss}[_序号][IMP][_后缀].wav，如 20261201_103000_录音.wav、"
        "20261201_103000_0001.MP4、VID_20261201_103000.mp4",
    ),
]

_table = sa.table(
    "av_name_pattern",
    sa.column("name", sa.String),
    sa.column("regex", sa.Text),
    sa.column("priority", sa.Integer),
    sa.column("enabled", sa.Boolean),
    sa.column("notes", sa.Text),
)


def upgrade() -> None:
    conn = op.get_bind()
    have = set(conn.execute(sa.select(_table.c.name)).scalars())
    rows = [
        {"name": n, "regex": r, "priority": p, "enabled": True, "notes": t}
        for n, r, p, t in PATTERNS
        if n not in have
    ]
    if rows:
        op.bulk_insert(_table, rows)


def downgrade() -> None:
    for name, regex, _p, _t in PATTERNS:  # only the rows as shipped; an edited one stays
        op.execute(_table.delete().where(_table.c.name == name).where(_table.c.regex == regex))
