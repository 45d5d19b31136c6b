"""Shared helpers for the case-ledger tests (kept out of conftest.py to avoid merge clashes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from dbtemplate import fresh_db

from brigade_desk.core.db import Database
from brigade_desk.ledgers.cases.models import CaseRecord
from brigade_desk.ledgers.roster.models import Certificate, CertStatus, Staff, StaffCategory

D = dt.date

_IDS = iter(range(1, 10**6))


def make_id(n: int) -> str:
    from brigade_desk.core import idcard

    first17 = f"630102198501{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + idcard.check_char(first17)


@pytest.fixture
def db(tmp_path) -> Database:
    d = fresh_db(tmp_path / "t.sqlite")
    yield d
    d.close()


def add_staff(
    s,
    name: str,
    *,
    certified: bool = True,
    valid_to: dt.date | None = None,
    category: str = StaffCategory.OFFICER,
) -> Staff:
    n = next(_IDS)
    p = Staff(name=name, sex="男", id_number=make_id(n), category=category, squad="一中队")
    if certified:
        p.certificates.append(
            Certificate(
                cert_no=f"C{n:06d}",
                issue_date=D(2020, 1, 1),
                valid_to=valid_to or D(2030, 1, 1),
                status=CertStatus.VALID,
            )
        )
    s.add(p)
    s.flush()
    return p


def add_case(s, case_no: str, officers=(), **kw) -> CaseRecord:
    defaults = dict(
        cause="未按规定携带道路运输证",
        party="张三",
        party_type="个人",
        domain="道路运政",
        category="行政处罚",
        procedure="普通",
        filed_on=D(2025, 3, 3),
        activities=[],
        notes="",
    )
    defaults.update(kw)
    if "fine_amount" in defaults and defaults["fine_amount"] is not None:
        defaults["fine_amount"] = Decimal(str(defaults["fine_amount"]))
    c = CaseRecord(case_no=case_no, **defaults)
    c.officers = list(officers)
    s.add(c)
    s.flush()
    return c
