from pathlib import Path

import pytest

from wqm_nb.errors import DataFileError
from wqm_nb.store import CSV_FILES, Store, build_database, import_csv_dir
from wqm_nb.store.csv_exchange import REQUIRED_COLUMNS

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"

from .conftest import MINIMAL, write_folder  # noqa: E402


def import_error(folder: Path) -> DataFileError:
    with Store(":memory:") as store, pytest.raises(DataFileError) as err:
        import_csv_dir(store, folder)
    return err.value


@pytest.fixture(scope="module")
def sample():
    with Store(":memory:") as store:
        counts = import_csv_dir(store, SAMPLE)
        yield store, counts


def test_sample_data_imports_eight_schools_with_expected_counts(sample):
    store, counts = sample
    awards = SAMPLE / "award_decisions.csv"  # optional: the sample may hold decisions
    decisions = len(awards.read_text(encoding="utf-8-sig").strip().splitlines()) - 1 if awards.exists() else 0
    assert counts == {
        "schools": 8,
        "cycles": 36,
        "ratings": 614,
        "notes": 48,
        "reflections": 4,
        "targets": 63,
        "awards": decisions,
        "answers": 40175,
        "scores": 2333,
    }
    assert [s["school_id"] for s in store.schools()] == [f"NLT0{i}" for i in range(1, 9)]
    assert len(store.school_years()) == 24
    assert store.conn.execute("SELECT count(*) FROM sef_history").fetchone()[0] == 614
    assert (
        store.conn.execute("SELECT sum(length(replace(answers, '.', ''))) FROM survey_answers").fetchone()[0] == 40175
    )


def test_sample_has_vbe_and_leadership_cycles_for_2025_26_and_reflections(sample):
    store, _ = sample
    lm = store.cycles(framework="leadership_management")
    assert len(lm) == 8 and {c["academic_year"] for c in lm} == {"2025-26"}
    vbe = store.cycles(framework="vbe")
    assert {c["school_id"] for c in vbe} == {"NLT01", "NLT02", "NLT06"}
    assert {c["academic_year"] for c in vbe} == {"2024-25", "2025-26"}
    nlt01_vbe = store.cycle("NLT01", "2025-26", "vbe")
    reflections = store.reflections(nlt01_vbe["cycle_id"])
    assert {"stand_out", "next_steps"} <= set(reflections)
    assert reflections["stand_out"]["text"].startswith("Reflection: every class begins the day")


@pytest.mark.parametrize(
    "file, text, row, what",
    [
        ("sef_ratings.csv", MINIMAL["sef_ratings.csv"] + "S1,wqm,2019-20,P1.1,3,,,\n", 4, "S1 wqm 2019-20"),
        ("sef_ratings.csv", MINIMAL["sef_ratings.csv"] + "S1,vbe,2024-25,A1.1,3,,,\n", 4, "S1 vbe 2024-25"),
        (
            "adviser_notes.csv",
            MINIMAL["adviser_notes.csv"].replace("S2,wqm,2024-25", "S2,wqm,2023-24"),
            3,
            "S2 wqm 2023-24",
        ),
        ("staff_survey.csv", MINIMAL["staff_survey.csv"].replace("S1,2024-25,s2", "S1,2025-26,s2"), 3, "S1 2025-26"),
    ],
)
def test_row_naming_a_year_or_cycle_not_in_cycles_csv_is_refused(tmp_path, file, text, row, what):
    err = import_error(write_folder(tmp_path, **{file: text}))
    assert (err.file, err.row) == (file, row)
    assert f"{what} is not listed in cycles.csv" in err.message
    assert str(err).startswith(f"{file}, row {row}: ")


def test_missing_column_is_named(tmp_path):
    folder = write_folder(
        tmp_path, **{"sef_ratings.csv": "school_id,framework,academic_year,element_id\nS1,wqm,2024-25,P1.1\n"}
    )
    err = import_error(folder)
    assert err.file == "sef_ratings.csv"
    assert "missing column(s) rating" in err.message
    assert "has: school_id, framework, academic_year, element_id" in err.message


