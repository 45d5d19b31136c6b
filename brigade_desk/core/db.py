"""Opening the database: pragmas, migrations (with a backup first), refusing newer schemas.

SQLite with WAL, foreign keys on, a busy timeout. Migrations are Alembic revisions shipped in
``brigade_desk/migrations`` and run at start-up; they form ONE chain (a second head stops the
program, :func:`head_revision`). Until 0011 they branched, so a database of that time may be
stamped with several revisions, or with one whose predecessors on today's chain it lacks:
:func:`_onto_chain` runs what it misses and restamps it before the ordinary upgrade. Before any upgrade of a database
that already holds data, a copy is written with SQLite's online backup API. A database whose schema
revision this program does not know (written by a newer version) is refused untouched.

Before anything writes to an existing file it is checked (:func:`check_database_file`): a folder, an
empty, truncated or foreign file, or pages that fail ``PRAGMA quick_check`` raise
:class:`~brigade_desk.core.errors.DatabaseDamagedError` and the file is left exactly as it was (no
migration, no backup, no import). Damage met later, by a query, raises the same error (the engine's
``handle_error`` hook), so the clerk always gets the Chinese message and the way out.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from brigade_desk.core import audit, dialect
from brigade_desk.core.errors import (
    DAMAGE_CODES,
    SQLITE_READONLY,
    DatabaseDamagedError,
    DatabaseUnavailableError,
    SchemaTooNewError,
    UserError,
    describe_os_error,
    sqlite_code,
    translate_db_error,
)

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


def _url(path: Path) -> URL:
    return URL.create("sqlite+pysqlite", database=str(path))


def _make_engine(path: Path, *, foreign_keys: bool = True) -> Engine:
    # JSON columns keep Chinese readable in the file (["查封扣押"], not ["\\u67e5…"]) so plain SQL LIKE works
    engine = create_engine(
        _url(path),
        future=True,
        json_serializer=lambda o: json.dumps(o, ensure_ascii=False),
        connect_args={"factory": _Connection},  # tells its ChangeCounter when it commits
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cur.close()

    damaged: list[BaseException] = []  # the damage met by a query: nothing runs after it

    @event.listens_for(engine, "handle_error")
    def _on_error(ctx: Any) -> None:
        # a query met a damaged page (SQLITE_CORRUPT / SQLITE_NOTADB raise DatabaseError, which is
        # not an OperationalError), a full or read-only disk, a lock held too long: the clerk's
        # message naming this file, instead of a traceback, wherever it surfaces. By result code.
        exc = ctx.original_exception
        if isinstance(exc, DatabaseDamagedError):
            return  # raised by _refuse_after_damage: already the clerk's message
        code = sqlite_code(exc)
        if code in DAMAGE_CODES:
            log.info("database %s damaged: %s", path, exc)
            damaged.append(exc)
            raise DatabaseDamagedError(path, "读取数据时发现文件内容损坏", in_use=True) from exc
        user = translate_db_error(exc, path) if code is not None else None
        if user is not None:
            log.info("database %s: %s (%s)", path, exc, code)
            raise user from exc

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_after_damage(*_a: Any) -> None:
        # once a query has met damage, no statement runs on this engine (above all no write): the
        # file stays as it was found until it is restored from a backup
        if damaged:
            raise DatabaseDamagedError(path, "此前读取数据时已发现文件内容损坏", in_use=True)

    @event.listens_for(engine, "engine_disposed")
    def _after_restore(_engine: Engine) -> None:
        # the file may have been restored from a backup under the engine (the GUI's 备份与恢复):
        # statements run again only once the file passes its check
        if damaged:
            try:
                check_database_file(path)
            except UserError:
                return
            log.info("database %s passes its check again: statements allowed", path)
            damaged.clear()

    return engine


SQLITE_MAGIC = b"SQLite format 3\x00"


def _unusable(path: Path, exc: BaseException) -> UserError:
    """A SQLite error met while opening ``path``, as the clerk's message."""
    return translate_db_error(exc, path) or DatabaseUnavailableError(
        f"无法打开数据库 {path}：{exc}"
    )


