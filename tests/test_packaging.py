"""The project's own files: dependency lists agree, commands are wired, notebooks are clean."""
import importlib.util
import json
import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {_name(r) for r in extra}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == declared, f"only in environment.yml: {conda - declared}; only in pyproject: {declared - conda}"


def test_required_stack_is_declared():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    assert names >= {"jupyterlab", "ipywidgets", "voila", "pandas", "seaborn", "nbconvert", "papermill",
                     "pytest", "nbval"}
    assert project["scripts"]["wqm"] == "wqm_nb.cli:main"


def test_readme_commands_bootstrap_the_venv_and_ci_runs_make_test():
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    makefile = (REPO / "Makefile").read_text()
    for target in ("test", "demo"):
        assert re.search(rf"^{target}: \$\(STAMP\)", makefile, re.M), f"`make {target}` must bootstrap .venv"
    assert "python3 -m venv" in makefile.replace("$(PYTHON)", "python3")
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_slow_rfc3987_syntax_is_not_installed():
    # pulled in by jsonschema[format-nongpl]; costs ~2.7 s on every nbformat import
    assert importlib.util.find_spec("rfc3987_syntax") is None, "the Makefile should uninstall rfc3987-syntax"


def test_notebooks_are_committed_without_outputs_and_are_parameterised():
    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert {p.name for p in notebooks} >= {"school_report.ipynb", "group_overview.ipynb"}
    for path in notebooks:
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), f"{path.name} has outputs"
        tagged = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1, f"{path.name} needs one cell tagged 'parameters'"
        # thin: no function or class definitions in notebooks; logic belongs in wqm_nb
        source = "".join("".join(c["source"]) for c in code)
        assert not re.search(r"^\s*(def|class) ", source, re.M), f"{path.name} defines logic"
