"""Migrations from real older stores: version 1 (built with its own DDL, rows inserted the way v1 did) and
version 2, to the current version, keeping every row."""

import csv
import re
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from wqm_nb.data import load_question_bank
from wqm_nb.errors import StoreError
from wqm_nb.store import SCHEMA_VERSION, Store, import_folder, migrate, remove_school
from wqm_nb.store.migrations import MIGRATIONS, upgrade
from wqm_nb.store.schema import APPLICATION_ID

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[1] / "sample_data"
V1_SQL = (HERE / "schema_v1.sql").read_text()
V2_SQL = (HERE / "schema_v2.sql").read_text()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def make_v1_store(path: Path, folder: Path = SAMPLE) -> Path:
    """A version 1 store of ``folder``, written as wqm 0.1 wrote it (see ``git show 00a8f0a:wqm_nb/store.py``).

    Version 1 knew schools, cycles, SEF ratings, adviser notes and surveys (no
    reflections); survey answers hung off the school's ``wqm`` cycle for the year.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.executescript(V1_SQL)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', '1')")
    for rec in read_csv(folder / "schools.csv"):
        conn.execute(
            "INSERT INTO schools VALUES (?, ?, ?, ?, ?, ?)",
            (
                rec["school_id"],
                rec["name"],
                rec["phase"],
                rec.get("trust", ""),
                rec.get("local_authority", ""),
                int(rec["pupils"]) if rec.get("pupils") else None,
            ),
        )

    def cycle_of(school_id: str, framework: str, year: str) -> int:
        conn.execute(
            "INSERT OR IGNORE INTO cycles (school_id, framework, academic_year) VALUES (?, ?, ?)",
            (school_id, framework, year),
        )
        return conn.execute(
            "SELECT cycle_id FROM cycles WHERE school_id = ? AND framework = ? AND academic_year = ?",
            (school_id, framework, year),
        ).fetchone()[0]

    for rec in read_csv(folder / "cycles.csv"):
        cycle_of(rec["school_id"], rec["framework"], rec["academic_year"])
    for rec in read_csv(folder / "sef_ratings.csv"):
        conn.execute(
            "INSERT INTO sef_history (cycle_id, element_id, rating, evidence, recorded_by, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                cycle_of(rec["school_id"], rec["framework"], rec["academic_year"]),
                rec["element_id"],
                int(rec["rating"]),
                rec["evidence"],
                rec["recorded_by"],
                rec["recorded_at"],
            ),
        )
    for rec in read_csv(folder / "adviser_notes.csv"):
        conn.execute(
            "INSERT INTO adviser_notes (cycle_id, principle_id, author, note, created_at) VALUES (?, ?, ?, ?, ?)",
            (
                cycle_of(rec["school_id"], rec["framework"], rec["academic_year"]),
                rec["principle_id"],
                rec["author"],
                rec["note"],
                rec["created_at"],
            ),
        )
    bank = load_question_bank()
    for survey, spec in bank.surveys.items():
        path_csv = folder / f"{survey}_survey.csv"
        if not path_csv.exists():
            continue
        sub_field = spec.subgroup.field if spec.subgroup else None
        for rec in read_csv(path_csv):
            cycle = cycle_of(rec["school_id"], "wqm", rec["academic_year"])
            for item in spec.item_ids:
                if rec.get(item):
                    conn.execute(
                        "INSERT INTO survey_responses VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            cycle,
                            survey,
                            rec["respondent"],
                            rec.get(sub_field, "") if sub_field else "",
                            item,
                            int(rec[item]),
                        ),
                    )
    conn.execute("COMMIT")
    conn.close()
    return path


def make_v2_store(path: Path) -> Path:
    """A small version 2 store made with the version 2 DDL, as ``Store`` of that release made it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(V2_SQL)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("INSERT INTO schools VALUES ('S1', 'Test Primary', 'primary', 'T', 'LA', 200)")
    conn.execute("INSERT INTO schools VALUES ('S2', 'Test Academy', 'secondary', 'T', 'LA', 900)")
    for school_year_id, school in ((1, "S1"), (2, "S2")):
        conn.execute("INSERT INTO school_years VALUES (?, ?, '2025-26')", (school_year_id, school))
    conn.execute("INSERT INTO cycles VALUES (1, 1, 'wqm')")
    conn.execute("INSERT INTO cycles VALUES (2, 1, 'vbe')")
    conn.execute("INSERT INTO cycles VALUES (3, 2, 'wqm')")
    for cycle, element, rating, at in (
        (1, "P1.1", 2, "2025-10-01T09:00:00"),
        (1, "P1.1", 3, "2026-03-01T09:00:00"),
        (3, "P2.1", 4, "2025-11-01T09:00:00"),
    ):
        conn.execute(
            "INSERT INTO sef_history (cycle_id, element_id, rating, evidence, recorded_by, recorded_at) "
            "VALUES (?, ?, ?, 'evidence', 'Head', ?)",
            (cycle, element, rating, at),
        )
    conn.execute(
        "INSERT INTO reflections (cycle_id, reflection_id, text, author, recorded_at) "
        "VALUES (2, 'stand_out', 'Pupils lead', 'Head', '2026-01-01T00:00:00')"
    )
    conn.execute(
        "INSERT INTO adviser_notes (cycle_id, principle_id, author, note, created_at) "
        "VALUES (1, 'P1', 'Adviser', 'Visit went well', '2025-12-01T10:00:00')"
    )
    conn.execute("INSERT INTO survey_responses VALUES (1, 'staff', 's1', 'teaching', 'S01', 4)")
    conn.execute("INSERT INTO survey_responses VALUES (2, 'staff', 's1', 'support', 'S01', 2)")
    conn.execute("COMMIT")
    conn.close()
    return path


