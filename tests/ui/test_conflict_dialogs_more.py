"""The review score sheet, the rectification dialog and the training plan tab when another clerk
saves the same record while they are open (issue 18): 保存 shows who changed it and when, writes
nothing, keeps what the clerk typed; 重新载入最新内容 shows the other clerk's values and a save
after that goes through. On a file (two connections to it) and on a server database."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from cases_support import add_case, add_staff
from dbtemplate import target
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QPushButton, QWidget

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import audit
from brigade_desk.core.changes import Changes
from brigade_desk.core.db import Database, open_database
from brigade_desk.ledgers.cases.review import (
    ItemScore,
    RectificationInput,
    ReviewService,
    ScoreInput,
)
from brigade_desk.ledgers.cases.ui.review import RectificationDialog
from brigade_desk.ledgers.cases.ui.score import ScoreDialog
from brigade_desk.ledgers.training.service import PlanItemInput, TrainingService
from brigade_desk.ledgers.training.ui.page import TAB_PLAN, TrainingPage
from brigade_desk.ui.conflict import KEEP, RELOAD
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.tasks import TaskRunner

NO = "乐交执罚〔2025〕9号"
WHEN = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


@pytest.fixture(params=["sqlite", "postgresql"])
def clerks(
    request: pytest.FixtureRequest, tmp_path: Path, qapp: object
) -> Iterator[tuple[AppContext, Database]]:
    """This PC's program (its context, tasks run synchronously) and another PC's connection to
    the same ledger."""
    if request.param == "sqlite":
        ctx = request.getfixturevalue("gui_ctx")
        other = open_database(target(ctx.db))
        yield ctx, other
        other.close()
        return
    url = str(request.getfixturevalue("pg_url"))
    TaskRunner.synchronous = True
    ctx = AppContext(
        db=open_database(url),
        tasks=TaskRunner(),
        qsettings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat),
        ledgers=REGISTRY,
    )
    other = open_database(url)
    try:
        yield ctx, other
    finally:
        TaskRunner.synchronous = False
        other.close()
        ctx.db.close()


Answer = Callable[[QMessageBox], int]


def answering(said: list[str], choice: str) -> Answer:
    """QMessageBox.exec replaced: note the text, click the button named ``choice``."""

    def exec_(box: QMessageBox) -> int:
        said.append(box.text())
        next(b for b in box.buttons() if b.text() == choice).click()
        return 0

    return exec_


def click_save(qtbot: object, dlg: QDialog) -> None:
    box = dlg.findChild(QDialogButtonBox)
    assert box is not None
    button = box.button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]


def told(said: list[str], what: str) -> None:
    assert said, "no conflict message was shown"
    msg = said[-1]
    assert "保存未成功" in msg and what in msg and "数据库没有被改动" in msg, msg
    assert audit.os_user() in msg and WHEN.search(msg), msg


def _scored_case(db: Database) -> int:
    with db.begin() as s:
        add_case(s, NO, [add_staff(s, "甲")], closed_on=dt.date(2025, 3, 1))
    svc = ReviewService(db)
    svc.draw_sample(2025, seed=1)
    return svc.save_review(NO, 2025, ScoreInput(reviewer="王五", reviewed_on=dt.date(2026, 1, 5)))


def shown(qtbot: object, w: QWidget) -> QWidget:
    qtbot.addWidget(w)  # type: ignore[attr-defined]
    w.show()
    qtbot.waitExposed(w)  # type: ignore[attr-defined]
    return w


def test_score_sheet(
    clerks: tuple[AppContext, Database], qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, other = clerks
    _scored_case(ctx.db)
    mine, theirs = ReviewService(ctx.db), ReviewService(other)
    dlg = shown(qtbot, ScoreDialog(mine, NO, 2025, "行政处罚　张三"))
    assert isinstance(dlg, ScoreDialog) and dlg.version == 1
    dlg.spins["C2"].setValue(1)
    dlg.remarks["C2"].insert("未听取申辩")  # typed (QTest types ASCII only)
    # meanwhile the other clerk only writes a remark on an item at full points
    theirs.save_review(
        NO,
        2025,
        ScoreInput(
            reviewer="王五",
            reviewed_on=dt.date(2026, 1, 5),
            items={"A1": ItemScore(None, "目录齐全")},
        ),
        expected_version=1,
    )
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", answering(said, KEEP))
    click_save(qtbot, dlg)
    told(said, f"案卷 {NO} 的评查结果")
    assert dlg.isVisible() and dlg.result() != QDialog.DialogCode.Accepted
    assert dlg.remarks["C2"].text() == "未听取申辩" and dlg.spins["C2"].value() == 1  # kept
    assert dlg.remarks["A1"].text() == ""
    now = theirs.review(NO, 2025)
    assert now is not None and now.version == 2 and now.items["A1"].remark == "目录齐全"
    assert now.items["C2"].score == 3 and now.items["C2"].remark == ""  # nothing overwritten
    # 重新载入最新内容: the other clerk's values; the clerk scores again and the save goes through
    monkeypatch.setattr(QMessageBox, "exec", answering(said, RELOAD))
    click_save(qtbot, dlg)
    assert len(said) == 2 and dlg.isVisible()
    assert dlg.remarks["A1"].text() == "目录齐全" and dlg.remarks["C2"].text() == ""
    assert dlg.spins["C2"].value() == 3 and dlg.version == 2
    dlg.spins["C2"].setValue(1)
    dlg.remarks["C2"].insert("未听取申辩")  # typed (QTest types ASCII only)
    click_save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and len(said) == 2
    final = theirs.review(NO, 2025)
    assert final is not None and final.version == 3 and final.score == Decimal(98)
    assert final.items["A1"].remark == "目录齐全" and final.items["C2"].remark == "未听取申辩"
    assert audit.verify_database(ctx.db).ok


def test_rectification_dialog(
    clerks: tuple[AppContext, Database], qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, other = clerks
    rid = _scored_case(ctx.db)
    mine, theirs = ReviewService(ctx.db), ReviewService(other)
    x = mine.add_rectification(
        rid,
        RectificationInput(item_code="C2", problem="补正告知程序", assignee="李四"),
        today=dt.date(2026, 1, 6),
    )
    dlg = shown(qtbot, RectificationDialog(mine.rectification(x), service=mine))
    assert isinstance(dlg, RectificationDialog) and dlg.version == 1
    qtbot.keyClicks(dlg.done_on.edit, "2026-01-20")  # type: ignore[attr-defined]
    dlg.evidence.insert("整改报告")  # typed (QTest types ASCII only)
    seen = theirs.rectification(x)
    theirs.update_rectification(
        x,
        RectificationInput(
            item_code="C2", problem="补正告知程序", assignee="张三", due_on=seen.due_on
        ),
        expected_version=seen.version,
    )
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", answering(said, KEEP))
    click_save(qtbot, dlg)
    told(said, "整改事项“补正告知程序”")
    assert dlg.isVisible() and dlg.result() != QDialog.DialogCode.Accepted
    assert dlg.evidence.text() == "整改报告" and dlg.done_on.edit.text() == "2026-01-20"
    assert dlg.assignee.text() == "李四"  # what the dialog opened with, kept
    now = theirs.rectification(x)
    assert (now.assignee, now.done_on, now.evidence, now.version) == ("张三", None, "", 2)
    monkeypatch.setattr(QMessageBox, "exec", answering(said, RELOAD))
    click_save(qtbot, dlg)
    assert len(said) == 2 and dlg.isVisible()
    assert (dlg.assignee.text(), dlg.evidence.text(), dlg.done_on.edit.text()) == ("张三", "", "")
    qtbot.keyClicks(dlg.done_on.edit, "2026-01-20")  # type: ignore[attr-defined]
    dlg.evidence.insert("整改报告")  # typed (QTest types ASCII only)
    click_save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and len(said) == 2
    final = theirs.rectification(x)
    assert (final.assignee, final.done_on, final.evidence, final.version) == (
        "张三",
        dt.date(2026, 1, 20),
        "整改报告",
        3,
    )
    assert audit.verify_database(ctx.db).ok


def _rows(tab: object) -> list[list[str]]:
    t = tab.table  # type: ignore[attr-defined]
    return [
        [(it.text() if (it := t.item(r, c)) else "") for c in range(t.columnCount())]
        for r in range(t.rowCount())
    ]


def test_training_plan_tab(
    clerks: tuple[AppContext, Database], qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, other = clerks
    year = dt.date.today().year
    first = PlanItemInput(month=3, topic="行政处罚法", category="公共法律知识", planned_hours=4)
    TrainingService(ctx.db).save_plan(year, [first])
    page = shown(qtbot, TrainingPage(ctx))
    assert isinstance(page, TrainingPage)
    page.reload()
    page.tabs.setCurrentIndex(TAB_PLAN)  # built when first shown
    tab = page.plan
    assert tab.version == 1 and [r[1] for r in _rows(tab)] == ["行政处罚法"]
    tab.add_item(["5", "执法文书制作", "集中学法", "业务知识", "2", "法制审核股"])
    theirs = TrainingService(other)
    seen = theirs.get_plan(year)
    assert seen is not None
    theirs.save_plan(  # the other clerk changes only an item
        year,
        [PlanItemInput(month=4, topic="道路运输条例", category="公共法律知识", planned_hours=4)],
        title=seen.title,
        expected_version=seen.version,
    )
    # this PC notices the other's commit (MainWindow.poll_other_writers) and refreshes its pages:
    # the edit not yet saved stays on the tab, marked
    ctx.changed(Changes.ALL | Changes.EXTERNAL)
    assert [r[1] for r in _rows(tab)] == ["行政处罚法", "执法文书制作"] and tab.version == 1
    assert "有尚未保存的修改" in tab.status.text()
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", answering(said, KEEP))
    save = next(b for b in tab.findChildren(QPushButton) if b.text() == "保存计划")
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    told(said, f"{year}年度培训计划")
    assert [r[1] for r in _rows(tab)] == ["行政处罚法", "执法文书制作"]  # the clerk's rows kept
    # 批准 saves first: refused the same way, the plan stays a draft
    tab.approved.set_date(dt.date(year, 1, 2))
    tab.approve()
    assert len(said) == 2 and [r[1] for r in _rows(tab)] == ["行政处罚法", "执法文书制作"]
    now = theirs.get_plan(year)
    assert now is not None and (now.version, now.status) == (2, "草稿")
    assert [i.topic for i in now.items] == ["道路运输条例"]  # nothing overwritten
    monkeypatch.setattr(QMessageBox, "exec", answering(said, RELOAD))
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert len(said) == 3 and [r[1] for r in _rows(tab)] == ["道路运输条例"] and tab.version == 2
    tab.add_item(["5", "执法文书制作", "集中学法", "业务知识", "2", "法制审核股"])
    tab.approved.set_date(dt.date(year, 1, 2))
    tab.approve()
    assert len(said) == 3
    final = theirs.get_plan(year)
    assert final is not None and (final.status, final.approved_date) == (
        "已批准",
        dt.date(year, 1, 2),
    )
    assert [i.topic for i in final.items] == ["道路运输条例", "执法文书制作"]
    assert final.version == 4 and tab.version == 4  # the save and the approval
    # 退回草稿 while an item is typed but not saved: the status changes, the typed item stays
    tab.add_item(["9", "执法案卷评查", "集中学法", "业务知识", "2", "法制审核股"])
    draft = next(b for b in tab.findChildren(QPushButton) if b.text() == "退回草稿")
    qtbot.mouseClick(draft, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert "草稿" in tab.status.text() and "有尚未保存的修改" in tab.status.text()
    assert [r[1] for r in _rows(tab)][-1] == "执法案卷评查" and tab.version == 5
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert len(said) == 3 and "有尚未保存的修改" not in tab.status.text()
    final = theirs.get_plan(year)
    assert final is not None and (final.status, final.version) == ("草稿", 6)
    assert [i.topic for i in final.items] == ["道路运输条例", "执法文书制作", "执法案卷评查"]
    assert audit.verify_database(ctx.db).ok


def test_review_tab_opens_a_rectification_as_saved_now(
    clerks: tuple[AppContext, Database], qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """修改/完成整改 from the ledger's list reads the rectification afresh: a list older than
    another clerk's save does not make the clerk's own save a conflict (nor show old values);
    为所选案卷登记整改 saves through the same dialog."""
    from brigade_desk.ledgers.cases.ui.review import ReviewTab

    ctx, other = clerks
    rid = _scored_case(ctx.db)
    x = ReviewService(ctx.db).add_rectification(
        rid, RectificationInput(item_code="C2", problem="补正告知程序", assignee="李四")
    )
    tab = shown(qtbot, ReviewTab(ctx))
    assert isinstance(tab, ReviewTab)
    tab.year.setValue(2025)
    tab.reload()
    assert [(r.assignee, r.version) for r in tab.rmodel.rows] == [("李四", 1)]
    theirs = ReviewService(other)
    seen = theirs.rectification(x)
    theirs.update_rectification(
        x,
        RectificationInput(
            item_code="C2", problem="补正告知程序", assignee="张三", due_on=seen.due_on
        ),
        expected_version=seen.version,
    )
    opened: list[tuple[str, int | None]] = []
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", answering(said, KEEP))

    def close_it(dlg: RectificationDialog) -> int:
        opened.append((dlg.assignee.text(), dlg.version))
        dlg.done_on.set_date(dt.date(2026, 1, 20))
        dlg.evidence.setText("整改报告")
        click_save(qtbot, dlg)
        return int(dlg.result())

    monkeypatch.setattr(RectificationDialog, "exec", close_it)
    tab.rview.setCurrentIndex(tab.rproxy.index(0, 0))
    tab.edit_rect()
    assert opened == [("张三", 2)] and said == []
    final = theirs.rectification(x)
    assert (final.assignee, final.evidence, final.version) == ("张三", "整改报告", 3)
    assert [(r.evidence, r.version) for r in tab.rmodel.rows] == [("整改报告", 3)]

    def register(dlg: RectificationDialog) -> int:
        dlg.problem.setText("补正送达回证")
        dlg.assignee.setText("王五")
        click_save(qtbot, dlg)
        return int(dlg.result())

    monkeypatch.setattr(RectificationDialog, "exec", register)
    tab.view.setCurrentIndex(tab.proxy.index(0, 0))
    tab.add_rect()
    assert sorted(r.problem for r in theirs.rectifications(2025)) == [
        "补正告知程序",
        "补正送达回证",
    ]
    assert len(tab.rmodel.rows) == 2 and said == []


def test_case_dialog(
    clerks: tuple[AppContext, Database], qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case editor uses the same conflict box (it used to show the message under the fields
    with no way to reload)."""
    from dataclasses import fields

    from brigade_desk.ledgers.cases.service import CaseInput, CaseService
    from brigade_desk.ledgers.cases.ui.editor import CaseDialog

    ctx, other = clerks
    with ctx.db.begin() as s:
        c = add_case(
            s,
            NO,
            [add_staff(s, "张三"), add_staff(s, "李四")],
            filed_on=dt.date(2025, 3, 1),
            decided_on=dt.date(2025, 4, 1),
            published_on=dt.date(2025, 4, 2),
            closed_on=dt.date(2025, 5, 1),
        )
        cid = c.id
    mine, theirs = CaseService(ctx.db), CaseService(other)
    dlg = shown(qtbot, CaseDialog(mine, mine.get(cid)))
    assert isinstance(dlg, CaseDialog) and dlg.version == 1
    dlg.notes.insertPlainText("当事人已缴纳罚款")
    seen = theirs.get(cid)
    theirs.save(
        CaseInput(
            **{
                **{f.name: getattr(seen, f.name) for f in fields(CaseInput)},
                "cause": "超限运输（更正）",
            }
        ),
        cid,
        version=seen.version,
    )
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", answering(said, KEEP))
    click_save(qtbot, dlg)
    told(said, f"案件 {NO}")
    assert dlg.isVisible() and dlg.notes.toPlainText() == "当事人已缴纳罚款"
    assert dlg.cause.text() == "未按规定携带道路运输证"  # as opened, kept
    now = theirs.get(cid)
    assert (now.cause, now.notes, now.version) == ("超限运输（更正）", "", 2)
    monkeypatch.setattr(QMessageBox, "exec", answering(said, RELOAD))
    click_save(qtbot, dlg)
    assert len(said) == 2 and dlg.cause.text() == "超限运输（更正）"
    assert dlg.notes.toPlainText() == "" and dlg.version == 2
    assert len(dlg.collect().officer_ids) == 2
    dlg.notes.insertPlainText("当事人已缴纳罚款")
    click_save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and len(said) == 2
    final = theirs.get(cid)
    assert (final.cause, final.notes, final.version) == ("超限运输（更正）", "当事人已缴纳罚款", 3)
    assert len(final.officer_ids) == 2


