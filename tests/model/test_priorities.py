"""Priorities on the risk x capacity grid and the school's sorting, on small hand-made data with known answers:
a section in each quadrant, hidden groups that change nothing, points always inside their quadrant."""

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.data.decision_rules import PriorityRules, TriangulationRules
from wqm_nb.model.figures import publish_figures
from wqm_nb.model.priorities import (
    ACT_FIRST,
    ACT_NOW,
    BUILD_UP,
    QUADRANTS,
    SUSTAIN,
    UNSORTED,
    at_least_score,
    below_score,
    high_score,
    prioritise,
    quadrant_of,
    sorting_summary,
    to_discuss,
)
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.model.triangulation import triangulate
from wqm_nb.model.year import YearResult
from wqm_nb.store.surveys import SurveyData

WQM = load_framework("wqm")
BANK = load_question_bank()


def year_of(framework, ratings=None, default=4, rows=(), evidence=None, sorting=None, min_group_size=5):
    """A YearResult: every element at ``default`` (None: unrated) with evidence unless ``evidence`` maps it to
    '', sortings from ``sorting``, and survey answers ``rows`` of (survey, respondent, subgroup, item, value)."""
    ratings, evidence, sorting = ratings or {}, evidence or {}, sorting or {}
    records = []
    for e in framework.element_ids:
        rating = ratings.get(e, default)
        records.append(
            dict(element_id=e, rating=rating, evidence=evidence.get(e, "Evidence"), sorting=sorting.get(e, ""))
        )
    elements = sef_elements(framework, pd.DataFrame(records))
    responses = pd.DataFrame(list(rows), columns=["survey", "respondent", "subgroup", "item_id", "value"])
    figures = publish_figures(
        SurveyData.from_long(responses), BANK, load_mapping(framework, BANK), framework, min_group_size
    )
    return YearResult(
        year="2025-26",
        school_year_id=1,
        cycle_id=1,
        elements=elements,
        principles=sef_principles(framework, elements),
        figures=figures,
    )


def people(survey, item, values):
    return [(survey, f"{survey}{item}{i}", "", item, v) for i, v in enumerate(values)]


def row(pri, pid):
    return pri.table.set_index("principle_id").loc[pid]


# --------------------------------------------------------------------------
# the axis scores


def test_scores_put_the_rule_line_at_the_middle():
    assert at_least_score(0.6, 0.6) == 0.55 and at_least_score(1, 0.6) == 1 and at_least_score(0, 0.6) == 0
    assert at_least_score(0.3, 0.6) == pytest.approx(0.225) and at_least_score(0.5, 1.0) < 0.5
    assert at_least_score(0.0, 0.0) == 0.55  # nothing needed: reached
    assert below_score(0.6, 0.6) == 0.45 and below_score(0.0, 0.6) == 1 and below_score(1, 0.6) == 0
    assert below_score(0.59, 0.6) > 0.55
    assert high_score(0) == 0.55 and high_score(1) == 1 and high_score(2) == 1
    assert {quadrant_of(r, c) for r in (True, False) for c in (True, False)} == set(QUADRANTS)


@given(value=st.floats(0, 1), threshold=st.floats(0, 1))
def test_scores_stay_on_their_side_of_the_line(value, threshold):
    score = at_least_score(value, threshold)
    assert 0 <= score <= 1 and (score >= 0.55) == (value >= threshold - 1e-9)
    risk = below_score(value, threshold)
    assert 0 <= risk <= 1 and (risk >= 0.55) == (value < threshold)


# --------------------------------------------------------------------------
# one section in each quadrant


def four_quadrants():
    """P5 rated Deciding to act: act first. P6 embedded with evidence but staff disagree: act now.
    P4 rated 3 without evidence and no concern: build up. P7 embedded, evidenced, staff agree: sustain."""
    rows = people("staff", "S11", [2] * 7 + [4] * 3) + people("staff", "S12", [5] * 10)
    return year_of(WQM, ratings={"P5.1": 1, "P4.1": 3, "P4.2": 3}, evidence={"P4.1": "", "P4.2": ""}, rows=rows)


