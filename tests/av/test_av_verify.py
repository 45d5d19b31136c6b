import datetime as dt
import json
import shutil

from av_fixtures import db, write  # noqa: F401
from sqlalchemy import select, text

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.av import roots
from brigade_desk.ledgers.av import rules as av_rules
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.av.models import (
    AvRecord,
    AvRecordCheck,
    AvStorageRoot,
    AvVerifyResult,
    AvVerifyRun,
)
from brigade_desk.ledgers.av.verify import verify

TODAY = dt.date(2026, 11, 23)


def _setup(db, tmp_path, n=4):  # noqa: F811
    src = tmp_path / "库"
    files = [
        write(src / "子目录" / f"2024010{i}080000_{i}.mp4", bytes([65 + i]) * (1000 + i))
        for i in range(n)
    ]
    assert ingest(db, src, IngestOptions(in_place=True)).added == n
    return src, files


def _status(db):  # noqa: F811
    with db.session() as s:
        return {
            r.file_name: st
            for r, st in s.execute(select(AvRecord, AvRecordCheck.status).outerjoin(AvRecordCheck))
        }


def test_all_ok(db, tmp_path):  # noqa: F811
    _setup(db, tmp_path)
    res = verify(db)
    assert (res.checked, res.ok, res.modified, res.missing, res.moved) == (4, 4, [], [], [])
    assert not res.failed and set(_status(db).values()) == {"ok"}
    with db.session() as s:
        run = s.get(AvVerifyRun, res.run_id)
        assert run.ok == 4 and run.finished_at and not run.cancelled
        assert s.query(AvVerifyResult).filter_by(run_id=res.run_id).count() == 4
    assert av_rules.check_integrity(db.session(), TODAY) == []


def test_one_byte_changed(db, tmp_path):  # noqa: F811
    _src, files = _setup(db, tmp_path)
    data = bytearray(files[1].read_bytes())
    data[500] ^= 1  # same size, one bit of one byte
    files[1].write_bytes(bytes(data))
    res = verify(db)
    assert res.modified == [str(files[1])] and res.ok == 3 and res.failed
    assert _status(db)[files[1].name] == "modified"
    with db.session() as s:
        f = av_rules.check(s, TODAY)
    assert [(x.rule, x.ref) for x in f] == [("av_integrity", str(files[1]))]
    assert "已被修改" in f[0].detail


def test_size_changed_is_modified(db, tmp_path):  # noqa: F811
    _src, files = _setup(db, tmp_path)
    with open(files[0], "ab") as fh:
        fh.write(b"!")
    res = verify(db)
    assert res.modified == [str(files[0])]


def test_file_deleted(db, tmp_path):  # noqa: F811
    _src, files = _setup(db, tmp_path)
    files[2].unlink()
    res = verify(db)
    assert res.missing == [str(files[2])] and res.ok == 3 and res.moved == []
    with db.session() as s:
        findings = REGISTRY.run_rules(s, TODAY)
        assert [f.ref for f in findings if f.rule == "av_integrity"] == [str(files[2])]
        detail = s.scalars(
            select(AvVerifyResult.detail).where(AvVerifyResult.status == "missing")
        ).one()
        assert "未在登记的存储位置中找到" in detail
    # restoring the file clears the finding at the next verification
    files[2].write_bytes(bytes([67]) * 1002)
    assert verify(db).ok == 4
    with db.session() as s:
        assert av_rules.check_integrity(s, TODAY) == []
        assert s.query(AvVerifyRun).count() == 2  # both runs kept with their date


def test_file_moved(db, tmp_path):  # noqa: F811
    src, files = _setup(db, tmp_path)
    new = src / "整理后" / "案件一" / files[3].name
    new.parent.mkdir(parents=True)
    shutil.move(files[3], new)
    res = verify(db)
    assert res.moved == [{"from": str(files[3]), "to": str(new)}]
    assert res.missing == [] and res.ok == 3 and not res.failed
    with db.session() as s:
        r = s.scalars(select(AvRecord).where(AvRecord.file_name == new.name)).one()
        assert r.rel_path == "整理后/案件一/" + new.name
        assert s.get(AvRecordCheck, r.id).status == "moved"
    # the record now follows the file: the next run is all ok
    res2 = verify(db)
    assert res2.ok == 4 and res2.moved == []


def test_moved_and_renamed_is_found_by_hash(db, tmp_path):  # noqa: F811
    src, files = _setup(db, tmp_path)
    target = src / "其他" / "改了名字.mp4"
    target.parent.mkdir()
    files[0].rename(target)
    res = verify(db)
    assert res.moved == [{"from": str(files[0]), "to": str(target)}]


