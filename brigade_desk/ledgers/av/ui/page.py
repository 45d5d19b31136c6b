"""执法音像记录台账: the lazy index with search, a detail pane, ingest, verification, per-case view."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.changes import Changes
from brigade_desk.core.period import Period
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.av.models import ACTIVITIES, VERIFY_LABELS
from brigade_desk.ledgers.av.service import (
    STATUS_FILTERS,
    AvDetail,
    AvFilter,
    AvService,
    KiBProgress,
)
from brigade_desk.ledgers.av.ui.custody import CorrectOfficerDialog, DevicesTab, RetentionDialog
from brigade_desk.ledgers.av.ui.dialogs import IngestDialog, RecordDialog, officer_combo
from brigade_desk.ledgers.av.ui.model import COLUMNS, AvIndexModel, _dur, _size
from brigade_desk.ledgers.av.ui.tabs import CasesTab, StorageTab, VerifyTab, open_file
from brigade_desk.ledgers.av.verify import BudgetResult, VerifyResult, verify, verify_budget
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.exporting import run_export
from brigade_desk.ui.widgets.files import save_file_name
from brigade_desk.ui.widgets.forms import DateField, error_label, mark
from brigade_desk.ui.widgets.table import make_view, restore_header, save_header

ALL = "（全部）"
SEARCH_DELAY_MS = 300


class AvPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.service = AvService(ctx.db)
        self._stale = True
        self.current: AvDetail | None = None

        # --- filters
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索文件名、案件编号、执法对象、地点…（Ctrl+F）")
        self.search.setClearButtonEnabled(True)
        self.case_no = QLineEdit()
        self.case_no.setPlaceholderText("案件编号")
        self.officer = officer_combo([])
        self.device = QLineEdit()
        self.device.setPlaceholderText("执法记录仪")
        self.activity = QComboBox()
        self.activity.addItems([ALL] + ACTIVITIES)
        self.date_from = DateField()
        self.date_to = DateField()
        self.status = QComboBox()
        for key, label in STATUS_FILTERS:
            self.status.addItem(label, key)
        self.important = QCheckBox("只看重点")
        self.to_check = QCheckBox("人员待核实")
        self.to_check.setToolTip(
            "只看入库时未能按执法记录仪持有记录认定执法人员的文件（设备无人持有、设备未登记、无设备号，"
            "或与批量指定的人员不一致），可在详情中用「更正人员…」更正"
        )
        self.filter_error = error_label()
        find = QPushButton("查询")
        find.setDefault(True)
        find.clicked.connect(self.apply_filter)
        # typing filters after a pause (the queries are index look-ups); Enter filters at once
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.apply_filter)
        for w in (self.search, self.case_no, self.device):
            w.returnPressed.connect(self.apply_filter)
            w.textEdited.connect(lambda _t: self._debounce.start())
        for c in (self.activity, self.status):
            c.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.important.toggled.connect(lambda _b: self.apply_filter())
        self.to_check.toggled.connect(lambda _b: self.apply_filter())
        self.officer.activated.connect(lambda _i: self.apply_filter())
        ingest_btn = QPushButton("入库…")
        ingest_btn.setShortcut("Ctrl+N")
        ingest_btn.clicked.connect(lambda: self.ingest())
        verify_sel = QPushButton("校验查询结果")
        verify_sel.clicked.connect(self.verify_filtered)
        export_btn = QPushButton("导出台账…")
        export_btn.clicked.connect(self.export)
        print_btn = QPushButton("打印…")
        print_btn.setToolTip("打印当前查询结果（Ctrl+P）")
        print_btn.clicked.connect(self.print_list)
        QShortcut(QKeySequence.StandardKey.Print, self).activated.connect(self.print_list)
        row1 = QHBoxLayout()
        row1.addWidget(self.search, 3)
        row1.addWidget(self.case_no, 2)
        row1.addWidget(QLabel("人员"))
        row1.addWidget(self.officer, 2)
        row1.addWidget(self.device, 1)
        row1.addWidget(ingest_btn)
        row1.addWidget(verify_sel)
        row1.addWidget(export_btn)
        row1.addWidget(print_btn)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("活动"))
        row2.addWidget(self.activity)
        row2.addWidget(QLabel("拍摄日期"))
        row2.addWidget(self.date_from)
        row2.addWidget(QLabel("至"))
        row2.addWidget(self.date_to)
        row2.addWidget(QLabel("校验"))
        row2.addWidget(self.status)
        row2.addWidget(self.important)
        row2.addWidget(self.to_check)
        row2.addWidget(find)
        self.count_label = QLabel()
        retention_btn = QPushButton("到期删除…")
        retention_btn.setToolTip("保存期限已到的音像文件（关联案件的从不列出）与永久删除记录")
        retention_btn.clicked.connect(lambda: self.retention())
        row2.addWidget(retention_btn)
        row2.addStretch(1)
        row2.addWidget(self.count_label)

        # --- table
        self.model = AvIndexModel(self.service, self)
        self.view = make_view(self, "av_index")
        self.view.setModel(self.model)
        for i, (_t, _k, _f, width) in enumerate(COLUMNS):
            self.view.setColumnWidth(i, width)
        restore_header(self.view, ctx.qsettings, "av_index")
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.view.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self.show_detail(cur.row())
        )
        self.view.doubleClicked.connect(lambda _i: self.open_current())

        # --- detail pane
        self.detail_title = QLabel("选择一条记录查看详情")
        self.detail_title.setStyleSheet("font-weight:bold; font-size:11pt")
        self.detail_title.setWordWrap(True)
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, label in (
            ("path", "文件位置"),
            ("sha256", "SHA-256"),
            ("size", "大小"),
            ("media", "拍摄时间"),
            ("duration", "时长"),
            ("device", "执法记录仪"),
            ("officers", "执法人员"),
            ("attribution", "人员认定"),
            ("case", "案件编号"),
            ("target", "执法对象"),
            ("activity", "执法活动"),
            ("place", "地点"),
            ("important", "重点"),
            ("retention", "保存期限"),
            ("source", "原始位置"),
            ("ingested", "入库时间"),
            ("status", "最近校验"),
            ("history", "校验记录"),
            ("dups", "重复文件"),
            ("notes", "备注"),
        ):
            lab = QLabel()
            lab.setWordWrap(True)
            lab.setTextInteractionFlags(lab.textInteractionFlags().TextSelectableByMouse)
            self.fields[key] = lab
            form.addRow(label, lab)
        self.open_btn = QPushButton("用系统播放器打开")
        self.open_btn.clicked.connect(self.open_current)
        self.folder_btn = QPushButton("打开所在文件夹")
        self.folder_btn.clicked.connect(self.open_folder)
        self.edit_btn = QPushButton("编辑…")
        self.edit_btn.clicked.connect(self.edit)
        self.check_btn = QPushButton("校验此文件")
        self.check_btn.clicked.connect(
            lambda: self.start_verify([self.current.id] if self.current else None)
        )
        self.history_btn = QPushButton("修改记录")
        self.history_btn.clicked.connect(self.show_history)
        self.officer_btn = QPushButton("更正人员…")
        self.officer_btn.setToolTip("按执法记录仪登记核对并更正执法人员（记入审计）")
        self.officer_btn.clicked.connect(lambda: self.correct_officer())
        btns = QHBoxLayout()
        for b in (
            self.open_btn,
            self.folder_btn,
            self.edit_btn,
            self.officer_btn,
            self.check_btn,
            self.history_btn,
        ):
            btns.addWidget(b)
        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.addWidget(self.detail_title)
        dl.addLayout(form)
        dl.addLayout(btns)
        dl.addStretch(1)
        split = QSplitter()
        split.addWidget(self.view)
        split.addWidget(detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([900, 380])

        index_tab = QWidget()
        il = QVBoxLayout(index_tab)
        il.addLayout(row1)
        il.addLayout(row2)
        il.addWidget(self.filter_error)
        il.addWidget(split, 1)
        self.verify_tab = VerifyTab(self.service, self.start_verify, self.start_budget_verify)
        self.cases_tab = CasesTab(self.service, ctx.tasks)
        self.storage_tab = StorageTab(self.service, lambda: self.ctx.changed(Changes.AV))
        self.devices_tab = DevicesTab(ctx.db, lambda: self.ctx.changed(Changes.AV))
        self.tabs = QTabWidget()
        self.tabs.addTab(index_tab, "音像索引")
        self.tabs.addTab(self.verify_tab, "校验")
        self.tabs.addTab(self.cases_tab, "按案件")
        self.tabs.addTab(self.devices_tab, "执法记录仪")
        self.tabs.addTab(self.storage_tab, "存储位置与文件名规则")
        self.tabs.currentChanged.connect(lambda _i: self._reload_tab())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.tabs)
        ctx.events.data_changed.connect(self._on_changed)
        self._set_buttons()
        self.reload()

    # ---- loading ------------------------------------------------------------------------------
    def _on_changed(self, what: Changes) -> None:
        if what & (Changes.AV | Changes.STAFF | Changes.CASES):
            self._stale = True
            if self.isVisible():
                self.reload()

    def on_shown(self) -> None:
        if self._stale:
            self.reload()

    def reload(self) -> None:
        self._stale = False
        cur = self.officer.currentData()
        self.officer.blockSignals(True)
        self.officer.clear()
        self.officer.addItem(ALL, None)
        for i, label in self.service.officers():
            self.officer.addItem(label, i)
        self.officer.setCurrentIndex(max(0, self.officer.findData(cur)))
        self.officer.blockSignals(False)
        self.apply_filter()
        self._reload_tab()

    def _reload_tab(self) -> None:
        w = self.tabs.currentWidget()
        if w in (self.verify_tab, self.cases_tab, self.storage_tab, self.devices_tab):
            w.reload()

    def current_filter(self) -> AvFilter:
        errs: dict[str, str] = {}
        dates: dict[str, dt.date | None] = {}
        for key, field, label in (
            ("date_from", self.date_from, "拍摄日期（起）"),
            ("date_to", self.date_to, "拍摄日期（止）"),
        ):
            mark(field.edit, False)
            try:
                dates[key] = field.date()
            except ValueError as exc:
                errs[key] = f"「{label}」{exc}"
                mark(field.edit, True)
        lo, hi = dates.get("date_from"), dates.get("date_to")
        if lo is not None and hi is not None and lo > hi:
            errs["date_to"] = f"「拍摄日期（止）」{hi:%Y-%m-%d} 早于「拍摄日期（起）」{lo:%Y-%m-%d}"
            mark(self.date_to.edit, True)
        officer_id = None
        idx = self.officer.findText(self.officer.currentText())
        if idx < 0:
            errs["officer"] = f"「人员」不在花名册中：{self.officer.currentText()}"
        else:
            officer_id = self.officer.itemData(idx)
        if errs:
            raise ValueError("；".join(errs.values()))
        act = self.activity.currentText()
        return AvFilter(
            text=self.search.text(),
            case_no=self.case_no.text(),
            officer_id=officer_id,
            device=self.device.text(),
            activity="" if act == ALL else act,
            date_from=dates.get("date_from"),
            date_to=dates.get("date_to"),
            status=self.status.currentData() or "",
            important_only=self.important.isChecked(),
            attribution_to_check=self.to_check.isChecked(),
        )

    def show_history(self) -> None:
        from brigade_desk.ui.history_dialog import HistoryDialog

        if self.current is not None:
            HistoryDialog(
                self.ctx, self.current.file_name, [("av_record", self.current.id)], self
            ).exec()

    def print_list(self) -> None:
        from brigade_desk.ui.widgets.printing import print_table

        print_table(self.view, "执法音像记录台账", self.count_label.text(), self)

    def filter_field(self) -> QWidget:
        """The search field Ctrl+F goes to (MainWindow.focus_filter)."""
        return self.search

    def apply_filter(self) -> None:
        try:
            f = self.current_filter()
        except ValueError as exc:
            self.filter_error.setText(str(exc))
            self.filter_error.show()
            return
        self.filter_error.hide()
        self._debounce.stop()
        self.model.reload(f)
        total = self.model.total if f == AvFilter() else self.service.count_all()
        self.count_label.setText(f"{self.model.total} / {total} 条")
        if self.model.total:
            self.view.selectRow(0)
        else:
            self.show_detail(-1)

    # ---- detail -------------------------------------------------------------------------------
    def show_detail(self, row: int) -> None:
        rid = self.model.id_at(row)
        self.current = self.service.detail(rid) if rid is not None else None
        d = self.current
        self._set_buttons()
        if d is None:
            self.detail_title.setText("选择一条记录查看详情")
            for lab in self.fields.values():
                lab.setText("")
            return
        self.detail_title.setText(d.file_name)
        reach = "" if d.root_reachable else "（存储位置当前不可访问）"
        status = VERIFY_LABELS.get(d.status, d.status)
        if d.verified_at:
            status += f"（{d.verified_at:%Y-%m-%d %H:%M}）"
        values = {
            "path": d.path + reach,
            "sha256": d.sha256,
            "size": f"{_size(d.size)}（{d.size:,} 字节）",
            "media": (f"{d.media_start:%Y-%m-%d %H:%M:%S}" if d.media_start else "")
            + f"（取自{d.time_source}）",
            "duration": _dur(d.duration_s) or "未知",
            "device": d.device_no,
            "officers": d.officers or (f"警号 {d.officer_code}" if d.officer_code else ""),
            "attribution": d.attribution,
            "case": d.case_no,
            "target": d.target,
            "activity": d.activity,
            "place": d.place,
            "important": "是" if d.important else "否",
            "retention": d.retention + (f"；{d.deleted}" if d.deleted else ""),
            "source": d.source_path,
            "ingested": f"{d.ingested_at:%Y-%m-%d %H:%M}",
            "status": status,
            "history": "；".join(
                f"{t:%Y-%m-%d} {VERIFY_LABELS.get(s, s)}" for t, s, _d in d.checks[:5]
            ),
            "dups": "\n".join(d.duplicates[:5]),
            "notes": d.notes,
        }
        for k, v in values.items():
            self.fields[k].setText(v)
        self.fields["attribution"].setStyleSheet("color:#b45309" if d.attribution_flag else "")
        bad = d.status in ("modified", "missing")
        self.fields["status"].setStyleSheet("color:#d93025; font-weight:bold" if bad else "")

    def _set_buttons(self) -> None:
        for b in (self.open_btn, self.folder_btn, self.edit_btn, self.check_btn, self.officer_btn):
            b.setEnabled(self.current is not None)

    def open_record(self, entity: str, record_id: int) -> None:
        if entity != "av_record":
            return
        self.tabs.setCurrentIndex(0)
        row = self.model.row_of(record_id)
        if row < 0:
            self.search.clear()
            self.case_no.clear()
            self.status.setCurrentIndex(0)
            self.to_check.setChecked(False)
            self.apply_filter()
            row = self.model.row_of(record_id)
        if row >= 0:
            self.view.selectRow(row)
            self.view.scrollTo(self.model.index(row, 0))

    def open_current(self) -> None:
        d = self.current
        if d is None:
            return
        if not Path(d.path).is_file():
            QMessageBox.warning(
                self,
                "打开文件",
                f"文件不在原位置：\n{d.path}\n\n请运行校验（可能已被移动或删除）。",
            )
            return
        if not open_file(d.path):
            QMessageBox.warning(self, "打开文件", f"系统没有能打开此文件的程序：\n{d.path}")

    def open_folder(self) -> None:
        if self.current is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.current.path).parent)))

    def edit(self) -> None:
        if self.current is None:
            return
        rid = self.current.id
        if RecordDialog(self.service, self.current, self).exec():
            self.model.reload()
            row = self.model.row_of(rid)
            if row >= 0:
                self.view.selectRow(row)
            self.ctx.changed(Changes.AV)

    def correct_officer(self) -> CorrectOfficerDialog | None:
        if self.current is None:
            return None
        rid = self.current.id
        dlg = CorrectOfficerDialog(self.service, self.current, self)
        if dlg.exec():
            self.model.reload()
            row = self.model.row_of(rid)
            if row >= 0:
                self.view.selectRow(row)
                self.show_detail(row)
            self.ctx.changed(Changes.AV)
        return dlg

    def retention(self) -> RetentionDialog:
        dlg = RetentionDialog(self.ctx.db, self)
        dlg.exec()
        if dlg.deleted:
            self.ctx.changed(Changes.AV)
        return dlg

    # ---- actions ------------------------------------------------------------------------------
    def ingest(self, folder: str = "") -> IngestDialog:
        dlg = IngestDialog(self.ctx, self.service, self, folder=folder)
        dlg.open()
        return dlg

    def verify_filtered(self) -> None:
        ids = self.model.all_ids()
        if not ids:
            return
        self.start_verify(ids)

    def start_verify(self, ids: list[int] | None) -> None:
        db = self.ctx.db

        def work(progress: Progress) -> VerifyResult:
            return verify(db, ids, progress=KiBProgress(progress))

        def done(res: VerifyResult) -> None:
            self.ctx.changed(Changes.AV)
            self.ctx.say(res.summary())
            if res.failed:
                QMessageBox.warning(
                    self,
                    "校验结果",
                    res.summary() + "\n\n被修改或缺失的文件见「校验」页，问题已列入问题清单。",
                )
            self.reload()

        self.ctx.tasks.run(
            work,
            on_success=done,
            label="正在校验音像文件（重新计算 SHA-256）…",
            parent=self,
            writes=True,
            show_after_ms=0,
        )

    def start_budget_verify(self, minutes: float | None = None) -> bool:
        """A verification run of ``minutes`` (asked when None), in the background with progress
        and 取消; False when the clerk cancelled the question."""
        if minutes is None:
            minutes, ok = QInputDialog.getDouble(
                self,
                "限时校验",
                "校验多少分钟？\n从未校验的文件先校验，再按上次校验时间由远到近；\n"
                "用完时间后正在校验的文件会校验完，下次接着校验。",
                30.0,
                0.5,
                24 * 60.0,
                1,
            )
            if not ok:
                return False
        db = self.ctx.db
        budget = float(minutes)

        def work(progress: Progress) -> BudgetResult:
            return verify_budget(db, budget, progress=progress)

        def done(res: BudgetResult) -> None:
            self.ctx.changed(Changes.AV)
            self.ctx.say(res.summary())
            text = res.summary()
            if res.failed:
                text += "\n\n被修改或缺失的文件见「校验」页，问题已列入问题清单。"
                QMessageBox.warning(self, "限时校验结果", text)
            else:
                QMessageBox.information(self, "限时校验结果", text)
            self.reload()

        self.ctx.tasks.run(
            work,
            on_success=done,
            label=f"正在限时校验音像文件（{budget:g} 分钟）…",
            parent=self,
            writes=True,
            show_after_ms=0,
        )
        return True

    def export(self) -> None:
        year, ok = QInputDialog.getInt(
            self, "导出音像记录台账", "年度：", dt.date.today().year, 2000, 2100
        )
        if not ok:
            return
        out = save_file_name(self, "保存台账", f"执法音像记录台账{year}.xlsx", "Excel (*.xlsx)")
        if not out:
            return
        run_export(self.ctx, self, "av", out, period=Period(year))

    def closeEvent(self, event: object) -> None:  # noqa: N802
        save_header(self.view, self.ctx.qsettings, "av_index")
        super().closeEvent(event)  # type: ignore[arg-type]
