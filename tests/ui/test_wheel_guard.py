"""The mouse wheel changes a value only in a focused field (issue 13a): one application-wide guard."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core import settings
from brigade_desk.ledgers.roster import settings as roster_settings
from brigade_desk.ui.settings_dialog import SettingsDialog
from brigade_desk.ui.widgets.wheel import WheelGuard, install_wheel_guard


def _wheel(widget: QWidget, notches: int = -1) -> None:
    """One notch of the wheel with the mouse over ``widget``, delivered as the window system does."""
    window = widget.window()
    pos = widget.mapTo(window, QPoint(8, widget.height() // 2))
    QTest.wheelEvent(window.windowHandle(), QPointF(pos), QPoint(0, 120 * notches))
    QApplication.processEvents()


def test_installed_once(qapp):
    a = install_wheel_guard(qapp)
    b = install_wheel_guard(QApplication.instance())
    assert a is b and len(qapp.findChildren(WheelGuard)) == 1


def test_scrolling_the_settings_form_over_the_ratio_does_not_change_it(gui_ctx, qtbot):
    install_wheel_guard(QApplication.instance())
    dlg = SettingsDialog(gui_ctx)
    qtbot.addWidget(dlg)
    dlg.resize(720, 500)
    dlg.show()
    qtbot.waitExposed(dlg)
    ratio = dlg.inputs[roster_settings.LEGAL_REVIEWER_RATIO.key]
    assert isinstance(ratio, QDoubleSpinBox) and ratio.text() == "5.00"
    scroll = dlg.findChild(QScrollArea)
    scroll.ensureWidgetVisible(ratio)
    QApplication.processEvents()
    before = scroll.verticalScrollBar().value()
    _wheel(ratio)  # scrolling down the form with the mouse over the field
    assert ratio.text() == "5.00" and not ratio.hasFocus()
    assert scroll.verticalScrollBar().value() > before  # the wheel scrolled the form instead
    # every spin box and combo box in the form keeps its value under the wheel
    fields = [
        w for w in dlg.inputs.values() if isinstance(w, QSpinBox | QDoubleSpinBox | QComboBox)
    ]
    assert len(fields) > 10
    shown = [(w, w.text() if not isinstance(w, QComboBox) else w.currentText()) for w in fields]
    scroll.verticalScrollBar().setValue(0)
    for w, _text in shown:
        scroll.ensureWidgetVisible(w)
        QApplication.processEvents()
        _wheel(w)
        _wheel(w, +1)
    assert [
        (w, w.text() if not isinstance(w, QComboBox) else w.currentText()) for w, _t in shown
    ] == shown
    dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    with gui_ctx.db.session() as s:
        assert settings.get(s, roster_settings.LEGAL_REVIEWER_RATIO) == 5.0
    # clicked into: the wheel changes it as before
    dlg2 = SettingsDialog(gui_ctx)
    qtbot.addWidget(dlg2)
    dlg2.show()
    qtbot.waitExposed(dlg2)
    ratio2 = dlg2.inputs[roster_settings.LEGAL_REVIEWER_RATIO.key]
    dlg2.findChild(QScrollArea).ensureWidgetVisible(ratio2)
    QApplication.processEvents()
    qtbot.mouseClick(ratio2.lineEdit(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(ratio2.hasFocus, timeout=2000)
    _wheel(ratio2, +1)
    assert ratio2.text() == "6.00"


def test_date_edits_and_combos_anywhere_need_focus(qapp, qtbot):
    install_wheel_guard(qapp)
    host = QWidget()
    qtbot.addWidget(host)
    lay = QVBoxLayout(host)
    date = QDateEdit()
    combo = QComboBox()
    combo.addItems(["全部", "一中队", "二中队"])
    editable = QComboBox()
    editable.setEditable(True)
    editable.addItems(["甲", "乙", "丙"])
    spin = QSpinBox()  # made after installing: still StrongFocus once shown
    name = QLineEdit()  # where the clerk is typing (else the window hands its focus to the date)
    for w in (name, date, combo, editable, spin):
        lay.addWidget(w)
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()
    name.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is name, timeout=2000)
    d0 = date.date()
    for w in (date, combo, editable, spin):
        assert w.focusPolicy() == Qt.FocusPolicy.StrongFocus
        _wheel(w)
    assert (
        date.date() == d0
        and combo.currentIndex() == 0
        and editable.currentIndex() == 0
        and spin.value() == 0
    )
    editable.setFocus()
    qtbot.waitUntil(lambda: editable.lineEdit().hasFocus() or editable.hasFocus(), timeout=2000)
    _wheel(editable)
    assert editable.currentIndex() == 1


def test_main_window_installs_the_guard(gui_ctx, qtbot):
    from brigade_desk.ui.main_window import MainWindow

    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    assert len(QApplication.instance().findChildren(WheelGuard)) == 1
    MainWindow(gui_ctx).deleteLater()
    assert len(QApplication.instance().findChildren(WheelGuard)) == 1
