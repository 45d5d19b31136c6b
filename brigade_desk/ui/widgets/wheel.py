"""The mouse wheel changes a value only in the field the clerk is working in.

Rule for the whole program: a spin box, a date edit or a combo box changes its value on a wheel event
only when it has the keyboard focus (the clerk clicked or tabbed into it). Otherwise the wheel goes on
to whatever encloses the field (a scrolling form, a table), so scrolling a long form over a number no
longer changes it silently.

One application-wide event filter does this for every such widget, in every dialog, page and filter
bar: ``install_wheel_guard(app)`` once at start-up. It also gives those widgets the StrongFocus policy
(Qt's default for them, WheelFocus, would hand them the focus on the very wheel event it is about).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

from brigade_desk.ui.safety import SafeEventFilter

# QAbstractSpinBox covers QSpinBox, QDoubleSpinBox, QDateEdit, QTimeEdit and QDateTimeEdit
GUARDED: tuple[type[QWidget], ...] = (QAbstractSpinBox, QComboBox)


def _is_guarded(obj: QObject) -> bool:
    return isinstance(obj, GUARDED)


def _strong_focus(w: QWidget) -> None:
    if w.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


def _focused(w: QWidget) -> bool:
    """``w`` or a part of it (the text field inside an editable combo box) has the keyboard focus."""
    if w.hasFocus():
        return True
    fw = QApplication.focusWidget()
    return fw is not None and w.isAncestorOf(fw)


class WheelGuard(SafeEventFilter):
    """Application event filter: see the module's description."""

    def filter(self, obj: QObject, ev: QEvent) -> bool:
        t = ev.type()
        if t == QEvent.Type.Polish and _is_guarded(obj):
            _strong_focus(obj)  # type: ignore[arg-type]
        elif t == QEvent.Type.Wheel and _is_guarded(obj):
            w: QWidget = obj  # type: ignore[assignment]
            _strong_focus(w)
            if not _focused(w):
                ev.ignore()  # not handled here: Qt passes it on to the parent (the scroll area)
                return True
        return False


def install_wheel_guard(app: QApplication | None = None) -> WheelGuard:
    """Install the guard on ``app`` (default: the running application); once — later calls return the
    guard already installed."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    assert app is not None, "install_wheel_guard needs a QApplication"
    existing = app.findChild(WheelGuard, "wheel_guard", Qt.FindChildOption.FindDirectChildrenOnly)
    if existing is not None:
        return existing
    guard = WheelGuard(app)  # parented to the application: lives as long as it, on the GUI thread
    guard.setObjectName("wheel_guard")
    for w in app.allWidgets():  # widgets made before the guard was installed
        if _is_guarded(w):
            _strong_focus(w)
    app.installEventFilter(guard)
    return guard
