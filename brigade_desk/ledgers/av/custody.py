"""音像证据清单: the custody report of a case's AV files, for a reviewer or a court.

Every AV record of the case with its SHA-256, size, duration, start time, device, officers, ingest
time and operator (the audit trail's entry that created the record; the ingest batch), storage
location and every verification result (date, status); the audit chain's head (``core.anchor``)
in the text and, as every exported form, in the footer stamp.

Three files are written, each whole or not at all:

- ``X.pdf`` — the report (bundled/system TrueType fonts, embedded);
- ``X.sha256`` — a manifest in ``sha256sum -c`` format: the hash, two spaces, the absolute path
  (``/`` separators on Windows; a name holding a backslash or a line break is escaped the GNU way,
  the line then starting with ``\\``), UTF-8, ``\\n`` line ends: anyone re-checks the files with
  ``sha256sum -c X.sha256`` (coreutils, Git Bash) without this program;
- ``X.json`` — the same facts, machine-readable.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from brigade_desk.core import anchor, settings
from brigade_desk.core.atomic import atomic_path
from brigade_desk.core.db import Database
from brigade_desk.core.dialect import driver_sql
from brigade_desk.core.errors import UserError
from brigade_desk.core.forms.common import form_info
from brigade_desk.core.forms.stamp import stamped
from brigade_desk.ledgers.av import roots
from brigade_desk.ledgers.av import rules as av_rules
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.av.models import (
    VERIFY_LABELS,
    AvIngestBatch,
    AvRecord,
    AvStorageRoot,
    AvVerifyResult,
    AvVerifyRun,
)
from brigade_desk.ledgers.roster.models import Staff

TITLE = "音像证据清单"


@dataclass
class CheckFact:
    at: str  # the run's start, "YYYY-MM-DD HH:MM:SS"
    status: str
    status_zh: str
    detail: str = ""
    run_id: int = 0


@dataclass
class FileFact:
    record_id: int
    file_name: str
    path: str  # absolute, as on this machine
    sha256: str
    size: int
    duration_s: float | None
    media_start: str
    time_source: str
    activity: str
    device_no: str
    officers: list[str]
    ingested_at: str
    ingest_operator: str
    batch_id: int | None
    batch_folder: str
    storage_root: str
    archive: bool
    checks: list[CheckFact] = field(default_factory=list)


@dataclass
class WindowFact:
    """A recorded time window of one of the case's activities and how far its recordings cover it."""

    activity: str
    started_at: str
    ended_at: str
    minutes: int
    files: int  # recordings of that activity that have a start time
    uncovered: list[dict[str, Any]]  # {"from", "to", "minutes"}
    uncovered_minutes: int


@dataclass
class CustodyReport:
    case_no: str
    cause: str
    party: str
    unit: str
    made_at: str
    audit_entries: int
    audit_head: str
    audit_head_at: str
    audit_text: str
    files: list[FileFact]
    windows: list[WindowFact] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"title": TITLE, "version": 1, **asdict(self)}


def _fmt(t: dt.datetime | str | None) -> str:
    if t is None or t == "":
        return ""
    if isinstance(t, str):
        return t.split(".")[0]
    return f"{t:%Y-%m-%d %H:%M:%S}"


def _case_facts(s: Session, case_no: str) -> tuple[str, str]:
    """(案由, 当事人) from the case register when there is one (read by name, as the rules do)."""
    insp = inspect(s.get_bind())
    if not insp.has_table("case_record"):
        return "", ""
    cols = {c["name"] for c in insp.get_columns("case_record")}
    if not {"case_no", "cause", "party"} <= cols:
        return "", ""
    row = s.execute(
        text("SELECT cause, party FROM case_record WHERE case_no = :c"), {"c": case_no}
    ).first()
    return (str(row[0] or ""), str(row[1] or "")) if row else ("", "")


