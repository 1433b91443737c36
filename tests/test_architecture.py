"""Contracts of the package's structure: layers import one way, the CLI imports
little, every module has a docstring and a test module that mirrors it."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "wqm_nb"
TESTS = Path(__file__).resolve().parent

#: Lower numbers are lower layers; a module may import only its own rank or lower.
LAYERS = {
    "errors": 0,
    "settings": 0,
    "spreadsheet": 0,
    "data": 1,
    "store": 2,
    "intake": 3,
    "model": 3,
    "disclosure": 3,
    "present": 4,
    "export": 5,
    "sample": 5,
    "ui": 5,
    "batch": 6,
    "serve": 6,
    "cli": 7,
}
HEAVY = ("pandas", "numpy", "matplotlib", "seaborn", "papermill", "weasyprint", "nbconvert", "jinja2", "scipy")


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "notebooks" not in p.parts and "templates" not in p.parts)


def layer_of(module: str) -> str:
    """``wqm_nb.model.figures`` -> ``model``."""
    return module.split(".")[1]


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """Every wqm_nb module that ``path`` imports, at the top or inside functions."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("wqm_nb."):
                found.add(target)
            elif target == "wqm_nb":
                found |= {f"wqm_nb.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("wqm_nb.")}
    return found


@pytest.mark.parametrize("path", [p for p in modules() if module_name(p) != "wqm_nb"], ids=lambda p: module_name(p))
def test_no_module_imports_a_layer_above_it(path):
    own = LAYERS[layer_of(module_name(path))]
    for target in imported_modules(path):
        assert LAYERS[layer_of(target)] <= own, f"{module_name(path)} imports {target}, a layer above it"


def test_every_layer_is_known():
    assert {layer_of(module_name(p)) for p in modules() if module_name(p) != "wqm_nb"} == set(LAYERS)


def test_the_cli_imports_no_heavy_library():
    code = f"import sys, wqm_nb.cli; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"`import wqm_nb.cli` loads {loaded}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: module_name(p))
def test_every_module_has_a_docstring(path):
    assert ast.get_docstring(ast.parse(path.read_text())), f"{module_name(path)} has no module docstring"


@pytest.mark.parametrize("path", [p for p in modules() if p.name != "__init__.py"], ids=lambda p: module_name(p))
def test_every_module_has_a_mirroring_test_module(path):
    rel = path.relative_to(PACKAGE)
    expected = TESTS / rel.parent / f"test_{rel.name}"
    assert expected.exists(), f"{module_name(path)} has no tests at {expected.relative_to(TESTS.parent)}"


# -- reads of the clock ---------------------------------------------------------------------------------------------

