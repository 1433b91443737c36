"""Warm kernels: each run isolated (outputs equal a fresh kernel's), kernel failures replaced and retried once."""

import json
import os
import re
import signal
import sys
import warnings
from pathlib import Path

import matplotlib
import nbformat
import pytest

from wqm_nb.errors import KernelError, NotebookExecutionError
from wqm_nb.export.kernels import WarmKernel, kernel_prelude, kernel_reset
from wqm_nb.export.notebooks import SCHOOL_NOTEBOOK, execute, notebook_path
from wqm_nb.settings import ReportSettings

UUID = re.compile(r"[0-9a-f]{32}")


def sanitised(path: Path) -> str:
    """A papermill output notebook without what differs between any two runs, even two fresh kernels: run
    times, papermill's random id for the injected cell, widget model ids (random uuids) and the order of
    the widget state (nbclient's, which follows those ids)."""
    nb = json.loads(path.read_text())
    nb["metadata"].pop("papermill", None)
    for cell in nb["cells"]:
        cell["metadata"].pop("papermill", None)
        cell["metadata"].pop("execution", None)
        if "injected-parameters" in cell["metadata"].get("tags", []):
            cell["id"] = "injected"
    state = nb["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json")
    if state:
        state["state"] = sorted(UUID.sub("MODEL", json.dumps(v, sort_keys=True)) for v in state["state"].values())
    return UUID.sub("MODEL", json.dumps(nb, indent=1))