def collect(db: Database, case_no: str) -> CustodyReport:
    case_no = (case_no or "").strip()
    if not case_no:
        raise UserError("请给出案号")
    with db.session() as s:
        recs = list(
            s.scalars(
                select(AvRecord)
                .where(AvRecord.case_no == case_no)
                .order_by(AvRecord.media_start, AvRecord.id)
            )
        )
        if not recs:
            raise UserError(f"音像记录台账中没有案号为 {case_no} 的音像文件")
        ids = [r.id for r in recs]
        root_rows = {r.id: r for r in s.scalars(select(AvStorageRoot))}
        staff_ids = {x for r in recs for x in (r.officer_id, r.officer2_id) if x is not None}
        names = dict(
            s.execute(select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids))).all()
            if staff_ids
            else []
        )
        batch_ids = {r.batch_id for r in recs if r.batch_id is not None}
        batches = {
            b.id: b
            for b in (
                s.scalars(select(AvIngestBatch).where(AvIngestBatch.id.in_(batch_ids)))
                if batch_ids
                else []
            )
        }
        # who ingested: the audit trail's entry that created the record (the OS account)
        operators: dict[str, tuple[str, Any]] = {}
        for i in range(0, len(ids), 900):
            part = [str(x) for x in ids[i : i + 900]]
            marks = ",".join("?" * len(part))
            conn = s.connection()
            for rid, user, at in conn.exec_driver_sql(
                driver_sql(
                    conn,
                    "SELECT record_id, os_user, at FROM audit_log WHERE table_name = 'av_record' "
                    f"AND action = 'create' AND record_id IN ({marks}) ORDER BY id",
                ),
                tuple(part),
            ):
                operators.setdefault(str(rid), (str(user or ""), at))
        checks: dict[int, list[CheckFact]] = {}
        for res, run in s.execute(
            select(AvVerifyResult, AvVerifyRun)
            .join(AvVerifyRun, AvVerifyRun.id == AvVerifyResult.run_id)
            .where(AvVerifyResult.record_id.in_(ids))
            .order_by(AvVerifyRun.started_at, AvVerifyResult.id)
        ):
            checks.setdefault(res.record_id, []).append(
                CheckFact(
                    _fmt(run.started_at),
                    res.status,
                    VERIFY_LABELS.get(res.status, res.status),
                    res.detail or "",
                    run.id,
                )
            )
        files = []
        for r in recs:
            root = root_rows[r.root_id]
            batch = batches.get(r.batch_id) if r.batch_id is not None else None
            op = operators.get(str(r.id))
            files.append(
                FileFact(
                    record_id=r.id,
                    file_name=r.file_name,
                    path=str(roots.resolve(root.path, r.rel_path)),
                    sha256=r.sha256,
                    size=int(r.size),
                    duration_s=r.duration_s,
                    media_start=_fmt(r.media_start),
                    time_source=r.time_source or "",
                    activity=r.activity,
                    device_no=r.device_no or "",
                    officers=[
                        names.get(x, f"#{x}")
                        for x in (r.officer_id, r.officer2_id)
                        if x is not None
                    ]
                    or ([r.officer_code] if r.officer_code else []),
                    ingested_at=_fmt(r.ingested_at),
                    ingest_operator=op[0] if op else "",
                    batch_id=r.batch_id,
                    batch_folder=batch.folder if batch is not None else "",
                    storage_root=root.name,
                    archive=bool(root.is_archive),
                    checks=checks.get(r.id, []),
                )
            )
        wins = _windows(s, case_no, recs)
        head = anchor.current(s)
        cause, party = _case_facts(s, case_no)
        unit = form_info(s).unit
    return CustodyReport(
        case_no=case_no,
        cause=cause,
        party=party,
        unit=unit,
        made_at=_fmt(dt.datetime.now()),
        audit_entries=head.entries,
        audit_head=head.head,
        audit_head_at=head.head_at,
        audit_text=head.text_zh,
        files=files,
        windows=wins,
    )


