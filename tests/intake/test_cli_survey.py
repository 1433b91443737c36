"""The ``wqm survey import | imports | comments`` commands (wqm_nb.cli), run in-process.

A dry run prints what was detected and would be imported and writes nothing;
a real import prints its import id and a second run of the same file says it
is already imported; a saved mapping loads and imports the same file the same
way; a CSV folder is refused as a target; ``imports`` lists the imports and
``comments`` shows flagged comments first and hides the others of a survey
below the minimum group size.
"""

import csv
import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from wqm_nb.cli import main
from wqm_nb.data.import_mapping import load_import_mapping
from wqm_nb.store import Store

SCHOOL, YEAR = "NLT03", "2025-26"


def import_args(exports, name, data, *extra):
    survey = exports.manifest[name]["survey"]
    return [
        "survey",
        "import",
        str(exports.path(name)),
        "--school",
        SCHOOL,
        "--year",
        YEAR,
        "--survey",
        survey,
        "--data",
        str(data),
        *extra,
    ]


def run(capsys, args) -> tuple[int, str, str]:
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def imported_id(out: str) -> int:
    return int(re.search(r"imported as import (\d+):", out).group(1))


def staff_rows(path: Path) -> list:
    """The current staff respondents of the school year: sorted (subgroup, answers) pairs."""
    with Store(path, read_only=True) as store:
        year = store.school_year(SCHOOL, YEAR)["school_year_id"]
        block = store.survey_data(year).blocks["staff"]
    return sorted((s, tuple(v)) for s, v in zip(block.subgroups, block.values.tolist(), strict=False))


def test_dry_run_prints_the_plan_and_writes_nothing(exports, db, capsys):
    name = "surveymonkey_staff.csv"
    entry = exports.manifest[name]
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    status, out, _ = run(capsys, import_args(exports, name, db, "--dry-run"))
    assert status == 0
    assert "detected: SurveyMonkey, two header rows" in out
    assert "survey: Staff survey" in out
    assert (
        f"rows: {entry['rows']}; respondents kept: {entry['kept']}; "
        f"dropped with no answer on the scale: {entry['dropped_empty']}"
    ) in out
    counts = entry["subgroup_counts"]
    order = [v for v in ("teaching", "support", "leadership", "") if counts.get(v)]
    assert "subgroups: " + ", ".join(f"{v or 'not given'} {counts[v]}" for v in order) in out
    assert re.search(r"^A +dropped: personal data +Respondent ID$", out, re.MULTILINE)
    assert re.search(r"^K +item S01 ", out, re.MULTILINE)
    assert out.rstrip().endswith("dry run: nothing was written")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    wal = Path(f"{db}-wal")  # reading a WAL store (for a saved mapping) may leave an empty log: nothing written
    assert not wal.exists() or wal.stat().st_size == 0


def test_import_then_the_same_file_again(exports, db, capsys):
    name = "surveymonkey_staff.csv"
    kept = exports.manifest[name]["kept"]
    status, out, _ = run(capsys, import_args(exports, name, db, "--replace", "--by", "tester"))
    assert status == 0
    import_id = imported_id(out)
    assert re.search(r"^replaced import \d+ \(staff_survey\.csv, .*\); its record is kept$", out, re.MULTILINE)
    assert f"answers of {kept} respondents for {SCHOOL} {YEAR}" in out
    status, again, _ = run(capsys, import_args(exports, name, db))
    assert status == 0
    assert f"already imported: this file is import {import_id} of {SCHOOL} {YEAR}" in again
    assert "imported as import" not in again
    with Store(db, read_only=True) as store:
        records = [
            r for r in store.survey_imports(survey="staff") if r["school_id"] == SCHOOL and r["academic_year"] == YEAR
        ]
    assert [r["import_id"] for r in records if r["replaced_by"] is None] == [import_id]
    assert records[-1]["imported_by"] == "tester"


def test_another_file_without_replace_or_add_is_refused(exports, db, capsys):
    status, _, err = run(capsys, import_args(exports, "generic_staff.csv", db))
    assert status == 2
    assert "already has data from staff_survey.csv" in err
    assert "--replace" in err and "--add" in err


