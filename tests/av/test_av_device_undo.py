"""撤销最近一次交接 (a slip at the 执法记录仪 tab: the wrong person, the wrong time): a hand-over, a
return and a first issue taken back, one transaction each, in the audit trail; the GUI asks first,
saying what will be undone."""

from __future__ import annotations

import datetime as dt

import pytest
from av_fixtures import add_staff, db  # noqa: F401
from PySide6.QtWidgets import QMessageBox

from brigade_desk.core import audit
from brigade_desk.core.errors import UserError
from brigade_desk.ledgers.av.devices import DeviceService
from brigade_desk.ledgers.av.ui.custody import DevicesTab

T = dt.datetime


def _holders(svc: DeviceService, dev: int) -> list[tuple[str, str, str]]:
    return [(h.staff, str(h.from_at), str(h.to_at)) for h in svc.history(dev)]


def test_undo_a_hand_over_a_return_and_a_first_issue(db) -> None:  # noqa: F811
    a = add_staff(db, "张三", idn="110101199003074514")
    b = add_staff(db, "李四", idn="110101199003071234")
    svc = DeviceService(db)
    dev = svc.save_device(None, "DSJ-X", "DSJ-V9", "SN0001")
    assert svc.last_change(dev) is None
    with pytest.raises(UserError):
        svc.undo_last_hand_over(dev)
    svc.hand_over(dev, a, T(2026, 12, 1, 8, 0))
    svc.hand_over(dev, b, T(2026, 12, 1, 12, 0))  # to the wrong person
    assert "张三 把 DSJ-X 交给 李四" in (svc.last_change(dev) or "")
    assert "现由 张三 持有" in svc.undo_last_hand_over(dev)
    assert _holders(svc, dev) == [("张三", "2026-12-01 08:00:00", "None")]
    svc.hand_over(dev, None, T(2026, 12, 2, 18, 0))  # returned by mistake
    assert "张三 归还 DSJ-X" in (svc.last_change(dev) or "")
    svc.undo_last_hand_over(dev)
    assert _holders(svc, dev) == [("张三", "2026-12-01 08:00:00", "None")]
    assert "领用" in (svc.last_change(dev) or "")
    assert "无人持有" in svc.undo_last_hand_over(dev)
    assert svc.history(dev) == [] and svc.devices()[0].holder in ("", None)
    svc.hand_over(dev, b, T(2026, 12, 3, 9, 0))  # and the right one now
    assert _holders(svc, dev) == [("李四", "2026-12-03 09:00:00", "None")]
    res = audit.verify_database(db)
    assert res.ok, res.problem


def test_the_tab_asks_then_undoes(db, gui_ctx, qtbot, monkeypatch) -> None:  # noqa: F811
    a = add_staff(db, "张三", idn="110101199003074514")
    b = add_staff(db, "李四", idn="110101199003071234")
    svc = DeviceService(db)
    dev = svc.save_device(None, "DSJ-X")
    svc.hand_over(dev, a, T(2026, 12, 1, 8, 0))
    svc.hand_over(dev, b, T(2026, 12, 1, 12, 0))
    changed: list[bool] = []
    tab = DevicesTab(db, lambda: changed.append(True))
    qtbot.addWidget(tab)
    tab.show()
    tab.reload()
    assert not tab.undo_btn.isEnabled()
    tab.select(dev)
    assert tab.undo_btn.isEnabled()
    asked: list[str] = []
    told: list[str] = []
    answer = [QMessageBox.StandardButton.No]
    monkeypatch.setattr(
        QMessageBox,
        "question",
        staticmethod(lambda _p, _t, text, *a: asked.append(text) or answer[0]),
    )
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda _p, _t, x: told.append(x)))
    tab.undo_btn.click()
    assert "张三 把 DSJ-X 交给 李四" in asked[0] and "更正人员" in asked[0]
    assert len(svc.history(dev)) == 2 and not changed  # 否: nothing undone
    answer[0] = QMessageBox.StandardButton.Yes
    tab.undo_btn.click()
    assert told and "现由 张三 持有" in told[-1] and changed
    assert tab.history.rowCount() == 1 and "现由 张三 持有" in tab.history_title.text()