def _windows(s: Session, case_no: str, recs: list[AvRecord]) -> list[WindowFact]:
    """The case's activity windows (read by name, as the rules do) with their coverage by the
    case's recordings of the same activity (gaps up to ``av.coverage_gap_seconds`` not counted)."""
    insp = inspect(s.get_bind())
    if not (insp.has_table(av_rules.WINDOW_TABLE) and insp.has_table(av_rules.CASE_TABLE)):
        return []
    tol = int(settings.get(s, av_settings.AV_COVERAGE_GAP))
    rows = s.execute(
        text(
            f"SELECT w.activity, w.started_at, w.ended_at FROM {av_rules.WINDOW_TABLE} w "
            f"JOIN {av_rules.CASE_TABLE} c ON c.id = w.case_id WHERE c.case_no = :c "
            f"ORDER BY w.started_at, w.id"
        ),
        {"c": case_no},
    ).all()
    out = []
    for act, ws, we in rows:
        start, end = av_rules.as_datetime(ws), av_rules.as_datetime(we)
        if start is None or end is None or end <= start:
            continue
        spans = [
            (r.media_start, r.media_start + dt.timedelta(seconds=max(0.0, r.duration_s or 0.0)))
            for r in recs
            if r.activity == act and r.media_start is not None
        ]
        gaps = av_rules.uncovered(start, end, spans, tol)
        out.append(
            WindowFact(
                activity=str(act),
                started_at=_fmt(start),
                ended_at=_fmt(end),
                minutes=round((end - start).total_seconds() / 60),
                files=len(spans),
                uncovered=[
                    {"from": _fmt(a), "to": _fmt(b), "minutes": round((b - a).total_seconds() / 60)}
                    for a, b in gaps
                ],
                uncovered_minutes=round(sum((b - a).total_seconds() for a, b in gaps) / 60),
            )
        )
    return out


def manifest_line(sha256: str, path: str) -> str:
    """One line of ``sha256sum -c`` input for an absolute path (GNU escaping where needed)."""
    name = path.replace("\\", "/") if os.name == "nt" else path
    if any(c in name for c in "\\\n\r"):
        esc = name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        return f"\\{sha256}  {esc}"
    return f"{sha256}  {name}"


def write_manifest(report: CustodyReport, out: Path) -> Path:
    with atomic_path(out) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            for x in report.files:
                f.write(manifest_line(x.sha256, x.path) + "\n")
    return out


def write_json(report: CustodyReport, out: Path) -> Path:
    with atomic_path(out) as tmp:
        tmp.write_text(
            json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    return out


def _size(n: int) -> str:
    if n >= 1 << 30:
        return f"{n / (1 << 30):.2f} GB"
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.1f} KB"
    return f"{n} 字节"


