"""The annual work report (年度行政执法工作报告): its sections and the data workbook.

The sections come from the ledgers (``Ledger.annual``: ``build(session, year, as_of)`` returns a
:class:`Section`, or None when it has nothing to say), ordered by their ``order``; the report adds
its own 三项制度 section, which spans the case register and the AV index (``Ledger.recording_parts``).
Paragraph strings starting with ``"## "`` are second-level headings.

The same sections feed the PDF draft (``annual_pdf``) and the data workbook (one sheet per
section, plus its detail sheet when it has one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from brigade_desk.core.db import Database
from brigade_desk.core.forms.common import FIGURE_COLS, form_info
from brigade_desk.core.forms.xlsxform import Formatted, StreamWorkbook
from brigade_desk.core.ledger import AnnualSection, PartBuilder, Section
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.cases.stats import (
    LATE,
    MISSING,
    ON_TIME,
    PENDING,
    StatsContext,
    YearSpan,
    case_stats,
    pct,
    zh_date,
)


@dataclass(frozen=True)
class AnnualContent:
    """What the ledgers contribute to the report: their sections and the recordings part."""

    sections: Sequence[AnnualSection]
    recording_parts: Sequence[PartBuilder] = ()


# ---- 执法人员和执法证件 ------------------------------------------------------------------------


# ---- 执法办案 ----------------------------------------------------------------------------------


# ---- 三项制度 ----------------------------------------------------------------------------------


def three_systems_section(
    session: Session, year: int, as_of: dt.date, recording_parts: Sequence[PartBuilder] = ()
) -> Section:
    ys = YearSpan.of(year, as_of)
    start, end = ys.start, ys.day
    ctx = StatsContext(session, end)
    st = case_stats(session, start, end, ctx)
    pub, fil = st.publication, st.filing
    rec_paras: list[str] = []
    rec_rows: list[list[Any]] = []
    for part in recording_parts:  # the AV ledger: recordings found for those activities
        ps, rs = part(session, year, end)
        rec_paras += ps
        rec_rows += rs
    rows: list[list[Any]] = [
        ["应公示的执法决定（件）", pub.total, f"决定后{ctx.publication_period}内公示"],
        ["  按期公示（件）", pub.counts[ON_TIME], ""],
        ["  逾期公示（件）", pub.counts[LATE], ""],
        ["  逾期未公示（件）", pub.counts[MISSING], f"截至{zh_date(end)}"],
        ["  尚在期限内（件）", pub.counts[PENDING], ""],
        [
            "  按期公示率",
            pub.rate() if pub.rate() is not None else "—",
            "按期公示÷（应公示−尚在期限内）",
        ],
        [
            "须全程音像记录的案件（件）",
            st.full_process,
            "本年立案，含查封扣押、强制拆除、暂扣车辆、强制执行",
        ],
        *[[f"  其中{a}（件）", n, ""] for a, n in sorted(st.full_process_by_activity.items())],
        *rec_rows,
        ["重大行政处罚决定（件）", st.major, ""],
        ["  决定前经法制审核（件）", st.major_reviewed, ""],
        ["  决定前经集体讨论（件）", st.major_discussed, ""],
        ["  按期备案（件）", fil.counts[ON_TIME], f"决定后{ctx.filing_period}内备案"],
        ["  逾期备案或逾期未备案（件）", fil.counts[LATE] + fil.counts[MISSING], ""],
    ]
    paras = [
        "## （一）行政执法公示制度",
        f"{ys.lead}{year}年作出应公示的执法决定{pub.total}件，按期公示{pub.counts[ON_TIME]}件，逾期公示{pub.counts[LATE]}件，"
        f"逾期未公示{pub.counts[MISSING]}件"
        + (f"，{pub.counts[PENDING]}件尚在公示期限内" if pub.counts[PENDING] else "")
        + f"，按期公示率{pct(pub.rate())}。",
        "## （二）执法全过程记录制度",
        (
            f"本年立案的案件中，实施查封扣押、强制拆除等须全程音像记录的执法活动{st.full_process}件（"
            + "、".join(f"{a}{n}件" for a, n in sorted(st.full_process_by_activity.items()))
            + "），均应全程音像记录并归档。"
        )
        if st.full_process
        else "本年立案的案件中没有须全程音像记录的执法活动。",
        *rec_paras,
        "## （三）重大执法决定法制审核制度",
        f"{ys.whole}作出重大行政处罚决定{st.major}件，决定前经法制审核{st.major_reviewed}件、经集体讨论{st.major_discussed}件；"
        f"按期备案{fil.counts[ON_TIME]}件，逾期备案{fil.counts[LATE]}件，逾期未备案{fil.counts[MISSING]}件。",
    ]
    if st.major > st.major_reviewed:
        paras.append(
            f"有{st.major - st.major_reviewed}件重大决定缺少决定前的法制审核记录，应予核查整改。"
        )
    if pub.provisional or fil.provisional:
        paras.append("注：部分期限涉及尚未录入节假日安排的年份，按普通周末估算。")
    return Section("行政执法“三项制度”落实情况", paras, rows, sheet="三项制度")


# ---- 案卷评查和整改 ---------------------------------------------------------------------------


# ---- assembling --------------------------------------------------------------------------------


THREE_SYSTEMS_ORDER = 40  # after the ledgers' cases section (30), before the review (50)


def annual_sections(
    session: Session,
    year: int,
    as_of: dt.date,
    content: AnnualContent,
    progress: Progress | None = None,
) -> list[Section]:
    """The report's sections in order: the ledgers' and the report's own 三项制度 section."""

    def three_systems(s: Session, y: int, on: dt.date) -> Section:
        return three_systems_section(s, y, on, content.recording_parts)

    parts = sorted(
        [*content.sections, AnnualSection(three_systems, THREE_SYSTEMS_ORDER)],
        key=lambda a: a.order,
    )
    out = []
    for i, part in enumerate(parts):
        if progress:
            progress.update(i, len(parts), "")
        sec = part.build(session, year, as_of)
        if sec is not None:
            out.append(sec)
    return out


