"""The ``wqm award record | list`` commands (wqm_nb.cli), run in-process on a small hand-made store.

Record appends a decision (level checked against the framework's level ids, outcome, date, assessor,
reasons, who recorded it); a correction supersedes an earlier decision of the same framework; list shows the
current decisions, or with ``--history`` the corrected ones too; a CSV folder is refused for writing; the
report's award rules then read the decisions.
"""

from pathlib import Path

import pytest

from wqm_nb.cli import build_parser, main
from wqm_nb.store import Store
from wqm_nb.store.schema import AWARD_OUTCOMES


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "wqm.sqlite"
    with Store(path) as store:
        store.add_school("S1", "Brook Primary", "primary")
        store.ensure_cycle("S1", "2025-26", "wqm")
    return path


def run(capsys, *args) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def decisions(db: Path, history: bool = False) -> list[dict]:
    with Store.open(db, read_only=True) as store:
        return store.award_decisions("S1", history=history)


def test_record_and_list(db, capsys):
    status, out, _ = run(
        capsys,
        "award",
        "record",
        "S1",
        "--level",
        "champion",
        "--outcome",
        "awarded",
        "--year",
        "2022-23",
        "--date",
        "2023-06-30",
        "--assessor",
        "J. Reed",
        "--reasons",
        "All seven principles",
        "--by",
        "Consultant",
        "--data",
        db,
    )
    assert status == 0
    assert out.strip() == ("recorded decision 1: S1 Champion School (wqm) 2022-23: awarded on 2023-06-30 by J. Reed")
    [row] = decisions(db)
    assert (
        row["level"],
        row["academic_year"],
        row["outcome"],
        row["decided_on"],
        row["assessor"],
        row["reasons"],
        row["recorded_by"],
    ) == ("champion", "2022-23", "awarded", "2023-06-30", "J. Reed", "All seven principles", "Consultant")
    status, out, _ = run(capsys, "award", "list", "S1", "--data", db)
    assert status == 0 and "Champion School" in out and "All seven principles" in out and "J. Reed" in out


def test_a_correction_supersedes_and_history_shows_both(db, capsys):
    run(
        capsys,
        "award",
        "record",
        "S1",
        "--level",
        "champion",
        "--outcome",
        "awarded",
        "--year",
        "2021-22",
        "--date",
        "2022-06-30",
        "--data",
        db,
    )
    status, out, _ = run(
        capsys,
        "award",
        "record",
        "S1",
        "--level",
        "champion",
        "--outcome",
        "awarded",
        "--year",
        "2022-23",
        "--date",
        "2023-06-30",
        "--supersedes",
        "1",
        "--reasons",
        "year corrected",
        "--data",
        db,
    )
    assert status == 0 and out.strip().endswith("correcting decision 1")
    assert [d["decision_id"] for d in decisions(db)] == [2]
    assert [d["decision_id"] for d in decisions(db, history=True)] == [1, 2]
    _, out, _ = run(capsys, "award", "list", "S1", "--data", db)
    assert "2021-22" not in out and "year corrected (corrects 1)" in out
    _, out, _ = run(capsys, "award", "list", "S1", "--history", "--data", db)
    assert "(corrected by 2)" in out and "(corrects 1)" in out
    # a decision is corrected once; and only by a decision of its own framework
    status, _, err = run(
        capsys,
        "award",
        "record",
        "S1",
        "--level",
        "champion",
        "--outcome",
        "withdrawn",
        "--year",
        "2022-23",
        "--supersedes",
        "1",
        "--data",
        db,
    )
    assert status == 2 and "decision 1 has been corrected already" in err
    status, _, err = run(
        capsys,
        "award",
        "record",
        "S1",
        "--framework",
        "vbe",
        "--level",
        "quality_mark",
        "--outcome",
        "awarded",
        "--year",
        "2022-23",
        "--supersedes",
        "2",
        "--data",
        db,
    )
    assert status == 2 and "decision 2 is a wqm decision, not vbe" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--level", "platinum"],
            "unknown level 'platinum' for Wellbeing Quality Mark (its levels: approved, champion, beacon)",
        ),
        (
            ["--level", "approved", "--framework", "leadership_management"],
            "Leadership and Management has no award levels",
        ),
        (
            ["--level", "approved", "--date", "31/03/2022"],
            "decision date '31/03/2022' is not a date written YYYY-MM-DD",
        ),
        (["--level", "approved", "--year", "2022/23"], "2022/23"),
        (["--level", "approved", "--school", "NOPE"], "unknown school 'NOPE'"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(db, capsys, args, message):
    school = args[args.index("--school") + 1] if "--school" in args else "S1"
    args = [a for a in args if a not in ("--school", "NOPE")]
    year = [] if "--year" in args else ["--year", "2022-23"]
    status, out, err = run(capsys, "award", "record", school, "--outcome", "awarded", *year, *args, "--data", db)
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    assert decisions(db, history=True) == []


def test_a_csv_folder_is_refused_for_writing(tmp_path, capsys):
    folder = tmp_path / "csv"
    folder.mkdir()
    status, _, err = run(
        capsys,
        "award",
        "record",
        "S1",
        "--level",
        "approved",
        "--outcome",
        "awarded",
        "--year",
        "2022-23",
        "--data",
        folder,
    )
    assert status == 2 and "is a CSV folder" in err and "wqm import" in err


def test_the_outcomes_offered_are_the_stored_ones():
    record = build_parser()._subparsers._group_actions[0].choices["award"]
    action = next(a for a in record._subparsers._group_actions[0].choices["record"]._actions if a.dest == "outcome")
    assert tuple(action.choices) == AWARD_OUTCOMES


def test_the_award_rules_read_the_recorded_decisions(db, capsys):
    from wqm_nb.model import assess_store
    from wqm_nb.settings import ReportSettings

    run(
        capsys,
        "award",
        "record",
        "S1",
        "--level",
        "champion",
        "--outcome",
        "awarded",
        "--year",
        "2022-23",
        "--data",
        db,
    )
    with Store.open(db, read_only=True) as store:
        assessment = assess_store(store, ReportSettings(school_id="S1"))
    assert assessment.readiness.held["beacon"].years_held == 3
    assert [d["level"] for d in assessment.award_decisions] == ["champion"]