def check_database_file(path: Path) -> None:
    """Refuse a file that cannot be a healthy database, before anything writes to it.

    A path that does not exist passes (it becomes a new, empty ledger). Anything else that is not a
    complete SQLite database whose pages pass ``PRAGMA quick_check`` raises DatabaseDamagedError —
    an empty (0-byte) file too: it is never silently turned into an empty ledger. Reads only: the
    check opens the file read-only.
    """
    if not path.exists() and not path.is_symlink():
        return
    if path.is_dir():
        raise DatabaseDamagedError(path, "这是一个文件夹，不是数据库文件")
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise DatabaseUnavailableError(describe_os_error(exc, path, mode="read")) from exc
    if size == 0:
        raise DatabaseDamagedError(path, "文件是空的，0 字节")
    if not head.startswith(SQLITE_MAGIC):
        raise DatabaseDamagedError(
            path, "文件开头没有 SQLite 数据库的标识：不是数据库文件，或开头已被覆盖"
        )
    if len(head) < 100:
        raise DatabaseDamagedError(path, f"文件不完整，只有 {size} 字节")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise DatabaseDamagedError(path, "文件头已损坏")
    # the page count in the header is valid when the change counter matches "version-valid-for";
    # a WAL file beside it may still hold pages (a checkpoint cut short), so only without one
    pages = int.from_bytes(head[28:32], "big")
    wal = path.with_name(path.name + "-wal")
    wal_size = wal.stat().st_size if wal.is_file() else 0
    if pages and head[24:28] == head[92:96] and wal_size == 0 and size < pages * page_size:
        raise DatabaseDamagedError(
            path,
            f"文件不完整：应有 {pages * page_size:,} 字节，只有 {size:,} 字节"
            "，可能复制或保存时中断",
        )
    t0 = time.perf_counter()
    try:
        result = _quick_check(path, read_only=True)
    except sqlite3.Error as exc:
        if sqlite_code(exc) in DAMAGE_CODES:
            log.info("database %s failed to open for its check: %s", path, exc)
            raise DatabaseDamagedError(path, "文件内容已损坏，SQLite 无法读取") from exc
        if sqlite_code(exc) != SQLITE_READONLY:
            raise _unusable(path, exc) from exc
        # a hot journal left by a crash needs a writable connection to be rolled back (what SQLite
        # does on any open): check through one
        try:
            result = _quick_check(path, read_only=False)
        except sqlite3.Error as exc2:
            if sqlite_code(exc2) in DAMAGE_CODES:
                raise DatabaseDamagedError(path, "文件内容已损坏，SQLite 无法读取") from exc2
            raise _unusable(path, exc2) from exc2
    log.info("quick_check of %s (%.1f MB): %.3f s", path, size / 1e6, time.perf_counter() - t0)
    if result != ["ok"]:
        log.info("database %s failed quick_check: %s", path, result)
        raise DatabaseDamagedError(path, "完整性检查发现损坏的数据页")


def _quick_check(path: Path, *, read_only: bool) -> list[str]:
    uri = path.absolute().as_uri() + ("?mode=ro" if read_only else "")
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return [str(r[0]) for r in conn.execute("PRAGMA quick_check(5)")]
    finally:
        conn.close()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "brigade_desk:migrations")
    return cfg


