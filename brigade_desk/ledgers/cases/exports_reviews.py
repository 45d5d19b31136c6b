"""案卷评查结果 as a spreadsheet: one row per reviewed file, the deductions, the rectifications."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.forms.common import cn_date, form_info
from brigade_desk.core.forms.xlsxform import Col, StreamWorkbook
from brigade_desk.ledgers.cases.checklists import Item
from brigade_desk.ledgers.cases.review import ReviewService

RESULT_COLS = [
    Col("序号", 6),
    Col("案号", 24),
    Col("案由", 30),
    Col("案件类别", 10),
    Col("执法门类", 10),
    Col("当事人", 18),
    Col("承办人员", 16),
    Col("抽取方式", 9),
    Col("评查人", 14),
    Col("评查日期", 12),
    Col("得分", 7, "0.0"),
    Col("否决项", 24),
    Col("评查等级", 8),
    Col("评查意见", 30),
]
DEFECT_COLS = [
    Col("序号", 6),
    Col("案号", 24),
    Col("项目编号", 8),
    Col("评查内容", 40),
    Col("分值", 7, "0.0"),
    Col("得分", 7, "0.0"),
    Col("扣分", 7, "0.0"),
    Col("扣分说明", 40),
]
RECT_COLS = [
    Col("序号", 6),
    Col("案号", 24),
    Col("项目编号", 8),
    Col("整改问题", 36),
    Col("责任人", 12),
    Col("整改期限", 12),
    Col("完成日期", 12),
    Col("状态", 8),
    Col("整改材料", 30),
]


def export_reviews(
    db: Database, year: int, out: Path | str, *, as_of: dt.date | None = None
) -> Path:
    as_of = as_of or dt.date.today()
    svc = ReviewService(db)
    pairs = svc.reviews(year)
    sample = svc.sample(year)
    if not pairs and sample is None:
        raise UserError(f"{year} 年没有抽样和评查记录")
    how = {
        e.case_no: ("人工添加" if e.manual else "随机抽取")
        for e in (sample.entries if sample else [])
    }
    with db.session() as s:
        info = form_info(s, as_of)
    rows: list[list[Any]] = []
    defects: list[list[Any]] = []
    for c, r in pairs:
        veto = "；".join(
            f"{v}（{vi.title}）" if (vi := r.template.item(v)) else v for v in r.vetoes
        )
        rows.append(
            [
                len(rows) + 1,
                c.case_no,
                c.cause,
                c.category,
                c.domain,
                c.party,
                c.officers,
                how.get(c.case_no, "未在样本中"),
                r.reviewer,
                r.reviewed_on,
                r.score,
                veto,
                r.grade,
                r.remarks,
            ]
        )
        for item in r.template.items:
            sc = r.items.get(item.code)
            if isinstance(item, Item) and sc and sc.score is not None and sc.score < item.points:
                defects.append(
                    [
                        len(defects) + 1,
                        c.case_no,
                        item.code,
                        item.title,
                        item.points,
                        sc.score,
                        item.points - sc.score,
                        sc.remark,
                    ]
                )
    # files drawn but not yet reviewed
    reviewed = {c.case_no for c, _ in pairs}
    for e in sample.entries if sample else []:
        if e.case_no not in reviewed:
            rows.append(
                [
                    len(rows) + 1,
                    e.case_no,
                    e.cause,
                    e.category,
                    "",
                    e.party,
                    "",
                    "人工添加" if e.manual else "随机抽取",
                    "",
                    None,
                    None,
                    "",
                    "未评查",
                    "",
                ]
            )
    note = ""
    if sample:
        note = (
            f"样本于{cn_date(sample.drawn_on)}随机抽取，每类案件至少{sample.per_category}件"
            f"（不足{sample.per_category}件的全部抽取），共{len(sample.entries)}件。"
        )
    rects: list[list[Any]] = []
    for x in svc.rectifications(year):
        state = "已完成" if x.done_on else ("逾期" if x.due_on and x.due_on < as_of else "整改中")
        rects.append(
            [
                len(rects) + 1,
                x.case_no,
                x.item_code,
                x.problem,
                x.assignee,
                x.due_on,
                x.done_on,
                state,
                x.evidence,
            ]
        )
    with StreamWorkbook(out) as wb:
        wb.add_form_sheet(
            "评查结果",
            f"{info.unit}{year}年度行政执法案卷评查结果",
            info,
            RESULT_COLS,
            rows,
            note=note,
        )
        wb.add_form_sheet("扣分明细", f"{year}年度案卷评查扣分明细", info, DEFECT_COLS, defects)
        wb.add_form_sheet("整改台账", f"{year}年度案卷评查整改台账", info, RECT_COLS, rects)
    return Path(out)
