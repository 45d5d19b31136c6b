"""Anchors: the audit chain's head (entry count, head hash, time) kept outside the database.

An anchor is one JSON object. Anchors are written

- after every committed transaction that added audit entries (event ``commit``),
- for every backup, into the backup's manifest (``<backup>.anchor.json`` beside it) and into the
  anchor file (event ``backup``, the head of the backup copy),
- after a restore through the program (event ``restore``: from now on the chain continues from
  the restored head; anchors written before it with more entries belong to the abandoned branch).

The anchor file (``brigade_desk-anchors.jsonl``, beside the backups) is append-only: one line per
anchor, appended with a single write and fsync, never rewritten; a torn last line (power cut) is
skipped when read. Several databases may share a backup folder: each anchor names its database.

:func:`check` compares the chain (as :func:`audit.verify` read it) with every anchor it finds for
the database: an anchor pins entry N's hash, so a chain that has fewer entries (truncation, or a
rollback to an older copy) or a different hash at N (an entry edited and the chain recomputed) is
reported, in Chinese, naming what is missing since when.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import weakref
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from brigade_desk.core import paths

if TYPE_CHECKING:
    from brigade_desk.core.audit import Chain

log = logging.getLogger(__name__)

ANCHOR_FILE = "brigade_desk-anchors.jsonl"
MANIFEST_SUFFIX = ".anchor.json"
BACKUP_DIR_SETTING = "backup.dir"  # (backup.SETTING_KEY)
EVENT_ZH = {"commit": "保存", "backup": "备份", "restore": "恢复", "current": "当前"}


@dataclass(frozen=True)
class Anchor:
    entries: int  # how many audit entries the chain had
    head: str  # the hash of the last of them ("" when none)
    at: str  # when the anchor was taken, local time "YYYY-mm-dd HH:MM:SS.ffffff"
    event: str = "commit"
    db: str = ""  # the database's absolute path
    head_at: str = ""  # the time of the last entry
    backup: str = ""  # the backup file (event backup) or the restored file (event restore)
    source: str = field(default="", compare=False)  # where this anchor was read

    @property
    def digest(self) -> str:
        """The head hash without its scheme prefix."""
        return self.head.rsplit(":", 1)[-1]

    @property
    def text_zh(self) -> str:
        """For form footers and metadata: "审计链：第 N 条，末条摘要 abcd1234…"."""
        if not self.entries:
            return "审计链：尚无记录"
        return f"审计链：第 {self.entries} 条，末条摘要 {self.digest[:8]}…"

    def to_json(self) -> str:
        d = asdict(self)
        d.pop("source")
        return json.dumps({"v": 1, **d}, ensure_ascii=False, separators=(",", ":"))


def _now() -> str:
    return dt.datetime.now().isoformat(sep=" ", timespec="microseconds")


# a server database's anchors are kept in this PC's home folder for it (core.server.home_dir),
# set when it is opened (core.db); a SQLite file's beside the file
SERVER_HOMES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def ledger_key(engine: Any) -> str:
    """The path the anchors of ``engine``'s ledger are kept under: the database file, or for a
    server database this PC's folder for it ("" for an in-memory database)."""
    if engine.dialect.name != "sqlite":
        return SERVER_HOMES.get(engine, "")
    return str(engine.url.database or "")


def _db_key(db_path: str | os.PathLike[str]) -> str:
    return str(Path(db_path).absolute().resolve())


def current(session: Session) -> Anchor:
    """The chain's head as it is now in ``session``'s database (for printed forms: ``text_zh``)."""
    conn = session.connection()
    row = conn.exec_driver_sql(
        "SELECT id, hash, at FROM audit_log ORDER BY id DESC LIMIT 1"
    ).first()
    db = ledger_key(conn.engine)
    if row is None:
        return Anchor(0, "", _now(), "current", db)
    at = row[2] if isinstance(row[2], str) else row[2].isoformat(sep=" ")
    return Anchor(int(row[0]), str(row[1]), _now(), "current", db, str(at).split(".")[0])


def head_of_file(path: Path) -> Anchor | None:
    """The chain's head of a database file (a backup copy), read-only; None without a trail."""
    try:
        c = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True)
        try:
            row = c.execute(
                "SELECT id, hash, at FROM audit_log ORDER BY id DESC LIMIT 1"
            ).fetchone()
        finally:
            c.close()
    except sqlite3.Error:
        return None
    if row is None:
        return Anchor(0, "", _now())
    return Anchor(int(row[0]), str(row[1]), _now(), head_at=str(row[2]).split(".")[0])


