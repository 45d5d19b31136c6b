"""Issue 15: before anything is written the import dialog shows what will be stored, what the program
assumed, and which columns and sheets will not be imported — and still shows it after the import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QDialog
from sqlalchemy import select

from brigade_desk.ledgers.roster.models import Certificate, Staff
from brigade_desk.ledgers.roster.service import RosterService
from tests.conftest import IDS

BOUND = QRect(0, 0, 1366, 740)  # the clerk's screen less the taskbar


def roster_book(path: Path) -> Path:
    """A 花名册 as offices make it: a group label merged over three certificate columns, a 罚没金额
    column this ledger does not keep, a 合计 line, '/' for a date nobody knows, a hidden sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["序号", "姓名", "身份证号", "执法证件信息", None, None, "罚没金额（元）"])
    ws.append([None, None, None, "执法证号", "发证日期", "有效期至", None])
    ws.merge_cells("D1:F1")
    for c in "ABCG":
        ws.merge_cells(f"{c}1:{c}2")
    ws.append([1, "张三", IDS[0], "青A0001", "2020-01-02", "2026-01-01", 200])
    ws.append([2, "李四", IDS[1], "青A0002", "/", "2027-05-06", None])
    ws.append([None, "合计", None, None, None, None, 200])
    hidden = wb.create_sheet("备用")
    hidden.append(["姓名", "身份证号"])
    hidden.append(["王五", IDS[2]])
    hidden.sheet_state = "hidden"
    wb.save(path)
    return path


