"""The case importer against a messy province export built with openpyxl."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from cases_support import D, add_staff, db  # noqa: F401
from sqlalchemy import func, select

from brigade_desk.core.errors import UserError
from brigade_desk.ledgers.cases.importer import import_cases, write_template
from brigade_desk.ledgers.cases.models import CaseRecord

HEAD = [
    "序 号",
    "案件编号",
    "案　由",
    "当事人名称",
    "当事人类别",
    "执法领域",
    "执法类别",
    "程序类型",
    "主办人",
    "协办人",
    "立案时间",
    "处罚决定日期",
    "法制审核时间",
    "集体讨论",
    "备案时间",
    "公示日期",
    "罚款金额（元）",
    "是否重大",
    "强制措施",
    "结案时间",
    "备注",
]


def good_rows():
    return [
        [
            1,
            "乐交执罚〔2025〕1号",
            "未取得道路运输经营许可擅自从事经营",
            "某某物流有限公司",
            "法人",
            "道路运政",
            "行政处罚",
            "一般程序",
            "张三",
            "李四(C-LI-2)",
            dt.datetime(2025, 3, 5),
            "2025.4.20",
            "2025/04/18",
            "2025年4月19日",
            45771,
            "2025-04-30",
            "3万",
            "是",
            "扣押、暂扣",
            None,
            "",
        ],
        [
            2,
            "乐交执罚〔2025〕2号",
            "超限运输",
            "王小二",
            "自然人",
            "公路路政",
            "处罚",
            "简易",
            "李四(C-LI-2)",
            "赵六",
            None,
            "2025-05-06",
            None,
            None,
            None,
            "2025-05-07",
            200,
            "否",
            "",
            "2025-05-06",
            "当场处罚",
        ],
        [
            3,
            "乐交执检〔2025〕3号",
            "港口经营检查",
            "某港务公司",
            "",
            "港口",
            "监督检查",
            "",
            "张三",
            "赵六",
            "20250601",
            None,
            None,
            None,
            None,
            None,
            None,
            "",
            "现场检查",
            "2025-06-02",
            "",
        ],
    ]


def workbook(path, rows, *, title=True):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "案件列表"
    if title:
        ws.append(["行政执法案件登记表（省行政执法综合管理平台导出）"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEAD))
        ws.append(
            [
                "填报单位：某县交通运输综合行政执法大队",
                None,
                None,
                None,
                None,
                "导出时间：2025-07-01",
            ]
        )
        ws.append([])
    ws.append(HEAD)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def staffed(db):  # noqa: F811
    with db.begin() as s:
        add_staff(s, "张三")
        p = add_staff(s, "李四")
        p.certificates[0].cert_no = "C-LI-2"
        add_staff(s, "李四")  # a namesake
        add_staff(s, "赵六")
    return db


def count(db):  # noqa: F811
    with db.session() as s:
        return s.scalar(select(func.count(CaseRecord.id)))


def test_import_messy_export(staffed, tmp_path):
    path = workbook(tmp_path / "导出.xlsx", good_rows())
    r = import_cases(staffed, path, today=D(2025, 7, 1))
    assert (r.created, r.updated, r.skipped, r.errors) == (3, 0, 0, [])
    with staffed.session() as s:
        c = s.scalar(select(CaseRecord).where(CaseRecord.case_no == "乐交执罚〔2025〕1号"))
        assert (
            c.party_type == "单位"
            and c.procedure == "普通"
            and c.category == "行政处罚"
            and c.is_major
        )
        assert (
            c.filed_on == D(2025, 3, 5)
            and c.decided_on == D(2025, 4, 20)
            and c.legal_review_on == D(2025, 4, 18)
        )
        assert c.collective_on == D(2025, 4, 19) and c.reported_on == D(
            2025, 4, 24
        )  # Excel serial 45771
        assert c.fine_amount == Decimal("30000.00") and c.activities == ["查封扣押", "暂扣车辆"]
        assert sorted(o.name for o in c.officers) == ["张三", "李四"]
        c3 = s.scalar(select(CaseRecord).where(CaseRecord.case_no == "乐交执检〔2025〕3号"))
        assert (
            c3.category == "行政检查" and c3.party_type == "单位" and c3.filed_on == D(2025, 6, 1)
        )
        c2 = s.scalar(select(CaseRecord).where(CaseRecord.case_no == "乐交执罚〔2025〕2号"))
        assert c2.procedure == "简易" and c2.party_type == "个人" and c2.fine_amount == 200


def test_totals_and_signature_lines_under_the_table_are_ignored(staffed, tmp_path):
    rows = good_rows() + [
        [
            None,
            None,
            "合计",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            30200,
        ],
        ["制表人：李晓燕", None, None, "审核人：王建国"],
    ]
    r = import_cases(staffed, workbook(tmp_path / "t.xlsx", rows), today=D(2025, 7, 1))
    assert (r.created, r.errors) == (3, [])
    rows.append([None, None, "缺案号的案件", "某人"])
    r = import_cases(
        staffed, workbook(tmp_path / "t2.xlsx", rows), today=D(2025, 7, 1), dry_run=True
    )
    assert "案号不能为空" in [e.message for e in r.errors] and {e.row for e in r.errors} == {10}


def test_reimport_updates_and_never_duplicates(staffed, tmp_path):
    rows = good_rows()
    import_cases(staffed, workbook(tmp_path / "a.xlsx", rows), today=D(2025, 7, 1))
    rows[1][15] = "2025-05-09"
    rows[1][20] = "更正公示日期"
    r = import_cases(staffed, workbook(tmp_path / "b.xlsx", rows), today=D(2025, 7, 1))
    assert (r.created, r.updated) == (0, 3) and count(staffed) == 3
    with staffed.session() as s:
        c2 = s.scalar(select(CaseRecord).where(CaseRecord.case_no == "乐交执罚〔2025〕2号"))
        assert c2.published_on == D(2025, 5, 9) and c2.notes == "更正公示日期"


def test_errors_name_sheet_row_column_and_nothing_is_written(staffed, tmp_path):
    rows = good_rows()
    rows[0][8] = "王五"  # not on the roster
    rows[1][9] = "李四"  # ambiguous namesake
    rows[2][10] = "2025-13-01"  # impossible date
    rows.append(
        [
            4,
            "乐交执罚〔2025〕1号",
            "重复",
            "某人",
            "个人",
            "道路运政",
            "行政处罚",
            "简易",
            "张三",
            "赵六",
            None,
            "2025-05-06",
            None,
            None,
            None,
            None,
            50,
            "否",
            "",
            None,
            "",
        ]
    )
    rows.append(
        [
            5,
            "乐交执罚〔2025〕5号",
            "类别错",
            "某人",
            "个人",
            "道路运政",
            "行政审批",
            "普通",
            "张三",
            "赵六",
            "2025-05-01",
            None,
            None,
            None,
            None,
            None,
            None,
            "否",
            "爆破",
            None,
            "",
        ]
    )
    path = workbook(tmp_path / "bad.xlsx", rows)
    r = import_cases(staffed, path, today=D(2025, 7, 1))
    assert r.rejected and count(staffed) == 0
    by = {(e.row, e.column): e.message for e in r.errors}
    assert "不在花名册中" in by[(5, "主办人")]
    assert "请写成“李四(执法证号)”" in by[(6, "协办人")]
    assert "不存在" in by[(7, "立案时间")]
    assert "重复" in by[(8, "案件编号")]
    assert "案件类别「行政审批」" in by[(9, "执法类别")] and "爆破" in by[(9, "强制措施")]
    assert all(e.sheet == "案件列表" for e in r.errors)
    # dry run with skip_invalid: counts only
    r = import_cases(staffed, path, dry_run=True, skip_invalid=True, today=D(2025, 7, 1))
    assert (r.created, r.skipped) == (0, 5)
    assert count(staffed) == 0
    rows[0][8] = "张三"
    r = import_cases(
        staffed, workbook(tmp_path / "bad2.xlsx", rows), skip_invalid=True, today=D(2025, 7, 1)
    )
    assert r.created == 1 and r.skipped == 4 and count(staffed) == 1 and not r.rejected


def test_date_order_and_missing_header(staffed, tmp_path):
    rows = good_rows()[:1]
    rows[0][11] = "2025-03-01"  # decision before 立案 (2025-03-05)
    r = import_cases(staffed, workbook(tmp_path / "x.xlsx", rows), today=D(2025, 7, 1))
    assert (
        r.rejected
        and "早于立案日期" in r.errors[0].message
        and r.errors[0].column == "处罚决定日期"
    )
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证号"])
    wb.save(tmp_path / "wrong.xlsx")
    r = import_cases(staffed, tmp_path / "wrong.xlsx")
    assert r.rejected and r.errors[0].row == 0 and "没有找到表头" in r.errors[0].message
    with pytest.raises(UserError, match="找不到文件"):
        import_cases(staffed, tmp_path / "none.xlsx")


def test_template_round_trip(staffed, tmp_path):
    out = write_template(tmp_path / "模板.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["案件登记"]
    ws.cell(2, 8).value = "张三、赵六"
    wb.save(out)
    r = import_cases(staffed, out, today=D(2025, 7, 1))
    assert r.created == 1 and not r.errors


def test_activities_are_plain_json_with_readable_chinese(staffed, tmp_path):
    """The AV ledger reads ``case_record.activities`` with plain SQL."""
    import json as _json

    from sqlalchemy import text

    import_cases(staffed, workbook(tmp_path / "a.xlsx", good_rows()), today=D(2025, 7, 1))
    with staffed.session() as s:
        raw = (
            s.execute(
                text(
                    "SELECT CAST(activities AS TEXT) FROM case_record"
                    " WHERE CAST(activities AS TEXT) LIKE '%查封扣押%'"
                )
            )
            .scalars()
            .all()
        )
    assert len(raw) == 1 and _json.loads(raw[0]) == ["查封扣押", "暂扣车辆"]
