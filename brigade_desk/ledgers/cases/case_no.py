"""One spelling of a case number (案号), whatever the clerk typed.

Official case numbers put the year in hexagonal brackets: 乐交执罚〔2026〕93号. The brackets are hard to
type, so the same number arrives as 乐交执罚(2026)93号, （2026）, [2026], 【2026】 or with full-width
digits and stray spaces. Stored, searched and looked up, a case number goes through
:func:`normalize` so all of these are the same case (and a second one is refused as a duplicate).
"""

from __future__ import annotations

import re

_OPEN = re.compile(r"[(（\[【［〔]\s*(?=\d{4}\s*(?:[)）\]】］〕]|$))")
_CLOSE = re.compile(r"(?<=\d{4})\s*[)）\]】］〕]")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def normalize(text: str) -> str:
    """``text`` with full-width digits made plain, spaces removed and the brackets around a
    four-digit year made 〔〕. Also for part of a number typed into a search box ("(2026" → "〔2026")."""
    s = "".join(text.translate(_FULLWIDTH_DIGITS).split())
    s = _OPEN.sub("〔", s)
    return _CLOSE.sub("〕", s)


def natural_key(s: str) -> tuple[tuple[int, int | str], ...]:
    """Text with its numbers compared as numbers: 乐交执罚〔2025〕2号 before 乐交执罚〔2025〕10号."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in _DIGITS.split(s) if p)


_DIGITS = re.compile(r"(\d+)")
