"""Opening the database: pragmas, migrations (with a backup first), refusing newer schemas.

SQLite with WAL, foreign keys on, a busy timeout. Migrations are Alembic revisions shipped in
``brigade_desk/migrations`` and run at start-up. Before any upgrade of a database that already holds
data, a copy is written with SQLite's online backup API. A database whose schema revision this
program does not know (written by a newer version) is refused untouched.
"""

from __future__ import annotations

import json
import logging
import sqlite3  # noqa: F401  (dbapi type in the connect hook)
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from brigade_desk import audit
from brigade_desk.errors import DatabaseUnavailableError, SchemaTooNewError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


def _url(path: Path) -> URL:
    return URL.create("sqlite+pysqlite", database=str(path))


def _make_engine(path: Path, *, foreign_keys: bool = True) -> Engine:
    # JSON columns keep Chinese readable in the file (["查封扣押"], not ["\\u67e5…"]) so plain SQL LIKE works
    engine = create_engine(_url(path), future=True,
                           json_serializer=lambda o: json.dumps(o, ensure_ascii=False))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cur.close()

    return engine


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "brigade_desk:migrations")
    return cfg


def known_heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def known_revisions() -> set[str]:
    return {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def migrate(path: Path) -> list[str]:
    """Bring the database at ``path`` to the newest schema. Returns the revisions applied to.

    Refuses (``SchemaTooNewError``) a database written by a newer program. Backs the file up first
    when it already holds a schema. Foreign keys are OFF during the migration (batch mode recreates
    tables; with them ON the drop would cascade and delete child rows) and checked afterwards.
    """
    heads = known_heads()
    script = ScriptDirectory.from_config(alembic_config())
    engine = _make_engine(path, foreign_keys=False)
    try:
        try:
            current = current_revisions(engine)
        except OperationalError as exc:
            raise DatabaseUnavailableError(f"无法打开数据库 {path}：{exc.orig}") from exc
        for rev in current:
            try:
                known = script.get_revision(rev)
            except Exception:
                known = None
            if known is None:
                raise SchemaTooNewError(
                    f"数据库 {path} 由更新版本的 Brigade Desk 创建（结构版本 {rev}），"
                    "本程序不认识该版本，为避免损坏数据已拒绝打开。请升级程序后再打开。"
                )
        if current == heads:
            return sorted(current)
        if current:
            from brigade_desk.backup import make_backup

            make_backup(path, "pre-migration")
        cfg = alembic_config()
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
            conn.commit()
            problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise DatabaseUnavailableError(f"数据库升级后外键检查失败：{problems[:5]}")
        return sorted(current_revisions(engine))
    finally:
        engine.dispose()


class ChangeCounter:
    """Counts commits that changed the database through this engine.

    SQLite's ``total_changes`` of each connection is compared at every commit, so ORM, Core and raw
    DB-API writes all count. The file lock (``brigade_desk.lock``) keeps other programs out, so a
    cache keyed on :attr:`value` stays valid until the number moves. A rolled-back write may move it
    too: a needless refresh, never a stale one.
    """

    def __init__(self, engine: Engine) -> None:
        self.value = 0
        self._lock = threading.Lock()
        event.listen(engine, "connect", self._on_connect)
        event.listen(engine, "commit", self._on_commit)

    @staticmethod
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        record.info["bd_total_changes"] = getattr(dbapi_conn, "total_changes", None)

    def _on_commit(self, conn: Any) -> None:
        raw = conn.connection.dbapi_connection
        total = getattr(raw, "total_changes", None)
        info = conn.connection.info
        # (a connection opened before the counter was attached has no baseline: counted as a change)
        if total is None or total != info.get("bd_total_changes", -1):
            info["bd_total_changes"] = total
            with self._lock:
                self.value += 1

    def bump(self) -> None:
        """Something outside the engine changed what the data means (a file restored, a disk plugged in)."""
        with self._lock:
            self.value += 1


@dataclass
class Database:
    path: Path
    engine: Engine
    Session: sessionmaker[Session]
    changes: ChangeCounter = field(init=False)
    # caches that live as long as the open database (e.g. services.findings), keyed by their owner
    caches: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.changes = ChangeCounter(self.engine)
        self.engine.dispose()  # connections opened from now on get the counter's baseline

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """One short transaction: commit on success, roll back on any error."""
        with self.Session.begin() as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()


def open_database(path: Path | str, *, run_migrations: bool = True) -> Database:
    """Open (creating if needed) and migrate the database file at ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnavailableError(f"无法创建数据库所在文件夹 {path.parent}：{exc}") from exc
    if path.exists() and path.is_dir():
        raise DatabaseUnavailableError(f"{path} 是一个文件夹，不是数据库文件。")
    if path.exists():
        with open(path, "rb") as fh:
            head = fh.read(16)
        if head and head != b"SQLite format 3\x00":
            raise DatabaseUnavailableError(f"{path} 不是 Brigade Desk 的数据库文件（可能已损坏）。")
    if run_migrations:
        migrate(path)
    engine = _make_engine(path)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        raise DatabaseUnavailableError(f"无法打开数据库 {path}：{exc.orig}") from exc
    factory = sessionmaker(engine, expire_on_commit=False)
    audit.install(factory)
    return Database(path=path, engine=engine, Session=factory)
