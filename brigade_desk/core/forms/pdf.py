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
from brigade_desk.core.forms.stamp import audit_stamp

# 禁则 (GB/T 15834 punctuation): marks that may not start a line, marks that may not end one, and
# runs never split (numbers, dates written with - / . :, Latin words such as case numbers). Every
# paragraph of every PDF breaks by these rules: reportlab's own CJK breaking hangs at most one
# mark from a Japanese-oriented list that lacks the full-width comma, semicolon, colon, 》 …, so
# its two splitters are replaced (``_chinese_line_rules``) by ``line_breaks`` below.
CANNOT_START = "，。、；：？！）］｝》〉」』】〕〗’”％‰·…—,.;:?!)]}%"
CANNOT_END = "（［｛《〈「『【〔〖‘“([{"
_RUN = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_RUN_JOIN = frozenset(".-/:_")
MAX_HANG = 2  # closing marks a line may carry past its right edge


def _joined(left: str, right: str) -> bool:
    """Whether a line may not break between ``left`` and ``right``."""
    if right in CANNOT_START or left in CANNOT_END:
        return True
    return (left in _RUN and (right in _RUN or right in _RUN_JOIN)) or (
        left in _RUN_JOIN and right in _RUN
    )


def line_breaks(
    chars: str, widths: list[float], max_widths: list[float], hard: frozenset[int] = frozenset()
) -> list[tuple[int, int]]:
    """(start, end) of each line of ``chars`` (``widths`` each) set in ``max_widths`` (the last
    repeats): as many characters as fit, then 禁则 — up to :data:`MAX_HANG` closing marks hang
    past the edge, otherwise the break moves back until it falls between two characters that
    may part (never emptying the line: a run longer than the line is cut where it must).
    ``hard``: indexes of characters after which a line ends (explicit line breaks)."""
    out: list[tuple[int, int]] = []
    n = len(chars)
    start = 0
    fuzz = 1e-8
    while start < n:
        room = max_widths[min(len(out), len(max_widths) - 1)]
        used = 0.0
        end = start
        while end < n:
            if used + widths[end] > room + fuzz and end > start:
                break
            used += widths[end]
            end += 1
            if end - 1 in hard:
                break
        if end < n and end - 1 not in hard:
            hang = end
            while hang < n and chars[hang] in CANNOT_START and hang - end < MAX_HANG:
                hang += 1
            if hang > end and (hang == n or not _joined(chars[hang - 1], chars[hang])):
                end = hang  # the closing marks hang in the margin
            else:
                back = end
                while back - 1 > start and _joined(chars[back - 1], chars[back]):
                    back -= 1
                if back - 1 > start or not _joined(chars[back - 1], chars[back]):
                    end = back
                else:  # a run longer than the line: cut it, but not before a closing mark
                    while end - 1 > start and chars[end] in CANNOT_START:
                        end -= 1
        out.append((start, end))
        start = end
    return out


def _split_text(word: str, widths: list[float], max_widths: Any) -> list[list[Any]]:
    """reportlab's ``textsplit.dumbSplit`` (one run of text) by :func:`line_breaks`."""
    mw = list(max_widths) if isinstance(max_widths, (list, tuple)) else [max_widths]
    out: list[list[Any]] = []
    for i, (a, b) in enumerate(line_breaks(word, list(widths), mw)):
        room = mw[min(i, len(mw) - 1)]
        out.append([room - sum(widths[a:b]), word[a:b]])
    return out


def _split_frags(frags: Any, max_widths: Any, calc_bounds: Any, encoding: str = "utf8") -> Any:
    """reportlab's ``cjkFragSplit`` (runs with markup) by :func:`line_breaks`."""
    from reportlab.platypus.paragraph import ParaLines, cjkU, makeCJKParaLine

    units: list[Any] = []
    for f in frags:
        text = f.text.decode(encoding) if isinstance(f.text, bytes) else f.text
        if text:
            units.extend(cjkU(t, f, encoding) for t in text)
        else:
            units.append(cjkU(text, f, encoding))
    mw = list(max_widths)

    def width(u: Any, room: float) -> float:
        w = u.width
        if hasattr(w, "normalizedValue"):
            w._normalizer = room
            w = w.normalizedValue(room)
        return float(w)

    widths = [width(u, mw[0]) for u in units]
    hard = frozenset(i for i, u in enumerate(units) if hasattr(u.frag, "lineBreak"))
    chars = "".join(str(u)[:1] or " " for u in units)
    lines = []
    for i, (a, b) in enumerate(line_breaks(chars, widths, mw, hard)):
        room = mw[min(i, len(mw) - 1)]
        used = sum(widths[a:b])
        lines.append(
            makeCJKParaLine(units[a:b], room, used, room - used, b - 1 in hard, calc_bounds)
        )
    return ParaLines(kind=1, lines=lines)


def _chinese_line_rules() -> None:
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph

    textsplit.dumbSplit = _split_text  # wordSplit (one run) looks it up at each call
    paragraph.cjkFragSplit = _split_frags  # Paragraph.breakLinesCJK looks it up at each call


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
    return register_font_files(f"BD-{role}", fonts.candidates(role))


def register_font_files(prefix: str, cands: list[fonts.FontFile]) -> str:
    """The reportlab name of the first of ``cands`` that loads, registered once as
    ``{prefix}-{file stem}-{subfont}`` (the 公文 builder's role fonts)."""
    for f in cands:
        name = f"{prefix}-{f.path.stem}-{f.subfont}"
        if name in pdfmetrics.getRegisteredFontNames():
            return name
        try:
            pdfmetrics.registerFont(TTFont(name, str(f.path), subfontIndex=f.subfont))
            return name
        except (TTFError, OSError):
            continue
    raise RuntimeError("no usable TrueType font found, not even the shipped one")


@functools.cache
def font_glyphs(font: str) -> frozenset[int]:
    """The code points a registered font has glyphs for."""
    return frozenset(pdfmetrics.getFont(font).face.charToGlyph)


def font_descent(font: str) -> float:
    """A registered font's descent as a fraction of its size (negative)."""
    return float(pdfmetrics.getFont(font).face.descent) / 1000.0


def string_width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


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

    stamp = audit_stamp()

    def default_label(canvas: Any, page: int, total: int) -> None:
        canvas.setFont(font_name, 9)
        canvas.drawCentredString(canvas._pagesize[0] / 2, 10 * mm, f"第 {page} 页 / 共 {total} 页")
        if stamp:  # which state of the ledger the form was made from, small, bottom left
            canvas.setFont(font_name, 8)
            # 7 mm up: clear of the unprintable strip (about 5 mm) office printers leave
            canvas.drawString(10 * mm, 7 * mm, stamp)

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
            if stamp:
                self.setSubject(stamp)
                self.setKeywords(stamp)
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
