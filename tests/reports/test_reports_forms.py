"""The forms superiors ask for: monthly statistics, the quarterly 案卷评查 sheet, the annual report
(workbook and GB/T 9704 PDF draft) and the 重大行政处罚决定备案表; checked against the database.

October 2025 holds the National Day holiday (1–8 October) and a make-up workday on Saturday 11 October,
so a filing deadline of 5 working days from Thursday 9 October is Wednesday 15 October on the official
calendar (a plain weekend count would give the 16th).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from dbtemplate import fresh_db
from dbtemplate import target as db_target
from sqlalchemy import func, select

from brigade_desk.app.cli import main
from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core.db import Database
from brigade_desk.core.ledger import ExportRequest, Section
from brigade_desk.core.period import Period
from brigade_desk.ledgers.av import report_parts as av_parts
from brigade_desk.ledgers.cases import checklists
from brigade_desk.ledgers.cases.models import CaseRecord, CaseReview, Rectification, ReviewItem
from brigade_desk.ledgers.training import report_parts as training_parts
from brigade_desk.reports import annual
from tests.cases_support import add_case, add_staff

D = dt.date
AS_OF = "2025-11-06"
A, B, C = "乐交执罚〔2025〕1号", "乐交执罚〔2025〕2号", "乐交执罚〔2025〕3号"

pdf_tools = pytest.mark.skipif(
    shutil.which("pdffonts") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils missing",
)


@pytest.fixture
def data(db: Database) -> Database:
    with db.begin() as s:
        o1, o2 = add_staff(s, "张明"), add_staff(s, "李华")
        team = [o1, o2]
        # A: major, decided on the first workday after the holiday, filed on the last day, published on the last day
        add_case(
            s,
            A,
            team,
            party="王五",
            filed_on=D(2025, 9, 1),
            decided_on=D(2025, 10, 9),
            fine_amount=50000,
            is_major=True,
            hearing_notice_on=D(2025, 9, 20),
            legal_review_on=D(2025, 10, 9),
            collective_on=D(2025, 10, 9),
            reported_on=D(2025, 10, 15),
            published_on=D(2025, 11, 5),
        )
        # B: major, filed one day late (on time by a plain weekend count), no legal review, not published, no hearing notice
        add_case(
            s,
            B,
            team,
            party="某某运输有限公司",
            party_type="单位",
            filed_on=D(2025, 9, 1),
            decided_on=D(2025, 10, 9),
            fine_amount=200000,
            is_major=True,
            collective_on=D(2025, 10, 9),
            reported_on=D(2025, 10, 16),
        )
        # C: simple procedure, a party name that looks like a formula
        add_case(
            s,
            C,
            team,
            party="=1+2",
            procedure="简易",
            filed_on=D(2025, 10, 20),
            decided_on=D(2025, 10, 20),
            fine_amount=200,
            closed_on=D(2025, 10, 20),
            published_on=D(2025, 10, 21),
        )
        add_case(
            s,
            "乐交执检〔2025〕1号",
            team,
            category="行政检查",
            filed_on=D(2025, 10, 10),
            closed_on=D(2025, 10, 12),
        )
        add_case(
            s,
            "乐交执罚〔2025〕4号",
            team,
            filed_on=D(2025, 8, 1),
            decided_on=D(2025, 9, 15),
            fine_amount=1000,
            reconsidered_on=D(2025, 10, 20),
            published_on=D(2025, 9, 16),
        )
        add_case(
            s, "乐交执罚〔2025〕5号", team, filed_on=D(2025, 10, 5), transferred_on=D(2025, 10, 25)
        )
        add_case(
            s,
            "乐交执罚〔2025〕6号",
            team,
            filed_on=D(2025, 10, 28),
            decided_on=D(2025, 11, 3),
            fine_amount=700,
        )
        t = checklists.get_template(s, "case_review")
        item = t.items[0]
        cases = {c.case_no: c for c in s.scalars(select(CaseRecord))}
        for no, year, on, score in (
            (A, 2024, D(2025, 3, 10), item.points - 2),
            (B, 2024, D(2025, 11, 1), None),
            (C, 2024, D(2024, 12, 1), None),
        ):
            r = CaseReview(
                case_id=cases[no].id,
                year=year,
                template_code=t.code,
                template_version=t.version,
                reviewer="马丽",
                reviewed_on=on,
                score=Decimal(80),
                grade="合格",
            )
            if score is not None:
                r.items.append(
                    ReviewItem(item_code=item.code, score=score, remark="未载明执法证号")
                )
                r.rectifications.append(
                    Rectification(item_code=item.code, problem="补正笔录", due_on=D(2025, 4, 10))
                )
            s.add(r)
    return db


def sheet_rows(ws) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Data rows: from under the header to the first empty row."""
    out = []
    for row in ws.iter_rows(min_row=4, values_only=True):
        if all(v is None for v in row):
            break
        out.append(row)
    return out


