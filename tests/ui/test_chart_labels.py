"""Month labels on the home page charts read 1月 … 12月 in full (issue 13f)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCharts import QBarCategoryAxis, QChartView
from PySide6.QtWidgets import QApplication, QGraphicsTextItem

from brigade_desk.core.ledger import ChartSpec
from brigade_desk.ui.widgets.charts import make_chart_view

MONTHS = [f"{m}月" for m in range(1, 13)]


def drawn_labels(view: QChartView) -> list[str]:
    """The texts QtCharts actually put on the scene (elided ones end in … or ...). Some PySide6
    releases hand QtCharts' text items out as plain QGraphicsItem: recognised by their type()."""
    out = []
    for it in view.scene().items():
        if not isinstance(it, QGraphicsTextItem) and it.type() == 8:  # QGraphicsTextItem::Type
            it = it.toGraphicsObject()  # a QObject: PySide wraps it as what it really is
        if isinstance(it, QGraphicsTextItem):
            out.append(it.toPlainText())
    return out


def category_axis(view: QChartView) -> QBarCategoryAxis:
    return next(a for a in view.chart().axes() if isinstance(a, QBarCategoryAxis))


def test_month_charts_on_the_home_page_at_1366(gui_ctx, qtbot):
    """Needs a screen as wide as the clerk's: run on a 1366×768 screen by
    tests/ui/test_screen_fit.py::test_every_dialog_fits_a_1366x768_screen."""
    from brigade_desk.ui.main_window import MainWindow

    if QApplication.primaryScreen().availableGeometry().width() < 1366:
        pytest.skip("needs a 1366 px wide screen; run by test_every_dialog_fits_a_1366x768_screen")

    w = MainWindow(gui_ctx)
    qtbot.addWidget(w)
    w.resize(1366, 728)  # a 1366 × 768 screen less the task bar
    w.show()
    qtbot.waitExposed(w)
    page = w.show_page("home")
    qtbot.waitUntil(lambda: len(page.chart_views) >= 2, timeout=5000)
    QApplication.processEvents()
    month_views = [
        (spec, v) for spec, v in page.chart_views if spec.key in ("cert_expiry", "av_months")
    ]
    assert len(month_views) == 2
    for spec, v in month_views:
        assert sorted(spec.categories, key=lambda c: int(c[:-1])) == MONTHS
        texts = drawn_labels(v)
        shown = [t for t in texts if re.fullmatch(r"\d{1,2}月", t)]
        assert sorted(shown, key=lambda c: int(c[:-1])) == MONTHS, texts
        assert not [t for t in texts if t.endswith(("…", "..."))], str(
            [texts, spec.title, spec.series, v.width()]
        )
        assert v.width() >= 400  # the charts get half of the page, not a narrow strip
        assert category_axis(v).labelsAngle() == 0  # across, as written, at this width
        assert (
            v.chart().series()[0].type().name.endswith("Bar")
            and "Horizontal" not in v.chart().series()[0].type().name
        )


def test_month_labels_whole_in_a_narrow_chart(qapp, qtbot):
    spec = ChartSpec(
        "cert_expiry",
        "执法证件到期分布（未来 12 个月，按月）",
        "bar",
        [f"{m}月" for m in (5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3, 4)],
        {"到期证件数": [1.0] * 12},
    )
    for width in (300, 380, 460, 620):
        v = make_chart_view(spec)
        qtbot.addWidget(v)
        v.resize(width, 300)
        v.show()
        qtbot.waitExposed(v)
        QApplication.processEvents()
        texts = drawn_labels(v)
        assert (
            sorted([t for t in texts if t.endswith("月")], key=lambda c: int(c[:-1])) == MONTHS
        ), (width, texts)
        assert not [t for t in texts if t.endswith(("…", "..."))], (width, texts)
        if width >= 620:
            assert (
                category_axis(v).labelsAngle() == 0
                and category_axis(v).labelsFont().pointSizeF() >= 8
            )


def test_long_names_still_lie_down(qapp, qtbot):
    spec = ChartSpec(
        "review_grades",
        "评查等次",
        "stacked",
        ["行政处罚", "行政强制", "行政检查", "行政许可"],
        {"优秀": [1.0, 2.0, 3.0, 4.0]},
    )
    v = make_chart_view(spec)
    qtbot.addWidget(v)
    assert "Horizontal" in v.chart().series()[0].type().name
