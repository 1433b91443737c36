"""The "Wellbeing measures" section and its charts, on hand-made assessments with known answers."""

import math
import re
from html import unescape

import pandas as pd

from wqm_nb.data import load_framework, load_instrument, load_mapping, load_question_bank
from wqm_nb.model import SchoolAssessment
from wqm_nb.model.figures import publish_figures
from wqm_nb.model.measures import mean_interval
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.model.year import YearResult
from wqm_nb.present.measures import (
    band_chart,
    band_text,
    group_name,
    informant_words,
    mean_interval_chart,
    measures_section,
)
from wqm_nb.settings import ReportSettings
from wqm_nb.store.surveys import SCORE_COLUMNS, SurveyData

BANK = load_question_bank()
WQM = load_framework("wqm")
SWEMWBS = load_instrument("swemwbs")
SDQ = load_instrument("sdq")


def plain(html: str) -> str:
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html)).strip())


def rows_of(html: str) -> list[str]:
    return [plain(r) for r in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)]


def year(
    label, groups, survey="pupil", instrument="swemwbs", score="metric", informant="self", bands=None, school_year_id=1
):
    """One year whose ``survey`` carried ``instrument``: groups = {subgroup: scores}; ``bands`` a function
    from a score to its band."""
    answers, scored, k = [], [], 0
    for group, values in groups.items():
        for v in values:
            answers.append((survey, f"r{k}", group, "U01" if survey == "pupil" else "S01", 4))
            scored.append((survey, f"r{k}", group, instrument, informant, score, float(v), bands(v) if bands else ""))
            k += 1
    data = SurveyData.from_long(pd.DataFrame(answers, columns=["survey", "respondent", "subgroup", "item_id", "value"]))
    data = SurveyData(blocks=data.blocks, scores=pd.DataFrame(scored, columns=SCORE_COLUMNS))
    figures = publish_figures(data, BANK, load_mapping(WQM, BANK), WQM, 5)
    frame = pd.DataFrame([dict(element_id=e.id, rating=3, evidence="E") for _, e in WQM.elements])
    el = sef_elements(WQM, frame)
    return YearResult(
        year=label,
        school_year_id=school_year_id,
        cycle_id=None,
        elements=el,
        principles=sef_principles(WQM, el),
        figures=figures,
    )


def assessment(*history) -> SchoolAssessment:
    return SchoolAssessment(
        settings=ReportSettings(school_id="T1"),
        school=dict(school_id="T1", name="Test School", phase="secondary", trust="", pupils=900),
        framework=WQM,
        bank=BANK,
        mapping=load_mapping(WQM, BANK),
        current=history[-1],
        history=tuple(history),
        readiness=None,
        strengths=pd.DataFrame(),
        areas=pd.DataFrame(),
    )


def spread(centre, n):
    """``n`` scores around ``centre`` (a fixed spread of ±2)."""
    return [centre + (-2, -1, 0, 1, 2)[k % 5] for k in range(n)]


def test_each_group_shows_its_mean_and_interval_and_a_small_one_its_reason():
    a = assessment(year("2025-26", {"Y7": spread(21, 40), "Y8": spread(20, 3), "Y9": spread(19, 20)}))
    f = measures_section(a)
    text = plain(f.html)
    assert f.name == "measures" and "Wellbeing measures" in text
    assert "Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS): Pupil survey" in text
    rows = rows_of(f.html)
    values = spread(21, 40)
    mean, low, high = mean_interval(40, sum(values), sum(v * v for v in values))
    # a group of the family is hidden: the means alone (the intervals would give the hidden group's spread)
    assert f"SWEMWBS metric score Y7 {mean:.1f}, n=40" in rows
    assert "SWEMWBS metric score Y8 fewer than 5 responses" in rows
    assert "SWEMWBS metric score Y9 not shown, so that a smaller group cannot be worked out" in rows
    assert not any("n=3" in r or "n=20" in r for r in rows)  # no size of a hidden group
    assert "(c) NHS Health Scotland" in text  # the copyright line SWEMWBS asks for
    # no group hidden: each mean with its interval
    rows = rows_of(measures_section(assessment(year("2025-26", {"Y7": spread(21, 40), "Y9": spread(19, 20)}))).html)
    assert f"SWEMWBS metric score Y7 {mean:.1f} ({low:.1f}\u2013{high:.1f}), n=40" in rows


def test_below_the_minimum_a_group_is_too_few_to_compare_stating_the_minimum_and_its_source():
    f = measures_section(assessment(year("2025-26", {"Y7": spread(21, 29), "Y8": spread(20, 31)})))
    rows = rows_of(f.html)
    assert any(
        r.startswith("SWEMWBS metric score Y7") and r.endswith("too few to compare (fewer than 30)") for r in rows
    )
    assert any(r.startswith("SWEMWBS metric score Y8") and "too few" not in r for r in rows)
    assert (
        "Minimum for comparing groups: at least 30 respondents in each group (Warwick Medical School: "
        "'at least 30 people"
    ) in plain(f.html)


