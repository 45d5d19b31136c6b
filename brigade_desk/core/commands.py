"""What every command of the command line shares: opening the database for reading or writing
(with the program's lock), JSON output, date and period arguments. The commands themselves live with
their ledger (``ledgers/<name>/cli.py``) or in ``app/cli.py``; this module knows no ledger."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from brigade_desk.core import paths
from brigade_desk.core.errors import UserError
from brigade_desk.core.period import Period


def parse_date(s: str) -> dt.date:
    """An argparse ``type`` for YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{s}") from None


def require_year(args: argparse.Namespace) -> int:
    if not getattr(args, "year", None):
        raise UserError("请用 --year 指定年度")
    return int(args.year)


def period_from(args: argparse.Namespace) -> Period | None:
    """The period ``--year [--quarter Q | --month M]`` names, or None without ``--year``."""
    if not getattr(args, "year", None):
        return None
    return Period(int(args.year), getattr(args, "quarter", None), getattr(args, "month", None))


def emit_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def db_path(args: argparse.Namespace) -> Path:
    """The database file (a command that needs a file: backups); a server address is refused."""
    target = db_target(args)
    if isinstance(target, str):
        from brigade_desk.core.dburl import redacted

        raise UserError(
            f"此操作只适用于本机的数据库文件，不适用于数据库服务器（{redacted(target)}）。"
        )
    return target


def db_target(args: argparse.Namespace) -> Path | str:
    """The ledger: a file's path or a server's address (core.server)."""
    return paths.resolve_db_target(getattr(args, "db", None))


def open_db(args: argparse.Namespace) -> Any:
    """The database for a command that only reads (see :func:`writing` for one that writes)."""
    from brigade_desk.core.db import open_database

    return open_database(db_target(args))


# what to do when the lock is held: by the GUI (open all day) or by another writing command
WRITE_ADVICE = "请先关闭那里的 Brigade Desk（或等那里的命令运行完），再运行此命令"


def write_lock(args: argparse.Namespace) -> AbstractContextManager[Any]:
    """The program's lock on the database (``brigade_desk.core.lock``) for a command's writes. The GUI
    holds it as long as it is open, so a writing command is refused at once, with who holds it,
    instead of writing under a GUI whose pages and caches would not know."""
    from brigade_desk.core.lock import DatabaseLock

    target = db_target(args)
    if isinstance(target, str):  # a server: several clients at once, each write a transaction
        return nullcontext()
    path = target
    try:  # the lock file lies beside the database: a new database's folder first (as the GUI does)
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # acquiring says what is wrong
    return DatabaseLock(path, advice=WRITE_ADVICE)


@contextmanager
def writing(args: argparse.Namespace, *, writes: bool = True) -> Iterator[Any]:
    """The open database for a command that writes, with :func:`write_lock` held until it is
    closed. ``writes=False`` when this run of the command only reads (``deadlines`` without
    ``--done``): no lock then, so it runs beside the GUI."""
    with write_lock(args) if writes else nullcontext():
        db = open_db(args)
        try:
            yield db
        finally:
            db.close()
