"""What the tabs of 培训台账 share: the page they sit on (the year shown, background loads), the base
class of a tab and a filterable table with remembered columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtWidgets import QWidget

from brigade_desk.ledgers.training.service import TrainingService
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.table import (
    Column,
    FilterProxy,
    ListTableModel,
    apply_widths,
    make_view,
    restore_header,
)

ALL = "（全部）"


class TrainingHost(Protocol):
    """The page the tabs sit on (brigade_desk.ledgers.training.ui.page.TrainingPage)."""

    ctx: AppContext
    service: TrainingService

    def current_year(self) -> int: ...

    def as_of(self) -> dt.date: ...

    def run(self, work: Callable[[Any], Any], done: Callable[[Any], None], label: str) -> None:
        """Run a load in the background; its result is dropped if the page reloaded meanwhile."""

    def saved(self, text: str) -> None:
        """A tab saved something: tell the other pages and the clerk."""

    def refresh_if_hidden(self) -> None: ...

    def show_person(self, staff_id: int) -> None: ...


class TrainingTab(QWidget):
    """One tab of the page. Built the first time it is shown; ``reload`` reads its data for the year
    the page shows, and ``loaded`` (kept by the page) says whether that data is current."""

    def __init__(self, page: TrainingHost) -> None:
        super().__init__()
        self.page = page
        self.ctx = page.ctx
        self.service = page.service
        self.loaded = False

    def reload(self) -> None:
        raise NotImplementedError

    def filter_field(self) -> QWidget | None:
        """What Ctrl+F goes to on this tab (none: no list to search)."""
        return None

    def save_state(self) -> None:
        """Remember the layout of the tab's table (QSettings), when it has one."""


def make_table(
    parent: QWidget, cols: list[Column[Any]], name: str, ctx: AppContext
) -> tuple[Any, FilterProxy, Any]:
    """A list model, its filter proxy and a view whose columns are restored from QSettings ``name``."""
    model: ListTableModel[Any] = ListTableModel(cols, parent)
    proxy = FilterProxy(parent)
    proxy.setSourceModel(model)
    view = make_view(parent, name)
    view.setModel(proxy)
    apply_widths(view, cols)
    restore_header(view, ctx.qsettings, name)
    return model, proxy, view
