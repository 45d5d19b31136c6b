"""Media facts from real files of several producers, checked against ffprobe.

The folder is made in the test: ffmpeg muxes fragmented and regular MP4, MOV (with a creation
time), M4A, AVI (MPEG-4 + PCM, MJPEG + µ-law), MKV, MPEG-TS, MP3 and WAV in every flavour a
recorder writes (16/24-bit, float, µ-law, A-law, IMA ADPCM, RF64); Python's ``wave`` module writes
one more WAV, Pillow a JPEG with EXIF, and the interpreter's own test suite ships WAV files
(``test/audiodata``) that are used when present. Every duration the program stores must be within
0.2 s of ffprobe's. Without ffmpeg there is no reference: the module is skipped and says why.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import threading
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from av_fixtures import db  # noqa: F401
from sqlalchemy import select

from brigade_desk.ledgers.av import media
from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.av.models import AvRecord

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
pytestmark = pytest.mark.skipif(
    not (FFMPEG and FFPROBE),
    reason="ffmpeg/ffprobe not installed (apt-get install ffmpeg): they make the media and give "
    "the reference durations",
)

TOLERANCE = 0.2
CREATED_UTC = dt.datetime(2026, 12, 1, 2, 30, 0, tzinfo=dt.UTC)  # 10:30 in Beijing
EXIF_SHOT = dt.datetime(2026, 12, 1, 10, 31, 5)

_V = ["-f", "lavfi", "-i", "testsrc=duration={d}:size=160x120:rate=25"]
_A = ["-f", "lavfi", "-i", "sine=frequency=440:duration={d}:sample_rate=16000"]
_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]

# name, seconds, what ffmpeg is told (after the inputs)
SPECS: list[tuple[str, float, list[str]]] = [
    ("frag 分段.mp4", 9.08, [*_X264, "-c:a", "aac", "-movflags", "frag_keyframe+empty_moov"]),
    (
        "frag_long.mp4",
        61.5,
        [*_X264, "-g", "25", "-c:a", "aac", "-movflags", "frag_keyframe+empty_moov"],
    ),
    ("20261201_103000_0001.MP4", 7.3, [*_X264, "-c:a", "aac"]),
    ("DSJ-X_20261201103000_001.mp4", 5.0, [*_X264, "-c:a", "aac", "-movflags", "+faststart"]),
    (
        "执法 #2 现场.mov",
        6.2,
        [*_X264, "-c:a", "aac", "-metadata", f"creation_time={CREATED_UTC:%Y-%m-%dT%H:%M:%SZ}"],
    ),
    ("询问录音.m4a", 12.25, ["-c:a", "aac"]),
    ("clip.avi", 8.0, ["-c:v", "mpeg4", "-c:a", "pcm_s16le"]),
    ("mjpeg_mulaw.avi", 4.6, ["-c:v", "mjpeg", "-c:a", "pcm_mulaw"]),
    ("clip.mkv", 5.5, [*_X264, "-c:a", "aac"]),
    ("clip.ts", 6.0, ["-c:v", "mpeg2video", "-c:a", "mp2"]),
    ("voice.mp3", 10.0, ["-c:a", "libmp3lame"]),
    ("20261201_103000_录音.wav", 9.08, ["-c:a", "pcm_s16le"]),
    ("s24.wav", 9.08, ["-c:a", "pcm_s24le"]),
    ("f32.wav", 3.5, ["-c:a", "pcm_f32le"]),
    ("mulaw.wav", 9.08, ["-c:a", "pcm_mulaw"]),
    ("alaw.wav", 9.08, ["-c:a", "pcm_alaw"]),
    ("adpcm.wav", 9.08, ["-c:a", "adpcm_ima_wav"]),
    ("rf64.wav", 9.08, ["-c:a", "pcm_s16le", "-rf64", "always"]),
]
AUDIO_ONLY = {".m4a", ".mp3", ".wav"}


def _encoders() -> str:
    return subprocess.run(
        [FFMPEG, "-hide_banner", "-encoders"], capture_output=True, text=True, check=True
    ).stdout


def _make(folder: Path, name: str, seconds: float, codec: list[str]) -> Path:
    out = folder / name
    ext = out.suffix.lower()
    inputs = [a.format(d=seconds) for a in (_A if ext in AUDIO_ONLY else [*_V, *_A])]
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *inputs, *codec]
    if ext not in AUDIO_ONLY:
        cmd.append("-shortest")
    subprocess.run([*cmd, str(out)], check=True, timeout=120)
    return out


def ffprobe_duration(p: Path) -> float | None:
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_entries", "format=duration", "-of", "json", str(p)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    value = json.loads(out.stdout)["format"].get("duration")
    return float(value) if value not in (None, "N/A") else None


def _stdlib_wav(p: Path) -> Path:
    with wave.open(str(p), "wb") as w:  # another producer: Python's wave module, 8 kHz stereo
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((bytes(range(256)) * 700)[: 8000 * 2 * 2 * 11 // 2])  # 5.5 s
    return p


def _exif_jpeg(p: Path) -> Path:
    from PIL import ExifTags, Image

    im = Image.new("RGB", (64, 48), (180, 40, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = "2026:12:03 09:00:00"  # edited later: not the shot time
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = (
        f"{EXIF_SHOT:%Y:%m:%d %H:%M:%S}"
    )
    im.save(p, exif=exif)
    return p


def _library_test_files() -> list[Path]:
    """WAV files the interpreter's test suite ships (CPython's ``test/audiodata``), if installed."""
    try:
        import test  # the standard library's own test package

        folder = Path(test.__file__).parent / "audiodata"
    except ImportError:
        return []
    return sorted(folder.glob("*.wav")) if folder.is_dir() else []


@pytest.fixture(scope="module")
def media_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("现场 #1 媒体") / "卡 1%"
    folder.mkdir()
    have = _encoders()
    for name, seconds, codec in SPECS:
        if name.endswith(".mp3") and "libmp3lame" not in have:
            continue  # an ffmpeg built without LAME: the other producers still count
        _make(folder, name, seconds, codec)
    _stdlib_wav(folder / "python_wave.wav")
    for i, src in enumerate(_library_test_files()):
        shutil.copyfile(src, folder / f"cpython_{i}_{src.name}")
    _exif_jpeg(folder / "现场照片.jpg")
    return folder


def _timed_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() != ".jpg")


def test_library_durations_within_tolerance_of_ffprobe(media_folder: Path) -> None:
    files = _timed_files(media_folder)
    assert len(files) >= len(SPECS)  # the whole set was made
    rows = []
    for p in files:
        ref = ffprobe_duration(p)
        got = media.facts(p, use_ffprobe=False)  # the library alone, as on a PC without ffprobe
        rows.append((p.name, ref, got.duration, got.source))
        assert ref is not None, p.name
        assert got.duration is not None, f"{p.name}: no duration (ffprobe {ref})"
        assert abs(got.duration - ref) <= TOLERANCE, (p.name, got.duration, ref)
        assert got.source == "mediainfo"
    print("\n".join(f"{n:40} ffprobe={r:9.3f} ours={o:9.3f} ({s})" for n, r, o, s in rows))


def test_fragmented_mp4_is_not_zero_seconds(media_folder: Path) -> None:
    for name, seconds in (("frag 分段.mp4", 9.08), ("frag_long.mp4", 61.5)):
        got = media.duration(media_folder / name)
        assert got is not None and abs(got - seconds) <= TOLERANCE


def test_ffprobe_answers_when_the_library_cannot(
    media_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PC whose libmediainfo failed to load still gets durations from its ffprobe."""
    monkeypatch.setattr(media, "_mediainfo_ok", False)
    for p in _timed_files(media_folder):
        got = media.facts(p)
        ref = ffprobe_duration(p)
        assert got.source == "ffprobe" and got.duration is not None, p.name
        assert abs(got.duration - ref) <= TOLERANCE, p.name
    got = media.facts(media_folder / "执法 #2 现场.mov")
    assert got.start == CREATED_UTC.astimezone().replace(tzinfo=None)


