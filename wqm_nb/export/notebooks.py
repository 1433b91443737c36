"""The report notebooks as package data, and running them with papermill.

The notebooks and the nbconvert template ship inside the package
(``wqm_nb/notebooks`` and ``wqm_nb/templates`` in an installed wheel); in a
source checkout those two are links to the top-level ``notebooks/`` and
``templates/`` folders, which stay the one place people open and edit. Both
are found with :mod:`importlib.resources`.

:func:`execute` refuses a parameter the notebook's parameters cell does not
define (papermill only warns, and the notebook would run with its default)
and turns a failing cell into a :class:`~wqm_nb.errors.NotebookExecutionError`.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from ..errors import NotebookExecutionError, NotebookParameterError

SCHOOL_NOTEBOOK = "school_report.ipynb"
GROUP_NOTEBOOK = "group_overview.ipynb"
SURVEY_IMPORT_NOTEBOOK = "survey_import.ipynb"
SEF_CAPTURE_NOTEBOOK = "sef_capture.ipynb"
TEMPLATE_NAME = "wqm_report"
#: cells shown only in the printed report, and only in the app (Voila, JupyterLab)
STATIC_TAG, INTERACTIVE_TAG = "static", "interactive"


def nbconvert_template_dir() -> Path:
    """The folder holding the nbconvert report template (``wqm_report``)."""
    return resource_dir("templates") / "nbconvert" / "templates"


def resource_dir(kind: str) -> Path:
    """The packaged ``notebooks`` or ``templates`` folder as a real path.

    ``templates`` is laid out as a Jupyter data folder: nbconvert templates
    under ``nbconvert/templates/``, Voila templates under ``voila/templates/``.
    """
    if kind not in ("notebooks", "templates"):
        raise ValueError(f"no resource folder {kind!r}")
    with as_file(files("wqm_nb") / kind) as path:  # a real folder: the package is never zipped
        return Path(path)


def notebook_path(name: str) -> Path:
    """A packaged notebook by file name."""
    path = resource_dir("notebooks") / name
    if not path.is_file():
        raise NotebookParameterError(f"no notebook {name!r} in {resource_dir('notebooks')}")
    return path


def notebook_parameters(notebook: Path) -> dict[str, dict]:
    """The parameters papermill finds in the notebook's ``parameters`` cell."""
    import papermill

    return dict(papermill.inspect_notebook(str(notebook)))


def check_parameters(notebook: Path, parameters: dict[str, Any]) -> None:
    """Refuse any parameter that the notebook does not define."""
    known = notebook_parameters(notebook)
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise NotebookParameterError(
            f"{notebook.name} has no parameter(s) {', '.join(unknown)} (its parameters: {', '.join(known) or 'none'})"
        )


#: The kernel's own log is noise in a report run: its TCP warning, the "KeyboardInterrupt caught" of its shutdown.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


def execute(
    notebook: Path,
    output: Path,
    parameters: dict[str, Any],
    kernel_name: str | None = None,
    kernel_manager: Any = None,
    cell_timeout: float | None = None,
) -> Path:
    """Execute ``notebook`` with ``parameters`` injected into ``output``.

    Papermill starts a fresh kernel and shuts it down afterwards, unless a
    started ``kernel_manager`` is given (see :class:`wqm_nb.export.kernels.WarmKernel`),
    which is used and left running. ``cell_timeout`` (seconds) stops a cell
    that never finishes; ``None`` waits for ever.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    check_parameters(notebook, parameters)
    output.parent.mkdir(parents=True, exist_ok=True)
    engine: dict[str, Any] = {"km": kernel_manager} if kernel_manager is not None else {}
    try:
        # No `cwd=`: papermill implements it with a process-wide chdir, which
        # races between batch threads. The notebooks use no relative paths.
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=cell_timeout,
            extra_arguments=KERNEL_ARGUMENTS,
            **engine,
        )
    except PapermillExecutionError as exc:
        raise NotebookExecutionError(notebook.name, exc.ename, _first_line(exc.evalue), exc.exec_count) from None
    return output


def _first_line(text: str) -> str:
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""
