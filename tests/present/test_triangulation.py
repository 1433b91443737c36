"""The triangulation and priorities sections and their charts, on small hand-made assessments: the blind
spot in words for governors, hidden groups shown only as their reason, the 2x2 grid and the sorting."""

import re
from html import unescape

import pandas as pd

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.model.assessment import SchoolAssessment
from wqm_nb.model.figures import publish_figures
from wqm_nb.model.priorities import prioritise
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.model.triangulation import triangulate
from wqm_nb.model.year import YearResult
from wqm_nb.present.triangulation import (
    _place_labels,
    priorities_chart,
    priorities_section,
    triangulation_chart,
    triangulation_section,
)
from wqm_nb.settings import ReportSettings
from wqm_nb.store.surveys import SurveyData

BANK = load_question_bank()


def assessment(framework_id="wqm", ratings=None, default=4, rows=(), evidence=None, sorting=None):
    """A hand-made SchoolAssessment of one year (no store)."""
    fw = load_framework(framework_id)
    ratings, evidence, sorting = ratings or {}, evidence or {}, sorting or {}
    records = [
        dict(
            element_id=e,
            rating=ratings.get(e, default),
            evidence=evidence.get(e, "Evidence"),
            sorting=sorting.get(e, ""),
        )
        for e in fw.element_ids
    ]
    elements = sef_elements(fw, pd.DataFrame(records))
    mapping = load_mapping(fw, BANK)
    responses = pd.DataFrame(list(rows), columns=["survey", "respondent", "subgroup", "item_id", "value"])
    figures = publish_figures(SurveyData.from_long(responses), BANK, mapping, fw, 5)
    year = YearResult(
        year="2025-26",
        school_year_id=1,
        cycle_id=1,
        elements=elements,
        principles=sef_principles(fw, elements),
        figures=figures,
    )
    empty = pd.DataFrame(columns=["principle_id", "principle", "statement"])
    return SchoolAssessment(
        settings=ReportSettings(school_id="T01", framework=fw.id),
        school=dict(name="Test School"),
        framework=fw,
        bank=BANK,
        mapping=mapping,
        current=year,
        history=(year,),
        readiness=None,
        strengths=empty,
        areas=empty,
    )


def people(survey, item, values):
    return [(survey, f"{survey}{item}{i}", "", item, v) for i, v in enumerate(values)]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_a_blind_spot_is_told_to_governors_and_a_hidden_group_is_only_its_reason():
    # P5: leaders embedded, staff all disagree (blind spot); four pupils who all agree are hidden
    a = assessment(rows=people("staff", "S10", [1] * 10) + people("pupil", "U05", [5] * 4))
    section = triangulation_section(a)
    assert section.name == "triangulation" and 'id="triangulation"' in section.html
    words = text(section.html)
    assert "For governors: possible blind spots" in words and "wilful blindness" in words
    assert "P5 Develop supportive policy" in words and "100 points higher than stakeholders report" in words
    assert "fewer than 5 responses" in words and "(n=4)" not in section.html and "100% agree" not in words
    assert "Blind spot" in words and "Rules from wqm.yaml (decisions.triangulation)" in words
    assert '<th scope="col">Staff audit</th>' in section.html and "<svg" in section.html


def test_a_hidden_strength_is_listed_and_no_blind_spot_is_said_plainly():
    a = assessment(ratings={"P5.1": 1}, default=3, rows=people("staff", "S10", [5] * 10))
    words = text(triangulation_section(a).html)
    assert "Possible hidden strengths" in words and "A possible hidden strength" in words
    assert "No blind spot" in words and "For governors" not in words


def test_the_triangulation_chart_shows_every_view_with_words_not_only_colour():
    a = assessment(
        rows=people("staff", "S10", [1] * 10) + people("pupil", "U05", [5] * 4) + people("staff_audit", "SA5", [2] * 6)
    )
    chart = triangulation_chart(triangulate(a.framework, BANK, a.current), "Views")
    assert chart.svg.startswith("<svg") and "<title>Views:" in chart.svg
    assert (
        "P5: leaders 4.0 of 4, staff audit 2.0 of 4 (n=6), staff 0% agree (n=10), pupils fewer than 5 "
        "responses, parents and carers no responses (blind spot)" in chart.alt
    )
    assert "Staff audit: 2.0 of 4 (n=6)" in chart.svg and "Pupils: fewer than 5 responses" in chart.svg
    assert "[blind spot]" in chart.svg and "<pattern" in chart.svg  # hatches: views apart without colour


