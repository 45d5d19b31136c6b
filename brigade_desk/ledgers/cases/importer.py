"""Import the case list exported from the province's online case system (案件登记).

One row per case, matched by case number: re-importing updates the case (only the columns present
in the file) and never duplicates. Officers are named in one column (承办人 "张三、李四") or in
主办人 / 协办人 columns; a name may carry the certificate number in brackets to tell namesakes
apart (``张三(63010012345)``). Same behaviour as the staff import: every invalid row is reported
with sheet, row and column; without ``skip_invalid`` nothing is written if any row is invalid (the
shared policy of ``core.tabular.policy``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brigade_desk.core.db import Database
from brigade_desk.core.errors import RowError
from brigade_desk.core.tabular import read as t
from brigade_desk.core.tabular.policy import CheckedRow, Written, run_import
from brigade_desk.core.tabular.result import ImportResult
from brigade_desk.ledgers.cases.case_no import normalize as normalize_case_no
from brigade_desk.ledgers.cases.models import (
    ACTIVITIES,
    CASE_DATES,
    CaseCategory,
    CaseRecord,
    PartyType,
    Procedure,
)
from brigade_desk.ledgers.cases.service import CaseInput, validate_case, write_case
from brigade_desk.ledgers.roster.models import Staff

_DATE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "filed_on": ("立案时间", "立案日"),
    "investigated_on": ("调查终结时间", "调查终结"),
    "notified_on": ("告知时间", "处罚告知日期", "事先告知日期", "告知书送达日期"),
    "hearing_notice_on": ("听证告知时间", "听证告知"),
    "legal_review_on": ("法制审核时间", "法制审核", "审核日期"),
    "collective_on": ("集体讨论时间", "集体讨论", "集体讨论决定日期"),
    "decided_on": (
        "决定时间",
        "处罚决定日期",
        "作出决定日期",
        "决定书日期",
        "处理决定日期",
        "决定日期",
        "处罚决定作出日期",
    ),
    "served_on": ("送达时间", "决定书送达日期"),
    "executed_on": ("执行完毕时间", "执行日期", "执行完毕"),
    "closed_on": ("结案时间", "结案"),
    "reported_on": ("备案时间", "报备日期", "备案"),
    "published_on": ("公示时间", "公示", "公开日期"),
    "reconsidered_on": ("复议申请日期", "行政复议日期", "复议日期", "申请行政复议日期"),
    "sued_on": ("起诉日期", "行政诉讼日期", "诉讼日期", "提起行政诉讼日期"),
    "transferred_on": (
        "移送日期",
        "移送公安机关日期",
        "移送司法机关日期",
        "行刑衔接移送日期",
        "涉嫌犯罪移送日期",
    ),
}

COLUMNS = [
    t.Column(
        "case_no",
        "案号",
        ("案件编号", "立案编号", "案件号", "决定书文号", "处罚决定书文号", "执法文书号"),
        required=True,
    ),
    t.Column("cause", "案由", ("违法行为", "案件名称", "违法事实摘要"), required=True),
    t.Column(
        "party",
        "当事人",
        (
            "当事人名称",
            "当事人姓名",
            "被处罚人",
            "当事人姓名名称",
            "行政相对人",
            # under a merged 当事人信息 / 当事人情况 group label
            "当事人信息姓名",
            "当事人信息名称",
            "当事人信息姓名名称",
            "当事人情况姓名",
            "当事人情况名称",
            "当事人情况姓名名称",
        ),
    ),
    t.Column(
        "party_type",
        "当事人类型",
        (
            "当事人类别",
            "主体类型",
            "相对人类型",
            "当事人性质",
            "当事人信息类型",
            "当事人信息类别",
            "当事人情况类型",
        ),
    ),
    t.Column("domain", "执法门类", ("执法领域", "业务领域", "门类", "执法类型", "业务类别")),
    t.Column(
        "category", "案件类别", ("执法类别", "行为类别", "执法行为类型", "执法行为", "案件类型")
    ),
    t.Column("procedure", "适用程序", ("程序类型", "办案程序", "程序")),
    t.Column("officers", "承办人", ("执法人员", "办案人员", "承办人员", "经办人", "办案人")),
    t.Column("officer_main", "主办人", ("主办人员", "主办执法人员")),
    t.Column("officer_assist", "协办人", ("协办人员", "协办执法人员")),
    *[t.Column(k, label, _DATE_SYNONYMS.get(k, ())) for k, label in CASE_DATES.items()],
    t.Column("fine_amount", "罚款金额", ("罚款金额元", "罚款数额", "罚款元", "罚款", "罚款数额元")),
    t.Column(
        "confiscation_amount",
        "没收金额",
        ("没收违法所得", "没收违法所得金额", "没收金额元", "没收违法所得元", "没收财物金额"),
    ),
    # a province export's one amount: the fine when there are no separate 罚款 / 没收 columns
    t.Column(
        "forfeit_amount",
        "罚没金额",
        ("罚没金额元", "罚没款", "罚没款元", "罚没款金额", "罚没金额合计", "罚没款合计"),
    ),
    t.Column("is_major", "是否重大案件", ("是否重大", "重大案件", "重大")),
    t.Column("activities", "执法活动", ("强制措施", "实施的执法活动", "执法活动类型", "采取措施")),
    t.Column("notes", "备注", ("说明",)),
]

PARTY_TYPE = {
    "个人": "个人",
    "自然人": "个人",
    "公民": "个人",
    "个体": "个人",
    "个体工商户": "个人",
    "单位": "单位",
    "法人": "单位",
    "法人或其他组织": "单位",
    "其他组织": "单位",
    "企业": "单位",
    "公司": "单位",
    "组织": "单位",
}
CATEGORY = {c.value: c.value for c in CaseCategory} | {
    "处罚": "行政处罚",
    "行政强制措施": "行政强制",
    "行政强制执行": "行政强制",
    "强制": "行政强制",
    "检查": "行政检查",
    "监督检查": "行政检查",
    "许可": "行政许可",
    "行政确认": "其他",
    "行政征收": "其他",
}
PROCEDURE = {
    "简易": "简易",
    "简易程序": "简易",
    "当场": "简易",
    "当场处罚": "简易",
    "普通": "普通",
    "普通程序": "普通",
    "一般": "普通",
    "一般程序": "普通",
}
ACTIVITY_SYNONYMS = {a: a for a in ACTIVITIES} | {
    "查封": "查封扣押",
    "扣押": "查封扣押",
    "查封、扣押": "查封扣押",
    "扣押财物": "查封扣押",
    "拆除": "强制拆除",
    "强拆": "强制拆除",
    "暂扣": "暂扣车辆",
    "扣车": "暂扣车辆",
    "登记保存": "先行登记保存",
    "证据先行登记保存": "先行登记保存",
    "检查": "现场检查",
    "取证": "调查取证",
}

_SPLIT = re.compile(r"[、,，;；/\s]+")
_NAME_CERT = re.compile(r"^(?P<name>[^()（）]+?)\s*[(（]\s*(?P<cert>[^()（）]+?)\s*[)）]$")
_BARE_NUMBER = re.compile(r"^[\d.]+(e[+-]?\d+)?$", re.I)


def parse_amount(v: Any) -> Decimal | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, str):
        s = (
            t.text(v)
            .replace(",", "")
            .replace("，", "")
            .replace("元", "")
            .replace("￥", "")
            .replace("¥", "")
            .strip()
        )
        if s.endswith("万"):
            base = t.parse_decimal(s[:-1])
            return None if base is None else (base * 10000).quantize(Decimal("0.01"))
        v = s
    d = t.parse_decimal(v)
    if d is None:
        return None
    if not d.is_finite():
        raise ValueError("金额不是有效数字")
    return d.quantize(Decimal("0.01"))


def parse_activities(v: Any) -> list[str]:
    s = t.text(v)
    if not s:
        return []
    out = []
    for part in _SPLIT.split(s.replace("查封、扣押", "查封扣押")):
        if not part:
            continue
        key = ACTIVITY_SYNONYMS.get(part)
        if key is None:
            raise ValueError(f"执法活动「{t.shown(part)}」不认识（可选：{'、'.join(ACTIVITIES)}）")
        out.append(key)
    return list(dict.fromkeys(out))


class StaffIndex:
    """Looks officers up by certificate number or by (unique) name."""

    def __init__(self, s: Session) -> None:
        self.by_name: dict[str, list[int]] = {}
        self.by_cert: dict[str, int] = {}
        for p in s.scalars(select(Staff).options(selectinload(Staff.certificates))):
            self.by_name.setdefault("".join(p.name.split()), []).append(p.id)
            for c in p.certificates:
                self.by_cert[c.cert_no] = p.id

    def resolve(self, text_: str) -> list[int]:
        ids: list[int] = []
        for token in _SPLIT.split(t.text(text_)):
            if not token:
                continue
            m = _NAME_CERT.match(token)
            if m:
                sid = self.by_cert.get(m["cert"].strip())
                if sid is None:
                    raise ValueError(f"执法证号「{m['cert']}」（{m['name']}）不在花名册中")
                ids.append(sid)
                continue
            if _BARE_NUMBER.match(token):
                sid = self.by_cert.get(token)
                if sid is None:
                    raise ValueError(f"执法证号「{t.shown(token)}」不在花名册中")
                ids.append(sid)
                continue
            found = self.by_name.get(token, [])
            if not found:
                raise ValueError(f"承办人「{t.shown(token)}」不在花名册中，请先导入或登记该人员")
            if len(found) > 1:
                raise ValueError(
                    f"花名册中有 {len(found)} 个「{t.shown(token)}」，请写成“{token}(执法证号)”以区分"
                )
            ids.append(found[0])
        return list(dict.fromkeys(ids))


@dataclass
class ParsedCase:
    row: t.Row
    data: CaseInput
    present: set[str]  # CaseInput fields present in the file


_FIELD_TO_COL = {f.name: f.name for f in fields(CaseInput)} | {"officer_ids": "officers"}


# the columns that find or name a record: an invisible character in them is refused (at either
# end a zero-width one is removed); the others are free text (core.textclean)
KEY_COLUMNS = frozenset({"case_no", "party", "officers", "officer_main", "officer_assist"})

MAX_LEN = {
    "case_no": 80,
    "cause": 300,
    "party": 200,
    "domain": 20,
    "notes": 2000,
    "officers": 300,
    "officer_main": 100,
    "officer_assist": 200,
    "activities": 200,
}


def _simple_sheets(tables: list[t.SheetTable], path: Path) -> set[str]:
    """Sheets without an 适用程序 column whose title (or file name) says they list 简易程序 cases."""
    return {
        tb.sheet
        for tb in tables
        if "procedure" not in tb.headers
        and any(("简易" in x or "当场" in x) for x in (tb.sheet, tb.above, path.stem))
    }


def _forfeit_columns(tables: list[t.SheetTable], info: t.ReadInfo) -> None:
    """A 罚没金额 column beside separate 罚款 / 没收 columns repeats them: named, not imported."""
    for tb in tables:
        if "forfeit_amount" in tb.headers and (
            "fine_amount" in tb.headers or "confiscation_amount" in tb.headers
        ):
            info.ignored.append(
                t.IgnoredColumn(
                    tb.sheet,
                    tb.letters.get("forfeit_amount", ""),
                    tb.headers["forfeit_amount"],
                    "已有单独的罚款金额、没收金额列，罚没合计不另行导入",
                )
            )


def _parse(
    row: t.Row,
    staff: StaffIndex,
    errors: list[RowError],
    today: dt.date,
    *,
    simple: bool = False,
) -> ParsedCase | None:
    before = len(errors)
    t.check_cells(row, errors, KEY_COLUMNS)  # #REF!, invisible characters: every column
    if len(errors) > before:
        return None
    t.check_lengths(row, MAX_LEN, errors)
    if len(errors) > before:
        return None
    v = row.values
    present = {k for k in row.headers if k in _FIELD_TO_COL}
    d = CaseInput(
        case_no=t.text(v.get("case_no")),
        cause=t.text(v.get("cause")),
        party=t.text(v.get("party")),
        domain=t.text(v.get("domain")),
        notes=t.text(v.get("notes")),
    )
    for key, choices, label in (
        ("party_type", PARTY_TYPE, "当事人类型"),
        ("category", CATEGORY, "案件类别"),
        ("procedure", PROCEDURE, "适用程序"),
    ):
        if t.text(v.get(key)):
            val = t.cell(row, key, partial(t.parse_choice, choices=choices, label=label), errors)
            if val:
                setattr(d, key, val)
    if "party_type" not in row.headers or not t.text(v.get("party_type")):
        # no type given: an organisation's name says so
        if re.search(r"(公司|中心|合作社|厂|站|队|局|所|集团|协会)$", d.party):
            d.party_type = PartyType.ORG.value
    if "procedure" not in row.headers and d.category != CaseCategory.PENALTY:
        d.procedure = Procedure.ORDINARY.value
    elif "procedure" not in row.headers and simple:
        d.procedure = Procedure.SIMPLE.value
        present.add("procedure")
        row.note("procedure", "表中没有“适用程序”列，按表名（简易程序）认定为简易程序")
    for key in CASE_DATES:
        setattr(d, key, t.cell(row, key, t.parse_date, errors))
    d.fine_amount = t.cell(row, "fine_amount", parse_amount, errors)
    if (
        "forfeit_amount" in row.headers
        and "fine_amount" not in row.headers
        and "confiscation_amount" not in row.headers
    ):
        d.fine_amount = t.cell(row, "forfeit_amount", parse_amount, errors)
        if d.fine_amount is not None:
            row.note(
                "forfeit_amount",
                f"罚没金额 {d.fine_amount:,} 元按罚款金额导入（表中没有单独的罚款、没收金额列）",
            )
        present.add("fine_amount")
    d.confiscation_amount = t.cell(row, "confiscation_amount", parse_amount, errors)
    d.is_major = bool(t.cell(row, "is_major", lambda x: t.parse_bool(x, False), errors))
    d.activities = t.cell(row, "activities", parse_activities, errors) or []
    officer_ids: list[int] = []
    for key in ("officers", "officer_main", "officer_assist"):
        if t.text(v.get(key)):
            officer_ids += t.cell(row, key, staff.resolve, errors) or []
    d.officer_ids = list(dict.fromkeys(officer_ids))
    if {"officer_main", "officer_assist"} & row.headers.keys():
        present.add("officers")
    if "officers" in present:
        present.add("officer_ids")
    if len(errors) == before:
        for k, msg in validate_case(d, today).items():
            col = _FIELD_TO_COL.get(k, k)
            if col == "officers" and col not in row.headers:
                col = "officer_main" if "officer_main" in row.headers else "case_no"
            errors.append(row.error(col if col in row.headers else "case_no", msg))
    if len(errors) > before:
        return None
    return ParsedCase(row, d, present)


def _is_footer(row: t.Row) -> bool:
    return t.is_footer(row, "case_no")


def import_cases(
    db: Database,
    path: Path | str,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    today: dt.date | None = None,
) -> ImportResult:
    today = today or dt.date.today()
    info = t.ReadInfo()
    tables, structural = t.read_tables(Path(path), COLUMNS, info)
    checked: list[CheckedRow[ParsedCase]] = []
    seen: dict[str, t.Row] = {}
    with db.session() as s:
        staff = StaffIndex(s)
        simple = _simple_sheets(tables, Path(path))
        _forfeit_columns(tables, info)
        for row in t.iter_rows(tables):
            if _is_footer(row):
                info.notes.append(t.footer_note(row))
                continue
            row_errs: list[RowError] = []
            p = _parse(row, staff, row_errs, today, simple=row.sheet in simple)
            case_no = normalize_case_no(t.text(row.values.get("case_no")))
            prev = seen.get(case_no)
            if prev is not None:
                row_errs.append(
                    row.error("case_no", f"案号与工作表「{prev.sheet}」第 {prev.row} 行重复")
                )
            elif case_no:
                seen[case_no] = row
            checked.append(
                CheckedRow(row.sheet, row.row, None if row_errs else p, row_errs, row.notes)
            )

        def write(rows: list[ParsedCase], dry_run: bool) -> Written:
            existing = {
                c.case_no: c
                for c in s.scalars(
                    select(CaseRecord)
                    .options(selectinload(CaseRecord.officers))
                    .where(CaseRecord.case_no.in_([p.data.case_no for p in rows]))
                )
            }
            created = updated = 0
            for p in rows:
                c = existing.get(p.data.case_no)
                if c is None:
                    created += 1
                    if not dry_run:  # a dry run only counts
                        c = CaseRecord()
                        write_case(s, c, p.data)
                        s.add(c)
                else:
                    updated += 1
                    if not dry_run:
                        _update(s, c, p)
            return Written(created, updated)

        return run_import(
            s,
            checked,
            write,
            structural=structural,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            info=info,
        )


def _update(s: Session, c: CaseRecord, p: ParsedCase) -> None:
    for name in p.present:
        if name == "officer_ids":
            c.officers = list(s.scalars(select(Staff).where(Staff.id.in_(p.data.officer_ids))))
        elif name != "officers":
            setattr(c, name, getattr(p.data, name))


def write_template(out: Path | str) -> Path:
    """A blank import template with the recognised headers and one example row."""
    from brigade_desk.core.forms.xlsxform import StreamWorkbook

    keys = [c for c in COLUMNS if c.key not in ("officer_main", "officer_assist")]
    example = {
        "case_no": "乐交执罚〔2025〕12号",
        "cause": "未取得道路运输经营许可擅自从事道路运输经营",
        "party": "某某运输有限公司",
        "party_type": "单位",
        "domain": "道路运政",
        "category": "行政处罚",
        "procedure": "普通",
        "officers": "张三、李四(63010020001)",
        "filed_on": "2025-03-05",
        "decided_on": "2025-04-20",
        "fine_amount": 30000,
        "is_major": "否",
        "activities": "暂扣车辆",
    }
    with StreamWorkbook(out) as wb:
        wb.add_table_sheet(
            "案件登记",
            [c.label for c in keys],
            [[example.get(c.key) for c in keys]],
            [max(10, len(c.label) * 2.2) for c in keys],
        )
        wb.add_text_sheet(
            "填写说明",
            (
                "1. 每行一个案件，按案号识别；再次导入同一案号会更新而不是重复添加。",
                "2. 承办人写花名册中的姓名，多人用顿号分隔；有重名的写成“姓名(执法证号)”。",
                "3. 日期可写 2025-03-05、2025/3/5、2025.3.5 或 2025年3月5日；金额可写 30000 或 3万。",
                f"4. 执法活动可填：{'、'.join(ACTIVITIES)}，多项用顿号分隔。",
            ),
            100,
        )
    return Path(out)


__all__ = ["COLUMNS", "import_cases", "write_template"]
