"""Unit information (填报单位, 填表人 …) and every rule number, editable by the clerk."""

from __future__ import annotations

import json

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from brigade_desk import settings
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.forms import dialog_buttons


class SettingsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("单位信息与规则设置")
        self.resize(560, 520)
        self.inputs: dict[str, QWidget] = {}
        form = QFormLayout()
        with ctx.db.Session() as s:
            for key, d in settings.DEFINITIONS.items():
                value = settings.get(s, d)
                w: QWidget
                if isinstance(d.default, bool):
                    cb = QCheckBox()
                    cb.setChecked(bool(value))
                    w = cb
                elif isinstance(d.default, (list, dict)):
                    w = QLineEdit(json.dumps(value, ensure_ascii=False))
                elif isinstance(d.default, int):
                    sb = QSpinBox()
                    sb.setRange(0, 1_000_000)
                    sb.setValue(int(value))
                    w = sb
                elif isinstance(d.default, float):
                    ds = QDoubleSpinBox()
                    ds.setRange(0, 1_000_000)
                    ds.setDecimals(2)
                    ds.setValue(float(value))
                    w = ds
                else:
                    w = QLineEdit(str(value))
                w.setToolTip(d.help)
                self.inputs[key] = w
                form.addRow(d.label, w)
        inner = QWidget()
        inner.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        buttons = dialog_buttons(self, self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll, 1)
        lay.addWidget(buttons)

    def save(self) -> None:
        values: dict[str, object] = {}
        for key, w in self.inputs.items():
            d = settings.DEFINITIONS[key]
            if isinstance(w, QCheckBox):
                values[key] = w.isChecked()
            elif isinstance(w, QSpinBox | QDoubleSpinBox):
                values[key] = w.value()
            elif isinstance(d.default, (list, dict)):
                assert isinstance(w, QLineEdit)
                try:
                    values[key] = json.loads(w.text())
                except ValueError:
                    QMessageBox.warning(self, "设置", f"“{d.label}”的格式不正确。")
                    w.setFocus()
                    return
            else:
                assert isinstance(w, QLineEdit)
                text = w.text().strip()
                if isinstance(d.default, str) and len(d.default) == 10 and d.default[4] == "-":
                    import datetime as dt

                    try:
                        dt.date.fromisoformat(text)
                    except ValueError:
                        QMessageBox.warning(self, "设置", f"“{d.label}”应为日期，格式 YYYY-MM-DD。")
                        w.setFocus()
                        return
                values[key] = text
        with self.ctx.db.begin() as s:
            for key, v in values.items():
                settings.set_value(s, key, v)
        self.accept()
