"""Triangulation on small hand-made data with known answers: positions, blind spots, hidden strengths,
suppressed groups that neither create nor prevent a flag, and the views each framework allows."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.data.decision_rules import TriangulationRules
from wqm_nb.model.figures import publish_figures
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.model.triangulation import (
    BLIND_SPOT,
    HIDDEN_STRENGTH,
    LEADERSHIP,
    NOT_ASKED,
    NOT_RATED,
    points,
    rating_position,
    triangulate,
)
from wqm_nb.model.year import YearResult
from wqm_nb.store.surveys import SurveyData

WQM = load_framework("wqm")
BANK = load_question_bank()


def year_of(framework, ratings=None, default=None, rows=(), min_group_size=5, evidence="Evidence"):
    """A YearResult: every element at ``default`` (None: unrated) unless ``ratings`` says otherwise, and
    survey answers ``rows`` of (survey, respondent, subgroup, item, value)."""
    ratings = ratings or {}
    records = [
        dict(element_id=e, rating=ratings.get(e, default), evidence=evidence, sorting="")
        for e in framework.element_ids
        if ratings.get(e, default) is not None
    ]
    elements = sef_elements(framework, pd.DataFrame(records, columns=["element_id", "rating", "evidence", "sorting"]))
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


def people(survey, item, values, prefix=""):
    """One respondent per value, all answering one item."""
    return [(survey, f"{prefix}{survey}{i}", "", item, v) for i, v in enumerate(values)]


def summary(tri, pid):
    return tri.principles.set_index("principle_id").loc[pid]


# --------------------------------------------------------------------------
# positions


def test_rating_position_is_the_place_on_the_scale():
    assert rating_position(1, 1, 4) == 0 and rating_position(4, 1, 4) == 1
    assert rating_position(2.5, 1, 4) == 0.5 and rating_position(2, 1, 3) == 0.5
    assert math.isnan(rating_position(np.nan, 1, 4)) and math.isnan(rating_position(None, 1, 4))
    assert rating_position(7, 1, 4) == 1 and rating_position(0, 1, 4) == 0  # clipped
    assert points(0.834) == "83" and points(np.nan) == ""


@given(low=st.integers(-3, 3), span=st.integers(1, 6), value=st.floats(-10, 10, allow_nan=False))
def test_positions_stay_in_the_unit_interval(low, span, value):
    assert 0 <= rating_position(value, low, low + span) <= 1


# --------------------------------------------------------------------------
# flags with known answers


def test_a_blind_spot_is_flagged():
    # leaders rate P5 Embedded (position 1); ten staff all disagree with S10 (P5): agreement 0
    year = year_of(WQM, default=4, rows=people("staff", "S10", [2] * 10))
    tri = triangulate(WQM, BANK, year)
    p5 = summary(tri, "P5")
    assert p5["flag"] == BLIND_SPOT and p5["leadership"] == 1 and p5["others"] == 0 and p5["gap"] == 1
    assert p5["views"] == 1
    assert "blind spot" in p5["statement"] and "governors" in p5["statement"]
    assert "staff 0% agree (n=10)" in p5["statement"]
    assert list(tri.blind_spots["principle_id"]) == ["P5"] and len(tri.hidden_strengths) == 0
    # the other principles have no published stakeholder view: nothing to compare, no flag
    assert summary(tri, "P1")["flag"] == "" and "no published stakeholder view" in summary(tri, "P1")["statement"]


def test_a_hidden_strength_is_flagged():
    # leaders rate P5 Deciding to act (position 0); ten staff all strongly agree
    year = year_of(WQM, ratings={"P5.1": 1}, default=3, rows=people("staff", "S10", [5] * 10))
    tri = triangulate(WQM, BANK, year)
    p5 = summary(tri, "P5")
    assert p5["flag"] == HIDDEN_STRENGTH and p5["gap"] == -1
    assert "hidden strength" in p5["statement"]
    assert list(tri.hidden_strengths["principle_id"]) == ["P5"] and len(tri.blind_spots) == 0


def test_a_small_gap_is_not_flagged():
    # leaders 3 of 4 (position 2/3); staff half agree (0.5): a gap of 1/6, under 0.25
    year = year_of(WQM, default=3, rows=people("staff", "S10", [5] * 5 + [1] * 5))
    p5 = summary(triangulate(WQM, BANK, year), "P5")
    assert p5["flag"] == "" and p5["gap"] == pytest.approx(1 / 6, abs=0.005) and "no large gap" in p5["statement"]


def test_a_gap_exactly_at_the_threshold_is_flagged():
    # leaders 1.0, staff 6 of 8 agree (0.75): gap 0.25 = blind_spot_gap
    year = year_of(WQM, default=4, rows=people("staff", "S10", [4] * 6 + [2] * 2))
    assert summary(triangulate(WQM, BANK, year), "P5")["flag"] == BLIND_SPOT


def test_a_suppressed_group_does_not_create_a_flag():
    # staff agree fully (no gap); four pupils who all disagree are hidden and must not make a blind spot
    rows = people("staff", "S10", [5] * 10) + people("pupil", "U05", [1] * 4)
    tri = triangulate(WQM, BANK, year_of(WQM, default=4, rows=rows))
    p5 = summary(tri, "P5")
    assert p5["flag"] == "" and p5["views"] == 1 and p5["others"] == 1
    assert tri.cell("P5", "pupil") == "fewer than 5 responses" and math.isnan(tri.position("P5", "pupil"))
    assert "pupil" not in p5["statement"]


def test_a_suppressed_group_does_not_prevent_a_flag():
    # staff all disagree: a blind spot; four parents who all agree are hidden and must not soften it
    rows = people("staff", "S10", [1] * 10) + people("parent", "R05", [5] * 4)
    tri = triangulate(WQM, BANK, year_of(WQM, default=4, rows=rows))
    p5 = summary(tri, "P5")
    assert p5["flag"] == BLIND_SPOT and p5["others"] == 0 and p5["views"] == 1
    assert tri.cell("P5", "parent") == "fewer than 5 responses"


def test_a_flag_needs_min_views_published_views():
    rows = people("staff", "S10", [1] * 10)
    year = year_of(WQM, default=4, rows=rows)
    two = TriangulationRules(min_views=2)
    p5 = summary(triangulate(WQM, BANK, year, two), "P5")
    assert p5["flag"] == "" and "only 1 published stakeholder view" in p5["statement"]
    year = year_of(WQM, default=4, rows=rows + people("pupil", "U05", [2] * 10))
    assert summary(triangulate(WQM, BANK, year, two), "P5")["flag"] == BLIND_SPOT


def test_the_staff_audit_counts_unless_the_rules_say_not():
    # six staff rate P5 Deciding to act in the audit (position 0); leaders Embedded (1)
    year = year_of(WQM, default=4, rows=people("staff_audit", "SA5", [1] * 6))
    tri = triangulate(WQM, BANK, year)
    assert tri.cell("P5", "staff_audit") == "1.0 of 4 (n=6)" and tri.position("P5", "staff_audit") == 0
    assert summary(tri, "P5")["flag"] == BLIND_SPOT
    shown_only = triangulate(WQM, BANK, year, TriangulationRules(staff_audit_counts=False))
    assert summary(shown_only, "P5")["flag"] == "" and shown_only.cell("P5", "staff_audit") == "1.0 of 4 (n=6)"


def test_unrated_not_asked_and_no_responses_are_named_not_counted():
    year = year_of(WQM, ratings={"P5.1": 4}, rows=people("staff", "S10", [1] * 10))
    tri = triangulate(WQM, BANK, year)
    assert tri.cell("P1", LEADERSHIP) == NOT_RATED and summary(tri, "P1")["flag"] == ""
    assert "not rated" in summary(tri, "P1")["statement"]
    assert tri.cell("P3", "parent") == NOT_ASKED  # no parent item informs P3
    assert tri.cell("P5", "pupil") == "no responses"
    assert tri.table["position"].dropna().between(0, 1).all()


def test_views_follow_each_frameworks_mapping():
    audit = people("staff_audit", "SA1", [3] * 6)
    wqm = triangulate(WQM, BANK, year_of(WQM, default=3, rows=audit))
    assert [v.id for v in wqm.views] == [LEADERSHIP, "staff_audit", "staff", "pupil", "parent"]
    vbe_fw = load_framework("vbe")
    vbe = triangulate(vbe_fw, BANK, year_of(vbe_fw, default=3, rows=audit))
    assert [v.id for v in vbe.views] == [LEADERSHIP, "staff", "pupil", "parent"]
    assert vbe.unmapped == ("Staff audit",)  # ran, but VbE does not map it
    assert set(vbe.table.loc[vbe.table["principle_id"] == "A5", "text"]) == {"3.0 of 4", NOT_ASKED}
    lm_fw = load_framework("leadership_management")
    lm = triangulate(lm_fw, BANK, year_of(lm_fw, default=2, rows=people("staff", "S01", [5] * 10)))
    assert [v.id for v in lm.views] == [LEADERSHIP, "staff", "parent"]
    lm_row = summary(lm, "LM")
    assert lm_row["leadership"] == 0.5 and lm.cell("LM", LEADERSHIP) == "2.0 of 3"  # Partly in place
    assert lm_row["flag"] == HIDDEN_STRENGTH and lm_row["gap"] == -0.5


# --------------------------------------------------------------------------
# properties


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rating=st.integers(1, 4),
    staff=st.lists(st.integers(1, 5), max_size=12),
    pupil=st.lists(st.integers(1, 5), max_size=12),
    parent=st.lists(st.integers(1, 5), max_size=12),
    min_views=st.integers(1, 3),
)
def test_flags_read_only_published_views(rating, staff, pupil, parent, min_views):
    rows = people("staff", "S10", staff) + people("pupil", "U05", pupil) + people("parent", "R05", parent)
    year = year_of(WQM, ratings={"P5.1": rating}, rows=rows)
    rules = TriangulationRules(min_views=min_views)
    tri = triangulate(WQM, BANK, year, rules)
    p5 = summary(tri, "P5")
    published = year.figures.for_section("P5")
    # the views counted are exactly the published groups, each at its share
    assert p5["views"] == len(published)
    for survey, answers in (("staff", staff), ("pupil", pupil), ("parent", parent)):
        position = tri.position("P5", survey)
        if survey in set(published["survey"]):
            assert position == round(sum(v >= 4 for v in answers) / len(answers), 2)  # as published
        else:
            assert math.isnan(position)
    assert tri.table["position"].dropna().between(0, 1).all()
    leaders = (rating - 1) / 3
    if p5["flag"]:
        assert p5["views"] >= min_views
        expected = leaders - published["agree_share"].mean()
        assert p5["gap"] == pytest.approx(expected)
        assert (p5["flag"] == BLIND_SPOT) == (expected > 0)
        assert abs(expected) >= 0.25 - 1e-9
    elif len(published) >= min_views:
        assert abs(leaders - published["agree_share"].mean()) < 0.25 + 1e-9
