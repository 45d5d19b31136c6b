"""Full-process recording by time: a case's activity windows (开始/结束) against the union of its
AV files' spans; uncovered minutes listed; abutting files and short gaps covered."""

import datetime as dt
import json

import pytest
from av_fixtures import db, mp4_bytes, write  # noqa: F401
from dbtemplate import target

from brigade_desk.app import cli
from brigade_desk.core import audit, settings
from brigade_desk.core.errors import ValidationError
from brigade_desk.ledgers.av import rules as av_rules
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.cases import windows
from brigade_desk.ledgers.cases.models import CaseActivityWindow, CaseRecord
from brigade_desk.ledgers.cases.service import CaseService

TODAY = dt.date(2026, 12, 5)
T = dt.datetime


def _case(db, no="案1", acts=("查封扣押",)):  # noqa: F811
    with db.begin() as s:
        c = CaseRecord(
            case_no=no, cause="违法运输", activities=list(acts), filed_on=dt.date(2026, 11, 30)
        )
        s.add(c)
        s.flush()
        return c.id


def _files(db, tmp_path, case_no, activity, clips, folder="卡"):  # noqa: F811
    """Real files named YYYYMMDDhhmmss_seq.mp4 with a real mvhd duration, ingested."""
    src = tmp_path / folder
    for n, (start, seconds) in enumerate(clips, 1):
        write(src / f"{start:%Y%m%d%H%M%S}_{n}.mp4", mp4_bytes(seconds, f"{folder}{n}".encode()))
    res = ingest(db, src, IngestOptions(case_no=case_no, activity=activity, in_place=True))
    assert res.added == len(clips), res.errors


def _found(db):  # noqa: F811
    with db.session() as s:
        return av_rules.check_full_process(s, TODAY)


def test_uncovered_stretches():
    w0, w1 = T(2026, 12, 1, 10, 0), T(2026, 12, 1, 12, 0)
    spans = [(T(2026, 12, 1, 9, 50), T(2026, 12, 1, 10, 12)), (w1 - dt.timedelta(minutes=2), w1)]
    assert av_rules.uncovered(w0, w1, spans) == [(T(2026, 12, 1, 10, 12), T(2026, 12, 1, 11, 58))]
    assert av_rules.uncovered(w0, w1, []) == [(w0, w1)]
    # overlapping and nested spans, a span after the window
    spans = [
        (w0, T(2026, 12, 1, 11)),
        (T(2026, 12, 1, 10, 30), T(2026, 12, 1, 10, 40)),
        (T(2026, 12, 1, 10, 59), w1),
        (T(2026, 12, 1, 13), T(2026, 12, 1, 14)),
    ]
    assert av_rules.uncovered(w0, w1, spans) == []
    # a 45-second gap: listed without tolerance, not with 60 s
    spans = [(w0, T(2026, 12, 1, 11)), (T(2026, 12, 1, 11, 0, 45), w1)]
    assert av_rules.uncovered(w0, w1, spans) == [(T(2026, 12, 1, 11), T(2026, 12, 1, 11, 0, 45))]
    assert av_rules.uncovered(w0, w1, spans, 60) == []


def test_ten_of_120_minutes_lists_110_uncovered(db, tmp_path):  # noqa: F811
    cid = _case(db)
    windows.add_window(db, "案1", "查封扣押", T(2026, 12, 1, 10), T(2026, 12, 1, 12), "扣押车辆")
    _files(db, tmp_path, "案1", "查封扣押", [(T(2026, 12, 1, 10), 600)])
    f = _found(db)
    assert len(f) == 1
    assert (f[0].subject, f[0].ref, f[0].entity, f[0].entity_id) == (
        "案1",
        "查封扣押 2026-12-01 10:00",
        "case",
        cid,
    )
    assert "10:10–12:00 无音像记录，共110分钟" in f[0].detail
    assert "合计 110 分钟" in f[0].detail
    assert av_rules.is_partial(f[0])
    assert "2026-12-01 10:00–12:00（120分钟）" in f[0].detail


