"""Two program windows on one server database edit the same person (issue 18): the second save
shows the conflict, keeps the clerk's edit until he reloads, and overwrites nothing."""

from __future__ import annotations

import faulthandler
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from training_helpers import id_no

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import audit
from brigade_desk.core.db import open_database
from brigade_desk.ledgers.roster.service import RosterService, StaffInput
from brigade_desk.ledgers.roster.ui.dialogs import StaffDialog
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.main_window import MainWindow
from brigade_desk.ui.tasks import TaskRunner

faulthandler.enable()


@pytest.fixture
def two_windows(pg_url: str, tmp_path: Path, qapp: object) -> Iterator[list[MainWindow]]:
    wins = []
    for k in range(2):  # two PCs: each its own connection pool, settings and window
        ctx = AppContext(
            db=open_database(pg_url),
            tasks=TaskRunner(),
            qsettings=QSettings(str(tmp_path / f"pc{k}.ini"), QSettings.Format.IniFormat),
            ledgers=REGISTRY,
        )
        wins.append(MainWindow(ctx))
    yield wins
    for w in wins:
        w.ctx.tasks.wait_idle(30_000)
        w.close()
        w.ctx.db.close()


def test_the_second_window_is_told_and_can_reload(
    two_windows: list[MainWindow], monkeypatch: pytest.MonkeyPatch, qtbot: object
) -> None:
    a, b = two_windows
    sa, sb = RosterService(a.ctx.db), RosterService(b.ctx.db)
    sid = sa.save_staff(
        StaffInput(name="王五", sex="男", id_number=id_no(12), squad="一中队", post="队员")
    ).staff_id
    assert "PostgreSQL 数据库" in a.windowTitle() and "PostgreSQL 数据库" in a._db_label.text()
    da = StaffDialog(sa, sa.get(sid), ["一中队", "二中队"], a)
    db_ = StaffDialog(sb, sb.get(sid), ["一中队", "二中队"], b)
    da.squad.setCurrentText("二中队")
    da.save()
    assert da.result() == StaffDialog.DialogCode.Accepted
    db_.phone.setText("13900000001")
    said: list[str] = []

    def answer(choice: str):  # type: ignore[no-untyped-def]
        def exec_(box: QMessageBox) -> int:
            said.append(box.text())
            next(x for x in box.buttons() if x.text() == choice).click()
            return 0

        return exec_

    monkeypatch.setattr(QMessageBox, "exec", answer("保留我的修改"))
    db_.save()
    assert db_.result() != StaffDialog.DialogCode.Accepted and db_.isVisible() is False
    assert "保存未成功" in said[-1] and "王五" in said[-1] and audit.os_user() in said[-1]
    assert db_.phone.text() == "13900000001" and db_.squad.currentText() == "一中队"  # kept
    assert sb.get(sid).squad == "二中队" and sb.get(sid).phone == ""  # nothing overwritten
    monkeypatch.setattr(QMessageBox, "exec", answer("重新载入最新内容"))
    db_.save()
    assert db_.squad.currentText() == "二中队" and db_.phone.text() == ""  # the latest values
    db_.phone.setText("13900000001")
    db_.save()
    assert db_.result() == StaffDialog.DialogCode.Accepted
    final = sa.get(sid)
    assert (final.squad, final.phone, final.version) == ("二中队", "13900000001", 3)
    assert audit.verify_database(a.ctx.db).ok
