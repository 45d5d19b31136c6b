"""Every data-entry dialog asks before throwing typed data away, and closes at once when nothing
changed (issue 13b): Cancel/关闭, Esc, and the window's close button (the same UnsavedGuard)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from av_fixtures import write
from cases_support import add_case
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)
from sqlalchemy import func, select

from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.av.models import AvRecord
from brigade_desk.ledgers.av.service import AvService
from brigade_desk.ledgers.cases.review import RectificationInput, ReviewService
from brigade_desk.ledgers.cases.service import CaseService
from brigade_desk.ledgers.roster.models import CertAction
from brigade_desk.ledgers.roster.service import RosterService
from brigade_desk.ledgers.training.service import TrainingService
from brigade_desk.ui.widgets.forms import UnsavedGuard
from tests.conftest import IDS, add_officer
from tests.training_helpers import add_session

QUESTION = "有尚未保存的修改，确定放弃吗？"


@pytest.fixture
def world(gui_ctx, tmp_path):  # type: ignore[no-untyped-def]
    db = gui_ctx.db
    roster = RosterService(db)
    sid = add_officer(roster, IDS[0], "甲")
    add_session(db, dt.date(2025, 3, 1), 4, [sid])
    with db.begin() as s:
        add_case(s, "乐交执罚〔2025〕1号")
    write(tmp_path / "素材" / "20240401100000_3.mp4", b"other")
    ingest(db, tmp_path / "素材", IngestOptions(in_place=True, activity="现场检查"))
    with db.session() as s:
        rid = s.scalar(select(func.min(AvRecord.id)))
    return gui_ctx, sid, rid


def _dialogs() -> dict[str, Callable[..., QDialog]]:
    from brigade_desk.ledgers.av.ui import dialogs as av
    from brigade_desk.ledgers.cases.ui.editor import CaseDialog
    from brigade_desk.ledgers.cases.ui.review import RectificationDialog
    from brigade_desk.ledgers.cases.ui.score import ScoreDialog
    from brigade_desk.ledgers.cases.ui.template import TemplateDialog
    from brigade_desk.ledgers.roster.ui import dialogs as roster
    from brigade_desk.ledgers.training.ui.editor import FormsDialog, SessionDialog
    from brigade_desk.ui.settings_dialog import SettingsDialog

    def cert_action(ctx, sid, _rid):  # type: ignore[no-untyped-def]
        svc = RosterService(ctx.db)
        cert = svc.get(sid).certificates[0]
        return roster.CertActionDialog(svc, cert.id, cert.cert_no, CertAction.SUSPEND)

    return {
        "设置": lambda ctx, _s, _r: SettingsDialog(ctx),
        "新增人员": lambda ctx, _s, _r: roster.StaffDialog(RosterService(ctx.db), None, []),
        "编辑人员": lambda ctx, sid, _r: roster.StaffDialog(
            RosterService(ctx.db), RosterService(ctx.db).get(sid), ["一中队"]
        ),
        "证件": lambda ctx, sid, _r: roster.CertDialog(RosterService(ctx.db), sid),
        "证件暂扣": cert_action,
        "培训": lambda ctx, _s, _r: SessionDialog(TrainingService(ctx.db), None),
        "培训形式": lambda ctx, _s, _r: FormsDialog(TrainingService(ctx.db)),
        "案件": lambda ctx, _s, _r: CaseDialog(CaseService(ctx.db), None),
        "评查": lambda ctx, _s, _r: ScoreDialog(
            ReviewService(ctx.db), "乐交执罚〔2025〕1号", 2025, "测试"
        ),
        "整改": lambda _c, _s, _r: RectificationDialog(RectificationInput(problem="缺少送达回证")),
        "评查表模板": lambda ctx, _s, _r: TemplateDialog(ReviewService(ctx.db)),
        "音像入库": lambda ctx, _s, _r: av.IngestDialog(ctx, AvService(ctx.db)),
        "音像记录": lambda ctx, _s, rid: av.RecordDialog(
            AvService(ctx.db), AvService(ctx.db).detail(rid)
        ),
        "文件名规则": lambda ctx, _s, _r: av.PatternDialog(AvService(ctx.db), None),
    }


def _typing_field(dlg: QDialog) -> QWidget:
    """The first field the clerk can type into."""
    for w in dlg.findChildren(QWidget):
        if not (w.isVisible() and w.isEnabled()):
            continue
        if (
            isinstance(w, QLineEdit)
            and not w.isReadOnly()
            and not isinstance(w.parent(), QAbstractSpinBox | QComboBox)
        ):
            return w
        if isinstance(w, QPlainTextEdit) and not w.isReadOnly():
            return w
    raise AssertionError(f"{dlg.windowTitle()}: nothing to type into")


def _cancel_button(dlg: QDialog) -> QAbstractButton:
    for box in dlg.findChildren(QDialogButtonBox):
        for b in box.buttons():
            if box.buttonRole(b) == QDialogButtonBox.ButtonRole.RejectRole:
                return b
    raise AssertionError(f"{dlg.windowTitle()}: no 取消/关闭 button")


@pytest.mark.parametrize("name", list(_dialogs()))
def test_dialog_guards_typed_data(world, qtbot, monkeypatch, name):  # type: ignore[no-untyped-def]
    ctx, sid, rid = world
    asked: list[str] = []
    answers: list[QMessageBox.StandardButton] = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda _p, _t, text, *a: asked.append(text) or answers.pop(0)
    )
    make = _dialogs()[name]

    # nothing changed: Esc closes at once, without a question
    dlg = make(ctx, sid, rid)
    qtbot.addWidget(dlg)
    assert len(dlg.findChildren(UnsavedGuard)) == 1  # also what asks on the window's close button
    dlg.show()
    qtbot.waitExposed(dlg)
    qtbot.keyClick(_typing_field(dlg), Qt.Key.Key_Escape)
    assert asked == []
    assert not dlg.isVisible()
    dlg2 = make(ctx, sid, rid)
    qtbot.addWidget(dlg2)
    dlg2.show()
    qtbot.waitExposed(dlg2)
    qtbot.mouseClick(_cancel_button(dlg2), Qt.MouseButton.LeftButton)
    assert not dlg2.isVisible() and asked == []

    # typed something: Esc asks; 否 keeps the dialog and what was typed
    dlg3 = make(ctx, sid, rid)
    qtbot.addWidget(dlg3)
    dlg3.show()
    qtbot.waitExposed(dlg3)
    field = _typing_field(dlg3)
    field.setFocus()
    qtbot.keyClicks(field, "7")
    answers.append(QMessageBox.StandardButton.No)
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert asked == [QUESTION] and dlg3.isVisible()
    typed = field.text() if isinstance(field, QLineEdit) else field.toPlainText()
    assert "7" in typed
    # Cancel/关闭 asks too; 是 closes without saving
    answers.append(QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(_cancel_button(dlg3), Qt.MouseButton.LeftButton)
    assert asked == [QUESTION, QUESTION] and not dlg3.isVisible()
    assert dlg3.result() == QDialog.DialogCode.Rejected


def test_ingest_dialog_after_a_batch_closes_without_asking(world, qtbot, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    from brigade_desk.ledgers.av.ui.dialogs import IngestDialog

    ctx, _sid, _rid = world
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda _p, _t, text, *a: asked.append(text) or QMessageBox.StandardButton.No,
    )
    write(tmp_path / "新卡" / "20240601090000_1.mp4", b"a")
    dlg = IngestDialog(ctx, AvService(ctx.db))
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.folder.insert(str(tmp_path / "新卡"))
    dlg.archive.setText(str(tmp_path / "归档"))
    qtbot.keyClicks(dlg.device, "DV-7")
    qtbot.keyClick(dlg.device, Qt.Key.Key_Escape)
    assert asked == [QUESTION] and dlg.isVisible()  # Esc no longer loses what was typed
    qtbot.mouseClick(dlg.start_btn, Qt.MouseButton.LeftButton)
    assert dlg.result_obj is not None and dlg.result_obj.added == 1
    qtbot.keyClick(dlg.device, Qt.Key.Key_Escape)  # the batch is in: nothing left to lose
    assert asked == [QUESTION] and not dlg.isVisible()


def test_template_dialog_switching_versions_is_not_a_change(world, qtbot, monkeypatch):  # type: ignore[no-untyped-def]
    from brigade_desk.ledgers.cases.ui.template import TemplateDialog

    ctx, _sid, _rid = world
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda _p, _t, text, *a: asked.append(text) or QMessageBox.StandardButton.Yes,
    )
    dlg = TemplateDialog(ReviewService(ctx.db))
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.load(dlg.version.currentData())  # the same version loaded again
    qtbot.keyClick(dlg.name, Qt.Key.Key_Escape)
    assert asked == [] and not dlg.isVisible()