# ---- writing ---------------------------------------------------------------------------------


def backup_folder(db_path: Path) -> Path:
    """The configured backup folder (read straight from the file, usable before migrations)."""
    if db_path.is_file():
        try:
            with sqlite3.connect(db_path.absolute().as_uri() + "?mode=ro", uri=True) as c:
                row = c.execute(
                    "SELECT value FROM setting WHERE key = ?", (BACKUP_DIR_SETTING,)
                ).fetchone()
            c.close()
            if row and json.loads(row[0]):
                return Path(json.loads(row[0]))
        except (sqlite3.Error, ValueError):  # a damaged file: the default folder
            pass
    return paths.backup_dir_for(db_path)


def anchor_file(db_path: str | os.PathLike[str]) -> Path:
    return backup_folder(Path(db_path)) / ANCHOR_FILE


def append(db_path: str | os.PathLike[str], a: Anchor) -> Path:
    """Append ``a`` as one line to the anchor file beside the backups (created if missing)."""
    target = anchor_file(db_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    line = (a.to_json() + "\n").encode("utf-8")
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
    try:
        os.write(fd, line)  # one write of one line: appended whole
        os.fsync(fd)
    finally:
        os.close(fd)
    return target


def note_commit(db_path: str, entries: int, head: str, head_at: str) -> None:
    """After a commit that added audit entries: anchor the new head."""
    append(db_path, Anchor(entries, head, _now(), "commit", _db_key(db_path), head_at))


def note_backup(db_path: Path, backup: Path) -> Anchor | None:
    """A backup was written: its head into its manifest (beside it) and into the anchor file."""
    h = head_of_file(backup)
    if h is None:
        return None
    a = Anchor(h.entries, h.head, _now(), "backup", _db_key(db_path), h.head_at, str(backup))
    from brigade_desk.core.atomic import write_atomic

    manifest = backup.with_name(backup.name + MANIFEST_SUFFIX)

    def write(tmp: Path) -> None:
        tmp.write_text(a.to_json() + "\n", encoding="utf-8")

    write_atomic(manifest, write)
    append(db_path, a)
    return a


def note_restore(db_path: Path, backup: Path) -> Anchor | None:
    """A restore through the program: the chain now continues from the restored head."""
    h = head_of_file(db_path)
    if h is None:
        return None
    a = Anchor(h.entries, h.head, _now(), "restore", _db_key(db_path), h.head_at, str(backup))
    append(db_path, a)
    return a


# ---- reading and checking --------------------------------------------------------------------


def _parse(line: str, source: str) -> Anchor | None:
    try:
        d = json.loads(line)
        return Anchor(
            int(d["entries"]),
            str(d["head"]),
            str(d["at"]),
            str(d.get("event", "commit")),
            str(d.get("db", "")),
            str(d.get("head_at", "")),
            str(d.get("backup", "")),
            source,
        )
    except (ValueError, KeyError, TypeError):
        return None  # a torn last line, or not ours


def find(db_path: str | os.PathLike[str]) -> list[Anchor]:
    """Every anchor of this database: the anchor file(s) and the backup manifests, oldest first."""
    key = _db_key(db_path)
    folders = {backup_folder(Path(key)), paths.backup_dir_for(Path(key))}
    out: list[Anchor] = []
    for folder in folders:
        f = folder / ANCHOR_FILE
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        for line in text.splitlines():
            a = _parse(line, str(f))
            if a is not None and a.db == key:
                out.append(a)
        try:
            manifests = [p for p in folder.iterdir() if p.name.endswith(MANIFEST_SUFFIX)]
        except OSError:
            manifests = []
        for m in manifests:
            try:
                a = _parse(m.read_text(encoding="utf-8"), str(m))
            except OSError:
                continue
            if a is not None and a.db == key:
                out.append(a)
    out.sort(key=lambda a: a.at)
    return out


@dataclass
class CheckResult:
    checked: int = 0
    problem: str = ""
    entry: int | None = None
    restores: list[str] = field(default_factory=list)  # restores through the program, in words


def zh_time(at: str) -> str:
    """ "2026-12-05 07:40:12.123456" → "2026年12月5日 07:40:12"."""
    try:
        t = dt.datetime.fromisoformat(at)
    except ValueError:
        return at
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M:%S}"


