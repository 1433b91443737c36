"""papermill smoke test of every notebook on the sample data."""
from pathlib import Path

import nbformat
import pytest

from wqm_nb.render import NOTEBOOK_DIR, execute

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = {
    "school_report": ["Fellside Primary School", "Readiness against the award levels", "suppressed (n=3)",
                      "Strengths and areas for development", "Staff survey by role", "<svg"],
    "group_overview": ["Northbrook Learning Trust", "Champion School", "<svg"],
}


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                pytest.fail(f"{out['ename']}: {out['evalue']}")
            parts.append(str(out.get("data", {}).get("text/html", "")) + str(out.get("text", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_sample_data(notebook: Path, sample_db, tmp_path, capfd):
    params = {"data": str(sample_db)}
    if notebook.stem == "school_report":
        params.update(school_id="NLT03", cycle="2025-26")
    out = execute(notebook, tmp_path / notebook.name, params)
    assert "WARNING" not in capfd.readouterr().err  # the kernel's start-up noise stays off the terminal
    nb = nbformat.read(out, as_version=4)
    text = outputs_text(nb)
    for expected in EXPECTED.get(notebook.stem, []):
        assert expected in text, f"{notebook.name}: {expected!r} missing from the outputs"