def export_annual_workbook(
    db: Database,
    out: Path | str,
    year: int,
    content: AnnualContent,
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> Path:
    as_of = as_of or dt.date.today()
    with db.session() as s:
        info = form_info(s, as_of)
        sections = annual_sections(s, year, as_of, content, progress)
    ys = YearSpan.of(year, as_of)
    so_far = f"（截至{ys.day.month}月{ys.day.day}日）" if ys.running else ""
    used: set[str] = set()
    with StreamWorkbook(out) as wb:
        for sec in sections:
            name = (sec.sheet or sec.title)[:31]
            while name in used:
                name = name[:29] + f"{len(used)}"
            used.add(name)
            wb.add_form_sheet(
                name,
                f"{info.unit}{year}年度{sec.title}{so_far}",
                info,
                FIGURE_COLS,
                _percentages([i, *r] for i, r in enumerate(sec.rows, start=1)),
                # the summary text wraps inside its merged row instead of widening the printed page
                note="".join(p for p in sec.paragraphs if not p.startswith("## ")),
                wrap_note=True,
            )
            if sec.detail_sheet:
                wb.add_form_sheet(
                    sec.detail_sheet[:31],
                    f"{year}年度{sec.detail_sheet}{so_far}",
                    info,
                    sec.detail_cols,
                    _percentages(sec.detail_rows),
                )
    return Path(out)


def _percentages(rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """A rate (an item in the second column ending with 率, a fraction in the third) shows as 0.0%."""
    for row in rows:
        if (
            len(row) > 2
            and isinstance(row[1], str)
            and row[1].strip().endswith("率")
            and isinstance(row[2], float | Decimal)
        ):
            row = [row[0], row[1], Formatted(row[2], "0.0%"), *row[3:]]
        yield row
