"""Text hygiene at the door (issue 17, item 5): Excel error values and invisible characters
(direction overrides, zero-width characters, BOM, control characters) never reach the ledger
through an import, a dialog (the services) or the command line."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from dbtemplate import target
from sqlalchemy import select

from brigade_desk.app import cli
from brigade_desk.core import idcard
from brigade_desk.core.db import Database
from brigade_desk.core.errors import RowError, ValidationError
from brigade_desk.core.tabular import read as t
from brigade_desk.core.tabular.result import ImportResult
from brigade_desk.core.textclean import DirtyText, Kind, clean, visible
from brigade_desk.ledgers.av.device_no import validate_device_no
from brigade_desk.ledgers.av.service import AvEdit, AvService
from brigade_desk.ledgers.cases.importer import import_cases
from brigade_desk.ledgers.cases.models import CaseRecord
from brigade_desk.ledgers.cases.service import CaseInput, CaseService
from brigade_desk.ledgers.roster.importer import import_staff
from brigade_desk.ledgers.roster.models import Certificate, Staff
from brigade_desk.ledgers.roster.service import CertInput, RosterService, StaffInput
from brigade_desk.ledgers.training.importer import import_training
from brigade_desk.ledgers.training.models import TrainingAttendance, TrainingSession

RLO = "\u202e"  # right-to-left override
ZWSP = "\u200b"
BOM = "\ufeff"
SHY = "\u00ad"  # soft hyphen
LRI = "\u2066"
ZWJ = "\u200d"


def id_no(n: int) -> str:
    first17 = f"630102{1980 + n % 20}0{1 + n % 9}1{n % 10}{n % 100:02d}1"
    return first17 + idcard.check_char(first17)


# every character refused in a key and in free text
REFUSED_EVERYWHERE = [RLO, "\u202a", "\u202b", "\u202c", "\u202d", LRI, "\u2067", "\u2068"]
REFUSED_EVERYWHERE += ["\u2069", "\x00", "\x01", "\x1b", "\x7f", "\x85", "\u2061", "\ufff9"]
ZERO_WIDTH = [ZWSP, "\u200c", ZWJ, "\u2060", BOM, SHY, "\u200e", "\u200f"]


# ---- the rules, on their own --------------------------------------------------------------------


@pytest.mark.parametrize("ch", REFUSED_EVERYWHERE)
@pytest.mark.parametrize("kind", list(Kind))
def test_direction_and_control_characters_are_refused_anywhere(ch: str, kind: Kind) -> None:
    for s in (f"{ch}张三", f"张{ch}三", f"张三{ch}"):
        with pytest.raises(DirtyText) as exc:
            clean(s, kind)
        msg = str(exc.value)
        assert f"U+{ord(ch):04X}（" in msg and f"<U+{ord(ch):04X}>" in msg, msg
        assert "含不可见字符" in msg and "请删除后重新输入" in msg


@pytest.mark.parametrize("ch", ZERO_WIDTH)
def test_zero_width_in_a_key_removed_at_the_ends_refused_inside(ch: str) -> None:
    for s, where in (
        (f"{ch}张三", "开头"),
        (f"张三{ch}", "末尾"),
        (f"{ch} 张三 {ch}", "开头和末尾"),
    ):
        got, said = clean(s, Kind.KEY)
        assert got == "张三"
        assert said.startswith(f"已去掉{where}的不可见字符 U+{ord(ch):04X}（"), said
    with pytest.raises(
        DirtyText, match=f"U\\+{ord(ch):04X}.*在第 2 个字符处.*张<U\\+{ord(ch):04X}>三"
    ):
        clean(f"张{ch}三", Kind.KEY)


@pytest.mark.parametrize("ch", ZERO_WIDTH)
def test_zero_width_in_free_text_removed_anywhere_and_said(ch: str) -> None:
    got, said = clean(f"{ch}第一行{ch}\n第二行\t完{ch}", Kind.TEXT)
    assert got == "第一行\n第二行\t完"
    assert said == f"已去掉不可见字符 U+{ord(ch):04X}（" + said.split("（", 1)[1]


def test_plain_text_takes_the_quick_path_unchanged() -> None:
    for s in ("张三", "630102198503150011", "乐交执罚〔2025〕12号", "a b", "", "第一行\n第二行"):
        got, said = clean(s, Kind.KEY)
        assert got is s and said == ""
    assert visible(f"a{RLO}b\nc") == "a<U+202E>b<换行>c"


def test_a_bom_only_cell_is_empty_after_cleaning() -> None:
    assert clean(BOM, Kind.KEY) == ("", "已去掉开头的不可见字符 U+FEFF（字节顺序标记 BOM）")


# ---- workbooks --------------------------------------------------------------------------------


def book(path: Path, sheet: str, header: list[str], rows: list[list[Any]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def errs_at(result: ImportResult, row: int) -> list[RowError]:
    return [e for e in result.errors if e.row == row]


def one_err(result: ImportResult, sheet: str, row: int, column: str, *needles: str) -> RowError:
    found = [e for e in result.errors if (e.sheet, e.row, e.column) == (sheet, row, column)]
    assert len(found) == 1, (row, column, result.errors)
    for n in needles:
        assert n in found[0].message, found[0]
    return found[0]


def no_invisible(*values: object) -> None:
    for v in values:
        if isinstance(v, str):
            assert v.isprintable() or v.replace("\n", "").replace("\t", "").isprintable(), repr(v)


ROSTER_HEAD = [
    "姓名",
    "身份证号",
    "中队",
    "执法记录仪编号",
    "执法证号",
    "发证机关",
    "有效期至",
    "备注",
]


def roster_rows() -> list[list[Any]]:
    """Row 2 onwards: (what is hostile in it) — rows 2–4 and 13 are cleaned and imported, the others
    refused."""
    good = dt.date(2030, 1, 1)
    return [
        [
            f"{BOM}张一",
            id_no(1),
            f"一中队{ZWSP}",
            "JL-001",
            f"C001{ZWSP}",
            "县政府",
            good,
            f"备{ZWSP}注",
        ],
        ["张二", f"{BOM}{id_no(2)}", "一中队", f"{ZWJ}JL-002", "C002", "县政府", good, ""],
        ["张三", id_no(3), "二中队", "JL-003", "C003", "县政府", good, f"{SHY}在岗{SHY}"],
        [f"{RLO}四张", id_no(4), "一中队", "JL-004", "C004", "县政府", good, ""],  # 5
        [f"张{ZWSP}五", id_no(5), "一中队", "JL-005", "C005", "县政府", good, ""],  # 6
        ["张六", f"{id_no(6)[:9]}{ZWSP}{id_no(6)[9:]}", "一中队", "", "C006", "县政府", good, ""],
        ["张七", id_no(7), f"一{LRI}中队", "", "C007", "县政府", good, ""],  # 8
        ["张八", id_no(8), "一中队", f"JL{RLO}-008", "C008", "县政府", good, ""],  # 9
        ["张九", id_no(9), "一中队", "", f"C0{ZWJ}09", "县政府", good, ""],  # 10
        ["#N/A", id_no(10), "一中队", "", "C010", "县政府", good, ""],  # 11
        ["张十一", id_no(11), "一中队", "", "C011", "#REF!", good, f"备注{RLO}"],  # 12
        ["张十二", id_no(12), "一中队", "", "C012", "县政府", good, "正常备注"],  # 13
        ["张十三", id_no(13), "一中队", "", "C013", "县政府", "#VALUE!", ""],  # 14
        ["张十四", id_no(14), "#NAME?", "", "C014", "县政府", good, ""],  # 15
    ]


def check_roster_refusals(result: ImportResult) -> None:
    s = "花名册"
    one_err(result, s, 5, "姓名", "U+202E（从右向左覆盖）", "「<U+202E>四张」", "第 1 个字符")
    one_err(result, s, 6, "姓名", "U+200B（零宽空格）", "「张<U+200B>五」")
    one_err(result, s, 7, "身份证号", "U+200B（零宽空格）", "在第 10 个字符处")
    one_err(result, s, 8, "中队", "U+2066（从左向右隔离）")
    one_err(result, s, 9, "执法记录仪编号", "U+202E（从右向左覆盖）", "JL<U+202E>-008")
    one_err(result, s, 10, "执法证号", "U+200D（零宽连字）")
    one_err(result, s, 11, "姓名", "Excel 错误值 #N/A")
    # the first problem of a row is what it is refused for: #REF! in 发证机关 (the 备注 waits)
    assert {e.column for e in errs_at(result, 12)} == {"发证机关", "备注"}
    one_err(result, s, 12, "发证机关", "Excel 错误值 #REF!")
    one_err(result, s, 12, "备注", "U+202E（从右向左覆盖）")
    one_err(result, s, 14, "有效期至", "Excel 错误值 #VALUE!")
    one_err(result, s, 15, "中队", "Excel 错误值 #NAME?")
    assert {e.row for e in result.errors} == {5, 6, 7, 8, 9, 10, 11, 12, 14, 15}
    notes = {(n.row, n.column): n.message for n in result.interpretations}
    assert "已去掉开头的不可见字符 U+FEFF（字节顺序标记 BOM）" in notes[(2, "姓名")]
    assert "已去掉末尾的不可见字符 U+200B（零宽空格）" in notes[(2, "中队")]
    assert "已去掉末尾的不可见字符 U+200B（零宽空格）" in notes[(2, "执法证号")]
    assert "已去掉不可见字符 U+200B（零宽空格）" in notes[(2, "备注")]
    assert "U+FEFF" in notes[(3, "身份证号")] and "U+200D" in notes[(3, "执法记录仪编号")]
    assert "已去掉不可见字符 U+00AD（软连字符）" in notes[(4, "备注")]


def test_roster_import_refuses_and_cleans(db: Database, tmp_path: Path) -> None:
    path = book(tmp_path / "花名册.xlsx", "花名册", ROSTER_HEAD, roster_rows())
    dry = import_staff(db, path, dry_run=True)
    check_roster_refusals(dry)
    assert dry.rejected and not dry.written
    real = import_staff(db, path)
    check_roster_refusals(real)
    with db.session() as s:
        assert s.scalars(select(Staff)).all() == []  # all or nothing: nothing
    partial = import_staff(db, path, skip_invalid=True)
    check_roster_refusals(partial)
    assert partial.created == 4
    with db.session() as s:
        people = {p.name: p for p in s.scalars(select(Staff))}
        assert sorted(people) == ["张一", "张三", "张二", "张十二"]
        assert people["张一"].squad == "一中队" and people["张一"].notes == "备注"
        assert people["张二"].id_number == id_no(2) and people["张二"].bodycam_no == "JL-002"
        assert people["张三"].notes == "在岗"
        assert (
            s.scalar(select(Certificate.cert_no).where(Certificate.staff_id == people["张一"].id))
            == "C001"
        )
        for p in people.values():
            no_invisible(p.name, p.id_number, p.squad, p.bodycam_no, p.notes)


CASE_HEAD = ["案号", "案由", "当事人", "承办人", "立案日期", "罚款金额", "备注"]


def test_cases_import_refuses_and_cleans(db: Database, tmp_path: Path) -> None:
    RosterService(db).save_staff(StaffInput(name="赵一", id_number=id_no(30), squad="一中队"))
    day = dt.date(2025, 3, 5)
    rows = [
        [f"乐交执罚〔2025〕1号{ZWSP}", "超限运输", "王某", "赵一", day, 1000, ""],  # 2: cleaned
        [
            f"{BOM}乐交执罚〔2025〕2号",
            f"超限{ZWSP}运输",
            "李某",
            "赵一",
            day,
            500,
            "",
        ],  # 3: cleaned
        [f"乐交执罚〔2025〕{RLO}3号", "超限运输", "王某", "赵一", day, 1000, ""],  # 4
        ["乐交执罚〔2025〕4号", "#N/A", "王某", "赵一", day, 1000, ""],  # 5
        ["乐交执罚〔2025〕5号", "超限运输", f"王{ZWJ}某", "赵一", day, 1000, ""],  # 6
        ["乐交执罚〔2025〕6号", "超限运输", "王某", "赵一", day, "#DIV/0!", ""],  # 7
        ["乐交执罚〔2025〕7号", f"超限{RLO}运输", "王某", "赵一", day, 1000, ""],  # 8
        ["乐交执罚〔2025〕8号", "超限运输", "王某", f"赵{ZWSP}一", day, 1000, ""],  # 9
        ["乐交执罚〔2025〕9号", "超限运输", "王某", "赵一", day, 1000, "#REF!"],  # 10
        ["#REF!", "超限运输", "王某", "赵一", day, 1000, ""],  # 11
    ]
    path = book(tmp_path / "案件.xlsx", "案件登记", CASE_HEAD, rows)

    def check(result: ImportResult) -> None:
        s = "案件登记"
        one_err(result, s, 4, "案号", "U+202E（从右向左覆盖）", "〔2025〕<U+202E>3号")
        one_err(result, s, 5, "案由", "Excel 错误值 #N/A")
        one_err(result, s, 6, "当事人", "U+200D（零宽连字）")
        one_err(result, s, 7, "罚款金额", "Excel 错误值 #DIV/0!")
        one_err(result, s, 8, "案由", "U+202E（从右向左覆盖）")
        one_err(result, s, 9, "承办人", "U+200B（零宽空格）")
        one_err(result, s, 10, "备注", "Excel 错误值 #REF!")
        one_err(result, s, 11, "案号", "Excel 错误值 #REF!")
        assert {e.row for e in result.errors} == set(range(4, 12))
        notes = {(n.row, n.column): n.message for n in result.interpretations}
        assert "已去掉末尾的不可见字符 U+200B（零宽空格）" in notes[(2, "案号")]
        assert "已去掉开头的不可见字符 U+FEFF" in notes[(3, "案号")]
        assert "已去掉不可见字符 U+200B（零宽空格）" in notes[(3, "案由")]

    dry = import_cases(db, path, dry_run=True, today=dt.date(2025, 6, 1))
    check(dry)
    real = import_cases(db, path, today=dt.date(2025, 6, 1))
    check(real)
    with db.session() as s:
        assert s.scalars(select(CaseRecord)).all() == []
    partial = import_cases(db, path, skip_invalid=True, today=dt.date(2025, 6, 1))
    check(partial)
    with db.session() as s:
        stored = {c.case_no: c for c in s.scalars(select(CaseRecord))}
    assert sorted(stored) == ["乐交执罚〔2025〕1号", "乐交执罚〔2025〕2号"]
    assert stored["乐交执罚〔2025〕2号"].cause == "超限运输"
    # the same case number, clean this time, is the same case (updated, not a second one)
    again = book(
        tmp_path / "again.xlsx",
        "案件登记",
        CASE_HEAD,
        [["乐交执罚〔2025〕1号", "超限运输", "王某", "赵一", day, 2000, ""]],
    )
    res = import_cases(db, again, today=dt.date(2025, 6, 1))
    assert (res.created, res.updated) == (0, 1)


def test_training_import_refuses_and_cleans(db: Database, tmp_path: Path) -> None:
    roster = RosterService(db)
    for n, name in ((40, "钱一"), (41, "钱二"), (42, "钱三")):
        roster.save_staff(StaffInput(name=name, id_number=id_no(n), squad="一中队"))
    head = [
        "培训日期",
        "培训名称",
        "培训形式",
        "培训类别",
        "学时",
        "姓名",
        "身份证号",
        "中队",
        "缺勤原因",
    ]
    day = dt.date(2025, 3, 5)
    base = [day, "法治讲堂", "集中学法", "公共法律知识", 2]
    rows = [
        [*base, f"钱一{ZWSP}", id_no(40), "一中队", ""],  # 2: cleaned, found
        [*base, "钱二", f"{id_no(41)}{BOM}", f"{BOM}一中队", ""],  # 3: cleaned
        [*base, f"{RLO}三钱", None, None, ""],  # 4
        [*base, "钱三", f"{id_no(42)[:5]}{ZWJ}{id_no(42)[5:]}", None, ""],  # 5
        [day, "#REF!", "集中学法", "公共法律知识", 2, "钱三", None, None, ""],  # 6
        [day, "法治讲堂", "集中学法", "公共法律知识", "#N/A", "钱三", None, None, ""],  # 7
        [*base, "钱三", None, None, "#NAME?"],  # 8
        [
            day,
            f"{BOM}专题讲座",
            "集中学法",
            "公共法律知识",
            3,
            "钱三",
            None,
            None,
            f"请{ZWSP}假",
        ],  # 9
        [day, f"专题{LRI}讲座", "集中学法", "公共法律知识", 3, "钱一", None, None, ""],  # 10
    ]
    path = book(tmp_path / "签到.xlsx", "签到表", head, rows)

    def check(result: ImportResult) -> None:
        s = "签到表"
        one_err(result, s, 4, "姓名", "U+202E（从右向左覆盖）", "「<U+202E>三钱」")
        one_err(result, s, 5, "身份证号", "U+200D（零宽连字）", "在第 6 个字符处")
        one_err(result, s, 6, "培训名称", "Excel 错误值 #REF!")
        one_err(result, s, 7, "学时", "Excel 错误值 #N/A")
        one_err(result, s, 8, "缺勤原因", "Excel 错误值 #NAME?")
        one_err(result, s, 10, "培训名称", "U+2066（从左向右隔离）")
        assert {e.row for e in result.errors} == {4, 5, 6, 7, 8, 10}
        notes = {(n.row, n.column): n.message for n in result.interpretations}
        assert "已去掉末尾的不可见字符 U+200B" in notes[(2, "姓名")]
        assert "已去掉末尾的不可见字符 U+FEFF" in notes[(3, "身份证号")]
        assert "已去掉开头的不可见字符 U+FEFF" in notes[(3, "中队")]
        assert "已去掉开头的不可见字符 U+FEFF" in notes[(9, "培训名称")]
        assert "已去掉不可见字符 U+200B" in notes[(9, "缺勤原因")]

    check(import_training(db, path, dry_run=True))
    check(import_training(db, path))
    with db.session() as s:
        assert s.scalars(select(TrainingSession)).all() == []
    partial = import_training(db, path, skip_invalid=True)
    check(partial)
    assert partial.created == 3
    with db.session() as s:
        titles = sorted(s.scalars(select(TrainingSession.title)))
        reasons = list(s.scalars(select(TrainingAttendance.absence_reason)))
    assert titles == ["专题讲座", "法治讲堂"]
    assert "请假" in reasons
    no_invisible(*titles, *reasons)


def test_session_block_above_the_table_is_checked_too(db: Database, tmp_path: Path) -> None:
    RosterService(db).save_staff(StaffInput(name="孙一", id_number=id_no(50), squad="一中队"))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "第一期"
    ws.append([f"培训名称：法治{RLO}讲堂"])
    ws.append(["培训日期：2025年3月5日", None, "培训形式：集中学法"])
    ws.append(["培训类别：公共法律知识", None, "学时：2"])
    ws.append(["序号", "姓名", "签到情况"])
    ws.append([1, "孙一", "√"])
    path = tmp_path / "block.xlsx"
    wb.save(path)
    result = import_training(db, path, dry_run=True)
    assert [e.row for e in result.errors] == [5]
    assert result.errors[0].column.startswith("培训名称")
    assert "U+202E（从右向左覆盖）" in result.errors[0].message


def test_csv_control_characters(db: Database, tmp_path: Path) -> None:
    """Control characters cannot be put in an .xlsx by openpyxl; a CSV file carries them."""
    path = tmp_path / "花名册.csv"
    rows = [
        ",".join(["姓名", "身份证号", "中队", "备注"]),
        ",".join(["周一", id_no(60), "一中队", "备注\x01内容"]),
        ",".join(["周\x1b二", id_no(61), "一中队", ""]),
        ",".join(["周三", id_no(62), "一中队", '"第一行\n第二行\t完"']),
    ]
    path.write_text("\ufeff" + "\r\n".join(rows) + "\r\n", encoding="utf-8")
    result = import_staff(db, path, skip_invalid=True)
    sheet = result.errors[0].sheet
    one_err(result, sheet, 2, "备注", "U+0001（控制字符）", "备注<U+0001>内容")
    one_err(result, sheet, 3, "姓名", "U+001B（转义符）")
    assert result.created == 1
    with db.session() as s:
        assert s.scalar(select(Staff.notes).where(Staff.name == "周三")) == "第一行\n第二行\t完"


# ---- the services, as the dialogs and the command line use them -----------------------------------


def test_roster_service_refuses_invisible_characters_in_keys(db: Database) -> None:
    roster = RosterService(db)
    with pytest.raises(ValidationError) as exc:
        roster.save_staff(StaffInput(name=f"{RLO}三张", id_number=id_no(70), squad="一中队"))
    assert exc.value.fields.keys() == {"name"}
    assert "姓名含不可见字符 U+202E（从右向左覆盖）" in exc.value.fields["name"]
    with pytest.raises(ValidationError) as exc:
        roster.save_staff(
            StaffInput(name="张三", id_number=f"{id_no(70)[:3]}{ZWSP}{id_no(70)[3:]}")
        )
    assert "身份证号含不可见字符 U+200B（零宽空格）" in exc.value.fields["id_number"]
    with pytest.raises(ValidationError) as exc:
        roster.save_staff(StaffInput(name="张三", id_number=id_no(70), bodycam_no=f"JL{LRI}1"))
    assert "U+2066" in exc.value.fields["bodycam_no"]
    with pytest.raises(ValidationError) as exc:
        roster.save_staff(StaffInput(name="张三", id_number=id_no(70), notes=f"备注{RLO}"))
    assert "备注含不可见字符 U+202E" in exc.value.fields["notes"]
    # zero-width at the ends of a key, anywhere in a note: the value looks the same without them
    sid = roster.save_staff(
        StaffInput(
            name=f"{BOM}张三{ZWSP}",
            id_number=f"{id_no(70)}{ZWSP}",
            squad=f"一中队{ZWSP}",
            notes=f"备{ZWSP}注",
        )
    ).staff_id
    v = roster.get(sid)
    assert (v.name, v.id_number, v.squad, v.notes) == ("张三", id_no(70), "一中队", "备注")
    assert roster.find_by_id_number(id_no(70)) is not None
    # a second 张三 with the same ID number and a BOM is the same number: refused as a duplicate
    with pytest.raises(ValidationError, match="身份证号已登记给"):
        roster.save_staff(StaffInput(name="张三", id_number=f"{BOM}{id_no(70)}"))
    with pytest.raises(ValidationError) as exc:
        roster.add_certificate(sid, CertInput(cert_no=f"C{ZWJ}70", valid_to=dt.date(2030, 1, 1)))
    assert "执法证号含不可见字符 U+200D（零宽连字）" in exc.value.fields["cert_no"]
    cid = roster.add_certificate(sid, CertInput(cert_no=f"C70{ZWSP}", valid_to=dt.date(2030, 1, 1)))
    with db.session() as s:
        cert = s.get(Certificate, cid)
        assert cert is not None and cert.cert_no == "C70"


def test_case_service_refuses_invisible_characters(db: Database) -> None:
    svc = CaseService(db)
    base = {"cause": "超限运输", "party": "王某", "filed_on": dt.date(2025, 3, 5)}
    with pytest.raises(ValidationError) as exc:
        svc.save(CaseInput(case_no=f"乐交执罚〔2025〕{RLO}1号", **base), today=dt.date(2025, 6, 1))
    assert "案号含不可见字符 U+202E（从右向左覆盖）" in exc.value.fields["case_no"]
    assert "<U+202E>" in exc.value.fields["case_no"]
    with pytest.raises(ValidationError) as exc:
        svc.save(
            CaseInput(
                case_no="乐交执罚〔2025〕1号",
                cause=f"超限{RLO}运输",
                party="王某",
                filed_on=dt.date(2025, 3, 5),
            ),
            today=dt.date(2025, 6, 1),
        )
    assert "案由含不可见字符 U+202E" in exc.value.fields["cause"]
    with pytest.raises(ValidationError) as exc:
        svc.save(
            CaseInput(
                case_no="乐交执罚〔2025〕1号",
                cause="超限运输",
                party=f"王{ZWSP}某",
                filed_on=dt.date(2025, 3, 5),
            ),
            today=dt.date(2025, 6, 1),
        )
    assert "当事人含不可见字符 U+200B" in exc.value.fields["party"]
    cid = svc.save(
        CaseInput(case_no=f"{BOM}乐交执罚〔2025〕1号{ZWSP}", **base), today=dt.date(2025, 6, 1)
    )
    with db.session() as s:
        c = s.get(CaseRecord, cid)
        assert c is not None and c.case_no == "乐交执罚〔2025〕1号"
    with pytest.raises(ValidationError, match="已存在"):
        svc.save(CaseInput(case_no=f"乐交执罚〔2025〕1号{ZWSP}", **base), today=dt.date(2025, 6, 1))


def test_av_edit_and_device_numbers(db: Database) -> None:
    with pytest.raises(ValidationError) as exc:
        AvService(db).update(1, AvEdit(case_no=f"乐交执罚〔2025〕{RLO}1号"))
    assert "「案件编号」含不可见字符 U+202E" in exc.value.fields["case_no"]
    with pytest.raises(ValidationError) as exc:
        AvService(db).update(1, AvEdit(notes=f"备注{LRI}"))
    assert "U+2066" in exc.value.fields["notes"]
    assert validate_device_no(f" {BOM}DSJ-001{ZWSP} ") == "DSJ-001"
    for bad in (f"DSJ{RLO}-001", f"DSJ{ZWSP}001", "DSJ\x00"):
        with pytest.raises(ValidationError) as exc:
            validate_device_no(bad)
        assert "「执法记录仪编号」含不可见字符" in exc.value.fields["device_no"]
    with pytest.raises(ValidationError, match="过长"):
        validate_device_no("D" * 51)


# ---- the command line -------------------------------------------------------------------------


def test_cli_dry_run_names_each_cell(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = book(tmp_path / "花名册.xlsx", "花名册", ROSTER_HEAD, roster_rows())
    assert cli.main(["--db", target(db), "import", "staff", str(path), "--dry-run", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    msgs = {(e["row"], e["column"]): e["message"] for e in out["errors"]}
    assert "U+202E（从右向左覆盖）" in msgs[(5, "姓名")]
    assert "Excel 错误值 #N/A" in msgs[(11, "姓名")]
    with db.session() as s:
        assert s.scalars(select(Staff)).all() == []


def test_check_cells_quick_path_leaves_plain_rows_alone() -> None:
    row = t.Row("表", 2, {"name": "张三", "n": 3, "d": dt.date(2025, 1, 1), "x": None}, {})
    errors: list[RowError] = []
    t.check_cells(row, errors, {"name"})
    assert errors == [] and row.notes == [] and row.values["name"] == "张三"


def test_training_service_refuses_a_title_with_a_direction_override(db: Database) -> None:
    from brigade_desk.ledgers.training.service import SessionInput, TrainingService

    svc = TrainingService(db)
    day = dt.date(2025, 3, 5)
    data = SessionInput(start_date=day, title=f"法治{RLO}讲堂", form="集中学法", hours=2)
    with pytest.raises(ValidationError) as exc:
        svc.save_session(data, [])
    assert "培训名称含不可见字符 U+202E（从右向左覆盖）" in exc.value.fields["title"]
    sid = svc.save_session(
        SessionInput(start_date=day, title=f"{BOM}法治讲堂", form=f"集中{ZWSP}学法", hours=2), []
    )
    got = svc.get_session(sid)
    assert (got.title, got.form) == ("法治讲堂", "集中学法")


def test_a_sheet_is_looked_at_once_when_it_is_clean() -> None:
    plain = [
        (2, ["张三", 3, "3#楼", "第一行\n第二行", "案　由", None]),
        (3, ["李四", dt.date(2025, 1, 1)]),
    ]
    assert t.sheet_is_clean(plain)
    for bad in ("#N/A", " #ref! ", f"张{ZWSP}三", f"{BOM}李四", f"a{RLO}b", "x\x01"):
        assert not t.sheet_is_clean([*plain, (4, ["王五", bad])]), bad
    row = t.Row("表", 2, {"name": f"{RLO}三张"}, {}, clean=True)
    errors: list[RowError] = []
    t.check_cells(row, errors, {"name"})  # trusted: the sheet was looked at as a whole
    assert errors == []


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_xls_and_ods_error_values_are_refused_not_read_as_blank(
    db: Database, tmp_path: Path, fmt: str
) -> None:
    """Calamine reads an .xls or .ods error cell as blank: it is handed over as its text and
    refused."""
    src = book(
        tmp_path / "err.xlsx",
        "花名册",
        ["姓名", "身份证号", "备注", "中队", "是否一线"],
        [
            ["张三", id_no(80), "=NA()", "=1/0", True],
            ["李四", id_no(81), "=1+1", '="a"&"b"', False],
        ],
    )
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'lo'}",
            "--headless",
            "--convert-to",
            fmt,
            "--outdir",
            str(tmp_path),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    result = import_staff(db, tmp_path / f"err.{fmt}", skip_invalid=True)
    one_err(result, "花名册", 2, "备注", "Excel 错误值 #N/A")
    one_err(result, "花名册", 2, "中队", "Excel 错误值 #DIV/0!")
    assert result.created == 1  # 李四: a formula's number and text results read as before
    with db.session() as s:
        p = s.scalars(select(Staff)).one()
        assert (p.name, p.notes, p.squad, p.is_front_line) == ("李四", "2", "ab", False)
