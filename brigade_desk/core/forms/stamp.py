"""The audit chain's head stamped on every exported form (one of the anchors kept outside the
database, issue 17): "审计链：第 N 条，末条摘要 abcd1234…" in the document's metadata, and in the
page footer of the sheets and PDF forms whose layout leaves room for it (a 公文 keeps its GB/T 9704
page: metadata only).

:meth:`core.ledger.Export.export` sets it for the export it runs; the writers read it."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_STAMP: contextvars.ContextVar[str] = contextvars.ContextVar("brigade_desk_audit_stamp", default="")


def audit_stamp() -> str:
    """The stamp of the export being written ("" outside an export)."""
    return _STAMP.get()


@contextmanager
def stamped(text: str) -> Iterator[None]:
    token = _STAMP.set(text)
    try:
        yield
    finally:
        _STAMP.reset(token)
