import sqlite3

import pytest

from wqm_nb.errors import StoreError
from wqm_nb.store import SCHEMA_VERSION, Store
from wqm_nb.store.schema import SCHEMA, statements


@pytest.fixture
def cycle(store):
    store.add_school("S1", "Test Primary", "primary")
    return store.ensure_cycle("S1", "2024-25", "wqm")


def test_statements_split_the_schema_keeping_trigger_bodies_whole():
    parts = statements()
    assert all(p.endswith(";") for p in parts)
    triggers = [p for p in parts if p.upper().startswith("CREATE TRIGGER")]
    assert len(triggers) == 18  # 3 on each of 5 history tables, 2 on erasure_log, 1 on survey_imports
    for trigger in triggers:
        assert "BEGIN SELECT RAISE(ABORT" in trigger and trigger.endswith("END;")
    # nothing is lost or split in two: every statement runs on its own
    conn = sqlite3.connect(":memory:")
    for p in parts:
        assert sqlite3.complete_statement(p), p
        conn.execute(p)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {
        "meta",
        "schools",
        "school_years",
        "cycles",
        "sef_history",
        "sef_current",
        "reflections",
        "adviser_notes",
        "survey_imports",
        "survey_answers",
        "survey_tallies",
        "survey_comments",
        "survey_scores",
        "erasures",
        "erasure_log",
    } <= names
    for table in HISTORY:
        assert {f"{table}_no_update", f"{table}_no_delete", f"{table}_no_replace"} <= names
    assert "".join(parts).replace("\n", "").replace(" ", "") == SCHEMA.replace("\n", "").replace(" ", "")


def test_statements_keep_a_multi_line_trigger_body_in_one_piece():
    script = """
CREATE TABLE t (x INTEGER);
create trigger t_twice after insert on t
begin
  insert into log values (new.x);
  insert into log values (new.x);
end;
CREATE TABLE log (x INTEGER);
"""
    parts = statements(script)
    assert len(parts) == 3
    assert parts[1].startswith("create trigger") and parts[1].count(";") == 3
    conn = sqlite3.connect(":memory:")
    for p in parts:
        conn.execute(p)
    conn.execute("INSERT INTO t VALUES (7)")
    assert conn.execute("SELECT count(*) FROM log").fetchone()[0] == 2


def test_schema_version_is_recorded_and_checked_on_open(tmp_path):
    path = tmp_path / "wqm.sqlite"
    with Store(path) as store:
        row = store.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert row[0] == str(SCHEMA_VERSION) == str(store.version)
        store.conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION - 1),))
    with pytest.raises(
        StoreError,
        match=f"schema version {SCHEMA_VERSION - 1}, this wqm reads version "
        f"{SCHEMA_VERSION}; "
        f"run `wqm migrate --data {path}` to upgrade it",
    ):
        Store(path, read_only=True)
    newer = SCHEMA_VERSION + 1
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(newer),))
    conn.commit()
    conn.close()
    before = path.read_bytes()
    for read_only in (False, True):
        with pytest.raises(StoreError, match=f"schema version {newer} was written by a newer wqm"):
            Store(path, read_only=read_only)
    assert path.read_bytes() == before


def test_sef_current_takes_the_latest_recorded_at_not_the_latest_entry(store, cycle):
    store.record_rating(cycle, "P1.1", 4, "spring review", recorded_at="2025-03-01T10:00:00")
    store.record_rating(cycle, "P1.1", 2, "back-filled autumn rating", recorded_at="2024-10-01T10:00:00")
    current = store.current_ratings(cycle).set_index("element_id")
    assert current.loc["P1.1", "rating"] == 4
    assert current.loc["P1.1", "evidence"] == "spring review"
    assert list(store.rating_history(cycle, "P1.1")["rating"]) == [4, 2]


