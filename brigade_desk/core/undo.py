"""Undo a delete: the deleted rows come back from the audit trail, exactly as they were.

Every ORM delete writes an ``audit_log`` entry holding the row's full state (and a record's
many-to-many links, e.g. a case's officers). :func:`deleting` notes which entries a delete wrote;
:func:`undo` puts those rows back with their old ids, parents before children, in one transaction
(itself recorded in the trail as new entries). When something now stands in the way — the same case
number was entered again, a linked person was deleted since — nothing is restored and the clerk is
told why.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import JSON, Table, func, inspect, select
from sqlalchemy.exc import IntegrityError

from brigade_desk.core.changes import Changes
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.models.audit import AuditEntry
from brigade_desk.models import Base


@dataclass(frozen=True)
class DeletedBatch:
    label: str  # what the clerk deleted, for the menu: "人员 张三"
    what: Changes  # the ledger it belongs to (Changes.STAFF, Changes.CASES …)
    after_id: int  # the entries after this one …
    last_id: int  # … up to this one were written by the delete


def _last_id(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.max(AuditEntry.id))) or 0)


@contextmanager
def deleting(db: Database, label: str, what: Changes = Changes.ALL) -> Iterator[list[DeletedBatch]]:
    """``with deleting(db, "人员 张三", Changes.STAFF) as got: service.delete(...)`` — afterwards ``got``
    holds the batch to undo (empty when nothing was deleted)."""
    got: list[DeletedBatch] = []
    before = _last_id(db)
    yield got
    after = _last_id(db)
    if after > before:
        got.append(DeletedBatch(label, what, before, after))


def _mappers() -> dict[str, Any]:
    # a declarative model's local_table is a Table (typed as any FromClause)
    return {cast(Table, m.local_table).name: m for m in Base.registry.mappers}


def _value(col: Any, v: Any) -> Any:
    """A value as the trail stored it (JSON), back in the column's Python type."""
    if v is None or isinstance(col.type, JSON):
        return v
    try:
        py = col.type.python_type
    except NotImplementedError:
        return v
    if py is dt.datetime and isinstance(v, str):
        return dt.datetime.fromisoformat(v)
    if py is dt.date and isinstance(v, str):
        return dt.date.fromisoformat(v)
    if py is Decimal:
        return Decimal(str(v))
    if py is bool:
        return bool(v)
    return v


def undo(db: Database, batch: DeletedBatch) -> int:
    """Put back what ``batch`` deleted; returns how many rows came back."""
    mappers = _mappers()
    order = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}
    with db.begin() as s:
        entries = s.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.id > batch.after_id,
                AuditEntry.id <= batch.last_id,
                AuditEntry.action == "delete",
            )
            .order_by(AuditEntry.id)
        ).all()
        if not entries:
            raise UserError("没有可以撤销的删除。")
        rows = sorted(
            ((order.get(e.table_name, 999), e.id, e) for e in entries), key=lambda x: (x[0], x[1])
        )
        links: list[tuple[Any, str, list[str]]] = []
        for _o, _i, e in rows:
            m = mappers.get(e.table_name)
            if m is None:
                continue
            state = json.loads(e.before or "{}")
            obj = m.class_()
            cols = {c.columns[0].name: c for c in m.column_attrs}
            for name, v in state.items():
                attr = cols.get(name)
                if attr is not None:
                    setattr(obj, attr.key, _value(attr.columns[0], v))
                elif name in m.relationships and m.relationships[name].secondary is not None:
                    links.append((obj, name, list(v or [])))
            if s.get(m.class_, inspect(m).primary_key_from_instance(obj)) is not None:
                raise UserError(
                    f"无法撤销删除“{batch.label}”：原来的记录编号已被后来新增的记录使用。"
                )
            s.add(obj)
            try:
                s.flush()
            except IntegrityError as exc:
                raise UserError(
                    f"无法撤销删除“{batch.label}”：数据已被后来的修改占用（例如编号已被重新使用）。"
                ) from exc
        for obj, name, labels in links:
            rel = inspect(obj).mapper.relationships[name]
            target = rel.mapper.class_
            found = []
            for label in labels:
                other = s.get(target, int(label.rsplit("#", 1)[-1]))
                if other is None:
                    raise UserError(
                        f"无法撤销删除“{batch.label}”：关联的 {label.rsplit('#', 1)[0]} 已被删除。"
                    )
                found.append(other)
            setattr(obj, name, found)
        s.flush()
        return len(rows)
