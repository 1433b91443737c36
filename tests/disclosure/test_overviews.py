"""A trust's overview published again: which schools changed, when a total's difference gives a hidden school
away, and the ledger's record of each overview (the attack itself is in tests/model/test_group.py)."""

from wqm_nb.disclosure.ledger import Ledger
from wqm_nb.disclosure.overviews import (
    OverviewRecord,
    changed_schools,
    discloses_by_difference,
    protect_total,
    school_digest,
)
from wqm_nb.model.group import GroupCount

P1 = "staff:P1"


def record(schools, hidden=None, shown=(P1,)):
    return OverviewRecord(dict(schools), {s: tuple(v) for s, v in (hidden or {}).items()}, tuple(shown))


def test_changed_schools_are_those_that_joined_left_or_have_other_data():
    earlier = record({"A": "a1", "B": "b1", "C": "c1"})
    now = record({"A": "a1", "B": "b2", "D": "d1"})
    assert changed_schools(earlier, now) == {"B", "C", "D"}
    assert changed_schools(earlier, earlier) == set()


def test_a_total_discloses_by_difference_only_through_a_changed_school_that_hides_it():
    earlier = record({"A": "a1", "B": "b1"}, {"B": [P1]})
    assert not discloses_by_difference(P1, earlier, record({"A": "a1", "B": "b1"}, {"B": [P1]}))  # nothing changed
    assert discloses_by_difference(P1, earlier, record({"A": "a1", "B": "b1", "E": "e1"}, {"B": [P1], "E": [P1]}))
    assert not discloses_by_difference(P1, earlier, record({"A": "a1", "B": "b1", "E": "e1"}, {"B": [P1]}))
    assert discloses_by_difference(P1, earlier, record({"A": "a1"}))  # B left, hidden then
    assert not discloses_by_difference(P1, record({"A": "a1"}, shown=()), record({"A": "a1", "E": "e"}, {"E": [P1]}))
    assert not discloses_by_difference("staff:P2", earlier, record({"A": "a1"}))  # hidden for P1 only


def test_a_digest_follows_the_counts_and_a_record_round_trips():
    one = {"staff": {"P1": GroupCount(10, 20, 12, 2)}}
    assert school_digest(one) == school_digest({"staff": {"P1": GroupCount(10, 20, 12, 2)}})
    assert school_digest(one) != school_digest({"staff": {"P1": GroupCount(11, 22, 12, 2)}})
    r = record({"A": "a1"}, {"A": [P1]})
    assert OverviewRecord.from_json(r.to_json()) == r and r.digest == OverviewRecord.from_json(r.to_json()).digest


def test_the_ledger_records_an_overview_once(tmp_path):
    ledger = Ledger(tmp_path / "data.wqm-ledger")
    r = record({"A": "a1"})
    assert ledger.overviews("T", "2025-26", "wqm") == []
    assert ledger.record_overview("T", "2025-26", "wqm", r) is True
    assert ledger.record_overview("T", "2025-26", "wqm", r) is False  # the same again: nothing
    assert ledger.overviews("T", "2025-26", "wqm") == [r] and ledger.overviews("T", "2024-25", "wqm") == []
    assert Ledger(ledger.path, read_only=True).record_overview("T", "2025-26", "wqm", record({"B": "b"})) is False


def test_a_total_with_one_hidden_school_is_hidden():
    assert protect_total([GroupCount(3, 6, 4, 2, "primary"), GroupCount(40, 80, 60, 2)], 5)
    assert protect_total([GroupCount(30, 60, 40, 2), GroupCount(40, 80, 60, 2)], 5) == ""
