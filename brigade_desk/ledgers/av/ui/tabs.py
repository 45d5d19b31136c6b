"""The AV page's secondary tabs: verification runs, per-case view, storage roots and name patterns."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.ledgers.av.models import VERIFY_LABELS
from brigade_desk.ledgers.av.service import (
    AvFilter,
    AvRow,
    AvService,
    CaseSummary,
    PatternView,
    ResultView,
    RootView,
    RunView,
)
from brigade_desk.ledgers.av.ui.dialogs import PatternDialog
from brigade_desk.ledgers.av.ui.model import _dur
from brigade_desk.ui.tasks import TaskRunner
from brigade_desk.ui.widgets.table import (
    PROBLEM,
    WARNING,
    Column,
    FilterProxy,
    ListTableModel,
    apply_widths,
    make_view,
)


def open_file(path: str) -> bool:
    """Hand the file to the system's player (nothing is played inside the program)."""
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(path)))


class VerifyTab(QWidget):
    def __init__(
        self,
        service: AvService,
        start_verify: Callable[[list[int] | None], None],
        start_budget: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.summary = QLabel()
        self.verify_all = QPushButton("校验全部文件")
        self.verify_all.clicked.connect(lambda: start_verify(None))
        # a brigade's whole index takes days to hash: a run of so many minutes, carried on by the
        # next one (never verified first, then the longest ago)
        self.verify_budget = QPushButton("限时校验…")
        self.verify_budget.setToolTip(
            "在限定的时间内校验：从未校验的文件先校验，再按上次校验时间由远到近"
            "（案件证据和永久保存的文件提前排队）；下次接着校验"
        )
        self.verify_budget.setEnabled(start_budget is not None)
        if start_budget is not None:
            self.verify_budget.clicked.connect(lambda: start_budget())
        run_cols: list[Column[RunView]] = [
            Column("开始时间", lambda r: r.started_at, 130),
            Column("范围", lambda r: r.scope, 90),
            Column("校验数", lambda r: r.checked, 60, True),
            Column("完好", lambda r: r.ok, 60, True),
            Column("被修改", lambda r: r.modified, 60, True),
            Column("缺失", lambda r: r.missing, 60, True),
            Column("已移动", lambda r: r.moved, 60, True),
            Column(
                "结果",
                lambda r: (
                    "已取消"
                    if r.cancelled
                    else ("有问题" if r.modified or r.missing else "全部完好")
                ),
                80,
            ),
        ]
        self.runs: ListTableModel[RunView] = ListTableModel(run_cols, self)
        self.runs.row_color = lambda r: PROBLEM if r.modified or r.missing else None
        rp = FilterProxy(self)
        rp.setSourceModel(self.runs)
        self.run_view = make_view(self, "av_runs")
        self.run_view.setModel(rp)
        self.run_view.setSelectionMode(self.run_view.SelectionMode.SingleSelection)
        apply_widths(self.run_view, run_cols)
        self.run_proxy = rp
        res_cols: list[Column[ResultView]] = [
            Column("结果", lambda r: VERIFY_LABELS.get(r.status, r.status), 70),
            Column("文件", lambda r: r.path, 420),
            Column("现在位置", lambda r: r.new_path, 300),
            Column("说明", lambda r: r.detail, 300),
        ]
        self.results: ListTableModel[ResultView] = ListTableModel(res_cols, self)
        self.results.row_color = lambda r: WARNING if r.status == "moved" else PROBLEM
        self.res_proxy = FilterProxy(self)
        self.res_proxy.setSourceModel(self.results)
        self.res_view = make_view(self, "av_results")
        self.res_view.setTextElideMode(
            Qt.TextElideMode.ElideMiddle
        )  # a long path keeps its file name
        self.res_view.setModel(self.res_proxy)
        apply_widths(self.res_view, res_cols)
        self.res_search = QLineEdit()
        self.res_search.setPlaceholderText("在本次结果中搜索路径…")
        self.res_search.textChanged.connect(self.res_proxy.set_text)
        self.run_view.selectionModel().selectionChanged.connect(lambda *_: self._show_run())
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.verify_budget)
        top.addWidget(self.verify_all)
        split = QSplitter()
        split.setOrientation(split.orientation().Vertical)
        split.addWidget(self.run_view)
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("所选校验中有问题的文件（完好的不列出）"))
        ll.addWidget(self.res_search)
        ll.addWidget(self.res_view)
        split.addWidget(lower)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(split, 1)

    def reload(self) -> None:
        c = self.service.status_counts()
        self.summary.setText(
            f"共 {c['total']} 个文件：完好 {c.get('ok', 0)}，已移动 {c.get('moved', 0)}，"
            f"被修改 {c.get('modified', 0)}，缺失 {c.get('missing', 0)}，从未校验 {c['unchecked']}"
        )
        self.runs.set_rows(self.service.runs())
        if self.runs.rows:
            self.run_view.selectRow(0)
        else:
            self.results.set_rows([])

    def _show_run(self) -> None:
        idx = self.run_view.selectionModel().selectedRows()
        if not idx:
            return
        run = self.runs.row_at(self.run_proxy.mapToSource(idx[0]).row())
        self.results.set_rows(self.service.run_results(run.id))


