"""The sign-in workbook importer against messy workbooks built here."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from dbtemplate import target
from training_helpers import add_staff, id_no, new_db

from brigade_desk.app import cli
from brigade_desk.ledgers.training.importer import import_training, write_template
from brigade_desk.ledgers.training.service import TrainingService

D = dt.date


@pytest.fixture
def db(tmp_path):
    d = new_db(tmp_path)
    yield d
    d.close()


@pytest.fixture
def people(db):
    ids = {
        "zhang": id_no(1),
        "wang1": id_no(2),
        "wang2": id_no(3),
        "li": id_no(4),
    }
    out = {
        "张三": add_staff(db, "张三", id_number=ids["zhang"]),
        "王伟1": add_staff(db, "王伟", squad="一中队", id_number=ids["wang1"]),
        "王伟2": add_staff(db, "王伟", squad="二中队", id_number=ids["wang2"]),
        "李四": add_staff(db, "李四", category="执法辅助人员", id_number=ids["li"]),
    }
    out["ids"] = ids
    return out


def _rows_book(path, rows, *, title=True, header_row_offset=2):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "签到表"
    if title:
        ws.append(["2025年第一季度培训签到汇总表"])
        ws.merge_cells("A1:H1")
        ws.append(
            ["填报单位：某县交通运输综合行政执法大队", None, None, None, "填报日期：2025年4月2日"]
        )
    for _ in range(header_row_offset - 2):
        ws.append([])
    ws.append(
        [
            "序号",
            "培训 日期",
            "培训主题",
            "形式",
            "类别",
            "学 时",
            "姓  名",
            "身份证号码",
            "成绩",
            "签到情况",
            "请假原因",
        ]
    )
    for i, r in enumerate(rows, 1):
        ws.append([i, *r])
    wb.save(path)
    return path


def _sessions(db):
    svc = TrainingService(db)
    return {r.title: svc.get_session(r.id) for r in svc.list_sessions()}


def test_rows_layout_every_date_form_and_partial_fields(db, people, tmp_path):
    f = _rows_book(
        tmp_path / "a.xlsx",
        [
            [
                dt.datetime(2025, 3, 5),
                "行政处罚法讲座",
                "法治讲堂",
                "法律知识",
                3,
                "张三",
                None,
                92,
                "√",
                None,
            ],
            [
                "2025.3.5",
                "行政处罚法讲座",
                "法治讲堂",
                "公共法律知识",
                "3学时",
                "李四",
                None,
                "58",
                "已签到",
                None,
            ],
            [
                45721,
                "案例教学",
                "案例教学",
                "执法技能",
                2.5,
                "王伟",
                people["ids"]["wang2"],
                None,
                None,
                None,
            ],
            [
                "2025年3月12日",
                "党史学习",
                "集中学习",
                "政治理论和党性教育",
                2,
                "张三",
                None,
                None,
                "请假",
                "公差",
            ],
            [
                "2025/03/31",
                "三月集中学法",
                "集中学法",
                "公共法律知识",
                2,
                " 张 三 ",
                None,
                None,
                None,
                None,
            ],
        ],
        header_row_offset=4,
    )
    r = import_training(db, f)
    assert r.errors == [] and r.created == 5 and r.written
    got = _sessions(db)
    lecture = got["行政处罚法讲座"]
    assert (
        lecture.start_date == D(2025, 3, 5)
        and lecture.category == "公共法律知识"
        and lecture.has_exam
    )
    assert {a.name: (a.exam_score, a.exam_passed) for a in lecture.attendance} == {
        "张三": (92, True),
        "李四": (58, False),
    }
    assert got["案例教学"].start_date == D(2025, 3, 5)  # Excel serial 45721
    assert got["案例教学"].attendance[0].staff_id == people["王伟2"]
    party = got["党史学习"]
    assert (
        party.category == "政治教育"
        and not party.attendance[0].attended
        and party.attendance[0].absence_reason == "请假（公差）"
    )
    assert got["三月集中学法"].is_monthly_study and not lecture.is_monthly_study
    zhang = next(p for p in TrainingService(db).year_summary(2025) if p.name == "张三")
    assert zhang.professional == 5 and zhang.political == 0


def test_reimport_updates_and_never_duplicates(db, people, tmp_path):
    rows = [["2025-03-05", "讲座", "法治讲堂", "业务知识", 3, "张三", None, 70, None, None]]
    f = _rows_book(tmp_path / "a.xlsx", rows)
    assert import_training(db, f).created == 1
    rows[0][7] = 95
    f2 = _rows_book(tmp_path / "b.xlsx", rows)
    r = import_training(db, f2)
    assert (r.created, r.updated) == (0, 1)
    s = _sessions(db)
    assert len(s) == 1 and s["讲座"].attendance[0].exam_score == 95


def test_ambiguous_and_unknown_names_are_row_errors_and_nothing_written(db, people, tmp_path):
    f = _rows_book(
        tmp_path / "a.xlsx",
        [
            ["2025-03-05", "讲座", "法治讲堂", "业务知识", 3, "张三", None, None, None, None],
            ["2025-03-05", "讲座", "法治讲堂", "业务知识", 3, "王伟", None, None, None, None],
            ["2025-03-05", "讲座", "法治讲堂", "业务知识", 3, "赵六", None, None, None, None],
            [
                "2025-03-05",
                "讲座",
                "法治讲堂",
                "业务知识",
                3,
                "张三",
                people["ids"]["li"],
                None,
                None,
                None,
            ],
        ],
    )
    r = import_training(db, f)
    assert r.rejected and r.created == 0 and _sessions(db) == {}
    by_row = {e.row: e for e in r.errors}
    assert set(by_row) == {5, 6, 7}  # title row, unit row, header row, then data from row 4
    assert (
        "有 2 人" in by_row[5].message
        and "一中队" in by_row[5].message
        and by_row[5].column == "姓  名"
    )
    assert "没有名为“赵六”" in by_row[6].message
    assert "李四" in by_row[7].message and by_row[7].sheet == "签到表"
    # skip-invalid writes the good row only
    r2 = import_training(db, f, skip_invalid=True)
    assert r2.created == 1 and r2.skipped == 3 and r2.written


def test_squad_column_disambiguates(db, people, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["日期", "培训名称", "培训形式", "培训类别", "学时", "姓名", "所在中队"])
    ws.append(["2025-5-6", "岗位练兵", "岗位练兵", "执法技能", 4, "王伟", "一中队"])
    wb.save(tmp_path / "s.xlsx")
    r = import_training(db, tmp_path / "s.xlsx")
    assert r.errors == []
    assert _sessions(db)["岗位练兵"].attendance[0].staff_id == people["王伟1"]


def test_bad_cells_named_with_sheet_row_column(db, people, tmp_path):
    f = _rows_book(
        tmp_path / "a.xlsx",
        [
            ["2025-02-30", "讲座", "法治讲堂", "业务知识", 3, "张三", None, None, None, None],
            ["2025-03-05", "讲座2", "法治讲堂", "体育", 3, "张三", None, None, None, None],
            ["2025-03-05", "讲座3", "法治讲堂", "业务知识", "三", "张三", None, None, None, None],
            [
                "2025-03-05",
                "讲座4",
                "法治讲堂",
                "业务知识",
                3,
                "张三",
                6.30102198e17,
                None,
                None,
                None,
            ],
            ["2025-03-05", "讲座5", "法治讲堂", "业务知识", 3, "张三", None, 130, None, None],
            [
                "2025-03-05",
                "讲座6",
                "法治讲堂",
                "业务知识",
                3,
                "张三",
                None,
                None,
                "迟到早退？",
                None,
            ],
            ["2025-03-06", "讲座7", "法治讲堂", "业务知识", 3, "张三", None, None, None, None],
            [
                "2025-03-06",
                "讲座7",
                "法治讲堂",
                "业务知识",
                4,
                "王伟",
                people["ids"]["wang1"],
                None,
                None,
                None,
            ],
            ["2025-03-06", "讲座7", "法治讲堂", "业务知识", 3, "张三", None, None, None, None],
        ],
    )
    r = import_training(db, f)
    cols = {e.row: (e.column, e.message) for e in r.errors}
    assert cols[4][0] == "培训 日期" and "不存在" in cols[4][1]
    assert cols[5][0] == "类别" and "体育" in cols[5][1]
    assert cols[6][0] == "学 时"
    assert cols[7][0] == "身份证号码" and "数字" in cols[7][1]
    assert cols[8][0] == "成绩" and "0–100" in cols[8][1]
    assert cols[9][0] == "签到情况"
    assert cols[11][0] == "学 时" and "第 10 行不一致" in cols[11][1]
    assert cols[12][0] == "姓  名" and "已在" in cols[12][1]
    assert r.rejected and _sessions(db) == {}


def test_session_block_per_sheet(db, people, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "3月法治讲堂"
    ws.append(["法治讲堂签到表"])
    ws.merge_cells("A1:E1")
    ws.append(["培训日期：2025年3月20日", None, "学时：", 2])
    ws.append(["培训主题", "交通运输行政执法程序规定", None, "培训形式", "法治讲堂"])
    ws.append(["培训类别：公共法律知识  组织单位：法制审核股"])
    ws.append(["序号", "姓名", "中队", "本人签名", "考试成绩"])
    ws.append([1, "张三", "一中队", "张三", 88])
    ws.append([2, "王伟", "二中队", "王伟", 61])
    ws.append([3, None, None, None, None])
    ws2 = wb.create_sheet("4月")
    ws2.append(
        [
            "培训日期",
            "2025-04-18",
            "培训名称",
            "四月集中学法",
            "培训形式",
            "集中学法",
            "培训类别",
            "法律",
            "学时",
            1.5,
        ]
    )
    ws2.append(["姓名", "签到", "缺勤原因"])
    ws2.append(["张三", "√", None])
    ws2.append(["李四", "病假", None])
    wb.save(tmp_path / "blocks.xlsx")
    r = import_training(db, tmp_path / "blocks.xlsx")
    assert r.errors == [] and r.created == 4
    s = _sessions(db)
    march = s["交通运输行政执法程序规定"]
    assert (march.start_date, march.hours, march.form, march.category, march.organiser) == (
        D(2025, 3, 20),
        2,
        "法治讲堂",
        "公共法律知识",
        "法制审核股",
    )
    assert {a.staff_id for a in march.attendance} == {people["张三"], people["王伟2"]}
    april = s["四月集中学法"]
    assert april.is_monthly_study and april.hours == 1.5
    assert {a.name: (a.attended, a.absence_reason) for a in april.attendance} == {
        "张三": (True, ""),
        "李四": (False, "病假"),
    }


def test_block_missing_hours_names_what_is_missing(db, people, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        ["培训日期：2025-03-20", "培训名称：讲座", "培训形式：法治讲堂", "培训类别：业务知识"]
    )
    ws.append(["序号", "姓名"])
    ws.append([1, "张三"])
    wb.save(tmp_path / "x.xlsx")
    r = import_training(db, tmp_path / "x.xlsx")
    assert (
        r.rejected
        and r.errors[0].row == 3
        and r.errors[0].column == "学时"
        and "缺少" in r.errors[0].message
    )


def test_no_header_and_wrong_file(db, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["随便", "什么"])
    wb.save(tmp_path / "n.xlsx")
    r = import_training(db, tmp_path / "n.xlsx")
    assert r.rejected and r.errors[0].row == 0 and "表头" in r.errors[0].message
    (tmp_path / "bad.xlsx").write_text("not a zip")
    from brigade_desk.core.errors import UserError

    with pytest.raises(UserError, match="bad.xlsx"):
        import_training(db, tmp_path / "bad.xlsx")


def test_partial_credit_column_and_dry_run(db, people, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["培训日期", "培训名称", "培训形式", "培训类别", "学时", "姓名", "实得学时"])
    ws.append(["2025-06-01", "轮训", "集中轮训", "业务知识", 16, "张三", 12])
    ws.append(["2025-06-01", "轮训", "集中轮训", "业务知识", 16, "李四", 16])
    wb.save(tmp_path / "p.xlsx")
    dry = import_training(db, tmp_path / "p.xlsx", dry_run=True)
    assert dry.created == 2 and not dry.written and _sessions(db) == {}
    import_training(db, tmp_path / "p.xlsx")
    att = {a.name: (a.hours, a.credited) for a in _sessions(db)["轮训"].attendance}
    assert att == {"张三": (12, 12), "李四": (None, 16)}


def test_cli_json_exit_codes_and_template(db, people, tmp_path, capsys):
    good = _rows_book(
        tmp_path / "g.xlsx",
        [["2025-03-05", "讲座", "法治讲堂", "业务知识", 3, "张三", None, None, None, None]],
    )
    bad = _rows_book(
        tmp_path / "b.xlsx",
        [["2025-03-05", "讲座", "法治讲堂", "业务知识", 3, "赵六", None, None, None, None]],
    )
    dbp = target(db)
    assert cli.main(["--db", target(dbp), "import", "training", str(bad), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert (
        out["created"] == 0
        and out["errors"][0]["row"] == 4
        and out["errors"][0]["column"] == "姓  名"
    )
    assert cli.main(["--db", target(dbp), "import", "training", str(good), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert {k: got[k] for k in ("created", "updated", "skipped", "errors")} == {
        "created": 1,
        "updated": 0,
        "skipped": 0,
        "errors": [],
    }
    assert got["written"] is True
    tpl = write_template(tmp_path / "tpl.xlsx")
    # the template's example row names 张三, who exists: importing it works
    r = import_training(db, tpl)
    assert r.errors == [] and r.created == 1


@pytest.mark.parametrize(
    ("cell", "said"),
    [
        ("张" * 60, "内容过长（60 字，最多 50 字）"),
        (10**40, "内容过长（41 字，最多 50 字）"),  # not over: a number of 41 digits
        (1e60, "内容过长（60 字，最多 50 字）"),  # text() writes out all its digits
        ("ＡＢＣ" * 20, "内容过长（60 字，最多 50 字）"),  # fullwidth: NFKC changes it
    ],
)
def test_a_long_person_cell_is_refused_although_the_sheet_is_checked_once(
    db, people, tmp_path, cell, said
) -> None:
    """A sheet whose longest text fits every person column skips the per-row length check
    (``t.sheet_texts``); a long text, a number written out in 30 digits or more, or a text NFKC
    would change sends every row through it, so the cell is still named."""
    from brigade_desk.core.tabular import read as t

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["培训日期", "培训名称", "培训形式", "培训类别", "学时", "姓名", "中队", "缺勤原因"])
    ws.append(["2025-03-05", "讲座", "法治讲堂", "公共法律知识", 3, "张三", "一中队", None])
    ws.append(["2025-03-05", "讲座", "法治讲堂", "公共法律知识", 3, "李四", cell, None])
    path = tmp_path / "签到.xlsx"
    wb.save(path)
    r = import_training(db, path)
    assert t.sheet_texts([(1, ["张三", cell])])[1] > 50  # the length check runs on every row
    if said.startswith("内容过长（41"):  # 41 characters: within 50, the squad just is no squad
        assert not any("内容过长" in e.message for e in r.errors)
    else:
        assert [(e.row, e.column, e.message[: len(said)]) for e in r.errors] == [(3, "中队", said)]


def test_sheet_texts_knows_the_longest_text_of_a_plain_sheet() -> None:
    from brigade_desk.core.tabular import read as t

    rows = [
        (1, ["张三", 3.5, None, dt.datetime(2025, 1, 1), "一中队", True]),
        (2, ["法治讲堂 ", 7]),
    ]
    assert t.sheet_texts(rows)[:2] == (True, 5)
    assert t.sheet_texts([(1, ["张\u200b三"])])[0] is False  # an invisible character


def test_a_header_repeated_on_each_printed_page_is_skipped(db, people, tmp_path) -> None:
    """A list printed with its header on every page and scanned back into one sheet: the
    repeated header lines are skipped and said (the sheet's texts hold header names, so every
    row is asked); a list without one asks no row (``t.may_repeat_header``)."""
    from brigade_desk.core.tabular import read as t
    from brigade_desk.ledgers.training.importer import TEMPLATE_HEADERS

    head = list(TEMPLATE_HEADERS)
    line = ["2025-03-05", "讲座", "法治讲堂", "公共法律知识", 3, "张三", people["ids"]["zhang"]]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "签到"
    ws.append(head)
    ws.append(line + ["一中队", "√"])
    ws.append([" 培训 日期", *head[1:]])  # the header again, spaced as typed
    ws.append([*line[:5], "李四", people["ids"]["li"], "一中队", "√"])
    path = tmp_path / "分页.xlsx"
    wb.save(path)
    r = import_training(db, path)
    assert r.errors == [] and r.created == 2
    assert "工作表「签到」第 3 行重复了表头，已跳过。" in r.notes
    probe = t.header_probe({"date": 0, "name": 5}, {"date": "培训日期", "name": "姓名"})
    assert t.may_repeat_header(["讲座", " 姓 名"], probe)
    assert not t.may_repeat_header(["讲座", "张三", "2025-03-05"], probe)


def test_one_session_column_merged_down_under_a_block_above(db, people, tmp_path) -> None:
    """The session named above the table and only its date in a column, merged down over the
    attendees of each day: every blank date carries the one above it, however many blanks follow
    each other (rows of one session are compared whole: a blank is never 'the same' as one)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["培训名称：", "安全生产法专题"])
    ws.append(["培训形式：", "集中学法", "培训类别：", "公共法律知识", "学时：", 2])
    ws.append(["培训日期", "姓名", "身份证号", "签到"])
    ids = people["ids"]
    ws.append(["2025-09-02", "张三", ids["zhang"], "√"])
    ws.append([None, "王伟", ids["wang1"], "√"])
    ws.append([None, "李四", ids["li"], "√"])
    ws.append(["2025-09-09", "张三", ids["zhang"], "√"])
    ws.append([None, "王伟", ids["wang2"], "√"])
    ws.append([None, "李四", ids["li"], "√"])
    ws.merge_cells("A4:A6")
    ws.merge_cells("A7:A9")
    path = tmp_path / "分日.xlsx"
    wb.save(path)
    r = import_training(db, path)
    assert r.errors == [] and r.created == 6, r.errors
    carried = sorted(e.row for e in r.interpretations if "沿用上一行" in e.message)
    assert carried == [5, 6, 8, 9]
    s = TrainingService(db)
    days = sorted(x.start_date for x in s.list_sessions())
    assert days == [D(2025, 9, 2), D(2025, 9, 9)]