def shown(tab) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The rows a tab shows (through its filter), as text."""
    m = tab.view.model()
    return [[m.data(m.index(r, c)) for c in range(m.columnCount())] for r in range(m.rowCount())]


def test_check_shows_stored_left_out_and_assumed_then_imports(
    gui_ctx, qtbot, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from brigade_desk.ui.import_dialog import (
        TAB_ASSUMED,
        TAB_ERRORS,
        TAB_LEFT,
        TAB_STORED,
        ImportDialog,
    )

    book = roster_book(tmp_path / "花名册.xlsx")
    dlg = ImportDialog(gui_ctx, None, str(book))  # checks at once, kind guessed from the header
    qtbot.addWidget(dlg)
    assert dlg.kind.currentData() == "staff"
    assert "将新增 2 条，将更新 0 条" in dlg.summary.text(), dlg.summary.text()
    assert dlg.import_btn.isEnabled()
    assert RosterService(gui_ctx.db).count() == 0  # the check wrote nothing

    tabs = dlg.tabs
    assert [tabs.tabText(i) for i in range(4)] == [
        "错误（无）",
        "导入的列（5）",
        "未导入的列和工作表（4）",
        "程序的理解（1）",
    ]
    assert not tabs.isTabEnabled(TAB_ERRORS)
    assert all(tabs.isTabEnabled(i) for i in (TAB_STORED, TAB_LEFT, TAB_ASSUMED))
    assert tabs.currentIndex() == TAB_STORED  # no errors: what will be stored comes first

    stored = shown(dlg.stored_tab)
    assert ["花名册", "F 列", "执法证件信息/有效期至", "有效期至"] in stored
    assert ["花名册", "D 列", "执法证件信息/执法证号", "执法证号"] in stored
    assert [r[3] for r in stored] == ["姓名", "身份证号", "执法证号", "发证日期", "有效期至"]

    left = shown(dlg.left_tab)
    by_col = {r[1]: r for r in left}
    assert by_col["A 列"][2] == "序号" and "序号" in by_col["A 列"][3]
    assert "罚没金额" in by_col["G 列"][2] and "不认识" in by_col["G 列"][3]
    hidden = [r for r in left if r[0] == "备用"]
    assert len(hidden) == 1 and hidden[0][1] == "整张表" and "隐藏" in hidden[0][3]
    assert ["花名册", "第 5 行", ""] == [r[:3] for r in left if "合计" in r[3]][0], left

    assumed = shown(dlg.assumed_tab)
    assert assumed == [["花名册", "4", "执法证件信息/发证日期", "「/」视为空"]]

    # the line above the buttons: the column that carries something first, 序号 last
    warn = dlg.warning.text()
    assert not dlg.warning.isHidden()
    assert "以下列未导入：罚没金额" in warn and "（G 列）、序号（A 列）" in warn, warn
    assert "另有 2 条关于工作表的说明" in warn
    dlg.warning.linkActivated.emit("left")
    assert tabs.currentIndex() == TAB_LEFT

    # one filter for every tab
    dlg.filter.setText("有效期")
    assert shown(dlg.stored_tab) == [["花名册", "F 列", "执法证件信息/有效期至", "有效期至"]]
    dlg.filter.clear()
    assert len(shown(dlg.stored_tab)) == 5

    tabs.setCurrentIndex(TAB_ASSUMED)
    dlg.do_import()
    assert tabs.currentIndex() == TAB_ASSUMED  # the clerk stays on the tab they were reading
    assert "导入完成：新增 2 条" in dlg.summary.text(), dlg.summary.text()
    with gui_ctx.db.session() as s:
        people = {p.name: p.id_number for p in s.scalars(select(Staff))}
        certs = {
            c.cert_no: (c.staff.name, c.issue_date, c.valid_to)
            for c in s.scalars(select(Certificate))
        }
    assert people == {"张三": IDS[0], "李四": IDS[1]}  # not 王五 of the hidden sheet
    assert certs == {
        "青A0001": ("张三", dt.date(2020, 1, 2), dt.date(2026, 1, 1)),
        "青A0002": ("李四", None, dt.date(2027, 5, 6)),  # '/' read as empty
    }
    # after the import the same lists stay in view
    assert tabs.tabText(TAB_LEFT) == "未导入的列和工作表（4）"
    assert shown(dlg.assumed_tab) == assumed and "罚没金额" in dlg.warning.text()
    assert not dlg.import_btn.isEnabled()


def test_capped_lists_say_how_many_there_are(gui_ctx, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from brigade_desk.core.tabular.result import MAX_LISTED
    from brigade_desk.ui.import_dialog import TAB_ASSUMED, TAB_ERRORS, ImportDialog

    n = MAX_LISTED + 5
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "执法证号", "联系电话"])
    for i in range(n):
        ws.append([f"人员{i}", "123", f"Z{i:05d}", "/"])
    wb.save(tmp_path / "错.xlsx")
    dlg = ImportDialog(gui_ctx, None, str(tmp_path / "错.xlsx"), kind="staff")
    qtbot.addWidget(dlg)
    total = dlg._last.error_count
    assert total == 2 * n  # every row: 身份证号 too short, 有效期至 missing
    assert dlg.errors.rowCount() == MAX_LISTED
    assert dlg.tabs.tabText(TAB_ERRORS) == f"错误（{total}）"
    assert dlg.tabs.currentIndex() == TAB_ERRORS
    assert not dlg.error_tab.more.isHidden()
    assert dlg.error_tab.more.text() == f"只列出前 {MAX_LISTED} 处，共 {total} 处"
    assert f"发现 {total} 处问题" in dlg.summary.text()
    assert dlg.tabs.tabText(TAB_ASSUMED) == f"程序的理解（{n}）"  # '/' in every 联系电话
    assert dlg.assumed_tab.model.rowCount() == MAX_LISTED
    assert dlg.assumed_tab.more.text() == f"只列出前 {MAX_LISTED} 处，共 {n} 处"
    assert dlg.warning.isHidden()  # every column of this file is imported


def test_keyboard_and_screen(gui_ctx, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The tabs are in the Tab chain and switch with the arrow keys, Ctrl+F goes to the filter, Esc
    closes; the checked dialog, lists and warning shown, fits the clerk's 1366×740."""
    from brigade_desk.ui.import_dialog import TAB_LEFT, TAB_STORED, ImportDialog

    dlg = ImportDialog(gui_ctx, None, str(roster_book(tmp_path / "花名册.xlsx")))
    qtbot.addWidget(dlg)
    with qtbot.waitActive(dlg):
        dlg.show()
        dlg.activateWindow()

    bar = dlg.tabs.tabBar()
    dlg.file.setFocus()
    for _ in range(15):  # Tab from the file field reaches the tabs
        if QApplication.focusWidget() is bar:
            break
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is bar
    assert dlg.tabs.currentIndex() == TAB_STORED
    qtbot.keyClick(bar, Qt.Key.Key_Right)
    assert dlg.tabs.currentIndex() == TAB_LEFT
    qtbot.keyClick(bar, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is dlg.filter

    frame, hint = dlg.frameGeometry(), dlg.minimumSizeHint()
    assert hint.width() <= BOUND.width() - 16 and hint.height() <= BOUND.height() - 40, hint
    assert frame.width() <= BOUND.width() and frame.height() <= BOUND.height(), frame
    for w in (dlg.warning, dlg.import_btn, dlg.tabs):
        top_left = w.mapTo(dlg, w.rect().topLeft())
        assert w.isVisible() and dlg.rect().contains(QRect(top_left, w.size())), w

    qtbot.keyClick(dlg.filter, Qt.Key.Key_Escape)
    assert not dlg.isVisible() and dlg.result() == QDialog.DialogCode.Rejected


def test_enter_in_the_file_box_checks_and_never_imports(
    gui_ctx, qtbot, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Typing a path and pressing Enter runs the check; it opens no file dialog, and a second Enter
    checks again rather than writing."""
    from brigade_desk.ui import import_dialog as m

    opened: list[object] = []
    monkeypatch.setattr(m, "open_file_name", lambda *a, **k: opened.append(a) or "")
    dlg = m.ImportDialog(gui_ctx, None)
    qtbot.addWidget(dlg)
    with qtbot.waitActive(dlg):
        dlg.show()
        dlg.activateWindow()
    dlg.file.setText(str(roster_book(tmp_path / "花名册.xlsx")))
    dlg.file.setFocus()
    qtbot.keyClick(dlg.file, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.import_btn.isEnabled(), timeout=10_000)
    assert opened == [] and "将新增" in dlg.summary.text()
    qtbot.keyClick(dlg.file, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.import_btn.isEnabled(), timeout=10_000)
    with gui_ctx.db.session() as s:
        assert s.scalars(select(Staff).where(Staff.name == "张三")).all() == []
