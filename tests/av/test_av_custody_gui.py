"""The AV section's 执法记录仪 tab (register, filter, sort, holder history, 交接 dialog), the ingest
dialog's archive/in-place choice with the attribution report, 更正人员 and 到期删除 — driven through
real widgets and signals (modal dialogs answered from the event loop)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from av_fixtures import add_staff, mp4_bytes, write
from PySide6.QtCore import QDate, QDateTime, QPoint, Qt, QTime, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox
from sqlalchemy import select

from brigade_desk.core import audit, settings
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.av.devices import DeviceService
from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.av.models import AvDeletion, AvDevice, AvDeviceHolder, AvRecord
from brigade_desk.ledgers.av.ui import custody, dialogs
from brigade_desk.ledgers.av.ui.page import AvPage


@pytest.fixture
def page(gui_ctx, qtbot):  # type: ignore[no-untyped-def]
    p = AvPage(gui_ctx)
    qtbot.addWidget(p)
    p.resize(1366, 740)
    p.show()
    return p


PENDING: dict[int, int] = {}  # id(errors) -> dialogs expected but not answered yet


def check(errors: list[BaseException]) -> None:
    """Every dialog asked for was opened and answered, and no answer failed."""
    if errors:
        raise errors[0]
    assert PENDING.get(id(errors), 0) == 0, "a modal dialog did not open"


def answer_modal(qtbot: Any, act: Callable[[Any], None], errors: list[BaseException]) -> None:
    """Run ``act`` on the next modal dialog once it is shown (from the event loop, as a clerk
    would); a failure closes the dialog and is kept in ``errors`` for the test to raise."""

    tries = [0]
    PENDING[id(errors)] = PENDING.get(id(errors), 0) + 1

    def go() -> None:
        w = QApplication.activeModalWidget()
        if w is None:
            tries[0] += 1
            if tries[0] > 250:  # 5 s: no dialog came (recorded, never left polling)
                errors.append(AssertionError("no modal dialog was opened"))
                return
            QTimer.singleShot(20, go)
            return
        try:
            act(w)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test
            errors.append(exc)
            w.reject()
        finally:
            PENDING[id(errors)] -= 1

    QTimer.singleShot(0, go)


def _save_button(dlg: Any) -> Any:
    box = dlg.findChild(QDialogButtonBox)
    return box.button(QDialogButtonBox.StandardButton.Save)


def _fits(dlg: Any) -> None:
    assert dlg.width() <= 1366 and dlg.height() <= 740


def test_device_tab_register_filter_sort_and_hand_over(page, gui_ctx, qtbot, db):  # type: ignore[no-untyped-def]
    a = add_staff(db, "张三", idn="110101199003074514")
    b = add_staff(db, "李四", idn="110101199003071234")
    c = add_staff(db, "王五", idn="11010119900307273X")
    tab = page.devices_tab
    page.tabs.setCurrentWidget(tab)  # the tab reloads on the tabs' currentChanged signal
    assert tab.devices.rowCount() == 0 and not tab.hand_btn.isEnabled()
    errors: list[BaseException] = []

    def register(no: str, model: str) -> Callable[[Any], None]:
        def act(dlg: Any) -> None:
            assert isinstance(dlg, custody.DeviceDialog)
            _fits(dlg)
            qtbot.keyClicks(dlg.device_no, no)
            qtbot.keyClicks(dlg.model, model)
            qtbot.keyClicks(dlg.serial, "SN-" + no)
            qtbot.mouseClick(_save_button(dlg), Qt.MouseButton.LeftButton)

        return act

    for no, model in (("DSJ-X", "V9"), ("DSJ-A", "V7")):
        answer_modal(qtbot, register(no, model), errors)
        qtbot.mouseClick(tab.add_btn, Qt.MouseButton.LeftButton)
    check(errors)
    with db.session() as s:
        assert sorted(s.scalars(select(AvDevice.device_no))) == ["DSJ-A", "DSJ-X"]
    assert tab.selected() is not None and tab.selected().device_no == "DSJ-A"  # the one just added

    # a duplicate number is refused inline, the dialog stays open
    def dup(dlg: Any) -> None:
        qtbot.keyClicks(dlg.device_no, "dsj-x")
        qtbot.mouseClick(_save_button(dlg), Qt.MouseButton.LeftButton)
        assert dlg.isVisible() and "已登记" in dlg.error.text()
        dlg.reject()

    answer_modal(qtbot, dup, errors)
    qtbot.mouseClick(tab.add_btn, Qt.MouseButton.LeftButton)
    check(errors)

    # sortable and filterable
    tab.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert [tab.proxy.index(i, 0).data() for i in range(2)] == ["DSJ-X", "DSJ-A"]
    qtbot.keyClicks(tab.search, "V9")
    assert tab.proxy.rowCount() == 1 and tab.proxy.index(0, 0).data() == "DSJ-X"
    tab.view.selectRow(0)
    assert tab.selected().device_no == "DSJ-X" and tab.hand_btn.isEnabled()
    assert tab.history_title.text().startswith("持有记录：DSJ-X（0 段")

    def hand(staff: int, when: dt.datetime, keyboard: bool = False) -> Callable[[Any], None]:
        def act(dlg: Any) -> None:
            assert isinstance(dlg, custody.HandOverDialog)
            _fits(dlg)
            dlg.to.setCurrentIndex(dlg.to.findData(staff))
            dlg.at.setDateTime(
                QDateTime(QDate(when.year, when.month, when.day), QTime(when.hour, when.minute))
            )
            if keyboard:  # Enter presses the default button (交接)
                dlg.at.setFocus()
                qtbot.keyClick(dlg.at, Qt.Key.Key_Return)
            else:
                qtbot.mouseClick(_save_button(dlg), Qt.MouseButton.LeftButton)

        return act

    answer_modal(qtbot, hand(a, dt.datetime(2026, 12, 1, 8, 0)), errors)
    qtbot.mouseClick(tab.hand_btn, Qt.MouseButton.LeftButton)
    answer_modal(qtbot, hand(b, dt.datetime(2026, 12, 1, 12, 0), keyboard=True), errors)
    qtbot.mouseClick(tab.hand_btn, Qt.MouseButton.LeftButton)
    check(errors)
    assert tab.history.rowCount() == 2
    assert tab.history_title.text() == "持有记录：DSJ-X（2 段；现由 李四 持有）"
    assert tab.history.index(0, 0).data() == "李四" and tab.history.index(0, 2).data() == "至今"
    with db.session() as s:
        periods = s.execute(
            select(AvDeviceHolder.staff_id, AvDeviceHolder.from_at, AvDeviceHolder.to_at).order_by(
                AvDeviceHolder.from_at
            )
        ).all()
    assert [tuple(p) for p in periods] == [
        (a, dt.datetime(2026, 12, 1, 8, 0), dt.datetime(2026, 12, 1, 12, 0)),
        (b, dt.datetime(2026, 12, 1, 12, 0), None),
    ]

    # a hand-over before the current holder took it: refused inline with the holder and dates
    def early(dlg: Any) -> None:
        hand(c, dt.datetime(2026, 12, 1, 11, 0))(dlg)
        assert dlg.isVisible()
        assert "不晚于当前持有人 李四 的领用时间 2026-12-01 12:00" in dlg.error.text()
        dlg.reject()

    answer_modal(qtbot, early, errors)
    tab.view.setFocus()
    qtbot.keyClick(tab.view, Qt.Key.Key_Return)  # Enter on the selected device opens 交接
    check(errors)
    opened: list[str] = []

    def by_keyboard(dlg: Any) -> None:
        opened.append(dlg.windowTitle())
        qtbot.keyClick(dlg, Qt.Key.Key_Escape)  # Esc closes it unchanged

    answer_modal(qtbot, by_keyboard, errors)
    qtbot.mouseClick(tab.hand_btn, Qt.MouseButton.LeftButton)
    check(errors)
    assert opened == ["交接执法记录仪 DSJ-X"]
    with db.session() as s:
        assert len(s.scalars(select(AvDeviceHolder)).all()) == 2
    # the register drives the attribution of what is ingested next
    assert DeviceService(db).holder_at("DSJ-X", dt.datetime(2026, 12, 1, 10, 30)).staff == "张三"
    assert audit.verify_database(db).ok


def test_ingest_dialog_archive_default_in_place_warning_and_attribution(  # type: ignore[no-untyped-def]
    page, gui_ctx, qtbot, db, tmp_path
):
    a = add_staff(db, "张三")
    svc = DeviceService(db)
    svc.hand_over(svc.save_device(None, "DSJ-X"), a, dt.datetime(2026, 12, 1, 8, 0))
    card = tmp_path / "存储卡"
    write(card / "000001_DSJ-X_20261201103000_1.mp4", mp4_bytes(3, b"x"))
    write(card / "000001_DSJ-Z_20261201103000_2.mp4", mp4_bytes(3, b"z"))
    dlg = dialogs.IngestDialog(gui_ctx, page.service, page)
    qtbot.addWidget(dlg)
    dlg.show()
    _fits(dlg)
    assert dlg.copy.isChecked() and not dlg.in_place.isChecked()  # archive by default
    assert dlg.place_warning.isHidden() and dlg.make_default.isChecked()
    dlg.folder.insert(str(card))
    dlg.in_place.setFocus()
    qtbot.keyClick(dlg.in_place, Qt.Key.Key_Space)  # keyboard: Space checks the focused choice
    assert dlg.in_place.isChecked() and not dlg.archive_row.isEnabled()
    assert dlg.place_warning.isVisible()
    assert "原位登记：文件仍在原处，存储卡清空后记录将变为缺失" in dlg.place_warning.text()
    qtbot.mouseClick(dlg.copy, Qt.MouseButton.LeftButton, pos=QPoint(8, dlg.copy.height() // 2))
    assert dlg.place_warning.isHidden() and dlg.archive_row.isEnabled()
    qtbot.mouseClick(dlg.start_btn, Qt.MouseButton.LeftButton)  # no archive given yet
    assert "归档位置" in dlg.error.text() and "原位登记" in dlg.error.text()
    archive = tmp_path / "归档"
    dlg.archive.setText(str(archive))
    qtbot.mouseClick(dlg.start_btn, Qt.MouseButton.LeftButton)
    res = dlg.result_obj
    assert res is not None and res.added == 2 and res.archive == str(archive)
    report = dlg.report.toPlainText()
    assert "按设备DSJ-X在2026-12-01 10:30的持有人推定为 张三" in report
    assert "设备DSJ-Z未在执法记录仪登记中" in report
    assert "人员认定：按设备持有记录推定执法人员 1 个，设备未登记 1 个" in report
    assert (archive / "2026" / "12" / "DSJ-X" / "000001_DSJ-X_20261201103000_1.mp4").is_file()
    assert settings.read(db, av_settings.AV_ARCHIVE_ROOT) == str(archive)  # 设为默认归档位置
    with db.session() as s:
        rec = s.scalars(select(AvRecord).where(AvRecord.device_no == "DSJ-X")).one()
        assert rec.officer_id == a


def test_correct_officer_and_retention_dialogs(page, gui_ctx, qtbot, db, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    a = add_staff(db, "张三", idn="110101199003074514")
    c = add_staff(db, "王五", idn="11010119900307273X")
    svc = DeviceService(db)
    svc.hand_over(svc.save_device(None, "DSJ-X"), a, dt.datetime(2024, 1, 1, 8, 0))
    settings.save_many(db, {av_settings.AV_ARCHIVE_ROOT: str(tmp_path / "归档")})
    write(tmp_path / "旧" / "000001_DSJ-X_20240301090000_1.mp4", mp4_bytes(3, b"old"))
    ingest(db, tmp_path / "旧", IngestOptions(activity="现场检查", officer_id=c))
    write(tmp_path / "案" / "000001_DSJ-X_20240301100000_2.mp4", mp4_bytes(3, b"case"))
    ingest(db, tmp_path / "案", IngestOptions(activity="现场检查", case_no="案-7"))
    page.reload()
    page.search.setText("20240301090000")
    page.apply_filter()
    page.view.selectRow(0)
    assert page.current is not None and page.current.officers.startswith("张三")
    rid = page.current.id
    errors: list[BaseException] = []

    def correct(dlg: Any) -> None:
        assert isinstance(dlg, custody.CorrectOfficerDialog)
        _fits(dlg)
        assert not dlg.use_holder.isEnabled()  # already the holder
        dlg.officer.setCurrentIndex(dlg.officer.findData(c))
        dlg.reason.insert("借用记录仪")  # Chinese arrives through the IME
        qtbot.mouseClick(_save_button(dlg), Qt.MouseButton.LeftButton)

    answer_modal(qtbot, correct, errors)
    qtbot.mouseClick(page.officer_btn, Qt.MouseButton.LeftButton)
    check(errors)
    with db.session() as s:
        assert s.get(AvRecord, rid).officer_id == c
        assert ("officer_id", a, c) in audit.history(s, "av_record", rid)[-1].changes
    assert page.current is not None and page.current.officers.startswith("王五")

    # 到期删除: only the file without a case is proposed; deleting it logs it for good
    monkeypatch.setattr(QMessageBox, "warning", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    seen: dict[str, Any] = {}

    def delete(dlg: Any) -> None:
        assert isinstance(dlg, custody.RetentionDialog)
        _fits(dlg)
        seen["proposed"] = [
            dlg.proposals.row_at(i).record_id for i in range(dlg.proposals.rowCount())
        ]
        assert not dlg.delete_btn.isEnabled()
        dlg.view.selectAll()
        assert dlg.delete_btn.isEnabled()
        dlg.reason.insert("年度清理")
        qtbot.mouseClick(dlg.delete_btn, Qt.MouseButton.LeftButton)
        seen["after"] = dlg.proposals.rowCount()
        seen["log"] = [dlg.log.row_at(i).reason for i in range(dlg.log.rowCount())]
        dlg.accept()

    answer_modal(qtbot, delete, errors)
    dlg = page.retention()
    check(errors)
    assert seen == {"proposed": [rid], "after": 0, "log": ["年度清理"]} and dlg.deleted == 1
    with db.session() as s:
        row = s.scalars(select(AvDeletion)).one()
        path = Path(row.path)
    assert row.record_id == rid and not path.exists()
    page.view.selectRow(0)
    assert (
        "已于" in page.fields["retention"].text() and "年度清理" in page.fields["retention"].text()
    )
    assert page.model.rowCount() == 1  # the record stays in the index, shown as deleted
    assert audit.verify_database(db).ok


def test_a_closed_dialog_does_not_take_the_screen_with_it(gui_ctx, qtbot):  # type: ignore[no-untyped-def]
    """Sizing a dialog to its screen must not make the dialog the Python parent of the QScreen (PySide's
    return-value heuristic through ``QWidget.screen()``): once the dialog is deleted the garbage
    collector would delete the application's screen, and the next paint crashes."""
    import gc

    from PySide6.QtGui import QGuiApplication, QScreen
    from PySide6.QtWidgets import QWidget

    from brigade_desk.ui.widgets.screen import screen_for

    owner = QWidget()
    qtbot.addWidget(owner)
    owner.show()
    dlg = custody.DeviceDialog(DeviceService(gui_ctx.db), None, owner)
    dlg.show()
    scr = screen_for(dlg)
    assert scr is QGuiApplication.primaryScreen() or scr in QGuiApplication.screens()
    assert not any(isinstance(r, custody.DeviceDialog) for r in gc.get_referrers(scr))
    del scr
    dlg.close()
    dlg.deleteLater()
    qtbot.wait(50)
    gc.collect()
    assert all(isinstance(s, QScreen) and s.virtualSiblings() for s in QGuiApplication.screens())
    owner.repaint()  # painting asks for the screen again
