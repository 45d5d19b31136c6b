"""The roster workbook as a superior expects it."""

import datetime as dt
import os
from pathlib import Path

import openpyxl
import pytest
from dbtemplate import new_target, target

from brigade_desk.app.cli import main
from brigade_desk.core.db import Database
from brigade_desk.ledgers.roster.exports import export_roster
from brigade_desk.ledgers.roster.service import RosterService
from tests.conftest import IDS, add_officer


def test_layout_types_and_formula_safety(
    tmp_path: Path, db: Database, roster: RosterService
) -> None:
    add_officer(
        roster,
        IDS[0],
        "=SUM(A1:A9)",
        valid_to=dt.date(2030, 5, 6),
        notes="+86 注意",
        bodycam_no="@cam",
    )
    add_officer(roster, IDS[1], "乙", valid_to=dt.date(2026, 12, 1))
    out = export_roster(db, tmp_path / "花名册.xlsx", as_of=dt.date(2026, 11, 1))
    wb = openpyxl.load_workbook(out)
    ws = wb["执法人员花名册"]
    assert any(r.min_row == 1 and r.max_row == 1 for r in ws.merged_cells.ranges)
    assert "花名册" in ws["A1"].value
    assert any(str(c.value or "").startswith("填报单位：") for c in ws[2])
    assert any(str(c.value or "").startswith("填报日期：2026年11月1日") for c in ws[2])
    headers = [c.value for c in ws[3]]
    assert headers[:4] == ["序号", "姓名", "性别", "身份证号"]
    assert ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    # two pages wide at a readable scale, 序号 and 姓名 repeated on the second
    assert (ws.page_setup.scale or 100) >= 80 and ws.print_title_cols == "$A:$B"
    assert ws.freeze_panes == "A4"
    rows = {r[1].value: r for r in ws.iter_rows(min_row=4, max_row=5)}
    evil = rows["=SUM(A1:A9)"]
    assert evil[1].data_type == "s"  # stays text, never a formula
    assert evil[3].value == IDS[0] and evil[3].data_type == "s"
    valid_to = evil[headers.index("有效期至")]
    assert isinstance(valid_to.value, dt.datetime) and valid_to.value.date() == dt.date(2030, 5, 6)
    assert evil[0].value == 1 or evil[0].value == 2  # 序号 is a number
    footer = [str(c.value) for row in ws.iter_rows(min_row=6) for c in row if c.value]
    assert any(v.startswith("填表人") for v in footer) and any(
        v.startswith("审核人") for v in footer
    )
    assert any(v.startswith("联系电话") for v in footer)
    problems = wb["证件问题清单"]
    assert any("即将到期" in str(c.value) for row in problems.iter_rows(min_row=4) for c in row)
    # nothing left behind by the atomic write
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".~")]


def test_cli_export_and_check(tmp_path: Path, capsys: object) -> None:
    import json

    dbp = new_target(tmp_path / "c.sqlite")
    assert main(["--db", target(dbp), "demo", "--seed", "7"]) == 0
    out = tmp_path / "r.xlsx"
    assert main(["--db", target(dbp), "export", "roster", "--out", str(out)]) == 0
    assert openpyxl.load_workbook(out, read_only=True)["执法人员花名册"].max_row > 60
    capsys.readouterr()  # type: ignore[attr-defined]
    assert main(["--db", target(dbp), "check", "--as-of", "2026-11-23", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)  # type: ignore[attr-defined]
    assert data["as_of"] == "2026-11-23"
    assert data["findings"], "the demo data carries deliberate problems"
    for f in data["findings"]:
        assert set(f) == {"rule", "subject", "ref", "due", "detail"}
    assert {"cert_expiring", "cert_expired"} <= {f["rule"] for f in data["findings"]}


def test_export_to_missing_folder_is_clear(tmp_path: Path, db: Database) -> None:
    import pytest

    from brigade_desk.core.errors import UserError

    with pytest.raises(UserError, match="保存位置不存在"):
        export_roster(db, tmp_path / "没有这个文件夹" / "x.xlsx")


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_written_files_are_readable_by_others_like_any_new_file(tmp_path):
    from brigade_desk.core.atomic import write_atomic

    out = write_atomic(tmp_path / "表.xlsx", lambda p: p.write_bytes(b"x"))
    assert oct(out.stat().st_mode & 0o777) == oct(0o644)
    out.chmod(0o640)
    write_atomic(out, lambda p: p.write_bytes(b"y"))  # an existing file keeps its mode
    assert oct(out.stat().st_mode & 0o777) == oct(0o640) and out.read_bytes() == b"y"
