"""Results that stay valid while the data stays the same.

Some summaries read ten years of a large brigade's ledgers (every rule, the dashboard charts) and
take a few hundred milliseconds. Pages that show them share one result per database, kept while
:class:`brigade_desk.core.db.ChangeCounter` has not moved. Keys include whatever else the result depends
on (the day it was computed for). The GUI computes them in the background at start-up and after
every change, so a page opened later finds them ready.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from brigade_desk.core.db import Database

T = TypeVar("T")
_KEY = "data_cache"


class DataCache:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._entries: dict[Hashable, tuple[int, Any]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    @classmethod
    def of(cls, db: Database) -> DataCache:
        """The cache of an open database (one per Database object)."""
        with _of_lock:
            cache: DataCache | None = db.caches.get(_KEY)
            if cache is None:
                cache = db.caches[_KEY] = cls(db)
        return cache

    def cached(self, key: Hashable) -> Any | None:
        """The value for ``key`` if it was computed on the data as it is now; never waits."""
        hit = self._entries.get(key)
        if hit is not None and hit[0] == self.db.changes.value:
            return hit[1]
        return None

    def get(self, key: Hashable, compute: Callable[[Session], T], *, fresh: bool = False) -> T:
        """The value for ``key``, computed with ``compute(session)`` when the data changed since
        (or when ``fresh``). Two callers asking for the same key at once compute it once."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if not fresh:
                hit = self.cached(key)
                if hit is not None:
                    return hit  # type: ignore[no-any-return]
            generation = self.db.changes.value  # read first: a write during the run makes it stale
            with self.db.session() as s:
                value = compute(s)
            self._entries[key] = (generation, value)
            # keep only what is current: old days and old generations are never asked for again
            for k in [k for k, (g, _v) in self._entries.items() if g != generation]:
                self._entries.pop(k, None)
            return value

    def clear(self) -> None:
        self._entries.clear()


_of_lock = threading.Lock()