def test_presence_read_once_per_text_but_never_across_kinds(db, people, tmp_path) -> None:
    """签到情况 / 缺勤原因 pairs are read once per import; a number 1 (present) and a TRUE cell
    (not a word the program knows) share a dictionary key but not a reading."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["培训日期", "培训名称", "培训形式", "培训类别", "学时", "姓名", "身份证号", "签到"])
    ids = people["ids"]
    day = ["2025-03-05", "讲座", "法治讲堂", "公共法律知识", 3]
    ws.append([*day, "张三", ids["zhang"], 1])
    ws.append([*day, "李四", ids["li"], True])
    ws.append([*day, "王伟", ids["wang1"], "请假"])
    path = tmp_path / "签到.xlsx"
    wb.save(path)
    r = import_training(db, path)
    assert [(e.row, e.message[:12]) for e in r.errors] == [(3, "签到情况「true」无法")]


def test_a_true_cell_is_no_number_one_in_a_session_column(db, people, tmp_path) -> None:
    """学时 1 on one row and TRUE on the next, the other session cells alike: TRUE == 1 in
    Python, but the second row's hours are no number — it is refused, not given the first's."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["培训日期", "培训名称", "培训形式", "培训类别", "学时", "姓名", "身份证号", "签到"])
    ids = people["ids"]
    ws.append(["2025-03-05", "讲座", "法治讲堂", "公共法律知识", 1, "张三", ids["zhang"], "√"])
    ws.append(["2025-03-05", "讲座", "法治讲堂", "公共法律知识", True, "李四", ids["li"], "√"])
    path = tmp_path / "签到.xlsx"
    wb.save(path)
    r = import_training(db, path)
    assert [(e.row, e.column, e.message) for e in r.errors] == [(3, "学时", "「True」不是数字")]
