"""`wqm publish`, `wqm ledger`, `wqm threshold`, `wqm benchmarks refresh` from the command line (what they
decide is tested in tests/disclosure and tests/model)."""

import shutil

import pytest

from wqm_nb.cli import main
from wqm_nb.disclosure.ledger import Ledger, ledger_path


@pytest.fixture
def db(sample_db, tmp_path):
    return shutil.copy(sample_db, tmp_path / "wqm.sqlite")


def test_publish_records_once_and_the_ledger_lists_it(db, capsys):
    assert main(["publish", "NLT03", "--year", "2025-26", "--data", str(db), "--dry-run"]) == 0
    assert "a new release; dry run: nothing was recorded" in capsys.readouterr().out
    assert main(["ledger", "--data", str(db)]) == 0
    assert capsys.readouterr().out.startswith("no release recorded in ")
    assert main(["publish", "NLT03", "--year", "2025-26", "--data", str(db)]) == 0
    assert "NLT03 2025-26: a new release, recorded (threshold 5; 0 release(s)" in capsys.readouterr().out
    assert main(["publish", "NLT03", "--year", "2025-26", "--data", str(db)]) == 0
    assert "already published: nothing to record" in capsys.readouterr().out
    (entry,) = Ledger(ledger_path(db)).entries("NLT03", "2025-26")
    assert main(["ledger", "NLT03", "--data", str(db)]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split()[:3] == ["release", "school", "year"] and len(listing) == 2
    assert listing[1].split()[:4] == [entry.release_id, "NLT03", "2025-26", "5"]


def test_threshold_is_shown_raised_and_never_lowered(db, capsys):
    assert main(["threshold", "--data", str(db)]) == 0
    assert capsys.readouterr().out.strip() == f"{db}: threshold 5 (the default)"
    assert main(["threshold", "6", "--data", str(db)]) == 0
    assert "threshold 5 -> 6; cached benchmarks recomputed at 6" in capsys.readouterr().out
    assert main(["threshold", "5", "--data", str(db)]) == 2
    assert "lower one is refused" in capsys.readouterr().err


def test_benchmarks_refresh_checks_the_year_and_says_what_it_wrote(db, capsys):
    assert main(["benchmarks", "refresh", "--year", "2025-6", "--data", str(db)]) == 2
    assert "2025-6" in capsys.readouterr().err
    assert main(["benchmarks", "refresh", "--year", "2025-26", "--framework", "wqm", "--data", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("benchmarks refreshed: ") and "rows for wqm in 2025-26" in out
