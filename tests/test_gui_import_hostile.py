"""The import dialog shows the clear message for a file it cannot read, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from brigade_desk.services.roster import RosterService
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
