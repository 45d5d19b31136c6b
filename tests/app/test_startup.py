"""Start-up as the clerk meets it: the window first, then the database, then the last page, filled."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from brigade_desk.app.gui import start_window
from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.ui.pages import all_pages
from brigade_desk.ui.tasks import TaskRunner

PAGES = all_pages(REGISTRY)


@pytest.fixture
def sync_tasks():
    TaskRunner.synchronous = True
    yield
    TaskRunner.synchronous = False


@pytest.mark.parametrize("last", ["home", "roster"])
def test_the_last_page_is_shown_and_filled_after_the_database_opens(
    tmp_path: Path, qtbot, sync_tasks, last
):
    ini = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    ini.setValue("main/page", next(i for i, p in enumerate(PAGES) if p.key == last))
    ready = []
    _app, w = start_window(tmp_path / "台账" / "b.sqlite", ready.append, ini)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: bool(ready), timeout=20_000)
    page = w._pages.get(last)  # type: ignore[attr-defined]
    assert page is not None and w.stack.currentWidget() is page  # type: ignore[attr-defined]
    if last == "home":  # the figures are there; an empty roster: where to begin
        assert "逾期上报" in page.headline.text()
        assert page.welcome.isVisibleTo(page) and "从 Excel 导入" in page.welcome.text()
    else:
        assert "共 0 人" in page.count.text()
    w.ctx.db.close()  # type: ignore[attr-defined]
