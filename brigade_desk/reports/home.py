"""The home page's figures: deadlines to superiors, every finding, the dashboard charts.

Kept in :class:`brigade_desk.core.cache.DataCache` while the data stays the same, so the home page
shows them at once when the background has already computed them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from brigade_desk.core import findings as svc_findings
from brigade_desk.core.cache import DataCache
from brigade_desk.core.db import Database
from brigade_desk.core.ledger import ChartSpec, Registry
from brigade_desk.core.rules import Finding
from brigade_desk.reports import reporting_calendar as calendar
from brigade_desk.reports.reporting_calendar import DeadlineItem

Overview = tuple[list[DeadlineItem], list[Finding], list[ChartSpec]]


def _summary(
    s: Session, today: dt.date, registry: Registry
) -> tuple[list[DeadlineItem], list[ChartSpec]]:
    return calendar.deadlines(s, today), registry.charts(s, today)


def overview(db: Database, today: dt.date, registry: Registry, *, fresh: bool = False) -> Overview:
    """Deadlines, findings and charts for the home page (kept while the data stays the same)."""
    items, charts = DataCache.of(db).get(
        ("dashboard", today), lambda s: _summary(s, today, registry), fresh=fresh
    )
    return list(items), svc_findings.findings(db, today, registry, fresh=fresh), list(charts)


def overview_if_ready(db: Database, today: dt.date) -> Overview | None:
    summary = DataCache.of(db).cached(("dashboard", today))
    found = svc_findings.cached_findings(db, today)
    if summary is None or found is None:
        return None
    return list(summary[0]), found, list(summary[1])


def warm(db: Database, today: dt.date, registry: Registry) -> None:
    """What the main window computes in the background at start-up and after every change, so the
    pages that show it open at once: every finding, the home page figures, the roster."""
    from brigade_desk.ledgers.roster.service import RosterService

    overview(db, today, registry)
    RosterService(db).list_with_findings(today, registry)
