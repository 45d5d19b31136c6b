"""The training GUI: the attendance editor and the page, checked against the database."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from training_helpers import add_session, add_staff

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.ledgers.training.service import AttendanceInput, TrainingService
from brigade_desk.ledgers.training.ui.editor import (
    C_HOURS,
    C_REASON,
    C_SCORE,
    FormsDialog,
    SessionDialog,
)
from brigade_desk.ledgers.training.ui.page import TrainingPage

THIS_YEAR = dt.date.today().year


@pytest.fixture
def people(db):
    return {
        "a1": add_staff(db, "甲一", squad="一中队"),
        "a2": add_staff(db, "甲二", squad="一中队"),
        "a3": add_staff(db, "甲三", squad="一中队", category="执法辅助人员"),
        "gone": add_staff(db, "甲四", squad="一中队", status="调离"),
        "b1": add_staff(db, "乙一", squad="二中队"),
    }


def test_attendance_ticked_from_roster_by_squad(gui_ctx, people, qtbot):
    svc = TrainingService(gui_ctx.db)
    dlg = SessionDialog(svc, None, default_date=dt.date(THIS_YEAR, 3, 5))
    qtbot.addWidget(dlg)
    # departed people are not offered for a new session
    assert {p.name for p in dlg.people} == {"甲一", "甲二", "甲三", "乙一"}
    dlg.title_edit.insert("《行政处罚法》专题讲座")
    dlg.form.setCurrentText("法治讲堂")
    dlg.category.setCurrentIndex(dlg.category.findData("公共法律知识"))
    dlg.hours.setValue(3)
    dlg.squad.setCurrentText("一中队")
    qtbot.mouseClick(dlg.select_on_duty, Qt.MouseButton.LeftButton)
    assert dlg.count.text() == "已选 3 人"
    dlg.set_ticked(people["a2"], False)
    dlg.set_cell(people["a2"], C_REASON, "病假")
    dlg.set_cell(people["a1"], C_SCORE, "88")
    dlg.save()
    assert dlg.result() == QDialog.DialogCode.Accepted
    v = svc.get_session(dlg.session_id)
    assert (v.title, v.form, v.category, v.hours, v.has_exam) == (
        "《行政处罚法》专题讲座",
        "法治讲堂",
        "公共法律知识",
        3,
        True,
    )
    got = {
        a.name: (a.attended, a.absence_reason, a.exam_score, a.exam_passed) for a in v.attendance
    }
    assert got == {
        "甲一": (True, "", 88, True),
        "甲二": (False, "病假", None, None),
        "甲三": (True, "", None, None),
    }
    p = next(x for x in svc.year_summary(THIS_YEAR) if x.name == "甲一")
    assert p.by_category["公共法律知识"] == 3


def test_editor_validation_names_fields_and_saves_nothing(gui_ctx, people, qtbot):
    svc = TrainingService(gui_ctx.db)
    dlg = SessionDialog(svc, None)
    qtbot.addWidget(dlg)
    dlg.form.setCurrentText("")
    qtbot.keyClicks(dlg.end.edit, "2020-13-40")
    dlg.save()
    assert dlg.result() != QDialog.DialogCode.Accepted
    text = dlg.errors.text()
    assert "结束日期" in text and "培训名称" in text and "培训形式" in text  # all at once
    dlg.end.edit.clear()
    dlg.set_ticked(people["a1"], True)
    dlg.set_cell(people["a1"], C_SCORE, "九十")
    dlg.save()
    assert "九十" in dlg.errors.text()
    r = next(i for i, p in enumerate(dlg.people) if p.id == people["a1"])
    assert (
        dlg.table.item(r, C_SCORE).background().color().name() == "#fde2e1"
    )  # that cell, not the table
    assert (
        not dlg.table.styleSheet()
        and dlg.table.item(r, C_HOURS).background().style() == Qt.BrushStyle.NoBrush
    )
    dlg.set_cell(people["a1"], C_SCORE, "")
    dlg.save()
    text = dlg.errors.text()
    assert "培训名称" in text and "培训形式" in text and "学时" in text
    assert svc.list_sessions() == []


def test_editing_existing_session_keeps_partial_credit(gui_ctx, people, qtbot):
    svc = TrainingService(gui_ctx.db)
    sid = add_session(
        gui_ctx.db,
        dt.date(THIS_YEAR, 1, 10),
        4,
        [AttendanceInput(staff_id=people["a1"], hours=2), people["b1"]],
        title="旧培训",
    )
    dlg = SessionDialog(svc, svc.get_session(sid))
    qtbot.addWidget(dlg)
    assert set(dlg.ticked_ids()) == {people["a1"], people["b1"]}
    dlg.set_ticked(people["b1"], False)
    dlg.save()
    v = svc.get_session(sid)
    assert [(a.name, a.hours) for a in v.attendance] == [("甲一", 2)]


def test_page_tabs_notice_and_plan(gui_ctx, people, qtbot, tmp_path):
    db = gui_ctx.db
    add_session(db, dt.date(THIS_YEAR, 1, 10), 30, [people["a1"], people["a2"], people["a3"]])
    exam = add_session(
        db,
        dt.date(THIS_YEAR, 1, 20),
        1,
        [
            AttendanceInput(staff_id=people["a1"], exam_score=90),
            AttendanceInput(staff_id=people["a2"], exam_score=40),
        ],
        title="1月每月一考",
        form="考试",
    )
    page = TrainingPage(gui_ctx)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    assert page.sessions.model.rowCount() == 2
    # brigade view (loaded when its tab is first shown): on-duty officers by default, the auxiliary
    # listed separately
    page.tabs.setCurrentIndex(1)
    names = {
        page.hours.model.rows[page.hours.proxy.mapToSource(page.hours.proxy.index(r, 0)).row()].name
        for r in range(page.hours.proxy.rowCount())
    }
    assert names == {"甲一", "甲二", "乙一"}
    page.hours.who.setCurrentIndex(1)
    assert page.hours.proxy.rowCount() == 1
    page.hours.who.setCurrentIndex(0)
    page.hours.behind.setChecked(True)
    assert page.hours.proxy.rowCount() == 3
    page.show_person(people["a1"])
    assert (
        page.tabs.currentIndex() == 2
        and "31" in page.person.info.text()
        and page.person.model.rowCount() == 2
    )
    # exams: the latest exam is selected; one click makes the 通报
    page.tabs.setCurrentIndex(3)
    assert page.exams.exam.currentData() == exam and "合格 1 人" in page.exams.stats.text()
    said: list[str] = []
    gui_ctx.events.status.connect(said.append)
    page.exams.make_notice(str(tmp_path / "通报.pdf"))  # the exam-notice export
    assert (tmp_path / "通报.pdf").stat().st_size > 1000
    assert said == [f"已生成成绩通报：{tmp_path / '通报.pdf'}"]
    page.sessions.export(str(tmp_path / "台账.xlsx"))
    assert (tmp_path / "台账.xlsx").exists()
    # plan: add an item, approve it
    page.tabs.setCurrentIndex(4)
    plan = page.plan
    plan.add_item(["3", "行政处罚法专题", "法治讲堂", "公共法律知识", "4", "法制审核股"])
    plan.approved.set_date(dt.date(THIS_YEAR, 3, 1))
    plan.approve()
    p = TrainingService(db).get_plan(THIS_YEAR)
    assert p is not None and p.status == "已批准" and p.approved_date == dt.date(THIS_YEAR, 3, 1)
    assert [(i.month, i.topic, i.category, i.planned_hours) for i in p.items] == [
        (3, "行政处罚法专题", "公共法律知识", 4)
    ]
    plan.add_item(["十三", "x", "", "体育", "1", ""])
    assert not plan.save() and "第 2 项" in plan.errors.text()


def test_forms_dialog_saves_setting(gui_ctx, qtbot):
    svc = TrainingService(gui_ctx.db)
    dlg = FormsDialog(svc)
    qtbot.addWidget(dlg)
    dlg.edit.setPlainText("法治讲堂\n夜校\n\n")
    dlg.save()
    assert svc.forms() == ["法治讲堂", "夜校"]
    dlg2 = FormsDialog(svc)
    qtbot.addWidget(dlg2)
    dlg2.edit.setPlainText("  ")
    dlg2.save()
    assert "至少" in dlg2.errors.text() and svc.forms() == ["法治讲堂", "夜校"]


def test_import_dialog_imports_sign_in_sheet(gui_ctx, people, qtbot, tmp_path):
    import openpyxl

    from brigade_desk.ui.import_dialog import ImportDialog

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["培训日期", "培训名称", "培训形式", "培训类别", "学时", "姓名"])
    ws.append([f"{THIS_YEAR}-02-03", "岗位练兵", "岗位练兵", "执法技能", 4, "甲一"])
    ws.append([f"{THIS_YEAR}-02-03", "岗位练兵", "岗位练兵", "执法技能", 4, "无此人"])
    wb.save(tmp_path / "签到.xlsx")
    dlg = ImportDialog(gui_ctx, None, str(tmp_path / "签到.xlsx"), kind="training")
    qtbot.addWidget(dlg)
    assert (
        dlg.errors.rowCount() == 1
        and dlg.errors.rows[0].row == 3
        and not dlg.import_btn.isEnabled()
    )
    dlg.skip.setChecked(True)
    dlg.do_import()
    rows = TrainingService(gui_ctx.db).list_sessions()
    assert [(r.title, r.attendees) for r in rows] == [("岗位练兵", 1)]


def test_a_month_without_legal_study_opens_its_year(gui_ctx, people, qtbot):
    from brigade_desk.ledgers.training.ui.page import TAB_SESSIONS

    db = gui_ctx.db
    add_session(
        db, dt.date(THIS_YEAR - 1, 1, 10), 2, [AttendanceInput(staff_id=people["a1"])]
    )  # a year to pick
    with db.session() as s:
        gap = next(
            f
            for f in REGISTRY.run_rules(s, dt.date(THIS_YEAR - 1, 6, 1))
            if f.rule == "monthly_study_missing"
        )
    assert gap.entity == "training_month" and gap.entity_id == (THIS_YEAR - 1) * 100 + int(
        gap.subject[-2:]
    )
    said = []
    gui_ctx.events.status.connect(said.append)
    page = TrainingPage(gui_ctx)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    page.tabs.setCurrentIndex(1)
    page.open_record(gap.entity, gap.entity_id)
    assert page.tabs.currentIndex() == TAB_SESSIONS and page.current_year() == THIS_YEAR - 1
    assert said and "没有登记全员集中学法" in said[-1]
