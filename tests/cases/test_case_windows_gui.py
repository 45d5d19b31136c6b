"""The case editor's activity time windows, the 音像证据清单 button of the case register and the home
page's share of the AV index verified lately, driven like a clerk would, checked against the
database and the files written."""

from __future__ import annotations

import datetime as dt
import faulthandler
import json

import pytest
from av_fixtures import mp4_bytes, write
from cases_support import D, add_case, add_staff
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QTableWidgetItem
from sqlalchemy import select

from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.av.verify import verify
from brigade_desk.ledgers.cases import windows
from brigade_desk.ledgers.cases.models import CaseActivityWindow
from brigade_desk.ledgers.cases.service import CaseService
from brigade_desk.ledgers.cases.ui.editor import CaseDialog
from brigade_desk.ledgers.cases.ui.page import CasesPage
from brigade_desk.ui.dashboard import DashboardPage
from brigade_desk.ui.main_window import MainWindow

faulthandler.enable()
CASE = "乐交执强〔2026〕3号"


@pytest.fixture
def case_id(db):
    with db.begin() as s:
        a, b = add_staff(s, "张三"), add_staff(s, "李四")
        c = add_case(s, CASE, [a, b], category="行政强制", filed_on=D(2026, 11, 30))
        c.activities = ["查封扣押", "现场检查"]
        s.flush()
        return c.id


def _cell(dlg, row, col, text):
    dlg.windows.table.setItem(row, col, QTableWidgetItem(text))


def test_editor_adds_edits_and_removes_windows(gui_ctx, db, case_id, qtbot):
    svc = CaseService(db)
    dlg = CaseDialog(svc, svc.get(case_id))
    qtbot.addWidget(dlg)
    assert dlg.windows.table.rowCount() == 0
    qtbot.mouseClick(dlg.windows.add_btn, Qt.MouseButton.LeftButton)
    assert dlg.windows.table.rowCount() == 1
    dlg.windows.table.cellWidget(0, 0).setCurrentText("查封扣押")
    _cell(dlg, 0, 1, "2026-12-01 10:00")
    _cell(dlg, 0, 2, "2026-12-01 12:三十")  # a typing error: named by row and column
    _cell(dlg, 0, 3, "扣押货车")
    dlg.save()
    assert dlg.result() != QDialog.DialogCode.Accepted
    assert "第 1 行「结束」「2026-12-01 12:三十」不是日期时间" in dlg.errors.text()
    _cell(dlg, 0, 2, "2026-12-01 12:30")
    dlg.windows.add_row(None)
    dlg.windows.table.cellWidget(1, 0).setCurrentText("强制拆除")  # not an activity of the case
    _cell(dlg, 1, 1, "2026-12-02 09:00")
    _cell(dlg, 1, 2, "2026-12-02 10:00")
    dlg.save()
    assert "未记录执法活动「强制拆除」" in dlg.errors.text()
    dlg.windows.table.selectRow(1)
    dlg.windows.delete_selected()
    dlg.save()
    assert dlg.result() == QDialog.DialogCode.Accepted
    got = windows.windows_of(db, case_id)
    assert [(w.activity, w.started_at, w.ended_at, w.notes) for w in got] == [
        ("查封扣押", dt.datetime(2026, 12, 1, 10), dt.datetime(2026, 12, 1, 12, 30), "扣押货车")
    ]
    # opened again: the window is shown; its end changed in place (same row id)
    dlg2 = CaseDialog(svc, svc.get(case_id))
    qtbot.addWidget(dlg2)
    assert dlg2.windows.table.item(0, 2).text() == "2026-12-01 12:30"
    _cell(dlg2, 0, 2, "2026-12-01 13:00")
    dlg2.save()
    assert dlg2.result() == QDialog.DialogCode.Accepted
    with db.session() as s:
        rows = list(s.scalars(select(CaseActivityWindow)))
    assert [(r.id, r.ended_at) for r in rows] == [(got[0].id, dt.datetime(2026, 12, 1, 13))]


def _wait_for(qtbot, cond, timeout=20000):
    qtbot.waitUntil(cond, timeout=timeout)


def test_custody_button_and_home_share(gui_ctx, db, case_id, qtbot, tmp_path, monkeypatch):
    from brigade_desk.ui.tasks import TaskRunner

    TaskRunner.synchronous = False  # a real worker thread, results delivered by signal
    src = tmp_path / "卡 #1"
    write(src / "20261201100000_1.mp4", mp4_bytes(600, b"a"))
    write(src / "20261201101000_2.mp4", mp4_bytes(600, b"b"))
    assert (
        ingest(db, src, IngestOptions(case_no=CASE, activity="查封扣押", in_place=True)).added == 2
    )
    verify(db, workers=1)
    out = tmp_path / "导出 %1" / "音像证据清单.pdf"
    out.parent.mkdir()
    monkeypatch.setattr(
        "brigade_desk.ledgers.cases.ui.register.save_file_name", lambda *a, **k: str(out)
    )
    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    w.show()
    dash = w.findChildren(DashboardPage)[0]
    dash.reload()
    _wait_for(qtbot, lambda: "音像记录校验" in dash.av_verified.text())
    assert "近 30 天 2/2 个（100.0%）" in dash.av_verified.text()
    assert "近 90 天 2/2 个（100.0%）" in dash.av_verified.text()
    gui_ctx.open_record("case", case_id)  # builds the case page on first use
    reg = w.findChildren(CasesPage)[0].register
    _wait_for(qtbot, lambda: reg.current() is not None and reg.current().id == case_id)
    qtbot.mouseClick(reg.custody_btn, Qt.MouseButton.LeftButton)
    _wait_for(qtbot, lambda: out.with_suffix(".json").exists())
    j = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert j["case_no"] == CASE and len(j["files"]) == 2
    assert all(f["checks"][0]["status"] == "ok" for f in j["files"])
    assert out.exists() and out.with_suffix(".sha256").read_text(encoding="utf-8").count("\n") == 2
