"""PDF basics shared by every report: embedded Chinese fonts, A4 page numbering, common styles.

reportlab embeds (a subset of) a TrueType font registered with ``TTFont``; the CID fonts such as
STSong-Light are never embedded and are not used here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from brigade_desk.core.atomic import atomic_path
from brigade_desk.core.forms import fonts


@dataclass(frozen=True)
class PdfFonts:
    body: str  # 仿宋 where present
    heading: str  # 黑体 where present
    song: str  # 宋体 where present


def _register(role: str) -> str:
    for f in fonts.candidates(role):
        name = f"BD-{role}-{f.path.stem}"
        if name in pdfmetrics.getRegisteredFontNames():
            return name
        try:
            pdfmetrics.registerFont(TTFont(name, str(f.path), subfontIndex=f.subfont))
            return name
        except (TTFError, OSError):
            continue
    raise RuntimeError("no usable TrueType font found, not even the shipped one")


@functools.cache
def pdf_fonts() -> PdfFonts:
    return PdfFonts(body=_register("fangsong"), heading=_register("heiti"), song=_register("song"))


def styles() -> dict[str, ParagraphStyle]:
    f = pdf_fonts()
    return {
        "title": ParagraphStyle(
            "title",
            fontName=f.heading,
            fontSize=18,
            leading=26,
            alignment=TA_CENTER,
            spaceAfter=4 * mm,
        ),
        "h2": ParagraphStyle(
            "h2", fontName=f.heading, fontSize=13, leading=20, spaceBefore=3 * mm, spaceAfter=2 * mm
        ),
        "body": ParagraphStyle("body", fontName=f.body, fontSize=11, leading=17),
        "small": ParagraphStyle("small", fontName=f.song, fontSize=9, leading=12),
        "cell": ParagraphStyle("cell", fontName=f.song, fontSize=9.5, leading=12.5),
        "cellb": ParagraphStyle(
            "cellb", fontName=f.heading, fontSize=9.5, leading=12.5, alignment=TA_CENTER
        ),
    }


def make_numbered_canvas(font_name: str, fmt: str = "第 {page} 页 / 共 {total} 页") -> type:
    """A canvas class that writes 'page x / y' at the bottom centre of every page."""
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if not kwargs.get("initialFontName"):  # else an unembedded Helvetica is listed
                kwargs["initialFontName"] = font_name
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab API)
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self.setFont(font_name, 9)
                w = self._pagesize[0]
                self.drawCentredString(
                    w / 2, 10 * mm, fmt.format(page=self._pageNumber, total=total)
                )
                super().showPage()
            super().save()

    return NumberedCanvas


def build_pdf(
    out: Path | str,
    story: list[Any],
    *,
    title: str,
    pagesize: Any = A4,
    margins_mm: tuple[float, float, float, float] = (20, 18, 20, 18),
) -> Path:
    """Build a PDF atomically with page numbers. margins: top, right, bottom, left (mm)."""
    from reportlab.platypus import SimpleDocTemplate

    f = pdf_fonts()
    top, right, bottom, left = margins_mm
    with atomic_path(out) as tmp:
        doc = SimpleDocTemplate(
            str(tmp),
            pagesize=pagesize,
            title=title,
            author="Brigade Desk",
            topMargin=top * mm,
            rightMargin=right * mm,
            bottomMargin=bottom * mm,
            leftMargin=left * mm,
        )
        doc.build(story, canvasmaker=make_numbered_canvas(f.song))
    return Path(out)
