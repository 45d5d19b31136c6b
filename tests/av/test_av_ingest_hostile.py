"""AV ingest never loses a file silently (issue 17, item 4).

Hostile inputs are made here by script: names that are not valid UTF-8, unreadable folders and
files, files that grow, change or vanish while they are hashed, and ingests killed outright. Every
media file must end up indexed exactly once or listed (path + Chinese reason) as not ingested; the
command line says so in its exit code (3) and prints no traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from av_fixtures import db, mp4_bytes, write  # noqa: F401
from dbtemplate import fresh_db, query, target
from sqlalchemy import select

from brigade_desk.ledgers.av import hashing, roots
from brigade_desk.ledgers.av import ingest as ingest_mod
from brigade_desk.ledgers.av.cli import INGEST_INCOMPLETE
from brigade_desk.ledgers.av.ingest import (
    MSG_BROKEN_LINK,
    MSG_CHANGED,
    MSG_DIR_DENIED,
    MSG_FILE_DENIED,
    MSG_NOT_FILE,
    MSG_NOT_UTF8,
    MSG_VANISHED,
    PARTS_DIR,
    IngestOptions,
    ingest,
)
from brigade_desk.ledgers.av.models import AvIngestBatch, AvRecord

POSIX = os.name == "posix"
NOBODY = 65534


def _cli(dbp: Path, *args: str, user: int | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    cmd = [sys.executable, "-m", "brigade_desk", "--db", target(dbp), *args]
    if user is not None:  # an unprivileged user, for whom chmod 000 really denies
        env["HOME"] = str(dbp.parent)
        # that user's own data folder (a server ledger's anchors are kept there)
        env["XDG_DATA_HOME"] = str(dbp.parent / "data")
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def _no_traceback(r: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in r.stderr and "Error:" not in r.stderr, r.stderr
    assert "Exception" not in r.stderr, r.stderr


def _bytes_name_ok(folder: Path) -> bool:
    """Whether this file system accepts a name that is not UTF-8 (Linux ext4/tmpfs do; macOS,
    Windows and some mounts refuse)."""
    if not POSIX or sys.platform == "darwin":
        return False
    probe = os.fsencode(str(folder)) + b"/probe\xff"
    try:
        with open(probe, "wb"):
            pass
        os.remove(probe)
        return True
    except OSError:
        return False


def _db_records(dbp: Path) -> list[tuple[str, str, int]]:
    # sorted here: by code point, as SQLite's binary collation (a server's may be the locale's)
    return sorted(tuple(r) for r in query(dbp, "SELECT rel_path, sha256, size FROM av_record"))


def _unfinished(dbp: Path) -> int:
    return int(query(dbp, "SELECT count(*) FROM av_ingest_batch WHERE finished_at IS NULL")[0][0])


def _media_on_disk(folder: Path) -> set[bytes]:
    """Every media file under ``folder`` as raw bytes, walked independently of the program."""
    out: set[bytes] = set()
    for dirpath, _dirs, files in os.walk(os.fsencode(str(folder))):
        for f in files:
            if os.path.splitext(f)[1].lower().decode("ascii", "replace") in {".mp4", ".jpg"}:
                out.add(os.path.join(dirpath, f))
    return out


# ---- shown paths ----------------------------------------------------------------------------------


def test_shown_escapes_what_cannot_be_read() -> None:
    assert roots.shown("/证据/2026/DSJ_0001.mp4") == "/证据/2026/DSJ_0001.mp4"
    assert roots.shown("现场　照片.jpg") == "现场　照片.jpg"  # an ideographic space stays
    bad = os.fsdecode(b"/x/\xd5\xc5\xc8\xfd.mp4") if POSIX else "/x/\udcd5\udcc5\udcc8\udcfd.mp4"
    assert roots.shown(bad) == "/x/\\xd5\\xc5\\xc8\\xfd.mp4"
    assert not roots.storable(bad) and roots.storable(roots.shown(bad))
    assert roots.shown("a\u202eb\u200bc\nd") == "a\\u202eb\\u200bc\\x0ad"


# ---- names that are not UTF-8 ---------------------------------------------------------------------


def _bad_name_folder(tmp_path: Path) -> Path:
    src = tmp_path / "导出"
    src.mkdir()
    b = os.fsencode(str(src))
    write(src / "a_正常.mp4", mp4_bytes(2, b"a" * 3000))
    # a GBK name copied from a Windows disk as bytes: 张三.mp4
    with open(b + b"/\xd5\xc5\xc8\xfd.mp4", "wb") as fh:
        fh.write(mp4_bytes(3, b"b" * 3000))
    os.mkdir(b + b"/\xc9\xe3\xcf\xf1")  # a folder named 摄像 in GBK
    with open(b + b"/\xc9\xe3\xcf\xf1/inside.mp4", "wb") as fh:
        fh.write(b"c" * 5000)
    with open(b + b"/note\xff.txt", "wb") as fh:  # not media: skipped, shown escaped
        fh.write(b"x")
    write(src / "z_之后.mp4", mp4_bytes(4, b"d" * 3000))  # after the bad ones: still ingested
    return src


def test_invalid_utf8_names_are_listed_and_the_run_goes_on(tmp_path: Path) -> None:
    if not _bytes_name_ok(tmp_path):
        pytest.skip("this file system (or OS) refuses names that are not UTF-8")
    src = _bad_name_folder(tmp_path)
    dbp = tmp_path / "t.sqlite"
    fresh_db(dbp).close()
    r = _cli(dbp, "av", "ingest", "--in-place", str(src), "--json")
    _no_traceback(r)
    assert r.returncode == INGEST_INCOMPLETE, r.stderr
    out = json.loads(r.stdout)
    assert out["added"] == 2 and out["not_ingested"] == 2
    listed = {e["path"]: e["message"] for e in out["errors"]}
    assert listed == {
        f"{src}/\\xd5\\xc5\\xc8\\xfd.mp4": MSG_NOT_UTF8,
        f"{src}/\\xc9\\xe3\\xcf\\xf1/inside.mp4": MSG_NOT_UTF8,
    }
    assert out["skipped_files"] == [f"{src}/note\\xff.txt"]
    assert [rel for rel, _s, _n in _db_records(dbp)] == ["a_正常.mp4", "z_之后.mp4"]
    # the plain text output names each file and says what to do; the exit code tells a script
    again = tmp_path / "t2.sqlite"
    fresh_db(again).close()
    t = _cli(again, "av", "ingest", "--in-place", str(src))
    _no_traceback(t)
    assert t.returncode == INGEST_INCOMPLETE
    assert (
        f"未登记（文件）：{src}/\\xd5\\xc5\\xc8\\xfd.mp4：文件名（或所在文件夹名）含有无法识别的字符"
        in (t.stderr)
    )
    assert "有 2 个文件未能登记（见列表）" in t.stdout and "新增 2 个" in t.stdout


def test_folder_itself_not_utf8_is_refused_in_chinese(tmp_path: Path) -> None:
    if not _bytes_name_ok(tmp_path):
        pytest.skip("this file system (or OS) refuses names that are not UTF-8")
    bad = os.fsencode(str(tmp_path)) + b"/\xb5\xbc\xb3\xf6"
    os.mkdir(bad)
    with open(bad + b"/a.mp4", "wb") as fh:
        fh.write(b"1234")
    dbp = tmp_path / "t.sqlite"
    fresh_db(dbp).close()
    r = _cli(dbp, "av", "ingest", "--in-place", os.fsdecode(bad))
    _no_traceback(r)
    assert r.returncode == 1
    assert (
        f"文件夹的路径含有无法识别的字符（不是有效的 UTF-8 编码）：{tmp_path}/\\xb5\\xbc\\xb3\\xf6"
        in (r.stderr + r.stdout)
    )


# ---- unreadable folders and files ----------------------------------------------------------------


def test_unreadable_folder_and_file_are_listed_in_process(db, tmp_path, monkeypatch):  # noqa: F811
    """As root chmod does not deny: os.scandir / open are made to refuse one path each."""
    src = tmp_path / "src"
    write(src / "a.mp4", b"a" * 100)
    write(src / "锁住的文件夹" / "b.mp4", b"b" * 100)
    write(src / "c_锁住.mp4", b"c" * 100)
    write(src / "d.mp4", b"d" * 100)
    locked_dir = str(src / "锁住的文件夹")
    locked_file = str(src / "c_锁住.mp4")
    real_scandir, real_open = os.scandir, open

    def scandir(path: Any = ".") -> Any:
        if os.fspath(path) == locked_dir:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    def fake_open(file: Any, *a: Any, **k: Any) -> Any:
        if os.fspath(file) == locked_file:
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_open(file, *a, **k)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(hashing, "open", fake_open, raising=False)
    res = ingest(db, src, IngestOptions(in_place=True))
    assert res.added == 2 and not res.cancelled and not res.complete
    assert res.errors == [
        {"path": locked_dir, "message": MSG_DIR_DENIED, "kind": "文件夹"},
        {"path": locked_file, "message": MSG_FILE_DENIED, "kind": "文件"},
    ]
    assert "有 1 个文件、1 个文件夹未能登记" in res.summary()
    with db.session() as s:
        assert sorted(s.scalars(select(AvRecord.rel_path))) == ["a.mp4", "d.mp4"]


@pytest.mark.skipif(not POSIX or shutil.which("setpriv") is None, reason="needs POSIX and setpriv")
def test_chmod_000_folder_and_file_through_the_cli(tmp_path: Path) -> None:
    """A real chmod 000, run as an unprivileged user when the tests run as root."""
    user = NOBODY if os.geteuid() == 0 else None
    work = Path(tempfile.mkdtemp(prefix="avperm-", dir="/tmp"))
    try:
        os.chmod(work, 0o777)
        src = work / "src"
        write(src / "a.mp4", b"a" * 100)
        write(src / "锁住" / "b.mp4", b"b" * 100)
        write(src / "c.mp4", b"c" * 100)
        dbp = work / "t.sqlite"
        fresh_db(dbp).close()
        if user is not None:
            for p in [work, *work.rglob("*")]:
                os.chown(p, user, user)
        os.chmod(src / "锁住", 0)
        os.chmod(src / "c.mp4", 0)
        r = _cli(dbp, "av", "ingest", "--in-place", str(src), "--json", user=user)
        _no_traceback(r)
        assert r.returncode == INGEST_INCOMPLETE, r.stderr
        out = json.loads(r.stdout)
        assert out["added"] == 1 and out["skipped"] == 0
        assert {(e["path"], e["message"]) for e in out["errors"]} == {
            (str(src / "锁住"), MSG_DIR_DENIED),
            (str(src / "c.mp4"), MSG_FILE_DENIED),
        }
    finally:
        for p in (work / "src" / "锁住", work / "src" / "c.mp4"):
            if p.exists():
                os.chmod(p, 0o755)
        shutil.rmtree(work, ignore_errors=True)


# ---- files that change or vanish while hashed -----------------------------------------------------


def _during_hash(monkeypatch: pytest.MonkeyPatch, name: str, action: Any) -> None:
    """Run ``action(path)`` after the first chunk of ``name`` was read (both plain and copying)."""
    real_open = open

    class Hooked:
        def __init__(self, fh: Any, path: str) -> None:
            self.fh, self.path, self.reads = fh, path, 0

        def readinto(self, buf: Any) -> int:
            n = self.fh.readinto(buf)
            self.reads += 1
            if self.reads == 1:
                action(Path(self.path))
            return n

        def __enter__(self) -> Hooked:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

    def fake_open(file: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        fh = real_open(file, mode, *a, **k)
        if mode == "rb" and Path(os.fspath(file)).name == name:
            return Hooked(fh, os.fspath(file))
        return fh

    monkeypatch.setattr(hashing, "open", fake_open, raising=False)


def _grow(p: Path) -> None:
    with open(p, "ab") as fh:
        fh.write(b"appended while hashed" * 1000)


def _rewrite_same_size(p: Path) -> None:
    time.sleep(0.05)  # past the file system's timestamp tick
    with open(p, "r+b") as fh:
        fh.write(b"Z" * 4096)


@pytest.mark.parametrize("copy", [False, True], ids=["index", "copy-to-archive"])
@pytest.mark.parametrize(
    ("action", "message"),
    [(_grow, MSG_CHANGED), (_rewrite_same_size, MSG_CHANGED), (os.remove, MSG_VANISHED)],
    ids=["grows", "rewritten", "deleted"],
)
def test_file_changed_while_hashed_is_not_indexed(
    db,  # noqa: F811
    tmp_path,
    monkeypatch,
    action,
    message,
    copy,
):
    if action is os.remove and not POSIX:
        pytest.skip("Windows refuses to delete a file that is open")
    src = tmp_path / "src"
    write(src / "a.mp4", os.urandom(3 * hashing.CHUNK))
    victim = write(src / "b_移动中.mp4", os.urandom(3 * hashing.CHUNK + 17))
    write(src / "c.mp4", os.urandom(1000))
    _during_hash(monkeypatch, victim.name, action)
    archive = tmp_path / "archive"
    res = ingest(
        db, src, IngestOptions(copy_to=archive if copy else None, in_place=not copy, workers=2)
    )
    assert res.added == 2 and res.errors == [
        {"path": str(victim), "message": message, "kind": "文件"}
    ]
    with db.session() as s:
        recs = s.scalars(select(AvRecord)).all()
    assert sorted(r.file_name for r in recs) == ["a.mp4", "c.mp4"]
    if copy:  # nothing of the changed file stays in the archive, no part either
        names = sorted(p.name for p in archive.rglob("*") if p.is_file())
        assert names == ["a.mp4", "c.mp4"]


def test_file_deleted_before_its_turn_is_listed(db, tmp_path, monkeypatch):  # noqa: F811
    src = tmp_path / "src"
    write(src / "a.mp4", b"a" * 100)
    gone = write(src / "b.mp4", b"b" * 100)
    real = ingest_mod.scan

    def scan_then_delete(*a: Any, **k: Any) -> Any:
        out = real(*a, **k)
        gone.unlink()
        return out

    monkeypatch.setattr(ingest_mod, "scan", scan_then_delete)
    res = ingest(db, src, IngestOptions(in_place=True))
    assert res.added == 1 and res.errors == [
        {"path": str(gone), "message": MSG_VANISHED, "kind": "文件"}
    ]


# ---- killed ingests -------------------------------------------------------------------------------


@pytest.fixture
def big_folder(tmp_path: Path) -> Iterator[Path]:
    src = tmp_path / "执法记录仪"
    src.mkdir()
    for i in range(24):
        (src / f"035357_DSJ-A0009_2026112208{i:02d}16_{i:04d}.mp4").write_bytes(
            os.urandom(6 * hashing.CHUNK)
        )
    yield src


@pytest.mark.skipif(not POSIX, reason="SIGKILL")
def test_killed_copying_ingest_is_cleaned_and_completed_by_the_next_run(
    tmp_path: Path, big_folder: Path
) -> None:
    dbp = tmp_path / "k.sqlite"
    fresh_db(dbp).close()
    archive = tmp_path / "归档"
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "brigade_desk",
        "--db",
        target(dbp),
        "av",
        "ingest",
        str(big_folder),
    ]
    cmd += ["--copy-to", str(archive), "--workers", "1"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    parts = archive / PARTS_DIR
    deadline = time.monotonic() + 120
    caught = False
    indexed = False
    try:
        while time.monotonic() < deadline and p.poll() is None:
            # mid-run: some files indexed (asked of the database until they are: on a server each
            # question takes a connection), then killed the moment a copy is being written
            if not indexed:
                indexed = bool(_db_records(dbp))
            elif parts.is_dir() and any(f.name.endswith(".part") for f in os.scandir(parts)):
                os.kill(p.pid, signal.SIGKILL)
                caught = True
                break
            time.sleep(0.002)
    finally:
        if p.poll() is None and not caught:
            p.kill()
        p.wait()
    assert caught, "the ingest finished before it could be killed mid-copy"
    left = [f for f in archive.rglob("*.part")]
    assert left and _unfinished(dbp) == 1
    n_before = len(_db_records(dbp))
    assert 0 < n_before < 24
    # an older version wrote its parts beside the archived files: those go too
    legacy = next(archive.rglob("*.mp4")).parent / ".~av-0123abcd.part"
    legacy.write_bytes(b"x" * 1000)

    r = _cli(dbp, "av", "ingest", str(big_folder), "--copy-to", str(archive), "--workers", "2")
    _no_traceback(r)
    assert r.returncode == 0, r.stderr
    assert "未正常结束（程序被强行关闭或断电），已标记为中断" in r.stdout
    assert f"其中已登记的 {n_before} 个文件保留，其余文件本次继续采集。" in r.stdout
    assert (
        "已删除中断的入库留下的" in r.stdout and f"{len(left) + 1} 个未完成的临时文件" in r.stdout
    )
    assert f"新增 {24 - n_before} 个" in r.stdout
    assert not list(archive.rglob("*.part")) and _unfinished(dbp) == 0
    recs = _db_records(dbp)
    assert len(recs) == 24 and len({sha for _r, sha, _n in recs}) == 24
    archived = sorted(p.name for p in archive.rglob("*.mp4"))
    assert archived == sorted(p.name for p in big_folder.iterdir())  # each copied exactly once
    killed = tuple(
        query(dbp, "SELECT added, cancelled FROM av_ingest_batch ORDER BY id LIMIT 1")[0]
    )
    assert killed == (n_before, 1)  # the closed batch says what it did index
    v = _cli(dbp, "av", "verify", "--json")
    assert v.returncode == 0 and json.loads(v.stdout)["checked"] == 24, v.stdout


def test_unfinished_batch_of_another_run_is_closed_in_process(db, tmp_path):  # noqa: F811
    write(tmp_path / "s" / "a.mp4", b"1")
    first = ingest(db, tmp_path / "s", IngestOptions(in_place=True))
    with db.begin() as s:  # as a killed run leaves it
        b = s.get(AvIngestBatch, first.batch_id)
        b.finished_at = None
    write(tmp_path / "t" / "b.mp4", b"2")
    res = ingest(db, tmp_path / "t", IngestOptions(in_place=True))
    assert res.added == 1 and len(res.cleanup) == 1
    assert (
        f"第 {first.batch_id} 批" in res.cleanup[0]
        and "其余文件请重新采集该文件夹" in res.cleanup[0]
    )
    with db.session() as s:
        assert all(b.finished_at for b in s.scalars(select(AvIngestBatch)))
        assert s.get(AvIngestBatch, first.batch_id).added == 1


# ---- everything at once: nothing lost, nothing raised ---------------------------------------------


def test_hostile_folder_accounts_for_every_media_file(tmp_path: Path) -> None:
    """One folder with every hostile input the file system allows: each media file is indexed
    exactly once or listed; the count of files tried, lost and raised is printed."""
    src = tmp_path / "混合"
    src.mkdir()
    write(src / "ok" / "1.mp4", mp4_bytes(1, b"1" * 100))
    write(src / "ok" / "dup.mp4", mp4_bytes(1, b"1" * 100))  # same content: a duplicate
    write(src / "空文件.mp4", b"")
    write(src / "名字 with spaces #%41 ?.jpg", b"\xff\xd8jpeg")
    write(src / "\u202e4pm.exe.jpg", b"\xff\xd8rtl")
    write(src / "deep" / ("很长的文件夹名" * 8) / ("很长的文件名" * 10 + ".mp4"), b"long")
    if POSIX:
        os.mkfifo(src / "管道.mp4")
        os.symlink(src / "不存在.mp4", src / "断链.mp4")
    bad_ok = _bytes_name_ok(tmp_path)
    if bad_ok:
        with open(os.fsencode(str(src)) + b"/\xff\xfe.mp4", "wb") as fh:
            fh.write(b"bad")
    if shutil.which("ffmpeg"):
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=d=2:s=160x120"]
            + ["-f", "lavfi", "-i", "sine=d=2", "-shortest", str(src / "ffmpeg_muxed.mp4")],
            check=True,
            timeout=120,
        )
    dbp = tmp_path / "t.sqlite"
    fresh_db(dbp).close()
    r = _cli(dbp, "av", "ingest", "--in-place", str(src), "--json")
    _no_traceback(r)
    out = json.loads(r.stdout)
    on_disk = _media_on_disk(src)
    accounted = out["added"] + out["duplicates"] + out["existing"] + out["not_ingested"]
    tried = len(on_disk)
    lost = tried - accounted
    print(f"\nhostile media files tried: {tried}; tracebacks: 0; silently lost: {lost}")
    assert lost == 0 and out["duplicates"] == 1
    assert r.returncode == (INGEST_INCOMPLETE if POSIX else 0)
    indexed = {rel for rel, _s, _n in _db_records(dbp)}
    assert "\u202e4pm.exe.jpg" in indexed and "名字 with spaces #%41 ?.jpg" in indexed
    if shutil.which("ffmpeg"):
        d = query(dbp, "SELECT duration_s FROM av_record WHERE file_name='ffmpeg_muxed.mp4'")[0][0]
        assert d is not None and 1.9 <= d <= 2.2
    # a second run adds nothing and still lists the bad name
    again = _cli(dbp, "av", "ingest", "--in-place", str(src), "--json")
    o2 = json.loads(again.stdout)
    assert o2["added"] == 0 and o2["existing"] == out["added"]
    assert o2["not_ingested"] == out["not_ingested"]


def test_running_batch_is_not_taken_for_a_killed_one(db, tmp_path, monkeypatch):  # noqa: F811
    """Two ingests in one process (the GUI's worker and another): the second leaves the first's
    batch and parts alone."""
    write(tmp_path / "s" / "a.mp4", os.urandom(2 * hashing.CHUNK))
    write(tmp_path / "t" / "b.mp4", b"2")
    archive = tmp_path / "archive"
    seen: list[Any] = []
    real = hashing.copy_and_hash

    def copy_and_run_another(src: Path, tmp: Path, **k: Any) -> Any:
        if src.name == "a.mp4":  # while a.mp4 is being copied (its part exists)
            with open(tmp, "xb") as fh:
                fh.write(b"partial")
            seen.append(ingest(db, tmp_path / "t", IngestOptions(copy_to=archive)))
            os.remove(tmp)
        return real(src, tmp, **k)

    monkeypatch.setattr(ingest_mod, "copy_and_hash", copy_and_run_another)
    first = ingest(db, tmp_path / "s", IngestOptions(copy_to=archive))
    assert first.added == 1 and not first.cleanup and not first.errors
    assert seen[0].added == 1 and seen[0].cleanup == [] and not seen[0].errors
    with db.session() as s:
        b = s.get(AvIngestBatch, first.batch_id)
        assert b.added == 1 and not b.cancelled


def test_archive_disk_full_is_listed_and_leaves_no_part(db, tmp_path, monkeypatch):  # noqa: F811
    import errno

    src = tmp_path / "src"
    write(src / "a.mp4", b"a" * 100)
    write(src / "b_满.mp4", b"b" * 100)
    archive = tmp_path / "归档"
    real_open = open

    class Full:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def write(self, data: Any) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name: str) -> Any:
            return getattr(self.fh, name)

        def __enter__(self) -> Any:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

    def fake_open(file: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        fh = real_open(file, mode, *a, **k)
        return Full(fh) if mode == "xb" and seen[-1].startswith("b_") else fh  # (one worker)

    seen = [""]
    real_copy = hashing.copy_and_hash

    def copy(src_p: Path, tmp: Path, **k: Any) -> Any:
        seen.append(src_p.name)
        return real_copy(src_p, tmp, **k)

    monkeypatch.setattr(hashing, "open", fake_open, raising=False)
    monkeypatch.setattr(ingest_mod, "copy_and_hash", copy)
    res = ingest(db, src, IngestOptions(copy_to=archive, workers=1))
    assert res.added == 1 and len(res.errors) == 1
    e = res.errors[0]
    assert e["path"] == str(src / "b_满.mp4")
    assert (
        e["message"].startswith(f"磁盘空间不足，无法写入 {archive}")
        and "复制到归档失败" in e["message"]
    )
    assert not list(archive.rglob("*.part"))


@pytest.mark.skipif(not POSIX, reason="pipes, device links and symbolic links as POSIX makes them")
def test_pipe_device_and_broken_link_are_listed_not_read(db, tmp_path):  # noqa: F811
    """A pipe named .mp4 would block the read forever; a link to /dev/zero would never end."""
    src = tmp_path / "src"
    write(src / "a.mp4", b"a")
    os.mkfifo(src / "b_管道.mp4")
    os.symlink("/dev/zero", src / "c_零.mp4")
    os.symlink(src / "不存在.mp4", src / "d_断链.mp4")
    write(src / "e.mp4", b"e")
    res = ingest(db, src, IngestOptions(in_place=True))
    assert res.added == 2
    assert [(e["path"], e["message"]) for e in res.errors] == [
        (str(src / "b_管道.mp4"), MSG_NOT_FILE),
        (str(src / "c_零.mp4"), MSG_NOT_FILE),
        (str(src / "d_断链.mp4"), MSG_BROKEN_LINK),
    ]


def test_read_error_is_told_in_chinese(db, tmp_path, monkeypatch):  # noqa: F811
    import errno

    src = tmp_path / "src"
    write(src / "a.mp4", b"a" * 10)
    write(src / "b_坏道.mp4", b"b" * 10)
    real_open = open

    class Failing:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def readinto(self, buf: Any) -> int:
            raise OSError(errno.EIO, "Input/output error")

        def __enter__(self) -> Any:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

    def fake_open(file: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        fh = real_open(file, mode, *a, **k)
        return Failing(fh) if Path(os.fspath(file)).name.startswith("b_") else fh

    monkeypatch.setattr(hashing, "open", fake_open, raising=False)
    res = ingest(db, src, IngestOptions(in_place=True))
    assert res.added == 1 and res.errors == [
        {
            "path": str(src / "b_坏道.mp4"),
            "message": "读取此文件失败（磁盘读取错误，可能是坏道，或存储卡、移动硬盘接触不良），"
            "未登记；请检查磁盘后重新采集。",
            "kind": "文件",
        }
    ]