def test_two_abutting_files_cover_the_window(db, tmp_path):  # noqa: F811
    _case(db)
    windows.add_window(db, "案1", "查封扣押", T(2026, 12, 1, 10), T(2026, 12, 1, 12))
    _files(
        db, tmp_path, "案1", "查封扣押", [(T(2026, 12, 1, 10), 3600), (T(2026, 12, 1, 11), 3600)]
    )
    assert _found(db) == []


def test_gap_between_files_and_tolerance_setting(db, tmp_path):  # noqa: F811
    _case(db)
    windows.add_window(db, "案1", "查封扣押", T(2026, 12, 1, 10), T(2026, 12, 1, 12))
    # a 70-second gap (11:00:00–11:01:10) and a late start (10:00:00–10:00:20)
    _files(
        db,
        tmp_path,
        "案1",
        "查封扣押",
        [(T(2026, 12, 1, 10, 0, 20), 3580), (T(2026, 12, 1, 11, 1, 10), 3530)],
    )
    assert _found(db) == []  # default tolerance 90 s
    with db.begin() as s:
        settings.set_value(s, av_settings.AV_COVERAGE_GAP, 60)
    f = _found(db)
    assert len(f) == 1
    assert "11:00–11:01 无音像记录，共1分钟" in f[0].detail
    assert "10:00–10:00" not in f[0].detail  # the 20-second late start stays within 60 s
    with db.begin() as s:
        settings.set_value(s, av_settings.AV_COVERAGE_GAP, 0)
    f = _found(db)
    assert f[0].detail.count("无音像记录") == 2


def test_window_without_files_and_activity_without_window(db, tmp_path):  # noqa: F811
    _case(db, "案1", ("查封扣押", "强制拆除", "现场检查"))
    windows.add_window(db, "案1", "查封扣押", T(2026, 12, 1, 10), T(2026, 12, 1, 11, 30))
    # files of another activity of the same case do not cover the seizure
    _files(db, tmp_path, "案1", "现场检查", [(T(2026, 12, 1, 10), 5400)])
    f = sorted(_found(db), key=lambda x: x.ref)
    assert [x.ref for x in f] == ["强制拆除", "查封扣押 2026-12-01 10:00"]
    assert "只核对了有无记录" in f[0].detail
    assert not av_rules.is_partial(f[0]) and not av_rules.is_partial(f[1])
    assert "没有该案件的「查封扣押」记录" in f[1].detail
    assert "10:00–11:30 无音像记录，共90分钟" in f[1].detail
    # an activity with a window but not in the setting is not checked
    windows.add_window(db, "案1", "现场检查", T(2026, 12, 2, 10), T(2026, 12, 2, 11))
    assert len(_found(db)) == 2


def test_windows_validated_edited_with_the_case_and_audited(db):  # noqa: F811
    cid = _case(db, "案1", ("查封扣押",))
    with pytest.raises(ValidationError, match="未记录执法活动「强制拆除」"):
        windows.add_window(db, "案1", "强制拆除", T(2026, 12, 1, 10), T(2026, 12, 1, 11))
    with pytest.raises(ValidationError, match="不晚于开始时间"):
        windows.add_window(db, "案1", "查封扣押", T(2026, 12, 1, 10), T(2026, 12, 1, 10))
    with pytest.raises(ValidationError, match="超过 7 天"):
        windows.add_window(db, "案1", "查封扣押", T(2026, 12, 1, 10), T(2027, 12, 1, 10))
    assert windows.parse_datetime("2026年12月1日 10时12分") == T(2026, 12, 1, 10, 12)
    assert windows.parse_datetime("2026/12/1 10:12:30") == T(2026, 12, 1, 10, 12, 30)
    w = windows.add_window(db, "案1", "查封扣押", T(2026, 12, 1, 10), T(2026, 12, 1, 11))
    svc = CaseService(db)
    view = svc.get(cid)
    # the editor's save: the window moved, a second added
    w.ended_at = T(2026, 12, 1, 11, 30)
    extra = windows.WindowView(None, "案1", "查封扣押", T(2026, 12, 2, 9), T(2026, 12, 2, 10))
    svc.save(view, cid, today=TODAY, windows=[w, extra])
    got = windows.windows_of(db, cid)
    assert [(x.id, x.started_at, x.ended_at) for x in got] == [
        (w.id, T(2026, 12, 1, 10), T(2026, 12, 1, 11, 30)),
        (got[1].id, T(2026, 12, 2, 9), T(2026, 12, 2, 10)),
    ]
    svc.save(view, cid, today=TODAY, windows=[extra])  # the first removed
    assert [x.started_at for x in windows.windows_of(db, cid)] == [T(2026, 12, 2, 9)]
    svc.delete(cid)  # the windows go with the case, through the ORM
    with db.session() as s:
        assert s.query(CaseActivityWindow).count() == 0
        res = audit.verify(s)
        assert res.ok, res.problem
        hist = audit.history(s, "case_activity_window", w.id)
    assert [h.action for h in hist][:1] == ["create"] and len(hist) == 3


