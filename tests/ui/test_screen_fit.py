"""1366×768 first: every dialog fits the work area with its Save/Cancel visible (also after showing its
errors), the main window reopens on the screen, Qt's own texts are Chinese, printed lists have a grid."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from tests import dialog_catalog

ROOT = Path(__file__).resolve().parents[2]
BOUND = QRect(0, 0, 1366, 740)  # the clerk's screen less the taskbar
SMALL_SCREEN = "SCREEN_FIT_1366"  # set in the child run on an offscreen screen of 1366×768


def _avail() -> QRect:
    return QGuiApplication.primaryScreen().availableGeometry()


def _problems(name: str, dlg, when: str) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    frame, avail = dlg.frameGeometry(), _avail()
    small = bool(
        os.environ.get(SMALL_SCREEN)
    )  # on the test's own screen (800×800) only its work area counts
    if small and (frame.width() > BOUND.width() or frame.height() > BOUND.height()):
        out.append(f"{name} ({when}): frame {frame.width()}×{frame.height()} larger than 1366×740")
    if not avail.contains(frame):
        out.append(f"{name} ({when}): frame {frame} outside the work area {avail}")
    hint = dlg.minimumSizeHint()
    if dlg.height() < hint.height() or dlg.width() < hint.width():
        out.append(f"{name} ({when}): squeezed below its minimum {hint.width()}×{hint.height()}")
    box = dlg.findChild(QDialogButtonBox)
    if box is not None:
        top_left = box.mapTo(dlg, box.rect().topLeft())
        on_dialog = QRect(top_left, box.size())
        on_screen = QRect(box.mapToGlobal(box.rect().topLeft()), box.size())
        if (
            not box.isVisible()
            or not dlg.rect().contains(on_dialog)
            or not avail.contains(on_screen)
        ):
            out.append(
                f"{name} ({when}): buttons at {on_screen} not inside the dialog {dlg.geometry()}"
            )
    return out


def test_every_dialog_fits_the_screen_also_with_errors(gui_ctx, qtbot, monkeypatch):  # type: ignore[no-untyped-def]
    from brigade_desk.app import demo
    from brigade_desk.ui.main_window import MainWindow
    from brigade_desk.ui.widgets.screen import ErrorArea

    if os.environ.get(SMALL_SCREEN):
        assert QGuiApplication.primaryScreen().geometry().size().toTuple() == (1366, 768)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Ok)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    demo.fill(gui_ctx.db)
    win = MainWindow(gui_ctx)
    qtbot.addWidget(win)
    win.show()
    problems: list[str] = []
    for name, (open_, provoke) in dialog_catalog.DIALOGS.items():
        dlg = open_(gui_ctx, win)
        dlg.show()
        QApplication.processEvents()
        problems += _problems(name, dlg, "opened")
        if provoke is not dialog_catalog.nothing:
            provoke(dlg)
            QApplication.processEvents()
            assert dlg.isVisible(), f"{name}: the wrong input was saved"
            shown = [a for a in dlg.findChildren(ErrorArea) if a.isVisible() and a.label.text()]
            assert shown, f"{name}: no error text shown"
            problems += _problems(name, dlg, "with errors")
        dlg.hide()
        dlg.deleteLater()
        QApplication.processEvents()
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(bool(os.environ.get(SMALL_SCREEN)), reason="already the child run")
def test_every_dialog_fits_a_1366x768_screen(tmp_path: Path) -> None:
    """The test above again, in a process whose (offscreen) screen is 1366×768."""
    cfg = tmp_path / "screen.json"
    cfg.write_text(
        '{"screens": [{"name": "clerk", "x": 0, "y": 0, "width": 1366, "height": 768,'
        ' "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}',
        encoding="utf-8",
    )
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={cfg}", SMALL_SCREEN: "1"}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "tests/ui/test_screen_fit.py::test_every_dialog_fits_the_screen_also_with_errors",
            "tests/ui/test_screen_fit.py::test_restored_geometry_is_clamped_to_the_screen",
            "tests/ui/test_chart_labels.py::test_month_charts_on_the_home_page_at_1366",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "3 passed" in r.stdout


def _reopen(ctx, qtbot, geometry: QRect | None, maximised: bool = False):  # type: ignore[no-untyped-def]
    """Save the main window's layout as ``geometry`` (None: nothing remembered), then open it again."""
    from brigade_desk.ui.main_window import MainWindow

    if geometry is None:
        ctx.qsettings.remove("main/geometry")
    else:
        w = MainWindow(ctx)
        qtbot.addWidget(w)
        w.setWindowState(Qt.WindowState.WindowNoState)
        w.setGeometry(geometry)
        if maximised:
            w.setWindowState(Qt.WindowState.WindowMaximized)
        ctx.qsettings.setValue("main/geometry", w.saveGeometry())
    w2 = MainWindow(ctx)
    qtbot.addWidget(w2)
    w2.show()
    QApplication.processEvents()
    return w2


