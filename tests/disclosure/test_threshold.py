"""One threshold per store: the two-thresholds attack, the floor, raising, and benchmarks at the threshold."""

import json
import shutil

import pytest

from wqm_nb.cli import main
from wqm_nb.disclosure.threshold import resolve_threshold
from wqm_nb.errors import SettingsError
from wqm_nb.model.benchmarks import IN_MEMORY, refresh_benchmarks, school_benchmarks
from wqm_nb.store import Store


def test_the_rule():
    assert resolve_threshold(5, 5) == 5
    assert resolve_threshold(7, 5) == 7  # not asked for (the default): the store's
    with pytest.raises(SettingsError, match="below the store's threshold, 7"):
        resolve_threshold(7, 6)
    with pytest.raises(SettingsError, match="raise the store's first: wqm threshold 9 --data s.sqlite"):
        resolve_threshold(7, 9, "s.sqlite")


def export(capsys, db, *args, school="NLT03"):
    status = main(["export", school, "--year", "2025-26", "--format", "json", "--data", str(db), *args])
    out, err = capsys.readouterr()
    return status, json.loads(out) if status == 0 else err


def test_two_thresholds_cannot_be_set_against_each_other(sample_db, tmp_path, capsys):
    """The attack (issue 22): a publication at 7 beside one at the default 5 gives away, by difference, the
    groups of 5 and 6 the first one hides. Only the store's threshold is ever published."""
    db = shutil.copy(sample_db, tmp_path / "wqm.sqlite")
    status, err = export(capsys, db, "--min-group-size", "7")
    assert status == 2 and "wqm threshold 7" in err  # not published at another threshold
    status, err = export(capsys, db, "--min-group-size", "4")
    assert status == 2 and "a lower threshold is refused" in err
    _, at_five = export(capsys, db)
    assert main(["threshold", "7", "--data", str(db)]) == 0
    assert "threshold 5 -> 7" in capsys.readouterr().out
    status, at_seven = export(capsys, db)  # the default follows the store
    _, asked_five = export(capsys, db, "--min-group-size", "5")  # never lower than the store's
    assert at_seven == asked_five != at_five
    if status == 2:  # at 7 a survey cannot be cleared: withheld, and the export refuses
        from wqm_nb.export.figures import figure_records
        from wqm_nb.model import assess_school
        from wqm_nb.settings import ReportSettings

        assert "is withheld" in at_seven
        at_seven = figure_records(assess_school(ReportSettings(school_id="NLT03", year="2025-26", data=str(db))))
    assert all(r["n"] is None or r["n"] >= 7 for r in at_seven)
    assert main(["threshold", "5", "--data", str(db)]) == 2  # a lower one is refused
    assert "a lower one is refused" in capsys.readouterr().err
    assert main(["threshold", "--data", str(db)]) == 0 and "threshold 7" in capsys.readouterr().out


def test_the_floor_is_three_and_a_stores_first_threshold_may_be_any_from_it(sample_db, tmp_path):
    db = shutil.copy(sample_db, tmp_path / "wqm.sqlite")
    with Store.open(db) as store:
        assert store.threshold == 5 and not store.threshold_set
        with pytest.raises(SettingsError, match="at least 3"):
            store.set_threshold(2)
        assert store.set_threshold(3) == 5 and store.threshold == 3
        assert store.set_threshold(6) == 3
        with pytest.raises(SettingsError, match="lower one is refused"):
            store.set_threshold(4)


def test_a_csv_folder_keeps_its_threshold_beside_it(sample_dir, tmp_path, capsys):
    folder = shutil.copytree(sample_dir, tmp_path / "trust")
    assert main(["threshold", "6", "--data", str(folder)]) == 0
    assert (tmp_path / "trust.wqm-threshold").read_text().strip() == "6"
    assert "threshold 5 -> 6" in capsys.readouterr().out
    status, records = export(capsys, folder, school="NLT02")
    assert status == 0 and all(r["n"] is None or r["n"] >= 6 for r in records)
    assert main(["threshold", "5", "--data", str(folder)]) == 2


def test_no_report_prints_benchmarks_computed_at_another_threshold(sample_db, tmp_path):
    """The attack (issue 22): benchmarks cached at 5 printed in a report made at 10 count a school hidden at
    10. Cached rows are used only at the threshold they were computed at."""
    db = shutil.copy(sample_db, tmp_path / "wqm.sqlite")
    with Store.open(db) as store:
        refresh_benchmarks(store, "2025-26", "wqm")
        assert store.benchmarks_threshold("2025-26", "wqm") == 5
        cached = school_benchmarks(store, "NLT03", "2025-26", "wqm", 5)
        assert len(cached) and (cached["computed_at"] != IN_MEMORY).all()
        store.set_threshold(10)  # raised without recomputing (the CLI recomputes)
        again = school_benchmarks(store, "NLT03", "2025-26", "wqm", 10)
        assert (again["computed_at"] == IN_MEMORY).all()
        assert not again[["contributors"]].equals(cached[["contributors"]])
        refresh_benchmarks(store, "2025-26", "wqm")
        assert store.benchmarks_threshold("2025-26", "wqm") == 10
        assert (school_benchmarks(store, "NLT03", "2025-26", "wqm", 10)["computed_at"] != IN_MEMORY).all()
