"""Backups and restores of a ledger on a PostgreSQL server (issue 18).

Backup (``brigade-desk backup --db postgresql://…``, the GUI's 立即备份, the daily backup): into this
PC's folder for the server database (``servers/<host>_<port>_<db>/backups``, core.server.home_dir),
one verified file of one of two kinds —

- ``….dump``: ``pg_dump --format=custom``, when PostgreSQL's client programs are found (the folder
  ``BRIGADE_DESK_PG_BIN`` names, else ``PATH`` and, on Windows, ``C:\\Program Files\\PostgreSQL\\<版本>\\bin``)
  and pg_dump is not older than the server (an older pg_dump refuses a newer server). The server's
  own format: it holds the schema as the server has it (triggers, sequences, privileges) and the
  administrator can restore it with the standard tools. Verified with ``pg_restore --list`` (the file
  reads whole and holds the audit trail's data) and by counting the audit entries in it.
- ``….sqlite``: otherwise, the program's own consistent export (core.copydb: one snapshot of every
  table, row counts compared, the audit trail verified) — a ledger file any copy of the program opens.

One kind per backup, not both: each is complete and verified by itself, and a second copy of the
same moment would double the time and the disk for nothing; the SQLite kind can still be asked for
(``--format sqlite``, e.g. to take the ledger to a PC without the server).

pg_dump reads the snapshot of a transaction the program holds open (``pg_export_snapshot``), so the
audit head anchored for the backup (core.anchor, the manifest beside it) is exactly the dump's.

Restore (``brigade-desk restore --db postgresql://… FILE``): from either kind, into that database.
A database holding data is replaced only when asked (``replace``), and then only after a backup of
what it holds (``pre-restore``); the replacement is one transaction (pg_restore
``--single-transaction``, or copy-db's), so a failure leaves the database as it was. Afterwards the
chain continues from the restored head (a ``restore`` anchor) and the audit trail is verified.

The password travels in ``PGPASSWORD`` (never on a command line), the programs run without a
console window on Windows, under a timeout, and what they print on failure is said in Chinese.
"""

from __future__ import annotations

import datetime as dt
import locale
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from brigade_desk.core import anchor, audit, backup, paths, server
from brigade_desk.core.errors import SchemaTooNewError, UserError
from brigade_desk.core.progress import NULL, Progress

log = logging.getLogger(__name__)

PG_BIN_ENV = "BRIGADE_DESK_PG_BIN"
DUMP_SUFFIX = ".dump"
DUMP_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
VERSION_TIMEOUT_S = 20
DUMP_TIMEOUT_S = 2 * 60 * 60  # a ten-year ledger dumps in minutes; a stuck network ends here
RESTORE_TIMEOUT_S = 2 * 60 * 60
LOCK_TIMEOUT_MS = 30_000  # a restore waits this long for other clients' transactions
POLL_S = 0.2
FORMATS = ("auto", "pg_dump", "sqlite")


# ---- finding PostgreSQL's client programs ---------------------------------------------------


@dataclass(frozen=True)
class Tools:
    """pg_dump and pg_restore in one folder, and their version."""

    folder: Path
    version: tuple[int, int]  # the major version: (15, 0); before PostgreSQL 10 (9, 6)
    text: str  # "15.18"

    def exe(self, name: str) -> str:
        return str(self.folder / _exe_name(name))


def _exe_name(name: str) -> str:
    return name + (".exe" if os.name == "nt" else "")


def search_dirs() -> list[Path]:
    """Where pg_dump is looked for: the folder ``BRIGADE_DESK_PG_BIN`` names (and only it, when
    set), else the folder of the pg_dump on ``PATH`` and PostgreSQL's installation folders on
    Windows."""
    named = os.environ.get(PG_BIN_ENV, "").strip()
    if named:
        return [Path(named)]
    out: list[Path] = []
    found = shutil.which("pg_dump")
    if found:
        out.append(Path(found).parent)
    if os.name == "nt":
        for var in ("ProgramW6432", "ProgramFiles", "ProgramFiles(x86)"):
            base = os.environ.get(var)
            if base:
                out.extend(Path(base, "PostgreSQL").glob("*/bin"))
    seen: set[str] = set()
    unique = []
    for d in out:
        key = os.path.normcase(str(d))
        if key not in seen:
            seen.add(key)
            unique.append(d)
    return unique


