"""Where things live: the database, backups, logs and the shipped resources (package data).

Resolved when asked (at start-up), never at import time. Order for the database:
``--db PATH`` → ``BRIGADE_DESK_DB`` → platformdirs' user data dir.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.resources
import os
from importlib.resources.abc import Traversable
from pathlib import Path

import platformdirs

from brigade_desk import APP_NAME

DB_ENV = "BRIGADE_DESK_DB"
DB_FILENAME = "brigade_desk.sqlite"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


LOG_FILE_NAME = "brigade_desk.log"


def log_file() -> Path:
    """The program's log (the crash dialog names it)."""
    return log_dir() / LOG_FILE_NAME


def resolve_db_target(cli_value: str | os.PathLike[str] | None = None) -> Path | str:
    """The ledger to open: the command-line value, then the environment, then the default file.
    A server address (``postgresql://…``, core.server) is returned as it is, a file as its path."""
    from brigade_desk.core.dburl import is_server_url

    for value in (cli_value, os.environ.get(DB_ENV, "").strip()):
        if value:
            if is_server_url(value):
                return str(value).strip()
            return Path(value).expanduser().resolve()
    return data_dir() / DB_FILENAME


def backup_dir_for(db_path: Path) -> Path:
    """Backups sit beside the database unless the clerk chose another folder."""
    return db_path.parent / "backups"


def resources() -> Traversable:
    """The shipped resources (``brigade_desk/resources/``: fonts, checklists/*.json), package data.

    Found through ``importlib.resources`` and nothing else, so a source checkout, an installed wheel
    and the PyInstaller bundle (which keeps them at ``brigade_desk/resources`` in ``_internal``) all
    take the same road; there is no path guessing that an editable install could satisfy by accident.
    """
    return importlib.resources.files("brigade_desk").joinpath("resources")


_kept = contextlib.ExitStack()
atexit.register(_kept.close)


@functools.cache
def resource(*parts: str) -> Path:
    """A real file path for one shipped resource file (reportlab and Qt want a file name).

    ``as_file`` returns the file itself when the package is on disk (checkout, wheel, bundle) and a
    temporary copy otherwise (e.g. a zip import); the copy is kept until the program exits.
    """
    node = resources()
    for part in parts:
        node = node.joinpath(part)
    return _kept.enter_context(importlib.resources.as_file(node))
