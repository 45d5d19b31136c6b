"""Progress reporting and cancellation for long work, with no Qt in it.

Background code receives a :class:`Progress` and calls ``progress.update(done, total, text)``;
each call raises :class:`~brigade_desk.core.errors.Cancelled` once the clerk pressed 取消. The GUI's task
helper forwards updates to a progress dialog; the command line ignores them (or prints).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from brigade_desk.core.errors import Cancelled

Listener = Callable[[int, int, str], None]


class Progress:
    def __init__(self, listener: Listener | None = None) -> None:
        self._listener = listener
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def update(self, done: int, total: int = 0, text: str = "") -> None:
        self.check()
        if self._listener is not None:
            self._listener(done, total, text)


NULL = Progress()
