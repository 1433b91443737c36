import csv

import pytest

from wqm_nb import batch
from wqm_nb.batch import describe_error, run_batch
from wqm_nb.errors import WqmError
from wqm_nb.export import render_school
from wqm_nb.settings import ReportSettings

pytestmark = pytest.mark.slow


def test_batch_reports_one_failure_without_stopping_the_others(sample_db, tmp_path, monkeypatch):
    real = batch.render_school

    def flaky(settings, *args, **kwargs):
        if settings.school_id == "NLT07":
            raise RuntimeError("kernel died")
        return real(settings, *args, **kwargs)

    monkeypatch.setattr(batch, "render_school", flaky)
    result = run_batch(sample_db, tmp_path, schools=["NLT02", "NLT07", "NLT03", "NOPE"], workers=2,
                       pdf=False, progress=False)
    by_id = {r.school_id: r for r in result.results}
    assert [r.school_id for r in result.succeeded] == ["NLT02", "NLT03"]
    assert by_id["NLT07"].error == "RuntimeError: kernel died"
    assert by_id["NOPE"].error == "unknown school 'NOPE'"
    assert not result.ok
    for sid in ("NLT02", "NLT03"):
        assert (tmp_path / f"{sid}_2025-26.html").exists()
        assert "Northbrook Learning Trust" in (tmp_path / f"{sid}_2025-26.html").read_text()
    assert not (tmp_path / "NLT07_2025-26.ipynb").exists()
    overview = (tmp_path / "group_overview.html").read_text()
    assert "NLT02_2025-26.html" in overview and "NLT07_2025-26.html" not in overview
    with open(tmp_path / "batch_summary.csv") as fh:
        summary = {row["school_id"]: row for row in csv.DictReader(fh)}
    assert summary["NLT07"]["status"] == "failed" and summary["NLT02"]["status"] == "ok"


def test_batch_from_a_csv_folder_reports_a_missing_year_for_every_school(tmp_path, capsys, sample_dir):
    from wqm_nb.cli import main

    code = main(["batch", "--data", str(sample_dir), "--out", str(tmp_path), "--cycle", "2019-20", "--no-progress",
                 "--no-pdf"])
    assert code == 1
    out = capsys.readouterr().out
    assert out.count("FAILED") >= 7 and "no data for 2019-20" in out
    assert (tmp_path / "wqm.sqlite").exists()  # the CSV folder was imported once for all schools


def test_a_notebook_error_is_described_in_one_line(sample_db, tmp_path):
    with pytest.raises(WqmError) as err:
        render_school(ReportSettings(school_id="NLT99", year="2025-26", data=str(sample_db), output=str(tmp_path)),
                      pdf=False)
    assert describe_error(err.value).startswith("UnknownSchoolError: unknown school 'NLT99'")
    assert "(notebook school_report.ipynb, cell" in describe_error(err.value)
    assert describe_error(RuntimeError("boom")) == "RuntimeError: boom"


def test_unknown_executor_is_refused(sample_db, tmp_path):
    with pytest.raises(WqmError, match="executor"):
        run_batch(sample_db, tmp_path, executor="gpu")


def test_batch_renders_another_framework(sample_db, tmp_path):
    result = run_batch(sample_db, tmp_path, schools=["NLT01"], pdf=False, progress=False, framework="vbe")
    assert result.ok, result.failed
    assert (tmp_path / "NLT01_2025-26_vbe.html").exists()
    assert "Values-based Education Quality Mark" in (tmp_path / "group_overview.html").read_text()


def test_batch_summary_neutralises_formulas(tmp_path):
    import csv as csv_module

    from wqm_nb.batch import BatchResult, SchoolResult, write_summary

    batch = BatchResult(out_dir=tmp_path, database=tmp_path / "x.sqlite",
                        results=[SchoolResult("S1", '=HYPERLINK("http://evil","x")', "2025-26", error="-boom")])
    with write_summary(batch).open(newline="") as fh:
        row = list(csv_module.DictReader(fh))[0]
    assert row["name"] == '\'=HYPERLINK("http://evil","x")' and row["error"] == "'-boom"


def test_batch_refreshes_benchmarks_before_rendering_and_passes_the_benchmark_file(tmp_path, monkeypatch):
    """No kernel: the renderers are replaced by recorders that look at the store as each report starts."""
    from pathlib import Path

    from wqm_nb.export import ReportFiles
    from wqm_nb.store import Store

    example = Path(__file__).resolve().parent.parent / "docs" / "benchmarks-example.yaml"
    store_path = tmp_path / "wqm.sqlite"
    with Store(store_path) as store:
        for sid in ("A1", "B1"):
            store.add_school(sid, f"School {sid}", "primary", trust="T", pupils=100)
            store.record_rating(store.ensure_cycle(sid, "2025-26"), "P1.1", 3, "x")
    seen = {}

    def school(settings, pdf=True):
        with Store.open(settings.data, read_only=True) as store:
            seen[settings.school_id] = (len(store.benchmarks(settings.school_id, settings.year, "wqm")),
                                        settings.benchmarks)
        return ReportFiles(notebook=tmp_path / f"{settings.school_id}.ipynb")

    def group(settings, pdf=True):
        seen["overview"] = settings.benchmarks
        return ReportFiles(notebook=tmp_path / "group.ipynb")

    monkeypatch.setattr(batch, "render_school", school)
    monkeypatch.setattr(batch, "render_group", group)
    result = run_batch(store_path, tmp_path / "out", pdf=False, progress=False, benchmarks=str(example))
    assert result.ok, result.failed
    assert seen["A1"][0] > 0 and seen["B1"][0] > 0                 # cached before the report ran
    assert seen["A1"][1] == str(example.resolve()) == seen["overview"]


def test_a_bad_benchmark_file_stops_the_batch_before_any_report(sample_db, tmp_path, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text("source: x\nyear: 2024-25\nframework: wqm\nfigures: [{survey: pupil, section: P1, value: 170}]\n")
    monkeypatch.setattr(batch, "render_school", lambda *a, **k: pytest.fail("rendered"))
    with pytest.raises(WqmError, match="bad.yaml: figures\\[0\\].value: must be between 0 and 100"):
        run_batch(sample_db, tmp_path / "out", pdf=False, progress=False, benchmarks=str(bad))
