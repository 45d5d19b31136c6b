"""The layout the code keeps: no import cycles (function-level imports counted), no look-ups by
"module:function" strings, the shell never imports the command line, every ledger the same shape."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import brigade_desk

PKG = Path(brigade_desk.__file__).parent
ROOT = PKG.parent
LEDGERS_KEYS = ("roster", "training", "av", "cases")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(p): p
        for p in PKG.rglob("*.py")
        if "migrations" not in p.relative_to(PKG).parts[:1]
    }


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Lines inside ``if TYPE_CHECKING:`` blocks: imports for annotations, never run."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            for sub in node.body:
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    return lines


def import_graph() -> dict[str, set[str]]:
    """module -> the program's modules it imports, at the top or inside a function (explicit
    imports; a package's ``__init__`` that Python runs on the way is not counted)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", 0) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    targets.append(sub if sub in mods else node.module)
            for t in targets:
                if t in mods and t != name:
                    graph[name].add(t)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return out


def test_no_import_cycles_counting_function_level_imports() -> None:
    assert _cycles(import_graph()) == []


def test_the_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_layers() -> None:
    graph = import_graph()
    bad = []
    for m, deps in graph.items():
        for d in deps:
            # nothing in the shell or a ledger's pages imports the command line
            if ".ui." in f".{m}." and d.startswith("brigade_desk.app.cli"):
                bad.append((m, d))
            # only app/ knows the list of ledgers; below it the registry is handed in
            if d == "brigade_desk.app.ledgers" and not m.startswith("brigade_desk.app."):
                bad.append((m, d))
            # the core knows no ledger, no report, no GUI
            if m.startswith("brigade_desk.core.") and d.startswith(
                (
                    "brigade_desk.ledgers",
                    "brigade_desk.reports",
                    "brigade_desk.ui",
                    "brigade_desk.app",
                )
            ):
                bad.append((m, d))
            # a ledger's domain code knows no GUI, no app, no cross-ledger report
            if (
                m.startswith("brigade_desk.ledgers.")
                and ".ui" not in m
                and d.startswith(("brigade_desk.ui", "brigade_desk.app", "brigade_desk.reports"))
            ):
                bad.append((m, d))
    assert sorted(bad) == []


def test_no_string_lookups_of_the_programs_own_parts() -> None:
    bad = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        if re.search(r"importlib\.import_module|__import__\(", text):
            bad.append(f"{name}: importlib")
        for m in re.finditer(r"[\"']brigade_desk(\.\w+)+:\w+[\"']", text):
            bad.append(f"{name}: {m.group(0)}")
    assert bad == []


LEDGER_MODULES = {
    "__init__",
    "models",
    "service",
    "rules",
    "settings",
    "exports",
    "report_parts",
    "charts",
    "demo",
}


def test_every_ledger_has_the_same_shape() -> None:
    """Knowing where one ledger keeps a thing tells where every ledger keeps it."""
    from brigade_desk.app.ledgers import LEDGERS

    assert [lg.key for lg in LEDGERS] == list(LEDGERS_KEYS)
    for lg in LEDGERS:
        pkg = PKG / "ledgers" / lg.key
        have = {p.stem for p in pkg.glob("*.py")}
        assert LEDGER_MODULES <= have, (lg.key, LEDGER_MODULES - have)
        assert (pkg / "ui" / "page.py").exists() and lg.page is not None
        # a spreadsheet importer and own commands where the ledger has them, under the same names
        assert ("importer" in have) == bool(lg.importers), lg.key
        assert ("cli" in have) == (lg.cli is not None), lg.key
        assert lg.rules is not None and lg.charts is not None and lg.demo, lg.key


def test_where_a_newcomer_finds_things() -> None:
    """The README's 代码结构 names these places; they must stay where it says."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for place, needle in (
        ("brigade_desk/ledgers/training/rules.py", "def hours_short"),
        ("brigade_desk/ledgers/training/settings.py", "training.required_hours"),
        ("brigade_desk/ledgers/cases/rules.py", "filing_overdue"),
        ("brigade_desk/ledgers/cases/settings.py", "cases.filing_days"),
        ("brigade_desk/reports/quarterly.py", "def export_quarterly"),
        ("brigade_desk/app/ledgers.py", "LEDGERS = "),
    ):
        assert place in text, place
        assert needle in (ROOT / place).read_text(encoding="utf-8"), place


def _database_sessions(source: str) -> list[int]:
    """The lines of ``source`` that open a database session or transaction: a call of
    ``.session()`` or ``.begin()`` (without arguments, so ``QPainter.begin(printer)`` is no hit)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("session", "begin")
        and not node.args
        and not node.keywords
    ]


def test_widgets_open_no_database_sessions() -> None:
    """The shell and the ledgers' pages call services; the database work (each session, each
    transaction) lives below them: a ledger's service or domain modules, core/, reports/."""
    sample = "def f(db, p):\n    with db.session() as s:\n        pass\n    with self.ctx.db.begin() as s:\n        pass\n    p.begin(printer)\n"
    assert _database_sessions(sample) == [2, 4]
    ui_files = [*(PKG / "ui").rglob("*.py"), *(PKG / "ledgers").glob("*/ui/**/*.py")]
    assert len({p.parent for p in ui_files}) >= 1 + len(LEDGERS_KEYS)
    bad = [
        f"{p.relative_to(ROOT)}:{line}"
        for p in ui_files
        for line in _database_sessions(p.read_text(encoding="utf-8"))
    ]
    assert bad == []
