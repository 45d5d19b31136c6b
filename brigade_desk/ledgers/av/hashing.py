"""SHA-256 of files at the machine's limit, cancellable, with byte progress.

``hashlib`` (OpenSSL, SHA-NI where the CPU has it) releases the GIL while it hashes a buffer larger
than 2 KiB, so a pool of threads hashes several files truly in parallel. Files are read with
``readinto`` into one reused 1 MiB buffer per call (no per-chunk allocation); between chunks the
cancel flag is checked so a cancel interrupts even a many-gigabyte file within a few milliseconds.
Only portable calls are used (no POSIX-only APIs), so Chinese paths on Windows work the same.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

from brigade_desk.core.errors import Cancelled

CHUNK = 1 << 20  # 1 MiB

ByteCallback = Callable[[int], None]


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def hash_file(
    path: Path | str, *, cancel: threading.Event | None = None, on_bytes: ByteCallback | None = None
) -> tuple[str, int]:
    """Return (hex SHA-256, size in bytes read) of the file at ``path``."""
    h = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    total = 0
    with open(path, "rb", buffering=0) as fh:
        while True:
            _check(cancel)
            n = fh.readinto(buf)
            if not n:
                break
            h.update(view[:n])
            total += n
            if on_bytes is not None:
                on_bytes(n)
    return h.hexdigest(), total


def copy_and_hash(
    src: Path,
    tmp_dest: Path,
    *,
    cancel: threading.Event | None = None,
    on_bytes: ByteCallback | None = None,
) -> tuple[str, int]:
    """Copy ``src`` to ``tmp_dest`` (created new, never overwriting) hashing what was read.

    The destination is flushed to disk before returning. On any error or cancel the partial
    destination is removed.
    """
    h = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    total = 0
    try:
        with open(src, "rb", buffering=0) as fin, open(tmp_dest, "xb") as fout:
            while True:
                _check(cancel)
                n = fin.readinto(buf)
                if not n:
                    break
                h.update(view[:n])
                fout.write(view[:n])
                total += n
                if on_bytes is not None:
                    on_bytes(n)
            fout.flush()
            os.fsync(fout.fileno())
    except BaseException:
        try:
            os.remove(tmp_dest)
        except OSError:
            pass
        raise
    return h.hexdigest(), total
