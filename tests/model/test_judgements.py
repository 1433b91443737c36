"""Strengths and areas for development read the self-evaluation and only published figures."""

import pandas as pd

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.model.figures import publish_figures
from wqm_nb.model.judgements import pct, strengths_and_areas
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.store.surveys import SurveyData

WQM = load_framework("wqm")
BANK = load_question_bank()
MAPPING = load_mapping(WQM, BANK)


def judge(rating_values=None, default=4, evidence="Evidence", rows=(), min_group_size=5, unrated=()):
    """Strengths and areas for WQM with every element at ``default`` unless overridden."""
    values = rating_values or {}
    ratings = pd.DataFrame(
        [
            dict(element_id=e, rating=values.get(e, default), evidence=evidence)
            for e in WQM.element_ids
            if e not in unrated
        ],
        columns=["element_id", "rating", "evidence"],
    )
    elements = sef_elements(WQM, ratings)
    principles = sef_principles(WQM, elements)
    responses = pd.DataFrame(list(rows), columns=["survey", "respondent", "subgroup", "item_id", "value"])
    figures = publish_figures(SurveyData.from_long(responses), BANK, MAPPING, WQM, min_group_size)
    strengths, areas = strengths_and_areas(WQM, elements, principles, figures)
    return strengths.set_index("principle_id")["statement"], areas.set_index("principle_id")["statement"]


def people(survey, count, item, value):
    return [(survey, f"{survey}{i}", "", item, value) for i in range(count)]


def test_pct():
    assert pct(0.5) == "50%" and pct(1.0) == "100%" and pct(0.0) == "0%"


def test_strong_self_evaluation_is_a_strength_and_no_area():
    strengths, areas = judge(default=4)
    assert list(strengths.index) == list(WQM.principle_ids)
    assert strengths["P1"] == "self-evaluated as Embedded and evaluated (mean 4.0)"
    assert len(areas) == 0


def test_middling_self_evaluation_gives_neither():
    strengths, areas = judge(default=3)
    assert len(strengths) == 0 and len(areas) == 0


def test_low_ratings_unrated_and_missing_evidence_are_areas():
    _, areas = judge(default=3, rating_values={"P2.1": 1, "P2.2": 2}, unrated=("P3.1",))
    assert areas["P2"] == "rated P2.1 Deciding to act, P2.2 Shared understanding"
    assert areas["P3"] == "not yet rated: P3.1"
    _, areas = judge(default=3, evidence="")
    assert areas["P5"] == "no evidence recorded for P5.1"


def test_published_high_agreement_is_a_strength():
    strengths, _ = judge(default=3, rows=people("staff", 5, "S10", 5))  # S10 informs P5
    assert strengths["P5"] == "100% of staff survey respondents agree"


def test_strength_needs_every_published_group_to_agree():
    rows = people("staff", 5, "S10", 5) + people("parent", 5, "R05", 4) + people("pupil", 5, "U05", 2)
    strengths, areas = judge(default=3, rows=rows)
    assert "P5" not in strengths.index
    assert areas["P5"] == "only 0% of pupil survey respondents agree despite a self-evaluation of 3 or more"


def test_low_agreement_without_high_self_evaluation_has_no_gap_wording():
    _, areas = judge(default=2, evidence="x", rows=people("staff", 5, "S10", 1))
    assert areas["P5"] == "rated P5.1 Shared understanding; only 0% of staff survey respondents agree"


def test_suppressed_group_never_produces_a_statement():
    # four parents who all disagree: below the minimum, so not a statement either way
    rows = people("parent", 4, "R05", 1) + people("parent", 4, "R01", 5)
    strengths, areas = judge(default=3, rows=rows)
    assert len(strengths) == 0 and len(areas) == 0
    # the same answers published with a lower minimum do produce statements
    strengths, areas = judge(default=3, rows=rows, min_group_size=4)
    assert areas["P5"].startswith("only 0% of parent and carer survey respondents agree")
    assert strengths["P1"] == "100% of parent and carer survey respondents agree"


def test_suppressed_group_does_not_block_a_strength():
    rows = people("staff", 5, "S10", 5) + people("parent", 3, "R05", 1)
    strengths, areas = judge(default=3, rows=rows)
    assert strengths["P5"] == "100% of staff survey respondents agree"
    assert all("parent" not in s for s in list(strengths) + list(areas))


def audit(count, value):
    return [("staff_audit", f"a{i}", "", f"SA{k}", value) for i in range(count) for k in range(1, 8)]


def test_the_staff_audit_makes_no_strength_or_area():
    # every member of staff rates every principle 1 (or 4): no statement on stakeholders agreeing
    for value in (1, 4):
        strengths, areas = judge(default=3, rows=audit(20, value))
        assert strengths.empty and areas.empty
    strengths, _ = judge(default=3, rows=audit(20, 4) + people("staff", 6, "S01", 5))
    assert strengths["P1"] == "100% of staff survey respondents agree"
    assert not any("audit" in s for s in strengths)
