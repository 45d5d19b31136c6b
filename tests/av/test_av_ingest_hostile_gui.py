"""The ingest dialog lists what was not indexed (issue 17, item 4) and what was cleaned up."""

from __future__ import annotations

import os
from typing import Any

from av_fixtures import write
from sqlalchemy import select

from brigade_desk.ledgers.av.ingest import MSG_DIR_DENIED, IngestOptions, ingest
from brigade_desk.ledgers.av.models import AvIngestBatch
from brigade_desk.ledgers.av.ui import dialogs
from brigade_desk.ledgers.av.ui.page import AvPage


def test_ingest_dialog_lists_unreadable_folder_and_cleanup(
    gui_ctx, qtbot, db, tmp_path, monkeypatch
):
    write(tmp_path / "旧" / "a.mp4", b"old")
    first = ingest(db, tmp_path / "旧", IngestOptions(in_place=True))
    with db.begin() as s:  # as a run killed outright leaves its batch
        s.get(AvIngestBatch, first.batch_id).finished_at = None
    src = tmp_path / "新卡"
    write(src / "20240601090000_1.mp4", b"a")
    write(src / "锁住" / "b.mp4", b"b")
    locked = str(src / "锁住")
    real = os.scandir

    def scandir(path: Any = ".") -> Any:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    page = AvPage(gui_ctx)
    qtbot.addWidget(page)
    dlg = dialogs.IngestDialog(gui_ctx, page.service, page)
    qtbot.addWidget(dlg)
    dlg.folder.insert(str(src))
    dlg.in_place.setChecked(True)  # (explicitly: the default copies into the archive)
    dlg.start()
    qtbot.waitUntil(lambda: dlg.result_obj is not None, timeout=10000)
    text = dlg.report.toPlainText()
    lines = text.splitlines()
    assert lines[0].startswith("新增 1 个") and "有 1 个文件夹未能登记（见列表）" in lines[0]
    assert lines[1] == "以下 1 项未能登记："
    assert lines[2] == f"未登记（文件夹）：{locked}：{MSG_DIR_DENIED}"
    assert (
        lines[3].startswith(f"清理：上次入库（第 {first.batch_id} 批")
        and "已标记为中断" in lines[3]
    )
    with db.session() as s:
        assert all(b.finished_at for b in s.scalars(select(AvIngestBatch)))
