"""The batch: every school by workers with warm kernels, failures isolated, the overview from summaries."""

import csv
import os
import re
import shutil
import sqlite3

import pytest

from wqm_nb.batch import BatchResult, SchoolResult, executors, write_summary
from wqm_nb.batch.jobs import JobOutcome
from wqm_nb.batch.runner import write_files
from wqm_nb.errors import WqmError
from wqm_nb.model.group import missing_summary, summaries_from_json, summaries_to_json

pytestmark = pytest.mark.slow


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


@pytest.fixture
def broken_db(sample_db, tmp_path):
    """The sample store with one of NLT07's 2024-25 pupil answers cut short: NLT07's report (which reads
    its earlier years for the trends) fails on it; the benchmarks of 2025-26 and every other school do not."""
    path = tmp_path / "broken.sqlite"
    shutil.copy(sample_db, path)
    conn = sqlite3.connect(path)
    rowid = conn.execute(
        "SELECT a.rowid FROM survey_answers a JOIN survey_imports i USING (import_id) "
        "JOIN school_years y USING (school_year_id) "
        "WHERE y.school_id = 'NLT07' AND y.academic_year = '2024-25' LIMIT 1"
    ).fetchone()[0]
    conn.execute("UPDATE survey_answers SET answers = '44' WHERE rowid = ?", (rowid,))
    conn.commit()
    conn.close()
    return path


