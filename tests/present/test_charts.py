"""Charts: SVG with alt text from the data, unique ids, a theme that does not depend on order."""

import re

import matplotlib
import pandas as pd

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.model.figures import WITHHELD_SURVEY, publish_figures
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.present import charts
from wqm_nb.store.surveys import SurveyData

FW = load_framework()
BANK = load_question_bank()


def _principles():
    el = sef_elements(FW, pd.DataFrame([dict(element_id="P1.1", rating=4, evidence="x")]))
    return sef_principles(FW, el)


def test_sef_chart_is_svg_with_labels_and_alt_text_from_the_data():
    chart = charts.sef_chart(_principles(), FW.scale)
    assert chart.svg.startswith("<svg") and chart.svg.rstrip().endswith("</svg>")
    assert "Adopt whole-school" in chart.svg and "not rated" in chart.svg and "Embedded and" in chart.svg
    assert "P1 4.0" in chart.alt and "P2 not rated" in chart.alt


def test_survey_chart_marks_suppressed_groups_without_their_size():
    resp = pd.DataFrame(
        [("staff", f"s{i}", "", "S01", 5) for i in range(6)] + [("parent", f"p{i}", "", "R01", 5) for i in range(2)],
        columns=["survey", "respondent", "subgroup", "item_id", "value"],
    )
    figures = publish_figures(SurveyData.from_long(resp), BANK, load_mapping(FW, BANK), FW, 5)
    chart = charts.survey_chart(figures.whole, 5)
    assert "Parent and carer survey: fewer than 5 responses, not shown" in chart.svg
    assert "P1 staff survey 100%" in chart.alt and "P1 parent and carer survey fewer than 5 responses" in chart.alt


def test_heatmap_and_trend():
    matrix = pd.DataFrame({"P1": [3.0, 2.5], "P2": [4.0, None]}, index=["School A", "School B"])
    chart = charts.heatmap(matrix, "Maturity", 1, 4)
    assert "School A" in chart.svg and "2.5" in chart.svg and "School B: P1 2.5, P2 blank" in chart.alt
    trend = pd.DataFrame(dict(year=["2024-25", "2025-26"], principle_id=["P1", "P1"], mean_rating=[2.0, 3.0]))
    assert "P1: 2024-25 2.0, 2025-26 3.0" in charts.trend_chart(trend, FW.scale).alt


def test_ids_are_unique_across_charts_and_references_follow():
    a = charts.sef_chart(_principles(), FW.scale).svg
    b = charts.heatmap(pd.DataFrame({"P1": [3.0]}, index=["X"]), "T", 1, 4).svg
    ids_a, ids_b = re.findall(r'\bid="([^"]+)"', a), re.findall(r'\bid="([^"]+)"', b)
    assert ids_a and ids_b and not set(ids_a) & set(ids_b)
    for ref in re.findall(r'(?:url\(#|href="#)([^")]+)', a + b):
        assert ref in ids_a + ids_b, f"dangling reference #{ref}"


def test_charts_do_not_depend_on_what_was_drawn_before():
    first = charts.sef_chart(_principles(), FW.scale).svg
    matplotlib.rcParams["font.size"] = 20  # a notebook changing global state
    matplotlib.rcParams["axes.facecolor"] = "red"
    try:
        assert charts.sef_chart(_principles(), FW.scale).svg == first
    finally:
        matplotlib.rcParams.update(matplotlib.rcParamsDefault)


def test_names_with_mathtext_characters_render_literally():
    matrix = pd.DataFrame({"P1": [3.0]}, index=["St $ave's_^\\ School"])
    chart = charts.heatmap(matrix, "Price $5", 1, 4)
    assert "St $ave's_^\\ School" in chart.svg and "Price $5" in chart.svg


def test_svg_is_an_image_whose_title_is_the_alt_text():
    chart = charts.sef_chart(_principles(), FW.scale)
    head = chart.svg[: chart.svg.index(">") + 1]
    assert 'role="img"' in head
    assert chart.svg[len(head) :].startswith(f"<title>{chart.alt}</title>")


def test_sef_chart_with_the_staff_audit_beside_it():
    rows = [("staff_audit", f"a{i}", "teaching", "SA1", 2 + i % 2) for i in range(6)] + [
        ("staff_audit", f"b{i}", "teaching", "SA2", 3) for i in range(3)
    ]
    figures = publish_figures(
        SurveyData.from_long(pd.DataFrame(rows, columns=["survey", "respondent", "subgroup", "item_id", "value"])),
        BANK,
        load_mapping(FW, BANK),
        FW,
        5,
    )
    chart = charts.sef_chart(_principles(), FW.scale, "Self-evaluation", audit=figures.ratings("staff_audit"))
    assert "P1 4.0, staff audit 2.5 (n=6)" in chart.alt
    assert "P2 not rated, staff audit fewer than 5 responses, not shown" in chart.alt
    assert "P7 not rated, staff audit no responses, not shown" in chart.alt
    assert "staff audit 2.5 (n=6)" in chart.svg and "Staff audit (mean rating)" in chart.svg
    assert "hatched" in chart.caption
    assert "n=3" not in chart.svg and "n=3" not in chart.alt
    # without an audit the chart is the self-evaluation alone
    plain = charts.sef_chart(_principles(), FW.scale, "Self-evaluation", audit=figures.ratings("staff_audit").iloc[0:0])
    assert "audit" not in plain.alt and plain.alt == charts.sef_chart(_principles(), FW.scale, "Self-evaluation").alt


def test_a_hidden_figure_is_marked_briefly_on_a_chart():
    from wqm_nb.present.charts import not_shown_mark

    assert not_shown_mark("fewer than 5 responses") == "fewer than 5 responses, not shown"
    assert not_shown_mark(WITHHELD_SURVEY) == "not shown"
