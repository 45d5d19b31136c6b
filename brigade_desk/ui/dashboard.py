"""首页: what is due to superiors, what is wrong (grouped), and the figures at a glance."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from PySide6.QtCharts import QChartView
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.changes import Changes
from brigade_desk.core.ledger import ChartSpec
from brigade_desk.core.rules import Finding
from brigade_desk.ledgers.av.verify import verified_share
from brigade_desk.ledgers.roster.service import RosterService
from brigade_desk.reports import reporting_calendar as calendar
from brigade_desk.reports.home import overview, overview_if_ready
from brigade_desk.reports.reporting_calendar import DeadlineItem
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.charts import make_chart_view, save_png
from brigade_desk.ui.widgets.files import existing_folder
from brigade_desk.ui.widgets.table import (
    PROBLEM,
    WARNING,
    Column,
    ListTableModel,
    apply_widths,
    make_view,
)

STATE_ZH = {"late": "已逾期", "due": "待报送", "done": "已报送"}


class DashboardPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self._stale = True
        self.labels = ctx.ledgers.rule_labels()
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background:#fde2e1; color:#8c1d18; padding:6px; font-weight:bold"
        )
        self.banner.hide()
        self.welcome = QLabel(
            "开始使用：先录入执法人员——在“执法人员花名册”中新增，或用“文件 → 从 Excel 导入”导入现有花名册"
            "（导入窗口可下载模板）。再录入培训记录、案件和音像记录；问题清单会随之检查。"
            "想先看看效果，可在命令行运行 brigade-desk --db 演示.sqlite demo 生成演示数据。"
        )
        self.welcome.setWordWrap(True)
        self.welcome.setStyleSheet("background:#e8f0fe; color:#174ea6; padding:6px")
        self.welcome.hide()
        self.headline = QLabel()
        self.headline.setStyleSheet("font-size:13pt; font-weight:bold; padding:4px")
        # how much of the AV index was re-verified lately (rolling verification, issue 19)
        self.av_verified = QLabel()
        self.av_verified.setStyleSheet("padding:0 4px 4px 4px")
        self.av_verified.hide()

        # deadlines
        cols: list[Column[DeadlineItem]] = [
            Column("状态", lambda i: STATE_ZH[i.state], 60),
            Column("截止", lambda i: i.due, 90),
            Column("事项", lambda i: i.name, 300),
            Column("期间", lambda i: i.period_label, 100),
        ]
        self.deadlines: ListTableModel[DeadlineItem] = ListTableModel(cols, self)
        self.deadlines.row_color = lambda i: (
            PROBLEM
            if i.state == "late"
            else (
                WARNING if i.state == "due" and (i.due - dt.date.today()).days <= i.lead else None
            )
        )
        self.dl_view = make_view(self, "deadlines")
        self.dl_view.setModel(self.deadlines)
        self.dl_view.setSortingEnabled(False)
        apply_widths(self.dl_view, cols)
        done_btn = QPushButton("标记为已报送")
        undo_btn = QPushButton("撤销标记")
        done_btn.clicked.connect(lambda: self._mark(True))
        undo_btn.clicked.connect(lambda: self._mark(False))
        dl_box = QGroupBox("上报事项（近 30 天及逾期）")
        dl_lay = QVBoxLayout(dl_box)
        dl_lay.addWidget(self.dl_view)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(done_btn)
        row.addWidget(undo_btn)
        dl_lay.addLayout(row)

        # findings grouped
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["问题", "期限", "说明"])
        self.tree.setColumnWidth(0, 260)
        self.tree.setColumnWidth(1, 90)
        self.tree.itemDoubleClicked.connect(self._open_finding)
        f_box = QGroupBox("检查发现的问题（双击打开记录）")
        f_lay = QVBoxLayout(f_box)
        f_lay.addWidget(self.tree)

        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(dl_box)
        left.addWidget(f_box)

        # charts
        self.charts_host = QWidget()
        self.charts_grid = QGridLayout(self.charts_host)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.charts_host)
        c_box = QGroupBox("数据概览")
        c_lay = QVBoxLayout(c_box)
        c_lay.addWidget(scroll)
        export = QPushButton("图表导出为 PNG…")
        export.clicked.connect(self.export_charts)
        c_lay.addWidget(export, 0, Qt.AlignmentFlag.AlignRight)
        self.chart_views: list[tuple[ChartSpec, QChartView]] = []

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(c_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([1000, 1000])  # half each: charts of 12 months need the room for 1月 … 12月
        lay = QVBoxLayout(self)
        lay.addWidget(self.banner)
        lay.addWidget(self.welcome)
        lay.addWidget(self.headline)
        lay.addWidget(self.av_verified)
        lay.addWidget(split, 1)
        ctx.events.data_changed.connect(self._changed)

    def _changed(self, _what: Changes) -> None:
        self._stale = True
        if self.isVisible():
            self.reload()

    def on_shown(self) -> None:
        if self._stale:
            self.reload()

    def reload(self, fresh: bool = False) -> None:
        """Show the deadlines, findings and charts; at once when the background already has them
        for the data as it is now (see ``core.cache``), otherwise computed in the background."""
        self._stale = False
        db = self.ctx.db
        today = dt.date.today()
        ready = None if fresh else overview_if_ready(db, today)
        if ready is not None:
            self._loaded(ready)
            return

        ledgers = self.ctx.ledgers

        def work(_p: object) -> tuple[list[DeadlineItem], list[Finding], list[ChartSpec]]:
            return overview(db, today, ledgers, fresh=fresh)

        # no progress dialog: the page stays usable and says what it is doing until the figures come
        self.headline.setText("正在检查各台账、汇总期限和图表…")
        self.ctx.tasks.run(work, on_success=self._loaded)

    def _loaded(self, result: tuple[list[DeadlineItem], list[Finding], list[ChartSpec]]) -> None:
        items, findings, charts = result
        # an empty roster: say where to begin
        self.welcome.setVisible(RosterService(self.ctx.db).count() == 0)
        self.deadlines.set_rows(items)
        late = sum(1 for i in items if i.state == "late")
        due = sum(1 for i in items if i.state == "due")
        self.headline.setText(
            f"今天 {dt.date.today():%Y年%m月%d日}：逾期上报 {late} 项，30 天内待报 {due} 项，发现问题 {len(findings)} 项"
        )
        self._show_av_verified()
        res = getattr(self.ctx.window, "audit_result", None)
        if res is not None and not getattr(res, "ok", True):
            self.banner.setText(res.warning())
            self.banner.show()
        else:
            self.banner.hide()
        self.tree.clear()
        groups: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            groups[f.rule].append(f)
        order = list(self.labels)
        for rule in sorted(groups, key=lambda r: order.index(r) if r in order else 99):
            fs = groups[rule]
            top = QTreeWidgetItem([f"{self.labels.get(rule, rule)}（{len(fs)}）", "", ""])
            for f in sorted(fs, key=lambda f: (f.due or dt.date.max, f.subject)):
                child = QTreeWidgetItem([f.subject, f.due.isoformat() if f.due else "", f.detail])
                child.setData(0, Qt.ItemDataRole.UserRole, (f.entity, f.entity_id))
                child.setToolTip(2, f.detail)
                top.addChild(child)
            self.tree.addTopLevelItem(top)
        while self.charts_grid.count():
            item = self.charts_grid.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        self.chart_views = []
        for i, spec in enumerate(charts):
            v = make_chart_view(spec, self.charts_host)
            v.setMinimumHeight(300)
            self.charts_grid.addWidget(v, i, 0)
            self.chart_views.append((spec, v))

    def _show_av_verified(self) -> None:
        """ "音像记录校验：近 30 天 … 个（…%），近 90 天 …": two indexed counts, a few ms."""
        shares = verified_share(self.ctx.db)
        total = shares[0].total if shares else 0
        self.av_verified.setVisible(total > 0)
        if total:
            parts = "，".join(
                f"近 {x.days} 天 {x.verified}/{x.total} 个（{x.percent:.1f}%）" for x in shares
            )
            self.av_verified.setText(f"音像记录校验：{parts}（音像记录 → 校验 → 限时校验…）")

    def _open_finding(self, item: QTreeWidgetItem, _col: int) -> None:
        data = item.data(0, Qt.ItemDataRole.UserRole)
        if data and data[0]:
            self.ctx.open_record(data[0], data[1])

    def _mark(self, done: bool) -> None:
        sel = self.dl_view.selectionModel().selectedRows()
        if not sel:
            self.ctx.say("请先在“上报事项”中选中一项")
            return
        item = self.deadlines.row_at(sel[0].row())
        calendar.set_done(self.ctx.db, item.key, item.period, done)
        self.ctx.say(
            f"{item.name}（{item.period_label}）已{'标记为已报送' if done else '撤销已报送标记'}"
        )
        self.ctx.changed(Changes.REPORTS)

    def export_charts(self) -> None:
        folder = existing_folder(self, "选择保存图表的文件夹")
        if not folder:
            return
        n = sum(1 for spec, v in self.chart_views if save_png(v, f"{folder}/{spec.title}.png"))
        self.ctx.say(f"已导出 {n} 张图表到 {folder}")
