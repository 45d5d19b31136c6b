"""A migrated template database, copied for every test database that is not about migrating.

Kept in a plain module (re-exported by conftest.py) so the helper modules of the ledgers can
import it: ``from dbtemplate import fresh_db``. One template per pytest process."""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from pathlib import Path

from brigade_desk.core.db import Database, open_database

_template: Path | None = None


def template_path() -> Path:
    """A database migrated to the head once per pytest process (the migrations take ~0.3 s; a copy
    takes a millisecond). Kept in rollback-journal mode so the one file is the whole database."""
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="brigade-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.sqlite"
        open_database(path).close()
        c = sqlite3.connect(path)
        try:
            assert c.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
        finally:
            c.close()
        _template = path
    return _template


def fresh_db(path: Path | str) -> Database:
    """A new database at ``path``: a copy of the migrated template, opened with open_database
    (which finds it at the head and migrates nothing). As ``open_database`` on a new path, faster."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_path(), path)
    return open_database(path)
