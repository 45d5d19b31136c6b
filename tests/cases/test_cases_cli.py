"""Command line, demo, exports and PDFs of the case ledger, end to end."""

from __future__ import annotations

import json
import shutil
import subprocess

import openpyxl
import pytest
from cases_support import D
from dbtemplate import copy_target, fresh_db, target

from brigade_desk.app.cli import main
from brigade_desk.app.demo import fill
from brigade_desk.core.db import open_database
from brigade_desk.ledgers.cases.review import ItemScore, ReviewService, ScoreInput


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    db = fresh_db(path)
    counts = fill(db, size="small", seed=3, today=D(2026, 11, 20))
    db.close()
    assert 200 <= counts["cases"] <= 400 and counts["case_reviews"] > 20
    return target(path)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_sample_json_and_reproducible(demo_db, tmp_path, capsys):
    copy = copy_target(demo_db, tmp_path / "copy.sqlite")
    code, out, _ = run(
        capsys, "--db", target(copy), "review", "sample", "--year", 2026, "--seed", 99, "--json"
    )
    assert code == 0
    d = json.loads(out)
    assert (
        d["year"] == 2026
        and d["seed"] == 99
        and set(d["cases"]) <= {"行政处罚", "行政强制", "行政检查", "行政许可", "其他"}
    )
    for cat, nos in d["cases"].items():
        assert len(nos) == min(10, d["population"][cat])
    copy2 = copy_target(demo_db, tmp_path / "copy2.sqlite")
    code, out2, _ = run(
        capsys, "--db", target(copy2), "review", "sample", "--year", 2026, "--seed", 99, "--json"
    )
    assert json.loads(out2)["cases"] == d["cases"]
    code, _, err = run(
        capsys, "--db", target(copy), "review", "sample", "--year", 2026, "--seed", 5
    )
    assert code == 1 and "重新抽取" in err
    no = d["cases"]["行政处罚"][0]
    code, _, _ = run(
        capsys,
        "--db",
        target(copy),
        "review",
        "add",
        "--year",
        2026,
        "--reason",
        "投诉",
        [
            n
            for n in [
                "乐交执罚〔2026〕1号",
                "乐交执罚〔2026〕2号",
                "乐交执罚〔2026〕3号",
                "乐交执罚〔2026〕4号",
                "乐交执罚〔2026〕5号",
                "乐交执罚〔2026〕6号",
                "乐交执罚〔2026〕7号",
                "乐交执罚〔2026〕8号",
                "乐交执罚〔2026〕9号",
                "乐交执罚〔2026〕10号",
                "乐交执罚〔2026〕11号",
            ]
            if n not in d["cases"]["行政处罚"]
        ][0],
    )
    assert code == 0
    code, out, _ = run(capsys, "--db", target(copy), "review", "sample", "--year", 2026, "--json")
    assert len(json.loads(out)["manual"]) == 1 and no in json.loads(out)["cases"]["行政处罚"]


def test_pdfs_embed_fonts_and_render(demo_db, tmp_path, capsys):
    db = open_database(demo_db)
    svc = ReviewService(db)
    reviewed = svc.reviews(2025)
    db.close()
    assert reviewed
    case_no = reviewed[0][0].case_no
    for args, name in (([], "filled.pdf"), (["--blank"], "blank.pdf")):
        code, out, err = run(
            capsys,
            "--db",
            target(demo_db),
            "review",
            "pdf",
            case_no,
            "--out",
            tmp_path / name,
            *args,
        )
        assert code == 0, err
    code, _, err = run(
        capsys,
        "--db",
        target(demo_db),
        "review",
        "report",
        "--year",
        2025,
        "--out",
        tmp_path / "report.pdf",
    )
    assert code == 0, err
    code, _, err = run(
        capsys,
        "--db",
        target(demo_db),
        "review",
        "pdf",
        "all",
        "--year",
        2025,
        "--blank",
        "--out",
        tmp_path / "all.pdf",
    )
    assert code == 0, err
    code, _, err = run(
        capsys, "--db", target(demo_db), "review", "pdf", "all", "--out", tmp_path / "y.pdf"
    )
    assert code == 1 and "--year" in err
    code, _, err = run(
        capsys,
        "--db",
        target(demo_db),
        "review",
        "pdf",
        "不存在的案号",
        "--out",
        tmp_path / "x.pdf",
    )
    assert code == 1 and "不存在" in err and not (tmp_path / "x.pdf").exists()
    if shutil.which("pdffonts") is None:
        pytest.skip("poppler-utils not installed")
    for name in ("filled.pdf", "blank.pdf", "report.pdf"):
        fonts = subprocess.run(
            ["pdffonts", tmp_path / name], capture_output=True, text=True, check=True
        ).stdout
        rows = fonts.splitlines()[2:]
        assert rows and all(" yes " in r for r in rows), fonts
        text = subprocess.run(
            ["pdftotext", "-layout", tmp_path / name, "-"], capture_output=True, text=True
        ).stdout
        # the checklists number 第 N 页 / 共 M 页; the 通报 is a 公文: "— 1 —"
        assert ("—1—" if name == "report.pdf" else "第1页/共") in text.replace(" ", "")
    every = subprocess.run(
        ["pdftotext", tmp_path / "all.pdf", "-"], capture_output=True, text=True
    ).stdout
    n_files = len(ReviewService(open_database(demo_db)).sample(2025).entries)
    # one checklist per sampled file: its title line (the 评查表 name also follows "评查表：")
    titles = [ln for ln in every.splitlines() if ln.strip() == "行政执法案卷评查表"]
    assert len(titles) == n_files
    assert every.replace(" ", "").count("第1页/共") == n_files  # page numbers restart per file
    filled = subprocess.run(
        ["pdftotext", tmp_path / "filled.pdf", "-"], capture_output=True, text=True
    ).stdout
    blank = subprocess.run(
        ["pdftotext", tmp_path / "blank.pdf", "-"], capture_output=True, text=True
    ).stdout
    assert case_no in filled and "评查人（签名）" in blank and "否决项" in blank
    assert "法制审核股" in filled and "法制审核股" not in blank
    report = subprocess.run(
        ["pdftotext", tmp_path / "report.pdf", "-"], capture_output=True, text=True
    ).stdout
    assert "2025年度行政执法案卷评查情况的通报" in report and "整改情况" in report


