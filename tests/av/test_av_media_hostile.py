"""Damaged and hostile files give no media facts (None), quickly, with little memory; never raise.

These need neither ffmpeg nor a real recording: each file is made here byte by byte. ffprobe is
allowed to answer (as in real use) when the PC has it.
"""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path

import pytest
from av_fixtures import mp4_bytes

from brigade_desk.ledgers.av import media

try:
    import resource  # POSIX: peak memory of this process, libmediainfo's included
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if resource else 0.0


FTYP = struct.pack(">I4s4sI4s", 20, b"ftyp", b"isom", 0, b"isom")


def box(typ: bytes, body: bytes = b"", size: int | None = None) -> bytes:
    return struct.pack(">I4s", 8 + len(body) if size is None else size, typ) + body


def riff(form: bytes, chunks: bytes, size: int | None = None) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(chunks) if size is None else size) + form + chunks


def fmt_chunk(tag: int = 1, ch: int = 1, rate: int = 16000, bits: int = 16) -> bytes:
    align = ch * bits // 8
    body = struct.pack("<HHIIHH", tag, ch, rate, rate * align, align, bits)
    return b"fmt " + struct.pack("<I", len(body)) + body


def jpeg_with_app1(payload: bytes, declared: int | None = None) -> bytes:
    n = len(payload) + 2 if declared is None else declared
    return b"\xff\xd8\xff\xe1" + struct.pack(">H", n) + payload + b"\xff\xd9"


def tiff_ifd_pointing_at(offset: int) -> bytes:
    # Exif header, little-endian TIFF whose first IFD sits at ``offset`` (far beyond the data)
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", offset)


