"""Award decisions (append-only, corrections supersede) and the per-school benchmark cache."""

import sqlite3

import pytest

from wqm_nb.errors import StoreError
from wqm_nb.store import Store, remove_school


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "wqm.sqlite"
    with Store(path) as store:
        store.add_school("A1", "Alder Primary", "primary")
        store.add_school("B1", "Birch Primary", "primary")
    return path


def test_a_decision_is_recorded_and_a_correction_supersedes_it(db):
    with Store(db) as store:
        first = store.record_award_decision(
            "A1",
            "wqm",
            "approved",
            "2023-24",
            outcome="awarded",
            decided_on="2024-06-30",
            assessor="J Smith",
            reasons="All criteria met",
        )
        assert [d["decision_id"] for d in store.award_decisions("A1")] == [first]
        fixed = store.record_award_decision(
            "A1",
            "wqm",
            "approved",
            "2023-24",
            outcome="deferred",
            decided_on="2024-06-30",
            supersedes=first,
            reasons="Evidence late",
        )
        assert [d["decision_id"] for d in store.award_decisions("A1")] == [fixed]
        assert len(store.award_decisions("A1", history=True)) == 2
        assert store.award_decisions("A1", framework="vbe") == []
        with pytest.raises(StoreError, match="corrected already"):
            store.record_award_decision("A1", "wqm", "approved", "2023-24", outcome="awarded", supersedes=first)
        with pytest.raises(StoreError, match="not a decision of B1"):
            store.record_award_decision("B1", "wqm", "approved", "2023-24", outcome="awarded", supersedes=fixed)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(outcome="passed"), "outcome must be one of awarded"),
        (dict(outcome="awarded", decided_on="30/06/2024"), "not a date written YYYY-MM-DD"),
        (dict(outcome="awarded", academic_year="2024"), "academic year"),
    ],
)
def test_bad_decisions_are_refused(db, kwargs, message):
    args = {"academic_year": "2023-24", **kwargs}
    with Store(db) as store:
        with pytest.raises(StoreError, match=message):
            store.record_award_decision("A1", "wqm", "approved", args.pop("academic_year"), **args)
        assert store.award_decisions(history=True) == []


def test_decisions_are_append_only_but_go_with_an_erased_school(db):
    with Store(db) as store:
        store.record_award_decision("A1", "wqm", "approved", "2023-24", outcome="awarded")
        for sql in ("UPDATE award_decisions SET outcome = 'withdrawn'", "DELETE FROM award_decisions"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                store.conn.execute(sql)
    counts = remove_school(db, "A1")
    assert counts["awards"] == 1
    with Store(db, read_only=True) as store:
        assert store.award_decisions(history=True) == []


def test_benchmarks_are_replaced_per_school_year_and_framework(db):
    with Store(db) as store:
        rows = [
            dict(survey="staff", section_id="P1", measure="agreement", contributors=6, median=0.7),
            dict(survey="sef", section_id="P1", measure="rating", contributors=11, median=3.0, q1=2.5, q3=3.5),
        ]
        assert store.replace_benchmarks("A1", "2024-25", "wqm", rows) == 2
        assert store.replace_benchmarks("A1", "2024-25", "wqm", rows[:1]) == 1
        table = store.benchmarks("A1", "2024-25", "wqm")
        assert list(table["survey"]) == ["staff"] and table.iloc[0]["median"] == 0.7
        assert store.benchmarks("A1", "2023-24", "wqm").empty and store.benchmarks("B1", "2024-25", "wqm").empty
