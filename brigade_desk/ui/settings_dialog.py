"""Unit information (填报单位, 填表人 …) and every rule number, editable by the clerk.

Each setting gets the editor its value needs: a tick box, a number, a date, 工作日/自然日, a list typed
as 查封扣押、强制拆除, the AV retention table as 查封扣押：永久；现场检查：1. Only the reporting
calendar (a list of records) is edited as JSON, under 高级. Settings are grouped by ledger.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from brigade_desk import settings
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
KINDS = [("working", "工作日"), ("calendar", "自然日")]
FOREVER = "永久"
_SPLIT = re.compile(r"[、,，;；\s]+")


def _is_date(d: settings.SettingDef) -> bool:
    return isinstance(d.default, str) and len(d.default) == 10 and d.default[4] == "-"


def _is_month_day(d: settings.SettingDef) -> bool:
    return isinstance(d.default, str) and re.fullmatch(r"\d\d-\d\d", d.default) is not None


def _is_kind(d: settings.SettingDef) -> bool:
    return d.key.endswith("_kind") and d.default in dict(KINDS)


def _is_str_list(d: settings.SettingDef) -> bool:
    return isinstance(d.default, list) and all(isinstance(x, str) for x in d.default)


def _is_retention(d: settings.SettingDef) -> bool:
    return isinstance(d.default, dict) and all(
        v is None or isinstance(v, int) for v in d.default.values()
    )


def retention_text(value: dict[str, int | None]) -> str:
    return "；".join(f"{k}：{FOREVER if v is None else v}" for k, v in value.items())


def parse_retention(text: str) -> dict[str, int | None]:
    """查封扣押：永久；现场检查：1 → {"查封扣押": None, "现场检查": 1}; ValueError names the bad part."""
    out: dict[str, int | None] = {}
    for part in (p.strip() for p in re.split(r"[;；\n]+", text)):
        if not part:
            continue
        name, sep, years = (
            (x.strip() for x in re.split(r"([:：])", part, maxsplit=1))
            if re.search("[:：]", part)
            else (part, "", "")
        )
        if not sep or not name:
            raise ValueError(f"“{part}”应写成 执法活动：年数（或“永久”）")
        if years in ("", FOREVER):
            out[name] = None
        elif years.isdigit() and 0 < int(years) <= 100:
            out[name] = int(years)
        else:
            raise ValueError(f"“{part}”的年数应为 1–100 的整数，或“永久”")
    return out


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
        with ctx.db.Session() as s:
            for key, d in settings.all_definitions().items():
                if key in HIDDEN:
                    continue
                w = self._editor(d, settings.get(s, d))
                w.setToolTip(d.help)
                self.inputs[key] = w
                prefix = key.split(".", 1)[0]
                form = forms.get(prefix)
                if form is None:  # a ledger without a section of its own
                    box = QGroupBox("其他")
                    form = forms[prefix] = QFormLayout(box)
                    outer.addWidget(box)
                form.addRow(d.label, w)
        for form in forms.values():  # sections with nothing in them
            if form.rowCount() == 0 and form.parentWidget() is not None:
                form.parentWidget().hide()
        outer.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        buttons = dialog_buttons(self, self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll, 1)
        lay.addWidget(buttons)

    @staticmethod
    def _editor(d: settings.SettingDef, value: Any) -> QWidget:
        if isinstance(d.default, bool):
            cb = QCheckBox()
            cb.setChecked(bool(value))
            return cb
        if _is_kind(d):
            combo = QComboBox()
            for code, label in KINDS:
                combo.addItem(label, code)
            from brigade_desk.workdays import normalize_kind

            combo.setCurrentIndex(max(0, combo.findData(normalize_kind(value, d.default))))
            return combo
        if _is_str_list(d):
            le = QLineEdit("、".join(str(x) for x in (value or [])))
            le.setPlaceholderText("用顿号或逗号分隔，如 " + "、".join(d.default[:2]))
            le.setCursorPosition(0)  # the start of a long list, not its end
            return le
        if _is_retention(d):
            box = text_box(retention_text(value or {}).replace("；", "\n"))
            box.setPlaceholderText("每行一项：执法活动：保存年数（或“永久”）")
            box.setFixedHeight(120)
            return box
        if isinstance(
            d.default, list | dict
        ):  # records (the reporting calendar): JSON, for the brave
            box = text_box(json.dumps(value, ensure_ascii=False, indent=1))
            box.setFixedHeight(160)
            return box
        if isinstance(d.default, int):
            sb = QSpinBox()
            sb.setRange(0, 1_000_000)
            sb.setValue(int(value))
            return sb
        if isinstance(d.default, float):
            ds = QDoubleSpinBox()
            ds.setRange(0, 1_000_000)
            ds.setDecimals(2)
            ds.setValue(float(value))
            return ds
        le = QLineEdit(str(value))
        if _is_date(d):
            le.setPlaceholderText("YYYY-MM-DD")
        elif _is_month_day(d):
            le.setPlaceholderText("MM-DD，如 03-31")
        return le

    @staticmethod
    def _value(d: settings.SettingDef, w: QWidget) -> Any:
        """The value typed into ``w``; ValueError with a Chinese message naming what is wrong."""
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QSpinBox | QDoubleSpinBox):
            return w.value()
        if isinstance(w, QPlainTextEdit):
            if _is_retention(d):
                return parse_retention(w.toPlainText())
            try:
                return json.loads(w.toPlainText())
            except ValueError as exc:
                raise ValueError(
                    f"不是有效的 JSON（第 {getattr(exc, 'lineno', '?')} 行）"
                ) from None
        assert isinstance(w, QLineEdit)
        text = w.text().strip()
        if _is_str_list(d):
            items = [x for x in _SPLIT.split(text) if x]
            if not items and d.default:
                raise ValueError("至少填写一项")
            return items
        if _is_date(d):
            try:
                dt.date.fromisoformat(text)
            except ValueError:
                raise ValueError(
                    f"“{text}”不是有效的日期（格式 YYYY-MM-DD，如 2026-12-31）"
                ) from None
        if _is_month_day(d):
            try:
                dt.date.fromisoformat(f"2024-{text}")
            except ValueError:
                raise ValueError("应为 月-日，如 03-31") from None
        return text

    def save(self) -> None:
        values: dict[str, object] = {}
        for key, w in self.inputs.items():
            d = settings.all_definitions()[key]
            try:
                values[key] = self._value(d, w)
                d.check(values[key])
            except ValueError as exc:
                mark(w, True, f"{d.label}：{exc}")  # red until the clerk changes it
                QMessageBox.warning(self, "设置", f"“{d.label}”{exc}。")
                w.setFocus()
                return
        with self.ctx.db.begin() as s:
            for key, v in values.items():
                settings.set_value(s, key, v)
        self.accept()
