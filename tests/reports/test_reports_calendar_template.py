"""The reporting calendar and the superior's-template filler."""

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from dbtemplate import fresh_db, new_target, target
from openpyxl.styles import Font

from brigade_desk.app.cli import main
from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.period import Period
from brigade_desk.ledgers.roster.service import RosterService
from brigade_desk.reports import reporting_calendar as calendar
from brigade_desk.reports.template_fill import fill_template, placeholder_help
from tests.conftest import IDS, add_officer


def _started(db: Database, on: dt.date) -> None:
    """The clerk began keeping the roster here on ``on`` (the first person's created_at)."""
    from brigade_desk.ledgers.roster.models import Staff

    with db.begin() as s:
        s.add(
            Staff(
                name="甲",
                id_number="11010519491231002X",
                sex="女",
                category="执法人员",
                squad="一中队",
                created_at=dt.datetime.combine(on, dt.time(9)),
            )
        )


def test_nothing_is_overdue_before_the_clerk_started(db: Database) -> None:
    as_of = dt.date(2026, 11, 4)
    with db.session() as s:  # an empty roster: a first start shows what is due, nothing overdue
        assert not [i for i in calendar.deadlines(s, as_of) if i.state == "late"]
    _started(db, dt.date(2026, 10, 20))
    with db.session() as s:
        late = {(i.key, i.period) for i in calendar.deadlines(s, as_of) if i.state == "late"}
    assert ("monthly_brief", "2026-10") in late  # due 3 November, after the start
    assert ("quarterly_upload", "2026-Q3") not in late  # due 10 October, before it


def test_calendar_due_late_done(db: Database) -> None:
    as_of = dt.date(2026, 11, 4)
    _started(db, dt.date(2026, 1, 1))
    with db.session() as s:
        items = calendar.deadlines(s, as_of)
    by = {(i.key, i.period): i for i in items}
    assert by[("monthly_data", "2026-10")].due == dt.date(2026, 11, 5)
    assert by[("monthly_data", "2026-10")].state == "due"
    assert by[("monthly_brief", "2026-10")].state == "late"  # due on the 3rd
    assert by[("city_progress", "2026-11")].due == dt.date(2026, 11, 25)
    assert (
        by[("quarterly_upload", "2026-Q3")].due == dt.date(2026, 10, 10)
        and by[("quarterly_upload", "2026-Q3")].state == "late"
    )
    with db.begin() as s:
        calendar.mark_done(s, "monthly_brief", "2026-10", dt.date(2026, 11, 4))
    with db.session() as s:
        by = {(i.key, i.period): i for i in calendar.deadlines(s, as_of)}
    assert by[("monthly_brief", "2026-10")].state == "done"


def test_calendar_yearly_items(db: Database) -> None:
    with db.session() as s:
        items = calendar.deadlines(s, dt.date(2027, 1, 10))
    by = {(i.key, i.period): i for i in items}
    assert by[("annual_report", "2026")].due == dt.date(2027, 1, 31)
    with db.session() as s:
        items = calendar.deadlines(s, dt.date(2027, 3, 5))
    assert any(
        i.key == "training_plan" and i.period == "2027" and i.due == dt.date(2027, 3, 31)
        for i in items
    )