def major_of(text: str) -> tuple[int, int] | None:
    """ "pg_dump (PostgreSQL) 15.18 (Debian …)" → (15, 0); "9.6.24" → (9, 6)."""
    m = re.search(r"(\d+)(?:\.(\d+))?", text.split(")", 1)[-1] if ")" in text else text)
    if not m:
        return None
    major = int(m.group(1))
    return (major, 0) if major >= 10 else (major, int(m.group(2) or 0))


def server_major(num: int) -> tuple[int, int]:
    """``SHOW server_version_num`` (150018) → (15, 0); 90624 → (9, 6)."""
    return (num // 10000, 0) if num >= 100000 else (num // 10000, (num // 100) % 100)


def _version_text(v: tuple[int, int]) -> str:
    return str(v[0]) if v[0] >= 10 else f"{v[0]}.{v[1]}"


def _tool_version(exe: Path) -> tuple[tuple[int, int], str] | None:
    try:
        r = subprocess.run(
            [str(exe), "--version"],
            capture_output=True,
            timeout=VERSION_TIMEOUT_S,
            check=False,
            creationflags=_NO_WINDOW,
            env=_base_env(),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("%s --version: %s", exe, exc)
        return None
    text = _decode(r.stdout).strip()
    v = major_of(text)
    if r.returncode or v is None:
        return None
    m = re.search(r"\d+(\.\d+)*", text.split(")", 1)[-1])
    return v, (m.group(0) if m else _version_text(v))


def find_tools() -> tuple[Tools | None, str]:
    """The newest pg_dump found that has a pg_restore beside it, or None and why (Chinese)."""
    best: Tools | None = None
    for d in search_dirs():
        dump, rest = d / _exe_name("pg_dump"), d / _exe_name("pg_restore")
        if not (dump.is_file() and rest.is_file()):
            continue
        got = _tool_version(dump)
        if got is not None and (best is None or got[0] > best.version):
            best = Tools(d, got[0], got[1])
    if best is not None:
        return best, ""
    named = os.environ.get(PG_BIN_ENV, "").strip()
    where = (
        f"环境变量 {PG_BIN_ENV} 指定的文件夹 {named} 中没有可用的 pg_dump 和 pg_restore"
        if named
        else "本机没有找到 PostgreSQL 的客户端程序 pg_dump 和 pg_restore"
    )
    return None, where


# ---- running them ----------------------------------------------------------------------------

_NO_WINDOW = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # Windows: no console window flashes


def _base_env() -> dict[str, str]:
    env = dict(os.environ)
    env["LC_MESSAGES"] = (
        "C"  # messages in English, so that they can be recognised and said in Chinese
    )
    return env


def _env(url: URL) -> dict[str, str]:
    env = _base_env()
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    env["PGCONNECT_TIMEOUT"] = str(server.CONNECT_TIMEOUT_S)
    env["PGAPPNAME"] = server.client_name()
    return env


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def conninfo(url: URL) -> str:
    """The libpq connection string for ``url``, without the password."""
    parts = {
        "host": url.host or "",
        "port": str(url.port or ""),
        "user": url.username or "",
        "dbname": url.database or "",
    }
    for k, v in url.query.items():
        if k not in parts and k != "password":
            parts[k] = v if isinstance(v, str) else v[-1]
    return " ".join(f"{k}={_quote(v)}" for k, v in parts.items() if v)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(locale.getpreferredencoding(False) or "utf-8", errors="replace")


def _spawn(
    cmd: list[str], env: dict[str, str], stdout: int, err: IO[bytes]
) -> subprocess.Popen[bytes]:
    """Start one of PostgreSQL's programs: nothing on its stdin, no console window on Windows,
    stderr into ``err``; said in Chinese when it cannot be run at all."""
    try:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=err,
            env=env,
            creationflags=_NO_WINDOW,
        )
    except OSError as exc:
        raise UserError(f"无法运行 {Path(cmd[0]).name}：{exc}") from exc


def _run(
    cmd: list[str],
    env: dict[str, str],
    *,
    timeout: float,
    progress: Progress,
    what: str,
    tick: Any = None,
) -> tuple[int, str]:
    """Run ``cmd`` to its end (or its timeout, or 取消), returning its exit code and stderr."""
    with tempfile.TemporaryFile() as err:
        p = _spawn(cmd, env, subprocess.DEVNULL, err)
        start = time.monotonic()
        try:
            while p.poll() is None:
                if time.monotonic() - start > timeout:
                    raise UserError(
                        f"{what}超过 {timeout / 60:.0f} 分钟仍未完成，已中止（服务器或网络可能没有回应）。"
                    )
                progress.update(0, 0, tick() if tick else "")
                time.sleep(POLL_S)
        except BaseException:  # 取消, the timeout: the program is ended, nothing kept
            p.kill()
            p.wait()
            raise
        err.seek(0)
        return p.returncode, _decode(err.read())


def explain(tool: str, stderr: str, url: URL | None = None) -> str:
    """What pg_dump / pg_restore printed on failure, in Chinese (the password never appears)."""
    name = server.describe(url) if url is not None else "服务器"
    low = stderr.lower()
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower() or "fatal" in ln.lower()]
    first = server.redacted((errors or lines or [""])[0])[:300]
    if "password authentication failed" in low or "no password supplied" in low:
        user = url.username if url is not None and url.username else "（未写用户名）"
        return f"无法登录{name}：用户名 {user} 或密码不对。请核对数据库地址中的用户名和密码。"
    if "server version mismatch" in low:
        return (
            f"本机的 {tool} 比{name}的版本旧，不能用它备份（{first}）。"
            "请安装与服务器相同或更新版本的 PostgreSQL 客户端程序，或改用本程序的数据库文件备份。"
        )
    if "unsupported version" in low and "file header" in low:
        return (
            f"这个 pg_dump 备份文件由更新版本的 pg_dump 制作，本机的 {tool} 太旧，读不了它。"
            "请安装更新版本的 PostgreSQL 客户端程序。"
        )
    if "does not appear to be a valid archive" in low or "did not find magic string" in low:
        return "这个文件不是完整的 pg_dump 备份文件（可能已损坏或没有写完），不能用于恢复。"
    if "pg_hba.conf" in low:
        return f"{name}不允许本机连接（服务器的访问设置 pg_hba.conf）。请联系管理服务器的同事。"
    if "database" in low and "does not exist" in low:
        db = url.database if url is not None else ""
        return f"服务器上没有数据库 {db}。请核对地址中的数据库名。"
    if "lock timeout" in low or "canceling statement due to lock" in low:
        return (
            f"其他电脑正在使用{name}，{LOCK_TIMEOUT_MS // 1000} 秒内没有等到，恢复没有进行，数据没有改动。"
            "请让其他电脑先关闭程序，再重试。"
        )
    if "permission denied" in low or "must be owner" in low:
        return f"数据库用户在{name}上没有进行这项操作的权限（{first}），数据没有改动。"
    if "no space left" in low or "could not write" in low or "could not open output" in low:
        return f"{tool} 无法写入文件（磁盘已满或没有权限）：{first}"
    if (
        "could not connect" in low
        or "connection refused" in low
        or "timeout expired" in low
        or "could not translate host name" in low
        or "connection to server" in low
    ):
        return f"无法连接到{name}：服务器可能没有开机、数据库服务没有运行或网络不通。请检查后重试。"
    return f"{tool} 未能完成：{first or '没有说明原因'}"


