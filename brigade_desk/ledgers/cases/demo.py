"""Demo cases and case-file reviews: ``small`` ≈ two years of a county brigade's cases, ``large`` ten
years with thousands of cases a year (bulk inserts). A few deliberate problems give the rules
something to find (late filing, missing legal review, one certified officer, unpublished decisions).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from brigade_desk.core import demo_names as nm
from brigade_desk.core.demo import DemoContext
from brigade_desk.core.models.base import Base
from brigade_desk.ledgers.cases import checklists
from brigade_desk.ledgers.cases.models import (
    CaseRecord,
    CaseReview,
    Rectification,
    ReviewItem,
    ReviewSample,
    ReviewSampleCase,
    case_officer,
)
from brigade_desk.ledgers.cases.review import draw, grade_for
from brigade_desk.ledgers.roster.models import Certificate, CertStatus, Staff, StaffCategory

CAUSES: dict[str, list[str]] = {
    "道路运政": [
        "未取得道路运输经营许可擅自从事道路客运经营",
        "未取得道路运输经营许可擅自从事道路货物运输经营",
        "驾驶员未按规定携带从业资格证",
        "客运车辆不按批准的客运站点停靠",
        "网约车未取得经营许可从事经营",
        "维修经营者未按规定建立维修档案",
        "危险货物运输车辆未按规定配备押运人员",
        "超越许可事项从事道路运输经营",
    ],
    "公路路政": [
        "车辆超限运输",
        "擅自占用、挖掘公路",
        "在公路用地范围内设置非公路标志",
        "在公路建筑控制区内修建建筑物",
        "损坏公路附属设施",
        "车辆载物拖地行驶损害公路",
    ],
    "水路运政": [
        "未经许可擅自经营水路运输业务",
        "船舶未按规定办理营运证件",
        "超越经营范围从事水路运输",
    ],
    "港口": ["未依法取得港口经营许可从事港口经营", "港口经营人未按规定开展安全检查"],
    "工程质量": ["施工单位未按规定进行质量检测", "监理单位未按规定履行监理职责"],
    "其他": ["违反交通运输管理规定的其他行为"],
}
DOMAIN_W = [
    ("道路运政", 55),
    ("公路路政", 25),
    ("水路运政", 7),
    ("港口", 3),
    ("工程质量", 6),
    ("其他", 4),
]
CATEGORY_W = [("行政处罚", 70), ("行政检查", 15), ("行政强制", 8), ("行政许可", 4), ("其他", 3)]
COMPANY = [
    "运输有限公司",
    "物流有限公司",
    "客运有限责任公司",
    "汽车维修厂",
    "建筑工程有限公司",
    "港务有限公司",
    "砂石料厂",
]
PLACES = ["乐都", "平安", "互助", "民和", "化隆", "循化", "湟中", "大通", "西宁"]
PREFIX = {"行政处罚": "罚", "行政检查": "检", "行政强制": "强", "行政许可": "许", "其他": "他"}


def _table(model: type[Base]) -> Table:
    """The model's table, for Core bulk inserts (``__table__`` is typed as any FROM clause)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return table


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def _add(d: dt.date | None, lo: int, hi: int, rng: random.Random, today: dt.date) -> dt.date | None:
    if d is None:
        return None
    out = d + dt.timedelta(days=rng.randint(lo, hi))
    return out if out <= today else None


