"""No line of a reportlab paragraph starts with a closing mark (禁则), whatever the width: the
full-width comma, semicolon, colon, 》 … that reportlab's own (Japanese-oriented) list lacks."""

from __future__ import annotations

import pytest
from reportlab.platypus import Paragraph

from brigade_desk.core.forms.pdf import CANNOT_START, cjk_styles, esc, styles

TEXTS = [
    "案卷封面、卷内目录、备考表齐全，填写规范；使用统一格式文书，内容填写完整，字迹清楚。",
    "全员集中学法：《道路运输条例》《行政处罚法》，政治理论和党性教育（第2期）。",
    "缺封面、目录或备考表的，每项扣1分；填写不全的扣0.5分！是否按期？“是”。",
    "决定日期2025-12-31，文件DSJ-X20251231.mp4已归档，罚款12500.50元（乐交执罚〔2025〕12号）。",
]
RUNS = ["2025-12-31", "DSJ-X20251231.mp4", "12500.50"]


def _lines(p: Paragraph) -> list[str]:
    out = []
    for line in p.blPara.lines:
        words = line.words if hasattr(line, "words") else line[1]
        out.append("".join(w if isinstance(w, str) else getattr(w, "text", "") for w in words))
    return out


@pytest.mark.parametrize("which", ["styles", "cjk_styles"])
def test_no_line_starts_with_a_closing_mark(which: str) -> None:
    st = (styles if which == "styles" else cjk_styles)()
    checked = 0
    for text in TEXTS:
        for markup in (esc(text), f"<b>{esc(text[:6])}</b>{esc(text[6:])}"):  # one run, several
            for name in ("cell", "body", "small"):
                for width in range(40, 400, 3):
                    p = Paragraph(markup, st[name])
                    p.wrap(width, 10_000)
                    lines = _lines(p)
                    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
                    for ln in lines[1:]:
                        assert ln[:1] not in CANNOT_START, (name, width, lines)
                    for ln in lines[:-1]:
                        assert ln[-1:] not in "（《“〔", (name, width, lines)
                    for run in RUNS:  # never split while it fits on a line
                        if run in text and p.style.fontSize * len(run) * 0.6 < width - 20:
                            assert any(run in ln for ln in lines), (run, width, lines)
                    checked += 1
    assert checked > 1000


def test_an_explicit_line_break_is_kept() -> None:
    st = styles()
    p = Paragraph("第一行内容<br/>第二行，内容", st["body"])
    p.wrap(400, 1000)
    assert _lines(p) == ["第一行内容", "第二行，内容"]
