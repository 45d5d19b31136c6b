"""Child process for the start-up benchmark: prints the seconds to the first painted window.

python -m benchmarks.startup_probe bare|app [DB]
"""

from __future__ import annotations

import os
import sys
import time

T0 = float(os.environ.get("BENCH_T0", time.time()))


def peak_rss_mb() -> float:
    """This program's peak resident memory. On Linux from /proc (VmHWM): getrusage's ru_maxrss keeps
    the high-water mark of the forked parent's copy across exec, so a child started by a benchmark
    that just built the large demo would report the parent's memory."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except ImportError:
        return float("nan")


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
        watch = PaintWatch()
        w.installEventFilter(watch)
        w.show()
        app.exec()
    else:
        from pathlib import Path

        from brigade_desk.app.gui import start_window

        ready: list[float] = []
        import tempfile

        from PySide6.QtCore import QSettings

        ini = QSettings(
            str(Path(tempfile.gettempdir()) / "brigade_bench.ini"), QSettings.Format.IniFormat
        )
        app, w = start_window(Path(sys.argv[2]), lambda _w: ready.append(time.time() - T0), ini)
        watch = PaintWatch()
        w.installEventFilter(watch)  # type: ignore[attr-defined]
        app.exec()
        # then let the database open and the first page fill, and report that too
        from PySide6.QtCore import QCoreApplication

        deadline = time.time() + 60
        while not ready and time.time() < deadline:
            QCoreApplication.processEvents()
        print(f"ready {ready[0] if ready else float('nan'):.4f}", flush=True)
        # and the home page filled: every rule's findings, the deadlines and charts, computed in the
        # background after the database opened (what the clerk waits for on the first page)
        ctx = getattr(w, "ctx", None)
        if ready and ctx is not None and ctx.tasks.wait_idle(120_000):
            QCoreApplication.processEvents()
            print(f"home_filled {time.time() - T0:.4f}", flush=True)
    print(f"maxrss_mb {peak_rss_mb():.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