def test_no_ffprobe_on_path_changes_nothing(
    media_folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with_ffprobe = {p.name: media.facts(p) for p in _timed_files(media_folder)}
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no ffprobe anywhere
    assert media.ffprobe_path() is None
    assert {p.name: media.facts(p) for p in _timed_files(media_folder)} == with_ffprobe


def test_container_and_exif_times(media_folder: Path) -> None:
    mov = media.facts(media_folder / "执法 #2 现场.mov")
    assert mov.start == CREATED_UTC.astimezone().replace(tzinfo=None)  # UTC in the box, local here
    assert media.facts(media_folder / "frag 分段.mp4").start is None  # ffmpeg wrote no time
    jpg = media.facts(media_folder / "现场照片.jpg")
    assert (jpg.start, jpg.duration, jpg.source) == (EXIF_SHOT, None, "exif")
    assert media.facts(media_folder / "adpcm.wav").start is None


def test_facts_from_many_threads_agree(media_folder: Path) -> None:
    files = sorted(media_folder.iterdir())
    serial = [media.facts(p) for p in files]
    seen: set[int] = set()

    def one(p: Path) -> media.MediaFacts:
        seen.add(threading.get_ident())
        return media.facts(p)

    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            assert list(pool.map(one, files)) == serial
    assert len(seen) > 1


def test_ingest_stores_durations_and_start_times(db, media_folder: Path, tmp_path: Path) -> None:  # noqa: F811
    archive = tmp_path / "归档 #1"
    old = dt.datetime(2020, 1, 2, 3, 4, 5).timestamp()
    for p in media_folder.iterdir():  # every mtime far from every real time
        os.utime(p, (old, old))
    res = ingest(db, media_folder, IngestOptions(copy_to=archive, activity="查封扣押"))
    assert not res.errors and res.added == len(list(media_folder.iterdir()))
    with db.session() as s:
        recs = {r.file_name: r for r in s.scalars(select(AvRecord))}
    for p in _timed_files(media_folder):
        r = recs[p.name]
        ref = ffprobe_duration(p)
        assert r.duration_s is not None and abs(r.duration_s - ref) <= TOLERANCE, p.name
    mtime = dt.datetime.fromtimestamp(old)
    named = {
        "20261201_103000_录音.wav": dt.datetime(2026, 12, 1, 10, 30),
        "20261201_103000_0001.MP4": dt.datetime(2026, 12, 1, 10, 30),
        "DSJ-X_20261201103000_001.mp4": dt.datetime(2026, 12, 1, 10, 30),
    }
    for name, start in named.items():
        assert (recs[name].media_start, recs[name].time_source) == (start, "文件名"), name
    assert recs["DSJ-X_20261201103000_001.mp4"].device_no == "DSJ-X"
    mov = recs["执法 #2 现场.mov"]
    assert (mov.media_start, mov.time_source) == (
        CREATED_UTC.astimezone().replace(tzinfo=None),
        "媒体信息",
    )
    assert mov.rel_path.startswith(f"{mov.media_start:%Y/%m}/")  # archived by that time too
    jpg = recs["现场照片.jpg"]
    assert (jpg.media_start, jpg.time_source, jpg.duration_s) == (EXIF_SHOT, "媒体信息", None)
    assert jpg.rel_path.startswith("2026/12/")
    adpcm = recs["adpcm.wav"]
    assert (adpcm.media_start, adpcm.time_source) == (mtime, "文件时间")