def test_saved_mapping_imports_the_same_file_identically(exports, db, sample_db, tmp_path, capsys, bank):
    name = "generic_staff.csv"
    entry = exports.manifest[name]
    saved = tmp_path / "generic.yaml"
    status, out, err = run(capsys, import_args(exports, name, db, "--replace", "--save-mapping", str(saved)))
    assert status == 0
    assert f"mapping saved to {saved}" in err
    mapping = load_import_mapping(saved, bank)
    assert mapping.survey == "staff"
    assert {mapping.target(h) for h in entry["item_headers"].values()} == set(entry["items"])
    assert [mapping.target(h) for h in entry["item_headers"].values()] == entry["items"]
    assert mapping.target(entry["subgroup_header"]) == "subgroup"
    assert mapping.target(entry["comment_header"]) == "comment SC1"

    other = tmp_path / "other.sqlite"
    shutil.copy(sample_db, other)
    status, out, _ = run(capsys, import_args(exports, name, other, "--replace", "--mapping", str(saved)))
    assert status == 0
    rows = staff_rows(db)
    assert len(rows) == entry["kept"]
    assert staff_rows(other) == rows


def test_a_csv_folder_is_refused_as_the_target(exports, sample_dir, capsys):
    status, out, err = run(capsys, import_args(exports, "generic_staff.csv", sample_dir, "--replace"))
    assert status == 2
    assert "is a CSV folder" in err
    assert "`wqm import" in err
    assert "imported as import" not in out


def test_imports_lists_the_imports_of_a_school(exports, db, capsys):
    _, out, _ = run(capsys, import_args(exports, "surveymonkey_staff.csv", db, "--replace"))
    import_id = imported_id(out)
    status, listing, _ = run(capsys, ["survey", "imports", SCHOOL, "--year", YEAR, "--data", str(db)])
    assert status == 0
    lines = listing.splitlines()
    [line] = [line for line in lines if line.split()[0] == str(import_id)]
    assert line.split()[1:5] == [YEAR, "staff", "responses", "surveymonkey"]
    assert re.search(r"\b52\b", line) and "current" in line and line.endswith("surveymonkey_staff.csv")
    assert any(f"replaced by {import_id}" in line for line in lines)
    assert all(line.split()[1] == YEAR for line in lines)
    status, _, err = run(capsys, ["survey", "imports", "NLT99", "--data", str(db)])
    assert status == 2 and "NLT99" in err


def test_comments_flagged_first_and_hidden_below_the_group_size(exports, make_exports, db, tmp_path, capsys):
    name = "msforms_staff.xlsx"
    entry = exports.manifest[name]
    staff = tmp_path / "staff.txt"
    staff.write_text("\n".join(make_exports.STAFF_LIST) + "\n", encoding="utf-8")
    status, _, _ = run(
        capsys, import_args(exports, name, db, "--replace", "--keep-comments", "--staff-list", str(staff))
    )
    assert status == 0
    args = ["survey", "comments", SCHOOL, "--year", YEAR, "--data", str(db)]
    status, out, _ = run(capsys, args)
    assert status == 0
    first = out.splitlines()[0]
    assert first.startswith("staff   SC1   [SAFEGUARDING: ")
    assert first.endswith(entry["safeguarding_comments"][0])
    assert out.count("SAFEGUARDING") == 1
    ordinary = [
        c
        for c in entry["comments"]
        if c not in entry["comments_naming_staff"] and c not in entry["safeguarding_comments"]
    ]
    assert all(c in out for c in ordinary)
    assert out.count("[name]") == len(entry["comments_naming_staff"])
    assert not any(word in out for word in ("Patel", "Okafor", "Priya", "Helen"))
    assert "not shown" not in out  # enough respondents at the store's 5

    # the threshold is the store's: a higher one for comments alone is refused, and raising the store's hides them
    status, _, err = run(capsys, args + ["--min-group-size", str(entry["kept"] + 1)])
    assert status == 2 and "raise the store's first" in err
    assert run(capsys, ["threshold", str(entry["kept"] + 1), "--data", str(db)])[0] == 0
    status, small, _ = run(capsys, args)
    assert status == 0
    assert entry["safeguarding_comments"][0] in small
    assert not any(c in small for c in ordinary)
    hidden = len(entry["comments"]) - 1
    assert f"staff: {hidden} comment(s) not shown: fewer than {entry['kept'] + 1} respondents" in small


