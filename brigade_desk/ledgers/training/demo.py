"""Demo training ledger: plans, sessions and attendance for every year the demo brigade existed.

``large`` covers ten years with several hundred sessions a year (all-staff legal study, political
study, squad weekly study, lectures, yearly intensive courses, monthly exams, courses run by
superiors) and is written with bulk inserts. A few deliberate gaps give the rules something to find:
one month of the current year without the all-staff legal study, officers who keep missing sessions,
and officers who missed the 2024 full-staff rotation (全员轮训, due end of June 2024).

The full-staff rotation is the 2024 campaign of the three-year plan: batches in April–June 2024
marked 计入全员轮训 (written even when the small demo's years start later — the clerk back-filled
it), then a make-up session (补训) in September for those who missed their batch; a few officers
miss that too. Other years' intensive courses (集中轮训) are ordinary training, not the campaign.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from brigade_desk.core.demo import DemoContext
from brigade_desk.core.models.base import Base
from brigade_desk.ledgers.roster.models import Staff, StaffCategory, StaffEvent, StaffStatus
from brigade_desk.ledgers.training.models import (
    PlanStatus,
    TrainingAttendance,
    TrainingPlan,
    TrainingPlanItem,
    TrainingSession,
)

LAW_TOPICS = [
    "《行政处罚法》",
    "《行政强制法》",
    "《行政许可法》",
    "《道路运输条例》",
    "《公路法》",
    "《公路安全保护条例》",
    "《交通运输行政执法程序规定》",
    "《超限运输车辆行驶公路管理规定》",
    "《安全生产法》",
    "《行政复议法》",
    "《民法典》相关条款",
    "《国家赔偿法》",
    "《道路交通安全法》",
    "《港口法》",
    "《航道法》",
]
BUSINESS_TOPICS = [
    "执法文书制作规范",
    "案卷归档与评查标准",
    "电子证据收集与固定",
    "非现场执法流程",
    "治超站点执法实务",
    "网约车查处要点",
    "危险货物运输检查",
    "执法记录仪使用规范",
    "行政执法三项制度",
    "执法风险防控",
    "重大行政处罚法制审核",
    "信用监管与联合惩戒",
]
SKILL_TOPICS = [
    "路面执法规范化操作",
    "执法礼仪与语言规范",
    "突发事件处置演练",
    "现场询问与笔录",
    "执法装备实操",
    "队列与体能训练",
]
POLITICAL_TOPICS = [
    "习近平新时代中国特色社会主义思想专题学习",
    "党章党规党纪学习",
    "党风廉政建设警示教育",
    "全会精神学习",
    "党史学习教育",
    "作风纪律教育",
    "意识形态工作专题",
    "“两个确立”专题研讨",
]
ABSENCE = ["病假", "事假", "公差", "外出执法任务", "年休假", "值班", "参加上级会议"]
ORGANISERS = [
    "大队法制审核股",
    "大队综合办公室",
    "大队党支部",
    "市交通运输综合行政执法支队",
    "县司法局",
]
PLACES = ["大队三楼会议室", "大队培训室", "治超站会议室", "线上", "市执法支队培训中心"]


def _table(model: type[Base]) -> Table:
    """The model's table, for Core bulk inserts (``__table__`` is typed as any FROM clause)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return table


@dataclass
class Person:
    id: int
    squad: str
    officer: bool
    joined: dt.date
    left: dt.date | None
    diligence: float  # chance to attend


def _people(s: Session, rng: random.Random) -> list[Person]:
    joined = dict(
        s.execute(
            select(StaffEvent.staff_id, func.min(StaffEvent.date)).group_by(StaffEvent.staff_id)
        ).all()
    )
    out = []
    for staff_id, squad, cat, status, sdate in s.execute(
        select(Staff.id, Staff.squad, Staff.category, Staff.status, Staff.status_date)
    ):
        left = sdate if status != StaffStatus.ON_DUTY else None
        diligence = 0.93 if rng.random() > 0.07 else rng.uniform(0.45, 0.7)
        out.append(
            Person(
                id=staff_id,
                squad=squad,
                officer=cat == StaffCategory.OFFICER,
                joined=joined.get(staff_id) or dt.date(2000, 1, 1),
                left=left,
                diligence=diligence,
            )
        )
    return out


def _active(p: Person, d: dt.date) -> bool:
    return p.joined <= d and (p.left is None or p.left > d)


ROTATION_YEAR = 2024  # the full-staff rotation campaign (000 §3, 001 §3): by 30 June 2024


def _weekday(rng: random.Random, year: int, month: int, lo: int = 2, hi: int = 27) -> dt.date:
    d = dt.date(year, month, rng.randint(lo, hi))
    while d.weekday() >= 5:
        d -= dt.timedelta(days=1)
    return d


