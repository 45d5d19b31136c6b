"""PDF basics shared by every report: embedded Chinese fonts, A4 page numbering, common styles.

The one place that registers fonts with reportlab and defines a page canvas (a test keeps it so):

- :func:`register_font` / :func:`pdf_fonts` / :func:`system_font`: TrueType fonts by role;
- :func:`make_numbered_canvas`: "第 N 页 / 共 M 页" at the bottom centre, counted per case file when
  the story marks where each file starts (:class:`FileStart`), or any other page label;
- :func:`styles` / :func:`cjk_styles` and :func:`esc` for paragraph markup;
- :func:`build_pdf`: an A4 document written atomically with its page numbers.

reportlab embeds (a subset of) a TrueType font registered with ``TTFont``; the CID fonts such as
STSong-Light are never embedded and are not used here.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Flowable

from brigade_desk.core.atomic import atomic_path
from brigade_desk.core.forms import fonts

# marks that may not start a line (GB/T 15834 punctuation, 禁则): reportlab's CJK wrapping hangs
# such a mark at the end of the line before instead of starting a line with it, but its list is
# Japanese-oriented and lacks the full-width comma, semicolon, colon, question and exclamation
# marks, 》〉”’ … — added once, for every paragraph with wordWrap="CJK"
CANNOT_START = "，。、；：？！）］｝》〉」』】〕〗’”％‰·…—,.;:?!)]}%"


def _chinese_line_rules() -> None:
    # both copies: a paragraph of one run of text is split by textsplit.wordSplit, one of several
    # runs (markup) by paragraph.cjkFragSplit, each reading its own module's global
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph

    for module in (textsplit, paragraph):
        have = module.ALL_CANNOT_START
        module.ALL_CANNOT_START = have + "".join(c for c in CANNOT_START if c not in have)


_chinese_line_rules()

# reportlab keeps a registered TrueType font's subsets in the font object, shared by every document
# being built: two PDFs built at once on two threads (two exports started in the GUI) mixed their
# glyph subsets and one failed with a KeyError in ``makeSubset`` (the soak test, seed 11). PDFs are
# built one at a time; each takes well under a second.
BUILD_LOCK = threading.Lock()


@dataclass(frozen=True)
class PdfFonts:
    body: str  # 仿宋 where present
    heading: str  # 黑体 where present
    song: str  # 宋体 where present


def register_font(role: str) -> str:
    """The reportlab name of the best font for ``role`` (fangsong, heiti, song, kaiti, xiaobiaosong),
    registered once; the shipped font when the system has none."""
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
    return PdfFonts(
        body=register_font("fangsong"), heading=register_font("heiti"), song=register_font("song")
    )


def system_font(role: str) -> str | None:
    """The font for ``role`` when the system really has one (e.g. 楷体), None when only the shipped
    fallback would serve (the caller then picks another role's font)."""
    cands = fonts.candidates(role)
    return register_font(role) if cands and cands[0].path != fonts.shipped_font().path else None


def esc(s: object) -> str:
    """A value as paragraph markup text (None as nothing)."""
    return (
        str(s if s is not None else "")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def styles() -> dict[str, ParagraphStyle]:
    """The shared styles. Every one breaks lines the CJK way (between any two characters, with
    the marks of :data:`CANNOT_START` never starting a line): the text is Chinese, and the default
    breaking would cut a long run of Han characters anywhere, "》" first on a line included."""
    f = pdf_fonts()
    out = _styles(f)
    for st in out.values():
        st.wordWrap = "CJK"
    return out


def _styles(f: PdfFonts) -> dict[str, ParagraphStyle]:
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


def cjk_styles() -> dict[str, ParagraphStyle]:
    """The shared styles with CJK line breaking (break anywhere, keep 。，at line ends)."""
    out = {k: ParagraphStyle(f"{k}-cjk", parent=v, wordWrap="CJK") for k, v in styles().items()}
    out["para"] = ParagraphStyle("para-cjk", parent=out["body"], firstLineIndent=22, leading=19)
    return out


PageLabel = Callable[[Any, int, int], None]
"""Draws a page's label: ``(canvas, page, total)``, page numbers counted within its case file."""


class FileStart(Flowable):  # type: ignore[misc]  # reportlab is untyped: Flowable is Any
    """Marks where the next case file starts in a story of several: page numbers count per file."""

    def wrap(self, _w: float, _h: float) -> tuple[float, float]:
        return (0, 0)

    def draw(self) -> None:
        self.canv._bd_starts.append(self.canv.getPageNumber())


def make_numbered_canvas(font_name: str, page_label: PageLabel | None = None) -> type:
    """A canvas class that writes "第 N 页 / 共 M 页" (9 pt, bottom centre, 10 mm up) on every page, or
    what ``page_label`` draws. Pages are kept until the end so that each knows the total; with
    :class:`FileStart` marks in the story, N and M count within each case file."""
    from reportlab.pdfgen.canvas import Canvas

    def default_label(canvas: Any, page: int, total: int) -> None:
        canvas.setFont(font_name, 9)
        canvas.drawCentredString(canvas._pagesize[0] / 2, 10 * mm, f"第 {page} 页 / 共 {total} 页")

    label = page_label or default_label

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped: Canvas is Any
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if not kwargs.get("initialFontName"):  # else an unembedded Helvetica is listed
                kwargs["initialFontName"] = font_name
            super().__init__(*args, **kwargs)
            self._bd_starts: list[int] = []
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab API)
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            starts = sorted(set(self._bd_starts)) or [1]
            for state in self._saved:
                self.__dict__.update(state)
                page = self._pageNumber
                first = max((x for x in starts if x <= page), default=1)
                nxt = min((x for x in starts if x > page), default=total + 1)
                label(self, page - first + 1, nxt - first)
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
    page_label: PageLabel | None = None,
) -> Path:
    """Build a PDF atomically with page numbers. margins: top, right, bottom, left (mm);
    ``page_label`` draws each page's number instead of "第 N 页 / 共 M 页". One at a time
    (``BUILD_LOCK``), whatever thread asks."""
    with BUILD_LOCK:
        return _build(out, story, title, pagesize, margins_mm, page_label)


def _build(
    out: Path | str,
    story: list[Any],
    title: str,
    pagesize: Any,
    margins_mm: tuple[float, float, float, float],
    page_label: PageLabel | None,
) -> Path:
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
        doc.build(story, canvasmaker=make_numbered_canvas(f.song, page_label))
    return Path(out)
