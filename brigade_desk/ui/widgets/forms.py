"""Form helpers: an optional date field, inline error labels, field highlighting."""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable
from typing import cast

from PySide6.QtCore import QDate, QEvent, QObject, Qt, SignalInstance
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCalendarWidget,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QTableWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from brigade_desk.core.tabular.read import parse_date
from brigade_desk.ui.safety import SafeEventFilter
from brigade_desk.ui.widgets.screen import FormScroll, error_area, fit_to_screen

ERROR_STYLE = "border: 1px solid #d93025; background: #fff5f5;"


class DateField(QWidget):
    """A date that may be empty; accepts 2021-03-05, 2021/3/5, 2021.3.5, 2021年3月5日; has a calendar."""

    def __init__(self, value: dt.date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("YYYY-MM-DD")
        self.btn = QToolButton()
        self.btn.setText("▾")
        self.btn.setToolTip("从日历中选择")
        self.btn.setStyleSheet(
            "QToolButton::menu-indicator { image: none; width: 0px; }"
        )  # one arrow is enough
        self.btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.btn)
        self.cal = QCalendarWidget()
        act = QWidgetAction(menu)
        act.setDefaultWidget(self.cal)
        menu.addAction(act)
        self.btn.setMenu(menu)

        def picked(d: QDate) -> None:
            self.set_date(cast(dt.date, d.toPython()))  # (typed as object)
            menu.close()

        self.cal.clicked.connect(picked)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.edit, 1)
        lay.addWidget(self.btn)
        self.setFocusProxy(self.edit)
        self.set_date(value)

    def set_date(self, d: dt.date | None) -> None:
        self.edit.setText(d.isoformat() if d else "")
        if d:
            self.cal.setSelectedDate(QDate(d.year, d.month, d.day))

    def date(self) -> dt.date | None:
        """The date, or None when empty. Raises ValueError with a Chinese reason when invalid."""
        return parse_date(self.edit.text().strip() or None)


def mark(widget: QWidget, bad: bool, message: str = "") -> None:
    """Show ``widget`` as wrong (red) or not. A field marked wrong turns normal again as soon as the
    clerk changes it, and its ``message`` leaves the dialog's error text (error_label) at that moment;
    when no marked field is left, the error text goes (the next save checks everything again)."""
    if bad and widget.property(_HEIGHT) is None:
        # a style sheet's thin border makes a field 4 px lower than the native style: keep its
        # height, so the rows below do not move when a field turns red or back (a click aimed at one
        # field landed in the next)
        widget.setProperty(_HEIGHT, widget.sizeHint().height())
        widget.setMinimumHeight(int(widget.property(_HEIGHT)))
    widget.setStyleSheet(ERROR_STYLE if bad else "")
    widget.setProperty(_MESSAGE, message if bad else "")
    if bad and not widget.property(_WATCHED):
        signal = _change_signal(widget)
        if signal is not None:
            widget.setProperty(_WATCHED, True)
            ref = weakref.ref(widget)
            signal.connect(lambda *_a: _changed(ref()))


_MESSAGE = "brigade_error_message"
_HEIGHT = "brigade_native_height"
_WATCHED = "brigade_error_watched"
_ERRORS = "brigade_form_errors"


def _change_signal(w: QWidget) -> SignalInstance | None:
    """The signal that says the clerk changed ``w``."""
    if isinstance(w, QLineEdit | QPlainTextEdit):
        return w.textChanged
    if isinstance(w, QComboBox):
        return w.currentTextChanged
    if isinstance(w, QAbstractSpinBox):
        return getattr(w, "textChanged", None) or getattr(w, "dateTimeChanged", None)
    if isinstance(w, QAbstractButton):
        return w.toggled
    if isinstance(w, QTableWidget | QListWidget):  # a ticked person, a typed cell
        return w.itemChanged
    if isinstance(w, DateField):
        return w.edit.textChanged
    return None


def _is_marked(w: QWidget) -> bool:
    return w.styleSheet() == ERROR_STYLE


def _changed(w: QWidget | None) -> None:
    if w is None or not _is_marked(w):
        return
    message = str(w.property(_MESSAGE) or "")
    w.setStyleSheet("")
    w.setProperty(_MESSAGE, "")
    window = w.window()
    labels = [lab for lab in window.findChildren(QLabel) if lab.property(_ERRORS)]
    any_marked = any(_is_marked(x) for x in window.findChildren(QWidget))
    for lab in labels:
        text = _without(lab.text(), message) if message else lab.text()
        if not text.strip() or not any_marked:
            lab.clear()
            lab.hide()
        else:
            lab.setText(text)


def _without(text: str, message: str) -> str:
    """``text`` (messages joined by new lines or ；) less ``message``."""
    for sep in ("\n", "；"):
        parts = text.split(sep)
        if message in parts:
            parts.remove(message)
            return sep.join(parts)
    return text


