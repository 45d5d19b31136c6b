"""The AV page: lazy index, filters, ingest dialog, edit dialog, opening files, verification."""

import datetime as dt

import pytest
from av_fixtures import write
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QMessageBox
from sqlalchemy import func, select

from brigade_desk.core.changes import Changes
from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.av.models import AvRecord, AvRecordCheck, AvVerifyRun
from brigade_desk.ledgers.av.ui import dialogs
from brigade_desk.ledgers.av.ui.page import AvPage
from brigade_desk.ledgers.roster.service import RosterService
from tests.conftest import IDS, add_officer


@pytest.fixture
def footage(db, tmp_path):
    src = tmp_path / "素材"
    write(src / "012345_DSJ-A0001_20240315083012_0001IMP.mp4", b"seizure")
    write(src / "012345_DSJ-A0001_20240316083012_0002.mp4", b"inspection")
    write(src / "20240401100000_3.mp4", b"other")
    ingest(db, src, IngestOptions(in_place=True, case_no="案-1", activity="查封扣押"))
    write(tmp_path / "素材2" / "20240501100000_4.mp4", b"inspect 2")
    ingest(db, tmp_path / "素材2", IngestOptions(in_place=True, activity="现场检查"))
    return src


@pytest.fixture
def page(gui_ctx, qtbot, footage):
    p = AvPage(gui_ctx)
    qtbot.addWidget(p)
    p.show()
    return p


def _count(db, *where):
    with db.session() as s:
        return s.scalar(select(func.count(AvRecord.id)).where(*where))


def test_index_lists_and_filters_in_sql(page, db):
    assert page.model.rowCount() == 4 == _count(db)
    assert page.count_label.text() == "4 / 4 条"
    page.activity.setCurrentText("查封扣押")
    assert page.model.rowCount() == 3 == _count(db, AvRecord.activity == "查封扣押")
    page.important.setChecked(True)
    assert page.model.rowCount() == 1
    page.important.setChecked(False)
    page.activity.setCurrentIndex(0)
    page.date_from.edit.setText("2024-03-16")
    page.date_to.edit.setText("2024年4月1日")
    page.apply_filter()
    names = sorted(page.model.row(i).file_name for i in range(page.model.rowCount()))
    assert names == ["012345_DSJ-A0001_20240316083012_0002.mp4", "20240401100000_3.mp4"]
    page.date_from.edit.setText("2024-13-01")
    page.apply_filter()
    assert page.filter_error.isVisible() and "拍摄日期（起）" in page.filter_error.text()
    assert page.model.rowCount() == 2  # the table keeps the last valid search
    page.date_from.edit.setText("2024-05-01")  # after 止: said, not an empty table
    page.apply_filter()
    assert "早于「拍摄日期（起）」" in page.filter_error.text() and page.model.rowCount() == 2


def test_sort_in_sql(page):
    page.model.sort(6, Qt.SortOrder.AscendingOrder)
    names = [page.model.row(i).file_name for i in range(page.model.rowCount())]
    assert names == sorted(names)


def test_search_by_case_officer_device(page, db, gui_ctx):
    page.case_no.setText("案-1")
    page.apply_filter()
    assert page.model.rowCount() == 3
    page.case_no.clear()
    page.device.setText("DSJ-A0001")
    page.apply_filter()
    assert page.model.rowCount() == 2
    page.device.clear()
    sid = add_officer(RosterService(db), IDS[0], "王警官")
    with db.begin() as s:
        s.get(AvRecord, 1).officer_id = sid
    gui_ctx.changed(Changes.AV)
    idx = page.officer.findData(sid)
    assert idx > 0
    page.officer.setCurrentIndex(idx)
    page.apply_filter()
    assert [page.model.row(i).id for i in range(page.model.rowCount())] == [1]


def test_detail_and_open_with_system_player(page, monkeypatch):
    opened = []
    monkeypatch.setattr(
        QDesktopServices,
        "openUrl",
        staticmethod(lambda url: opened.append(url.toLocalFile()) or True),
    )
    page.view.selectRow(0)
    d = page.current
    assert d is not None and page.fields["sha256"].text() == d.sha256
    page.open_current()
    assert opened == [d.path]


