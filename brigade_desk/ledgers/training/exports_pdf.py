"""Training PDFs: the exam results circulation (成绩通报) and the annual plan (年度培训计划)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from brigade_desk.core import settings
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.forms.pdf import build_pdf, esc, pdf_fonts, styles
from brigade_desk.ledgers.training.hours import fmt_hours
from brigade_desk.ledgers.training.service import TrainingService, category_label


def _table(data: list[list[Any]], widths: list[float], st: dict[str, ParagraphStyle]) -> Table:
    body = [[Paragraph(esc(str(c)), st["cellb"]) for c in data[0]]]
    body += [[Paragraph(esc("" if c is None else str(c)), st["cell"]) for c in r] for r in data[1:]]
    t = Table(body, colWidths=[w * mm for w in widths], repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                # reportlab sets every cell's font even when the cell is a Paragraph: without this the
                # PDF lists an unembedded Helvetica (pdffonts emb = no)
                ("FONTNAME", (0, 0), (-1, -1), pdf_fonts().song),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9E1F2")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return t


def _score(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


ADDRESSEES = "各中队、各股室"  # the one addressee style of every 通报 (the review 通报 too)


def exam_notice_doc(db: Database, training_session_id: int, *, date: dt.date | None = None) -> Any:
    """通报 of one session's exam as a 公文 (:class:`~brigade_desk.core.forms.gongwen.GongwenDoc`):
    summary, full results table, failures and absentees; dated ``date`` (default today)."""
    from brigade_desk.core.forms.gongwen import GongwenDoc, Para, TableBlock, cn_date, title_text

    svc = TrainingService(db)
    v = svc.get_session(training_session_id)
    if not v.has_exam:
        raise UserError(f"“{v.title}”没有考试成绩，无法生成成绩通报。")
    with db.session() as s:
        unit = str(settings.get(s, settings.UNIT_NAME))
    date = date or dt.date.today()
    present = [a for a in v.attendance if a.attended]
    scored = sorted(
        (a for a in present if a.exam_score is not None),
        key=lambda a: (-(a.exam_score or 0), a.squad, a.name),
    )
    absent = [a for a in v.attendance if not a.attended]
    missing_score = [a for a in present if a.exam_score is None]
    passed = [a for a in scored if a.exam_passed]
    failed = [a for a in scored if not a.exam_passed]
    n = len(scored)
    avg = sum(a.exam_score or 0 for a in scored) / n if n else 0.0
    quoted = v.title if "“" in v.title else f"“{v.title}”"
    when = cn_date(v.start_date) if v.start_date else ""
    if v.start_date and v.end_date and v.end_date != v.start_date:
        same_year = v.end_date.year == v.start_date.year
        when += "至" + (
            f"{v.end_date.month}月{v.end_date.day}日" if same_year else cn_date(v.end_date)
        )
    top = f"，最高分{scored[0].exam_score:g}分（{scored[0].name}）" if scored else ""
    blocks: list[Any] = [
        Para(
            f"为落实执法人员“每月一考”和培训考核要求，{unit}{'于' + when if when else ''}组织开展了{quoted}"
            f"（{v.form}，{category_label(v.category)}，{fmt_hours(v.hours)}学时）。"
            f"应参加{len(v.attendance)}人，实际参考{n}人，缺考{len(absent) + len(missing_score)}人。"
            f"考试满分100分，{v.pass_score:g}分及以上为合格，合格{len(passed)}人，不合格{len(failed)}人，"
            f"合格率{(len(passed) / n if n else 0):.1%}，平均分{avg:.1f}分{top}。现将考试成绩通报如下："
        ),
        Para("一、考试成绩", "h1"),
    ]
    rows: list[list[str]] = []
    rank = 0
    last: float | None = None
    for i, a in enumerate(scored, 1):
        if a.exam_score != last:
            rank, last = i, a.exam_score
        rows.append(
            [
                str(rank),
                a.name,
                a.squad,
                a.category,
                _score(a.exam_score),
                "合格" if a.exam_passed else "不合格",
            ]
        )
    if rows:
        blocks.append(
            TableBlock(
                ("名次", "姓名", "中队", "人员类别", "成绩", "结果"),
                rows,
                (16, 28, 38, 34, 20, 20),
                ("c", "l", "l", "l", "c", "c"),
            )
        )
    else:
        blocks.append(Para("本次考试没有登记成绩。"))
    blocks.append(Para("二、不合格人员", "h1"))
    blocks.append(
        Para(
            "、".join(f"{a.name}（{a.squad}，{_score(a.exam_score)}分）" for a in failed)
            + "。以上人员须认真查找差距，加强学习，由所在中队督促参加补考。"
            if failed
            else "无。"
        )
    )
    blocks.append(Para("三、缺考人员", "h1"))
    miss = [f"{a.name}（{a.absence_reason or '未说明原因'}）" for a in absent] + [
        f"{a.name}（无成绩）" for a in missing_score
    ]
    blocks.append(Para("、".join(miss) + "。缺考人员须参加补考。" if miss else "无。"))
    blocks.append(
        Para(
            f"请{ADDRESSEES}以此为鉴，持续开展“每周一学、每月一考”，"
            "不断提升执法人员法律素养和执法能力。"
        )
    )
    return GongwenDoc(
        title=title_text(f"关于{quoted}", "考试成绩的通报"),
        addressee=ADDRESSEES,
        blocks=blocks,
        signer=unit,
        date=date,
        names=frozenset(a.name for a in v.attendance if a.name),
    )


def exam_notice_pdf(
    db: Database, out: Path | str, training_session_id: int, *, date: dt.date | None = None
) -> Path:
    """通报 of one session's exam as a 公文 PDF."""
    from brigade_desk.core.forms.gongwen import build_gongwen_pdf

    return build_gongwen_pdf(exam_notice_doc(db, training_session_id, date=date), out)