def _case(rng: random.Random, no: str, filed: dt.date, today: dt.date) -> dict[str, Any]:
    domain = _pick(rng, DOMAIN_W)
    category = _pick(rng, CATEGORY_W)
    org = rng.random() < 0.35
    party = (
        (
            rng.choice(PLACES)
            + rng.choice("鑫顺达通安远恒泰兴隆")
            + rng.choice("源通达运盛")
            + rng.choice(COMPANY)
        )
        if org
        else nm.name(rng)
    )
    simple = category == "行政处罚" and rng.random() < 0.35
    c: dict[str, Any] = dict(
        case_no=no,
        cause=rng.choice(CAUSES[domain]),
        party=party,
        party_type="单位" if org else "个人",
        domain=domain,
        category=category,
        procedure="简易" if simple else "普通",
        filed_on=filed,
        activities=[],
        notes="",
        is_major=False,
    )
    acts: list[str] = []
    if simple:
        c["fine_amount"] = Decimal(rng.choice([50, 100, 200]))
        c["decided_on"] = c["served_on"] = c["executed_on"] = c["closed_on"] = filed
        c["published_on"] = _add(filed, 1, 12, rng, today)
        c["activities"] = ["现场检查"]
        return c
    inv = _add(filed, 5, 35, rng, today)
    c["investigated_on"] = inv
    acts += ["调查取证"] + (["现场检查"] if rng.random() < 0.6 else [])
    if category == "行政检查":
        c["closed_on"] = _add(filed, 1, 10, rng, today)
        c["activities"] = ["现场检查"]
        return c
    if category == "行政强制":
        acts.append(rng.choice(["查封扣押", "查封扣押", "暂扣车辆", "强制拆除", "先行登记保存"]))
    fine = None
    if category == "行政处罚":
        hi = 200000 if org else 30000
        fine = Decimal(
            rng.choice([500, 1000, 2000, 3000, 5000, 10000, 20000, 30000, 50000, 100000, hi])
        )
        fine = min(fine, Decimal(hi))
    c["fine_amount"] = fine
    major = (
        fine is not None and fine >= (Decimal(100000) if org else Decimal(30000))
    ) or "强制拆除" in acts
    c["is_major"] = bool(major and rng.random() < 0.9)
    notified = _add(inv, 1, 7, rng, today)
    c["notified_on"] = notified
    need_hearing = fine is not None and fine >= (Decimal(100000) if org else Decimal(10000))
    if need_hearing and rng.random() < 0.97:
        c["hearing_notice_on"] = notified
    decided = _add(notified, 9, 20, rng, today)
    if decided is not None and c["is_major"]:
        if rng.random() < 0.97:
            c["legal_review_on"] = decided - dt.timedelta(days=rng.randint(1, 3))
        if rng.random() < 0.97:
            c["collective_on"] = decided - dt.timedelta(days=rng.randint(0, 1))
        c["reported_on"] = (
            _add(decided, 1, 4, rng, today)
            if rng.random() < 0.95
            else _add(decided, 9, 20, rng, today)
        )
        if need_hearing and rng.random() < 0.3:
            acts.append("听证")
    c["decided_on"] = decided
    if decided is not None and category in ("行政处罚", "行政强制", "行政许可"):
        c["published_on"] = (
            _add(decided, 1, 18, rng, today)
            if rng.random() < 0.96
            else _add(decided, 35, 60, rng, today)
        )
    c["served_on"] = _add(decided, 0, 5, rng, today)
    if c["served_on"] and rng.random() < 0.05:
        acts.append(rng.choice(["留置送达", "公告送达"]))
    c["executed_on"] = _add(c["served_on"], 0, 20, rng, today)
    c["closed_on"] = _add(c["executed_on"], 3, 25, rng, today)
    c["activities"] = list(dict.fromkeys(acts))
    return c


def _appeals(rng: random.Random, c: dict[str, Any], today: dt.date) -> None:
    """A few reconsiderations, suits and 行刑衔接 transfers (for the monthly statistics)."""
    decided = c.get("decided_on")
    if decided is not None and c["procedure"] == "普通":
        r = rng.random()
        if r < 0.03:
            c["reconsidered_on"] = _add(decided, 10, 55, rng, today)
        elif r < 0.045:
            c["sued_on"] = _add(decided, 20, 170, rng, today)
    if c["category"] == "行政处罚" and c["procedure"] == "普通" and rng.random() < 0.01:
        c["transferred_on"] = _add(c["filed_on"], 5, 40, rng, today)