def test_sef_current_breaks_ties_by_entry_order(store, cycle):
    same = "2025-01-15T09:00:00"
    store.record_rating(cycle, "P2.1", 1, "first", recorded_at=same)
    store.record_rating(cycle, "P2.1", 3, "second", recorded_at=same)
    store.record_rating(cycle, "P2.2", 2, "only", recorded_at=same)
    rows = store.conn.execute(
        "SELECT element_id, rating FROM sef_current WHERE cycle_id = ? ORDER BY element_id", (cycle,)
    ).fetchall()
    assert [tuple(r) for r in rows] == [("P2.1", 3), ("P2.2", 2)]


def test_sef_history_is_append_only(store, cycle):
    store.record_rating(cycle, "P1.1", 2)
    for sql in ("UPDATE sef_history SET rating = 4", "DELETE FROM sef_history"):
        with pytest.raises(sqlite3.DatabaseError, match="sef_history is append-only"):
            store.conn.execute(sql)
    assert list(store.rating_history(cycle)["rating"]) == [2]


HISTORY = ("sef_history", "reflections", "adviser_notes")


@pytest.fixture
def history(tmp_path):
    """A store file with one row in each history table: ``(path, {table: (key column, key)})``."""
    path = tmp_path / "wqm.sqlite"
    with Store(path) as store:
        store.add_school("S1", "Test Primary", "primary")
        wqm = store.ensure_cycle("S1", "2025-26", "wqm")
        vbe = store.ensure_cycle("S1", "2025-26", "vbe")
        keys = {
            "sef_history": ("entry_id", store.record_rating(wqm, "P1.1", 2, "plan", recorded_at="2025-10-01")),
            "reflections": (
                "entry_id",
                store.record_reflection(vbe, "stand_out", "Pupils lead", recorded_at="2025-10-01"),
            ),
            "adviser_notes": ("note_id", store.add_note(wqm, "Visit went well", created_at="2025-10-01")),
        }
    return path, keys


def rows(path, table):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT * FROM {table}").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("table", HISTORY)
@pytest.mark.parametrize("recursive", [True, False], ids=["store connection", "bare connection"])
def test_insert_or_replace_of_a_history_row_is_refused(history, table, recursive):
    """The INSERT guard refuses even a connection without recursive triggers (a DELETE trigger would not fire)."""
    path, keys = history
    before = rows(path, table)
    column, key = keys[table]
    if recursive:
        conn = Store(path).conn
        assert conn.execute("PRAGMA recursive_triggers").fetchone()[0] == 1
    else:
        conn = sqlite3.connect(path)
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    values = {c: "forged" for c in columns} | {column: key, "cycle_id": before[0][columns.index("cycle_id")]}
    if table == "sef_history":
        values["rating"] = 4
    for verb in ("INSERT OR REPLACE", "REPLACE", "INSERT"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(
                f"{verb} INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                tuple(values.values()),
            )
    conn.close()
    assert rows(path, table) == before


@pytest.mark.parametrize("table", HISTORY)
def test_history_rows_cannot_be_updated_or_deleted(history, table):
    path, _ = history
    before = rows(path, table)
    with Store(path) as store:
        for sql in (f"UPDATE {table} SET cycle_id = cycle_id", f"DELETE FROM {table}"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                store.conn.execute(sql)
        # listing the school in erasures is the guarded path; without it nothing goes
        assert store.conn.execute("SELECT count(*) FROM erasures").fetchone()[0] == 0
    assert rows(path, table) == before


def test_reflections_are_append_only(store):
    store.add_school("S1", "Test Primary", "primary")
    vbe = store.ensure_cycle("S1", "2025-26", "vbe")
    store.record_reflection(vbe, "stand_out", "Pupils lead reflection", recorded_at="2026-01-01T00:00:00")
    store.record_reflection(vbe, "stand_out", "Pupils lead reflection daily", recorded_at="2026-02-01T00:00:00")
    for sql in ("UPDATE reflections SET text = 'rewritten'", "DELETE FROM reflections"):
        with pytest.raises(sqlite3.DatabaseError, match="reflections are append-only"):
            store.conn.execute(sql)
    assert store.conn.execute("SELECT count(*) FROM reflections").fetchone()[0] == 2
    assert store.reflections(vbe)["stand_out"]["text"] == "Pupils lead reflection daily"
