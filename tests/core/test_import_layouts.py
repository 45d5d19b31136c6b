"""Workbooks laid out the way other offices lay them out import with every column accounted for:
stored, or named as not imported (issue 15).

The files under tests/fixtures/layouts/ were written with openpyxl and, for three of them, saved
again by LibreOffice as .xls and .ods (tests/fixtures/layouts/make_layouts.py), so merged header
cells are read as another program wrote them.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from dbtemplate import new_target, query, target

from brigade_desk.app import cli
from brigade_desk.core.db import Database
from brigade_desk.core.tabular import read as t
from brigade_desk.core.tabular.result import ImportResult
from brigade_desk.ledgers.cases.importer import import_cases
from brigade_desk.ledgers.roster.importer import import_staff
from brigade_desk.ledgers.training.importer import import_training

LAY = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
D = dt.date


def rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    """The rows, dates as SQLite stores them (ISO text; a server returns dates)."""
    with db.session() as s:
        return [
            tuple(v.isoformat() if isinstance(v, dt.date) else v for v in r)
            for r in s.connection().exec_driver_sql(sql).all()
        ]


def ignored(r: ImportResult) -> dict[str, str]:
    return {f"{c.column}:{c.header}": c.reason for c in r.ignored_columns}


def stored(r: ImportResult) -> dict[str, str]:
    return {f"{c.column}:{c.header}": c.field for c in r.stored_columns}


def said(r: ImportResult) -> list[str]:
    return [f"{e.row}:{e.column}:{e.message}" for e in r.interpretations]


def _saved_by_libreoffice(src: Path, suffix: str) -> Path:
    """``src`` saved again by LibreOffice as ``suffix`` (skipped where it is not installed)."""
    import shutil
    import subprocess

    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice is not installed")
    subprocess.run(
        [office, "--headless", "--convert-to", suffix, "--outdir", str(src.parent), str(src)],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return src.with_suffix(f".{suffix}")


@pytest.fixture
def roster_db(db: Database) -> Database:
    r = import_staff(db, LAY / "花名册_两行表头.xlsx")
    assert r.written and r.created == 4, r.errors
    return db


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "ods"])
def test_roster_with_a_two_row_merged_header(db: Database, suffix: str) -> None:
    r = import_staff(db, LAY / f"花名册_两行表头.{suffix}")
    assert r.errors == [] and r.created == 4
    # the certificate columns under 执法证件信息 are stored, named by their whole header
    assert stored(r) == {
        "B:姓名": "姓名",
        "C:性别": "性别",
        "D:身份证号": "身份证号",
        "E:所属中队": "中队",
        "F:人员类别": "人员类别",
        "H:执法证件信息/执法证号": "执法证号",
        "I:执法证件信息/发证机关": "发证机关",
        "J:执法证件信息/发证日期": "发证日期",
        "K:执法证件信息/有效期至": "有效期至",
        "L:联系电话": "联系电话",
    }
    # every other column is named, with the reason
    assert ignored(r) == {
        "A:序号": "序号列，不需要导入",
        "G:政治面貌": "本程序不认识这一列，未导入",
        "M:学历": "本程序不认识这一列，未导入",
    }
    assert "工作表「执法人员」第 9 行是合计、小计或制表、签名行，未导入。" in r.notes
    assert "工作表「执法人员」第 10 行是合计、小计或制表、签名行，未导入。" in r.notes
    # 李娜 is 辅助执法人员 with "无" and "/" in the certificate columns: read as empty, and said
    assert "8:执法证件信息/执法证号:「无」视为空" in said(r)
    assert "8:执法证件信息/有效期至:「/」视为空" in said(r)
    got = rows(
        db,
        "select s.name, s.category, s.phone, c.cert_no, c.issuer, c.issue_date, c.valid_to "
        "from staff s left join certificate c on c.staff_id = s.id order by s.name",
    )
    assert got == [
        (
            "孙立",
            "执法人员",
            "13812345670",
            "C6301103",
            "青海省交通运输厅",
            "2022-01-10",
            "2032-01-09",
        ),
        ("李娜", "执法辅助人员", "13812345671", None, None, None, None),
        (
            "赵宏",
            "执法人员",
            "13812345678",
            "C6301101",
            "青海省交通运输厅",
            "2021-03-05",
            "2031-03-04",
        ),
        # two numbers in one cell are kept as written
        (
            "钱敏",
            "执法人员",
            "13812345679、0971-8877665",
            "C6301102",
            "青海省交通运输厅",
            "2020-07-01",
            "2030-06-30",
        ),
    ]


def test_1904_dates_hidden_sheets_duplicate_column_and_repeated_header(db: Database) -> None:
    r = import_staff(db, LAY / "花名册_1904_隐藏表.xlsx")
    assert r.errors == [] and r.created == 3
    # plain-number dates count from 1904-01-01, not 1899-12-30 (1,462 days apart)
    assert rows(db, "select distinct issue_date, valid_to from certificate") == [
        ("2021-03-05", "2031-03-04")
    ]
    assert any("1904 日期系统" in n for n in r.notes)
    # the hidden and veryHidden sheets are named and not read
    assert any("「旧名单」是隐藏的工作表" in n for n in r.notes)
    assert any("「参数」是深度隐藏（veryHidden）的工作表" in n for n in r.notes)
    assert rows(db, "select count(*) from staff where name in ('周退', '吴密')") == [(0,)]
    # the second 联系电话 column is named as not imported, the first one is stored
    assert ignored(r) == {
        "H:联系电话": "与 G 列「联系电话」被认作同一项（联系电话），只导入了 G 列"
    }
    assert "工作表「花名册」第 3 行重复了表头，已跳过。" in r.notes


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "ods"])
def test_case_list_with_grouped_columns(roster_db: Database, suffix: str) -> None:
    db = roster_db
    r = import_cases(db, LAY / f"案件台账_分组表头.{suffix}", today=D(2025, 12, 31))
    assert r.errors == [] and r.created == 3
    assert stored(r)["D:当事人信息/名称"] == "当事人"
    assert stored(r)["E:当事人信息/类型"] == "当事人类型"
    assert stored(r)["H:处罚决定/决定日期"] == "决定日期"
    assert stored(r)["I:处罚决定/罚款金额"] == "罚款金额"
    assert ignored(r) == {
        "A:序号": "序号列，不需要导入",
        "K:处罚决定/决定书文号": "与 B 列「案号」被认作同一项（案号），只导入了 B 列",
        "L:罚没金额（元）": "已有单独的罚款金额、没收金额列，罚没合计不另行导入",
    }
    assert "工作表「2025年案件」第 5 行是合计、小计或制表、签名行，未导入。" in r.notes
    assert "3:处罚决定/没收金额:「/」视为空" in said(r)
    got = rows(
        db,
        "select case_no, party, party_type, decided_on, fine_amount, confiscation_amount "
        "from case_record order by case_no",
    )
    assert [(g[0][-3:], g[1], g[2], g[3], Decimal(str(g[4])), g[5]) for g in got] == [
        ("〕1号", "某某运输有限公司", "单位", "2025-03-01", Decimal(200000), None),
        ("〕2号", "张某", "个人", "2025-03-09", Decimal(3000), 1200),
        ("〕3号", "王某", "个人", "2025-04-20", Decimal(500), None),
    ]
    # the officers named in 承办人 are linked
    assert rows(db, "select count(*) from case_officer") == [(6,)]


def test_simple_procedure_list_with_one_forfeit_column(roster_db: Database) -> None:
    db = roster_db
    r = import_cases(db, LAY / "简易程序案件.xlsx", today=D(2025, 12, 31))
    assert r.errors == [] and r.created == 2
    assert rows(
        db, "select procedure, fine_amount, decided_on from case_record order by case_no"
    ) == [
        ("简易", 200, "2025-05-06"),
        ("简易", 100, "2025-05-08"),
    ]
    notes = said(r)
    assert any("按表名（简易程序）认定为简易程序" in n for n in notes)
    assert any("罚没金额 200.00 元按罚款金额导入" in n for n in notes)
    assert any("取日期 2025-05-08（星期、时间不导入）" in n for n in notes)


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "ods"])
def test_two_column_sign_in_sheet(roster_db: Database, suffix: str) -> None:
    db = roster_db
    r = import_training(db, LAY / f"签到表_两栏.{suffix}")
    assert r.errors == [] and r.created == 4  # 赵宏 钱敏 | 孙立 李娜: the right half is not lost
    assert rows(
        db,
        "select ts.start_date, ts.hours, s.name from training_attendance a "
        "join training_session ts on ts.id = a.session_id join staff s on s.id = a.staff_id "
        "order by s.name",
    ) == [
        ("2025-03-05", 3.0, "孙立"),
        ("2025-03-05", 3.0, "李娜"),
        ("2025-03-05", 3.0, "赵宏"),
        ("2025-03-05", 3.0, "钱敏"),
    ]
    assert [c.header for c in r.ignored_columns] == ["序号", "序号"]
    # the session date above the table carried a weekday and a time: said once per row
    dated = [e for e in r.interpretations if "取日期 2025-03-05" in e.message]
    assert sorted(e.row for e in dated) == [6, 7]


def test_exam_list_with_own_hours_absent_exam_and_totals(roster_db: Database) -> None:
    db = roster_db
    r = import_training(db, LAY / "考试签到_个人学时.xlsx")
    assert r.errors == [] and r.created == 3
    assert rows(
        db,
        "select ts.start_date, ts.hours, s.name, a.attended, a.hours, a.exam_score, a.exam_passed "
        "from training_attendance a join training_session ts on ts.id = a.session_id "
        "join staff s on s.id = a.staff_id order by s.name",
    ) == [
        # 18 of the session's 22 hours for the one who left early
        ("2025-06-10", 22.0, "孙立", 1, 18.0, 75.0, 1),
        ("2025-06-10", 22.0, "赵宏", 1, None, 92.0, 1),
        # 缺考: attended the training, no score, 是否合格 "/" left empty
        ("2025-06-10", 22.0, "钱敏", 1, None, None, None),
    ]
    notes = said(r)
    assert any("「缺考」：未参加考试，不计成绩" in n for n in notes)
    assert any("本行学时 18 少于同一培训多数人的 22" in n for n in notes)
    assert "工作表「考试」第 4 行是合计、小计或制表、签名行，未导入。" in r.notes
    assert "工作表「考试」第 6 行是合计、小计或制表、签名行，未导入。" in r.notes


def test_cli_json_lists_what_is_not_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dbp = new_target(tmp_path / "cli.sqlite")
    assert (
        cli.main(
            ["--db", target(dbp), "import", "staff", str(LAY / "花名册_两行表头.ods"), "--json"]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["created"] == 4 and out["written"] is True
    assert {c["header"] for c in out["ignored_columns"]} == {"序号", "政治面貌", "学历"}
    assert {"sheet", "column", "header", "reason"} == set(out["ignored_columns"][0])
    assert any(c["field"] == "有效期至" for c in out["stored_columns"])
    assert out["interpretation_count"] == 4
    # a file that cannot be read prints JSON too, with the reason
    assert (
        cli.main(
            ["--db", target(dbp), "import", "staff", str(tmp_path / "无此文件.xlsx"), "--json"]
        )
        == 1
    )
    out = json.loads(capsys.readouterr().out)
    assert out["written"] is False and "找不到文件" in out["refused"]
    assert query(dbp, "select count(*) from staff")[0][0] == 4


# ---- the header reader on its own ---------------------------------------------------------------

COLS = [
    t.Column("name", "姓名", required=True),
    t.Column("id", "身份证号"),
    t.Column("sign", "签到"),
    t.Column("date", "培训日期"),
]


def sparse(*lines: list[object]) -> t.SparseRows:
    return [(n, list(r)) for n, r in enumerate(lines, start=1) if any(v is not None for v in r)]


def test_label_value_lines_above_a_table_are_not_a_two_row_header() -> None:
    h = t.find_header(
        sparse(["培训日期", "2025-04-18", "x"], ["姓名", "身份证号", "签到"], ["张三", "1", "√"]),
        COLS,
    )
    # read as two rows, 培训日期 would stand over 姓名: a label beside its value, not a group
    assert h is not None and (h.first, h.last) == (1, 1)
    assert h.colmap == {"name": 0, "id": 1, "sign": 2}


def test_title_over_the_header_is_not_a_group_label() -> None:
    h = t.find_header(sparse(["某大队签到表"], ["姓名", "身份证号"], ["张三", "1"]), COLS)
    assert h is not None and h.texts[0] == {"name": "姓名", "id": "身份证号"}


def test_blocks_with_shared_columns_on_the_left() -> None:
    h = t.find_header(sparse(["培训日期", "姓名", "签到", "姓名", "签到"]), COLS)
    assert h is not None
    assert h.blocks == [{"name": 1, "sign": 2, "date": 0}, {"name": 3, "sign": 4, "date": 0}]
    assert h.texts[1]["name"] == "姓名（第 2 栏）"


def test_a_column_with_content_but_no_header_is_named() -> None:
    rows_ = sparse(["姓名", "身份证号"], ["张三", "1", None, "另记"])
    h = t.find_header(rows_, COLS)
    assert h is not None
    got = t.ignored_columns("表", h, rows_[1:], COLS)
    assert [(c.column, c.reason) for c in got] == [("D", "这一列有内容但没有表头，未导入")]


@pytest.mark.parametrize(
    ("cell", "want"),
    [
        ("2025年3月5日（星期三）上午9:00—12:00", D(2025, 3, 5)),
        ("2025-03-05 周三 14:30", D(2025, 3, 5)),
        ("2025.3.9（星期日）", D(2025, 3, 9)),
        ("2025.3.9 星期天", D(2025, 3, 9)),
        ("/", None),
        ("—", None),
        ("无", None),
    ],
)
def test_dates_with_weekday_and_time_or_empty_marks(cell: str, want: dt.date | None) -> None:
    row = t.Row("表", 2, {"d": cell}, {"d": "日期"})
    errors: list[object] = []
    assert t.cell(row, "d", t.parse_date, errors) == want  # type: ignore[arg-type]
    assert errors == [] and len(row.notes) == 1


def test_a_weekday_that_disagrees_is_an_error() -> None:
    row = t.Row("表", 2, {"d": "2025年3月5日（星期四）"}, {"d": "日期"})
    errors: list[t.RowError] = []
    assert t.cell(row, "d", t.parse_date, errors) is None
    assert "是星期三" in errors[0].message


def test_1904_epoch_applies_to_plain_numbers_only_inside_cell() -> None:
    row = t.Row("表", 2, {"d": 42432}, {"d": "日期"}, epoch=D(1904, 1, 1))
    assert t.cell(row, "d", t.parse_date, []) == D(2020, 3, 4)  # 1,462 days later
    assert t.parse_date(42432) == D(2016, 3, 3)  # outside a row: the usual 1900 system


def test_session_columns_merged_down_over_the_attendees(
    roster_db: Database, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["培训日期", "培训名称", "培训形式", "培训类别", "学时", "姓名"])
    for name in ("赵宏", "钱敏", "孙立"):
        ws.append([None, None, None, None, None, name])
    for col, v in zip(
        "ABCDE", ["2025-09-02", "安全生产法专题", "集中学法", "公共法律知识", 2], strict=True
    ):
        ws[f"{col}2"] = v
        ws.merge_cells(f"{col}2:{col}4")
    path = tmp_path / "合并.xlsx"
    wb.save(path)
    r = import_training(roster_db, path)
    assert r.errors == [] and r.created == 3
    assert rows(
        roster_db, "select count(*), min(start_date), max(hours) from training_session"
    ) == [(1, "2025-09-02", 2.0)]
    carried = [e for e in r.interpretations if "沿用上一行" in e.message]
    assert sorted({e.row for e in carried}) == [3, 4] and len(carried) == 10


@pytest.mark.parametrize("suffix", ["xlsx", "xls"])
def test_totals_line_counting_people_under_the_name_column(
    roster_db: Database, tmp_path: Path, suffix: str
) -> None:
    """合计 … 2人: a totals line that writes a head count in the 姓名 column is no person (the
    count is not a name); the unknown column is named; a copy saved by LibreOffice reads the same."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "签到"
    ws.append(["2025年第一季度执法人员培训签到表"])
    ws.merge_cells("A1:I1")
    ws.append(["培训信息", "", "", "", "", "参训人员", "", "", ""])
    ws.merge_cells("A2:E2")
    ws.merge_cells("F2:H2")
    ws.append(
        [
            "培训日期",
            "培训名称",
            "培训形式",
            "培训类别",
            "学时",
            "姓名",
            "签到",
            "考试成绩",
            "联系人电话",
        ]
    )
    ws.append(
        ["2025-03-05", "行政处罚法专题", "法治讲堂", "公共法律知识", 3, "赵宏", "√", 88, "139"]
    )
    ws.append(
        ["2025-03-05", "行政处罚法专题", "法治讲堂", "公共法律知识", 3, "钱敏", "√", "缺考", "138"]
    )
    ws.append(["合计", "", "", "", "", "2人", "", "", ""])
    src = tmp_path / "签到.xlsx"
    wb.save(src)
    if suffix == "xls":
        src = _saved_by_libreoffice(src, "xls")
    r = import_training(roster_db, src)
    assert r.errors == [] and r.created == 2, r.errors
    assert "工作表「签到」第 6 行是合计、小计或制表、签名行，未导入。" in r.notes
    assert [c.header for c in r.ignored_columns] == ["联系人电话"]
    # a person whose name merely ends like a count word is still a person
    assert not t.is_footer(t.Row("签到", 9, {"name": "李人"}, {}, cells=["合计"]), "name")
    assert t.is_footer(t.Row("签到", 9, {"name": "共 12 人"}, {}, cells=["合计"]), "name")