def test_a_cp1252_file_from_excel_is_decoded(tmp_path):
    folder = write_folder(tmp_path)
    schools = MINIMAL["schools.csv"].replace("S2,Test Academy", "S2,École Sainte-Thérèse – Academy")
    (folder / "schools.csv").write_bytes(schools.encode("cp1252"))
    store = Store(":memory:")
    import_csv_dir(store, folder)
    assert store.school("S2")["name"] == "École Sainte-Thérèse – Academy"


def test_a_binary_file_is_a_clear_error(tmp_path):
    folder = write_folder(tmp_path)
    (folder / "schools.csv").write_bytes(b"PK\x03\x04\x00\x00\xff\xfe" * 20)
    err = import_error(folder)
    assert err.file == "schools.csv" and "not a text file" in err.message


def test_bad_school_phase_names_the_row(tmp_path):
    schools = MINIMAL["schools.csv"].replace("S2,Test Academy,secondary", "S2,Test Academy,nursery")
    err = import_error(write_folder(tmp_path, **{"schools.csv": schools}))
    assert (err.file, err.row) == ("schools.csv", 3)
    assert "phase must be one of" in err.message and "'nursery'" in err.message


def test_import_is_all_or_nothing(tmp_path):
    # everything is valid up to the last rating row, which is off the scale
    ratings = MINIMAL["sef_ratings.csv"] + "S1,wqm,2024-25,P1.3,9,,,\n"
    folder = write_folder(tmp_path, **{"sef_ratings.csv": ratings})
    with Store(":memory:") as store:
        with pytest.raises(DataFileError, match="rating 9 is not on the maturity scale"):
            import_csv_dir(store, folder)
        for table in (
            "schools",
            "school_years",
            "cycles",
            "sef_history",
            "adviser_notes",
            "survey_imports",
            "survey_answers",
        ):
            assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
        # the store is still usable after the rollback
        assert import_csv_dir(store, write_folder(tmp_path / "good"))["schools"] == 2


def test_build_database_writes_a_complete_store(tmp_path):
    target = build_database(write_folder(tmp_path / "csv"), tmp_path / "out" / "wqm.sqlite")
    assert target == tmp_path / "out" / "wqm.sqlite"
    assert sorted(p.name for p in target.parent.iterdir()) == ["wqm.sqlite"]
    with Store(target) as store:
        assert [s["school_id"] for s in store.schools()] == ["S1", "S2"]
        assert len(store.rating_history(store.cycle("S1", "2024-25")["cycle_id"])) == 2


def test_build_database_failure_leaves_no_target_and_no_temp_files(tmp_path):
    bad = write_folder(tmp_path / "bad", **{"cycles.csv": MINIMAL["cycles.csv"] + "S1,nonesuch,2024-25\n"})
    out = tmp_path / "out"
    with pytest.raises(DataFileError, match="unknown framework 'nonesuch'"):
        build_database(bad, out / "wqm.sqlite")
    assert list(out.iterdir()) == []


