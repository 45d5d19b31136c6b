"""年度评查: draw the yearly sample, score each file, print checklists and the 通报, rectification."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core import settings
from brigade_desk.core.changes import Changes
from brigade_desk.core.conflict import ConflictError
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.core.period import Period
from brigade_desk.ledgers.cases import settings as cs
from brigade_desk.ledgers.cases.review import (
    RectificationInput,
    RectificationView,
    ReviewService,
    SampleEntry,
    SampleView,
)
from brigade_desk.ledgers.cases.ui.score import ScoreDialog
from brigade_desk.ui.conflict import offer_reload
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.exporting import run_export
from brigade_desk.ui.widgets.files import save_file_name
from brigade_desk.ui.widgets.forms import (
    DateField,
    dialog_buttons,
    dialog_layout,
    error_label,
    mark,
)
from brigade_desk.ui.widgets.table import (
    PROBLEM,
    WARNING,
    Column,
    FilterProxy,
    ListTableModel,
    apply_widths,
    make_view,
)


class RectificationDialog(QDialog):
    """Register a rectification for a scored file (``review_id``) or edit / close one (``data`` a
    RectificationView, read fresh when opened). With a ``service`` the dialog saves itself and
    stays open on a wrong field or on another clerk's save in between (core.conflict); without
    one it only checks the dates and the caller saves :meth:`data`."""

    def __init__(
        self,
        data: RectificationInput,
        parent: QWidget | None = None,
        *,
        service: ReviewService | None = None,
        review_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.review_id = review_id
        self.rect_id = data.id if isinstance(data, RectificationView) else None
        # as opened (core.conflict): an existing rectification carries its version
        self.version = data.version if isinstance(data, RectificationView) else None
        self.setWindowTitle("修改/完成整改事项" if self.rect_id else "整改事项")
        self.setMinimumWidth(460)
        self.item_code = QLineEdit(data.item_code)
        self.problem = QLineEdit(data.problem)
        self.assignee = QLineEdit(data.assignee)
        self.due_on = DateField(data.due_on)
        self.done_on = DateField(data.done_on)
        self.evidence = QLineEdit(data.evidence)
        self.evidence.setPlaceholderText("整改报告、补正材料等")
        form = QFormLayout()
        for label, w in (
            ("评查项目编号", self.item_code),
            ("整改问题*", self.problem),
            ("责任人*", self.assignee),
            ("整改期限", self.due_on),
            ("完成日期", self.done_on),
            ("整改材料", self.evidence),
        ):
            form.addRow(label, w)
        self.errors = error_label()
        dialog_layout(self, form, self.errors, dialog_buttons(self, self.save))
        self.widgets = {
            "problem": self.problem,
            "assignee": self.assignee,
            "evidence": self.evidence,
            "due_on": self.due_on.edit,
            "done_on": self.done_on.edit,
        }

    def data(self) -> RectificationInput:
        errs = {}
        out = RectificationInput(
            item_code=self.item_code.text(),
            problem=self.problem.text(),
            assignee=self.assignee.text(),
            evidence=self.evidence.text(),
        )
        for key, f in (("due_on", self.due_on), ("done_on", self.done_on)):
            try:
                setattr(out, key, f.date())
            except ValueError as exc:
                errs[key] = f"{'整改期限' if key == 'due_on' else '完成日期'}：{exc}"
        if errs:
            raise ValidationError(errs)
        return out

    def show_errors(self, fields: dict[str, str]) -> None:
        for k, w in self.widgets.items():
            mark(w, k in fields, fields.get(k, ""))
        self.errors.setText("\n".join(fields.values()))
        self.errors.setVisible(bool(fields))

    def save(self) -> None:
        try:
            data = self.data()
            if self.service is not None and self.rect_id is not None:
                self.service.update_rectification(self.rect_id, data, expected_version=self.version)
            elif self.service is not None and self.review_id is not None:
                self.rect_id = self.service.add_rectification(self.review_id, data)
        except ValidationError as exc:
            self.show_errors(exc.fields)
            return
        except ConflictError as exc:
            offer_reload(self, exc, self.reload_latest)
            return
        except UserError as exc:
            self.show_errors({"_": exc.message})
            return
        self.accept()

    def reload_latest(self) -> None:
        if self.service is None or self.rect_id is None:  # a conflict comes from an edit only
            return
        try:
            self.load(self.service.rectification(self.rect_id))
        except UserError as exc:
            self.show_errors({"_": exc.message})

    def load(self, x: RectificationView) -> None:
        """Show ``x`` (the latest saved values) in the fields; saves compare with its version."""
        self.version = x.version
        self.item_code.setText(x.item_code)
        self.problem.setText(x.problem)
        self.assignee.setText(x.assignee)
        self.due_on.set_date(x.due_on)
        self.done_on.set_date(x.done_on)
        self.evidence.setText(x.evidence)
        self.show_errors({})


class ReviewTab(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.service = ReviewService(ctx.db)
        self.sample_view_data: SampleView | None = None
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        # the year being worked on: the newest sample, else last year (the review follows the year)
        self.year.setValue(self.service.latest_sample_year() or dt.date.today().year - 1)
        self.per_cat = QSpinBox()
        self.per_cat.setRange(1, 999)
        self.per_cat.setValue(int(settings.read(ctx.db, cs.PER_CATEGORY)))
        self.seed = QLineEdit()
        self.seed.setPlaceholderText("留空则随机生成并记录")
        self.seed.setMaximumWidth(150)
        self.draw_btn = QPushButton("抽取样本")
        self.redraw = QCheckBox("重新抽取")
        self.add_btn = QPushButton("人工添加案卷…")
        self.score_btn = QPushButton("评查打分")
        printing = QToolButton()
        printing.setText("打印/导出")
        printing.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        pm = QMenu(printing)
        pm.addAction("打印评查表（已填写）…", lambda: self.print_checklist(False))
        pm.addAction("打印空白评查表…", lambda: self.print_checklist(True))
        pm.addAction("打印本年度样本全部空白评查表…", lambda: self.print_all(True))
        pm.addAction("打印本年度全部已填写评查表（归档）…", lambda: self.print_all(False))
        pm.addSeparator()
        pm.addAction("生成评查结果通报（PDF）…", self.print_report)
        pm.addAction("导出评查结果（Excel）…", self.export_xlsx)
        pm.addSeparator()
        pm.addAction("评查表模板（查看/修改）…", self.edit_template)
        printing.setMenu(pm)
        bar = QHBoxLayout()
        for label, w in (
            ("评查年度", self.year),
            ("每类至少", self.per_cat),
            ("随机种子", self.seed),
        ):
            bar.addWidget(QLabel(label))
            bar.addWidget(w)
        bar.addWidget(self.redraw)
        bar.addWidget(self.draw_btn)
        bar.addStretch(1)
        for b in (self.add_btn, self.score_btn, printing):
            bar.addWidget(b)
        self.info = QLabel()
        self.info.setWordWrap(True)
        cols: list[Column[SampleEntry]] = [
            Column("案号", lambda e: e.case_no, 170),
            Column("类别", lambda e: e.category, 70),
            Column("当事人", lambda e: e.party, 140),
            Column("案由", lambda e: e.cause, 240),
            Column("抽取方式", lambda e: "人工添加" if e.manual else "随机抽取", 70),
            Column("得分", lambda e: float(e.score) if e.score is not None else None, 50, True),
            Column("评查等级", lambda e: e.grade or "未评查", 70),
            Column("添加理由", lambda e: e.reason, 120),
        ]
        self.model: ListTableModel[SampleEntry] = ListTableModel(cols, self)
        self.model.row_color = lambda e: (
            PROBLEM if e.grade == "不合格" else (None if e.grade else WARNING)
        )
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.view = make_view(self, "sample")
        self.view.setModel(self.proxy)
        apply_widths(self.view, cols)
        self.view.doubleClicked.connect(lambda _i: self.score())
        rcols: list[Column[RectificationView]] = [
            Column("案号", lambda x: x.case_no, 170),
            Column("项目", lambda x: x.item_code, 45),
            Column("整改问题", lambda x: x.problem, 240),
            Column("责任人", lambda x: x.assignee, 90),
            Column("期限", lambda x: x.due_on, 90),
            Column("完成日期", lambda x: x.done_on, 90),
            Column("状态", lambda x: _state(x), 60),
            Column("整改材料", lambda x: x.evidence, 160),
        ]
        self.rmodel: ListTableModel[RectificationView] = ListTableModel(rcols, self)
        self.rmodel.row_color = lambda x: (
            PROBLEM if _state(x) == "逾期" else (WARNING if not x.done_on else None)
        )
        self.rproxy = FilterProxy(self)
        self.rproxy.setSourceModel(self.rmodel)
        self.rview = make_view(self, "rectifications")
        self.rview.setModel(self.rproxy)
        apply_widths(self.rview, rcols)
        self.rview.doubleClicked.connect(lambda _i: self.edit_rect())
        propose = QPushButton("按扣分项生成整改…")
        propose.clicked.connect(self.propose_rects)
        add_rect = QPushButton("为所选案卷登记整改…")
        edit_rect = QPushButton("修改/完成整改…")
        add_rect.clicked.connect(self.add_rect)
        edit_rect.clicked.connect(self.edit_rect)
        rbar = QHBoxLayout()
        rbar.addWidget(QLabel("<b>整改台账</b>"))
        rbar.addStretch(1)
        rbar.addWidget(propose)
        rbar.addWidget(add_rect)
        rbar.addWidget(edit_rect)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addLayout(bar)
        tl.addWidget(self.info)
        tl.addWidget(self.view)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addLayout(rbar)
        bl.addWidget(self.rview)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(split)
        self.year.valueChanged.connect(lambda _v: self.reload())
        self.draw_btn.clicked.connect(self.draw)
        self.add_btn.clicked.connect(self.add_manual)
        self.score_btn.clicked.connect(self.score)

    # ---- data ---------------------------------------------------------------------------------
    def reload(self) -> None:
        year = self.year.value()
        v = self.service.sample(year)
        self.sample_view_data = v
        self.model.set_rows(v.entries if v else [])
        self.rmodel.set_rows(self.service.rectifications(year))
        if v is None:
            self.info.setText(
                f"{year} 年尚未抽取评查样本。按每类至少 {self.per_cat.value()} 件（不足全部）随机抽取，"
                "随机种子会被记录，同一种子对同样的案卷总是抽出同样的案卷。"
            )
            return
        done = sum(1 for e in v.entries if e.grade)
        failed = sum(1 for e in v.entries if e.grade == "不合格")
        cats = "；".join(
            f"{c} {len(nos)}/{v.population.get(c, 0)}" for c, nos in v.by_category().items()
        )
        self.info.setText(
            f"{year} 年样本：{v.drawn_on:%Y-%m-%d} 抽取，随机种子 {v.seed}，每类至少 {v.per_category} 件。"
            f"抽取/总数：{cats}。已评查 {done}/{len(v.entries)} 件，不合格 {failed} 件。"
        )

    def current(self) -> SampleEntry | None:
        idx = self.view.currentIndex()
        if not idx.isValid():
            return None
        return self.model.row_at(self.proxy.mapToSource(idx).row())

    # ---- actions ------------------------------------------------------------------------------
    def draw(self) -> None:
        seed_text = self.seed.text().strip()
        if seed_text and not seed_text.isdigit():
            mark(self.seed, True)
            QMessageBox.warning(self, "随机种子", "随机种子应为数字（可留空）")
            return
        mark(self.seed, False)
        year, n, redraw = self.year.value(), self.per_cat.value(), self.redraw.isChecked()
        seed = int(seed_text) if seed_text else None
        svc = self.service
        old = svc.sample(year) if redraw else None
        scored = sum(1 for e in old.entries if e.review_id is not None) if old else 0
        if (
            scored
            and QMessageBox.question(
                self,
                "重新抽取样本",
                f"{year} 年度的样本中已有 {scored} 件评查完毕。重新抽取后，不在新样本中的案卷显示为“未在样本中”"
                "（评查记录保留），新抽到的案卷需要重新评查。\n确定重新抽取？",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            != QMessageBox.StandardButton.Yes
        ):
            return

        def work(_p: object) -> SampleView:
            return svc.draw_sample(year, per_category=n, seed=seed, redraw=redraw)

        def done(_v: SampleView) -> None:
            self.redraw.setChecked(False)
            self.ctx.changed(Changes.CASES)
            self.reload()

        self.ctx.tasks.run(work, on_success=done, label="正在抽取样本…", parent=self, writes=True)

    def add_manual(self) -> None:
        no, ok = QInputDialog.getText(self, "人工添加案卷", "案号：")
        if not ok or not no.strip():
            return
        reason, ok = QInputDialog.getText(
            self, "人工添加案卷", "添加理由（如：群众投诉、上级交办）："
        )
        if not ok:
            return
        try:
            self.service.add_to_sample(self.year.value(), no.strip(), reason)
        except UserError as exc:
            QMessageBox.warning(self, "人工添加案卷", exc.message)
            return
        self.reload()

    def score(self) -> None:
        e = self.current()
        if e is None:
            QMessageBox.information(self, "评查打分", "请先在样本中选择一份案卷")
            return
        dlg = ScoreDialog(
            self.service, e.case_no, self.year.value(), f"{e.category}　{e.party}　{e.cause}", self
        )
        if dlg.exec():
            self.ctx.changed(Changes.CASES)
            self.reload()

    def add_rect(self) -> None:
        e = self.current()
        if e is None or e.review_id is None:
            QMessageBox.information(self, "整改", "请先选择一份已评查的案卷")
            return
        days = int(settings.read(self.ctx.db, cs.RECTIFY_DAYS))
        dlg = RectificationDialog(
            RectificationInput(due_on=dt.date.today() + dt.timedelta(days=days)),
            self,
            service=self.service,
            review_id=e.review_id,
        )
        if dlg.exec():
            self.ctx.changed(Changes.CASES)
            self.reload()

    def propose_rects(self) -> None:
        e = self.current()
        if e is None or e.review_id is None:
            QMessageBox.information(self, "整改", "请先选择一份已评查的案卷")
            return
        who, ok = QInputDialog.getText(self, "按扣分项生成整改", "整改责任人（一般为承办人员）：")
        if not ok:
            return
        try:
            n = self.service.propose_rectifications(e.review_id, who)
        except UserError as exc:
            QMessageBox.warning(self, "整改", exc.message)
            return
        self.ctx.say(f"已为 {e.case_no} 生成 {n} 项整改")
        self.ctx.changed(Changes.CASES)
        self.reload()

    def edit_rect(self) -> None:
        idx = self.rview.currentIndex()
        if not idx.isValid():
            return
        x = self.rmodel.row_at(self.rproxy.mapToSource(idx).row())
        try:
            fresh = self.service.rectification(x.id)  # the list may be older than the record
        except UserError as exc:
            QMessageBox.warning(self, "整改", exc.message)
            self.reload()
            return
        dlg = RectificationDialog(fresh, self, service=self.service)
        if dlg.exec():
            self.ctx.changed(Changes.CASES)
            self.reload()

    def _save_path(self, title: str, name: str, filt: str) -> str:
        path = save_file_name(self, title, name, filt)
        return path

    def print_checklist(self, blank: bool) -> None:
        e = self.current()
        if e is None:
            QMessageBox.information(self, "评查表", "请先选择一份案卷")
            return
        safe = e.case_no.replace("/", "-").replace("\\", "-")
        path = self._save_path(
            "保存评查表", f"案卷评查表-{safe}{'-空白' if blank else ''}.pdf", "PDF (*.pdf)"
        )
        if not path:
            return
        run_export(
            self.ctx,
            self,
            "checklist-blank" if blank else "checklist",
            path,
            period=None if blank else Period(self.year.value()),
            target=e.case_no,
            label="正在生成评查表…",
            said="已生成评查表",
        )

    def print_all(self, blank: bool) -> None:
        year = self.year.value()
        path = self._save_path(
            "保存评查表",
            f"{year}年度案卷评查表{'（空白）' if blank else '（已填写）'}.pdf",
            "PDF (*.pdf)",
        )
        if not path:
            return
        run_export(
            self.ctx,
            self,
            "checklists-blank" if blank else "checklists",
            path,
            period=Period(year),
            label="正在生成评查表…",
            said="已生成评查表",
        )

    def print_report(self) -> None:
        year = self.year.value()
        path = self._save_path(
            "保存评查结果通报",
            f"{year}年度案卷评查结果通报.pdf",
            "PDF (*.pdf);;Word 文档，可修改 (*.docx)",
        )
        if not path:
            return
        if not path.lower().endswith((".pdf", ".docx")):
            path += ".pdf"
        run_export(
            self.ctx,
            self,
            "review-report",
            path,
            period=Period(year),
            label="正在生成通报…",
            said="已生成通报",
        )

    def export_xlsx(self) -> None:
        year = self.year.value()
        path = self._save_path("导出评查结果", f"{year}年度案卷评查结果.xlsx", "Excel (*.xlsx)")
        if not path:
            return
        run_export(self.ctx, self, "reviews", path, period=Period(year))

    def edit_template(self) -> None:
        from brigade_desk.ledgers.cases.ui.template import TemplateDialog

        dlg = TemplateDialog(self.service, self)
        if dlg.exec() and dlg.saved is not None:
            self.ctx.say(f"已保存评查表模板 {dlg.saved.label}")


def _state(x: RectificationView) -> str:
    if x.done_on:
        return "已完成"
    return "逾期" if x.due_on and x.due_on < dt.date.today() else "整改中"