def test_export_reviews_xlsx(demo_db, tmp_path, capsys):
    code, _, err = run(
        capsys,
        "--db",
        target(demo_db),
        "export",
        "reviews",
        "--year",
        2025,
        "--out",
        tmp_path / "r.xlsx",
    )
    assert code == 0, err
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames == ["评查结果", "扣分明细", "整改台账"]
    ws = wb["评查结果"]
    assert "2025年度行政执法案卷评查结果" in ws["A1"].value and ws["A3"].value == "序号"
    assert ws.print_title_rows == "$3:$3" or ws.print_title_rows == "3:3"
    grades = {ws.cell(r, 13).value for r in range(4, ws.max_row + 1)} - {None}
    assert grades and grades <= {"优秀", "合格", "不合格", "未评查"}
    code, _, err = run(
        capsys, "--db", target(demo_db), "export", "reviews", "--out", tmp_path / "r2.xlsx"
    )
    assert code == 1 and "--year" in err


def test_import_and_holidays_cli(tmp_path, capsys):
    from test_cases_import import good_rows, workbook

    db = fresh_db(tmp_path / "x.sqlite")
    dbp = target(db)
    from cases_support import add_staff

    with db.begin() as s:
        add_staff(s, "张三")
        p = add_staff(s, "李四")
        p.certificates[0].cert_no = "C-LI-2"
        add_staff(s, "赵六")
    db.close()
    path = workbook(tmp_path / "导出.xlsx", good_rows())
    code, out, _ = run(capsys, "--db", target(dbp), "import", "cases", path, "--dry-run", "--json")
    got = json.loads(out)
    assert code == 0 and {k: got[k] for k in ("created", "updated", "skipped", "errors")} == {
        "created": 3,
        "updated": 0,
        "skipped": 0,
        "errors": [],
    }
    assert got["written"] is False and got["error_count"] == 0  # a dry run writes nothing
    code, out, _ = run(capsys, "--db", target(dbp), "import", "cases", path, "--json")
    assert json.loads(out)["created"] == 3
    code, out, _ = run(capsys, "--db", target(dbp), "holidays", "show", "--year", 2027)
    assert code == 1 and "尚未录入" in out
    code, out, _ = run(
        capsys,
        "--db",
        target(dbp),
        "holidays",
        "set",
        "--year",
        2027,
        "--holidays",
        "2027-01-01~2027-01-03 元旦;2027-02-06~2027-02-12 春节",
        "--workdays",
        "2027-02-14",
    )
    assert code == 0 and "放假 10 天" in out
    code, out, _ = run(capsys, "--db", target(dbp), "holidays", "show", "--year", 2027)
    assert code == 0 and "调休上班 2027-02-14" in out
    code, _, err = run(
        capsys, "--db", target(dbp), "holidays", "set", "--year", 2027, "--holidays", "2027-02-30"
    )
    assert code == 1 and "放假日期第 1 行" in err


