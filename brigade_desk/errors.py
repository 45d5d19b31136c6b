"""Errors the clerk can act on, as opposed to bugs.

Everything derived from :class:`UserError` carries a Chinese message meant for the clerk (the file,
the row, what to do). Anything else that escapes is a bug and goes to the crash dialog / log.
"""

from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """An error caused by the environment or by input, with a message for the clerk."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(UserError):
    """One or more fields of a record are wrong. ``fields`` maps field name → Chinese message."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__("；".join(self.fields.values()))


class SchemaTooNewError(UserError):
    pass


class DatabaseUnavailableError(UserError):
    pass


class Cancelled(Exception):
    """Raised inside background work when the clerk pressed 取消."""


@dataclass(frozen=True)
class RowError:
    """A problem in an input file, named as the clerk sees it in Excel."""

    sheet: str
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f"工作表「{self.sheet}」第 {self.row} 行" if self.row else f"工作表「{self.sheet}」"
        col = f"「{self.column}」列" if self.column else ""
        return f"{where}{col}：{self.message}"


def describe_os_error(exc: OSError, path: object) -> str:
    """Turn a disk error into a sentence the clerk can act on."""
    import errno

    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC:
        return f"磁盘空间不足，无法写入 {path}。请清理磁盘后重试，已保存的数据未受影响。"
    if code in (errno.EACCES, errno.EPERM):
        return f"没有权限写入 {path}（文件可能被 Excel 等程序打开，或文件夹只读）。请关闭该文件后重试。"
    if code == errno.ENOENT:
        return f"找不到文件或文件夹：{path}"
    if code == errno.EROFS:
        return f"{path} 所在的磁盘是只读的。"
    return f"读写 {path} 时出错：{exc.strerror or exc}"


def translate_db_error(exc: BaseException) -> UserError | None:
    """A SQLite failure the clerk can act on, as a Chinese message; None when it is a bug."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    if "database is locked" in text or "database table is locked" in text:
        return UserError("数据库正忙（另一个程序正在写入）。请稍后重试；如果一直这样，请关闭其他正在使用该数据库的 Brigade Desk。")
    if "readonly" in text or "read-only" in text:
        return UserError("数据库文件是只读的（可能在只读U盘、光盘或没有写权限的文件夹中）。请把它复制到本机硬盘后再打开。本次修改未保存。")
    if "disk is full" in text or "database or disk is full" in text:
        return UserError("磁盘已满，本次修改未保存（之前保存的数据没有丢失）。请清理磁盘空间后重试。")
    if "disk i/o error" in text:
        return UserError("读写磁盘出错（磁盘可能已满、被拔出或损坏），本次修改未保存。请检查磁盘后重试。")
    if "malformed" in text or "not a database" in text:
        return UserError("数据库文件已损坏。请用“文件 → 备份与恢复”从最近的备份恢复。")
    if "unable to open database" in text:
        return UserError("无法打开数据库文件（文件夹不存在、没有权限或磁盘不可用）。")
    return None