def test_build_database_failure_keeps_the_previous_store(tmp_path):
    target = build_database(write_folder(tmp_path / "good"), tmp_path / "out" / "wqm.sqlite")
    before = target.read_bytes()
    bad = write_folder(tmp_path / "bad", **{"schools.csv": MINIMAL["schools.csv"].replace("primary", "nursery")})
    with pytest.raises(DataFileError):
        build_database(bad, target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["wqm.sqlite"]


# -- sef_ratings.csv: sorting, blank ratings, source ---------------------------------------------------------------

SEF_HEADER = "school_id,framework,academic_year,element_id,rating,evidence,sorting,recorded_by,recorded_at\n"


def imported(folder: Path) -> Store:
    store = Store(":memory:")
    import_csv_dir(store, folder)
    return store


def test_the_format_lists_sorting_and_targets_with_their_required_columns():
    assert CSV_FILES["sef"][1] == [
        "school_id",
        "framework",
        "academic_year",
        "element_id",
        "rating",
        "evidence",
        "sorting",
        "recorded_by",
        "recorded_at",
    ]
    assert CSV_FILES["targets"] == (
        "targets.csv",
        [
            "school_id",
            "framework",
            "academic_year",
            "target_id",
            "principle_id",
            "text",
            "owner",
            "review_date",
            "status",
            "recorded_by",
            "recorded_at",
        ],
    )
    assert "sorting" not in REQUIRED_COLUMNS["sef"]
    assert REQUIRED_COLUMNS["targets"] == CSV_FILES["targets"][1][:-2]  # who and when may be left out
    for kind, (_, columns) in CSV_FILES.items():
        assert set(REQUIRED_COLUMNS[kind]) <= set(columns), kind


def test_sorting_as_code_or_label_blank_ratings_and_source_csv(tmp_path):
    ratings = SEF_HEADER + (
        "S1,wqm,2024-25,P1.1,3,Policy,doing_now,Head,2024-11-01T09:00:00\n"
        "S1,wqm,2024-25,P1.2,,Evidence before a rating,We want to do this,Head,2024-11-01T09:00:00\n"
        "S1,wqm,2024-25,P1.3,, Rating cleared ,,Head,2024-11-01T09:00:00\n"
        "S1,wqm,2024-25,P1.4,2,,  we don\u2019t want to / don\u2019t understand THIS ,Head,2024-11-01T09:00:00\n"
        "S1,wqm,2024-25,P1.5,1,,Want-To-Do,Head,2024-11-01T09:00:00\n"
    )
    store = imported(write_folder(tmp_path, **{"sef_ratings.csv": ratings}))
    cycle = store.cycle("S1", "2024-25")["cycle_id"]
    current = store.current_elements(cycle)
    assert {e: (r["rating"], r["evidence"], r["sorting"], r["source"]) for e, r in current.items()} == {
        "P1.1": (3, "Policy", "doing_now", "csv"),
        "P1.2": (None, "Evidence before a rating", "want_to_do", "csv"),
        "P1.3": (None, "Rating cleared", "", "csv"),
        "P1.4": (2, "", "not_for_us", "csv"),
        "P1.5": (1, "", "want_to_do", "csv"),
    }


def test_a_ratings_file_without_a_sorting_column_still_imports(tmp_path):
    store = imported(write_folder(tmp_path))
    rows = store.element_history(store.cycle("S1", "2024-25")["cycle_id"], "P1.1")
    assert [(r["rating"], r["sorting"], r["source"]) for r in rows] == [(3, "", "csv")]


@pytest.mark.parametrize(
    "row, column, message",
    [
        (
            "S1,wqm,2024-25,P1.3,2,,sometimes,,\n",
            "sorting",
            "sorting 'sometimes' is not one of doing_now (We do this now); want_to_do (We want to do this); "
            "not_for_us (We don't want to / don't understand this)",
        ),
        ("S1,wqm,2024-25,P1.3,5,,,,\n", "rating", "element P1.3: rating 5 is not on the maturity scale [1, 2, 3, 4]"),
        ("S1,wqm,2024-25,P1.3,two,,,,\n", "rating", "element P1.3: rating must be a whole number, got 'two'"),
        ("S1,wqm,2024-25,A1.1,2,,,,\n", "element_id", "element 'A1.1' is not in framework 'wqm'"),
    ],
)
def test_a_bad_rating_row_names_file_row_and_column(tmp_path, row, column, message):
    ratings = SEF_HEADER + "S1,wqm,2024-25,P1.1,3,Policy,doing_now,Head,2024-11-01T09:00:00\n" + row
    err = import_error(write_folder(tmp_path, **{"sef_ratings.csv": ratings}))
    assert (err.file, err.row, err.column, err.message) == ("sef_ratings.csv", 3, column, message)
    assert str(err) == f"sef_ratings.csv, row 3, column {column!r}: {message}"


# -- targets.csv -------------------------------------------------------------------------------------------------

TARGETS_HEADER = (
    "school_id,framework,academic_year,target_id,principle_id,text,owner,review_date,status,recorded_by,recorded_at\n"
)
TWO_YEARS = MINIMAL["cycles.csv"] + "S1,wqm,2025-26\nS1,vbe,2025-26\n"


def test_targets_rows_are_successive_entries_of_each_target(tmp_path):
    targets = TARGETS_HEADER + (
        "S1,wqm,2024-25,T-1,P1,Train TAs,SENCo,2025-03-31,,Head,2024-10-01T09:00:00\n"
        "S1,wqm,2024-25,T-2,,Whole school target,,,open,Head,2024-10-01T09:00:00\n"
        "S1,wqm,2024-25,T-1,,Train TAs in emotion coaching,SENCo,2025-06-30,In progress,Head,2025-01-10T09:00:00\n"
        "S1,wqm,2024-25,T-2,,Whole school target,,,achieved,Deputy,2025-02-01T09:00:00\n"
        "S1,wqm,2024-25,T-1,,Train TAs in emotion coaching,,2025-06-30,,Head,2025-03-01T09:00:00\n"
    )
    store = Store(":memory:")
    counts = import_csv_dir(store, write_folder(tmp_path, **{"targets.csv": targets}))
    assert counts["targets"] == 5
    cycle = store.cycle("S1", "2024-25")["cycle_id"]
    assert [
        (t["target_id"], t["principle_id"], t["text"], t["owner"], t["review_date"], t["status"])
        for t in store.targets(cycle)
    ] == [
        ("T-1", "P1", "Train TAs in emotion coaching", "", "2025-06-30", "in_progress"),  # blank status: unchanged
        ("T-2", "", "Whole school target", "", "", "achieved"),
    ]
    assert [t["status"] for t in store.target_history(cycle, "T-1")] == ["open", "in_progress", "in_progress"]
    assert [t["recorded_by"] for t in store.target_history(cycle, "T-2")] == ["Head", "Deputy"]
    assert store.target(cycle, "T-1")["carried_from"] is None


def test_a_target_id_of_an_earlier_year_is_carried_from_it(tmp_path):
    targets = TARGETS_HEADER + (  # the later year first: the import goes by year
        "S1,wqm,2025-26,T-1,P1,Train TAs,SENCo,2026-03-31,in_progress,,\n"
        "S1,wqm,2025-26,T-3,P2,New this year,,,,,\n"
        "S1,wqm,2024-25,T-1,P1,Train TAs,SENCo,2025-06-30,open,,\n"
        "S1,vbe,2025-26,T-1,A1,Same id in another framework,,,,,\n"
    )
    store = imported(write_folder(tmp_path, **{"cycles.csv": TWO_YEARS, "targets.csv": targets}))
    first, second = store.cycle("S1", "2024-25")["cycle_id"], store.cycle("S1", "2025-26")["cycle_id"]
    vbe = store.cycle("S1", "2025-26", "vbe")["cycle_id"]
    assert store.target(second, "T-1")["carried_from"] == first
    assert store.target(second, "T-3")["carried_from"] is None
    assert store.target(vbe, "T-1")["carried_from"] is None
    assert store.target(first, "T-1")["status"] == "open"
    assert store.target(second, "T-1")["review_date"] == "2026-03-31"


def test_a_folder_without_targets_imports_none(tmp_path):
    store = Store(":memory:")
    assert import_csv_dir(store, write_folder(tmp_path))["targets"] == 0
    assert store.conn.execute("SELECT count(*) FROM target_history").fetchone()[0] == 0


@pytest.mark.parametrize(
    "row, column, message",
    [
        ("S1,wqm,2024-25,,P1,No id,,,,,\n", "target_id", "no target id"),
        (
            "S1,wqm,2024-25,T-9,P8,Bad principle,,,,,\n",
            "principle_id",
            "principle 'P8' is not in framework 'wqm' (its principles: P1, P2, P3, P4, P5, P6, P7)",
        ),
        (
            "S1,wqm,2024-25,T-9,P1,Bad date,,31/03/2025,,,\n",
            "review_date",
            "review date '31/03/2025' is not a date written YYYY-MM-DD",
        ),
        (
            "S1,wqm,2024-25,T-9,P1,Bad date,,2025-02-30,,,\n",
            "review_date",
            "review date '2025-02-30' is not a date written YYYY-MM-DD",
        ),
        (
            "S1,wqm,2024-25,T-9,P1,Bad status,,,done,,\n",
            "status",
            "status 'done' is not one of open, in_progress, achieved, dropped",
        ),
        ("S1,wqm,2019-20,T-9,P1,Year not listed,,,,,\n", None, "S1 wqm 2019-20 is not listed in cycles.csv"),
    ],
)
def test_a_bad_target_row_names_file_row_and_column_and_nothing_is_imported(tmp_path, row, column, message):
    targets = TARGETS_HEADER + "S1,wqm,2024-25,T-1,P1,Good,,,,,\n" + row
    folder = write_folder(tmp_path, **{"targets.csv": targets})
    err = import_error(folder)
    assert (err.file, err.row, err.column, err.message) == ("targets.csv", 3, column, message)
    with Store(":memory:") as store:
        with pytest.raises(DataFileError):
            import_csv_dir(store, folder)
        for table in ("schools", "sef_history", "target_history"):
            assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_a_targets_file_missing_a_column_is_named(tmp_path):
    err = import_error(
        write_folder(
            tmp_path, **{"targets.csv": "school_id,framework,academic_year,target_id,text\nS1,wqm,2024-25,T-1,x\n"}
        )
    )
    assert err.file == "targets.csv"
    assert "missing column(s) principle_id, owner, review_date, status" in err.message


def test_targets_without_who_and_when_get_the_clock(tmp_path):
    targets = (
        "school_id,framework,academic_year,target_id,principle_id,text,owner,review_date,status\n"
        "S1,wqm,2024-25,T-1,P1,Undated,,,\n"
    )
    store = Store(":memory:")
    store.clock = lambda: "2025-05-05T05:05:05+00:00"
    import_csv_dir(store, write_folder(tmp_path, **{"targets.csv": targets}))
    target = store.target(store.cycle("S1", "2024-25")["cycle_id"], "T-1")
    assert (target["recorded_by"], target["recorded_at"], target["status"]) == ("", "2025-05-05T05:05:05+00:00", "open")


# -- award_decisions.csv -----------------------------------------------------------------------------------------

AWARDS_HEADER = "school_id,framework,level,academic_year,decided_on,assessor,outcome,reasons,recorded_by,recorded_at\n"


def test_the_format_lists_award_decisions_as_an_optional_file():
    assert CSV_FILES["awards"] == (
        "award_decisions.csv",
        [
            "school_id",
            "framework",
            "level",
            "academic_year",
            "decided_on",
            "assessor",
            "outcome",
            "reasons",
            "recorded_by",
            "recorded_at",
        ],
    )
    assert REQUIRED_COLUMNS["awards"] == CSV_FILES["awards"][1][:-2]  # who and when may be left out


def test_award_decisions_are_imported_with_outcome_labels_and_years_before_the_cycles(tmp_path):
    awards = AWARDS_HEADER + (
        "S1,wqm,approved,2019-20,2020-06-01,J. Reed,awarded,All principles met,Consultant,2020-06-02T10:00:00\n"
        "S1,wqm,champion,2022-23,2023-06-30,J. Reed,Awarded,,,\n"
        "S1,wqm,beacon,2024-25,2025-06-30,, Not Awarded ,Too early: Champion held 2 years,,\n"
        "S1,vbe,quality_mark,2024-25,2025-03-01,A. Adviser,deferred,,,\n"
    )
    store = Store(":memory:")
    store.clock = lambda: "2026-01-01T00:00:00+00:00"
    counts = import_csv_dir(store, write_folder(tmp_path, **{"award_decisions.csv": awards}))
    assert counts["awards"] == 4
    rows = store.award_decisions("S1")
    assert [(d["framework"], d["level"], d["academic_year"], d["outcome"]) for d in rows] == [
        ("wqm", "approved", "2019-20", "awarded"),
        ("wqm", "champion", "2022-23", "awarded"),
        ("vbe", "quality_mark", "2024-25", "deferred"),
        ("wqm", "beacon", "2024-25", "not_awarded"),
    ]  # by date
    first, second = rows[0], rows[1]
    assert (first["decided_on"], first["assessor"], first["reasons"], first["recorded_by"], first["recorded_at"]) == (
        "2020-06-01",
        "J. Reed",
        "All principles met",
        "Consultant",
        "2020-06-02T10:00:00",
    )
    assert (second["recorded_by"], second["recorded_at"]) == ("", "2026-01-01T00:00:00+00:00")
    assert "2019-20" not in [y["academic_year"] for y in store.school_years("S1")]


@pytest.mark.parametrize(
    "row, column, message",
    [
        ("S9,wqm,approved,2024-25,2025-06-30,,awarded,,,\n", "school_id", "school 'S9' is not in schools.csv"),
        (
            "S1,wqm,platinum,2024-25,2025-06-30,,awarded,,,\n",
            "level",
            "level 'platinum' is not a level of 'wqm' (its levels: approved, champion, beacon)",
        ),
        ("S1,nope,approved,2024-25,2025-06-30,,awarded,,,\n", "framework", "unknown framework 'nope'"),
        (
            "S1,leadership_management,approved,2024-25,2025-06-30,,awarded,,,\n",
            "framework",
            "Leadership and Management has no award levels",
        ),
        ("S1,wqm,approved,2024/25,2025-06-30,,awarded,,,\n", "academic_year", "2024/25"),
        (
            "S1,wqm,approved,2024-25,30/06/2025,,awarded,,,\n",
            "decided_on",
            "decision date '30/06/2025' is not a date written YYYY-MM-DD",
        ),
        ("S1,wqm,approved,2024-25,,,awarded,,,\n", "decided_on", "no decision date (YYYY-MM-DD)"),
        (
            "S1,wqm,approved,2024-25,2025-06-30,,passed,,,\n",
            "outcome",
            "outcome 'passed' is not one of awarded, not_awarded, deferred, withdrawn",
        ),
    ],
)
def test_a_bad_award_row_names_file_row_and_column_and_nothing_is_imported(tmp_path, row, column, message):
    awards = AWARDS_HEADER + "S1,wqm,approved,2023-24,2024-06-30,,awarded,,,\n" + row
    folder = write_folder(tmp_path, **{"award_decisions.csv": awards})
    err = import_error(folder)
    assert (err.file, err.row, err.column) == ("award_decisions.csv", 3, column)
    assert message in err.message
    with Store(":memory:") as store:
        with pytest.raises(DataFileError):
            import_csv_dir(store, folder)
        assert store.conn.execute("SELECT count(*) FROM award_decisions").fetchone()[0] == 0


def test_an_awards_file_missing_a_column_is_named(tmp_path):
    err = import_error(
        write_folder(
            tmp_path, **{"award_decisions.csv": "school_id,framework,level,academic_year\nS1,wqm,approved,2024-25\n"}
        )
    )
    assert err.file == "award_decisions.csv"
    assert "missing column(s) decided_on, assessor, outcome, reasons" in err.message


# -- validated measures ------------------------------------------------------------------------------------------

MEASURED = (
    "school_id,academic_year,respondent,role,S01,swemwbs.raw,swemwbs.metric\n"
    "S1,2024-25,s1,teaching,4,24,21.54\n"
    "S1,2024-25,s2,support,,35,35\n"
    "S1,2024-25,s3,teaching,3,,\n"
)


def test_measure_scores_in_a_survey_file_are_stored_per_respondent(tmp_path):
    folder = write_folder(tmp_path / "m", **{"staff_survey.csv": MEASURED})
    with Store(":memory:") as store:
        counts = import_csv_dir(store, folder)
        assert counts["scores"] == 4 and counts["answers"] == 2
        year = store.school_year("S1", "2024-25")["school_year_id"]
        frame = store.survey_scores(year)
        assert sorted(zip(frame["respondent"], frame["score_id"], frame["value"], frame["subgroup"], strict=False)) == [
            ("s1", "metric", 21.54, "teaching"),
            ("s1", "raw", 24.0, "teaching"),
            ("s2", "metric", 35.0, "support"),
            ("s2", "raw", 35.0, "support"),
        ]
        # s2 answered no survey item but has scores: kept
        assert set(store.survey_data(year).blocks["staff"].respondents) == {"s1", "s2", "s3"}


def test_an_sdq_score_gets_its_band_from_the_informants_banding(tmp_path):
    pupils = (
        "school_id,academic_year,respondent,year_group,U01,sdq.emotional,sdq.informant\n"
        "S2,2024-25,p1,Y7,4,4,\n"  # self-report by default in the pupil survey: 4 is Normal
        "S2,2024-25,p2,Y7,4,6,\n"  # 6 is Borderline
        "S2,2024-25,p3,Y8,4,5,teacher\n"
    )  # the teacher's 4-band table: 5 is High
    with Store(":memory:") as store:
        import_csv_dir(store, write_folder(tmp_path / "sdq", **{"pupil_survey.csv": pupils}))
        frame = store.survey_scores(store.school_year("S2", "2024-25")["school_year_id"])
        assert sorted(zip(frame["respondent"], frame["informant"], frame["band"], strict=False)) == [
            ("p1", "self", "Normal"),
            ("p2", "self", "Borderline"),
            ("p3", "teacher", "High"),
        ]


@pytest.mark.parametrize(
    "cells, column, message",
    [
        ("36,35", "swemwbs.raw", "36 is outside the swemwbs raw score's range 7-35"),
        ("24.5,21.54", "swemwbs.raw", "24.5 is not a whole number"),
        (
            "24,22",
            "swemwbs.metric",
            "22 is not the swemwbs metric score of a swemwbs raw score of 24 (the conversion table gives 21.54)",
        ),
        (",22", "swemwbs.metric", "22 is not a value of the swemwbs metric score's conversion table"),
        ("x,21.54", "swemwbs.raw", "'x' is not a number"),
    ],
)
def test_a_bad_score_names_file_row_and_column(tmp_path, cells, column, message):
    text = (
        "school_id,academic_year,respondent,role,S01,swemwbs.raw,swemwbs.metric\n"
        f"S1,2024-25,s1,teaching,4,24,21.54\nS1,2024-25,s2,teaching,4,{cells}\n"
    )
    err = import_error(write_folder(tmp_path / "bad", **{"staff_survey.csv": text}))
    assert (err.file, err.row, err.column) == ("staff_survey.csv", 3, column)
    assert message in err.message


def test_an_unknown_score_or_column_is_named(tmp_path):
    text = "school_id,academic_year,respondent,role,S01,swemwbs.total\nS1,2024-25,s1,teaching,4,24\n"
    err = import_error(write_folder(tmp_path / "unknown", **{"staff_survey.csv": text}))
    assert "swemwbs has no score 'total'" in str(err)
    text = "school_id,academic_year,respondent,role,S01,wemwbs.raw\nS1,2024-25,s1,teaching,4,24\n"
    err = import_error(write_folder(tmp_path / "other", **{"staff_survey.csv": text}))
    assert "wemwbs.raw" in str(err) and "<instrument>.<score>" in str(err)


def test_an_sdq_total_must_be_the_sum_of_its_scales(tmp_path):
    text = (
        "school_id,academic_year,respondent,R01,sdq.emotional,sdq.conduct,sdq.hyperactivity,sdq.peer,"
        "sdq.total_difficulties\nS1,2024-25,c1,4,2,2,2,2,9\n"
    )
    err = import_error(write_folder(tmp_path / "sum", **{"parent_survey.csv": text}))
    assert err.column == "sdq.total_difficulties" and "not the sum" in err.message


def test_a_scratch_store_file_caches_nothing_like_a_folder_in_memory(tmp_path):
    from wqm_nb.model.benchmarks import IN_MEMORY, school_benchmarks

    folder = write_folder(tmp_path / "csv")
    scratch = build_database(folder, tmp_path / "scratch.sqlite", scratch=True)
    kept = build_database(folder, tmp_path / "kept.sqlite")
    with Store.open(scratch, read_only=True) as a, Store.open(kept, read_only=True) as b, Store.open(folder) as c:
        assert a.scratch and not b.scratch and c.scratch
        computed = school_benchmarks(a, "S1", "2024-25", "wqm")
        assert set(computed["computed_at"]) <= {IN_MEMORY}
        assert computed.equals(school_benchmarks(c, "S1", "2024-25", "wqm"))
        assert len(school_benchmarks(b, "S1", "2024-25", "wqm")) == 0  # a kept store reads its cache
