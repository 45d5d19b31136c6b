"""Every editing dialog ends with the same Chinese Save/Cancel row: Cancel and Esc save nothing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from brigade_desk.core import settings
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.cases.review import RectificationInput
from brigade_desk.ledgers.cases.ui.review import RectificationDialog
from brigade_desk.ledgers.roster import settings as roster_settings
from brigade_desk.ui.settings_dialog import SettingsDialog


def _texts(dlg: QDialog) -> list[str]:
    box = dlg.findChild(QDialogButtonBox)
    return [b.text() for b in box.buttons()]


def test_settings_dialog_cancel_saves_nothing(gui_ctx, qtbot):
    dlg = SettingsDialog(gui_ctx)
    qtbot.addWidget(dlg)
    assert sorted(_texts(dlg)) == sorted(["保存", "取消"])
    with gui_ctx.db.session() as s:
        before = settings.get(s, roster_settings.CERT_EXPIRING_DAYS)
    w = dlg.inputs[roster_settings.CERT_EXPIRING_DAYS.key]
    w.setValue(int(before) + 7)
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    assert dlg.result() == QDialog.DialogCode.Rejected
    with gui_ctx.db.session() as s:
        assert settings.get(s, roster_settings.CERT_EXPIRING_DAYS) == before


def test_settings_dialog_save(gui_ctx, qtbot):
    dlg = SettingsDialog(gui_ctx)
    qtbot.addWidget(dlg)
    dlg.inputs[roster_settings.CERT_EXPIRING_DAYS.key].setValue(45)
    dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    assert dlg.result() == QDialog.DialogCode.Accepted
    with gui_ctx.db.session() as s:
        assert settings.get(s, roster_settings.CERT_EXPIRING_DAYS) == 45


def test_rectification_dialog_buttons(qapp, qtbot):
    dlg = RectificationDialog(RectificationInput(problem="缺少送达回证"))
    qtbot.addWidget(dlg)
    assert sorted(_texts(dlg)) == sorted(["保存", "取消"])
    dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel).click()
    assert dlg.result() == QDialog.DialogCode.Rejected


def test_tab_leaves_notes_and_the_wheel_does_not_change_unfocused_scores(qtbot):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication, QDoubleSpinBox

    from brigade_desk.ui.widgets.forms import text_box
    from brigade_desk.ui.widgets.wheel import install_wheel_guard

    install_wheel_guard(QApplication.instance())
    assert text_box("x").tabChangesFocus()
    spin = QDoubleSpinBox()
    qtbot.addWidget(spin)
    spin.setRange(0, 10)
    spin.setValue(4)

    def wheel() -> None:
        ev = QWheelEvent(
            QPointF(5, 5),
            QPointF(5, 5),
            QPoint(0, 0),
            QPoint(0, -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(spin, ev)

    wheel()
    assert spin.value() == 4  # not focused: the wheel scrolls the list instead
    spin.show()
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2000)
    wheel()
    assert spin.value() == 3


def test_settings_dialog_edits_lists_kinds_and_retention_as_a_clerk_types_them(
    gui_ctx, qtbot, monkeypatch
):
    from PySide6.QtWidgets import QComboBox, QMessageBox

    from brigade_desk.ledgers.cases import settings as cs
    from brigade_desk.ui.settings_dialog import parse_retention

    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a: warnings.append(text))
    dlg = SettingsDialog(gui_ctx)
    qtbot.addWidget(dlg)
    acts = dlg.inputs[av_settings.AV_FULL_PROCESS.key]
    assert acts.text() == "查封扣押、强制拆除"  # not JSON
    kind = dlg.inputs[cs.FILING_KIND.key]
    assert isinstance(kind, QComboBox) and kind.currentText() == "工作日"
    kind.setCurrentText("自然日")
    acts.setText("查封扣押，强制拆除、 扣押车辆")
    keep = dlg.inputs[av_settings.AV_RETENTION_YEARS.key]
    assert "查封扣押：永久" in keep.toPlainText()
    keep.setPlainText("查封扣押：永久\n现场检查：两年")
    save = dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    save.click()
    assert (
        warnings
        and "现场检查：两年" in warnings[-1]
        and dlg.result() != QDialog.DialogCode.Accepted
    )
    keep.setPlainText("查封扣押：永久\n现场检查：2")
    save.click()
    assert dlg.result() == QDialog.DialogCode.Accepted
    with gui_ctx.db.session() as s:
        assert settings.get(s, av_settings.AV_FULL_PROCESS) == ["查封扣押", "强制拆除", "扣押车辆"]
        assert settings.get(s, cs.FILING_KIND) == "calendar"
        assert settings.get(s, av_settings.AV_RETENTION_YEARS) == {"查封扣押": None, "现场检查": 2}
    assert parse_retention("听证：永久；调查取证：10") == {"听证": None, "调查取证": 10}


def test_cancel_asks_before_throwing_changes_away(gui_ctx, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    answers: list[QMessageBox.StandardButton] = []
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda _p, _t, text, *a: asked.append(text) or answers.pop(0)
    )
    dlg = SettingsDialog(gui_ctx)
    qtbot.addWidget(dlg)
    dlg.show()
    cancel = dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel)
    dlg.inputs[roster_settings.CERT_EXPIRING_DAYS.key].setValue(33)
    answers.append(QMessageBox.StandardButton.No)
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    assert asked and dlg.isVisible()  # kept open
    answers.append(QMessageBox.StandardButton.Yes)
    cancel.click()
    assert len(asked) == 2 and not dlg.isVisible()
    dlg2 = SettingsDialog(gui_ctx)  # nothing changed: closes without a question
    qtbot.addWidget(dlg2)
    dlg2.show()
    qtbot.keyClick(dlg2, Qt.Key.Key_Escape)
    assert len(asked) == 2 and not dlg2.isVisible()
