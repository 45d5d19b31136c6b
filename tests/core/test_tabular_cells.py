"""Cell parsers at their edges: out-of-range dates, Excel error values, non-numbers, huge texts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from brigade_desk.core.tabular import read as t


@pytest.mark.parametrize(
    "value",
    [
        dt.date(1, 1, 1),
        dt.datetime(9999, 12, 31),
        dt.date(1899, 12, 25),
        "0001-01-01",
        "9999-12-31",
        "2101-01-01",
        "1899年12月31日",
    ],
)
def test_dates_out_of_range(value: object) -> None:
    with pytest.raises(ValueError, match="超出合理范围"):
        t.parse_date(value)


@pytest.mark.parametrize(
    "value", [-1, 0, -44260, 1e10, 2958466, float("nan"), float("inf"), -0.0, "99999999"]
)
def test_impossible_serials(value: object) -> None:
    with pytest.raises(ValueError) as ei:
        t.parse_date(value)
    assert "日期" in str(ei.value)


def test_date_edges_accepted() -> None:
    assert t.parse_date(dt.date(1900, 1, 1)) == dt.date(1900, 1, 1)
    assert t.parse_date("2100-12-31") == dt.date(2100, 12, 31)
    assert t.parse_date(44260) == dt.date(2021, 3, 5)
    assert t.parse_date(" ") is None


@pytest.mark.parametrize("value", [dt.time(8, 30), dt.timedelta(hours=3)])
def test_time_is_not_a_date(value: object) -> None:
    with pytest.raises(ValueError, match="时间而不是日期"):
        t.parse_date(value)


@pytest.mark.parametrize(
    "parser",
    [
        t.parse_date,
        t.parse_decimal,
        t.parse_id_number,
        lambda v: t.parse_bool(v),
        lambda v: t.parse_choice(v, {"男": "男"}, "性别"),
    ],
)
@pytest.mark.parametrize("err", ["#VALUE!", "#REF!", "#DIV/0!", "#N/A", " #name? "])
def test_excel_error_values(parser: object, err: str) -> None:
    with pytest.raises(ValueError, match="Excel 错误值"):
        parser(err)  # type: ignore[operator]


@pytest.mark.parametrize(
    "value", [True, "inf", "NaN", float("nan"), "1e999", dt.date(2021, 1, 1), "十二"]
)
def test_not_numbers(value: object) -> None:
    with pytest.raises(ValueError):
        t.parse_decimal(value)


def test_numbers() -> None:
    assert t.parse_decimal("1,234.50元") == Decimal("1234.50")
    assert t.parse_decimal(3) == Decimal("3")
    assert t.parse_float(" ") is None


def test_id_number_as_date_or_time() -> None:
    with pytest.raises(ValueError, match="日期/时间"):
        t.parse_id_number(dt.datetime(2021, 1, 1))


def test_huge_values_are_cut_in_messages() -> None:
    huge = "测" * 32767
    for parser in (
        t.parse_date,
        t.parse_decimal,
        lambda v: t.parse_bool(v),
        lambda v: t.parse_choice(v, {"男": "男"}, "性别"),
    ):
        with pytest.raises(ValueError) as ei:
            parser(huge)  # type: ignore[operator]
        assert len(str(ei.value)) < 200 and "共 32767 字" in str(ei.value)


def test_check_lengths_names_the_column() -> None:
    row = t.Row(
        "表1", 5, {"squad": "测" * 51, "post": "队员"}, {"squad": "所属中队", "post": "职务"}
    )
    errors: list = []
    t.check_lengths(row, {"squad": 50, "post": 50}, errors)
    assert [(e.sheet, e.row, e.column) for e in errors] == [("表1", 5, "所属中队")]
    assert "51 字" in errors[0].message and "最多 50 字" in errors[0].message


def test_long_runs_of_blanks_are_read_in_linear_time() -> None:
    """A header cell or a date cell with a long run of blanks (hypothesis found one): the
    patterns with \\s* on both sides of something used to backtrack quadratically over it (30,000
    blanks: 3 s; the 1,000,000 characters a cell may hold: hours)."""
    from brigade_desk.core.tabular.read import _head_text, parse_date

    blanks = " " * 300_000
    assert _head_text(f"姓名{blanks}\n{blanks}（全称）") == "姓名 （全称）"
    assert _head_text(blanks + "x") == "x"
    assert parse_date(f"{blanks}2025-01-01{blanks}") == dt.date(2025, 1, 1)
    with pytest.raises(ValueError):
        parse_date(f"2025-01-01{blanks}x")
    with pytest.raises(ValueError):
        parse_date(f"2025年1月1日{blanks}星期三{blanks}x")
