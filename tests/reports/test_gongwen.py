"""The 公文 page (GB/T 9704-2012), measured from the PDFs it makes, and its .docx twin.

Margins, font sizes, characters a line and page-number positions are read with pdfplumber; fonts
with pdffonts; line starts with pdftotext -layout; the .docx is read back with python-docx and, where
LibreOffice is installed, rendered and measured the same way.
"""

from __future__ import annotations

import collections
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from dbtemplate import fresh_db, query, target

from brigade_desk.app.cli import main
from brigade_desk.app.demo import fill
from brigade_desk.core.forms import fonts
from brigade_desk.core.forms.gongwen import (
    CLOSING,
    OPENING,
    GongwenDoc,
    Para,
    TableBlock,
    atoms,
    build_gongwen_pdf,
    cn_date,
    role_fonts,
    title_text,
)
from brigade_desk.core.forms.gongwen_docx import build_gongwen_docx

MM = 72 / 25.4
PDF_TOOLS = pytest.mark.skipif(
    not (shutil.which("pdffonts") and shutil.which("pdftotext")), reason="poppler-utils missing"
)
NAMES = ("赵宏", "李晓燕", "欧阳明辉", "王建国")
SENTENCE = (
    "截至2025年12月31日，本单位在岗执法人员51人，人均培训80.7学时，8人不足60学时（赵宏、李晓燕、"
    "欧阳明辉、王建国），已于2025-12-31前督促补训。各中队要以此为鉴，认真组织学习，严格执法程序，"
    "规范执法行为，提高办案质量。"
)
PLAIN = "深入推进严格规范公正文明执法持续提升执法队伍素质能力和服务水平为交通运输高质量发展提供保障"


def _doc(date: dt.date = dt.date(2026, 12, 4)) -> GongwenDoc:
    blocks: list[Any] = [Para(SENTENCE * 2)]
    for n in "一二三四五":
        blocks += [
            Para(f"{n}、执法队伍建设情况", "h1"),
            Para(PLAIN * 3),  # no punctuation or digits: every full line is 28 characters
            Para("（一）行政执法公示制度", "h2"),
            Para(SENTENCE * 2),
            Para("1.加强培训考试", "h3"),
            Para(SENTENCE + PLAIN),
        ]
    blocks.insert(
        3,
        TableBlock(
            ("项目", "数值", "说明"),
            [["在岗执法人员（人）", "51", "截至2025年12月31日"], ["合计", "51", ""]],
            (60, 30, 66),
            ("l", "r", "l"),
            bold_last_row=True,
        ),
    )
    blocks.append(Para("特此报告。"))
    return GongwenDoc(
        title=title_text("某县交通运输综合行政执法大队", "2025年度行政执法工作报告"),
        addressee="某县交通运输局",
        blocks=blocks,
        signer="某县交通运输综合行政执法大队",
        date=date,
        names=frozenset(NAMES),
    )


# ---- measuring a PDF ------------------------------------------------------------------------------


def _lines(page: Any, size: float | None = None) -> dict[float, list[dict[str, Any]]]:
    out: dict[float, list[dict[str, Any]]] = collections.defaultdict(list)
    for c in page.chars:
        if c["text"].strip() and (size is None or abs(c["size"] - size) < 0.05):
            out[round(c["top"], 1)].append(c)
    for cs in out.values():
        cs.sort(key=lambda c: c["x0"])
    return dict(sorted(out.items()))


def _page_number(page: Any) -> list[dict[str, Any]]:
    return [c for c in page.chars if abs(c["size"] - 14) < 0.05 and c["text"].strip()]


