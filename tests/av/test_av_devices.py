"""Device custody, attribution by holder, officer correction, archive by default, retention and the
deletion log (issue #19, items 2 and 6)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from av_fixtures import add_staff, db, mp4_bytes, write  # noqa: F401
from dbtemplate import fresh_db, query, target
from sqlalchemy import select

from brigade_desk.app import cli
from brigade_desk.core import audit, settings
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.ledgers.av import retention
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.av.devices import DeviceService
from brigade_desk.ledgers.av.ingest import MSG_NO_ARCHIVE, IngestOptions, ingest
from brigade_desk.ledgers.av.models import AvAttribution, AvDeletion, AvRecord, AvStorageRoot
from brigade_desk.ledgers.av.service import AvService

T = dt.datetime


def _name(device: str, when: str, seq: int) -> str:
    return f"000001_{device}_{when}_{seq}.mp4"


def _records(db: Database) -> dict[str, AvRecord]:  # noqa: F811
    with db.session() as s:
        return {r.file_name: r for r in s.scalars(select(AvRecord))}


def _audit_ok(db: Database) -> None:  # noqa: F811
    res = audit.verify_database(db)
    assert res.ok, res.problem


@pytest.fixture
def custody(db: Database) -> tuple[DeviceService, int, int, int]:  # noqa: F811
    """DSJ-X held by 张三 from 12-01 08:00, handed over to 李四 at 12:00; 王五 is another officer."""
    a = add_staff(db, "张三", idn="110101199003074514")
    b = add_staff(db, "李四", idn="110101199003071234")
    c = add_staff(db, "王五", idn="11010119900307273X")
    svc = DeviceService(db)
    dev = svc.save_device(None, "DSJ-X", "DSJ-V9", "SN0001")
    svc.hand_over(dev, a, T(2026, 12, 1, 8, 0))
    svc.hand_over(dev, b, T(2026, 12, 1, 12, 0), notes="午间交接")
    return svc, a, b, c


def test_holder_attribution_across_a_change_of_holder(db, tmp_path, custody):  # noqa: F811
    svc, a, b, c = custody
    src = tmp_path / "卡"
    write(src / _name("DSJ-X", "20261201103000", 1), mp4_bytes(3, b"before"))
    write(src / _name("DSJ-X", "20261201115959", 2), mp4_bytes(3, b"just before"))
    write(src / _name("DSJ-X", "20261201120000", 3), mp4_bytes(3, b"at the hand-over"))
    write(src / _name("dsj-x", "20261201153000", 4), mp4_bytes(3, b"after, lower case"))
    write(src / _name("DSJ-X", "20261130090000", 5), mp4_bytes(3, b"nobody held it"))
    write(src / _name("DSJ-Q", "20261201103000", 6), mp4_bytes(3, b"unknown device"))
    res = ingest(db, src, IngestOptions(in_place=True))
    assert res.added == 6 and not res.errors
    recs = _records(db)
    assert recs[_name("DSJ-X", "20261201103000", 1)].officer_id == a
    assert recs[_name("DSJ-X", "20261201115959", 2)].officer_id == a
    assert recs[_name("DSJ-X", "20261201120000", 3)].officer_id == b  # [from, to): 12:00 is 李四's
    assert recs[_name("dsj-x", "20261201153000", 4)].officer_id == b
    assert recs[_name("DSJ-X", "20261130090000", 5)].officer_id is None
    assert recs[_name("DSJ-Q", "20261201103000", 6)].officer_id is None

    by_file = {Path(x["path"]).name: x for x in res.attribution}
    first = by_file[_name("DSJ-X", "20261201103000", 1)]
    assert first["kind"] == "holder" and first["officer"] == "张三" and not first["conflict"]
    assert first["message"] == "按设备DSJ-X在2026-12-01 10:30的持有人推定为 张三"
    assert by_file[_name("DSJ-X", "20261201120000", 3)]["message"].startswith(
        "按设备DSJ-X在2026-12-01 12:00的持有人推定为 李四"
    )
    none = by_file[_name("DSJ-X", "20261130090000", 5)]
    assert none["kind"] == "no_holder"
    assert none["message"].startswith("设备DSJ-X在2026-11-30 09:00无人持有")
    assert "执法人员未定" in none["message"]
    unknown = by_file[_name("DSJ-Q", "20261201103000", 6)]
    assert unknown["kind"] == "unknown_device"
    assert unknown["message"].startswith("设备DSJ-Q未在执法记录仪登记中")
    counts = res.attribution_counts()
    assert (counts["holder"], counts["no_holder"], counts["unknown_device"]) == (4, 1, 1)
    assert "设备在拍摄时无人持有 1 个" in res.attribution_summary()
    assert res.as_json()["attribution"] == res.attribution
    with db.session() as s:  # kept with each record, shown in its detail
        kept = {a.record_id: (a.kind, a.message) for a in s.scalars(select(AvAttribution))}
    r1 = recs[_name("DSJ-X", "20261201103000", 1)]
    assert kept[r1.id] == ("holder", "按设备DSJ-X在2026-12-01 10:30的持有人推定为 张三")
    assert len(kept) == 6
    d5 = AvService(db).detail(recs[_name("DSJ-X", "20261130090000", 5)].id)
    assert d5.attribution_flag and d5.attribution.startswith("设备DSJ-X在2026-11-30 09:00无人持有")
    _audit_ok(db)


def test_explicit_batch_officer_that_disagrees_is_reported(db, tmp_path, custody):  # noqa: F811
    svc, a, b, c = custody
    src = tmp_path / "卡"
    write(src / _name("DSJ-X", "20261201103000", 1), mp4_bytes(3, b"x"))
    write(src / _name("DSJ-Q", "20261201103000", 2), mp4_bytes(3, b"y"))
    res = ingest(db, src, IngestOptions(in_place=True, officer_id=c))
    by_file = {Path(x["path"]).name: x for x in res.attribution}
    x = by_file[_name("DSJ-X", "20261201103000", 1)]
    assert x["conflict"] and x["officer_id"] == a
    assert "本批指定的执法人员 王五 与设备登记的持有人不一致" in x["message"]
    y = by_file[
        _name("DSJ-Q", "20261201103000", 2)
    ]  # the register cannot tell: the batch's officer
    assert (
        not y["conflict"]
        and y["officer_id"] == c
        and "按本批指定的执法人员记为 王五" in y["message"]
    )
    recs = _records(db)
    rx = recs[_name("DSJ-X", "20261201103000", 1)]
    assert (rx.officer_id, rx.officer2_id) == (a, c)  # the holder first, the batch's officer second
    assert res.attribution_counts()["conflict"] == 1


def test_overlapping_holder_periods_are_refused(db, custody):  # noqa: F811
    svc, a, b, c = custody
    dev = svc.device_id("dsj-x")
    with pytest.raises(ValidationError) as e:
        svc.add_period(dev, c, T(2026, 12, 1, 9, 0), T(2026, 12, 1, 10, 0))
    assert e.value.fields["from_at"] == (
        "执法记录仪 DSJ-X 的持有期间与 张三（2026-12-01 08:00 至 2026-12-01 12:00）重叠；"
        "同一台设备同一时间只能由一人持有。请先结束或更正该持有记录。"
    )
    with pytest.raises(ValidationError) as e:  # an open period collides with the open holder
        svc.add_period(dev, c, T(2026, 12, 5, 9, 0))
    assert "李四（2026-12-01 12:00 至今）重叠" in e.value.message
    with pytest.raises(ValidationError) as e:  # a hand-over before the current holder took it
        svc.hand_over(dev, c, T(2026, 12, 1, 11, 0))
    assert "不晚于当前持有人 李四 的领用时间 2026-12-01 12:00" in e.value.message
    # touching periods are fine ([from, to) is half-open): before 张三 took it
    svc.add_period(dev, c, T(2026, 11, 30, 8, 0), T(2026, 12, 1, 8, 0))
    with pytest.raises(ValidationError):
        svc.save_device(None, "dsj-x")  # the same number, another case
    hist = svc.history(dev)
    assert [(h.staff, h.from_at, h.to_at) for h in hist] == [
        ("李四", T(2026, 12, 1, 12, 0), None),
        ("张三", T(2026, 12, 1, 8, 0), T(2026, 12, 1, 12, 0)),
        ("王五", T(2026, 11, 30, 8, 0), T(2026, 12, 1, 8, 0)),
    ]
    assert svc.holder_at("DSJ-X", T(2026, 11, 30, 23, 59)).staff == "王五"
    assert svc.hand_over(dev, None, T(2026, 12, 3, 18, 0)) is None  # returned
    assert svc.holder_at("DSJ-X", T(2026, 12, 4)).staff_id is None
    assert [d.holder for d in svc.devices()] == [""]
    _audit_ok(db)


def test_officer_correction_is_audited(db, tmp_path, custody):  # noqa: F811
    svc, a, b, c = custody
    write(tmp_path / "卡" / _name("DSJ-X", "20261201103000", 1), mp4_bytes(3, b"x"))
    ingest(db, tmp_path / "卡", IngestOptions(in_place=True))
    rid = next(iter(_records(db).values())).id
    av = AvService(db)
    assert av.custody_holder(rid) == (a, "按设备DSJ-X在2026-12-01 10:30的持有人为 张三")
    assert av.correct_officer(rid, c, "张三借用王五的记录仪") == (a, c)
    with db.session() as s:
        r = s.get(AvRecord, rid)
        assert r is not None and r.officer_id == c
        assert "更正执法人员：张三 → 王五；张三借用王五的记录仪" in r.notes
        hist = audit.history(s, "av_record", rid)
    last = hist[-1]
    assert last.action == "update"
    assert ("officer_id", a, c) in last.changes
    with pytest.raises(ValidationError):
        av.correct_officer(rid, 99999)
    d = av.detail(rid)
    assert d.attribution.endswith(
        "由内勤更正为 王五（原为 张三）；张三借用王五的记录仪；以前：按设备DSJ-X在2026-12-01 10:30的持有人推定为 张三"
    )
    assert not d.attribution_flag
    with db.session() as s:
        att = s.get(AvAttribution, rid)
        assert att is not None and att.kind == "corrected"
        assert audit.history(s, "av_attribution", rid)[-1].action == "update"
    _audit_ok(db)


def test_archive_is_the_default_and_in_place_is_explicit(db, tmp_path):  # noqa: F811
    src = tmp_path / "存储卡"
    write(src / "20261201103000_1.mp4", mp4_bytes(3, b"a"))
    with pytest.raises(UserError) as e:
        ingest(db, src)
    assert e.value.message == MSG_NO_ARCHIVE and "brigade-desk av archive-root" in e.value.message
    with db.session() as s:  # nothing was indexed in place silently
        assert s.scalars(select(AvRecord)).first() is None
    archive = tmp_path / "归档 #1"
    settings.save_many(db, {av_settings.AV_ARCHIVE_ROOT: str(archive)})
    res = ingest(db, src)
    assert res.added == 1 and not res.in_place and res.archive == str(archive)
    assert (archive / "2026" / "12" / "未知设备" / "20261201103000_1.mp4").read_bytes() == (
        src / "20261201103000_1.mp4"
    ).read_bytes()
    with db.session() as s:
        r = s.scalars(select(AvRecord)).one()
        root = s.get(AvStorageRoot, r.root_id)
        assert root is not None and root.is_archive and r.source_rel_path == "20261201103000_1.mp4"
    write(src / "20261201113000_2.mp4", mp4_bytes(3, b"b"))
    res2 = ingest(db, src, IngestOptions(in_place=True))
    assert res2.added == 1 and res2.in_place and "原位登记" in res2.summary()
    with db.session() as s:
        r2 = s.scalars(select(AvRecord).where(AvRecord.file_name == "20261201113000_2.mp4")).one()
        root2 = s.get(AvStorageRoot, r2.root_id)
        assert root2 is not None and not root2.is_archive and Path(root2.path) == src
    assert not (archive / "2026" / "12" / "未知设备" / "20261201113000_2.mp4").exists()


def _cli(capsys, *argv):  # type: ignore[no-untyped-def]
    code = cli.main([*argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_archive_default_in_place_and_devices(tmp_path, capsys):  # type: ignore[no-untyped-def]
    dbp = str(tmp_path / "c.sqlite")
    fresh_db(dbp).close()
    src = tmp_path / "卡"
    write(src / _name("DSJ-X", "20261201103000", 1), mp4_bytes(3, b"a"))
    code, _out, err = _cli(capsys, "--db", target(dbp), "av", "ingest", str(src))
    assert code == 1 and "未设置归档位置" in err and "--in-place" in err
    from brigade_desk.core.db import open_database

    db2 = open_database(target(dbp))  # the roster: one officer
    sid = add_staff(db2, "张三")
    db2.close()
    code, out, _ = _cli(
        capsys,
        "--db",
        target(dbp),
        "av",
        "device",
        "add",
        "DSJ-X",
        "--model",
        "V9",
        "--serial",
        "S1",
    )
    assert code == 0 and "已登记执法记录仪 DSJ-X" in out
    code, out, _ = _cli(
        capsys, "--db", target(dbp), "av", "device", "hand-over", "DSJ-X", "--to", "张三",
        "--at", "2026-12-01 08:00", "--json",
    )  # fmt: skip
    got = json.loads(out)
    assert code == 0 and got["history"][0]["staff_id"] == sid and got["history"][0]["to"] is None
    code, out, err = _cli(
        capsys, "--db", target(dbp), "av", "device", "hand-over", "DSJ-X", "--to", str(sid),
        "--at", "2026-12-01 07:00",
    )  # fmt: skip
    assert code == 1 and "不晚于当前持有人 张三 的领用时间 2026-12-01 08:00" in err
    code, out, _ = _cli(capsys, "--db", target(dbp), "av", "device", "list", "--json")
    assert json.loads(out)[0]["holder"] == "张三"
    code, out, _ = _cli(capsys, "--db", target(dbp), "av", "device", "history", "DSJ-X")
    assert out.strip() == "DSJ-X  张三  2026-12-01 08:00 至今"

    archive = tmp_path / "归档"
    code, out, _ = _cli(capsys, "--db", target(dbp), "av", "archive-root", str(archive))
    assert code == 0 and str(archive) in out
    code, out, _ = _cli(capsys, "--db", target(dbp), "av", "ingest", str(src), "--json")
    res = json.loads(out)
    assert code == 0 and res["added"] == 1 and res["archive"] == str(archive)
    assert res["attribution"][0]["message"] == "按设备DSJ-X在2026-12-01 10:30的持有人推定为 张三"
    write(tmp_path / "卡2" / "20261201113000_2.mp4", mp4_bytes(3, b"b"))
    code, out, err = _cli(
        capsys, "--db", target(dbp), "av", "ingest", "--in-place", str(tmp_path / "卡2")
    )
    assert code == 0 and "原位登记：文件仍在原处，存储卡清空后记录将变为缺失" in err
    assert "原位登记（未复制到归档）" in out
    code, _out, err = _cli(
        capsys,
        "--db",
        target(dbp),
        "av",
        "ingest",
        "--in-place",
        "--copy-to",
        str(archive),
        str(src),
    )
    assert code == 2 and "只能选一个" in err
    code, out, _ = _cli(capsys, "--db", target(dbp), "audit", "verify")
    assert code == 0, out


def _old_files(db: Database, tmp_path: Path) -> dict[str, int]:  # noqa: F811
    """Five recordings of 2024 (a 1-year term for 现场检查, permanent for 查封扣押) in the archive."""
    archive = tmp_path / "归档"
    settings.save_many(db, {av_settings.AV_ARCHIVE_ROOT: str(archive)})
    batches = [
        ("old", "20240301090000_1.mp4", IngestOptions(activity="现场检查")),
        ("case", "20240301100000_2.mp4", IngestOptions(activity="现场检查", case_no="案-9")),
        ("imp", "20240301110000_3IMP.mp4", IngestOptions(activity="现场检查")),
        ("seize", "20240301120000_4.mp4", IngestOptions(activity="查封扣押")),
        ("recent", "20261101120000_5.mp4", IngestOptions(activity="现场检查")),
    ]
    ids = {}
    for key, name, opts in batches:
        write(tmp_path / key / name, mp4_bytes(3, key.encode() * 10))
        ingest(db, tmp_path / key, opts)
        with db.session() as s:
            ids[key] = s.scalars(select(AvRecord.id).where(AvRecord.file_name == name)).one()
    return ids


def test_retention_proposes_only_due_files_never_case_linked(db, tmp_path):  # noqa: F811
    ids = _old_files(db, tmp_path)
    today = dt.date(2026, 12, 5)
    props = retention.proposals(db, today)
    assert [p.record_id for p in props] == [ids["old"]]
    assert props[0].years == 1 and props[0].due_on == dt.date(2025, 3, 1)
    # a longer term in the settings later keeps it longer; 永久 keeps it for ever
    settings.save_many(db, {av_settings.AV_RETENTION_YEARS: {"现场检查": 3}})
    assert retention.proposals(db, today) == []
    assert [p.record_id for p in retention.proposals(db, dt.date(2027, 3, 1))] == [ids["old"]]
    settings.save_many(db, {av_settings.AV_RETENTION_YEARS: {"现场检查": None}})
    assert retention.proposals(db, dt.date(2099, 1, 1)) == []


def test_deletion_log_and_refusals(db, tmp_path):  # noqa: F811
    ids = _old_files(db, tmp_path)
    today = dt.date(2026, 12, 5)
    path = Path(retention.proposals(db, today)[0].path)
    assert path.is_file()
    with db.session() as s:
        rec = s.get(AvRecord, ids["old"])
        assert rec is not None
        sha, size = rec.sha256, rec.size
    res = retention.delete(
        db, [ids["old"], ids["case"], ids["recent"]], by="内勤甲", reason="年度清理", as_of=today
    )
    assert [d.record_id for d in res.deleted] == [ids["old"]]
    refused = dict(res.refused)
    assert "关联案件 案-9，作为案件证据不删除" in refused[ids["case"]]
    assert "尚未到期" in refused[ids["recent"]]
    assert not path.exists() and not list(path.parent.glob(".~av-del-*"))
    log = retention.deletion_log(db)
    assert len(log) == 1
    d = log[0]
    assert (d.record_id, d.path, d.sha256, d.size) == (ids["old"], str(path), sha, size)
    assert (d.activity, d.case_no, d.deleted_by, d.reason, d.file_state) == (
        "现场检查",
        "",
        "内勤甲",
        "年度清理",
        "已删除",
    )
    assert retention.deletion_of(db, ids["old"]) == d
    assert retention.proposals(db, today) == []  # deleted: not proposed again
    again = retention.delete(db, [ids["old"]], as_of=today)
    assert again.deleted == [] and "已删除" in again.refused[0][1]
    with db.session() as s:  # the record stays, marked by its deletion row
        assert s.get(AvRecord, ids["old"]) is not None
        row = s.scalars(select(AvDeletion)).one()
        assert audit.history(s, "av_deletion", row.id)[0].action == "create"
    _audit_ok(db)


def test_a_modified_file_is_not_deleted_and_a_missing_one_is_logged(db, tmp_path):  # noqa: F811
    ids = _old_files(db, tmp_path)
    today = dt.date(2026, 12, 5)
    settings.save_many(db, {av_settings.AV_RETENTION_YEARS: {"现场检查": 1, "查封扣押": 1}})
    props = {p.record_id: Path(p.path) for p in retention.proposals(db, today)}
    assert set(props) == {
        ids["old"]
    }  # 查封扣押 was indexed as 永久: a later setting does not shorten it
    props[ids["old"]].write_bytes(b"tampered")
    res = retention.delete(db, [ids["old"]], as_of=today)
    assert res.deleted == [] and "SHA-256 不符" in res.refused[0][1]
    assert props[ids["old"]].read_bytes() == b"tampered"
    props[ids["old"]].unlink()
    res = retention.delete(db, [ids["old"]], as_of=today)
    assert res.deleted[0].file_state == "删除前已缺失"
    _audit_ok(db)


def test_cli_retention(tmp_path, capsys):  # type: ignore[no-untyped-def]
    dbp = tmp_path / "r.sqlite"
    d = fresh_db(dbp)
    try:
        ids = _old_files(d, tmp_path)
    finally:
        d.close()
    code, out, _ = _cli(
        capsys, "--db", target(dbp), "av", "retention", "--as-of", "2026-12-05", "--json"
    )
    assert code == 0 and [p["id"] for p in json.loads(out)] == [ids["old"]]
    code, out, err = _cli(
        capsys, "--db", target(dbp), "av", "retention", "--as-of", "2026-12-05",
        "--approve", str(ids["old"]), str(ids["case"]), "--reason", "到期", "--by", "内勤乙",
    )  # fmt: skip
    assert code == 1 and f"已删除 #{ids['old']}" in out and "关联案件 案-9" in err
    code, out, _ = _cli(capsys, "--db", target(dbp), "av", "retention", "--log", "--json")
    log = json.loads(out)
    assert [(x["record_id"], x["deleted_by"], x["reason"]) for x in log] == [
        (ids["old"], "内勤乙", "到期")
    ]
    code, out, _ = _cli(capsys, "--db", target(dbp), "audit", "verify")
    assert code == 0, out


def test_deletion_log_rows_and_holder_periods_are_guarded_by_the_audit_trail(db, tmp_path, custody):  # noqa: F811
    """Removing a deletion-log row or editing a holder period behind the program's back is found."""
    ids = _old_files(db, tmp_path)
    retention.delete(db, [ids["old"]], by="内勤甲", as_of=dt.date(2026, 12, 5))
    _audit_ok(db)
    query(db, "UPDATE av_device_holder SET staff_id = staff_id + 1 WHERE to_at IS NULL")
    res = audit.verify_database(db)
    assert not res.ok and "av_device_holder" in res.problem
    query(db, "UPDATE av_device_holder SET staff_id = staff_id - 1 WHERE to_at IS NULL")
    query(db, "DELETE FROM av_deletion")
    res = audit.verify_database(db)
    assert not res.ok and "av_deletion" in res.problem and "不见了" in res.problem


def test_in_place_warning_names_removable_media() -> None:
    from brigade_desk.ledgers.av.ingest import (
        IN_PLACE_WARNING,
        REMOVABLE_WARNING,
        in_place_warning,
    )

    assert IN_PLACE_WARNING == "原位登记：文件仍在原处，存储卡清空后记录将变为缺失。"
    assert IN_PLACE_WARNING in REMOVABLE_WARNING
    if os.name == "posix":  # a card mounted by the desktop
        assert in_place_warning("/media/clerk/SD卡/DCIM") == REMOVABLE_WARNING
        assert in_place_warning("/run/media/clerk/CAM") == REMOVABLE_WARNING
