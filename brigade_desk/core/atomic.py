"""Files are written whole or not at all: a temporary file in the target folder, then os.replace."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from brigade_desk.core.errors import UserError, describe_os_error


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success move it into place, else remove it."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise UserError(f"保存位置不存在：{folder}")
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=".~" + target.stem[:20], suffix=target.suffix, dir=folder
        )
        os.close(fd)
    except OSError as exc:
        raise UserError(describe_os_error(exc, target)) from exc
    tmp = Path(tmp_name)
    try:
        yield tmp
        try:
            # mkstemp makes the file private (0600): give it the mode of the file it replaces, or
            # the usual rw-r--r-- of a new file, so a shared folder's colleagues can open it
            with contextlib.suppress(OSError):
                os.chmod(tmp, stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644)
            os.replace(tmp, target)
        except OSError as exc:
            raise UserError(describe_os_error(exc, target)) from exc
    except OSError as exc:
        raise UserError(describe_os_error(exc, target)) from exc
    finally:
        if tmp.exists():
            with contextlib.suppress(OSError):
                tmp.unlink()


def write_atomic(target: Path | str, writer: Callable[[Path], None]) -> Path:
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)
