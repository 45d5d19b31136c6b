"""Reporting calendar: which periodic report was sent to the superior, and when."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from brigade_desk.core.models.base import Base


class ReportDone(Base):
    __tablename__ = "report_done"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    done_on: Mapped[dt.date] = mapped_column(Date)