def notebook(tmp_path: Path, name: str, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    nb.cells = [nbformat.v4.new_code_cell("marker = ''", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


POISON = """
import os, warnings, sys, matplotlib, matplotlib.pyplot as plt
import ipywidgets
report = "from the previous school"
matplotlib.rcParams["lines.linewidth"] = 9
matplotlib.rcParams["svg.fonttype"] = "none"
warnings.simplefilter("error")
os.environ["WQM_POISON"] = "1"
os.chdir("/")
sys.path.insert(0, "/nowhere")
import pandas as pd
pd.set_option("display.max_rows", 3)
keep = ipywidgets.IntSlider()
plt.figure()
import builtins
builtins.leaked = "from the previous school"
"""

PROBE = """
import os, sys, warnings, builtins, matplotlib
import pandas as pd
seen = {
    "globals": "report" in globals() or "keep" in globals(), "builtins": hasattr(builtins, "leaked"),
    "rcParams": matplotlib.rcParams["lines.linewidth"] == 9 or matplotlib.rcParams["svg.fonttype"] == "none",
    "environ": os.environ.get("WQM_POISON") == "1", "cwd": os.getcwd() == "/", "sys.path": "/nowhere" in sys.path,
    "pandas": pd.get_option("display.max_rows") == 3,
    "warnings": any(f[0] == "error" for f in warnings.filters[:1]),
    "widgets": bool(sys.modules["ipywidgets.widgets.widget"]._instances)
    if "ipywidgets.widgets.widget" in sys.modules else False,
}
print(sorted(name for name, changed in seen.items() if changed))
"""


@pytest.mark.slow
def test_two_schools_in_one_warm_kernel_equal_their_fresh_kernel_runs(sample_db, tmp_path):
    poison = notebook(tmp_path, "poison.ipynb", POISON)
    school = notebook_path(SCHOOL_NOTEBOOK)
    fresh, warm = tmp_path / "fresh", tmp_path / "warm"
    with WarmKernel() as kernel:
        kernel.execute(poison, tmp_path / "poisoned.ipynb", {})
        for sid in ("NLT03", "NLT06"):
            params = ReportSettings(school_id=sid, year="2025-26", data=str(sample_db)).to_parameters()
            kernel.execute(school, warm / f"{sid}.ipynb", params)
            execute(school, fresh / f"{sid}.ipynb", params)
        assert kernel.starts == 1 and kernel.runs == 3 and kernel.retries == 0
    for sid in ("NLT03", "NLT06"):
        assert sanitised(warm / f"{sid}.ipynb") == sanitised(fresh / f"{sid}.ipynb"), sid
    first = json.loads((warm / "NLT03.ipynb").read_text())
    counts = [c["execution_count"] for c in first["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1))  # a new session: counting starts at 1 again


@pytest.mark.slow
def test_nothing_a_notebook_changed_reaches_the_next(tmp_path):
    poison = notebook(tmp_path, "poison.ipynb", POISON, PROBE)
    probe = notebook(tmp_path, "probe.ipynb", PROBE)
    with WarmKernel() as kernel:
        kernel.execute(poison, tmp_path / "poisoned.ipynb", {})
        kernel.execute(probe, tmp_path / "probed.ipynb", {})
    poisoned = json.loads((tmp_path / "poisoned.ipynb").read_text())["cells"][-1]["outputs"][0]["text"]
    probed = json.loads((tmp_path / "probed.ipynb").read_text())["cells"][-1]["outputs"][0]["text"]
    changed = "['builtins', 'cwd', 'environ', 'globals', 'pandas', 'rcParams', 'sys.path', 'warnings', 'widgets']\n"
    assert "".join(poisoned) == changed  # the probe sees every change where it was made
    assert "".join(probed) == "[]\n"  # and none of them in the next notebook


@pytest.mark.slow
def test_a_kernel_that_dies_mid_run_is_replaced_and_the_notebook_run_again(tmp_path):
    marker = tmp_path / "die-once"
    marker.write_text("")
    dying = notebook(
        tmp_path,
        "dying.ipynb",
        "import os, signal, pathlib\np = pathlib.Path(marker)\n"
        "if p.exists():\n    p.unlink()\n    os.kill(os.getpid(), signal.SIGKILL)",
        "print('survived')",
    )
    with WarmKernel() as kernel:
        kernel.ensure_started()
        first_pid = kernel.pid
        kernel.execute(dying, tmp_path / "out.ipynb", {"marker": str(marker)})
        assert kernel.retries == 1 and kernel.starts == 2 and kernel.pid != first_pid
    out = json.loads((tmp_path / "out.ipynb").read_text())
    assert "".join(out["cells"][-1]["outputs"][0]["text"]) == "survived\n"


@pytest.mark.slow
def test_a_kernel_killed_between_runs_is_started_again_without_a_retry(tmp_path):
    quiet = notebook(tmp_path, "quiet.ipynb", "x = 1")
    with WarmKernel() as kernel:
        kernel.execute(quiet, tmp_path / "a.ipynb", {})
        os.kill(kernel.pid, signal.SIGKILL)
        kernel.execute(quiet, tmp_path / "b.ipynb", {})
        assert kernel.starts == 2 and kernel.runs == 2


@pytest.mark.slow
def test_a_cell_error_is_the_notebooks_not_the_kernels(tmp_path):
    failing = notebook(tmp_path, "failing.ipynb", "raise ValueError('bad school')")
    with WarmKernel() as kernel:
        kernel.ensure_started()
        pid = kernel.pid
        with pytest.raises(NotebookExecutionError, match="ValueError: bad school"):
            kernel.execute(failing, tmp_path / "out.ipynb", {})
        assert kernel.pid == pid and kernel.retries == 0 and kernel.alive


@pytest.mark.slow
def test_a_kernel_that_cannot_start_is_tried_twice_then_reported(tmp_path, monkeypatch):
    spec = tmp_path / "kernels" / "broken"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-c", "raise SystemExit(3)", "{connection_file}"],
                "display_name": "broken",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    quiet = notebook(tmp_path, "quiet.ipynb", "x = 1")
    kernel = WarmKernel(kernel_name="broken", start_timeout=10)
    with pytest.raises(
        KernelError, match="quiet.ipynb: the kernel failed twice: KernelError: the broken kernel did not start"
    ):
        kernel.execute(quiet, tmp_path / "out.ipynb", {})
    assert kernel.starts == 2 and kernel.retries == 1 and kernel.km is None
    assert not (tmp_path / "out.ipynb").exists()


@pytest.mark.slow
def test_a_cell_that_never_finishes_counts_as_a_kernel_failure(tmp_path):
    hanging = notebook(tmp_path, "hanging.ipynb", "import time\ntime.sleep(60)")
    with WarmKernel(cell_timeout=2) as kernel:
        with pytest.raises(KernelError, match="the kernel failed twice: CellTimeoutError"):
            kernel.execute(hanging, tmp_path / "out.ipynb", {})
        assert kernel.retries == 1


def test_reset_puts_back_what_the_prelude_remembered(tmp_path, monkeypatch):
    """In this process (no IPython shell): the state a notebook could change is restored."""
    monkeypatch.setattr(warnings, "filters", list(warnings.filters))
    monkeypatch.setattr(sys, "path", list(sys.path))
    cwd, rc = os.getcwd(), dict(matplotlib.rcParams)
    try:
        kernel_prelude(())
        matplotlib.rcParams["lines.linewidth"] = 9
        warnings.simplefilter("error")
        os.environ["WQM_POISON"] = "1"
        os.chdir(tmp_path)
        sys.path.insert(0, "/nowhere")
        kernel_reset()
        assert matplotlib.rcParams["lines.linewidth"] == rc["lines.linewidth"]
        assert "WQM_POISON" not in os.environ and os.getcwd() == cwd and "/nowhere" not in sys.path
        assert not any(f[0] == "error" and f[2] is Warning for f in warnings.filters[:1])
    finally:
        os.chdir(cwd)
        os.environ.pop("WQM_POISON", None)
        matplotlib.rcParams.update(rc)


def test_reset_before_the_prelude_is_refused(monkeypatch):
    from wqm_nb.export import kernels

    monkeypatch.setattr(kernels, "_SNAPSHOT", {})
    with pytest.raises(RuntimeError, match="before kernel_prelude"):
        kernel_reset()


def test_a_call_without_a_kernel_is_refused():
    with pytest.raises(KernelError, match="no kernel is running"):
        WarmKernel().call("1")