def _text_layout(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _fonts_not_embedded(path: Path) -> list[str]:
    rows = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert rows
    return [r for r in rows if " yes " not in r or "Helvetica" in r or "Type 1" in r]


def check_gongwen_pdf(path: Path, *, names: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every check of GB/T 9704 the tests make on one PDF; the measured figures."""
    assert _fonts_not_embedded(path) == []
    text = _text_layout(path)
    starts = [ln.strip()[0] for ln in text.splitlines() if ln.strip()]
    assert not [c for c in starts if c in CLOSING and c not in "—"], (
        "a line starts with a closing mark"
    )
    ends = [ln.rstrip()[-1] for ln in text.splitlines() if ln.strip()]
    assert not [c for c in ends if c in OPENING], "a line ends with an opening mark"
    got: dict[str, Any] = {"left": [], "top": [], "full": collections.Counter(), "pages": 0}
    with pdfplumber.open(path) as pdf:
        got["pages"] = len(pdf.pages)
        for n, page in enumerate(pdf.pages, 1):
            assert (round(page.width, 1), round(page.height, 1)) == (595.3, 841.9)  # A4
            body = [c for c in page.chars if c["text"].strip() and abs(c["size"] - 14) > 0.05]
            sizes = {round(c["size"], 1) for c in body}
            assert sizes <= {22.0, 16.0, 12.0}, sizes  # title 2号, body 3号, tables 小四
            if n == 1:
                assert 22.0 in sizes
            lines = _lines(page)
            first = next(iter(lines.values()))
            left = min(c["x0"] for c in body) / MM
            assert left >= 27, (n, left)  # nothing left of the block
            if abs(first[0]["size"] - 12) > 0.05:  # a page that starts with text, not a table
                got["top"].append(min(c["top"] for c in first) / MM)
                got["left"].append(left)
            else:  # a table's rules span the block
                xs = [e["x0"] for e in page.edges] + [e["x1"] for e in page.edges]
                assert min(xs) / MM >= 27 and max(xs) / MM <= 185, (n, min(xs), max(xs))
            for cs in _lines(page, 16).values():
                if (
                    abs(cs[0]["x0"] / MM - 28) < 0.3
                    and abs(cs[-1]["x1"] / MM - 184) < 0.6
                    and all(ord(c["text"]) >= 0x3000 for c in cs)
                ):
                    got["full"][len(cs)] += 1
                line = "".join(c["text"] for c in cs)
                for name in names:  # a name is never cut at a line end
                    for k in range(1, len(name)):
                        assert not (line.endswith(name[:k]) and not line.endswith(name)), (
                            line,
                            name,
                        )
            # "— n —" in 4号 at the outer edge, one character in, 7 mm under the block
            pn = _page_number(page)
            assert "".join(c["text"] for c in pn) == f"—{n}—"
            top = min(c["top"] for c in pn) / MM
            assert abs(top - (297 - 35 + 7)) <= 1, top
            if n % 2:
                assert abs(max(c["x1"] for c in pn) / MM - (184 - 14 / MM)) <= 1
            else:
                assert abs(min(c["x0"] for c in pn) / MM - (28 + 14 / MM)) <= 1
    # the text starts at 28 mm (a page may hold only indented lines) and never left of it
    assert abs(min(got["left"]) - 28) <= 1 and all(x >= 27 for x in got["left"]), got["left"]
    assert sum(abs(x - 28) <= 1 for x in got["left"]) >= len(got["left"]) / 2, got["left"]
    assert got["top"] and all(abs(y - 37) <= 1 for y in got["top"]), got["top"]
    return got


# ---- line breaking --------------------------------------------------------------------------------


def test_atoms_keep_marks_numbers_dates_and_names() -> None:
    pieces = atoms("截至2025年12月31日，赵宏的成绩为80.7分（合格）。日期2025-12-31。", ["赵宏"])
    assert "2025年12月31日，" in pieces  # the comma stays with the date before it
    assert "赵宏" in pieces and "80.7" in pieces and "2025-12-31。" in pieces
    assert "（合" in pieces and "格）。" in pieces  # an opening mark opens; closings close
    assert not [p for p in pieces if p[0] in CLOSING]
    assert not [p for p in pieces if p[-1] in OPENING]
    assert "".join(pieces) == "截至2025年12月31日，赵宏的成绩为80.7分（合格）。日期2025-12-31。"


def test_dates_and_titles_in_words() -> None:
    assert cn_date(dt.date(2026, 12, 4)) == "2026年12月4日"
    assert title_text("关于", "考试成绩的通报") == "关于考试成绩的通报"
    long = title_text("某县交通运输综合行政执法大队", "2025年度行政执法工作报告")
    assert long == "某县交通运输综合行政执法大队\n2025年度行政执法工作报告"


def test_each_role_has_its_own_look() -> None:
    f = role_fonts()
    # headings never look like the body: 黑体, 楷体 and the title are other fonts than the body's
    assert len({f.body, f.heading, f.kai}) == 3 and f.title != f.body
    # without Windows fonts the shipped 宋体- and 楷体-style fonts stand in
    if not fonts.system_candidates("fangsong"):
        assert "gbsn00lp" in f.body and "gkai00mp" in f.kai


# ---- the page -------------------------------------------------------------------------------------


@PDF_TOOLS
def test_gongwen_pdf_layout_is_measured(tmp_path: Path) -> None:
    out = build_gongwen_pdf(_doc(), tmp_path / "gw.pdf")
    got = check_gongwen_pdf(out, names=NAMES)
    assert got["pages"] >= 3
    # a full line of Chinese characters: 28 of them in the 156 mm line; a full page: 22 lines
    assert got["full"] and set(got["full"]) == {28}, got["full"]
    with pdfplumber.open(out) as pdf:
        per_page = [len(_lines(page, 16)) for page in pdf.pages]
    assert max(per_page) == 22 and per_page.count(22) >= 2, per_page
    with pdfplumber.open(out) as pdf:
        p1 = pdf.pages[0]
        title = [c for c in p1.chars if abs(c["size"] - 22) < 0.05]
        assert min(c["top"] for c in title) / MM == pytest.approx(37, abs=1)
        lines = _lines(p1, 16)
        texts = {"".join(c["text"] for c in cs): cs for cs in lines.values()}
        assert "某县交通运输局：" in texts  # 主送机关, flush left
        assert texts["某县交通运输局："][0]["x0"] / MM == pytest.approx(28, abs=0.2)
        # a paragraph's first line is indented two characters
        first = next(cs for t, cs in texts.items() if t.startswith("截至"))
        assert first[0]["x0"] / MM == pytest.approx(28 + 2 * 156 / 28, abs=0.3)
        heading_font = {c["fontname"] for c in texts["一、执法队伍建设情况"]}
        title_font = {c["fontname"] for c in title}
        body_font = {c["fontname"] for c in first if "\u4e00" <= c["text"] <= "\u9fff"}
        assert heading_font.isdisjoint(body_font) and title_font.isdisjoint(body_font)
        # no heading is the last line of a page
        for page in pdf.pages:
            last = "".join(c["text"] for c in list(_lines(page, 16).values())[-1])
            assert not re.match(
                r"^([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.)", last
            ), last
        # 署名 centred over 成文日期, the date four characters in from the right edge
        end = _lines(pdf.pages[-1], 16)
        rows = {"".join(c["text"] for c in cs): cs for cs in end.values()}
        date, signer = rows["2026年12月4日"], rows["某县交通运输综合行政执法大队"]
        assert date[-1]["x1"] / MM == pytest.approx(184 - 4 * 156 / 28, abs=0.5)
        centre = lambda cs: (cs[0]["x0"] + cs[-1]["x1"]) / 2  # noqa: E731
        assert centre(signer) == pytest.approx(centre(date), abs=2 * MM)
        assert date[0]["top"] - signer[0]["top"] == pytest.approx(28, abs=0.5)


def test_gongwen_docx_page_setup(tmp_path: Path) -> None:
    from docx import Document
    from docx.enum.text import WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    out = build_gongwen_docx(_doc(), tmp_path / "gw.docx")
    d = Document(str(out))
    sec = d.sections[0]
    for got, want in (
        (sec.page_width, 210),
        (sec.page_height, 297),
        (sec.top_margin, 37),
        (sec.bottom_margin, 35),
        (sec.left_margin, 28),
        (sec.right_margin, 26),
    ):
        assert abs(got - Mm(want)) < Mm(0.1)
    assert d.settings.odd_and_even_pages_header_footer
    odd, even = sec.footer.paragraphs[0], sec.even_page_footer.paragraphs[0]
    for par in (odd, even):
        xml = par._p.xml
        assert "PAGE" in xml and par.text.startswith("— ") and par.text.endswith(" —")
        assert par.runs[0].font.size == Pt(14)
    assert odd.alignment == 2 and even.alignment == 0  # right on odd pages, left on even pages
    paras = [p for p in d.paragraphs if p.text]
    title, to, body = paras[0], paras[1], paras[2]
    assert title.runs[0].font.size == Pt(22) and "\n" in title.text
    assert to.text == "某县交通运输局："
    assert body.runs[0].font.size == Pt(16)
    assert body.paragraph_format.first_line_indent == Pt(32)
    assert body.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert body.paragraph_format.line_spacing == Pt(28)
    fonts_of = lambda p: p.runs[0]._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))  # noqa: E731
    h1 = next(p for p in paras if p.text.startswith("一、"))
    h2 = next(p for p in paras if p.text.startswith("（一）"))
    h3 = next(p for p in paras if p.text.startswith("1."))
    assert fonts_of(body) in ("仿宋", "仿宋_GB2312") and fonts_of(h1) == "黑体"
    assert fonts_of(h2) in ("楷体", "楷体_GB2312") and h3.runs[0].font.bold
    assert h1.paragraph_format.keep_with_next and h2.paragraph_format.keep_with_next
    assert paras[-1].text == "2026年12月4日" and paras[-2].text == "某县交通运输综合行政执法大队"
    assert paras[-1].paragraph_format.right_indent == Pt(64)
    assert len(d.tables) == 1 and d.tables[0].rows[0].cells[0].text == "项目"


@PDF_TOOLS
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_gongwen_docx_renders_with_the_page_setup(tmp_path: Path) -> None:
    out = build_gongwen_docx(_doc(), tmp_path / "gw.docx")
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "pdf"),
            str(out),
        ],
        capture_output=True,
        check=True,
        timeout=240,
    )
    pdf_path = tmp_path / "pdf" / "gw.pdf"
    with pdfplumber.open(pdf_path) as pdf:
        assert len(pdf.pages) >= 3
        full = collections.Counter(
            len(cs)
            for page in pdf.pages
            for cs in _lines(page, 16).values()
            if abs(cs[0]["x0"] / MM - 28) < 1
            and abs(cs[-1]["x1"] / MM - 184) < 1
            and all(ord(c["text"]) >= 0x3000 for c in cs)
        )
        assert full and set(full) == {28}, full  # 28 characters a line
        assert max(len(_lines(page, 16)) for page in pdf.pages) == 22  # 22 lines a page
        for n, page in enumerate(pdf.pages, 1):
            body = [c for c in page.chars if c["text"].strip() and abs(c["size"] - 14) > 0.05]
            assert min(c["x0"] for c in body) / MM == pytest.approx(28, abs=1)
            # the 28 pt line puts the first glyphs a little under the 37 mm margin
            assert 37 - 1 <= min(c["top"] for c in body) / MM <= 37 + 3
            assert {round(c["size"]) for c in body} <= {22, 16, 12}
            pn = _page_number(page)
            assert "".join(c["text"] for c in pn) == f"—{n}—"
            if n % 2:
                assert max(c["x1"] for c in pn) / MM == pytest.approx(184 - 14 / MM, abs=1)
            else:
                assert min(c["x0"] for c in pn) / MM == pytest.approx(28 + 14 / MM, abs=1)
            assert min(c["top"] for c in pn) / MM == pytest.approx(297 - 35 + 7, abs=1.5)


# ---- the real documents, on the demo database ------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("gongwen") / "demo.sqlite"
    db = fresh_db(path)
    fill(db, size="small", seed=5, today=dt.date(2026, 1, 20))
    db.close()
    return target(path)


def _export(db: str, out: Path, *args: str) -> Path:
    assert main(["--db", target(db), "export", *args, "--out", str(out)]) == 0
    return out


def _exam_session(db: str) -> str:
    row = query(
        db,
        "select session_id from training_attendance where exam_score is not null "
        "group by session_id order by count(*) desc, session_id limit 1",
    )[0]
    return str(row[0])


@PDF_TOOLS
def test_annual_report_and_both_notices_are_gongwen(demo: Path, tmp_path: Path) -> None:
    staff = tuple(r[0] for r in query(demo, "select name from staff"))
    made = {
        "annual": _export(
            demo, tmp_path / "annual.pdf", "annual", "--year", "2025", "--as-of", "2026-01-20"
        ),
        "review": _export(
            demo,
            tmp_path / "review.pdf",
            "review-report",
            "--year",
            "2025",
            "--as-of",
            "2026-01-20",
        ),
        "exam": _export(
            demo, tmp_path / "exam.pdf", "exam-notice", _exam_session(demo), "--as-of", "2025-12-04"
        ),
    }
    for key, path in made.items():
        check_gongwen_pdf(path, names=staff)
        flat = re.sub(r"\s", "", _text_layout(path))
        for word in ("Brigade", "随机种子", "「", "」", "case_review", "第2版"):
            assert word not in flat, (key, word)
        if key != "annual":  # the annual figures' notes are the annual sections' own words
            assert "按设置" not in flat
        if key != "annual":
            assert "各中队、各股室：" in flat and "各科室" not in flat
    annual = re.sub(r"\s", "", _text_layout(made["annual"]))
    assert (
        "交通运输局：" in annual and "特此报告。" in annual and annual.count("2026年1月20日") >= 1
    )
    assert "2025年12月4日" in re.sub(r"\s", "", _text_layout(made["exam"]))


def test_docx_offered_wherever_the_pdf_is(demo: Path, tmp_path: Path) -> None:
    from docx import Document

    from brigade_desk.app.ledgers import REGISTRY

    exports = REGISTRY.exports()
    for key in ("annual", "review-report", "exam-notice"):
        assert {".pdf", ".docx"} <= set(exports[key].suffixes), key
    assert ("annual", ".docx") in REGISTRY.reports_page
    out = _export(demo, tmp_path / "年报.docx", "annual", "--year", "2025", "--as-of", "2026-01-20")
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "交通运输局：" in text and text.rstrip().endswith("2026年1月20日")
    review = _export(
        demo, tmp_path / "通报.docx", "review-report", "--year", "2025", "--as-of", "2026-01-20"
    )
    exam = _export(demo, tmp_path / "成绩.docx", "exam-notice", _exam_session(demo))
    for out in (review, exam):
        paras = [p.text for p in Document(str(out)).paragraphs]
        assert "各中队、各股室：" in paras
        # Chinese prose: no Western spacing between Chinese and digits, Chinese dates
        assert not [p for p in paras if re.search(r"[\u4e00-\u9fff] \d|\d [\u4e00-\u9fff]", p)]
        assert not [p for p in paras if re.search(r"\d{4}-\d\d-\d\d", p)]
        assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", paras[-1])
    assert "考试成绩的通报" in "".join(p.text for p in Document(str(exam)).paragraphs)
