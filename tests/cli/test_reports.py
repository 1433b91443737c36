"""`wqm report`, `wqm batch`, `wqm export` from the command line."""

import shutil

import pytest

from wqm_nb.cli import main


def test_school_ids_cannot_steer_output_paths(sample_dir, tmp_path, capsys):
    out = tmp_path / "a" / "b" / "reports"
    for bad in ("../../x", str(tmp_path / "abs"), "javascript:alert(1)", "NLT 01"):
        assert main(["report", bad, "--data", str(sample_dir), "--out", str(out)]) == 2
        assert "is not a valid school id" in capsys.readouterr().err
    assert not any(tmp_path.rglob("*.html"))


def test_batch_executor_options_are_checked_before_any_work(sample_db, tmp_path, capsys):
    from wqm_nb.cli import main

    with pytest.raises(SystemExit):
        main(["batch", "--data", str(sample_db), "--out", str(tmp_path), "--executor", "thread"])
    assert "invalid choice: 'thread'" in capsys.readouterr().err
    assert main(["batch", "--data", str(sample_db), "--out", str(tmp_path), "--scheduler", "tcp://x:1"]) == 2
    assert "--scheduler is for --executor dask" in capsys.readouterr().err
    assert main(["batch", "--data", str(sample_db), "--out", str(tmp_path), "--executor", "dask"]) == 2
    assert "needs --scheduler ADDRESS" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing was written


@pytest.mark.parametrize("command", [["report", "NLT03"], ["batch"]])
def test_report_and_batch_take_an_as_of_date(command, capsys):
    from wqm_nb.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(command + ["--as-of", "2026-01-05"]).as_of == "2026-01-05"
    assert parser.parse_args(command).as_of == ""  # today, resolved once by the settings
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(command + ["--as-of", "5/1/2026"])
    assert exit_.value.code == 2
    assert "argument --as-of: not a date written YYYY-MM-DD: '5/1/2026'" in capsys.readouterr().err


def test_export_of_a_withheld_survey_exits_2_with_one_line(sample_db, tmp_path, capsys):
    """ "Responses: 6": five teachers and one leader. Whatever is hidden, the teachers' cell is at least 5 and the
    leader's at least 1, so the leader is exactly one person: the audit cannot clear the staff survey, every
    figure of it is withheld, and an export refuses (the report carries on with the reason)."""
    import numpy as np

    from wqm_nb.data.surveys import load_question_bank
    from wqm_nb.model import assess_school
    from wqm_nb.settings import ReportSettings
    from wqm_nb.store import Store

    db = shutil.copy(sample_db, tmp_path / "wqm.sqlite")
    items = list(load_question_bank().surveys["staff"].item_ids)
    with Store.open(db) as store:
        store.add_school("NLT99", "Brook Primary", "primary")
        store.start_year("NLT99", "2025-26", "wqm")
        sy = store.school_year("NLT99", "2025-26")["school_year_id"]
        values = np.array([[4 if (k + j) % 3 else 2 for j in range(len(items))] for k in range(6)], dtype=np.int8)
        store.import_survey(
            sy,
            "staff",
            source="online",
            item_ids=items,
            file_name="staff.csv",
            respondents=[f"s{k}" for k in range(6)],
            subgroups=["teaching"] * 5 + ["leadership"],
            values=values,
        )
    assert main(["export", "NLT99", "--year", "2025-26", "--format", "csv", "--data", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("wqm: error: NLT99 2025-26")
    assert "every survey figure of the school year is withheld (Staff survey:" in err
    figures = assess_school(ReportSettings(school_id="NLT99", year="2025-26", data=str(db))).current.figures
    staff = figures.table[figures.table["survey"] == "staff"]
    assert figures.withheld == ("staff",) and staff["suppressed"].all() and staff["n"].isna().all()
