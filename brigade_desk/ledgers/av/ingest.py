"""Ingest a folder of body-camera footage into the index.

- The folder is walked recursively; video, audio and photo files are candidates, all others are
  listed as skipped.
- A file already indexed at the same place (same root, same relative path, same size) is not hashed
  again: re-ingesting a folder adds nothing. Same path but another size is reported, never replaced
  (the index is the evidence of what the file was; ``verify`` reports the change).
- The rest is hashed by a pool of worker threads and, by default, copied into the archive root at
  the same time (``copy_to``, else the ``av.archive_root`` setting), as ``YYYY/MM/device/name``, the
  copy re-read and verified by hash; an existing different file is never overwritten — the copy gets
  a new name. Indexing in place (the files stay where they are, e.g. on a camera's card) happens only
  when asked for (``in_place``); with neither an archive root nor ``in_place`` the run is refused with
  a message saying how to set one.
- Each file is attributed to the officer who held its camera at the file's start time (the device
  register, ``devices.Custody``); what was assumed for each file, files whose camera is unknown or
  had no holder then, and a batch officer that disagrees with the register are listed in
  ``IngestResult.attribution``.
- Results are written by ONE writer (the calling thread) in file order, one short transaction per
  file. Cancelling stops the workers within a chunk, removes copies not yet indexed, and leaves the
  index exactly as it was after the last file written: the cancelled file and the ones after it are
  not in it.
- Identical content (same SHA-256) is recorded once; each further copy is reported (and stored in
  ``av_duplicate``) as a duplicate.

Nothing is lost silently: every file that is not indexed is listed in ``IngestResult.errors`` with
its path (shown escaped, :func:`roots.shown`) and a Chinese reason, and the run goes on —
- a name that is not valid UTF-8 (or a damaged UTF-16 name) cannot be stored: listed, not indexed;
- a folder or file that cannot be read (no permission, disk error), a pipe or device named like
  media, a broken symbolic link: listed;
- a file whose size, modification time or identity differs after hashing from before, or whose
  bytes read differ from its size, or that disappears, was changed while hashed: listed, not
  indexed (its facts would not belong together).
A run killed outright (power cut, SIGKILL) leaves its batch row unfinished and, when copying, a
``.~av-*.part`` file: the next run closes such batches (marked cancelled, with the counts of what
they did index) and deletes the leftover parts, and says so in ``IngestResult.cleanup``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import os
import stat
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as fwait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

import brigade_desk.models  # noqa: F401  (every table known: foreign keys to staff are resolved by name)
from brigade_desk.core import settings
from brigade_desk.core.db import Database
from brigade_desk.core.errors import Cancelled, UserError, ValidationError, describe_os_error
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.av import media, roots
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.av.device_no import validate_device_no
from brigade_desk.ledgers.av.devices import Custody
from brigade_desk.ledgers.av.hashing import copy_and_hash, hash_file
from brigade_desk.ledgers.av.models import (
    ACTIVITIES,
    Activity,
    AvAttribution,
    AvDuplicate,
    AvIngestBatch,
    AvRecord,
)
from brigade_desk.ledgers.av.patterns import CompiledPattern, NameInfo, load, parse_name
from brigade_desk.ledgers.cases.case_no import normalize as normalize_case_no
from brigade_desk.ledgers.roster.models import Certificate, Staff

UNKNOWN_DEVICE = "未知设备"
TMP_PREFIX = ".~av-"
PARTS_DIR = TMP_PREFIX + "parts"  # copies being written, inside the archive root

MSG_NOT_UTF8 = (
    "文件名（或所在文件夹名）含有无法识别的字符（不是有效的 UTF-8 编码，显示为 \\x..），未登记；"
    "请把它改为正常的名字后重新采集。"
)
MSG_DIR_DENIED = "没有权限读取此文件夹，其中的文件未登记；请检查文件夹的权限后重新采集。"
MSG_DIR_ERROR = "无法读取此文件夹（{}），其中的文件未登记；请检查磁盘后重新采集。"
MSG_GONE = "文件在列出文件夹后已不存在（可能刚被删除或移走），未登记；请确认后重新采集。"
MSG_BROKEN_LINK = "这是一个快捷方式（符号链接），指向的文件不存在，未登记；请采集原文件。"
MSG_NOT_FILE = "这不是普通文件（而是管道、设备等），未登记；请采集原文件。"
MSG_FILE_DENIED = "没有权限读取此文件，未登记；请检查文件的权限（或关闭占用它的程序）后重新采集。"
MSG_FILE_ERROR = "读取此文件失败（{}），未登记；请检查磁盘后重新采集。"
MSG_CHANGED = "文件在计算校验值期间被修改，未登记，请稍后重新采集。"
MSG_VANISHED = "文件在计算校验值期间被删除，未登记，请稍后重新采集。"
MSG_SIZE_DIFFERS = "索引中已有此路径但文件大小不同（文件可能被改动），未重复入库；请运行校验。"

MSG_NO_ARCHIVE = (
    "未设置归档位置：入库默认把文件复制到归档位置保存（执法记录仪或存储卡清空后记录仍完好）。"
    "请先设置归档位置——命令行：brigade-desk av archive-root D:\\执法音像归档；图形界面：入库对话框的"
    "「归档位置」或 设置 → 音像记录 →「音像文件归档位置」；本次也可用 --copy-to 文件夹 指定。"
    "确需让文件留在原处登记时，加 --in-place（原位登记）。"
)
IN_PLACE_WARNING = "原位登记：文件仍在原处，存储卡清空后记录将变为缺失。"
REMOVABLE_WARNING = (
    "所选文件夹位于可移动磁盘（存储卡、U 盘或执法记录仪）上。"
    + IN_PLACE_WARNING
    + "建议复制到归档位置。"
)


def is_removable(path: Path | str) -> bool:
    """Whether ``path`` lies on removable media (a card, a USB stick, a camera in storage mode).

    Windows: the drive type of its volume; elsewhere: a mount under /media, /run/media or /mnt, or a
    block device whose ``removable`` flag is set. False when it cannot be told."""
    p = os.path.abspath(path)
    if os.name == "nt":  # pragma: no cover - Windows only
        import ctypes

        drive = os.path.splitdrive(p)[0]
        if not drive:
            return False
        try:
            kind = ctypes.windll.kernel32.GetDriveTypeW(drive + "\\")  # type: ignore[attr-defined]
        except (AttributeError, OSError):
            return False
        return int(kind) == 2  # DRIVE_REMOVABLE
    parts = Path(p).parts
    if len(parts) > 2 and (parts[1] in ("media", "mnt") or parts[1:3] == ("run", "media")):
        return True
    try:
        dev = os.stat(p).st_dev
        flag = Path(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}/../removable")
        if not flag.exists():
            flag = Path(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}/removable")
        return flag.read_text().strip() == "1"
    except (OSError, ValueError, AttributeError):
        return False


def in_place_warning(folder: Path | str) -> str:
    """The warning shown when the clerk chooses to index ``folder`` in place."""
    return REMOVABLE_WARNING if is_removable(folder) else IN_PLACE_WARNING


# (database file, batch id) being run by this process (the database lock keeps other processes out):
# never taken for the leftovers of a killed run
_RUNNING: set[tuple[str, int]] = set()
_RUNNING_LOCK = threading.Lock()


@dataclass
class IngestOptions:
    case_no: str = ""
    activity: str = Activity.OTHER
    officer_id: int | None = None
    officer2_id: int | None = None
    device_no: str = ""
    target: str = ""
    place: str = ""
    notes: str = ""
    copy_to: Path | str | None = None
    in_place: bool = False  # index the files where they are (explicit choice; default: archive)
    workers: int = 2


@dataclass
class IngestResult:
    batch_id: int = 0
    added: int = 0
    existing: int = 0
    bytes: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    duplicates: list[dict[str, str]] = field(default_factory=list)  # {"path", "existing"}
    skipped: list[str] = field(default_factory=list)
    # files and folders not indexed: {"path" (shown escaped), "message", "kind": 文件 / 文件夹}
    errors: list[dict[str, str]] = field(default_factory=list)
    renamed: list[dict[str, str]] = field(default_factory=list)  # archive clashes {"path", "to"}
    cleanup: list[str] = field(default_factory=list)  # what was left by killed runs, now put right
    # per indexed file, who it was attributed to and why: {"path", "device", "start", "officer_id",
    # "officer", "kind" (holder / no_holder / unknown_device / no_device), "conflict", "message"}
    attribution: list[dict[str, Any]] = field(default_factory=list)
    archive: str = ""  # the archive root copied into ("" when indexed in place)
    in_place: bool = False

    def not_ingested(self, path: str, message: str, kind: str = "文件") -> None:
        self.errors.append({"path": roots.shown(path), "message": message, "kind": kind})

    @property
    def complete(self) -> bool:
        """Every file found was indexed, already in the index, a duplicate or not media."""
        return not self.errors and not self.cancelled

    def as_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "duplicates": len(self.duplicates),
            "skipped": len(self.skipped),
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "existing": self.existing,
            "cancelled": self.cancelled,
            "errors": self.errors,
            "duplicate_files": self.duplicates,
            "skipped_files": self.skipped,
            "renamed_in_archive": self.renamed,
            "not_ingested": len(self.errors),
            "cleanup": self.cleanup,
            "archive": self.archive,
            "in_place": self.in_place,
            "attribution": self.attribution,
        }

    def attribution_counts(self) -> dict[str, int]:
        out = {"holder": 0, "no_holder": 0, "unknown_device": 0, "no_device": 0, "conflict": 0}
        for a in self.attribution:
            out[a["kind"]] = out.get(a["kind"], 0) + 1
            out["conflict"] += 1 if a.get("conflict") else 0
        return out

    def attribution_summary(self) -> str:
        """One line on how officers were attributed ("" when nothing was indexed)."""
        if not self.attribution:
            return ""
        c = self.attribution_counts()
        parts = [f"按设备持有记录推定执法人员 {c['holder']} 个"]
        for key, label in (
            ("no_holder", "设备在拍摄时无人持有"),
            ("unknown_device", "设备未登记"),
            ("no_device", "无设备号"),
            ("conflict", "与指定人员或文件名中的人员不一致"),
        ):
            if c[key]:
                parts.append(f"{label} {c[key]} 个")
        return "人员认定：" + "，".join(parts) + "（逐个见列表）"

    def summary(self) -> str:
        s = (
            f"新增 {self.added} 个，重复 {len(self.duplicates)} 个，已在索引中 {self.existing} 个，"
            f"跳过 {len(self.skipped)} 个，{self.bytes / 2**20:.1f} MiB，用时 {self.seconds:.1f} 秒"
        )
        if self.errors:
            folders = sum(1 for e in self.errors if e.get("kind") == "文件夹")
            files = len(self.errors) - folders
            what = "、".join(
                x
                for x in (
                    f"{files} 个文件" if files else "",
                    f"{folders} 个文件夹" if folders else "",
                )
                if x
            )
            s += f"。有 {what}未能登记（见列表）"
        if self.cancelled:
            s = "已取消。" + s
        if self.in_place:
            s += "。原位登记（未复制到归档）"
        elif self.archive:
            s += f"。已复制到归档位置 {self.archive}"
        return s


@dataclass(frozen=True)
class _Item:
    path: Path
    rel: str
    size: int
    mtime: dt.datetime
    stamp: tuple[int, int, int, int]  # what a change while hashing would alter


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


@dataclass
class _Done:
    item: _Item
    sha: str = ""
    info: NameInfo = field(default_factory=NameInfo)
    duration: float | None = None
    start: dt.datetime | None = None
    device: str = ""
    archive_rel: str = ""
    archive_created: Path | None = None  # a copy this run placed in the archive
    renamed_from: str = ""
    error: str = ""


def _fmt_bytes(n: int) -> str:
    if n >= 2**30:
        return f"{n / 2**30:.2f} GiB"
    return f"{n / 2**20:.1f} MiB"


def scan(
    folder: Path, exclude: Path | None = None, problems: list[dict[str, str]] | None = None
) -> tuple[list[tuple[Path, os.stat_result]], list[str]]:
    """Media files under ``folder`` in a stable order, and the other files (skipped, shown escaped).

    Folders and files that cannot be read, and media whose name cannot be stored, are appended to
    ``problems`` as ``{"path", "message", "kind"}`` (the walk goes on)."""
    media_files: list[tuple[Path, os.stat_result]] = []
    skipped: list[str] = []
    bad: list[dict[str, str]] = problems if problems is not None else []
    ex = roots.norm(exclude) if exclude else None

    def on_error(exc: OSError) -> None:
        where = str(exc.filename) if exc.filename is not None else str(folder)
        msg = (
            MSG_DIR_DENIED
            if isinstance(exc, PermissionError)
            else MSG_DIR_ERROR.format(_cause(exc))
        )
        bad.append({"path": roots.shown(where), "message": msg, "kind": "文件夹"})

    for dirpath, dirnames, filenames in os.walk(folder, onerror=on_error):
        dirnames.sort()
        dirnames[:] = [d for d in dirnames if not d.startswith(TMP_PREFIX)]
        if ex is not None:
            dirnames[:] = [d for d in dirnames if not roots.contains(ex, os.path.join(dirpath, d))]
        for name in sorted(filenames):
            p = Path(dirpath, name)
            if name.startswith(TMP_PREFIX):
                continue
            if p.suffix.lower() not in media.MEDIA_EXT:
                skipped.append(roots.shown(str(p)))
                continue
            if not roots.storable(str(p)):
                bad.append({"path": roots.shown(str(p)), "message": MSG_NOT_UTF8, "kind": "文件"})
                continue
            try:
                st = p.stat()
            except OSError as exc:
                if isinstance(exc, FileNotFoundError):
                    msg = MSG_BROKEN_LINK if os.path.islink(p) else MSG_GONE
                else:
                    msg = _read_error(exc)
                bad.append({"path": roots.shown(str(p)), "message": msg, "kind": "文件"})
                continue
            if not stat.S_ISREG(st.st_mode):  # a pipe or a device would never end (or never start)
                bad.append({"path": roots.shown(str(p)), "message": MSG_NOT_FILE, "kind": "文件"})
                continue
            media_files.append((p, st))
    return media_files, skipped


def _read_error(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return MSG_FILE_DENIED
    if isinstance(exc, FileNotFoundError):
        return MSG_VANISHED
    return MSG_FILE_ERROR.format(_cause(exc))


def _cause(exc: OSError) -> str:
    """What went wrong in Chinese for the usual read failures; the system's own text otherwise
    (Windows gives it in Chinese already)."""
    code = exc.errno
    if code == errno.EIO:
        return "磁盘读取错误，可能是坏道，或存储卡、移动硬盘接触不良"
    if code in (errno.ENODEV, errno.ENXIO):
        return "设备已断开，可能是执法记录仪、存储卡或移动硬盘被拔出"
    if code in (errno.ETIMEDOUT, errno.EHOSTDOWN, errno.EHOSTUNREACH, errno.ENETDOWN):
        return "网络位置无法访问"
    if code == errno.ESTALE:
        return "网络位置上的文件已失效，请重新连接"
    if code == errno.ELOOP:
        return "快捷方式（符号链接）循环指向自身"
    if code == errno.ENAMETOOLONG:
        return "路径太长"
    return str(exc.strerror or exc)


def _validate(session: Any, opts: IngestOptions) -> None:
    errs: dict[str, str] = {}
    if opts.activity and opts.activity not in ACTIVITIES:
        errs["activity"] = f"「执法活动」应为：{'、'.join(ACTIVITIES)}"
    for key, sid in (("officer_id", opts.officer_id), ("officer2_id", opts.officer2_id)):
        if sid is not None and session.get(Staff, sid) is None:
            errs[key] = f"「执法人员」编号 {sid} 不在花名册中"
    if opts.workers < 1 or opts.workers > 32:
        errs["workers"] = "「并行线程数」应在 1 到 32 之间"
    if errs:
        raise ValidationError(errs)


def _archive_place(
    done: _Done, src: Path, archive_root: Path, cancel: threading.Event, on_bytes: Any
) -> int:
    """Copy ``src`` into the archive as YYYY/MM/device/name, verified; never overwrite.

    The copy is written to ``<archive>/.~av-parts/.~av-<random>.part``, flushed to disk, re-read and
    compared by SHA-256, and only then renamed into place (one atomic step; the folder entry is
    flushed too). Returns the number of bytes read from ``src``."""
    start = done.start or done.item.mtime
    sub = Path(f"{start:%Y}", f"{start:%m}", _safe_dir(done.device or UNKNOWN_DEVICE))
    dest_dir = archive_root / sub
    dest_dir.mkdir(parents=True, exist_ok=True)
    parts = archive_root / PARTS_DIR
    parts.mkdir(exist_ok=True)
    tmp = parts / f"{TMP_PREFIX}{uuid.uuid4().hex}.part"
    sha, n = copy_and_hash(src, tmp, cancel=cancel, on_bytes=on_bytes)
    try:
        again, _ = hash_file(tmp, cancel=cancel)
        if again != sha:
            raise OSError(f"复制到归档后校验不一致（{tmp}）")
        stem, ext = src.stem, src.suffix
        name, k = src.name, 0
        while True:
            dest = dest_dir / name
            if not dest.exists():
                os.rename(tmp, dest)  # rename never replaces on Windows; we checked on POSIX
                done.archive_created = dest
                _fsync_dir(dest_dir)
                break
            existing_sha, _ = hash_file(dest, cancel=cancel)
            if existing_sha == sha:  # the same content is already archived there
                os.remove(tmp)
                break
            k += 1
            name = f"{stem}_{k}{ext}"
            done.renamed_from = str(dest_dir / src.name)
        done.sha = sha
        done.archive_rel = roots.rel_of(dest, archive_root)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    return n


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows has no directory handles to flush)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _recover(s: Any, result: IngestResult, folder: Path, db_key: str) -> list[Path]:
    """Close the batches that killed runs left unfinished (with the counts of what they indexed).

    Returns the archive folders those runs were copying into (their leftover parts are deleted)."""
    archives: list[Path] = []
    q = select(AvIngestBatch).where(AvIngestBatch.finished_at.is_(None)).order_by(AvIngestBatch.id)
    for b in s.scalars(q).all():
        if (db_key, b.id) in _RUNNING:
            continue
        n, size = s.execute(
            select(func.count(), func.coalesce(func.sum(AvRecord.size), 0)).where(
                AvRecord.batch_id == b.id
            )
        ).one()
        dups = s.scalar(
            select(func.count()).select_from(AvDuplicate).where(AvDuplicate.batch_id == b.id)
        )
        b.finished_at = dt.datetime.now()
        b.cancelled = True
        b.added, b.duplicates, b.bytes = int(n), int(dups or 0), int(size)
        same = roots.norm(b.folder) == roots.norm(folder)
        rest = (
            "其余文件本次继续采集。"
            if same
            else "其余文件请重新采集该文件夹（已登记的不会重复登记）。"
        )
        result.cleanup.append(
            f"上次入库（第 {b.id} 批，{b.started_at:%Y-%m-%d %H:%M} 开始，文件夹 {roots.shown(b.folder)}）"
            f"未正常结束（程序被强行关闭或断电），已标记为中断；其中已登记的 {n} 个文件保留，{rest}"
        )
        if b.copy_to:
            archives.append(Path(b.copy_to))
    return archives


def _clean_parts(archive: Path, result: IngestResult, *, everywhere: bool) -> None:
    """Delete ``.~av-*.part`` copies that killed runs left in ``archive``: in its parts folder, or
    (``everywhere``: a killed run copied there; older versions wrote parts beside the archived
    files) anywhere in it."""
    if not archive.is_dir():
        return
    found: list[Path] = []
    if everywhere:
        for dirpath, _dirs, names in os.walk(archive):
            found += [
                Path(dirpath, f) for f in names if f.startswith(TMP_PREFIX) and f.endswith(".part")
            ]
    else:
        try:
            with os.scandir(archive / PARTS_DIR) as it:
                found = [
                    Path(e.path)
                    for e in it
                    if e.name.startswith(TMP_PREFIX) and e.name.endswith(".part")
                ]
        except FileNotFoundError:
            return
        except OSError as exc:
            result.cleanup.append(
                f"无法检查临时文件夹 {roots.shown(str(archive / PARTS_DIR))}（{exc.strerror or exc}），"
                "其中可能留有中断的入库留下的临时文件，请手工删除。"
            )
            return
    removed = size = 0
    for f in sorted(found):
        try:
            sz = f.stat().st_size
            f.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            result.cleanup.append(
                f"无法删除中断的入库留下的临时文件 {roots.shown(str(f))}（{exc.strerror or exc}），"
                "请手工删除。"
            )
            continue
        removed += 1
        size += sz
    if removed:
        result.cleanup.append(
            f"已删除中断的入库留下的 {removed} 个未完成的临时文件（共 {_fmt_bytes(size)}），"
            f"位于 {roots.shown(str(archive))}。"
        )


def _safe_dir(s: str) -> str:
    bad = '<>:"/\\|?*'
    out = "".join("_" if c in bad or ord(c) < 32 else c for c in s).strip(" .")
    return out or UNKNOWN_DEVICE


def ingest(
    db: Database,
    folder: Path | str,
    opts: IngestOptions | None = None,
    *,
    progress: Progress | None = None,
) -> IngestResult:
    opts = opts or IngestOptions()
    if opts.device_no:  # the --device option: no invisible or direction characters in a key
        opts = dataclasses.replace(opts, device_no=validate_device_no(opts.device_no))
    progress = progress or Progress()
    t0 = time.perf_counter()
    folder = Path(os.path.abspath(folder))
    if not folder.is_dir():
        raise UserError(f"文件夹不存在：{roots.shown(str(folder))}")
    if not roots.storable(str(folder)):
        raise UserError(
            f"文件夹的路径含有无法识别的字符（不是有效的 UTF-8 编码）：{roots.shown(str(folder))}。"
            "请把该文件夹改为正常的名字后重新入库。"
        )
    archive_path: Path | None = None
    copy_to = opts.copy_to
    if not copy_to and not opts.in_place:
        with db.session() as s0:
            copy_to = str(settings.get(s0, av_settings.AV_ARCHIVE_ROOT) or "").strip()
        if not copy_to:
            raise UserError(MSG_NO_ARCHIVE)
    if copy_to:
        archive_path = Path(os.path.abspath(copy_to))
        if not roots.storable(str(archive_path)):
            raise UserError(
                "归档位置的路径含有无法识别的字符（不是有效的 UTF-8 编码）："
                f"{roots.shown(str(archive_path))}。请另选归档位置。"
            )
        try:
            archive_path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(describe_os_error(exc, archive_path)) from exc
        if roots.contains(str(archive_path), str(folder)):
            raise UserError(
                f"要入库的文件夹 {folder} 位于归档位置 {archive_path} 之内：这些文件已在归档中，"
                "请选择原位登记（命令行加 --in-place）。"
            )

    result = IngestResult(in_place=archive_path is None)
    db_key = roots.norm(db.path)
    with _RUNNING_LOCK, db.begin() as s:
        _validate(s, opts)
        stale = _recover(s, result, folder, db_key)
        root = roots.ensure_root(s, folder)
        root_id, root_path = root.id, Path(root.path)
        arch_id: int | None = None
        if archive_path is not None:
            arch = roots.ensure_root(s, archive_path, archive=True)
            arch_id, archive_path = arch.id, Path(arch.path)
        batch = AvIngestBatch(
            folder=str(folder), started_at=dt.datetime.now(), copy_to=str(archive_path or "")
        )
        s.add(batch)
        s.flush()
        batch_id = batch.id
        _RUNNING.add((db_key, batch_id))  # (the lock is held until the batch is committed)
        alone = len(_RUNNING) == 1
        pats: list[CompiledPattern] = load(s)
        by_device = {
            b: i
            for i, b in s.execute(select(Staff.id, Staff.bodycam_no).where(Staff.bodycam_no != ""))
        }
        by_code = dict(s.execute(select(Certificate.cert_no, Certificate.staff_id)).all())
        known: dict[str, int] = {}
        for rel, size in s.execute(
            select(AvRecord.rel_path, AvRecord.size).where(AvRecord.root_id == root_id)
        ):
            known[rel] = size
        for src_rel, size in s.execute(
            select(AvRecord.source_rel_path, AvRecord.size).where(
                AvRecord.source_root_id == root_id
            )
        ):
            if src_rel is not None:  # (always set with source_root_id; looked up by path only)
                known[src_rel] = size
        case_perm = bool(settings.get(s, av_settings.AV_CASE_PERMANENT))
        retention = dict(settings.get(s, av_settings.AV_RETENTION_YEARS) or {})
        custody = Custody(s)
        names = dict(s.execute(select(Staff.id, Staff.name)).all())
    result.batch_id = batch_id
    result.archive = str(archive_path) if archive_path is not None else ""

    try:
        # leftovers of killed runs: every part where a killed run copied to; this run's parts folder
        done_archives: set[str] = set()
        for a in stale:
            if roots.norm(a) not in done_archives:
                done_archives.add(roots.norm(a))
                _clean_parts(a, result, everywhere=True)
        if archive_path is not None and alone and roots.norm(archive_path) not in done_archives:
            _clean_parts(archive_path, result, everywhere=False)

        files, result.skipped = scan(folder, exclude=archive_path, problems=result.errors)
        items: list[_Item] = []
        for p, st in files:
            rel = roots.rel_of(p, root_path)
            if rel in known:
                if known[rel] == st.st_size:
                    result.existing += 1
                else:
                    result.not_ingested(str(p), MSG_SIZE_DIFFERS)
                continue
            items.append(
                _Item(p, rel, st.st_size, dt.datetime.fromtimestamp(st.st_mtime), _stamp(st))
            )
        _hash_and_write(
            db,
            items,
            opts,
            progress,
            result,
            batch_id=batch_id,
            pats=pats,
            by_device=by_device,
            by_code=by_code,
            custody=custody,
            names=names,
            case_perm=case_perm,
            retention=retention,
            root_id=root_id,
            arch_id=arch_id,
            archive_path=archive_path,
        )
    except BaseException as exc:
        result.cancelled = True
        _finish(db, batch_id, result, t0)
        if not isinstance(exc, Cancelled):
            raise
        return result
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard((db_key, batch_id))
    _finish(db, batch_id, result, t0)
    return result


def _io_error(exc: OSError, src: Path, archive: Path | None) -> str:
    """The reason a file was not indexed after an OS error while reading (or copying) it."""
    if exc.errno is None:  # one of ours (a copy that did not verify)
        return f"{exc}，未登记；请重新采集。"
    if archive is not None and exc.filename is not None and str(exc.filename) != str(src):
        return describe_os_error(exc, archive) + "（复制到归档失败，该文件未登记）"
    if archive is not None and exc.errno == errno.ENOSPC:
        return describe_os_error(exc, archive) + "（复制到归档失败，该文件未登记）"
    return _read_error(exc)


def _hash_and_write(
    db: Database,
    items: list[_Item],
    opts: IngestOptions,
    progress: Progress,
    result: IngestResult,
    *,
    batch_id: int,
    pats: list[CompiledPattern],
    by_device: dict[str, int],
    by_code: dict[str, int],
    custody: Custody,
    names: dict[int, str],
    case_perm: bool,
    retention: dict[str, Any],
    root_id: int,
    arch_id: int | None,
    archive_path: Path | None,
) -> None:
    total_bytes = sum(i.size for i in items)
    cancel = threading.Event()
    lock = threading.Lock()
    counters = {"bytes": 0}

    def on_bytes(n: int) -> None:
        with lock:
            counters["bytes"] += n

    def work(item: _Item) -> _Done:
        d = _Done(item)
        d.info = parse_name(item.path.name, pats)
        d.start = d.info.start
        d.device = d.info.device or opts.device_no
        if d.info.device:  # read from the file name: a key, kept clean (or the file listed)
            try:
                d.device = validate_device_no(d.info.device)
            except ValidationError as exc:
                d.error = f"文件名中的{exc.message}，未登记。请改正文件名后重新采集。"
                return d
        try:
            try:
                before = os.stat(item.path)
            except FileNotFoundError:
                d.error = MSG_VANISHED
                return d
            if _stamp(before) != item.stamp:  # changed since the folder was listed
                d.error = MSG_CHANGED
                return d
            facts = media.facts(item.path)  # before the copy: its start picks the archive folder
            d.duration = facts.duration
            d.start = d.start or facts.start  # the name first, then the container (not mtime)
            if archive_path is not None:
                n = _archive_place(d, item.path, archive_path, cancel, on_bytes)
            else:
                d.sha, n = hash_file(item.path, cancel=cancel, on_bytes=on_bytes)
            try:
                after = os.stat(item.path)
            except FileNotFoundError:
                d.error = MSG_VANISHED
            else:
                if n != item.size or _stamp(after) != item.stamp:
                    d.error = MSG_CHANGED
        except OSError as exc:
            d.error = _io_error(exc, item.path, archive_path)
        if d.error and d.archive_created is not None:  # a copy of something not indexed
            d.archive_created.unlink(missing_ok=True)
            d.archive_created = None
        return d

    def write(d: _Done) -> None:
        it = d.item
        if d.error:
            result.not_ingested(str(it.path), d.error)
            return
        with db.begin() as s:
            dup = s.execute(
                select(AvRecord.id, AvRecord.root_id, AvRecord.rel_path).where(
                    AvRecord.sha256 == d.sha
                )
            ).first()
            if dup is not None:
                rmap = roots.roots_map(s)
                s.add(AvDuplicate(batch_id=batch_id, record_id=dup.id, path=str(it.path)))
                result.duplicates.append(
                    {
                        "path": str(it.path),
                        "existing": str(roots.resolve(rmap[dup.root_id], dup.rel_path)),
                    }
                )
                if d.archive_created is not None:
                    d.archive_created.unlink(missing_ok=True)
                    d.archive_created = None
                return
            officer, attribution = _attribute(
                d, it, opts, custody=custody, names=names, by_device=by_device, by_code=by_code
            )
            # the batch's officer(s) accompany the one the camera names (enforcement by two)
            second = [
                o for o in (opts.officer_id, opts.officer2_id) if o is not None and o != officer
            ]
            officer2 = second[0] if second else None
            activity = opts.activity or Activity.OTHER
            keep = None if (opts.case_no and case_perm) else retention.get(activity)
            rec = AvRecord(
                root_id=arch_id if arch_id is not None else root_id,
                rel_path=d.archive_rel if arch_id is not None else it.rel,
                file_name=it.path.name,
                size=it.size,
                sha256=d.sha,
                file_mtime=it.mtime,
                media_start=d.start or it.mtime,
                time_source="文件名" if d.info.start else "媒体信息" if d.start else "文件时间",
                duration_s=d.duration,
                pattern_name=d.info.pattern,
                device_no=d.device,
                officer_code=d.info.officer,
                officer_id=officer,
                officer2_id=officer2,
                activity=activity,
                case_no=normalize_case_no(opts.case_no),
                target=opts.target.strip(),
                place=opts.place.strip(),
                notes=opts.notes,
                important=d.info.important,
                retention_years=keep,
                batch_id=batch_id,
                ingested_at=dt.datetime.now(),
                source_root_id=root_id if arch_id is not None else None,
                source_rel_path=it.rel if arch_id is not None else None,
            )
            s.add(rec)
            s.flush()
            s.add(
                AvAttribution(
                    record_id=rec.id,
                    kind=attribution["kind"],
                    conflict=attribution["conflict"],
                    message=attribution["message"],
                )
            )
        d.archive_created = None  # now indexed: it stays
        result.attribution.append(attribution)
        if d.renamed_from:
            result.renamed.append(
                {"path": d.renamed_from, "to": str(roots.resolve(str(archive_path), d.archive_rel))}
            )
        result.added += 1
        result.bytes += it.size

    n_files = len(items)
    window = max(2, opts.workers * 2)
    pending: deque[Future[_Done]] = deque()
    done_files = 0

    def report() -> None:
        with lock:
            b = counters["bytes"]
        progress.update(
            b,
            total_bytes,
            f"{done_files}/{n_files} 个文件，{_fmt_bytes(b)} / {_fmt_bytes(total_bytes)}",
        )
        progress.check()  # a cancel pressed while the listener ran counts at once

    pool = ThreadPoolExecutor(max_workers=opts.workers, thread_name_prefix="av-hash")
    queue = iter(items)
    try:
        report()
        while True:
            while len(pending) < window:
                nxt = next(queue, None)
                if nxt is None:
                    break
                pending.append(pool.submit(work, nxt))
            if not pending:
                break
            head = pending[0]
            while not head.done():
                fwait([head], timeout=0.1)
                report()
            d = head.result()
            report()  # a cancel pressed while the head was hashed stops before it is written
            write(d)
            pending.popleft()
            done_files += 1
        report()
    except BaseException:
        cancel.set()
        for f in pending:
            f.cancel()
        pool.shutdown(wait=True)
        for f in pending:  # copies made for files that will not be indexed
            if f.done() and not f.cancelled() and f.exception() is None:
                created = f.result().archive_created
                if created is not None:
                    created.unlink(missing_ok=True)
        raise
    pool.shutdown(wait=True)


def _attribute(
    d: _Done,
    it: _Item,
    opts: IngestOptions,
    *,
    custody: Custody,
    names: dict[int, str],
    by_device: dict[str, int],
    by_code: dict[str, int],
) -> tuple[int | None, dict[str, Any]]:
    """The officer a file is attributed to, and what was assumed (in Chinese) for the result.

    Order: the holder of the file's camera at its start time (device register); when the register
    cannot tell, the officer number in the file name (certificates), the camera number in the
    roster, then the batch's officer. A batch officer or a file-name officer that differs from the
    register's holder is reported (the holder is kept; the batch officer becomes the second)."""
    when = d.start or it.mtime
    at = f"{when:%Y-%m-%d %H:%M}"
    officer: int | None = None
    conflict = False
    parts: list[str] = []
    if d.device:
        h = custody.at(d.device, when)
        if h.registered and h.staff_id is not None:
            officer, kind = h.staff_id, "holder"
            parts.append(f"按设备{h.device_no}在{at}的持有人推定为 {h.staff}")
        elif h.registered:
            kind = "no_holder"
            parts.append(f"设备{h.device_no}在{at}无人持有（设备登记中没有该时间的持有记录）")
        else:
            kind = "unknown_device"
            parts.append(f"设备{d.device}未在执法记录仪登记中")
    else:
        kind = "no_device"
        parts.append("文件名中没有设备号，也未指定设备")
    code_officer = by_code.get(d.info.officer) if d.info.officer else None
    if officer is None:
        if code_officer is not None:
            officer = code_officer
            parts.append(f"按文件名中的人员编号 {d.info.officer} 推定为 {names.get(officer, '')}")
        elif d.device and by_device.get(d.device) is not None:
            officer = by_device[d.device]
            parts.append(f"按花名册登记的执法记录仪编号推定为 {names.get(officer, '')}")
        elif opts.officer_id is not None:
            officer = opts.officer_id
            parts.append(f"按本批指定的执法人员记为 {names.get(officer, '')}")
        else:
            parts.append("执法人员未定，请在索引中补充")
    else:
        if opts.officer_id is not None and opts.officer_id != officer:
            conflict = True
            parts.append(
                f"本批指定的执法人员 {names.get(opts.officer_id, opts.officer_id)} 与设备登记的"
                f"持有人不一致（记为第二执法人员），请核对"
            )
        if code_officer is not None and code_officer != officer:
            conflict = True
            parts.append(
                f"文件名中的人员编号 {d.info.officer}（{names.get(code_officer, '')}）与设备登记的"
                "持有人不一致，请核对"
            )
    return officer, {
        "path": roots.shown(str(it.path)),
        "device": d.device,
        "start": f"{when:%Y-%m-%d %H:%M:%S}",
        "officer_id": officer,
        "officer": names.get(officer, "") if officer is not None else "",
        "kind": kind,
        "conflict": conflict,
        "message": "；".join(parts),
    }


def _finish(db: Database, batch_id: int, result: IngestResult, t0: float) -> None:
    result.seconds = time.perf_counter() - t0
    with db.begin() as s:
        b = s.get(AvIngestBatch, batch_id)
        assert b is not None
        b.finished_at = dt.datetime.now()
        b.added, b.duplicates, b.existing = result.added, len(result.duplicates), result.existing
        b.skipped, b.bytes, b.cancelled = len(result.skipped), result.bytes, result.cancelled