@pytest.mark.parametrize(
    "extra, message",
    [
        (("--year", "2025/26"), "2025/26"),
        (("--mapping", "missing.yaml"), "missing.yaml"),
    ],
)
def test_bad_options_exit_with_status_2(exports, db, capsys, extra, message):
    args = import_args(exports, "generic_staff.csv", db, "--dry-run")
    if extra[0] == "--year":
        args[args.index("--year") + 1] = extra[1]
    else:
        args += list(extra)
    status, _, err = run(capsys, args)
    assert status == 2
    assert message in err


def test_the_stored_answers_match_the_file(exports, db, capsys):
    name = "surveymonkey_staff.csv"
    entry = exports.manifest[name]
    run(capsys, import_args(exports, name, db, "--replace"))
    with Store(db, read_only=True) as store:
        year = store.school_year(SCHOOL, YEAR)["school_year_id"]
        block = store.survey_data(year).blocks["staff"]
    counts = {i: {v: int(np.sum(block.values[:, k] == v)) for v in range(1, 6)} for k, i in enumerate(block.item_ids)}
    assert counts == entry["item_counts"]


def test_survey_import_takes_the_staff_audit_from_a_paper_tally_and_an_online_export(db, tmp_path, capsys):
    tally = tmp_path / "inset_audit.csv"
    tally.write_text(
        "item,role,Deciding to act,Shared understanding,Developing practice,Embedded and evaluated\n"
        + "".join(f"SA{k},teaching,0,1,{k},2\nSA{k},support,1,2,2,0\n" for k in range(1, 8)),
        encoding="utf-8",
    )
    args = [
        "survey",
        "import",
        str(tally),
        "--school",
        "NLT02",
        "--year",
        "2025-26",
        "--survey",
        "staff_audit",
        "--data",
        str(db),
    ]
    status, out, _ = run(capsys, args)
    assert status == 0, out
    assert "detected: paper tally, counts per item and answer" in out and "survey: Staff audit" in out
    assert "forms counted: 15" in out  # per role, the largest count of one principle: 10 + 5
    assert re.search(r"imported as import \d+: 84 answers of 15 forms for NLT02 2025-26", out)
    # an online export with the maturity labels, added beside the paper forms
    online = tmp_path / "audit_online.csv"
    rows = [
        "Timestamp,Role,"
        + ",".join(
            f'"{t}"'
            for t in (
                "Adopt whole-school thinking",
                "Engage the whole community",
                "Prioritise professional learning and staff development",
                "Implement targeted programmes and interventions (including curriculum)",
                "Develop supportive policy",
                "Connect appropriately with approaches to behaviour management",
                "Implement targeted responses and identify specialist pathways",
            )
        )
    ]
    rows += [f"2025/09/01 9:0{k}:00 AM GMT+1,Teacher," + ",".join(["Embedded and evaluated"] * 7) for k in range(6)]
    online.write_text("\n".join(rows) + "\n", encoding="utf-8")
    status, out, _ = run(capsys, args[:2] + [str(online)] + args[3:] + ["--add"])
    assert status == 0, out
    assert "respondents kept: 6" in out
    with Store(db, read_only=True) as store:
        year = store.school_year("NLT02", "2025-26")["school_year_id"]
        data = store.survey_data(year)
        assert data.blocks["staff_audit"].values.tolist() == [[4] * 7] * 6
        assert set(data.tally_rows()["survey"]) == {"staff_audit"}
    status, out, _ = run(capsys, ["export", "NLT02", "--year", "2025-26", "--data", str(db), "--format", "json"])
    assert status == 0
    import json

    audit = [r for r in json.loads(out) if r["survey"] == "staff_audit" and r["subgroup_field"] is None]
    assert [r["principle"] for r in audit] == [f"P{k}" for k in range(1, 8)]
    assert {r["measure"] for r in audit} == {"rating"}
    p1 = audit[0]
    # paper: teaching 0/1/1/2 (4 forms), support 1/2/2/0 (5 forms); online: 6 x 4
    assert p1["n"] == 15 and p1["mean"] == pytest.approx(
        (1 * 2 + 1 * 3 + 2 * 4 + 1 * 1 + 2 * 2 + 2 * 3 + 6 * 4) / 15, abs=1e-3
    )


