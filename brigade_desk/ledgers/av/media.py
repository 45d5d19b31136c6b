"""What a file is (video / audio / photo / other) and its duration when the container says it.

Duration is read from the MP4/MOV ``moov/mvhd`` box (most body cameras write MP4) and from WAV
headers; anything else stays unknown (None). Only a few hundred bytes are read, never the media.
"""

from __future__ import annotations

import struct
import wave
from pathlib import Path

VIDEO_EXT = {
    ".mp4",
    ".mov",
    ".avi",
    ".mkv",
    ".wmv",
    ".flv",
    ".3gp",
    ".m4v",
    ".mts",
    ".ts",
    ".asf",
    ".mpg",
    ".mpeg",
}
AUDIO_EXT = {".wav", ".mp3", ".m4a", ".aac", ".amr", ".wma", ".ogg", ".flac"}
PHOTO_EXT = {".jpg", ".jpeg", ".png", ".bmp", ".heic", ".tif", ".tiff", ".gif", ".webp"}
MEDIA_EXT = VIDEO_EXT | AUDIO_EXT | PHOTO_EXT


def kind(path: Path | str) -> str:
    ext = Path(path).suffix.lower()
    if ext in VIDEO_EXT:
        return "视频"
    if ext in AUDIO_EXT:
        return "音频"
    if ext in PHOTO_EXT:
        return "照片"
    return ""


def _mp4_duration(path: Path) -> float | None:
    with open(path, "rb") as fh:
        end = fh.seek(0, 2)
        fh.seek(0)
        pos = 0
        # walk top-level boxes looking for moov, then inside it for mvhd
        containers = {b"moov"}
        limit = end
        while pos + 8 <= limit:
            fh.seek(pos)
            head = fh.read(8)
            if len(head) < 8:
                return None
            size, typ = struct.unpack(">I4s", head)
            hdr = 8
            if size == 1:
                size = struct.unpack(">Q", fh.read(8))[0]
                hdr = 16
            elif size == 0:
                size = limit - pos
            if size < hdr:
                return None
            if typ in containers:
                pos, limit = pos + hdr, pos + size
                continue
            if typ == b"mvhd":
                body = fh.read(32)
                version = body[0]
                if version == 1:
                    timescale, duration = struct.unpack(">IQ", body[20:32])
                else:
                    timescale, duration = struct.unpack(">II", body[12:20])
                return round(duration / timescale, 3) if timescale else None
            pos += size
    return None


def duration(path: Path | str) -> float | None:
    """Seconds of media, or None when unknown. Never raises for a damaged file."""
    p = Path(path)
    ext = p.suffix.lower()
    try:
        if ext in {".mp4", ".mov", ".m4v", ".m4a", ".3gp"}:
            return _mp4_duration(p)
        if ext == ".wav":
            with wave.open(str(p), "rb") as w:
                rate = w.getframerate()
                return round(w.getnframes() / rate, 3) if rate else None
    except (OSError, EOFError, struct.error, wave.Error, IndexError, ValueError):
        return None
    return None