def exam_notice_docx(
    db: Database, out: Path | str, training_session_id: int, *, date: dt.date | None = None
) -> Path:
    """The same 通报 as .docx, to edit before it is sent."""
    from brigade_desk.core.forms.gongwen_docx import build_gongwen_docx

    return build_gongwen_docx(exam_notice_doc(db, training_session_id, date=date), out)


def plan_pdf(db: Database, out: Path | str, year: int, *, date: dt.date | None = None) -> Path:
    plan = TrainingService(db).get_plan(year)
    if plan is None:
        raise UserError(f"{year} 年还没有培训计划。")
    with db.session() as s:
        unit = str(settings.get(s, settings.UNIT_NAME))
    st = styles()
    status = plan.status + (
        f"，{plan.approved_date.year}年{plan.approved_date.month}月{plan.approved_date.day}日批准"
        if plan.approved_date
        else ""
    )
    story: list[Any] = [
        Paragraph(esc(plan.title or f"{year}年度执法人员培训计划"), st["title"]),
        Paragraph(esc(f"{unit}（{status}）"), st["small"]),
        Spacer(1, 3 * mm),
    ]
    rows: list[list[Any]] = [
        ["序号", "月份", "培训内容", "培训形式", "培训类别", "计划学时", "组织单位"]
    ]
    for i, it in enumerate(plan.items, 1):
        rows.append(
            [
                i,
                f"{it.month}月",
                it.topic,
                it.form,
                category_label(it.category),
                fmt_hours(it.planned_hours),
                it.organiser,
            ]
        )
    story.append(_table(rows, [10, 12, 54, 20, 28, 16, 30], st))
    story.append(Spacer(1, 3 * mm))
    totals = plan.planned_hours
    prof = sum(v for k, v in totals.items() if k != "政治教育")
    story.append(
        Paragraph(
            esc(
                "计划学时合计："
                + "；".join(f"{category_label(k)} {fmt_hours(v)} 学时" for k, v in totals.items())
                + f"。其中业务培训（公共法律知识、业务知识、执法技能）{fmt_hours(prof)} 学时。"
            ),
            st["body"],
        )
    )
    if plan.notes:
        story.append(Paragraph(esc(plan.notes), st["body"]))
    return build_pdf(out, story, title=plan.title or f"{year}年度培训计划")
