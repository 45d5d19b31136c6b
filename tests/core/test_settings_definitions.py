"""The full list of settings does not depend on which ledgers were imported first (issue 13g)."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import brigade_desk
from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import settings
from brigade_desk.core.db import Database
from brigade_desk.core.models.settings import Setting
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.cases import settings as cs
from brigade_desk.ledgers.roster import settings as roster_settings
from brigade_desk.ledgers.training import settings as training_settings
from brigade_desk.reports import reporting_calendar as calendar

D = dt.date

PKG = Path(brigade_desk.__file__).parent


def _run(code: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


KINDS = "Int|Float|Text|Bool|Choice|TextList|Date|YearsTable|Json"


# where settings may be defined: the unit's own (core), each ledger's ``settings`` module, and the
# reporting calendar (which spans ledgers); each declared through the registry
SETTING_MODULES = {
    "brigade_desk.core.settings",
    "brigade_desk.ledgers.roster.settings",
    "brigade_desk.ledgers.training.settings",
    "brigade_desk.ledgers.av.settings",
    "brigade_desk.ledgers.cases.settings",
    "brigade_desk.reports.reporting_calendar",
}


def test_settings_are_defined_only_in_the_settings_modules():
    definers = set()
    for path in PKG.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(rf"(?<!class )\b({KINDS})Setting\(", text):
            definers.add(".".join(path.relative_to(PKG.parent).with_suffix("").parts))
    assert definers == SETTING_MODULES


def test_each_defining_module_lists_its_settings_and_the_registry_has_them_all():
    # a module's settings are module-level objects AND its SETTINGS list, nothing left out; the
    # registry (ledgers + the unit's and the calendar's) holds exactly those
    seen: dict[str, settings.SettingDef] = {}
    for name in sorted(SETTING_MODULES):
        mod = importlib.import_module(name)
        objects = {id(v) for v in vars(mod).values() if isinstance(v, settings.SettingDef)}
        assert objects == {id(d) for d in mod.SETTINGS}, name
        for d in mod.SETTINGS:
            assert d.key not in seen
            seen[d.key] = d
    assert seen == REGISTRY.settings()
    assert len(seen) == 43
    # each ledger declares its own module's settings
    for lg in REGISTRY.ledgers:
        assert {d.key for d in lg.settings()} == {
            d.key
            for d in importlib.import_module(f"brigade_desk.ledgers.{lg.key}.settings").SETTINGS
        }


def test_the_registry_knows_every_setting_in_a_fresh_process():
    # nothing imported but the registry: still every setting, with its own default
    got = _run(
        "import json, sys\n"
        "from brigade_desk.app.ledgers import REGISTRY\n"
        "assert 'brigade_desk.ledgers.training.settings' not in sys.modules\n"
        "from brigade_desk.core import settings\n"
        "class S:\n"
        "    def get(self, *_a): return None\n"
        "defs = REGISTRY.settings()\n"
        "print(json.dumps([sorted(defs), settings.get_key(S(), 'training.required_hours', defs, 'none')]))"
    )
    keys, hours = got
    assert "training.required_hours" in keys and "cases.filing_days" in keys
    assert "reports.calendar" in keys and len(keys) == 43
    assert hours == 60.0


@pytest.mark.parametrize(
    "first", ["", "brigade_desk.reports.reporting_calendar", "brigade_desk.ledgers.cases.settings"]
)
def test_settings_dialog_lists_every_setting_whatever_was_imported_first(tmp_path, first):
    # a fresh process in which nothing but the dialog (or one ledger's settings, then the dialog) is
    # imported, as when the clerk opens 设置 first
    got = _run(
        "import importlib, json, os, sys\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        f"if {first!r}: importlib.import_module({first!r})\n"
        "from PySide6.QtCore import QSettings\n"
        "from PySide6.QtWidgets import QApplication, QFormLayout\n"
        "app = QApplication([])\n"
        "from brigade_desk.app.ledgers import REGISTRY\n"
        "from brigade_desk.core.db import open_database\n"
        "from brigade_desk.ui.context import AppContext\n"
        "from brigade_desk.ui.tasks import TaskRunner\n"
        "from brigade_desk.ui.settings_dialog import EDITORS, HIDDEN, SettingsDialog\n"
        "loaded = 'brigade_desk.ledgers.training.settings' in sys.modules\n"
        f"db = open_database(r'{tmp_path / 'b.sqlite'}')\n"
        f"ctx = AppContext(db=db, tasks=TaskRunner(), qsettings=QSettings(r'{tmp_path / 'ui.ini'}', QSettings.Format.IniFormat), ledgers=REGISTRY)\n"
        "dlg = SettingsDialog(ctx)\n"
        "rows = sum(f.rowCount() for f in dlg.findChildren(QFormLayout))\n"
        "defs = REGISTRY.settings()\n"
        "editors = {k: type(w) is EDITORS[type(defs[k])] for k, w in dlg.inputs.items()}\n"
        "print(json.dumps([sorted(dlg.inputs), rows, sorted(set(defs) - HIDDEN), loaded, editors]))\n"
        "db.close()"
    )
    inputs, rows, expected, _loaded, editors = got
    assert inputs == expected and rows == len(expected)
    assert "training.required_hours" in inputs  # the 60-hour training setting
    assert len(inputs) == len(REGISTRY.settings()) - 1  # all but the hidden review template code
    assert all(editors.values()), editors


# ---- typed settings ------------------------------------------------------------------------------


def _defs() -> dict[str, settings.SettingDef]:
    return REGISTRY.settings()


def test_every_setting_has_a_kind_and_a_default_of_its_type():
    types = {
        settings.IntSetting: int,
        settings.FloatSetting: float,
        settings.TextSetting: str,
        settings.BoolSetting: bool,
        settings.ChoiceSetting: str,
        settings.TextListSetting: list,
        settings.DateSetting: dt.date,
        settings.YearsTableSetting: dict,
        settings.JsonSetting: list,
    }
    kinds = {type(d) for d in _defs().values()}
    assert kinds == set(types)  # every kind is used; none other exists
    for d in _defs().values():
        assert type(d.default) is types[type(d)], d.key
    assert isinstance(cs.FILING_DAYS, settings.IntSetting)
    assert cs.FILING_KIND.options == (("working", "工作日"), ("calendar", "自然日"))


def test_get_returns_the_kinds_python_type(db):
    with db.begin() as s:
        settings.set_value(s, roster_settings.BODYCAM_DEADLINE, D(2027, 3, 1))
        settings.set_value(
            s, training_settings.REQUIRED_HOURS, 40
        )  # an int for a number with decimals
        settings.set_value(s, cs.FILING_DAYS, 7.0)  # a whole number written as 7.0
    with db.session() as s:
        row = s.get(Setting, roster_settings.BODYCAM_DEADLINE.key)
        assert row is not None and row.value == '"2027-03-01"'  # stored as YYYY-MM-DD
        assert settings.get(s, roster_settings.BODYCAM_DEADLINE) == D(2027, 3, 1)
        hours = settings.get(s, training_settings.REQUIRED_HOURS)
        assert hours == 40.0 and type(hours) is float
        days = settings.get(s, cs.FILING_DAYS)
        assert days == 7 and type(days) is int
        assert settings.get(s, training_settings.ROTATION_FROM) == D(
            2023, 1, 1
        )  # not stored: the default
        got = settings.get(s, av_settings.AV_FULL_PROCESS)
        got.append("changed")  # a caller changing the list does not change the default
        assert settings.get(s, av_settings.AV_FULL_PROCESS) == ["查封扣押", "强制拆除"]


# values stored by earlier versions (JSON as the old untyped settings wrote it) read back the same
OLD_VALUES = [
    ("roster.cert_expiring_days", "120", 120),
    ("roster.legal_reviewer_ratio", "7.5", 7.5),
    ("roster.legal_reviewer_ratio", "6", 6.0),
    ("roster.bodycam_deadline", '"2026-06-30"', D(2026, 6, 30)),
    ("privacy.mask_ids", "false", False),
    ("unit.name", '"海东市乐都区交通运输综合行政执法大队"', "海东市乐都区交通运输综合行政执法大队"),
    ("av.full_process_activities", '["查封扣押", "扣押车辆"]', ["查封扣押", "扣押车辆"]),
    ("av.retention_years", '{"查封扣押": null, "现场检查": 2}', {"查封扣押": None, "现场检查": 2}),
    ("cases.filing_kind", '"calendar"', "calendar"),
    ("cases.filing_kind", '"自然日"', "calendar"),  # typed by hand, as the rules always read it
    ("cases.decision_kind", '" Working "', "working"),
    ("cases.hearing_wait_kind", '"日历日"', "calendar"),
    ("cases.hearing_threshold_person", "10000.01", 10000.01),
    ("cases.hearing_threshold_org", "50000", 50000.0),
    ("review.grade_excellent", "101", 101),
    ("training.plan_due", '"04-30"', "04-30"),
    ("training.required_hours", "40", 40.0),
    ("reports.calendar", "[]", []),
]


@pytest.mark.parametrize(("key", "stored", "expected"), OLD_VALUES)
def test_stored_values_read_back_the_same(db, key, stored, expected):
    with db.begin() as s:
        s.add(Setting(key=key, value=stored))
    with db.session() as s:
        assert settings.get(s, _defs()[key]) == expected


# a stored value of the wrong shape (another program, an edit by hand): the default, never an error
WRONG = [
    ("roster.cert_expiring_days", ['"九十"', "5.5", "true", "-1", "99999", "null", "[90]"]),
    ("roster.legal_reviewer_ratio", ['"5%"', "false", "101", "{}"]),
    ("unit.name", ["5", "null", '["某县"]']),
    ("privacy.mask_ids", ['"yes"', "1", "null"]),
    ("cases.filing_kind", ['"月"', "3", "null", '["working"]']),
    ("cases.publication_categories", ['"行政处罚"', "[1, 2]", "[]", "{}"]),
    ("training.rotation_due", ['"六月底"', "20240630", '"2024-13-01"', "null"]),
    ("training.plan_due", ['"3月底"', '"13-01"', "331"]),
    (
        "av.retention_years",
        ['{"现场检查": "两年"}', '{"现场检查": 0}', '{"现场检查": true}', "[1]"],
    ),
    ("reports.calendar", ['{"key": "x"}', '[{"key": "x"}]', '"monthly"']),
    ("av.hash_workers", ["0", '"2"']),
    ("unit.phone", ["not json at all", ""]),
]


@pytest.mark.parametrize(("key", "stored"), [(k, v) for k, vs in WRONG for v in vs])
def test_a_wrongly_stored_value_gives_the_default(db, key, stored):
    d = _defs()[key]
    with db.begin() as s:
        s.add(Setting(key=key, value=stored))
    with db.session() as s:
        assert settings.get(s, d) == d.default
        assert settings.get_key(s, key, _defs()) == d.default


def test_kinds_parse_and_reject():
    assert cs.FILING_KIND.coerce("工作日") == "working"
    assert cs.FILING_KIND.label_of("calendar") == "自然日"
    with pytest.raises(ValueError, match="工作日或自然日"):
        cs.FILING_KIND.check("月")
    with pytest.raises(ValueError, match="0–3650"):
        roster_settings.CERT_EXPIRING_DAYS.check(4000)
    with pytest.raises(ValueError, match="至少填写一项"):
        av_settings.AV_FULL_PROCESS.check([])
    with pytest.raises(ValueError, match="月-日"):
        training_settings.PLAN_DUE.check("02-30")
    with pytest.raises(ValueError, match="的 day 应为"):
        calendar.ENTRIES.check([{"key": "x", "name": "x", "recurrence": "monthly", "day": 40}])
    assert settings.TextListSetting.from_text("查封扣押，强制拆除、 扣押车辆") == [
        "查封扣押",
        "强制拆除",
        "扣押车辆",
    ]
    with pytest.raises(ValueError):  # a wrong default is caught where it is written
        settings.IntSetting("x.y", "x", 5, min=10, max=20)


# ---- the dialog builds each editor from the setting's kind ---------------------------------------


def _dialog(gui_ctx, qtbot):
    from brigade_desk.ui.settings_dialog import SettingsDialog

    dlg = SettingsDialog(gui_ctx)
    qtbot.addWidget(dlg)
    return dlg


def _save(dlg) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()


def test_the_dialog_shows_each_kinds_own_editor(gui_ctx, qtbot):
    from PySide6.QtWidgets import (
        QCheckBox,
        QComboBox,
        QDateEdit,
        QDoubleSpinBox,
        QLineEdit,
        QPlainTextEdit,
        QSpinBox,
    )

    from brigade_desk.ui.settings_dialog import EDITORS, HIDDEN

    expected = {
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
    assert EDITORS == expected
    dlg = _dialog(gui_ctx, qtbot)
    assert set(dlg.inputs) == set(_defs()) - HIDDEN
    for key, w in dlg.inputs.items():
        d = _defs()[key]
        assert type(w) is expected[type(d)], key  # chosen by the kind, not the default's shape
        assert w.toolTip() == d.help
        if isinstance(d, settings.IntSetting):
            assert (w.minimum(), w.maximum(), w.value()) == (d.min, d.max, d.default)
        elif isinstance(d, settings.FloatSetting):
            assert (w.minimum(), w.maximum(), w.decimals()) == (d.min, d.max, d.decimals)
            assert w.value() == d.default
        elif isinstance(d, settings.ChoiceSetting):
            assert [w.itemText(i) for i in range(w.count())] == [lab for _c, lab in d.options]
            assert w.currentData() == d.default
        elif isinstance(d, settings.DateSetting):
            assert w.date().toPython() == d.default
    # money with fen, a hearing threshold: a number box with decimals (an int default no longer
    # decides it is a whole number)
    assert dlg.inputs[cs.HEARING_PERSON.key].decimals() == 2
    assert dlg.inputs[training_settings.PLAN_DUE.key].placeholderText() == "MM-DD，如 03-31"


def test_each_kind_round_trips_through_the_dialog(gui_ctx, qtbot):
    import json

    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QDialog

    dlg = _dialog(gui_ctx, qtbot)
    w = dlg.inputs
    w[roster_settings.CERT_EXPIRING_DAYS.key].setValue(45)  # int
    w[roster_settings.LEGAL_REVIEWER_RATIO.key].setValue(7.25)  # float
    w[cs.HEARING_ORG.key].setValue(50000.5)
    w[settings.PREPARER.key].setText("  李晓燕 ")  # text
    w[settings.MASK_IDS.key].setChecked(False)  # bool
    w[cs.DECISION_KIND.key].setCurrentText("工作日")  # choice
    w[cs.PUBLICATION_CATEGORIES.key].setText("行政处罚，行政检查")  # list of text
    w[roster_settings.BODYCAM_DEADLINE.key].setDate(QDate(2027, 6, 30))  # date
    w[av_settings.AV_RETENTION_YEARS.key].setPlainText("查封扣押：永久\n其他：3")  # years by name
    entries = [{"key": "k", "name": "月报", "recurrence": "monthly", "day": 5, "lead": 2}]
    w[calendar.ENTRIES.key].setPlainText(json.dumps(entries, ensure_ascii=False))  # JSON
    w[training_settings.PLAN_DUE.key].setText("04-30")
    _save(dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted
    expected = {
        roster_settings.CERT_EXPIRING_DAYS: 45,
        roster_settings.LEGAL_REVIEWER_RATIO: 7.25,
        cs.HEARING_ORG: 50000.5,
        settings.PREPARER: "李晓燕",
        settings.MASK_IDS: False,
        cs.DECISION_KIND: "working",
        cs.PUBLICATION_CATEGORIES: ["行政处罚", "行政检查"],
        roster_settings.BODYCAM_DEADLINE: D(2027, 6, 30),
        av_settings.AV_RETENTION_YEARS: {"查封扣押": None, "其他": 3},
        calendar.ENTRIES: entries,
        training_settings.PLAN_DUE: "04-30",
        training_settings.ROTATION_DUE: D(2024, 6, 30),  # untouched: saved as it was
        training_settings.REQUIRED_HOURS: 60.0,
    }
    with gui_ctx.db.session() as s:
        for d, v in expected.items():
            got = settings.get(s, d)
            assert got == v and type(got) is type(v), d.key
    # opened again, the dialog shows what was saved
    dlg2 = _dialog(gui_ctx, qtbot)
    assert dlg2.inputs[cs.DECISION_KIND.key].currentText() == "工作日"
    assert dlg2.inputs[roster_settings.BODYCAM_DEADLINE.key].text() == "2027-06-30"
    assert dlg2.inputs[cs.PUBLICATION_CATEGORIES.key].text() == "行政处罚、行政检查"
    assert not dlg2.inputs[settings.MASK_IDS.key].isChecked()
    assert "其他：3" in dlg2.inputs[av_settings.AV_RETENTION_YEARS.key].toPlainText()


def test_a_bad_value_is_marked_on_its_field_and_nothing_is_saved(gui_ctx, qtbot, monkeypatch):
    from PySide6.QtWidgets import QDialog, QMessageBox

    from brigade_desk.ui.widgets.forms import ERROR_STYLE

    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a: warnings.append(text))
    dlg = _dialog(gui_ctx, qtbot)
    plan = dlg.inputs[training_settings.PLAN_DUE.key]
    plan.setText("3月底")
    dlg.inputs[roster_settings.CERT_EXPIRING_DAYS.key].setValue(11)
    _save(dlg)
    assert dlg.result() != QDialog.DialogCode.Accepted
    assert warnings == ["“年度培训计划报送期限（月-日）”应为 月-日，如 03-31。"]
    assert plan.styleSheet() == ERROR_STYLE
    plan.setText("03-15")  # changed: no longer red
    assert plan.styleSheet() == ""
    with gui_ctx.db.session() as s:
        assert settings.get(s, roster_settings.CERT_EXPIRING_DAYS) == 90  # nothing saved
    empty = dlg.inputs[av_settings.AV_FULL_PROCESS.key]
    empty.setText(" ， ")
    _save(dlg)
    assert "至少填写一项" in warnings[-1] and empty.styleSheet() == ERROR_STYLE
    empty.setText("查封扣押")
    _save(dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted
    with gui_ctx.db.session() as s:
        assert settings.get(s, training_settings.PLAN_DUE) == "03-15"
        assert settings.get(s, roster_settings.CERT_EXPIRING_DAYS) == 11


def test_the_dialog_opens_on_wrongly_stored_values_with_the_defaults(gui_ctx, qtbot):
    with gui_ctx.db.begin() as s:
        for key, stored in WRONG:
            s.add(Setting(key=key, value=stored[0]))
    dlg = _dialog(gui_ctx, qtbot)
    assert dlg.inputs[roster_settings.CERT_EXPIRING_DAYS.key].value() == 90
    assert dlg.inputs[cs.FILING_KIND.key].currentText() == "工作日"
    assert dlg.inputs[training_settings.ROTATION_DUE.key].text() == "2024-06-30"
    assert dlg.inputs[cs.PUBLICATION_CATEGORIES.key].text() == "行政处罚、行政强制、行政许可"
    assert dlg.inputs[settings.MASK_IDS.key].isChecked()


def test_read_many_and_save_many_with_the_database(db: Database) -> None:
    """The dialogs' way in: many settings read in one session, a dict saved in one transaction
    (all or nothing), a stored key without a definition (the backup folder) kept as given."""
    assert settings.read(db, settings.UNIT_NAME) == settings.UNIT_NAME.default
    settings.save_many(
        db,
        {settings.UNIT_NAME: "某某大队", cs.FILING_DAYS: 7, "backup.folder.test": "D:/备份"},
    )
    got = settings.read_many(db, (settings.UNIT_NAME, cs.FILING_DAYS, settings.MASK_IDS))
    assert got == {
        settings.UNIT_NAME.key: "某某大队",
        cs.FILING_DAYS.key: 7,
        settings.MASK_IDS.key: settings.MASK_IDS.default,
    }
    with db.session() as s:
        assert json.loads(s.get(Setting, "backup.folder.test").value) == "D:/备份"
    # one value that cannot be stored: none of them is
    with pytest.raises(TypeError):
        settings.save_many(db, {settings.UNIT_NAME: "另一个大队", settings.PHONE: object()})
    assert settings.read(db, settings.UNIT_NAME) == "某某大队"
