"""Developer tool: open the main window on a database and save a PNG of every page.

    python -m tools.screenshots --db demo.sqlite --out shots/   (from the repository root)

Works under Xvfb or with QT_QPA_PLATFORM=offscreen. ``EXTRAS`` saves more of some pages too (their
tabs and dialogs); those steps live here, reaching into the pages from outside, so the pages
themselves carry no code for screenshots.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QWidget

from brigade_desk.ui.pages import all_pages


def _settle(seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.02)


def _grab_dialog(dlg: QWidget, path: Path) -> None:
    dlg.show()
    dlg.adjustSize()
    for _ in range(20):
        QCoreApplication.processEvents()
    dlg.grab().save(str(path))
    dlg.close()


def roster_extras(page: Any, out: Path) -> None:
    """The person selected, the edit dialog, and a new person's dialog with validation errors."""
    from brigade_desk.ledgers.roster.ui.dialogs import StaffDialog

    r = next((r for r in page.model.rows if r.problems), None) or (
        page.model.rows[0] if page.model.rows else None
    )
    if r is None:
        return
    page.select_staff(r.staff.id)
    page.window().grab().save(str(out / "roster_selected.png"))
    svc = page.service
    dlg = StaffDialog(svc, svc.get(r.staff.id), svc.squads(), page)
    _grab_dialog(dlg, out / "roster_edit.png")
    dlg2 = StaffDialog(svc, None, svc.squads(), page)
    dlg2.name.setText("张三")
    dlg2.id_number.setText("630102198503150011")
    dlg2.phone.setText("电话abc")
    dlg2.save()
    _grab_dialog(dlg2, out / "roster_edit_errors.png")


def training_extras(page: Any, out: Path) -> None:
    """Every tab, and the attendance editor of the biggest of the first sessions."""
    from brigade_desk.ledgers.training.ui.editor import SessionDialog
    from brigade_desk.ledgers.training.ui.page import TAB_SESSIONS

    for i in range(page.tabs.count()):
        page.tabs.setCurrentIndex(i)  # a tab reads its data in the background when first shown
        QApplication.processEvents()
        page.ctx.tasks.wait_idle()
        QApplication.processEvents()
        page.window().grab().save(str(out / f"training-tab{i}.png"))
    page.tabs.setCurrentIndex(TAB_SESSIONS)
    model = page.sessions.model
    if model.rowCount():
        big = max(
            (model.row_at(i) for i in range(min(50, model.rowCount()))),
            key=lambda r: r.attendees,
        )
        dlg = SessionDialog(page.service, page.service.get_session(big.id), page)
        dlg.resize(1000, 760)
        dlg.show()
        QApplication.processEvents()
        dlg.grab().save(str(out / "training-editor.png"))
        dlg.close()


def av_extras(page: Any, out: Path) -> None:
    """The ingest dialog, and the verification, per-case and storage tabs."""
    from brigade_desk.ledgers.av.ui.dialogs import IngestDialog

    demo = page.ctx.db.path.parent / "demo_av" / "待入库"
    dlg = IngestDialog(page.ctx, page.service, page, folder=str(demo) if demo.is_dir() else "")
    dlg.case_no.setText("乐交执罚〔2026〕0001号")
    dlg.activity.setCurrentText("现场检查")
    dlg.show()
    dlg.grab().save(str(out / "av_ingest_dialog.png"))
    dlg.close()
    win = page.window()
    for i, name in ((1, "av_verify"), (2, "av_cases"), (3, "av_storage")):
        page.tabs.setCurrentIndex(i)
        if i == 2 and page.cases_tab.cases.rows:
            page.cases_tab.case_view.selectRow(0)
        for _ in range(5):  # let the layouts settle before the grab
            QCoreApplication.processEvents()
        win.grab().save(str(out / f"{name}.png"))
    page.tabs.setCurrentIndex(0)


def cases_extras(page: Any, out: Path) -> None:
    """The review tab, a filled scoring dialog, the case editor and the holiday tab."""
    from brigade_desk.ledgers.cases.service import CaseService
    from brigade_desk.ledgers.cases.ui.editor import CaseDialog
    from brigade_desk.ledgers.cases.ui.score import ScoreDialog

    page.tabs.setCurrentWidget(page.review)
    page.on_shown()
    page.window().grab().save(str(out / "cases_review.png"))
    review = page.review
    entry = next((e for e in review.model.rows if e.grade == "不合格"), None) or (
        review.model.rows[0] if review.model.rows else None
    )
    if entry is not None:
        dlg = ScoreDialog(review.service, entry.case_no, review.year.value(), entry.cause, page)
        dlg.resize(1150, 820)
        dlg.show()
        dlg.grab().save(str(out / "cases_score.png"))
        dlg.close()
    page.tabs.setCurrentWidget(page.register)
    page.on_shown()
    c = page.register.model.row(0)
    if c is not None:
        svc = CaseService(page.ctx.db)
        ed = CaseDialog(svc, svc.get(c.id), page)
        ed.show()
        ed.grab().save(str(out / "cases_editor.png"))
        ed.close()
    page.tabs.setCurrentWidget(page.calendar)
    page.on_shown()
    page.window().grab().save(str(out / "cases_calendar.png"))
    page.tabs.setCurrentWidget(page.register)


# page key -> more screenshots of that page (page, output folder)
EXTRAS: dict[str, Callable[[Any, Path], None]] = {
    "roster": roster_extras,
    "training": training_extras,
    "av": av_extras,
    "cases": cases_extras,
}


def main() -> int:
    from brigade_desk.app.gui import make_app
    from brigade_desk.core import paths
    from brigade_desk.core.db import open_database
    from brigade_desk.ui.context import AppContext
    from brigade_desk.ui.main_window import MainWindow
    from brigade_desk.ui.tasks import TaskRunner

    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--pages", nargs="*")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    make_app()
    db = open_database(paths.resolve_db_path(args.db))
    from PySide6.QtCore import QSettings

    qs = QSettings(str(out / "shots.ini"), QSettings.Format.IniFormat)
    from brigade_desk.app.ledgers import REGISTRY

    ctx = AppContext(db=db, tasks=TaskRunner(), qsettings=qs, ledgers=REGISTRY)
    win = MainWindow(ctx)
    win.resize(1400, 860)
    win.show()
    for pd in all_pages(REGISTRY):
        if pd.factory is None or (args.pages and pd.key not in args.pages):
            continue
        page = win.show_page(pd.key)
        _settle(1.5)
        ctx.tasks.wait_idle()
        _settle(0.5)
        win.grab().save(str(out / f"{pd.key}.png"))
        extras = EXTRAS.get(pd.key)
        if extras:
            extras(page, out)
    win.close()
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