#: The only modules that may read today's date or the time: everything a report or overview works out from a
#: date uses the settings' explicit ``as_of`` instead, so the same data and ``as_of`` give the same output any day.
CLOCK_ALLOWED = {
    "wqm_nb.settings": "an unset as_of becomes today, once, where the settings are made",
    "wqm_nb.store.store": "store timestamps (recorded_at) and backup file names",
    "wqm_nb.store.migrations": "the time a migration ran",
    "wqm_nb.store.school_records": "an award decision recorded without a date is dated today",
    "wqm_nb.serve.links": "link expiry",
    "wqm_nb.ui.capture.autosave": "the live capture form: 'saved hh:mm:ss' names the date only when it is not today",
    "wqm_nb.ui.capture.form": "the live capture form: the example year in 'type one (such as 2026-27)'",
    "wqm_nb.ui.capture.panels": "the live capture form: an award's 'decided on' and target suggestions' review dates",
    "wqm_nb.export.sef_workbook": "when a self-evaluation workbook was written",
    "wqm_nb.disclosure.ledger": "when a release was first published (recorded_at; never part of a figure)",
}
#: ``module.attribute`` reads of the clock: date and datetime constructors of "now", and the time module's
CLOCK_READS = {
    ("datetime.date", "today"),
    ("datetime.datetime", "today"),
    ("datetime.datetime", "now"),
    ("datetime.datetime", "utcnow"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
    ("time", "strftime"),
    ("pandas.Timestamp", "now"),
    ("pandas.Timestamp", "today"),
    ("pandas.Timestamp", "utcnow"),
}


def clock_reads(source: str) -> list[str]:
    """Every read of the clock in ``source``, as ``line: name``: ``date.today``, ``datetime.now``, ``time.time``
    and the like, however the module or class was imported or renamed (``from time import time as t``,
    ``import datetime as dt; dt.date.today``), called or passed on (``default_factory=date.today``)."""
    names: dict[str, str] = {}  # local name -> what it is ("datetime.date", "time", "time.time", ...)
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    aliases = {"pd": "pandas"}

    def dotted(node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return names.get(node.id, aliases.get(node.id))
        if isinstance(node, ast.Attribute):
            base = dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    found = []
    for node in ast.walk(tree):
        full = dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if full and "." in full and tuple(full.rsplit(".", 1)) in CLOCK_READS:
            found.append(f"{node.lineno}: {full}")
    return sorted(set(found), key=lambda s: int(s.split(":")[0]))


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from datetime import date\nx = date.today()", ["2: datetime.date.today"]),
        ("import datetime as dt\nx = dt.datetime.now()", ["2: datetime.datetime.now"]),
        ("from datetime import datetime\nx = datetime.utcnow()", ["2: datetime.datetime.utcnow"]),
        ("from datetime import datetime as D\nf = D.today", ["2: datetime.datetime.today"]),
        ("import time\nx = time.time()", ["2: time.time"]),
        ("from time import time as t\nx = t()", ["2: time.time"]),
        ("import pandas as pd\nx = pd.Timestamp.now()", ["2: pandas.Timestamp.now"]),
        (
            "from dataclasses import field\nfrom datetime import date\nd: date = field(default_factory=date.today)",
            ["3: datetime.date.today"],
        ),
        ("from datetime import date\nx = date.fromisoformat('2026-01-05')", []),
        ("import time\nx = time.perf_counter()\ny = time.monotonic()", []),
        ("def today():\n    return 1\nx = today()", []),
    ],
)
def test_clock_reads_are_found_however_they_are_imported(source, expected):
    assert clock_reads(source) == expected


def test_only_the_allowed_modules_read_the_clock():
    readers = {module_name(p): reads for p in modules() if (reads := clock_reads(p.read_text()))}
    outside = {m: r for m, r in readers.items() if m not in CLOCK_ALLOWED}
    assert not outside, f"these modules read the clock; take the date from the settings' as_of instead: {outside}"
    # the allow-list names only modules that still read it, so it cannot grow stale
    assert set(CLOCK_ALLOWED) <= set(readers), (
        f"allowed but no longer reading the clock: {set(CLOCK_ALLOWED) - set(readers)}"
    )


def _runtime_imports(path: Path) -> set[str]:
    """The wqm_nb modules ``path`` imports when it runs (at the top or inside functions; not the names imported
    under ``if TYPE_CHECKING:`` for annotations), each resolved to a module file: ``from .store import Store``
    is the module ``.store`` when there is one, ``from ..data import load_framework`` the package ``data``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    known = {module_name(p) for p in modules()}
    tree = ast.parse(path.read_text())
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING"
        for n in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in known else target for a in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rsplit(".", 1)[0] if "." in target else ""
            if target.startswith("wqm_nb") and target != name:
                found.add(target)
    return found


def test_no_import_circle_function_level_imports_included():
    """No module reaches itself through what it imports at run time. A package's ``__init__`` only gathers
    its modules' names for others, so an edge into a package from inside it is not followed."""
    graph = {}
    for path in modules():
        name = module_name(path)
        graph[name] = {
            t
            for t in _runtime_imports(path)
            if not (
                t != "wqm_nb"
                and (PACKAGE.parent / t.replace(".", "/") / "__init__.py").exists()
                and name.startswith(t + ".")
            )
        }
    circles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                circles.append(trail[trail.index(nxt) :] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert circles == [], "import circles: " + "; ".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize("path", [p for p in modules() if module_name(p) != "wqm_nb"], ids=lambda p: module_name(p))
def test_every_name_a_module_exports_exists(path):
    """``__all__`` names only what the module has (a name left behind after a move breaks ``import *``)."""
    import importlib

    module = importlib.import_module(module_name(path))
    missing = [n for n in getattr(module, "__all__", ()) if not hasattr(module, n)]
    assert missing == [], f"{module_name(path)} exports {missing}, which it does not define"
