"""A worker's jobs: a school's report with its summary, shipped jobs that need none of the batch's paths."""

import json
import tempfile

import pytest

from wqm_nb.batch import jobs
from wqm_nb.batch.jobs import (
    JobOutcome,
    SchoolJob,
    Shipment,
    ShippedFile,
    describe_error,
    run_school_job,
    shutdown_worker_kernel,
    worker_kernel,
)
from wqm_nb.errors import WqmError
from wqm_nb.export import render_school
from wqm_nb.model.group import summaries_from_json, summaries_to_json
from wqm_nb.settings import ReportSettings
from wqm_nb.store import extract_schools


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """tempfile's folder for this test alone, to see what a job leaves behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.slow
def test_a_shipped_job_needs_none_of_the_batch_paths_and_leaves_nothing_behind(sample_db, tmp_path, private_tmp):
    gone = tmp_path / "batch-machine"
    gone.mkdir()
    extract = extract_schools(sample_db, ["NLT03"], gone / "NLT03.sqlite")
    shipment = Shipment(data=ShippedFile.read(extract))
    settings = ReportSettings(
        school_id="NLT03", year="2025-26", data=str(gone / "wqm.sqlite"), output=str(gone / "out")
    )
    try:
        outcome = run_school_job(SchoolJob(settings, "Fellside", pdf=False, shipment=shipment))
    finally:
        shutdown_worker_kernel()
    assert outcome.ok, outcome.error
    assert outcome.files is None and sorted(outcome.content) == ["NLT03_2025-26.html", "NLT03_2025-26.ipynb"]
    assert b"Fellside Primary School" in outcome.content["NLT03_2025-26.html"]
    kept = json.loads(outcome.content["NLT03_2025-26.ipynb"])
    injected = [c for c in kept["cells"] if "injected-parameters" in c["metadata"].get("tags", [])][0]
    assert f'data = "{gone / "wqm.sqlite"}"' in "".join(injected["source"])  # the batch's path, as injected
    parameters = kept["metadata"]["papermill"]["parameters"]
    assert parameters["data"] == str(gone / "wqm.sqlite")
    assert set(parameters["data_cache"]) == {"data"} and parameters["data_cache"]["data"].startswith(str(private_tmp))
    assert not (gone / "out").exists() and list(private_tmp.iterdir()) == []
    (summary,) = summaries_from_json(outcome.summary)
    assert summary.school_id == "NLT03" and summary.has_data and summary.year == "2025-26"
    assert summary.counts  # the true counts, for the trust totals only


@pytest.mark.slow
def test_a_local_job_writes_into_the_output_folder_and_summarises_the_school(sample_db, tmp_path, private_tmp):
    from wqm_nb.model import summarise
    from wqm_nb.model.assessment import assess_store
    from wqm_nb.store import Store

    settings = ReportSettings(school_id="NLT05", year="2025-26", data=str(sample_db), output=str(tmp_path / "out"))
    try:
        outcome = run_school_job(SchoolJob(settings, pdf=False))
    finally:
        shutdown_worker_kernel()
    assert outcome.ok, outcome.error
    assert outcome.files.html == tmp_path / "out" / "NLT05_2025-26.html" and not outcome.content
    with Store.open(sample_db, read_only=True) as store:
        expected = summarise(assess_store(store, settings), store)
    assert outcome.summary == summaries_to_json([expected])
    assert list(private_tmp.iterdir()) == []


@pytest.mark.slow
def test_a_failing_school_is_an_outcome_not_an_exception(sample_db, tmp_path):
    settings = ReportSettings(school_id="NLT99", year="2025-26", data=str(sample_db), output=str(tmp_path))
    try:
        outcome = run_school_job(SchoolJob(settings, pdf=False))
    finally:
        shutdown_worker_kernel()
    assert not outcome.ok and outcome.error.startswith("UnknownSchoolError: unknown school 'NLT99'")
    assert outcome.summary == "" and outcome.worker.endswith(f":{__import__('os').getpid()}")


@pytest.mark.slow
def test_a_notebook_error_is_described_in_one_line(sample_db, tmp_path):
    with pytest.raises(WqmError) as err:
        render_school(
            ReportSettings(school_id="NLT99", year="2025-26", data=str(sample_db), output=str(tmp_path)), pdf=False
        )
    assert describe_error(err.value).startswith("UnknownSchoolError: unknown school 'NLT99'")
    assert "(notebook school_report.ipynb, cell" in describe_error(err.value)
    assert describe_error(RuntimeError("boom")) == "RuntimeError: boom"


def test_a_shipped_job_reads_its_copies_as_stand_ins_and_keeps_the_batch_paths(tmp_path):
    original = ReportSettings(school_id="A", data="/srv/wqm.sqlite", benchmarks="/srv/b.yaml", output="/srv/out")
    shipment = Shipment(data=ShippedFile("a.sqlite", b"db"), benchmarks=ShippedFile("b.yaml", b"x: 1"))
    with jobs._workspace(original, shipment) as (settings, work):
        assert (settings.data, settings.benchmarks) == ("/srv/wqm.sqlite", "/srv/b.yaml")  # what the notebook names
        assert settings.data_cache == {
            "data": str(work / "data" / "a.sqlite"),
            "benchmarks": str(work / "benchmarks" / "b.yaml"),
        }
        reading = settings.reading()  # what the run reads
        assert (reading.data, reading.benchmarks, reading.output) == (
            settings.data_cache["data"],
            settings.data_cache["benchmarks"],
            str(work / "out"),
        )
        parameters = settings.to_parameters()  # the batch machine's paths, not looked for on this one
        assert (parameters["data"], parameters["benchmarks"]) == ("/srv/wqm.sqlite", "/srv/b.yaml")
    assert not work.exists() and settings.reading().data == "/srv/wqm.sqlite"  # copies gone: the real data


def test_the_worker_kernel_is_one_per_process():
    try:
        assert worker_kernel() is worker_kernel()
    finally:
        shutdown_worker_kernel()
    assert jobs._KERNEL is None


def test_an_outcome_is_small_and_plain():
    outcome = JobOutcome(False, "S1", error="x")
    assert outcome.content == {} and outcome.retries == 0 and outcome.summary == ""
