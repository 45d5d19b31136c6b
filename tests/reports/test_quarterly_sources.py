"""The 执法证件 rows of the quarterly workbook (read with plain SQL columns): who is listed, which certificate."""

from __future__ import annotations

import datetime as dt

from brigade_desk.core.db import Database
from brigade_desk.core.period import Period
from brigade_desk.ledgers.roster.models import Certificate, CertStatus, Staff, StaffStatus
from brigade_desk.ledgers.roster.report_parts import certificate_rows

D = dt.date


def _staff(
    name: str,
    idn: str,
    status: str = StaffStatus.ON_DUTY,
    status_date: dt.date | None = None,
    **kw: object,
) -> Staff:
    return Staff(
        name=name,
        sex="男",
        id_number=idn,
        squad=str(kw.pop("squad", "一中队")),
        status=status,
        status_date=status_date,
        **kw,
    )


def test_certificate_rows_people_and_current_certificate(db: Database) -> None:
    with db.begin() as s:
        a = _staff(
            "甲", "110101199001010011", is_legal_reviewer=True, bodycam_no="DSJ-1", phone="=1+1"
        )
        a.certificates = [
            Certificate(
                cert_no="A-OLD",
                issuer="省政府",
                issue_date=D(2015, 1, 1),
                valid_to=D(2021, 1, 1),
                status=CertStatus.VALID,
            ),
            Certificate(
                cert_no="A-NEW",
                issuer="省政府",
                issue_date=D(2021, 1, 1),
                valid_to=D(2027, 1, 1),
                status=CertStatus.VALID,
                national_format=False,
            ),
            # cancelled certificates lose to live ones, however new
            Certificate(
                cert_no="A-CXL",
                issuer="省政府",
                issue_date=D(2024, 1, 1),
                valid_to=D(2030, 1, 1),
                status=CertStatus.CANCELLED,
            ),
        ]
        b = _staff(
            "乙", "110101199001010022", StaffStatus.RETIRED, D(2026, 8, 15)
        )  # left during Q3: listed
        b.certificates = [
            Certificate(
                cert_no="B-1",
                issue_date=D(2020, 1, 1),
                valid_to=D(2026, 1, 1),
                status=CertStatus.CANCELLED,
            ),
            Certificate(
                cert_no="B-2",
                issue_date=D(2022, 1, 1),
                valid_to=D(2028, 1, 1),
                status=CertStatus.CANCELLED,
            ),
        ]
        c = _staff(
            "丙", "110101199001010033", StaffStatus.TRANSFERRED, D(2026, 6, 30)
        )  # left before Q3: not listed
        c.certificates = [
            Certificate(cert_no="C-1", issue_date=D(2020, 1, 1), valid_to=D(2026, 1, 1))
        ]
        d = _staff(
            "丁", "110101199001010044", StaffStatus.OFF_POST, D(2026, 7, 1), squad="二中队"
        )  # left on the first day
        e = _staff(
            "戊", "110101199001010055", StaffStatus.OFF_POST, None, squad="二中队"
        )  # no date: listed
        s.add_all([a, b, c, d, e])
    with db.session() as s:
        rows = certificate_rows(s, Period(2026, 3))
    assert [r["姓名"] for r in rows] == ["乙", "甲", "丁", "戊"]  # by squad, then name
    assert [r["序号"] for r in rows] == [1, 2, 3, 4]
    by = {r["姓名"]: r for r in rows}
    assert (
        by["甲"]["执法证号"] == "A-NEW"
        and by["甲"]["发证日期"] == D(2021, 1, 1)
        and by["甲"]["有效期至"] == D(2027, 1, 1)
    )
    assert (
        by["甲"]["全国统一证件"] is False
        and by["甲"]["证件状态"] == "有效"
        and by["甲"]["法制审核人员"] is True
    )
    assert (
        by["甲"]["执法记录仪编号"] == "DSJ-1"
        and by["甲"]["联系电话"] == "=1+1"
        and by["甲"]["在岗状态"] == "在岗"
    )
    assert (
        by["乙"]["执法证号"] == "B-2" and by["乙"]["证件状态"] == "注销"
    )  # only cancelled ones: the newest
    assert by["乙"]["在岗状态"] == "退休" and by["乙"]["状态变更日期"] == D(2026, 8, 15)
    assert (
        by["丁"]["执法证号"] == ""
        and by["丁"]["发证日期"] is None
        and by["丁"]["全国统一证件"] is None
    )
    assert by["丁"]["证件状态"] == ""


def test_a_running_period_is_stated_up_to_today():
    import datetime as _dt

    from brigade_desk.core.period import Period

    today = _dt.date.today()
    assert Period(2020, 4).so_far == _dt.date(2020, 12, 31)
    assert Period(today.year).so_far == today  # the year is still running