def fill(s: Session, ctx: DemoContext) -> None:
    rng = random.Random(ctx.seed * 7919 + 5)
    today = ctx.today
    large = ctx.size == "large"
    years = list(range(today.year - (9 if large else 1), today.year + 1))
    per_year = 3200 if large else 150  # ten years: >= 30,000 cases (issue 8)
    officers = list(
        ctx.shared.get("officer_ids")
        or s.scalars(select(Staff.id).where(Staff.category == StaffCategory.OFFICER))
    )
    auxiliaries = list(s.scalars(select(Staff.id).where(Staff.category == StaffCategory.AUXILIARY)))
    names = {r[0]: r[1] for r in s.execute(select(Staff.id, Staff.name))}
    certs = s.execute(
        select(Certificate.staff_id, Certificate.issue_date, Certificate.valid_to).where(
            Certificate.status == CertStatus.VALID, Certificate.staff_id.in_(officers)
        )
    ).all()
    month_pool: dict[tuple[int, int], list[int]] = {}

    def pool_for(d: dt.date) -> list[int]:
        """Officers whose certificate is valid for the whole month (else anybody, for old years)."""
        key = (d.year, d.month)
        if key not in month_pool:
            first = d.replace(day=1)
            last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            ok = sorted(
                {
                    sid
                    for sid, a, b in certs
                    if (a is None or a <= first) and (b is None or b >= last)
                }
            )
            month_pool[key] = ok if len(ok) >= 3 else officers
        return month_pool[key]

    next_id = int(s.scalar(select(func.max(CaseRecord.id))) or 0) + 1
    extra = random.Random(
        ctx.seed * 104729 + 11
    )  # its own stream: the cases above stay as they were
    rows: list[dict[str, Any]] = []
    links: list[dict[str, int]] = []
    by_year: dict[int, list[dict[str, Any]]] = {}
    for y in years:
        end = today if y == today.year else dt.date(y, 12, 31)
        span = (end - dt.date(y, 1, 1)).days
        n = per_year if y < today.year else max(10, per_year * span // 365)
        seq = {k: 0 for k in PREFIX}
        filed_days = sorted(rng.randint(0, span) for _ in range(n))
        year_rows = []
        for fd in filed_days:
            filed = dt.date(y, 1, 1) + dt.timedelta(days=fd)
            c = _case(rng, "", filed, today)
            _appeals(extra, c, today)
            seq[c["category"]] += 1
            c["case_no"] = f"乐交执{PREFIX[c['category']]}〔{y}〕{seq[c['category']]}号"
            c["id"] = next_id
            next_id += 1
            pool = pool_for(filed)
            team = rng.sample(pool, 2) if len(pool) >= 2 else list(pool)
            if (
                rng.random() < 0.01 and auxiliaries
            ):  # a deliberate problem: one officer and an auxiliary
                team = team[:1] + [rng.choice(auxiliaries)]
            elif rng.random() < 0.25 and len(pool) > 2:
                team.append(rng.choice([o for o in pool if o not in team]))
            links += [{"case_id": c["id"], "staff_id": o} for o in team]
            c["_officers"] = "、".join(names.get(o, "") for o in team)
            year_rows.append(c)
        by_year[y] = year_rows
        rows += year_rows
    keys = {k for r in rows for k in r if not k.startswith("_")}
    clean = [{k: r.get(k) for k in keys} for r in rows]
    for i in range(0, len(clean), 2000):
        # Core insert: one executemany (the ORM bulk path splits rows by their pattern of NULLs)
        s.execute(insert(_table(CaseRecord)), clean[i : i + 2000])
    for i in range(0, len(links), 5000):
        s.execute(insert(case_officer), links[i : i + 5000])
    ctx.counts["cases"] = len(rows)
    ctx.shared["case_ids"] = [r["id"] for r in rows]
    # for the AV demo: recent cases with activities, those needing full-process recording first
    # (as many as the AV filler makes by itself: 12 small, 9000 large)
    with_acts = [r for r in rows if r["activities"]]
    full = [r for r in with_acts if {"查封扣押", "强制拆除"} & set(r["activities"])]
    full_ids = {r["id"] for r in full}
    rest = [r for r in with_acts if r["id"] not in full_ids]
    picked = (full[-(9000 if large else 6) :] + rest[-(9000 if large else 6) :])[
        : 9000 if large else 12
    ]
    ctx.shared["case_activities"] = [(r["case_no"], list(r["activities"])) for r in picked]
    _reviews(s, ctx, rng, by_year)


def _file_year(c: dict[str, Any]) -> int | None:
    d = c.get("closed_on") or c.get("decided_on") or c.get("filed_on")
    return d.year if d else None


def _reviews(
    s: Session, ctx: DemoContext, rng: random.Random, by_year: dict[int, list[dict[str, Any]]]
) -> None:
    today = ctx.today
    checklists.ensure_templates(s, today)
    all_cases = [c for rows in by_year.values() for c in rows]
    reviewers = ["法制审核股 马丽", "法制审核股 韩建军", "综合办公室 李晓燕"]
    n_reviews = n_items = n_rect = 0
    sample_rows, item_rows, rect_rows = [], [], []
    next_review = int(s.scalar(select(func.max(CaseReview.id))) or 0) + 1
    for year in sorted(by_year):
        review_day = dt.date(year + 1, 1, 20)
        if review_day > today:
            continue  # this year's review has not started yet; the clerk draws it in the program
        latest = dt.date(year + 2, 1, 20) > today
        pool: dict[str, list[str]] = {}
        ids = {}
        for c in all_cases:
            if _file_year(c) == year:
                pool.setdefault(c["category"], []).append(c["case_no"])
                ids[c["case_no"]] = c
        if not pool:
            continue
        seed = rng.randrange(1_000_000)
        drawn = draw(pool, 10, seed)
        sample = ReviewSample(year=year, seed=seed, per_category=10, drawn_on=review_day)
        s.add(sample)
        s.flush()
        version = 1 if year < 2025 else 2
        t = checklists.get_template(s, "case_review", version)
        for nos in drawn.values():
            for no in nos:
                c = ids[no]
                sample_rows.append(
                    {
                        "sample_id": sample.id,
                        "case_id": c["id"],
                        "manual": False,
                        "added_on": review_day,
                        "reason": "",
                    }
                )
                reviewed_on = review_day + dt.timedelta(days=rng.randint(3, 40))
                if reviewed_on > today:
                    continue
                rid = next_review
                next_review += 1
                total = Decimal(0)
                sloppiness = rng.choice([0.03, 0.08, 0.12, 0.2, 0.45])
                for item in t.items:
                    sc = item.points
                    remark = ""
                    if rng.random() < sloppiness:
                        sc = max(Decimal(0), item.points - Decimal(rng.choice([0.5, 1, 1, 2, 3])))
                        remark = rng.choice(item.deductions) if item.deductions else "不规范"
                    total += sc
                    item_rows.append(
                        {
                            "review_id": rid,
                            "item_code": item.code,
                            "score": sc,
                            "veto_hit": False,
                            "remark": remark,
                        }
                    )
                vetoed = rng.random() < 0.05
                if vetoed:
                    v = rng.choice(t.veto)
                    item_rows.append(
                        {
                            "review_id": rid,
                            "item_code": v.code,
                            "score": None,
                            "veto_hit": True,
                            "remark": "经查属实",
                        }
                    )
                grade = grade_for(total, vetoed, Decimal(90), Decimal(70))
                s.execute(
                    insert(CaseReview),
                    [
                        {
                            "id": rid,
                            "case_id": c["id"],
                            "year": year,
                            "template_code": t.code,
                            "template_version": t.version,
                            "reviewer": rng.choice(reviewers),
                            "reviewed_on": reviewed_on,
                            "score": total,
                            "grade": grade,
                            "vetoed": vetoed,
                            "remarks": "",
                        }
                    ],
                )
                n_reviews += 1
                if grade == "不合格" or (total < 95 and rng.random() < 0.3):
                    due = reviewed_on + dt.timedelta(days=30)
                    done = (
                        due - dt.timedelta(days=rng.randint(0, 20))
                        if (not latest or rng.random() < 0.8)
                        else None
                    )
                    done = done if done and done <= today else None
                    rect_rows.append(
                        {
                            "review_id": rid,
                            "item_code": "",
                            "problem": "按评查意见补正案卷材料、规范文书",
                            "assignee": c["_officers"].split("、")[0],
                            "due_on": due,
                            "done_on": done,
                            "evidence": "整改报告及补正材料" if done else "",
                        }
                    )
    if sample_rows:
        s.execute(insert(ReviewSampleCase), sample_rows)
    for i in range(0, len(item_rows), 5000):
        s.execute(insert(_table(ReviewItem)), item_rows[i : i + 5000])
        n_items += len(item_rows[i : i + 5000])
    if rect_rows:
        s.execute(insert(_table(Rectification)), rect_rows)
        n_rect = len(rect_rows)
    ctx.counts["case_reviews"] = n_reviews
    ctx.counts["rectifications"] = n_rect
