"""The 公文 page as .docx (python-docx), so the clerk edits a draft in WPS or Word before 定稿.

The same :class:`~brigade_desk.core.forms.gongwen.GongwenDoc` and the same layout as the PDF: A4,
margins top 37 / bottom 35 / left 28 / right 26 mm (the 156 × 225 mm block), body 3号 仿宋 on an exact
28 pt line with a two-character first-line indent and −0.25 pt character spacing (28 characters a
line), title 2号 小标宋 (黑体 when missing), headings 一、 黑体 / （一） 楷体 / 1. 仿宋 bold kept with
the next paragraph, "— N —" page numbers in 4号 宋体 in the footer at the outer edge (odd pages right,
even pages left), 署名 centred over the 成文日期, the date four characters in from the right edge.

Fonts are named (w:ascii, w:hAnsi and w:eastAsia): 仿宋_GB2312 / 楷体_GB2312 where the machine has them,
else 仿宋 / 楷体, as Windows names them; WPS and Word substitute a missing one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt
from docx.text.paragraph import Paragraph

from brigade_desk.core.atomic import atomic_path
from brigade_desk.core.forms import fonts
from brigade_desk.core.forms.gongwen import (
    BLOCK_W_MM,
    BODY_PT,
    BOTTOM_MM,
    LEADING,
    LEFT_MM,
    PAGE_NO_GAP_MM,
    PAGE_NO_PT,
    RIGHT_MM,
    TABLE_PT,
    TITLE_LEADING,
    TITLE_PT,
    TOP_MM,
    GongwenDoc,
    Para,
    TableBlock,
    cn_date,
    em_width,
)

CHAR_SPACING_TWIPS = -5  # 16 − 0.25 pt a character: 28 fill the 156 mm line


def font_names() -> dict[str, str]:
    """The font name of each role as Word and WPS know it."""

    def has(role: str, *files: str) -> bool:
        return any(
            f.path.name.lower() in {x.lower() for x in files} for f in fonts.system_candidates(role)
        )

    xbs = fonts.system_candidates("xiaobiaosong")
    return {
        "body": "仿宋_GB2312" if has("fangsong", "FS_GB2312.TTF", "仿宋_GB2312.ttf") else "仿宋",
        "kai": "楷体_GB2312" if has("kaiti", "KT_GB2312.TTF", "楷体_GB2312.ttf") else "楷体",
        "heading": "黑体",
        "title": "方正小标宋简体" if xbs else "黑体",
        "song": "宋体",
    }


# the order of the children of w:rPr and w:pPr in the schema (ECMA-376 §17.3.2.28, §17.3.1.26)
_RPR_ORDER = (
    "w:rStyle w:rFonts w:b w:bCs w:i w:iCs w:caps w:smallCaps w:strike w:dstrike w:outline w:shadow "
    "w:emboss w:imprint w:noProof w:snapToGrid w:vanish w:webHidden w:color w:spacing w:w w:kern "
    "w:position w:sz w:szCs w:highlight w:u w:effect w:bdr w:shd w:fitText w:vertAlign w:rtl w:cs "
    "w:em w:lang w:eastAsianLayout w:specVanish w:oMath"
).split()
_PPR_ORDER = (
    "w:pStyle w:keepNext w:keepLines w:pageBreakBefore w:framePr w:widowControl w:numPr "
    "w:suppressLineNumbers w:pBdr w:shd w:tabs w:suppressAutoHyphens w:kinsoku w:wordWrap "
    "w:overflowPunct w:topLinePunct w:autoSpaceDE w:autoSpaceDN w:bidi w:adjustRightInd "
    "w:snapToGrid w:spacing w:ind w:contextualSpacing w:mirrorIndents w:suppressOverlap w:jc "
    "w:textDirection w:textAlignment w:textboxTightWrap w:outlineLvl w:divId w:cnfStyle w:rPr "
    "w:sectPr w:pPrChange"
).split()


def _child(parent: Any, tag: str) -> Any:
    """``parent``'s ``tag`` child, added where the schema orders it (Word rejects another order)."""
    el = parent.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        seq = _RPR_ORDER if parent.tag == qn("w:rPr") else _PPR_ORDER
        parent.insert_element_before(el, *seq[seq.index(tag) + 1 :])
    return el


def _set_font(rpr: Any, name: str, size: float, *, bold: bool = False) -> None:
    """Font ``name`` for Latin and East Asian text, ``size`` pt, on a run's or a style's rPr."""
    fonts_el = _child(rpr, "w:rFonts")
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts_el.set(qn(attr), name)
    if bold:
        _child(rpr, "w:b")
        _child(rpr, "w:bCs")
    for tag in ("w:sz", "w:szCs"):
        _child(rpr, tag).set(qn("w:val"), str(int(round(size * 2))))


def _spacing(rpr: Any, twips: int) -> None:
    _child(rpr, "w:spacing").set(qn("w:val"), str(twips))


def _para(
    doc: Any,
    text: str,
    font: str,
    size: float = BODY_PT,
    *,
    leading: float = LEADING,
    indent_chars: float = 2,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.JUSTIFY,
    bold: bool = False,
    keep_with_next: bool = False,
    right_indent_pt: float = 0.0,
    grid: bool = True,
) -> Paragraph:
    p: Paragraph = doc.add_paragraph()
    pf = p.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(leading)
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.first_line_indent = Pt(indent_chars * size) if indent_chars else None
    pf.right_indent = Pt(right_indent_pt) if right_indent_pt else None
    pf.alignment = align
    pf.keep_with_next = keep_with_next
    pf.widow_control = False
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):  # no extra space between Chinese and digits
        _child(p._p.get_or_add_pPr(), tag).set(qn("w:val"), "0")
    if text:
        run = p.add_run(text)
        rpr = run._r.get_or_add_rPr()
        _set_font(rpr, font, size, bold=bold)
        if grid:
            _spacing(rpr, CHAR_SPACING_TWIPS)
    return p


