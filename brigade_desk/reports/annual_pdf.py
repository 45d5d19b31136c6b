"""The annual work report as a draft in official-document layout (GB/T 9704-2012 style).

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; body in 仿宋 三号 (16 pt) on a 28 pt
line, first line indented two characters; title in 小标宋 (黑体 when missing) 二号 (22 pt); first-level
headings 一、 in 黑体, second-level （一） in 楷体 (仿宋 drawn bold when 楷体 is missing); page numbers
"— 1 —" in 宋体 四号 7 mm under the text block, right on odd pages, left on even pages.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from brigade_desk.core.db import Database
from brigade_desk.core.forms.common import form_info
from brigade_desk.core.forms.pdf import PageLabel, build_pdf, esc, pdf_fonts, system_font
from brigade_desk.core.ledger import Section
from brigade_desk.core.progress import Progress
from brigade_desk.reports.annual import AnnualContent, annual_sections

TOP, BOTTOM, LEFT, RIGHT = 37 * mm, 35 * mm, 28 * mm, 26 * mm
BODY_PT, LEADING = 16, 28
TITLE_PT = 22
NUMERALS = "一二三四五六七八九十"


@functools.cache
def official_fonts() -> dict[str, str | bool]:
    """Font names for each role, and whether 楷体 / 小标宋 were really found (not the fallback)."""
    base = pdf_fonts()
    kai = system_font("kaiti")
    xbs = system_font("xiaobiaosong")
    return {
        "body": base.body,
        "heading": base.heading,
        "song": base.song,
        "kai": kai or base.body,
        "kai_real": kai is not None,
        "title": xbs or base.heading,
    }


def doc_styles() -> dict[str, ParagraphStyle]:
    f = official_fonts()
    body = ParagraphStyle(
        "gw-body",
        fontName=str(f["body"]),
        fontSize=BODY_PT,
        leading=LEADING,
        wordWrap="CJK",
        firstLineIndent=2 * BODY_PT,
        alignment=TA_JUSTIFY,
    )
    return {
        "title": ParagraphStyle(
            "gw-title",
            fontName=str(f["title"]),
            fontSize=TITLE_PT,
            leading=TITLE_PT * 1.6,
            alignment=TA_CENTER,
            wordWrap="CJK",
            spaceAfter=LEADING,
        ),
        "body": body,
        "h1": ParagraphStyle("gw-h1", parent=body, fontName=str(f["heading"]), keepWithNext=1),
        "h2": ParagraphStyle("gw-h2", parent=body, fontName=str(f["kai"]), keepWithNext=1),
        "right": ParagraphStyle(
            "gw-right", parent=body, firstLineIndent=0, alignment=TA_RIGHT, rightIndent=4 * BODY_PT
        ),
        "cell": ParagraphStyle(
            "gw-cell", fontName=str(f["body"]), fontSize=12, leading=16, wordWrap="CJK"
        ),
        "cellb": ParagraphStyle(
            "gw-cellb", fontName=str(f["heading"]), fontSize=12, leading=16, alignment=TA_CENTER
        ),
        "note": ParagraphStyle(
            "gw-note", fontName=str(f["body"]), fontSize=12, leading=18, wordWrap="CJK"
        ),
    }


class BoldLine(Flowable):
    """A one-line heading drawn bold by stroking the glyph outlines (for a font without a bold face)."""

    def __init__(self, text: str, font: str, size: float, leading: float, indent: float) -> None:
        super().__init__()
        self.text, self.font, self.size, self.leading, self.indent = (
            text,
            font,
            size,
            leading,
            indent,
        )
        self.keepWithNext = 1

    def wrap(self, avail_w: float, _h: float) -> tuple[float, float]:
        self.width = avail_w
        return avail_w, self.leading

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setFont(self.font, self.size)
        c.setLineWidth(self.size * 0.035)
        t = c.beginText(self.indent, (self.leading - self.size) / 2 + self.size * 0.15)
        t.setTextRenderMode(2)  # fill and stroke
        t.textOut(self.text)
        c.drawText(t)
        c.restoreState()


def _h2(text: str, st: dict[str, ParagraphStyle]) -> Flowable:
    f = official_fonts()
    if f["kai_real"]:
        return Paragraph(esc(text), st["h2"])
    return BoldLine(text, str(f["body"]), BODY_PT, LEADING, 2 * BODY_PT)


def _num(v: Any, label: str = "") -> str:
    """A figure as printed; a rate (its label ends with 率) is a fraction shown as a percentage."""
    if isinstance(v, float) and label.strip().endswith("率"):
        return f"{v * 100:.1f}%"
    if isinstance(v, float):
        return f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    try:
        from decimal import Decimal

        if isinstance(v, Decimal):
            return f"{v:,.2f}"
    except ImportError:  # pragma: no cover
        pass
    return str(v)


def _figures(sec: Section, st: dict[str, ParagraphStyle], width: float) -> Table:
    data: list[list[Any]] = [
        [
            Paragraph("项　　目", st["cellb"]),
            Paragraph("数　值", st["cellb"]),
            Paragraph("说　　明", st["cellb"]),
        ]
    ]
    for name, value, note in sec.rows:
        data.append(
            [
                Paragraph(esc(name).replace(" ", "&nbsp;"), st["cell"]),
                Paragraph(
                    esc(_num(value, name)),
                    ParagraphStyle("num", parent=st["cell"], alignment=TA_RIGHT),
                ),
                Paragraph(esc(note), st["cell"]),
            ]
        )
    t = Table(data, colWidths=[width * 0.40, width * 0.22, width * 0.38], repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), str(official_fonts()["body"])),
                ("GRID", (0, 0), (-1, -1), 0.5, "#000000"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return t


def report_story(sections: list[Section], unit: str, year: int, today: dt.date) -> list[Any]:
    st = doc_styles()
    width = A4[0] - LEFT - RIGHT
    story: list[Any] = [Paragraph(esc(f"{unit}{year}年度行政执法工作报告"), st["title"])]
    story.append(
        Paragraph(
            f"{year}年，我单位认真落实行政执法“三项制度”，加强执法人员队伍和执法证件管理，规范执法办案，"
            f"开展案卷评查和问题整改。现将{year}年度行政执法工作情况报告如下：",
            st["body"],
        )
    )
    for i, sec in enumerate(sections):
        story.append(
            Paragraph(esc(f"{NUMERALS[i] if i < len(NUMERALS) else i + 1}、{sec.title}"), st["h1"])
        )
        for p in sec.paragraphs:
            story.append(_h2(p[3:], st) if p.startswith("## ") else Paragraph(esc(p), st["body"]))
        if sec.rows:
            story.append(Spacer(1, 4))
            story.append(_figures(sec, st, width))
            story.append(Spacer(1, LEADING / 2))
    story.append(Paragraph("特此报告。", st["body"]))
    story.append(Spacer(1, LEADING * 2))
    story.append(Paragraph(esc(unit), st["right"]))
    story.append(Paragraph(f"{today.year}年{today.month}月{today.day}日", st["right"]))
    story.append(Spacer(1, LEADING))
    story.append(
        Paragraph(
            "（本稿由 Brigade Desk 根据台账数据生成，数据截至上述日期，请核对后定稿。）", st["note"]
        )
    )
    return story


def _page_label(font_name: str) -> PageLabel:
    """Page numbers "— n —" in 四号 (14 pt), outside: right on odd pages, left on even pages."""

    def label(canvas: Any, n: int, _total: int) -> None:
        canvas.saveState()
        canvas.setFont(font_name, 14)
        text = f"— {n} —"
        y = BOTTOM - 7 * mm - 14 * 0.8
        if n % 2:
            canvas.drawRightString(A4[0] - RIGHT - 14, y, text)
        else:
            canvas.drawString(LEFT + 14, y, text)
        canvas.restoreState()

    return label


def export_annual_pdf(
    db: Database,
    out: Path | str,
    year: int,
    content: AnnualContent,
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Path:
    today = as_of or dt.date.today()
    with db.session() as s:
        info = form_info(s, today)
        sections = annual_sections(s, year, today, content, progress)
    story = report_story(sections, info.unit, year, today)
    f = official_fonts()
    return build_pdf(
        out,
        story,
        title=f"{info.unit}{year}年度行政执法工作报告",
        margins_mm=(TOP / mm, RIGHT / mm, BOTTOM / mm, LEFT / mm),
        page_label=_page_label(str(f["song"])),
    )
