"""Regenerate the reference outputs that nbval compares against (``make reference``).

Runs ``notebooks/school_report.ipynb`` with papermill for one sample school,
with the data path relative to this folder (nbval starts its kernel here), and
keeps only what nbval compares: cell sources and outputs.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import papermill

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# as_of is fixed, so the reference (report date, overdue targets, review dates) is the same on any day
PARAMETERS = {"school_id": "NLT03", "year": "2025-26", "data": "../../sample_data", "as_of": "2026-11-30"}
TARGET = HERE / "school_report_NLT03.ipynb"


def main() -> None:
    papermill.execute_notebook(str(REPO / "notebooks" / "school_report.ipynb"), str(TARGET),
                               parameters=PARAMETERS, cwd=str(HERE), progress_bar=False,
                               extra_arguments=["--IPKernelApp.log_level=ERROR"])
    nb = nbformat.read(TARGET, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(nb, TARGET)
    print(TARGET)


if __name__ == "__main__":
    main()
