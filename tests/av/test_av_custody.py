"""音像证据清单: the custody report of a case (PDF), its manifest (re-checked by the real
``sha256sum -c``) and its JSON; paths with Chinese, spaces, # and %; fonts embedded."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from av_fixtures import add_staff, db, mp4_bytes, write  # noqa: F401
from dbtemplate import target
from sqlalchemy import select

from brigade_desk.app import cli
from brigade_desk.core import audit
from brigade_desk.core.errors import UserError
from brigade_desk.ledgers.av import custody
from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.av.models import AvRecord
from brigade_desk.ledgers.av.verify import verify

CASE = "交执罚〔2026〕12号"
NAMES = [
    "20261201100000_1.mp4",
    "现场 #1 %20 录像.mp4",
    "20261201103000_3.mp4",
]


def _case_files(db, tmp_path):  # noqa: F811
    officer = add_staff(db, "李执法")
    src = tmp_path / "证据 #卡 %1" / "子 目录"
    files = [
        write(src / name, mp4_bytes(600 + 60 * n, f"clip {n} {name}".encode()))
        for n, name in enumerate(NAMES)
    ]
    write(tmp_path / "其他" / "20261201110000_9.mp4", mp4_bytes(30, b"not this case"))
    res = ingest(
        db,
        tmp_path / "证据 #卡 %1",
        IngestOptions(
            case_no=CASE,
            activity="查封扣押",
            officer_id=officer,
            device_no="DSJ-X01",
            in_place=True,
        ),
    )
    assert res.added == 3, res.errors
    assert ingest(db, tmp_path / "其他", IngestOptions(in_place=True)).added == 1
    return files


def _sha256sum_check(manifest: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sha256sum", "-c", str(manifest)], capture_output=True, text=True, cwd=cwd
    )


def test_custody_report_manifest_and_pdf(db, tmp_path):  # noqa: F811
    import datetime as dt

    from brigade_desk.ledgers.cases import windows
    from brigade_desk.ledgers.cases.models import CaseRecord

    with db.begin() as s:
        s.add(
            CaseRecord(case_no=CASE, cause="超限运输", party="某物流公司", activities=["查封扣押"])
        )
    # 10:00–10:10 (file 1, 600 s) and 10:30–10:42 (file 3, 720 s): 10:10–10:30 and 10:42–11:00 open
    windows.add_window(
        db, CASE, "查封扣押", dt.datetime(2026, 12, 1, 10), dt.datetime(2026, 12, 1, 11)
    )
    files = _case_files(db, tmp_path)
    verify(db)
    verify(db)
    out_dir = tmp_path / "导出 #2 %"
    out_dir.mkdir()
    res = custody.export_custody(db, CASE, out_dir / "音像证据清单.pdf")
    assert res.files == 3
    assert res.manifest == out_dir / "音像证据清单.sha256"
    assert res.json == out_dir / "音像证据清单.json"
    with db.session() as s:
        recs = {r.file_name: r for r in s.scalars(select(AvRecord).where(AvRecord.case_no == CASE))}
        entries = s.connection().exec_driver_sql("SELECT count(*) FROM audit_log").scalar()
        user = audit.history(s, "av_record", recs[NAMES[0]].id)[0].user
    hashes = {r.sha256 for r in recs.values()}
    assert len(hashes) == 3

    # the manifest: sha256sum format, absolute paths, every file of the case and no other
    lines = res.manifest.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    for line in lines:
        h, p = line.split("  ", 1)
        assert h in hashes and Path(p).is_absolute() and Path(p).exists()
    assert {Path(line.split("  ", 1)[1]).name for line in lines} == set(NAMES)
    if shutil.which("sha256sum"):
        done = _sha256sum_check(res.manifest, tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.count(": OK") == 3
        files[1].write_bytes(files[1].read_bytes()[:-1] + b"!")  # tampered after the report
        done = _sha256sum_check(res.manifest, tmp_path)
        assert done.returncode == 1 and done.stdout.count(": OK") == 2
        assert "FAILED" in done.stdout

    # the JSON: the same facts
    j = json.loads(res.json.read_text(encoding="utf-8"))
    assert j["case_no"] == CASE and j["audit_entries"] == entries
    assert (
        j["audit_head"]
        .rsplit(":", 1)[1]
        .startswith(j["audit_text"].split("末条摘要 ")[1].rstrip("…"))
    )
    by_name = {x["file_name"]: x for x in j["files"]}
    first = by_name[NAMES[0]]
    assert first["sha256"] == recs[NAMES[0]].sha256
    assert first["duration_s"] == pytest.approx(600)
    assert (first["device_no"], first["officers"]) == ("DSJ-X01", ["李执法"])
    assert first["ingest_operator"] == user and user
    assert first["batch_folder"].endswith("证据 #卡 %1")
    assert [c["status"] for c in first["checks"]] == ["ok", "ok"]
    assert {x["path"] for x in j["files"]} == {line.split("  ", 1)[1] for line in lines}
    assert (j["cause"], j["party"]) == ("超限运输", "某物流公司")
    [win] = j["windows"]
    assert (win["activity"], win["minutes"], win["files"], win["uncovered_minutes"]) == (
        "查封扣押",
        60,
        3,  # the third file takes its time from the file (today): outside the window
        38,
    )
    assert [(g["from"][11:16], g["to"][11:16]) for g in win["uncovered"]] == [
        ("10:10", "10:30"),
        ("10:42", "11:00"),
    ]

    # the PDF: every hash in its text, the audit stamp in the footer, all fonts embedded
    with pdfplumber.open(res.pdf) as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages)
    flat = re.sub(r"\s+", "", text)
    for h in hashes:
        assert h in flat
    assert CASE in flat and "李执法" in flat and "DSJ-X01" in flat
    assert re.sub(r"\s+", "", j["audit_text"]) in flat
    assert j["audit_head"] in flat
    assert "完好" in flat and "10:00" in flat
    assert "10:10–10:30（20分钟）；10:42–11:00（18分钟），合计38分钟" in flat
    if shutil.which("pdffonts"):
        rows = subprocess.run(
            ["pdffonts", str(res.pdf)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert rows
        for row in rows:
            assert re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+", row), row
            emb = row.split()[-5]
            assert emb == "yes", row


def test_custody_cli_and_refusals(db, tmp_path, capsys):  # noqa: F811
    _case_files(db, tmp_path)
    dbp = target(db)
    db.close()
    out = tmp_path / "清单 #3" / "案 12 号 100%.pdf"
    out.parent.mkdir()
    assert cli.main(["--db", target(dbp), "av", "custody", CASE, "--out", str(out), "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["files"] == 3 and Path(j["sha256"]).name == "案 12 号 100%.sha256"
    assert out.exists() and Path(j["json"]).exists()
    if shutil.which("sha256sum"):
        done = _sha256sum_check(Path(j["sha256"]), tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
    assert cli.main(["--db", target(dbp), "av", "custody", "没有的案号", "--out", str(out)]) == 1
    assert "没有案号为 没有的案号 的音像文件" in capsys.readouterr().err
    assert cli.main(["--db", target(dbp), "audit", "verify"]) == 0


def test_no_files_is_refused(db, tmp_path):  # noqa: F811
    with pytest.raises(UserError, match="没有案号为"):
        custody.export_custody(db, CASE, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.skipif(os.name == "nt", reason="a backslash is a separator on Windows")
def test_manifest_escapes_a_backslash_in_a_name(tmp_path):
    p = write(tmp_path / "a\\b #1.mp4", b"odd name")
    import hashlib

    h = hashlib.sha256(b"odd name").hexdigest()
    line = custody.manifest_line(h, str(p))
    assert line.startswith("\\" + h + "  ") and "a\\\\b" in line
    m = tmp_path / "m.sha256"
    m.write_text(line + "\n", encoding="utf-8")
    if shutil.which("sha256sum"):
        done = _sha256sum_check(m, tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
