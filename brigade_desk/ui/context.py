"""What every page gets: the database, the task runner, remembered settings, app-wide signals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal

from brigade_desk.core.changes import Changes
from brigade_desk.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from brigade_desk.core.db import Database
    from brigade_desk.core.ledger import Registry
    from brigade_desk.core.undo import DeletedBatch
    from brigade_desk.ui.main_window import MainWindow


class AppEvents(QObject):
    # what changed (a brigade_desk.core.changes.Changes: STAFF, TRAINING …, ALL): pages refresh
    data_changed = Signal(object)
    # show a message in the status bar
    status = Signal(str)
    # something was deleted and can be put back (label for the 撤销删除 menu entry)
    deleted = Signal(str)


UNDO_DEPTH = 20  # deletes that 撤销删除 can take back, one after another (backups keep the rest)


@dataclass
class AppContext:
    db: Database  # None only for the moment between the first paint and the database being open
    tasks: TaskRunner
    qsettings: QSettings
    # every ledger and what they contribute (``brigade_desk.app.ledgers.REGISTRY``): pages, rules,
    # exports, importers, settings — handed in, so nothing in ui/ imports the list of ledgers
    ledgers: Registry
    events: AppEvents = field(default_factory=AppEvents)
    window: MainWindow | None = None
    deleted: list[DeletedBatch] = field(
        default_factory=list
    )  # what 编辑 → 撤销删除 puts back, newest last

    @property
    def last_deleted(self) -> DeletedBatch | None:
        return self.deleted[-1] if self.deleted else None

    def changed(self, what: Changes) -> None:
        if not isinstance(what, Changes):  # an old string notice would fail in every receiver
            raise TypeError(f"change notice must be a Changes, not {what!r}")
        self.events.data_changed.emit(what)

    def delete(self, label: str, what: Changes, fn: Callable[[], object]) -> None:
        """Run a delete so that it can be undone: ``fn`` deletes, ``what`` is the ledger that changed
        (for data_changed). Errors (UserError) reach the caller; nothing is remembered then."""
        from brigade_desk.core.undo import deleting

        with deleting(self.db, label, what) as got:
            fn()
        if got:
            self.deleted = [*self.deleted, got[0]][-UNDO_DEPTH:]
            self.events.deleted.emit(label)
        self.changed(what)

    def say(self, text: str) -> None:
        self.events.status.emit(text)

    def open_record(self, entity: str, record_id: int | None) -> None:
        if self.window is not None:
            self.window.open_record(entity, record_id)
