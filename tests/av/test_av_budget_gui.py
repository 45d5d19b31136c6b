"""限时校验… on the AV page's 校验 tab (issue 19's rolling verification, from the GUI): asked how
many minutes, run in the background through the task runner with its finish callback, the result
said and the run listed; 取消 on the question runs nothing. Real files, real hashing; only the
budget's clock is simulated."""

from __future__ import annotations

from av_fixtures import write
from PySide6.QtWidgets import QInputDialog, QMessageBox
from sqlalchemy import func, select

from brigade_desk.ledgers.av import verify as av_verify
from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.av.models import AvRecordCheck, AvVerifyRun
from brigade_desk.ledgers.av.ui.page import AvPage


def test_budget_verify_from_the_verify_tab(gui_ctx, qtbot, db, tmp_path, monkeypatch) -> None:
    src = tmp_path / "素材 #1"
    for k in range(6):
        write(src / f"2024031508301{k}_{k}.mp4", bytes([k]) * 4000)
    assert ingest(db, src, IngestOptions(in_place=True, activity="现场检查")).added == 6
    (src / "20240315083015_5.mp4").write_bytes(b"changed" * 100)  # tampered
    now = [1000.0]
    real = av_verify.hash_file

    def hash_file(path, **kw):  # each file takes 20 s on the budget's clock
        out = real(path, **kw)
        now[0] += 20
        return out

    monkeypatch.setattr(av_verify, "hash_file", hash_file)
    monkeypatch.setattr(av_verify, "_clock", lambda: now[0])
    page = AvPage(gui_ctx)
    qtbot.addWidget(page)
    page.show()
    tab = page.verify_tab
    page.tabs.setCurrentWidget(tab)  # the button is on the 校验 tab
    assert tab.verify_budget.isEnabled() and tab.verify_budget.text() == "限时校验…"

    monkeypatch.setattr(QInputDialog, "getDouble", staticmethod(lambda *a, **k: (1.0, False)))
    tab.verify_budget.click()
    with db.session() as s:
        assert s.scalar(select(func.count(AvVerifyRun.id))) == 0  # 取消: nothing ran

    asked: list[str] = []
    said: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QInputDialog,
        "getDouble",
        staticmethod(lambda _p, title, label, *a, **k: asked.append(label) or (1.0, True)),
    )
    monkeypatch.setattr(
        QMessageBox, "information", staticmethod(lambda _p, t, x: said.append(("info", x)))
    )
    monkeypatch.setattr(
        QMessageBox, "warning", staticmethod(lambda _p, t, x: said.append(("warn", x)))
    )
    tab.verify_budget.click()
    qtbot.waitUntil(lambda: bool(said), timeout=10_000)
    assert "从未校验的文件先校验" in asked[0]
    with db.session() as s:
        run = s.scalars(select(AvVerifyRun)).one()
        checked = s.scalar(select(func.count(AvRecordCheck.record_id)))
    # 60 s of budget at 20 s a file: the three files begun within it are finished, then it stops
    assert run.scope == "限时 1 分钟" and 3 <= checked < 6
    kind, text = said[0]
    assert "限时 1 分钟" in text and "本次未轮到" in text and "下次从最久未校验的接着校验" in text
    assert kind in ("info", "warn")
    assert tab.runs.rowCount() == 1
