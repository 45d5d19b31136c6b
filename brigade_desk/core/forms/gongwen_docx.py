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


def _set_font(run_or_style_rpr: object, name: str, size: float, *, bold: bool = False) -> None:
    """Font ``name`` for Latin and East Asian text, ``size`` pt, on a run's or a style's rPr."""
    rpr = run_or_style_rpr
    fonts_el = rpr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    if fonts_el is None:
        fonts_el = OxmlElement("w:rFonts")
        rpr.insert(0, fonts_el)  # type: ignore[attr-defined]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts_el.set(qn(attr), name)
    for tag in ("w:sz", "w:szCs"):
        el = rpr.find(qn(tag))  # type: ignore[attr-defined]
        if el is None:
            el = OxmlElement(tag)
            rpr.append(el)  # type: ignore[attr-defined]
        el.set(qn("w:val"), str(int(round(size * 2))))
    if bold:
        for tag in ("w:b", "w:bCs"):
            rpr.append(OxmlElement(tag))  # type: ignore[attr-defined]


def _spacing(rpr: object, twips: int) -> None:
    el = OxmlElement("w:spacing")
    el.set(qn("w:val"), str(twips))
    rpr.append(el)  # type: ignore[attr-defined]


def _para(
    doc: object,
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
    p: Paragraph = doc.add_paragraph()  # type: ignore[attr-defined]
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
    if text:
        run = p.add_run(text)
        rpr = run._r.get_or_add_rPr()
        _set_font(rpr, font, size, bold=bold)
        if grid:
            _spacing(rpr, CHAR_SPACING_TWIPS)
    return p


def _width_em(text: str) -> float:
    """Width in characters: CJK and full-width forms 1, ASCII ½."""
    return sum(0.5 if ord(ch) < 0x2E80 and ch != "—" else 1.0 for ch in text)


def _page_number(par: Paragraph, font: str) -> None:
    def run(text: str = "") -> object:
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
            r._r.append(fc)  # type: ignore[attr-defined]
        elif instr:
            it = OxmlElement("w:instrText")
            it.set(qn("xml:space"), "preserve")
            it.text = instr
            r._r.append(it)  # type: ignore[attr-defined]
    run(" —")


def _footers(document: object, font: str) -> None:
    document.settings.odd_and_even_pages_header_footer = True  # type: ignore[attr-defined]
    sec = document.sections[0]  # type: ignore[attr-defined]
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


def _table(document: object, t: TableBlock, names: dict[str, str]) -> None:
    table = document.add_table(rows=1 + len(t.rows), cols=len(t.header))  # type: ignore[attr-defined]
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
            trpr = table.rows[0]._tr.get_or_add_trPr()
            trpr.append(OxmlElement("w:tblHeader"))
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
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)
    ppr = normal.element.get_or_add_pPr()
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):  # no extra space between Chinese and digits
        el = OxmlElement(tag)
        el.set(qn("w:val"), "0")
        ppr.append(el)
    document.core_properties.title = doc.title
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
    signer_right = max(0.0, date_right + (_width_em(date) - _width_em(doc.signer)) * BODY_PT / 2)
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
