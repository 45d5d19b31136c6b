"""The one 公文 page (GB/T 9704-2012) for every document sent upward: the annual report, the 通报.

A document is described once (:class:`GongwenDoc`: title, 主送机关, paragraphs and heading levels,
tables, 署名 and 成文日期) and written as PDF here or as .docx (``gongwen_docx``) with the same layout:

- A4; 天头 (top margin) 37 mm, 订口 (left margin) 28 mm; the text block 156 × 225 mm holds 22 lines
  of 28 characters: 3号 (16 pt) characters on a pitch of 156 mm / 28 and a 28 pt line;
- body 仿宋 3号, first line indented two characters; title 小标宋 2号 (22 pt) centred (黑体 when
  小标宋 is missing); headings 一、 黑体, （一） 楷体, 1. 仿宋 bold; a heading never ends a page;
- page numbers "— 1 —" in 宋体 4号 (14 pt), 7 mm under the block, one character in from the outer
  edge: right on odd pages, left on even pages;
- 署名 and 成文日期 per §7.3.5.1: the date (2026年12月4日) right-aligned four characters in from the
  right edge, the 署名 centred over it.

Lines are broken here, not by reportlab, to keep the 禁则: no line starts with closing punctuation
(，。、；：？！）》” …) or ends with an opening one (（《“ …); numbers, dates (2025-12-31,
2025年12月31日, 80.7%) and the personal names the caller lists are never split. Every line but a
paragraph's last is justified to the full width (the space goes between the unbreakable pieces); a
character the role's font lacks is drawn in the shipped sans font. Fonts: the system's 仿宋 / 小标宋 /
黑体 / 楷体 / 宋体 (Windows), else the shipped 宋体- and 楷体-style fonts and the sans font
(:func:`brigade_desk.core.forms.fonts.gongwen_candidates`), so each role keeps its own look.
A blank line above a paragraph is its ``spaceBefore`` (dropped at the top of a page); a heading
starts a new page unless two lines of what follows fit under it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Table, TableStyle

from brigade_desk.core.atomic import atomic_path
from brigade_desk.core.forms import fonts
from brigade_desk.core.forms.pdf import (
    BUILD_LOCK,
    CANNOT_END,
    CANNOT_START,
    font_descent,
    font_glyphs,
    make_numbered_canvas,
    register_font_files,
    string_width,
)

# ---- the page --------------------------------------------------------------------------------------

PAGE_W, PAGE_H = A4
TOP_MM, LEFT_MM, BLOCK_W_MM, BLOCK_H_MM = 37.0, 28.0, 156.0, 225.0
RIGHT_MM = 210.0 - LEFT_MM - BLOCK_W_MM  # 26
BOTTOM_MM = 297.0 - TOP_MM - BLOCK_H_MM  # 35
BLOCK_W, BLOCK_H = BLOCK_W_MM * mm, BLOCK_H_MM * mm
CHARS_PER_LINE, LINES_PER_PAGE = 28, 22
BODY_PT, TITLE_PT, PAGE_NO_PT, TABLE_PT = 16.0, 22.0, 14.0, 12.0
LEADING = 28.0  # 22 lines fit in 225 mm (22 × 28 pt = 217 mm)
TITLE_LEADING = 34.0
PITCH = BLOCK_W / CHARS_PER_LINE  # 15.79 pt: 28 characters fill 156 mm exactly
PAGE_NO_GAP_MM = 7.0

Kind = Literal["body", "plain", "h1", "h2", "h3"]
Align = Literal["l", "c", "r"]

# ---- words -----------------------------------------------------------------------------------------


def cn_date(d: dt.date) -> str:
    """成文日期 and dates in 公文 prose: 2026年12月4日 (no leading zeros)."""
    return f"{d.year}年{d.month}月{d.day}日"


def em_width(text: str) -> float:
    """Width in characters: Chinese and full-width forms 1, ASCII ½ (a line holds 28)."""
    return sum(0.5 if ord(ch) < 0x2E80 and ch not in "—…“”‘’" else 1.0 for ch in text)


def title_text(*parts: str) -> str:
    """A title from ``parts`` (e.g. the unit, then what the document is): on one line when it fits,
    else one part a line ("\n"), so that it breaks between words, not inside one."""
    whole = "".join(parts)
    # one character to spare: Latin digits of a Chinese font are a little wider than half
    return (
        whole if (em_width(whole) + 1) * TITLE_PT <= BLOCK_W else "\n".join(p for p in parts if p)
    )


# the 禁则 marks are the ones every PDF paragraph breaks by (core.forms.pdf)
CLOSING = CANNOT_START
OPENING = CANNOT_END

# runs never split across lines: dates, times, numbers with their decimals/thousands/percent, and
# Latin words (case numbers, file names)
_UNBREAKABLE = re.compile(
    r"\d{4}年\d{1,2}月(?:\d{1,2}日)?"
    r"|\d{1,2}月\d{1,2}日"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?[%％‰]?"
    r"|[-+]?\d+(?:\.\d+)?[%％‰]?"
    r"|[A-Za-z0-9]+(?:[-_./:〔〕\[\]][A-Za-z0-9]+)*"
)


def atoms(text: str, names: Iterable[str] = ()) -> list[str]:
    """``text`` cut into the pieces a line may break between (禁则): a closing mark stays with the
    piece before it, an opening mark with the piece after it; numbers, dates and ``names`` stay
    whole; everything else is one character a piece."""
    spans: list[tuple[int, int]] = []
    taken = [False] * len(text)
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        for m in re.finditer(re.escape(name), text):
            if not any(taken[m.start() : m.end()]):
                spans.append((m.start(), m.end()))
                for i in range(m.start(), m.end()):
                    taken[i] = True
    for m in _UNBREAKABLE.finditer(text):
        if not any(taken[m.start() : m.end()]):
            spans.append((m.start(), m.end()))
            for i in range(m.start(), m.end()):
                taken[i] = True
    starts = dict(spans)
    pieces: list[str] = []
    i = 0
    while i < len(text):
        end = starts.get(i, i + 1)
        pieces.append(text[i:end])
        i = end
    out: list[str] = []
    carry = ""  # opening marks waiting for the piece they open
    for p in pieces:
        if len(p) == 1 and p in OPENING:
            carry += p
        elif out and not carry and len(p) == 1 and p in CLOSING:
            out[-1] += p
        else:
            out.append(carry + p)
            carry = ""
    if carry:
        if out:
            out[-1] += carry
        else:
            out.append(carry)
    return out


# ---- the document ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Para:
    """A paragraph: ``body`` (indented two characters), ``plain`` (flush left, e.g. 主送机关),
    ``h1`` 一、 黑体, ``h2`` （一） 楷体, ``h3`` 1. 仿宋 bold."""

    text: str
    kind: Kind = "body"


@dataclass(frozen=True)
class TableBlock:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths_mm: Sequence[float]  # sum ≤ 156
    align: Sequence[Align] = ()  # per column, default left
    bold_last_row: bool = False  # a 合计 row


Block = Para | TableBlock


@dataclass
class GongwenDoc:
    title: str
    addressee: str  # 主送机关, without the colon; "" for none
    blocks: list[Block]
    signer: str  # 署名: the unit
    date: dt.date  # 成文日期
    names: frozenset[str] = field(default_factory=frozenset)  # personal names never split


# ---- fonts -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleFonts:
    body: str  # 仿宋
    title: str  # 小标宋
    heading: str  # 黑体
    kai: str  # 楷体
    song: str  # 宋体 (page numbers)
    fallback: str  # the shipped sans font, for a character the role's font lacks


def _register(role: str, cands: list[fonts.FontFile]) -> str:
    return register_font_files(f"GW-{role}", cands)


@functools.cache
def role_fonts() -> RoleFonts:
    """The reportlab font names of every 公文 role, registered once."""
    shipped = fonts.shipped_font()
    return RoleFonts(
        body=_register("fangsong", fonts.gongwen_candidates("fangsong")),
        title=_register("xiaobiaosong", fonts.gongwen_candidates("xiaobiaosong")),
        heading=_register("heiti", fonts.gongwen_candidates("heiti")),
        kai=_register("kaiti", fonts.gongwen_candidates("kaiti")),
        song=_register("song", fonts.gongwen_candidates("song")),
        fallback=_register("sans", [shipped]),
    )


def _cmap(font: str) -> frozenset[int]:
    return font_glyphs(font)


def _font_for(ch: str, font: str, fallback: str) -> str:
    return font if ord(ch) in _cmap(font) or ch.isspace() else fallback


# ---- lines -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    pieces: tuple[tuple[str, float], ...]  # (text, x from the left of the available width)
    char_space: float  # added after every character (the grid pitch)

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.pieces)


def _natural(text: str, font: str, fallback: str, size: float, cs: float) -> float:
    w = sum(string_width(ch, _font_for(ch, font, fallback), size) + cs for ch in text)
    return float(w)


def break_lines(
    text: str,
    width: float,
    *,
    font: str,
    fallback: str,
    size: float,
    char_space: float,
    first_indent: float = 0.0,
    names: Iterable[str] = (),
) -> list[tuple[list[str], float, float, bool]]:
    """(pieces, natural width, indent, ends a paragraph) of each line, breaking only between
    :func:`atoms`; a "\n" in ``text`` is a forced break."""
    lines: list[tuple[list[str], float, float, bool]] = []
    indent = first_indent
    fuzz = 0.01
    for part in text.split("\n"):
        cur: list[str] = []
        used = 0.0
        for a in atoms(part, names):
            w = _natural(a, font, fallback, size, char_space)
            if cur and used + w > width - indent + fuzz:
                lines.append((cur, used, indent, False))
                cur, used, indent = [], 0.0, 0.0
            if not cur and w > width - indent + fuzz:  # longer than a line: cut it anywhere
                for ch in a:
                    cw = _natural(ch, font, fallback, size, char_space)
                    if cur and used + cw > width - indent + fuzz:
                        lines.append((cur, used, indent, False))
                        cur, used, indent = [], 0.0, 0.0
                    cur.append(ch)
                    used += cw
                continue
            cur.append(a)
            used += w
        lines.append((cur, used, indent, True))
        indent = 0.0
    return lines


def _text_out(tx: Any, text: str, font: str, fallback: str, size: float) -> None:
    """``text`` at the text object's cursor, each character in ``font`` or, lacking it, ``fallback``."""
    run, run_font = "", ""
    for ch in text:
        f = _font_for(ch, font, fallback)
        if f != run_font and run:
            tx.setFont(run_font, size)
            tx.textOut(run)
            run = ""
        run_font = f
        run += ch
    if run:
        tx.setFont(run_font, size)
        tx.textOut(run)