def test_batch_reports_one_failure_without_stopping_the_others(broken_db, tmp_path):
    out = tmp_path / "out"
    result = batch(broken_db, out, schools=["NLT02", "NLT07", "NLT03", "NOPE"], workers=2, pdf=False, progress=False)
    by_id = {r.school_id: r for r in result.results}
    assert [r.school_id for r in result.succeeded] == ["NLT02", "NLT03"]
    assert "packed answers of the wrong length" in by_id["NLT07"].error
    assert by_id["NOPE"].error == "unknown school 'NOPE'"
    assert not result.ok and not result.overview_error
    for sid in ("NLT02", "NLT03"):
        assert (out / f"{sid}_2025-26.html").exists()
        assert "Northbrook Learning Trust" in (out / f"{sid}_2025-26.html").read_text()
        assert by_id[sid].worker and by_id[sid].worker.split(":")[1] != str(os.getpid())  # made in a worker
    assert not (out / "NLT07_2025-26.ipynb").exists()
    overview = (out / "group_overview.html").read_text()
    assert "NLT02_2025-26.html" in overview and "NLT07_2025-26.html" not in overview
    assert "report failed" in overview
    with open(out / "batch_summary.csv") as fh:
        summary = {row["school_id"]: row for row in csv.DictReader(fh)}
    assert summary["NLT07"]["status"] == "failed" and summary["NLT02"]["status"] == "ok"
    assert summary["NLT02"]["retries"] == "0" and summary["NLT02"]["worker"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no half-written file left


def test_the_overview_from_summaries_equals_the_overview_from_the_data(sample_db, tmp_path):
    from wqm_nb.export import render_group
    from wqm_nb.settings import GroupSettings

    result = batch(sample_db, tmp_path / "batch", pdf=False, progress=False, executor="serial")
    assert result.ok, result.failed
    links = {r.school_id: r.files.html.name for r in result.succeeded}
    direct = render_group(
        GroupSettings(data=str(sample_db), output=str(tmp_path / "direct"), report_links=links), pdf=False
    )

    def body(path):
        return re.sub(r'id="cell-id=[0-9a-f]+"', "", path.read_text())

    assert body(result.overview.html) == body(direct.html)
    kept = (tmp_path / "batch" / "group_overview.ipynb").read_text()
    assert 'summaries = \\"\\"\\n' in kept  # the kept notebook re-runs from the data


def test_pdfs_are_printed_by_the_workers(sample_db, tmp_path):
    from pypdf import PdfReader

    from wqm_nb.export.report_key import key_of, read_key
    from wqm_nb.settings import ReportSettings

    result = batch(sample_db, tmp_path, schools=["NLT01", "NLT05"], workers=2, progress=False, as_of="2026-11-30")
    assert result.ok, result.failed
    for r in result.results:
        assert r.files.pdf.exists() and len(PdfReader(r.files.pdf).pages) > 3
        assert r.worker.split(":")[1] != str(os.getpid())
        # beside each PDF, the key of what it was made from: the app serves it while the key is the live one
        live = key_of(
            ReportSettings(school_id=r.school_id, year=r.academic_year, data=str(sample_db), as_of="2026-11-30")
        )
        assert read_key(r.files.pdf) == live.digest
    assert result.overview.pdf.exists()


def test_batch_from_a_csv_folder_reports_a_missing_year_for_every_school(tmp_path, capsys, sample_dir):
    from wqm_nb.cli import main

    code = main(
        [
            "batch",
            "--data",
            str(sample_dir),
            "--out",
            str(tmp_path),
            "--cycle",
            "2019-20",
            "--no-progress",
            "--no-pdf",
            "--executor",
            "serial",
        ]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert out.count("FAILED") >= 7 and "no data for 2019-20" in out
    assert (tmp_path / "wqm.sqlite").exists()  # the CSV folder was imported once for all schools
    assert "no data for 2019-20" in (tmp_path / "group_overview.html").read_text()


def test_unknown_executor_is_refused(sample_db, tmp_path):
    with pytest.raises(WqmError, match="executor"):
        batch(sample_db, tmp_path, executor="gpu")


def test_batch_renders_another_framework(sample_db, tmp_path):
    result = batch(
        sample_db, tmp_path, schools=["NLT01"], pdf=False, progress=False, framework="vbe", executor="serial"
    )
    assert result.ok, result.failed
    assert (tmp_path / "NLT01_2025-26_vbe.html").exists()
    assert "Values-based Education Quality Mark" in (tmp_path / "group_overview.html").read_text()


def test_batch_summary_neutralises_formulas(tmp_path):
    batch = BatchResult(
        out_dir=tmp_path,
        database=tmp_path / "x.sqlite",
        results=[SchoolResult("S1", '=HYPERLINK("http://evil","x")', "2025-26", error="-boom")],
    )
    with write_summary(batch).open(newline="") as fh:
        row = list(csv.DictReader(fh))[0]
    assert row["name"] == '\'=HYPERLINK("http://evil","x")' and row["error"] == "'-boom"


def test_files_a_worker_returns_are_written_into_place_and_odd_names_refused(tmp_path):
    files = write_files(tmp_path, {"S1_2025-26.ipynb": b"{}", "S1_2025-26.pdf": b"%PDF"})
    assert files.notebook.read_bytes() == b"{}" and files.pdf.read_bytes() == b"%PDF" and files.html is None
    for name in ("../evil.ipynb", ".hidden.ipynb"):
        with pytest.raises(WqmError, match="refused"):
            write_files(tmp_path, {name: b""})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["S1_2025-26.ipynb", "S1_2025-26.pdf"]


def test_batch_refreshes_benchmarks_before_rendering_and_passes_the_benchmark_file(tmp_path, monkeypatch):
    """No kernel: the jobs are replaced by recorders that look at the store as each report starts."""
    from pathlib import Path

    from wqm_nb.export import ReportFiles
    from wqm_nb.store import Store

    example = Path(__file__).resolve().parent.parent.parent / "docs" / "benchmarks-example.yaml"
    store_path = tmp_path / "wqm.sqlite"
    with Store(store_path) as store:
        for sid in ("A1", "B1"):
            store.add_school(sid, f"School {sid}", "primary", trust="T", pupils=100)
            store.record_rating(store.ensure_cycle(sid, "2025-26"), "P1.1", 3, "x")
    seen = {}

    def school(job):
        settings = job.settings
        with Store.open(settings.data, read_only=True) as store:
            seen[settings.school_id] = (
                len(store.benchmarks(settings.school_id, settings.year, "wqm")),
                settings.benchmarks,
            )
            school_row = store.school(settings.school_id)
        return JobOutcome(
            True,
            settings.school_id,
            ReportFiles(notebook=tmp_path / f"{settings.school_id}.ipynb"),
            summary=summaries_to_json([missing_summary(school_row, settings.year)]),
        )

    def group(job):
        seen["overview"] = job.settings.benchmarks
        seen["summaries"] = [s.school_id for s in summaries_from_json(job.summaries)]
        return JobOutcome(True, files=ReportFiles(notebook=tmp_path / "group.ipynb"))

    monkeypatch.setattr(executors, "run_school_job", school)
    monkeypatch.setattr(executors, "run_overview_job", group)
    result = batch(store_path, tmp_path / "out", pdf=False, progress=False, benchmarks=str(example), executor="serial")
    assert result.ok, result.failed
    assert seen["A1"][0] > 0 and seen["B1"][0] > 0  # cached before the report ran
    assert seen["A1"][1] == str(example.resolve()) == seen["overview"]
    assert seen["summaries"] == ["A1", "B1"]


def test_a_bad_benchmark_file_stops_the_batch_before_any_report(sample_db, tmp_path, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text("source: x\nyear: 2024-25\nframework: wqm\nfigures: [{survey: pupil, section: P1, value: 170}]\n")
    monkeypatch.setattr(executors, "run_school_job", lambda *a, **k: pytest.fail("rendered"))
    with pytest.raises(WqmError, match="bad.yaml: figures\\[0\\].value: must be between 0 and 100"):
        batch(sample_db, tmp_path / "out", pdf=False, progress=False, benchmarks=str(bad), executor="serial")


def test_an_interrupted_batch_keeps_the_summary_of_what_finished(sample_db, tmp_path, monkeypatch, capsys):
    """No kernel: the second school's job is interrupted (Ctrl-C) and the first one's line is kept."""
    from wqm_nb.cli import main
    from wqm_nb.export import ReportFiles

    def school(job):
        if job.settings.school_id == "NLT02":
            raise KeyboardInterrupt
        return JobOutcome(True, job.settings.school_id, ReportFiles(notebook=tmp_path / "x.ipynb"))

    monkeypatch.setattr(executors, "run_school_job", school)
    code = main(
        [
            "batch",
            "--data",
            str(sample_db),
            "--out",
            str(tmp_path / "out"),
            "--executor",
            "serial",
            "--schools",
            "NLT01",
            "NLT02",
            "NLT03",
            "--no-progress",
        ]
    )
    assert code == 130 and "wqm: interrupted" in capsys.readouterr().err
    with open(tmp_path / "out" / "batch_summary.csv") as fh:
        assert [(r["school_id"], r["status"]) for r in csv.DictReader(fh)] == [("NLT01", "ok")]


def test_ctrl_c_stops_a_batch_and_leaves_no_kernel_and_no_partial_file(sample_db, tmp_path):
    """A real Ctrl-C: SIGINT to the batch's process group while workers and kernels run."""
    import signal
    import subprocess
    import sys
    import time

    import psutil

    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wqm_nb.cli",
            "batch",
            "--data",
            str(sample_db),
            "--out",
            str(out),
            "--workers",
            "2",
            "--no-progress",
        ],
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a test run in the background may have SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    family = []
    while time.monotonic() < deadline:  # until a worker's kernel runs
        family = psutil.Process(proc.pid).children(recursive=True)
        if any("ipykernel" in " ".join(p.cmdline()) for p in family if p.is_running()):
            break
        time.sleep(0.2)
    time.sleep(2)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "wqm: interrupted" in err
    gone, alive = psutil.wait_procs(family, timeout=30)
    assert not alive, [p.cmdline() for p in alive]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no half-written report


class RecordingExecutor(executors.Executor):
    """Records the jobs a batch hands out and answers each as failed (no kernel is started)."""

    def __init__(self):
        self.jobs = []

    def run(self, jobs):
        for job in jobs:
            self.jobs.append(job)
            yield JobOutcome(False, getattr(job.settings, "school_id", ""), error="not run")


def test_a_batch_resolves_as_of_once_for_every_school_and_the_overview(sample_db, tmp_path, monkeypatch):
    import itertools

    import wqm_nb.settings

    days = (f"2026-12-{d:02d}" for d in itertools.count(1))  # a new "today" every time the clock is read
    monkeypatch.setattr(wqm_nb.settings, "today", lambda: next(days))
    pool = RecordingExecutor()
    monkeypatch.setattr("wqm_nb.batch.runner.make_executor", lambda *a: pool)
    batch(sample_db, tmp_path / "out", pdf=False, progress=False)
    schools = [job for job in pool.jobs if hasattr(job.settings, "school_id")]
    assert len(schools) == 8 and len(pool.jobs) == 9
    assert {job.settings.as_of for job in pool.jobs} == {"2026-12-01"}
    # an explicit date is used as given
    pool.jobs.clear()
    batch(sample_db, tmp_path / "out2", pdf=False, progress=False, as_of="2025-07-21")
    assert {job.settings.as_of for job in pool.jobs} == {"2025-07-21"}


class InterruptedExecutor(executors.Executor):
    """Leaves what a worker killed mid-render leaves (a hidden work folder and a temporary file), then Ctrl-C."""

    def __init__(self, out_dir):
        self.out_dir = out_dir

    def run(self, jobs):
        stem = f"{jobs[0].settings.school_id}_{jobs[0].settings.year}"
        (self.out_dir / f".{stem}.k3j9x_2q").mkdir()
        (self.out_dir / f".{stem}.k3j9x_2q" / f"{stem}.ipynb").write_text("{}")
        (self.out_dir / f".{stem}.pdf.tmp81a").write_bytes(b"%PDF-")
        raise KeyboardInterrupt


def test_an_interrupted_batch_removes_the_half_made_files_of_its_reports_only(sample_db, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".keep-me").write_text("the user's")  # not a report of this batch
    (out / ".NLT99_2020-21.old").mkdir()  # not a school of this batch
    monkeypatch.setattr("wqm_nb.batch.runner.make_executor", lambda *a: InterruptedExecutor(out))
    with pytest.raises(KeyboardInterrupt):
        batch(sample_db, out, pdf=False, progress=False, schools=["NLT02"])
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".NLT99_2020-21.old", ".keep-me"]
    assert (out / "batch_summary.csv").is_file()