def test_a_section_in_each_quadrant():
    pri = prioritise(WQM, BANK, four_quadrants())
    assert pri.quadrant("P5") == ACT_FIRST and pri.quadrant("P6") == ACT_NOW
    assert pri.quadrant("P4") == BUILD_UP and pri.quadrant("P7") == SUSTAIN
    p5, p6, p4, p7 = (row(pri, p) for p in ("P5", "P6", "P4", "P7"))
    assert p5["concerns"] == ("rated low: P5.1 Deciding to act",)
    assert p5["capacity_notes"] == ("maturity 0 of 100 (1.0 of 4), needs 60",)
    assert "staff survey 30% agree (n=10), below 60%" in p6["concerns"]
    assert any("blind spot" in c for c in p6["concerns"]) and p6["capacity_notes"] == ()
    assert p4["concerns"] == () and p4["capacity_notes"] == ("evidence for 0 of 2 elements (0%), needs 75%",)
    assert p7["concerns"] == () and p7["capacity_notes"] == ()
    # every point inside its quadrant
    for r in pri.table.itertuples():
        assert (r.risk >= 0.55) == r.high_risk and (r.capacity >= 0.55) == r.high_capacity
    assert list(pri.in_quadrant(ACT_FIRST)["principle_id"]) == ["P5"]


def test_a_blind_spot_counts_as_risk_only_when_the_rules_say():
    # staff agree at exactly the risk threshold (60%), leaders embedded: a blind spot (gap 0.4) is the only concern
    year = year_of(WQM, rows=people("staff", "S11", [5] * 6 + [1] * 4))
    assert row(prioritise(WQM, BANK, year), "P6")["high_risk"]
    calm = prioritise(WQM, BANK, year, rules=PriorityRules(blind_spot_is_risk=False))
    assert not row(calm, "P6")["high_risk"] and calm.quadrant("P6") == SUSTAIN


def test_hidden_groups_change_nothing():
    base = prioritise(WQM, BANK, year_of(WQM, rows=people("staff", "S12", [5] * 10)))
    # four pupils who all disagree on P7, and four parents: hidden, so no concern and no change of place
    rows = people("staff", "S12", [5] * 10) + people("pupil", "U07", [1] * 4) + people("parent", "R07", [1] * 4)
    hidden = prioritise(WQM, BANK, year_of(WQM, rows=rows))
    pd.testing.assert_frame_equal(base.table, hidden.table)
    assert hidden.quadrant("P7") == SUSTAIN and row(hidden, "P7")["concerns"] == ()


def test_the_staff_audit_counts_toward_capacity_when_published():
    rows = people("staff_audit", "SA2", [1] * 6)
    year = year_of(WQM, rows=rows)
    tri = triangulate(WQM, BANK, year, TriangulationRules(staff_audit_counts=False))  # keep risk out of it
    pri = prioritise(WQM, BANK, year, tri)
    assert pri.quadrant("P2") == BUILD_UP and pri.audit == "Staff audit"
    assert row(pri, "P2")["capacity_notes"] == ("staff audit 0 of 100, needs 50",)
    assert row(pri, "P2")["audit_position"] == 0
    # four staff: hidden, so the audit is left out of capacity and P2 is high capacity again
    small = year_of(WQM, rows=people("staff_audit", "SA2", [1] * 4))
    pri = prioritise(WQM, BANK, small)
    assert pri.quadrant("P2") == SUSTAIN and pd.isna(row(pri, "P2")["audit_position"])


def test_unrated_elements_are_a_concern_unless_the_rules_say_not():
    year = year_of(WQM, ratings={"P3.2": None}, evidence={"P3.2": ""})
    pri = prioritise(WQM, BANK, year)
    assert "not yet rated: P3.2" in row(pri, "P3")["concerns"] and row(pri, "P3")["high_risk"]
    assert not row(prioritise(WQM, BANK, year, rules=PriorityRules(unrated_is_risk=False)), "P3")["high_risk"]


