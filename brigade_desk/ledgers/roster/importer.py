"""Import the roster the clerk keeps in Excel today (花名册 / 执法证件台账).

One row per person, with at most one certificate on the row. People are matched by ID number:
re-importing updates them and never duplicates. What is written when rows are invalid (all or
nothing, or ``skip_invalid``) is the shared policy of ``core.tabular.policy``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select

from brigade_desk.core.db import Database
from brigade_desk.core.errors import RowError
from brigade_desk.core.tabular import read as t
from brigade_desk.core.tabular.policy import CheckedRow, Written, run_import
from brigade_desk.core.tabular.result import ImportResult
from brigade_desk.ledgers.roster.models import (
    CertAction,
    Certificate,
    CertificateEvent,
    CertStatus,
    Staff,
    StaffCategory,
    StaffEvent,
    StaffStatus,
)
from brigade_desk.ledgers.roster.service import CertInput, StaffInput, validate_cert, validate_staff

COLUMNS = [
    t.Column("name", "姓名", ("姓 名", "名字", "人员姓名", "执法人员姓名"), required=True),
    t.Column("sex", "性别"),
    t.Column(
        "id_number",
        "身份证号",
        ("身份证号码", "公民身份号码", "身份证", "证件号码", "公民身份证号"),
        required=True,
    ),
    t.Column("squad", "中队", ("所属中队", "所在中队", "科室中队", "部门")),
    t.Column("post", "职务", ("岗位", "职务岗位", "职务/岗位", "职务职级")),
    t.Column("category", "人员类别", ("类别", "人员性质", "身份类别")),
    t.Column("is_legal_reviewer", "是否法制审核人员", ("法制审核人员", "法制审核")),
    t.Column("is_front_line", "是否一线", ("一线", "是否一线执法", "一线执法人员")),
    t.Column("status", "在岗状态", ("状态", "人员状态", "在岗情况")),
    t.Column("status_date", "状态变更日期", ("变更日期", "离岗日期", "状态日期")),
    t.Column("bodycam_no", "执法记录仪编号", ("记录仪编号", "执法记录仪", "执法记录仪号")),
    t.Column("phone", "联系电话", ("电话", "手机", "手机号", "手机号码", "联系方式")),
    t.Column("notes", "备注"),
    t.Column(
        "cert_no", "执法证号", ("执法证件号", "执法证件号码", "证号", "执法证编号", "执法证件编号")
    ),
    t.Column("issuer", "发证机关", ("发证单位", "颁发机关")),
    t.Column("issue_date", "发证日期", ("发证时间", "领证日期")),
    t.Column("valid_to", "有效期至", ("有效期", "证件有效期", "有效截止日期", "有效期截止")),
    t.Column("national_format", "是否全国统一证件", ("全国统一证件", "全国统一", "统一证件")),
    t.Column("cert_status", "证件状态", ("执法证状态",)),
]

CATEGORY = {
    "执法人员": "执法人员",
    "执法": "执法人员",
    "在编执法人员": "执法人员",
    "行政执法人员": "执法人员",
    "执法辅助人员": "执法辅助人员",
    "辅助人员": "执法辅助人员",
    "辅警": "执法辅助人员",
    "协管员": "执法辅助人员",
    "辅助": "执法辅助人员",
    "辅助执法人员": "执法辅助人员",
    "执法辅助": "执法辅助人员",
    "辅助执法": "执法辅助人员",
    "执法辅助人员辅警": "执法辅助人员",
}
STATUS = {s.value: s.value for s in StaffStatus} | {
    "在职": "在岗",
    "离职": "离岗",
    "调出": "调离",
    "已退休": "退休",
}
CERT_STATUS = {s.value: s.value for s in CertStatus} | {
    "正常": "有效",
    "已注销": "注销",
    "已收回": "收回",
}
SEX = {"男": "男", "女": "女", "m": "男", "f": "女"}

# longest text each column may hold (the model's column sizes; name is checked by validate_staff)
MAX_LEN = {
    "squad": 50,
    "post": 50,
    "bodycam_no": 50,
    "phone": 30,
    "notes": 2000,
    "cert_no": 50,
    "issuer": 100,
}
# the columns that find or name a record: an invisible character in them is refused (at either
# end a zero-width one is removed); the others are free text (core.textclean)
KEY_COLUMNS = frozenset({"name", "id_number", "squad", "bodycam_no", "phone", "cert_no"})
STAFF_TO_COL = {f.name: f.name for f in fields(StaffInput)}
CERT_TO_COL = {
    "cert_no": "cert_no",
    "issuer": "issuer",
    "issue_date": "issue_date",
    "valid_to": "valid_to",
    "national_format": "national_format",
    "status": "cert_status",
}


@dataclass
class ParsedRow:
    row: t.Row
    staff: StaffInput
    present: set[str]  # staff fields present in the file
    cert: CertInput | None
    cert_present: set[str]


def _parse(row: t.Row, errors: list[RowError]) -> ParsedRow | None:
    before = len(errors)
    t.check_cells(row, errors, KEY_COLUMNS)  # #REF!, invisible characters: every column
    if len(errors) > before:
        return None
    t.check_lengths(row, MAX_LEN, errors)
    if len(errors) > before:
        return None
    present = set(row.headers)
    # "无" / "/" where there is none (a 辅助人员's certificate columns …)
    for key in (*CERT_TO_COL.values(), "bodycam_no", "phone", "status_date"):
        if t.empty_mark(row.values.get(key)):
            row.note(key, f"「{t.text(row.values[key])}」视为空")
            row.values[key] = None
    v = row.values
    st = StaffInput(
        name=t.text(v.get("name")),
        id_number=t.cell(row, "id_number", t.parse_id_number, errors) or "",
        squad=t.text(v.get("squad")),
        post=t.text(v.get("post")),
        bodycam_no=t.text(v.get("bodycam_no")),
        phone=t.text(v.get("phone")),
        notes=t.text(v.get("notes")),
    )
    if t.text(v.get("sex")):
        st.sex = t.cell(row, "sex", lambda x: t.parse_choice(x, SEX, "性别"), errors) or ""
    if "category" in present and t.text(v.get("category")):
        st.category = (
            t.cell(row, "category", lambda x: t.parse_choice(x, CATEGORY, "人员类别"), errors)
            or st.category
        )
    if "status" in present and t.text(v.get("status")):
        st.status = (
            t.cell(row, "status", lambda x: t.parse_choice(x, STATUS, "在岗状态"), errors)
            or st.status
        )
    st.status_date = t.cell(row, "status_date", t.parse_date, errors)
    st.is_legal_reviewer = bool(
        t.cell(row, "is_legal_reviewer", lambda x: t.parse_bool(x, False), errors)
    )
    fl = t.cell(row, "is_front_line", lambda x: t.parse_bool(x, True), errors)
    st.is_front_line = True if fl is None else bool(fl)
    if len(errors) == before:
        id_ok = bool(st.id_number)
        for k, msg in validate_staff(st).items():
            if k == "id_number" and not id_ok:
                continue
            errors.append(row.error(STAFF_TO_COL[k] if k in present else "name", msg))
    cert: CertInput | None = None
    cert_present = {k for k, col in CERT_TO_COL.items() if col in present}
    cert_no = t.text(v.get("cert_no"))
    if cert_no:
        cert = CertInput(cert_no=cert_no, issuer=t.text(v.get("issuer")))
        cert.issue_date = t.cell(row, "issue_date", t.parse_date, errors)
        cert.valid_to = t.cell(row, "valid_to", t.parse_date, errors)
        nf = t.cell(row, "national_format", lambda x: t.parse_bool(x, True), errors)
        cert.national_format = True if nf is None else bool(nf)
        if t.text(v.get("cert_status")):
            cert.status = (
                t.cell(
                    row, "cert_status", lambda x: t.parse_choice(x, CERT_STATUS, "证件状态"), errors
                )
                or cert.status
            )
        for k, msg in validate_cert(cert).items():
            col = CERT_TO_COL[k]
            if any(e.row == row.row and e.column == row.headers.get(col) for e in errors[before:]):
                continue
            errors.append(row.error(col, msg))
        if st.category == StaffCategory.AUXILIARY:
            errors.append(row.error("cert_no", "执法辅助人员不能持有执法证件"))
    else:
        if any(t.text(v.get(k)) for k in ("issue_date", "valid_to", "issuer")):
            errors.append(row.error("cert_no", "填写了证件信息但缺少执法证号"))
            for k in (
                "issue_date",
                "valid_to",
            ):  # a wrong date in the same row is named now, not later
                if t.text(v.get(k)):
                    t.cell(row, k, t.parse_date, errors)
    if len(errors) > before:
        return None
    return ParsedRow(row, st, present & set(STAFF_TO_COL), cert, cert_present)


def import_staff(
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
    checked: list[CheckedRow[ParsedRow]] = []
    seen_id: dict[str, t.Row] = {}
    seen_cert: dict[str, t.Row] = {}
    for row in t.iter_rows(tables):
        if t.is_footer(row, "id_number"):  # 合计 / 制表人 lines under the list
            info.notes.append(t.footer_note(row))
            continue
        row_errs: list[RowError] = []
        p = _parse(row, row_errs)
        if p is not None:
            prev = seen_id.get(p.staff.id_number)
            if prev is not None:
                row_errs.append(
                    row.error("id_number", f"身份证号与工作表「{prev.sheet}」第 {prev.row} 行重复")
                )
            elif p.cert and p.cert.cert_no in seen_cert:
                pr = seen_cert[p.cert.cert_no]
                row_errs.append(
                    row.error("cert_no", f"执法证号与工作表「{pr.sheet}」第 {pr.row} 行重复")
                )
        if not row_errs:
            assert p is not None
            seen_id[p.staff.id_number] = row
            if p.cert:
                seen_cert[p.cert.cert_no] = row
        checked.append(CheckedRow(row.sheet, row.row, None if row_errs else p, row_errs, row.notes))

    with db.session() as s, s.no_autoflush:
        # one query per 500 rows, not one per row (10,000 rows took minutes row by row)
        certs = _by_key(
            s,
            Certificate,
            Certificate.cert_no,
            [c.value.cert.cert_no for c in checked if c.value and c.value.cert],
        )
        # certificate numbers owned by someone else in the database
        for c in checked:
            p = c.value
            if p is None or p.cert is None:
                continue
            owned = certs.get(p.cert.cert_no)
            if owned is not None and owned.staff.id_number != p.staff.id_number:
                c.errors.append(
                    p.row.error(
                        "cert_no", f"执法证号 {p.cert.cert_no} 已登记给“{owned.staff.name}”"
                    )
                )

        def write(rows: list[ParsedRow], dry_run: bool) -> Written:
            people = _by_key(s, Staff, Staff.id_number, [p.staff.id_number for p in rows])
            created = updated = 0
            for p in rows:
                existing = people.get(p.staff.id_number)
                if existing is None:
                    created += 1
                else:
                    updated += 1
                if not dry_run:  # a dry run only counts (writing 10,000 people takes seconds)
                    _apply(s, existing, p, today, certs)
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


_M = TypeVar("_M")


def _by_key(s: object, model: type[_M], column: Any, keys: list[str]) -> dict[str, _M]:
    """Rows of ``model`` whose ``column`` is one of ``keys``, by that key (queried 500 at a time)."""
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    found: dict[str, _M] = {}
    uniq = sorted(set(keys))
    for i in range(0, len(uniq), 500):
        for obj in s.scalars(select(model).where(column.in_(uniq[i : i + 500]))):
            found[getattr(obj, column.key)] = obj
    return found


def _apply(
    s: object, existing: Staff | None, p: ParsedRow, today: dt.date, certs: dict[str, Certificate]
) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    if existing is None:
        st = Staff(**{f.name: getattr(p.staff, f.name) for f in fields(StaffInput)})
        if st.status != StaffStatus.ON_DUTY and st.status_date is None:
            st.status_date = today
        s.add(st)
        st.events.append(
            StaffEvent(date=today, what=f"由 Excel 导入（{st.category}，{st.status}）")
        )
    else:
        st = existing
        old_status = st.status
        for name in p.present | {"name", "id_number"}:
            if name == "sex" and not p.staff.sex:
                continue
            setattr(st, name, getattr(p.staff, name))
        if p.staff.sex:
            st.sex = p.staff.sex
        if st.status != old_status:
            if st.status_date is None or "status_date" not in p.present:
                st.status_date = p.staff.status_date or today
            st.events.append(
                StaffEvent(
                    date=st.status_date, what=f"在岗状态：{old_status} → {st.status}（Excel 导入）"
                )
            )
    if p.cert is None:
        return
    c = certs.get(p.cert.cert_no)
    if c is None:
        c = Certificate(staff=st, **{f.name: getattr(p.cert, f.name) for f in fields(CertInput)})
        s.add(c)
        certs[c.cert_no] = c
        c.events.append(
            CertificateEvent(
                date=p.cert.issue_date or today, action=CertAction.ISSUE, reason="由 Excel 导入"
            )
        )
    else:
        changes = []
        for name in p.cert_present:
            old, new = getattr(c, name), getattr(p.cert, name)
            if old != new:
                changes.append(f"{name}: {old} → {new}")
                setattr(c, name, new)
        if changes:
            c.events.append(
                CertificateEvent(
                    date=today,
                    action=CertAction.EDIT,
                    reason="Excel 导入更新：" + "；".join(changes),
                )
            )


def write_template(out: Path | str) -> Path:
    """A blank import template (导入模板) with the recognised headers and one example row."""
    from brigade_desk.core.forms.xlsxform import StreamWorkbook

    headers = [c.label for c in COLUMNS]
    example = [
        "张三",
        "男",
        "630102198503150011",
        "一中队",
        "队员",
        "执法人员",
        "否",
        "是",
        "在岗",
        None,
        "JL-001",
        "13800000000",
        "",
        "63010020001",
        "青海省人民政府",
        "2021-03-05",
        "2027-03-04",
        "是",
        "有效",
    ]
    choices = {
        "F": "执法人员,执法辅助人员",
        "I": "在岗,离岗,调离,退休",
        "G": "是,否",
        "H": "是,否",
        "R": "是,否",
        "S": "有效,暂扣,收回,注销,待换发",
        "B": "男,女",
    }
    with StreamWorkbook(out) as wb:
        wb.add_table_sheet(
            "花名册",
            headers,
            [example],
            [max(10, len(h) * 2.2) for h in headers],
            text_columns=[2],  # the ID column must be text so Excel keeps all 18 digits
            text_rows=1000,
            choices={ord(col) - ord("A"): listed for col, listed in choices.items()},
            choice_rows=1000,
        )
        wb.add_text_sheet(
            "填写说明",
            (
                "1. 每行一人；表头可以放在前 10 行内任意一行，上方可有标题和“填报单位”行。",
                "2. 身份证号列请保持“文本”格式，否则 Excel 会丢失末几位。",
                "3. 日期可写 2021-03-05、2021/3/5、2021.3.5 或 2021年3月5日。",
                "4. 执法辅助人员不填写执法证号。再次导入同一人（按身份证号）会更新而不是重复添加。",
            ),
            100,
        )
    return Path(out)
