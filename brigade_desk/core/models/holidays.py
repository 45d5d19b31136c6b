"""The official holiday calendar entered by the clerk: years and their holidays / make-up workdays
(the working-day deadlines of every ledger are counted on it, ``core/workdays.py``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from brigade_desk.core.models.base import Base


class OfficialYear(Base):
    """A year's official holiday schedule entered by the clerk (when the library does not know it).

    A year is only usable once entered here (``official_day`` rows hold its holidays and make-up
    workdays; every other Monday–Friday is a workday, every other Saturday/Sunday a rest day).
    """

    __tablename__ = "official_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(Text, default="")  # e.g. 国办发明电〔2026〕x号
    entered_on: Mapped[dt.date] = mapped_column(Date)

    days: Mapped[list[OfficialDay]] = relationship(
        back_populates="official_year", cascade="all, delete-orphan", order_by="OfficialDay.date"
    )


class OfficialDay(Base):
    __tablename__ = "official_day"

    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(
        ForeignKey("official_year.year", ondelete="CASCADE"), index=True
    )
    is_workday: Mapped[bool] = mapped_column(
        Boolean
    )  # True: make-up workday (调休上班); False: holiday
    name: Mapped[str] = mapped_column(String(50), default="")

    official_year: Mapped[OfficialYear] = relationship(back_populates="days")
