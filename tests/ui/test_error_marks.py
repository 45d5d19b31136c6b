"""A field marked wrong turns normal as soon as the clerk changes it, and its message leaves the
error text (issue 13d): roster, certificates, training, cases, AV."""

from __future__ import annotations

from av_fixtures import write
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QWidget

from brigade_desk.ledgers.av.service import AvFilter, AvService
from brigade_desk.ledgers.cases.service import CaseService
from brigade_desk.ledgers.roster.service import RosterService
from brigade_desk.ledgers.training.service import TrainingService
from brigade_desk.ui.widgets.forms import ERROR_STYLE
from tests.conftest import IDS, add_officer


def red(w: QWidget) -> bool:
    return w.styleSheet() == ERROR_STYLE


def save(dlg: QDialog, qtbot) -> None:  # type: ignore[no-untyped-def]
    box = dlg.findChild(QDialogButtonBox)
    btn = next(
        b for b in box.buttons() if box.buttonRole(b) == QDialogButtonBox.ButtonRole.AcceptRole
    )
    qtbot.mouseClick(btn, Qt.MouseButton.LeftButton)


def shown(dlg: QDialog, qtbot):  # type: ignore[no-untyped-def]
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def test_staff_dialog_marks_clear_field_by_field(gui_ctx, qtbot):
    from brigade_desk.ledgers.roster.ui.dialogs import StaffDialog

    svc = RosterService(gui_ctx.db)
    dlg = shown(StaffDialog(svc, None, []), qtbot)
    qtbot.keyClicks(dlg.id_number, IDS[1][:-1] + "5")  # wrong check digit
    qtbot.keyClicks(dlg.phone, "12")
    save(dlg, qtbot)
    assert red(dlg.name) and red(dlg.id_number)
    errors: QLabel = dlg.errors
    assert "校验位" in errors.text() and "姓名" in errors.text() and errors.isVisible()
    # fixing the ID number: its red goes at once, and so does its message; the name's stays
    qtbot.keyClick(dlg.id_number, Qt.Key.Key_Backspace)
    assert not red(dlg.id_number) and red(dlg.name)
    assert "校验位" not in errors.text() and "姓名" in errors.text() and errors.isVisible()
    qtbot.keyClicks(dlg.id_number, IDS[1][-1])
    dlg.name.insert("王小明")  # Chinese arrives through the IME
    assert not red(dlg.name) and errors.isHidden()
    save(dlg, qtbot)  # the next save checks everything again
    phone_red = red(dlg.phone)
    if (
        dlg.result() != QDialog.DialogCode.Accepted
    ):  # a short phone number may be refused: fixed the same way
        assert phone_red and errors.isVisible()
        qtbot.keyClicks(dlg.phone, "345678901")
        assert not red(dlg.phone) and errors.isHidden()
        save(dlg, qtbot)
    assert dlg.result() == QDialog.DialogCode.Accepted and svc.count() == 1


def test_certificate_dialog(gui_ctx, qtbot):
    from brigade_desk.ledgers.roster.ui.dialogs import CertDialog

    svc = RosterService(gui_ctx.db)
    sid = add_officer(svc, IDS[0], "甲", valid_to=None)
    dlg = shown(CertDialog(svc, sid), qtbot)
    qtbot.keyClicks(dlg.valid_to.edit, "2030-13-01")
    save(dlg, qtbot)
    assert red(dlg.valid_to.edit) and dlg.errors.isVisible()
    qtbot.keyClick(dlg.valid_to.edit, Qt.Key.Key_Backspace)
    assert not red(dlg.valid_to.edit)
    assert "有效期" not in dlg.errors.text() or dlg.errors.isHidden()


def test_training_session_dialog(gui_ctx, qtbot):
    from brigade_desk.ledgers.training.ui.editor import SessionDialog

    dlg = shown(SessionDialog(TrainingService(gui_ctx.db), None), qtbot)
    save(dlg, qtbot)
    assert red(dlg.title_edit) and "培训名称" in dlg.errors.text()
    qtbot.keyClicks(dlg.title_edit, "Law 101")
    assert not red(dlg.title_edit) and "培训名称" not in dlg.errors.text()


