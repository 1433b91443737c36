"""The trends and action-plan sections and their charts, on hand-made assessments with known answers."""

import math
import re
from datetime import date
from html import unescape

import pandas as pd
import pytest

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.model import SchoolAssessment
from wqm_nb.model.figures import COLUMNS, TOTAL_COLUMNS, PublishedFigures
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.model.stats import wilson_interval
from wqm_nb.model.year import YearResult
from wqm_nb.present.trends import action_plan_section, share_cell, survey_trend_chart, trends_section
from wqm_nb.settings import ReportSettings

BANK = load_question_bank()
REPORT_DAY = date(2026, 3, 10)


def plain(html: str) -> str:
    """The visible words of a fragment (SVG charts left out)."""
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html)).strip())


def rows_of(html: str) -> list[str]:
    """Each table row's visible text."""
    return [plain(r) for r in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)]


def published(fw, rows) -> PublishedFigures:
    """rows: (survey, section, n, share[, subgroup]) or (survey, section, reason) for a suppressed group."""
    out = []
    for row in rows:
        hidden = isinstance(row[2], str)
        survey, section = row[0], row[1]
        n, share = (None, math.nan) if hidden else (row[2], row[3])
        sub = row[4] if len(row) > 4 else None
        low, high = (math.nan, math.nan) if hidden else wilson_interval(share, n)
        out.append(
            dict(
                survey=survey,
                survey_name=BANK.surveys[survey].name,
                section_id=section,
                section=fw.principle(section).name,
                subgroup_field="year_group" if sub else None,
                subgroup=sub,
                measure=BANK.surveys[survey].measure,
                n=n,
                answers=None if hidden else n * 3,
                agree_share=share,
                mean=math.nan,
                ci_low=low,
                ci_high=high,
                suppressed=hidden,
                reason=row[2] if hidden else "",
            )
        )
    table = pd.DataFrame(out, columns=COLUMNS)
    table["n"] = table["n"].astype("Int64")
    table["suppressed"] = table["suppressed"].astype(bool)
    return PublishedFigures(table, pd.DataFrame(columns=TOTAL_COLUMNS), 5)


def year(fw, label, figures=(), rating=3, ratings=None, targets=(), cycle_id=1):
    ratings = ratings or {}
    frame = pd.DataFrame(
        [dict(element_id=e.id, rating=ratings.get(p.id, rating), evidence="Evidence") for p, e in fw.elements]
    )
    el = sef_elements(fw, frame)
    return YearResult(
        year=label,
        school_year_id=cycle_id,
        cycle_id=cycle_id,
        elements=el,
        principles=sef_principles(fw, el),
        figures=published(fw, figures),
        targets=tuple(targets),
    )


def assessment(fw, history) -> SchoolAssessment:
    return SchoolAssessment(
        settings=ReportSettings(school_id="T1", framework=fw.id),
        school=dict(school_id="T1", name="Test School", phase="primary", trust="", pupils=200),
        framework=fw,
        bank=BANK,
        mapping=load_mapping(fw, BANK),
        current=history[-1],
        history=tuple(history),
        readiness=None,
        strengths=pd.DataFrame(),
        areas=pd.DataFrame(),
    )


WQM = load_framework("wqm")


@pytest.fixture(scope="module")
def two_years():
    before = year(
        WQM,
        "2024-25",
        [
            ("pupil", "P1", 100, 0.60),
            ("pupil", "P2", 200, 0.50),
            ("staff", "P1", 20, 0.2),
            ("parent", "P1", "fewer than 5 responses"),
            ("parent", "P3", 120, 0.80),
            ("pupil", "P1", 40, 0.30, "Y5"),
            ("pupil", "P1", 12, 0.5, "Y6"),
        ],
        ratings={"P4": 1},
    )
    after = year(
        WQM,
        "2025-26",
        [
            ("pupil", "P1", 100, 0.66),
            ("pupil", "P2", 200, 0.70),
            ("staff", "P1", 20, 0.9),
            ("parent", "P1", 60, 0.90),
            ("parent", "P3", 120, 0.55),
            ("pupil", "P1", 45, 0.80, "Y5"),
            ("pupil", "P1", 14, 0.5, "Y6"),
        ],
        ratings={"P4": 3},
    )
    return assessment(WQM, [before, after])