def fill(s: Session, ctx: DemoContext) -> None:
    rng = ctx.rng
    today = ctx.today
    large = ctx.size == "large"
    people = _people(s, rng)
    squads = sorted({p.squad for p in people if p.squad})
    first_year = today.year - (9 if large else 1)
    next_training_session_id = (s.scalar(select(func.max(TrainingSession.id))) or 0) + 1
    training_sessions: list[dict] = []
    attendance: list[dict] = []
    skip_month = (today.year, max(1, today.month - 3))  # deliberate gap for monthly_study_missing

    def add(
        day: dt.date,
        title: str,
        form: str,
        category: str,
        hours: float,
        who: list[Person],
        *,
        end: dt.date | None = None,
        monthly: bool = False,
        rotation: bool = False,
        exam: bool = False,
        organiser: str = "大队法制审核股",
        place: str = "大队三楼会议室",
        plan_item: int | None = None,
    ) -> int | None:
        nonlocal next_training_session_id
        end = end or day
        if end > today:
            return None
        training_session_id = next_training_session_id
        next_training_session_id += 1
        training_sessions.append(
            dict(
                id=training_session_id,
                start_date=day,
                end_date=end,
                title=title,
                form=form,
                category=category,
                hours=hours,
                organiser=organiser,
                place=place,
                is_monthly_study=monthly,
                is_rotation=rotation,
                has_exam=exam,
                pass_score=60.0,
                plan_item_id=plan_item,
                notes="",
            )
        )
        for p in who:
            if not _active(p, day):
                continue
            if rng.random() < p.diligence:
                partial = hours >= 2 and rng.random() < 0.03
                score = passed = None
                if exam:
                    score = max(
                        30.0,
                        min(100.0, round(rng.gauss(83 if p.diligence > 0.8 else 68, 9) * 2) / 2),
                    )
                    passed = score >= 60
                attendance.append(
                    dict(
                        session_id=training_session_id,
                        staff_id=p.id,
                        attended=True,
                        hours=round(hours / 2, 1) if partial else None,
                        absence_reason="",
                        exam_score=score,
                        exam_passed=passed,
                    )
                )
            elif rng.random() < 0.6:
                attendance.append(
                    dict(
                        session_id=training_session_id,
                        staff_id=p.id,
                        attended=False,
                        hours=None,
                        absence_reason=rng.choice(ABSENCE),
                        exam_score=None,
                        exam_passed=None,
                    )
                )
        return training_session_id

    def rotation_campaign(plan_item: int | None) -> None:
        """The 2024 full-staff rotation: batches by June, a make-up in September, a few still missing."""
        officers = [p for p in people if p.officer]
        order = list(officers)
        rng.shuffle(order)
        batches = 4 if large else 2
        ids = set()
        for b in range(batches):
            d = _weekday(rng, ROTATION_YEAR, 4 + (b * 3) // batches, 4, 18)
            training_session_id = add(
                d,
                f"{ROTATION_YEAR}年执法人员全员轮训（第{b + 1}期）",
                "集中轮训",
                "业务知识",
                16.0,
                order[b::batches],
                end=d + dt.timedelta(days=1),
                rotation=True,
                exam=True,
                place=PLACES[1],
                plan_item=plan_item,
            )
            if training_session_id is not None:
                ids.add(training_session_id)
        done = {r["staff_id"] for r in attendance if r["session_id"] in ids and r["attended"]}
        d = _weekday(rng, ROTATION_YEAR, 9, 9, 20)
        missed = [p for p in officers if p.id not in done and _active(p, d)]
        rng.shuffle(missed)
        kept_away = 3 if large else 1  # long sick leave, secondment …: not at the make-up either
        add(
            d,
            f"{ROTATION_YEAR}年执法人员全员轮训（补训）",
            "集中轮训",
            "业务知识",
            16.0,
            missed[kept_away:],
            end=d + dt.timedelta(days=1),
            rotation=True,
            exam=True,
            place=PLACES[1],
            plan_item=plan_item,
        )

    plans = 0
    if first_year > ROTATION_YEAR and today > dt.date(ROTATION_YEAR, 4, 30):
        rotation_campaign(None)
    for year in range(first_year, today.year + 1):
        plan = TrainingPlan(
            year=year,
            title=f"{year}年度执法人员培训计划",
            status=PlanStatus.APPROVED,
            approved_date=dt.date(year, 3, rng.randint(5, 28))
            - dt.timedelta(days=rng.randint(0, 30)),
        )
        if plan.approved_date and plan.approved_date > today:
            plan.status, plan.approved_date = PlanStatus.DRAFT, None
        items: dict[tuple[str, int], TrainingPlanItem] = {}
        for m in range(1, 13):
            items[("law", m)] = TrainingPlanItem(
                month=m,
                topic=f"全员集中学法：{LAW_TOPICS[(m + year) % len(LAW_TOPICS)]}",
                form="集中学法",
                category="公共法律知识",
                planned_hours=2,
                organiser=ORGANISERS[0],
            )
            items[("pol", m)] = TrainingPlanItem(
                month=m,
                topic=POLITICAL_TOPICS[(m + year) % len(POLITICAL_TOPICS)],
                form="集中学习",
                category="政治教育",
                planned_hours=2,
                organiser="大队党支部",
            )
        for q in range(1, 5):
            items[("lecture", q)] = TrainingPlanItem(
                month=3 * q - 1,
                topic="法治讲堂",
                form="法治讲堂",
                category="公共法律知识",
                planned_hours=3,
                organiser=ORGANISERS[4],
            )
        rot_topic = "执法人员全员轮训" if year == ROTATION_YEAR else "执法人员集中轮训"
        items[("rot", 0)] = TrainingPlanItem(
            month=5,
            topic=rot_topic,
            form="集中轮训",
            category="业务知识",
            planned_hours=16,
            organiser=ORGANISERS[0],
        )
        plan.items.extend(sorted(items.values(), key=lambda it: it.month))
        s.add(plan)
        s.flush()
        plans += 1
        everyone = people
        officers = [p for p in people if p.officer]
        for m in range(1, 13):
            if dt.date(year, m, 1) > today:
                break
            if (year, m) != skip_month:
                d = _weekday(rng, year, m, 20, 28)
                add(
                    d,
                    f"{year}年{m}月全员集中学法：{LAW_TOPICS[(m + year) % len(LAW_TOPICS)]}",
                    "集中学法",
                    "公共法律知识",
                    2,
                    everyone,
                    monthly=True,
                    plan_item=items[("law", m)].id,
                )
            add(
                _weekday(rng, year, m, 5, 15),
                POLITICAL_TOPICS[(m + year) % len(POLITICAL_TOPICS)],
                "集中学习",
                "政治教育",
                2,
                everyone,
                organiser="大队党支部",
                plan_item=items[("pol", m)].id,
            )
            add(
                _weekday(rng, year, m, 24, 28),
                f"{year}年{m}月“每月一考”",
                "考试",
                "业务知识",
                1,
                officers,
                exam=True,
            )
            if m % 3 == 2:
                add(
                    _weekday(rng, year, m, 10, 20),
                    f"法治讲堂：{rng.choice(LAW_TOPICS)}解读",
                    "法治讲堂",
                    "公共法律知识",
                    3,
                    everyone,
                    organiser=ORGANISERS[4],
                    plan_item=items[("lecture", (m + 1) // 3)].id,
                )
            # squad weekly study, every other week per squad
            for wk in (1, 3):
                for sq in squads:
                    members = [p for p in people if p.squad == sq]
                    d = _weekday(rng, year, m, 7 * wk - 5, 7 * wk + 2)
                    topic = rng.choice(BUSINESS_TOPICS if rng.random() < 0.7 else SKILL_TOPICS)
                    cat = "业务知识" if topic in BUSINESS_TOPICS else "执法技能"
                    add(
                        d,
                        f"{sq}每周一学：{topic}",
                        "每周一学",
                        cat,
                        1.5,
                        members,
                        organiser=sq,
                        place=f"{sq}会议室",
                    )
            if large and rng.random() < 0.7:
                picks = rng.sample(officers, k=min(len(officers), rng.randint(3, 12)))
                d = _weekday(rng, year, m, 3, 20)
                add(
                    d,
                    f"上级组织培训：{rng.choice(BUSINESS_TOPICS)}",
                    "上级组织培训",
                    "业务知识",
                    8.0,
                    picks,
                    end=d + dt.timedelta(days=1),
                    organiser=ORGANISERS[3],
                    place=PLACES[4],
                )
        # the yearly intensive course in batches, with an exam; in 2024 it is the full-staff rotation
        if year == ROTATION_YEAR:
            rotation_campaign(items[("rot", 0)].id)
        else:
            batches = 4 if large else 2
            rot = list(officers)
            rng.shuffle(rot)
            for b in range(batches):
                d = _weekday(rng, year, 5 + b // 2, 4, 18)
                add(
                    d,
                    f"{year}年执法人员集中轮训（第{b + 1}期）",
                    "集中轮训",
                    "业务知识",
                    16.0,
                    rot[b::batches],
                    end=d + dt.timedelta(days=1),
                    exam=True,
                    place=PLACES[1],
                    plan_item=items[("rot", 0)].id,
                )
        if large:
            for _k in range(rng.randint(4, 8)):
                d = _weekday(rng, year, rng.randint(1, 12))
                add(
                    d,
                    f"{rng.choice(SKILL_TOPICS)}（{rng.choice(['情景模拟', '现场观摩', '庭审旁听'])}）",
                    rng.choice(["情景模拟", "现场观摩", "庭审旁听"]),
                    "执法技能",
                    4.0,
                    rng.sample(officers, k=min(len(officers), 30)),
                    organiser=ORGANISERS[0],
                    place=PLACES[2],
                )
    # Core executemany (not the ORM's bulk path, which splits the rows into thousands of statements)
    conn = s.connection()
    if training_sessions:
        conn.execute(insert(_table(TrainingSession)), training_sessions)
    for i in range(0, len(attendance), 50000):
        conn.execute(insert(_table(TrainingAttendance)), attendance[i : i + 50000])
    ctx.counts["training_sessions"] = len(training_sessions)
    ctx.counts["training_attendance"] = len(attendance)
    ctx.counts["training_plans"] = plans