def test_priorities_section_places_every_section_and_summarises_the_sorting():
    rows = people("staff", "S11", [2] * 7 + [4] * 3) + people("staff", "S12", [5] * 10)
    sorting = {"P1.1": "doing_now", "P1.2": "want_to_do", "P1.4": "not_for_us", "P5.1": "doing_now"}
    a = assessment(
        ratings={"P5.1": 1, "P4.1": 3, "P4.2": 3}, evidence={"P4.1": "", "P4.2": ""}, rows=rows, sorting=sorting
    )
    section = priorities_section(a)
    assert section.name == "priorities" and 'id="priorities"' in section.html
    words = text(section.html)
    for heading in (
        "Act first: high risk, low capacity",
        "Act now: high risk, high capacity",
        "Build up: low risk, low capacity",
        "Sustain and share: low risk, high capacity",
    ):
        assert heading in words
    assert "P5 Develop supportive policy : rated low: P5.1 Deciding to act" in words
    assert "staff survey 30% agree (n=10), below 60%" in words
    assert "We don't want to / don't understand this" in words and "To discuss with the school" in words
    assert "P1.4 Identify difficulties and intervene early (P1): sorted as" in words
    assert "P5.1 Provide clear boundaries and robust policies (P5): We do this now, but rated Deciding to act" in words
    assert "Rules from wqm.yaml (decisions.priorities)" in words and "the staff audit, when published" in words
    # the sorting table: P1 has one of each and three unsorted
    assert re.search(r"<td>P1 Adopt whole-school thinking</td><td>1</td><td>1</td><td>1</td><td>3</td>", section.html)


def test_the_priorities_chart_names_quadrants_in_words_and_labels_points():
    rows = people("staff", "S11", [2] * 7 + [4] * 3)
    a = assessment(ratings={"P5.1": 1, "P4.1": 3, "P4.2": 3}, evidence={"P4.1": "", "P4.2": ""}, rows=rows)
    chart = priorities_chart(prioritise(a.framework, BANK, a.current), "Grid")
    assert "Act first: high risk, low capacity: P5" in chart.alt
    assert "Act now: high risk, high capacity: P6" in chart.alt
    assert "Build up: low risk, low capacity: P4" in chart.alt
    assert "Sustain and share: low risk, high capacity: P1, P2, P3, P7" in chart.alt
    for label in ("Act first: high risk, low capacity", "Sustain and share: low risk, high capacity"):
        assert label in chart.svg
    assert "P1, P2, P3, P7" in chart.svg  # the same place: one shared label


def test_labels_are_placed_clear_of_each_other():
    crowd = [(0.5 + 0.005 * k, 0.5, f"P{k}") for k in range(6)]
    placed = _place_labels(crowd, [])
    boxes = []
    for x, y, ha, label in placed:
        width = 0.017 * len(label)
        left = x if ha == "left" else x - width if ha == "right" else x - width / 2
        boxes.append((left, y - 0.0225, left + width, y + 0.0225))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_no_self_evaluation_says_so_instead_of_a_grid():
    a = assessment(default=None, rows=people("staff", "S10", [5] * 10))
    pri = priorities_section(a)
    assert "No self-evaluation recorded yet for 2025-26" in text(pri.html) and "<svg" not in pri.html
    tri = triangulation_section(a)
    assert "there is no leaders' view to compare" in text(tri.html) and "not rated" in tri.html


def test_vbe_and_the_checklist_get_their_own_views():
    vbe = assessment("vbe", default=3, rows=people("staff_audit", "SA1", [3] * 6) + people("staff", "S01", [5] * 10))
    words = text(triangulation_section(vbe).html)
    assert "Aspect" in words and "not mapped to the Values-based Education Quality Mark" in words
    assert '<th scope="col">Staff audit</th>' not in triangulation_section(vbe).html
    assert "the staff audit" not in text(priorities_section(vbe).html)
    lm = assessment("leadership_management", default=2, rows=people("parent", "R02", [5] * 10))
    section = triangulation_section(lm)
    assert "2.0 of 3" in section.html and "Hidden strength" in section.html
    assert "Not in place (1)" in text(priorities_section(lm).html)
