"""The project's own files: dependency lists agree, commands are wired, notebooks are clean."""

import importlib.util
import json
import re
from pathlib import Path

import pytest
import tomllib
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
    assert names >= {
        "jupyterlab",
        "ipywidgets",
        "voila",
        "pandas",
        "seaborn",
        "nbconvert",
        "papermill",
        "pytest",
        "nbval",
    }
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


@pytest.mark.slow
def test_the_wheel_installs_whole_and_runs_report_and_batch(tmp_path, repo):
    """`pip install .` (not editable) into a fresh venv: packaged notebooks and templates
    match the top-level ones byte for byte, and `wqm report` and `wqm batch` work."""
    import os
    import shutil
    import site
    import subprocess
    import sys
    import venv

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # the project's dependencies are already installed here: expose them to the fresh venv
    # (a plain path line, so this venv's editable install of wqm_nb is not activated there)
    fresh_site = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(fresh_site, "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    # ... and their data files (nbconvert's base templates live under <prefix>/share/jupyter)
    env = {
        **os.environ,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter"),
    }
    env.pop("WQM_DATA", None)
    # build from a copy, so the build writes nothing into the checkout
    source = tmp_path / "source"
    shutil.copytree(
        repo,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(".git", ".venv", "build", "reports", "*.egg-info", "__pycache__"),
    )
    done = subprocess.run(
        [py, "-m", "pip", "install", "--quiet", "--no-deps", str(source)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    where = subprocess.run(
        [py, "-c", "import wqm_nb, pathlib; print(pathlib.Path(wqm_nb.__file__).parent)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    installed = Path(where)
    assert installed.is_relative_to(fresh_site) and not (installed / "notebooks").is_symlink()
    for kind in ("notebooks", "templates"):
        top = {p.relative_to(repo / kind): p.read_bytes() for p in (repo / kind).rglob("*") if p.is_file()}
        packaged = {
            p.relative_to(installed / kind): p.read_bytes() for p in (installed / kind).rglob("*") if p.is_file()
        }
        assert packaged == top, f"installed {kind}/ differs from the repository's"
    wqm = env_dir / "bin" / "wqm"
    data = str(repo / "sample_data")
    done = subprocess.run(
        [wqm, "report", "NLT03", "--data", data, "--out", "out"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "NLT03_2025-26.pdf").stat().st_size > 10_000
    done = subprocess.run(
        [wqm, "batch", "--data", data, "--out", "batch", "--schools", "NLT01", "NLT02", "--no-progress", "--no-pdf"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "batch" / "group_overview.html").exists()
    # outside a checkout there is no default data: a clear one-line error
    done = subprocess.run([wqm, "schools"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.startswith("wqm: error: no data location")
