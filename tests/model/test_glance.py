"""The debrief's first page, from the models the report already has: no rule of its own."""

from datetime import date

import pytest

from wqm_nb.model.glance import TOP, at_a_glance
from wqm_nb.model.priorities import QUADRANTS, SUSTAIN
from wqm_nb.model.trends import school_trends
from wqm_nb.present import load_school_report


@pytest.fixture(scope="module")
def glance_of(sample_db):
    def make(school: str, framework: str = "wqm"):
        report = load_school_report(school_id=school, data=str(sample_db), framework=framework, as_of="2026-01-05")
        a = report.assessment
        trends = school_trends(a.framework, a.history, a.bank)
        return report, at_a_glance(a, report.priorities, report.triangulation, trends, date(2026, 1, 5))

    return make


def test_what_is_missing_for_the_next_level_is_the_readiness_gaps(glance_of):
    report, glance = glance_of("NLT04")
    r = report.assessment.readiness
    assert glance.position == f"Does not yet meet the criteria for {r.next_level.name} in 2025-26."
    assert glance.next_level == r.next_level.name
    expected = [gap for gaps in r.gaps[r.next_level.id].values() for gap in gaps]
    assert all(any(gap in m for m in glance.missing) for gap in expected) and glance.missing


def test_priorities_follow_the_grids_order_and_strengths_the_assessments(glance_of):
    report, glance = glance_of("NLT03")
    order = list(QUADRANTS)
    table = report.priorities.table.set_index("principle_id")
    quadrants = [table.loc[name.split()[0], "quadrant"] for name, _, _ in glance.priorities]
    assert SUSTAIN not in quadrants and quadrants == sorted(quadrants, key=order.index) and len(quadrants) <= TOP
    assert [s[0].split()[0] for s in glance.strengths] == list(report.assessment.strengths["principle_id"][:TOP])


def test_blind_spots_changes_responses_and_next_steps_come_from_their_models(glance_of):
    report, glance = glance_of("NLT04")
    assert [b.split()[0] for b in glance.blind_spots] == list(report.triangulation.blind_spots["principle_id"])
    assert glance.changes and all("since 2024-25" in c for c in glance.changes)
    assert any(r.startswith("Staff survey: ") for r in glance.responses)
    _, top = glance_of("NLT01")
    assert top.position.endswith("the highest level.") and top.next_level == "" and top.priorities == ()


def test_a_hidden_response_count_says_why_and_vbe_shows_its_reflections(glance_of):
    _, glance = glance_of("NLT03")
    assert "Parent and carer survey: fewer than 5 responses" in glance.responses
    _, vbe = glance_of("NLT01", "vbe")
    assert [title for title, _ in vbe.reflections][:2] == [r.title for r in vbe_reflections()][:2]


def vbe_reflections():
    from wqm_nb.data import load_framework

    return load_framework("vbe").reflections


def test_a_checklist_shows_its_completion(glance_of):
    _, glance = glance_of("NLT01", "leadership_management")
    assert glance.position.endswith("checklist items rated in 2025-26.") and glance.next_level == ""
