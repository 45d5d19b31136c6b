"""The GUI editing path, checked against the database."""

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.ledgers.roster.models import CertAction
from brigade_desk.ledgers.roster.service import RosterService
from brigade_desk.ledgers.roster.ui import dialogs
from brigade_desk.ledgers.roster.ui.page import RosterPage
from brigade_desk.ui.main_window import MainWindow
from brigade_desk.ui.pages import all_pages
from tests.conftest import IDS, add_officer

PAGES = all_pages(REGISTRY)


@pytest.fixture
def window(gui_ctx, qtbot):  # type: ignore[no-untyped-def]
    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    w.show()
    return w


def test_navigation_lists_every_ledger(window: MainWindow) -> None:
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    for t in ("首页", "问题清单", "执法人员花名册", "培训台账", "音像记录", "案卷评查", "报表"):
        assert any(x.startswith(t) for x in titles)
    assert len(titles) == len(PAGES)


def test_about_names_version_and_database(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda _p, _t, text: seen.append(text))
    window.about()
    assert window.ctx.db.name in seen[0] and "版本" in seen[0]  # the file, or the server database


def test_add_person_by_typing(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    svc = RosterService(window.ctx.db)
    dlg = dialogs.StaffDialog(svc, None, [], window)
    qtbot.addWidget(dlg)
    dlg.name.insert("王 小明")  # Chinese arrives through the IME, not key events
    qtbot.keyClicks(dlg.id_number, IDS[1])
    dlg.squad.setCurrentText("二中队")
    qtbot.keyClicks(dlg.bodycam, "DSJ-009")
    qtbot.keyClicks(dlg.phone, "13800001111")
    dlg.save()
    assert dlg.result() == QDialog.DialogCode.Accepted
    p = svc.find_by_id_number(IDS[1])
    assert (
        p is not None
        and p.name == "王小明"
        and p.sex == "男"
        and p.squad == "二中队"
        and p.bodycam_no == "DSJ-009"
    )


def test_invalid_input_names_fields_and_saves_nothing(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    svc = RosterService(window.ctx.db)
    dlg = dialogs.StaffDialog(svc, None, [], window)
    qtbot.addWidget(dlg)
    qtbot.keyClicks(dlg.id_number, IDS[1][:-1] + "5")
    qtbot.keyClicks(dlg.status_date.edit, "2026-13-40")
    dlg.save()
    assert dlg.result() != QDialog.DialogCode.Accepted
    assert "状态变更日期" in dlg.errors.text()
    assert (
        "校验位" in dlg.errors.text() and "姓名" in dlg.errors.text()
    )  # all at once, not one after another
    dlg.status_date.edit.clear()
    dlg.save()
    assert "姓名" in dlg.errors.text() and "校验位" in dlg.errors.text()
    assert dlg.name.styleSheet() and dlg.id_number.styleSheet()
    assert svc.count() == 0


def test_leaving_offers_cancellation_and_records_it(
    window: MainWindow, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    svc = RosterService(window.ctx.db)
    sid = add_officer(svc, IDS[0], "甲", bodycam_no="X")
    page = window.show_page("roster")
    assert isinstance(page, RosterPage)
    page.reload()
    assert page.select_staff(sid)

    def fake_exec(self: dialogs.StaffDialog) -> int:
        self.status.setCurrentText("退休")
        self.status_date.set_date(dt.date(2026, 10, 8))
        self.save()
        return int(self.result())

    monkeypatch.setattr(dialogs.StaffDialog, "exec", fake_exec)
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda _p, _t, text, *a: asked.append(text) or QMessageBox.StandardButton.Yes,
    )
    page.edit()
    assert asked and "申请注销" in asked[0]
    p = svc.get(sid)
    assert p.status == "退休" and p.status_date == dt.date(2026, 10, 8)
    assert p.certificates[0].cancel_requested == dt.date(2026, 10, 8)
    assert any("申请注销" in h.what for h in svc.history(sid))


def test_certificate_action_dialog(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    svc = RosterService(window.ctx.db)
    sid = add_officer(svc, IDS[0], "甲")
    cert = svc.get(sid).certificates[0]
    dlg = dialogs.CertActionDialog(svc, cert.id, cert.cert_no, CertAction.SUSPEND, window)
    qtbot.addWidget(dlg)
    dlg.save()  # no reason: refused
    assert "原因" in dlg.errors.text() and svc.get(sid).certificates[0].status == "有效"
    dlg.reason.insert("执法过错追究")
    dlg.save()
    assert svc.get(sid).certificates[0].status == "暂扣"
    renew = dialogs.CertActionDialog(svc, cert.id, cert.cert_no, CertAction.RENEW, window)
    qtbot.addWidget(renew)
    renew.new_no.setText("63NEW0001")
    renew.new_valid.set_date(dt.date(2032, 1, 1))
    renew.save()
    certs = {c.cert_no: c for c in svc.get(sid).certificates}
    assert certs[cert.cert_no].status == "注销" and certs["63NEW0001"].status == "有效"


def test_findings_open_the_person(window: MainWindow, qtbot) -> None:  # type: ignore[no-untyped-def]
    svc = RosterService(window.ctx.db)
    add_officer(svc, IDS[0], "甲", bodycam_no="X")
    sid = add_officer(svc, IDS[1], "乙", valid_to=None)
    findings = window.show_page("findings")
    findings.reload()  # type: ignore[attr-defined]
    model = findings.model  # type: ignore[attr-defined]
    row = next(i for i, f in enumerate(model.rows) if f.rule == "no_valid_cert")
    idx = findings.proxy.mapFromSource(model.index(row, 0))  # type: ignore[attr-defined]
    findings._open(idx)  # type: ignore[attr-defined]
    page = window.page("roster")
    assert window.stack.currentWidget() is page
    assert page.current_id() == sid  # type: ignore[attr-defined]


def test_roster_filters(window: MainWindow) -> None:
    svc = RosterService(window.ctx.db)
    add_officer(svc, IDS[0], "甲", squad="一中队", bodycam_no="X")
    add_officer(svc, IDS[1], "乙", squad="二中队", bodycam_no="Y")
    add_officer(svc, IDS[2], "丙", squad="二中队", valid_to=None)
    page = window.show_page("roster")
    page.reload()  # type: ignore[attr-defined]
    assert page.proxy.rowCount() == 3  # type: ignore[attr-defined]
    page.squad.setCurrentText("二中队")  # type: ignore[attr-defined]
    assert page.proxy.rowCount() == 2  # type: ignore[attr-defined]
    page.only_problems.setChecked(True)  # type: ignore[attr-defined]
    # 丙 has no certificate (red); 乙 has no training this year (the training ledger's finding, yellow)
    shown = {
        page.proxy.data(page.proxy.index(i, 0)): page.model.row_at(
            page.proxy.mapToSource(page.proxy.index(i, 0)).row()
        )  # type: ignore[attr-defined]
        for i in range(page.proxy.rowCount())
    }  # type: ignore[attr-defined]
    assert set(shown) == {"乙", "丙"}
    assert (
        shown["丙"].severe
        and not shown["乙"].severe
        and any("学时" in p for p in shown["乙"].problems)
    )
    page.only_problems.setChecked(False)  # type: ignore[attr-defined]
    page.search.setText("乙")  # type: ignore[attr-defined]
    assert page.proxy.rowCount() == 1  # type: ignore[attr-defined]
    page.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # type: ignore[attr-defined]


def test_geometry_is_remembered(gui_ctx, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    w.show()
    w.resize(w.width(), 503)
    w.show_page("roster")
    w.close()
    w2 = MainWindow(gui_ctx)
    qtbot.addWidget(w2)
    assert w2.size().height() == 503 and w2.nav.currentRow() == [p.key for p in PAGES].index(
        "roster"
    )


def test_import_dialog_check_then_import(window: MainWindow, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from brigade_desk.ui.import_dialog import ImportDialog
    from tests.roster.test_import_staff import HEAD, row
    from tests.xlsx_util import messy_workbook

    bad = messy_workbook(tmp_path / "坏.xlsx", HEAD, [row(1, "甲", IDS[0]), row(2, "乙", "123")])
    dlg = ImportDialog(window.ctx, window, str(bad))
    qtbot.addWidget(dlg)
    assert dlg.errors.rowCount() == 1 and not dlg.import_btn.isEnabled()
    assert dlg.errors.rows[0].row == 5
    dlg.skip.setChecked(True)
    assert dlg.import_btn.isEnabled()
    dlg.do_import()
    assert RosterService(window.ctx.db).count() == 1
    assert "导入完成" in dlg.summary.text()


def test_record_history_one_click_away(window: MainWindow) -> None:
    svc = RosterService(window.ctx.db)
    sid = add_officer(svc, IDS[0], "甲", bodycam_no="X")
    p = svc.get(sid)
    from brigade_desk.ledgers.roster.service import StaffInput

    data = StaffInput(**{k: getattr(p, k) for k in StaffInput.__dataclass_fields__})
    data.phone = "13900000000"
    svc.save_staff(data, sid)
    page = window.show_page("roster")
    page.reload()  # type: ignore[attr-defined]
    page.select_staff(sid)  # type: ignore[attr-defined]
    texts = [
        page.audit_model.data(page.audit_model.index(r, 3))
        for r in range(page.audit_model.rowCount())
    ]  # type: ignore[attr-defined]
    assert any("联系电话：（空） → 13900000000" in t for t in texts)


def test_findings_mask_id_numbers(window: MainWindow) -> None:
    svc = RosterService(window.ctx.db)
    add_officer(svc, IDS[1], "乙", valid_to=None)
    f = window.show_page("findings")
    f.reload()  # type: ignore[attr-defined]
    shown = [f.model.data(f.model.index(r, 2)) for r in range(f.model.rowCount())]  # type: ignore[attr-defined]
    assert IDS[1][:4] + "*" * 10 + IDS[1][-4:] in shown and IDS[1] not in shown


def test_dashboard_shows_deadlines_findings_and_charts(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = RosterService(window.ctx.db)
    add_officer(svc, IDS[0], "甲", valid_to=dt.date.today() + dt.timedelta(days=30), bodycam_no="X")
    add_officer(svc, IDS[1], "乙", valid_to=None)
    page = window.show_page("home")
    page.reload()  # type: ignore[attr-defined]
    assert page.deadlines.rowCount() > 0  # type: ignore[attr-defined]
    tops = [page.tree.topLevelItem(i).text(0) for i in range(page.tree.topLevelItemCount())]  # type: ignore[attr-defined]
    assert any(t.startswith("执法证件即将到期（1）") for t in tops)
    assert len(page.chart_views) >= 2  # type: ignore[attr-defined]
    # marking a deadline as sent is stored
    page.dl_view.selectRow(0)  # type: ignore[attr-defined]
    first = page.deadlines.row_at(0)  # type: ignore[attr-defined]
    page._mark(True)  # type: ignore[attr-defined]
    from brigade_desk.reports.models import ReportDone

    with window.ctx.db.session() as s:
        assert s.get(ReportDone, (first.key, first.period)) is not None
    # charts export as PNG
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    page.export_charts()  # type: ignore[attr-defined]
    assert len(list(tmp_path.glob("*.png"))) >= 2
    # a finding opens its record
    top = page.tree.topLevelItem(0)  # type: ignore[attr-defined]
    page._open_finding(top.child(0), 0)  # type: ignore[attr-defined]
    assert window.stack.currentWidget() is window.page("roster")


def test_reports_page_generates_quarterly_and_template(window: MainWindow, tmp_path: Path) -> None:
    import openpyxl

    from tests.reports.test_reports_calendar_template import make_template

    svc = RosterService(window.ctx.db)
    add_officer(svc, IDS[0], "甲")
    page = window.show_page("reports")
    keys = [f.export.key for f in page.entries]  # type: ignore[attr-defined]
    page.list.setCurrentRow(keys.index("quarterly"))  # type: ignore[attr-defined]
    page.year.setValue(2026)  # type: ignore[attr-defined]
    page.quarter.setCurrentIndex(3)  # type: ignore[attr-defined]
    out = tmp_path / "季度.xlsx"
    page.generate(str(out))  # type: ignore[attr-defined]
    wb = openpyxl.load_workbook(out)
    assert "执法证件" in wb.sheetnames and "第四季度" in wb["执法证件"]["A1"].value
    page.list.setCurrentRow(keys.index("template"))  # type: ignore[attr-defined]
    assert "{{单位名称}}" in page.placeholders.toPlainText()  # type: ignore[attr-defined]
    page.target.setText(str(make_template(tmp_path / "模板.xlsx")))  # type: ignore[attr-defined]
    out2 = tmp_path / "填好"
    page.generate(str(out2))  # type: ignore[attr-defined]
    assert openpyxl.load_workbook(str(out2) + ".xlsx")["上报表"]["B4"].value == "甲"


def test_print_html_has_every_visible_row(window: MainWindow) -> None:
    from brigade_desk.ui.widgets.printing import table_html

    svc = RosterService(window.ctx.db)
    add_officer(svc, IDS[0], "甲", bodycam_no="X")
    add_officer(svc, IDS[1], "乙<b>", bodycam_no="Y")
    page = window.show_page("roster")
    page.reload()  # type: ignore[attr-defined]
    h = table_html(page.proxy, "执法人员花名册")  # type: ignore[attr-defined]
    assert h.count("<tr>") == 3 and "乙&lt;b&gt;" in h and "执法证号" in h


@pytest.mark.parametrize("kind", ["bar", "stacked", "pie"])
def test_charts_draw_with_and_without_data(qapp, kind: str) -> None:  # type: ignore[no-untyped-def]
    from brigade_desk.core.ledger import ChartSpec
    from brigade_desk.ui.widgets.charts import make_chart_view

    empty = make_chart_view(ChartSpec("e", "空", kind, [], {"甲": [], "乙": []}))
    full = make_chart_view(
        ChartSpec("f", "有", kind, ["一", "二"], {"甲": [1, 2], "乙": [3, 0]}, target=4)
    )
    assert empty.chart().title() == "空" and full.chart().series()


def test_history_dialog_shows_changes_of_any_record(window: MainWindow) -> None:
    from brigade_desk.ui.history_dialog import HistoryDialog

    svc = RosterService(window.ctx.db)
    sid = add_officer(svc, IDS[0], "甲", bodycam_no="X")
    dlg = HistoryDialog(window.ctx, "甲", [("staff", sid)], window)
    assert dlg.model.rowCount() == 1 and "甲" in dlg.model.data(dlg.model.index(0, 3))