def test_cli_deadlines_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dbp = new_target(tmp_path / "d.sqlite")
    assert main(["--db", target(dbp), "deadlines", "--as-of", "2026-11-04", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["as_of"] == "2026-11-04"
    assert all(
        set(i) >= {"name", "due", "state"} and i["state"] in ("due", "late", "done")
        for i in data["items"]
    )
    assert (
        main(
            [
                "--db",
                target(dbp),
                "deadlines",
                "--as-of",
                "2026-11-04",
                "--json",
                "--done",
                "monthly_brief",
                "2026-10",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert any(i["key"] == "monthly_brief" and i["state"] == "done" for i in data["items"])


def make_template(p: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "上报表"
    ws.merge_cells("A1:E1")
    ws["A1"] = "{{年度}}年第{{季度}}季度执法证件情况表"
    ws["A2"] = "填报单位：{{单位名称}}"
    ws["D2"] = "{{填报日期}}"
    ws.append(["序号", "姓名", "执法证号", "有效期至", "备注"])
    ws.append(
        [
            "{{行:执法证件.序号}}",
            "{{行:执法证件.姓名}}",
            "证号{{行:执法证件.执法证号}}",
            "{{行:执法证件.有效期至}}",
            "固定文字",
        ]
    )
    ws["B4"].font = Font(bold=True, color="FF0000")
    ws.row_dimensions[4].height = 22
    ws.append([])
    ws.append(["第二部分：法制审核人员"])
    ws.merge_cells("A6:E6")
    ws.append(["{{行:花名册.姓名}}", "{{行:花名册.法制审核人员}}"])
    ws.append(["填表人：{{填表人}}", None, "审核人：{{审核人}}"])
    ws.merge_cells("A8:B8")
    ws.row_dimensions[8].height = 30
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    wb.save(p)
    return p


def test_template_fill_sections_merges_and_text(
    tmp_path: Path, db: Database, roster: RosterService
) -> None:
    add_officer(roster, IDS[0], '=HYPERLINK("x")', valid_to=dt.date(2030, 1, 2))
    add_officer(roster, IDS[1], "乙", valid_to=dt.date(2029, 5, 6))
    add_officer(roster, IDS[2], "丙", valid_to=dt.date(2028, 3, 4))
    out = tmp_path / "已填.xlsx"
    with db.session() as s:
        rep = fill_template(
            s,
            make_template(tmp_path / "模板.xlsx"),
            out,
            Period(2026, 3),
            REGISTRY.sources(),
            today=dt.date(2026, 10, 9),
        )
    assert rep.sections == 2 and rep.rows == 6
    ws = openpyxl.load_workbook(out)["上报表"]
    assert ws["A1"].value == "2026年第3季度执法证件情况表"
    assert ws["A2"].value.startswith("填报单位：") and "{{" not in ws["A2"].value
    assert ws["D2"].value.date() == dt.date(2026, 10, 9)  # a date stays a date
    names = [ws.cell(r, 2).value for r in (4, 5, 6)]
    assert sorted(names, key=str) == sorted(['=HYPERLINK("x")', "乙", "丙"], key=str)
    evil_row = 4 + names.index('=HYPERLINK("x")')
    assert ws.cell(evil_row, 2).data_type == "s"  # never a formula
    assert isinstance(ws.cell(4, 1).value, int) and isinstance(ws.cell(4, 4).value, dt.datetime)
    assert str(ws.cell(4, 3).value).startswith("证号C")
    assert all(ws.cell(r, 5).value == "固定文字" for r in (4, 5, 6))
    assert ws.cell(5, 2).font.bold and ws.cell(6, 2).font.color.rgb.endswith("FF0000")
    assert ws.row_dimensions[6].height == 22
    # second section moved down by 2, its merge too; then its own 3 rows
    assert ws["A8"].value == "第二部分：法制审核人员" and "A8:E8" in {
        str(m) for m in ws.merged_cells.ranges
    }
    assert [ws.cell(r, 2).value for r in (9, 10, 11)] == ["否", "否", "否"]  # booleans as 是/否
    assert ws["A12"].value.startswith("填表人：") and "A12:B12" in {
        str(m) for m in ws.merged_cells.ranges
    }
    assert ws.row_dimensions[12].height == 30
    assert "A1:E1" in {str(m) for m in ws.merged_cells.ranges}
    assert ws.print_title_rows == "$3:$3" and ws.page_setup.orientation == "landscape"


def test_template_errors_are_named(tmp_path: Path, db: Database) -> None:
    wb = openpyxl.Workbook()
    wb.active["C7"] = "{{不存在的东西}}"
    wb.save(tmp_path / "t.xlsx")
    with db.session() as s, pytest.raises(UserError, match="C7"):
        fill_template(s, tmp_path / "t.xlsx", tmp_path / "o.xlsx", Period(2026), REGISTRY.sources())
    wb = openpyxl.Workbook()
    wb.active["A3"] = "{{行:培训.姓名}}X"
    wb.active["A4"] = "{{行:执法证件.不存在}}"
    wb.save(tmp_path / "t2.xlsx")
    with db.session() as s, pytest.raises(UserError, match="没有字段|无法识别"):
        fill_template(
            s, tmp_path / "t2.xlsx", tmp_path / "o.xlsx", Period(2026), REGISTRY.sources()
        )
    assert not (tmp_path / "o.xlsx").exists()
    assert any("{{单位名称}}" == p for p, _ in placeholder_help(REGISTRY.sources()))
    # a wrong placeholder below a detail section is named where the clerk wrote it, not where the
    # section's rows pushed it
    wb = openpyxl.Workbook()
    wb.active["A3"] = "{{行:执法证件.证号}}"
    wb.active["D6"] = "{{没有这个}}"
    wb.save(tmp_path / "t3.xlsx")
    with db.session() as s, pytest.raises(UserError, match="单元格 D6 "):
        fill_template(
            s, tmp_path / "t3.xlsx", tmp_path / "o.xlsx", Period(2026), REGISTRY.sources()
        )


def test_cli_export_template(tmp_path: Path, db: Database, roster: RosterService) -> None:
    add_officer(roster, IDS[0], "甲")
    t = make_template(tmp_path / "模板.xlsx")
    out = tmp_path / "结果.xlsx"
    assert (
        main(
            [
                "--db",
                target(db),
                "export",
                "template",
                str(t),
                "--year",
                "2026",
                "--quarter",
                "4",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert openpyxl.load_workbook(out)["上报表"]["B4"].value == "甲"


def test_quarterly_workbook_has_the_four_sheets_with_database_counts(tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from brigade_desk.app import demo
    from brigade_desk.ledgers.av.models import AvRecord
    from brigade_desk.reports.quarterly import export_quarterly

    d = fresh_db(tmp_path / "q.sqlite")
    demo.fill(d, size="small", seed=2, today=dt.date(2026, 11, 23))
    out = export_quarterly(d, tmp_path / "季度.xlsx", Period(2026, 3), REGISTRY.quarterly_sheets())
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["培训台账", "执法证件", "音像记录", "案卷评查"]
    with d.session() as s:
        n_av = s.scalar(
            select(func.count(AvRecord.id)).where(
                AvRecord.media_start >= dt.datetime(2026, 7, 1),
                AvRecord.media_start < dt.datetime(2026, 10, 1),
            )
        )
    av = wb["音像记录"]
    data_rows = [r for r in av.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert len(data_rows) == n_av
    for ws in wb:
        assert (
            ws.print_title_rows == "$3:$3"
            and ws.page_setup.orientation == "landscape"
            and ws.freeze_panes == "A4"
        )
    d.close()


def test_set_done_marks_and_unmarks_in_its_own_transaction(db: Database) -> None:
    """The home page's 标记为已报送 / 撤销已报送标记."""
    as_of = dt.date(2026, 11, 4)
    _started(db, dt.date(2026, 1, 1))

    def state() -> str:
        with db.session() as s:
            by = {(i.key, i.period): i for i in calendar.deadlines(s, as_of)}
        return by[("monthly_brief", "2026-10")].state

    assert state() == "late"
    calendar.set_done(db, "monthly_brief", "2026-10", True)
    assert state() == "done"
    calendar.set_done(db, "monthly_brief", "2026-10", True)  # twice: still one mark
    assert state() == "done"
    calendar.set_done(db, "monthly_brief", "2026-10", False)
    assert state() == "late"
    calendar.set_done(db, "monthly_brief", "2026-10", False)  # nothing to take back: no error
    assert state() == "late"
