"""Backups and restore.

- Written with SQLite's online backup API (works on a live WAL database), checked with
  ``PRAGMA integrity_check`` and left as an ordinary single file (journal_mode=DELETE).
- Automatic: on the first start of each day, before every migration and before every restore;
  manual on demand. Daily backups are kept 30 days, one per month for 12 months, one per year for
  ever. Manual, pre-migration and pre-restore backups are never rotated away.
- The backup folder defaults to ``backups/`` beside the database and may be anywhere (another drive);
  it is remembered in the database (setting ``backup.dir``).
- Restore refuses a damaged file or one from a newer program, keeps the current database as a
  backup first, then copies the backup in with the same API and migrates it if it is older.
  A current database that is itself damaged (the usual reason to restore) cannot be backed up: it
  is renamed aside (``name.damaged-YYYYmmdd-HHMMSS``, with its ``-wal``/``-shm``), never deleted.
- Every backup gets a manifest beside it (``<name>.anchor.json``): the audit chain's head in the copy
  (entry count, head hash, time), also appended to the anchor file of the backup folder
  (see ``anchor``); ``audit verify`` checks the database against them.
- A backup killed while written leaves ``<name>.part``: the next backup into the folder removes
  such leftovers once they have not changed for ``STALE_PART_AGE``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from brigade_desk.core import anchor
from brigade_desk.core.errors import UserError, describe_os_error

SETTING_KEY = anchor.BACKUP_DIR_SETTING
# ``.dump``: a server database's backup written by pg_dump (core.pgbackup); ``server``: the kind
# the first server backups (a SQLite copy made on request) were named with
NAME_RE = re.compile(
    r"^brigade_desk-(\d{8})-(\d{6})-(daily|manual|pre-migration|pre-restore|server)\.(sqlite|dump)$"
)
KIND_ZH = {
    "daily": "每日自动",
    "manual": "手动",
    "pre-migration": "升级前",
    "pre-restore": "恢复前",
    "server": "手动",
}
FORMAT_ZH = {"sqlite": "数据库文件", "dump": "pg_dump"}
KEEP_DAILY = 30
KEEP_MONTHLY = 12
PART_RE = re.compile(r"^brigade_desk-\d{8}-\d{6}-[a-z-]+(-\d+)?\.(sqlite|dump)\.part$")
STALE_PART_AGE = 15 * 60  # seconds without change: no backup is still writing it
log = logging.getLogger(__name__)
MAX_SQLITE_PATH = 500  # SQLite opens no file whose full path is longer (512 bytes on POSIX builds)


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    when: dt.datetime
    kind: str
    size: int

    @property
    def kind_zh(self) -> str:
        return KIND_ZH.get(self.kind, self.kind)

    @property
    def format(self) -> str:
        """``sqlite`` (a database file of this program) or ``dump`` (pg_dump's custom format)."""
        return self.path.suffix.lstrip(".")

    @property
    def format_zh(self) -> str:
        return FORMAT_ZH.get(self.format, self.format)


def backup_dir(db_path: Path) -> Path:
    """The configured backup folder (read straight from the file, usable before migrations)."""
    return anchor.backup_folder(db_path)


def copy_database(src: Path, dest: Path) -> Path:
    """Online-backup ``src`` into a new checked single file at ``dest`` (written whole or not at all)."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(describe_os_error(exc, dest.parent)) from exc
    tmp = dest.with_name(dest.name + ".part")
    try:
        tmp.unlink(missing_ok=True)
        s = sqlite3.connect(str(src))
        d = sqlite3.connect(str(tmp))
        try:
            s.backup(d)
            d.execute("PRAGMA journal_mode=DELETE")
            ok = d.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            d.close()
            s.close()
        if ok != "ok":
            raise UserError(f"备份 {dest.name} 写入后校验失败（{ok}），已放弃该备份。")
        tmp.replace(dest)
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        if len(os.fsencode(str(tmp.absolute()))) > MAX_SQLITE_PATH:
            raise UserError(
                f"备份失败：备份位置的路径太长（{len(os.fsencode(str(tmp.absolute())))} 字节，"
                f"数据库引擎最多支持约 {MAX_SQLITE_PATH} 字节）。请选一个路径短一些的文件夹。（目标 {dest}）"
            ) from exc
        raise UserError(f"备份失败：{exc}（目标 {dest}）") from exc
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(describe_os_error(exc, dest)) from exc
    return dest


def clean_stale_parts(folder: Path, *, age: float = STALE_PART_AGE) -> list[Path]:
    """Remove ``.part`` files of backups killed while written (unchanged for ``age`` seconds)."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    now = time.time()
    for p in entries:
        if not PART_RE.match(p.name):
            continue
        try:
            if now - p.stat().st_mtime >= age:
                p.unlink()
                removed.append(p)
        except OSError:
            pass
    return removed


def make_backup(
    db_path: Path,
    kind: str = "manual",
    *,
    folder: Path | None = None,
    now: dt.datetime | None = None,
    out: Path | None = None,
) -> Path:
    now = now or dt.datetime.now()
    if out is None:
        folder = folder or backup_dir(db_path)
        out = folder / f"brigade_desk-{now:%Y%m%d-%H%M%S}-{kind}.sqlite"
        n = 1
        while out.exists():
            n += 1
            out = folder / f"brigade_desk-{now:%Y%m%d-%H%M%S}-{kind}.sqlite".replace(
                ".sqlite", f"-{n}.sqlite"
            )
    clean_stale_parts(out.parent)
    copy_database(db_path, out)
    try:  # the chain's head, outside the database: beside the backup and in the anchor file
        anchor.note_backup(db_path, out)
    except (OSError, UserError) as exc:  # the backup itself is good; say so in the log
        log.warning("backup anchor not written for %s: %s", out, exc)
    return out


def list_backups(folder: Path) -> list[BackupInfo]:
    out: list[BackupInfo] = []
    if not folder.is_dir():
        return out
    for p in folder.iterdir():
        m = NAME_RE.match(re.sub(r"-\d+(\.sqlite|\.dump)$", r"\1", p.name))
        if not m or not p.is_file():
            continue
        when = dt.datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S")
        out.append(BackupInfo(p, when, m.group(3), p.stat().st_size))
    return sorted(out, key=lambda b: b.when, reverse=True)


def rotate(folder: Path, today: dt.date | None = None) -> list[Path]:
    """Delete daily backups outside the 30 daily / 12 monthly / yearly policy. Returns what was deleted."""
    today = today or dt.date.today()
    daily = [b for b in list_backups(folder) if b.kind == "daily"]
    keep: set[Path] = set()
    by_day: dict[dt.date, BackupInfo] = {}
    for b in sorted(daily, key=lambda b: b.when):
        by_day.setdefault(b.when.date(), b)  # the first of each day
    days = sorted(by_day, reverse=True)
    keep.update(by_day[d].path for d in days[:KEEP_DAILY])
    firsts_month: dict[tuple[int, int], BackupInfo] = {}
    firsts_year: dict[int, BackupInfo] = {}
    for d in sorted(by_day):
        firsts_month.setdefault((d.year, d.month), by_day[d])
        firsts_year.setdefault(d.year, by_day[d])
    months = sorted(firsts_month, reverse=True)[:KEEP_MONTHLY]
    keep.update(firsts_month[m].path for m in months)
    keep.update(b.path for b in firsts_year.values())
    removed = []
    for b in daily:
        if b.path not in keep:
            try:
                b.path.unlink()
                removed.append(b.path)
                b.path.with_name(b.path.name + ".anchor.json").unlink(missing_ok=True)
            except OSError:
                pass
    return removed


def daily_backup_if_due(db_path: Path, now: dt.datetime | None = None) -> Path | None:
    """First start of the day: one backup, then rotation. Returns the new backup or None."""
    now = now or dt.datetime.now()
    if not db_path.exists():
        return None
    folder = backup_dir(db_path)
    if any(b.kind == "daily" and b.when.date() == now.date() for b in list_backups(folder)):
        return None
    p = make_backup(db_path, "daily", folder=folder, now=now)
    rotate(folder, now.date())
    return p


def move_aside(db_path: Path, now: dt.datetime | None = None) -> Path:
    """Rename a damaged database (file or folder) and its ``-wal``/``-shm`` out of the way, beside it.

    Returns the new name of the database. Nothing is deleted: the clerk or a maintainer may still
    rescue rows from it. The WAL must go with it: left behind, SQLite would replay it into the
    restored file."""
    now = now or dt.datetime.now()
    stem = f"{db_path.name}.damaged-{now:%Y%m%d-%H%M%S}"
    target = db_path.with_name(stem)
    n = 1
    while target.exists() or target.with_name(target.name + "-wal").exists():
        n += 1
        target = db_path.with_name(f"{stem}-{n}")
    try:
        for suffix in ("-wal", "-shm", "-journal"):
            side = db_path.with_name(db_path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        db_path.rename(target)
    except OSError as exc:
        raise UserError(describe_os_error(exc, db_path)) from exc
    return target