def test_survey_import_refuses_an_audit_answer_off_the_maturity_scale(db, tmp_path, capsys):
    path = tmp_path / "audit.csv"
    path.write_text(
        "Timestamp,Adopt whole-school thinking,Engage the whole community\n"
        "2025/09/01 9:00:00 AM GMT+1,Developing practice,Shared understanding\n"
        "2025/09/01 9:01:00 AM GMT+1,Strongly agree,Shared understanding\n",
        encoding="utf-8",
    )
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    status, _, err = run(
        capsys,
        [
            "survey",
            "import",
            str(path),
            "--school",
            "NLT02",
            "--year",
            "2025-26",
            "--survey",
            "staff_audit",
            "--data",
            str(db),
        ],
    )
    assert status == 2
    assert (
        "audit.csv, row 3, column 'B: Adopt whole-school thinking': unknown answer 'Strongly agree' for item SA1" in err
    )
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


def staff_export_with_names(tmp_path: Path) -> Path:
    """A Google Forms staff export with the respondents' full names beside their answers."""
    from wqm_nb.data.surveys import load_question_bank

    items = [i.text for i in load_question_bank().surveys["staff"].items]
    header = ["Timestamp", "Full name", *items, "What is your role in school?"]
    rows = [
        [f"2025/11/0{k} 10:00:00", name, *(["Agree"] * len(items)), "Teacher"]
        for k, name in enumerate(["Alice Barnes", "Bilal Chaudry", "Cara Dunn", "Dev Evans", "Ema Ford"], 1)
    ]
    path = tmp_path / "staff.csv"
    path.write_text("\n".join(",".join(f'"{c}"' for c in row) for row in [header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("target", ["comment SC1", "S01", "subgroup"])
def test_a_personal_column_can_only_be_mapped_to_ignore(db, tmp_path, capsys, target):
    """The attack (issue 24): a mapping that routes the candidates' full names into comments stored them, and
    `wqm survey comments` listed them. A column detected as personal data can only be ignored."""
    export = staff_export_with_names(tmp_path)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(f'survey: staff\ncolumns:\n  "Full name": {target}\n', encoding="utf-8")
    args = [
        "survey",
        "import",
        str(export),
        "--school",
        SCHOOL,
        "--year",
        YEAR,
        "--survey",
        "staff",
        "--data",
        str(db),
        "--mapping",
        str(mapping),
        "--keep-comments",
        "--replace",
    ]
    status, out, err = run(capsys, args)
    assert status == 2
    assert err.strip().splitlines()[-1].startswith("wqm: error: ")
    assert 'column B "Full name" is personal data: it can only be mapped to ignore' in err
    status, out, err = run(capsys, ["survey", "comments", SCHOOL, "--year", YEAR, "--data", str(db)])
    assert "Alice Barnes" not in out
    with Store.open(db, read_only=True) as store:
        assert not [i for i in store.survey_imports() if i["file_name"] == "staff.csv"]


def test_a_personal_column_mapped_to_ignore_imports(db, tmp_path, capsys):
    export = staff_export_with_names(tmp_path)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text('survey: staff\ncolumns:\n  "Full name": ignore\n', encoding="utf-8")
    status, out, _ = run(
        capsys,
        [
            "survey",
            "import",
            str(export),
            "--school",
            SCHOOL,
            "--year",
            YEAR,
            "--survey",
            "staff",
            "--data",
            str(db),
            "--mapping",
            str(mapping),
            "--replace",
        ],
    )
    assert status == 0 and "imported as import" in out


def staff_export(tmp_path: Path, extra: dict[str, list[str]], name: str = "staff.csv") -> Path:
    """A Google Forms staff export: four bank items, then ``extra`` columns, then the role question."""
    from wqm_nb.data.surveys import load_question_bank

    items = [i.text for i in load_question_bank().surveys["staff"].items[:4]]
    header = ["Timestamp", *items, *extra, "What is your role in school?"]
    rows = [
        [f"2025/11/0{k + 1} 10:00:00", *(["Agree"] * len(items)), *[v[k % len(v)] for v in extra.values()], "Teacher"]
        for k in range(6)
    ]
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def survey_import(path: Path, db: Path, *extra: str) -> list[str]:
    return [
        "survey",
        "import",
        str(path),
        "--school",
        SCHOOL,
        "--year",
        YEAR,
        "--survey",
        "staff",
        "--data",
        str(db),
        "--replace",
        *extra,
    ]


def test_every_unknown_label_of_every_column_is_reported_at_once(db, tmp_path, capsys):
    from wqm_nb.data.surveys import load_question_bank

    items = [i.text for i in load_question_bank().surveys["staff"].items[:4]]
    path = tmp_path / "labels.csv"
    rows = [
        ["Timestamp", *items],
        ["2025/11/01 10:00:00", "Agree", "Agree a lot", "Sometimes", "Agree"],
        ["2025/11/02 10:00:00", "Agree a lot", "Agree", "Agree", "Mostly"],
    ]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    status, out, err = run(capsys, survey_import(path, db))
    assert status == 2
    error = err.strip().splitlines()[-1]
    for part in (
        "'Agree a lot' for item S01 (column B)",
        "'Agree a lot' for item S02 (column C)",
        "'Sometimes' for item S03 (column D)",
        "'Mostly' for item S04 (column E)",
    ):
        assert part in error
    assert err.index("file: labels.csv (CSV, UTF-8, comma-separated)") < err.index("wqm: error:")  # what was read
    assert "detected: Google Forms" in err and "B      item S01" in err


def test_a_mapping_line_that_matches_no_column_is_an_error_unless_allowed(db, tmp_path, capsys):
    path = staff_export(tmp_path, {})
    mapping = tmp_path / "m.yaml"
    mapping.write_text('survey: staff\ncolumns:\n  "Staff feel valued by governors": S09\n  "Gone": ignore\n')
    status, _, err = run(capsys, survey_import(path, db, "--mapping", str(mapping)))
    assert status == 2 and '"Staff feel valued by governors": S09' in err and "--allow-missing" in err
    assert '"Gone": ignore' not in err.splitlines()[-1]  # an unused "ignore" loses nothing
    status, out, _ = run(capsys, survey_import(path, db, "--mapping", str(mapping), "--allow-missing"))
    assert status == 0
    assert 'note: the mapping\'s line "Staff feel valued by governors": S09 matches no column' in out


def test_a_header_with_a_no_break_space_or_line_break_matches_its_mapping_line(db, tmp_path, capsys):
    header = "Overall, I\u00a0feel valued\nat work"
    path = staff_export(tmp_path, {header: ["Agree", "Disagree"]})
    mapping = tmp_path / "m.yaml"
    mapping.write_text("survey: staff\ncolumns:\n  'Overall, I feel valued at work': S09\n", encoding="utf-8")
    status, out, _ = run(capsys, survey_import(path, db, "--mapping", str(mapping)))
    assert status == 0 and "F      item S09" in out and "Overall, I feel valued ⏎ at work" in out


def test_unmatched_columns_can_be_left_out_and_are_listed(db, tmp_path, capsys):
    path = staff_export(tmp_path, {"Staff feel valued by governors": ["Agree", "Disagree"]})
    assert run(capsys, survey_import(path, db))[0] == 2
    status, out, _ = run(capsys, survey_import(path, db, "--ignore-unmatched"))
    assert status == 0
    assert "note: not imported, matches no item (--ignore-unmatched): F Staff feel valued by governors" in out


def test_non_scale_number_columns_do_not_block_an_import(db, tmp_path, capsys):
    path = staff_export(
        tmp_path,
        {
            "Rank these 8 priorities": ["1", "8", "3"],
            "Rooms used": ["2", "6"],
            "How likely are you to recommend us (0-10)?": ["9", "10", "7"],
        },
    )
    status, out, _ = run(capsys, survey_import(path, db))
    assert status == 0 and out.count("dropped: free text") == 3


def test_excel_error_cells_are_read_as_not_answered_and_said(db, tmp_path, capsys):
    path = staff_export(tmp_path, {})
    text = path.read_text(encoding="utf-8").replace(
        "Agree,Agree,Agree,Agree,Teacher", "Agree,#N/A,Agree,Agree,Teacher", 1
    )
    path.write_text(text, encoding="utf-8")
    status, out, _ = run(capsys, survey_import(path, db))
    assert status == 0
    assert "note: 1 cell(s) of column C (item S02) hold an Excel error (#N/A), not an answer" in out


def test_survey_map_writes_a_mapping_that_imports_once_edited(db, tmp_path, capsys):
    path = staff_export(tmp_path, {"Staff feel valued by governors": ["Agree", "Agree a lot"]})
    out_file = tmp_path / "map.yaml"
    status, out, err = run(capsys, ["survey", "map", str(path), "--survey", "staff", "--out", str(out_file)])
    assert status == 0 and "edit the 2 line(s) marked '?'" in err and "F      NOT MATCHED" in err
    text = out_file.read_text(encoding="utf-8")
    assert run(capsys, survey_import(path, db, "--mapping", str(out_file)))[0] == 2
    text = text.replace('"Staff feel valued by governors": "?"', '"Staff feel valued by governors": S09')
    text = text.replace('"Agree a lot": "?"', '"Agree a lot": 5')
    out_file.write_text(text, encoding="utf-8")
    status, out, _ = run(capsys, survey_import(path, db, "--mapping", str(out_file)))
    assert status == 0 and "F      item S09" in out


def test_survey_bank_lists_item_ids_and_questions(capsys):
    from wqm_nb.data.surveys import load_question_bank

    status, out, _ = run(capsys, ["survey", "bank", "--survey", "pupil"])
    survey = load_question_bank().surveys["pupil"]
    assert status == 0 and out.startswith("pupil: Pupil survey (answered on ")
    assert all(f"  {i.id:6} {i.text}" in out for i in survey.items) and "staff:" not in out


def test_a_mapping_remembered_for_a_form_maps_its_next_export_and_can_be_declined(db, tmp_path, capsys):
    extra = {"Staff feel valued by governors": ["Agree", "Agree a lot"]}
    first = staff_export(tmp_path, extra, "autumn.csv")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        'survey: staff\ncolumns:\n  "Staff feel valued by governors": S09\nanswer_labels:\n  "Agree a lot": 5\n',
        encoding="utf-8",
    )
    status, _, err = run(capsys, survey_import(first, db, "--mapping", str(mapping), "--remember", "--by", "Sam"))
    assert status == 0 and "saved as saved mapping" in err
    # the spring export of the same form: same questions, other answers, an email column added
    spring = staff_export(tmp_path, {"Email address": ["a@example.org"], **extra}, "spring.csv")
    status, out, err = run(capsys, survey_import(spring, db))
    assert status == 0 and "mapping: saved mapping" in err and "saved by Sam" in err and "from autumn.csv" in err
    assert "G      item S09" in out
    assert run(capsys, survey_import(spring, db, "--no-saved-mapping"))[0] == 2  # declined: the column is unmatched
    other = tmp_path / "other.yaml"
    other.write_text('survey: staff\ncolumns:\n  "Staff feel valued by governors": ignore\n', encoding="utf-8")
    status, out, err = run(capsys, survey_import(spring, db, "--mapping", str(other)))  # --mapping wins
    assert status == 0 and "saved mapping" not in err and "ignored (mapping)" in out

    status, out, _ = run(capsys, ["survey", "mappings", "list", "--data", str(db), "--school", SCHOOL])
    mapping_id = int(out.splitlines()[1].split()[0])
    assert status == 0 and "autumn.csv" in out and "trust" in out
    status, out, _ = run(capsys, ["survey", "mappings", "show", str(mapping_id), "--data", str(db)])
    assert "Staff feel valued by governors: S09" in out and "agree a lot: 5" in out
    assert run(capsys, ["survey", "mappings", "delete", str(mapping_id), "--data", str(db)])[0] == 0
    assert run(capsys, survey_import(spring, db))[0] == 2  # gone
