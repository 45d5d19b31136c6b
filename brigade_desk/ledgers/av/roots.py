"""Storage roots: registered folders, relative paths inside them, resolving them back.

A record stores ``rel_path`` with ``/`` separators relative to its root, so moving an archive disk
from ``E:\\`` to ``F:\\`` only needs the root's path changed (:func:`set_root_path`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from brigade_desk.core.errors import UserError
from brigade_desk.ledgers.av.models import AvStorageRoot


def norm(p: Path | str) -> str:
    """A comparable form of an absolute path (case-folded on Windows)."""
    return os.path.normcase(os.path.abspath(str(p)))


def rel_of(path: Path, root: Path | str) -> str:
    """``path`` relative to ``root`` as a ``/``-separated string."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(str(root)))
    parts = Path(rel).parts
    if not parts or parts[0] == os.pardir:
        raise ValueError(f"{path} 不在 {root} 之下")
    return str(PurePosixPath(*parts))


def resolve(root_path: str, rel_path: str) -> Path:
    return Path(root_path).joinpath(*rel_path.split("/"))


def path_joiner(root_paths: dict[int, str]) -> Callable[[int, str], str]:
    """``join(root_id, rel_path) == str(resolve(root_paths[root_id], rel_path))``, for thousands of paths:
    a clean relative path is joined as text to the root's normalised form (pathlib parses every part
    again, ≈ 30 µs a path); anything unusual goes through :func:`resolve`."""
    bases: dict[int, tuple[str, str | None]] = {}

    def join(root_id: int, rel_path: str) -> str:
        b = bases.get(root_id)
        if b is None:
            root = root_paths[root_id]
            p = Path(root)
            text = str(p)
            b = bases[root_id] = (
                root,
                (text if text.endswith(os.sep) else text + os.sep) if p.root else None,
            )
        if b[1] is not None and _plain_rel(rel_path):
            return b[1] + (rel_path if os.sep == "/" else rel_path.replace("/", os.sep))
        return str(resolve(b[0], rel_path))

    return join


def _plain_rel(rel: str) -> bool:
    """No empty, ``.``, drive or backslash part: pathlib would keep every part as it is."""
    return bool(rel) and not (
        rel[0] == "/"
        or rel[-1] == "/"
        or "//" in rel
        or "\\" in rel
        or ":" in rel
        or rel == "."
        or rel.startswith("./")
        or rel.endswith("/.")
        or "/./" in rel
    )


def contains(root: str, path: str) -> bool:
    r, p = norm(root), norm(path)
    return p == r or p.startswith(r.rstrip(os.sep) + os.sep)


def find_root(
    session: Session, folder: Path, *, archive: bool | None = None
) -> AvStorageRoot | None:
    """The innermost registered root that contains ``folder``."""
    q = select(AvStorageRoot)
    if archive is not None:
        q = q.where(AvStorageRoot.is_archive.is_(archive))
    best: AvStorageRoot | None = None
    for r in session.scalars(q):
        if contains(r.path, str(folder)) and (
            best is None or len(norm(r.path)) > len(norm(best.path))
        ):
            best = r
    return best


def ensure_root(session: Session, folder: Path, *, archive: bool = False) -> AvStorageRoot:
    """The registered root containing ``folder``, or ``folder`` itself registered as a new root."""
    folder = Path(os.path.abspath(folder))
    found = find_root(session, folder, archive=True if archive else None)
    if found is not None:
        return found
    base = ("归档：" if archive else "") + (folder.name or str(folder))
    name, i = base, 1
    names = set(session.scalars(select(AvStorageRoot.name)))
    while name in names:
        i += 1
        name = f"{base}（{i}）"
    root = AvStorageRoot(name=name, path=str(folder), is_archive=archive)
    session.add(root)
    session.flush()
    return root


def set_root_path(session: Session, root_id: int, new_path: Path | str) -> AvStorageRoot:
    """Point a root at its new location (e.g. the archive disk got another drive letter)."""
    root = session.get(AvStorageRoot, root_id)
    if root is None:
        raise UserError(f"找不到存储位置 #{root_id}")
    p = Path(new_path)
    if not p.is_dir():
        raise UserError(f"文件夹不存在：{p}")
    root.path = str(Path(os.path.abspath(p)))
    return root


def roots_map(session: Session) -> dict[int, str]:
    return {r.id: r.path for r in session.scalars(select(AvStorageRoot))}


_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def storable(text: str) -> bool:
    """True when ``text`` can be stored and shown: no lone surrogates. On POSIX a name that is not
    valid UTF-8 comes from ``os`` with each bad byte as a surrogate (``surrogateescape``); on Windows
    a damaged UTF-16 name carries a lone surrogate. SQLite, JSON output and Qt refuse both."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(text: str) -> str:
    """``text`` (a path) as the clerk may read it: bytes that are not UTF-8 as ``\\xNN``, other
    invisible characters (controls, bidi overrides, zero-width, lone surrogates) as ``\\uNNNN``.
    A printable path is returned unchanged."""
    import unicodedata

    if text.isprintable() or all(
        unicodedata.category(c) not in _INVISIBLE_CATEGORIES for c in text
    ):
        return text
    out: list[str] = []
    for c in text:
        o = ord(c)
        if 0xDC80 <= o <= 0xDCFF:  # a byte kept by surrogateescape
            out.append(f"\\x{o - 0xDC00:02x}")
        elif unicodedata.category(c) in _INVISIBLE_CATEGORIES:
            out.append(f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}")
        else:
            out.append(c)
    return "".join(out)