def _duration(s: float | None) -> str:
    if s is None:
        return "未知"
    total = round(s)
    h, rest = divmod(total, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def write_pdf(report: CustodyReport, out: Path) -> Path:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    from brigade_desk.core.forms.pdf import build_pdf, cjk_styles, esc, pdf_fonts

    st = cjk_styles()
    cell, head = st["cell"], st["cellb"]
    f = pdf_fonts()
    story: list[Any] = [Paragraph(TITLE, st["title"])]
    info = [
        f"案号：{esc(report.case_no)}",
        f"案由：{esc(report.cause)}" if report.cause else "",
        f"当事人：{esc(report.party)}" if report.party else "",
        f"文件 {len(report.files)} 个，共 {_size(sum(x.size for x in report.files))}",
    ]
    story.append(Paragraph("　　".join(x for x in info if x), st["body"]))
    story.append(
        Paragraph(
            f"制表单位：{esc(report.unit)}　　制表时间：{report.made_at}　　"
            f"{esc(report.audit_text)}（末条时间 {esc(report.audit_head_at.split('.')[0])}）",
            st["small"],
        )
    )
    story.append(Paragraph(f"审计链末条摘要：{esc(report.audit_head)}", st["small"]))
    story.append(Spacer(1, 3 * mm))
    if report.windows:
        story.append(Paragraph("执法活动时段与音像记录覆盖", st["h2"]))
        wrows: list[list[Any]] = [
            [Paragraph(h, head) for h in ("执法活动", "开始", "结束", "音像文件", "未覆盖时段")]
        ]
        for wf in report.windows:
            gaps = (
                "；".join(
                    f"{g['from'][11:16]}–{g['to'][11:16]}（{g['minutes']}分钟）"
                    for g in wf.uncovered
                )
                + f"，合计 {wf.uncovered_minutes} 分钟"
                if wf.uncovered
                else "全程覆盖"
            )
            wrows.append(
                [
                    Paragraph(esc(wf.activity), cell),
                    Paragraph(wf.started_at[:16], cell),
                    Paragraph(wf.ended_at[:16], cell),
                    Paragraph(f"{wf.files} 个", cell),
                    Paragraph(gaps, cell),
                ]
            )
        wt = Table(wrows, colWidths=[v * mm for v in (28, 34, 34, 20, 151)], repeatRows=1)
        wt.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), f.song),
                    ("GRID", (0, 0), (-1, -1), 0.4, "#999999"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("BACKGROUND", (0, 0), (-1, 0), "#e8e8e8"),
                ]
            )
        )
        story += [wt, Spacer(1, 3 * mm), Paragraph("音像文件", st["h2"])]
    widths = [10, 55, 33, 18, 16, 30, 38, 33, 34]
    w = [x * mm for x in widths]  # 267 mm: A4 landscape less 15 mm margins
    data: list[list[Any]] = [
        [
            Paragraph(h, head)
            for h in (
                "序号",
                "文件名",
                "拍摄开始",
                "时长",
                "大小",
                "执法记录仪",
                "执法人员",
                "入库时间",
                "入库操作人 / 批次",
            )
        ]
    ]
    spans: list[tuple[Any, ...]] = []
    for n, x in enumerate(report.files, 1):
        top = len(data)
        data.append(
            [
                Paragraph(str(n), cell),
                Paragraph(esc(x.file_name), cell),
                Paragraph(
                    esc(x.media_start) + (f"（{esc(x.time_source)}）" if x.time_source else ""),
                    cell,
                ),
                Paragraph(_duration(x.duration_s), cell),
                Paragraph(_size(x.size), cell),
                Paragraph(esc(x.device_no) or "—", cell),
                Paragraph(esc("、".join(x.officers)) or "—", cell),
                Paragraph(esc(x.ingested_at), cell),
                Paragraph(
                    esc(x.ingest_operator or "—")
                    + (f" / 第 {x.batch_id} 批" if x.batch_id is not None else ""),
                    cell,
                ),
            ]
        )
        data.append(["", Paragraph(f"SHA-256：{x.sha256}", cell)] + [""] * 7)
        loc = (
            f"存储位置（{'归档' if x.archive else '来源'}「{esc(x.storage_root)}」）：{esc(x.path)}"
        )
        data.append(["", Paragraph(loc, cell)] + [""] * 7)
        if x.checks:
            checks = "；".join(
                f"{c.at} {c.status_zh}" + (f"（{esc(c.detail)}）" if c.detail else "")
                for c in x.checks
            )
        else:
            checks = "尚未校验"
        data.append(["", Paragraph(f"校验记录：{checks}", cell)] + [""] * 7)
        spans += [
            ("SPAN", (0, top), (0, top + 3)),
            ("SPAN", (1, top + 1), (-1, top + 1)),
            ("SPAN", (1, top + 2), (-1, top + 2)),
            ("SPAN", (1, top + 3), (-1, top + 3)),
            ("LINEABOVE", (0, top), (-1, top), 1.0, "#444444"),
        ]
    t = Table(data, colWidths=w, repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), f.song),
                ("GRID", (0, 0), (-1, -1), 0.4, "#999999"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), "#e8e8e8"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                *spans,
            ]
        )
    )
    story.append(t)
    story.append(Spacer(1, 3 * mm))
    story.append(
        Paragraph(
            f"核对方法：清单旁的 {esc(out.with_suffix('.sha256').name)} 为 sha256sum 格式，"
            f"可用 sha256sum -c 逐个核对上列文件；{esc(out.with_suffix('.json').name)} 含相同内容。",
            st["small"],
        )
    )
    return build_pdf(
        out,
        story,
        title=f"{TITLE} {report.case_no}",
        pagesize=landscape(A4),
        margins_mm=(15, 15, 18, 15),
    )


@dataclass
class CustodyFiles:
    pdf: Path
    manifest: Path
    json: Path
    files: int


def export_custody(db: Database, case_no: str, out: Path | str) -> CustodyFiles:
    """Write the PDF at ``out`` and, beside it, ``.sha256`` and ``.json`` of the same name."""
    out = Path(out)
    if out.suffix.lower() != ".pdf":
        out = out.with_name(out.name + ".pdf")
    out = out.absolute()
    report = collect(db, case_no)
    with stamped(report.audit_text):
        write_pdf(report, out)
    manifest = write_manifest(report, out.with_suffix(".sha256"))
    js = write_json(report, out.with_suffix(".json"))
    return CustodyFiles(out, manifest, js, len(report.files))
