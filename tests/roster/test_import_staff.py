"""The staff importer against messy workbooks."""

import datetime as dt
import json
from pathlib import Path

import pytest
from dbtemplate import new_target, target
from openpyxl import Workbook

from brigade_desk.app.cli import main
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.ledgers.roster.importer import import_staff, write_template
from brigade_desk.ledgers.roster.service import RosterService
from tests.conftest import IDS
from tests.xlsx_util import messy_workbook

HEAD = [
    "序号",
    "姓 名",
    "性别",
    "公民身份号码",
    "所属中队",
    "岗位",
    "人员类别",
    "是否法制审核人员",
    "是否一线",
    "状态",
    "执法证件号",
    "发证机关",
    "发证日期",
    "证件有效期",
    "执法记录仪编号",
]


def row(
    n: int,
    name: str,
    idn: object,
    cert: str = "",
    issue: object = None,
    valid: object = None,
    **kw: object,
) -> list:
    base = {
        "sex": "",
        "squad": "一中队",
        "post": "队员",
        "cat": "执法人员",
        "legal": "否",
        "front": "是",
        "status": "在岗",
        "cam": "",
    }
    base.update(kw)
    return [
        n,
        name,
        base["sex"],
        idn,
        base["squad"],
        base["post"],
        base["cat"],
        base["legal"],
        base["front"],
        base["status"],
        cert,
        "青海省人民政府" if cert else "",
        issue,
        valid,
        base["cam"],
    ]


def test_every_date_form_and_shifted_header(tmp_path: Path, db: Database) -> None:
    rows = [
        row(1, "甲", IDS[0], "C1", dt.date(2021, 3, 5), dt.datetime(2027, 3, 4)),
        row(2, "乙", IDS[1], "C2", 44260, "2027.3.4"),  # Excel serial 44260 = 2021-03-05
        row(3, "丙", IDS[2], "C3", "2021/03/05", "2027-3-4"),
        row(4, "丁", IDS[3], "C4", "2021年3月5日", "２０２７年３月４日"),  # full-width digits
    ]
    p = messy_workbook(tmp_path / "花名册.xlsx", HEAD, rows)
    r = import_staff(db, p)
    assert (r.created, r.updated, r.errors) == (4, 0, [])
    people = RosterService(db).list_staff()
    assert len(people) == 4
    for p_ in people:
        c = p_.certificates[0]
        assert c.issue_date == dt.date(2021, 3, 5) and c.valid_to == dt.date(2027, 3, 4)
    assert {p_.sex for p_ in people} == {"女", "男"}  # derived from the ID number


def test_header_not_found_is_clear(tmp_path: Path, db: Database) -> None:
    p = messy_workbook(tmp_path / "x.xlsx", ["甲", "乙", "丙"], [[1, 2, 3]])
    r = import_staff(db, p)
    assert r.rejected and r.errors[0].row == 0 and "表头" in r.errors[0].message


def test_invalid_rows_named_and_nothing_written(tmp_path: Path, db: Database) -> None:
    bad_checksum = IDS[0][:-1] + ("1" if IDS[0][-1] != "1" else "2")
    rows = [
        row(1, "甲", IDS[0], "C1", "2021-03-05", "2027-03-04"),
        row(2, "乙", bad_checksum),
        row(3, "丙", 6.30104197712310e17),  # ID turned into a float by Excel
        row(4, "丁", IDS[0]),  # duplicate of row 4 (Excel numbering)
        row(5, "戊", IDS[3], "C5", "2021-02-30", "2027-01-01"),  # impossible date
        row(6, "己", IDS[4], "C6", "2021-01-01", "2020-01-01", cat="执法辅助人员"),
    ]
    p = messy_workbook(tmp_path / "bad.xlsx", HEAD, rows)
    r = import_staff(db, p)
    assert r.rejected and not r.written
    by_row = {}
    for e in r.errors:
        by_row.setdefault(e.row, []).append(e)
        assert e.sheet == "花名册"
    # header is on Excel row 3, data from row 4
    assert "校验位" in by_row[5][0].message and by_row[5][0].column == "公民身份号码"
    assert "存成了数字" in by_row[6][0].message
    assert "重复" in by_row[7][0].message and "第 4 行" in by_row[7][0].message
    assert any("不存在" in e.message and e.column == "发证日期" for e in by_row[8])
    assert any("辅助人员" in e.message for e in by_row[9])
    assert RosterService(db).count() == 0


