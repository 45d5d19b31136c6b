"""The import dialog shows the clear message for a file it cannot read, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from brigade_desk.ledgers.roster.service import RosterService
from tests.cfb_util import write_cfb


@pytest.mark.parametrize(
    "make, expect",
    [
        (
            lambda d: write_cfb(d / "加密.xlsx", ["EncryptionInfo", "EncryptedPackage"]),
            "设置了打开密码",
        ),
        (lambda d: d / "已删除.xlsx", "找不到文件"),
        (lambda d: (d / "x.xlsx").write_bytes(b"\x00garbage") and d / "x.xlsx", "不是有效的 Excel"),
    ],
)
def test_dialog_names_the_problem(gui_ctx, qtbot, tmp_path: Path, make, expect: str) -> None:  # type: ignore[no-untyped-def]
    from brigade_desk.ui.import_dialog import ImportDialog

    path = make(tmp_path)
    dlg = ImportDialog(gui_ctx, None, str(path), kind="staff")
    qtbot.addWidget(dlg)
    text = dlg.summary.text()
    assert text.startswith("无法导入：") and expect in text, text
    assert not dlg.import_btn.isEnabled()
    dlg.do_import()
    assert expect in dlg.summary.text()
    assert RosterService(gui_ctx.db).count() == 0


def test_dialog_follows_the_import_policy(gui_ctx, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A missing required column cannot be skipped past; a bad row can, and the dialog says how many
    rows are waiting (the result's held_back), then imports them."""
    from brigade_desk.ui.import_dialog import ImportDialog
    from tests.hostile_util import IMPORTER_CASES, write_rows

    case = IMPORTER_CASES["staff"]
    drop = case.headers.index("身份证号")
    no_id = write_rows(
        tmp_path / "无身份证号.xlsx",
        [h for i, h in enumerate(case.headers) if i != drop],
        [[v for i, v in enumerate(case.valid_row(0)) if i != drop]],
    )
    dlg = ImportDialog(gui_ctx, None, str(no_id), kind="staff")
    qtbot.addWidget(dlg)
    assert "不能导入" in dlg.summary.text() and "缺少必需的列" in dlg.errors.rows[0].message
    assert not dlg.import_btn.isEnabled()
    dlg.skip.setChecked(True)
    assert not dlg.import_btn.isEnabled()  # skipping rows does not help a file without the column
    dlg.check()  # checked again with the box ticked: still refused
    assert "不能导入" in dlg.summary.text() and not dlg.import_btn.isEnabled()

    bad = write_rows(
        tmp_path / "一行有错.xlsx",
        case.headers,
        [case.valid_row(0), case.invalid_row(1), case.valid_row(2)],
    )
    dlg.skip.setChecked(False)
    dlg.file.setText(str(bad))
    dlg.check()
    assert "只导入没有错误的 2 行" in dlg.summary.text() and not dlg.import_btn.isEnabled()
    dlg.skip.setChecked(True)
    assert dlg.import_btn.isEnabled()
    dlg.do_import()
    assert "导入完成" in dlg.summary.text() and RosterService(gui_ctx.db).count() == 2


def test_dialog_offers_and_imports_the_formats_offices_send(  # type: ignore[no-untyped-def]
    gui_ctx, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Browse offers .xls/.et/.ods/.csv; a WPS .et (BIFF8) picked there is guessed and imported."""
    from brigade_desk.ui import import_dialog
    from brigade_desk.ui.import_dialog import ImportDialog

    et = Path(__file__).resolve().parents[1] / "fixtures" / "formats" / "花名册_biff.et"
    asked: list[str] = []

    def pick(parent, title, filt, start=""):  # type: ignore[no-untyped-def]
        asked.append(filt)
        return str(et)

    monkeypatch.setattr(import_dialog, "open_file_name", pick)
    dlg = ImportDialog(gui_ctx, None)
    qtbot.addWidget(dlg)
    dlg.browse()
    first = asked[0].split(";;")[0]
    assert all(ext in first for ext in ("*.xlsx", "*.xls", "*.et", "*.ods", "*.csv")), asked
    assert dlg.kind.currentData() == "staff"
    assert dlg.import_btn.isEnabled(), dlg.summary.text()
    dlg.do_import()
    assert RosterService(gui_ctx.db).count() == 3
