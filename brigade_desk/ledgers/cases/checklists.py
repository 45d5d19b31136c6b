"""Checklist templates for the case-file review: data in ``brigade_desk/resources/checklists/*.json``, versioned.

A template version is immutable once stored: the shipped files are copied into the database on
first use (``ensure_templates``), and editing a template in the program stores the next version.
A review keeps the code and version it was scored with, so old results stay readable after the
template changes.

Shape::

    {"code": "case_review", "version": 2, "name": "…", "issued": "2026-01-01", "note": "…",
     "sections": [{"code": "A", "title": "卷面/文书",
                   "items": [{"code": "A1", "title": "…", "points": 3, "deductions": ["…"]}]}],
     "veto": [{"code": "V1", "title": "…"}]}
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brigade_desk.core import paths
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.ledgers.cases.models import ChecklistTemplate


@dataclass(frozen=True)
class Item:
    code: str
    title: str
    points: Decimal
    deductions: tuple[str, ...]
    section: str


@dataclass(frozen=True)
class Veto:
    code: str
    title: str


@dataclass(frozen=True)
class Template:
    code: str
    version: int
    name: str
    issued: str
    note: str
    sections: tuple[tuple[str, str, tuple[Item, ...]], ...]  # (code, title, items)
    veto: tuple[Veto, ...]
    body: dict[str, Any]

    @property
    def items(self) -> list[Item]:
        return [i for _, _, items in self.sections for i in items]

    @property
    def total(self) -> Decimal:
        return sum((i.points for i in self.items), Decimal(0))

    def item(self, code: str) -> Item | Veto | None:
        for i in self.items:
            if i.code == code:
                return i
        for v in self.veto:
            if v.code == code:
                return v
        return None

    @property
    def label(self) -> str:
        """The name with its version, for the clerk's screens (which version a review used)."""
        return f"{self.name}（第{self.version}版）"

    @property
    def form_label(self) -> str:
        """The name printed on forms sent upward: no internal version number."""
        return self.name


def parse_template(body: dict[str, Any]) -> Template:
    """Validate a template body; raises ValidationError naming what is wrong."""
    errs: dict[str, str] = {}
    code = str(body.get("code", "")).strip()
    if not code:
        errs["code"] = "模板代码不能为空"
    try:
        version = int(body.get("version", 0))
    except (TypeError, ValueError):
        version = 0
    if version < 1:
        errs["version"] = "版本号应为正整数"
    name = str(body.get("name", "")).strip() or "案卷评查表"
    sections: list[tuple[str, str, tuple[Item, ...]]] = []
    seen: set[str] = set()
    for si, sec in enumerate(body.get("sections") or [], start=1):
        items: list[Item] = []
        stitle = str(sec.get("title", "")).strip()
        if not stitle:
            errs.setdefault("sections", f"第 {si} 部分缺少标题")
        for it in sec.get("items") or []:
            icode = str(it.get("code", "")).strip()
            ititle = str(it.get("title", "")).strip()
            try:
                pts = Decimal(str(it.get("points")))
            except Exception:
                pts = Decimal(-1)
            if not icode or icode in seen:
                errs.setdefault("items", f"评查项目代码「{icode}」为空或重复")
            if not ititle:
                errs.setdefault("items", f"评查项目 {icode} 缺少内容")
            if not pts.is_finite() or pts <= 0:
                errs.setdefault("items", f"评查项目 {icode} 的分值应为正数")
            seen.add(icode)
            items.append(
                Item(icode, ititle, pts, tuple(str(d) for d in it.get("deductions") or []), stitle)
            )
        if not items:
            errs.setdefault("sections", f"“{stitle}”部分没有评查项目")
        sections.append((str(sec.get("code", si)), stitle, tuple(items)))
    if not sections:
        errs["sections"] = "模板没有任何评查项目"
    vetoes: list[Veto] = []
    for v in body.get("veto") or []:
        vcode = str(v.get("code", "")).strip()
        if not vcode or vcode in seen:
            errs.setdefault("veto", f"否决项代码「{vcode}」为空或重复")
        seen.add(vcode)
        vetoes.append(Veto(vcode, str(v.get("title", "")).strip()))
    if errs:
        raise ValidationError(errs)
    return Template(
        code,
        version,
        name,
        str(body.get("issued", "")),
        str(body.get("note", "")),
        tuple(sections),
        tuple(vetoes),
        body,
    )


def resource_templates() -> list[dict[str, Any]]:
    """Every shipped template version (package data, read through importlib.resources)."""
    folder = paths.resources().joinpath("checklists")
    out = []
    for p in sorted(
        (f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name
    ):
        try:
            body = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise UserError(f"评查表模板文件 {p.name} 无法读取：{exc}") from exc
        parse_template(body)
        out.append(body)
    return out


def ensure_templates(s: Session, today: dt.date | None = None) -> None:
    """Copy shipped template versions the database does not have yet (never overwrite)."""
    have = {
        (r[0], r[1]) for r in s.execute(select(ChecklistTemplate.code, ChecklistTemplate.version))
    }
    for body in resource_templates():
        key = (body["code"], int(body["version"]))
        if key not in have:
            s.add(
                ChecklistTemplate(
                    code=key[0],
                    version=key[1],
                    name=body.get("name", ""),
                    body=body,
                    source="resource",
                    created_on=today or dt.date.today(),
                )
            )
            have.add(key)
    s.flush()


def get_template(s: Session, code: str, version: int | None = None) -> Template:
    ensure_templates(s)
    q = select(ChecklistTemplate).where(ChecklistTemplate.code == code)
    q = (
        q.where(ChecklistTemplate.version == version)
        if version is not None
        else q.order_by(ChecklistTemplate.version.desc())
    )
    row = s.scalars(q.limit(1)).first()
    if row is None:
        which = f"第 {version} 版" if version is not None else ""
        raise UserError(f"找不到评查表模板“{code}”{which}")
    return parse_template(row.body)


def versions(s: Session, code: str) -> list[tuple[int, str, str, dt.date]]:
    ensure_templates(s)
    rows = s.execute(
        select(
            ChecklistTemplate.version,
            ChecklistTemplate.name,
            ChecklistTemplate.source,
            ChecklistTemplate.created_on,
        )
        .where(ChecklistTemplate.code == code)
        .order_by(ChecklistTemplate.version)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def save_new_version(s: Session, body: dict[str, Any], today: dt.date | None = None) -> Template:
    """Store an edited template as the next version of its code (older versions stay untouched)."""
    ensure_templates(s)
    body = json.loads(json.dumps(body, ensure_ascii=False))
    code = str(body.get("code", "")).strip()
    latest = (
        s.scalar(select(func.max(ChecklistTemplate.version)).where(ChecklistTemplate.code == code))
        or 0
    )
    body["version"] = int(latest) + 1
    body.setdefault("issued", (today or dt.date.today()).isoformat())
    t = parse_template(body)
    s.add(
        ChecklistTemplate(
            code=t.code,
            version=t.version,
            name=t.name,
            body=body,
            source="edited",
            created_on=today or dt.date.today(),
        )
    )
    s.flush()
    return t
