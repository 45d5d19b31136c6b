"""The case pages driven like a clerk would, checked against the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from cases_support import D, add_case, add_staff
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from sqlalchemy import select

from brigade_desk.core.changes import Changes
from brigade_desk.core.models.holidays import OfficialDay
from brigade_desk.ledgers.cases.models import CaseRecord, CaseReview, ReviewSample
from brigade_desk.ledgers.cases.review import ReviewService
from brigade_desk.ledgers.cases.service import CaseService
from brigade_desk.ledgers.cases.ui.editor import CaseDialog
from brigade_desk.ledgers.cases.ui.page import CasesPage
from brigade_desk.ledgers.cases.ui.score import ScoreDialog
from brigade_desk.ui.main_window import MainWindow


@pytest.fixture
def filled(db):
    with db.begin() as s:
        a, b = add_staff(s, "张三"), add_staff(s, "李四")
        for i in range(12):
            add_case(
                s,
                f"乐交执罚〔2025〕{i + 1}号",
                [a, b],
                filed_on=D(2025, 3, 1),
                decided_on=D(2025, 4, 1),
                published_on=D(2025, 4, 2),
                closed_on=D(2025, 5, 1),
            )
        add_case(
            s,
            "乐交执检〔2025〕1号",
            [a, b],
            category="行政检查",
            filed_on=D(2025, 3, 1),
            closed_on=D(2025, 3, 2),
        )
        add_case(
            s,
            "乐交执罚〔2025〕99号",
            [a],
            filed_on=D(2025, 3, 1),
            decided_on=D(2025, 4, 1),
            closed_on=D(2025, 5, 1),
        )
    return db


@pytest.fixture
def page(gui_ctx, filled, qtbot):
    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    w.show()
    p = w.show_page("cases")
    assert isinstance(p, CasesPage)
    return p


def _shown(reg):
    return [reg.model.case_at(i).id for i in range(reg.model.rowCount())]


def test_register_filters_in_sql_and_colours_problems(page):
    reg = page.register
    assert reg.model.rowCount() == 14 and "显示 14 件 / 共 14 件" in reg.count.text()
    reg.category.setCurrentText("行政检查")
    assert reg.model.rowCount() == 1 and reg.model.case_at(0).case_no == "乐交执检〔2025〕1号"
    reg.category.setCurrentIndex(0)
    reg.search.setText("99号")
    assert [reg.model.case_at(i).case_no for i in range(reg.model.rowCount())] == [
        "乐交执罚〔2025〕99号"
    ]
    cid = reg.model.id_at(0)
    assert any("持证" in p for p in reg.model.problems[cid])  # one officer only
    assert reg.model.data(reg.model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is not None
    reg.search.clear()
    reg.problems_only.setChecked(True)
    assert set(_shown(reg)) == set(reg.model.problems) and cid in _shown(reg)
    reg.problems_only.setChecked(False)
    reg.model.sort(0, Qt.SortOrder.AscendingOrder)
    assert reg.model.case_at(0).case_no <= reg.model.case_at(1).case_no


def test_open_record_selects_the_case(page, filled):
    with filled.session() as s:
        cid = s.scalar(select(CaseRecord.id).where(CaseRecord.case_no == "乐交执检〔2025〕1号"))
    page.register.category.setCurrentText("行政处罚")
    page.ctx.open_record("case", cid)
    assert page.register.current().id == cid


def test_add_case_by_typing(gui_ctx, filled, qtbot):
    svc = CaseService(filled)
    dlg = CaseDialog(svc, None)
    qtbot.addWidget(dlg)
    dlg.case_no.insert("乐交执罚〔2026〕7号")
    dlg.cause.insert("车辆超限运输")
    dlg.party.insert("某物流有限公司")
    dlg.party_type.setCurrentText("单位")
    qtbot.keyClicks(dlg.dates["filed_on"].edit, "2026-03-02")
    assert "应于 2026-05-31 前作出决定" in dlg.deadlines.text()
    dlg.dates["decided_on"].edit.insert("2026年3月20日")  # Chinese arrives through the IME
    dlg.major.setChecked(True)
    assert (
        "备案期限 2026-03-27" in dlg.deadlines.text()
        and "公示期限 2026-04-20" in dlg.deadlines.text()
    )
    dlg.major.setChecked(False)
    qtbot.keyClicks(dlg.fine, "30000")
    for i in range(dlg.officers.count()):
        dlg.officers.item(i).setCheckState(Qt.CheckState.Checked)
    dlg.acts["暂扣车辆"].setChecked(True)
    dlg.save()
    assert dlg.result() == QDialog.DialogCode.Accepted
    with filled.session() as s:
        c = s.scalar(select(CaseRecord).where(CaseRecord.case_no == "乐交执罚〔2026〕7号"))
        assert (
            c.party_type == "单位"
            and c.decided_on == D(2026, 3, 20)
            and c.fine_amount == Decimal("30000.00")
        )
        assert sorted(o.name for o in c.officers) == ["张三", "李四"] and c.activities == [
            "暂扣车辆"
        ]


def test_invalid_case_names_fields_and_saves_nothing(gui_ctx, filled, qtbot):
    svc = CaseService(filled)
    dlg = CaseDialog(svc, None)
    qtbot.addWidget(dlg)
    dlg.case_no.insert("乐交执罚〔2025〕1号")  # duplicate
    qtbot.keyClicks(dlg.dates["filed_on"].edit, "2026-03-02")
    qtbot.keyClicks(dlg.dates["decided_on"].edit, "2026-03-01")
    dlg.fine.insert("三万")
    dlg.save()
    assert dlg.result() != QDialog.DialogCode.Accepted
    text = dlg.errors.text()
    assert "罚款金额" in text

    dlg.fine.clear()
    dlg.save()
    text = dlg.errors.text()
    assert "案由不能为空" in text and "早于立案日期" in text and "已存在" in text
    assert dlg.widgets["decided_on"].styleSheet()
    with filled.session() as s:
        assert s.scalar(select(CaseRecord).where(CaseRecord.filed_on == D(2026, 3, 2))) is None


def test_draw_sample_and_score_item_by_item(page, filled, qtbot, monkeypatch):
    tab = page.review
    page.tabs.setCurrentWidget(tab)
    tab.year.setValue(2025)
    tab.seed.setText("2024")
    tab.draw()
    with filled.session() as s:
        smp = s.scalar(select(ReviewSample).where(ReviewSample.year == 2025))
        assert smp.seed == 2024 and smp.per_category == 10 and len(smp.items) == 10 + 1
    assert len(tab.model.rows) == 11
    no = tab.model.rows[0].case_no
    dlg = ScoreDialog(tab.service, no, 2025, "测试")
    qtbot.addWidget(dlg)
    dlg.spins["D2"].setValue(5)
    dlg.reviewer.insert("法制股 王五")
    dlg.save()
    assert dlg.result() != QDialog.DialogCode.Accepted and "扣分理由" in dlg.errors.text()
    dlg.remarks["D2"].insert("询问笔录未签名")
    assert "优秀" in dlg.total.text() and "97 /" in dlg.total.text()
    dlg.vetoes["V3"][0].setChecked(True)
    assert "不合格" in dlg.total.text()
    dlg.save()
    assert dlg.result() == QDialog.DialogCode.Accepted
    with filled.session() as s:
        r = s.scalar(select(CaseReview).join(CaseRecord).where(CaseRecord.case_no == no))
        assert r.score == 97 and r.grade == "不合格" and r.vetoed and r.template_version == 2
    v = ReviewService(filled).review(no, 2025)
    assert v.items["D2"].remark == "询问笔录未签名" and "V3" in v.vetoes
    # drawing again over a scored sample asks first; "No" leaves the sample as it was
    from PySide6.QtWidgets import QMessageBox

    asked = []
    monkey_answer = {"v": QMessageBox.StandardButton.No}

    def question(*a, **_k):
        asked.append(a[2])
        return monkey_answer["v"]

    monkeypatch.setattr(QMessageBox, "question", question)
    tab.redraw.setChecked(True)
    tab.seed.setText("7")
    tab.draw()
    assert asked and "已有 1 件评查完毕" in asked[0]
    with filled.session() as s:
        assert s.scalar(select(ReviewSample).where(ReviewSample.year == 2025)).seed == 2024
    monkey_answer["v"] = QMessageBox.StandardButton.Yes
    tab.draw()
    with filled.session() as s:
        assert s.scalar(select(ReviewSample).where(ReviewSample.year == 2025)).seed == 7


def test_calendar_tab_stores_a_year(page, filled, qtbot):
    cal = page.calendar
    page.tabs.setCurrentWidget(cal)
    cal.year.setValue(2027)
    assert "尚未录入" in cal.state.text()
    cal.holidays.setPlainText("2027-01-01~2027-01-03 元旦\n2027-02-31 错误")
    cal.save()
    assert "放假日期第 2 行" in cal.errors.text()
    cal.holidays.setPlainText("2027-01-01~2027-01-03 元旦")
    cal.workdays.setPlainText("2027-01-09 调休")
    cal.source.setText("国办发明电〔2026〕7号")
    cal.save()
    cal.year.setValue(2028)
    cal.year.setValue(2027)
    assert (
        cal.source.text() == "国办发明电〔2026〕7号"
        and "2027-01-09 调休" in cal.workdays.toPlainText()
    )
    with filled.session() as s:
        days = s.scalars(select(OfficialDay).where(OfficialDay.year == 2027)).all()
    assert len(days) == 4 and "已录入" in cal.state.text()
    assert dt.date(2027, 1, 9) in {d.date for d in days if d.is_workday}


def test_template_edit_saves_a_new_version(gui_ctx, filled, qtbot):
    from brigade_desk.ledgers.cases.ui.template import TemplateDialog

    svc = ReviewService(filled)
    dlg = TemplateDialog(svc)
    qtbot.addWidget(dlg)
    assert dlg.version.count() == 2 and dlg.items.rowCount() == len(svc.template().items)
    dlg.load(1)
    assert dlg.items.rowCount() == len(svc.template(1).items)
    dlg.load(2)
    dlg.items.item(0, 2).setText("案卷封面、卷内目录齐全（修订）")
    dlg.items.item(0, 3).setText("abc")
    dlg.save()
    assert "不是数字" in dlg.errors.text() and svc.template().version == 2
    dlg.items.item(0, 3).setText("3")
    dlg.save()
    assert dlg.result() == QDialog.DialogCode.Accepted
    t = svc.template()
    assert t.version == 3 and t.items[0].title.endswith("（修订）") and t.total == 100
    assert svc.template(2).items[0].title != t.items[0].title


def test_pages_on_an_empty_database(gui_ctx, qtbot):
    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    w.show()
    p = w.show_page("cases")
    assert p.register.model.rowCount() == 0 and "共 0 件" in p.register.count.text()
    for i in range(p.tabs.count()):
        p.tabs.setCurrentIndex(i)
    assert "尚未抽取" in p.review.info.text()


def test_import_dialog_offers_cases(gui_ctx, qtbot):
    from brigade_desk.ui.import_dialog import ImportDialog

    dlg = ImportDialog(gui_ctx, None, None, "cases")
    qtbot.addWidget(dlg)
    assert dlg.kind.currentData() == "cases"


def test_a_dropped_case_list_is_checked_as_cases(gui_ctx, qtbot, tmp_path):
    from openpyxl import Workbook

    from brigade_desk.ui.import_dialog import ImportDialog

    wb = Workbook()
    wb.active.append(["案号", "案由", "当事人", "立案日期", "案件类别", "承办人员"])
    wb.save(tmp_path / "案件.xlsx")
    dlg = ImportDialog(
        gui_ctx, None, str(tmp_path / "案件.xlsx")
    )  # as a drop on the window: no kind given
    qtbot.addWidget(dlg)
    assert dlg.kind.currentData() == "cases"


def test_print_the_filtered_register(page, monkeypatch):
    from PySide6.QtPrintSupport import QPrintPreviewDialog

    from brigade_desk.ui.widgets import printing

    shown = []
    monkeypatch.setattr(
        QPrintPreviewDialog, "exec", lambda self: shown.append(self.windowTitle()) or 0
    )
    docs = []
    real = printing.table_html
    monkeypatch.setattr(printing, "table_html", lambda *a: docs.append(real(*a)) or docs[-1])
    reg = page.register
    reg.category.setCurrentText("行政检查")
    reg.print_list()
    assert shown == ["打印预览 — 案件登记台账"]
    assert "乐交执检〔2025〕1号" in docs[0] and "乐交执罚" not in docs[0]
    assert "共 1 件；类别：行政检查" in docs[0]


def test_register_shows_cases_before_the_rules_finish(page, monkeypatch):
    """Opened before the background refresh has the findings, the register lists the cases at once,
    says it is still checking, and colours the rows when the rules are done."""
    from brigade_desk.core import findings as svc_findings
    from brigade_desk.core.cache import DataCache

    reg = page.register
    seen = {}
    real = svc_findings.findings

    def spy(db, as_of, registry, **kw):
        seen["rows"], seen["text"] = reg.model.rowCount(), reg.count.text()
        return real(db, as_of, registry, **kw)

    DataCache.of(reg.ctx.db).clear()
    monkeypatch.setattr(svc_findings, "findings", spy)
    reg.model.problems = {}
    reg.reload()
    assert seen["rows"] == 14 and "正在检查" in seen["text"]
    assert (
        reg.model.problems and "正在检查" not in reg.count.text() and "有问题的" in reg.count.text()
    )


def test_case_service_windows_and_only_ids(filled):
    from brigade_desk.ledgers.cases.service import CaseFilter

    svc = CaseService(filled)
    ids = svc.ids(CaseFilter(), "case_no", False)
    assert [c.id for c in svc.page(CaseFilter(), "case_no", False, 3, 5)] == ids[3:8]
    pick = frozenset(ids[::3])
    assert svc.count(CaseFilter(only_ids=pick)) == len(pick)
    assert svc.ids(CaseFilter(only_ids=pick), "case_no", False) == [i for i in ids if i in pick]
    assert svc.count(CaseFilter(only_ids=frozenset())) == 0
    page = svc.page(CaseFilter(text="99号"))
    assert len(page) == 1 and [o.name for o in page[0].officers] == ["张三"] and page[0].officer_ids
    years, domains, total = svc.filter_choices()
    assert years == [2025] and total == 14 and domains == svc.domains()


def test_position_agrees_with_the_sorted_list_for_every_sort(filled):
    from brigade_desk.ledgers.cases.service import SORT_COLUMNS, CaseFilter

    svc = CaseService(filled)
    with filled.begin() as s:  # ties and NULLs in the sort columns
        add_case(s, "乙交执罚〔2024〕7号", [], filed_on=None, decided_on=None)
    for f in (CaseFilter(), CaseFilter(text="乐交"), CaseFilter(category="行政处罚")):
        for key in SORT_COLUMNS:
            for desc in (True, False):
                ids = svc.ids(f, key, desc)
                assert [svc.position(f, key, desc, i) for i in ids] == list(range(len(ids))), (
                    key,
                    desc,
                )
    assert (
        svc.position(
            CaseFilter(category="行政检查"),
            "filed_on",
            True,
            svc.ids(CaseFilter(category="行政处罚"))[0],
        )
        == -1
    )


def test_register_marks_cases_the_av_rule_finds(page, filled):
    """A case whose 查封扣押 has no full-process recording is coloured like the problem list says."""
    with filled.begin() as s:
        a, b = add_staff(s, "王五"), add_staff(s, "赵六")
        cid = add_case(
            s,
            "乐交执强〔2025〕12号",
            [a, b],
            category="行政强制",
            filed_on=D(2025, 6, 1),
            activities=["查封扣押"],
        ).id
    page.ctx.changed(Changes.CASES)
    reg = page.register
    reg.search.setText("执强")
    assert reg.model.id_at(0) == cid and any("全程音像" in p for p in reg.model.problems[cid])
    assert reg.model.data(reg.model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is not None


def test_review_tab_prints_through_the_exports(page, gui_ctx, tmp_path, monkeypatch):
    """The 评查 tab's checklists and 通报 run the same ExportDefs as ``brigade-desk export``."""
    from brigade_desk.ledgers.cases.ui import review as review_ui

    tab = page.review
    page.tabs.setCurrentWidget(tab)
    tab.year.setValue(2025)
    tab.seed.setText("2024")
    tab.draw()
    tab.view.setCurrentIndex(tab.proxy.index(0, 0))
    no = tab.current().case_no
    said: list[str] = []
    gui_ctx.events.status.connect(said.append)
    names = iter(["blank.pdf", "all.pdf", "report.pdf"])
    asked: list[str] = []

    def save_file_name(_parent, title, name, _filt):
        asked.append(name)
        return str(tmp_path / next(names))

    monkeypatch.setattr(review_ui, "save_file_name", save_file_name)
    tab.print_checklist(True)
    tab.print_all(True)
    tab.print_report()
    safe = no.replace("/", "-")
    assert asked == [
        f"案卷评查表-{safe}-空白.pdf",
        "2025年度案卷评查表（空白）.pdf",
        "2025年度案卷评查结果通报.pdf",
    ]
    assert said == [
        f"已生成评查表：{tmp_path / 'blank.pdf'}",
        f"已生成评查表：{tmp_path / 'all.pdf'}",
        f"已生成通报：{tmp_path / 'report.pdf'}",
    ]
    for name in ("blank.pdf", "all.pdf", "report.pdf"):
        assert (tmp_path / name).read_bytes()[:5] == b"%PDF-"
