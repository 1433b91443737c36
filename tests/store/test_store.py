import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from wqm_nb.errors import StoreError, UnknownSchoolError, UnknownYearError
from wqm_nb.settings import check_academic_year
from wqm_nb.store import Store, academic_year_of, build_database


@pytest.fixture
def cycle(store):
    store.add_school("S1", "Test Primary", "primary", trust="Test Trust", pupils=200)
    return store.ensure_cycle("S1", "2024-25")


def test_schools_years_and_cycles(store, cycle):
    assert store.school("S1")["name"] == "Test Primary"
    assert store.ensure_cycle("S1", "2024-25") == cycle  # idempotent
    later = store.ensure_cycle("S1", "2025-26")
    vbe = store.ensure_cycle("S1", "2025-26", "vbe")
    assert store.school_year("S1")["academic_year"] == "2025-26"  # latest by default
    assert store.cycle("S1", "2024-25")["cycle_id"] == cycle
    assert store.cycle("S1", "2025-26", "vbe")["cycle_id"] == vbe != later
    assert store.cycle("S1", "2024-25", "vbe") is None  # no VbE self-evaluation that year
    assert [c["academic_year"] for c in store.cycles("S1", "wqm")] == ["2024-25", "2025-26"]
    # one school year carries both frameworks' cycles
    assert [y["academic_year"] for y in store.school_years("S1")] == ["2024-25", "2025-26"]
    with pytest.raises(UnknownSchoolError, match="unknown school 'S9' \\(known: S1\\)"):
        store.school("S9")
    with pytest.raises(UnknownYearError, match="no data for 2019-20 \\(years: 2024-25, 2025-26\\)"):
        store.school_year("S1", "2019-20")


@pytest.mark.parametrize("year", ["2024/25", "2024-26", "24-25", "2024-2025"])
def test_academic_year_is_checked(store, year):
    """Store writes refuse a malformed academic year."""
    store.add_school("S1", "Test Primary", "primary")
    with pytest.raises(StoreError, match="academic year"):
        store.ensure_cycle("S1", year)


def test_academic_year_helpers():
    from datetime import datetime

    assert check_academic_year("2099-00") == "2099-00"
    assert academic_year_of(datetime(2026, 11, 23)) == "2026-27"
    assert academic_year_of(datetime(2026, 7, 1)) == "2025-26"


def test_school_phase_is_checked(store):
    with pytest.raises(StoreError, match="phase"):
        store.add_school("S2", "X", "nursery")
    with pytest.raises(StoreError, match="not a valid school id"):
        store.add_school("../x", "X", "primary")
    with pytest.raises(StoreError, match="S3"):
        store.add_school("S3", "Y", "primary")
        store.add_school("S3", "Y again", "primary")


def test_ratings_history_is_append_only_and_latest_counts(store, cycle):
    store.record_rating(cycle, "P1.1", 2, "Draft plan", recorded_by="head")
    store.record_rating(cycle, "P1.1", 3, "Plan agreed with governors", recorded_by="head")
    store.record_rating(cycle, "P2.1", 1)
    current = store.current_ratings(cycle).set_index("element_id")
    assert current.loc["P1.1", "rating"] == 3
    assert current.loc["P1.1", "evidence"] == "Plan agreed with governors"
    assert len(current) == 2
    history = store.rating_history(cycle, "P1.1")
    assert list(history["rating"]) == [2, 3]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("UPDATE sef_history SET rating = 4")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        store.conn.execute("DELETE FROM sef_history")
    assert list(store.rating_history(cycle, "P1.1")["rating"]) == [2, 3]


def test_current_rating_is_the_latest_recorded_not_the_last_entered(store, cycle):
    store.record_rating(cycle, "P1.1", 3, "March", recorded_at="2025-03-01T10:00:00")
    store.record_rating(cycle, "P1.1", 2, "November draft", recorded_at="2024-11-01T10:00:00")
    assert store.current_ratings(cycle).set_index("element_id").loc["P1.1", "evidence"] == "March"


