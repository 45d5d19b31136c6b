"""Shared fixtures for the AV ledger tests (imported by tests/av/test_av_*.py)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from dbtemplate import fresh_db

from brigade_desk.core.db import Database
from brigade_desk.ledgers.roster.models import Staff


@pytest.fixture
def db(tmp_path: Path) -> Database:
    d = fresh_db(tmp_path / "t.sqlite")
    yield d
    d.close()


def add_staff(
    db: Database, name: str = "张三", bodycam: str = "", idn: str = "110101199003074514"
) -> int:
    with db.begin() as s:
        p = Staff(name=name, sex="男", id_number=idn, bodycam_no=bodycam)
        s.add(p)
        s.flush()
        return p.id


def mp4_bytes(seconds: float, payload: bytes = b"", timescale: int = 1000) -> bytes:
    """A minimal MP4: ftyp + moov/mvhd (version 0) + mdat carrying ``payload``."""
    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"isom", 0, b"isom")
    mvhd_body = (
        bytes(4) + struct.pack(">IIII", 0, 0, timescale, int(seconds * timescale)) + bytes(80)
    )
    mvhd = struct.pack(">I4s", 8 + len(mvhd_body), b"mvhd") + mvhd_body
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    mdat = struct.pack(">I4s", 8 + len(payload), b"mdat") + payload
    return ftyp + moov + mdat


def write(p: Path, data: bytes) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p
