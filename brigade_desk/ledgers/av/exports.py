"""执法音像记录台账 for a year or a quarter (by recording time), with a summary and the problems."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.forms.common import cn_date, form_info, form_text
from brigade_desk.core.forms.xlsxform import Col, Formatted, StreamWorkbook
from brigade_desk.ledgers.av import roots
from brigade_desk.ledgers.av import rules as av_rules
from brigade_desk.ledgers.av.models import ACTIVITIES, VERIFY_LABELS, AvRecord, AvRecordCheck
from brigade_desk.ledgers.roster.models import Staff

LEDGER_COLS = [
    Col("序号", 7),
    Col("案件编号", 20),
    Col("执法对象", 14),
    Col("执法活动", 10),
    Col("拍摄时间", 17),
    Col("时长（分）", 11, "0.0"),
    Col("执法记录仪", 13),
    Col("执法人员", 14),
    Col("地点", 16),
    Col("文件名", 30),
    Col("存储位置", 44),
    Col("大小（MB）", 10, "#,##0.00"),
    Col("SHA-256", 38),
    Col("重点", 6),
    Col("保存期限", 8),
    Col("最近校验", 9),
    Col("校验时间", 17),
    Col("备注", 16),
]
# The printed ledger leaves the long fields (path, SHA-256, check time) to the 文件校验 sheet, so
# that it prints one page wide at a readable size; the quarterly upload sheet keeps LEDGER_COLS.
PRINT_FIELDS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 15, 17)
FILE_FIELDS = (0, 9, 10, 11, 12, 15, 16)
PRINT_COLS = [
    Col("序号", 7),
    Col("案件编号", 20),
    Col("执法对象", 11),
    Col("执法活动", 10),
    Col("拍摄时间", 17),
    Col("时长（分）", 11, "0.0"),
    Col("执法记录仪", 12),
    Col("执法人员", 12),
    Col("地点", 16),
    Col("文件名", 24),
    Col("重点", 6),
    Col("保存期限", 8),
    Col("最近校验", 9),
    Col("备注", 12),
]
FILE_COLS = [
    Col("序号", 7),
    Col("文件名", 30),
    Col("存储位置", 44),
    Col("大小（MB）", 10, "#,##0.00"),
    Col("SHA-256", 38),
    Col("最近校验", 9),
    Col("校验时间", 17),
]
SUMMARY_COLS = [
    Col("执法活动", 14),
    Col("文件数", 10, "#,##0"),
    Col("时长（小时）", 14, "#,##0.0"),
    Col("重点文件", 10, "#,##0"),
    Col("关联案件数", 12, "#,##0"),
    Col("大小（MB）", 12, "#,##0.00"),
]
PROBLEM_COLS = [
    Col("序号", 6),
    Col("问题", 22),
    Col("案件/文件", 24),
    Col("路径/活动", 50),
    Col("说明", 50),
]


def size_mb(size: int) -> float | Formatted:
    """A file's size in MB with two decimals; a file under 0.01 MB (a short clip, a test file) with
    four, so that it does not read as an empty 0.00."""
    mb = size / 2**20
    if size and mb < 0.005:
        return Formatted(round(mb, 4), "0.0000")
    return round(mb, 2)


def period(year: int, quarter: int | None) -> tuple[dt.datetime, dt.datetime, str]:
    if not 2000 <= year <= 2100:
        raise UserError(f"年度 {year} 不合理")
    if quarter is None:
        return dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1), f"{year}年度"
    if quarter not in (1, 2, 3, 4):
        raise UserError("季度应为 1–4")
    m = 3 * (quarter - 1) + 1
    end = dt.datetime(year + 1, 1, 1) if quarter == 4 else dt.datetime(year, m + 3, 1)
    return dt.datetime(year, m, 1), end, f"{year}年第{quarter}季度"


def ledger_rows(
    s: Session, start: dt.datetime, end: dt.datetime
) -> tuple[list[list[object]], dict[str, list[float]], dict[str, set[str]]]:
    """The ledger rows (LEDGER_COLS) of files shot in [start, end), with per-activity totals."""
    o1, o2 = aliased(Staff), aliased(Staff)
    join = roots.path_joiner(roots.roots_map(s))
    a = AvRecord
    q = (
        select(
            a.case_no,
            a.target,
            a.activity,
            a.media_start,
            a.duration_s,
            a.device_no,
            a.officer_code,
            a.place,
            a.file_name,
            a.root_id,
            a.rel_path,
            a.size,
            a.sha256,
            a.important,
            a.retention_years,
            a.notes,
            o1.name,
            o2.name,
            AvRecordCheck.status,
            AvRecordCheck.verified_at,
        )
        .outerjoin(o1, o1.id == a.officer_id)
        .outerjoin(o2, o2.id == a.officer2_id)
        .outerjoin(AvRecordCheck, AvRecordCheck.record_id == a.id)
        .where(a.media_start >= start, a.media_start < end)
        .order_by(a.media_start, a.id)
    )
    rows: list[list[object]] = []
    summary: dict[str, list[float]] = {x: [0, 0.0, 0, 0, 0.0] for x in ACTIVITIES}
    cases: dict[str, set[str]] = {x: set() for x in ACTIVITIES}
    for (
        case_no,
        target,
        activity,
        media_start,
        duration_s,
        device_no,
        officer_code,
        place,
        file_name,
        root_id,
        rel_path,
        size,
        sha256,
        important,
        retention_years,
        notes,
        n1,
        n2,
        status,
        verified_at,
    ) in s.execute(q):
        names = "、".join(n for n in (n1, n2) if n) or officer_code
        rows.append(
            [
                len(rows) + 1,
                case_no,
                target,
                activity,
                media_start,
                round(duration_s / 60, 1) if duration_s is not None else None,
                device_no,
                names,
                place,
                file_name,
                join(root_id, rel_path),
                size_mb(size),
                sha256,
                "是" if important else "",
                "永久" if retention_years is None else f"{retention_years}年",
                VERIFY_LABELS.get(status or "", status),
                verified_at,
                notes,
            ]
        )
        acc = summary.setdefault(activity, [0, 0.0, 0, 0, 0.0])
        acc[0] += 1
        acc[1] += (duration_s or 0) / 3600
        acc[2] += 1 if important else 0
        acc[4] += size / 2**20
        if case_no:
            cases.setdefault(activity, set()).add(case_no)
    return rows, summary, cases


def export_av(
    db: Database,
    out: Path | str,
    *,
    year: int,
    quarter: int | None = None,
    as_of: dt.date | None = None,
) -> Path:
    start, end, label = period(year, quarter)
    as_of = as_of or dt.date.today()
    with db.session() as s:
        info = form_info(s, as_of)
        rows, summary, cases = ledger_rows(s, start, end)
        findings = av_rules.check(s, as_of)
    srows = [
        [a, int(v[0]), round(v[1], 1), int(v[2]), len(cases.get(a, ())), round(v[4], 2)]
        for a, v in summary.items()
    ]
    srows.append(
        [
            "合计",
            sum(int(v[0]) for v in summary.values()),
            round(sum(v[1] for v in summary.values()), 1),
            sum(int(v[2]) for v in summary.values()),
            len(set().union(*cases.values())),
            round(sum(v[4] for v in summary.values()), 2),
        ]
    )
    labels = av_rules.RULES
    with StreamWorkbook(out) as wb:
        wb.add_form_sheet(
            "音像记录台账",
            f"{info.unit}执法音像记录台账（{label}）",
            info,
            PRINT_COLS,
            ([r[i] for i in PRINT_FIELDS] for r in rows),
            note=f"统计范围：拍摄时间在{cn_date(start)}至{cn_date(end - dt.timedelta(days=1))}，"
            f"共{len(rows)}个文件。各文件的存储位置和校验值（SHA-256）见“文件校验”表。",
        )
        wb.add_form_sheet("分类汇总", f"执法音像记录分类汇总（{label}）", info, SUMMARY_COLS, srows)
        wb.add_form_sheet(
            "问题清单",
            "执法音像记录问题清单",
            info,
            PROBLEM_COLS,
            (
                [i, labels.get(f.rule, f.rule), f.subject, f.ref, form_text(f.detail)]
                for i, f in enumerate(findings, 1)
            ),
            note=f"截至{cn_date(as_of)}：缺少全程音像记录的案件，及最近一次校验发现被修改或缺失的文件。",
        )
        wb.add_form_sheet(
            "文件校验",
            f"执法音像记录文件校验表（{label}）",
            info,
            FILE_COLS,
            ([r[i] for i in FILE_FIELDS] for r in rows),
            note="SHA-256为文件入库时计算的校验值，用于证明文件未被删改；“最近校验”为最近一次核对的结果。",
        )
    return Path(out)