# Until the migrations were made one linear chain they branched: these were each revision's
# parents then. Frozen history, never to change. A database written by a program of that time may
# carry in ``alembic_version`` any set of heads of this graph (several rows before a merge, e.g.
# 0002 and 0007: training and the case branch applied, AV and the audit trail not yet).
BRANCHY_PARENTS: dict[str, tuple[str, ...]] = {
    "0001": (),
    "0002": ("0001",),
    "0003": ("0001",),
    "0004": ("0001",),
    "0005": ("0001",),
    "0006": ("0005",),
    "0007": ("0004",),
    "0008": ("0002", "0003", "0006", "0007"),
    "0009_training_perf": ("0008",),
    "0010_av_perf": ("0008",),
    "0011": ("0009_training_perf", "0010_av_perf"),
}


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision(script: ScriptDirectory | None = None) -> str:
    """The one head of the migration chain. More than one is a mistake in the program (two
    revisions written side by side): refused loudly instead of applying both silently."""
    heads = (script or _script()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(
            f"brigade_desk migrations must form one chain, found {len(heads)} heads: "
            f"{', '.join(sorted(heads))}. Give the newer revision the other as down_revision."
        )
    return heads[0]


def migration_chain(script: ScriptDirectory | None = None) -> list[str]:
    """Every revision from the first to the head, each the child of the one before."""
    script = script or _script()
    chain: list[str] = []
    rev: Script | None = script.get_revision(head_revision(script))
    while rev is not None:
        if not isinstance(rev.down_revision, str | None):
            raise RuntimeError(
                f"migration {rev.revision} merges {rev.down_revision}: not one chain"
            )
        chain.append(rev.revision)
        rev = script.get_revision(rev.down_revision) if rev.down_revision else None
    chain.reverse()
    stray = {r.revision for r in script.walk_revisions()} - set(chain)
    if stray:
        raise RuntimeError(f"migrations {', '.join(sorted(stray))} are not on the chain")
    return chain


def known_heads() -> set[str]:
    return {head_revision()}


def known_revisions() -> set[str]:
    return {r.revision for r in _script().walk_revisions()}


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def applied_revisions(rows: set[str], chain: list[str]) -> set[str]:
    """The revisions whose migrations a database with these ``alembic_version`` rows has run: their
    ancestors in the branchy graph for its revisions, the chain up to them for later ones."""
    pos = {r: i for i, r in enumerate(chain)}
    applied: set[str] = set()
    for row in rows:
        if row in BRANCHY_PARENTS:
            todo = [row]
            while todo:
                r = todo.pop()
                if r not in applied:
                    applied.add(r)
                    todo.extend(BRANCHY_PARENTS[r])
        else:
            applied.update(chain[: pos[row] + 1])
    return applied


def _set_version(conn: Connection, revision: str | None) -> None:
    conn.exec_driver_sql("DELETE FROM alembic_version")
    if revision is not None:
        conn.exec_driver_sql(
            dialect.driver_sql(conn, "INSERT INTO alembic_version (version_num) VALUES (?)"),
            (revision,),
        )


def _onto_chain(conn: Connection, cfg: Config, rows: set[str], chain: list[str]) -> None:
    """Bring a database written while the migrations branched onto the linear chain.

    Its applied revisions need not be a beginning of the chain (at 0003 alone it lacks 0002, which
    the chain puts before 0003). Each run of missing revisions before its last applied one is run by
    Alembic from a version row set to the revision before the run; then the row becomes that last
    revision, from where the ordinary upgrade continues. The branches touched separate tables and
    the old program would have run the missing ones after the present ones too, so the result is a
    state the branchy graph produced as well. Runs on ``conn`` inside the upgrade's transaction.
    """
    applied = applied_revisions(rows, chain)
    pos = {r: i for i, r in enumerate(chain)}
    last = max(pos[r] for r in applied)
    if rows == {chain[last]} and applied == set(chain[: last + 1]):
        return  # already a beginning of the chain: Alembic reads it right
    log.info("alembic_version %s: applied %s, mapped onto the chain", sorted(rows), sorted(applied))
    i = 0
    while i <= last:
        if chain[i] in applied:
            i += 1
            continue
        j = i
        while chain[j + 1] not in applied:
            j += 1
        _set_version(conn, chain[i - 1] if i else None)
        log.info("running %s out of the chain's order", ", ".join(chain[i : j + 1]))
        command.upgrade(cfg, chain[j])
        i = j + 1
    _set_version(conn, chain[last])


def needs_migration(path: Path) -> bool:
    """Whether opening ``path`` would write to it: no file yet, or an older schema. Reads only."""
    if not path.exists():
        return True
    engine = _make_engine(path)
    try:
        return current_revisions(engine) != known_heads()
    except DBAPIError as exc:
        raise _unusable(path, exc) from exc
    finally:
        engine.dispose()


def migrate(path: Path) -> list[str]:
    """Bring the database at ``path`` to the newest schema. Returns the revisions applied to.

    Refuses (``SchemaTooNewError``) a database written by a newer program. Backs the file up first
    when it already holds a schema. Foreign keys are OFF during the migration (batch mode recreates
    tables; with them ON the drop would cascade and delete child rows) and checked afterwards. A
    database stamped while the migrations branched is first mapped onto the chain
    (:func:`_onto_chain`), in the same transaction.
    """
    script = _script()
    chain = migration_chain(script)
    head = chain[-1]
    engine = _make_engine(path, foreign_keys=False)
    try:
        try:
            current = current_revisions(engine)
        except DBAPIError as exc:
            raise _unusable(path, exc) from exc
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
        if current == {head}:
            return [head]
        if current:
            from brigade_desk.core.backup import make_backup

            make_backup(path, "pre-migration")
        cfg = alembic_config()
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            cfg.attributes["connection"] = conn
            if current:
                _onto_chain(conn, cfg, current, chain)
            command.upgrade(cfg, "head")
            _record_migration_rows(conn)
            conn.commit()
            problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise DatabaseUnavailableError(f"数据库升级后外键检查失败：{problems[:5]}")
        return sorted(current_revisions(engine))
    finally:
        engine.dispose()


# tables the migrations put rows into (the shipped AV file-name patterns: 0003, 0015)
SEEDED_BY_MIGRATIONS = ("av_name_pattern",)


def _record_migration_rows(conn: Connection) -> None:
    """Rows a data migration just added to a table the audit trail already follows are recorded
    (in bulk, in the upgrade's transaction): otherwise ``audit verify`` would rightly call them
    added behind the program's back. A table the trail does not follow yet needs nothing."""
    s = Session(bind=conn)
    try:
        for table in SEEDED_BY_MIGRATIONS:
            if audit.has_entries(conn, table):
                audit.record_unaudited(s, [table])
        s.flush()
    finally:
        s.close()


class _Connection(sqlite3.Connection):
    """A pysqlite connection that tells its :class:`ChangeCounter` just before and just after it
    commits a transaction, so that :meth:`ChangeCounter.poll` can tell its own writes from others'."""

    counter: ChangeCounter | None = None

    def commit(self) -> None:
        counter = self.counter
        if counter is None or not self.in_transaction:  # nothing written: nothing to tell
            super().commit()
            return
        counter._before_own_commit()
        try:
            super().commit()
        finally:
            counter._after_own_commit()


def _server_wrote(conn: Any) -> bool:
    """Whether the server transaction about to commit wrote anything: PostgreSQL gives a
    transaction an id only when it writes. (Run on the committing connection: a connection lost
    by now fails here as its commit would, with the same message.)"""
    return conn.exec_driver_sql("SELECT txid_current_if_assigned()").scalar() is not None


class ChangeCounter:
    """Counts commits that changed the database: through this engine, and — once :meth:`poll` is
    called now and then — by anybody else (another program, another connection).

    SQLite's ``total_changes`` of each connection is compared at every commit, so ORM, Core and raw
    DB-API writes through the engine all count, at once. The file lock (``brigade_desk.core.lock``) keeps
    other Brigade Desk programs from writing while the GUI is open, but not every program (the
    sqlite3 shell, a copy of the program on another computer whose lock the network share does not
    pass on): :meth:`poll` sees their commits through SQLite's ``PRAGMA data_version`` on a
    connection of its own and moves the number too. So a cache keyed on :attr:`value` stays valid
    until the number moves. A rolled-back write may move it too: a needless refresh, never a stale
    one.
    """

    def __init__(self, engine: Engine) -> None:
        self.value = 0
        self._lock = threading.Lock()
        db = engine.url.database
        self._sqlite = engine.dialect.name == "sqlite"
        self._path: str | None = db if self._sqlite and db and db != ":memory:" else None
        # a server database (core.server): other PCs' commits are seen by the audit trail's head
        self._engine = None if self._sqlite else engine
        self._server_seen = False  # the first poll starts watching and answers False
        # poll's connection and what it last saw; all guarded by _lock
        self._watch: sqlite3.Connection | None = None
        self._seen: int | None = None
        self._foreign = False  # another writer's commit was seen just before one of ours
        self._own_in_flight = 0  # own commits between _before_own_commit and _after_own_commit
        event.listen(engine, "connect", self._on_connect)
        event.listen(engine, "commit", self._on_commit)
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def _on_connect(self, dbapi_conn: Any, record: Any) -> None:
        record.info["bd_total_changes"] = getattr(dbapi_conn, "total_changes", None)
        if isinstance(dbapi_conn, _Connection):
            dbapi_conn.counter = self

    def _on_commit(self, conn: Any) -> None:
        raw = conn.connection.dbapi_connection
        total = getattr(raw, "total_changes", None)
        if total is None and not self._sqlite:
            if not _server_wrote(conn):
                return  # a server transaction that only read: nothing changed (caches stay valid)
            self._own_server_commit(conn)
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

    # ---- other writers ------------------------------------------------------------------------
    # PRAGMA data_version on poll's own connection changes whenever any other connection committed,
    # ours included. Our connections (_Connection) therefore read it just before they commit (they
    # hold SQLite's write lock then, so nobody else can commit until they have): a move seen there
    # is somebody else's; and just after: the move up to there is ours. Left unseen: a commit by
    # another program in the microseconds between the end of ours and that second reading.

    def _version(self) -> int | None:  # with _lock held
        if self._watch is None:
            return None
        try:
            return int(self._watch.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return None

    def _before_own_commit(self) -> None:
        with self._lock:
            if (
                self._watch is not None
                and not self._own_in_flight
                and self._version() != self._seen
            ):
                self._foreign = True
            self._own_in_flight += 1

    def _after_own_commit(self) -> None:
        with self._lock:
            self._own_in_flight -= 1
            if self._watch is not None and not self._own_in_flight:
                self._seen = self._version()

    def poll(self) -> bool:
        """Whether somebody else committed to the database since the last poll; if so the number
        moves. Cheap (one ``PRAGMA data_version``), safe from any thread. The first call starts
        watching and answers False."""
        with self._lock:
            if self._engine is not None:
                return self._poll_server(self._engine)
            if self._path is None:
                return False
            if self._watch is None:
                try:
                    self._watch = sqlite3.connect(
                        self._path, timeout=1, isolation_level=None, check_same_thread=False
                    )
                except sqlite3.Error:
                    return False
                self._seen, self._foreign = self._version(), False
                return False
            if self._own_in_flight:  # one of ours is committing: look again next time
                return False
            now = self._version()
            moved = self._foreign or now != self._seen
            self._seen, self._foreign = now, False
            if moved:
                self.value += 1
            return moved

    def _own_server_commit(self, conn: Any) -> None:
        """Our transaction on a server is about to commit: if every trail entry since the last
        poll is its own (PostgreSQL's ``xmin``: the writing transaction), the next poll must not
        take them for another PC's. (Entries are appended under the chain's lock, held until
        commit: none of another client's can come between; theirs after ours have higher ids.)"""
        with self._lock:
            if not self._server_seen:
                return
            others = conn.exec_driver_sql(
                "SELECT count(*) FROM audit_log WHERE id > %(seen)s"
                " AND xmin::text <> mod(txid_current(), 4294967296)::text",
                {"seen": self._seen or 0},
            ).scalar()
            if not others:
                self._seen = conn.exec_driver_sql("SELECT max(id) FROM audit_log").scalar()

    def _poll_server(self, engine: Engine) -> bool:  # with _lock held
        """On a server every change the program makes adds audit entries: the trail's last id
        moving past what our own commits left (_own_server_commit) is another client's commit."""
        try:
            with engine.connect() as conn:
                head = conn.exec_driver_sql("SELECT max(id) FROM audit_log").scalar()
        except Exception:  # noqa: BLE001 - server away: nothing seen, the next poll tries again
            return False
        moved = self._server_seen and head != self._seen
        self._seen, self._server_seen = head, True
        if moved:
            self.value += 1
        return moved

    def close(self) -> None:
        """Stop watching (the engine was disposed: a restore may replace the file); the next
        :meth:`poll` starts again."""
        with self._lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
            self._seen, self._foreign = None, False


@dataclass
class Database:
    # the SQLite file; for a server database (``server``) this PC's home folder for it
    # (core.server.home_dir), where the audit anchors are kept
    path: Path
    engine: Engine
    # the factory; ``session()`` opens one. (Named so it is not mistaken for SQLAlchemy's Session.)
    session_factory: sessionmaker[Session]
    changes: ChangeCounter = field(init=False)
    # caches that live as long as the open database (e.g. core.findings), keyed by their owner
    caches: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.changes = ChangeCounter(self.engine)
        self.engine.dispose()  # connections opened from now on get the counter's baseline

    @property
    def server(self) -> bool:
        """Whether the ledger is on a database server (PostgreSQL) rather than a SQLite file."""
        return self.engine.dialect.name != "sqlite"

    @property
    def name(self) -> str:
        """The ledger as messages name it: the file, or the server database (no password)."""
        if self.server:
            from brigade_desk.core import server

            return server.describe(self.engine.url)
        return str(self.path)

    def session(self) -> Session:
        """A new database session (use as ``with db.session() as s:``)."""
        return self.session_factory()

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """One short transaction: commit on success, roll back on any error. Another client's
        save of the same record in the same instant (the version check of an UPDATE found nothing
        to update) is the clerk's ConflictError, not a traceback."""
        from sqlalchemy.orm.exc import StaleDataError

        try:
            with self.session_factory.begin() as s:
                yield s
        except StaleDataError as exc:
            from brigade_desk.core.conflict import ConflictError

            raise ConflictError("该记录") from exc

    def close(self) -> None:
        self.engine.dispose()


def open_database(path: Path | str, *, run_migrations: bool = True) -> Database:
    """Open (creating if needed) and migrate the database file at ``path``.

    An existing file is checked first (:func:`check_database_file`); a damaged one raises
    DatabaseDamagedError and is not written to. Only a path that does not exist yet becomes a new ledger.
    """
    from brigade_desk.core import server

    if server.is_server_url(path):
        return _open_server(str(path), run_migrations=run_migrations)
    path = Path(path)
    check_database_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnavailableError(f"无法创建数据库所在文件夹 {path.parent}：{exc}") from exc
    try:
        if run_migrations:
            migrate(path)
        engine = _make_engine(path)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except BaseException:
            engine.dispose()
            raise
    except DBAPIError as exc:
        raise _unusable(path, exc) from exc
    factory = sessionmaker(engine, expire_on_commit=False)
    audit.install(factory)
    return Database(path=path, engine=engine, session_factory=factory)


def _open_server(value: str, *, run_migrations: bool) -> Database:
    """A ledger on a PostgreSQL server (core.server): migrated, audited, no file lock."""
    from brigade_desk.core import paths, server

    url = server.server_url(value)
    engine = server.make_engine(url)
    try:
        if run_migrations:
            _migrate_server(engine, url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        engine.dispose()
        raise server.translate_error(exc, url) or exc from exc
    except BaseException:
        engine.dispose()
        raise
    home = server.home_dir(url, paths.data_dir())
    from brigade_desk.core import anchor

    anchor.SERVER_HOMES[engine] = str(home / "ledger")
    factory = sessionmaker(engine, expire_on_commit=False)
    audit.install(factory)
    return Database(path=home / "ledger", engine=engine, session_factory=factory)


def _migrate_server(engine: Engine, url: URL) -> list[str]:
    """Bring the server database to the newest schema, in one transaction under an advisory lock.
    A schema newer than this program is refused untouched."""
    from brigade_desk.core import server

    script = _script()
    head = migration_chain(script)[-1]
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({server.MIGRATION_LOCK})")
            current = set(MigrationContext.configure(conn).get_current_heads())
            for rev in current:
                try:
                    known = script.get_revision(rev)
                except Exception:  # noqa: BLE001 - an id this program does not have
                    known = None
                if known is None:
                    raise SchemaTooNewError(
                        f"{server.describe(url)}由更新版本的 Brigade Desk 建立（结构版本 {rev}），"
                        "本程序不认识该版本，为避免损坏数据已拒绝打开。请升级本机的程序后再打开。"
                    )
            if current != {head}:
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                _record_migration_rows(conn)
            conn.commit()
            return [head]
    except DBAPIError as exc:
        raise server.translate_error(exc, url) or exc from exc
