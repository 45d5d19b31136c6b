"""Resident identity card numbers (公民身份号码, GB 11643-1999): checksum and derived facts."""

from __future__ import annotations

import datetime as dt
import random

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalize(raw: str) -> str:
    """Strip spaces (also full-width) and upper-case a trailing x."""
    return "".join(raw.split()).replace("\u3000", "").upper()


def validate(number: str) -> str | None:
    """Return None when valid, else a Chinese reason."""
    if len(number) != 18:
        return f"身份证号应为 18 位，实际 {len(number)} 位"
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return "身份证号只能是 17 位数字加一位数字或 X"
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return f"身份证号中的出生日期 {number[6:14]} 不存在"
    if birth.year < 1900 or birth > dt.date.today():
        return f"身份证号中的出生日期 {birth.isoformat()} 不合理"
    if check_char(number[:17]) != number[17]:
        return "身份证号校验位不正确（可能输错了某一位）"
    return None


def sex_of(number: str) -> str:
    return "男" if int(number[16]) % 2 == 1 else "女"


def birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def make(rng: random.Random, region: str, birth: dt.date, male: bool) -> str:
    """A checksum-valid number for synthetic data."""
    seq = rng.randrange(0, 100)
    sex_digit = rng.choice("13579" if male else "02468")
    first17 = f"{region}{birth:%Y%m%d}{seq:02d}{sex_digit}"
    return first17 + check_char(first17)


def mask(number: str) -> str:
    """``6321**********1234``: enough to tell people apart in lists, not enough to misuse."""
    if len(number) < 9:
        return number
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
