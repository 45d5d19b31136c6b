"""The yearly case-file self-review: sample, scoring with veto items, grades, rectification.

- A case file belongs to the year of its 结案 date (else its decision, else its 立案 date).
- The sample takes, per category, ``per_category`` files at random, or all when fewer. Each category
  is drawn with ``random.Random(f"{seed}:{category}")`` from the files sorted by case number, so the
  same seed over the same cases always draws the same files. Seed, minimum and date are stored; the
  clerk can add files by hand (marked ``manual``).
- A score sheet awards each item 0 … its points; a hit veto item makes the file 不合格 whatever its
  score; otherwise the grade follows the configurable thresholds. The template version is stored.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from brigade_desk.core import conflict, dialect, settings
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.ledgers.cases import checklists
from brigade_desk.ledgers.cases import settings as cs
from brigade_desk.ledgers.cases.case_no import natural_key
from brigade_desk.ledgers.cases.case_no import normalize as normalize_case_no
from brigade_desk.ledgers.cases.checklists import Item, Template, Veto
from brigade_desk.ledgers.cases.models import (
    CaseCategory,
    CaseRecord,
    CaseReview,
    Rectification,
    ReviewItem,
    ReviewSample,
    ReviewSampleCase,
)

EXCELLENT, PASS, FAIL = "优秀", "合格", "不合格"
GRADES = (EXCELLENT, PASS, FAIL)
CATEGORY_ORDER = [c.value for c in CaseCategory]


def file_year_expr() -> ColumnElement[str]:
    return dialect.date_text(
        "%Y", func.coalesce(CaseRecord.closed_on, CaseRecord.decided_on, CaseRecord.filed_on)
    )


def grade_for(score: Decimal, vetoed: bool, excellent: Decimal, passing: Decimal) -> str:
    if vetoed:
        return FAIL
    if score >= excellent:
        return EXCELLENT
    if score >= passing:
        return PASS
    return FAIL


def draw(
    case_nos_by_category: dict[str, list[str]], per_category: int, seed: int
) -> dict[str, list[str]]:
    """Pure sampling: per category ``per_category`` numbers or all; reproducible for a seed."""
    out: dict[str, list[str]] = {}
    for cat in sorted(
        case_nos_by_category,
        key=lambda c: (CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else 99, c),
    ):
        pool = sorted(case_nos_by_category[cat], key=natural_key)
        if len(pool) <= per_category:
            out[cat] = pool
        else:
            rng = random.Random(f"{seed}:{cat}")
            out[cat] = sorted(rng.sample(pool, per_category), key=natural_key)
    return out


@dataclass
class SampleEntry:
    case_id: int
    case_no: str
    category: str
    party: str
    cause: str
    manual: bool
    reason: str
    review_id: int | None = None
    grade: str = ""
    score: Decimal | None = None


@dataclass
class SampleView:
    year: int
    seed: int
    per_category: int
    drawn_on: dt.date
    entries: list[SampleEntry]
    population: dict[str, int]

    def by_category(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for e in self.entries:
            out[e.category].append(e.case_no)
        return {c: sorted(v, key=natural_key) for c, v in out.items()}

    def as_json(self) -> dict[str, object]:
        return {
            "year": self.year,
            "seed": self.seed,
            "per_category": self.per_category,
            "drawn_on": self.drawn_on.isoformat(),
            "cases": self.by_category(),
            "manual": sorted((e.case_no for e in self.entries if e.manual), key=natural_key),
            "population": self.population,
        }


@dataclass
class ItemScore:
    score: Decimal | None = None  # None = full points (nothing deducted)
    remark: str = ""


@dataclass
class ScoreInput:
    items: dict[str, ItemScore] = field(default_factory=dict)
    vetoes: dict[str, str] = field(default_factory=dict)  # hit veto code -> remark
    reviewer: str = ""
    reviewed_on: dt.date | None = None
    remarks: str = ""


@dataclass
class ReviewView:
    id: int
    case_id: int
    case_no: str
    year: int
    template: Template
    reviewer: str
    reviewed_on: dt.date | None
    score: Decimal | None
    grade: str
    vetoed: bool
    remarks: str
    items: dict[str, ItemScore]
    vetoes: dict[str, str]
    rectifications: list[RectificationView]
    version: int = 1  # as loaded: passed back to save_review (core.conflict)


@dataclass
class RectificationInput:
    item_code: str = ""
    problem: str = ""
    assignee: str = ""
    due_on: dt.date | None = None
    done_on: dt.date | None = None
    evidence: str = ""


@dataclass
class RectificationView(RectificationInput):
    id: int = 0
    review_id: int = 0
    case_no: str = ""
    version: int = 1  # as loaded: passed back to update_rectification (core.conflict)


def compute(template: Template, data: ScoreInput) -> tuple[Decimal, bool, dict[str, str]]:
    """Total score, veto flag and field errors for a score sheet."""
    errs: dict[str, str] = {}
    total = Decimal(0)
    for item in template.items:
        sc = data.items.get(item.code)
        value = item.points if sc is None or sc.score is None else Decimal(str(sc.score))
        if value < 0 or value > item.points:
            errs[item.code] = f"{item.code}“{item.title}”得分应在 0–{item.points:g} 之间"
            continue
        if value < item.points and sc is not None and not sc.remark.strip():
            errs.setdefault(item.code, f"{item.code} 扣分时请在“扣分说明”中写明扣分理由")
        total += value
    unknown = [c for c in data.items if not isinstance(template.item(c), Item)]
    unknown += [c for c in data.vetoes if not isinstance(template.item(c), Veto)]
    if unknown:
        errs["items"] = f"评查项目「{'、'.join(unknown)}」不在模板{template.label}中"
    vetoed = bool(data.vetoes)
    return total, vetoed, errs


def _case_by_no(s: Session, case_no: str) -> CaseRecord:
    c = s.scalar(select(CaseRecord).where(CaseRecord.case_no == normalize_case_no(case_no)))
    if c is None:
        raise UserError(f"案号 {case_no} 不存在")
    return c


class ReviewService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- templates ----------------------------------------------------------------------------

    def template(self, version: int | None = None, code: str | None = None) -> Template:
        """The template ``code`` (default: the one the settings name), ``version`` or the newest."""
        with self.db.begin() as s:
            if code is None:
                code = str(settings.get(s, cs.TEMPLATE_CODE))
            return checklists.get_template(s, code, version)

    def template_versions(self) -> tuple[str, list[tuple[int, str, str, dt.date]]]:
        """The code of the template in use and its versions (version, name, source, created on),
        oldest first; the built-in templates are stored first when missing."""
        with self.db.begin() as s:
            code = str(settings.get(s, cs.TEMPLATE_CODE))
            return code, checklists.versions(s, code)

    def save_template(self, body: dict[str, object], today: dt.date | None = None) -> Template:
        with self.db.begin() as s:
            return checklists.save_new_version(s, body, today)

    # ---- sampling -----------------------------------------------------------------------------

    def population(self, s: Session, year: int) -> dict[str, list[tuple[int, str]]]:
        rows = s.execute(
            select(CaseRecord.id, CaseRecord.case_no, CaseRecord.category).where(
                file_year_expr() == f"{year:04d}"
            )
        ).all()
        out: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for r in rows:
            out[r.category].append((r.id, r.case_no))
        return out

    def draw_sample(
        self,
        year: int,
        *,
        per_category: int | None = None,
        seed: int | None = None,
        today: dt.date | None = None,
        redraw: bool = False,
    ) -> SampleView:
        """Draw (and store) the year's sample. An existing sample is returned unchanged unless
        ``redraw``; asking for a different seed or minimum without ``redraw`` is refused."""
        today = today or dt.date.today()
        with self.db.begin() as s:
            existing = s.scalar(select(ReviewSample).where(ReviewSample.year == year))
            if existing is not None and not redraw:
                if (seed is not None and seed != existing.seed) or (
                    per_category is not None and per_category != existing.per_category
                ):
                    raise UserError(
                        f"{year} 年已于 {existing.drawn_on:%Y-%m-%d} 抽取样本（随机种子 {existing.seed}，"
                        f"每类至少 {existing.per_category} 件）。如需重新抽取，请使用“重新抽取”（--redraw）"
                    )
                return self._view(s, existing)
            n = int(per_category if per_category is not None else settings.get(s, cs.PER_CATEGORY))
            if n < 1:
                raise ValidationError({"per_category": "每类抽取件数至少为 1"})
            seed = seed if seed is not None else secrets.randbelow(1_000_000)
            pop = self.population(s, year)
            if not pop:
                raise UserError(
                    f"{year} 年没有可抽取的案卷（按结案日期计，缺结案日期的按决定或立案日期）"
                )
            drawn = draw({cat: [no for _, no in v] for cat, v in pop.items()}, n, seed)
            ids = {no: cid for v in pop.values() for cid, no in v}
            manual: list[ReviewSampleCase] = []
            if existing is not None:
                manual = [i for i in existing.items if i.manual]
                existing.items = [i for i in existing.items if i.manual]
                s.flush()  # delete the old random draw before inserting the new one
                sample = existing
                sample.seed, sample.per_category, sample.drawn_on = seed, n, today
            else:
                sample = ReviewSample(year=year, seed=seed, per_category=n, drawn_on=today)
                s.add(sample)
            manual_ids = {m.case_id for m in manual}
            for cat_nos in drawn.values():
                for no in cat_nos:
                    if ids[no] not in manual_ids:
                        sample.items.append(
                            ReviewSampleCase(case_id=ids[no], manual=False, added_on=today)
                        )
            s.flush()
            return self._view(s, sample)

    def add_to_sample(
        self, year: int, case_no: str, reason: str = "", today: dt.date | None = None
    ) -> None:
        with self.db.begin() as s:
            sample = s.scalar(select(ReviewSample).where(ReviewSample.year == year))
            if sample is None:
                raise UserError(f"{year} 年还没有抽取样本，请先抽取")
            c = _case_by_no(s, case_no)
            if any(i.case_id == c.id for i in sample.items):
                raise UserError(f"案卷 {c.case_no} 已在 {year} 年样本中")
            sample.items.append(
                ReviewSampleCase(
                    case_id=c.id,
                    manual=True,
                    added_on=today or dt.date.today(),
                    reason=reason.strip() or "人工添加",
                )
            )

    def remove_manual(self, year: int, case_no: str) -> None:
        with self.db.begin() as s:
            sample = s.scalar(select(ReviewSample).where(ReviewSample.year == year))
            c = _case_by_no(s, case_no)
            item = next((i for i in (sample.items if sample else []) if i.case_id == c.id), None)
            if item is None:
                raise UserError(f"案卷 {case_no} 不在 {year} 年样本中")
            if not item.manual:
                raise UserError("随机抽取的案卷不能移出样本（只能移出人工添加的案卷）")
            sample.items.remove(item)  # type: ignore[union-attr]

    def latest_sample_year(self) -> int | None:
        with self.db.session() as s:
            return s.scalar(select(func.max(ReviewSample.year)))

    def sample(self, year: int) -> SampleView | None:
        with self.db.session() as s:
            sample = s.scalar(select(ReviewSample).where(ReviewSample.year == year))
            return self._view(s, sample) if sample else None

    def _view(self, s: Session, sample: ReviewSample) -> SampleView:
        rows = s.execute(
            select(ReviewSampleCase, CaseRecord)
            .join(CaseRecord, ReviewSampleCase.case_id == CaseRecord.id)
            .where(ReviewSampleCase.sample_id == sample.id)
        ).all()
        reviews = {
            r.case_id: r
            for r in s.scalars(select(CaseReview).where(CaseReview.year == sample.year))
        }
        entries = []
        for item, c in rows:
            r = reviews.get(c.id)
            entries.append(
                SampleEntry(
                    c.id,
                    c.case_no,
                    c.category,
                    c.party,
                    c.cause,
                    item.manual,
                    item.reason,
                    r.id if r else None,
                    r.grade if r else "",
                    r.score if r else None,
                )
            )
        entries.sort(
            key=lambda e: (
                CATEGORY_ORDER.index(e.category) if e.category in CATEGORY_ORDER else 99,
                e.manual,
                natural_key(e.case_no),
            )
        )
        pop = {cat: len(v) for cat, v in self.population(s, sample.year).items()}
        return SampleView(
            sample.year, sample.seed, sample.per_category, sample.drawn_on, entries, pop
        )

    # ---- scoring ------------------------------------------------------------------------------

    def save_review(
        self,
        case_no: str,
        year: int,
        data: ScoreInput,
        *,
        version: int | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Score one file (creating or replacing its review for the year). ``version``: the
        template's. ``expected_version``: the review's as the score sheet showed it (0: there was
        none yet); a newer one means somebody else scored the file meanwhile: ConflictError,
        nothing written (core.conflict). None: no check (the command line)."""
        with self.db.begin() as s:
            c = _case_by_no(s, case_no)
            existing = s.scalar(
                select(CaseReview).where(CaseReview.case_id == c.id, CaseReview.year == year)
            )
            if existing is not None:
                conflict.check(
                    s,
                    existing,
                    expected_version,
                    f"案卷 {c.case_no} 的评查结果",
                    [("review_item", [i.id for i in existing.items])],
                )
            code = existing.template_code if existing else str(settings.get(s, cs.TEMPLATE_CODE))
            if version is None and existing is not None:
                version = existing.template_version
            t = checklists.get_template(s, code, version)
            total, vetoed, errs = compute(t, data)
            if not data.reviewer.strip():
                errs["reviewer"] = "请填写评查人"
            if data.reviewed_on is not None and data.reviewed_on > dt.date.today():
                errs["reviewed_on"] = f"评查日期（{data.reviewed_on:%Y-%m-%d}）晚于今天"
            elif (
                data.reviewed_on is not None
                and c.filed_on is not None
                and data.reviewed_on < c.filed_on
            ):
                errs["reviewed_on"] = (
                    f"评查日期（{data.reviewed_on:%Y-%m-%d}）早于立案日期（{c.filed_on:%Y-%m-%d}）"
                )
            if errs:
                raise ValidationError(errs)
            ex = Decimal(str(settings.get(s, cs.GRADE_EXCELLENT)))
            ps = Decimal(str(settings.get(s, cs.GRADE_PASS)))
            r = existing or CaseReview(case_id=c.id, year=year)
            r.template_code, r.template_version = t.code, t.version
            r.reviewer, r.reviewed_on, r.remarks = (
                data.reviewer.strip(),
                data.reviewed_on or dt.date.today(),
                data.remarks,
            )
            r.score, r.vetoed = total, vetoed
            r.grade = grade_for(total, vetoed, ex, ps)
            if existing is not None:
                conflict.touch(r)  # a save that changed only item scores or remarks counts too
            r.items = []
            s.add(r)
            s.flush()
            for item in t.items:
                sc = data.items.get(item.code) or ItemScore()
                r.items.append(
                    ReviewItem(
                        item_code=item.code,
                        score=item.points if sc.score is None else Decimal(str(sc.score)),
                        veto_hit=False,
                        remark=sc.remark.strip(),
                    )
                )
            for vcode, remark in data.vetoes.items():
                r.items.append(
                    ReviewItem(item_code=vcode, score=None, veto_hit=True, remark=remark.strip())
                )
            s.flush()
            return r.id

    def review(self, case_no: str, year: int) -> ReviewView | None:
        with self.db.begin() as s:
            c = _case_by_no(s, case_no)
            r = s.scalar(
                select(CaseReview)
                .options(selectinload(CaseReview.items), selectinload(CaseReview.rectifications))
                .where(CaseReview.case_id == c.id, CaseReview.year == year)
            )
            return self._review_view(s, r, c) if r else None

    def latest_review(self, case_no: str) -> ReviewView | None:
        with self.db.begin() as s:
            c = _case_by_no(s, case_no)
            r = s.scalar(
                select(CaseReview)
                .where(CaseReview.case_id == c.id)
                .order_by(CaseReview.year.desc())
                .limit(1)
            )
            return self._review_view(s, r, c) if r else None

    def _review_view(self, s: Session, r: CaseReview, c: CaseRecord) -> ReviewView:
        t = checklists.get_template(s, r.template_code, r.template_version)
        items = {i.item_code: ItemScore(i.score, i.remark) for i in r.items if not i.veto_hit}
        vetoes = {i.item_code: i.remark for i in r.items if i.veto_hit}
        rects = [_rect_view(x, c.case_no) for x in r.rectifications]
        return ReviewView(
            r.id,
            c.id,
            c.case_no,
            r.year,
            t,
            r.reviewer,
            r.reviewed_on,
            r.score,
            r.grade,
            r.vetoed,
            r.remarks,
            items,
            vetoes,
            rects,
            r.version,
        )

    def reviews(self, year: int) -> list[tuple[CaseRecordLite, ReviewView]]:
        out = []
        with self.db.begin() as s:
            rows = s.execute(
                select(CaseReview, CaseRecord)
                .join(CaseRecord, CaseReview.case_id == CaseRecord.id)
                .options(selectinload(CaseReview.items), selectinload(CaseReview.rectifications))
                .where(CaseReview.year == year)
                .order_by(CaseRecord.category, CaseRecord.case_no)
            ).all()
            for r, c in rows:
                out.append((CaseRecordLite.of(c), self._review_view(s, r, c)))
        return out

    # ---- rectification ------------------------------------------------------------------------

    def add_rectification(
        self, review_id: int, data: RectificationInput, today: dt.date | None = None
    ) -> int:
        today = today or dt.date.today()
        with self.db.begin() as s:
            r = s.get(CaseReview, review_id)
            if r is None:
                raise UserError("该评查结果已不存在")
            errs = _validate_rect(data)
            if errs:
                raise ValidationError(errs)
            if data.due_on is None:
                data.due_on = today + dt.timedelta(days=int(str(settings.get(s, cs.RECTIFY_DAYS))))
            x = Rectification(review_id=review_id, **_rect_fields(data))
            s.add(x)
            s.flush()
            return x.id

    def propose_rectifications(
        self, review_id: int, assignee: str, today: dt.date | None = None
    ) -> int:
        """One rectification per veto hit and deducted item not yet listed; returns how many were added."""
        today = today or dt.date.today()
        with self.db.begin() as s:
            r = s.get(
                CaseReview,
                review_id,
                options=[selectinload(CaseReview.items), selectinload(CaseReview.rectifications)],
            )
            if r is None:
                raise UserError("该评查结果已不存在")
            if not assignee.strip():
                raise ValidationError({"assignee": "请填写整改责任人"})
            t = checklists.get_template(s, r.template_code, r.template_version)
            due = today + dt.timedelta(days=int(str(settings.get(s, cs.RECTIFY_DAYS))))
            have = {x.item_code for x in r.rectifications}
            added = 0
            for it in r.items:
                tpl = t.item(it.item_code)
                deducted = isinstance(tpl, Item) and it.score is not None and it.score < tpl.points
                if (it.veto_hit or deducted) and it.item_code not in have and tpl is not None:
                    what = f"（否决项）{tpl.title}" if it.veto_hit else tpl.title
                    problem = f"{what}：{it.remark}" if it.remark else what
                    r.rectifications.append(
                        Rectification(
                            item_code=it.item_code,
                            problem=problem,
                            assignee=assignee.strip(),
                            due_on=due,
                        )
                    )
                    added += 1
            return added

    def update_rectification(
        self, rect_id: int, data: RectificationInput, *, expected_version: int | None = None
    ) -> None:
        """Edit or close a rectification. ``expected_version``: the one the dialog showed; a newer
        one means somebody else saved it meanwhile: ConflictError, nothing written (core.conflict).
        None: no check."""
        with self.db.begin() as s:
            x = s.get(Rectification, rect_id)
            if x is None:
                raise UserError("该整改事项已不存在（可能已被删除）")
            conflict.check(s, x, expected_version, f"整改事项“{x.problem}”")
            errs = _validate_rect(data)
            if data.done_on is not None and not data.evidence.strip():
                errs["evidence"] = "标记整改完成时请填写整改材料（佐证）"
            if errs:
                raise ValidationError(errs)
            for k, v in _rect_fields(data).items():
                setattr(x, k, v)

    def rectification(self, rect_id: int) -> RectificationView:
        """One rectification as saved now (its version included)."""
        with self.db.session() as s:
            row = s.execute(
                select(Rectification, CaseRecord.case_no)
                .join(CaseReview, Rectification.review_id == CaseReview.id)
                .join(CaseRecord, CaseReview.case_id == CaseRecord.id)
                .where(Rectification.id == rect_id)
            ).first()
            if row is None:
                raise UserError("该整改事项已不存在（可能已被删除）")
            return _rect_view(row[0], row[1])

    def rectifications(self, year: int) -> list[RectificationView]:
        with self.db.session() as s:
            rows = s.execute(
                select(Rectification, CaseRecord.case_no)
                .join(CaseReview, Rectification.review_id == CaseReview.id)
                .join(CaseRecord, CaseReview.case_id == CaseRecord.id)
                .where(CaseReview.year == year)
                .order_by(Rectification.due_on, Rectification.id)
            ).all()
            return [_rect_view(x, no) for x, no in rows]

    # ---- summary for the 通报 ------------------------------------------------------------------

    def summary(self, year: int, as_of: dt.date | None = None) -> YearSummary:
        as_of = as_of or dt.date.today()
        sample = self.sample(year)
        pairs = self.reviews(year)
        grades: dict[str, Counter[str]] = defaultdict(Counter)
        defects: Counter[str] = Counter()
        vetoes: Counter[str] = Counter()
        titles: dict[str, str] = {}
        for c, r in pairs:
            grades[c.category][r.grade] += 1
            for code, sc in r.items.items():
                item = r.template.item(code)
                if isinstance(item, Item) and sc.score is not None and sc.score < item.points:
                    defects[code] += 1
                    titles[code] = item.title
            for code in r.vetoes:
                vetoes[code] += 1
                v = r.template.item(code)
                titles[code] = v.title if v else code
        rects = [x for _, r in pairs for x in r.rectifications]
        return YearSummary(
            year=year,
            as_of=as_of,
            sample=sample,
            reviews=pairs,
            grades=dict(grades),
            defects=defects.most_common(),
            vetoes=vetoes.most_common(),
            titles=titles,
            rect_total=len(rects),
            rect_done=sum(1 for x in rects if x.done_on),
            rect_overdue=sum(1 for x in rects if not x.done_on and x.due_on and x.due_on < as_of),
        )


