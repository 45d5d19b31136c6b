"""Results kept while the data stays the same: the change counter, the shared cache, the findings."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import select, text

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import findings as svc_findings
from brigade_desk.core.cache import DataCache
from brigade_desk.ledgers.roster.models import Staff
from tests.conftest import IDS, add_officer

TODAY = dt.date(2026, 11, 23)


def test_counter_moves_on_every_kind_of_write_and_not_on_reads(db, roster):
    c = db.changes
    v0 = c.value
    with db.session() as s:  # a read, closed without commit
        s.scalars(select(Staff)).all()
    with db.begin() as s:  # a read inside a committed transaction
        s.scalars(select(Staff)).all()
    assert c.value == v0
    add_officer(roster, IDS[0], "甲")  # ORM
    v1 = c.value
    assert v1 > v0
    with db.begin() as s:  # Core text
        s.execute(text("UPDATE staff SET squad = '二中队'"))
    v2 = c.value
    assert v2 > v1
    with db.begin() as s:  # raw DB-API on the session's connection (the large demo does this)
        raw = s.connection().connection.driver_connection
        raw.execute("UPDATE staff SET squad = '三中队'")
    assert c.value > v2
    v3 = c.value
    with db.session() as s:  # a write rolled back changes nothing that matters; a refresh at most
        s.execute(text("UPDATE staff SET squad = '四中队'"))
        s.rollback()
    with db.begin() as s:
        s.scalars(select(Staff)).all()
    assert c.value >= v3
    with db.session() as s:
        assert {p.squad for p in s.scalars(select(Staff))} == {"三中队"}


def test_cache_keeps_value_until_the_data_changes(db, roster):
    cache = DataCache.of(db)
    assert DataCache.of(db) is cache
    calls = []

    def count(s):
        calls.append(1)
        return s.scalar(text("SELECT count(*) FROM staff"))

    assert cache.cached("n") is None
    assert cache.get("n", count) == 0
    assert cache.get("n", count) == 0
    assert cache.cached("n") == 0
    assert len(calls) == 1
    add_officer(roster, IDS[0], "甲")
    assert cache.cached("n") is None  # stale: never shown after a change
    assert cache.get("n", count) == 1
    assert len(calls) == 2
    assert cache.get("n", count, fresh=True) == 1
    assert len(calls) == 3


def test_two_callers_at_once_compute_once(db):
    cache = DataCache.of(db)
    calls = []

    def slow(_s):
        calls.append(1)
        time.sleep(0.2)
        return "done"

    out = []
    threads = [threading.Thread(target=lambda: out.append(cache.get("k", slow))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == ["done"] * 3
    assert len(calls) == 1


def test_a_write_during_the_computation_leaves_it_stale(db, roster):
    cache = DataCache.of(db)

    def with_write(_s):
        add_officer(roster, IDS[1], "乙")  # another thread's edit lands mid-computation
        return "old"

    assert cache.get("k", with_write) == "old"
    assert cache.cached("k") is None


def test_findings_follow_edits(db, roster):
    sid = add_officer(roster, IDS[0], "甲", valid_to=TODAY + dt.timedelta(days=30))
    first = svc_findings.findings(db, TODAY, REGISTRY)
    assert ("cert_expiring", "甲") in {(f.rule, f.subject) for f in first}
    assert svc_findings.cached_findings(db, TODAY) == first
    assert svc_findings.cached_findings(db, TODAY + dt.timedelta(days=1)) is None  # another day
    with db.begin() as s:
        s.get(Staff, sid).name = "甲改"
    assert svc_findings.cached_findings(db, TODAY) is None
    assert ("cert_expiring", "甲改") in {
        (f.rule, f.subject) for f in svc_findings.findings(db, TODAY, REGISTRY)
    }


def test_restore_counts_as_a_change(db):
    v = db.changes.value
    db.changes.bump()
    assert db.changes.value == v + 1


def test_roster_list_is_kept_until_the_roster_changes(db, roster):
    from brigade_desk.ledgers.roster.service import RosterService
    from brigade_desk.reports.home import warm

    svc = RosterService(db)
    add_officer(roster, IDS[0], "甲")
    assert svc.cached_list_with_findings(TODAY) is None
    warm(db, TODAY, REGISTRY)  # what the main window does in the background
    staff, found = svc.cached_list_with_findings(TODAY)
    assert [p.name for p in staff] == ["甲"] and svc_findings.cached_findings(db, TODAY) is not None
    staff.clear()  # callers get their own lists
    assert [p.name for p in svc.list_with_findings(TODAY, REGISTRY)[0]] == ["甲"]
    add_officer(roster, IDS[1], "乙")
    assert svc.cached_list_with_findings(TODAY) is None
    assert sorted(p.name for p in svc.list_with_findings(TODAY, REGISTRY)[0]) == ["乙", "甲"]


# ---- writes by others: ChangeCounter.poll -----------------------------------------------------


def _squads(db) -> set[str]:
    with db.session() as s:
        return {p.squad for p in s.scalars(select(Staff))}


@pytest.mark.sqlite_only(
    reason="SQLite's data_version sees raw writes; a server's counter follows the audit trail"
)
def test_poll_sees_a_second_database_object_and_not_our_own_writes(db, roster):
    from brigade_desk.core.db import open_database

    c = db.changes
    assert c.poll() is False  # starts watching
    add_officer(roster, IDS[0], "甲")
    with db.begin() as s:  # raw DB-API on our own connection is ours too
        s.connection().connection.driver_connection.execute("UPDATE staff SET squad = '二中队'")
    v = c.value
    assert c.poll() is False and c.value == v  # our own commits: counted once already
    other = open_database(db.path)
    try:
        with other.begin() as s:
            s.execute(text("UPDATE staff SET squad = '三中队'"))
    finally:
        other.close()
    assert c.value == v  # not known until polled
    assert c.poll() is True and c.value == v + 1
    assert c.poll() is False and c.value == v + 1
    assert _squads(db) == {"三中队"}


@pytest.mark.sqlite_only(
    reason="SQLite's data_version sees raw writes; a server's counter follows the audit trail"
)
def test_poll_sees_another_process(db, roster):
    import subprocess
    import sys

    add_officer(roster, IDS[0], "甲")
    c = db.changes
    c.poll()
    code = (
        "import sqlite3,sys; con = sqlite3.connect(sys.argv[1]);"
        "con.execute(\"UPDATE staff SET squad = '外部'\"); con.commit(); con.close()"
    )
    subprocess.run([sys.executable, "-c", code, str(db.path)], check=True, timeout=60)
    v = c.value
    assert c.poll() is True and c.value == v + 1
    assert c.poll() is False
    assert _squads(db) == {"外部"}


@pytest.mark.sqlite_only(
    reason="SQLite's data_version sees raw writes; a server's counter follows the audit trail"
)
def test_poll_sees_another_writer_even_when_ours_came_after_it(db, roster):
    import sqlite3

    add_officer(roster, IDS[0], "甲")
    c = db.changes
    c.poll()
    con = sqlite3.connect(db.path)
    con.execute("UPDATE staff SET squad = '外部'")
    con.commit()
    con.close()
    add_officer(roster, IDS[1], "乙")  # ours, before the next poll: the other's is not lost
    assert c.poll() is True
    assert c.poll() is False


def test_poll_is_quiet_while_threads_write_and_safe_to_call_from_any_thread(db, roster):
    c = db.changes
    c.poll()
    sid = add_officer(roster, IDS[0], "甲")
    errors: list[BaseException] = []
    moved: list[bool] = []
    stop = threading.Event()

    def write(n: int) -> None:
        try:
            for i in range(15):
                with db.begin() as s:
                    s.execute(
                        text("UPDATE staff SET squad = :q WHERE id = :id"),
                        {"q": f"{n}-{i}", "id": sid},
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def poll() -> None:
        while not stop.is_set():
            moved.append(c.poll())
            time.sleep(0.001)

    poller = threading.Thread(target=poll)
    poller.start()
    writers = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    poller.join()
    assert not errors
    assert moved and not any(moved)  # only our own writes: never taken for somebody else's
    assert c.poll() is False


@pytest.mark.sqlite_only(
    reason="SQLite's data_version sees raw writes; a server's counter follows the audit trail"
)
def test_poll_stops_with_the_engine_and_starts_again(db, roster):
    import sqlite3

    c = db.changes
    c.poll()
    db.close()  # (a restore disposes the engine too: the watching connection must let go)
    assert c._watch is None
    assert c.poll() is False  # starts again from here
    con = sqlite3.connect(db.path)
    con.execute("INSERT INTO setting (key, value) VALUES ('x', '1')")
    con.commit()
    con.close()
    assert c.poll() is True
