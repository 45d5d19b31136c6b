"""Developer tool: open the main window on a database and save a PNG of every page.

    python -m brigade_desk.ui.screenshots --db demo.sqlite --out shots/

Works under Xvfb or with QT_QPA_PLATFORM=offscreen. Pages may offer ``screenshot_extras(out)`` to
save their dialogs too.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from brigade_desk.ui.pages import PAGES


def _settle(seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.02)


def main() -> int:
    from brigade_desk import paths
    from brigade_desk.db import open_database
    from brigade_desk.ui.app import make_app
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
    ctx = AppContext(db=db, tasks=TaskRunner(), qsettings=qs)
    win = MainWindow(ctx)
    win.resize(1400, 860)
    win.show()
    for pd in PAGES:
        if pd.factory is None or (args.pages and pd.key not in args.pages):
            continue
        page = win.show_page(pd.key)
        _settle(1.5)
        ctx.tasks.wait_idle()
        _settle(0.5)
        win.grab().save(str(out / f"{pd.key}.png"))
        extras = getattr(page, "screenshot_extras", None)
        if extras:
            extras(out)
    win.close()
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