def test_reflections_keep_history_and_check_the_framework(store):
    store.add_school("S2", "Values Primary", "primary")
    vbe = store.ensure_cycle("S2", "2025-26", "vbe")
    store.record_reflection(vbe, "next_steps", "First draft", author="AR", recorded_at="2025-06-01T10:00:00")
    store.record_reflection(vbe, "next_steps", "Agreed", author="AR", recorded_at="2025-06-02T10:00:00")
    assert store.reflections(vbe)["next_steps"]["text"] == "Agreed"
    with pytest.raises(StoreError, match="reflection 'summary' is not in framework 'vbe'"):
        store.record_reflection(vbe, "summary", "x")
    with pytest.raises(StoreError, match="not in framework 'wqm'"):
        store.record_reflection(store.ensure_cycle("S2", "2025-26"), "next_steps", "x")


def test_a_bad_rating_writes_nothing(store, cycle):
    batch = [
        dict(element_id="P1.1", rating=3, evidence="ok"),
        dict(element_id="P1.2", rating=4, evidence="ok"),
        dict(element_id="P1.3", rating=9, evidence="off the scale"),
    ]
    with pytest.raises(StoreError, match="rating 9 is not on the maturity scale"):
        store.record_ratings(cycle, batch)
    assert store.rating_history(cycle).empty
    with pytest.raises(StoreError, match="not in framework"):
        store.record_ratings(cycle, [dict(element_id="P1.1", rating=3), dict(element_id="X9", rating=3)])
    with pytest.raises(StoreError, match="whole number"):
        store.record_rating(cycle, "P1.1", "three")
    assert store.rating_history(cycle).empty


def test_transaction_rolls_back_everything_inside(store, cycle):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.record_rating(cycle, "P1.1", 3)
            store.add_note(cycle, "Visit went well", author="AR")
            raise RuntimeError("power cut")
    assert store.rating_history(cycle).empty
    assert store.notes(cycle).empty
    # and a later write still works
    store.record_rating(cycle, "P1.1", 3)
    assert len(store.rating_history(cycle)) == 1


def test_transactions_persist_to_file(tmp_path):
    path = tmp_path / "w.sqlite"
    with Store(path) as s:
        s.add_school("S1", "Test", "secondary")
        s.record_rating(s.ensure_cycle("S1", "2025-26"), "P5.1", 4, "policy")
    with Store.open(path) as s:
        assert s.current_ratings(s.cycle("S1", "2025-26")["cycle_id"])["rating"].tolist() == [4]


def test_adviser_notes(store, cycle):
    store.add_note(cycle, "Strong pupil voice", author="AR", principle_id="P2", created_at="2025-01-01T10:00:00")
    store.add_note(cycle, "Whole school point", author="AR", created_at="2025-02-01T10:00:00")
    notes = store.notes(cycle)
    assert notes["note"].tolist() == ["Strong pupil voice", "Whole school point"]
    assert notes["principle_id"].tolist() == ["P2", ""]
    with pytest.raises(StoreError, match="P8"):
        store.add_note(cycle, "x", principle_id="P8")
    with pytest.raises(StoreError, match="text"):
        store.add_note(cycle, "   ")


def test_survey_responses_are_validated_and_stored_long(store, cycle):
    year = store.school_year("S1", "2024-25")["school_year_id"]
    wide = pd.DataFrame(
        [dict(respondent="a", role="teaching", S01=5, S02=None), dict(respondent="b", role="support", S01="4", S02=2)]
    )
    assert store.add_survey_responses(year, "staff", wide) == 3
    long = store.survey_responses(year, "staff")
    assert sorted(zip(long["respondent"], long["item_id"], long["value"], strict=False)) == [
        ("a", "S01", 5),
        ("b", "S01", 4),
        ("b", "S02", 2),
    ]
    assert set(long["subgroup"]) == {"teaching", "support"}
    with pytest.raises(StoreError, match="Likert"):
        store.add_survey_responses(year, "staff", pd.DataFrame([dict(respondent="c", S01=6)]))
    with pytest.raises(StoreError, match="unknown item"):
        store.add_survey_responses(year, "staff", pd.DataFrame([dict(respondent="c", U01=3)]))
    with pytest.raises(StoreError, match="unknown survey"):
        store.add_survey_responses(year, "governor", wide)
    with pytest.raises(StoreError, match="role"):
        store.add_survey_responses(year, "staff", pd.DataFrame([dict(respondent="c", role="head", S01=3)]))
    assert len(store.survey_responses(year)) == 3


