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
    assert len(triggers) == 4
    for trigger in triggers:
        assert "BEGIN SELECT RAISE(ABORT" in trigger and trigger.endswith("END;")
    # nothing is lost or split in two: every statement runs on its own
    conn = sqlite3.connect(":memory:")
    for p in parts:
        assert sqlite3.complete_statement(p), p
        conn.execute(p)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"meta", "schools", "school_years", "cycles", "sef_history", "sef_current", "reflections",
            "adviser_notes", "survey_responses", "sef_history_no_update", "reflections_no_delete"} <= names
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
        assert row[0] == str(SCHEMA_VERSION)
        store.conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=f"schema version 1, this wqm reads version {SCHEMA_VERSION}"):
        Store(path)


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
    rows = store.conn.execute("SELECT element_id, rating FROM sef_current WHERE cycle_id = ? "
                              "ORDER BY element_id", (cycle,)).fetchall()
    assert [tuple(r) for r in rows] == [("P2.1", 3), ("P2.2", 2)]


def test_sef_history_is_append_only(store, cycle):
    store.record_rating(cycle, "P1.1", 2)
    for sql in ("UPDATE sef_history SET rating = 4", "DELETE FROM sef_history"):
        with pytest.raises(sqlite3.DatabaseError, match="sef_history is append-only"):
            store.conn.execute(sql)
    assert list(store.rating_history(cycle)["rating"]) == [2]


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
