"""Printed case-file review forms: the per-file checklist (案卷评查表) and the 评查结果通报.

The checklist is A4 portrait with the case details pre-filled, every item with its points and
deduction rules, a score column left blank (to score paper files by pen) or filled (for the
archive), the veto items, remarks, reviewer signature lines and 第 x 页 / 共 y 页.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from brigade_desk.core import settings
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.forms.pdf import FileStart, build_pdf, cjk_styles, esc, pdf_fonts
from brigade_desk.core.workdays import normalize_kind
from brigade_desk.ledgers.cases import settings as cs
from brigade_desk.ledgers.cases.checklists import Template
from brigade_desk.ledgers.cases.review import (
    CATEGORY_ORDER,
    GRADES,
    ReviewService,
    ReviewView,
    YearSummary,
)
from brigade_desk.ledgers.cases.service import CaseService, CaseView

BOX, TICK = "□", "■"
GRID = colors.HexColor("#444444")
SHADE = colors.HexColor("#E8EDF5")


def _date(d: dt.date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def _money(v: Decimal | None) -> str:
    return f"{v:,.2f} 元" if v is not None else ""


def _num(v: Decimal | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if v == v.to_integral_value() else f"{v.normalize():f}"


def _table(
    data: list[list[Any]],
    widths: list[float],
    *,
    header_rows: int = 1,
    extra: list[tuple[Any, ...]] | None = None,
) -> Table:
    t = Table(data, colWidths=widths, repeatRows=header_rows)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), pdf_fonts().song),  # plain-string cells too: no Helvetica
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header_rows:
        style.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE))
    t.setStyle(TableStyle(style + list(extra or [])))
    return t


def checklist_story(
    case: CaseView, template: Template, review: ReviewView | None, unit: str, year: int | None
) -> list[Any]:
    st = cjk_styles()
    p, pb = st["cell"], st["cellb"]
    story: list[Any] = [Paragraph("行政执法案卷评查表", st["title"])]
    filled = review is not None
    yr = review.year if review else year
    story.append(
        Paragraph(
            esc(
                f"评查单位：{unit}　　评查年度：{yr or '＿＿＿＿'}年　　评查表：{template.form_label}"
            ),
            st["small"],
        )
    )
    story.append(Spacer(1, 2 * mm))
    info = [
        ["案号", case.case_no, "案件类别", f"{case.category}（{case.procedure}程序）"],
        ["案由", case.cause, "执法门类", case.domain],
        [
            "当事人",
            f"{case.party}（{case.party_type}）",
            "重大案件",
            "是" if case.is_major else "否",
        ],
        [
            "承办人员",
            case.officer_names,
            "罚没金额",
            " / ".join(
                x for x in (_money(case.fine_amount), _money(case.confiscation_amount)) if x
            ),
        ],
        ["立案日期", _date(case.filed_on), "决定日期", _date(case.decided_on)],
        ["送达日期", _date(case.served_on), "结案日期", _date(case.closed_on)],
    ]
    w = [22 * mm, 62 * mm, 22 * mm, 68 * mm]
    story.append(
        _table(
            [[Paragraph(esc(c), pb if i % 2 == 0 else p) for i, c in enumerate(r)] for r in info],
            w,
            header_rows=0,
            extra=[("BACKGROUND", (0, 0), (0, -1), SHADE), ("BACKGROUND", (2, 0), (2, -1), SHADE)],
        )
    )
    story.append(Spacer(1, 3 * mm))

    head = ["编号", "评查内容", "扣分标准", "分值", "得分", "扣分说明"]
    rows: list[list[Any]] = [[Paragraph(h, pb) for h in head]]
    extra: list[tuple[Any, ...]] = []
    for _code, title, items in template.sections:
        r = len(rows)
        rows.append([Paragraph(esc(title), pb), "", "", "", "", ""])
        extra += [
            ("SPAN", (0, r), (-1, r)),
            ("BACKGROUND", (0, r), (-1, r), colors.HexColor("#F3F3F3")),
        ]
        for it in items:
            sc = review.items.get(it.code) if review else None
            score = _num(sc.score if sc and sc.score is not None else it.points) if filled else ""
            rows.append(
                [
                    Paragraph(it.code, p),
                    Paragraph(esc(it.title), p),
                    Paragraph(esc("；".join(it.deductions)), st["small"]),
                    Paragraph(_num(it.points), p),
                    Paragraph(score, p),
                    Paragraph(esc(sc.remark if sc else ""), st["small"]),
                ]
            )
    total = _num(review.score) if review and review.score is not None else ""
    rows.append(
        [
            Paragraph("合计", pb),
            "",
            "",
            Paragraph(_num(template.total), pb),
            Paragraph(total, pb),
            "",
        ]
    )
    extra.append(("SPAN", (0, len(rows) - 1), (2, len(rows) - 1)))
    widths = [12 * mm, 55 * mm, 52 * mm, 12 * mm, 13 * mm, 30 * mm]
    story.append(_table(rows, widths, extra=extra + [("ALIGN", (3, 0), (4, -1), "CENTER")]))
    story.append(Spacer(1, 3 * mm))

    vrows: list[list[Any]] = [
        [
            Paragraph(h, pb)
            for h in ("编号", "否决项（存在任何一项即评为不合格）", "是否存在", "说明")
        ]
    ]
    for v in template.veto:
        if filled and review is not None:
            hit = v.code in review.vetoes
            mark = f"{TICK}是　{BOX}否" if hit else f"{BOX}是　{TICK}否"
            note = review.vetoes.get(v.code, "")
        else:
            mark, note = f"{BOX}是　{BOX}否", ""
        vrows.append(
            [
                Paragraph(v.code, p),
                Paragraph(esc(v.title), p),
                Paragraph(mark, p),
                Paragraph(esc(note), st["small"]),
            ]
        )
    story.append(KeepTogether(_table(vrows, [12 * mm, 92 * mm, 26 * mm, 44 * mm])))
    story.append(Spacer(1, 3 * mm))

    if filled and review is not None:
        grade_line = "　".join(f"{TICK if g == review.grade else BOX}{g}" for g in GRADES)
        result = f"评查得分：{_num(review.score)} 分　　评查等级：{grade_line}"
        remarks = review.remarks
        who, when = review.reviewer, _date(review.reviewed_on)
    else:
        result = "评查得分：＿＿＿＿ 分　　评查等级：" + "　".join(f"{BOX}{g}" for g in GRADES)
        remarks, who, when = "", "", ""
    sign = [
        [Paragraph(result, p), ""],
        [Paragraph("评查意见：<br/>" + esc(remarks).replace("\n", "<br/>"), p), ""],
        [
            Paragraph(f"评查人（签名）：{esc(who) or '＿＿＿＿＿＿＿＿'}", p),
            Paragraph(f"日期：{when or '＿＿＿＿年＿＿月＿＿日'}", p),
        ],
        [
            Paragraph("复核人（签名）：＿＿＿＿＿＿＿＿", p),
            Paragraph("日期：＿＿＿＿年＿＿月＿＿日", p),
        ],
        [
            Paragraph("承办人员确认（签名）：＿＿＿＿＿＿＿＿", p),
            Paragraph("日期：＿＿＿＿年＿＿月＿＿日", p),
        ],
    ]
    story.append(
        KeepTogether(
            _table(
                sign,
                [104 * mm, 70 * mm],
                header_rows=0,
                extra=[
                    ("SPAN", (0, 0), (1, 0)),
                    ("SPAN", (0, 1), (1, 1)),
                    ("TOPPADDING", (0, 1), (1, 1), 4),
                    ("BOTTOMPADDING", (0, 1), (1, 1), 28 if not remarks else 6),
                    ("VALIGN", (0, 1), (1, 1), "TOP"),
                ],
            )
        )
    )
    return story


def checklist_pdf(
    db: Database, case_no: str, out: Path | str, *, blank: bool = False, year: int | None = None
) -> Path:
    """The checklist for one file: filled with its (latest or given year's) review, or blank."""
    cases = CaseService(db)
    case = cases.find(case_no)
    if case is None:
        raise UserError(f"案号 {case_no} 不存在")
    svc = ReviewService(db)
    review = None
    if not blank:
        review = svc.review(case_no, year) if year else svc.latest_review(case_no)
        if review is None:
            raise UserError(f"案卷 {case_no} 还没有评查结果。打印空白评查表请加 --blank")
    template = review.template if review else svc.template()
    with db.session() as s:
        unit = str(settings.get(s, settings.UNIT_NAME))
    story = checklist_story(case, template, review, unit, year)
    return build_pdf(out, story, title=f"案卷评查表 {case_no}", margins_mm=(16, 18, 18, 18))


# ---- all checklists of a year's sample in one file ------------------------------------------------


def sample_checklists_pdf(db: Database, year: int, out: Path | str, *, blank: bool = True) -> Path:
    """Every file of the year's sample: blank checklists to score by pen, or the filled ones."""
    from reportlab.platypus import PageBreak

    svc = ReviewService(db)
    sample = svc.sample(year)
    if sample is None or not sample.entries:
        raise UserError(f"{year} 年还没有抽取评查样本")
    cases = CaseService(db)
    with db.session() as s:
        unit = str(settings.get(s, settings.UNIT_NAME))
    current = svc.template()
    story: list[Any] = []
    for e in sample.entries:
        review = None if blank else svc.review(e.case_no, year)
        if not blank and review is None:
            continue
        if story:
            story.append(PageBreak())
        story.append(FileStart())  # page numbers count per case file
        story += checklist_story(
            cases.get(e.case_id), review.template if review else current, review, unit, year
        )
    if not story:
        raise UserError(f"{year} 年样本中还没有已评查的案卷")
    return build_pdf(out, story, title=f"{year}年度案卷评查表", margins_mm=(16, 18, 18, 18))


# ---- 评查结果通报 ------------------------------------------------------------------------------


ADDRESSEES = "各中队、各股室"  # the one addressee style of every 通报 (the exam 通报 too)


def report_doc(
    sm: YearSummary, unit: str, periods: tuple[str, str] = ("五个工作日", "二十个工作日")
) -> Any:
    """The 评查结果通报 as a 公文 (:class:`~brigade_desk.core.forms.gongwen.GongwenDoc`)."""
    from brigade_desk.core.forms.gongwen import GongwenDoc, Para, TableBlock, title_text

    reviewed = len(sm.reviews)
    if sm.sample:
        pop = sum(sm.sample.population.values())
        manual = sum(1 for e in sm.sample.entries if e.manual)
        drawn = (
            f"{_date(sm.sample.drawn_on)}，按每类案卷抽取不少于{sm.sample.per_category}件、不足的全部评查的要求，"
            f"从{sm.year}年度{pop}件案卷中随机抽取{len(sm.sample.entries) - manual}件"
            + (f"，另选取{manual}件" if manual else "")
            + "。"
        )
    else:
        drawn = "本年度未登记抽样记录。"
    blocks: list[Any] = [
        Para(
            f"根据行政执法案卷评查工作要求，{unit}组织开展了{sm.year}年度行政执法案卷自查评查。{drawn}"
            f"截至{_date(sm.as_of)}，已完成评查{reviewed}件。现将评查情况通报如下："
        ),
        Para("一、评查结果", "h1"),
    ]
    cats = sorted(
        set(sm.grades) | set(sm.sample.population if sm.sample else {}),
        key=lambda c: CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else 99,
    )
    tot = [0] * 6
    sampled = sm.sample.by_category() if sm.sample else {}
    rows: list[list[str]] = []
    for cat in cats:
        g = sm.grades.get(cat) or Counter[str]()
        n = sum(g.values())
        vals = [
            sm.sample.population.get(cat, 0) if sm.sample else 0,
            len(sampled.get(cat, [])),
            n,
            g.get("优秀", 0),
            g.get("合格", 0),
            g.get("不合格", 0),
        ]
        tot = [a + b for a, b in zip(tot, vals, strict=True)]
        rate = f"{(vals[3] + vals[4]) * 100 / n:.1f}%" if n else "—"
        rows.append([cat, *(str(v) for v in vals), rate])
    rate = f"{(tot[3] + tot[4]) * 100 / tot[2]:.1f}%" if tot[2] else "—"
    rows.append(["合计", *(str(v) for v in tot), rate])
    blocks.append(
        TableBlock(
            ("案件类别", "案卷总数", "抽查件数", "已评查", "优秀", "合格", "不合格", "合格率"),
            rows,
            (26, 19, 19, 18, 18, 18, 18, 20),
            ("l", "c", "c", "c", "c", "c", "c", "c"),
            bold_last_row=True,
        )
    )

    blocks.append(Para("二、存在的主要问题", "h1"))
    if sm.defects or sm.vetoes:
        for code, n in sm.vetoes:
            blocks.append(Para(f"（否决项）{sm.titles.get(code, code)}：{n}件。"))
        for i, (code, n) in enumerate(sm.defects[:10], start=1):
            blocks.append(Para(f"{i}.{sm.titles.get(code, code)}：{n}件扣分。"))
    else:
        blocks.append(Para("本次评查未发现扣分问题。"))

    failed = [(c, r) for c, r in sm.reviews if r.grade == "不合格"]
    blocks.append(Para("三、不合格案卷", "h1"))
    names: set[str] = set()
    if failed:
        frows: list[list[str]] = []
        for i, (c, r) in enumerate(failed, start=1):
            why = "；".join(
                (item.title if (item := r.template.item(v)) is not None else v) for v in r.vetoes
            )
            names.update(x for x in c.officers.replace("，", "、").split("、") if x)
            frows.append(
                [str(i), c.case_no, c.category, c.officers, _num(r.score), why or "得分低于合格线"]
            )
        blocks.append(
            TableBlock(
                ("序号", "案号", "类别", "承办人员", "得分", "否决项或主要问题"),
                frows,
                (12, 46, 22, 30, 14, 32),
                ("c", "l", "c", "l", "c", "l"),
            )
        )
    else:
        blocks.append(Para("无。"))

    blocks.append(Para("四、整改情况", "h1"))
    pending = sm.rect_total - sm.rect_done
    blocks.append(
        Para(
            f"共登记整改事项{sm.rect_total}项，已完成{sm.rect_done}项，未完成{pending}项"
            f"（其中逾期{sm.rect_overdue}项）。"
        )
    )
    blocks.append(Para("五、工作要求", "h1"))
    for line in (
        "（一）各承办中队对不合格案卷和扣分问题逐项整改，按期报送整改材料，整改情况纳入年度考核。",
        f"（二）严格落实重大执法决定法制审核、集体讨论和决定作出后{periods[0]}内备案制度。",
        f"（三）执法决定自作出之日起{periods[1]}内公示，较大数额罚款依法告知听证权利。",
    ):
        blocks.append(Para(line))
    return GongwenDoc(
        title=title_text(f"关于{sm.year}年度", "行政执法案卷评查情况的通报"),
        addressee=ADDRESSEES,
        blocks=blocks,
        signer=unit,
        date=sm.as_of,
        names=frozenset(names),
    )


def _report(db: Database, year: int, as_of: dt.date | None) -> Any:
    sm = ReviewService(db).summary(year, as_of=as_of)
    if not sm.reviews and sm.sample is None:
        raise UserError(f"{year}年既没有抽样也没有评查结果，无法生成通报")
    with db.session() as s:
        unit = str(settings.get(s, settings.UNIT_NAME))
        periods = (
            _period(settings.get(s, cs.FILING_DAYS), settings.get(s, cs.FILING_KIND)),
            _period(settings.get(s, cs.PUBLICATION_DAYS), settings.get(s, cs.PUBLICATION_KIND)),
        )
    return report_doc(sm, unit, periods)


def report_pdf(db: Database, year: int, out: Path | str, *, as_of: dt.date | None = None) -> Path:
    """The year's 评查结果通报 as a 公文 PDF."""
    from brigade_desk.core.forms.gongwen import build_gongwen_pdf

    return build_gongwen_pdf(_report(db, year, as_of), out)


def report_docx(db: Database, year: int, out: Path | str, *, as_of: dt.date | None = None) -> Path:
    """The same 通报 as .docx, to edit before it is sent."""
    from brigade_desk.core.forms.gongwen_docx import build_gongwen_docx

    return build_gongwen_docx(_report(db, year, as_of), out)


_CN = "零一二三四五六七八九"


def _period(days: object, kind: object) -> str:
    n = int(str(days))
    if n < 10:
        words = _CN[n]
    elif n < 100:
        words = ("" if n // 10 == 1 else _CN[n // 10]) + "十" + (_CN[n % 10] if n % 10 else "")
    else:
        words = str(n)
    return f"{words}个工作日" if normalize_kind(kind) == "working" else f"{words}日"
