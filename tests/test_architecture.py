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
LAYERS = {"errors": 0, "settings": 0, "spreadsheet": 0, "data": 1, "store": 2, "intake": 3, "model": 3, "present": 4,
          "export": 5, "sample": 5, "ui": 5, "batch": 6, "serve": 6, "cli": 7}
HEAVY = ("pandas", "numpy", "matplotlib", "seaborn", "papermill", "weasyprint", "nbconvert", "jinja2")


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
                base = base[:len(base) - node.level + 1]
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


@pytest.mark.parametrize("path", [p for p in modules() if module_name(p) != "wqm_nb"],
                         ids=lambda p: module_name(p))
def test_no_module_imports_a_layer_above_it(path):
    own = LAYERS[layer_of(module_name(path))]
    for target in imported_modules(path):
        assert LAYERS[layer_of(target)] <= own, f"{module_name(path)} imports {target}, a layer above it"


def test_every_layer_is_known():
    assert {layer_of(module_name(p)) for p in modules() if module_name(p) != "wqm_nb"} == set(LAYERS)


def test_the_cli_imports_no_heavy_library():
    code = (f"import sys, wqm_nb.cli; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
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
