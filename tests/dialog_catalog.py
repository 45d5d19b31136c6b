"""Every dialog of the program, opened on demo data, each with a way to make it show errors.

Used by the screen-fit tests (and handy for screenshots): ``DIALOGS`` maps a name to
``(open(ctx, parent) -> QDialog, provoke(dialog) -> None)``; ``provoke`` fills in wrong values and
presses Save so the dialog shows its inline errors (as many at once as the dialog allows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog, QLineEdit, QTableWidgetItem, QWidget
from sqlalchemy import select

BAD_DATE = "2021-13-45"


def _first(db: Any, model: Any, *where: Any) -> Any:
    with db.session() as s:
        return s.scalars(select(model.id).where(*where).order_by(model.id)).first()


def _staff_id(db: Any) -> int:
    from brigade_desk.ledgers.roster.models import Staff

    return _first(db, Staff)


def _cert(db: Any) -> tuple[int, str, int]:
    from brigade_desk.ledgers.roster.models import Certificate

    with db.session() as s:
        c = s.scalars(select(Certificate).order_by(Certificate.id)).first()
        return c.id, c.cert_no, c.staff_id


# ---- opening ---------------------------------------------------------------------------------
def staff(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.roster.service import RosterService
    from brigade_desk.ledgers.roster.ui.dialogs import StaffDialog

    svc = RosterService(ctx.db)
    return StaffDialog(svc, None, svc.squads(), parent)


def staff_edit(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.roster.service import RosterService
    from brigade_desk.ledgers.roster.ui.dialogs import StaffDialog

    svc = RosterService(ctx.db)
    return StaffDialog(svc, svc.get(_staff_id(ctx.db)), svc.squads(), parent)


def cert(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.roster.service import RosterService
    from brigade_desk.ledgers.roster.ui.dialogs import CertDialog

    return CertDialog(RosterService(ctx.db), _staff_id(ctx.db), parent=parent)


def cert_action(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.roster.models import CertAction
    from brigade_desk.ledgers.roster.service import RosterService
    from brigade_desk.ledgers.roster.ui.dialogs import CertActionDialog

    cid, no, _sid = _cert(ctx.db)
    return CertActionDialog(RosterService(ctx.db), cid, no, CertAction.RENEW, parent)


def case(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.cases.models import CaseRecord
    from brigade_desk.ledgers.cases.service import CaseService
    from brigade_desk.ledgers.cases.ui.editor import CaseDialog

    svc = CaseService(ctx.db)
    return CaseDialog(svc, svc.get(_first(ctx.db, CaseRecord)), parent)


def case_new(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.cases.service import CaseService
    from brigade_desk.ledgers.cases.ui.editor import CaseDialog

    return CaseDialog(CaseService(ctx.db), None, parent)


def score(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.cases.models import CaseRecord
    from brigade_desk.ledgers.cases.review import ReviewService
    from brigade_desk.ledgers.cases.ui.score import ScoreDialog

    with ctx.db.session() as s:
        c = s.scalars(select(CaseRecord).order_by(CaseRecord.id)).first()
        no, cause = c.case_no, c.cause
    return ScoreDialog(ReviewService(ctx.db), no, 2025, f"行政处罚　张三　{cause}", parent)


def rectification(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.cases.review import RectificationInput
    from brigade_desk.ledgers.cases.ui.review import RectificationDialog

    return RectificationDialog(RectificationInput(problem="缺少送达回证"), parent)


def template(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.cases.review import ReviewService
    from brigade_desk.ledgers.cases.ui.template import TemplateDialog

    return TemplateDialog(ReviewService(ctx.db), parent)


def session(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.training.models import TrainingSession
    from brigade_desk.ledgers.training.service import TrainingService
    from brigade_desk.ledgers.training.ui.editor import SessionDialog

    svc = TrainingService(ctx.db)
    return SessionDialog(svc, svc.get_session(_first(ctx.db, TrainingSession)), parent)


def forms(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.training.service import TrainingService
    from brigade_desk.ledgers.training.ui.editor import FormsDialog

    return FormsDialog(TrainingService(ctx.db), parent)


def settings(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ui.settings_dialog import SettingsDialog

    return SettingsDialog(ctx, parent)


def backup(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ui.backup_dialog import BackupDialog

    return BackupDialog(ctx, parent)


def history(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ui.history_dialog import HistoryDialog

    return HistoryDialog(ctx, "甲", [("staff", _staff_id(ctx.db))], parent)


def import_(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ui.import_dialog import ImportDialog

    return ImportDialog(ctx, parent, None, "staff")


def ingest(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.av.service import AvService
    from brigade_desk.ledgers.av.ui.dialogs import IngestDialog

    return IngestDialog(ctx, AvService(ctx.db), parent)


def av_record(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.av.models import AvRecord
    from brigade_desk.ledgers.av.service import AvService
    from brigade_desk.ledgers.av.ui.dialogs import RecordDialog

    svc = AvService(ctx.db)
    return RecordDialog(svc, svc.detail(_first(ctx.db, AvRecord)), parent)


def pattern(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.av.service import AvService
    from brigade_desk.ledgers.av.ui.dialogs import PatternDialog

    return PatternDialog(AvService(ctx.db), None, parent)


def device(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.av.devices import DeviceService
    from brigade_desk.ledgers.av.ui.custody import DeviceDialog

    return DeviceDialog(DeviceService(ctx.db), None, parent)


def hand_over(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.av.devices import DeviceService
    from brigade_desk.ledgers.av.ui.custody import HandOverDialog

    svc = DeviceService(ctx.db)
    if not svc.devices():
        svc.save_device(None, "DSJ-CATALOG", "V9", "SN-1")
    return HandOverDialog(svc, svc.devices()[0], parent)


def correct_officer(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.av.models import AvRecord
    from brigade_desk.ledgers.av.service import AvService
    from brigade_desk.ledgers.av.ui.custody import CorrectOfficerDialog

    svc = AvService(ctx.db)
    return CorrectOfficerDialog(svc, svc.detail(_first(ctx.db, AvRecord)), parent)


def retention(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.av.ui.custody import RetentionDialog

    return RetentionDialog(ctx.db, parent)


def print_preview(ctx: Any, parent: QWidget | None) -> QDialog:
    from brigade_desk.ledgers.roster.service import RosterService
    from brigade_desk.ui.widgets.printing import preview_dialog
    from brigade_desk.ui.widgets.table import Column, ListTableModel, make_view

    view = make_view(parent, "print_probe")
    model = ListTableModel(
        [Column("姓名", lambda r: r.name, 80), Column("中队", lambda r: r.squad, 80)], view
    )
    model.set_rows(RosterService(ctx.db).list_staff())
    view.setModel(model)
    return preview_dialog(view, "花名册", "显示 2 / 共 43 项", parent)


# ---- making errors show ----------------------------------------------------------------------
def _bad_dates(dlg: QDialog) -> None:
    from brigade_desk.ui.widgets.forms import DateField

    for f in dlg.findChildren(DateField):
        f.edit.setText(BAD_DATE)


def _clear_lines(dlg: QDialog) -> None:
    for e in dlg.findChildren(QLineEdit):
        if e.parent() is not None and not e.parent().inherits("QComboBox") and not e.isReadOnly():
            e.clear()


def provoke_form(dlg: Any) -> None:
    """Empty every text field, make every date wrong, press Save."""
    _clear_lines(dlg)
    _bad_dates(dlg)
    dlg.save()


def provoke_case(dlg: Any) -> None:
    provoke_form(dlg)
    dlg.fine.setText("一百元")
    dlg.confiscation.setText("很多")
    dlg.save()


def provoke_rect(dlg: Any) -> None:
    from brigade_desk.core.errors import ValidationError

    _bad_dates(dlg)
    try:
        dlg.data()
    except ValidationError as exc:
        dlg.show_errors(
            {
                **exc.fields,
                "problem": "整改问题不能为空",
                "assignee": "责任人不能为空",
                "evidence": "整改材料：" + "很长的说明" * 20,
            }
        )


def provoke_session(dlg: Any) -> None:
    from brigade_desk.ledgers.training.ui.editor import C_SCORE

    dlg.title_edit.clear()
    dlg.start.edit.setText(BAD_DATE)
    for r in range(min(40, dlg.table.rowCount())):
        dlg.table.setItem(r, C_SCORE, QTableWidgetItem("不及格"))
    dlg.save()


def provoke_score(dlg: Any) -> None:
    dlg.reviewer.clear()
    dlg.reviewed_on.edit.setText(BAD_DATE)
    dlg.save()


def provoke_template(dlg: Any) -> None:
    for _ in range(3):
        dlg._add_row(dlg.items, ["", "", "", "x", ""])
    dlg.save()


def provoke_forms(dlg: Any) -> None:
    dlg.edit.setPlainText("")
    dlg.save()


def provoke_ingest(dlg: Any) -> None:
    dlg.copy.setChecked(True)
    dlg.start()


def provoke_pattern(dlg: Any) -> None:
    dlg.name.setText("x")
    dlg.regex.setText(r"^(?P<device>DV\d+")
    dlg.save()


def provoke_record(dlg: Any) -> None:
    dlg.officer.setEditText("不存在的人")
    dlg.save()


def provoke_device(dlg: Any) -> None:
    dlg.device_no.setText("")
    dlg.notes.setPlainText("\u202e")
    dlg.save()


def provoke_hand_over(dlg: Any) -> None:
    dlg.to.setCurrentIndex(0)  # nobody chosen, not returned
    dlg.save()


def provoke_correct_officer(dlg: Any) -> None:
    dlg.officer.setEditText("不存在的人")
    dlg.save()


def nothing(dlg: Any) -> None:
    pass


Open = Callable[[Any, "QWidget | None"], QDialog]
DIALOGS: dict[str, tuple[Open, Callable[[Any], None]]] = {
    "新增人员": (staff, provoke_form),
    "编辑人员": (staff_edit, provoke_form),
    "登记执法证件": (cert, provoke_form),
    "证件换发": (cert_action, provoke_form),
    "编辑案件": (case, provoke_case),
    "新增案件": (case_new, provoke_case),
    "案卷评查打分": (score, provoke_score),
    "整改事项": (rectification, provoke_rect),
    "评查表模板": (template, provoke_template),
    "培训记录": (session, provoke_session),
    "培训形式": (forms, provoke_forms),
    "设置": (settings, nothing),
    "备份与恢复": (backup, nothing),
    "修改记录": (history, nothing),
    "导入": (import_, nothing),
    "音像文件入库": (ingest, provoke_ingest),
    "音像记录": (av_record, provoke_record),
    "文件名规则": (pattern, provoke_pattern),
    "登记执法记录仪": (device, provoke_device),
    "交接执法记录仪": (hand_over, provoke_hand_over),
    "更正执法人员": (correct_officer, provoke_correct_officer),
    "保存期限到期": (retention, nothing),
    "打印预览": (print_preview, nothing),
}
