"""``python -m wqm_nb.cli`` runs the ``wqm`` command (the servers start report renders this way)."""

import subprocess
import sys

from wqm_nb.cli import __main__ as entry


def test_python_m_runs_wqm_with_its_exit_status(sample_db):
    done = subprocess.run(
        [sys.executable, "-m", "wqm_nb.cli", "schools", "--data", str(sample_db)], capture_output=True, text=True
    )
    assert done.returncode == 0 and "NLT03" in done.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "wqm_nb.cli", "schools", "--data", str(sample_db) + ".none"],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and refused.stderr.startswith("wqm: error: no data at")


def test_importing_the_entry_runs_nothing():
    assert entry.main is not None  # imported (as the architecture test does) without running wqm