def test_training_session_dialog(
    clerks: tuple[AppContext, Database], qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The training session editor too: the ticks and notes typed stay until the clerk reloads."""
    from dataclasses import fields

    from brigade_desk.ledgers.training.service import AttendanceInput, SessionInput
    from brigade_desk.ledgers.training.ui.editor import SessionDialog

    ctx, other = clerks
    with ctx.db.begin() as s:
        a, b = add_staff(s, "张三").id, add_staff(s, "李四").id
    mine, theirs = TrainingService(ctx.db), TrainingService(other)
    sid = mine.save_session(
        SessionInput(
            start_date=dt.date(2025, 3, 5),
            title="法治讲堂",
            form="法治讲堂",
            category="公共法律知识",
            hours=3,
        ),
        [AttendanceInput(staff_id=a, attended=True)],
    )
    dlg = shown(qtbot, SessionDialog(mine, mine.get_session(sid)))
    assert isinstance(dlg, SessionDialog) and dlg.version == 1
    dlg.set_ticked(b, True)
    dlg.notes.insert("补登李四")
    seen = theirs.get_session(sid)
    theirs.save_session(
        SessionInput(
            **{
                **{f.name: getattr(seen, f.name) for f in fields(SessionInput)},
                "place": "一楼会议室",
            }
        ),
        [AttendanceInput(staff_id=a, attended=True)],
        sid,
        version=seen.version,
    )
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", answering(said, KEEP))
    click_save(qtbot, dlg)
    told(said, "培训“法治讲堂”")
    assert dlg.isVisible() and sorted(dlg.ticked_ids()) == sorted([a, b])
    assert dlg.notes.text() == "补登李四" and dlg.place.text() == ""
    now = theirs.get_session(sid)
    assert (now.place, now.notes, now.version) == ("一楼会议室", "", 2)
    assert [x.staff_id for x in now.attendance] == [a]
    monkeypatch.setattr(QMessageBox, "exec", answering(said, RELOAD))
    click_save(qtbot, dlg)
    assert len(said) == 2 and dlg.place.text() == "一楼会议室" and dlg.ticked_ids() == [a]
    assert dlg.notes.text() == "" and dlg.version == 2
    dlg.set_ticked(b, True)
    dlg.notes.insert("补登李四")
    click_save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and len(said) == 2
    final = theirs.get_session(sid)
    assert (final.place, final.notes, final.version) == ("一楼会议室", "补登李四", 3)
    assert sorted(x.staff_id for x in final.attendance) == sorted([a, b])


def test_certificate_dialog(
    clerks: tuple[AppContext, Database], qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The certificate editor: the same message, the typing kept, 重新载入 shows the other clerk's
    values and their version, and a save after that goes through."""
    from brigade_desk.ledgers.roster.service import CertInput, RosterService
    from brigade_desk.ledgers.roster.ui.dialogs import CertDialog

    ctx, other = clerks
    with ctx.db.begin() as s:
        sid = add_staff(s, "张三").id
    mine, theirs = RosterService(ctx.db), RosterService(other)
    valid = dt.date(2030, 1, 1)
    mine.add_certificate(
        sid, CertInput(cert_no="63000001", issuer="青海省人民政府", valid_to=valid)
    )
    cert = next(c for c in mine.get(sid).certificates if c.cert_no == "63000001")
    dlg = shown(qtbot, CertDialog(mine, sid, cert, cert.id))
    assert isinstance(dlg, CertDialog) and dlg.version == cert.version
    dlg.issuer.setText("海东市人民政府")
    seen = theirs.get_certificate(cert.id)
    theirs.update_certificate(
        cert.id,
        CertInput(cert_no=seen.cert_no, issuer=seen.issuer, valid_to=dt.date(2031, 6, 30)),
        version=seen.version,
    )
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", answering(said, KEEP))
    click_save(qtbot, dlg)
    told(said, "执法证件 63000001")
    assert dlg.isVisible() and dlg.issuer.text() == "海东市人民政府"
    now = theirs.get_certificate(cert.id)
    assert (now.issuer, now.valid_to) == ("青海省人民政府", dt.date(2031, 6, 30))
    monkeypatch.setattr(QMessageBox, "exec", answering(said, RELOAD))
    click_save(qtbot, dlg)
    assert len(said) == 2 and dlg.issuer.text() == "青海省人民政府"
    assert dlg.valid_to.date() == dt.date(2031, 6, 30) and dlg.version == now.version
    dlg.issuer.setText("海东市人民政府")
    click_save(qtbot, dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and len(said) == 2
    final = theirs.get_certificate(cert.id)
    assert (final.issuer, final.valid_to) == ("海东市人民政府", dt.date(2031, 6, 30))
