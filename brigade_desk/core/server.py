"""The ledger on a PostgreSQL server (issue 18): one office database for several clerks' PCs.

``--db postgresql://user@host:port/dbname`` (or ``BRIGADE_DESK_DB``) opens the same program on a
server instead of a SQLite file. What differs from a file lives here:

- the engine: psycopg 3, a connection checked before use (``pool_pre_ping``: a server restarted or
  a network dropped between two clicks costs a reconnect, not an error), a connect timeout, the
  program's name and the PC in ``application_name`` (seen in ``pg_stat_activity``);
- the errors: by SQLSTATE (wrong password, no such database, server down, disk full, a deadlock or a
  serialization failure …) as Chinese messages naming the server, never the password;
- migrations: the same Alembic chain (the revisions branch on the dialect where SQLite and
  PostgreSQL differ: the audit trail's append-only triggers, the AV search index), in one
  transaction (PostgreSQL's DDL is transactional, so a failed upgrade leaves the schema as it was)
  under an advisory lock, so two PCs starting a new program at once do not both upgrade;
- a local home folder per server database on this PC (``servers/<host>_<port>_<db>`` under the
  user data folder) for what the program keeps beside a SQLite file: the audit anchors, logs.

No file lock: several programs use one server database at once; each write is a short transaction.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from brigade_desk.core.dburl import SCHEMES, is_server_url, redacted
from brigade_desk.core.errors import DatabaseUnavailableError, UserError

__all__ = ["SCHEMES", "is_server_url", "redacted"]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5
# pg_advisory_xact_lock key: "BDMG" — one upgrade at a time per server database
MIGRATION_LOCK = 0x42444D47


def server_url(value: str) -> URL:
    """The URL for SQLAlchemy (driver psycopg), or a Chinese message saying what is wrong with it."""
    try:
        url = make_url(value.strip())
    except ArgumentError as exc:
        raise UserError(
            f"数据库地址“{redacted(value)}”的格式不对。应写作 "
            "postgresql://用户名@服务器:端口/数据库名（例如 postgresql://clerk@192.168.1.10:5432/brigade）。"
        ) from exc
    if not url.database:
        raise UserError(f"数据库地址“{redacted(value)}”没有写数据库名（地址最后的 /数据库名）。")
    return url.set(drivername="postgresql+psycopg")


def describe(url: URL) -> str:
    """ "PostgreSQL 数据库 brigade（192.168.1.10:5432）" — how messages name the ledger."""
    where = f"{url.host or '本机'}:{url.port or 5432}"
    return f"PostgreSQL 数据库 {url.database}（{where}）"


def home_dir(url: URL, data_dir: Path) -> Path:
    """This PC's folder for a server database: anchors, and what else the program keeps beside a
    ledger. Named by host, port and database (characters a file name cannot hold replaced)."""
    raw = f"{url.host or 'localhost'}_{url.port or 5432}_{url.database}"
    return data_dir / "servers" / re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", raw)


def client_name() -> str:
    """The PC and OS user, shown in the server's activity list and recorded with each change."""
    try:
        host = socket.gethostname()
    except OSError:
        host = "?"
    user = os.environ.get("USERNAME") or os.environ.get("USER") or "?"
    return f"brigade-desk {user}@{host}"[:63]


def make_engine(url: URL) -> Engine:
    engine = create_engine(
        url,
        future=True,
        pool_pre_ping=True,
        json_serializer=lambda o: json.dumps(o, ensure_ascii=False),
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": client_name(),
        },
    )

    @event.listens_for(engine, "handle_error")
    def _on_error(ctx: Any) -> None:
        if ctx.is_pre_ping:  # a pooled connection found dead before use: SQLAlchemy reconnects
            return
        exc = ctx.original_exception
        user = translate_error(exc, url)
        if user is not None:
            log.info("%s: %s", describe(url), exc)
            raise user from exc

    return engine


# SQLSTATE classes and codes the clerk can do something about (or must be told are not his fault)
def translate_error(exc: BaseException, url: URL) -> UserError | None:
    """A server failure as the clerk's Chinese message; None when it is a bug of the program."""
    if isinstance(exc, UserError):
        return exc
    state = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None)
    state = state or _connect_state(exc)
    name = describe(url)
    user = url.username or "（未写用户名）"
    if state in ("28P01", "28000"):
        return DatabaseUnavailableError(
            f"无法登录{name}：用户名 {user} 或密码不对，或服务器不允许本机连接。"
            "请向管理服务器的同事确认用户名、密码和访问权限。"
        )
    if state == "3D000":
        return DatabaseUnavailableError(
            f"服务器上没有数据库 {url.database}。请核对地址中的数据库名，"
            "或请管理员按说明（README“多台电脑共用：PostgreSQL”）先建立数据库。"
        )
    if state == "42501":
        return DatabaseUnavailableError(
            f"用户 {user} 在{name}上没有进行这项操作的权限，本次操作没有完成，数据没有被改动。"
        )
    if state == "53300":
        return DatabaseUnavailableError(
            f"{name}的连接数已满（同时使用的电脑或程序太多），请稍后重试，或请管理员调高连接上限。"
        )
    if state in ("53100",):
        return DatabaseUnavailableError(
            f"{name}所在服务器的磁盘已满，本次修改未保存（之前保存的数据没有丢失）。请联系管理员。"
        )
    if state in ("40001", "40P01"):
        return DatabaseUnavailableError(
            f"另一台电脑同时在修改{name}中的相同数据，本次操作已撤回，没有写入任何内容。请重试。"
        )
    if state.startswith("08") or state in ("57P01", "57P02", "57P03"):
        return DatabaseUnavailableError(
            f"与{name}的连接中断（服务器重启、关闭或网络断开），本次操作没有完成，没有写入任何内容。"
            "请检查网络后重试，程序会自动重新连接。"
        )
    if isinstance(exc, DBAPIError):
        exc = exc.orig or exc
    import psycopg

    if isinstance(exc, psycopg.OperationalError) and not state:
        # no SQLSTATE: the server never answered (refused, unknown host, timeout)
        return DatabaseUnavailableError(
            f"无法连接到{name}：{_why(exc)}。请确认服务器已开机、数据库服务在运行、网络畅通，"
            "以及地址和端口正确。"
        )
    return None


def _connect_state(exc: BaseException) -> str:
    """The SQLSTATE of a refused connection, which libpq gives only as the server's text (English
    or, on a server set up in Chinese, Chinese)."""
    text = str(getattr(exc, "orig", None) or exc)
    if "FATAL" not in text and "致命错误" not in text:
        return ""
    low = text.lower()
    if "password authentication failed" in low or "密码认证失败" in text:
        return "28P01"
    if "pg_hba.conf" in low or ("role" in low and "does not exist" in low) or "角色" in text:
        return "28000"
    if ("database" in low and "does not exist" in low) or ("数据库" in text and "不存在" in text):
        return "3D000"
    if "too many" in low or "过多" in text:
        return "53300"
    return ""


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    if "refused" in first.lower():
        return "服务器拒绝连接（数据库服务可能没有运行）"
    if "timeout" in first.lower() or "timed out" in first.lower():
        return f"{CONNECT_TIMEOUT_S} 秒内没有回应"
    if "could not translate host name" in first.lower() or "name or service" in first.lower():
        return "找不到这个服务器名称"
    return redacted(first)
