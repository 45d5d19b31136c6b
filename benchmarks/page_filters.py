"""How the benchmark types a text filter into the largest table of each page (``python -m
benchmarks``). Kept here, reaching into the pages from outside, so the pages carry no benchmark code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _search(page: Any, text: str) -> None:
    page.search.setText(text)


def _av(page: Any, text: str) -> None:
    page.search.setText(text)
    page.apply_filter()  # at once, not after the typing pause


def _training(page: Any, text: str) -> None:
    page.tabs.setCurrentIndex(0)  # 培训记录
    page.sessions.search.setText(text)


def _cases(page: Any, text: str) -> None:
    page.tabs.setCurrentWidget(page.register)
    page.register.search.setText(text)


# page key -> set the text filter of that page's largest table
FILTERS: dict[str, Callable[[Any, str], None]] = {
    "findings": _search,
    "roster": _search,
    "training": _training,
    "av": _av,
    "cases": _cases,
}
