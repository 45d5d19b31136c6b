"""Windows that fit the screen they open on (the clerk's PC: 1366×768 with a taskbar).

One mechanism for every dialog: :func:`fit_to_screen` sizes a dialog to what it asks for (or the
size given), never larger than the work area (screen minus taskbar) less the title bar; long form
bodies scroll inside :class:`FormScroll` while the error text and the buttons stay below it, always
visible; :func:`error_area` lets a long list of errors scroll instead of pushing the buttons off.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QLabel,
    QLayout,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.ui.safety import SafeEventFilter, SafeFilterMixin, keep_until_closed

# a window's title bar and borders, before it is shown (Windows 10/11 at 100 %: 31 px + 8 px borders)
FRAME = QSize(16, 40)


def screen_for(widget: QWidget | None = None) -> QScreen:
    """The screen ``widget``'s window is on, or will open on (a dialog opens over its parent).

    Asked of ``QGuiApplication`` by position, never through ``QWidget.screen()``: PySide's return-value
    heuristic makes the first widget that returns the (parentless) ``QScreen`` its Python parent, and
    once that widget (a dialog, deleted when closed) is gone the garbage collector deletes the
    application's screen with the wrapper — the next paint crashes in ``QScreen::virtualSiblings``."""
    scr: QScreen | None = None
    if widget is not None:
        win = widget.window()
        parent = win.parentWidget()
        if win.isVisible():
            scr = QGuiApplication.screenAt(win.frameGeometry().center())
        elif parent is not None:
            scr = QGuiApplication.screenAt(parent.window().frameGeometry().center())
        else:
            scr = QGuiApplication.screenAt(win.geometry().center())
    return scr or QGuiApplication.primaryScreen()


def available(widget: QWidget | None = None) -> QRect:
    """The work area (the screen without the taskbar) ``widget`` is on or will open on."""
    return screen_for(widget).availableGeometry()


def frame_extra(widget: QWidget) -> QSize:
    """How much the window frame adds to the widget's size (at least a typical frame)."""
    win = widget.window()
    fg, g = win.frameGeometry(), win.geometry()
    # the real frame once shown, but never less than a typical one: some platforms report the frame
    # only after the window manager has drawn it
    return QSize(fg.width() - g.width(), fg.height() - g.height()).expandedTo(FRAME)


def max_size(widget: QWidget) -> QSize:
    """The largest client size whose frame still fits the work area."""
    avail, extra = available(widget).size(), frame_extra(widget)
    return QSize(max(200, avail.width() - extra.width()), max(150, avail.height() - extra.height()))


def clamped(widget: QWidget, size: QSize) -> QSize:
    return size.boundedTo(max_size(widget))


def inside(rect: QRect, area: QRect) -> QRect:
    """``rect`` moved (and cut, if larger) to lie inside ``area``."""
    w, h = min(rect.width(), area.width()), min(rect.height(), area.height())
    x = min(max(rect.x(), area.x()), area.x() + area.width() - w)
    y = min(max(rect.y(), area.y()), area.y() + area.height() - h)
    return QRect(x, y, w, h)


class ScreenFit(SafeEventFilter):
    """When the window is shown: grow it to what its layout asks for, shrink it to the work area,
    and keep its frame on the screen."""

    window: QWidget | None = None  # class default: inert once torn down (ui/safety.py)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        window.installEventFilter(self)

    def filter(self, obj: QObject, ev: QEvent) -> bool:
        if self.window is not None and obj is self.window:
            if ev.type() == QEvent.Type.Show and not ev.spontaneous():
                if isinstance(obj, QDialog):
                    keep_until_closed(obj)  # deleted on the GUI thread once closed
                self.fit()
            elif ev.type() == QEvent.Type.LayoutRequest and self.window.isVisible():
                self.grow()
        return False

    def grow(self) -> None:
        """Errors appeared (or the content grew): make room for them if the screen has it, and keep
        the frame on the screen; what still does not fit scrolls."""
        w = self.window
        if w is None or w.isMaximized() or w.isFullScreen():  # None: torn down, inert
            return
        want = clamped(w, w.size().expandedTo(w.sizeHint()))
        if want == w.size():
            return
        extra = frame_extra(w)
        area = available(w).adjusted(0, 0, -extra.width(), -extra.height())
        pos = inside(QRect(w.pos(), want), area).topLeft()  # a window's pos() is its frame's corner
        w.resize(want)
        if pos != w.pos():
            w.move(pos)

    def fit(self) -> None:
        w = self.window
        if w is None or w.isMaximized() or w.isFullScreen():  # None: torn down, inert
            return
        want = (
            w.size().expandedTo(w.sizeHint())
            if w.testAttribute(Qt.WidgetAttribute.WA_Resized)
            else w.sizeHint()
        )
        size = clamped(w, want.expandedTo(w.minimumSize()))
        if size != w.size():
            w.resize(size)
        if w.testAttribute(
            Qt.WidgetAttribute.WA_Moved
        ):  # a dialog not moved is centred on its parent by Qt
            extra = frame_extra(w)
            area = available(w).adjusted(0, 0, -extra.width(), -extra.height())
            pos = inside(QRect(w.pos(), w.size()), area).topLeft()
            if pos != w.pos():
                w.move(pos)


