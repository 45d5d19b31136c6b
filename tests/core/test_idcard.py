import datetime as dt
import random

import pytest

from brigade_desk.core import idcard
from tests.conftest import IDS


@pytest.mark.parametrize("n", IDS)
def test_valid_numbers(n: str) -> None:
    assert idcard.validate(n) is None


def test_bad_checksum_is_named() -> None:
    bad = IDS[0][:-1] + ("9" if IDS[0][-1] != "9" else "8")
    assert "校验位" in (idcard.validate(bad) or "")


def test_impossible_birth_date() -> None:
    first17 = "63010219850231001"
    n = first17 + idcard.check_char(first17)
    assert "出生日期" in (idcard.validate(n) or "")


def test_wrong_length_and_letters() -> None:
    assert "18 位" in (idcard.validate("6301021985") or "")
    assert idcard.validate("63010219850315002A") is not None


def test_make_and_sex() -> None:
    rng = random.Random(3)
    for male in (True, False):
        n = idcard.make(rng, "630102", dt.date(1990, 5, 6), male)
        assert idcard.validate(n) is None
        assert idcard.sex_of(n) == ("男" if male else "女")
        assert idcard.birth_date(n) == dt.date(1990, 5, 6)


def test_normalize_lower_x_and_spaces() -> None:
    assert idcard.normalize(" 63212319900101001x ") == "63212319900101001X"