class GwText(Flowable):  # type: ignore[misc]  # reportlab is untyped: Flowable is Any
    """Lines of one paragraph on the character grid, laid out by :func:`break_lines`; splits
    between lines at a page end."""

    def __init__(
        self,
        text: str,
        *,
        font: str,
        fallback: str,
        size: float = BODY_PT,
        leading: float = LEADING,
        pitch: float | None = PITCH,  # None: the font's own widths (tables)
        indent_chars: float = 2,
        align: Literal["justify", "left", "center", "right"] = "justify",
        right_indent: float = 0.0,
        bold: bool = False,
        names: Iterable[str] = (),
        _lines: list[Line] | None = None,
        _first: bool = True,
    ) -> None:
        super().__init__()
        self.text, self.font, self.fallback, self.size = text, font, fallback, size
        self.leading, self.pitch, self.indent_chars, self.align = (
            leading,
            pitch,
            indent_chars,
            align,
        )
        self.right_indent, self.bold, self.names = right_indent, bold, tuple(names)
        self._lines = _lines
        self._first = _first
        self._for_width: float | None = None

    # the grid pitch is 28 characters in the block; in a table cell the font's own width
    def _cs(self) -> float:
        return (self.pitch - self.size) if self.pitch is not None else 0.0

    def _layout(self, avail: float) -> list[Line]:
        if self._lines is not None and self._for_width in (None, avail):
            return self._lines
        width = avail - self.right_indent
        cs = self._cs()
        unit = self.pitch if self.pitch is not None else self.size

        def lay(w: float) -> list[tuple[list[str], float, float, bool]]:
            return break_lines(
                self.text,
                w,
                font=self.font,
                fallback=self.fallback,
                size=self.size,
                char_space=cs,
                first_indent=self.indent_chars * unit,
                names=self.names,
            )

        raw = lay(width)
        if self.align == "center" and len(raw) > 1:  # a title: lines of even length
            w = width
            while w > self.size * 4:
                trial = lay(w - self.size / 2)
                if len(trial) > len(raw):
                    break
                raw, w = trial, w - self.size / 2
        out: list[Line] = []
        for pieces, w, ind, last in raw:
            x = ind
            gap = 0.0  # added between pieces: a justified line ends at the right edge
            if self.align == "justify" and not last and len(pieces) > 1:
                gap = (width - ind - w) / (len(pieces) - 1)
            elif self.align == "center":
                x = (width - (w - cs)) / 2
            elif self.align == "right":
                x = width - (w - cs)
            placed: list[tuple[str, float]] = []
            for piece in pieces:
                placed.append((piece, x))
                x += _natural(piece, self.font, self.fallback, self.size, cs) + gap
            out.append(Line(tuple(placed), cs))
        self._lines, self._for_width = out, avail
        return out

    def wrap(self, avail_w: float, _avail_h: float) -> tuple[float, float]:
        self.width = avail_w
        n = len(self._layout(avail_w))
        self.height = n * self.leading
        return avail_w, self.height

    def split(self, avail_w: float, avail_h: float) -> list[Flowable]:
        lines = self._layout(avail_w)
        fit = int((avail_h + 0.01) // self.leading)
        if fit <= 0 or fit >= len(lines):
            return []
        return [self._part(lines[:fit], first=self._first), self._part(lines[fit:], first=False)]

    def _part(self, lines: list[Line], *, first: bool) -> GwText:
        p = GwText(
            self.text,
            font=self.font,
            fallback=self.fallback,
            size=self.size,
            leading=self.leading,
            pitch=self.pitch,
            indent_chars=self.indent_chars,
            align=self.align,
            right_indent=self.right_indent,
            bold=self.bold,
            names=self.names,
            _lines=lines,
            _first=first,
        )
        p._for_width = None
        if first:  # the blank space above stays with the first part
            p.spaceBefore = getattr(self, "spaceBefore", 0)
        return p

    def draw(self) -> None:
        c = self.canv
        lines = self._lines or []
        descent = font_descent(self.font)  # negative
        top = self.height
        c.saveState()
        if self.bold:
            c.setLineWidth(self.size * 0.03)
        for i, ln in enumerate(lines):
            # the em box of the glyphs touches the top of the line (the block's top on a page's
            # first line), as a PDF reader measures it
            y = top - i * self.leading - self.size * (1 + descent)
            tx = c.beginText(0, y)
            tx.setCharSpace(ln.char_space)
            if self.bold:
                tx.setTextRenderMode(2)
            for piece, x in ln.pieces:
                tx.setTextOrigin(x, y)
                _text_out(tx, piece, self.font, self.fallback, self.size)
            c.drawText(tx)
        c.restoreState()


class Signature(Flowable):  # type: ignore[misc]
    """署名 and 成文日期 (§7.3.5.1): the date right-aligned four characters in from the right
    edge of the block, the 署名 on the line above, centred over the date."""

    def __init__(self, signer: str, date_text: str, font: str, fallback: str) -> None:
        super().__init__()
        self.signer, self.date_text, self.font, self.fallback = signer, date_text, font, fallback

    def wrap(self, avail_w: float, _h: float) -> tuple[float, float]:
        self.width = avail_w
        return avail_w, 2 * LEADING

    def positions(self, avail_w: float) -> tuple[float, float]:
        """x of the 署名 and of the date."""
        cs = PITCH - BODY_PT
        dw = _natural(self.date_text, self.font, self.fallback, BODY_PT, cs) - cs
        sw = _natural(self.signer, self.font, self.fallback, BODY_PT, cs) - cs
        dx = avail_w - 4 * PITCH - dw
        sx = min(dx + dw / 2 - sw / 2, avail_w - sw)
        return max(sx, 0.0), dx

    def draw(self) -> None:
        sx, dx = self.positions(self.width)
        c = self.canv
        descent = font_descent(self.font)
        for i, (x, text) in enumerate(((sx, self.signer), (dx, self.date_text))):
            y = 2 * LEADING - i * LEADING - BODY_PT * (1 + descent)
            tx = c.beginText(x, y)
            tx.setCharSpace(PITCH - BODY_PT)
            _text_out(tx, text, self.font, self.fallback, BODY_PT)
            c.drawText(tx)


HEADINGS = ("h1", "h2", "h3")


def _is_heading(b: Block) -> bool:
    return isinstance(b, Para) and b.kind in HEADINGS


def _text(p: Para, f: RoleFonts, names: Iterable[str]) -> GwText:
    common: dict[str, Any] = {"fallback": f.fallback, "names": names}
    if p.kind == "h1":
        return GwText(p.text, font=f.heading, **common)
    if p.kind == "h2":
        return GwText(p.text, font=f.kai, **common)
    if p.kind == "h3":
        return GwText(p.text, font=f.body, bold=True, **common)
    if p.kind == "plain":
        return GwText(p.text, font=f.body, indent_chars=0, **common)
    return GwText(p.text, font=f.body, **common)


def _table(t: TableBlock, f: RoleFonts, names: Iterable[str]) -> Table:
    aligns: dict[str, Literal["left", "center", "right"]] = {
        "l": "left",
        "c": "center",
        "r": "right",
    }

    def cell(text: str, col: int, bold: bool) -> GwText:
        al = t.align[col] if col < len(t.align) else "l"
        return GwText(
            text,
            font=f.heading if bold else f.body,
            fallback=f.fallback,
            size=TABLE_PT,
            leading=TABLE_PT * 1.4,
            pitch=None,
            indent_chars=0,
            align="center" if bold and al != "r" else aligns[al],
            names=names,
        )

    data: list[list[Any]] = [[cell(h, i, True) for i, h in enumerate(t.header)]]
    for r, row in enumerate(t.rows):
        bold = t.bold_last_row and r == len(t.rows) - 1
        data.append([cell(str(v), i, bold) for i, v in enumerate(row)])
    table = Table(data, colWidths=[w * mm for w in t.widths_mm], repeatRows=1, hAlign="CENTER")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), f.body),  # no unembedded Helvetica
                ("GRID", (0, 0), (-1, -1), 0.5, "#000000"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _space(flowable: Flowable, before: float) -> Flowable:
    """``flowable`` with ``before`` blank points above it, dropped at the top of a page."""
    flowable.spaceBefore = before
    return flowable


def story(doc: GongwenDoc) -> list[Flowable]:
    f = role_fonts()
    names = tuple(doc.names)
    out: list[Flowable] = [
        GwText(
            doc.title,
            font=f.title,
            fallback=f.fallback,
            size=TITLE_PT,
            leading=TITLE_LEADING,
            pitch=None,
            indent_chars=0,
            align="center",
            names=names,
        )
    ]
    gap = LEADING  # 标题下空一行
    if doc.addressee:
        out.append(
            _space(
                GwText(f"{doc.addressee}：", font=f.body, fallback=f.fallback, indent_chars=0), gap
            )
        )
        gap = 0.0
    blocks = doc.blocks
    for i, b in enumerate(blocks):
        if isinstance(b, Para) and b.kind in HEADINGS:
            # a heading never ends a page: it, the headings right under it and two lines of what
            # follows (or a table's header and first row) must fit, else it starts the next page
            run = 1
            while i + run < len(blocks) and _is_heading(blocks[i + run]):
                run += 1
            out.append(CondPageBreak(gap + run * LEADING + 2 * LEADING + 1))
        if isinstance(b, TableBlock):
            out.append(_space(_table(b, f, names), max(gap, LEADING / 4)))
            gap = LEADING / 4
        else:
            out.append(_space(_text(b, f, names), gap))
            gap = 0.0
    # 署名 and 成文日期 (two blank lines under the text) never alone on a page: they keep the last
    # paragraph with them
    sign = _space(Signature(doc.signer, cn_date(doc.date), f.body, f.fallback), 2 * LEADING)
    tail: list[Flowable] = [out.pop()] if isinstance(out[-1], GwText) else []
    out.append(KeepTogether([*tail, sign]))
    return out


def _page_label(font: str) -> Any:
    """ "— n —" in 宋体 4号: its top 7 mm under the block, one character in from the outer edge."""

    def label(canvas: Any, n: int, _total: int) -> None:
        canvas.saveState()
        canvas.setFont(font, PAGE_NO_PT)
        descent = font_descent(font)
        y = BOTTOM_MM * mm - PAGE_NO_GAP_MM * mm - PAGE_NO_PT * (1 + descent)
        text = f"— {n} —"
        if n % 2:
            canvas.drawRightString(LEFT_MM * mm + BLOCK_W - PAGE_NO_PT, y, text)
        else:
            canvas.drawString(LEFT_MM * mm + PAGE_NO_PT, y, text)
        canvas.restoreState()

    return label


def build_gongwen_pdf(doc: GongwenDoc, out: Path | str) -> Path:
    """Write ``doc`` as a 公文 PDF atomically (one build at a time, as every PDF here)."""
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    f = role_fonts()
    with BUILD_LOCK, atomic_path(out) as tmp:
        frame = Frame(
            LEFT_MM * mm,
            BOTTOM_MM * mm,
            BLOCK_W,
            BLOCK_H,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="block",
        )
        template = BaseDocTemplate(
            str(tmp),
            pagesize=A4,
            title=doc.title.replace("\n", ""),
            author=doc.signer,
            creator=doc.signer,
            leftMargin=LEFT_MM * mm,
            rightMargin=RIGHT_MM * mm,
            topMargin=TOP_MM * mm,
            bottomMargin=BOTTOM_MM * mm,
            pageTemplates=[PageTemplate(id="gongwen", frames=[frame])],
        )
        template.build(story(doc), canvasmaker=make_numbered_canvas(f.song, _page_label(f.song)))
    return Path(out)
