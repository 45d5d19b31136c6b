"""The 培训台账 page loads lazily: tabs on first show, the sessions table a page of rows at a time,
filtering and sorting in SQL — and shows the same figures as before, refreshed after edits."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import insert, select
from training_helpers import add_session, add_staff

from brigade_desk.core.changes import Changes
from brigade_desk.ledgers.training.models import TrainingAttendance, TrainingSession
from brigade_desk.ledgers.training.service import (
    AttendanceInput,
    SessionFilter,
    SessionInput,
    TrainingService,
)
from brigade_desk.ledgers.training.ui import sessions_model
from brigade_desk.ledgers.training.ui.page import (
    TAB_BRIGADE,
    TAB_EXAMS,
    TAB_PERSON,
    TAB_PLAN,
    TAB_SESSIONS,
    TrainingPage,
)

THIS_YEAR = dt.date.today().year
JAN = dt.date(THIS_YEAR, 1, 10)


@pytest.fixture
def people(db):
    return {
        "a1": add_staff(db, "甲一", squad="一中队"),
        "a2": add_staff(db, "甲二", squad="一中队"),
        "a3": add_staff(db, "甲三", squad="一中队", category="执法辅助人员"),
        "gone": add_staff(db, "甲四", squad="一中队", status="调离"),
        "b1": add_staff(db, "乙一", squad="二中队"),
    }


def _page(gui_ctx, qtbot):
    page = TrainingPage(gui_ctx)
    qtbot.addWidget(page)
    page.resize(1200, 760)
    page.show()
    page.on_shown()
    return page


def _titles(page):
    return [page.sessions.model.row_at(i).title for i in range(page.sessions.model.rowCount())]


def _bulk_sessions(db, n, staff_ids, year=THIS_YEAR):
    """``n`` sessions in ``year`` (one a day from 1 January), session k attended by k % 5 people."""
    with db.begin() as s:
        rows = [
            dict(
                start_date=dt.date(year, 1, 1) + dt.timedelta(days=k % 360),
                end_date=dt.date(year, 1, 1) + dt.timedelta(days=k % 360),
                title=f"批量培训{k:03d}",
                form="集中轮训",
                category="业务知识",
                hours=1.0,
                organiser="法制股",
                place="会议室",
                is_monthly_study=False,
                is_rotation=False,
                has_exam=False,
                pass_score=60.0,
                notes="",
            )
            for k in range(n)
        ]
        s.execute(insert(TrainingSession), rows)
        ids = sorted(s.scalars(select(TrainingSession.id)))
        att = [
            dict(session_id=sid, staff_id=staff_ids[j], attended=True, absence_reason="")
            for k, sid in enumerate(ids)
            for j in range(k % 5)
        ]
        s.execute(insert(TrainingAttendance), att)
    return ids


# ---- services: the page's SQL sums agree with the full per-person computation ------------------


def test_overview_and_people_match_the_brigade_view(db, people):
    add_session(db, JAN, 59.99, [people["a1"], people["a3"]])
    add_session(db, JAN, 0.01, [people["a1"]], category="执法技能")
    add_session(db, JAN, 61, [people["a2"]], category="政治教育")  # political hours do not count
    add_session(
        db,
        dt.date(THIS_YEAR, 2, 1),
        70,
        [people["gone"], AttendanceInput(staff_id=people["b1"], attended=False)],
    )
    svc = TrainingService(db)
    until = dt.date(THIS_YEAR, 12, 31)
    ov = svc.year_overview(THIS_YEAR, until)
    full = svc.year_summary(THIS_YEAR, until=until)
    counted = [p for p in full if p.counted]
    assert (ov.sessions, ov.counted, ov.behind) == (
        4,
        len(counted),
        sum(1 for p in counted if p.missing > 0),
    )
    assert (ov.counted, ov.behind) == (
        3,
        2,
    )  # 甲一 has exactly 60; 甲二 (political only) and 乙一 (absent) are short
    # the person tab offers the brigade view's people in the same order (the departed 甲四 has a record)
    assert [p.staff_id for p in svc.ledger_people(THIS_YEAR, until)] == [p.staff_id for p in full]
    assert people["gone"] in {p.staff_id for p in svc.ledger_people(THIS_YEAR, until)}
    assert people["gone"] not in {p.staff_id for p in svc.ledger_people(THIS_YEAR - 1)}


def test_session_ids_filter_and_sort_in_sql(db, people):
    a = add_session(
        db,
        dt.date(THIS_YEAR, 3, 1),
        2,
        [people["a1"], people["a2"], people["b1"]],
        title="行政处罚法讲座",
        form="法治讲堂",
        category="公共法律知识",
    )
    b = add_session(
        db,
        dt.date(THIS_YEAR, 5, 1),
        4,
        [AttendanceInput(staff_id=people["a1"], attended=False)],
        title="岗位练兵",
        form="岗位练兵",
        category="执法技能",
    )
    c = add_session(db, dt.date(THIS_YEAR - 1, 6, 1), 1, [people["a1"]], title="去年的讲座")
    svc = TrainingService(db)
    year = SessionFilter(year=THIS_YEAR)
    assert svc.session_ids(year) == [b, a]  # newest first
    assert svc.session_ids(SessionFilter()) == [b, a, c]
    assert svc.session_ids(year, "attendees", descending=True) == [a, b]
    assert svc.session_ids(year, "absent", descending=True) == [b, a]
    assert svc.session_ids(year, "title", descending=False) == sorted(
        [a, b], key=lambda i: {a: "行政", b: "岗位"}[i]
    )
    # text matches what the table shows: title, form, category label, organiser, dates, hours
    assert svc.session_ids(SessionFilter(year=THIS_YEAR, text="讲座")) == [a]
    assert svc.session_ids(SessionFilter(text="讲座")) == [a, c]
    assert svc.session_ids(SessionFilter(year=THIS_YEAR, text="执法技能")) == [b]
    assert svc.session_ids(SessionFilter(year=THIS_YEAR, text=f"{THIS_YEAR}-03")) == [a]
    assert (
        svc.session_ids(SessionFilter(year=THIS_YEAR, text="100%")) == []
    )  # LIKE wildcards are literal
    assert svc.session_ids(SessionFilter(year=THIS_YEAR, form="法治讲堂")) == [a]
    assert svc.session_ids(SessionFilter(year=THIS_YEAR, category="执法技能")) == [b]
    rows = svc.session_rows([a, b])
    assert (rows[a].attendees, rows[a].absent, rows[b].attendees, rows[b].absent) == (3, 0, 0, 1)
    assert svc.list_sessions(THIS_YEAR) == [rows[b], rows[a]]
    assert "法治讲堂" in svc.session_forms(THIS_YEAR) and "岗位练兵" in svc.session_forms(THIS_YEAR)


# ---- the page -----------------------------------------------------------------------------------


def test_opening_loads_only_the_sessions_tab(gui_ctx, people, qtbot):
    add_session(gui_ctx.db, JAN, 30, [people["a1"], people["a2"]], title="春训")
    add_session(
        gui_ctx.db,
        dt.date(THIS_YEAR, 1, 20),
        1,
        [AttendanceInput(staff_id=people["a1"], exam_score=90)],
        title="1月每月一考",
        form="考试",
    )
    page = _page(gui_ctx, qtbot)
    assert page.is_loaded(TAB_SESSIONS) and _titles(page) == ["1月每月一考", "春训"]
    assert "培训 2 次" in page.summary.text() and "在岗执法人员 3 人" in page.summary.text()
    assert "未满 3 人" in page.summary.text()
    for tab in (TAB_BRIGADE, TAB_PERSON, TAB_EXAMS, TAB_PLAN):
        assert not page.is_loaded(tab)
    assert page.built_tabs() == [page.sessions]  # the others are not even built
    assert not hasattr(page, "hours") and not hasattr(page, "plan")
    page.tabs.setCurrentIndex(TAB_BRIGADE)
    assert (
        page.is_loaded(TAB_BRIGADE) and len(page.hours.model.rows) == 4
    )  # on duty; 甲四 left and has no record
    page.tabs.setCurrentIndex(TAB_EXAMS)
    assert (
        page.exams.exam.currentText().endswith("1月每月一考") and page.exams.model.rowCount() == 1
    )
    page.tabs.setCurrentIndex(TAB_PLAN)
    assert page.is_loaded(TAB_PLAN) and "尚未编制" in page.plan.status.text()


def test_edit_refreshes_the_tab_shown_and_the_others_when_shown(gui_ctx, people, qtbot):
    svc = TrainingService(gui_ctx.db)
    sid = add_session(gui_ctx.db, JAN, 30, [people["a1"]], title="春训")
    page = _page(gui_ctx, qtbot)
    page.tabs.setCurrentIndex(TAB_BRIGADE)
    hours = {p.name: p.professional for p in page.hours.model.rows}
    assert hours["甲一"] == 30 and hours["甲二"] == 0
    v = svc.get_session(sid)
    data = SessionInput(**{k: getattr(v, k) for k in SessionInput.__dataclass_fields__})
    data.title = "春季轮训"
    svc.save_session(
        data, [AttendanceInput(staff_id=people["a1"]), AttendanceInput(staff_id=people["a2"])], sid
    )
    gui_ctx.changed(Changes.TRAINING)
    # the tab on show is read again at once, the others are marked out of date
    assert {p.name: p.professional for p in page.hours.model.rows}["甲二"] == 30
    assert not page.is_loaded(TAB_SESSIONS)
    page.tabs.setCurrentIndex(TAB_SESSIONS)
    assert _titles(page) == ["春季轮训"] and page.sessions.model.row_at(0).attendees == 2


def test_data_changed_while_hidden_waits_for_the_next_show(gui_ctx, people, qtbot):
    page = _page(gui_ctx, qtbot)
    assert page.sessions.model.rowCount() == 0
    page.hide()
    add_session(gui_ctx.db, JAN, 3, [people["a1"]], title="隐藏时新增")
    gui_ctx.changed(Changes.TRAINING)
    assert page.sessions.model.rowCount() == 0  # nothing read while hidden
    page.show()
    page.on_shown()
    assert _titles(page) == ["隐藏时新增"]


def test_sessions_table_is_lazy_sorts_and_filters(gui_ctx, people, qtbot, monkeypatch):
    monkeypatch.setattr(sessions_model, "PAGE", 50)
    staff = [people[k] for k in ("a1", "a2", "a3", "b1", "gone")]
    _bulk_sessions(gui_ctx.db, 180, staff)
    page = _page(gui_ctx, qtbot)
    qtbot.wait(10)
    m = page.sessions.model
    assert m.rowCount() == 180
    assert 1 <= m.fetches <= 2  # only the rows on screen were read, not all four pages
    assert len(m._cache) <= 100
    # newest first; the last row needs a fetch of its own page
    before = m.fetches
    assert m.row_at(0).end_date >= m.row_at(179).end_date and m.fetches == before + 1
    # sorting by a header column is done in SQL (参训 = attendees, computed per session)
    page.sessions.view.sortByColumn(6, Qt.SortOrder.DescendingOrder)
    assert m.row_at(0).attendees == 4 and m.row_at(179).attendees == 0
    # nobody attended → the row is marked
    assert m.data(m.index(179, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert m.data(m.index(0, 0), Qt.ItemDataRole.BackgroundRole) is None
    page.sessions.view.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    assert m.row_at(0).title == "批量培训000" and m.row_at(179).title == "批量培训179"
    # the search box filters in SQL
    page.sessions.search.insert("培训")  # (keyClicks types ASCII only)
    qtbot.keyClicks(page.sessions.search, "17")
    assert sorted(_titles(page)) == [f"批量培训{k}" for k in range(170, 180)]
    page.sessions.search.clear()
    add_session(
        gui_ctx.db,
        JAN,
        2,
        [people["a1"]],
        title="法治讲堂",
        form="法治讲堂",
        category="公共法律知识",
    )
    gui_ctx.changed(Changes.TRAINING)
    page.sessions.form.setCurrentText("法治讲堂")
    assert _titles(page) == ["法治讲堂"]
    page.sessions.form.setCurrentIndex(0)
    page.sessions.category.setCurrentIndex(page.sessions.category.findData("公共法律知识"))
    assert _titles(page) == ["法治讲堂"]
    page.sessions.category.setCurrentIndex(0)
    assert m.rowCount() == 181
    # the selected row is what 编辑 / 删除 act on
    page.sessions.view.selectRow(0)
    assert page.sessions.current_session() == m.row_at(0)


def test_show_person_before_the_tab_loaded_and_exam_filters(gui_ctx, people, qtbot):
    db = gui_ctx.db
    add_session(db, JAN, 30, [people["a1"], people["a2"]])
    e1 = add_session(
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
    e2 = add_session(
        db,
        dt.date(THIS_YEAR, 2, 20),
        1,
        [
            AttendanceInput(staff_id=people["a1"], exam_score=80),
            AttendanceInput(staff_id=people["b1"], attended=False),
        ],
        title="2月每月一考",
        form="考试",
    )
    page = _page(gui_ctx, qtbot)
    page.show_person(people["a2"])
    assert (
        page.tabs.currentIndex() == TAB_PERSON and page.person.staff.currentData() == people["a2"]
    )
    assert page.person.model.rowCount() == 2 and "甲二" in page.person.info.text()
    page.tabs.setCurrentIndex(TAB_EXAMS)
    assert page.exams.exam.currentData() == e2  # the latest exam
    assert page.exams.model.rowCount() == 2 and "参考 1 人，合格 1 人" in page.exams.stats.text()
    page.exams.only_failed.setChecked(True)
    assert page.exams.proxy.rowCount() == 1  # 乙一 was absent
    page.exams.exam.setCurrentIndex(page.exams.exam.findData(e1))
    assert page.exams.proxy.rowCount() == 1 and "合格率 50%" in page.exams.stats.text()
    page.exams.exam.setCurrentIndex(0)  # every exam of the year
    assert (
        page.exams.model.rowCount() == 4
        and page.exams.proxy.rowCount() == 2
        and not page.exams.notice_btn.isEnabled()
    )
    # another year: every tab shown is read for that year
    page.tabs.setCurrentIndex(TAB_SESSIONS)
    page.year.addItem(f"{THIS_YEAR - 1}年", THIS_YEAR - 1)
    page.year.setCurrentIndex(page.year.count() - 1)
    assert (
        page.sessions.model.rowCount() == 0
        and f"{THIS_YEAR - 1} 年：培训 0 次" in page.summary.text()
    )
    page.tabs.setCurrentIndex(TAB_EXAMS)
    assert page.exams.model.rowCount() == 0


def test_delete_a_session_then_undo_it(gui_ctx, people, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from brigade_desk.core import undo

    add_session(gui_ctx.db, JAN, 3, [people["a1"], people["a2"]], title="道路运输法规")
    page = _page(gui_ctx, qtbot)
    page.sessions.view.setCurrentIndex(page.sessions.model.index(0, 0))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.sessions.delete_session()
    assert _titles(page) == []
    with gui_ctx.db.session() as s:
        assert not s.scalars(select(TrainingAttendance)).all()
    batch = gui_ctx.last_deleted
    assert batch is not None and "道路运输法规" in batch.label
    undo.undo(gui_ctx.db, batch)
    gui_ctx.changed(Changes.TRAINING)
    assert _titles(page) == ["道路运输法规"]
    with gui_ctx.db.session() as s:
        assert sorted(a.staff_id for a in s.scalars(select(TrainingAttendance))) == sorted(
            [people["a1"], people["a2"]]
        )


def test_print_the_sessions_list(gui_ctx, people, qtbot, monkeypatch):
    from PySide6.QtPrintSupport import QPrintPreviewDialog

    from brigade_desk.ui.widgets import printing

    add_session(gui_ctx.db, JAN, 3, [people["a1"]], title="道路运输法规")
    add_session(gui_ctx.db, JAN, 2, [people["a1"]], title="安全生产")
    page = _page(gui_ctx, qtbot)
    shown, docs = [], []
    monkeypatch.setattr(
        QPrintPreviewDialog, "exec", lambda self: shown.append(self.windowTitle()) or 0
    )
    real = printing.table_html
    monkeypatch.setattr(printing, "table_html", lambda *a: docs.append(real(*a)) or docs[-1])
    page.sessions.search.setText("安全")
    page.sessions.print_sessions()
    assert shown == ["打印预览 — 培训记录台账"]
    assert "安全生产" in docs[0] and "道路运输法规" not in docs[0] and "共 1 次培训" in docs[0]
