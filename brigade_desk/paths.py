"""Where things live: the database, backups, logs and the shipped resources.

Resolved when asked (at start-up), never at import time. Order for the database:
``--db PATH`` → ``BRIGADE_DESK_DB`` → platformdirs' user data dir.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from brigade_desk import APP_NAME

DB_ENV = "BRIGADE_DESK_DB"
DB_FILENAME = "brigade_desk.sqlite"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def resolve_db_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """The database file to open: the command-line value, then the environment, then the default."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env = os.environ.get(DB_ENV, "").strip()
    if env:
        return Path(env).expanduser().resolve()
    return data_dir() / DB_FILENAME


def backup_dir_for(db_path: Path) -> Path:
    """Backups sit beside the database unless the clerk chose another folder."""
    return db_path.parent / "backups"


def resources_dir() -> Path:
    """``resources/`` in a source checkout, a PyInstaller bundle or an installed share dir."""
    candidates: list[Path] = []
    env = os.environ.get("BRIGADE_DESK_RESOURCES")
    if env:
        candidates.append(Path(env))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates.append(Path(__file__).resolve().parent.parent / "resources")
    candidates.append(Path(sys.prefix) / "share" / "brigade-desk" / "resources")
    for c in candidates:
        if (c / "fonts").is_dir():
            return c
    return candidates[-1]


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
