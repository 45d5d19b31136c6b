"""``audit.append_bulk``: rows written with Core executemany are recorded exactly as the ORM
listeners record them, in the same hash chain, in the writer's transaction."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, bindparam, delete, insert, select, update

from brigade_desk.core import audit
from brigade_desk.core.db import Database
from brigade_desk.core.models.holidays import OfficialDay, OfficialYear
from tests.conftest import fresh_db, query

DAYS = [
    (dt.date(2027, 1, 1), False, "元旦"),
    (dt.date(2027, 2, 6), True, "春节调休"),
    (dt.date(2027, 2, 7), False, "春节"),
    (dt.date(2027, 2, 8), False, "春节"),
]
DAY = OfficialDay.__table__
assert isinstance(DAY, Table)


def _state(d: dt.date, workday: bool, name: str) -> dict[str, Any]:
    return {"date": d, "year": 2027, "is_workday": workday, "name": name}


def _with_year(db: Database) -> None:
    with db.begin() as s:
        s.add(OfficialYear(year=2027, source="国办发明电", entered_on=dt.date(2026, 11, 1)))


def _orm_days(db: Database) -> None:
    with db.begin() as s:
        for d, w, n in DAYS:
            s.add(OfficialDay(date=d, year=2027, is_workday=w, name=n))


def _bulk_days(db: Database) -> int:
    with db.begin() as s:
        rows = [_state(*x) for x in DAYS]
        s.connection().execute(insert(DAY), rows)
        return audit.append_bulk(s, "official_day", "create", ((r["date"], None, r) for r in rows))


def _entries(db: Database) -> list[tuple[str, str, str, str | None, str | None]]:
    return [
        tuple(r)
        for r in query(
            db,
            "SELECT action, table_name, record_id, before, after FROM audit_log"
            " WHERE table_name = 'official_day' ORDER BY record_id, id",
        )
    ]


def _chain(db: Database) -> list[tuple[int, str, str, str]]:
    return [
        tuple(r) for r in query(db, "SELECT id, at, prev_hash, hash FROM audit_log ORDER BY id")
    ]


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Database, Database]:
    a, b = fresh_db(tmp_path / "orm.sqlite"), fresh_db(tmp_path / "bulk.sqlite")
    for d in (a, b):
        _with_year(d)
    yield a, b
    a.close()
    b.close()


def test_bulk_create_is_recorded_as_the_orm_records_it(pair: tuple[Database, Database]) -> None:
    orm, bulk = pair
    _orm_days(orm)
    assert _bulk_days(bulk) == len(DAYS)
    assert _entries(bulk) == _entries(orm)
    assert [e[2] for e in _entries(bulk)] == [d.isoformat() for d, _w, _n in DAYS]
    for db in pair:
        res = audit.verify_database(db)
        assert res.ok and res.entries == 1 + len(DAYS) and res.records == 1 + len(DAYS)
    # one chain: consecutive ids, each entry linked to the one before, times stored alike
    chain = _chain(bulk)
    assert [c[0] for c in chain] == list(range(1, len(chain) + 1))
    assert all(chain[i][2] == chain[i - 1][3] for i in range(1, len(chain)))
    assert chain[0][2] == audit.GENESIS
    shape = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")  # as the DateTime column stores it
    if bulk.server:  # a timestamp column: whole seconds, as the ORM's
        assert all(c[1].microsecond == 0 for c in chain + _chain(orm))
    else:
        assert all(shape.match(c[1]) for c in chain + _chain(orm))


def test_bulk_update_and_delete_match_the_orm(pair: tuple[Database, Database]) -> None:
    orm, bulk = pair
    _orm_days(orm)
    _bulk_days(bulk)
    with orm.begin() as s:  # the ORM: rename one day, make another a workday, delete a third
        s.get(OfficialDay, DAYS[2][0]).name = "除夕"
        s.get(OfficialDay, DAYS[3][0]).is_workday = True
    with orm.begin() as s:
        s.delete(s.get(OfficialDay, DAYS[0][0]))
    with bulk.begin() as s:  # the same with Core statements and append_bulk
        conn = s.connection()
        conn.execute(
            update(DAY).where(DAY.c.date == bindparam("d")),
            [
                {"d": DAYS[2][0], "name": "除夕", "is_workday": False},
                {"d": DAYS[3][0], "name": "春节", "is_workday": True},
            ],
        )
        assert (
            audit.append_bulk(
                s,
                "official_day",
                "update",
                [
                    (DAYS[2][0], {"name": "春节"}, _state(DAYS[2][0], False, "除夕")),
                    (DAYS[3][0], {"is_workday": False}, _state(DAYS[3][0], True, "春节")),
                ],
            )
            == 2
        )
    with bulk.begin() as s:
        s.connection().execute(delete(DAY).where(DAY.c.date == DAYS[0][0]))
        audit.append_bulk(s, "official_day", "delete", [(DAYS[0][0], _state(*DAYS[0]), None)])
    assert _entries(bulk) == _entries(orm)
    res = audit.verify_database(bulk)
    assert res.ok, res.problem
    with bulk.session() as s:
        h = audit.history(s, "official_day", DAYS[2][0].isoformat())
        assert [x.action for x in h] == ["create", "update"]
        assert h[1].changes == [("name", "春节", "除夕")]
        assert audit.history(s, "official_day", DAYS[0][0].isoformat())[-1].action == "delete"


def test_orm_changes_continue_the_chain_after_a_bulk_append(
    pair: tuple[Database, Database],
) -> None:
    _orm, bulk = pair
    _bulk_days(bulk)
    with bulk.begin() as s:
        s.get(OfficialDay, DAYS[1][0]).name = "调休上班"
    with bulk.begin() as s:  # ORM and bulk entries in one transaction, both orders
        s.add(OfficialDay(date=dt.date(2027, 5, 1), year=2027, is_workday=False, name="劳动节"))
        s.flush()
        row = _state(dt.date(2027, 5, 2), False, "劳动节")
        s.connection().execute(insert(DAY), [row])
        audit.append_bulk(s, "official_day", "create", [(row["date"], None, row)])
        s.get(OfficialDay, DAYS[3][0]).name = "春节假期"
    chain = _chain(bulk)
    assert [c[0] for c in chain] == list(range(1, len(chain) + 1)) and len(chain) == 9
    assert all(chain[i][2] == chain[i - 1][3] for i in range(1, len(chain)))
    res = audit.verify_database(bulk)
    assert res.ok and res.records == 7, res.problem


def test_bulk_rows_are_checked_like_any_other(pair: tuple[Database, Database]) -> None:
    _orm, bulk = pair
    _bulk_days(bulk)
    query(bulk, "UPDATE official_day SET name = '篡改' WHERE date = '2027-02-07'")
    res = audit.verify_database(bulk)
    assert not res.ok and "official_day" in res.problem and "name" in res.problem
    assert res.broken_entry == 4  # the year is entry 1, the days 2–5 in order


def test_rolled_back_bulk_append_leaves_no_trail(pair: tuple[Database, Database]) -> None:
    _orm, bulk = pair
    before = _chain(bulk)
    with pytest.raises(RuntimeError):
        with bulk.begin() as s:
            rows = [_state(*x) for x in DAYS]
            s.connection().execute(insert(DAY), rows)
            audit.append_bulk(s, "official_day", "create", ((r["date"], None, r) for r in rows))
            raise RuntimeError("中途出错")
    assert _chain(bulk) == before
    with bulk.session() as s:
        assert s.scalars(select(OfficialDay)).all() == []
    assert audit.verify_database(bulk).ok
    assert _bulk_days(bulk) == len(DAYS)  # and the chain goes on from the same head
    assert audit.verify_database(bulk).ok


def test_append_bulk_drops_volatile_columns_and_refuses_nonsense(db: Database) -> None:
    with db.begin() as s:
        assert audit.append_bulk(s, "official_day", "create", []) == 0
        with pytest.raises(ValueError):
            audit.append_bulk(s, "audit_log", "create", [(1, None, {"id": 1})])
        with pytest.raises(ValueError):
            audit.append_bulk(s, "official_day", "upsert", [(1, None, {"id": 1})])
    with db.begin() as s:
        s.add(OfficialYear(year=2030, source="", entered_on=dt.date(2029, 12, 1)))
        s.flush()
        state = {"year": 2030, "source": "x", "entered_on": dt.date(2029, 12, 1)}
        s.connection().execute(
            update(OfficialYear.__table__).where(OfficialYear.year == 2030), {"source": "x"}
        )
        audit.append_bulk(
            s,
            "official_year",
            "update",
            [
                (
                    2030,
                    {"source": "", "updated_at": "old"},
                    state | {"updated_at": dt.datetime.now()},
                )
            ],
        )
    with db.session() as s:
        last = s.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc())).first()
        assert last is not None and "updated_at" not in (last.after or "")
        assert last.before == '{"source": ""}'
    assert audit.verify_database(db).ok


def test_dumps_fast_path_is_the_same_json() -> None:
    import json

    cases: list[dict[str, Any]] = [
        {"b": 1, "a": "中文", "c": None, "d": True, "e": 2.5},
        {"when": dt.datetime(2026, 1, 2, 3, 4, 5, 678), "day": dt.date(2026, 1, 2), "n": 1},
        {"s": {"甲", "乙"}, "raw": b"\x00\x01"},
    ]
    for d in cases:
        want = json.dumps(
            {k: audit._json_value(v) for k, v in sorted(d.items())},
            ensure_ascii=False,
            sort_keys=True,
        )
        assert audit.dumps(d) == want