HOSTILE: dict[str, bytes] = {
    "zero.mp4": b"",
    "zero.wav": b"",
    "zero.avi": b"",
    "zero.jpg": b"",
    "zero.mov": b"",
    "one_byte.m4a": b"\x00",
    "truncated_box.mp4": mp4_bytes(12.5, b"x" * 5000)[:60],
    "moov_beyond_eof.mp4": FTYP + box(b"moov", b"\x00" * 16, size=2**31),
    "huge_64bit_box.mp4": FTYP + struct.pack(">I4sQ", 1, b"moov", 2**63 - 1) + b"\x00" * 64,
    "huge_mdat_first.mov": FTYP + struct.pack(">I4sQ", 1, b"mdat", 2**62) + b"\x00" * 4096,
    "mvhd_zero_timescale.mp4": mp4_bytes(10, b"y", timescale=0),
    "box_size_below_header.mp4": FTYP + box(b"moov", size=3) + b"\x00" * 64,
    "100k_tiny_boxes.mp4": FTYP + box(b"free") * 100_000,
    "deep_nesting.mp4": FTYP + b"".join(box(b"moov", size=8 * (2000 - i)) for i in range(2000)),
    "riff_sizes_max.wav": riff(
        b"WAVE", fmt_chunk() + b"data" + struct.pack("<I", 0xFFFFFFFF) + b"\x00" * 100, 0xFFFFFFFF
    ),
    "wav_zero_rate.wav": riff(b"WAVE", fmt_chunk(rate=0) + b"data" + struct.pack("<I", 0)),
    "wav_fmt_beyond_eof.wav": riff(b"WAVE", b"fmt " + struct.pack("<I", 0x7FFFFFF0) + b"\x01"),
    "rf64_no_ds64.wav": b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + fmt_chunk() + b"data",
    "avi_lies.avi": riff(
        b"AVI ", b"LIST" + struct.pack("<I", 0x7FFFFFF0) + b"hdrlavih", 0x7FFFFFFF
    ),
    "random.mp4": os.urandom(3 * 2**20),
    "random.mov": os.urandom(2**20),
    "random.avi": os.urandom(2**20),
    "random.wav": os.urandom(2**20),
    "random.mp3": b"\x00" + os.urandom(2**20),
    "random.ts": os.urandom(2**20),
    "text.mp4": "这不是视频，是一段文字。\n".encode() * 1000,
    "jpeg_app1_beyond_eof.jpg": jpeg_with_app1(b"Exif\x00\x00II*\x00", declared=0xFFFF),
    "jpeg_ifd_at_4gb.jpg": jpeg_with_app1(tiff_ifd_pointing_at(0xFFFFFFF0)),
    "jpeg_only_soi.jpg": b"\xff\xd8",
    "not_a_jpeg.jpg": b"GIF89a" + os.urandom(4096),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("坏文件 #%")
    for name, data in HOSTILE.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_has_no_facts_fast(hostile: Path, name: str) -> None:
    before = _peak_mib()
    t = time.perf_counter()
    got = media.facts(hostile / name)
    took = time.perf_counter() - t
    assert got == media.NO_FACTS, (name, got)
    assert media.duration(hostile / name) is None
    assert took < 3.0, (name, took)  # the library in ms; an ffprobe fallback in a fraction of 1 s
    assert _peak_mib() - before < 200, name


def test_paths_that_are_not_files(tmp_path: Path) -> None:
    (tmp_path / "目录.mp4").mkdir()
    for p in (tmp_path / "目录.mp4", tmp_path / "不存在.wav", tmp_path / "不存在.jpg"):
        assert media.facts(p) == media.NO_FACTS


def test_first_bytes_decide_whether_a_file_is_parsed() -> None:
    real = mp4_bytes(3.0, b"z" * 100)
    assert media.looks_like_media(real)
    assert media.looks_like_media(riff(b"WAVE", fmt_chunk()))
    assert media.looks_like_media(b"RF64" + b"\xff" * 4 + b"WAVEds64")
    assert media.looks_like_media(b"ID3\x04" + bytes(20))
    assert media.looks_like_media((b"\x47" + bytes(187)) * 2)  # MPEG-TS: sync every 188 bytes
    assert not media.looks_like_media(b"\x47" + bytes(300))  # one sync byte is not a stream
    assert not media.looks_like_media(b"")
    assert not media.looks_like_media(b"PK\x03\x04" + bytes(300))  # a ZIP named .mp4
    assert not media.looks_like_media("这不是视频".encode() * 20)


def test_minimal_handmade_mp4_still_reads() -> None:
    """The fixtures other AV tests use (ftyp + moov/mvhd, no tracks) keep their durations."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "a.mp4"
        p.write_bytes(mp4_bytes(12.5, b"x" * 5000))
        assert media.duration(p) == 12.5


def test_header_promising_an_hour_gives_what_the_file_holds(tmp_path: Path) -> None:
    """1 s of 16 kHz 16-bit audio under a header declaring an hour: 1 s (or nothing), never 3600."""
    p = tmp_path / "一小时.wav"
    data_size = struct.pack("<I", 16000 * 2 * 3600)
    p.write_bytes(riff(b"WAVE", fmt_chunk() + b"data" + data_size + b"\x00" * 32000))
    assert media.duration(p) in (1.0, None)


def _wav(p: Path, seconds: float = 6.0) -> Path:
    import wave

    with wave.open(str(p), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(int(8000 * 2 * seconds)))
    return p


def test_a_parse_past_its_deadline_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = _wav(tmp_path / "录音.wav")
    assert media.facts(p, use_ffprobe=False).duration == 6.0
    monkeypatch.setattr(media, "PARSE_SECONDS", -1.0)  # the deadline has passed before it starts
    assert media.facts(p, use_ffprobe=False) == media.NO_FACTS


def test_a_parse_past_its_byte_budget_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = _wav(tmp_path / "录音.wav", seconds=30.0)  # 480 KB: more than one 64 KiB read
    assert media.facts(p, use_ffprobe=False).duration == 30.0
    monkeypatch.setattr(media, "SLACK_BYTES", -(p.stat().st_size - 1000))  # 1000 bytes allowed
    assert media.facts(p, use_ffprobe=False) == media.NO_FACTS
