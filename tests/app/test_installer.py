"""Fast static checks of installer/: the PyInstaller spec and the Inno Setup script.

PyInstaller itself is NOT run here (installer/build.py + installer/smoke.py do that). The spec is
executed with stand-ins for PyInstaller's Analysis/PYZ/EXE/COLLECT so that what it WOULD bundle can
be checked against the source tree: every migration revision, script.py.mako, the resources, every
brigade_desk module, the two programs.
"""

from __future__ import annotations

import pkgutil
import re
import sys
import types
from pathlib import Path

import pytest

import brigade_desk

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
SPEC = INSTALLER / "brigade_desk.spec"
ISS = INSTALLER / "brigade_desk.iss"


class _Recorder:
    """Stands in for a PyInstaller build class; remembers its arguments."""

    made: list[_Recorder] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.args = args
        self.kwargs = kwargs
        type(self).made.append(self)


class FakeAnalysis(_Recorder):
    def __init__(self, scripts: list[str], **kwargs: object) -> None:
        super().__init__(scripts, **kwargs)
        self.scripts = [
            ("pyiboot01_bootstrap", "x", "PYSOURCE"),
            ("pyi_rth_pyside6", "x", "PYSOURCE"),
        ]
        self.scripts += [(Path(s).stem, s, "PYSOURCE") for s in scripts]
        self.pure: list[tuple[str, str, str]] = []
        self.binaries = [
            ("PySide6/Qt/lib/libQt6Charts.so.6", "x", "BINARY"),
            ("PySide6/Qt/lib/libQt6Quick.so.6", "x", "BINARY"),
            (
                "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
                "x",
                "BINARY",
            ),
        ]
        self.datas = list(kwargs["datas"]) + [  # type: ignore[call-overload]
            ("PySide6/Qt/translations/qtbase_zh_CN.qm", "x", "DATA"),
            ("PySide6/Qt/translations/qtbase_de.qm", "x", "DATA"),
        ]


class FakeEXE(_Recorder):
    pass


class FakeCOLLECT(_Recorder):
    pass


def _collect_submodules(package: str, filter=lambda name: True) -> list[str]:  # noqa: A002
    mod = __import__(package, fromlist=["__path__"])
    names = [package] + [m.name for m in pkgutil.walk_packages(mod.__path__, package + ".")]
    return [n for n in names if filter(n)]


@pytest.fixture(scope="module")
def spec() -> dict[str, object]:
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = _collect_submodules  # type: ignore[attr-defined]
    saved = {
        k: sys.modules.get(k)
        for k in ("PyInstaller", "PyInstaller.utils", "PyInstaller.utils.hooks")
    }
    sys.modules["PyInstaller"] = types.ModuleType("PyInstaller")
    sys.modules["PyInstaller.utils"] = types.ModuleType("PyInstaller.utils")
    sys.modules["PyInstaller.utils.hooks"] = hooks
    _Recorder.made = []
    ns: dict[str, object] = {
        "__name__": "__main__",
        "SPECPATH": str(INSTALLER),
        "Analysis": FakeAnalysis,
        "PYZ": _Recorder,
        "EXE": FakeEXE,
        "COLLECT": FakeCOLLECT,
    }
    try:
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), ns)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    ns["_made"] = list(_Recorder.made)
    return ns


def _analysis(spec: dict[str, object]) -> FakeAnalysis:
    found = [m for m in spec["_made"] if isinstance(m, FakeAnalysis)]  # type: ignore[attr-defined]
    assert len(found) == 1
    return found[0]


def _bundled(spec: dict[str, object]) -> set[Path]:
    """Destination paths of every data file the spec adds from the source tree."""
    out = set()
    for src, dest in _analysis(spec).kwargs["datas"]:  # type: ignore[attr-defined]
        out.add(Path(dest) / Path(src).name)
    return out


def test_spec_version_is_the_package_version(spec: dict[str, object]) -> None:
    assert spec["VERSION"] == brigade_desk.__version__


