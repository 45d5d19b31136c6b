"""Drawing a ChartSpec with QtCharts, and saving it as PNG."""

from __future__ import annotations

import math
import re

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QPieSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import QGraphicsTextItem, QWidget

from brigade_desk.core.ledger import ChartSpec


def make_chart_view(spec: ChartSpec, parent: QWidget | None = None) -> QChartView:
    chart = QChart()
    chart.setTitle(spec.title + (f"<br><small>{spec.note}</small>" if spec.note else ""))
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setVisible(len(spec.series) > 1 or spec.kind == "pie")
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    if spec.kind == "pie":
        pie = QPieSeries()
        values = next(iter(spec.series.values()), [])
        total = sum(v for v in values if v > 0) or 1
        for cat, v in zip(spec.categories, values, strict=False):
            if v > 0:
                sl = pie.append(f"{cat} {v:g}", v)
                sl.setLabelVisible(
                    v / total >= 0.08
                )  # thin slices: the legend names them, no pile-up
        chart.addSeries(pie)
    else:
        _bars(chart, spec)
    view = QChartView(chart, parent)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(260)
    if spec.kind != "pie" and is_month_axis(
        spec.categories
    ):  # narrower, even upright labels get cut
        view.setMinimumWidth(MONTH_CHART_MIN_WIDTH)
    return view


def save_png(view: QChartView, path: str) -> bool:
    return bool(view.grab().save(path, "PNG"))


MONTH = re.compile(r"\d{1,2}月")
MIN_LABEL_PT = 7.0
MONTH_CHART_MIN_WIDTH = 340


def is_month_axis(categories: list[str]) -> bool:
    """1月 … 12月: short labels that stand under upright bars, never a lying chart."""
    return bool(categories) and all(MONTH.fullmatch(c) for c in categories)


def _label_size(font: QFont, text: str) -> tuple[float, float]:
    """Width and height of a label as QtCharts lays it out (a text item, with its document margin)."""
    item = QGraphicsTextItem()
    item.setFont(font)
    item.setHtml(text)
    r = item.boundingRect()
    return r.width(), r.height()


LABEL_PADDING = 9.0  # QtCharts keeps ≈ 4 px either side of a category label; one more for rounding


def fit_category_labels(chart: QChart, ax: QBarCategoryAxis, n: int) -> None:
    """Keep the labels under upright bars whole (QtCharts draws "…" for a label wider than its
    category): a smaller font first, then the labels turned upright when the chart is narrow."""
    if n == 0:
        return
    full_pt = ax.labelsFont().pointSizeF()

    def fit() -> None:
        per = chart.plotArea().width() / n - LABEL_PADDING
        if per <= 0:
            return
        f = QFont(ax.labelsFont())
        choice: tuple[float, int] | None = None
        sizes = [full_pt - 0.5 * i for i in range(int((full_pt - MIN_LABEL_PT) / 0.5) + 1)] or [
            full_pt
        ]
        for angle in (
            0,
            -90,
        ):  # across first; standing up only when even the smallest font is too wide
            for pt in sizes:
                f.setPointSizeF(pt)
                w, h = max(_label_size(f, c) for c in ax.categories())
                if (w if angle == 0 else h) <= per:
                    choice = (pt, angle)
                    break
            if choice:
                break
        pt, angle = choice or (MIN_LABEL_PT, -90)
        if ax.labelsFont().pointSizeF() != pt:
            f.setPointSizeF(pt)
            ax.setLabelsFont(f)
        if ax.labelsAngle() != angle:
            ax.setLabelsAngle(angle)

    chart.plotAreaChanged.connect(lambda _r: fit())  # the width is known only once laid out
    fit()


def _bars(chart: QChart, spec: ChartSpec) -> None:
    """Bars; with long category names (行政处罚, 法制审核股 …) lying down, so the names fit in full.
    Month labels (1月 … 12月) stay under upright bars, in a font and angle that keeps them whole."""
    lying = (
        not is_month_axis(spec.categories)
        and max((len(c) for c in spec.categories), default=0) > 2
        and sum(len(c) for c in spec.categories) > 12
    )
    series: QAbstractBarSeries
    if spec.kind == "stacked":
        series = QHorizontalStackedBarSeries() if lying else QStackedBarSeries()
    else:
        series = QHorizontalBarSeries() if lying else QBarSeries()
    for name, values in spec.series.items():
        bs = QBarSet(name)
        bs.append([float(v) for v in values])
        series.append(bs)
    columns = list(zip(*spec.series.values(), strict=False)) if spec.series else []
    if spec.kind == "stacked":
        top = max((sum(c) for c in columns), default=0.0)
    else:
        top = max((max(c) for c in columns), default=0.0)
    chart.addSeries(series)
    cat_side, val_side = (
        (Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignBottom)
        if lying
        else (Qt.AlignmentFlag.AlignBottom, Qt.AlignmentFlag.AlignLeft)
    )
    ax = QBarCategoryAxis()
    ax.append(list(reversed(spec.categories)) if lying else spec.categories)  # first at the top
    if lying:  # the bar sets follow the reversed order too
        for bs in series.barSets():
            vals = [bs.at(i) for i in range(bs.count())]
            bs.remove(0, bs.count())
            bs.append(list(reversed(vals)))
    chart.addAxis(ax, cat_side)
    series.attachAxis(ax)
    if not lying:
        fit_category_labels(chart, ax, len(spec.categories))
    ay = QValueAxis()
    ay.setLabelFormat("%d")
    hi = max(1, math.ceil(max(top, spec.target or 0) * 1.1))
    ay.setRange(0, hi)
    if hi <= 5:
        ay.setTickCount(hi + 1)
    else:
        ay.applyNiceNumbers()
    if spec.y_label:
        ay.setTitleText(spec.y_label)
        if (
            hi < 10 and not lying
        ):  # QtCharts leaves the title beside one-digit labels no room ("...")
            ay.setLabelFormat("&nbsp;%d")
    chart.addAxis(ay, val_side)
    series.attachAxis(ay)
    if spec.target is not None and spec.categories:
        line = QLineSeries()
        line.setName(f"目标 {spec.target:g}")
        n = len(spec.categories)
        for pos in (-0.5, n - 0.5):
            line.append(spec.target, pos) if lying else line.append(pos, spec.target)
        chart.addSeries(line)
        ax2 = QValueAxis()
        ax2.setRange(-0.5, n - 0.5)
        ax2.setVisible(False)
        chart.addAxis(ax2, cat_side)
        line.attachAxis(ax2)
        line.attachAxis(ay)
        chart.legend().setVisible(True)