def test_ingest_dialog_writes_to_database(page, gui_ctx, qtbot, db, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    asked = []  # the case number is not in the case register: the clerk is asked, and says yes
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *a, **_k: asked.append(a[2]) or QMessageBox.StandardButton.Yes,
    )
    new = tmp_path / "新卡"
    write(new / "20240601090000_1.mp4", b"a")
    write(new / "20240601100000_2IMP.mp4", b"b")
    dlg = dialogs.IngestDialog(gui_ctx, page.service, page)
    qtbot.addWidget(dlg)
    dlg.start()  # nothing filled in
    assert not dlg.error.isHidden() and "文件夹" in dlg.error.text()
    dlg.folder.insert(str(new))  # Chinese arrives through the IME, not key events
    qtbot.keyClicks(dlg.device, "DV-7")
    dlg.case_no.insert("案-2")
    dlg.activity.setCurrentText("强制拆除")
    dlg.copy.setChecked(True)
    dlg.start()
    assert "归档位置" in dlg.error.text()
    dlg.archive.insert(str(tmp_path / "归档"))
    dlg.start()
    assert dlg.result_obj is not None and dlg.result_obj.added == 2
    assert len(asked) == 1 and "案件登记中没有案号“案-2”" in asked[0]
    assert "新增 2 个" in dlg.report.toPlainText()
    with db.session() as s:
        recs = s.scalars(select(AvRecord).where(AvRecord.case_no == "案-2")).all()
    assert len(recs) == 2 and all(r.device_no == "DV-7" and r.activity == "强制拆除" for r in recs)
    assert (tmp_path / "归档" / "2024" / "06" / "DV-7" / "20240601100000_2IMP.mp4").is_file()
    assert page.model.rowCount() == 6  # the page refreshed on the change signal


def test_edit_record(page, qtbot, db):
    page.view.selectRow(0)
    rid = page.current.id
    dlg = dialogs.RecordDialog(page.service, page.current, page)
    qtbot.addWidget(dlg)
    dlg.case_no.clear()
    dlg.case_no.insert("案-9")
    dlg.target.insert("青A88888")
    dlg.activity.setCurrentText("听证")
    dlg.officer.setEditText("不存在的人")
    dlg.save()
    assert not dlg.error.isHidden() and "执法人员" in dlg.error.text()
    dlg.officer.setCurrentIndex(0)
    dlg.save()
    assert dlg.result() == QDialog.DialogCode.Accepted
    with db.session() as s:
        r = s.get(AvRecord, rid)
        assert (r.case_no, r.activity, r.retention_years) == (
            "案-9",
            "听证",
            None,
        ) and r.target.endswith("青A88888")


def test_verify_from_page(page, footage, db, monkeypatch):
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warned.append(a[2]))
    (footage / "20240401100000_3.mp4").write_bytes(b"OTHER")
    page.start_verify(None)
    assert warned and "被修改 1" in warned[0]
    with db.session() as s:
        assert s.scalar(select(func.count(AvVerifyRun.id))) == 1
        assert s.scalar(select(func.count()).where(AvRecordCheck.status == "modified")) == 1
    page.status.setCurrentIndex(1)  # 被修改或缺失
    assert page.model.rowCount() == 1 and page.model.row(0).file_name == "20240401100000_3.mp4"
    page.tabs.setCurrentWidget(page.verify_tab)
    assert page.verify_tab.runs.rows[0].modified == 1
    assert [r.status for r in page.verify_tab.results.rows] == ["modified"]


def test_cases_tab_groups_text_and_av_records(page, db):
    from brigade_desk.ledgers.cases.models import CaseRecord

    with db.begin() as s:
        s.add(
            CaseRecord(
                case_no="案-1", cause="超限运输", party="某运输公司", activities=["查封扣押"]
            )
        )
        s.add(CaseRecord(case_no="案-3", cause="未按规定拆除", activities=["强制拆除"]))
    page.tabs.setCurrentWidget(page.cases_tab)
    rows = {c.case_no: c for c in page.cases_tab.cases.rows}
    assert set(rows) == {"案-1", "案-3"} and rows["案-1"].records == 3
    assert rows["案-3"].records == 0 and rows["案-3"].missing == "强制拆除"
    page.cases_tab.select_case("案-1")
    assert len(page.cases_tab.records.rows) == 3
    labels = [
        page.cases_tab.text_form.itemAt(i, page.cases_tab.text_form.ItemRole.LabelRole)
        .widget()
        .text()
        for i in range(page.cases_tab.text_form.rowCount())
    ]
    assert "案由" in labels and "当事人" in labels


def test_pattern_dialog_validates(page, qtbot, db):
    dlg = dialogs.PatternDialog(page.service, None, page)
    qtbot.addWidget(dlg)
    dlg.name.insert("设备_时间")
    dlg.regex.setText(r"^(?P<device>DV\d+)-(?P<start>\d{14")
    dlg.save()
    assert "正则表达式" in dlg.error.text()
    dlg.regex.setText(r"^(?P<device>DV\d+)-(?P<start>\d{14})\.mp4$")
    qtbot.keyClicks(dlg.sample, "DV12-20240101080000.mp4")
    assert "设备 DV12" in dlg.sample_out.text()
    dlg.save()
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert "设备_时间" in [p.name for p in page.service.patterns()]