def test_spec_bundles_every_migration_and_the_template(spec: dict[str, object]) -> None:
    bundled = _bundled(spec)
    mig = ROOT / "brigade_desk" / "migrations"
    for f in [mig / "env.py", mig / "script.py.mako", *sorted((mig / "versions").glob("*.py"))]:
        assert Path("brigade_desk/migrations") / f.relative_to(mig) in bundled, f


def test_spec_bundles_all_resources(spec: dict[str, object]) -> None:
    bundled = _bundled(spec)
    res = ROOT / "brigade_desk" / "resources"
    files = [f for f in res.rglob("*") if f.is_file() and "__pycache__" not in f.parts]
    assert any(f.suffix == ".ttc" for f in files)
    assert any(f.suffix == ".json" for f in files)
    for f in files:  # where importlib.resources.files("brigade_desk") finds them in the bundle
        assert Path("brigade_desk/resources") / f.relative_to(res) in bundled, f


def test_spec_hidden_imports_cover_the_package(spec: dict[str, object]) -> None:
    hidden = set(_analysis(spec).kwargs["hiddenimports"])  # type: ignore[arg-type]
    assert {
        "logging.config",
        "PySide6.QtCharts",
        "brigade_desk.app.cli",
        "brigade_desk.app.gui",
    } <= hidden
    # every module loaded by name (rules, demo, importers, pages) is in
    for m in pkgutil.walk_packages(brigade_desk.__path__, "brigade_desk."):
        if not m.name.startswith("brigade_desk.migrations."):
            assert m.name in hidden, m.name


def test_spec_excludes_webengine_but_not_charts(spec: dict[str, object]) -> None:
    excludes = set(_analysis(spec).kwargs["excludes"])  # type: ignore[arg-type]
    assert "PySide6.QtWebEngineCore" in excludes and "PySide6.QtWebEngineWidgets" in excludes
    assert (
        not {"PySide6.QtCharts", "PySide6.QtWidgets", "PySide6.QtGui", "PySide6.QtCore"} & excludes
    )
    a = _analysis(spec)
    names = [b[0] for b in a.binaries]
    assert any("Qt6Charts" in n for n in names)
    assert not any("Qt6Quick" in n or "virtualkeyboard" in n for n in names)
    trans = [d[0] for d in a.datas if d[0].endswith(".qm")]
    assert trans == ["PySide6/Qt/translations/qtbase_zh_CN.qm"]


def test_spec_keeps_libmediainfo_inside_pymediainfo(spec: dict[str, object]) -> None:
    """pymediainfo loads its bundled library from its own folder; the media facts need it."""
    import pymediainfo

    binaries = _analysis(spec).kwargs["binaries"]
    assert binaries and all(dest == "pymediainfo" for _src, dest in binaries)  # type: ignore[union-attr]
    here = {p.name for p in Path(pymediainfo.__file__).parent.iterdir()}
    assert {Path(src).name for src, _dest in binaries} <= here  # type: ignore[union-attr]
    assert any(
        ".so" in n or n.endswith((".dll", ".dylib")) for n in (Path(s).name for s, _ in binaries)
    )  # type: ignore[union-attr]
    hidden = set(_analysis(spec).kwargs["hiddenimports"])  # type: ignore[arg-type]
    assert {"pymediainfo", "exifread"} <= hidden


