"""Deadline arithmetic on the official calendar (调休 make-up workdays, unknown years)."""

from __future__ import annotations

import datetime as dt

import pytest
from cases_support import D, db  # noqa: F401

from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.core.workdays import (
    CALENDAR,
    WORKING,
    Calendar,
    UnknownYearError,
    entered_year,
    parse_schedule_text,
    remove_schedule,
    save_schedule,
    store_schedule,
)


def test_national_day_2025_makeup_workdays_count():
    cal = Calendar()
    assert cal.is_workday(D(2025, 9, 28))  # Sunday, make-up workday
    assert cal.is_workday(D(2025, 10, 11))  # Saturday, make-up workday
    assert not cal.is_workday(D(2025, 10, 8))  # last day of the holiday
    # decided Friday 26 Sep: 28 Sep (Sun) 29, 30, then 9, 10 Oct -> due 10 Oct (plain weekdays would say 3 Oct)
    assert cal.add_working_days(D(2025, 9, 26), 5) == D(2025, 10, 10)
    assert cal.add_working_days(D(2025, 10, 9), 5) == D(2025, 10, 15)  # Sat 11 Oct counts
    assert cal.deadline(D(2025, 9, 30), 20).due == D(2025, 11, 4)
    assert cal.working_days_between(D(2025, 9, 30), D(2025, 10, 10)) == 2


def test_spring_festival_2026():
    cal = Calendar()
    assert cal.is_workday(D(2026, 2, 14)) and cal.is_workday(D(2026, 2, 28))  # Saturdays, make-up
    assert not cal.is_workday(D(2026, 2, 23))
    assert cal.add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 27)
    assert cal.deadline(D(2026, 2, 13), 20).due == D(2026, 3, 19)
    assert not cal.deadline(D(2026, 2, 13), 20).provisional


def test_calendar_days_are_plain():
    cal = Calendar()
    dl = cal.deadline(D(2025, 9, 26), 90, CALENDAR)
    assert dl.due == D(2025, 12, 25) and dl.describe() == "90 个自然日"


def test_unknown_year_is_never_silently_weekdays(db):  # noqa: F811
    cal = Calendar()
    with pytest.raises(UnknownYearError) as ei:
        cal.is_workday(D(2027, 1, 4))
    assert ei.value.year == 2027
    with pytest.raises(UnknownYearError):
        cal.add_working_days(D(2026, 12, 28), 5)
    dl = cal.deadline(D(2026, 12, 28), 5, WORKING)
    assert dl.provisional and dl.unknown_years == (2027,)
    assert dl.due == D(2027, 1, 4)  # estimate with plain weekends …
    assert "2027 年" in dl.caveat() and "尚未录入" in dl.caveat()  # … and it says so
    assert not cal.deadline(D(2026, 12, 1), 5).provisional

    # the clerk enters 2027's schedule: 1–3 Jan off, and a Sunday make-up workday
    data = parse_schedule_text(
        2027, "2027-01-01~2027-01-03 元旦\n2027-02-06～2027-02-12 春节", "2027-02-14 春节调休"
    )
    with db.begin() as s:
        save_schedule(s, data, today=D(2026, 12, 1))
    with db.session() as s:
        cal2 = Calendar.load(s)
    assert cal2.knows(2027)
    assert not cal2.is_workday(D(2027, 1, 1)) and cal2.is_workday(D(2027, 1, 4))
    assert cal2.is_workday(D(2027, 2, 14)) and not cal2.is_workday(D(2027, 2, 8))
    dl2 = cal2.deadline(D(2026, 12, 28), 5)
    assert dl2.due == D(2027, 1, 5) and not dl2.provisional and dl2.caveat() == ""
    # library years still come from chinese-calendar
    assert cal2.add_working_days(D(2025, 9, 26), 5) == D(2025, 10, 10)


def test_schedule_input_validation(db):  # noqa: F811
    with pytest.raises(ValidationError) as ei:
        parse_schedule_text(2027, "2027-13-01", "")
    assert "放假日期第 1 行" in ei.value.fields["holidays"]
    with pytest.raises(ValidationError) as ei:
        parse_schedule_text(2027, "2026-10-01", "")
    assert "不在 2027 年" in ei.value.fields["holidays"]
    data = parse_schedule_text(2027, "2027-05-01 劳动节", "2027-05-01")
    with db.begin() as s, pytest.raises(ValidationError) as ei:
        save_schedule(s, data)
    assert "同时被填为放假和调休上班" in ei.value.fields["workdays"]
    with pytest.raises(ValidationError):
        with db.begin() as s:
            save_schedule(s, parse_schedule_text(2027, "", "2027-02-14"))
    assert isinstance(dt.date.today(), dt.date)


def test_entered_year_store_and_remove_schedule(db):  # noqa: F811
    """The 节假日安排 page: what is entered for a year, saved and deleted in a transaction each."""
    assert entered_year(db, 2099) == (None, "")
    data = parse_schedule_text(2099, "2099-01-01~2099-01-03 元旦", "2099-01-04 元旦调休")
    data.source = "国办发明电〔2098〕1号"
    store_schedule(db, data)
    sched, source = entered_year(db, 2099)
    assert source == "国办发明电〔2098〕1号"
    assert sched is not None and sorted(sched.holidays) == [
        D(2099, 1, 1),
        D(2099, 1, 2),
        D(2099, 1, 3),
    ]
    assert sched.workdays == {D(2099, 1, 4): "元旦调休"}
    # a wrong schedule changes nothing
    with pytest.raises(ValidationError):
        store_schedule(db, parse_schedule_text(2099, "", "2099-02-14"))
    assert entered_year(db, 2099)[1] == "国办发明电〔2098〕1号"
    remove_schedule(db, 2099)
    assert entered_year(db, 2099) == (None, "")
    with pytest.raises(UserError, match="没有录入 2099 年"):
        remove_schedule(db, 2099)