def test_the_trends_section_says_the_biggest_changes_in_words(two_years):
    html = trends_section(two_years).html
    words = plain(html)
    assert "Three improvements since 2024-25:" not in words  # two calls only: counted
    assert "Two improvements since 2024-25:" in words
    assert (
        "Self-evaluation of P4 Implement targeted programmes and interventions (including curriculum): mean "
        "rating 1.0 in 2024-25, 3.0 in 2025-26 (+2.0)" in words
    )
    assert (
        "Pupil survey on P2 Engage the whole community: 50% agreeing in 2024-25, 70% in 2025-26 (+20 points; "
        "n = 200 and 200)" in words
    )
    assert "One decline since 2024-25: Parent and carer survey on P3" in words
    assert "do not overlap" in words and "at least 30 respondents" not in words  # the rule is stated as "fewer than"
    assert "fewer than 30 respondents in either year" in words and "at least 0.5" in words


def test_each_group_row_has_its_years_and_verdict(two_years):
    table = rows_of(trends_section(two_years).html)
    pupil_p1 = next(r for r in table if r.startswith("P1 Pupil survey 60%"))
    assert pupil_p1 == "P1 Pupil survey 60% (50%\u201369%), n=100 66% (56%\u201375%), n=100 no clear change (+6 points)"
    staff = next(r for r in table if r.startswith("P1 Staff survey"))
    assert staff.endswith("too few responses to compare") and "n=20" in staff
    pupil_p2 = next(r for r in table if r.startswith("P2 Pupil survey"))
    assert pupil_p2.endswith("\u25b2 improved (+20 points)")
    parent_p3 = next(r for r in table if r.startswith("P3 Parent and carer survey"))
    assert parent_p3.endswith("\u25bc declined (-25 points)")
    p4 = next(r for r in table if r.startswith("P4 Implement"))
    assert p4.endswith("1.0 3.0 \u25b2 improved (+2.0)")


def test_a_suppressed_figure_shows_its_reason_and_is_not_compared(two_years):
    html = trends_section(two_years).html
    parent = next(r for r in rows_of(html) if r.startswith("P1 Parent and carer survey"))
    assert parent == (
        "P1 Parent and carer survey fewer than 5 responses 90% (80%\u201395%), n=60 not compared: the "
        "2024-25 figure is not shown (fewer than 5 responses)"
    )
    assert "points" not in parent


def test_subgroups_are_compared_only_when_both_years_are_big_enough(two_years):
    html = trends_section(two_years).html
    assert "Subgroups compared" in html
    subgroup_rows = [r for r in rows_of(html) if "(Y5)" in r or "(Y6)" in r]
    assert len(subgroup_rows) == 1 and subgroup_rows[0].startswith("P1 Pupil survey (Y5) 30%")
    assert subgroup_rows[0].endswith("\u25b2 improved (+50 points)")


def test_the_survey_trend_chart_has_alt_text_from_the_data_and_no_hidden_number(two_years):
    html = trends_section(two_years).html
    assert html.count('role="img"') == 2  # self-evaluation and surveys
    alt = re.search(r"<title>(Stakeholders agreeing[^<]*)</title>", html).group(1)
    assert alt.startswith(
        "Stakeholders agreeing by framing principle, across years: for each framing principle, the "
        "share agreeing in each year with its 95% interval. P1: pupil survey 2024-25 60%"
    )
    assert "staff survey 2024-25 20% (8% to 42%, n=20), 2025-26 90% (70% to 97%, n=20)" in alt
    assert "parent and carer survey 2024-25 fewer than 5 responses, 2025-26 90%" in alt
    chart = survey_trend_chart(
        pd.DataFrame(
            [
                dict(
                    year="2024-25",
                    survey="parent",
                    survey_name="Parent survey",
                    section_id="P1",
                    section="x",
                    subgroup_field=None,
                    subgroup=None,
                    measure="agreement",
                    n=pd.NA,
                    agree_share=math.nan,
                    ci_low=math.nan,
                    ci_high=math.nan,
                    suppressed=True,
                    reason="fewer than 5 responses",
                )
            ]
        ),
        [("P1", "x")],
        ["2024-25"],
        30,
    )
    assert "fewer than 5 responses" in chart.alt and "%" not in chart.alt.split(": ", 1)[1].replace("% interval", "")


