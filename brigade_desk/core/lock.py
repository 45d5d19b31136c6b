"""One running program per database: an OS file lock on ``<db>.lock`` held for the process's life.

The operating system drops the lock when the process dies, so a crash never leaves a stale lock;
the file's text (who, where, since when) only serves the message shown to a second start.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
from pathlib import Path
from typing import IO

from brigade_desk.core.audit import os_user
from brigade_desk.core.errors import MOVE_ADVICE, UserError, access_problem, describe_os_error

_LOCK_OFFSET = 1 << 20  # lock a byte far past the text so the text stays readable on Windows


OPEN_ADVICE = "请先关闭那里的 Brigade Desk，再打开"


class DatabaseLock:
    """``advice`` ends the message shown when somebody else holds the lock (what to do about it)."""

    def __init__(self, db_path: Path, *, advice: str = OPEN_ADVICE) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self.advice = advice
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        try:
            fh = open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            raise UserError(_lock_file_message(exc, self.path)) from exc
        if not _try_lock(fh):
            fh.seek(0)
            holder = fh.read()
            fh.close()
            raise UserError(_held_message(holder, self.path, self.advice))
        fh.seek(0)
        fh.truncate()
        fh.write(
            json.dumps(
                {
                    "user": os_user(),
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "since": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
                },
                ensure_ascii=False,
            )
        )
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            try:
                _unlock(self._fh)
            finally:
                self._fh.close()
                self._fh = None

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _lock_file_message(exc: OSError, lock_path: Path) -> str:
    """The lock file beside the database could not be created: a read-only folder or disk, no
    permission, a missing folder — said about the database, with the way out."""
    import errno

    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        db = lock_path.with_name(lock_path.name.removesuffix(".lock"))
        why = access_problem(db) or f"不能在文件夹 {lock_path.parent} 中创建文件"
        return (
            f"无法使用数据库文件 {db}：{why}，程序无法在旁边建立锁文件 {lock_path.name}，"
            f"因此没有写入任何内容。{MOVE_ADVICE}"
        )
    return describe_os_error(exc, lock_path)


def _held_message(text: str, path: Path, advice: str = OPEN_ADVICE) -> str:
    try:
        info = json.loads(text)
        who = f"{info.get('user', '?')} 在计算机 {info.get('host', '?')} 上（进程 {info.get('pid', '?')}，{info.get('since', '?')} 启动）"
    except ValueError:
        who = "另一个程序"
    return f"该数据库正被 {who} 使用。{advice}。（锁文件：{path}）"


if sys.platform == "win32":  # (not os.name: mypy checks only the branch of its platform)
    import msvcrt

    def _try_lock(fh: IO[str]) -> bool:
        try:
            fh.seek(_LOCK_OFFSET)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fh: IO[str]) -> None:
        try:
            fh.seek(_LOCK_OFFSET)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        except OSError:
            pass

else:
    import fcntl

    def _try_lock(fh: IO[str]) -> bool:
        try:
            fcntl.lockf(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _LOCK_OFFSET)
            return True
        except OSError:
            return False

    def _unlock(fh: IO[str]) -> None:
        try:
            fcntl.lockf(fh.fileno(), fcntl.LOCK_UN, 1, _LOCK_OFFSET)
        except OSError:
            pass