def test_case_dialog(gui_ctx, qtbot):
    from brigade_desk.ledgers.cases.ui.editor import CaseDialog

    dlg = shown(CaseDialog(CaseService(gui_ctx.db), None), qtbot)
    filed = dlg.dates["filed_on"].edit
    dlg.fine.insert("三万")
    qtbot.keyClicks(filed, "2026-13-01")
    save(dlg, qtbot)
    assert red(dlg.fine) and red(filed) and "罚款金额" in dlg.errors.text()
    qtbot.keyClick(dlg.fine, Qt.Key.Key_Backspace)
    assert not red(dlg.fine) and red(filed)
    assert "罚款金额" not in dlg.errors.text() and dlg.errors.isVisible()
    qtbot.keyClick(filed, Qt.Key.Key_Backspace)
    assert not red(filed) and dlg.errors.isHidden()


def test_av_ingest_dialog(gui_ctx, qtbot, tmp_path):
    from brigade_desk.ledgers.av.ui.dialogs import IngestDialog, RecordDialog

    dlg = shown(IngestDialog(gui_ctx, AvService(gui_ctx.db)), qtbot)
    dlg.archive.setText(str(tmp_path / "归档"))  # (the default copies into the archive)
    qtbot.mouseClick(dlg.start_btn, Qt.MouseButton.LeftButton)
    assert red(dlg.folder) and "文件夹" in dlg.error.text() and dlg.error.isVisible()
    qtbot.keyClicks(dlg.folder, "x")
    assert not red(dlg.folder) and dlg.error.isHidden()

    from brigade_desk.ledgers.av.ingest import IngestOptions, ingest

    write(tmp_path / "素材" / "20240401100000_3.mp4", b"x")
    ingest(gui_ctx.db, tmp_path / "素材", IngestOptions(in_place=True))
    svc = AvService(gui_ctx.db)
    rec = RecordDialog(svc, svc.detail(svc.page(AvFilter(), offset=0, limit=1)[0].id))
    shown(rec, qtbot)
    rec.officer.setEditText("不存在的人")
    save(rec, qtbot)
    assert red(rec.officer) and "不在花名册中" in rec.error.text()
    rec.officer.setCurrentIndex(0)
    assert not red(rec.officer) and rec.error.isHidden()


def test_score_dialog_marks_an_impossible_review_date(gui_ctx, qtbot):
    from cases_support import add_case

    from brigade_desk.ledgers.cases.review import ReviewService
    from brigade_desk.ledgers.cases.ui.score import ScoreDialog

    with gui_ctx.db.begin() as s:
        add_case(s, "乐交执罚〔2025〕1号")
    dlg = shown(ScoreDialog(ReviewService(gui_ctx.db), "乐交执罚〔2025〕1号", 2025, "测试"), qtbot)
    dlg.reviewed_on.edit.setText("2025-13-45")
    save(dlg, qtbot)
    assert red(dlg.reviewed_on.edit) and "评查日期" in dlg.errors.text()
    dlg.reviewed_on.edit.setText("2025-12-01")
    assert not red(dlg.reviewed_on.edit)


def test_marking_a_field_does_not_move_the_rows_below(gui_ctx, qtbot):
    from brigade_desk.ledgers.roster.ui.dialogs import StaffDialog

    dlg = shown(StaffDialog(RosterService(gui_ctx.db), None, []), qtbot)
    before = dlg.phone.mapTo(dlg, dlg.phone.rect().topLeft()).y()
    height = dlg.name.height()
    save(dlg, qtbot)  # empty name and ID number turn red above the phone field
    qtbot.wait(20)
    assert red(dlg.name) and red(dlg.id_number)
    assert dlg.name.height() == height  # the red style sheet alone made it 4 px lower
    assert dlg.phone.mapTo(dlg, dlg.phone.rect().topLeft()).y() == before
    dlg.name.insert("王小明")  # fixed: back to normal, still nothing moves
    qtbot.wait(20)
    assert not red(dlg.name) and dlg.name.height() == height
    assert dlg.phone.mapTo(dlg, dlg.phone.rect().topLeft()).y() == before