def test_subset_and_relettered_root(db, tmp_path):  # noqa: F811
    src, files = _setup(db, tmp_path)
    with db.session() as s:
        ids = s.scalars(select(AvRecord.id).order_by(AvRecord.id)).all()
    res = verify(db, ids[:2])
    assert res.checked == 2 and res.ok == 2
    # the archive disk comes back under another letter: move the whole folder, re-point the root
    moved_root = tmp_path / "F盘" / "库"
    moved_root.parent.mkdir()
    shutil.move(src, moved_root)
    assert len(verify(db).missing) == 4
    with db.session() as s:  # one finding for the unreachable root, not one per file
        f = av_rules.check_integrity(s, TODAY)
    assert len(f) == 1 and f[0].ref == str(src) and "4 个文件缺失" in f[0].detail
    with db.begin() as s:
        rid = s.scalars(select(AvStorageRoot.id)).one()
        roots.set_root_path(s, rid, moved_root)
    res = verify(db)
    assert res.ok == 4 and not res.failed


def test_verify_cancel_keeps_run(db, tmp_path):  # noqa: F811
    _setup(db, tmp_path)
    p = Progress()
    p.cancel()
    res = verify(db, progress=p)
    assert res.cancelled
    with db.session() as s:
        assert s.get(AvVerifyRun, res.run_id).cancelled


def _case_table(db, rows):  # noqa: F811
    """Cases through the case ledger's model (the table the protocol reads)."""
    from brigade_desk.ledgers.cases.models import CaseRecord

    with db.begin() as s:
        for no, acts in rows:
            s.add(CaseRecord(case_no=no, activities=json.loads(acts) if acts else []))


def test_full_process_rule_without_case_table_finds_nothing(tmp_path):
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from brigade_desk.models import Base

    eng = create_engine(f"sqlite:///{tmp_path / 'bare.sqlite'}")
    Base.metadata.create_all(
        eng,
        tables=[
            t
            for t in Base.metadata.sorted_tables
            if t.name in ("staff", "setting") or t.name.startswith("av_")
        ],
    )
    with Session(eng) as s:
        assert av_rules.check_full_process(s, TODAY) == []
        # the protocol: any table named case_record with case_no and a JSON list of activities
        s.execute(text("CREATE TABLE case_record (case_no TEXT, activities TEXT)"))
        s.execute(
            text(
                "INSERT INTO case_record VALUES ('甲', '[\"强制拆除\"]'), ('乙', '现场检查、查封扣押')"
            )
        )
        found = av_rules.check_full_process(s, TODAY)
        assert [(f.subject, f.ref, f.entity_id) for f in found] == [
            ("甲", "强制拆除", None),
            ("乙", "查封扣押", None),
        ]
    eng.dispose()


def test_full_process_rule(db, tmp_path):  # noqa: F811
    write(tmp_path / "a" / "x.mp4", b"seizure video")
    write(tmp_path / "b" / "y.mp4", b"inspection video")
    ingest(db, tmp_path / "a", IngestOptions(in_place=True, case_no="案1", activity="查封扣押"))
    ingest(db, tmp_path / "b", IngestOptions(in_place=True, case_no="案2", activity="现场检查"))
    _case_table(
        db,
        [
            (
                "案1",
                '["查封扣押", "现场检查"]',
            ),  # has its seizure recording → ok (inspection not full-process)
            ("案2", '["查封扣押", "现场检查"]'),  # recording of inspection only → seizure missing
            ("案3", '["强制拆除"]'),  # nothing at all
            ("案4", '["调查取证"]'),  # no full-process activity
            ("案5", "[]"),
            ("案6", None),
        ],
    )
    with db.session() as s:
        f = av_rules.check_full_process(s, TODAY)
        ids = dict(s.execute(text("SELECT case_no, id FROM case_record")).all())
    assert [(x.rule, x.subject, x.ref) for x in f] == [
        ("av_missing_full_process", "案2", "查封扣押"),
        ("av_missing_full_process", "案3", "强制拆除"),
    ]
    assert [(x.entity, x.entity_id) for x in f] == [("case", ids["案2"]), ("case", ids["案3"])]
    from brigade_desk.core import settings

    with db.begin() as s:
        settings.set_value(s, av_settings.AV_FULL_PROCESS, ["查封扣押", "强制拆除", "调查取证"])
    with db.session() as s:
        assert {x.subject for x in av_rules.check_full_process(s, TODAY)} == {"案2", "案3", "案4"}


def test_audit_trail_intact_after_ingest_verify_and_move(db, tmp_path):  # noqa: F811
    from brigade_desk.core import audit

    src, files = _setup(db, tmp_path, n=3)
    verify(db)
    files[0].rename(src / "moved.mp4")
    files[1].write_bytes(b"changed")
    verify(db)
    with db.session() as s:
        res = audit.verify(s)
        assert res.ok, res.problem
        # the record's SHA-256 is in the trail: changing it behind the program's back is detected
        s.execute(text("UPDATE av_record SET sha256 = :h WHERE id = 1"), {"h": "0" * 64})
        assert not audit.verify(s).ok