def test_spec_two_programs_in_one_folder(spec: dict[str, object]) -> None:
    exes = {e.kwargs["name"]: e for e in spec["_made"] if isinstance(e, FakeEXE)}  # type: ignore[attr-defined]
    assert set(exes) == {"BrigadeDesk", "brigade-desk"}
    assert exes["BrigadeDesk"].kwargs["console"] is False
    assert exes["brigade-desk"].kwargs["console"] is True
    assert all(e.kwargs["exclude_binaries"] is True for e in exes.values())  # one-folder
    gui_scripts = [s[0] for s in exes["BrigadeDesk"].args[1]]
    cli_scripts = [s[0] for s in exes["brigade-desk"].args[1]]
    assert "entry_gui" in gui_scripts and "entry_cli" not in gui_scripts
    assert "entry_cli" in cli_scripts and "entry_gui" not in cli_scripts
    colls = [c for c in spec["_made"] if isinstance(c, FakeCOLLECT)]  # type: ignore[attr-defined]
    assert len(colls) == 1 and colls[0].kwargs["name"] == "BrigadeDesk"
    assert set(colls[0].args[:2]) == set(exes.values())


def test_entry_scripts_point_at_the_real_mains() -> None:
    gui = (INSTALLER / "entry_gui.py").read_text(encoding="utf-8")
    cli = (INSTALLER / "entry_cli.py").read_text(encoding="utf-8")
    assert "from brigade_desk.app.gui import main" in gui
    assert "from brigade_desk.app.cli import main" in cli
    from brigade_desk.app import cli
    from brigade_desk.app import gui as app

    assert callable(cli.main) and callable(app.main)


def test_build_and_smoke_scripts_compile() -> None:
    for name in ("build.py", "smoke.py", "make_icon.py", "entry_gui.py", "entry_cli.py"):
        p = INSTALLER / name
        compile(p.read_text(encoding="utf-8"), str(p), "exec")


# ---- Inno Setup ---------------------------------------------------------------------------------


def _iss() -> str:
    return ISS.read_text(encoding="utf-8-sig")


def _sections(text: str) -> dict[str, list[str]]:
    """Section name (lower case) -> its non-comment lines."""
    out: dict[str, list[str]] = {}
    cur = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        m = re.fullmatch(r"\[(\w+)\]", line)
        if m:
            cur = m.group(1).lower()
            out.setdefault(cur, [])
        elif cur:
            out[cur].append(line)
    return out


def test_iss_installs_per_user_without_admin() -> None:
    setup = _sections(_iss())["setup"]
    assert "PrivilegesRequired=lowest" in setup
    assert r"DefaultDirName={localappdata}\Programs\BrigadeDesk" in setup
    assert not any(line.startswith("PrivilegesRequiredOverridesAllowed") for line in setup)


def test_iss_fixed_app_id() -> None:
    setup = _sections(_iss())["setup"]
    ids = [line for line in setup if line.startswith("AppId=")]
    assert len(ids) == 1
    assert re.fullmatch(r"AppId=\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", ids[0])


def test_iss_shortcuts() -> None:
    s = _sections(_iss())
    icons = s["icons"]
    assert any(line.startswith(r'Name: "{autoprograms}\{#AppName}"') for line in icons)
    desktop = [line for line in icons if "{autodesktop}" in line]
    assert desktop and all("Tasks: desktopicon" in line for line in desktop)
    assert any('Name: "desktopicon"' in line for line in s["tasks"])


def test_iss_never_deletes_user_data() -> None:
    s = _sections(_iss())
    assert "uninstalldelete" not in s, "no [UninstallDelete] section: the clerk's data must stay"
    for line in s.get("installdelete", []):
        m = re.search(r'Name:\s*"([^"]+)"', line)
        assert m and m.group(1).startswith("{app}\\"), line
    # outside [Code] (which only shows where the data stays) nothing names the data folder
    code_free = "\n".join(line for sec, lines in s.items() if sec != "code" for line in lines)
    assert "{localappdata}\\BrigadeDesk" not in code_free
    code = "\n".join(s.get("code", []))
    assert not re.search(r"(?i)\b(DelTree|DeleteFile|RemoveDir)\b", code)


def test_iss_chinese_is_optional() -> None:
    text = _iss()
    assert "ChineseSimplified.isl" in text
    assert re.search(r"#if FileExists\(.*ChineseSimplified\.isl", text)
    assert re.search(r"(?i)unofficial", text)