@pytest.mark.parametrize("merged", [False, True])
@pytest.mark.parametrize("suffix", ["xlsx", "xls"])
def test_a_column_named_only_in_the_top_header_row_is_named(
    roster_db: Database, tmp_path: Path, suffix: str, merged: bool
) -> None:
    """培训信息 / 人员 / 签到 over the names, and 联系人电话 written in the top row only (or merged
    down over both rows): the column is named by its header, not called a column without one."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "签到"
    ws.append(["培训信息", None, None, None, None, "人员", None, None, "签到", None, "联系人电话"])
    ws.append(
        ["培训日期", "培训名称", "培训形式", "培训类别", "学时", "姓名", "身份证号", "中队"]
        + ["签到情况", "缺勤原因", None]
    )
    for a, b in (("A1", "E1"), ("F1", "H1"), ("I1", "J1")):
        ws.merge_cells(f"{a}:{b}")
    if merged:
        ws.merge_cells("K1:K2")
    ws.append(
        ["2025-03-05", "行政处罚法专题", "法治讲堂", "公共法律知识", 3, "赵宏", None, None]
        + ["√", None, "13800000000"]
    )
    ws.append(
        ["2025-03-05", "行政处罚法专题", "法治讲堂", "公共法律知识", 3, "钱敏", None, None]
        + ["请假", "出差", None]
    )
    ws.append(["", "", "", "", "", "合计", "", "", "2人", "", ""])
    src = tmp_path / "签到.xlsx"
    wb.save(src)
    if suffix == "xls":
        src = _saved_by_libreoffice(src, "xls")
    r = import_training(roster_db, src)
    assert r.errors == [] and r.created == 2, r.errors
    assert ignored(r) == {"K:联系人电话": "本程序不认识这一列，未导入"}
    assert stored(r)["F:人员/姓名"] and stored(r)["A:培训信息/培训日期"]


def test_a_title_row_does_not_name_a_column_below_it() -> None:
    """A title over the header that reaches past the table is no column header: the one-row
    reading stays, and a column with data under the title alone is still a column without one."""
    rows_ = sparse(
        ["某大队签到表", None, None, None],
        ["姓名", "身份证号", "签到"],
        ["张三", "1", "√", "另记"],
    )
    h = t.find_header(rows_, COLS)
    assert h is not None and (h.first, h.last) == (1, 1)
    got = t.ignored_columns("表", h, rows_[2:], COLS)
    assert [(c.column, c.header) for c in got] == [("D", "")]


def test_header_probe_quick_answer_never_hides_a_repeated_header() -> None:
    """The probe's set-based quick answer (every cell seen before, none reading as a header name)
    must agree with the column-by-column comparison, whatever came before: a header line after
    thousands of data rows, rows shorter than the header, a header name typed into one cell."""
    from brigade_desk.core.tabular import read as tr

    texts = {"date": "培训日期", "title": "培训名称", "name": "姓名", "id": "身份证号"}
    blk = {"date": 0, "title": 1, "name": 2, "id": 3}
    probe = tr.header_probe(blk, texts)
    plain = tr.header_probe(blk, texts)
    data = [["2025-01-02", f"第{k % 7}期", f"人{k % 50}", None] for k in range(3000)]
    lines = [
        *data,
        ["培训日期", "培训名称", "姓名", "身份证号"],  # printed page's header again
        ["2025-01-02", "第1期"],  # shorter than the header
        ["2025-01-02", "第1期", "姓名", None],  # one header name typed in: not a header line
        ["培训日期", "第1期", "姓名", None],  # two of four: not enough
        [" 培训 日期", "培训名称（第2页）", "姓 名", "身份证号"],  # spaced: still a header line
        *data[:10],
    ]
    got = [tr.repeats_header(r, probe) for r in lines]
    slow = [tr.repeats_header(r, list(plain)) for r in lines]
    assert got == slow
    assert got[3000] is True and got[3004] == slow[3004]
    assert sum(got) == sum(slow) >= 1
    assert not any(got[:3000])


def test_header_text_past_the_columns_looked_at_is_named() -> None:
    """A header is looked for in the first 512 columns; text further right in a header row (a
    far cell, nothing under it) is named as not imported, not dropped in silence."""
    header = ["姓名", "身份证号"] + [None] * 600 + ["备注"]
    rows_ = sparse(header, ["张三", "1"])
    h = t.find_header(rows_, COLS)
    assert h is not None
    got = t.ignored_columns("表", h, rows_[1:], COLS, rows_[:1])
    assert [(c.column, c.header, c.reason) for c in got] == [
        ("WE", "备注", "表头只看前 512 列，这一列未导入")
    ]
    assert t.ignored_columns("表", h, rows_[1:], COLS) == []  # (without the header rows)
