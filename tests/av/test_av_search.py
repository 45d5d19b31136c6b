"""AV index search and paging: the FTS5 index finds exactly what a substring search finds, stays in
step with inserts, edits and deletes, and the page/model load lazily (counts first, windows on paint)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import delete, insert

from brigade_desk.ledgers.av import search
from brigade_desk.ledgers.av.models import AvRecord, AvRecordCheck, AvStorageRoot
from brigade_desk.ledgers.av.service import SORT_KEYS, AvEdit, AvFilter, AvService
from brigade_desk.ledgers.av.ui import model as model_mod
from brigade_desk.ledgers.av.ui.page import AvPage

NAMES = [  # (file name, case no, target, place, notes, device)
    (
        "010001_DSJ-A0001_20240315083012_0001IMP.mp4",
        "乐交执罚〔2024〕12号",
        "王大力",
        "G6京藏高速乐都收费站",
        "",
        "DSJ-A0001",
    ),
    (
        "010002_DSJ-A0002_20240316083012_0002.mp4",
        "乐交执罚〔2024〕123号",
        "青A12345",
        "平安驿服务区",
        "当事人拒签",
        "DSJ-A0002",
    ),
    (
        "010003_dsj-b0003_20240317083012_0003.MP4",
        "乐交执检〔2025〕7号",
        "青B99999",
        "湟水河大桥",
        "",
        "DSJ-B0003",
    ),
    ("20240401100000_3.mp4", "", "", "寿乐镇工地", "50%_超限", "DV-7"),
    ("现场_王某_20240501.mp4", "乐交执强〔2023〕1号", "某运输公司", "收费站东侧", "", "DV-8"),
    ("abc_def.mov", "", "张三", "", "Notes WITH Caps", ""),
]


def _add(db, rows=NAMES, media=True):
    with db.begin() as s:
        root = AvStorageRoot(name="归档", path="/nowhere")
        s.add(root)
        s.flush()
        ids = []
        for i, (fn, case, target, place, notes, dev) in enumerate(rows):
            r = AvRecord(
                root_id=root.id,
                rel_path=f"x/{i}/{fn}",
                file_name=fn,
                size=1000 * (i + 1),
                sha256=f"{i:064x}",
                media_start=dt.datetime(2024, 3, 1, 8) + dt.timedelta(hours=i)
                if media and i != 3
                else None,
                duration_s=None if i == 2 else 10.0 * i,
                device_no=dev,
                activity="其他",
                case_no=case,
                target=target,
                place=place,
                notes=notes,
                important=i % 2 == 0,
                ingested_at=dt.datetime(2024, 6, 1),
            )
            s.add(r)
            s.flush()
            ids.append(r.id)
    return ids


def _expected(query, cols=search.TEXT_COLUMNS, rows=NAMES):
    """What the old LIKE '%x%' found (ASCII case-insensitive substring), wildcards taken literally."""
    q = search.fold(query.strip())
    idx = {"file_name": 0, "case_no": 1, "target": 2, "place": 3, "notes": 4, "device_no": 5}
    return {i + 1 for i, r in enumerate(rows) if any(q in search.fold(r[idx[c]]) for c in cols)}


QUERIES = [
    "王",
    "收费",
    "收费站",
    "〔2024〕12",
    "2024〕12号",
    "dsj-a",
    "DSJ-A000",
    "A0002_2024",
    ".mp4",
    "MP4",
    "_",
    "50%",
    "%",
    "青",
    "青A",
    "青a1",
    "caps",
    "b0003",
    "某",
    "号",
    "不存在的",
    "e",
    "7",
    " ",
    "乐交执",
]


@pytest.mark.parametrize("query", QUERIES)
def test_text_filter_finds_exactly_the_substring_matches(db, query):
    _add(db)
    svc = AvService(db)
    f = AvFilter(text=query)
    want = _expected(query) if query.strip() else set(range(1, len(NAMES) + 1))
    assert set(svc.ids(f)) == want
    assert svc.count(f) == len(want)
    assert {r.id for r in svc.page(f, "file_name", False, 0, 100)} == want


def test_case_number_and_device_filters_match_partially(db):
    _add(db)
    svc = AvService(db)
    assert set(svc.ids(AvFilter(case_no="〔2024〕12"))) == {1, 2}
    assert set(svc.ids(AvFilter(case_no="〔2024〕12号"))) == {1}
    assert set(svc.ids(AvFilter(case_no="执检"))) == {3}
    assert set(svc.ids(AvFilter(case_no="乐交执检〔2025〕7号", case_exact=True))) == {3}
    assert set(svc.ids(AvFilter(case_no="7号", case_exact=True))) == set()
    assert svc.count(AvFilter(case_no="乐交执检〔2025〕7号", case_exact=True)) == 1
    assert set(svc.ids(AvFilter(device="a000"))) == {1, 2}
    assert set(svc.ids(AvFilter(device="DV"))) == {4, 5}
    # text + other conditions combine
    assert set(svc.ids(AvFilter(text="收费", important_only=True))) == {1, 5}
    assert svc.count(AvFilter(text="收费", important_only=True)) == 2
    assert set(svc.ids(AvFilter(text="mp4", case_no="2024", device="0002"))) == {2}


def test_like_fallback_gives_the_same_results(db):
    _add(db)
    svc = AvService(db)
    svc._has_fts = False  # an SQLite without FTS5 trigram
    for q in QUERIES:
        want = _expected(q) if q.strip() else set(range(1, len(NAMES) + 1))
        assert set(svc.ids(AvFilter(text=q))) == want, q
        assert svc.count(AvFilter(text=q)) == len(want), q


def test_index_follows_edits_and_deletes(db):
    ids = _add(db)
    svc = AvService(db)
    assert svc.ids(AvFilter(text="王大力")) == [ids[0]]
    svc.update(
        ids[0],
        AvEdit(case_no="乐交执罚〔2026〕88号", activity="听证", target="李四", place="新地点"),
    )
    assert svc.ids(AvFilter(text="王大力")) == []
    assert svc.ids(AvFilter(text="王")) == [ids[4]]  # only 现场_王某 is left
    assert svc.ids(AvFilter(text="〔2026〕88")) == [ids[0]]
    assert svc.ids(AvFilter(text="李")) == [ids[0]]
    assert svc.ids(AvFilter(case_no="2026")) == [ids[0]]
    with db.begin() as s:
        s.execute(delete(AvRecordCheck))
        s.execute(delete(AvRecord).where(AvRecord.id == ids[4]))
    assert svc.ids(AvFilter(text="王")) == []
    assert svc.ids(AvFilter(text="现场")) == []
    if db.server:  # no FTS tables on a server (ILIKE over pg_trgm indexes)
        return
    with db.session() as s:  # nothing of the deleted row is left in either index
        assert search.match_count(s, "现场", search.COLUMNS) == 0
        assert search.match_count(s, "王某", search.COLUMNS) == 0
        assert search.match_count(s, "mp4", search.COLUMNS) == 4


UNIGRAM_SQL = (
    "SELECT (SELECT group_concat(hex(substr(v, n, 1)), ' ') FROM (SELECT lower(:x) AS v) "
    "JOIN fts_av_pos ON n <= length(v))"
)


@pytest.mark.sqlite_only(reason="SQLite's FTS5 index (a server searches by ILIKE, pg_trgm)")
@pytest.mark.parametrize(
    "value",
    [
        "",
        "a",
        "ABC_def-1.MP4",
        "乐交执罚〔2024〕12号",
        "青A12345 ",
        "Ｆｕｌｌ ＡＢ",
        "😀表情",
        "tab\tand\nnewline",
        "Ä ö É",
        "%_\\'\"",
    ],
)
def test_python_unigrams_equal_the_trigger_sql(db, value):
    """Bulk loaders index in Python what the triggers index in SQL: the tokens must be the same, or
    a later delete would leave the contentless index inconsistent."""
    with db.engine.connect() as c:
        sql = c.exec_driver_sql(UNIGRAM_SQL.replace(":x", "?"), (value,)).scalar()
    py = search.unigrams(value)
    assert (sql or "").lower() == (py or "")


@pytest.mark.sqlite_only(reason="SQLite's FTS5 index (a server searches by ILIKE, pg_trgm)")
def test_bulk_fill_matches_the_triggers(db):
    """The large demo drops the insert trigger, inserts in bulk and calls search.fill()."""
    _add(db, NAMES[:2])
    raw = sqlite3.connect(db.path)
    try:
        trig = raw.execute(
            "SELECT sql FROM sqlite_master WHERE name='fts_av_record_ai'"
        ).fetchone()[0]
        raw.execute("DROP TRIGGER fts_av_record_ai")
        last = raw.execute("SELECT max(id) FROM av_record").fetchone()[0]
        raw.commit()
    finally:
        raw.close()
    with db.begin() as s:
        s.execute(
            insert(AvRecord),
            [
                dict(
                    root_id=1,
                    rel_path=f"y/{i}",
                    file_name=fn,
                    size=1,
                    sha256=f"{i + 100:064x}",
                    device_no=dev,
                    activity="其他",
                    case_no=case,
                    target=t,
                    place=p,
                    notes=n,
                    important=False,
                    ingested_at=dt.datetime(2024, 1, 1),
                )
                for i, (fn, case, t, p, n, dev) in enumerate(NAMES[2:])
            ],
        )
    raw = sqlite3.connect(db.path)
    try:
        search.fill(raw, after_id=last)
        raw.execute(trig)
        raw.commit()
    finally:
        raw.close()
    svc = AvService(db)
    for q in QUERIES:
        want = _expected(q) if q.strip() else set(range(1, len(NAMES) + 1))
        assert set(svc.ids(AvFilter(text=q))) == want, q
    with db.begin() as s:  # deleting bulk-indexed rows through the trigger works
        s.execute(delete(AvRecord).where(AvRecord.id > last))
    assert set(svc.ids(AvFilter(text="mp4"))) == {1, 2}


@pytest.mark.sqlite_only(reason="SQLite's FTS5 index (a server searches by ILIKE, pg_trgm)")
def test_search_triggers_exist_at_the_head(db):
    """A later migration that re-creates av_record (batch mode) drops these: it must re-create them."""
    with db.engine.connect() as c:
        names = {
            r[0] for r in c.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
    assert {"fts_av_record_ai", "fts_av_record_ad", "fts_av_record_au"} <= names


@pytest.mark.parametrize("sort", SORT_KEYS)
@pytest.mark.parametrize("descending", [True, False])
def test_position_and_pages_agree_with_the_full_order(db, sort, descending):
    _add(db)
    svc = AvService(db)
    for f in (AvFilter(), AvFilter(text="mp4"), AvFilter(important_only=True)):
        order = svc.ids(f, sort, descending)
        paged = [
            r.id for off in range(0, len(order), 2) for r in svc.page(f, sort, descending, off, 2)
        ]
        assert paged == order
        for i, rid in enumerate(order):
            assert svc.position(f, sort, descending, rid) == i
    assert svc.position(AvFilter(text="收费"), sort, descending, 2) == -1  # not among the matches


@pytest.mark.sqlite_only(reason="SQLite's FTS5 index (a server searches by ILIKE, pg_trgm)")
def test_large_text_match_walks_the_sort_index(db, monkeypatch):
    """Above DRIVE_MAX matches the ids only filter a walk of the sort order: same rows, same order."""
    _add(db)
    svc = AvService(db)
    f = AvFilter(text="mp4")
    small = [r.id for r in svc.page(f, "media_start", True, 0, 10)]
    monkeypatch.setattr("brigade_desk.ledgers.av.service.DRIVE_MAX", 1)
    svc._match_counts.clear()
    assert not svc._drive(f, "media_start")
    assert [r.id for r in svc.page(f, "media_start", True, 0, 10)] == small == svc.ids(f)


# ---- the page -------------------------------------------------------------------------------------


@pytest.fixture
def page(gui_ctx, qtbot, db):
    _add(db)
    p = AvPage(gui_ctx)
    qtbot.addWidget(p)
    p.resize(1200, 700)
    p.show()
    return p


def _search(page, text):
    """Type ``text`` into the search box and filter at once (not after the typing pause)."""
    page.search.setText(text)
    page.apply_filter()


def test_page_search_box_finds_partial_case_numbers_and_file_names(page):
    _search(page, "〔2024〕12")
    assert {page.model.row(i).id for i in range(page.model.rowCount())} == {1, 2}
    assert page.count_label.text() == "2 / 6 条"
    _search(page, "A0002_2024")
    assert [page.model.row(i).file_name for i in range(page.model.rowCount())] == [NAMES[1][0]]
    assert page.current is not None and page.current.id == 2  # the first match is shown in the pane
    _search(page, "王")
    assert {page.model.row(i).id for i in range(page.model.rowCount())} == {1, 5}
    _search(page, "没有这个")
    assert (
        page.model.rowCount() == 0
        and page.current is None
        and page.count_label.text() == "0 / 6 条"
    )
    _search(page, "")
    assert page.model.rowCount() == 6 and page.count_label.text() == "6 / 6 条"


def test_typing_filters_after_a_pause(page, qtbot):
    qtbot.keyClicks(page.search, "dsj-b")
    assert page.model.rowCount() == 6  # not on every key press
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=3000)
    assert page.model.row(0).id == 3


def test_open_record_selects_it_under_any_sort(page):
    page.model.sort(8, Qt.SortOrder.AscendingOrder)  # 大小
    _search(page, "收费")
    page.open_record("av_record", 3)  # not among the matches: the search is cleared
    assert page.search.text() == "" and page.current is not None and page.current.id == 3
    assert page.view.currentIndex().row() == 2


def test_model_is_lazy(gui_ctx, qtbot, db, monkeypatch):
    many = [(f"{i:06d}_DSJ-A0001.mp4", "", "", "", "", "DSJ-A0001") for i in range(2000)]
    _add(db, many)
    calls = {"count": 0, "page": 0}
    real_count, real_page = AvService.count, AvService.page
    monkeypatch.setattr(
        AvService,
        "count",
        lambda self, f: calls.__setitem__("count", calls["count"] + 1) or real_count(self, f),
    )
    monkeypatch.setattr(
        AvService,
        "page",
        lambda self, *a: calls.__setitem__("page", calls["page"] + 1) or real_page(self, *a),
    )
    monkeypatch.setattr(
        AvService, "ids", lambda *a: pytest.fail("the whole id list must not be loaded")
    )
    p = AvPage(gui_ctx)
    qtbot.addWidget(p)
    p.resize(1200, 700)
    p.show()
    assert calls["count"] == 1  # one count on open (setting up the header's sort does not query)
    assert p.model.rowCount() == 2000 and p.model.fetches == calls["page"] <= 2
    p.view.scrollToBottom()
    qtbot.wait(10)
    assert p.model.fetches <= 4 and p.model.row(1999) is not None
    p.model.sort(6, Qt.SortOrder.AscendingOrder)
    assert calls["count"] == 2 and p.model.row(0).file_name == "000000_DSJ-A0001.mp4"
    assert len(p.model._pages) <= model_mod.KEEP_PAGES


def test_secondary_tabs_load_when_first_shown(page, monkeypatch):
    loaded = []
    for tab in (page.verify_tab, page.cases_tab, page.storage_tab):
        monkeypatch.setattr(tab, "reload", lambda t=tab: loaded.append(t))
    page.reload()
    assert loaded == []  # the index tab is showing: nothing else is queried
    page.tabs.setCurrentWidget(page.cases_tab)
    assert loaded == [page.cases_tab]


def test_case_number_filter_accepts_any_brackets(db):
    _add(db)
    svc = AvService(db)
    for typed in ("乐交执罚(2024)12", "乐交执罚（2024）12号", "执罚[2024"):
        got = {r.case_no for r in svc.page(AvFilter(case_no=typed), "media_start", False, 0, 50)}
        assert "乐交执罚〔2024〕12号" in got, typed
    exact = svc.ids(AvFilter(case_no="乐交执罚【2024】12号", case_exact=True))
    assert len(exact) == 1