def error_label() -> QLabel:
    lab = QLabel()
    lab.setProperty(_ERRORS, True)  # cleared by mark() when the fields it is about are fixed
    lab.setStyleSheet("color: #d93025;")
    lab.setWordWrap(True)
    lab.hide()
    return lab


def dialog_buttons(
    dialog: QDialog, on_save: Callable[[], object], save_text: str = "保存", *, ok: bool = False
) -> QDialogButtonBox:
    """The Save (or OK) / Cancel row every editing dialog ends with, labelled in Chinese.

    Save runs ``on_save`` (which validates and accepts the dialog itself); Cancel and Esc reject it.
    """
    kind = QDialogButtonBox.StandardButton.Ok if ok else QDialogButtonBox.StandardButton.Save
    buttons = QDialogButtonBox(kind | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(kind).setText(save_text)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
    buttons.accepted.connect(on_save)
    guard = UnsavedGuard(dialog)
    buttons.rejected.connect(guard.cancel)
    return buttons


def form_state(root: QWidget) -> tuple[object, ...]:
    """What the clerk has typed, ticked and chosen in ``root`` (to tell whether anything changed)."""
    out: list[object] = []
    for w in root.findChildren(QWidget):
        if isinstance(w, QLineEdit):
            out.append(w.text())
        elif isinstance(w, QPlainTextEdit):
            out.append(w.toPlainText())
        elif isinstance(w, QComboBox):
            out.append(w.currentText())
        elif isinstance(w, QAbstractSpinBox):
            out.append(w.text())
        elif isinstance(w, QAbstractButton) and w.isCheckable():
            out.append(w.isChecked())
        elif isinstance(w, QTableWidget):
            for r in range(w.rowCount()):
                for c in range(w.columnCount()):
                    it = w.item(r, c)
                    if it is not None:
                        out.append(
                            (
                                it.text(),
                                it.checkState()
                                if it.flags() & Qt.ItemFlag.ItemIsUserCheckable
                                else 0,
                            )
                        )
    return tuple(out)


class UnsavedGuard(SafeEventFilter):
    """Cancel, Esc or the window's close button on a dialog with changes asks before throwing them
    away; without changes the dialog closes at once."""

    # class-level defaults: a guard whose attributes the garbage collector already cleared (its
    # dialog being torn down) sees no dialog and lets every event through
    dialog: QDialog | None = None
    snapshot: tuple[object, ...] | None = None

    def __init__(self, dialog: QDialog) -> None:
        super().__init__(dialog)
        self.dialog = dialog
        self.snapshot = None
        dialog.installEventFilter(self)

    def filter(self, obj: QObject, ev: QEvent) -> bool:
        if self.dialog is None or obj is not self.dialog:
            return False
        if ev.type() == QEvent.Type.Show and self.snapshot is None:
            self.snapshot = form_state(self.dialog)
        elif (
            ev.type() == QEvent.Type.KeyPress
            and isinstance(ev, QKeyEvent)
            and ev.key() == Qt.Key.Key_Escape
        ):
            self.cancel()
            return True
        elif ev.type() == QEvent.Type.Close and ev.spontaneous() and not self.may_discard():
            ev.ignore()
            return True
        return False

    def may_discard(self) -> bool:
        if self.dialog is None or self.snapshot is None or form_state(self.dialog) == self.snapshot:
            return True
        answer = QMessageBox.question(
            self.dialog,
            "放弃修改",
            "有尚未保存的修改，确定放弃吗？",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return bool(answer == QMessageBox.StandardButton.Yes)

    def cancel(self) -> None:
        if self.dialog is not None and self.may_discard():
            self.dialog.reject()


def unsaved_baseline(dialog: QDialog) -> None:
    """What ``dialog`` shows now counts as nothing unsaved (another version was loaded, the typed batch
    was just used): Cancel, Esc and the close button close it at once until the clerk changes
    something again. Before the dialog is first shown there is nothing to do."""
    for guard in dialog.findChildren(UnsavedGuard):
        if guard.snapshot is not None:
            guard.snapshot = form_state(dialog)


def dialog_layout(
    dialog: QDialog, body: QLayout | QWidget, errors: QWidget, buttons: QWidget
) -> QVBoxLayout:
    """Body, then the inline error text, then the buttons. The body scrolls when the screen is too
    small for it; the errors and the buttons stay visible below it, and the dialog fits the screen."""
    lay = QVBoxLayout(dialog)
    lay.addWidget(FormScroll(body), 1)
    lay.addWidget(error_area(errors) if isinstance(errors, QLabel) else errors)
    lay.addWidget(buttons)
    fit_to_screen(dialog)
    return lay


def text_box(text: str = "") -> QPlainTextEdit:
    """A multi-line text field in which Tab moves on to the next field (as in every other field)
    instead of typing a tab character; Ctrl+Tab still types one."""
    box = QPlainTextEdit(text)
    box.setTabChangesFocus(True)
    return box
