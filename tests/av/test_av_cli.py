import datetime as dt
import json

import pytest
from av_fixtures import write
from dbtemplate import fresh_db, new_target, target
from openpyxl import load_workbook

from brigade_desk.app import cli
from brigade_desk.app.demo import fill


def run(capsys, *argv):
    code = cli.main([*argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_ingest_verify_json(tmp_path, capsys):
    dbp = new_target(tmp_path / "c.sqlite")
    src = tmp_path / "卡"
    f1 = write(src / "012345_DSJ-A0001_20240315083012_0007.mp4", b"one")
    write(src / "20240315090000_1.mp4", b"two")
    write(src / "copy.mp4", b"two")
    write(src / "readme.txt", b"x")
    code, out, _ = run(
        capsys,
        "--db",
        target(dbp),
        "av",
        "ingest",
        str(src),
        "--case",
        "案1",
        "--activity",
        "查封扣押",
        "--copy-to",
        str(tmp_path / "归档"),
        "--workers",
        "2",
        "--json",
    )
    assert code == 0
    j = json.loads(out)
    assert (j["added"], j["duplicates"], j["skipped"], j["bytes"]) == (2, 1, 1, 6)
    assert isinstance(j["seconds"], float)
    code, out, _ = run(
        capsys, "--db", target(dbp), "av", "ingest", "--in-place", str(src), "--json"
    )
    assert json.loads(out)["added"] == 0
    code, out, _ = run(capsys, "--db", target(dbp), "av", "verify", "--json")
    j = json.loads(out)
    assert code == 0 and (j["checked"], j["ok"], j["modified"], j["missing"], j["moved"]) == (
        2,
        2,
        [],
        [],
        [],
    )
    archived = next((tmp_path / "归档").rglob(f1.name))
    archived.write_bytes(b"ONE")
    code, out, _ = run(capsys, "--db", target(dbp), "av", "verify", "--json")
    j = json.loads(out)
    assert code == 1 and j["modified"] == [str(archived)] and j["ok"] == 1
    code, out, _ = run(capsys, "--db", target(dbp), "check", "--json")
    rules = [f["rule"] for f in json.loads(out)["findings"]]
    assert rules.count("av_integrity") == 1
    code, out, _ = run(capsys, "--db", target(dbp), "av", "roots", "--json")
    assert sorted(r["archive"] for r in json.loads(out)) == [False, True]


def test_cli_errors(tmp_path, capsys):
    dbp = new_target(tmp_path / "c.sqlite")
    code, _out, err = run(
        capsys, "--db", target(dbp), "av", "ingest", "--in-place", str(tmp_path / "无此文件夹")
    )
    assert code == 1 and "文件夹不存在" in err
    try:
        cli.main(
            ["--db", target(dbp), "av", "ingest", "--in-place", str(tmp_path), "--activity", "巡逻"]
        )
    except SystemExit as e:
        assert e.code == 2
    code, _out, err = run(
        capsys, "--db", target(dbp), "export", "av", "--out", str(tmp_path / "x.xlsx")
    )
    assert code == 1 and "--year" in err


def test_demo_small_then_verify_and_export(tmp_path, capsys):
    dbp = tmp_path / "d.sqlite"
    db = fresh_db(dbp)
    counts = fill(db, size="small", seed=3, today=dt.date(2026, 11, 23))
    db.close()
    assert counts["av_records"] > 20
    assert (
        db.path.parent / "demo_av" / "待入库"
    ).is_dir()  # beside the ledger (a server's: its home)
    code, out, _ = run(capsys, "--db", target(dbp), "av", "verify", "--json")
    j = json.loads(out)
    assert code == 1 and len(j["modified"]) == 1 and len(j["missing"]) == 1
    assert j["ok"] == counts["av_records"] - 2
    code, out, _ = run(
        capsys,
        "--db",
        target(dbp),
        "av",
        "ingest",
        "--in-place",
        str(db.path.parent / "demo_av" / "待入库"),
        "--json",
    )
    assert json.loads(out)["added"] == 6
    out_x = tmp_path / "音像台账.xlsx"
    code, _o, _e = run(
        capsys, "--db", target(dbp), "export", "av", "--year", "2026", "--out", str(out_x)
    )
    assert code == 0
    wb = load_workbook(out_x)
    assert wb.sheetnames == ["音像记录台账", "分类汇总", "问题清单", "文件校验"]
    ws = wb["音像记录台账"]
    assert "执法音像记录台账（2026年度）" in ws["A1"].value
    assert [c.value for c in ws[3]][:5] == ["序号", "案件编号", "执法对象", "执法活动", "拍摄时间"]
    data_rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    files = [
        r for r in wb["文件校验"].iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)
    ]
    assert len(data_rows) >= 1 and len(files) == len(data_rows)
    assert all(len(r[4]) == 64 for r in files)  # SHA-256 on the detail sheet
    assert all(r[4].year == 2026 for r in data_rows)
    probs = [
        r for r in wb["问题清单"].iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)
    ]
    assert [r[1] for r in probs].count("音像记录被修改或缺失") == 2
    # cases of the case register that need full-process recording and have none are listed too
    assert {r[1] for r in probs} <= {"音像记录被修改或缺失", "案件缺少全程音像记录"}
    total = [r for r in wb["分类汇总"].iter_rows(min_row=4, values_only=True) if r[0] == "合计"][0]
    assert total[1] == len(data_rows)
    # quarter filter
    out_q = tmp_path / "q.xlsx"
    assert (
        run(
            capsys,
            "--db",
            target(dbp),
            "export",
            "av",
            "--year",
            "2026",
            "--quarter",
            "4",
            "--out",
            str(out_q),
        )[0]
        == 0
    )
    wq = load_workbook(out_q)["音像记录台账"]
    qrows = [r for r in wq.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert all(r[4].month >= 10 for r in qrows) and len(qrows) < len(data_rows)


@pytest.mark.sqlite_only(reason="the large demo is written by SQLite's own bulk writer (copy-db)")
def test_demo_large_bulk_rows(tmp_path, monkeypatch):
    from sqlalchemy import func, select

    from brigade_desk.ledgers.av import demo as demo_av
    from brigade_desk.ledgers.av.models import AvRecord

    monkeypatch.setattr(demo_av, "LARGE_ROWS", 3000)
    db = fresh_db(tmp_path / "l.sqlite")
    counts = fill(db, size="large", seed=1, today=dt.date(2026, 11, 23))
    with db.session() as s:
        assert s.scalar(select(func.count(AvRecord.id))) == counts["av_records"] == 3000
        lo, hi = s.execute(
            select(func.min(AvRecord.media_start), func.max(AvRecord.media_start))
        ).one()
        assert (hi - lo).days > 9 * 365 and isinstance(lo, dt.datetime)
        assert s.scalar(select(func.count()).where(AvRecord.case_no != "")) > 500
    db.close()
