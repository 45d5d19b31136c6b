"""Child process for the start-up benchmark: prints the seconds to the first painted window.

    python -m benchmarks.startup_probe bare|app [DB]
"""

from __future__ import annotations

import os
import sys
import time

T0 = float(os.environ.get("BENCH_T0", time.time()))


def main() -> int:
    mode = sys.argv[1]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    class PaintWatch(QObject):
        def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802
            if ev.type() == QEvent.Type.Paint:
                print(f"painted {time.time() - T0:.4f}", flush=True)
                QTimer.singleShot(0, QApplication.instance().quit)
            return False

    if mode == "bare":
        app = QApplication(sys.argv[:1])
        w = QMainWindow()
        w.resize(1280, 800)
    else:
        from brigade_desk.db import open_database
        from brigade_desk.ui.app import make_app, qsettings
        from brigade_desk.ui.context import AppContext
        from brigade_desk.ui.main_window import MainWindow
        from brigade_desk.ui.tasks import TaskRunner

        app = make_app()
        db = open_database(sys.argv[2])
        w = MainWindow(AppContext(db=db, tasks=TaskRunner(), qsettings=qsettings()))
    watch = PaintWatch()
    w.installEventFilter(watch)
    w.show()
    app.exec()
    try:
        import resource

        print(f"maxrss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}", flush=True)
    except ImportError:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
