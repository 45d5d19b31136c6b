"""The full list of settings does not depend on which ledgers were imported first (issue 13g)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import brigade_desk
from brigade_desk import settings

PKG = Path(brigade_desk.__file__).parent


def _run(code: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_module_that_defines_settings_is_listed():
    definers = set()
    for path in PKG.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"(?<![\w.])(settings\.)?define\(\s*\"", text):
            definers.add(".".join(path.relative_to(PKG.parent).with_suffix("").parts))
    assert definers == set(settings.SETTING_MODULES)


def test_all_definitions_in_a_fresh_process_before_anything_else_is_imported():
    # the full set: import every module that defines settings, then read the registry
    full = _run(
        "import importlib, json\n"
        "from brigade_desk import settings\n"
        f"for m in {list(settings.SETTING_MODULES)!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(settings.DEFINITIONS)))"
    )
    fresh = _run(
        "import json, sys\n"
        "from brigade_desk import settings\n"
        "assert 'brigade_desk.services.training_hours' not in sys.modules\n"
        "print(json.dumps(sorted(settings.all_definitions())))"
    )
    assert fresh == full
    assert (
        "training.required_hours" in fresh
        and "cases.filing_days" in fresh
        and "reports.calendar" in fresh
    )
    assert len(fresh) >= 39
    # a setting of a ledger not imported yet still gets its own default, not the caller's
    got = _run(
        "import json\n"
        "from brigade_desk import settings\n"
        "class S:\n"
        "    def get(self, *_a): return None\n"
        "print(json.dumps(settings.get_key(S(), 'training.required_hours', 'none')))"
    )
    assert got == 60.0


def test_settings_dialog_opened_first_lists_every_setting(tmp_path):
    # a fresh process in which nothing but the dialog is imported (as when the clerk opens 设置 first)
    got = _run(
        "import json, os, sys\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtCore import QSettings\n"
        "from PySide6.QtWidgets import QApplication, QFormLayout\n"
        "app = QApplication([])\n"
        "from brigade_desk.db import open_database\n"
        "from brigade_desk.ui.context import AppContext\n"
        "from brigade_desk.ui.tasks import TaskRunner\n"
        "from brigade_desk.ui.settings_dialog import HIDDEN, SettingsDialog\n"
        "loaded = 'brigade_desk.services.training_hours' in sys.modules\n"
        f"db = open_database(r'{tmp_path / 'b.sqlite'}')\n"
        f"ctx = AppContext(db=db, tasks=TaskRunner(), qsettings=QSettings(r'{tmp_path / 'ui.ini'}', QSettings.Format.IniFormat))\n"
        "dlg = SettingsDialog(ctx)\n"
        "rows = sum(f.rowCount() for f in dlg.findChildren(QFormLayout))\n"
        "from brigade_desk import settings\n"
        "print(json.dumps([sorted(dlg.inputs), rows, sorted(set(settings.DEFINITIONS) - HIDDEN), loaded]))\n"
        "db.close()"
    )
    inputs, rows, expected, _loaded = got
    assert inputs == expected and rows == len(expected)
    assert "training.required_hours" in inputs  # the 60-hour training setting
    assert (
        len(inputs) == len(settings.all_definitions()) - 1
    )  # all but the hidden review template code