def _page_number(par: Paragraph, font: str) -> None:
    def run(text: str = "") -> Any:
        r = par.add_run(text)
        _set_font(r._r.get_or_add_rPr(), font, PAGE_NO_PT)
        return r

    run("— ")
    for kind, instr in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, None),
        ("end", None),
    ):
        r = run("1" if kind is None and instr is None else "")
        if kind:
            fc = OxmlElement("w:fldChar")
            fc.set(qn("w:fldCharType"), kind)
            r._r.append(fc)
        elif instr:
            it = OxmlElement("w:instrText")
            it.set(qn("xml:space"), "preserve")
            it.text = instr
            r._r.append(it)
    run(" —")


def _footers(document: Any, font: str) -> None:
    document.settings.odd_and_even_pages_header_footer = True
    sec = document.sections[0]
    for footer, align in (
        (sec.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        par = footer.paragraphs[0]
        pf = par.paragraph_format
        pf.alignment = align
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(PAGE_NO_PT)
        pf.space_before = Pt(0)
        pf.space_after = Pt(0)
        if align == WD_ALIGN_PARAGRAPH.RIGHT:  # 单页码居右空一字，双页码居左空一字
            pf.right_indent = Pt(PAGE_NO_PT)
        else:
            pf.left_indent = Pt(PAGE_NO_PT)
        _page_number(par, font)


def _table(document: Any, t: TableBlock, names: dict[str, str]) -> None:
    table = document.add_table(rows=1 + len(t.rows), cols=len(t.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    aligns = {
        "l": WD_ALIGN_PARAGRAPH.LEFT,
        "c": WD_ALIGN_PARAGRAPH.CENTER,
        "r": WD_ALIGN_PARAGRAPH.RIGHT,
    }
    for r, row in enumerate([list(t.header), *[list(x) for x in t.rows]]):
        bold = r == 0 or (t.bold_last_row and r == len(t.rows))
        cells = table.rows[r].cells
        if r == 0:  # the header row repeats on every page
            table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        for c, value in enumerate(row):
            cell = cells[c]
            cell.width = Mm(t.widths_mm[c])
            par = cell.paragraphs[0]
            pf = par.paragraph_format
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            pf.line_spacing = Pt(TABLE_PT * 1.4)
            pf.space_before = Pt(0)
            pf.space_after = Pt(0)
            al = t.align[c] if c < len(t.align) else "l"
            pf.alignment = WD_ALIGN_PARAGRAPH.CENTER if bold and al != "r" else aligns[al]
            run = par.add_run(str(value))
            _set_font(
                run._r.get_or_add_rPr(), names["heading"] if bold else names["body"], TABLE_PT
            )


def build_gongwen_docx(doc: GongwenDoc, out: Path | str) -> Path:
    """Write ``doc`` as an editable .docx with the 公文 layout, atomically."""
    names = font_names()
    document = Document()
    sec = document.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
    sec.left_margin, sec.right_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
    sec.header_distance = Mm(15)
    # the footer's line (14 pt) ends where the page number's top is 7 mm under the block
    sec.footer_distance = Emu(Mm(BOTTOM_MM - PAGE_NO_GAP_MM) - Pt(PAGE_NO_PT))
    normal = document.styles["Normal"]
    _set_font(normal.element.get_or_add_rPr(), names["body"], BODY_PT)
    lang = _child(normal.element.get_or_add_rPr(), "w:lang")
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr = normal.element.get_or_add_pPr()
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):  # no extra space between Chinese and digits
        _child(ppr, tag).set(qn("w:val"), "0")
    document.core_properties.title = doc.title.replace("\n", "")
    document.core_properties.author = doc.signer
    document.core_properties.comments = ""

    _para(
        document,
        doc.title,
        names["title"],
        TITLE_PT,
        leading=TITLE_LEADING,
        indent_chars=0,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        grid=False,
    )
    _para(document, "", names["body"])  # 标题下空一行
    if doc.addressee:
        _para(document, f"{doc.addressee}：", names["body"], indent_chars=0)
    for b in doc.blocks:
        if isinstance(b, TableBlock):
            _table(document, b, names)
            continue
        assert isinstance(b, Para)
        if b.kind == "h1":
            _para(document, b.text, names["heading"], keep_with_next=True)
        elif b.kind == "h2":
            _para(document, b.text, names["kai"], keep_with_next=True)
        elif b.kind == "h3":
            _para(document, b.text, names["body"], bold=True, keep_with_next=True)
        elif b.kind == "plain":
            _para(document, b.text, names["body"], indent_chars=0)
        else:
            _para(document, b.text, names["body"])
    _para(document, "", names["body"])
    _para(document, "", names["body"])
    date = cn_date(doc.date)
    date_right = 4 * BODY_PT
    signer_right = max(0.0, date_right + (em_width(date) - em_width(doc.signer)) * BODY_PT / 2)
    _para(
        document,
        doc.signer,
        names["body"],
        indent_chars=0,
        align=WD_ALIGN_PARAGRAPH.RIGHT,
        right_indent_pt=signer_right,
        keep_with_next=True,
    )
    _para(
        document,
        date,
        names["body"],
        indent_chars=0,
        align=WD_ALIGN_PARAGRAPH.RIGHT,
        right_indent_pt=date_right,
    )
    _footers(document, names["song"])
    assert abs(BLOCK_W_MM - (210 - LEFT_MM - RIGHT_MM)) < 0.01
    with atomic_path(out) as tmp:
        document.save(str(tmp))
    return Path(out)