def test_check_json_includes_case_rules(demo_db, capsys):
    code, out, _ = run(capsys, "--db", target(demo_db), "check", "--as-of", "2026-11-20", "--json")
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert code == 0 and rules & {
        "publication_overdue",
        "filing_overdue",
        "hearing_notice_missing",
        "case_officers_insufficient",
        "legal_review_missing",
    }
    assert ScoreInput and ItemScore


def test_export_case_register(demo_db, tmp_path, capsys):
    code, _, err = run(
        capsys,
        "--db",
        target(demo_db),
        "export",
        "cases",
        "--year",
        2025,
        "--as-of",
        "2026-11-20",
        "--out",
        tmp_path / "c.xlsx",
    )
    assert code == 0, err
    ws = openpyxl.load_workbook(tmp_path / "c.xlsx").active
    assert "2025年度行政执法案件台账" in ws["A1"].value and ws["B3"].value == "案号"
    nos = [
        ws.cell(r, 2).value
        for r in range(4, ws.max_row + 1)
        if str(ws.cell(r, 2).value or "").startswith("乐交执")
    ]
    assert len(nos) > 100 and all("〔2025〕" in n for n in nos)
    problems = [ws.cell(r, 23).value for r in range(4, ws.max_row + 1) if ws.cell(r, 23).value]
    assert problems
    code, _, err = run(
        capsys,
        "--db",
        target(demo_db),
        "export",
        "cases",
        "--year",
        2001,
        "--out",
        tmp_path / "n.xlsx",
    )
    assert code == 1 and "没有立案" in err


def test_review_pdfs_are_exports(demo_db, tmp_path, capsys):
    """``export checklist|checklist-blank|checklists|checklists-blank|review-report`` make the same
    PDFs as ``review pdf|report`` (which run these ExportDefs), and refuse what they lack."""
    from pathlib import Path

    from brigade_desk.app.ledgers import REGISTRY
    from brigade_desk.core.errors import UserError
    from brigade_desk.core.ledger import ExportRequest

    db = open_database(demo_db)
    case_no = ReviewService(db).reviews(2025)[0][0].case_no
    db.close()
    made = {}
    for key, extra in (
        ("checklist", [case_no, "--year", 2025]),
        ("checklist-blank", [case_no]),
        ("checklists", ["--year", 2025]),
        ("checklists-blank", ["--year", 2025]),
        ("review-report", ["--year", 2025, "--as-of", "2026-01-15"]),
    ):
        out = tmp_path / f"{key}.pdf"
        code, said, err = run(capsys, "--db", target(demo_db), "export", key, *extra, "--out", out)
        assert code == 0, err
        assert f"已导出：{out}" in said and out.stat().st_size > 1000
        made[key] = out
    # refused before the database is opened, in Chinese; nothing written
    for key, extra, message in (
        ("checklist", [], "请给出案号"),
        ("checklist-blank", [], "请给出案号"),
        ("checklists", [], "请指定年度"),
        ("review-report", [], "请指定年度"),
        ("checklist", [case_no, "--year", 2025], "输出文件应为 .pdf"),
    ):
        bad = tmp_path / ("bad.xlsx" if "pdf" in message else "bad.pdf")
        code, _, err = run(capsys, "--db", target(demo_db), "export", key, *extra, "--out", bad)
        assert code == 1 and message in err, (key, err)
        assert not bad.exists()
    exports = REGISTRY.exports()
    assert {exports[k].target for k in ("checklist", "checklist-blank")} == {"case"}
    with pytest.raises(UserError, match="请给出案号"):
        exports["checklist"].check(ExportRequest(Path("x.pdf"), target=""))
    # the old commands give the same documents
    old = tmp_path / "old-report.pdf"
    code, said, err = run(
        capsys,
        "--db",
        target(demo_db),
        "review",
        "report",
        "--year",
        2025,
        "--as-of",
        "2026-01-15",
        "--out",
        old,
    )
    assert code == 0 and f"已生成评查结果通报：{old}" in said, err
    old_all = tmp_path / "old-all.pdf"
    code, said, err = run(
        capsys,
        "--db",
        target(demo_db),
        "review",
        "pdf",
        "all",
        "--year",
        2025,
        "--blank",
        "--out",
        old_all,
    )
    assert code == 0 and f"已生成评查表：{old_all}" in said, err
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")

    def text(p):
        return subprocess.run(["pdftotext", p, "-"], capture_output=True, text=True).stdout

    assert text(made["review-report"]) == text(old)
    assert text(made["checklists-blank"]) == text(old_all)
    assert "行政执法案卷评查表" in text(made["checklist"]) and case_no in text(made["checklist"])
    for p in made.values():
        fonts = subprocess.run(["pdffonts", p], capture_output=True, text=True).stdout
        rows = fonts.splitlines()[2:]
        assert rows and all(" yes " in r for r in rows), fonts
