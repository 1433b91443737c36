from pathlib import Path

import pytest

from wqm_nb.errors import DataFileError
from wqm_nb.store import Store, build_database, import_csv_dir

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


def test_sample_data_imports_seven_schools_with_expected_counts(sample):
    store, counts = sample
    assert counts == {"schools": 7, "cycles": 31, "ratings": 532, "notes": 42, "reflections": 4,
                      "answers": 35332}
    assert [s["school_id"] for s in store.schools()] == [f"NLT0{i}" for i in range(1, 8)]
    assert len(store.school_years()) == 21
    assert store.conn.execute("SELECT count(*) FROM sef_history").fetchone()[0] == 532
    assert store.conn.execute("SELECT sum(length(replace(answers, '.', ''))) FROM survey_answers").fetchone()[0] == 35332


def test_sample_has_vbe_and_leadership_cycles_for_2025_26_and_reflections(sample):
    store, _ = sample
    lm = store.cycles(framework="leadership_management")
    assert len(lm) == 7 and {c["academic_year"] for c in lm} == {"2025-26"}
    vbe = store.cycles(framework="vbe")
    assert {c["school_id"] for c in vbe} == {"NLT01", "NLT02", "NLT06"}
    assert {c["academic_year"] for c in vbe} == {"2025-26"}
    nlt01_vbe = store.cycle("NLT01", "2025-26", "vbe")
    reflections = store.reflections(nlt01_vbe["cycle_id"])
    assert {"stand_out", "next_steps"} <= set(reflections)
    assert reflections["stand_out"]["text"].startswith("Reflection: every class begins the day")


@pytest.mark.parametrize("file, text, row, what", [
    ("sef_ratings.csv", MINIMAL["sef_ratings.csv"] + "S1,wqm,2019-20,P1.1,3,,,\n", 4, "S1 wqm 2019-20"),
    ("sef_ratings.csv", MINIMAL["sef_ratings.csv"] + "S1,vbe,2024-25,A1.1,3,,,\n", 4, "S1 vbe 2024-25"),
    ("adviser_notes.csv", MINIMAL["adviser_notes.csv"].replace("S2,wqm,2024-25", "S2,wqm,2023-24"), 3,
     "S2 wqm 2023-24"),
    ("staff_survey.csv", MINIMAL["staff_survey.csv"].replace("S1,2024-25,s2", "S1,2025-26,s2"), 3,
     "S1 2025-26"),
])
def test_row_naming_a_year_or_cycle_not_in_cycles_csv_is_refused(tmp_path, file, text, row, what):
    err = import_error(write_folder(tmp_path, **{file: text}))
    assert (err.file, err.row) == (file, row)
    assert f"{what} is not listed in cycles.csv" in err.message
    assert str(err).startswith(f"{file}, row {row}: ")


def test_missing_column_is_named(tmp_path):
    folder = write_folder(tmp_path, **{"sef_ratings.csv": "school_id,framework,academic_year,element_id\n"
                                                          "S1,wqm,2024-25,P1.1\n"})
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
        for table in ("schools", "school_years", "cycles", "sef_history", "adviser_notes", "survey_imports",
                      "survey_answers"):
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
