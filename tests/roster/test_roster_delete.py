"""删除人员 says why a person cannot be deleted before asking to confirm (issue 13e)."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from brigade_desk.ledgers.roster.models import Staff
from brigade_desk.ledgers.roster.service import RosterService
from brigade_desk.ui.main_window import MainWindow
from tests.conftest import IDS, add_officer
from tests.training_helpers import add_session


def answer_box(qtbot, button: str, seen: list[str]) -> None:  # type: ignore[no-untyped-def]
    """When the next message box appears, note its text and its buttons, then click ``button``."""

    def poll() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, poll)
            return
        seen.append(box.text())
        seen.append("|".join(b.text() for b in box.buttons()))
        target = next(
            b
            for b in box.buttons()
            if b.text().replace("&", "").startswith(button.replace("&", ""))
        )
        qtbot.mouseClick(target, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, poll)


def select_person(page, name: str, qtbot) -> None:  # type: ignore[no-untyped-def]
    proxy = page.proxy
    row = next(i for i in range(proxy.rowCount()) if proxy.data(proxy.index(i, 0)) == name)
    rect = page.view.visualRect(proxy.index(row, 0))
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.current_row().staff.name == name


@pytest.fixture
def roster_page(gui_ctx, qtbot):  # type: ignore[no-untyped-def]
    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    w.resize(1366, 728)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_service_says_who_cannot_be_deleted_and_why(db):
    svc = RosterService(db)
    a = add_officer(svc, IDS[0], "甲")
    b = add_officer(svc, IDS[1], "乙")
    add_session(db, dt.date(2025, 3, 1), 4, [a])
    blockers = svc.delete_blockers(a, b)
    assert [(x.staff_id, x.name) for x in blockers] == [(a, "甲")]
    assert "培训签到记录 1 条" in blockers[0].reason
    assert svc.delete_blockers(b) == []


def _referenced_and_free(window):  # type: ignore[no-untyped-def]
    """甲 has attended a training session (cannot be deleted), 乙 nothing; the roster page shown."""
    db = window.ctx.db
    svc = RosterService(db)
    a = add_officer(svc, IDS[0], "甲")
    b = add_officer(svc, IDS[1], "乙")
    add_session(db, dt.date(2025, 3, 1), 4, [a])
    page = window.show_page("roster")
    page.reload()
    return db, a, b, page


def test_referenced_person_is_not_offered_for_deletion(roster_page, qtbot):  # type: ignore[no-untyped-def]
    db, a, b, page = _referenced_and_free(roster_page)
    select_person(page, "甲", qtbot)
    seen: list[str] = []
    answer_box(qtbot, "关闭", seen)
    qtbot.mouseClick(page.del_btn, Qt.MouseButton.LeftButton)
    text, buttons = seen
    assert "确定删除" not in text  # no question first
    assert (
        "甲" in text
        and "培训签到记录 1 条" in text
        and "在岗状态" in text
        and "调离" in text
        and "退休" in text
    )
    assert "修改在岗状态" in buttons
    with db.session() as s:
        assert s.get(Staff, a) is not None
    assert roster_page.undo_action.isEnabled() is False  # nothing was deleted

    # the button takes the clerk straight to the editor
    opened: list[object] = []
    page.edit = lambda: opened.append(page.current_row().staff.id)  # type: ignore[method-assign]
    seen.clear()
    answer_box(qtbot, "修改在岗状态", seen)
    qtbot.mouseClick(page.del_btn, Qt.MouseButton.LeftButton)
    assert opened == [a]

    # someone nobody refers to: asked, then deleted
    select_person(page, "乙", qtbot)
    seen.clear()
    answer_box(qtbot, "Yes", seen)
    qtbot.mouseClick(page.del_btn, Qt.MouseButton.LeftButton)
    assert "确定删除 乙" in seen[0]
    with db.session() as s:
        assert s.get(Staff, b) is None and s.get(Staff, a) is not None


def test_mixed_selection_deletes_nobody_and_names_the_blocked(roster_page, qtbot):  # type: ignore[no-untyped-def]
    db, a, b, page = _referenced_and_free(roster_page)
    page.view.selectAll()
    seen: list[str] = []
    answer_box(qtbot, "关闭", seen)
    qtbot.mouseClick(page.del_btn, Qt.MouseButton.LeftButton)
    assert "所选 2 人中有 1 人不能删除" in seen[0] and "修改在岗状态" not in seen[1]
    with db.session() as s:
        assert s.get(Staff, a) is not None and s.get(Staff, b) is not None