@dataclass
class CaseRecordLite:
    id: int
    case_no: str
    cause: str
    party: str
    category: str
    domain: str
    procedure: str
    decided_on: dt.date | None
    officers: str

    @classmethod
    def of(cls, c: CaseRecord) -> CaseRecordLite:
        return cls(
            c.id,
            c.case_no,
            c.cause,
            c.party,
            c.category,
            c.domain,
            c.procedure,
            c.decided_on,
            "、".join(o.name for o in c.officers),
        )


@dataclass
class YearSummary:
    year: int
    as_of: dt.date
    sample: SampleView | None
    reviews: list[tuple[CaseRecordLite, ReviewView]]
    grades: dict[str, Counter[str]]
    defects: list[tuple[str, int]]
    vetoes: list[tuple[str, int]]
    titles: dict[str, str]
    rect_total: int
    rect_done: int
    rect_overdue: int


def _validate_rect(data: RectificationInput) -> dict[str, str]:
    errs: dict[str, str] = {}
    if not data.problem.strip():
        errs["problem"] = "请填写需要整改的问题"
    if not data.assignee.strip():
        errs["assignee"] = "请填写整改责任人"
    if data.done_on and data.due_on and data.done_on < data.due_on - dt.timedelta(days=3650):
        errs["done_on"] = "完成日期不合理"
    return errs


def _rect_fields(d: RectificationInput) -> dict[str, object]:
    return {
        "item_code": d.item_code.strip(),
        "problem": d.problem.strip(),
        "assignee": d.assignee.strip(),
        "due_on": d.due_on,
        "done_on": d.done_on,
        "evidence": d.evidence.strip(),
    }


def _rect_view(x: Rectification, case_no: str) -> RectificationView:
    return RectificationView(
        item_code=x.item_code,
        problem=x.problem,
        assignee=x.assignee,
        due_on=x.due_on,
        done_on=x.done_on,
        evidence=x.evidence,
        id=x.id,
        review_id=x.review_id,
        case_no=case_no,
        version=x.version,
    )
