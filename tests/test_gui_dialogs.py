"""Every editing dialog ends with the same Chinese Save/Cancel row: Cancel and Esc save nothing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from brigade_desk import settings
from brigade_desk.services.review import RectificationInput
from brigade_desk.ui.cases.review import RectificationDialog
from brigade_desk.ui.settings_dialog import SettingsDialog


def _texts(dlg: QDialog) -> list[str]:
    box = dlg.findChild(QDialogButtonBox)
    return [b.text() for b in box.buttons()]


def test_settings_dialog_cancel_saves_nothing(gui_ctx, qtbot):
    dlg = SettingsDialog(gui_ctx)
    qtbot.addWidget(dlg)
    assert sorted(_texts(dlg)) == sorted(["保存", "取消"])
    with gui_ctx.db.Session() as s:
        before = settings.get(s, settings.CERT_EXPIRING_DAYS)
    w = dlg.inputs[settings.CERT_EXPIRING_DAYS.key]
    w.setValue(int(before) + 7)
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    assert dlg.result() == QDialog.DialogCode.Rejected
    with gui_ctx.db.Session() as s:
        assert settings.get(s, settings.CERT_EXPIRING_DAYS) == before


def test_settings_dialog_save(gui_ctx, qtbot):
    dlg = SettingsDialog(gui_ctx)
    qtbot.addWidget(dlg)
    dlg.inputs[settings.CERT_EXPIRING_DAYS.key].setValue(45)
    dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    assert dlg.result() == QDialog.DialogCode.Accepted
    with gui_ctx.db.Session() as s:
        assert settings.get(s, settings.CERT_EXPIRING_DAYS) == 45


def test_rectification_dialog_buttons(qapp, qtbot):
    dlg = RectificationDialog(RectificationInput(problem="缺少送达回证"))
    qtbot.addWidget(dlg)
    assert sorted(_texts(dlg)) == sorted(["保存", "取消"])
    dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel).click()
    assert dlg.result() == QDialog.DialogCode.Rejected


def test_tab_leaves_notes_and_the_wheel_does_not_change_unfocused_scores(qtbot):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    from brigade_desk.ui.widgets.forms import ScoreSpin, text_box

    assert text_box("x").tabChangesFocus()
    spin = ScoreSpin()
    qtbot.addWidget(spin)
    spin.setRange(0, 10)
    spin.setValue(4)

    def wheel() -> None:
        ev = QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                         Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(spin, ev)

    wheel()
    assert spin.value() == 4  # not focused: the wheel scrolls the list instead
    spin.show()
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2000)
    wheel()
    assert spin.value() == 3
