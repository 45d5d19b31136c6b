import datetime as dt
import os
from pathlib import Path

import pytest
from av_fixtures import add_staff, db, mp4_bytes, write  # noqa: F401
from sqlalchemy import func, select

from brigade_desk.core.errors import ValidationError
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.av.models import AvDuplicate, AvIngestBatch, AvRecord, AvStorageRoot


def _records(db):  # noqa: F811
    with db.session() as s:
        return s.scalars(select(AvRecord).order_by(AvRecord.rel_path)).all()


def test_ingest_folder(db, tmp_path):  # noqa: F811
    sid = add_staff(db, "李四", bodycam="DSJ-A0001")
    other = add_staff(db, "王五", idn="110101199003071234")
    src = tmp_path / "footage"
    write(src / "a" / "012345_DSJ-A0001_20240315083012_0007IMP.mp4", mp4_bytes(12.5, b"x" * 5000))
    write(src / "a" / "20240316090000_1.mp4", mp4_bytes(3, b"y" * 100))
    f = write(src / "b" / "现场照片.jpg", b"\xff\xd8jpegdata")
    write(src / "b" / "说明.txt", b"not media")
    os.utime(f, (dt.datetime(2023, 5, 6, 7, 8, 9).timestamp(),) * 2)
    seen = []
    res = ingest(
        db,
        src,
        IngestOptions(
            in_place=True,
            case_no="交执罚〔2024〕12号",
            activity="查封扣押",
            officer_id=other,
            target="青A12345",
            place="G109线",
        ),
        progress=Progress(lambda d, t, txt: seen.append((d, t, txt))),
    )
    assert (res.added, len(res.duplicates), len(res.skipped), res.existing) == (3, 0, 1, 0)
    assert res.skipped[0].endswith("说明.txt") and not res.errors
    assert res.bytes == sum(
        p.stat().st_size for p in src.rglob("*") if p.suffix != ".txt" and p.is_file()
    )
    assert seen[-1][0] == seen[-1][1] == res.bytes and "3/3 个文件" in seen[-1][2]
    recs = {r.rel_path: r for r in _records(db)}
    assert set(recs) == {
        "a/012345_DSJ-A0001_20240315083012_0007IMP.mp4",
        "a/20240316090000_1.mp4",
        "b/现场照片.jpg",
    }
    r = recs["a/012345_DSJ-A0001_20240315083012_0007IMP.mp4"]
    assert (
        r.device_no == "DSJ-A0001" and r.officer_id == sid and r.officer2_id == other
    )  # device → roster
    assert r.officer_code == "012345" and r.important and r.time_source == "文件名"
    assert r.media_start == dt.datetime(2024, 3, 15, 8, 30, 12) and r.duration_s == 12.5
    assert (
        r.case_no == "交执罚〔2024〕12号" and r.activity == "查封扣押" and r.retention_years is None
    )
    assert r.target == "青A12345" and r.place == "G109线" and len(r.sha256) == 64
    t = recs["a/20240316090000_1.mp4"]
    assert (
        t.officer_id == other and t.officer2_id is None and t.device_no == "" and t.duration_s == 3
    )
    ph = recs["b/现场照片.jpg"]
    assert ph.time_source == "文件时间" and ph.media_start == dt.datetime(2023, 5, 6, 7, 8, 9)
    assert ph.pattern_name == "" and ph.duration_s is None
    with db.session() as s:
        root = s.scalars(select(AvStorageRoot)).one()
        assert Path(root.path) == src.resolve() and not root.is_archive
        b = s.get(AvIngestBatch, res.batch_id)
        assert (b.added, b.skipped, b.cancelled) == (3, 1, False) and b.finished_at


def test_batch_defaults_and_retention(db, tmp_path):  # noqa: F811
    write(tmp_path / "s" / "VID_1.mp4", b"1")
    res = ingest(
        db, tmp_path / "s", IngestOptions(in_place=True, activity="现场检查", device_no="DV9")
    )
    assert res.added == 1
    r = _records(db)[0]
    assert r.device_no == "DV9" and r.retention_years == 1 and r.case_no == ""


