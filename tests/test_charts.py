import pandas as pd

from wqm_nb import analysis, charts
from wqm_nb.frameworks import load_framework, load_question_bank

FW = load_framework()


def test_sef_chart_is_svg_with_principle_labels():
    el = analysis.sef_elements(FW, pd.DataFrame([dict(element_id="P1.1", rating=4, evidence="x")]))
    svg = charts.sef_chart(analysis.sef_principles(FW, el), FW.scale)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "Adopt whole-school" in svg and "not rated" in svg and "Embedded and" in svg


def test_survey_chart_marks_suppressed_groups():
    bank = load_question_bank()
    resp = pd.DataFrame([("staff", f"s{i}", "", "S01", 5) for i in range(6)] +
                        [("parent", f"p{i}", "", "R01", 5) for i in range(2)],
                        columns=["survey", "respondent", "subgroup", "item_id", "value"])
    svg = charts.survey_chart(analysis.survey_scores(resp, bank, FW, 5), 5)
    assert svg.startswith("<svg")
    assert "Parent and carer survey: fewer than 5 responses, not shown" in svg


def test_heatmap_and_trend():
    matrix = pd.DataFrame({"P1": [3.0, 2.5], "P2": [4.0, None]}, index=["School A", "School B"])
    svg = charts.heatmap(matrix, "Maturity", 1, 4)
    assert "School A" in svg and "2.5" in svg
    trend = pd.DataFrame(dict(academic_year=["2024-25", "2025-26"], principle_id=["P1", "P1"],
                              mean_rating=[2.0, 3.0]))
    assert charts.trend_chart(trend, FW.scale).startswith("<svg")