# ---- backup ----------------------------------------------------------------------------------


@dataclass
class ServerBackup:
    path: Path
    format: str  # "pg_dump" or "sqlite"
    server: str  # how messages name the database
    size: int = 0
    audit_entries: int = 0
    rows: int = 0  # sqlite: rows copied
    tools: str = ""  # pg_dump: its version
    note: str = ""  # sqlite made in place of pg_dump: why

    @property
    def text_zh(self) -> str:
        kb = f"{self.size / 1024:,.0f} KB"
        if self.format == "pg_dump":
            return (
                f"已用 pg_dump {self.tools} 把{self.server}备份到本机文件：{self.path}"
                f"（{kb}，pg_dump 格式，pg_restore 核对通过，含审计记录 {self.audit_entries} 条）。"
            )
        why = f"未用 pg_dump：{self.note}。" if self.note else ""
        return (
            f"已把{self.server}备份为本程序的数据库文件：{self.path}（{kb}，{self.rows} 行，"
            f"审计记录核对通过，{self.audit_entries} 条）。{why}"
        )


def server_home(url: URL) -> Path:
    return server.home_dir(url, paths.data_dir())


def backup_folder(url_text: str) -> Path:
    """This PC's backup folder for the server database ``url_text``."""
    return server_home(server.server_url(url_text)) / "backups"


