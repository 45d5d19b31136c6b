"""File dialogs that start in the folder the clerk used last (saving or opening), else Documents —
never in the program's own folder."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

KEY = "files/last_save_dir"
_last: str | None = None  # when no settings are reachable (a widget outside the main window)


def _settings(parent: QWidget | None) -> object | None:
    win = parent.window() if parent is not None else None
    ctx = getattr(win, "ctx", None) or getattr(parent, "ctx", None)
    return getattr(ctx, "qsettings", None)


def start_folder(parent: QWidget | None) -> str:
    """The folder of the last file saved, else the clerk's Documents folder, else home."""
    s = _settings(parent)
    last = s.value(KEY) if s is not None else _last  # type: ignore[attr-defined]
    if isinstance(last, str) and last and os.path.isdir(last):
        return last
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return docs if docs and os.path.isdir(docs) else str(Path.home())


def remember(parent: QWidget | None, path: str) -> None:
    global _last
    folder = str(Path(path).parent)
    _last = folder
    s = _settings(parent)
    if s is not None:
        s.setValue(KEY, folder)  # type: ignore[attr-defined]


def save_file_name(parent: QWidget | None, title: str, name: str, filt: str = "") -> str:
    """Ask where to save ``name`` (a bare file name, or a path whose folder is ignored in favour of the
    last folder used); '' when cancelled."""
    start = os.path.join(start_folder(parent), Path(name).name)
    path, _ = QFileDialog.getSaveFileName(parent, title, start, filt)
    if path:
        remember(parent, path)
    return path


def open_file_name(parent: QWidget | None, title: str, filt: str = "", start: str = "") -> str:
    """Ask for a file to open, starting in ``start`` or the last folder used; '' when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, start or start_folder(parent), filt)
    if path:
        remember(parent, path)
    return path


def existing_folder(parent: QWidget | None, title: str, start: str = "") -> str:
    """Ask for a folder, starting in ``start`` or the last folder used; '' when cancelled."""
    folder = QFileDialog.getExistingDirectory(parent, title, start or start_folder(parent))
    if folder:
        remember(parent, os.path.join(folder, "."))
    return folder