def dump(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


HISTORY_SQL = {
    "sef_history": "SELECT entry_id, cycle_id, element_id, rating, evidence, recorded_by, recorded_at "
    "FROM sef_history ORDER BY entry_id",
    "adviser_notes": "SELECT note_id, cycle_id, principle_id, author, note, created_at FROM adviser_notes "
    "ORDER BY note_id",
}
#: Survey answers by school and year, in a version 1 store and in a later one.
V1_ANSWERS = (
    "SELECT DISTINCT c.school_id, c.academic_year, r.survey, r.respondent, r.subgroup, r.item_id, r.value "
    "FROM survey_responses r JOIN cycles c USING (cycle_id) ORDER BY 1, 2, 3, 4, 6"
)


def answers(path: Path) -> list[tuple]:
    """Every survey answer of a current store, as V1_ANSWERS lists them."""
    with Store(path, read_only=True) as store:
        rows = [
            (y["school_id"], y["academic_year"], r.survey, r.respondent, r.subgroup, r.item_id, int(r.value))
            for y in store.school_years()
            for r in store.survey_responses(y["school_year_id"]).itertuples()
        ]
    return sorted(rows, key=lambda r: (r[0], r[1], r[2], r[3], r[5]))


V1_CYCLES = "SELECT cycle_id, school_id, academic_year, framework FROM cycles ORDER BY cycle_id"
CYCLES = (
    "SELECT c.cycle_id, y.school_id, y.academic_year, c.framework FROM cycles c "
    "JOIN school_years y USING (school_year_id) ORDER BY c.cycle_id"
)


def schema_of(path: Path) -> dict:
    """Tables' columns, foreign keys and indexes, and the normalised SQL of triggers and views."""
    conn = sqlite3.connect(path)
    try:
        shape = {}
        for kind, name, sql in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        ):
            if kind == "table":
                shape[name] = (
                    conn.execute(f"PRAGMA table_info({name})").fetchall(),
                    conn.execute(f"PRAGMA foreign_key_list({name})").fetchall(),
                    sorted(tuple(r)[1:3] for r in conn.execute(f"PRAGMA index_list({name})")),
                )
            elif kind == "index":
                shape[name] = conn.execute(f"PRAGMA index_info({name})").fetchall()
            else:
                shape[name] = re.sub(r"\s+", " ", sql.replace("IF NOT EXISTS ", "")).strip().lower()
        shape["application_id"] = conn.execute("PRAGMA application_id").fetchone()[0]
        return shape
    finally:
        conn.close()


def test_every_old_version_has_a_step():
    assert set(MIGRATIONS) == set(range(1, SCHEMA_VERSION))