def test_an_unrated_section_has_low_capacity_and_nothing_rated_is_said():
    year = year_of(WQM, default=None)
    pri = prioritise(WQM, BANK, year)
    assert not pri.rated
    assert row(pri, "P1")["capacity_notes"][0] == "not rated" and row(pri, "P1")["capacity"] == 0


def test_checklist_positions_use_the_checklist_scale():
    lm = load_framework("leadership_management")
    # every item "Partly in place" (position 0.5): not low, but below 60 for capacity
    pri = prioritise(lm, BANK, year_of(lm, default=2))
    assert pri.quadrant("LM") == BUILD_UP and row(pri, "LM")["maturity_position"] == 0.5
    pri = prioritise(lm, BANK, year_of(lm, default=3, ratings={"LM.6": 1}))
    assert pri.quadrant("LM") == ACT_NOW and row(pri, "LM")["concerns"] == ("rated low: LM.6 Not in place",)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ratings=st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=4, max_size=4),
    evidence=st.lists(st.booleans(), min_size=4, max_size=4),
    staff=st.lists(st.integers(1, 5), max_size=10),
    audit=st.lists(st.integers(1, 4), max_size=8),
)
def test_every_point_lies_in_the_quadrant_its_rules_give(ratings, evidence, staff, audit):
    ids = ("P3.1", "P3.2", "P3.3", "P3.4")
    rows = people("staff", "S05", staff) + people("staff_audit", "SA3", audit)
    year = year_of(
        WQM,
        ratings=dict(zip(ids, ratings, strict=False)),
        evidence={e: "" for e, has in zip(ids, evidence, strict=False) if not has},
        rows=rows,
    )
    for r in prioritise(WQM, BANK, year).table.itertuples():
        assert 0 <= r.risk <= 1 and 0 <= r.capacity <= 1
        assert (r.risk >= 0.55) == r.high_risk and (r.risk <= 0.45) == (not r.high_risk)
        assert (r.capacity >= 0.55) == r.high_capacity and (r.capacity <= 0.45) == (not r.high_capacity)
        assert r.high_risk == bool(r.concerns) and r.high_capacity == (not r.capacity_notes)
        assert r.quadrant == quadrant_of(r.high_risk, r.high_capacity)


# --------------------------------------------------------------------------
# the school's sorting


def test_sorting_is_counted_per_section_and_the_right_elements_are_discussed():
    sorting = {
        "P1.1": "doing_now",
        "P1.2": "doing_now",
        "P1.3": "want_to_do",
        "P1.4": "not_for_us",
        "P3.3": "not_for_us",
        "P5.1": "doing_now",
    }
    year = year_of(WQM, ratings={"P1.2": 1, "P5.1": 4}, evidence={"P5.1": ""}, sorting=sorting)
    counts = sorting_summary(WQM, year.elements).set_index("principle_id")
    assert counts.loc["P1", ["doing_now", "want_to_do", "not_for_us", UNSORTED, "elements"]].tolist() == [2, 1, 1, 2, 6]
    assert counts.loc["P2", UNSORTED] == 2 and counts.loc["P2", "doing_now"] == 0
    discuss = to_discuss(WQM, year.elements)
    assert list(discuss["element_id"]) == ["P1.4", "P3.3", "P1.2", "P5.1"]
    why = discuss.set_index("element_id")["why"]
    assert why["P1.4"] == "We don't want to / don't understand this"
    assert why["P1.2"] == "We do this now, but rated Deciding to act"
    assert why["P5.1"] == "We do this now, but no evidence recorded"
    assert "P1.1" not in why.index  # done now, embedded, evidenced: nothing to discuss
    pri = prioritise(WQM, BANK, year)
    assert list(pri.discuss["element_id"]) == list(discuss["element_id"])