def _where(a: Anchor) -> str:
    kind = EVENT_ZH.get(a.event, a.event)
    src = Path(a.source).name if a.source else ""
    if a.event == "backup" and a.backup:
        return f"{zh_time(a.at)} {kind}时的锚点，备份 {Path(a.backup).name}"
    return f"{zh_time(a.at)} {kind}时的锚点，{src}"


def check(db_path: str | os.PathLike[str], chain: Chain) -> CheckResult:
    """Compare the chain with every anchor of the database (see the module's docstring)."""
    anchors = find(db_path)
    res = CheckResult()
    n = len(chain.hashes)
    restores = [a for a in anchors if a.event == "restore"]
    # a database started after an anchor was taken (its first entry signed with the key, so its
    # time cannot be forged) is a new database at the same path: the older anchors are not its own
    born = chain.times[0] if n and chain.hashes[0].startswith("k1:") else ""
    live: list[Anchor] = []
    for a in anchors:
        if born and a.at < born:
            continue
        # a restore through the program abandons the entries after the restored head
        if any(r.at > a.at and r.entries < a.entries for r in restores):
            continue
        live.append(a)
    res.checked = len(live)
    res.restores = [
        f"{zh_time(r.at)} 从 {Path(r.backup).name or '备份'} 恢复（之后从第 {r.entries} 条接续）"
        for r in restores
    ]
    # recomputed: the oldest anchor whose pinned hash differs
    for a in live:
        if a.entries == 0 or a.entries > n:
            continue
        if chain.hashes[a.entries - 1] != a.head:
            good = [
                b
                for b in live
                if 0 < b.entries <= n
                and b.entries < a.entries
                and chain.hashes[b.entries - 1] == b.head
            ]
            since = (
                f"第 {good[-1].entries} 条（{zh_time(good[-1].at)} 的锚点仍相符）之后"
                if good
                else "开头部分"
            )
            res.entry = a.entries
            res.problem = (
                f"审计链与锚点不符：第 {a.entries} 条的摘要应为 {a.digest[:12]}…（{_where(a)}），"
                f"数据库中为 {chain.hashes[a.entries - 1].rsplit(':', 1)[-1][:12]}…"
                f"——审计记录{since}的某条被改动后重算了哈希链，或数据库被换成了另一份。"
            )
            return res
    # truncated or rolled back: an anchor knows more entries than the database has
    longer = [a for a in live if a.entries > n]
    if longer:
        a = max(longer, key=lambda x: (x.entries, x.at))
        last = f"（数据库中最后一条记于 {zh_time(chain.times[-1])}）" if n else ""
        missing = f"第 {n + 1} 至 {a.entries} 条" if a.entries > n + 1 else f"第 {a.entries} 条"
        # the head is exactly a backup's: an older copy was put in place of the database
        same = [
            b
            for b in anchors
            if b.event == "backup"
            and b.entries == n
            and b.head == (chain.hashes[-1] if n else "")
            and b.at < a.at
        ]
        res.entry = n + 1
        if same:
            b = same[-1]
            res.problem = (
                f"数据库被退回到了旧的状态：现在的审计链与 {_where(b)} 相同（{n} 条），"
                f"但 {_where(a)} 记录已有 {a.entries} 条——{missing}审计记录及其所记的改动"
                f"（{zh_time(b.at)} 之后至 {zh_time(a.at)}）不见了，"
                "可能有人在程序之外用旧备份覆盖了数据库。若确需恢复旧备份，请在程序中用“恢复”。"
            )
        else:
            res.problem = (
                f"审计记录被截断：{_where(a)} 记录已有 {a.entries} 条，数据库中只有 {n} 条{last}，"
                f"{missing}审计记录（截至 {zh_time(a.at)}）及其所记的改动缺失——可能在程序之外被删除。"
            )
        return res
    return res


def describe(anchors: list[Anchor]) -> dict[str, Any]:
    """For ``audit verify --json``: the newest anchor found."""
    if not anchors:
        return {}
    a = anchors[-1]
    return {"entries": a.entries, "head": a.head, "at": a.at, "event": a.event, "source": a.source}
