"""Where jobs run: worker processes that survive a dying worker, and a Dask cluster in another directory."""

import os
import threading
import time
from pathlib import Path

import nbformat
import pytest

from wqm_nb.batch.executors import DaskExecutor, ProcessExecutor, SerialExecutor, make_executor
from wqm_nb.batch.jobs import SchoolJob, Shipment, ShippedFile
from wqm_nb.errors import WqmError
from wqm_nb.model.group import summaries_from_json
from wqm_nb.settings import ReportSettings
from wqm_nb.store import extract_schools


def batch(
    data,
    out,
    *,
    schools=None,
    workers=0,
    executor="process",
    scheduler="",
    pdf=True,
    progress=True,
    overview=True,
    **settings,
):
    """``run_batch`` with what to report (settings) and how to run (the rest) as keywords."""
    from wqm_nb.batch import BatchRun, run_batch
    from wqm_nb.settings import GroupSettings

    return run_batch(
        GroupSettings(data=str(data), output=str(out), **settings),
        BatchRun(tuple(schools) if schools else None, workers, executor, scheduler, pdf, progress, overview),
    )


def test_executor_choices_are_checked():
    with pytest.raises(WqmError, match="executor must be one of process, serial, dask"):
        make_executor("thread", 2)
    with pytest.raises(WqmError, match="--scheduler is for --executor dask"):
        make_executor("process", 2, "tcp://127.0.0.1:8786")
    with pytest.raises(WqmError, match="needs --scheduler"):
        make_executor("dask", 2)
    assert isinstance(make_executor("serial", 2), SerialExecutor)
    pool = make_executor("process", 3)
    assert isinstance(pool, ProcessExecutor) and pool.workers == 3 and not pool.ships_data


def test_an_unreachable_scheduler_is_named():
    with pytest.raises(WqmError, match="no Dask scheduler answered at tcp://127.0.0.1:9 within 1 s"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=1)


@pytest.mark.slow
def test_the_pool_runs_again_what_a_dead_worker_left(sample_db, tmp_path):
    import psutil

    jobs = [
        SchoolJob(ReportSettings(school_id=sid, year="2025-26", data=str(sample_db), output=str(tmp_path)), pdf=False)
        for sid in ("NLT01", "NLT02")
    ]
    results = []
    with ProcessExecutor(1) as pool:
        running = threading.Thread(target=lambda: results.extend(pool.run(jobs)))
        running.start()
        me = psutil.Process()
        deadline = time.monotonic() + 60
        victim = None
        while victim is None and time.monotonic() < deadline:  # the worker, once its kernel is up
            for child in me.children():
                if child.children():
                    victim = child
            time.sleep(0.1)
        assert victim is not None
        victim.kill()
        running.join(timeout=300)
    assert sorted(o.school_id for o in results) == ["NLT01", "NLT02"]
    assert all(o.ok for o in results), [o.error for o in results]
    assert all(o.worker.split(":")[1] != str(victim.pid) for o in results)


@pytest.fixture
def cluster(tmp_path_factory, monkeypatch):
    """A LocalCluster whose two worker processes run in a directory of their own."""
    from distributed import LocalCluster

    elsewhere = tmp_path_factory.mktemp("workers-run-here")
    here = os.getcwd()
    os.chdir(elsewhere)
    try:
        c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    finally:
        os.chdir(here)
    try:
        yield c, elsewhere
    finally:
        c.close()


@pytest.mark.slow
def test_a_batch_on_a_dask_cluster(cluster, sample_db, tmp_path, monkeypatch):
    c, elsewhere = cluster
    monkeypatch.chdir(tmp_path)
    result = batch(
        sample_db,
        "out",
        schools=["NLT01", "NLT04", "NLT06"],
        executor="dask",
        scheduler=c.scheduler_address,
        pdf=False,
        progress=False,
    )
    assert result.ok, (result.failed, result.overview_error)
    out = tmp_path / "out"
    for sid in ("NLT01", "NLT04", "NLT06"):
        assert (out / f"{sid}_2025-26.html").exists() and (out / f"{sid}_2025-26.ipynb").exists()
    assert "NLT04_2025-26.html" in (out / "group_overview.html").read_text()
    kept = nbformat.read(str(out / "NLT01_2025-26.ipynb"), as_version=4).metadata.papermill.parameters
    assert kept["data"] == str(sample_db) and not Path(kept["data_cache"]["data"]).exists()  # re-runs here
    workers = {r.worker.split(":")[1] for r in result.results}
    assert str(os.getpid()) not in workers
    from distributed import Client

    with Client(c.scheduler_address) as client:
        assert set(client.run(os.getcwd).values()) == {str(elsewhere)}
    assert not [p for p in Path(elsewhere).rglob("*") if p.suffix in (".ipynb", ".html", ".sqlite")]


@pytest.mark.slow
def test_a_dask_worker_gets_the_data_with_the_job(cluster, sample_db, tmp_path):
    """The job's own paths are gone before it runs: only what it carries can reach the worker."""
    c, _ = cluster
    batch_machine = tmp_path / "batch-machine"
    batch_machine.mkdir()
    extract = extract_schools(sample_db, ["NLT02"], batch_machine / "NLT02.sqlite")
    job = SchoolJob(
        ReportSettings(school_id="NLT02", year="2025-26", data=str(extract), output=str(batch_machine / "out")),
        "Beckside",
        pdf=False,
        shipment=Shipment(data=ShippedFile.read(extract)),
    )
    extract.unlink()
    with DaskExecutor(c.scheduler_address) as pool:
        (outcome,) = list(pool.run([job]))
    assert outcome.ok, outcome.error
    assert b"Beckside Primary School" in outcome.content["NLT02_2025-26.html"]
    assert summaries_from_json(outcome.summary)[0].school_id == "NLT02" and not (batch_machine / "out").exists()


def test_a_worker_imports_no_analysis_library():
    """What a pool's worker imports to run jobs: papermill and the converters, not pandas or matplotlib."""
    import subprocess
    import sys

    code = (
        "import sys, wqm_nb.batch.executors, wqm_nb.batch.jobs, wqm_nb.export.render; "
        "print(' '.join(m for m in ('pandas', 'matplotlib', 'seaborn') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
