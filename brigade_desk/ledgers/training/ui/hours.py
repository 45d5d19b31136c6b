"""学时统计: everybody's hours of the year with a progress bar against the required hours, and a chart of
the hours by month. A double click opens the person's own ledger."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.ledgers.training.hours import PersonHours, fmt_hours
from brigade_desk.ledgers.training.ui.common import ALL, TrainingHost, TrainingTab, make_table
from brigade_desk.ui.widgets.table import MUTED, PROBLEM, WARNING, Column, save_header

Index = QModelIndex | QPersistentModelIndex
HEADER_KEY = "training_brigade"


class ProgressDelegate(QStyledItemDelegate):
    """Draws a cell whose UserRole value is 0..1 as a progress bar (professional hours vs 60)."""

    def paint(self, painter: Any, option: QStyleOptionViewItem, index: Index) -> None:
        value = index.data(Qt.ItemDataRole.UserRole)
        if not isinstance(value, int | float):
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = QRect(option.rect.adjusted(2, 3, -2, -3))
        bar.minimum, bar.maximum = 0, 100
        bar.progress = int(round(float(value) * 100))
        bar.text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        bar.textVisible = True
        bar.state = QStyle.StateFlag.State_Enabled
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class HoursTab(TrainingTab):
    progress_col = 9

    def __init__(self, page: TrainingHost) -> None:
        super().__init__(page)
        self.who = QComboBox()
        self.who.addItems(["在岗执法人员（计入 60 学时考核）", "执法辅助人员及其他（单列）", ALL])
        self.behind = QCheckBox("只看未达标")
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索姓名、中队…（Ctrl+F）")
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.who)
        bar.addWidget(self.behind)
        bar.addStretch(1)
        self.stats = QLabel()
        bar.addWidget(self.stats)
        cols: list[Column[PersonHours]] = [
            Column("姓名", lambda p: p.name, 80),
            Column("中队", lambda p: p.squad, 100),
            Column("人员类别", lambda p: p.category, 90),
            Column("状态", lambda p: p.status, 50),
            Column("政治理论和党性教育", lambda p: p.political, 140, True),
            Column("公共法律知识", lambda p: p.by_category.get("公共法律知识", 0.0), 90, True),
            Column("业务知识", lambda p: p.by_category.get("业务知识", 0.0), 70, True),
            Column("执法技能", lambda p: p.by_category.get("执法技能", 0.0), 70, True),
            Column("业务学时", lambda p: p.professional, 70, True),
            Column("完成进度", lambda p: p.progress if p.counted else None, 170),
            Column("尚差", lambda p: p.missing if p.counted else None, 60, True),
            Column("参训次数", lambda p: p.sessions, 60, True),
            Column("考试/合格", lambda p: f"{p.exams_taken}/{p.exams_passed}", 70),
        ]
        self.model, self.proxy, self.view = make_table(self, cols, HEADER_KEY, self.ctx)
        self.model.row_color = lambda p: (
            (PROBLEM if p.progress < 0.5 else WARNING)
            if p.counted and p.missing > 0
            else (MUTED if not p.counted else None)
        )
        orig = self.model.data

        def data(index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
            if index.isValid() and index.column() == self.progress_col:
                p = self.model.rows[index.row()]
                if role == Qt.ItemDataRole.DisplayRole:
                    return (
                        f"{fmt_hours(p.professional)} / {fmt_hours(p.required)}"
                        if p.counted
                        else "不计入考核"
                    )
            return orig(index, role)

        self.model.data = data
        self.view.setItemDelegateForColumn(self.progress_col, ProgressDelegate(self.view))
        self.view.doubleClicked.connect(self._open_person)
        self.search.textChanged.connect(self.proxy.set_text)
        self.who.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.behind.toggled.connect(lambda _b: self.apply_filter())
        self.chart_host = QWidget()
        self.chart_lay = QVBoxLayout(self.chart_host)
        self.chart_lay.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.chart_host)
        split.setSizes([420, 280])
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(split, 1)
        self.apply_filter()

    def reload(self) -> None:
        svc, year, as_of = self.service, self.page.current_year(), self.page.as_of()

        def done(res: tuple[list[PersonHours], list[tuple[float, float]]]) -> None:
            people, months = res
            self.model.set_rows(people)
            self.apply_filter()
            self._draw_chart(year, months)

        self.page.run(
            lambda _p: (svc.year_summary(year, until=as_of), svc.hours_by_month(year)),
            done,
            "正在统计学时…",
        )

    def apply_filter(self) -> None:
        who = self.who.currentIndex()
        behind = self.behind.isChecked()

        def pred(p: PersonHours) -> bool:
            if who == 0 and not p.counted or who == 1 and p.counted:
                return False
            return not behind or (p.counted and p.missing > 0)

        self.proxy.set_predicate(pred)
        rows = [p for p in self.model.rows if pred(p)]
        if rows:
            avg = sum(p.professional for p in rows) / len(rows)
            self.stats.setText(f"{len(rows)} 人，人均业务学时 {avg:.1f}")
        else:
            self.stats.setText("")

    def _draw_chart(self, year: int, months: list[tuple[float, float]]) -> None:
        from brigade_desk.core.ledger import ChartSpec
        from brigade_desk.ui.widgets.charts import make_chart_view

        while self.chart_lay.count():
            item = self.chart_lay.takeAt(0)
            old = item.widget() if item is not None else None
            if old is not None:
                old.deleteLater()
        spec = ChartSpec(
            "training_months",
            f"{year}年各月培训学时（人·学时）",
            "stacked",
            [f"{m}月" for m in range(1, 13)],
            {"政治理论和党性教育": [a for a, _b in months], "业务培训": [b for _a, b in months]},
            y_label="学时",
        )
        self.chart = make_chart_view(spec, self.chart_host)
        self.chart_lay.addWidget(self.chart)

    def _open_person(self, index: QModelIndex) -> None:
        p = self.model.rows[self.proxy.mapToSource(index).row()]
        self.page.show_person(p.staff_id)

    def filter_field(self) -> QWidget | None:
        return self.search

    def save_state(self) -> None:
        save_header(self.view, self.ctx.qsettings, HEADER_KEY)
