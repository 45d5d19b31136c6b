"""Rolling verification within a time budget: the order (case-linked and permanent first, never
verified first of all, then the longest unverified, evidence with a head start), the stop when the budget is spent (a huge file counts
whole), modified / missing / moved apart, and the share verified in the last 30/90 days. Real files
and real hashing; only the budget's clock is simulated (time advanced in proportion to the bytes)."""

import datetime as dt
import json

import pytest
from av_fixtures import db, write  # noqa: F401
from dbtemplate import target
from sqlalchemy import select

from brigade_desk.app import cli
from brigade_desk.core import audit
from brigade_desk.ledgers.av import verify as av_verify
from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.av.models import AvRecord, AvRecordCheck, AvVerifyRun

SECONDS_PER_KB = 25.0  # the simulated disk: 1,000 bytes take 25 s on the budget's clock


class SlowDisk:
    """The budget's clock, advanced by every real hash in proportion to the bytes read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1000.0
        self.hashed: list[str] = []
        real = av_verify.hash_file

        def hash_file(path, **kw):
            out = real(path, **kw)
            self.hashed.append(path.name)
            self.now += path.stat().st_size / 1000 * SECONDS_PER_KB
            return out

        monkeypatch.setattr(av_verify, "hash_file", hash_file)
        monkeypatch.setattr(av_verify, "_clock", lambda: self.now)


def _ids(db):  # noqa: F811
    with db.session() as s:
        return {r.file_name.split("_")[1].split(".")[0]: r for r in s.scalars(select(AvRecord))}


def _library(db, tmp_path, big=1000):  # noqa: F811
    """P1 P2: evidence of a case; P3: 查封扣押 without a case (kept permanently); L1–L3: 现场检查
    (kept 1 year). P1 holds ``big`` bytes, the others 1,000 bytes each."""
    groups = [
        (
            "案",
            IngestOptions(case_no="交执〔2026〕1号", activity="查封扣押", in_place=True),
            ["P1", "P2"],
        ),
        ("查封", IngestOptions(activity="查封扣押", in_place=True), ["P3"]),
        ("检查", IngestOptions(activity="现场检查", in_place=True), ["L1", "L2", "L3"]),
    ]
    files = {}
    for n, (folder, opts, names) in enumerate(groups):
        for k, name in enumerate(names):
            size = big if name == "P1" else 1000
            p = write(
                tmp_path / "库 #1 %" / folder / f"2026110{n + 1}08000{k}_{name}.mp4",
                name.encode() * (size // 2),
            )
            files[name] = p
        assert ingest(db, tmp_path / "库 #1 %" / folder, opts).added == len(names)
    recs = _ids(db)
    assert recs["P3"].retention_years is None and recs["L1"].retention_years == 1
    return files, {k: r.id for k, r in recs.items()}


def test_order_case_and_permanent_first_then_oldest_verified(db, tmp_path):  # noqa: F811
    files, ids = _library(db, tmp_path)
    for name in ("L2", "P2", "L1"):  # verified in this order: L2 longest ago
        av_verify.verify(db, [ids[name]], workers=1)
    res = av_verify.verify_budget(db, 60, workers=1)
    want = ["P1", "P3", "L3", "P2", "L2", "L1"]  # never verified first of all
    assert res.order == [ids[n] for n in want]
    assert (res.checked, res.ok, res.total, res.remaining) == (6, 6, 6, 0)
    assert not res.stopped_by_budget
    # the next run: all were verified together (one batch, one time), the groups stay first
    av_verify.verify(db, [ids["P1"]], workers=1)  # P1 now the most recent of its group
    res2 = av_verify.verify_budget(db, 60, workers=1)
    assert res2.order == [ids[n] for n in ["P2", "P3", "P1", "L1", "L2", "L3"]]


def test_budget_stops_between_files_and_the_next_run_continues(
    db,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    files, ids = _library(db, tmp_path)
    disk = SlowDisk(monkeypatch)
    res = av_verify.verify_budget(db, 1, workers=1)  # 60 s: files start at 0, 25, 50 s
    assert disk.hashed == [files[n].name for n in ("P1", "P2", "P3")]
    assert (res.checked, res.ok, res.remaining, res.stopped_by_budget) == (3, 3, 3, True)
    assert res.elapsed_s == pytest.approx(75)
    assert "本次未轮到 3 个" in res.summary()
    with db.session() as s:
        run = s.get(AvVerifyRun, res.run_id)
        assert (run.checked, run.scope) == (3, "限时 1 分钟")
        checked = set(s.scalars(select(AvRecordCheck.record_id)))
    assert checked == {ids["P1"], ids["P2"], ids["P3"]}
    disk.hashed.clear()
    res = av_verify.verify_budget(db, 1, workers=1)
    assert disk.hashed == [files[n].name for n in ("L1", "L2", "L3")]
    assert res.remaining == 3 and res.order[:3] == [ids["L1"], ids["L2"], ids["L3"]]


def test_a_huge_file_counts_whole(db, tmp_path, monkeypatch):  # noqa: F811
    files, _ids_ = _library(db, tmp_path, big=10_000)  # P1 takes 250 s of a 60 s budget
    disk = SlowDisk(monkeypatch)
    res = av_verify.verify_budget(db, 1, workers=1)
    assert disk.hashed == [files["P1"].name]
    assert (res.checked, res.remaining, res.stopped_by_budget) == (1, 5, True)
    assert res.elapsed_s == pytest.approx(250)
    # two workers: two files in flight when the budget runs out, both finished and counted
    disk.hashed.clear()
    res = av_verify.verify_budget(db, 1, workers=2)
    assert res.checked >= 2 and res.checked + res.remaining == 6


def test_modified_missing_moved_reported_apart(db, tmp_path):  # noqa: F811
    files, ids = _library(db, tmp_path)
    files["P2"].write_bytes(b"X" * 1000)  # same size, other content
    files["L1"].unlink()
    moved = files["L2"].with_name("改名 #2.mp4")
    files["L2"].rename(moved)
    res = av_verify.verify_budget(db, 60, workers=2)
    assert res.modified == [str(files["P2"])]
    assert res.missing == [str(files["L1"])]
    assert res.moved == [{"from": str(files["L2"]), "to": str(moved)}]
    assert (res.checked, res.ok) == (6, 3)
    with db.session() as s:
        assert audit.verify(s).ok
        assert s.get(AvRecord, ids["L2"]).file_name == moved.name


def test_verified_share_and_cli(db, tmp_path, capsys):  # noqa: F811
    files, ids = _library(db, tmp_path)
    now = dt.datetime.now()
    assert [(x.days, x.verified, x.total) for x in av_verify.verified_share(db)] == [
        (30, 0, 6),
        (90, 0, 6),
    ]
    av_verify.verify(db, [ids["P1"], ids["P2"]], workers=1)
    later = now + dt.timedelta(days=45)  # 45 days on: outside the 30-day window, inside the 90
    shares = av_verify.verified_share(db, now=later)
    assert [(x.days, x.verified) for x in shares] == [(30, 0), (90, 2)]
    assert shares[1].text_zh() == "近 90 天校验 2/6 个（33.3%）"
    dbp = target(db)
    db.close()
    assert cli.main(["--db", target(dbp), "av", "verify", "--budget-minutes", "5", "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert (j["checked"], j["total"], j["remaining"], j["stopped_by_budget"]) == (6, 6, 0, False)
    assert cli.main(["--db", target(dbp), "av", "verify", "--budget-minutes", "0"]) == 1
    assert "限时应为大于 0" in capsys.readouterr().err
    assert cli.main(["--db", target(dbp), "av", "verify"]) == 0  # the full verify still works
    assert "校验 6 个：完好 6" in capsys.readouterr().out


def test_evidence_head_start_does_not_starve_the_others(db, tmp_path, monkeypatch):  # noqa: F811
    files, ids = _library(db, tmp_path)
    real_now = dt.datetime.now()

    def verify_days_ago(name, days):
        class Then(dt.datetime):
            @classmethod
            def now(cls, tz=None):
                return real_now - dt.timedelta(days=days)

        monkeypatch.setattr(av_verify.dt, "datetime", Then)
        try:
            av_verify.verify(db, [ids[name]], workers=1)
        finally:
            monkeypatch.setattr(av_verify.dt, "datetime", dt.datetime)

    for name, days in (("P1", 5), ("P2", 20), ("P3", 35), ("L1", 60), ("L2", 40), ("L3", 10)):
        verify_days_ago(name, days)
    # queued as: P3 -65, L1 -60, P2 -50, L2 -40, P1 -35, L3 -10 (evidence 30 days earlier)
    with db.session() as s:
        order = [r[0] for r in av_verify.budget_order(s)]
    assert order == [ids[n] for n in ("P3", "L1", "P2", "L2", "P1", "L3")]
    with db.session() as s:
        order = [r[0] for r in av_verify.budget_order(s, head_start_days=0)]
    assert order == [ids[n] for n in ("L1", "L2", "P3", "P2", "L3", "P1")]