def test_skip_invalid_writes_the_rest(tmp_path: Path, db: Database) -> None:
    rows = [row(1, "甲", IDS[0]), row(2, "乙", "123"), row(3, "丙", IDS[2])]
    p = messy_workbook(tmp_path / "s.xlsx", HEAD, rows)
    r = import_staff(db, p, skip_invalid=True)
    assert (r.created, r.skipped, len(r.errors), r.written) == (2, 1, 1, True)
    assert RosterService(db).count() == 2


def test_dry_run_writes_nothing(tmp_path: Path, db: Database) -> None:
    p = messy_workbook(tmp_path / "d.xlsx", HEAD, [row(1, "甲", IDS[0])])
    r = import_staff(db, p, dry_run=True)
    assert r.created == 1 and RosterService(db).count() == 0


def test_reimport_updates_never_duplicates(tmp_path: Path, db: Database) -> None:
    p = messy_workbook(
        tmp_path / "a.xlsx", HEAD, [row(1, "甲", IDS[0], "C1", "2021-01-01", "2026-12-31")]
    )
    import_staff(db, p)
    p2 = messy_workbook(
        tmp_path / "b.xlsx",
        HEAD,
        [
            row(1, "甲", IDS[0], "C1", "2021-01-01", "2027-12-31", status="调离", squad="二中队"),
            row(2, "乙", IDS[1]),
        ],
    )
    r = import_staff(db, p2)
    assert (r.created, r.updated) == (1, 1)
    svc = RosterService(db)
    assert svc.count() == 2
    a = svc.find_by_id_number(IDS[0])
    assert (
        a is not None and a.squad == "二中队" and a.status == "调离" and a.status_date is not None
    )
    assert len(a.certificates) == 1 and a.certificates[0].valid_to == dt.date(2027, 12, 31)
    assert any("调离" in h.what for h in svc.history(a.id))


def test_cert_number_owned_by_someone_else(tmp_path: Path, db: Database) -> None:
    import_staff(
        db,
        messy_workbook(
            tmp_path / "a.xlsx", HEAD, [row(1, "甲", IDS[0], "C1", "2021-01-01", "2027-01-01")]
        ),
    )
    r = import_staff(
        db,
        messy_workbook(
            tmp_path / "b.xlsx", HEAD, [row(1, "乙", IDS[1], "C1", "2021-01-01", "2027-01-01")]
        ),
    )
    assert r.rejected and "已登记给“甲”" in r.errors[0].message


def test_missing_and_wrong_files(tmp_path: Path, db: Database) -> None:
    with pytest.raises(UserError, match="找不到文件"):
        import_staff(db, tmp_path / "nope.xlsx")
    old = tmp_path / "旧.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UserError, match="另存为"):
        import_staff(db, old)
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(UserError, match="无法读取"):
        import_staff(db, broken)


def test_template_imports_cleanly(tmp_path: Path, db: Database) -> None:
    t = write_template(tmp_path / "模板.xlsx")
    r = import_staff(db, t)
    assert r.errors == [] and r.created == 1