def test_invalid_options_name_the_field(db, tmp_path):  # noqa: F811
    (tmp_path / "s").mkdir()
    with pytest.raises(ValidationError) as e:
        ingest(db, tmp_path / "s", IngestOptions(in_place=True, activity="巡逻", officer_id=999))
    assert "执法活动" in e.value.fields["activity"] and "999" in e.value.fields["officer_id"]


def test_duplicate_recorded_once_and_reported(db, tmp_path):  # noqa: F811
    src = tmp_path / "s"
    write(src / "1" / "a.mp4", b"same content")
    write(src / "2" / "b.mp4", b"same content")
    write(src / "2" / "c.mp4", b"other")
    res = ingest(db, src, IngestOptions(in_place=True))
    assert res.added == 2 and len(res.duplicates) == 1
    assert res.duplicates[0]["path"].endswith("b.mp4") and res.duplicates[0]["existing"].endswith(
        "a.mp4"
    )
    assert res.as_json()["duplicates"] == 1
    with db.session() as s:
        assert s.scalar(select(func.count(AvRecord.id))) == 2
        assert s.scalars(select(AvDuplicate.path)).one().endswith("b.mp4")
    # the same content arriving later from elsewhere is a duplicate too
    write(tmp_path / "t" / "d.mp4", b"other")
    res2 = ingest(db, tmp_path / "t", IngestOptions(in_place=True))
    assert res2.added == 0 and len(res2.duplicates) == 1


def test_reingest_adds_nothing(db, tmp_path):  # noqa: F811
    src = tmp_path / "s"
    for i in range(5):
        write(src / f"20240101000{i}00_{i}.mp4", bytes([i]) * 1000)
    assert ingest(db, src, IngestOptions(in_place=True)).added == 5
    res = ingest(db, src, IngestOptions(in_place=True, workers=1))
    assert (res.added, len(res.duplicates), res.existing, res.bytes) == (0, 0, 5, 0)
    # a sub-folder of a registered root resolves to that root: still nothing new
    write(src / "sub" / "x.mp4", b"new")
    res = ingest(db, src / "sub", IngestOptions(in_place=True))
    assert res.added == 1
    assert ingest(db, src, IngestOptions(in_place=True)).existing == 6
    with db.session() as s:
        assert s.scalar(select(func.count(AvStorageRoot.id))) == 1
        assert s.scalar(select(func.count(AvRecord.id))) == 6


def test_reingest_changed_size_is_reported_not_replaced(db, tmp_path):  # noqa: F811
    f = write(tmp_path / "s" / "a.mp4", b"original")
    ingest(db, tmp_path / "s", IngestOptions(in_place=True))
    sha = _records(db)[0].sha256
    f.write_bytes(b"tampered and longer")
    res = ingest(db, tmp_path / "s", IngestOptions(in_place=True))
    assert res.added == 0 and len(res.errors) == 1 and "大小不同" in res.errors[0]["message"]
    assert _records(db)[0].sha256 == sha


def test_cancel_midway_leaves_prefix(db, tmp_path):  # noqa: F811
    src = tmp_path / "s"
    names = [f"20240101{h:02d}0000_{h}.mp4" for h in range(12)]
    for i, n in enumerate(names):
        write(src / n, bytes([i]) * 300_000)
    arch = tmp_path / "archive"
    prog = Progress()

    def listener(done, total, text):
        if text.startswith("5/"):
            prog.cancel()

    prog._listener = listener
    res = ingest(db, src, IngestOptions(copy_to=arch, workers=2), progress=prog)
    assert res.cancelled
    recs = _records(db)
    assert res.added == len(recs) == 5
    assert (
        sorted(r.file_name for r in recs) == names[:5]
    )  # exactly the files before the cancelled one
    archived = sorted(p.name for p in arch.rglob("*") if p.is_file())
    assert archived == names[:5]  # no stray copies, no .part files
    with db.session() as s:
        b = s.get(AvIngestBatch, res.batch_id)
        assert b.cancelled and b.added == 5
    # continuing later completes the set
    res2 = ingest(db, src, IngestOptions(copy_to=arch))
    assert res2.added == 7 and res2.existing == 5 and not res2.cancelled
    assert len(_records(db)) == 12


def test_cancel_before_start(db, tmp_path):  # noqa: F811
    write(tmp_path / "s" / "a.mp4", b"a")
    p = Progress()
    p.cancel()
    res = ingest(db, tmp_path / "s", IngestOptions(in_place=True), progress=p)
    assert res.cancelled and res.added == 0 and _records(db) == []


