"""A migrated template database, copied for every test database that is not about migrating.

Kept in a plain module (re-exported by conftest.py) so the helper modules of the ledgers can
import it: ``from dbtemplate import fresh_db``. One template per pytest process.

``BRIGADE_DESK_TEST_DB=postgresql`` runs the suite on PostgreSQL (issue 18): ``fresh_db`` then
returns a new database on the test server (pg_support), copied from a migrated template database
there, dropped after the test (or at exit). ``target(db)`` is what ``--db`` takes for a database
either way: the file, or the server URL."""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Row

from brigade_desk.core.db import Database, open_database

MODE_ENV = "BRIGADE_DESK_TEST_DB"
PG = os.environ.get(MODE_ENV, "sqlite").strip().lower() in ("postgresql", "postgres", "pg")
DIALECT = "postgresql" if PG else "sqlite"

_template: Path | None = None
# PostgreSQL mode: the databases made so far (their URLs), in order; and the URL made for a path
_made: list[str] = []
_by_path: dict[str, str] = {}


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


def fresh_db(path: Path | str, *, lasting: bool = False) -> Database:
    """A new database at ``path``: a copy of the migrated template, opened with open_database
    (which finds it at the head and migrates nothing). As ``open_database`` on a new path, faster.

    PostgreSQL mode: a new server database instead (``path`` only names it: ``target(path)``),
    dropped after the test that made it — ``lasting``: at exit (a module fixture's, made lazily)."""
    path = Path(path)
    if PG:
        import pg_support

        if str(path) in _by_path:
            raise FileExistsError(path)
        url = pg_support.new_database()
        if lasting:
            atexit.register(pg_support.drop_database, url)
        else:
            _made.append(url)
        _by_path[str(path)] = url
        return open_database(url)
    if path.exists():
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_path(), path)
    return open_database(path)


def target(db: Database | Path | str) -> str:
    """What ``--db`` (and open_database) take for a test database: the SQLite file's path, or the
    server URL of the database ``fresh_db`` made for that path in PostgreSQL mode."""
    if isinstance(db, Database):
        if db.server:
            return db.engine.url.render_as_string(hide_password=False)
        return str(db.path)
    return _by_path.get(str(db), str(db))


def new_target(path: Path | str) -> str:
    """``--db`` for a ledger a test makes itself (``demo``, an import into a new ledger): the path
    as today; in PostgreSQL mode a new, migrated, empty server database (``target(path)`` too)."""
    if not PG:
        return str(path)
    fresh_db(path).close()
    return target(path)


def copy_target(src: Database | Path | str, dst: Path | str) -> str:
    """A copy of a test database (a file copy; on a server ``CREATE DATABASE … TEMPLATE``, the
    source's connections ended first), as ``--db`` takes it."""
    if not PG:
        shutil.copy(target(src), dst)
        return str(dst)
    import pg_support

    url = pg_support.copy_database(target(src))
    _made.append(url)
    _by_path[str(dst)] = url
    return url


def query(db: Database | Path | str, sql: str, **params: object) -> list[Row[Any]]:
    """The rows (SQLAlchemy Rows: tuples, and ``._mapping``) of one raw SQL statement (``:name``
    parameters) on a test database, committed: what another program would see or do, past the
    program's sessions (and its audit trail)."""
    from sqlalchemy import text

    engine, own = _engine(db)
    try:
        with engine.begin() as c:
            res = c.execute(text(sql), params)
            return list(res) if res.returns_rows else []
    finally:
        if own:
            engine.dispose()


def ledger_dir(db: Path | str) -> Path:
    """The folder beside the ledger (where the demo puts its footage): the file's folder, or this
    PC's home folder of the server database (core.server.home_dir)."""
    where = target(db)
    if "://" not in where:
        return Path(where).parent
    from brigade_desk.core import paths, server

    return server.home_dir(server.server_url(where), paths.data_dir())


def _engine(db: Database | Path | str) -> tuple[Any, bool]:
    from sqlalchemy import create_engine

    if isinstance(db, Database):
        return db.engine, False
    where = target(db)
    if "://" in where:
        return create_engine(where.replace("postgresql://", "postgresql+psycopg://")), True
    # the file by its path as is (a URL would read "#" or "%41" in a folder name as syntax)
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(where)), True


def table_names(db: Database | Path | str) -> list[str]:
    """The ledger's tables, sorted (not SQLite's own, nor the AV search index's ``fts_*``)."""
    from sqlalchemy import inspect

    engine, own = _engine(db)
    try:
        names = inspect(engine).get_table_names()
    finally:
        if own:
            engine.dispose()
    return sorted(n for n in names if not n.startswith(("sqlite_", "fts_")))


def all_rows(db: Database | Path | str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sorted; read past the program), for before/after comparisons."""
    return {
        t: sorted((tuple(r) for r in query(db, f'SELECT * FROM "{t}"')), key=repr)
        for t in table_names(db)
    }


def made_count() -> int:
    return len(_made)


# the databases of the last few tests are dropped a little later: a widget's timer a test left
# behind (a filter's debounce) may still read its database while the next test runs
_LAG = 3
_waiting: list[list[str]] = []


def drop_made_since(mark: int, *, lag: int = _LAG) -> None:
    """Drop the server databases made after ``made_count()`` was ``mark`` (PostgreSQL mode), once
    ``lag`` more tests have finished."""
    if not PG:
        return
    import pg_support

    _waiting.append(_made[mark:])
    del _made[mark:]
    while len(_waiting) > lag:
        gone = set(_waiting.pop(0))
        for url in gone:
            pg_support.drop_database(url)
        for k in [k for k, v in _by_path.items() if v in gone]:
            del _by_path[k]


def _drop_all() -> None:
    drop_made_since(0, lag=0)


atexit.register(_drop_all)