def test_cli_case_activity(tmp_path, capsys):
    dbp = str(tmp_path / "c.sqlite")
    from dbtemplate import fresh_db

    d = fresh_db(dbp)
    _case(d, "交执〔2026〕7号", ("查封扣押",))
    d.close()
    code = cli.main(
        [
            "--db",
            target(dbp),
            "case",
            "activity",
            "add",
            "交执〔2026〕7号",
            "--activity",
            "查封扣押",
            "--start",
            "2026-12-01 10:00",
            "--end",
            "2026-12-01 12:00",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "120 分钟" in out
    assert cli.main(["--db", target(dbp), "case", "activity", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["case_no"], r["activity"], r["minutes"]) for r in rows] == [
        ("交执〔2026〕7号", "查封扣押", 120)
    ]
    code = cli.main(["--db", target(dbp), "check", "--json"])
    found = json.loads(capsys.readouterr().out)["findings"]
    mine = [f for f in found if f["rule"] == "av_missing_full_process"]
    assert [f["ref"] for f in mine] == ["查封扣押 2026-12-01 10:00"]
    assert "10:00–12:00 无音像记录，共120分钟" in mine[0]["detail"]
    assert (
        cli.main(["--db", target(dbp), "case", "activity", "delete", "--id", str(rows[0]["id"])])
        == 0
    )
    capsys.readouterr()
    assert cli.main(["--db", target(dbp), "audit", "verify"]) == 0


def test_undo_of_a_case_delete_brings_its_windows_back(db):  # noqa: F811
    from brigade_desk.core import undo
    from brigade_desk.core.changes import Changes

    cid = _case(db)
    w = windows.add_window(db, "案1", "查封扣押", T(2026, 12, 1, 10), T(2026, 12, 1, 12), "扣押")
    with undo.deleting(db, "案件 案1", Changes.CASES) as batches:
        CaseService(db).delete(cid)
    assert windows.list_windows(db) == []
    undo.undo(db, batches[0])
    back = windows.windows_of(db, cid)
    assert [(x.id, x.started_at, x.ended_at, x.notes) for x in back] == [
        (w.id, w.started_at, w.ended_at, "扣押")
    ]
    with db.session() as s:
        assert audit.verify(s).ok


def test_annual_recording_part_counts_absent_and_partial_apart(db, tmp_path):  # noqa: F811
    from brigade_desk.ledgers.av.report_parts import recording_part

    _case(db, "案1")
    _case(db, "案2")
    windows.add_window(db, "案1", "查封扣押", T(2026, 12, 1, 10), T(2026, 12, 1, 12))
    _files(db, tmp_path, "案1", "查封扣押", [(T(2026, 12, 1, 10), 600)])
    with db.session() as s:
        paras, rows = recording_part(s, 2026, TODAY)
    got = {r[0]: r[1] for r in rows}
    assert got["缺少全程音像记录的执法活动（项）"] == 1  # 案2: no recording at all
    assert got["音像记录未覆盖全程的执法时段（个）"] == 1  # 案1: 10 of 120 minutes
    assert "1个登记了起止时间的执法活动时段音像记录未覆盖全程" in paras[0]
