"""How the pages are put together: 培训台账 is a thin page over one class per tab (like 案卷评查), and
the developer tools (screenshots, benchmark) reach into the pages from outside instead of the pages
carrying hooks for them."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

from training_helpers import add_session, add_staff

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.ledgers.training.ui.common import TrainingTab
from brigade_desk.ledgers.training.ui.page import TABS, TrainingPage
from brigade_desk.ui.pages import all_pages

PAGES = all_pages(REGISTRY)


ROOT = Path(__file__).resolve().parents[2]
DEV_HOOKS = ("screenshot_extras", "bench_filter")


def _page(gui_ctx, qtbot):  # type: ignore[no-untyped-def]
    page = TrainingPage(gui_ctx)
    qtbot.addWidget(page)
    page.resize(1200, 760)
    page.show()
    page.on_shown()
    return page


def test_training_page_is_built_from_one_tab_class_per_module(gui_ctx, qtbot):  # type: ignore[no-untyped-def]
    page = _page(gui_ctx, qtbot)
    modules = []
    for i, (attr, title, cls) in enumerate(TABS):
        page.tabs.setCurrentIndex(i)
        tab = getattr(page, attr)
        assert type(tab) is cls and isinstance(tab, TrainingTab) and page.is_loaded(i)
        assert page.tabs.tabText(i) == title and tab.parent() is page.tabs.widget(i)
        modules.append(cls.__module__)
    assert modules == [
        "brigade_desk.ledgers.training.ui.sessions",
        "brigade_desk.ledgers.training.ui.hours",
        "brigade_desk.ledgers.training.ui.person",
        "brigade_desk.ledgers.training.ui.exams",
        "brigade_desk.ledgers.training.ui.plan",
    ]
    assert [t.tabText(i) for t in (page.tabs,) for i in range(t.count())] == [
        "培训记录",
        "学时统计",
        "个人台账",
        "考试成绩",
        "年度计划",
    ]
    # the page keeps none of the tabs' widgets or actions
    for name in ("s_model", "b_model", "p_person", "e_session", "plan_tab", "add_session"):
        assert not hasattr(page, name)
    for name in ("export", "make_notice", "print_sessions", "load_person"):
        assert not hasattr(TrainingPage, name)


def test_remembered_table_layout_survives_under_the_same_keys(gui_ctx, qtbot):  # type: ignore[no-untyped-def]
    """A clerk's column widths, saved by the old page under tables/training_*, are still used."""
    staff = add_staff(gui_ctx.db, "甲一")
    add_session(gui_ctx.db, dt.date(dt.date.today().year, 1, 10), 2, [staff])
    page = _page(gui_ctx, qtbot)
    views = {}
    for i, (attr, _title, _cls) in enumerate(TABS[:4]):
        page.tabs.setCurrentIndex(i)
        view = getattr(page, attr).view
        view.setColumnWidth(0, 150 + 10 * i)
        views[view.objectName()] = 150 + 10 * i
    assert set(views) == {
        "training_sessions",
        "training_brigade",
        "training_person",
        "training_exams",
    }
    page.hide()  # saved when the page is left
    for key in views:
        assert gui_ctx.qsettings.value(f"tables/{key}") is not None
    again = _page(gui_ctx, qtbot)
    for i, (attr, _title, _cls) in enumerate(TABS[:4]):
        again.tabs.setCurrentIndex(i)
        view = getattr(again, attr).view
        assert view.columnWidth(0) == views[view.objectName()]


def test_no_production_class_defines_developer_hooks() -> None:
    tool = ROOT / "tools" / "screenshots.py"
    found = []
    for path in sorted((ROOT / "brigade_desk").rglob("*.py")):
        if path == tool:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                found += [
                    f"{path.relative_to(ROOT)}:{node.name}.{f.name}"
                    for f in node.body
                    if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) and f.name in DEV_HOOKS
                ]
    assert found == []
    from brigade_desk.ledgers.av.ui.page import AvPage
    from brigade_desk.ledgers.cases.ui.page import CasesPage
    from brigade_desk.ledgers.roster.ui.page import RosterPage
    from brigade_desk.ledgers.training.ui.page import TrainingPage
    from brigade_desk.ui.dashboard import DashboardPage
    from brigade_desk.ui.findings import FindingsPage
    from brigade_desk.ui.reports_page import ReportsPage

    for cls in (
        AvPage,
        CasesPage,
        RosterPage,
        TrainingPage,
        DashboardPage,
        FindingsPage,
        ReportsPage,
    ):
        assert not any(hasattr(cls, hook) for hook in DEV_HOOKS), cls


def test_benchmark_filters_reach_each_page_table(gui_ctx, qtbot):  # type: ignore[no-untyped-def]
    from benchmarks.page_filters import FILTERS
    from brigade_desk.ui.main_window import MainWindow

    staff = add_staff(gui_ctx.db, "王一")
    add_session(gui_ctx.db, dt.date(dt.date.today().year, 1, 10), 2, [staff], title="王牌讲座")
    add_session(gui_ctx.db, dt.date(dt.date.today().year, 1, 11), 2, [staff], title="岗位练兵")
    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    w.show()
    assert set(FILTERS) <= {pd.key for pd in PAGES if pd.factory}
    fields = {
        "findings": lambda p: p.search,
        "roster": lambda p: p.search,
        "training": lambda p: p.sessions.search,
        "av": lambda p: p.search,
        "cases": lambda p: p.register.search,
    }
    assert set(fields) == set(FILTERS)
    for key, set_filter in FILTERS.items():
        page = w.show_page(key)
        set_filter(page, "王")
        assert fields[key](page).text() == "王", key
    training = w.page("training")
    model = training.sessions.model
    assert [model.row_at(i).title for i in range(model.rowCount())] == ["王牌讲座"]
    FILTERS["training"](training, "")
    assert model.rowCount() == 2


def test_screenshot_extras_save_the_training_tabs_and_editor(gui_ctx, qtbot, tmp_path):  # type: ignore[no-untyped-def]
    from brigade_desk.ui.main_window import MainWindow
    from tools.screenshots import EXTRAS

    assert set(EXTRAS) <= {pd.key for pd in PAGES if pd.factory}
    staff = add_staff(gui_ctx.db, "甲一")
    add_session(gui_ctx.db, dt.date(dt.date.today().year, 1, 10), 2, [staff])
    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    w.resize(1400, 860)
    w.show()
    page = w.show_page("training")
    EXTRAS["training"](page, tmp_path)
    saved = {p.name for p in tmp_path.glob("*.png")}
    assert saved == {*(f"training-tab{i}.png" for i in range(5)), "training-editor.png"}
    assert page.tabs.currentIndex() == 0
