"""Restoring a backup over the database: the backup checked first (not damaged, not newer), the
current data kept (a pre-restore backup, or the damaged file moved aside), the schema upgraded after."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from brigade_desk.core.backup import make_backup, move_aside
from brigade_desk.core.db import check_database_file, known_revisions, migrate
from brigade_desk.core.errors import DatabaseDamagedError, SchemaTooNewError, UserError


def check_backup_file(path: Path) -> set[str]:
    """Refuse a damaged file or one written by a newer program. Returns its schema revisions."""
    if not path.is_file():
        raise UserError(f"找不到备份文件：{path}")
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise UserError(f"{path.name} 不是 Brigade Desk 的数据库备份文件。")
    try:
        c = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True)
        try:
            ok = c.execute("PRAGMA integrity_check").fetchone()[0]
            revs = {r[0] for r in c.execute("SELECT version_num FROM alembic_version")}
        finally:
            c.close()
    except sqlite3.Error as exc:
        raise UserError(f"备份文件 {path.name} 已损坏或不是本程序的数据库：{exc}") from exc
    if ok != "ok":
        raise UserError(f"备份文件 {path.name} 已损坏（完整性检查：{ok}），不能用于恢复。")
    unknown = revs - known_revisions()
    if unknown:
        raise SchemaTooNewError(
            f"备份文件 {path.name} 由更新版本的程序创建（结构版本 {'、'.join(sorted(unknown))}），请先升级程序。"
        )
    return revs


def restore(db_path: Path, backup: Path) -> Path:
    """Replace the database's content with ``backup``. Returns where the current data was kept: the
    pre-restore backup, or — when the current database is damaged — its renamed file."""
    check_backup_file(backup)
    if db_path.exists() and backup.resolve() == db_path.resolve():
        raise UserError("不能用数据库本身恢复自己。")
    try:
        check_database_file(db_path)
        damaged = False
    except DatabaseDamagedError:
        damaged = True
    if damaged:
        kept = move_aside(db_path)
    else:
        kept = make_backup(db_path, "pre-restore") if db_path.exists() else db_path
    try:
        src = sqlite3.connect(backup.absolute().as_uri() + "?mode=ro", uri=True)
        dst = sqlite3.connect(str(db_path))
        try:
            dst.execute("PRAGMA busy_timeout=10000")
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        raise UserError(f"恢复失败：{exc}。当前数据已另存为 {kept}。") from exc
    if ok != "ok":
        raise UserError(f"恢复后校验失败（{ok}）。恢复前的数据已另存为 {kept}，可再次恢复。")
    migrate(db_path)
    try:  # the chain continues from the restored head: anchors of the abandoned branch retire
        from brigade_desk.core import anchor

        anchor.note_restore(db_path, backup)
    except OSError as exc:
        raise UserError(
            f"已恢复，但无法在备份文件夹中记录这次恢复（{exc}）；“审计核对”会把它当作数据库被退回旧状态。"
            f"恢复前的数据已另存为 {kept}。"
        ) from exc
    return kept