class CasesTab(QWidget):
    """Per case: the case register's text record (when there is one) and all its AV records."""

    def __init__(self, service: AvService, tasks: TaskRunner) -> None:
        super().__init__()
        self.service = service
        self.tasks = tasks
        self._pending: str | None = None  # a case to select once the list is loaded
        case_cols: list[Column[CaseSummary]] = [
            Column("案件编号", lambda c: c.case_no, 170),
            Column("音像文件", lambda c: c.records, 60, True),
            Column("执法活动", lambda c: c.activities, 140),
            Column("缺少全程记录", lambda c: c.missing, 110),
            Column("最早", lambda c: c.first, 120),
            Column("最晚", lambda c: c.last, 120),
        ]
        self.cases: ListTableModel[CaseSummary] = ListTableModel(case_cols, self)
        self.cases.row_color = lambda c: PROBLEM if c.missing else None
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.cases)
        self.case_view = make_view(self, "av_cases")
        self.case_view.setModel(self.proxy)
        self.case_view.setSelectionMode(self.case_view.SelectionMode.SingleSelection)
        apply_widths(self.case_view, case_cols)
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索案件编号…")
        self.search.textChanged.connect(self.proxy.set_text)
        self.title = QLabel("选择一个案件")
        self.title.setStyleSheet("font-weight:bold; font-size:11pt")
        self.text_box = QGroupBox("案件文字记录（案件登记）")
        self.text_form = QFormLayout(self.text_box)
        rec_cols: list[Column[AvRow]] = [
            Column("拍摄时间", lambda r: r.media_start, 125),
            Column("执法活动", lambda r: r.activity, 70),
            Column("执法人员", lambda r: r.officers, 110),
            Column("时长", lambda r: _dur(r.duration_s), 60),
            Column("校验", lambda r: VERIFY_LABELS.get(r.status, r.status), 60),
            Column("文件名", lambda r: r.file_name, 300),
        ]
        self.records: ListTableModel[AvRow] = ListTableModel(rec_cols, self)
        self.records.row_color = lambda r: PROBLEM if r.status in ("modified", "missing") else None
        rp = FilterProxy(self)
        rp.setSourceModel(self.records)
        self.rec_view = make_view(self, "av_case_records")
        self.rec_view.setModel(rp)
        apply_widths(self.rec_view, rec_cols)
        self.rec_view.doubleClicked.connect(lambda i: self._open(rp.mapToSource(i).row()))
        self.case_view.selectionModel().selectionChanged.connect(lambda *_: self._show_case())
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.search)
        ll.addWidget(self.case_view)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.title)
        rl.addWidget(self.text_box)
        rl.addWidget(QLabel("音像记录（双击用系统播放器打开）"))
        rl.addWidget(self.rec_view, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([520, 640])
        lay = QVBoxLayout(self)
        lay.addWidget(split)

    def reload(self) -> None:
        """The case list: at once when known for the data as it is now, otherwise summed up in the
        background (ten years: about half a second) while the tab says so."""
        ready = self.service.cached_cases()
        if ready is not None:
            self._loaded(ready)
            return
        self.title.setText("正在汇总各案件的音像记录…")
        self.tasks.run(lambda _p: self.service.cases(), on_success=self._loaded)

    def _loaded(self, rows: list[CaseSummary]) -> None:
        self.cases.set_rows(rows)
        if self.title.text().startswith("正在"):
            self.title.setText("选择一个案件")
        if self._pending is not None:
            self.select_case(self._pending)

    def select_case(self, case_no: str) -> None:
        self.search.clear()
        self._pending = case_no if not self.cases.rows else None
        for i, c in enumerate(self.cases.rows):
            if c.case_no == case_no:
                self.case_view.selectRow(self.proxy.mapFromSource(self.cases.index(i, 0)).row())
                return

    def _show_case(self) -> None:
        idx = self.case_view.selectionModel().selectedRows()
        if not idx:
            return
        c = self.cases.row_at(self.proxy.mapToSource(idx[0]).row())
        self.title.setText(
            f"案件 {c.case_no}" + (f" — 缺少全程音像记录：{c.missing}" if c.missing else "")
        )
        while self.text_form.rowCount():
            self.text_form.removeRow(0)
        pairs = self.service.case_text(c.case_no)
        self.text_box.setTitle(
            "案件文字记录（案件登记）"
            if pairs
            else "案件文字记录：案件登记中没有此案件（或尚未启用案件登记）"
        )
        for k, v in pairs:
            lab = QLabel(v)
            lab.setWordWrap(True)
            self.text_form.addRow(k, lab)
        ids = self.service.ids(AvFilter(case_no=c.case_no, case_exact=True), "media_start", False)
        self.records.set_rows(self.service.rows(ids))

    def _open(self, row: int) -> None:
        r = self.records.row_at(row)
        open_file(self.service.detail(r.id).path)


class StorageTab(QWidget):
    """Storage roots (re-point after a drive letter changed) and the file-name patterns."""

    def __init__(self, service: AvService, on_changed: Callable[[], None]) -> None:
        super().__init__()
        self.service = service
        self.on_changed = on_changed
        root_cols: list[Column[RootView]] = [
            Column("名称", lambda r: r.name, 200),
            Column("类型", lambda r: "归档" if r.is_archive else "来源", 50),
            Column("路径", lambda r: r.path, 420),
            Column("记录数", lambda r: r.records, 70, True),
            Column(
                "可访问", lambda r: "是" if r.reachable else "否（盘符变了或磁盘未连接？）", 160
            ),
        ]
        self.roots: ListTableModel[RootView] = ListTableModel(root_cols, self)
        self.roots.row_color = lambda r: None if r.reachable else WARNING
        self.root_view = make_view(self, "av_roots")
        self.root_view.setModel(self.roots)
        self.root_view.setSortingEnabled(False)
        apply_widths(self.root_view, root_cols)
        relocate = QPushButton("修改路径…")
        relocate.clicked.connect(self.relocate)
        pat_cols: list[Column[PatternView]] = [
            Column("顺序", lambda p: p.priority, 50, True),
            Column("启用", lambda p: p.enabled, 40),
            Column("名称", lambda p: p.name, 160),
            Column("正则表达式", lambda p: p.regex, 480),
            Column("说明", lambda p: p.notes, 300),
        ]
        self.pats: ListTableModel[PatternView] = ListTableModel(pat_cols, self)
        self.pat_view = make_view(self, "av_patterns")
        self.pat_view.setModel(self.pats)
        self.pat_view.setSortingEnabled(False)
        apply_widths(self.pat_view, pat_cols)
        self.pat_view.doubleClicked.connect(lambda _i: self.edit_pattern())
        add, edit, rm = QPushButton("新增规则"), QPushButton("编辑"), QPushButton("删除")
        add.clicked.connect(lambda: self.edit_pattern(new=True))
        edit.clicked.connect(lambda: self.edit_pattern())
        rm.clicked.connect(self.delete_pattern)
        lay = QVBoxLayout(self)
        rb = QHBoxLayout()
        rb.addWidget(
            QLabel("存储位置（记录保存相对于存储位置的路径；归档盘换了盘符时在此改路径即可）"), 1
        )
        rb.addWidget(relocate)
        lay.addLayout(rb)
        lay.addWidget(self.root_view, 1)
        pb = QHBoxLayout()
        pb.addWidget(
            QLabel(
                "文件名规则（入库时按顺序尝试，第一条匹配的生效；不匹配的文件仍会入库，时间取文件时间）"
            ),
            1,
        )
        for b in (add, edit, rm):
            pb.addWidget(b)
        lay.addLayout(pb)
        lay.addWidget(self.pat_view, 1)

    def reload(self) -> None:
        self.roots.set_rows(self.service.roots())
        self.pats.set_rows(self.service.patterns())

    def _selected(self, view: object, model: ListTableModel[object]) -> object | None:
        idx = view.selectionModel().selectedRows()  # type: ignore[attr-defined]
        return model.row_at(idx[0].row()) if idx else None

    def relocate(self) -> None:
        r = self._selected(self.root_view, self.roots)  # type: ignore[arg-type]
        if r is None:
            QMessageBox.information(self, "修改路径", "请先选择一个存储位置。")
            return
        assert isinstance(r, RootView)
        path = QFileDialog.getExistingDirectory(self, f"「{r.name}」现在的位置", r.path)
        if not path:
            return
        self.service.set_root_path(r.id, path)
        self.reload()
        self.on_changed()

    def edit_pattern(self, new: bool = False) -> None:
        p = None if new else self._selected(self.pat_view, self.pats)  # type: ignore[arg-type]
        if not new and p is None:
            return
        if PatternDialog(self.service, p, self).exec():
            self.reload()

    def delete_pattern(self) -> None:
        p = self._selected(self.pat_view, self.pats)  # type: ignore[arg-type]
        if p is None:
            return
        assert isinstance(p, PatternView)
        if (
            QMessageBox.question(
                self, "删除规则", f"删除文件名规则「{p.name}」？已入库的记录不受影响。"
            )
            == QMessageBox.StandardButton.Yes
        ):
            self.service.delete_pattern(p.id)
            self.reload()