def test_the_first_year_has_no_changes_and_no_survey_chart():
    html = trends_section(assessment(WQM, [year(WQM, "2025-26", [("pupil", "P1", 100, 0.5)])])).html
    assert "2025-26 is the first year in the store" in plain(html)
    assert 'role="img"' not in html
    assert "Subgroups compared" not in html


@pytest.mark.parametrize("framework, section", [("vbe", "A1"), ("leadership_management", "LM")])
def test_other_frameworks_get_the_sections(framework, section):
    fw = load_framework(framework)
    a = assessment(
        fw,
        [
            year(fw, "2024-25", [("staff", section, 40, 0.4)], rating=1),
            year(fw, "2025-26", [("staff", section, 40, 0.9)], rating=2),
        ],
    )
    words = plain(trends_section(a).html)
    assert f"Staff survey on {section} " in words and "improved" in words
    plan = plain(action_plan_section(a, REPORT_DAY).html)
    assert "Suggested targets" in plan and "from Deciding to act to Shared understanding" not in plan
    assert "from Shared understanding to Developing practice" in plan or "from Partly in place to In place" in plan


def target(target_id, status="open", principle="P1", review="", carried_from=None, text="A target", owner=""):
    return dict(
        target_id=target_id,
        principle_id=principle,
        text=text,
        owner=owner,
        review_date=review,
        status=status,
        carried_from=carried_from,
        recorded_by="",
        recorded_at="",
    )


def test_the_action_plan_shows_progress_targets_and_suggestions():
    last = year(
        WQM,
        "2024-25",
        cycle_id=1,
        targets=[
            target("T-1", text="Parents' forum", principle="P2"),
            target("T-2", "in_progress", review="2026-01-31", text="Pupil panel <b>termly</b>"),
            target("T-3", review="2025-07-01", principle="P7", text="Map referral pathways"),
        ],
    )
    now = year(
        WQM,
        "2025-26",
        cycle_id=2,
        ratings={"P5": 1},
        targets=[
            target("T-1", "achieved", principle="P2", carried_from=1, text="Parents' forum"),
            target("T-2", "in_progress", review="2026-01-31", carried_from=1, text="Pupil panel <b>termly</b>"),
            target("T-4", principle="", text="Whole-school wellbeing week", review="2026-06-30", owner="Head"),
        ],
    )
    html = action_plan_section(assessment(WQM, [last, now]), REPORT_DAY).html
    words = plain(html)
    assert "Of the 3 targets set in 2024-25: 1 achieved, 1 still open, 1 not carried forward; 2 overdue" in words
    table = rows_of(html)
    assert next(r for r in table if r.startswith("Parents' forum")).endswith("open achieved achieved")
    lapsed = next(r for r in table if r.startswith("Map referral pathways"))
    assert lapsed.endswith("open not in 2025-26's plan not carried forward; overdue (review date 2025-07-01)")
    assert "Pupil panel &lt;b&gt;termly&lt;/b&gt;" in html and "<b>termly</b>" not in html  # escaped
    assert "2026-01-31 (overdue)" in words
    whole = next(r for r in table if r.startswith("Whole-school wellbeing week"))
    assert whole == "Whole-school wellbeing week Whole school Head 2026-06-30 open -"
    suggestion = next(r for r in table if r.startswith("P5 Develop supportive policy"))
    assert "Move P5.1" in suggestion and suggestion.endswith("(to agree) 2026-07-22")
    alt = re.search(r"<title>([^<]*targets[^<]*)</title>", html).group(1)
    assert "3 targets set in 2024-25" in alt and "P2: 1 achieved" in alt and "2 overdue" in alt


def test_an_action_plan_without_earlier_years_or_targets():
    html = action_plan_section(assessment(WQM, [year(WQM, "2025-26", rating=4)]), REPORT_DAY).html
    words = plain(html)
    assert "no targets to review yet" in words and "No targets recorded for 2025-26 yet." in words
    assert "No suggestion:" in words and 'role="img"' not in html


def test_share_cell_never_shows_a_number_of_a_hidden_group():
    hidden = pd.Series(dict(suppressed=True, reason="fewer than 5 responses", agree_share=math.nan, n=pd.NA))
    assert share_cell(hidden) == "fewer than 5 responses"
    assert share_cell(None) == "not asked"
