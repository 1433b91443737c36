"""The packaged notebooks: parameters match the settings objects, papermill runs them on sample data."""

import ast
import json

import nbformat
import pytest

from wqm_nb.export.notebooks import GROUP_NOTEBOOK, SCHOOL_NOTEBOOK, execute, notebook_parameters, notebook_path
from wqm_nb.settings import GroupSettings, ReportSettings

SETTINGS = {SCHOOL_NOTEBOOK: ReportSettings, GROUP_NOTEBOOK: GroupSettings}


@pytest.mark.parametrize("name", SETTINGS)
def test_parameters_cell_matches_the_settings_fields_and_defaults(name):
    settings = SETTINGS[name]
    params = notebook_parameters(notebook_path(name))
    assert tuple(params) == settings.NOTEBOOK_FIELDS
    fields = settings.__dataclass_fields__
    for key, spec in params.items():
        value = ast.literal_eval(spec["default"])
        field = fields[key]
        expected = field.default_factory() if callable(field.default_factory) else field.default
        assert value == expected, f"{name}: {key} defaults to {value!r}, the settings to {expected!r}"


def test_the_school_notebook_names_no_school():
    assert ast.literal_eval(notebook_parameters(notebook_path(SCHOOL_NOTEBOOK))["school_id"]["default"]) == ""


@pytest.mark.parametrize("name", SETTINGS)
def test_notebooks_call_the_loaders_by_keyword(name):
    nb = json.loads(notebook_path(name).read_text())
    code = [ast.parse("".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "code"]
    calls = [
        n
        for tree in code
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "id", "").startswith("load_")
    ]
    assert calls and all(not call.args and call.keywords for call in calls)


@pytest.mark.slow
def test_school_notebook_without_a_school_fails_clearly(sample_db, tmp_path):
    from wqm_nb.errors import NotebookExecutionError

    with pytest.raises(NotebookExecutionError, match="SettingsError: school_id is empty"):
        execute(notebook_path(SCHOOL_NOTEBOOK), tmp_path / "out.ipynb", {"data": str(sample_db)})


@pytest.mark.slow
def test_group_notebook_runs_on_sample_data(sample_db, tmp_path, capfd):
    out = execute(notebook_path(GROUP_NOTEBOOK), tmp_path / "g.ipynb", {"data": str(sample_db)})
    assert "WARNING" not in capfd.readouterr().err  # the kernel's start-up noise stays off the terminal
    nb = nbformat.read(out, as_version=4)
    text = "".join(str(o.get("data", {}).get("text/html", "")) for c in nb.cells for o in c.get("outputs", []))
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    for expected in ("Northbrook Learning Trust", "Champion School", "<svg", "fewer than 5 responses, not shown"):
        assert expected in text


def test_the_nbval_reference_runs_the_current_notebook(repo):
    """tests/reference holds outputs of notebooks/school_report.ipynb: regenerate with `make reference`."""
    reference = nbformat.read(repo / "tests" / "reference" / "school_report_NLT03.ipynb", as_version=4)
    source = nbformat.read(notebook_path(SCHOOL_NOTEBOOK), as_version=4)
    ref_code = [
        c.source
        for c in reference.cells
        if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]
    assert ref_code == [c.source for c in source.cells if c.cell_type == "code"], "run `make reference`"