def test_copy_to_archive_with_clash(db, tmp_path):  # noqa: F811
    add_staff(db, "李四", bodycam="DSJ-A0001")
    src = tmp_path / "card"
    name = "012345_DSJ-A0001_20240315083012_0007.mp4"
    write(src / name, b"new footage")
    write(src / "20240316090000_1.mp4", b"second")
    arch = tmp_path / "归档盘"
    clash = write(arch / "2024" / "03" / "DSJ-A0001" / name, b"a DIFFERENT file already there")
    res = ingest(db, src, IngestOptions(copy_to=arch, device_no=""))
    assert res.added == 2 and not res.errors
    assert clash.read_bytes() == b"a DIFFERENT file already there"  # never overwritten
    placed = arch / "2024" / "03" / "DSJ-A0001" / name.replace(".mp4", "_1.mp4")
    assert placed.read_bytes() == b"new footage"
    assert res.renamed == [{"path": str(clash), "to": str(placed)}]
    assert (arch / "2024" / "03" / "未知设备" / "20240316090000_1.mp4").read_bytes() == b"second"
    recs = {r.file_name: r for r in _records(db)}
    with db.session() as s:
        roots = {r.id: r for r in s.scalars(select(AvStorageRoot))}
    r = recs[name]
    assert roots[r.root_id].is_archive and r.rel_path == f"2024/03/DSJ-A0001/{placed.name}"
    assert not roots[r.source_root_id].is_archive and r.source_rel_path == name
    # re-ingesting the card adds nothing and copies nothing
    res2 = ingest(db, src, IngestOptions(copy_to=arch))
    assert res2.added == 0 and res2.existing == 2
    assert len([p for p in arch.rglob("*") if p.is_file()]) == 3


def test_copy_identical_already_in_archive_is_reused(db, tmp_path):  # noqa: F811
    write(tmp_path / "s" / "20240101000000_1.mp4", b"content")
    existing = write(
        tmp_path / "a" / "2024" / "01" / "未知设备" / "20240101000000_1.mp4", b"content"
    )
    res = ingest(db, tmp_path / "s", IngestOptions(copy_to=tmp_path / "a"))
    assert res.added == 1 and not res.renamed
    assert [p for p in (tmp_path / "a").rglob("*") if p.is_file()] == [existing]


def test_duplicate_copy_is_not_left_in_archive(db, tmp_path):  # noqa: F811
    write(tmp_path / "s" / "x" / "a.mp4", b"dup")
    write(tmp_path / "s" / "y" / "b.mp4", b"dup")
    res = ingest(db, tmp_path / "s", IngestOptions(copy_to=tmp_path / "a"))
    assert res.added == 1 and len(res.duplicates) == 1
    assert [p.name for p in (tmp_path / "a").rglob("*") if p.is_file()] == ["a.mp4"]


def test_chinese_paths(db, tmp_path):  # noqa: F811
    src = tmp_path / "执法记录仪" / "二〇二四年 三月" / "张三（一中队）"
    write(src / "查封扣押现场（青A·12345）.mp4", b"video")
    write(src / "听证会录音.wav", b"RIFFxxxx")
    res = ingest(db, tmp_path / "执法记录仪", IngestOptions(copy_to=tmp_path / "档案 归档"))
    assert res.added == 2 and not res.errors
    recs = _records(db)
    assert {r.file_name for r in recs} == {"查封扣押现场（青A·12345）.mp4", "听证会录音.wav"}
    assert all("/" in r.rel_path for r in recs)
    with db.session() as s:
        roots = {r.id: r.path for r in s.scalars(select(AvStorageRoot))}
    for r in recs:
        assert Path(roots[r.root_id]).joinpath(*r.rel_path.split("/")).is_file()
        assert r.source_rel_path.startswith("二〇二四年 三月/张三（一中队）/")


def test_archive_inside_source_is_refused(db, tmp_path):  # noqa: F811
    from brigade_desk.core.errors import UserError

    (tmp_path / "s" / "arch").mkdir(parents=True)
    with pytest.raises(UserError):
        ingest(db, tmp_path / "s" / "arch", IngestOptions(copy_to=tmp_path / "s"))