def test_sample_data_imports(sample_db):
    with Store.open(sample_db) as s:
        assert len(s.schools()) == 8
        assert len(s.school_years()) == 24
        assert len(s.cycles(framework="wqm")) == 24
        c = s.cycle("NLT01", "2025-26")["cycle_id"]
        assert len(s.current_ratings(c)) == 20  # every WQM element rated
        year = s.school_year("NLT01", "2025-26")["school_year_id"]
        assert set(s.survey_responses(year)["survey"]) == {"staff", "pupil", "parent", "staff_audit"}
        assert len(s.notes(c)) == 2


def test_build_database_replaces_target(tmp_path, sample_dir):
    target = tmp_path / "copy.sqlite"
    target.write_text("not a database")
    build_database(sample_dir, target)
    with Store.open(target) as s:
        assert len(s.schools()) == 8


def test_open_missing_location(tmp_path):
    with pytest.raises(StoreError, match="no data"):
        Store.open(tmp_path / "nothing.sqlite")


def foreign_sqlite(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("read_only", [False, True], ids=["write open", "read-only open"])
def test_a_file_that_is_not_a_wqm_store_is_a_clear_error_and_is_not_written(tmp_path, read_only):
    text = tmp_path / "notes.csv"
    text.write_text("school_id,name\nX,Y\n" * 50)
    other = foreign_sqlite(tmp_path / "other.sqlite")
    app = tmp_path / "app.sqlite"
    conn = sqlite3.connect(app)
    conn.execute("PRAGMA application_id = 42")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    conn.commit()
    conn.close()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for path in (text, other, app):
        with pytest.raises(StoreError, match="not a wqm store"):
            Store(path, read_only=read_only)
        with pytest.raises(StoreError, match="not a wqm store"):
            Store.open(path, read_only=read_only)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no -wal, -shm or journal either
    assert sqlite3.connect(other).execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]


