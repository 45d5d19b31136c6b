"""Training exports (xlsx), the 通报 / plan PDFs, the CLI commands, and the demo filler."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import openpyxl
import pytest
from dbtemplate import target as db_target
from training_helpers import add_session, add_staff, new_db

from brigade_desk.app import cli, demo
from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core.errors import UserError
from brigade_desk.ledgers.training.exports import export_training
from brigade_desk.ledgers.training.exports_pdf import exam_notice_pdf, plan_pdf
from brigade_desk.ledgers.training.models import TrainingAttendance, TrainingSession
from brigade_desk.ledgers.training.service import AttendanceInput, PlanItemInput, TrainingService

D = dt.date


@pytest.fixture
def db(tmp_path):
    d = new_db(tmp_path)
    yield d
    d.close()


@pytest.fixture
def data(db):
    a = add_staff(db, "张三")
    b = add_staff(db, "李四", squad="二中队")
    aux = add_staff(db, "王五", category="执法辅助人员")
    add_session(db, D(2025, 2, 10), 40, [a, b, aux], title="轮训")
    add_session(db, D(2025, 3, 10), 20, [a], title="技能", category="执法技能")
    add_session(
        db,
        D(2025, 5, 10),
        6,
        [a, AttendanceInput(staff_id=b, hours=2)],
        title="党课",
        category="政治教育",
    )
    exam = add_session(
        db,
        D(2025, 6, 10),
        1,
        [
            AttendanceInput(staff_id=a, exam_score=95),
            AttendanceInput(staff_id=b, exam_score=55),
            AttendanceInput(staff_id=aux, attended=False, absence_reason="病假"),
        ],
        title="6月每月一考",
        form="考试",
    )
    return {"a": a, "b": b, "aux": aux, "exam": exam}


def test_export_year_sheets_values_and_layout(db, data, tmp_path):
    out = export_training(db, tmp_path / "t.xlsx", year=2025, as_of=D(2025, 12, 31))
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["人员学时汇总", "培训记录", "参训明细"]
    ws = wb["人员学时汇总"]
    assert "2025年度执法人员培训学时汇总表" in ws["A1"].value and "A1:T1" in {
        str(r) for r in ws.merged_cells.ranges
    }
    assert ws["A2"].value.startswith("填报单位：") and ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape" and ws.freeze_panes == "A4"
    header = [c.value for c in ws[3]]
    rows = {
        r[1]: dict(zip(header, r, strict=False))
        for r in ws.iter_rows(min_row=4, values_only=True)
        if r[1]
    }
    z = rows["张三"]
    assert (
        z["政治理论和党性教育"],
        z["业务学时小计"],
        z["总学时"],
        z["尚差学时"],
        z["完成情况"],
    ) == (6, 61, 67, 0, "已完成")
    li = rows["李四"]
    assert (li["业务学时小计"], li["政治理论和党性教育"], li["尚差学时"]) == (41, 2, 19) and li[
        "完成情况"
    ].startswith("未完成")
    assert rows["王五"]["完成情况"].startswith("不计入") and rows["王五"]["年度要求"] is None
    names = [r[1] for r in ws.iter_rows(min_row=4, values_only=True)]
    assert (
        names.index("王五")
        > names.index("以下为执法辅助人员及不在岗人员（单列，不计入年度学时考核）")
        > names.index("李四")
    )
    assert any(str(r[0] or "").startswith("填表人") for r in ws.iter_rows(values_only=True))
    ws2 = wb["培训记录"]
    titles = [r[3] for r in ws2.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert titles == ["轮训", "技能", "党课", "6月每月一考"]
    ws3 = wb["参训明细"]
    det = [r for r in ws3.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert len(det) == 9
    li_party = next(r for r in det if r[2] == "党课" and r[4] == "李四")
    assert (li_party[9], li_party[10]) == (6, 2)
    absent = next(r for r in det if r[4] == "王五" and r[2] == "6月每月一考")
    assert (absent[8], absent[10], absent[13]) == ("缺勤", 0, "病假")


def test_export_quarter(db, data, tmp_path):
    out = export_training(db, tmp_path / "q.xlsx", year=2025, quarter=1, as_of=D(2025, 12, 31))
    ws = openpyxl.load_workbook(out)["人员学时汇总"]
    assert "第一季度" in ws["A1"].value
    header = [c.value for c in ws[3]]
    z = next(
        dict(zip(header, r, strict=False))
        for r in ws.iter_rows(min_row=4, values_only=True)
        if r[1] == "张三"
    )
    assert z["业务学时小计"] == 60 and z["政治理论和党性教育"] == 0 and z["年度累计业务学时"] == 60
    assert (
        len(
            [
                r
                for r in openpyxl.load_workbook(out)["培训记录"].iter_rows(
                    min_row=4, values_only=True
                )
                if isinstance(r[0], int)
            ]
        )
        == 2
    )


def test_cli_export_and_usage(db, data, tmp_path, capsys):
    assert (
        cli.main(
            [
                "--db",
                db_target(db),
                "export",
                "training",
                "--year",
                "2025",
                "--out",
                str(tmp_path / "c.xlsx"),
            ]
        )
        == 0
    )
    assert (tmp_path / "c.xlsx").exists()
    assert (
        cli.main(["--db", db_target(db), "export", "training", "--out", str(tmp_path / "d.xlsx")])
        == 1
    )
    assert "--year" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cli.main(
            [
                "--db",
                db_target(db),
                "export",
                "training",
                "--year",
                "2025",
                "--quarter",
                "5",
                "--out",
                "x.xlsx",
            ]
        )
    assert e.value.code == 2


def _pdftext(path):
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(not shutil.which("pdffonts"), reason="poppler-utils missing")
def test_exam_notice_pdf(db, data, tmp_path):
    out = exam_notice_pdf(db, tmp_path / "n.pdf", data["exam"], date=D(2025, 6, 12))
    fonts = subprocess.run(
        ["pdffonts", str(out)], capture_output=True, text=True, check=True
    ).stdout
    # every font is embedded: the CJK TrueType font, and no unembedded Helvetica from the table cells
    rows = fonts.splitlines()[2:]
    assert rows and all("TrueType" in ln and " yes " in ln for ln in rows), fonts
    text = _pdftext(out)
    assert "关于“6月每月一考”考试成绩的通报" in text.replace(" ", "")
    flat = text.replace(" ", "").replace("\n", "")
    assert (
        "实际参考2人" in flat
        and "合格1人" in flat
        and "合格率50.0%" in flat
        and "平均分75.0分" in flat
    )
    assert "李四（二中队，55分）" in flat and "王五（病假）" in flat and "—1—" in flat
    plain = add_session(db, D(2025, 7, 1), 1, [data["a"]], title="无考试")
    with pytest.raises(UserError, match="没有考试成绩"):
        exam_notice_pdf(db, tmp_path / "x.pdf", plain)
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")
def test_plan_pdf_and_xlsx(db, tmp_path, capsys):
    svc = TrainingService(db)
    svc.save_plan(
        2025,
        [
            PlanItemInput(
                month=3,
                topic="行政处罚法专题",
                form="法治讲堂",
                category="公共法律知识",
                planned_hours=4,
            ),
            PlanItemInput(
                month=1, topic="党章学习", form="集中学习", category="政治教育", planned_hours=2
            ),
        ],
    )
    svc.set_plan_status(2025, "已批准", D(2025, 3, 20))
    flat = _pdftext(plan_pdf(db, tmp_path / "p.pdf", 2025)).replace(" ", "").replace("\n", "")
    assert (
        "2025年度执法人员培训计划" in flat
        and "行政处罚法专题" in flat
        and "2025年3月20日批准" in flat
    )
    assert "业务培训（公共法律知识、业务知识、执法技能）4学时" in flat
    if shutil.which("pdffonts"):
        fonts = subprocess.run(
            ["pdffonts", str(tmp_path / "p.pdf")], capture_output=True, text=True, check=True
        ).stdout
        assert all(" yes " in ln for ln in fonts.splitlines()[2:]), fonts  # no unembedded Helvetica
    assert (
        cli.main(
            [
                "--db",
                db_target(db),
                "export",
                "training-plan",
                "--year",
                "2025",
                "--out",
                str(tmp_path / "p.xlsx"),
            ]
        )
        == 0
    )
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx")["年度培训计划"]
    assert [r[2] for r in ws.iter_rows(min_row=4, max_row=5, values_only=True)] == [
        "党章学习",
        "行政处罚法专题",
    ]
    assert (
        cli.main(
            [
                "--db",
                db_target(db),
                "export",
                "training-plan",
                "--year",
                "2024",
                "--out",
                str(tmp_path / "n.xlsx"),
            ]
        )
        == 1
    )


def test_cli_notice_and_forms(db, data, tmp_path, capsys):
    assert (
        cli.main(["--db", db_target(db), "training", "notice", "--out", str(tmp_path / "n.pdf")])
        == 0
    )
    assert (tmp_path / "n.pdf").stat().st_size > 1000
    assert cli.main(["--db", db_target(db), "training", "forms", "--set", "法治讲堂,夜校"]) == 0
    assert TrainingService(db).forms() == ["法治讲堂", "夜校"]


def test_demo_small_fills_training_and_rules_fire(tmp_path):
    db = new_db(tmp_path)
    today = D(2026, 11, 23)
    counts = demo.fill(db, size="small", today=today)
    assert counts["training_sessions"] > 100 and counts["training_attendance"] > 2000
    with db.session() as s:
        found = {f.rule: f for f in REGISTRY.run_rules(s, today)}
        assert found["monthly_study_missing"].subject == "2026-08"
        assert "training_plan_missing" not in found
        assert all(
            f.due == D(2026, 12, 31)
            for f in REGISTRY.run_rules(s, today)
            if f.rule == "training_hours_short"
        )
        assert s.query(TrainingSession).filter(TrainingSession.end_date > today).count() == 0
        assert (
            s.query(TrainingAttendance).filter(TrainingAttendance.hours.is_not(None)).count() > 0
        )  # partial credit
    db.close()


@pytest.mark.slow
def test_demo_large_ten_years(tmp_path):
    import time

    db = new_db(tmp_path)
    if db.server:  # the large set is written by SQLite's own bulk writer; copy-db moves it
        with pytest.raises(UserError, match="copy-db"):
            demo.fill(db, size="large", today=D(2026, 11, 23))
        db.close()
        return
    t = time.monotonic()
    counts = demo.fill(db, size="large", today=D(2026, 11, 23))
    assert time.monotonic() - t < 60
    svc = TrainingService(db)
    assert svc.years() == list(range(2026, 2016, -1))
    assert all(len(svc.list_sessions(y)) >= 200 for y in range(2017, 2026))
    assert counts["training_attendance"] > 100_000
    db.close()


def test_dashboard_chart_and_template_sources(db, data):

    from brigade_desk.core.period import Period

    with db.session() as s:
        chart = next(c for c in REGISTRY.charts(s, D(2025, 12, 31)) if c.key == "training_hours")
        assert chart.categories == ["一中队", "二中队"] and chart.series["人均业务学时"] == [
            61.0,
            41.0,
        ]
        assert chart.target == 60 and "未满 60 学时 1 人" in chart.note
        src = REGISTRY.sources()
        sessions = src["培训记录"].rows(s, Period(2025, quarter=1))
        assert [r["培训名称"] for r in sessions] == ["轮训", "技能"]
        att = src["参训明细"].rows(s, Period(2025, month=5))
        assert {(r["姓名"], r["实得学时"]) for r in att} == {("张三", 6), ("李四", 2)}
        hours = {r["姓名"]: r for r in src["人员学时"].rows(s, Period(2025))}
        assert hours["张三"]["业务学时"] == 61 and hours["王五"]["年度要求"] is None


def test_export_reports_progress_and_cancel_leaves_no_file(db, data, tmp_path):
    from sqlalchemy import insert

    from brigade_desk.core.errors import Cancelled
    from brigade_desk.core.progress import Progress

    with db.begin() as s:
        rows = [
            dict(
                id=1000 + i,
                start_date=D(2025, 8, 1),
                end_date=D(2025, 8, 1),
                title=f"批量{i}",
                form="每周一学",
                category="业务知识",
                hours=1.0,
                organiser="",
                place="",
                is_monthly_study=False,
                is_rotation=False,
                has_exam=False,
                pass_score=60.0,
                notes="",
            )
            for i in range(1200)
        ]
        s.connection().execute(insert(TrainingSession.__table__), rows)
        s.connection().execute(
            insert(TrainingAttendance.__table__),
            [
                dict(
                    session_id=1000 + i,
                    staff_id=data["a"],
                    attended=True,
                    hours=None,
                    absence_reason="",
                )
                for i in range(1200)
            ],
        )
    seen = []
    export_training(
        db, tmp_path / "ok.xlsx", year=2025, progress=Progress(lambda d, t, _x: seen.append((d, t)))
    )
    assert seen and seen[0] == (1000, 1209)
    p = Progress()
    p.cancel()
    with pytest.raises(Cancelled):
        export_training(db, tmp_path / "x.xlsx", year=2025, progress=p)
    assert not (tmp_path / "x.xlsx").exists() and [
        f.name for f in tmp_path.iterdir() if f.suffix == ".xlsx"
    ] == ["ok.xlsx"]


@pytest.mark.parametrize(
    "module",
    [
        "brigade_desk.core.settings",
        "brigade_desk.ledgers.training.service",
        "brigade_desk.ledgers.training.rules",
        "brigade_desk.ledgers.training.exports_pdf",
        "brigade_desk.ledgers.training.importer",
        "brigade_desk.ledgers.training.cli",
    ],
)
def test_each_training_module_imports_on_its_own(module):
    import sys

    r = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-800:]


def test_exam_notice_is_an_export(db, data, tmp_path, capsys):
    """``export exam-notice ID``, ``training notice`` and the 考试 tab run one ExportDef."""
    from pathlib import Path

    from brigade_desk.core.ledger import ExportRequest

    exp = REGISTRY.exports()["exam-notice"]
    assert exp.target == "session" and exp.suffixes == (".pdf", ".docx")
    for target, said in ((None, "培训的编号"), ("", "培训的编号"), ("第3次", "培训编号应为数字")):
        with pytest.raises(UserError, match=said):
            exp.check(ExportRequest(Path("n.pdf"), target=target))
    with pytest.raises(UserError, match=r"应为 \.pdf"):
        exp.check(ExportRequest(Path("n.xlsx"), target=str(data["exam"])))
    out = tmp_path / "export.pdf"
    argv = ["--db", db_target(db), "export", "exam-notice", str(data["exam"]), "--out", str(out)]
    assert cli.main([*argv, "--as-of", "2025-06-12"]) == 0
    assert f"已导出：{out}" in capsys.readouterr().out
    assert out.stat().st_size > 1000
    # a missing session id is refused before anything is written, in Chinese
    assert (
        cli.main(["--db", db_target(db), "export", "exam-notice", "--out", str(tmp_path / "x.pdf")])
        == 1
    )
    assert "请给出考试所在培训的编号" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()
    # the old command: the same document (the latest exam, dated today by default)
    old = tmp_path / "notice.pdf"
    assert cli.main(["--db", db_target(db), "training", "notice", "--out", str(old)]) == 0
    assert f"已生成成绩通报：{old}" in capsys.readouterr().out
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    text = _pdftext(out).replace(" ", "")
    assert "关于“6月每月一考”考试成绩的通报" in text and "2025年6月12日" in text
    assert "关于“6月每月一考”考试成绩的通报" in _pdftext(old).replace(" ", "")
    if shutil.which("pdffonts") is not None:
        fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
        rows = fonts.splitlines()[2:]
        assert rows and all(" yes " in r for r in rows), fonts
