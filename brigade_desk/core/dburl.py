"""What a ``--db`` value names: a SQLite file, or a database server (core.server). No imports of
the program's own modules: the paths module asks it at start-up."""

from __future__ import annotations

import re

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def is_server_url(value: object) -> bool:
    """Whether a ``--db`` value names a database server rather than a file."""
    text = str(value or "").strip()
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    return scheme in SCHEMES


def redacted(value: object) -> str:
    """A server address as shown to the clerk and written to logs: never the password."""
    text = str(value)
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", text)
