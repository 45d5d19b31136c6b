"""The annual training plan tab: items edited in a grid, approval with a date, PDF / Excel output."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from brigade_desk.core.changes import Changes
from brigade_desk.core.conflict import ConflictError
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.core.period import Period
from brigade_desk.ledgers.training.service import PlanItemInput, category_label, category_names
from brigade_desk.ledgers.training.ui.common import TrainingHost, TrainingTab
from brigade_desk.ui.conflict import offer_reload
from brigade_desk.ui.exporting import run_export
from brigade_desk.ui.widgets.files import save_file_name
from brigade_desk.ui.widgets.forms import DateField, error_label

HEADERS = ["月份", "培训内容", "培训形式", "培训类别", "计划学时", "组织单位"]
UNSAVED = "　<i>（有尚未保存的修改）</i>"
LABEL_TO_CAT = {category_label(c): c for c in category_names()} | {c: c for c in category_names()}


class PlanTab(TrainingTab):
    def __init__(self, page: TrainingHost) -> None:
        super().__init__(page)
        self.year = page.current_year
        # the plan's version as shown (core.conflict); 0: no plan yet, so one there at saving is
        # another clerk's
        self.version = 0
        # (year, what the tab showed) as last loaded: edits not yet saved survive a refresh
        self.shown: tuple[int, tuple[object, ...]] | None = None
        self.title = QLineEdit()
        self.status = QLabel()
        self.approved = DateField(dt.date.today())
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip(
            "直接在表格中填写；培训类别写："
            + " / ".join(category_label(c) for c in category_names())
        )
        add = QPushButton("添加项目")
        remove = QPushButton("删除所选项目")
        save = QPushButton("保存计划")
        approve = QPushButton("批准")
        draft = QPushButton("退回草稿")
        pdf = QPushButton("打印 PDF…")
        xlsx = QPushButton("导出 Excel…")
        self.errors = error_label()
        top = QHBoxLayout()
        top.addWidget(QLabel("计划名称"))
        top.addWidget(self.title, 1)
        top.addWidget(self.status)
        top.addWidget(QLabel("批准日期"))
        top.addWidget(self.approved)
        top.addWidget(approve)
        top.addWidget(draft)
        bar = QHBoxLayout()
        for b in (add, remove, save):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(pdf)
        bar.addWidget(xlsx)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.errors)
        add.clicked.connect(lambda: self.add_item())
        remove.clicked.connect(self.remove_selected)
        save.clicked.connect(self.save)
        approve.clicked.connect(self.approve)
        draft.clicked.connect(lambda: self._status("草稿"))
        pdf.clicked.connect(lambda: self.export(".pdf"))
        xlsx.clicked.connect(lambda: self.export(".xlsx"))

    def state(self) -> tuple[object, ...]:
        """What the tab shows: the title, the approval date and every cell."""
        cells = tuple(
            (it.text() if (it := self.table.item(r, c)) else "")
            for r in range(self.table.rowCount())
            for c in range(len(HEADERS))
        )
        return (self.title.text(), self.approved.edit.text(), self.table.rowCount(), cells)

    def unsaved(self) -> bool:
        """The clerk changed the year's plan on this tab and has not saved it yet."""
        return (
            self.shown is not None
            and self.shown[0] == self.year()
            and self.state() != self.shown[1]
        )

    def reload(self) -> None:
        """Refresh (the page's year changed, or this or another PC saved something): unsaved edits
        of the year shown stay as typed, with the version they were made on, so that their save
        meets another clerk's change as a conflict instead of the refresh throwing them away."""
        if self.unsaved():
            self.status.setText(self.status.text().split(UNSAVED)[0] + UNSAVED)
            return
        self.load_latest()

    def load_latest(self) -> None:
        """Show the year's plan as saved now (what typed was not saved is replaced)."""
        year = self.year()
        plan = self.service.get_plan(year)
        self.errors.hide()
        self.table.setRowCount(0)
        self.version = plan.version if plan else 0
        if plan is None:
            self.title.setText(f"{year}年度执法人员培训计划")
            self.status.setText(f"<b>{year} 年尚未编制培训计划</b>（应于 3 月 31 日前批准）")
            self.shown = (year, self.state())
            return
        self.title.setText(plan.title)
        self.approved.set_date(plan.approved_date or dt.date.today())
        self.status.setText(_status_text(plan.status, plan.approved_date))
        for it in plan.items:
            self.add_item(
                [
                    str(it.month),
                    it.topic,
                    it.form,
                    category_label(it.category),
                    f"{it.planned_hours:g}",
                    it.organiser,
                ]
            )
        self.shown = (year, self.state())

    def add_item(self, values: list[str] | None = None) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, v in enumerate(values or ["1", "", "", category_label("业务知识"), "2", ""]):
            self.table.setItem(r, c, QTableWidgetItem(v))

    def remove_selected(self) -> None:
        for r in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(r)

    def items(self) -> list[PlanItemInput]:
        out = []
        bad = []
        for r in range(self.table.rowCount()):
            vals = [
                (it.text().strip() if (it := self.table.item(r, c)) else "")
                for c in range(len(HEADERS))
            ]
            try:
                month = int(vals[0].rstrip("月"))
                hours = float(vals[4] or 0)
            except ValueError:
                bad.append(f"第 {r + 1} 项的月份或计划学时不是数字")
                continue
            cat = LABEL_TO_CAT.get(vals[3])
            if cat is None:
                bad.append(f"第 {r + 1} 项的培训类别“{vals[3]}”无效")
                continue
            out.append(
                PlanItemInput(
                    month=month,
                    topic=vals[1],
                    form=vals[2],
                    category=cat,
                    planned_hours=hours,
                    organiser=vals[5],
                )
            )
        if bad:
            raise ValidationError({"items": "计划项目：" + "；".join(bad)})
        return out

    def _show(self, exc: Exception) -> None:
        self.errors.setText(str(exc))
        self.errors.show()

    def save(self) -> bool:
        try:
            self.service.save_plan(
                self.year(), self.items(), title=self.title.text(), expected_version=self.version
            )
        except ConflictError as exc:
            offer_reload(self, exc, self.load_latest)
            return False
        except UserError as exc:
            self._show(exc)
            return False
        self.load_latest()
        self.ctx.changed(Changes.TRAINING)
        self.ctx.say("培训计划已保存")
        return True

    def approve(self) -> None:
        try:
            d = self.approved.date()
        except ValueError as exc:
            self._show(ValueError(f"批准日期：{exc}"))
            return
        if self.save():
            self._status("已批准", d)

    def _status(self, status: str, d: dt.date | None = None) -> None:
        try:
            version = self.service.set_plan_status(
                self.year(), status, d, expected_version=self.version
            )
        except ConflictError as exc:
            offer_reload(self, exc, self.load_latest)
            return
        except UserError as exc:
            self._show(exc)
            return
        if self.unsaved():  # 退回草稿 with items typed but not saved: they stay, on this version
            self.version = version
            self.status.setText(_status_text(status, d) + UNSAVED)
        else:
            self.load_latest()
        self.ctx.changed(Changes.TRAINING)

    def export(self, suffix: str, path: str | None = None) -> None:
        year = self.year()
        if path is None:
            path = save_file_name(self, "导出培训计划", f"{year}年度培训计划{suffix}")
            if not path:
                return
        run_export(self.ctx, self, "training-plan", path, period=Period(year))


def _status_text(status: str, approved: dt.date | None) -> str:
    return f"状态：<b>{status}</b>" + (f"（{approved:%Y-%m-%d} 批准）" if approved else "")
