"""Demo roster: squads of officers and auxiliaries with certificates, and a few problems to find."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from brigade_desk.core import demo_names as nm
from brigade_desk.core import settings
from brigade_desk.core.demo import DemoContext
from brigade_desk.ledgers.roster.models import (
    CertAction,
    Certificate,
    CertificateEvent,
    CertStatus,
    Staff,
    StaffCategory,
    StaffEvent,
    StaffStatus,
)

SMALL_SQUADS = ["综合办公室", "法制审核股", "一中队", "二中队", "三中队", "路政中队"]
LARGE_SQUADS = SMALL_SQUADS + ["四中队", "五中队", "水路中队", "治超中队", "机动中队", "稽查中队"]
POSTS = ["队员", "队员", "队员", "队员", "副中队长", "中队长", "法制员", "内勤"]
ISSUER = "青海省人民政府"


def _years(d: dt.date, n: int) -> dt.date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)


def fill(s: Session, ctx: DemoContext) -> None:
    rng = ctx.rng
    today = ctx.today
    large = ctx.size == "large"
    squads = LARGE_SQUADS if large else SMALL_SQUADS
    n_current = 420 if large else 60
    n_departed = 160 if large else 5
    settings.set_value(s, settings.UNIT_NAME, "海东市乐都区交通运输综合行政执法大队")
    settings.set_value(s, settings.PREPARER, "李晓燕")
    settings.set_value(s, settings.REVIEWER, "王建国")
    settings.set_value(s, settings.PHONE, "0972-8621234")
    seen: set[str] = set()
    cert_seq = 1000
    people: list[Staff] = []
    start_window = today.replace(year=today.year - (10 if large else 6))
    for i in range(n_current + n_departed):
        while True:
            idn, male = nm.id_number(rng)
            if idn not in seen:
                seen.add(idn)
                break
        auxiliary = rng.random() < 0.18
        p = Staff(
            name=nm.name(rng),
            sex="男" if male else "女",
            id_number=idn,
            squad=rng.choice(squads[2:] if rng.random() < 0.8 else squads[:2]),
            post=rng.choice(POSTS) if not auxiliary else "协管员",
            category=StaffCategory.AUXILIARY if auxiliary else StaffCategory.OFFICER,
            is_front_line=rng.random() < 0.8,
            status=StaffStatus.ON_DUTY,
            bodycam_no="",
            phone=nm.phone(rng),
            notes="",
        )
        joined = nm.date_between(
            rng, start_window - dt.timedelta(days=3650), today - dt.timedelta(days=60)
        )
        p.events.append(StaffEvent(date=joined, what=f"登记入册（{p.category}，在岗）"))
        departed = i >= n_current
        if departed:
            left = nm.date_between(rng, max(joined, start_window), today - dt.timedelta(days=10))
            p.status = rng.choice(
                [StaffStatus.TRANSFERRED, StaffStatus.RETIRED, StaffStatus.OFF_POST]
            )
            p.status_date = left
            p.events.append(StaffEvent(date=left, what=f"在岗状态：在岗 → {p.status}"))
        if not auxiliary:
            if p.squad == "法制审核股" or rng.random() < 0.04:
                p.is_legal_reviewer = True
            issue = nm.date_between(
                rng, max(joined, today - dt.timedelta(days=5 * 365)), today - dt.timedelta(days=30)
            )
            cert_seq += rng.randint(1, 7)
            c = Certificate(
                cert_no=f"63{rng.choice(('0102', '0202', '2123'))}{cert_seq:06d}",
                issuer=ISSUER,
                issue_date=issue,
                valid_to=_years(issue, 5) - dt.timedelta(days=1),
                national_format=issue.year >= 2022 or rng.random() < 0.7,
                status=CertStatus.VALID,
            )
            c.events.append(
                CertificateEvent(date=issue, action=CertAction.ISSUE, reason="首次领证")
            )
            if large and issue > start_window + dt.timedelta(days=2000) and rng.random() < 0.5:
                old = Certificate(
                    cert_no=f"63OLD{cert_seq:06d}",
                    issuer=ISSUER,
                    issue_date=_years(issue, -5),
                    valid_to=issue - dt.timedelta(days=1),
                    national_format=False,
                    status=CertStatus.CANCELLED,
                )
                old.events.append(
                    CertificateEvent(
                        date=_years(issue, -5), action=CertAction.ISSUE, reason="首次领证"
                    )
                )
                old.events.append(
                    CertificateEvent(
                        date=issue, action=CertAction.CANCEL, reason=f"换发新证 {c.cert_no}"
                    )
                )
                c.events[0].action = CertAction.RENEW
                c.events[0].reason = f"由 {old.cert_no} 换发"
                p.certificates.append(old)
            if departed:
                if rng.random() < 0.85:
                    c.status = CertStatus.CANCELLED
                    c.events.append(
                        CertificateEvent(
                            date=p.status_date or today,
                            action=CertAction.CANCEL,
                            reason=f"人员{p.status}，报司法局注销",
                        )
                    )
            p.certificates.append(c)
            if p.is_front_line and p.status == StaffStatus.ON_DUTY and rng.random() < 0.9:
                p.bodycam_no = f"DSJ-{rng.choice('ABC')}{len(people) + 1:04d}"
        people.append(p)
        s.add(p)
    # deliberate problems so the findings page has something to show
    officers = [
        p for p in people[:n_current] if p.category == StaffCategory.OFFICER and p.certificates
    ]
    rng.shuffle(officers)
    k = 2 if not large else 12
    for p in officers[:k]:  # expiring soon
        c = p.certificates[-1]
        c.valid_to = today + dt.timedelta(days=rng.randint(5, 80))
        c.issue_date = _years(c.valid_to, -5)
    for p in officers[k : k + max(1, k // 2)]:  # expired
        c = p.certificates[-1]
        c.valid_to = today - dt.timedelta(days=rng.randint(3, 40))
        c.issue_date = _years(c.valid_to, -5)
    for p in officers[2 * k : 2 * k + 1]:  # suspended
        c = p.certificates[-1]
        c.status = CertStatus.SUSPENDED
        c.events.append(
            CertificateEvent(
                date=today - dt.timedelta(days=20),
                action=CertAction.SUSPEND,
                reason="执法过错责任追究期间暂扣",
            )
        )
    s.flush()
    ctx.shared["staff_ids"] = [p.id for p in people]
    ctx.shared["officer_ids"] = [
        p.id
        for p in people
        if p.category == StaffCategory.OFFICER and p.status == StaffStatus.ON_DUTY
    ]
    ctx.counts["staff"] = len(people)
    ctx.counts["certificates"] = sum(len(p.certificates) for p in people)
