"""The full-staff rotation training rule (全员轮训 by 30 June 2024) at its edges."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select
from training_helpers import add_staff, id_no, new_db

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import rules, settings
from brigade_desk.ledgers.roster.models import Staff, StaffEvent
from brigade_desk.ledgers.roster.service import RosterService, StaffInput
from brigade_desk.ledgers.training import hours as th
from brigade_desk.ledgers.training import rules as tr
from brigade_desk.ledgers.training import settings as training_settings
from brigade_desk.ledgers.training.models import TrainingSession
from brigade_desk.ledgers.training.service import AttendanceInput, SessionInput, TrainingService

D = dt.date
DUE = D(2024, 6, 30)
AFTER = D(2024, 7, 1)


@pytest.fixture
def db(tmp_path):
    d = new_db(tmp_path)
    yield d
    d.close()


def rotation(
    db,
    end: dt.date,
    people,
    *,
    rotation: bool = True,
    hours: float = 16.0,
    start: dt.date | None = None,
    title: str = "全员轮训",
) -> int:
    rows = [p if isinstance(p, AttendanceInput) else AttendanceInput(staff_id=p) for p in people]
    data = SessionInput(
        start_date=start or end,
        end_date=end,
        title=title,
        form="集中轮训",
        category="业务知识",
        hours=hours,
        is_rotation=rotation,
    )
    return TrainingService(db).save_session(data, rows)


def missing(db, as_of: dt.date) -> list[rules.Finding]:
    with db.session() as s:
        return [f for f in REGISTRY.run_rules(s, as_of) if f.rule == "rotation_missing"]


def names(db, as_of: dt.date) -> list[str]:
    return sorted(f.subject for f in missing(db, as_of))


def registered(db, name: str, on: dt.date, **kw) -> int:
    """A person added in the program on ``on`` (the roster writes the 登记入册 event with that date)."""
    return (
        RosterService(db)
        .save_staff(StaffInput(name=name, id_number=id_no(), squad="一中队", **kw), today=on)
        .staff_id
    )


def test_registered_with_label_and_settings():
    assert REGISTRY.rule_labels()["rotation_missing"] == "执法人员未参加全员轮训"
    assert REGISTRY.settings()["training.rotation_due"].default == D(2024, 6, 30)
    assert REGISTRY.settings()["training.rotation_from"].default == D(2023, 1, 1)


def test_nothing_until_the_due_date_has_passed(db):
    p = add_staff(db, "张三")
    assert missing(db, D(2024, 1, 1)) == []
    assert missing(db, DUE) == []  # the last day still allows the rotation
    fs = missing(db, AFTER)
    assert len(fs) == 1
    f = fs[0]
    assert f.subject == "张三" and f.due == DUE and f.entity == "staff" and f.entity_id == p
    with db.session() as s:
        assert f.ref == s.get(Staff, p).id_number
    assert "2024-06-30" in f.detail and "全员轮训" in f.detail and "没有参加记录" in f.detail
    # no rotation session registered at all: the clerk is told how to record one
    assert "勾选“计入全员轮训”" in f.detail


def test_attended_on_time_including_a_session_ending_on_the_due_date(db):
    a = add_staff(db, "按时甲")
    b = add_staff(db, "按时乙")
    c = add_staff(db, "未参加")
    rotation(db, D(2024, 5, 10), [a])
    rotation(db, DUE, [b], start=D(2024, 6, 29))
    assert names(db, AFTER) == ["未参加"]
    # the hint about no rotation session at all is gone once one is registered
    assert "勾选" not in missing(db, AFTER)[0].detail
    assert c


def test_auxiliary_and_people_who_left_are_not_counted(db):
    add_staff(db, "辅助人员", category="执法辅助人员")
    for status in ("离岗", "调离", "退休"):
        add_staff(db, f"已{status}", status=status)
    add_staff(db, "在岗执法")
    assert names(db, AFTER) == ["在岗执法"]


def test_joined_after_the_due_date_is_not_counted(db):
    registered(db, "六月底入册", DUE)
    registered(db, "七月入册", AFTER)
    registered(db, "去年入册", D(2023, 3, 1))
    assert names(db, D(2025, 1, 1)) == ["六月底入册", "去年入册"]
    # registered in the program later, but the training ledger shows the person here before the due date
    late = registered(db, "晚登记", D(2025, 2, 1))
    sid = TrainingService(db).save_session(
        SessionInput(
            start_date=D(2024, 3, 1),
            end_date=D(2024, 3, 1),
            title="学法",
            form="集中学法",
            category="公共法律知识",
            hours=2,
        ),
        [AttendanceInput(staff_id=late, attended=False, absence_reason="病假")],
    )
    assert sid
    assert "晚登记" in names(db, D(2025, 3, 1))


def test_unknown_join_date_is_counted(db):
    # imported from Excel in 2026: the import event is no joining date
    p = add_staff(db, "导入人员")
    with db.begin() as s:
        s.add(StaffEvent(staff_id=p, date=D(2026, 3, 1), what="由 Excel 导入（执法人员，在岗）"))
    add_staff(db, "无记录人员")
    assert names(db, D(2026, 3, 2)) == ["导入人员", "无记录人员"]


def test_roster_registration_event_is_what_the_rule_reads(db):
    p = registered(db, "新人", D(2025, 5, 5))
    with db.session() as s:
        ev = s.scalars(select(StaffEvent).where(StaffEvent.staff_id == p)).one()
    assert ev.what.startswith(tr.REGISTERED_EVENT) and ev.date == D(2025, 5, 5)


def test_absence_and_zero_credit_do_not_count(db):
    absent = add_staff(db, "缺席")
    zero = add_staff(db, "零学时")
    partial = add_staff(db, "部分学时")
    rotation(
        db,
        D(2024, 5, 10),
        [
            AttendanceInput(staff_id=absent, attended=False, absence_reason="病假"),
            AttendanceInput(staff_id=zero, hours=0.0),
            AttendanceInput(staff_id=partial, hours=4.0),
        ],
    )
    rotation(
        db,
        D(2024, 6, 10),
        [AttendanceInput(staff_id=absent, attended=False, absence_reason="公差")],
    )
    fs = {f.subject: f for f in missing(db, AFTER)}
    assert sorted(fs) == ["缺席", "零学时"]
    assert "轮训缺席 2 次" in fs["缺席"].detail
    assert "缺席 1 次" in fs["零学时"].detail


def test_attended_late_is_no_finding_once_done(db):
    p = add_staff(db, "补训")
    rotation(
        db, D(2024, 5, 10), [AttendanceInput(staff_id=p, attended=False, absence_reason="事假")]
    )
    rotation(db, D(2024, 9, 10), [p], start=D(2024, 9, 9), title="全员轮训（补训）")
    assert names(db, AFTER) == ["补训"]
    assert names(db, D(2024, 9, 9)) == ["补训"]  # the make-up has not ended yet
    assert missing(db, D(2024, 9, 10)) == []
    assert missing(db, D(2026, 1, 1)) == []


def test_sessions_not_flagged_or_from_an_earlier_round_do_not_count(db):
    a = add_staff(db, "普通培训")
    b = add_staff(db, "旧轮训")
    c = add_staff(db, "本轮")
    rotation(db, D(2024, 5, 10), [a], rotation=False)
    rotation(db, D(2022, 12, 31), [b])  # before training.rotation_from (2023-01-01)
    rotation(db, D(2023, 1, 1), [c])
    assert names(db, AFTER) == ["旧轮训", "普通培训"]


def test_dates_are_settings(db):
    add_staff(db, "张三")
    with db.begin() as s:
        settings.set_value(s, training_settings.ROTATION_DUE, "2024-12-31")
    assert missing(db, AFTER) == []
    fs = missing(db, D(2025, 1, 1))
    assert fs[0].due == D(2024, 12, 31) and "2024-12-31" in fs[0].detail
    # an unreadable value falls back to the default
    with db.begin() as s:
        settings.set_value(s, training_settings.ROTATION_DUE, "六月底")
    assert missing(db, AFTER)[0].due == DUE
    with db.begin() as s:
        settings.set_value(s, training_settings.ROTATION_DUE, "2024-06-30")
        settings.set_value(s, training_settings.ROTATION_FROM, "2020-01-01")
    p = add_staff(db, "老轮训")
    rotation(db, D(2021, 5, 1), [p])
    assert names(db, AFTER) == ["张三"]


def test_sorted_by_squad_and_name_with_a_fixed_number_of_queries(db):
    for i in range(40):
        add_staff(db, f"员{i:02d}", squad="二中队" if i % 2 else "一中队")
    done = [add_staff(db, f"已训{i}") for i in range(5)]
    rotation(db, D(2024, 4, 1), done)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as s:
            fs = tr.rotation_missing(s, AFTER)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(fs) == 40
    with db.session() as s:
        squads = dict(s.execute(select(Staff.id, Staff.squad)).all())
    keys = [(squads[f.entity_id], f.subject) for f in fs]
    assert keys == sorted(keys)
    # two settings look-ups, the officers, the number of rotation sessions — not one per person
    assert len(statements) <= 4


def test_small_demo_flags_a_few_officers(tmp_path):
    from brigade_desk.app import demo

    db = new_db(tmp_path)
    today = D(2026, 11, 23)
    demo.fill(db, size="small", today=today)
    with db.session() as s:
        rot = s.scalars(select(TrainingSession).where(TrainingSession.is_rotation.is_(True))).all()
        assert rot and all(t.end_date.year == 2024 for t in rot)
        assert any(t.end_date <= DUE for t in rot) and any(
            t.end_date > DUE for t in rot
        )  # batches + make-up
        counted = len([p for p in th.year_summary(s, 2026) if p.counted])
    fs = missing(db, today)
    assert 1 <= len(fs) <= counted // 5
    assert all(f.due == DUE and f.entity == "staff" for f in fs)
    db.close()


def test_settings_dialog_edits_the_due_date(gui_ctx, qtbot):
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QDateEdit, QDialog, QDialogButtonBox

    from brigade_desk.ui.settings_dialog import SettingsDialog

    dlg = SettingsDialog(gui_ctx)
    qtbot.addWidget(dlg)
    w = dlg.inputs[training_settings.ROTATION_DUE.key]
    assert isinstance(w, QDateEdit) and w.text() == "2024-06-30"  # a date box: no invalid date
    w.setDate(QDate(2024, 9, 30))
    dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()
    assert dlg.result() == QDialog.DialogCode.Accepted
    with gui_ctx.db.session() as s:
        assert settings.get(s, training_settings.ROTATION_DUE) == D(2024, 9, 30)
        assert tr.rotation_window(s) == (D(2023, 1, 1), D(2024, 9, 30))


def test_person_rotation_status(db):
    svc = TrainingService(db)
    on_time = add_staff(db, "按时")
    late = add_staff(db, "逾期")
    never = add_staff(db, "未参加")
    aux = add_staff(db, "辅助", category="执法辅助人员")
    newcomer = registered(db, "新人", D(2025, 1, 1))
    rotation(db, D(2024, 5, 10), [on_time])
    rotation(db, D(2024, 9, 10), [late, on_time, newcomer])
    today = D(2026, 1, 1)
    assert svc.rotation_status(on_time, today).text == "全员轮训：2024-05-10 已参加"
    assert (
        svc.rotation_status(late, today).text
        == "全员轮训：2024-09-10 已参加，逾期（期限 2024-06-30）"
    )
    assert (
        svc.rotation_status(late, D(2024, 9, 9)).text
        == "全员轮训：未参加（应于 2024-06-30 前参加）"
    )
    st = svc.rotation_status(never, today)
    assert st.done is None and st.required and "未参加" in st.text
    assert svc.rotation_status(aux, today).text == ""
    assert (
        svc.rotation_status(newcomer, today).text
        == "全员轮训：2024-09-10 已参加，逾期（期限 2024-06-30）"
    )
    other = registered(db, "新人二", D(2025, 1, 1))
    assert svc.rotation_status(other, today).text == ""  # joined after the due date: not required


def test_person_ledger_shows_rotation(gui_ctx, qtbot):
    from brigade_desk.ledgers.training.ui.page import TrainingPage

    db = gui_ctx.db
    done = add_staff(db, "已轮训")
    missed = add_staff(db, "未轮训")
    rotation(db, D(2024, 5, 10), [done])
    page = TrainingPage(gui_ctx)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    page.show_person(done)
    assert "全员轮训：2024-05-10 已参加" in page.person.info.text()
    page.show_person(missed)
    assert "全员轮训：未参加（应于 2024-06-30 前参加）" in page.person.info.text()
