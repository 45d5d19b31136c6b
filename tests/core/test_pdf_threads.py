"""PDFs built on several threads at once (two exports started in the GUI) all come out whole."""

from __future__ import annotations

import random
import threading
from pathlib import Path

from reportlab.platypus import Paragraph

from brigade_desk.core.forms import pdf


def _story(seed: int) -> list[object]:
    rng = random.Random(seed)
    # many different CJK characters: each document grows the shared font's glyph subsets
    chars = [chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(3000)]
    style = pdf.cjk_styles()["body"]
    text = "".join(chars)
    return [Paragraph(text[i : i + 300], style) for i in range(0, len(text), 300)]


def test_pdfs_built_on_many_threads_at_once(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for k in range(3):
                pdf.build_pdf(tmp_path / f"{n}-{k}.pdf", _story(n * 10 + k), title="并发")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    outs = sorted(tmp_path.glob("*.pdf"))
    assert len(outs) == 12 and all(p.read_bytes().startswith(b"%PDF") for p in outs)