def test_a_change_since_last_year_is_called_only_when_the_intervals_allow():
    before = year("2024-25", {"Y7": spread(20, 40), "Y8": spread(20, 40), "Y9": spread(20, 12)})
    after = year("2025-26", {"Y7": spread(24, 40), "Y8": spread(20.5, 40), "Y9": spread(26, 12)}, school_year_id=2)
    rows = rows_of(measures_section(assessment(before, after)).html)
    changes = {
        r.split(" ")[3]: r
        for r in rows
        if r.startswith("SWEMWBS metric score")
        and "2024-25" not in r
        and ("improved" in r or "declined" in r or "difference" in r or "too few" in r or "compared" in r)
    }
    assert "\u25b2 improved (+4.0)" in changes["Y7"]  # intervals far apart
    assert "no clear difference (+0.5)" in changes["Y8"]  # intervals overlap
    assert "too few to compare: needs at least 30 respondents" in changes["Y9"]  # a large change, 12 people
    assert "Warwick" in changes["Y9"]


def test_a_lower_sdq_difficulty_score_is_an_improvement_and_bands_are_shown():
    def band(v):
        return "Normal" if v <= 13 else "Borderline" if v <= 16 else "Abnormal"

    before = year(
        "2024-25",
        {"": spread(15, 60)},
        survey="parent",
        instrument="sdq",
        score="total_difficulties",
        informant="parent",
        bands=band,
    )
    after = year(
        "2025-26",
        {"": spread(10, 60)},
        survey="parent",
        instrument="sdq",
        score="total_difficulties",
        informant="parent",
        bands=band,
        school_year_id=2,
    )
    f = measures_section(assessment(before, after))
    rows = rows_of(f.html)
    assert any("Total difficulties" in r and "\u25b2 improved (-5.0)" in r for r in rows)
    # this year 10±2: every parent scores 8 to 12, all Normal
    assert any(
        r.startswith("Total difficulties Whole group 10.0") and "Normal 100%, Borderline 0%, Abnormal 0%" in r
        for r in rows
    )
    text = plain(f.html)
    assert "parent report" in text and "a lower score is the better one" in text
    assert "original 3-band banding" in text
    assert "bands" in f.html and f.html.count("<svg") == 2  # the means chart and the bands chart


def test_no_measure_this_year_says_so_naming_earlier_years():
    measured = year("2024-25", {"Y7": spread(20, 10)})
    empty = YearResult(
        year="2025-26",
        school_year_id=2,
        cycle_id=None,
        elements=measured.elements,
        principles=measured.principles,
        figures=publish_figures(SurveyData(), BANK, load_mapping(WQM, BANK), WQM, 5),
    )
    text = plain(measures_section(assessment(measured, empty)).html)
    assert "No survey in 2025-26 carried a validated measure (the store has measures for 2024-25)." in text


def test_the_means_chart_is_alt_texted_from_its_data_with_hollow_points_below_the_minimum():
    rows = pd.DataFrame(
        [
            dict(label="Ashgrove", mean=22.0, ci_low=21.0, ci_high=23.0, n=40, suppressed=False, reason=""),
            dict(label="Fellside", mean=18.0, ci_low=15.0, ci_high=21.0, n=12, suppressed=False, reason=""),
            dict(
                label="Brook $x$",
                mean=math.nan,
                ci_low=math.nan,
                ci_high=math.nan,
                n=None,
                suppressed=True,
                reason="fewer than 5 responses",
            ),
        ]
    )
    chart = mean_interval_chart(rows, 7, 35, 30, "Staff: SWEMWBS metric", "metric", per="school")
    assert chart.alt == (
        "Staff: SWEMWBS metric: mean and 95% interval per school on a 7 to 35 scale; hollow points "
        "have fewer than 30 respondents. Ashgrove 22.0 (21.0 to 23.0), n=40; Fellside 18.0 (15.0 to "
        "21.0), n=12, too few to compare; Brook $x$ fewer than 5 responses."
    )
    assert chart.svg.startswith("<svg") and "<title>" in chart.svg
    # a family with a hidden group publishes means only: the alt text and caption say no interval is drawn
    means_only = rows.assign(ci_low=math.nan, ci_high=math.nan)
    chart = mean_interval_chart(means_only, 7, 35, 5, "Pupils: SWEMWBS metric", "metric")
    assert chart.alt.startswith("Pupils: SWEMWBS metric: mean per group on a 7 to 35 scale;")
    assert "95%" not in chart.alt and "Ashgrove 22.0, n=40" in chart.alt and "mean only" in chart.caption


def test_the_band_chart_shares_and_hidden_groups():
    rows = pd.DataFrame(
        [
            dict(label="Whole group", band=b, agree_share=s, suppressed=False, reason="")
            for b, s in (("Normal", 0.75), ("Borderline", 0.15), ("Abnormal", 0.10))
        ]
        + [
            dict(label="Y8", band=b, agree_share=math.nan, suppressed=True, reason="fewer than 5 responses")
            for b in ("Normal", "Borderline", "Abnormal")
        ]
    )
    chart = band_chart(rows, ("Normal", "Borderline", "Abnormal"), "Bands")
    assert "Whole group: Normal 75%, Borderline 15%, Abnormal 10%" in chart.alt
    assert "Y8: fewer than 5 responses" in chart.alt


def test_words():
    assert informant_words(SDQ, "self") == "self-report" and informant_words(SDQ, "teacher") == "teacher report"
    assert informant_words(SWEMWBS, "self") == ""
    assert group_name(dict(subgroup_field=None, subgroup=None)) == "Whole group"
    assert group_name(dict(subgroup_field="year_group", subgroup="")) == "not given"
    bands = pd.DataFrame(
        [
            dict(band="Normal", agree_share=0.5, suppressed=False),
            dict(band="Abnormal", agree_share=0.5, suppressed=False),
        ]
    )
    assert band_text(bands) == "Normal 50%, Abnormal 50%"
    assert band_text(bands.assign(suppressed=True)) == ""
