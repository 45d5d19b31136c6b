import datetime as dt

import pytest
from av_fixtures import db  # noqa: F401

from brigade_desk.core.errors import ValidationError
from brigade_desk.ledgers.av import patterns
from brigade_desk.ledgers.av.models import AvNamePattern

PATS = patterns.defaults()


def test_scheme_officer_device_time_seq():
    info = patterns.parse_name("012345_DSJ-A0001_20240315083012_0007.mp4", PATS)
    assert info.pattern == "警号_设备号_时间_序号"
    assert (info.officer, info.device, info.seq) == ("012345", "DSJ-A0001", "0007")
    assert info.start == dt.datetime(2024, 3, 15, 8, 30, 12)
    assert info.important is False


@pytest.mark.parametrize(
    "name",
    [
        "012345_DSJ-A0001_20240315083012_0007IMP.mp4",
        "012345_DSJ-A0001_20240315083012_0007_IMP.MP4",
        "012345_DSJ-A0001_20240315083012_0007imp.mov",
    ],
)
def test_scheme_officer_device_imp(name):
    info = patterns.parse_name(name, PATS)
    assert info.pattern == "警号_设备号_时间_序号" and info.important is True
    assert info.start == dt.datetime(2024, 3, 15, 8, 30, 12)


def test_scheme_time_seq():
    info = patterns.parse_name("20231231235959_12.mp4", PATS)
    assert info.pattern == "时间_序号"
    assert info.start == dt.datetime(2023, 12, 31, 23, 59, 59)
    assert (info.officer, info.device, info.seq, info.important) == ("", "", "12", False)
    imp = patterns.parse_name("20231231235959_0012IMP.mp4", PATS)
    assert imp.important is True and imp.seq == "0012"


@pytest.mark.parametrize(
    "name",
    [
        "VID_0001.mp4",
        "现场检查录像.mp4",
        "20231332120000_1.mp4",  # month 13
        "2023123123595_1.mp4",
        "20231231235959.mp4",
    ],
)
def test_unrecognised_names(name):
    info = patterns.parse_name(name, PATS)
    assert not info.recognised and info.start is None


def test_invalid_time_falls_through_to_next_pattern():
    pats = patterns.compile_all(
        [
            ("坏", r"^(?P<start>\d{14})_x\.mp4$"),
            ("好", r"^(?P<device>[A-Z]+)_(?P<start>\d{14})_x\.mp4$"),
        ]
    )
    assert not patterns.parse_name("20239999000000_x.mp4", pats).recognised


def test_seeded_patterns_are_data_and_editable(db):  # noqa: F811
    with db.begin() as s:
        loaded = patterns.load(s)
        assert [p.name for p in loaded] == [
            "警号_设备号_时间_序号",
            "时间_序号",
            "设备号_时间_序号",
            "日期_时间_后缀",
        ]
        s.add(
            AvNamePattern(
                name="设备_时间", regex=r"^(?P<device>DV\d+)-(?P<start>\d{14})\.mp4$", priority=1
            )
        )
        first = s.query(AvNamePattern).filter_by(name="时间_序号").one()
        first.enabled = False
    with db.session() as s:
        loaded = patterns.load(s)
    assert [p.name for p in loaded] == [
        "设备_时间",
        "警号_设备号_时间_序号",
        "设备号_时间_序号",
        "日期_时间_后缀",
    ]
    info = patterns.parse_name("DV77-20220101080000.mp4", loaded)
    assert info.device == "DV77" and info.start == dt.datetime(2022, 1, 1, 8)
    assert not patterns.parse_name("20231231235959_12.mp4", loaded).recognised


def test_compile_regex_validation_names_the_field():
    with pytest.raises(ValidationError) as e:
        patterns.compile_regex("x", r"^(?P<start>\d{14")
    assert "regex" in e.value.fields and "正则表达式" in e.value.fields["regex"]
    with pytest.raises(ValidationError) as e:
        patterns.compile_regex("x", r"^(?P<when>\d{14})$")
    assert "when" in e.value.fields["regex"]
    with pytest.raises(ValidationError) as e:
        patterns.compile_regex(" ", r"^(?P<start>\d{14})$")
    assert "name" in e.value.fields
    assert patterns.compile_regex("ok", r"^(?P<start>\d{14})\.mp4$").match("20240101000000.mp4")


@pytest.mark.parametrize(
    ("name", "pattern", "start", "device", "seq", "imp"),
    [
        ("20261201_103000_录音.wav", "日期_时间_后缀", (2026, 12, 1, 10, 30), "", "", False),
        ("20261201_103000_0001.MP4", "日期_时间_后缀", (2026, 12, 1, 10, 30), "", "0001", False),
        ("20261201_103000_0002_IMP.mp4", "日期_时间_后缀", (2026, 12, 1, 10, 30), "", "0002", True),
        ("VID_20261201_103000.mp4", "日期_时间_后缀", (2026, 12, 1, 10, 30), "", "", False),
        ("20261201_235959(1).wav", "日期_时间_后缀", (2026, 12, 1, 23, 59, 59), "", "", False),
        ("20261201_103000 现场 #2.m4a", "日期_时间_后缀", (2026, 12, 1, 10, 30), "", "", False),
        (
            "DSJ-X_20261201103000_001.mp4",
            "设备号_时间_序号",
            (2026, 12, 1, 10, 30),
            "DSJ-X",
            "001",
            False,
        ),
        (
            "DSJ-X_20261201103000_001IMP.MP4",
            "设备号_时间_序号",
            (2026, 12, 1, 10, 30),
            "DSJ-X",
            "001",
            True,
        ),
        (
            "DSJ-X_20261201103000_001_取证.mp4",
            "设备号_时间_序号",
            (2026, 12, 1, 10, 30),
            "DSJ-X",
            "001",
            False,
        ),
    ],
)
def test_date_time_names_with_suffixes(name, pattern, start, device, seq, imp):
    info = patterns.parse_name(name, PATS)
    assert info.pattern == pattern
    assert info.start == dt.datetime(*start)
    assert (info.device, info.seq, info.important, info.officer) == (device, seq, imp, "")


@pytest.mark.parametrize(
    "name",
    [
        "20261301_103000_录音.wav",  # month 13
        "20261201_103000.final.wav",  # a second dot: not a suffix of this scheme
        "2026120_103000_录音.wav",
        "录音_20261201.wav",
        "012345_20261201103000.mp4",  # digits first: an officer number, not a device
    ],
)
def test_date_time_lookalikes_are_not_recognised(name):
    info = patterns.parse_name(name, PATS)
    assert not info.recognised and info.start is None


def test_shipped_patterns_match_long_hostile_names_fast():
    import time

    for name in (
        "2" * 8 + "_" + "1" * 6 + "_" + "x" * 200_000 + ".",
        "A_" + "1" * 200_000,
        "_" * 200_000,
    ):
        t = time.perf_counter()
        assert not patterns.parse_name(name, PATS).recognised
        assert time.perf_counter() - t < 0.5


def test_migration_seeds_the_same_patterns_as_the_code():
    """The data migration's frozen copy equals the code's defaults (names, regexes, order)."""
    import importlib.util
    from pathlib import Path

    import brigade_desk.migrations.versions as versions

    path = Path(versions.__file__).parent / "0015_av_name_patterns.py"
    spec = importlib.util.spec_from_file_location("m0012", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    shipped = {n: (r, p, t) for n, r, p, t in patterns.DEFAULT_PATTERNS}
    for n, r, p, t in mod.PATTERNS:
        assert shipped[n] == (r, p, t)
