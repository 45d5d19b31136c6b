"""A minimal OLE compound file (CFB) as Office writes around an encrypted .xlsx or inside an .xls."""

from __future__ import annotations

import struct
from pathlib import Path

FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _entry(name: str, kind: int, child: int = NOSTREAM, right: int = NOSTREAM) -> bytes:
    raw = name.encode("utf-16-le") + b"\0\0"
    return (
        raw.ljust(64, b"\0")
        + struct.pack("<HBB", len(raw), kind, 1)
        + struct.pack("<III", NOSTREAM, right, child)
        + b"\0" * 16
        + struct.pack("<I", 0)
        + b"\0" * 16
        + struct.pack("<IQ", END, 0)
    )


def write_cfb(path: Path, streams: list[str]) -> Path:
    """A valid CFB v3 file with empty streams named ``streams`` under the root storage."""
    header = bytearray(512)
    struct.pack_into(
        "<8s16sHHHHH6sIIIIIIIII",
        header,
        0,
        bytes.fromhex("d0cf11e0a1b11ae1"),
        b"\0" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\0" * 6,
        0,
        1,
        1,
        0,
        4096,
        END,
        0,
        END,
        0,
    )
    difat = [0] + [FREE] * 108
    struct.pack_into("<109I", header, 76, *difat)
    fat = struct.pack("<128I", FATSECT, END, *([FREE] * 126))
    entries = [_entry("Root Entry", 5, child=1 if streams else NOSTREAM)]
    for i, name in enumerate(streams, start=1):
        entries.append(_entry(name, 2, right=i + 1 if i < len(streams) else NOSTREAM))
    while len(entries) % 4:
        entries.append(
            b"\0" * 64
            + struct.pack("<HBB", 0, 0, 0)
            + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM)
            + b"\0" * 16
            + b"\0" * 4
            + b"\0" * 16
            + struct.pack("<IQ", 0, 0)
        )
    directory = b"".join(entries)[:512]
    path.write_bytes(bytes(header) + fat + directory)
    return path
