"""Unit information (填报单位, 填表人 …) and every rule number, editable by the clerk.

Each setting's kind (brigade_desk.core.settings) says which editor it gets: a tick box (是/否), a number
box with the setting's range, a date box, a drop-down of the choices (工作日/自然日), a list typed as
查封扣押、强制拆除, the AV retention table as 查封扣押：永久 one a line. Only the reporting calendar (a
list of records) is edited as JSON, under 高级. Settings are grouped by ledger.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core import settings
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.forms import dialog_buttons, mark, text_box
from brigade_desk.ui.widgets.screen import fit_to_screen

SECTIONS = [
    ("unit", "单位信息"),
    ("privacy", "身份证号显示"),
    ("roster", "执法人员与证件"),
    ("training", "培训"),
    ("av", "执法音像记录"),
    ("cases", "案件期限"),
    ("review", "案卷评查"),
    ("reports", "上报日历（高级）"),
]
HIDDEN = {"review.template_code"}  # chosen in 案卷评查 → 评查表模板, not typed

# the editor of each kind of setting (tests check every setting gets its kind's editor)
EDITORS: dict[type[settings.SettingDef[Any]], type[QWidget]] = {
    settings.IntSetting: QSpinBox,
    settings.FloatSetting: QDoubleSpinBox,
    settings.TextSetting: QLineEdit,
    settings.BoolSetting: QCheckBox,
    settings.ChoiceSetting: QComboBox,
    settings.TextListSetting: QLineEdit,
    settings.DateSetting: QDateEdit,
    settings.YearsTableSetting: QPlainTextEdit,
    settings.JsonSetting: QPlainTextEdit,
}


def parse_retention(text: str) -> dict[str, int | None]:
    """查封扣押：永久；现场检查：1 → {"查封扣押": None, "现场检查": 1}; ValueError names the bad part."""
    return av_settings.AV_RETENTION_YEARS.from_text(text)


def _qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


class SettingsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("单位信息与规则设置")
        fit_to_screen(self, 720, 640)
        self.inputs: dict[str, QWidget] = {}
        forms: dict[str, QFormLayout] = {}
        inner = QWidget()
        outer = QVBoxLayout(inner)
        for prefix, title in SECTIONS:
            box = QGroupBox(title)
            forms[prefix] = QFormLayout(box)
            outer.addWidget(box)
        shown = {k: d for k, d in self.ctx.ledgers.settings().items() if k not in HIDDEN}
        stored = settings.read_many(ctx.db, shown.values())
        for key, d in shown.items():
            w = self._editor(d, stored[key])
            w.setToolTip(d.help)
            self.inputs[key] = w
            prefix = key.split(".", 1)[0]
            form = forms.get(prefix)
            if form is None:  # a ledger without a section of its own
                box = QGroupBox("其他")
                form = forms[prefix] = QFormLayout(box)
                outer.addWidget(box)
            label = QLabel(d.label)
            label.setToolTip(d.help)
            form.addRow(label, w)
        for form in forms.values():  # sections with nothing in them
            box_widget = form.parentWidget()
            if form.rowCount() == 0 and box_widget is not None:
                box_widget.hide()
        outer.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        buttons = dialog_buttons(self, self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll, 1)
        lay.addWidget(buttons)

    @staticmethod
    def _editor(d: settings.SettingDef[Any], value: Any) -> QWidget:
        """The editor of ``d``'s kind showing ``value`` (already of the kind's type: settings.get)."""
        if isinstance(d, settings.BoolSetting):
            cb = QCheckBox()
            cb.setChecked(value)
            return cb
        if isinstance(d, settings.ChoiceSetting):
            combo = QComboBox()
            for code, label in d.options:
                combo.addItem(label, code)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            return combo
        if isinstance(d, settings.IntSetting):
            sb = QSpinBox()
            sb.setRange(d.min, d.max)
            sb.setValue(value)
            return sb
        if isinstance(d, settings.FloatSetting):
            ds = QDoubleSpinBox()
            ds.setRange(d.min, d.max)
            ds.setDecimals(d.decimals)
            ds.setValue(value)
            return ds
        if isinstance(d, settings.DateSetting):
            de = QDateEdit()
            de.setDisplayFormat("yyyy-MM-dd")
            de.setCalendarPopup(True)
            de.setDate(_qdate(value))
            return de
        if isinstance(d, settings.TextListSetting):
            le = QLineEdit(d.to_text(value))
            le.setPlaceholderText("用顿号或逗号分隔，如 " + d.to_text(d.default[:2]))
            le.setCursorPosition(0)  # the start of a long list, not its end
            return le
        if isinstance(d, settings.TextSetting):
            le = QLineEdit(value)
            le.setPlaceholderText(d.placeholder)
            return le
        if isinstance(d, settings.YearsTableSetting):
            box = text_box(d.to_text(value, "\n"))
            box.setPlaceholderText("每行一项：执法活动：保存年数（或“永久”）")
            box.setFixedHeight(120)
            return box
        if isinstance(d, settings.JsonSetting):  # records (the reporting calendar), for the brave
            box = text_box(json.dumps(value, ensure_ascii=False, indent=1))
            box.setFixedHeight(160)
            return box
        raise TypeError(f"no editor for the setting kind {type(d).__name__} ({d.key})")

    @staticmethod
    def _value(d: settings.SettingDef[Any], w: QWidget) -> Any:
        """The value typed into ``w``; ValueError with a Chinese message naming what is wrong."""
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QSpinBox | QDoubleSpinBox):
            return w.value()
        if isinstance(w, QDateEdit):
            return w.date().toPython()
        if isinstance(w, QPlainTextEdit):
            if isinstance(d, settings.YearsTableSetting):
                return d.from_text(w.toPlainText())
            try:
                return json.loads(w.toPlainText())
            except ValueError as exc:
                raise ValueError(
                    f"不是有效的 JSON（第 {getattr(exc, 'lineno', '?')} 行）"
                ) from None
        assert isinstance(w, QLineEdit)
        if isinstance(d, settings.TextListSetting):
            return d.from_text(w.text())
        return w.text().strip()

    def save(self) -> None:
        values: dict[settings.SettingDef[Any] | str, object] = {}
        defs = self.ctx.ledgers.settings()
        for key, w in self.inputs.items():
            d = defs[key]
            try:
                values[d] = d.coerce(self._value(d, w))
            except ValueError as exc:
                mark(w, True, f"{d.label}：{exc}")  # red until the clerk changes it
                QMessageBox.warning(self, "设置", f"“{d.label}”{exc}。")
                w.setFocus()
                return
        settings.save_many(self.ctx.db, values)
        self.accept()