def _ledger_key(url: URL) -> Path:
    """What the audit anchors of the server database are kept under (core.db: ``home/ledger``)."""
    return server_home(url) / "ledger"


def _new_name(folder: Path, kind: str, suffix: str, now: dt.datetime) -> Path:
    stem = f"brigade_desk-{now:%Y%m%d-%H%M%S}-{kind}"
    out, n = folder / f"{stem}{suffix}", 1
    while out.exists():
        n += 1
        out = folder / f"{stem}-{n}{suffix}"
    return out


def backup_server(
    url_text: str,
    *,
    kind: str = "manual",
    out: Path | None = None,
    fmt: str = "auto",
    progress: Progress = NULL,
    now: dt.datetime | None = None,
) -> ServerBackup:
    """Back the server database up into a verified file (see the module's docstring)."""
    from brigade_desk.core.db import open_database

    if fmt not in FORMATS:
        raise UserError(f"备份格式只能是 {'、'.join(FORMATS)}。")
    url = server.server_url(url_text)
    if out is not None and fmt == "auto" and out.suffix.lower() in (".sqlite", ".sqlite3", ".db"):
        fmt = "sqlite"  # a database file asked for by its name
    folder = out.parent if out is not None else server_home(url) / "backups"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"无法创建备份文件夹 {folder}：{exc}") from exc
    backup.clean_stale_parts(folder)
    progress.update(0, 0, "正在连接服务器…")
    db = open_database(url_text)  # reachable, logged in, a schema this program knows
    try:
        tools, why = (None, "") if fmt == "sqlite" else find_tools()
        if tools is not None:
            with db.engine.connect() as c:
                num = int(c.exec_driver_sql("SHOW server_version_num").scalar() or 0)
            have = server_major(num)
            if tools.version < have:
                why = (
                    f"本机的 pg_dump 版本 {tools.text}（{tools.folder}）比服务器的 PostgreSQL "
                    f"{_version_text(have)} 旧"
                )
                tools = None
        if tools is None and fmt == "pg_dump":
            raise UserError(f"无法用 pg_dump 备份：{why}。")
        now = now or dt.datetime.now()
        if tools is not None:
            target = out or _new_name(folder, kind, DUMP_SUFFIX, now)
            try:
                return _dump(db, url, tools, target, progress)
            except UserError as exc:  # (取消 is not a UserError: it ends the backup)
                if fmt == "pg_dump":
                    raise
                # auto: a backup is still made, the program's own, and the reason is said
                log.warning("pg_dump backup failed, copying instead: %s", exc.message)
                why = f"pg_dump 没有成功（{exc.message}）"
        target = out or _new_name(folder, kind, ".sqlite", now)
        res = _copy(url_text, url, target, progress)
        res.note = why
        return res
    finally:
        db.close()


def _dump(db: Any, url: URL, tools: Tools, out: Path, progress: Progress) -> ServerBackup:
    tmp = out.with_name(out.name + ".part")
    try:
        with db.engine.connect() as c:
            c = c.execution_options(isolation_level="REPEATABLE READ")
            with c.begin():  # pg_dump reads this transaction's snapshot: the head below is its
                snap = str(c.exec_driver_sql("SELECT pg_export_snapshot()").scalar())
                count = int(c.exec_driver_sql("SELECT count(*) FROM audit_log").scalar() or 0)
                head = c.exec_driver_sql(
                    "SELECT id, hash, at FROM audit_log ORDER BY id DESC LIMIT 1"
                ).first()
                cmd = [
                    tools.exe("pg_dump"),
                    "--format=custom",
                    f"--file={tmp}",
                    f"--snapshot={snap}",
                    "--no-password",
                    f"--dbname={conninfo(url)}",
                ]

                def written() -> str:
                    try:
                        return f"正在用 pg_dump 备份…已写入 {tmp.stat().st_size / 1024:,.0f} KB"
                    except OSError:
                        return "正在用 pg_dump 备份…"

                code, err = _run(
                    cmd,
                    _env(url),
                    timeout=DUMP_TIMEOUT_S,
                    progress=progress,
                    what="pg_dump 备份",
                    tick=written,
                )
                if code:
                    log.warning("pg_dump failed (%s): %s", code, server.redacted(err))
                    raise UserError(f"备份没有完成：{explain('pg_dump', err, url)}")
        progress.update(0, 0, "正在核对备份文件…")
        info = inspect_dump(tools, tmp, progress)
        if info.audit_rows != count:
            raise UserError(
                f"备份文件核对未通过：其中有审计记录 {info.audit_rows} 条，服务器上为 {count} 条。已放弃该备份。"
            )
        tmp.replace(out)
    except BaseException:
        try:  # (on Windows a program just ended may hold the file a moment: then it stays as
            tmp.unlink(missing_ok=True)  # a .part, which the next backup removes when stale)
        except OSError:
            pass
        raise
    res = ServerBackup(
        out, "pg_dump", server.describe(url), out.stat().st_size, count, tools=tools.text
    )
    try:  # the dump's head, outside the database (as core.anchor.note_backup for a file)
        a = anchor.Anchor(
            int(head[0]) if head else 0,
            str(head[1]) if head else "",
            anchor._now(),
            "backup",
            str(_ledger_key(url).absolute().resolve()),
            _at(head[2]) if head else "",
            str(out),
        )
        from brigade_desk.core.atomic import write_atomic

        def write(t: Path) -> None:
            t.write_text(a.to_json() + "\n", encoding="utf-8")

        write_atomic(out.with_name(out.name + anchor.MANIFEST_SUFFIX), write)
        anchor.append(_ledger_key(url), a)
    except (OSError, UserError) as exc:  # the backup itself is good
        log.warning("backup anchor not written for %s: %s", out, exc)
    return res


