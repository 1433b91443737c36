"""YearResult: one school year through one framework."""

import dataclasses

import pandas as pd
import pytest

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.model.figures import publish_figures
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.model.year import YearResult, year_result
from wqm_nb.store import Store
from wqm_nb.store.surveys import SurveyData

WQM = load_framework("wqm")
VBE = load_framework("vbe")
BANK = load_question_bank()


def make_result(ratings):
    elements = sef_elements(WQM, pd.DataFrame(ratings, columns=["element_id", "rating", "evidence"]))
    empty = pd.DataFrame(columns=["survey", "respondent", "subgroup", "item_id", "value"])
    return YearResult(
        year="2025-26",
        school_year_id=1,
        cycle_id=None,
        elements=elements,
        principles=sef_principles(WQM, elements),
        figures=publish_figures(SurveyData.from_long(empty), BANK, load_mapping(WQM, BANK), WQM, 5),
    )


def test_has_self_evaluation():
    assert make_result([("P3.2", 1, "")]).has_self_evaluation
    assert not make_result([]).has_self_evaluation


def test_defaults_and_frozen():
    result = make_result([])
    assert isinstance(result.notes, pd.DataFrame) and len(result.notes) == 0
    assert result.reflections == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.year = "2024-25"


@pytest.fixture
def filled():
    """A school with a VbE cycle in 2025-26 (ratings, a note, a reflection) and surveys in two years."""
    with Store(":memory:") as store:
        store.add_school("T01", "Test School", "primary", trust="Test Trust")
        cycle = store.ensure_cycle("T01", "2025-26", "vbe")
        store.record_rating(cycle, "A1.1", 2, "old", recorded_at="2025-10-01T10:00:00")
        store.record_rating(cycle, "A1.1", 4, "new evidence", recorded_at="2026-01-01T10:00:00")
        store.add_note(cycle, "Visit went well", author="Adviser", principle_id="A2")
        store.record_reflection(cycle, "stand_out", "Values assemblies", author="Head")
        for year in ("2024-25", "2025-26"):
            sy = store.ensure_school_year("T01", year)
            store.add_survey_responses(
                sy, "staff", pd.DataFrame([dict(respondent=f"s{i}", role="teaching", S01=5, S02=3) for i in range(6)])
            )
        yield store


def test_year_result_from_a_store(filled):
    sy = filled.school_year("T01", "2025-26")
    r = year_result(filled, sy, VBE, BANK, load_mapping(VBE, BANK), 5)
    assert r.year == "2025-26" and r.school_year_id == sy["school_year_id"]
    assert r.cycle_id == filled.cycle("T01", "2025-26", "vbe")["cycle_id"]
    a1 = r.elements.set_index("element_id").loc["A1.1"]
    assert a1["rating"] == 4 and a1["evidence"] == "new evidence"  # the latest entry counts
    assert r.has_self_evaluation
    assert r.notes["note"].tolist() == ["Visit went well"] and r.notes["principle_id"].tolist() == ["A2"]
    assert r.reflections["stand_out"]["text"] == "Values assemblies"
    staff_a1 = r.figures.whole.set_index(["survey", "section_id"]).loc[("staff", "A1")]
    assert staff_a1["n"] == 6 and staff_a1["agree_share"] == 1.0  # S01 informs A1


def test_year_without_a_cycle_still_has_figures(filled):
    sy = filled.school_year("T01", "2024-25")
    r = year_result(filled, sy, VBE, BANK, load_mapping(VBE, BANK), 5)
    assert r.cycle_id is None and not r.has_self_evaluation
    assert len(r.elements) == len(VBE.element_ids) and r.elements["rating"].isna().all()
    assert len(r.notes) == 0 and r.reflections == {}
    assert r.figures.has_figures
    staff_a2 = r.figures.whole.set_index(["survey", "section_id"]).loc[("staff", "A2")]
    assert staff_a2["n"] == 6 and staff_a2["agree_share"] == 0.0  # S02 (all 3) informs A2


def test_cycle_of_another_framework_is_not_this_years_self_evaluation(filled):
    sy = filled.school_year("T01", "2025-26")
    r = year_result(filled, sy, WQM, BANK, load_mapping(WQM, BANK), 5)
    assert r.cycle_id is None and not r.has_self_evaluation
    assert r.reflections == {} and len(r.notes) == 0
