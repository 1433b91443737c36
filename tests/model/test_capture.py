"""Capture progress: completion per section and overall, and the next level's missing criteria,
which must be the award rules' own."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.model.awards import readiness
from wqm_nb.model.capture import AWARD_RECORD, capture_progress, current_year_result
from wqm_nb.model.figures import COLUMNS, TOTAL_COLUMNS, PublishedFigures
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.model.year import YearResult, year_result
from wqm_nb.store import Store

WQM = load_framework("wqm")


@pytest.fixture(scope="module")
def years(sample_db):
    """The sample school NLT03's year results against WQM (oldest first)."""
    bank = load_question_bank()
    mapping = load_mapping(WQM, bank)
    with Store.open(sample_db, read_only=True) as store:
        return tuple(year_result(store, y, WQM, bank, mapping, 5) for y in store.school_years("NLT03"))


def states(ratings: dict[str, int | None], evidence: str = "seen") -> dict[str, dict]:
    return {k: dict(rating=v, evidence=evidence) for k, v in ratings.items()}


def test_an_empty_form_counts_nothing_and_misses_every_rating(years):
    progress = capture_progress(WQM, {}, years[-1], years[:-1])
    assert (progress.elements, progress.rated, progress.with_evidence, progress.complete) == (20, 0, 0, 0)
    assert progress.percent_complete == 0
    assert progress.next_level.id == "approved" and progress.achieved is None
    assert set(progress.missing) == set(WQM.principle_ids)
    assert all(any(r.startswith("not rated") for r in reasons) for reasons in progress.missing.values())
    assert [s.mean for s in progress.sections] == [None] * 7


def test_sections_count_rated_evidence_and_mean(years):
    current = states({"P1.1": 4, "P1.2": 2, "P1.3": None})
    current["P1.2"]["evidence"] = ""
    progress = capture_progress(WQM, current, years[-1], years[:-1])
    p1 = progress.sections[0]
    assert (p1.elements, p1.rated, p1.with_evidence, p1.complete) == (6, 2, 2, 1)
    assert p1.mean == pytest.approx(3.0)
    assert p1.summary == "2 of 6 rated, 2 with evidence, mean 3.0"
    assert progress.sections[1].summary == "0 of 2 rated, 0 with evidence"


def test_missing_criteria_are_the_award_rules_own(years):
    """The form's list equals what readiness() says for the same values, level by level."""
    current = states({e: 3 for e in WQM.element_ids})
    current["P7.1"] = dict(rating=1, evidence="")
    progress = capture_progress(WQM, current, years[-1], years[:-1])
    rules = readiness(WQM, [*years[:-1], current_year_result(WQM, current, years[-1])])
    assert progress.next_level == rules.next_level
    assert progress.missing == {p: r for p, r in rules.gaps[rules.next_level.id].items() if r}
    assert "P7.1 rated 1 (needs 2)" in progress.missing["P7"]


def test_a_checklist_framework_has_no_levels():
    framework = load_framework("leadership_management")
    elements = sef_elements(framework, pd.DataFrame(columns=["element_id", "rating", "evidence"]))
    base = YearResult(
        "2025-26",
        1,
        None,
        elements,
        sef_principles(framework, elements),
        PublishedFigures(pd.DataFrame(columns=COLUMNS), pd.DataFrame(columns=TOTAL_COLUMNS), 5),
    )
    first = framework.element_ids[0]
    progress = capture_progress(framework, states({first: framework.scale.max}), base)
    assert not progress.has_levels and progress.next_level is None and progress.missing == {}
    assert progress.complete == 1 and progress.elements == len(framework.element_ids)


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(WQM.element_ids), st.one_of(st.none(), st.sampled_from(WQM.scale.values)), max_size=20
    ),
    st.booleans(),
)
def test_totals_add_up_and_stay_in_range(sample_db, ratings, with_evidence):
    bank = load_question_bank()
    with Store.open(sample_db, read_only=True) as store:
        base = year_result(store, store.school_year("NLT01", "2025-26"), WQM, bank, load_mapping(WQM, bank), 5)
    progress = capture_progress(WQM, states(ratings, "e" if with_evidence else ""), base)
    assert progress.rated == sum(v is not None for v in ratings.values())
    assert progress.complete == (progress.rated if with_evidence else 0)
    assert 0 <= progress.percent_complete <= 100
    for s in progress.sections:
        assert s.complete <= min(s.rated, s.with_evidence) and s.rated <= s.elements
        assert s.mean is None or WQM.scale.min <= s.mean <= WQM.scale.max


def test_a_level_not_held_long_enough_is_missing_from_the_award_record():
    """VbE's Enhanced Quality Mark needs the Quality Mark held (recorded award decisions), which no section shows."""
    vbe = load_framework("vbe")
    empty = PublishedFigures(pd.DataFrame(columns=COLUMNS), pd.DataFrame(columns=TOTAL_COLUMNS), 5)
    elements = sef_elements(vbe, pd.DataFrame(columns=["element_id", "rating", "evidence"]))
    base = YearResult(
        year="2025-26",
        school_year_id=1,
        cycle_id=1,
        elements=elements,
        principles=sef_principles(vbe, elements),
        figures=empty,
    )
    current = states({e: 4 for e in vbe.element_ids})
    progress = capture_progress(vbe, current, base)
    assert progress.achieved.id == "quality_mark" and progress.next_level.id == "enhanced"
    assert progress.missing == {
        AWARD_RECORD: [
            "needs Quality Mark held (awarded in 2025-26 or before) (Quality Mark not held: no award recorded)"
        ]
    }
    held = [
        dict(
            decision_id=1,
            framework="vbe",
            level="quality_mark",
            academic_year="2024-25",
            outcome="awarded",
            decided_on="2025-06-30",
            assessor="",
            supersedes=None,
        )
    ]
    progress = capture_progress(vbe, current, base, (), held)
    assert progress.achieved.id == "enhanced" and progress.next_level is None and progress.missing == {}
