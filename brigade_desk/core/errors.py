"""Errors the clerk can act on, as opposed to bugs.

Everything derived from :class:`UserError` carries a Chinese message meant for the clerk (the file,
the row, what to do). Anything else that escapes is a bug and goes to the crash dialog / log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = f"工作表「{self.sheet}」第 {self.row} 行" if self.row else f"工作表「{self.sheet}」"
        col = f"「{self.column}」列" if self.column else ""
        return f"{where}{col}：{self.message}"


def describe_os_error(exc: OSError, path: object, *, mode: str = "write") -> str:
    """Turn a disk error into a sentence the clerk can act on.

    ``mode`` is what was being done to ``path``: "write" (the default), "read" or "access" (not
    known): a file that could not be read is never reported as one that could not be written."""
    import errno

    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"磁盘空间不足，无法写入 {path}。请清理磁盘后重试，已保存的数据未受影响。"
    if code in (errno.EACCES, errno.EPERM):
        if mode == "read":
            return (
                f"没有权限读取 {path}。请让管理员为当前用户开放该文件的读写权限，"
                "或把文件复制到自己有权限的文件夹后再打开。"
            )
        if mode == "access":
            return f"没有权限访问 {path}（文件可能被其他程序占用，或没有读写权限）。请检查后重试。"
        return f"没有权限写入 {path}（文件可能被 Excel 等程序打开，或文件夹只读）。请关闭该文件后重试。"
    if code == errno.ENOENT:
        return f"找不到文件或文件夹：{path}"
    if code == errno.EROFS:
        return f"{path} 所在的磁盘是只读的。请换一个可以写入的位置。"
    if code == errno.ENOTDIR:
        return f"无法读写 {path}：路径中有一项是文件而不是文件夹。请换一个位置。"
    if code == errno.EISDIR:
        return f"{path} 是文件夹，不是文件。请选择或填写一个文件名。"
    if code == errno.ENAMETOOLONG:
        return f"路径太长，系统无法读写：{path}。请换一个路径较短的位置。"
    if code == errno.EIO:
        return f"读写 {path} 时磁盘出错（磁盘可能被拔出或损坏）。请检查磁盘后重试。"
    name = errno.errorcode.get(code, "") if isinstance(code, int) else ""
    return f"读写 {path} 时出错（系统错误 {name or code or type(exc).__name__}）。请检查该位置是否可用后重试。"


# SQLite primary result codes (https://sqlite.org/rescode.html); extended codes carry the primary one
# in their low byte (SQLITE_IOERR_SHORT_READ = 522 → 10, SQLITE_CORRUPT_VTAB = 267 → 11)
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_AUTH = 23
SQLITE_NOTADB = 26
# the longest full path SQLite's unix VFS opens (MAX_PATHNAME in os_unix.c): a longer one fails
# with SQLITE_CANTOPEN, whatever the file system allows
SQLITE_MAX_PATH_BYTES = 512
DAMAGE_CODES = frozenset({SQLITE_CORRUPT, SQLITE_NOTADB})


def sqlite_code(exc: BaseException | None) -> int | None:
    """The primary SQLite result code behind ``exc`` (an ``sqlite3.Error`` or a SQLAlchemy wrapper of
    one), or None when it did not come from SQLite."""
    seen = 0
    while exc is not None and seen < 5:
        for e in (getattr(exc, "orig", None), exc):
            code = getattr(e, "sqlite_errorcode", None)
            if isinstance(code, int):
                return code & 0xFF
        exc = exc.__cause__
        seen += 1
    return None


def damaged_message(path: object | None, detail: str = "", *, in_use: bool = False) -> str:
    """The sentence for a database file that cannot be used: which file, what is wrong, the way out."""

    where = f"数据库文件 {path} " if path else "数据库文件"
    what = f"（{detail}）" if detail else ""
    if path:
        from brigade_desk.core import paths

        folder = paths.backup_dir_for(Path(str(path)))
        out = (
            f"请从备份恢复：在程序中用“文件 → 备份与恢复”，或在命令行用 brigade-desk backups 列出备份、"
            f"brigade-desk restore 备份文件 恢复（备份文件夹默认为 {folder}）。"
            "恢复时损坏的文件会改名保留在原处，不会被删除。"
        )
    else:
        out = (
            "请从备份恢复：在程序中用“文件 → 备份与恢复”，或在命令行用 brigade-desk backups 列出备份、"
            "brigade-desk restore 备份文件 恢复。"
        )
    done = "本次操作没有完成。" if in_use else "为免损坏扩大，程序没有向其中写入任何内容。"
    return f"{where}已损坏，无法使用{what}。{done}{out}"


class DatabaseDamagedError(DatabaseUnavailableError):
    """The database file is damaged (or is not a database at all): nothing may be written to it."""

    def __init__(self, path: object | None, detail: str = "", *, in_use: bool = False) -> None:
        super().__init__(damaged_message(path, detail, in_use=in_use))
        self.path = path
        self.detail = detail


def _writable_dir(folder: object) -> bool:
    import os

    return os.access(str(folder), os.W_OK)


def _read_only_disk(folder: object) -> bool:
    import os

    try:
        return bool(os.statvfs(str(folder)).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # (Windows has no statvfs)
        return False


def access_problem(path: object | None) -> str:
    """Why the database file at ``path`` cannot be opened or written, as far as the file system tells
    (a clause for a message), or "" when nothing there explains it. Looks, never changes anything."""
    import os

    if not path:
        return ""
    p = Path(str(path))
    folder = p.parent
    size = len(os.fsencode(str(p.absolute())))
    if os.name != "nt" and size > SQLITE_MAX_PATH_BYTES:
        return (
            f"路径太长：完整路径有 {size} 字节，SQLite 最多只能打开 {SQLITE_MAX_PATH_BYTES} 字节的路径。"
            "请把数据库文件移到路径较短的文件夹"
        )
    if not folder.is_dir():
        return f"文件夹 {folder} 不存在（U盘或网络盘是否已断开？）"
    if _read_only_disk(folder):
        return f"文件夹 {folder} 所在的磁盘是只读的，如只读U盘、光盘或只读共享"
    if p.exists() and not os.access(p, os.R_OK):
        return "当前用户没有读取该文件的权限"
    if p.exists() and not os.access(p, os.W_OK):
        return "当前用户没有写入该文件的权限：文件被设为只读，或属于其他用户"
    if not _writable_dir(folder):
        return f"当前用户不能在文件夹 {folder} 中写入，而程序打开数据库时要在旁边写入日志文件"
    return ""


def _db_name(path: object | None) -> str:
    return f"数据库文件 {path} " if path else "数据库文件"


MOVE_ADVICE = (
    "请把数据库文件复制到本机硬盘上自己能写入的文件夹，再用命令行参数 --db 或环境变量 BRIGADE_DESK_DB "
    "指定新位置；或请管理员开放该文件和所在文件夹的读写权限。"
)


def translate_db_error(exc: BaseException, path: object | None = None) -> UserError | None:
    """A SQLite failure the clerk can act on, as a Chinese message; None when it is a bug.

    Classified by SQLite's result code (``sqlite_errorcode``), never by exception class or English
    text: a malformed database raises ``DatabaseError``, which is not an ``OperationalError``. Each
    message names the file (when known) and the way out."""
    if isinstance(exc, UserError):
        return exc
    code = sqlite_code(exc)
    name = _db_name(path)
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return DatabaseUnavailableError(
            f"{name}正忙：另一个程序正在写入或锁定它，等待 10 秒后仍未释放，本次操作没有完成。"
            "请稍后重试；如果一直这样，请关闭其他正在使用该数据库的 Brigade Desk 或数据库工具。"
        )
    if code == SQLITE_READONLY:
        why = access_problem(path)
        return DatabaseUnavailableError(
            f"{name}不能写入（{why or '文件或所在文件夹、磁盘是只读的'}），本次操作没有完成，"
            f"数据库没有被改动。{MOVE_ADVICE}"
        )
    if code == SQLITE_FULL:
        where = f"（{Path(str(path)).parent} 所在的磁盘）" if path else ""
        return DatabaseUnavailableError(
            f"磁盘已满{where}，无法写入{name.rstrip()}，本次修改未保存（之前保存的数据没有丢失）。"
            "请清理磁盘空间后重试。"
        )
    if code == SQLITE_IOERR:
        return DatabaseUnavailableError(
            f"读写{name}时磁盘出错（磁盘可能已满、被拔出或损坏），本次操作没有完成。"
            "请检查磁盘后重试；如果反复出现，请在“文件 → 备份与恢复”中从最近的备份恢复"
            "（命令行：brigade-desk backups、brigade-desk restore 备份文件）。"
        )
    if code in DAMAGE_CODES:
        return DatabaseDamagedError(
            path,
            "读取数据时发现文件内容损坏" if code == SQLITE_CORRUPT else "文件不是 SQLite 数据库",
            in_use=True,
        )
    if code in (SQLITE_PERM, SQLITE_AUTH):
        return DatabaseUnavailableError(
            f"没有权限访问{name.rstrip()}（{access_problem(path) or '被系统或安全软件拒绝'}）。{MOVE_ADVICE}"
        )
    if code == SQLITE_CANTOPEN:
        why = access_problem(path)
        if why.startswith("路径太长"):
            return DatabaseUnavailableError(
                f"无法打开{name.rstrip()}：{why}，再用 --db 或 BRIGADE_DESK_DB 指定新位置。"
            )
        advice = MOVE_ADVICE if why and "不存在" not in why else "请检查路径和磁盘后重试。"
        return DatabaseUnavailableError(
            f"无法打开{name.rstrip()}（{why or '文件夹不存在、没有权限或磁盘不可用'}）。{advice}"
        )
    return None