def test_an_older_schema_says_what_to_do(tmp_path):
    """A read-only open names the command that migrates; a write open that cannot migrate changes nothing."""
    path = tmp_path / "old.sqlite"
    with Store(path):
        pass
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")  # a version 3 store labelled 2
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=f"schema version 2.*run `wqm migrate --data {path}` to upgrade it"):
        Store(path, read_only=True)
    with pytest.raises(StoreError, match="migration from schema version 2 failed.*the store is unchanged"):
        Store(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.sqlite"]  # the backup of a failed migration goes


def test_read_only_open_writes_nothing(tmp_path):
    path = tmp_path / "wqm.sqlite"
    with Store(path) as store:
        store.add_school("S1", "Test Primary", "primary")
    before = path.read_bytes()
    with Store(path, read_only=True) as store:
        assert [s["school_id"] for s in store.schools()] == ["S1"]
        with pytest.raises(StoreError, match="opened read-only; nothing was written"):
            store.add_school("S2", "Other", "primary")
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
            store.conn.execute("CREATE TABLE t (x)")
    assert path.read_bytes() == before
    with pytest.raises(StoreError):
        Store(tmp_path / "absent.sqlite", read_only=True)
    assert not (tmp_path / "absent.sqlite").exists()
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with pytest.raises(StoreError, match="not a wqm store \\(an empty file\\)"):
        Store(empty, read_only=True)
    assert empty.read_bytes() == b""


def test_a_folder_opened_read_only_refuses_writes(sample_dir):
    with Store.open(sample_dir, read_only=True) as store:
        assert len(store.schools()) == 8
        with pytest.raises(StoreError, match="read-only"):
            store.add_school("S9", "X", "primary")


def test_write_opens_use_wal_so_readers_do_not_wait(tmp_path):
    path = tmp_path / "wqm.sqlite"
    with Store(path) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        store.conn.execute("PRAGMA journal_mode = DELETE")  # as a store made by an older wqm
        store.add_school("S1", "Test Primary", "primary")
    with Store(path, read_only=True) as reader:
        assert reader.conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # read-only changes nothing
    with Store(path) as writer:
        assert writer.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        with writer.transaction():
            writer.add_school("S2", "Test Academy", "secondary")
            start = time.monotonic()
            with Store(path, read_only=True, timeout=5) as reader:
                assert [s["school_id"] for s in reader.schools()] == ["S1"]  # the last committed state
            assert time.monotonic() - start < 1
    with Store(path, read_only=True) as reader:
        assert [s["school_id"] for s in reader.schools()] == ["S1", "S2"]


def test_a_second_writer_waits_for_the_first(tmp_path):
    path = tmp_path / "wqm.sqlite"
    with Store(path) as first, Store(path, timeout=0.2) as impatient:
        first.add_school("S1", "Test Primary", "primary")
        done = threading.Event()
        with first.transaction():
            first.add_school("S2", "Test Academy", "secondary")
            with pytest.raises(StoreError) as err:
                impatient.add_school("S3", "Third", "primary")
            assert str(err.value) == (f"the store {path} is busy: another wqm command is writing to it; try again")

            def wait_then_write() -> None:
                with Store(path, timeout=10) as patient:  # a connection belongs to its thread
                    patient.add_school("S4", "Fourth", "special")
                done.set()

            thread = threading.Thread(target=wait_then_write)
            thread.start()
            time.sleep(0.3)
            assert not done.is_set()  # still waiting for the lock
        thread.join(10)
        assert done.is_set()
        assert [s["school_id"] for s in first.schools()] == ["S1", "S2", "S4"]


WRITER = """
import sys
from wqm_nb.store import Store
with Store(sys.argv[1]) as store, store.transaction():
    store.add_school("P1", "Process Primary", "primary")
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_a_writer_in_another_process_makes_a_clear_busy_error(tmp_path):
    path = tmp_path / "wqm.sqlite"
    with Store(path) as store:
        store.add_school("S1", "Test Primary", "primary")
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert child.stdout.readline().strip() == "locked"
        with Store(path, timeout=0.2) as store:
            with pytest.raises(StoreError, match="is busy: another wqm command is writing to it; try again"):
                store.add_school("S2", "Other", "primary")
        with Store(path, read_only=True, timeout=0.2) as reader:
            assert [s["school_id"] for s in reader.schools()] == ["S1"]
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.wait(30) == 0
    finally:
        child.kill()
        child.wait()
    with Store(path, read_only=True) as reader:
        assert [s["school_id"] for s in reader.schools()] == ["P1", "S1"]


def test_write_opens_at_once_all_succeed_and_leave_wal(tmp_path):
    """SQLite refuses one of two simultaneous journal-mode switches outright; the open retries."""
    path = tmp_path / "wqm.sqlite"
    for _ in range(5):
        with Store(path) as store:
            store.conn.execute("PRAGMA journal_mode = DELETE")
        barrier, errors = threading.Barrier(4), []

        def open_for_writing(barrier: threading.Barrier = barrier, errors: list = errors) -> None:
            barrier.wait()
            try:
                Store(path).close()
            except StoreError as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=open_for_writing) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        with Store(path, read_only=True) as store:
            assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_new_store_file_is_renamed_into_place_only_on_success(tmp_path):
    from wqm_nb.store.store import new_store_file

    target = tmp_path / "new.sqlite"
    with pytest.raises(RuntimeError):
        with new_store_file(target) as s:
            s.add_school("S1", "Test", "primary")
            raise RuntimeError("import failed")
    assert list(tmp_path.iterdir()) == []  # no target, no temporary or -wal/-shm file
    with new_store_file(target) as s:
        s.add_school("S1", "Test", "primary")
    assert [p.name for p in tmp_path.iterdir()] == ["new.sqlite"]
    with Store(target, read_only=True) as s:
        assert s.school("S1")["name"] == "Test"
