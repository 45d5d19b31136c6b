"""The one way every editor tells the clerk that somebody else saved the record meanwhile
(core.conflict, issue 18): who and when, and the choice between the latest values and his own."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from brigade_desk.core.conflict import ConflictError
from brigade_desk.ui.widgets.forms import unsaved_baseline

RELOAD = "重新载入最新内容"
KEEP = "保留我的修改"


def offer_reload(parent: QWidget, exc: ConflictError, reload: Callable[[], object]) -> bool:
    """Show the conflict (nothing was written). 重新载入最新内容 runs ``reload`` (which shows the
    latest values and remembers their version) and returns True; 保留我的修改 leaves what the clerk
    typed where it is and returns False. A dialog's unsaved-changes guard then compares with the
    reloaded values."""
    box = QMessageBox(QMessageBox.Icon.Warning, "保存冲突", exc.message, parent=parent)
    again = box.addButton(RELOAD, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(KEEP, QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if box.clickedButton() is not again:
        return False
    reload()
    if isinstance(parent, QDialog):
        unsaved_baseline(parent)
    return True