def check_print_setup(ws) -> None:  # type: ignore[no-untyped-def]
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"
    # a print scale chosen so that the 10 pt body prints at >= 8 pt (100 % is left out: None)
    assert (ws.page_setup.scale or 100) >= 80
    assert ws.print_title_rows in ("$3:$3", "3:3")
    assert ws.freeze_panes == "A4"
    assert ws["A1"].value and any(str(r).startswith("A1:") for r in ws.merged_cells.ranges)
    assert any(str(c.value).startswith("填报单位：") for c in ws[2])
    texts = [str(c.value) for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("填表人：") for t in texts)
    for row in ws.iter_rows():  # no formula anywhere
        for c in row:
            assert c.data_type != "f"


# ---- monthly -----------------------------------------------------------------------------------


def test_monthly_workbook(data: Database, tmp_path: Path) -> None:
    out = tmp_path / "月报.xlsx"
    assert (
        main(
            [
                "--db",
                db_target(data),
                "export",
                "monthly",
                "--year",
                "2025",
                "--month",
                "10",
                "--as-of",
                AS_OF,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["汇总", "分类统计", "重大决定", "备案公示", "复议诉讼移送"]
    for ws in wb:
        check_print_setup(ws)
    summ = {r[1].strip(): (r[2], r[3]) for r in sheet_rows(wb["汇总"])}
    assert [c.value for c in wb["汇总"][3]] == ["序号", "统计项目", "本月", "本年累计", "说明"]
    with data.session() as s:
        oct_, ytd = (D(2025, 10, 1), D(2025, 10, 31)), (D(2025, 1, 1), D(2025, 10, 31))

        def n(col, rng) -> int:  # type: ignore[no-untyped-def]
            return int(s.scalar(select(func.count()).where(col.between(*rng))) or 0)

        assert (
            summ["立案数（件）"]
            == (n(CaseRecord.filed_on, oct_), n(CaseRecord.filed_on, ytd))
            == (4, 7)
        )
        assert (
            summ["作出决定数（件）"]
            == (n(CaseRecord.decided_on, oct_), n(CaseRecord.decided_on, ytd))
            == (3, 4)
        )
        assert summ["结案数（件）"][0] == 2
        fines = s.scalar(
            select(func.sum(CaseRecord.fine_amount)).where(CaseRecord.decided_on.between(*oct_))
        )
    assert summ["罚款金额（元）"][0] == float(fines) == 250200 and isinstance(
        summ["罚款金额（元）"][0], int | float
    )
    assert summ["罚款金额（元）"][1] == 251200
    assert summ["重大行政处罚决定（件）"] == (2, 2)
    assert summ["其中决定前经法制审核（件）"] == (1, 1)
    assert (
        summ["按期备案（件）"][0] == 1 and summ["逾期备案（件）"][0] == 1
    )  # the official calendar decides B is late
    assert (
        summ["应公示（件）"][0] == 3
        and summ["按期公示（件）"][0] == 2
        and summ["逾期未公示（件）"][0] == 1
    )
    assert summ["达到听证告知数额的罚款决定（件）"][0] == 2 and summ["其中已告知听证（件）"][0] == 1
    assert (
        summ["行政复议（件）"] == (1, 1)
        and summ["行政诉讼（件）"] == (0, 0)
        and summ["行刑衔接移送（件）"] == (1, 1)
    )

    major = sheet_rows(wb["重大决定"])
    assert [r[1] for r in major] == [A, B]
    assert (
        major[0][9] == dt.datetime(2025, 10, 15)
        and major[0][11] == "按期"
        and major[1][11] == "逾期"
    )
    assert wb["重大决定"].cell(4, 10).number_format == "yyyy-mm-dd"  # dates are dates
    deadlines = sheet_rows(wb["备案公示"])
    assert len(deadlines) == 3
    by_no = {r[1]: r for r in deadlines}
    assert by_no[A][9] == dt.datetime(2025, 11, 5) and by_no[A][11] == "按期"
    assert by_no[B][11] == "逾期未办" and by_no[C][8] == "不需备案"
    cell = next(c for c in wb["备案公示"]["D"] if c.value == "=1+2")
    assert cell.data_type == "s"  # user text that looks like a formula stays text
    appeals = sheet_rows(wb["复议诉讼移送"])
    assert [(r[1], r[3]) for r in appeals] == [
        ("行政复议", "乐交执罚〔2025〕4号"),
        ("行刑衔接移送", "乐交执罚〔2025〕5号"),
    ]
    groups = sheet_rows(wb["分类统计"])
    pen = next(r for r in groups if r[0] == "案件类别" and r[1] == "行政处罚")
    assert pen[2:5] == (3, 3, 1) and pen[5] == 250200 and pen[7:10] == (6, 4, 251200)
    total = next(r for r in groups if r[0] == "适用程序" and r[1] == "合计")
    assert total[2] == 4 and total[7] == 7


def test_monthly_needs_month(
    data: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "--db",
                db_target(data),
                "export",
                "monthly",
                "--year",
                "2025",
                "--out",
                str(tmp_path / "x.xlsx"),
            ]
        )
        == 1
    )
    assert "--month" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()


# ---- quarterly 案卷评查 --------------------------------------------------------------------------


def test_quarterly_review_sheet(data: Database, tmp_path: Path) -> None:
    assert [q.name for q in REGISTRY.quarterly_sheets()] == [
        "培训台账",
        "执法证件",
        "音像记录",
        "案卷评查",
    ]
    out = tmp_path / "季度.xlsx"
    assert (
        main(
            [
                "--db",
                db_target(data),
                "export",
                "quarterly",
                "--year",
                "2025",
                "--quarter",
                "3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[-1] == "案卷评查"
    ws = wb["案卷评查"]
    check_print_setup(ws)
    assert [c.value for c in ws[3]][:4] == ["序号", "评查年度", "案号", "案件类别"]
    rows = sheet_rows(ws)
    # reviewed from 1 January to 30 September 2025: A only (B in November, C in 2024)
    assert [r[2] for r in rows] == [A]
    r = rows[0]
    assert (
        r[1] == 2024
        and r[7] == "马丽"
        and r[8] == dt.datetime(2025, 3, 10)
        and r[9] == 80
        and r[10] == "合格"
    )
    assert r[12].startswith("A1 ") and r[12].endswith("（扣2分）")
    assert r[13].startswith("1项，已完成0项，逾期1项")
    wb4 = tmp_path / "q4.xlsx"
    assert (
        main(
            [
                "--db",
                db_target(data),
                "export",
                "quarterly",
                "--year",
                "2025",
                "--quarter",
                "4",
                "--out",
                str(wb4),
            ]
        )
        == 0
    )
    assert [x[2] for x in sheet_rows(openpyxl.load_workbook(wb4)["案卷评查"])] == [A, B]


# ---- 备案表 ------------------------------------------------------------------------------------


def pdf_text(p: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(p), "-"], capture_output=True, text=True, check=True
    ).stdout


def fonts_embedded(p: Path) -> list[str]:
    lines = subprocess.run(
        ["pdffonts", str(p)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert lines, "no fonts"
    return [ln for ln in lines if ln.split()[-5] != "yes"]


@pdf_tools
def test_filing_pdf(data: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "备案表.pdf"
    assert (
        main(["--db", db_target(data), "export", "filing", A, "--out", str(out), "--as-of", AS_OF])
        == 0
    )
    assert fonts_embedded(out) == []
    text = pdf_text(out).replace(" ", "").replace("\n", "")
    for s in (
        "重大行政处罚决定备案表",
        A,
        "王五",
        "未按规定携带道路运输证",
        "2025年10月9日",
        "罚款人民币50,000.00元",
        "2025年10月15日（决定之日起5个工作日）",
        "2025年10月15日（按期）",
        "已于2025年11月5日公示",
        "张明、李华",
        "负责人（签字）",
        "备案材料",
    ):
        assert s in text, s
    assert "未标记为重大案件" not in text
    out2 = tmp_path / "c.pdf"
    assert (
        main(["--db", db_target(data), "export", "filing", C, "--out", str(out2), "--as-of", AS_OF])
        == 0
    )
    assert "未标记为重大案件" in pdf_text(out2).replace(" ", "")
    out3 = tmp_path / "b.pdf"
    assert (
        main(["--db", db_target(data), "export", "filing", B, "--out", str(out3), "--as-of", AS_OF])
        == 0
    )
    t3 = pdf_text(out3).replace(" ", "").replace("\n", "")
    assert "2025年10月16日（逾期）" in t3 and "未登记" in t3 and "尚未公示" in t3
    capsys.readouterr()
    assert (
        main(
            [
                "--db",
                db_target(data),
                "export",
                "filing",
                "不存在的案号",
                "--out",
                str(tmp_path / "x.pdf"),
            ]
        )
        == 1
    )
    assert "不存在" in capsys.readouterr().err and not (tmp_path / "x.pdf").exists()


# ---- annual report -----------------------------------------------------------------------------


def _training_stub(session, year, as_of):  # type: ignore[no-untyped-def]
    return Section(
        "执法人员培训情况",
        [f"{year}年测试培训段落。", "## （一）测试小标题"],
        [["培训（次）", 3, ""]],
        sheet="培训",
    )


def _av_stub(session, year, as_of):  # type: ignore[no-untyped-def]
    return ["测试音像记录段落。"], [["  已有全程音像记录（件）", 1, "测试"]]


def test_annual_workbook(data: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from brigade_desk.ledgers.roster.models import Certificate

    with data.begin() as s:  # an officer whose first certificate came after the year's end
        p = add_staff(s, "丙", certified=False)
        p.certificates.append(
            Certificate(
                cert_no="C-LATE", issue_date=D(2026, 1, 5), valid_to=D(2031, 1, 4), status="有效"
            )
        )
        add_staff(s, "丁", category="执法辅助人员", certified=False)
    # the ledgers' parts are looked up when the report is made: stand-ins replace the real ones
    monkeypatch.setattr(training_parts, "training_section", _training_stub)
    monkeypatch.setattr(av_parts, "recording_part", _av_stub)
    out = tmp_path / "年报.xlsx"
    assert (
        main(
            [
                "--db",
                db_target(data),
                "export",
                "annual",
                "--year",
                "2025",
                "--as-of",
                AS_OF,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "培训",
        "执法证件",
        "执法人员名册",
        "执法办案",
        "案件分类",
        "三项制度",
        "案卷评查",
        "评查等级",
    ]
    for ws in wb:
        check_print_setup(ws)
    figs = {r[1].strip(): r[2] for r in sheet_rows(wb["三项制度"])}
    assert (
        figs["应公示的执法决定（件）"] == 5
        and figs["按期公示（件）"] == 3
        and figs["逾期未公示（件）"] == 1
    )
    assert figs["尚在期限内（件）"] == 1  # the 3 November decision, seen on 6 November
    assert figs["按期公示率"] == 0.75 and wb["三项制度"].cell(9, 3).number_format == "0.0%"
    assert figs["重大行政处罚决定（件）"] == 2 and figs["决定前经法制审核（件）"] == 1
    assert figs["已有全程音像记录（件）"] == 1 and "测试音像记录段落。" in str(
        wb["三项制度"].cell(3 + len(figs) + 2, 1).value
    )
    cases = {r[1].strip(): r[2] for r in sheet_rows(wb["执法办案"])}
    assert (
        cases["立案（件）"] == 7
        and cases["罚款金额（元）"] == 251900
        and cases["行政复议（件）"] == 1
    )
    assert len(sheet_rows(wb["执法人员名册"])) == 4
    certs = {r[1].strip(): (r[2], r[3]) for r in sheet_rows(wb["执法证件"])}
    assert certs["在岗执法人员（人）"][0] == 3 and certs["执法辅助人员（人）"][0] == 1
    assert certs["持有效执法证件的执法人员（人）"][0] == 2
    assert certs["未持有效证件的在岗执法人员（人）"] == (
        1,
        "证件均在2025年11月6日之后核发",
    )  # the running year: as of today
    rev = {r[1].strip(): r[2] for r in sheet_rows(wb["案卷评查"])}
    # the 2025 files are not reviewed yet: the review of the 2024 files (done in 2025) is reported
    assert rev["已评查（件）"] == 3 and rev["整改事项（项）"] == 1 and rev["逾期未完成（项）"] == 1
    bad = tmp_path / "年报.txt"
    assert (
        main(["--db", db_target(data), "export", "annual", "--year", "2025", "--out", str(bad)])
        == 1
    )


@pdf_tools
def test_annual_pdf(data: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(training_parts, "training_section", _training_stub)
    out = tmp_path / "年报.pdf"
    assert (
        main(
            [
                "--db",
                db_target(data),
                "export",
                "annual",
                "--year",
                "2025",
                "--as-of",
                AS_OF,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert fonts_embedded(out) == []
    text = pdf_text(out)
    flat = text.replace(" ", "").replace("\n", "")
    for s in (
        "2025年度行政执法工作报告",
        "一、执法人员培训情况",
        "2025年测试培训段落",
        "（一）测试小标题",
        "二、执法人员和执法证件管理",
        "三、行政执法办案基本情况",
        "四、行政执法“三项制度”落实情况",
        "（一）行政执法公示制度",
        "（三）重大执法决定法制审核制度",
        "五、案卷评查和整改情况",
        "特此报告",
        "—1—",
    ):
        assert s in flat, s
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    assert "595.276 x 841.89" in info  # A4
    # the text block: left margin 28 mm, top 37 mm (pdftotext -bbox gives points from the top left)
    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(out), "-"], capture_output=True, text=True
    ).stdout
    import re

    xs = [float(m) for m in re.findall(r'xMin="([\d.]+)"', bbox)]
    ys = [float(m) for m in re.findall(r'yMin="([\d.]+)"', bbox)]
    mm = 72 / 25.4
    assert min(xs) >= 28 * mm - 1 and min(ys) >= 37 * mm - 1


# ---- forms registry and the 报表 page ------------------------------------------------------------


def test_forms_registry_runs_each_new_form(data: Database, tmp_path: Path) -> None:
    forms = REGISTRY.exports()
    assert {"monthly", "annual", "filing", "quarterly", "template", "roster"} <= set(forms)
    assert (
        forms["filing"].target == "case"
        and forms["monthly"].period == "month"
        and forms["annual"].period == "year"
        and forms["annual"].suffixes == (".pdf", ".docx", ".xlsx")
    )
    for key, suffix, period, target in (
        ("monthly", ".xlsx", Period(2025, month=10), None),
        ("annual", ".xlsx", Period(2025), None),
        ("annual", ".pdf", Period(2025), None),
        ("filing", ".pdf", Period(2025), A),
    ):
        req = ExportRequest(tmp_path / f"{key}{suffix}", period=period, target=target)
        out = forms[key].export(data, req)
        assert out.exists() and out.stat().st_size > 1000
    from brigade_desk.core.errors import UserError

    with pytest.raises(UserError, match="案号"):  # no case: said before anything is written
        forms["filing"].export(data, ExportRequest(tmp_path / "x.pdf", period=Period(2025)))
    with pytest.raises(UserError, match="季度"):
        forms["quarterly"].export(data, ExportRequest(tmp_path / "q.xlsx", period=Period(2025)))
    with pytest.raises(UserError, match=r"\.pdf"):
        forms["filing"].export(data, ExportRequest(tmp_path / "x.xlsx", target=A))
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "q.xlsx").exists()


def test_import_reads_reconsideration_and_transfer_columns(db: Database, tmp_path: Path) -> None:
    from brigade_desk.ledgers.cases.importer import import_cases

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        [
            "案件编号",
            "案由",
            "当事人",
            "立案日期",
            "处罚决定日期",
            "复议申请日期",
            "起诉日期",
            "移送公安机关日期",
        ]
    )
    ws.append(
        [
            "乐交执罚〔2025〕9号",
            "超限运输",
            "赵六",
            "2025-03-01",
            "2025-04-01",
            "2025-04-20",
            "2025-06-01",
            None,
        ]
    )
    ws.append(
        ["乐交执罚〔2025〕10号", "非法营运", "钱七", "2025-03-01", None, None, None, "2025/3/20"]
    )
    p = tmp_path / "案件.xlsx"
    wb.save(p)
    res = import_cases(db, p, today=D(2025, 12, 1))
    assert not res.rejected, res.errors
    with db.session() as s:
        a = s.scalar(select(CaseRecord).where(CaseRecord.case_no == "乐交执罚〔2025〕9号"))
        b = s.scalar(select(CaseRecord).where(CaseRecord.case_no == "乐交执罚〔2025〕10号"))
        assert (a.reconsidered_on, a.sued_on, a.transferred_on) == (
            D(2025, 4, 20),
            D(2025, 6, 1),
            None,
        )
        assert b.transferred_on == D(2025, 3, 20)
    ws.cell(2, 6).value = "2025-03-20"  # reconsideration before the decision
    wb.save(p)
    res = import_cases(db, p, today=D(2025, 12, 1))
    assert res.rejected and any(
        "申请复议日期" in str(e) and "早于决定日期" in str(e) for e in res.errors
    )


def test_reports_page_filing_with_case_completer(
    gui_ctx, qtbot, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    from brigade_desk.ui import reports_page
    from brigade_desk.ui.reports_page import ReportsPage

    with gui_ctx.db.begin() as s:
        o = [add_staff(s, "甲"), add_staff(s, "乙")]
        add_case(
            s, "乐交执罚〔2025〕7号", o, decided_on=D(2025, 10, 9), is_major=True, fine_amount=60000
        )
        add_case(s, "乐交执罚〔2025〕8号", o)
    page = ReportsPage(gui_ctx)
    qtbot.addWidget(page)
    page.show()
    keys = [f.export.key for f in page.entries]
    page.list.setCurrentRow(keys.index("filing"))
    assert page.form.isRowVisible(page.target_box) and not page.form.isRowVisible(page.year)
    comp = page.target.completer()
    assert comp is not None
    model = comp.model()
    nos = [model.index(i, 0).data() for i in range(model.rowCount())]
    assert nos[0] == "乐交执罚〔2025〕7号" and set(nos) == {
        "乐交执罚〔2025〕7号",
        "乐交执罚〔2025〕8号",
    }  # major first
    qtbot.keyClicks(page.target, "2025")  # matches anywhere in the number
    assert comp.completionCount() == 2
    page.target.clear()  # no case: said at once, before any save dialog, and nothing written
    told: list[str] = []
    asked: list[object] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: told.append(text))
    monkeypatch.setattr(reports_page, "save_file_name", lambda *a: asked.append(a) or "")
    page.generate()
    assert told and "案号" in told[0] and asked == [] and not list(tmp_path.glob("*.pdf"))
    page.target.setText("乐交执罚〔2025〕7号")  # (keyClicks types ASCII only)
    out = tmp_path / "备案"
    page.generate(str(out))
    assert (tmp_path / "备案.pdf").exists() and "已生成" in page.result.text()
    page.list.setCurrentRow(keys.index("monthly"))
    assert page.form.isRowVisible(page.month) and page.target.completer() is None
    page.year.setValue(2025)
    page.month.setCurrentIndex(9)
    page.generate(str(tmp_path / "月报.xlsx"))
    assert (
        openpyxl.load_workbook(tmp_path / "月报.xlsx")["重大决定"]["B4"].value
        == "乐交执罚〔2025〕7号"
    )


def test_template_sources_from_cases(data: Database, tmp_path: Path) -> None:
    from brigade_desk.reports.template_fill import fill_template, placeholder_help

    assert any(p.startswith("{{行:案卷评查.") for p, _ in placeholder_help(REGISTRY.sources()))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "上报"
    ws["A1"] = "{{单位名称}}重大决定（{{年度}}）"
    ws.append(["案号", "决定日期", "备案情况"])
    ws.append(["{{行:重大决定.案号}}", "{{行:重大决定.决定日期}}", "{{行:重大决定.备案情况}}"])
    ws.append([])
    ws.append(["{{行:案卷评查.案号}}", "{{行:案卷评查.主要问题}}"])
    tpl = tmp_path / "t.xlsx"
    wb.save(tpl)
    out = tmp_path / "o.xlsx"
    with data.session() as s:
        fill_template(s, tpl, out, Period(2025, quarter=4), REGISTRY.sources())
    got = openpyxl.load_workbook(out)["上报"]
    cols = [[c.value for c in row] for row in got.iter_rows(min_row=3)]
    assert [r[0] for r in cols[:2]] == [A, B] and cols[0][2] == "按期" and cols[1][2] == "逾期"
    assert [r[0] for r in cols[3:5]] == [A, B]


def test_migration_0007_keeps_cases_and_their_officers(tmp_path: Path) -> None:
    """A database with the case register but no appeal dates (0004, not 0007) with a case and its
    officers upgrades to the head without losing a row (batch mode on SQLite must not cascade-delete
    case_officer)."""
    from alembic import command

    from brigade_desk.core import db as dbmod

    p = tmp_path / "old.sqlite"
    eng = dbmod._make_engine(p, foreign_keys=False)
    cfg = dbmod.alembic_config()
    with eng.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")  # today's chain: 0001 to 0004
        # stamped as the program of that time stamped the same migrations (the chain branched then)
        conn.exec_driver_sql("DELETE FROM alembic_version")
        conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('0002'), ('0003'), ('0004')")
        conn.commit()
        conn.exec_driver_sql(
            "INSERT INTO staff (id, name, sex, id_number, squad, post, category, is_legal_reviewer, "
            "is_front_line, status, bodycam_no, phone, notes) VALUES "
            "(1, '甲', '男', '630102198501010011', '', '', '执法人员', 0, 1, '在岗', '', '', '')"
        )
        conn.exec_driver_sql(
            "INSERT INTO case_record (id, case_no, cause, party, party_type, domain, category, procedure, "
            "fine_amount, is_major, activities, notes) VALUES "
            "(1, 'X1', '超限', '乙', '个人', '公路路政', '行政处罚', '普通', 100, 0, '[]', '')"
        )
        conn.exec_driver_sql("INSERT INTO case_officer (case_id, staff_id) VALUES (1, 1)")
        conn.commit()
    eng.dispose()
    d = dbmod.open_database(p)
    try:
        assert (
            dbmod.current_revisions(d.engine) == dbmod.known_heads()
        )  # through 0007 to the merged head
        with d.engine.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM case_officer").scalar() == 1
            assert c.exec_driver_sql(
                "SELECT case_no, reconsidered_on, sued_on, transferred_on FROM case_record"
            ).one() == ("X1", None, None, None)
            idx = {r[1] for r in c.exec_driver_sql("PRAGMA index_list('case_record')")}
            assert {
                "ix_case_record_reconsidered_on",
                "ix_case_record_sued_on",
                "ix_case_record_transferred_on",
            } <= idx
    finally:
        d.close()


def test_wrapped_lines_estimate() -> None:
    from brigade_desk.core.forms.xlsxform import wrapped_lines

    assert wrapped_lines("abc", 12) == 1
    assert (
        wrapped_lines("案" * 5, 12) == 1 and wrapped_lines("案" * 6, 12) == 2
    )  # 11 usable units, 2 per CJK character
    assert wrapped_lines("a\nb", 12) == 2


def test_annual_report_has_the_real_training_and_av_parts(tmp_path: Path) -> None:
    from brigade_desk.app import demo

    d = fresh_db(tmp_path / "a.sqlite")
    demo.fill(d, size="small", seed=4, today=dt.date(2026, 11, 23))
    with d.session() as s:
        content = annual.AnnualContent(REGISTRY.annual_sections(), REGISTRY.recording_parts())
        secs = annual.annual_sections(s, 2026, dt.date(2026, 11, 23), content)
    d.close()
    titles = [x.title for x in secs]
    assert titles[0] == "执法人员培训情况"
    training = secs[0]
    assert any("人均业务培训" in p for p in training.paragraphs) and training.detail_rows
    three = next(x for x in secs if x.sheet == "三项制度")
    assert any("音像记录文件" in str(r[0]) for r in three.rows)
