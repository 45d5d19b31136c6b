"""A device number (执法记录仪编号) is a key: the --device option of an ingest refuses invisible and
direction characters before anything is read, and strips a zero-width mark at either end."""

from __future__ import annotations

from pathlib import Path

import pytest
from av_fixtures import db, mp4_bytes, write  # noqa: F401
from sqlalchemy import select

from brigade_desk.core.db import Database
from brigade_desk.core.errors import ValidationError
from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.av.models import AvRecord


def test_device_option_is_checked(db: Database, tmp_path: Path) -> None:  # noqa: F811
    folder = tmp_path / "卡"
    write(folder / "20261201_103000.mp4", mp4_bytes(3.0, b"a"))
    with pytest.raises(ValidationError) as exc:
        ingest(db, folder, IngestOptions(in_place=True, device_no="DSJ\u202e01"))
    assert "U+202E" in exc.value.message and "执法记录仪编号" in exc.value.message
    with db.session() as s:
        assert s.scalars(select(AvRecord)).all() == []  # nothing read, nothing written
    res = ingest(db, folder, IngestOptions(in_place=True, device_no="DSJ01\u200b"))
    assert res.added == 1
    with db.session() as s:
        assert [r.device_no for r in s.scalars(select(AvRecord))] == ["DSJ01"]