def fit_to_screen(
    window: QWidget, width: int | None = None, height: int | None = None
) -> ScreenFit:
    """Size ``window`` as ``width``×``height`` (or as its layout asks) but within the work area of its
    screen, now and whenever it is shown."""
    if width is not None and height is not None:
        window.resize(clamped(window, QSize(width, height)))
    fit = window.findChild(ScreenFit)
    return fit if isinstance(fit, ScreenFit) else ScreenFit(window)


class FormScroll(QScrollArea):
    """A form body that scrolls when the screen is too small for it, and otherwise asks for all the
    room it needs (a plain scroll area asks for a fixed, small size)."""

    def __init__(self, body: QLayout | QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if isinstance(body, QLayout):
            inner = QWidget()
            body.setContentsMargins(0, 0, 0, 0)
            outer = QVBoxLayout(inner)
            outer.setContentsMargins(0, 0, 0, 0)
            outer.addLayout(body)
            outer.addStretch(
                1
            )  # rows packed at the top: room freed by the error text below never moves them
            body = inner
        self.setWidget(body)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        body.setAutoFillBackground(False)
        self.viewport().setAutoFillBackground(False)

    def sizeHint(self) -> QSize:  # noqa: N802
        body = self.widget()
        if body is None:
            return super().sizeHint()
        s = body.sizeHint().expandedTo(body.minimumSizeHint())
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        fw = 2 * self.frameWidth()
        return QSize(s.width() + bar + fw, s.height() + fw)


class ErrorArea(SafeFilterMixin, QScrollArea):
    """The inline error text of a dialog: as tall as its lines up to ``max_lines``, then it scrolls,
    so many errors never push the buttons off the screen. Shown and hidden with its label."""

    label: QLabel | None = None  # class default: inert once torn down (ui/safety.py)
    max_lines = 6

    def __init__(self, label: QLabel, max_lines: int = 6, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.max_lines = max_lines
        self.setWidget(label)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)
        label.setAutoFillBackground(False)
        self.setVisible(not label.isHidden())
        label.installEventFilter(self)
        self.viewport().installEventFilter(self)

    def _cap(self) -> int:
        if self.label is None:
            return 0
        return self.max_lines * self.label.fontMetrics().lineSpacing() + 4

    def filter(self, obj: QObject, ev: QEvent) -> bool:
        if self.label is None:
            return False
        t = ev.type()
        if obj is self.label and t in (QEvent.Type.ShowToParent, QEvent.Type.HideToParent):
            self.setVisible(t == QEvent.Type.ShowToParent)
            self.updateGeometry()
        elif obj is self.viewport() and t == QEvent.Type.LayoutRequest:  # the label's text changed
            self.updateGeometry()
        return False  # and on to QScrollArea's own filtering of its viewport

    def resizeEvent(self, ev: QEvent) -> None:  # noqa: N802
        super().resizeEvent(ev)  # type: ignore[arg-type]
        self.updateGeometry()  # the wrapped text's height depends on the width

    def _text_height(self) -> int:
        if self.label is None:
            return 0
        parent = self.parentWidget()
        width = self.viewport().width() if self.isVisible() else parent.width() if parent else 400
        h = self.label.heightForWidth(max(50, width - 30))
        return h if h > 0 else self.label.sizeHint().height()

    def sizeHint(self) -> QSize:  # noqa: N802
        # the text wraps to the dialog's width: a long error makes it taller (up to the cap), never wider
        return QSize(100, min(self._cap(), self._text_height()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(50, min(self._cap(), self._text_height()))


def error_area(label: QLabel, max_lines: int = 6) -> ErrorArea:
    return ErrorArea(label, max_lines)


def place_main_window(win: QWidget, restored: bool) -> None:
    """Put the main window on the screen it opens on: a remembered geometry (``restored``) is kept only
    when it is not tiny there (at least half the work area each way: a window last used on a small
    screen must not reopen at 752×374 on a 1920×1080 one) and is moved and cut to lie inside the work area; otherwise the window opens maximised
    (and un-maximises to most of the screen)."""
    state = win.windowState()
    maximised = bool(state & Qt.WindowState.WindowMaximized)
    normal = (
        win.normalGeometry() if maximised and win.normalGeometry().isValid() else win.geometry()
    )
    scr = QGuiApplication.screenAt(normal.center()) or QGuiApplication.primaryScreen()
    avail = scr.availableGeometry()
    area = avail.adjusted(0, 0, -FRAME.width(), -FRAME.height())
    if restored and normal.width() >= area.width() // 2 and normal.height() >= area.height() // 2:
        geo = inside(QRect(normal.topLeft(), normal.size().expandedTo(win.minimumSizeHint())), area)
    else:
        maximised = True
        w, h = area.width() * 9 // 10, area.height() * 9 // 10
        geo = QRect(area.x() + (area.width() - w) // 2, area.y() + (area.height() - h) // 2, w, h)
    plain = state & ~(
        Qt.WindowState.WindowMaximized
        | Qt.WindowState.WindowFullScreen
        | Qt.WindowState.WindowMinimized
    )
    win.setWindowState(plain)
    win.setGeometry(geo)
    if maximised:
        win.setWindowState(plain | Qt.WindowState.WindowMaximized)