def test_lazy_model_with_many_rows(gui_ctx, qtbot, db, monkeypatch):
    import random

    from brigade_desk.core.demo import DemoContext
    from brigade_desk.ledgers.av import demo as demo_av

    monkeypatch.setattr(demo_av, "LARGE_ROWS", 6_000)
    ctx = DemoContext(
        size="large", seed=2, today=dt.date(2026, 11, 23), rng=random.Random(2), db_path=db.path
    )
    if db.server:  # the large demo's bulk writer is SQLite's own: as many rows by plain inserts
        from sqlalchemy import insert

        from brigade_desk.ledgers.av.models import AvStorageRoot

        with db.begin() as s:
            root = AvStorageRoot(name="归档盘", path=str(db.path.parent / "arch"), is_archive=True)
            s.add(root)
            s.flush()
            acts = ["查封扣押", "现场检查", "其他"]
            s.execute(
                insert(AvRecord),
                [
                    dict(
                        root_id=root.id,
                        rel_path=f"y/{i}.mp4",
                        file_name=f"{i}.mp4",
                        size=1,
                        sha256=f"{i:064x}",
                        device_no=f"DV{i % 7}",
                        activity=acts[i % 3],
                        important=False,
                        media_start=dt.datetime(2024, 1, 1) + dt.timedelta(minutes=i),
                        ingested_at=dt.datetime(2024, 1, 1),
                    )
                    for i in range(6_000)
                ],
            )
    else:
        with db.begin() as s:
            demo_av.fill(s, ctx)  # bulk rows, no files
    p = AvPage(gui_ctx)
    qtbot.addWidget(p)
    p.resize(1200, 700)
    p.show()
    assert p.model.rowCount() == 6_000
    assert p.model.fetches <= 3  # only the visible page(s) were read
    p.view.scrollToBottom()
    qtbot.wait(10)
    assert p.model.fetches <= 6
    p.activity.setCurrentText("查封扣押")
    with db.session() as s:
        assert p.model.rowCount() == s.scalar(
            select(func.count(AvRecord.id)).where(AvRecord.activity == "查封扣押")
        )


def test_ingest_dialog_cancel_through_task_helper(page, gui_ctx, qtbot, db, tmp_path, monkeypatch):
    import time

    from PySide6.QtWidgets import QProgressDialog

    from brigade_desk.ledgers.av import ingest as ingest_mod
    from brigade_desk.ui.tasks import TaskRunner

    real = ingest_mod.hash_file

    def slow(*a, **kw):
        time.sleep(0.15)
        return real(*a, **kw)

    monkeypatch.setattr(ingest_mod, "hash_file", slow)
    src = tmp_path / "慢"
    for i in range(12):
        write(src / f"20240601{i:02d}0000_{i}.mp4", bytes([i]) * 1000)
    before = _count(db)
    TaskRunner.synchronous = False
    try:
        dlg = dialogs.IngestDialog(gui_ctx, page.service, page)
        qtbot.addWidget(dlg)
        dlg.show()
        dlg.folder.insert(str(src))
        dlg.in_place.setChecked(True)
        dlg.workers.setValue(1)
        dlg.start()
        qtbot.waitUntil(lambda: dlg.findChild(QProgressDialog) is not None, timeout=5000)
        qtbot.wait(500)
        dlg.findChild(QProgressDialog).canceled.emit()  # what the 取消 button does
        assert gui_ctx.tasks.wait_idle(15_000)
    finally:
        TaskRunner.synchronous = True
    res = dlg.result_obj
    assert res is not None and res.cancelled and 0 < res.added < 12
    assert _count(db) - before == res.added
    assert dlg.report.toPlainText().startswith("已取消")


def test_print_the_filtered_index(page, monkeypatch):
    from PySide6.QtPrintSupport import QPrintPreviewDialog

    from brigade_desk.ui.widgets import printing

    page.on_shown()
    shown, docs = [], []
    monkeypatch.setattr(
        QPrintPreviewDialog, "exec", lambda self: shown.append(self.windowTitle()) or 0
    )
    real = printing.table_html
    monkeypatch.setattr(printing, "table_html", lambda *a: docs.append(real(*a)) or docs[-1])
    page.case_no.setText("案-1")
    page.apply_filter()
    page.print_list()
    assert shown == ["打印预览 — 执法音像记录台账"]
    assert "0001IMP.mp4" in docs[0] and "20240501100000_4.mp4" not in docs[0]
