"""Ctrl+F puts the cursor into the search field of whatever list is shown (issue 13c)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit

from brigade_desk.ui.main_window import MainWindow


@pytest.fixture
def window(gui_ctx, qtbot):  # type: ignore[no-untyped-def]
    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    w.resize(1366, 728)
    w.show()
    w.activateWindow()
    qtbot.waitActive(w)
    return w


def ctrl_f(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)


# (page, tab index or None, the attribute path of the field)
CASES = [
    ("findings", None, "search"),
    ("roster", None, "search"),
    ("training", 0, "sessions.search"),
    ("training", 1, "hours.search"),
    ("training", 2, "person.staff"),
    ("av", None, "search"),
    ("cases", 0, "register.search"),
]


@pytest.mark.parametrize(("key", "tab", "path"), CASES)
def test_ctrl_f_focuses_and_selects_the_filter(window, qtbot, key, tab, path):  # type: ignore[no-untyped-def]
    page = window.show_page(key)
    if tab is not None:
        page.tabs.setCurrentIndex(tab)
    field = page
    for part in path.split("."):
        field = getattr(field, part)
    edit = field if isinstance(field, QLineEdit) else field.lineEdit()
    edit.setText("旧的搜索")
    window.nav.setFocus()  # the clerk was elsewhere
    qtbot.waitUntil(window.nav.hasFocus, timeout=2000)
    ctrl_f(window, qtbot)
    qtbot.waitUntil(lambda: edit.hasFocus() or field.hasFocus(), timeout=2000)
    assert edit.selectedText() == "旧的搜索"
    qtbot.keyClicks(edit, "zz")  # typing replaces the old text
    assert edit.text() == "zz"
    # Ctrl+F from inside the list itself works too
    view = next(
        (
            v
            for v in (
                getattr(page, "view", None),
                getattr(getattr(page, "register", None), "view", None),
            )
            if v
        ),
        None,
    )
    if view is not None:
        view.setFocus()
        qtbot.waitUntil(view.hasFocus, timeout=2000)
        ctrl_f(window, qtbot)
        qtbot.waitUntil(lambda: edit.hasFocus() or field.hasFocus(), timeout=2000)
        assert edit.selectedText() == "zz"


def test_exam_tab_focuses_the_exam_chooser_and_pages_without_a_list_say_so(window, qtbot):  # type: ignore[no-untyped-def]
    page = window.show_page("training")
    page.tabs.setCurrentIndex(3)
    window.nav.setFocus()
    ctrl_f(window, qtbot)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QComboBox), timeout=2000)
    assert QApplication.focusWidget() is page.exams.exam
    for key in ("home", "reports"):
        window.show_page(key)
        window.nav.setFocus()
        ctrl_f(window, qtbot)
        assert window.statusBar().currentMessage() == "本页没有可搜索的列表"
        assert QApplication.focusWidget() is window.nav
    cases = window.show_page("cases")
    cases.tabs.setCurrentWidget(cases.review)
    window.nav.setFocus()
    window.statusBar().clearMessage()
    ctrl_f(window, qtbot)
    assert window.statusBar().currentMessage() == "本页没有可搜索的列表"


def test_one_ctrl_f_for_the_window(window):  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QKeySequence, QShortcut

    for key in ("roster", "av", "findings", "training", "cases"):
        page = window.show_page(key)
        finds = [
            s
            for s in page.findChildren(QShortcut)
            if s.key() == QKeySequence(QKeySequence.StandardKey.Find)
        ]
        assert finds == []  # a page's own Ctrl+F would make the shortcut ambiguous
    assert window.find_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Find)