def test_restored_geometry_is_clamped_to_the_screen(gui_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    avail = _avail()
    if (
        avail.width() < 1300
    ):  # the main window needs about 1010 px: the child run (1366×768) checks this
        pytest.skip(
            "needs a screen at least as wide as the clerk's; run by test_every_dialog_fits_a_1366x768_screen"
        )
    # nothing remembered: maximised on the screen
    w = _reopen(gui_ctx, qtbot, None)
    assert w.isMaximized() and avail.contains(w.frameGeometry())
    # a size that fits is kept
    fits = QRect(avail.x() + 40, avail.y() + 30, avail.width() * 3 // 4, avail.height() * 3 // 4)
    w = _reopen(gui_ctx, qtbot, fits)
    assert not w.isMaximized() and w.geometry().size() == fits.size()
    # larger than the screen and partly off it (last used on a bigger monitor): cut and moved onto it
    w = _reopen(gui_ctx, qtbot, QRect(avail.right() - 300, avail.y() + 200, 2400, 1500))
    assert avail.contains(w.frameGeometry()), (w.frameGeometry(), avail)
    assert w.width() > avail.width() // 2 and w.height() > avail.height() // 2
    # far off every screen: back on this one
    w = _reopen(gui_ctx, qtbot, QRect(9000, 7000, 900, 600))
    assert avail.contains(w.frameGeometry()), (w.frameGeometry(), avail)
    # tiny (752×374 after use on a small screen): not restored, the window opens maximised
    w = _reopen(gui_ctx, qtbot, QRect(avail.x() + 10, avail.y() + 10, 300, 200))
    assert w.isMaximized() and w.width() > avail.width() // 2 and w.height() > avail.height() // 2
    w.showNormal()  # and un-maximises to most of the screen, not to the tiny size
    QApplication.processEvents()
    assert w.width() > avail.width() // 2 and w.height() > avail.height() // 2
    assert avail.contains(w.frameGeometry())
    # remembered maximised: maximised again
    w = _reopen(gui_ctx, qtbot, fits, maximised=True)
    assert w.isMaximized()
    # not a geometry at all: maximised
    from brigade_desk.ui.main_window import MainWindow

    gui_ctx.qsettings.setValue("main/geometry", QByteArray(b"not a geometry"))
    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    w.show()
    assert w.isMaximized() and avail.contains(w.frameGeometry())


def _plain(text: str) -> str:
    return re.sub(r"\(&.\)|&", "", text)


def test_qt_standard_texts_are_chinese(qapp) -> None:  # type: ignore[no-untyped-def]
    from brigade_desk.app.gui import install_qt_translations

    tr = install_qt_translations(qapp)
    assert tr is not None
    try:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "t",
            "x",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        assert _plain(box.button(QMessageBox.StandardButton.Yes).text()) == "是"
        assert _plain(box.button(QMessageBox.StandardButton.No).text()) == "否"
        sb = QDialogButtonBox.StandardButton
        bb = QDialogButtonBox(sb.Ok | sb.Cancel | sb.Open | sb.Save)
        assert [_plain(bb.button(b).text()) for b in (sb.Ok, sb.Cancel, sb.Open, sb.Save)] == [
            "确定",
            "取消",
            "打开",
            "保存",
        ]
    finally:
        qapp.removeTranslator(tr)


def test_make_app_loads_the_translations() -> None:
    """make_app itself (in a fresh process, as the program starts) installs them."""
    code = (
        "from brigade_desk.app.gui import make_app\n"
        "from PySide6.QtWidgets import QDialogButtonBox as B, QMessageBox as M, QFileDialog as F\n"
        "app = make_app()\n"
        "bb = B(B.StandardButton.Ok | B.StandardButton.Cancel)\n"
        "print(bb.button(B.StandardButton.Ok).text(), bb.button(B.StandardButton.Cancel).text())\n"
        "m = M(M.Icon.Question, 't', 'x', M.StandardButton.Yes | M.StandardButton.No)\n"
        "print(m.button(M.StandardButton.Yes).text(), m.button(M.StandardButton.No).text())\n"
        "f = F(None, 'x'); f.setOption(F.Option.DontUseNativeDialog); f.setAcceptMode(F.AcceptMode.AcceptSave)\n"
        "print(f.findChild(B).button(B.StandardButton.Save).text())\n"
        "from PySide6.QtWidgets import QLabel\n"
        "print(' '.join(sorted(w.text() for w in f.findChildren(QLabel) if w.text())))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert r.returncode == 0, r.stderr
    lines = [_plain(x) for x in r.stdout.split("\n")]
    assert lines[:3] == ["确定 取消", "是 否", "保存"]
    # the file dialog's labels too, whose Qt 6 source texts carry a mnemonic
    assert sorted(lines[3].split()) == sorted(["查找范围：", "文件名称：", "文件类型："]), lines[3]


def test_printed_list_has_a_grid_and_a_separated_info_line(qapp) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from PySide6.QtGui import (
        QStandardItem,
        QStandardItemModel,
        QTextDocument,
        QTextFrameFormat,
        QTextTable,
    )

    from brigade_desk.ui.widgets.printing import table_html

    m = QStandardItemModel(0, 3)
    m.setHorizontalHeaderLabels(["姓名", "证号", "问题"])
    m.appendRow(
        [QStandardItem("甲"), QStandardItem("C001"), QStandardItem("")]
    )  # an empty cell is boxed too
    m.appendRow([QStandardItem("乙"), QStandardItem("C002"), QStandardItem("执法证件已过期")])
    h = table_html(m, "问题清单", "显示 2 / 共 43 项")
    assert "显示 2 / 共 43 项 打印日期" not in h and "显示 2 / 共 43 项　打印日期" not in h
    doc = QTextDocument()
    doc.setHtml(h)
    tables = [f for f in doc.rootFrame().childFrames() if isinstance(f, QTextTable)]
    info, grid = tables
    assert (info.rows(), info.columns()) == (1, 2)
    assert info.cellAt(0, 0).firstCursorPosition().block().text() == "显示 2 / 共 43 项"
    assert (
        info.cellAt(0, 1).firstCursorPosition().block().text()
        == f"打印日期：{dt.date.today():%Y-%m-%d}"
    )
    fmt = grid.format()
    assert fmt.border() >= 1 and fmt.borderStyle() == QTextFrameFormat.BorderStyle.BorderStyle_Solid
    assert fmt.borderCollapse() and fmt.cellSpacing() == 0
    assert (grid.rows(), grid.columns()) == (3, 3)
    assert info.format().border() == 0
