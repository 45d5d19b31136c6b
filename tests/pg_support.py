"""A throw-away PostgreSQL server for the tests that run on both databases (issue 18).

``BRIGADE_DESK_TEST_PG`` names a server to use (an administrator's URL, e.g.
``postgresql://postgres@127.0.0.1:5432/postgres``); without it, when this machine has PostgreSQL's
programs (Debian's ``postgresql`` package: ``/usr/lib/postgresql/*/bin``), a cluster is made in a
temporary folder, started on a free local port for the test session and removed afterwards. As root
(CI) it runs as the ``postgres`` user, since PostgreSQL refuses to run as root.

Without either the server tests are skipped — unless ``BRIGADE_DESK_TEST_REQUIRE_PG=1`` (set by
``.ci/run``), where a missing server fails the run instead of hiding it.

Each test gets a new database made from a template that already holds the migrated schema
(``CREATE DATABASE … TEMPLATE``: a file copy, tens of milliseconds).

With ``BRIGADE_DESK_TEST_DB=postgresql`` the whole suite runs on this server: ``dbtemplate.fresh_db``
(the ``db`` fixture's database) then makes its databases here too (``new_database``).
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ENV = "BRIGADE_DESK_TEST_PG"
REQUIRE_ENV = "BRIGADE_DESK_TEST_REQUIRE_PG"


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    return Path(dirs[-1]) if dirs and (Path(dirs[-1]) / "initdb").exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A PostgreSQL cluster of the test session's own."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="bd-pg-"))
        self.port = _free_port()
        self.as_postgres = hasattr(os, "geteuid") and os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> str:
        data = self.dir / "data"
        r = self._run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        if r.returncode:
            raise RuntimeError(f"initdb failed: {r.stderr or r.stdout}")
        opts = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        r = self._run(
            "pg_ctl", "-D", str(data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start"
        )
        if r.returncode:
            log = (
                (self.dir / "log").read_text(errors="replace")
                if (self.dir / "log").exists()
                else ""
            )
            raise RuntimeError(f"pg_ctl start failed: {r.stderr or r.stdout}\n{log}")
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def admin_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def with_database(url: str, name: str) -> str:
    base, _, _db = url.rpartition("/")
    return f"{base}/{name}"


_server: str | None = None
_server_error: str | None = None
_template: str | None = None
_template_pid: int | None = None


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            admin_connect(url).close()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def server_admin_url() -> str | None:
    """The administrator's URL of this process's PostgreSQL server: ``BRIGADE_DESK_TEST_PG``, or a
    throw-away cluster started on first use and stopped at exit. None without PostgreSQL here
    (``unavailable_reason()`` says why). Shared by the fixtures below and by
    ``BRIGADE_DESK_TEST_DB=postgresql`` (dbtemplate.fresh_db)."""
    global _server, _server_error
    if _server is not None or _server_error is not None:
        return _server
    url = os.environ.get(ENV, "").strip()
    if not url:
        bindir = _bin_dir()
        if bindir is None:
            _server_error = "no PostgreSQL server (set BRIGADE_DESK_TEST_PG or install postgresql)"
            return None
        cluster = Cluster(bindir)
        try:
            url = cluster.start()
        except BaseException:
            cluster.stop()
            raise
        atexit.register(cluster.stop)
    _wait_until_up(url)
    _server = url
    return url


def unavailable_reason() -> str:
    return _server_error or ""


def require_server() -> str:
    """The server's URL, or a failure (``BRIGADE_DESK_TEST_REQUIRE_PG=1``) / skip saying why not."""
    url = server_admin_url()
    if url is None:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(
                "PostgreSQL is required here (BRIGADE_DESK_TEST_REQUIRE_PG=1) but not installed"
            )
        pytest.skip(unavailable_reason())
    return url


def template_name() -> str:
    """A database holding today's migrated schema, made once per process, dropped at exit."""
    global _template, _template_pid
    if _template is None or _template_pid != os.getpid():
        from brigade_desk.core.db import open_database

        admin = require_server()
        name = f"bd_tpl_{uuid.uuid4().hex[:8]}"
        with admin_connect(admin) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        _template, _template_pid = name, os.getpid()
        atexit.register(drop_database, name)
        open_database(with_database(admin, name)).close()
    return _template


def new_database() -> str:
    """The URL of a new database copied from the migrated template (drop it with drop_database)."""
    admin = require_server()
    tpl = template_name()
    name = f"bd_t_{uuid.uuid4().hex[:10]}"
    with admin_connect(admin) as c:
        c.execute(f'CREATE DATABASE "{name}" TEMPLATE "{tpl}"')
    return with_database(admin, name)


def copy_database(url: str) -> str:
    """The URL of a new copy of the database at ``url`` (its open connections are ended)."""
    admin = require_server()
    src = url.rpartition("/")[2]
    name = f"bd_t_{uuid.uuid4().hex[:10]}"
    with admin_connect(admin) as c:
        c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (src,),
        )
        c.execute(f'CREATE DATABASE "{name}" TEMPLATE "{src}"')
    return with_database(admin, name)


def drop_database(name_or_url: str) -> None:
    admin = _server
    if admin is None:
        return
    name = name_or_url.rpartition("/")[2]
    try:
        with admin_connect(admin) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # noqa: BLE001 - at exit the server may be gone already
        pass


@pytest.fixture(scope="session")
def pg_admin() -> str:
    """An administrator's URL of a PostgreSQL server for this test session."""
    return require_server()


@pytest.fixture(scope="session")
def pg_template(pg_admin: str) -> str:
    """A database holding today's migrated schema, copied for each test."""
    return template_name()


@pytest.fixture
def pg_url(pg_admin: str, pg_template: str) -> Iterator[str]:
    """A new migrated database on the test server, dropped afterwards."""
    url = new_database()
    yield url
    drop_database(url)