def test_cli_json_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbp = new_target(tmp_path / "cli.sqlite")
    good = messy_workbook(
        tmp_path / "g.xlsx", HEAD, [row(1, "甲", IDS[0], "C1", "2021-01-01", "2027-01-01")]
    )
    assert main(["--db", target(dbp), "import", "staff", str(good), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("created", "updated", "skipped", "errors")} == {
        "created": 1,
        "updated": 0,
        "skipped": 0,
        "errors": [],
    }
    # every column of the file is accounted for: the 序号 column is named as not imported
    assert [c["header"] for c in out["ignored_columns"]] == ["序号"]
    bad = messy_workbook(tmp_path / "b.xlsx", HEAD, [row(1, "乙", "12345")])
    assert main(["import", "staff", str(bad), "--json", "--db", target(dbp)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert (
        out["created"] == 0
        and out["errors"][0]["row"] == 4
        and out["errors"][0]["column"] == "公民身份号码"
    )
    with pytest.raises(SystemExit) as e:
        main(["import", "nonsense", "x.xlsx"])
    assert e.value.code == 2
    assert main(["--db", target(dbp), "import", "staff", str(tmp_path / "missing.xlsx")]) == 1
    assert "找不到文件" in capsys.readouterr().err


def test_two_sheets_and_header_synonyms(tmp_path: Path, db: Database) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "一中队"
    ws.append(["姓名", "身份证号码", "执法证号", "有效期至"])
    ws.append(["甲", IDS[0], "C1", "2027-01-01"])
    ws2 = wb.create_sheet("二中队")
    ws2.append([None])
    ws2.append(["名字", "身份证", "执法证编号", "有效期"])
    ws2.append(["乙", IDS[1], "C2", "2028/1/1"])
    p = tmp_path / "two.xlsx"
    wb.save(p)
    r = import_staff(db, p)
    assert r.created == 2 and not r.errors


def test_error_in_a_column_the_sheet_lacks_names_it_in_chinese(
    tmp_path: Path, db: Database
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(["姓 名", "身份证号码", "所在中队", "有效期至"])  # no 执法证号 column at all
    ws.append(["张三", IDS[1], "一中队", "2028-01-01"])
    wb.save(tmp_path / "no_cert_no.xlsx")
    r = import_staff(db, tmp_path / "no_cert_no.xlsx")
    assert r.rejected and not r.written
    assert [(e.sheet, e.row, e.column) for e in r.errors] == [("名单", 2, "执法证号")]
    assert "缺少执法证号" in r.errors[0].message


def test_missing_cert_no_and_a_wrong_date_are_both_named(tmp_path: Path, db: Database) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(["姓名", "身份证号", "执法证号", "发证日期", "有效期至"])
    ws.append(["张三", IDS[1], "", "2021-02-30", "2028-01-01"])  # no number, and 30 February
    wb.save(tmp_path / "both.xlsx")
    r = import_staff(db, tmp_path / "both.xlsx")
    assert r.rejected and not r.written
    assert sorted((e.row, e.column) for e in r.errors) == [(2, "发证日期"), (2, "执法证号")]


def test_header_without_a_required_column_says_which(tmp_path: Path, db: Database) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(["某县交通运输综合行政执法大队执法人员花名册"])
    ws.append([])
    ws.append(["姓名", "所在中队", "执法证号", "有效期至", "联系电话"])  # no 身份证号 column
    ws.append(["张三", "一中队", "C1", "2028-01-01", "123"])
    wb.save(tmp_path / "no_id.xlsx")
    r = import_staff(db, tmp_path / "no_id.xlsx")
    assert r.rejected and not r.written and len(r.errors) == 1
    e = r.errors[0]
    assert (
        (e.sheet, e.row, e.column) == ("名单", 3, "身份证号")
        and "缺少必需的列：身份证号" in e.message
        and "姓名" in e.message
    )


def test_footer_lines_are_not_people_and_held_back_rows_are_counted(
    tmp_path: Path, db: Database
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "所在中队"])
    ws.append(["张三", IDS[0], "一中队"])
    ws.append(["李四", IDS[1][:-1] + "0", "一中队"])  # wrong check digit
    ws.append(["王五", IDS[2], "二中队"])
    ws.append(["合计：3 人", None, None])
    ws.append(["制表人：李晓燕", None, "审核人：王建国"])
    wb.save(tmp_path / "f.xlsx")
    r = import_staff(db, tmp_path / "f.xlsx", dry_run=True)
    assert [(e.row, e.column) for e in r.errors] == [
        (3, "身份证号")
    ]  # no error for the footer lines
    assert r.held_back == 2 and "其中 2 行没有错误" in r.summary()
