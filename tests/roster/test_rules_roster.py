"""Roster rules at their edges."""

import datetime as dt

from brigade_desk.core import settings
from brigade_desk.core.db import Database
from brigade_desk.ledgers.roster import rules as rr
from brigade_desk.ledgers.roster import settings as roster_settings
from brigade_desk.ledgers.roster.models import CertAction
from brigade_desk.ledgers.roster.service import RosterService, StaffInput
from tests.conftest import IDS, add_officer

AS_OF = dt.date(2026, 6, 1)


def findings(db: Database, as_of: dt.date = AS_OF, rule: str | None = None) -> list:
    with db.session() as s:
        out = rr.check(s, as_of)
    return [f for f in out if rule is None or f.rule == rule]


def test_expiring_window_edges(db: Database, roster: RosterService) -> None:
    add_officer(roster, IDS[0], "甲", valid_to=AS_OF + dt.timedelta(days=90), bodycam_no="A1")
    add_officer(roster, IDS[1], "乙", valid_to=AS_OF + dt.timedelta(days=91), bodycam_no="A2")
    add_officer(roster, IDS[2], "丙", valid_to=AS_OF, bodycam_no="A3")
    got = {f.subject: f for f in findings(db, rule="cert_expiring")}
    assert set(got) == {"甲", "丙"}
    assert got["甲"].due == AS_OF + dt.timedelta(days=90)
    assert "剩 90 天" in got["甲"].detail
    assert not findings(db, rule="cert_expired")


def test_expiring_days_is_a_setting(db: Database, roster: RosterService) -> None:
    add_officer(roster, IDS[0], "甲", valid_to=AS_OF + dt.timedelta(days=100), bodycam_no="A1")
    assert not findings(db, rule="cert_expiring")
    with db.begin() as s:
        settings.set_value(s, roster_settings.CERT_EXPIRING_DAYS, 120)
    assert [f.subject for f in findings(db, rule="cert_expiring")] == ["甲"]


def test_expired_the_day_after(db: Database, roster: RosterService) -> None:
    add_officer(roster, IDS[0], "甲", valid_to=AS_OF - dt.timedelta(days=1), bodycam_no="A1")
    exp = findings(db, rule="cert_expired")
    assert [f.subject for f in exp] == ["甲"] and exp[0].due == AS_OF - dt.timedelta(days=1)
    # an expired certificate is no valid certificate either
    assert [f.subject for f in findings(db, rule="no_valid_cert")] == ["甲"]


def test_left_not_cancelled(db: Database, roster: RosterService) -> None:
    sid = add_officer(roster, IDS[0], "甲")
    p = roster.get(sid)
    data = StaffInput(**{k: getattr(p, k) for k in StaffInput.__dataclass_fields__})
    data.status, data.status_date = "调离", dt.date(2026, 3, 1)
    res = roster.save_staff(data, sid)
    assert res.offer_cancel == [p.certificates[0].id]
    f = findings(db, rule="left_not_cancelled")
    assert len(f) == 1 and "调离" in f[0].detail and f[0].ref == p.certificates[0].cert_no
    # requested: still listed (the justice bureau has not finished) but says so
    roster.cert_action(
        p.certificates[0].id, CertAction.REQUEST_CANCEL, date=dt.date(2026, 3, 2), reason="调离"
    )
    assert "已于 2026-03-02 申请注销" in findings(db, rule="left_not_cancelled")[0].detail
    roster.cert_action(
        p.certificates[0].id, CertAction.CANCEL, date=dt.date(2026, 3, 20), reason="司法局已注销"
    )
    assert not findings(db, rule="left_not_cancelled")
    # a person who left is not an on-duty officer without certificate
    assert not findings(db, rule="no_valid_cert")


def test_no_valid_cert_suspended_and_none(db: Database, roster: RosterService) -> None:
    sid = add_officer(roster, IDS[0], "甲", bodycam_no="A")
    add_officer(roster, IDS[1], "乙", valid_to=None)
    add_officer(roster, IDS[2], "丙", valid_to=None, category="执法辅助人员")
    assert [f.subject for f in findings(db, rule="no_valid_cert")] == ["乙"]
    cert = roster.get(sid).certificates[0]
    roster.cert_action(cert.id, CertAction.SUSPEND, date=AS_OF, reason="追责")
    assert sorted(f.subject for f in findings(db, rule="no_valid_cert")) == ["乙", "甲"]


def test_legal_reviewer_ratio_edges(db: Database, roster: RosterService) -> None:
    import random

    from brigade_desk.core import idcard

    rng = random.Random(5)
    ids = [
        idcard.make(rng, "630102", dt.date(1980, 1, 1) + dt.timedelta(days=i), True)
        for i in range(21)
    ]
    for i, n in enumerate(ids[:20]):
        add_officer(
            roster, n, f"人{i}", cert_no=f"N{i}", bodycam_no=f"B{i}", is_legal_reviewer=(i == 0)
        )
    assert not findings(db, rule="legal_reviewer_ratio")  # 1 of 20 = 5 %
    add_officer(roster, ids[20], "人20", cert_no="N20", bodycam_no="B20")
    f = findings(db, rule="legal_reviewer_ratio")
    assert (
        len(f) == 1
        and "1 人" in f[0].detail
        and "21 人" in f[0].detail
        and "至少需要 2 人" in f[0].detail
    )


def test_bodycam_missing_only_certified_front_line_on_duty(
    db: Database, roster: RosterService
) -> None:
    add_officer(roster, IDS[0], "甲")  # front line, certified, no camera
    add_officer(roster, IDS[1], "乙", is_front_line=False)
    add_officer(roster, IDS[2], "丙", bodycam_no="DSJ-1")
    add_officer(roster, IDS[3], "丁", valid_to=None)  # no certificate: no_valid_cert instead
    f = findings(db, rule="bodycam_missing")
    assert [x.subject for x in f] == ["甲"] and f[0].due == dt.date(2026, 12, 31)


def test_an_expired_valid_certificate_is_shown_and_counted_as_expired(db, roster):
    from brigade_desk.ledgers.roster.charts import charts
    from brigade_desk.ledgers.roster.service import EXPIRED

    today = dt.date(2026, 11, 23)
    add_officer(roster, IDS[0], "甲", valid_to=dt.date(2026, 10, 14))
    add_officer(roster, IDS[1], "乙", valid_to=dt.date(2029, 1, 1))
    add_officer(roster, IDS[2], "丙", valid_to=today)  # the last valid day
    states = {p.name: p.current_cert.state(today) for p in roster.list_staff()}
    assert states == {"甲": EXPIRED, "乙": "有效", "丙": "有效"}
    with db.session() as s:
        pie = next(c for c in charts(s, today) if c.key == "cert_status")
    got = dict(zip(pie.categories, pie.series["证件数"], strict=True))
    assert got["有效"] == 2 and got[EXPIRED] == 1


def test_a_child_s_id_number_is_refused(roster):
    import pytest

    from brigade_desk.core.errors import ValidationError

    with pytest.raises(ValidationError) as e:
        roster.save_staff(StaffInput(name="小明", id_number="630202201503011791"))
    assert "未满 18 周岁" in e.value.fields["id_number"]
