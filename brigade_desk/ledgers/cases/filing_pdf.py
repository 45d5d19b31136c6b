"""重大行政处罚决定备案表 for one case, filled from the case register (A4 portrait PDF).

Titled by the case's category (重大行政处罚 / 重大行政强制 / 重大行政执法决定备案表) and dated by the
case's own dates (see :func:`filing_date`), never by the day it is printed.

What the register does not hold (the facts in full, the legal basis, the legal reviewer's name) is
left as an empty box to fill by pen. The filing deadline is worked out on the official calendar; a
case that is not marked major still gets its form, with a note saying so at the top.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.forms.common import form_info
from brigade_desk.core.forms.pdf import build_pdf, cjk_styles, esc, pdf_fonts
from brigade_desk.core.workdays import KINDS, Deadline
from brigade_desk.ledgers.cases.case_no import normalize as normalize_case_no
from brigade_desk.ledgers.cases.exports_pdf import _table
from brigade_desk.ledgers.cases.models import CaseCategory, CaseRecord
from brigade_desk.ledgers.cases.stats import LATE, MISSING, ON_TIME, StatsContext

BOX, TICK = "□", "■"
W = 174 * mm  # A4 width minus 18 mm margins each side


def _date(d: dt.date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def _money(v: Decimal | None) -> str:
    return f"{v:,.2f}元" if v else ""


def _span(dl: Deadline) -> str:
    """The filing period as the 说明 writes it, e.g. 5个工作日 (from the settings and calendar)."""
    return f"{dl.days}个{KINDS[dl.kind]}"


def form_title(c: CaseRecord) -> str:
    """重大行政处罚决定备案表 for a penalty, 重大行政强制决定备案表 for a coercive measure, and
    重大行政执法决定备案表 for any other category (a licence, an inspection)."""
    if c.category == CaseCategory.PENALTY:
        return "重大行政处罚决定备案表"
    if c.category == CaseCategory.COERCION:
        return "重大行政强制决定备案表"
    return "重大行政执法决定备案表"


def decision_name(c: CaseRecord) -> str:
    """The decision document named in the 说明."""
    if c.category == CaseCategory.PENALTY:
        return "行政处罚决定书"
    if c.category == CaseCategory.COERCION:
        return "行政强制决定书"
    return "行政执法决定书"


def filing_date(c: CaseRecord, today: dt.date, due: dt.date | None) -> dt.date | None:
    """The 填报日期 a clerk expects on the form: the filing date the register holds; else today
    while the case is inside its filing window (the form is printed to be filed now); else none,
    left for the pen: a date the form was not filed on (the deadline, the printing day of a case
    long past) would be a false statement on a form the superior keeps."""
    if c.reported_on is not None:
        return c.reported_on
    if c.decided_on is not None and due is not None and c.decided_on <= today <= due:
        return today
    return None


def penalty_text(c: CaseRecord) -> str:
    parts = []
    if c.fine_amount:
        parts.append(f"罚款人民币{_money(c.fine_amount)}")
    if c.confiscation_amount:
        parts.append(f"没收违法所得（非法财物）{_money(c.confiscation_amount)}")
    return "；".join(parts)


def filing_story(c: CaseRecord, unit: str, today: dt.date, ctx: StatsContext) -> list[Any]:
    st = cjk_styles()
    p = st["cell"]
    b = st["cellb"]

    def P(x: object) -> Paragraph:  # noqa: N802
        return Paragraph(esc(x).replace("\n", "<br/>"), p)

    def H(x: str) -> Paragraph:  # noqa: N802
        return Paragraph(x, b)

    due_day = ctx.deadlines.filing(c.decided_on).due if c.decided_on is not None else None
    filed = filing_date(c, today, due_day)
    sp = "&nbsp;"
    date_text = _date(filed) if filed else f"{sp * 8}年{sp * 4}月{sp * 4}日"
    story: list[Any] = [Paragraph(form_title(c), st["title"])]
    head = Table(
        [
            [
                Paragraph(f"备案单位（盖章）：{esc(unit)}", st["body"]),
                Paragraph(
                    f"填报日期：{date_text}",
                    ParagraphStyle("r", parent=st["body"], alignment=TA_RIGHT),
                ),
            ]
        ],
        colWidths=[W * 0.65, W * 0.35],
    )
    head.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), pdf_fonts().song),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story.append(head)
    if not c.is_major:
        story.append(
            Paragraph(
                "注：该案件在案件登记中<b>未标记为重大案件</b>；如确属重大行政处罚决定，请先在案件登记中更正。",
                st["body"],
            )
        )
    story.append(Spacer(1, 3 * mm))

    filing = ctx.filing(c) if c.is_major else None
    if c.decided_on is not None:
        dl = ctx.deadlines.filing(c.decided_on)
        due = f"{_date(dl.due)}（决定之日起{_span(dl)}）{'，该年节假日安排未录入，为估算' if dl.provisional else ''}"
        state = filing[1] if filing else ""
        if c.reported_on:
            done = f"{_date(c.reported_on)}（{'按期' if state == ON_TIME else '逾期' if state == LATE else '已备案'}）"
        else:
            late = state == MISSING if filing else today > dl.due
            done = "尚未备案" + (
                ("，已逾期" if filing else "（如属重大案件，已超过备案期限）") if late else ""
            )
    else:
        due, done = "尚未作出决定，无法计算", ""
    pub = ctx.publication(c)
    if c.published_on:
        pub_text = f"已于{_date(c.published_on)}公示" + (
            f"（期限{_date(pub[0].due)}，{pub[1]}）" if pub else ""
        )
    elif pub:
        pub_text = f"尚未公示，公示期限{_date(pub[0].due)}" + (
            "，已逾期" if pub[1] == MISSING else ""
        )
    else:
        pub_text = "未公示"
    hearing = (
        _date(c.hearing_notice_on)
        if c.hearing_notice_on
        else ("未告知" if ctx.hearing_due(c) else "不适用／未登记")
    )
    officers = "、".join(o.name for o in c.officers)
    nb = "&nbsp;"

    def sign(who: str) -> Paragraph:
        return Paragraph(
            f"<br/><br/><br/>{who}：{nb * 40}（盖章）<br/>{nb * 80}年{nb * 6}月{nb * 6}日", p
        )

    cw = [W * 0.17, W * 0.33, W * 0.17, W * 0.33]
    rows: list[list[Any]] = [
        [H("案　　号"), P(c.case_no), H("案件类别"), P(f"{c.category}（{c.procedure}程序）")],
        [H("当 事 人"), P(c.party), H("当事人类型"), P(c.party_type)],
        [H("案　　由"), P(c.cause), "", ""],
        [H("违法事实<br/>摘要"), P(""), "", ""],
        [H("法律依据"), P(""), "", ""],
        [H("执法门类"), P(c.domain), H("承办人员"), P(officers)],
        [H("立案日期"), P(_date(c.filed_on)), H("听证告知"), P(hearing)],
        [
            H("法制审核<br/>日期"),
            P(_date(c.legal_review_on) or "未登记"),
            H("法制审核<br/>人员"),
            P(""),
        ],
        [
            H("集体讨论<br/>日期"),
            P(_date(c.collective_on) or "未登记"),
            H("决定日期"),
            P(_date(c.decided_on)),
        ],
        [
            H("处罚内容" if c.category == CaseCategory.PENALTY else "决定内容"),
            P(penalty_text(c)),
            "",
            "",
        ],
        [H("备案期限"), P(due), H("备案日期"), P(done)],
        [H("决定公示"), P(pub_text), "", ""],
        [
            H("备案材料"),
            P(
                f"{BOX} 备案报告　　{BOX} {decision_name(c)}　　{BOX} 本备案表　　{BOX} 法制审核意见　　"
                f"{BOX} 集体讨论记录　　{BOX} 其他："
            ),
            "",
            "",
        ],
        [H("备案单位<br/>意见"), sign("负责人（签字）"), "", ""],
        [H("接收备案<br/>机关意见"), sign("经办人（签字）"), "", ""],
    ]
    spans = [2, 3, 4, 9, 11, 12, 13, 14]
    extra: list[tuple[Any, ...]] = [("SPAN", (1, r), (3, r)) for r in spans]
    extra += [
        ("BACKGROUND", (0, 0), (0, -1), "#E8EDF5"),
        ("BACKGROUND", (2, 0), (2, 1), "#E8EDF5"),
        ("BACKGROUND", (2, 5), (2, 8), "#E8EDF5"),
        ("BACKGROUND", (2, 10), (2, 10), "#E8EDF5"),
    ]
    heights = [None] * len(rows)
    heights[3] = 28 * mm
    heights[4] = 16 * mm
    t = _table(rows, cw, header_rows=0, extra=extra)
    t._argH = heights  # row heights for the boxes filled by pen
    story.append(t)
    story.append(Spacer(1, 3 * mm))
    story.append(
        Paragraph(
            f"说明：{form_title(c)[:-3]}应经法制审核、集体讨论后作出，并于决定之日起"
            f"{_span(ctx.deadlines.filing(c.decided_on or today))}内"
            f"将备案报告、{decision_name(c)}和本表报上级主管部门和司法行政机关备案。空白处请手工填写。",
            st["small"],
        )
    )
    return story


def export_filing_pdf(
    db: Database, out: Path | str, case_no: str, *, as_of: dt.date | None = None
) -> Path:
    today = as_of or dt.date.today()
    with db.session() as s:
        c = s.scalar(
            select(CaseRecord)
            .options(selectinload(CaseRecord.officers))
            .where(CaseRecord.case_no == normalize_case_no(case_no))
        )
        if c is None:
            raise UserError(f"案号 {case_no} 不存在，请检查案号（可在“案件登记”中查找）")
        info = form_info(s, today)
        story = filing_story(c, info.unit, today, StatsContext(s, today))
        title = form_title(c)
    return build_pdf(out, story, title=f"{title} {case_no}", margins_mm=(18, 18, 18, 18))


def case_numbers(db: Database, limit: int = 5000) -> list[str]:
    """Case numbers for the 报表 page's completer: major decisions first, newest first."""
    with db.session() as s:
        rows = s.execute(
            select(CaseRecord.case_no)
            .order_by(
                CaseRecord.is_major.desc(), CaseRecord.decided_on.desc(), CaseRecord.id.desc()
            )
            .limit(limit)
        ).scalars()
        return list(rows)
