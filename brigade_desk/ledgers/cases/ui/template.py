"""Editing the checklist template in the program: every save stores the next version; reviews keep
the version they were scored with."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.errors import ValidationError
from brigade_desk.ledgers.cases.checklists import Template
from brigade_desk.ledgers.cases.review import ReviewService
from brigade_desk.ui.widgets.forms import UnsavedGuard, error_label, unsaved_baseline
from brigade_desk.ui.widgets.screen import error_area, fit_to_screen

ITEM_HEAD = ["部分", "编号", "评查内容", "分值", "扣分标准（用；分隔）"]


class TemplateDialog(QDialog):
    def __init__(self, service: ReviewService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setWindowTitle("案卷评查表模板")
        fit_to_screen(self, 1000, 720)
        self.code, self.versions = service.template_versions()
        self.version = QComboBox()
        for v, name, source, created in self.versions:
            self.version.addItem(
                f"第 {v} 版　{name}　{'程序内修改' if source == 'edited' else '随程序提供'}　{created:%Y-%m-%d}",
                v,
            )
        self.version.setCurrentIndex(self.version.count() - 1)
        self.name = QLineEdit()
        self.note = QLineEdit()
        self.items = QTableWidget(0, len(ITEM_HEAD))
        self.items.setHorizontalHeaderLabels(ITEM_HEAD)
        self.items.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.items.horizontalHeader().setStretchLastSection(True)
        for i, w in enumerate((90, 50, 330, 50)):
            self.items.setColumnWidth(i, w)
        self.vetoes = QTableWidget(0, 2)
        self.vetoes.setHorizontalHeaderLabels(["编号", "否决项"])
        self.vetoes.horizontalHeader().setStretchLastSection(True)
        self.vetoes.setMaximumHeight(200)
        self.total = QLabel()
        self.items.itemChanged.connect(lambda _i: self._update_total())
        add_item, del_item = QPushButton("添加项目"), QPushButton("删除所选项目")
        add_veto, del_veto = QPushButton("添加否决项"), QPushButton("删除所选否决项")
        add_item.clicked.connect(lambda: self._add_row(self.items, ["", "", "", "1", ""]))
        del_item.clicked.connect(lambda: self._del_row(self.items))
        add_veto.clicked.connect(lambda: self._add_row(self.vetoes, ["", ""]))
        del_veto.clicked.connect(lambda: self._del_row(self.vetoes))
        self.errors = error_label()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存为新版本")
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(UnsavedGuard(self).cancel)  # and Esc, the close button: ask first
        top = QHBoxLayout()
        top.addWidget(QLabel("版本"))
        top.addWidget(self.version, 2)
        top.addWidget(QLabel("名称"))
        top.addWidget(self.name, 1)
        ib = QHBoxLayout()
        ib.addWidget(self.total)
        ib.addStretch(1)
        ib.addWidget(add_item)
        ib.addWidget(del_item)
        vb = QHBoxLayout()
        vb.addWidget(QLabel("否决项（存在任何一项即不合格）"))
        vb.addStretch(1)
        vb.addWidget(add_veto)
        vb.addWidget(del_veto)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(QLabel("说明"))
        lay.addWidget(self.note)
        lay.addWidget(self.items, 1)
        lay.addLayout(ib)
        lay.addLayout(vb)
        lay.addWidget(self.vetoes)
        lay.addWidget(
            QLabel(
                "修改后保存为新版本；已完成的评查结果仍按原版本显示和打印，新的评查使用最新版本。"
            )
        )
        lay.addWidget(error_area(self.errors))
        lay.addWidget(buttons)
        self.version.currentIndexChanged.connect(lambda _i: self.load(self.version.currentData()))
        self.saved: Template | None = None
        if self.versions:
            self.load(self.version.currentData())

    def load(self, version: int) -> None:
        t = self.service.template(version, self.code)
        self.name.setText(t.name)
        self.note.setText(t.note)
        self.items.blockSignals(True)
        self.items.setRowCount(0)
        for _c, title, items in t.sections:
            for it in items:
                self._add_row(
                    self.items,
                    [
                        title,
                        it.code,
                        it.title,
                        f"{it.points.normalize():f}",
                        "；".join(it.deductions),
                    ],
                )
        self.items.blockSignals(False)
        self.vetoes.setRowCount(0)
        for v in t.veto:
            self._add_row(self.vetoes, [v.code, v.title])
        self._update_total()
        unsaved_baseline(self)  # another version shown is not a change of the clerk's

    @staticmethod
    def _add_row(table: QTableWidget, values: list[str]) -> None:
        r = table.rowCount()
        table.insertRow(r)
        for c, v in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(v))

    @staticmethod
    def _del_row(table: QTableWidget) -> None:
        rows = sorted({i.row() for i in table.selectedIndexes()}, reverse=True)
        for r in rows:
            table.removeRow(r)

    @staticmethod
    def _text(table: QTableWidget, r: int, c: int) -> str:
        it = table.item(r, c)
        return it.text().strip() if it else ""

    def _update_total(self) -> None:
        total = Decimal(0)
        for r in range(self.items.rowCount()):
            try:
                total += Decimal(self._text(self.items, r, 3) or "0")
            except InvalidOperation:
                pass
        self.total.setText(
            f"合计 {total.normalize():f} 分" + ("" if total == 100 else "（通常为 100 分）")
        )

    def body(self) -> dict[str, Any]:
        sections: dict[str, list[dict[str, Any]]] = {}
        errs: dict[str, str] = {}
        for r in range(self.items.rowCount()):
            sec = self._text(self.items, r, 0)
            if not sec:
                errs.setdefault("sections", f"第 {r + 1} 行没有填写所属部分")
                continue
            pts = self._text(self.items, r, 3)
            try:
                points: float = float(Decimal(pts))
            except InvalidOperation:
                errs.setdefault("items", f"第 {r + 1} 行分值「{pts}」不是数字")
                points = 0
            deductions = [
                d.strip()
                for d in self._text(self.items, r, 4).replace(";", "；").split("；")
                if d.strip()
            ]
            sections.setdefault(sec, []).append(
                {
                    "code": self._text(self.items, r, 1),
                    "title": self._text(self.items, r, 2),
                    "points": points,
                    "deductions": deductions,
                }
            )
        if errs:
            raise ValidationError(errs)
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        return {
            "code": self.code,
            "name": self.name.text().strip(),
            "note": self.note.text().strip(),
            "sections": [
                {"code": letters[i % 26], "title": t, "items": its}
                for i, (t, its) in enumerate(sections.items())
            ],
            "veto": [
                {"code": self._text(self.vetoes, r, 0), "title": self._text(self.vetoes, r, 1)}
                for r in range(self.vetoes.rowCount())
            ],
        }

    def save(self) -> None:
        try:
            self.saved = self.service.save_template(self.body())
        except ValidationError as exc:
            self.errors.setText("\n".join(exc.fields.values()))
            self.errors.show()
            return
        self.accept()
