"""培训台账 page: sessions, the brigade's hours (progress bars, chart by month), one person's ledger,
exam results with a one-click 通报 PDF, and the annual plan.

Opening the page builds and loads only what the clerk sees: the headline and the sessions table
(a lazy SQL model). Every other tab builds its widgets and reads its data the first time it is
shown, and again after the year or the data changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.changes import Changes
from brigade_desk.services.training import (
    ExamRow,
    LedgerLine,
    SessionFilter,
    SessionRow,
    TrainingService,
    YearOverview,
    category_label,
    category_names,
)
from brigade_desk.services.training_hours import PersonHours, fmt_hours
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.training.editor import FormsDialog, SessionDialog
from brigade_desk.ui.training.plan import PlanTab
from brigade_desk.ui.training.sessions_model import COL_END, COLUMNS, SessionTableModel
from brigade_desk.ui.widgets.files import save_file_name
from brigade_desk.ui.widgets.table import (
    MUTED,
    PROBLEM,
    WARNING,
    Column,
    FilterProxy,
    ListTableModel,
    apply_widths,
    make_view,
    restore_header,
    save_header,
)

ALL = "（全部）"
Index = QModelIndex | QPersistentModelIndex


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


def _table(
    parent: QWidget, cols: list[Column[Any]], name: str, ctx: AppContext
) -> tuple[Any, FilterProxy, Any]:
    model: ListTableModel[Any] = ListTableModel(cols, parent)
    proxy = FilterProxy(parent)
    proxy.setSourceModel(model)
    view = make_view(parent, name)
    view.setModel(proxy)
    apply_widths(view, cols)
    restore_header(view, ctx.qsettings, name)
    return model, proxy, view


TAB_SESSIONS, TAB_BRIGADE, TAB_PERSON, TAB_EXAMS, TAB_PLAN = range(5)


class TrainingPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.service = TrainingService(ctx.db)
        self._stale = True  # nothing loaded yet, or the data changed while the page was hidden
        self._gen = 0  # bumped by every reload: results of older background loads are dropped
        self._built: set[int] = set()
        self._loaded: set[int] = set()  # tabs whose data is current for the year shown
        self._pending_person: int | None = None
        self.year = QComboBox()
        self.year.setMinimumWidth(90)
        top = QHBoxLayout()
        top.addWidget(QLabel("年度"))
        top.addWidget(self.year)
        self.summary = QLabel()
        top.addWidget(self.summary, 1)
        self.tabs = QTabWidget()
        # (title, build the tab's widgets, load its data); tabs are built and loaded on first show
        self._tab_specs: list[tuple[str, Callable[[], QWidget], Callable[[], None]]] = [
            ("培训记录", self._build_sessions, self._load_sessions),
            ("学时统计", self._build_brigade, self._load_brigade),
            ("个人台账", self._build_person, self._load_person),
            ("考试成绩", self._build_exams, self._load_exams),
            ("年度计划", self._build_plan, self._load_plan),
        ]
        for title, _build, _load in self._tab_specs:
            host = QWidget()
            QVBoxLayout(host).setContentsMargins(0, 0, 0, 0)
            self.tabs.addTab(host, title)
        self._ensure_built(TAB_SESSIONS)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.year.currentIndexChanged.connect(lambda _i: self.reload(keep_years=True))
        ctx.events.data_changed.connect(self._on_changed)

    # ---- lazy tabs ----------------------------------------------------------------------------
    def _ensure_built(self, i: int) -> None:
        if i in self._built:
            return
        self._built.add(i)
        host = self.tabs.widget(i)
        host.layout().addWidget(self._tab_specs[i][1]())

    def is_loaded(self, i: int) -> bool:
        """Whether tab ``i`` holds current data (tabs load when first shown)."""
        return i in self._loaded

    def _load_tab(self, i: int) -> None:
        self._ensure_built(i)
        self._loaded.add(i)
        self._tab_specs[i][2]()

    def _on_tab_changed(self, i: int) -> None:
        self._ensure_built(i)
        if not self._stale and i not in self._loaded:
            self._load_tab(i)

    # ---- tabs ---------------------------------------------------------------------------------
    def _build_sessions(self) -> QWidget:
        w = QWidget()
        self.s_search = QLineEdit()
        self.s_search.setPlaceholderText("搜索培训名称、组织单位、地点…（Ctrl+F）")
        self.s_search.setClearButtonEnabled(True)
        self.s_form = QComboBox()
        self.s_form.addItem(ALL)
        self.s_cat = QComboBox()
        self.s_cat.addItem(ALL, "")
        for c in category_names():
            self.s_cat.addItem(category_label(c), c)
        add = QPushButton("新增培训")
        add.setShortcut("Ctrl+N")
        edit = QPushButton("编辑")
        delete = QPushButton("删除")
        imp = QPushButton("导入签到表…")
        exp = QPushButton("导出培训台账…")
        forms = QPushButton("培训形式…")
        prn = QPushButton("打印…")
        prn.setToolTip("打印当前列表（Ctrl+P）")
        prn.clicked.connect(self.print_sessions)
        QShortcut(QKeySequence.StandardKey.Print, w, activated=self.print_sessions)
        bar = QHBoxLayout()
        bar.addWidget(self.s_search, 2)
        bar.addWidget(QLabel("形式"))
        bar.addWidget(self.s_form)
        bar.addWidget(QLabel("类别"))
        bar.addWidget(self.s_cat)
        bar2 = (
            QHBoxLayout()
        )  # the actions on a second row: the page fits a 1366-pixel laptop screen
        bar2.addStretch(1)
        for b in (add, edit, delete, imp, exp, forms, prn):
            bar2.addWidget(b)
        # a lazy model: ids filtered and sorted in SQL, rows fetched when painted
        self.s_model = SessionTableModel(self.service, w)
        self.s_view = make_view(w, "training_sessions")
        self.s_view.setModel(self.s_model)
        for i, col in enumerate(COLUMNS):
            self.s_view.setColumnWidth(i, col[3])
        self.s_view.horizontalHeader().setSortIndicator(COL_END, Qt.SortOrder.DescendingOrder)
        restore_header(self.s_view, self.ctx.qsettings, "training_sessions")
        self.s_view.doubleClicked.connect(lambda _i: self.edit_session())
        self.s_search.textChanged.connect(lambda _t: self._filter_sessions())
        self.s_form.currentIndexChanged.connect(lambda _i: self._filter_sessions())
        self.s_cat.currentIndexChanged.connect(lambda _i: self._filter_sessions())
        add.clicked.connect(self.add_session)
        edit.clicked.connect(lambda: self.edit_session())
        delete.clicked.connect(self.delete_session)
        imp.clicked.connect(self.import_sheet)
        exp.clicked.connect(lambda: self.export())
        forms.clicked.connect(self.edit_forms)
        lay = QVBoxLayout(w)
        lay.addLayout(bar)
        lay.addLayout(bar2)
        lay.addWidget(self.s_view, 1)
        return w

    def _build_brigade(self) -> QWidget:
        w = QWidget()
        self.b_who = QComboBox()
        self.b_who.addItems(["在岗执法人员（计入 60 学时考核）", "执法辅助人员及其他（单列）", ALL])
        self.b_behind = QCheckBox("只看未达标")
        self.b_search = QLineEdit()
        self.b_search.setPlaceholderText("搜索姓名、中队…（Ctrl+F）")
        bar = QHBoxLayout()
        bar.addWidget(self.b_search, 1)
        bar.addWidget(self.b_who)
        bar.addWidget(self.b_behind)
        bar.addStretch(1)
        self.b_stats = QLabel()
        bar.addWidget(self.b_stats)
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
        self.b_cols = cols
        self.b_model, self.b_proxy, self.b_view = _table(w, cols, "training_brigade", self.ctx)
        self.progress_col = 9
        self.b_model.row_color = lambda p: (
            (PROBLEM if p.progress < 0.5 else WARNING)
            if p.counted and p.missing > 0
            else (MUTED if not p.counted else None)
        )
        orig = self.b_model.data

        def data(index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
            if index.isValid() and index.column() == self.progress_col:
                p = self.b_model.rows[index.row()]
                if role == Qt.ItemDataRole.DisplayRole:
                    return (
                        f"{fmt_hours(p.professional)} / {fmt_hours(p.required)}"
                        if p.counted
                        else "不计入考核"
                    )
            return orig(index, role)

        self.b_model.data = data  # type: ignore[method-assign]
        self.b_view.setItemDelegateForColumn(self.progress_col, ProgressDelegate(self.b_view))
        self.b_view.doubleClicked.connect(self._open_person_from_brigade)
        self.b_search.textChanged.connect(self.b_proxy.set_text)
        self.b_who.currentIndexChanged.connect(lambda _i: self._filter_brigade())
        self.b_behind.toggled.connect(lambda _b: self._filter_brigade())
        self.chart_host = QWidget()
        self.chart_lay = QVBoxLayout(self.chart_host)
        self.chart_lay.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.b_view)
        split.addWidget(self.chart_host)
        split.setSizes([420, 280])
        lay = QVBoxLayout(w)
        lay.addLayout(bar)
        lay.addWidget(split, 1)
        self._filter_brigade()
        return w

    def _build_person(self) -> QWidget:
        w = QWidget()
        self.p_person = QComboBox()
        self.p_person.setMinimumWidth(220)
        self.p_person.setEditable(True)
        self.p_person.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.p_bar = QProgressBar()
        self.p_bar.setRange(0, 100)
        self.p_bar.setFormat("业务学时 %p%")
        self.p_info = QLabel()
        self.p_info.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("人员"))
        bar.addWidget(self.p_person)
        bar.addWidget(self.p_bar, 1)
        cols: list[Column[LedgerLine]] = [
            Column("开始日期", lambda r: r.start_date, 90),
            Column("结束日期", lambda r: r.end_date, 90),
            Column("培训名称", lambda r: r.title, 300),
            Column("形式", lambda r: r.form, 90),
            Column("类别", lambda r: category_label(r.category), 120),
            Column("本次学时", lambda r: r.session_hours, 60, True),
            Column("出勤", lambda r: "出勤" if r.attended else "缺勤", 50),
            Column("实得学时", lambda r: r.credited, 60, True),
            Column("考试成绩", lambda r: r.exam_score, 60, True),
            Column(
                "考试结果",
                lambda r: (
                    None if r.exam_passed is None else ("合格" if r.exam_passed else "不合格")
                ),
                60,
            ),
            Column("缺勤原因", lambda r: r.absence_reason, 120),
        ]
        self.p_model, self.p_proxy, self.p_view = _table(w, cols, "training_person", self.ctx)
        self.p_model.row_color = lambda r: (
            MUTED if not r.attended else (PROBLEM if r.exam_passed is False else None)
        )
        self.p_person.currentIndexChanged.connect(lambda _i: self.load_person())
        lay = QVBoxLayout(w)
        lay.addLayout(bar)
        lay.addWidget(self.p_info)
        lay.addWidget(self.p_view, 1)
        return w

    def _build_exams(self) -> QWidget:
        w = QWidget()
        self.e_session = QComboBox()
        self.e_session.setMinimumWidth(320)
        self.e_only_failed = QCheckBox("只看不合格/缺考")
        self.notice_btn = QPushButton("生成成绩通报 PDF…")
        self.e_stats = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("考试"))
        bar.addWidget(self.e_session, 1)
        bar.addWidget(self.e_only_failed)
        bar.addWidget(self.e_stats)
        bar.addWidget(self.notice_btn)
        cols: list[Column[ExamRow]] = [
            Column("日期", lambda r: r.date, 90),
            Column("培训/考试", lambda r: r.title, 260),
            Column("姓名", lambda r: r.name, 80),
            Column("中队", lambda r: r.squad, 100),
            Column("成绩", lambda r: r.score, 60, True),
            Column(
                "结果",
                lambda r: (
                    ("合格" if r.passed else "不合格")
                    if r.attended and r.passed is not None
                    else ("缺考" if not r.attended else "无成绩")
                ),
                60,
            ),
            Column("缺考原因", lambda r: r.absence_reason, 120),
        ]
        self.e_model, self.e_proxy, self.e_view = _table(w, cols, "training_exams", self.ctx)
        self.e_model.row_color = lambda r: (
            PROBLEM if r.passed is False else (MUTED if not r.attended else None)
        )
        self.e_session.currentIndexChanged.connect(lambda _i: self._load_exam_rows())
        self.e_only_failed.toggled.connect(lambda _b: self._filter_exams())
        self.notice_btn.clicked.connect(lambda: self.make_notice())
        lay = QVBoxLayout(w)
        lay.addLayout(bar)
        lay.addWidget(self.e_view, 1)
        return w

    def _build_plan(self) -> QWidget:
        self.plan_tab = PlanTab(self.ctx, self.service, self.current_year)
        return self.plan_tab

    # ---- loading ------------------------------------------------------------------------------
    def current_year(self) -> int:
        y = self.year.currentData()
        return int(y) if y else dt.date.today().year

    def _on_changed(self, what: Changes) -> None:
        if what & (Changes.TRAINING | Changes.STAFF | Changes.SETTINGS):
            self._stale = True
            if self.isVisible():
                self.reload()

    def on_shown(self) -> None:
        if self._stale:
            self.reload()

    def as_of(self) -> dt.date:
        return min(dt.date.today(), dt.date(self.current_year(), 12, 31))

    def reload(self, *, keep_years: bool = False) -> None:
        """Read the headline and the tab on show; the other tabs read theirs when next shown."""
        self._stale = False
        self._gen += 1
        self._loaded.clear()
        if not keep_years:
            years = sorted({dt.date.today().year, *self.service.years()}, reverse=True)
            cur = self.year.currentData()
            self.year.blockSignals(True)
            self.year.clear()
            for y in years:
                self.year.addItem(f"{y}年", y)
            self.year.setCurrentIndex(max(0, self.year.findData(cur)) if cur else 0)
            self.year.blockSignals(False)
        self._load_summary()
        self._load_tab(self.tabs.currentIndex())

    def _run(self, work: Any, done: Any, label: str) -> None:
        """Run a load in the background; its result is dropped if the page reloaded meanwhile."""
        gen = self._gen

        def deliver(res: Any) -> None:
            if gen == self._gen:
                done(res)

        self.ctx.tasks.run(work, on_success=deliver, label=label, parent=self)

    def _load_summary(self) -> None:
        svc, year, as_of = self.service, self.current_year(), self.as_of()
        self._run(
            lambda _p: svc.year_overview(year, as_of), self._show_summary, "正在读取培训台账…"
        )

    def _show_summary(self, ov: YearOverview) -> None:
        self.summary.setText(
            f"  {ov.year} 年：培训 {ov.sessions} 次；在岗执法人员 {ov.counted} 人，"
            f"业务学时已满 {fmt_hours(ov.required)} 的 {ov.counted - ov.behind} 人，未满 {ov.behind} 人"
            f"（截至 {ov.as_of:%Y-%m-%d}）"
        )

    def _load_sessions(self) -> None:
        forms = self.service.session_forms(self.current_year())
        cur_form = self.s_form.currentText()
        self.s_form.blockSignals(True)
        self.s_form.clear()
        self.s_form.addItems([ALL, *forms])
        self.s_form.setCurrentText(cur_form or ALL)
        self.s_form.blockSignals(False)
        self._filter_sessions()

    def _load_brigade(self) -> None:
        svc, year, as_of = self.service, self.current_year(), self.as_of()

        def done(res: tuple[list[PersonHours], list[tuple[float, float]]]) -> None:
            people, months = res
            self.b_model.set_rows(people)
            self._filter_brigade()
            self._draw_chart(year, months)

        self._run(
            lambda _p: (svc.year_summary(year, until=as_of), svc.hours_by_month(year)),
            done,
            "正在统计学时…",
        )

    def _load_person(self) -> None:
        svc, year, as_of = self.service, self.current_year(), self.as_of()

        def done(people: list[Any]) -> None:
            keep = (
                self._pending_person
                if self._pending_person is not None
                else self.p_person.currentData()
            )
            self._pending_person = None
            self.p_person.blockSignals(True)
            self.p_person.clear()
            for p in people:
                self.p_person.addItem(f"{p.name}（{p.squad or '未分中队'}）", p.staff_id)
            self.p_person.setCurrentIndex(max(0, self.p_person.findData(keep)) if keep else 0)
            self.p_person.blockSignals(False)
            self.load_person()

        self._run(lambda _p: svc.ledger_people(year, as_of), done, "正在读取人员…")

    def _load_exams(self) -> None:
        svc, year = self.service, self.current_year()

        def done(exams: list[tuple[int, dt.date, str]]) -> None:
            keep = self.e_session.currentData()
            self.e_session.blockSignals(True)
            self.e_session.clear()
            self.e_session.addItem(ALL, None)
            for sid, day, title in exams:
                self.e_session.addItem(f"{day:%Y-%m-%d} {title}", sid)
            idx = self.e_session.findData(keep) if keep else (1 if exams else 0)
            self.e_session.setCurrentIndex(max(0, idx))
            self.e_session.blockSignals(False)
            self._load_exam_rows()

        self._run(lambda _p: svc.exam_sessions(year), done, "正在读取考试…")

    def _load_exam_rows(self) -> None:
        """The results of the exam chosen (or of every exam of the year), read in SQL."""
        svc, year, sid = self.service, self.current_year(), self.e_session.currentData()

        def done(rows: list[ExamRow]) -> None:
            self.e_model.set_rows(rows)
            self._filter_exams()

        self._run(
            lambda _p: (
                svc.exam_results(year) if sid is None else svc.exam_results(session_id=int(sid))
            ),
            done,
            "正在读取考试成绩…",
        )

    def _load_plan(self) -> None:
        self.plan_tab.reload()

    def _draw_chart(self, year: int, months: list[tuple[float, float]]) -> None:
        from brigade_desk.reports.dashboard import ChartSpec
        from brigade_desk.ui.widgets.charts import make_chart_view

        while self.chart_lay.count():
            item = self.chart_lay.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
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

    def _filter_sessions(self) -> None:
        if TAB_SESSIONS not in self._loaded:
            return  # applied when the tab loads
        form = self.s_form.currentText()
        self.s_model.reload(
            SessionFilter(
                year=self.current_year(),
                text=self.s_search.text().strip(),
                form="" if form in ("", ALL) else form,
                category=self.s_cat.currentData() or "",
            )
        )

    def _filter_brigade(self) -> None:
        who = self.b_who.currentIndex()
        behind = self.b_behind.isChecked()

        def pred(p: PersonHours) -> bool:
            if who == 0 and not p.counted or who == 1 and p.counted:
                return False
            return not behind or (p.counted and p.missing > 0)

        self.b_proxy.set_predicate(pred)
        rows = [p for p in self.b_model.rows if pred(p)]
        if rows:
            avg = sum(p.professional for p in rows) / len(rows)
            self.b_stats.setText(f"{len(rows)} 人，人均业务学时 {avg:.1f}")
        else:
            self.b_stats.setText("")

    def _filter_exams(self) -> None:
        sid = self.e_session.currentData()
        failed = self.e_only_failed.isChecked()
        self.e_proxy.set_predicate(lambda r: not failed or r.passed is False or not r.attended)
        rows = self.e_model.rows  # already those of the exam chosen
        scored = [r for r in rows if r.score is not None]
        ok = sum(1 for r in scored if r.passed)
        self.e_stats.setText(
            f"参考 {len(scored)} 人，合格 {ok} 人"
            + (f"，合格率 {ok / len(scored):.0%}" if scored else "")
        )
        self.notice_btn.setEnabled(sid is not None)

    def load_person(self) -> None:
        sid = self.p_person.currentData()
        if sid is None:
            self.p_model.set_rows([])
            self.p_info.setText("")
            return
        led = self.service.person_ledger(int(sid), self.current_year())
        p = led.person
        self.p_model.set_rows(led.lines)
        self.p_bar.setValue(int(round(p.progress * 100)))
        self.p_bar.setEnabled(p.counted)
        cats = "，".join(
            f"{category_label(c)} {fmt_hours(p.by_category.get(c, 0.0))}" for c in category_names()
        )
        state = (
            (
                f"业务学时 {fmt_hours(p.professional)} / {fmt_hours(p.required)}，"
                + ("已完成" if p.missing <= 0 else f"还差 {fmt_hours(p.missing)} 学时")
            )
            if p.counted
            else "不计入 60 学时考核（执法辅助人员或不在岗）"
        )
        rot = self.service.rotation_status(int(sid), self.as_of()).text
        self.p_info.setText(
            f"<b>{p.name}</b>（{p.squad}，{p.category}，{p.status}） {led.year} 年：{cats}；"
            f"总学时 {fmt_hours(p.total)}。{state}。参训 {p.sessions} 次，缺勤 {p.absences} 次，"
            f"考试 {p.exams_taken} 次，合格 {p.exams_passed} 次。" + (f"{rot}。" if rot else "")
        )

    def _open_person_from_brigade(self, index: QModelIndex) -> None:
        p = self.b_model.rows[self.b_proxy.mapToSource(index).row()]
        self.show_person(p.staff_id)

    def show_person(self, staff_id: int) -> None:
        if TAB_PERSON in self._loaded:
            i = self.p_person.findData(staff_id)
            if i >= 0:
                self.p_person.setCurrentIndex(i)
        else:
            self._pending_person = staff_id  # chosen when the tab loads
        self.tabs.setCurrentIndex(TAB_PERSON)

    def open_record(self, entity: str, record_id: int) -> None:
        if self._stale:
            self.reload()
        if entity == "training_plan":
            self.tabs.setCurrentIndex(TAB_PLAN)
        elif entity == "training_session":
            self.tabs.setCurrentIndex(TAB_SESSIONS)
            self.edit_session(record_id)
        elif entity == "training_month":  # a month without the all-staff legal study (202608)
            year, month = divmod(record_id, 100)
            i = self.year.findData(year)
            if i >= 0:
                self.year.setCurrentIndex(i)
            self.tabs.setCurrentIndex(TAB_SESSIONS)
            self.ctx.say(
                f"{year} 年 {month} 月没有登记全员集中学法。如已开展，请点“新增培训”补录，"
                "并勾选“每月全员集中学法”。"
            )

    # ---- actions ------------------------------------------------------------------------------
    def current_session(self) -> SessionRow | None:
        idx = self.s_view.currentIndex()
        if not idx.isValid():
            return None
        try:
            return self.s_model.row_at(idx.row())
        except LookupError:
            return None

    def add_session(self) -> None:
        year = self.current_year()
        default = dt.date.today() if year == dt.date.today().year else dt.date(year, 12, 1)
        dlg = SessionDialog(self.service, None, self, default_date=default)
        if dlg.exec():
            self._saved("已新增培训记录")

    def edit_session(self, session_id: int | None = None) -> None:
        if session_id is None:
            row = self.current_session()
            if row is None:
                return
            session_id = row.id
        dlg = SessionDialog(self.service, self.service.get_session(session_id), self)
        if dlg.exec():
            self._saved("已保存培训记录")

    def _saved(self, text: str) -> None:
        self.ctx.changed(Changes.TRAINING)
        self.ctx.say(text)
        if not self.isVisible():
            self.reload()

    def delete_session(self) -> None:
        row = self.current_session()
        if row is None:
            return
        ok = QMessageBox.question(
            self,
            "删除培训记录",
            f"删除“{row.title}”（{row.end_date:%Y-%m-%d}）及其 {row.attendees + row.absent} 条参训记录？",
        )
        if ok == QMessageBox.StandardButton.Yes:  # undoable: 编辑 → 撤销删除 (services.undo)
            self.ctx.delete(
                f"培训 {row.title}（{row.end_date:%Y-%m-%d}）",
                Changes.TRAINING,
                lambda: self.service.delete_session(row.id),
            )
            if not self.isVisible():
                self.reload()

    def print_sessions(self) -> None:
        from brigade_desk.ui.widgets.printing import print_table

        what = f"{self.current_year()} 年" + (
            f"；搜索“{self.s_search.text().strip()}”" if self.s_search.text().strip() else ""
        )
        print_table(
            self.s_view, "培训记录台账", f"{what}；共 {self.s_model.rowCount()} 次培训", self
        )

    def import_sheet(self) -> None:
        from brigade_desk.ui.import_dialog import ImportDialog

        ImportDialog(self.ctx, self, None, kind="training").exec()

    def edit_forms(self) -> None:
        if FormsDialog(self.service, self).exec():
            self.ctx.changed(Changes.TRAINING)

    def export(self, path: str | None = None, quarter: int | None = None) -> None:
        year = self.current_year()
        if path is None:
            path = save_file_name(
                self, "导出培训台账", f"{year}年培训台账.xlsx", "Excel 文件 (*.xlsx)"
            )
            if not path:
                return
        from brigade_desk.exports.training import export_training

        db = self.ctx.db
        self.ctx.tasks.run(
            lambda p: export_training(db, path, year=year, quarter=quarter, progress=p),
            on_success=lambda out: self.ctx.say(f"已导出：{out}"),
            label="正在导出培训台账…",
            parent=self,
        )

    def make_notice(self, path: str | None = None) -> None:
        sid = self.e_session.currentData()
        if sid is None:
            QMessageBox.information(self, "成绩通报", "请先在“考试”中选择一次考试。")
            return
        if path is None:
            label = self.e_session.currentText().replace("/", "-")
            path = save_file_name(self, "保存成绩通报", f"{label}成绩通报.pdf", "PDF 文件 (*.pdf)")
            if not path:
                return
        from brigade_desk.exports.training_pdf import exam_notice_pdf

        db = self.ctx.db
        self.ctx.tasks.run(
            lambda _p: exam_notice_pdf(db, path, int(sid)),
            on_success=lambda out: self.ctx.say(f"已生成成绩通报：{out}"),
            label="正在生成成绩通报…",
            parent=self,
        )

    def filter_field(self) -> QWidget | None:
        """What Ctrl+F goes to on the tab shown (MainWindow.focus_filter): the search field of 培训记录
        and 学时统计, the person of 个人台账, the exam of 考试成绩; 年度计划 has no list to search."""
        i = self.tabs.currentIndex()
        self._ensure_built(i)
        name = {
            TAB_SESSIONS: "s_search",
            TAB_BRIGADE: "b_search",
            TAB_PERSON: "p_person",
            TAB_EXAMS: "e_session",
        }.get(i)
        return getattr(self, name) if name else None

    def bench_filter(self, text: str) -> None:
        self.s_search.setText(text)

    def hideEvent(self, event: Any) -> None:  # noqa: N802
        for name, key in (
            ("s_view", "training_sessions"),
            ("b_view", "training_brigade"),
            ("p_view", "training_person"),
            ("e_view", "training_exams"),
        ):
            view = getattr(self, name, None)  # tabs never shown have no view yet
            if view is not None:
                save_header(view, self.ctx.qsettings, key)
        super().hideEvent(event)

    def screenshot_extras(self, out: Path) -> None:
        """Save every tab and the attendance editor (used by brigade_desk.ui.screenshots)."""
        for i in range(self.tabs.count()):
            self.tabs.setCurrentIndex(i)  # a tab reads its data in the background when first shown
            QApplication.processEvents()
            self.ctx.tasks.wait_idle()
            QApplication.processEvents()
            self.window().grab().save(str(out / f"training-tab{i}.png"))
        self.tabs.setCurrentIndex(TAB_SESSIONS)
        if self.s_model.rowCount():
            big = max(
                (self.s_model.row_at(i) for i in range(min(50, self.s_model.rowCount()))),
                key=lambda r: r.attendees,
            )
            dlg = SessionDialog(self.service, self.service.get_session(big.id), self)
            dlg.resize(1000, 760)
            dlg.show()
            QApplication.processEvents()
            dlg.grab().save(str(out / "training-editor.png"))
            dlg.close()