def test_a_v1_store_migrates_keeping_every_row(tmp_path):
    path = make_v1_store(tmp_path / "wqm.sqlite")
    history = {table: dump(path, sql) for table, sql in HISTORY_SQL.items()}
    before_answers, cycles = dump(path, V1_ANSWERS), dump(path, V1_CYCLES)
    schools = dump(path, "SELECT * FROM schools ORDER BY school_id")
    assert len(history["sef_history"]) == 614 and len(before_answers) == 40175

    assert migrate(path) == (1, SCHEMA_VERSION)

    for table, sql in HISTORY_SQL.items():
        assert dump(path, sql) == history[table], table  # same rows, same ids, same cycles
    assert dump(path, CYCLES) == cycles
    assert answers(path) == before_answers
    assert dump(path, "SELECT * FROM schools ORDER BY school_id") == schools
    assert dump(path, "SELECT school_id, academic_year FROM school_years ORDER BY 1, 2") == sorted(
        {(c[1], c[2]) for c in cycles}
    )
    # the backup beside it is the version 1 store as it was
    backups = sorted(tmp_path.glob("wqm.sqlite.backup-*"))
    assert len(backups) == 1 and re.fullmatch(r"wqm\.sqlite\.backup-\d{8}T\d{6}Z", backups[0].name)
    assert dump(backups[0], "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    assert dump(backups[0], V1_ANSWERS) == before_answers
    assert dump(backups[0], V1_CYCLES) == cycles
    # and it is the same data a current wqm imports from the folder
    folder = tmp_path / "csv"
    shutil.copytree(SAMPLE, folder)
    (folder / "reflections.csv").unlink()  # version 1 had none
    fresh = import_folder(folder, tmp_path / "fresh.sqlite").target
    assert answers(path) == answers(fresh)
    assert dump(path, "SELECT * FROM schools ORDER BY school_id") == dump(
        fresh, "SELECT * FROM schools ORDER BY school_id"
    )
    ratings = (
        "SELECT y.school_id, y.academic_year, c.framework, h.element_id, h.rating, h.evidence, "
        "h.recorded_by, h.recorded_at FROM sef_history h JOIN cycles c USING (cycle_id) "
        "JOIN school_years y USING (school_year_id) ORDER BY 1, 2, 3, 4, 8, 5"
    )
    assert dump(path, ratings) == dump(fresh, ratings)
    assert schema_of(path) == schema_of(fresh)


def test_the_migrated_v1_store_works_as_a_current_one(tmp_path):
    path = make_v1_store(tmp_path / "wqm.sqlite")
    with Store(path) as store:  # a write open migrates
        assert (store.migrated_from, store.version) == (1, SCHEMA_VERSION)
        assert store.backup is not None and store.backup.exists()
        cycle = store.cycle("NLT01", "2025-26")["cycle_id"]
        assert len(store.current_ratings(cycle)) == 20
        year = store.school_year("NLT01", "2025-26")["school_year_id"]
        assert set(store.survey_responses(year)["survey"]) == {"staff", "pupil", "parent", "staff_audit"}
        vbe = store.cycle("NLT01", "2025-26", "vbe")["cycle_id"]
        store.record_reflection(vbe, "next_steps", "Agreed")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.conn.execute("DELETE FROM adviser_notes")
    with Store(path, read_only=True) as store:
        assert store.version == SCHEMA_VERSION
    assert migrate(path) == (SCHEMA_VERSION, SCHEMA_VERSION)
    assert len(list(tmp_path.glob("wqm.sqlite.backup-*"))) == 1  # nothing to migrate, no second copy


def test_a_v1_store_opened_read_only_names_the_migrate_command(tmp_path):
    path = make_v1_store(tmp_path / "wqm.sqlite")
    before = path.read_bytes()
    with pytest.raises(
        StoreError,
        match=f"schema version 1, this wqm reads version {SCHEMA_VERSION}; "
        f"run `wqm migrate --data {re.escape(str(path))}` to upgrade it",
    ):
        Store.open(path, read_only=True)
    assert path.read_bytes() == before


def tiny_v1(path: Path, vbe_value: int) -> Path:
    """A v1 store whose school year has a wqm and a vbe cycle, both holding staff answers of respondent s1."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(V1_SQL)
    conn.executescript("""
        INSERT INTO meta VALUES ('schema_version', '1');
        INSERT INTO schools VALUES ('S1', 'Test Primary', 'primary', '', '', NULL);
        INSERT INTO cycles (school_id, framework, academic_year) VALUES ('S1', 'wqm', '2024-25');
        INSERT INTO cycles (school_id, framework, academic_year) VALUES ('S1', 'vbe', '2024-25');
        INSERT INTO survey_responses VALUES (1, 'staff', 's1', 'teaching', 'S01', 4);
        INSERT INTO survey_responses VALUES (1, 'staff', 's1', 'teaching', 'S02', 5);
    """)
    conn.execute("INSERT INTO survey_responses VALUES (2, 'staff', 's1', 'teaching', 'S01', ?)", (vbe_value,))
    conn.close()
    return path


def test_the_same_answer_under_two_cycles_of_a_year_is_kept_once(tmp_path):
    path = tiny_v1(tmp_path / "wqm.sqlite", vbe_value=4)
    assert migrate(path) == (1, SCHEMA_VERSION)
    assert answers(path) == [
        ("S1", "2024-25", "staff", "s1", "teaching", "S01", 4),
        ("S1", "2024-25", "staff", "s1", "teaching", "S02", 5),
    ]
    assert dump(path, CYCLES) == [(1, "S1", "2024-25", "wqm"), (2, "S1", "2024-25", "vbe")]


def test_different_answers_under_two_cycles_of_a_year_stop_the_migration(tmp_path):
    path = tiny_v1(tmp_path / "wqm.sqlite", vbe_value=2)
    before = path.read_bytes()
    with pytest.raises(
        StoreError, match="school S1 2024-25, staff survey, respondent s1, item S01: .*the store is unchanged"
    ):
        migrate(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wqm.sqlite"]


def test_a_v2_store_migrates_keeping_every_row_and_gains_the_guards(tmp_path):
    path = make_v2_store(tmp_path / "wqm.sqlite")
    tables = ("schools", "school_years", "cycles", "sef_history", "reflections", "adviser_notes")
    before = {t: dump(path, f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables}
    columns = {t: [r[1] for r in dump(path, f"PRAGMA table_info({t})")] for t in tables}  # version 2's columns
    before_answers = [
        (s, y, survey, r, g, i, v)
        for s, y, survey, r, g, i, v in dump(
            path,
            "SELECT y.school_id, y.academic_year, r.survey, r.respondent, r.subgroup, r.item_id, r.value "
            "FROM survey_responses r JOIN school_years y USING (school_year_id) ORDER BY 1, 2, 3, 4, 6",
        )
    ]
    assert migrate(path) == (2, SCHEMA_VERSION)
    assert {t: dump(path, f"SELECT {', '.join(columns[t])} FROM {t} ORDER BY 1, 2") for t in tables} == before
    assert answers(path) == before_answers
    new = tmp_path / "new.sqlite"
    Store(new).close()
    assert schema_of(path) == schema_of(new)
    with Store(path) as store:
        for table, key in (("sef_history", "entry_id"), ("reflections", "entry_id"), ("adviser_notes", "note_id")):
            row = store.conn.execute(f"SELECT * FROM {table} ORDER BY {key} LIMIT 1").fetchone()
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                store.conn.execute(f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * len(row))})", tuple(row))
    assert (
        dump(path, f"SELECT {', '.join(columns['sef_history'])} FROM sef_history ORDER BY 1") == before["sef_history"]
    )
    assert remove_school(path, "S1")["ratings"] == 2
    assert dump(path, "SELECT school_id FROM schools") == [("S2",)]


def test_upgrade_runs_inside_the_callers_transaction(tmp_path):
    """A step that fails leaves nothing of the earlier steps: upgrade does not commit."""
    path = make_v2_store(tmp_path / "wqm.sqlite")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    assert upgrade(conn, 2) == SCHEMA_VERSION
    assert conn.in_transaction
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("2",)
    conn.close()


def test_two_processes_opening_an_old_store_migrate_it_once(tmp_path):
    path = make_v1_store(tmp_path / "wqm.sqlite")
    errors: list[BaseException] = []
    versions: list[int | None] = []

    def open_for_writing() -> None:
        try:
            with Store(path) as store:
                versions.append(store.migrated_from)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_for_writing) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sorted(versions, key=str) == [1, None, None]
    assert len(list(tmp_path.glob("wqm.sqlite.backup-*"))) == 1
    assert len(dump(path, "SELECT * FROM sef_history")) == 614


def test_a_v6_store_gains_survey_scores_keeping_every_row(tmp_path):
    """Version 6 had no ``survey_scores``: a store made now, with the table dropped and the version set back,
    migrates to the schema of a new store with every row of the other tables kept."""
    from .conftest import write_folder

    folder = write_folder(tmp_path / "folder")
    path = import_folder(folder, tmp_path / "wqm.sqlite").target
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TABLE survey_scores")
    conn.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    conn.close()
    tables = ("schools", "school_years", "cycles", "sef_history", "adviser_notes", "survey_imports", "survey_answers")
    before = {t: dump(path, f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables}
    assert migrate(path) == (6, SCHEMA_VERSION)
    assert {t: dump(path, f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables} == before
    assert dump(path, "SELECT count(*) FROM survey_scores") == [(0,)]
    assert schema_of(path) == schema_of(import_folder(folder, tmp_path / "fresh.sqlite").target)