def _at(value: object) -> str:
    text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
    return text.split(".")[0]


def _copy(url_text: str, url: URL, out: Path, progress: Progress) -> ServerBackup:
    from brigade_desk.core.copydb import copy_database

    tmp = out.with_name(out.name + ".part")

    def step(table: str, done: int, total: int) -> None:
        progress.update(done, total, f"正在复制 {table}…")

    try:
        _unlink_sqlite(tmp)
        res = copy_database(url_text, tmp, step, anchor_target=False)
        if not res.verified:
            raise UserError(f"备份后核对未通过：{res.problem}")
        tmp.replace(out)
    except BaseException:
        _unlink_sqlite(tmp)
        raise
    _unlink_sqlite(tmp)  # (its -wal/-shm, if any were left)
    try:
        anchor.note_backup(_ledger_key(url), out)
    except (OSError, UserError) as exc:
        log.warning("backup anchor not written for %s: %s", out, exc)
    return ServerBackup(
        out,
        "sqlite",
        server.describe(url),
        out.stat().st_size,
        res.audit_entries,
        rows=sum(res.counts.values()),
    )


def _unlink_sqlite(p: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            p.with_name(p.name + suffix).unlink(missing_ok=True)
        except OSError:
            pass


def daily_backup_if_due(url_text: str, now: dt.datetime | None = None) -> ServerBackup | None:
    """This PC's daily backup of the server database (first start of the day), then rotation."""
    now = now or dt.datetime.now()
    folder = backup_folder(url_text)
    if any(b.kind == "daily" and b.when.date() == now.date() for b in backup.list_backups(folder)):
        return None
    res = backup_server(url_text, kind="daily", now=now)
    backup.rotate(folder, now.date())
    return res


# ---- reading a dump --------------------------------------------------------------------------


@dataclass
class DumpInfo:
    entries: list[str] = field(default_factory=list)  # pg_restore --list
    audit_rows: int = 0
    revisions: set[str] = field(default_factory=set)  # alembic_version in the dump


@contextmanager
def _stream(cmd: list[str], env: dict[str, str], progress: Progress) -> Iterator[IO[bytes]]:
    with tempfile.TemporaryFile() as err:
        p = _spawn(cmd, env, subprocess.PIPE, err)
        assert p.stdout is not None
        try:
            yield p.stdout
            p.stdout.close()
            p.wait(timeout=RESTORE_TIMEOUT_S)
        except BaseException:
            p.kill()
            p.wait()
            raise
        if p.returncode:
            err.seek(0)
            raise UserError(f"备份文件核对未通过：{explain('pg_restore', _decode(err.read()))}")
        progress.check()


def _table_rows(tools: Tools, file: Path, table: str, progress: Progress) -> Iterator[bytes]:
    """The rows of ``table`` in the dump, as pg_restore writes them (COPY text lines)."""
    cmd = [tools.exe("pg_restore"), "--data-only", f"--table={table}", "--file=-", str(file)]
    with _stream(cmd, _base_env(), progress) as out:
        inside = False
        n = 0
        for line in out:
            if not inside:
                inside = line.startswith(b"COPY ")
                continue
            if line.rstrip(b"\r\n") == b"\\.":
                inside = False
                continue
            n += 1
            if n % 20000 == 0:
                progress.check()
            yield line


def inspect_dump(tools: Tools, file: Path, progress: Progress = NULL) -> DumpInfo:
    """pg_restore reads the whole table of contents, the audit trail's data is in it: counted."""
    if not file.is_file():
        raise UserError(f"找不到备份文件：{file}")
    code, err = _run(
        [tools.exe("pg_restore"), "--list", str(file)],
        _base_env(),
        timeout=VERSION_TIMEOUT_S * 6,
        progress=progress,
        what="读取备份文件",
    )
    if code:
        raise UserError(f"备份文件 {file.name} 核对未通过：{explain('pg_restore', err)}")
    with tempfile.TemporaryFile() as out:
        cmd = [tools.exe("pg_restore"), "--list", "--file=-", str(file)]
        with _stream(cmd, _base_env(), progress) as so:
            shutil.copyfileobj(so, out)
        out.seek(0)
        listing = _decode(out.read()).splitlines()
    entries = [ln for ln in listing if ln and not ln.startswith(";")]
    info = DumpInfo(entries)
    if not any(re.search(r"\bTABLE DATA \S+ audit_log\b", ln) for ln in entries):
        raise UserError(
            f"备份文件 {file.name} 中没有审计记录的数据，不是 Brigade Desk 台账的完整备份。"
        )
    info.audit_rows = sum(1 for _ in _table_rows(tools, file, "audit_log", progress))
    info.revisions = {
        _decode(r).strip() for r in _table_rows(tools, file, "alembic_version", progress)
    }
    return info


# ---- restore ---------------------------------------------------------------------------------


@dataclass
class ServerRestore:
    file: Path
    format: str  # "pg_dump" or "sqlite"
    server: str
    kept: ServerBackup | None  # the pre-restore backup (None: the database was empty)
    audit: audit.VerifyResult | None = None

    @property
    def ok(self) -> bool:
        return self.audit is not None and self.audit.ok

    @property
    def text_zh(self) -> str:
        how = "pg_restore" if self.format == "pg_dump" else "本程序"
        kept = (
            f"恢复前的数据已备份到本机：{self.kept.path}。"
            if self.kept
            else "恢复前数据库是空的，没有另作备份。"
        )
        check = (
            f"审计记录核对通过（{self.audit.entries} 条）。"
            if self.audit is not None and self.audit.ok
            else f"但审计记录核对发现问题：{self.audit.problem if self.audit else '未能核对'}"
        )
        return f"已用{how}从 {self.file.name} 恢复{self.server}。{kept}{check}"


def file_format(file: Path) -> str:
    """``pg_dump`` or ``sqlite`` by the file's first bytes; anything else is refused."""
    try:
        with open(file, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError as exc:
        raise UserError(f"找不到备份文件：{file}") from exc
    except OSError as exc:
        raise UserError(f"无法读取备份文件 {file}：{exc}") from exc
    if head.startswith(DUMP_MAGIC):
        return "pg_dump"
    if head == SQLITE_MAGIC:
        return "sqlite"
    raise UserError(
        f"{file.name} 不是 Brigade Desk 的备份文件（既不是本程序的数据库文件，也不是 pg_dump 文件）。"
    )


def busy_tables(db: Any) -> list[str]:
    """The tables of the ledger holding rows (other than what the migrations fill)."""
    from sqlalchemy import func, select

    from brigade_desk.core.copydb import SEEDED, _tables

    with db.engine.connect() as c:
        return [
            t.name
            for t in _tables()
            if t.name not in SEEDED and c.execute(select(func.count()).select_from(t)).scalar()
        ]


def restore_server(
    url_text: str, file: Path, *, replace: bool = False, progress: Progress = NULL
) -> ServerRestore:
    """Replace the server database's content with the backup ``file`` (either kind)."""
    from brigade_desk.core.db import known_revisions, open_database

    url = server.server_url(url_text)
    name = server.describe(url)
    fmt = file_format(file)
    tools: Tools | None = None
    info: DumpInfo | None = None
    if fmt == "sqlite":
        from brigade_desk.core.restore import check_backup_file

        check_backup_file(file)
    else:
        tools, why = find_tools()
        if tools is None:
            raise UserError(
                f"{file.name} 是 pg_dump 备份文件，恢复它需要 pg_restore：{why}。"
                "请安装 PostgreSQL 的客户端程序（或设置 BRIGADE_DESK_PG_BIN 指向其 bin 文件夹），"
                "或改用本程序的数据库文件备份（.sqlite）恢复。"
            )
        progress.update(0, 0, "正在核对备份文件…")
        info = inspect_dump(tools, file, progress)
        unknown = info.revisions - known_revisions()
        if unknown:
            raise SchemaTooNewError(
                f"备份文件 {file.name} 由更新版本的程序创建（结构版本 {'、'.join(sorted(unknown))}），请先升级程序。"
            )
    progress.update(0, 0, "正在连接服务器…")
    db = open_database(url_text)
    try:
        busy = busy_tables(db)
        with db.engine.connect() as c:  # the schema the program keeps it at (just upgraded)
            schema = {
                str(r)
                for r in c.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
            }
        if busy and not replace:
            raise UserError(
                f"{name}中已有数据（{'、'.join(busy[:5])} 等表）。恢复会用备份替换其中的全部数据，"
                "所有电脑看到的都将是备份时的数据；确要如此，请加上 --replace"
                "（恢复前程序会先把当前数据备份到本机）。"
            )
    finally:
        db.close()
    kept = None
    if busy:
        progress.update(0, 0, "正在备份当前数据…")
        kept = backup_server(url_text, kind="pre-restore", progress=progress)
    result = ServerRestore(file, fmt, name, kept)
    if fmt == "sqlite":
        _restore_copy(url_text, url, file, progress)
    else:
        assert tools is not None and info is not None
        if info.revisions == schema:
            _restore_dump(url, tools, file, progress)
        else:  # a dump of an older program's schema: the tables it lacks must go too
            _restore_dump(url, tools, file, progress, replace_schema=True)
    progress.update(0, 0, "正在核对审计记录…")
    db = open_database(url_text)  # a dump of an older program's schema is upgraded here
    try:
        if fmt == "pg_dump":
            _note_restore(db, file)
        result.audit = audit.verify_database(db)
        # (an upgrade of an older dump's schema may add entries of its own)
        if info is not None and result.audit.ok and result.audit.entries < info.audit_rows:
            result.audit.problem = (
                f"恢复后有审计记录 {result.audit.entries} 条，备份文件中为 {info.audit_rows} 条"
            )
    finally:
        db.close()
    return result


def _note_restore(db: Any, file: Path) -> None:
    """The chain continues from the restored head: the anchors of the abandoned entries retire."""
    with db.session() as s:
        head = anchor.current(s)
    if head.db:
        anchor.append(
            head.db,
            anchor.Anchor(
                head.entries, head.head, anchor._now(), "restore", head.db, head.head_at, str(file)
            ),
        )


def _restore_copy(url_text: str, url: URL, file: Path, progress: Progress) -> None:
    from brigade_desk.core.copydb import copy_database

    def step(table: str, done: int, total: int) -> None:
        progress.update(done, total, f"正在恢复 {table}…")

    # the backup is opened (and, written by an older program, upgraded) as a copy: never itself
    with tempfile.TemporaryDirectory(prefix="brigade-restore-") as td:
        src = Path(td) / "backup.sqlite"
        try:
            shutil.copyfile(file, src)
        except OSError as exc:
            raise UserError(f"无法读取备份文件 {file}：{exc}") from exc
        try:
            res = copy_database(
                src,
                url_text,
                step,
                replace=True,
                on_committed=lambda d: _note_restore(d, file),
            )
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", "") or ""
            if state == "55P03":
                raise UserError(explain("恢复", "lock timeout", url)) from exc
            raise UserError(
                f"恢复没有完成，{server.describe(url)}中的数据没有改动：{server.redacted(str(exc.orig or exc).splitlines()[0])}"
            ) from exc
        if not res.verified:
            raise UserError(f"已恢复，但核对未通过：{res.problem}")


def _restore_dump(
    url: URL, tools: Tools, file: Path, progress: Progress, *, replace_schema: bool = False
) -> None:
    """pg_restore in one transaction. Its script sets ``lock_timeout = 0`` (waits for ever): while
    it runs, a statement of it waiting for another client's lock longer than ``LOCK_TIMEOUT_MS`` is
    cancelled from here (its own session, found by a name of its own), which rolls it all back.

    ``replace_schema`` (a dump of an older program's schema: ``--clean`` would leave the tables it
    does not know, and the upgrade afterwards would meet them): pg_restore writes its script, and
    psql runs it in one transaction after dropping every table of the program; the program then
    upgrades the restored schema when it opens the database (core.db)."""
    tag = f"brigade-desk restore {uuid.uuid4().hex[:12]}"
    env = _env(url)
    env["PGAPPNAME"] = tag
    with tempfile.TemporaryDirectory(prefix="brigade-restore-") as td:
        if replace_schema:
            cmd = _script_restore(url, tools, file, Path(td), progress)
        else:
            cmd = [
                tools.exe("pg_restore"),
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
                "--no-password",
                f"--dbname={conninfo(url)}",
                str(file),
            ]
        _restore_watched(url, cmd, env, tag, progress)


def _script_restore(
    url: URL, tools: Tools, file: Path, folder: Path, progress: Progress
) -> list[str]:
    """The psql command that drops the program's tables and runs the dump's script, as one
    transaction (the script written here first)."""
    from brigade_desk.models import Base

    psql = tools.exe("psql")
    if not Path(psql).is_file():
        raise UserError(
            f"{file.name} 是旧版本程序制作的 pg_dump 备份（数据库结构与现在不同），恢复它还需要 psql"
            f"（PostgreSQL 客户端程序，应与 pg_restore 同在 {tools.folder}）。请安装完整的客户端程序，"
            "或改用同一时期的本程序数据库文件备份（.sqlite）恢复。数据没有改动。"
        )
    script = folder / "restore.sql"
    code, err = _run(
        [tools.exe("pg_restore"), "--clean", "--if-exists", f"--file={script}", str(file)],
        _base_env(),
        timeout=RESTORE_TIMEOUT_S,
        progress=progress,
        what="读取备份文件",
    )
    if code:
        raise UserError(f"备份文件 {file.name} 读取失败：{explain('pg_restore', err, url)}")
    names = [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]
    prelude = folder / "prelude.sql"
    prelude.write_text(
        "DROP TABLE IF EXISTS "
        + ", ".join(f'public."{n}"' for n in names)
        + " CASCADE;\nDROP FUNCTION IF EXISTS public.audit_log_append_only() CASCADE;\n",
        encoding="utf-8",
    )
    return [
        psql,
        "-X",
        "-q",
        "--no-password",
        "--single-transaction",
        "-v",
        "ON_ERROR_STOP=1",
        "-f",
        str(prelude),
        "-f",
        str(script),
        "-d",
        conninfo(url),
    ]


def _restore_watched(
    url: URL, cmd: list[str], env: dict[str, str], tag: str, progress: Progress
) -> None:
    engine = server.make_engine(url)
    state = {"last": 0.0, "cancelled": 0.0}

    def watch() -> str:
        now = time.monotonic()
        if now - state["last"] >= 1.0:
            state["last"] = now
            try:
                with engine.connect() as c:
                    pids = (
                        c.exec_driver_sql(
                            "SELECT pid FROM pg_stat_activity WHERE application_name = %(tag)s"
                            " AND wait_event_type = 'Lock'"
                            " AND now() - query_start > %(ms)s * interval '1 millisecond'",
                            {"tag": tag, "ms": LOCK_TIMEOUT_MS},
                        )
                        .scalars()
                        .all()
                    )
                    for pid in pids:
                        c.exec_driver_sql("SELECT pg_cancel_backend(%(pid)s)", {"pid": pid})
                        state["cancelled"] = 1.0
            except (DBAPIError, UserError) as exc:  # pg_restore says what is wrong with the server
                log.info("watching pg_restore: %s", exc)
        return "正在用 pg_restore 恢复…"

    try:
        code, err = _run(
            cmd,
            env,
            timeout=RESTORE_TIMEOUT_S,
            progress=progress,
            what="pg_restore 恢复",
            tick=watch,
        )
    finally:
        engine.dispose()
    if code:
        log.warning("pg_restore failed (%s): %s", code, server.redacted(err))
        if state["cancelled"]:
            raise UserError(explain("pg_restore", "lock timeout", url))
        raise UserError(
            f"恢复没有完成，{server.describe(url)}中的数据没有改动（整个恢复在一个事务中）："
            f"{explain('pg_restore', err, url)}"
        )
