"""Trends: a change is called only when the intervals do not overlap and both years have enough
respondents; suppressed figures are never compared; the biggest changes in words. Hand-made figures with
known answers."""

import math
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.data.decision_rules import TrendRules
from wqm_nb.model.figures import COLUMNS, TOTAL_COLUMNS, PublishedFigures, publish_figures
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.model.stats import wilson_interval
from wqm_nb.model.trends import (
    DECLINED,
    IMPROVED,
    NO_CLEAR_CHANGE,
    NO_EARLIER,
    NOT_COMPARED,
    NOT_RATED,
    NOT_THIS_YEAR,
    SELF_EVALUATION,
    SURVEY,
    TOO_FEW,
    compare_ratings,
    compare_shares,
    compare_years,
    describe_change,
    intervals_overlap,
    school_trends,
)
from wqm_nb.model.year import YearResult
from wqm_nb.store.surveys import SurveyData

FW = load_framework("wqm")
BANK = load_question_bank()
MAPPING = load_mapping(FW, BANK)
NAMES = {s: BANK.surveys[s].name for s in BANK.surveys}
SECTIONS = {p.id: p.name for p in FW.principles}


def fig(survey, section, n=None, share=None, reason="", subgroup=None, measure="agreement"):
    """One published figure row; ``reason`` makes it suppressed (no numbers at all)."""
    hidden = bool(reason)
    low, high = (math.nan, math.nan) if hidden else wilson_interval(share, n)
    return dict(
        survey=survey,
        survey_name=NAMES[survey],
        section_id=section,
        section=SECTIONS[section],
        subgroup_field="year_group" if subgroup else None,
        subgroup=subgroup,
        measure=measure,
        n=None if hidden else n,
        answers=None if hidden else n * 4,
        agree_share=math.nan if hidden else share,
        mean=math.nan,
        ci_low=low,
        ci_high=high,
        suppressed=hidden,
        reason=reason,
    )


def figures(rows) -> PublishedFigures:
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["n"] = table["n"].astype("Int64")
    table["answers"] = table["answers"].astype("Int64")
    table["suppressed"] = table["suppressed"].astype(bool)
    return PublishedFigures(table, pd.DataFrame(columns=TOTAL_COLUMNS), 5)


def year(label, rows=(), ratings=None, cycle_id=1, published=None):
    """A YearResult with the given published figures and every element rated ``ratings.get(principle, 3)``."""
    if ratings is False:  # no self-evaluation that year
        frame = pd.DataFrame(columns=["element_id", "rating", "evidence"])
    else:
        frame = pd.DataFrame(
            [dict(element_id=e.id, rating=(ratings or {}).get(p.id, 3), evidence="Evidence") for p, e in FW.elements]
        )
    el = sef_elements(FW, frame)
    return YearResult(
        year=label,
        school_year_id=1,
        cycle_id=cycle_id,
        elements=el,
        principles=sef_principles(FW, el),
        figures=published or figures(list(rows)),
    )


def change(frame, survey, section, subgroup=None):
    rows = frame[(frame["survey"] == survey) & (frame["section_id"] == section)]
    rows = rows[rows["subgroup"].isna()] if subgroup is None else rows[rows["subgroup"] == subgroup]
    assert len(rows) == 1
    return rows.iloc[0]


def sef(frame, section):
    return frame[(frame["kind"] == SELF_EVALUATION) & (frame["section_id"] == section)].iloc[0]


RULES = TrendRules()


def test_a_change_within_noise_is_not_called_a_change():
    # 60% -> 66% of 100 pupils: the intervals (50-69%, 56-74%) overlap
    before, after = year("2024-25", [fig("pupil", "P1", 100, 0.60)]), year("2025-26", [fig("pupil", "P1", 100, 0.66)])
    c = change(compare_years(before, after, FW, RULES), "pupil", "P1")
    assert c.verdict == NO_CLEAR_CHANGE and c.change == pytest.approx(0.06)
    assert intervals_overlap(c.before_low, c.before_high, c.after_low, c.after_high)
    assert "overlap" in c.note


def test_non_overlapping_intervals_are_an_improvement_or_a_decline():
    before = year("2024-25", [fig("pupil", "P2", 200, 0.50), fig("parent", "P3", 120, 0.80)])
    after = year("2025-26", [fig("pupil", "P2", 200, 0.70), fig("parent", "P3", 120, 0.55)])
    frame = compare_years(before, after, FW, RULES)
    up, down = change(frame, "pupil", "P2"), change(frame, "parent", "P3")
    assert up.verdict == IMPROVED and up.after_low > up.before_high
    assert down.verdict == DECLINED and down.after_high < down.before_low
    assert (up.n_before, up.n_after) == (200, 200)


def test_a_group_under_the_minimum_says_too_few_responses_to_compare():
    # 20% -> 90% of 20 staff: even these intervals do not overlap, but 20 < 30
    before, after = year("2024-25", [fig("staff", "P1", 20, 0.20)]), year("2025-26", [fig("staff", "P1", 20, 0.90)])
    c = change(compare_years(before, after, FW, RULES), "staff", "P1")
    assert not intervals_overlap(c.before_low, c.before_high, c.after_low, c.after_high)
    assert c.verdict == TOO_FEW == "too few responses to compare"
    assert math.isnan(c.change)  # no difference is offered
    assert (c.before, c.after) == (pytest.approx(0.2), pytest.approx(0.9))  # both years' figures are published
    # the minimum is a rule: 10 lets the same groups be compared
    assert change(compare_years(before, after, FW, TrendRules(min_respondents=10)), "staff", "P1").verdict == IMPROVED
    # 30 in one year and 29 in the other is still too few
    edge = compare_years(year("a", [fig("pupil", "P1", 30, 0.1)]), year("b", [fig("pupil", "P1", 29, 0.9)]), FW, RULES)
    assert change(edge, "pupil", "P1").verdict == TOO_FEW


def test_a_suppressed_year_is_never_compared_and_no_number_leaks():
    before = year("2024-25", [fig("parent", "P1", reason="fewer than 5 responses"), fig("pupil", "P1", 80, 0.5)])
    after = year(
        "2025-26",
        [
            fig("parent", "P1", 60, 0.9),
            fig("pupil", "P1", reason="not shown, so that a smaller group cannot be worked out"),
        ],
    )
    frame = compare_years(before, after, FW, RULES)
    parent, pupil = change(frame, "parent", "P1"), change(frame, "pupil", "P1")
    assert parent.verdict == pupil.verdict == NOT_COMPARED
    assert parent.note == "not compared: the 2024-25 figure is not shown (fewer than 5 responses)"
    assert pupil.note == "not compared: the 2025-26 figure is not shown, so that a smaller group cannot be worked out"
    for c in (parent, pupil):
        assert math.isnan(c.change) and math.isnan(c.position_change)
    assert math.isnan(parent.before) and pd.isna(parent.n_before) and math.isnan(parent.before_low)
    assert math.isnan(pupil.after) and pd.isna(pupil.n_after) and math.isnan(pupil.after_high)
    assert parent.after == pytest.approx(0.9)  # the published year is still shown


def test_real_suppression_hides_the_small_years_value_from_the_change():
    """Through publish_figures: three parents in 2024-25 all agreed (100%, hidden); 40 in 2025-26."""
    items = [i for i, s in MAPPING.surveys["parent"].items() if s == "P1"]

    def data(n, value):
        return SurveyData.from_long(
            pd.DataFrame(
                [("parent", f"r{k}", "", item, value) for k in range(n) for item in items],
                columns=["survey", "respondent", "subgroup", "item_id", "value"],
            )
        )

    small = publish_figures(data(3, 5), BANK, MAPPING, FW, 5)
    large = publish_figures(data(40, 2), BANK, MAPPING, FW, 5)
    frame = compare_years(year("2024-25", published=small), year("2025-26", published=large), FW, RULES)
    c = change(frame, "parent", "P1")
    assert c.verdict == NOT_COMPARED and math.isnan(c.before) and math.isnan(c.change)
    assert "100" not in c.note and "3" not in c.note.replace("2024-25", "")
    trends = school_trends(FW, [year("2024-25", published=small), year("2025-26", published=large)])
    hidden = trends.series[(trends.series["year"] == "2024-25") & (trends.series["survey"] == "parent")]
    assert hidden["suppressed"].all() and hidden["agree_share"].isna().all() and hidden["n"].isna().all()


def test_a_group_present_in_only_one_year():
    before = year("2024-25", [fig("parent", "P2", 50, 0.5)])
    after = year("2025-26", [fig("pupil", "P2", 50, 0.5)])
    frame = compare_years(before, after, FW, RULES)
    assert change(frame, "pupil", "P2").verdict == NO_EARLIER
    assert change(frame, "parent", "P2").verdict == NOT_THIS_YEAR
    first = compare_years(None, after, FW, RULES)
    assert set(first["verdict"]) == {NO_EARLIER}


def test_self_evaluation_uses_the_minimum_rating_change_and_says_so():
    before = year("2024-25", ratings={"P1": 2, "P2": 2, "P3": 3, "P4": 3})
    after = year("2025-26", ratings={"P1": 3, "P2": 2, "P3": 2, "P4": 3})
    frame = compare_years(before, after, FW, RULES)
    assert sef(frame, "P1").verdict == IMPROVED and sef(frame, "P1").change == 1
    assert sef(frame, "P3").verdict == DECLINED
    assert sef(frame, "P2").verdict == NO_CLEAR_CHANGE
    assert sef(frame, "P1").position_change == pytest.approx(1 / 3)  # a third of the 1-4 scale
    # exactly the minimum is a change, just under it is not
    assert compare_ratings(2.0, 2.5, 0.5)[0] == IMPROVED
    verdict, note = compare_ratings(2.0, 2.25, 0.5)
    assert verdict == NO_CLEAR_CHANGE and "no sampling interval" in note
    assert compare_ratings(float("nan"), 3.0, 0.5, "2024-25")[0] == NOT_RATED
    unrated = compare_years(year("2024-25", ratings=False), after, FW, RULES)
    assert sef(unrated, "P1").verdict == NOT_RATED and "not rated in 2024-25" in sef(unrated, "P1").note


def test_the_three_biggest_improvements_and_declines_in_words():
    before = year(
        "2024-25",
        [
            fig("pupil", "P1", 100, 0.40),
            fig("pupil", "P2", 100, 0.40),
            fig("pupil", "P3", 100, 0.40),
            fig("pupil", "P5", 100, 0.40),
            fig("parent", "P6", 100, 0.90),
            fig("pupil", "P7", 100, 0.50),
        ],
        ratings={"P4": 1},
    )
    after = year(
        "2025-26",
        [
            fig("pupil", "P1", 100, 0.70),
            fig("pupil", "P2", 100, 0.60),
            fig("pupil", "P3", 100, 0.80),
            fig("pupil", "P5", 100, 0.45),
            fig("parent", "P6", 100, 0.60),
            fig("pupil", "P7", 100, 0.52),
        ],
        ratings={"P4": 3},
    )
    t = school_trends(FW, [before, after], BANK)
    # improvements: P4 self-evaluation +2 of 3 (0.67), P3 +40 points, P1 +30, P2 +20; P5 +5 is within noise
    assert [(r.kind, r.section_id) for r in t.improvements.itertuples()] == [
        (SELF_EVALUATION, "P4"),
        (SURVEY, "P3"),
        (SURVEY, "P1"),
    ]
    head, items = t.headline(IMPROVED)
    assert head == "The three biggest improvements since 2024-25 (of 4)"
    assert items[1] == (
        "Pupil survey on P3 Prioritise professional learning and staff development: 40% agreeing in "
        "2024-25, 80% in 2025-26 (+40 points; n = 100 and 100)"
    )
    assert items[0].startswith("Self-evaluation of P4 ") and items[0].endswith(
        "mean rating 1.0 in 2024-25, 3.0 in 2025-26 (+2.0)"
    )
    head, items = t.headline(DECLINED)
    assert head == "One decline since 2024-25" and len(items) == 1 and "Parent and carer survey on P6" in items[0]
    words = t.sentences()
    assert words[0].startswith("The three biggest improvements since 2024-25 (of 4): Self-evaluation of P4")
    assert words[1].startswith("One decline since 2024-25: Parent and carer survey on P6") and "-30 points" in words[1]
    # fewer calls than the top: counted in words; none: said so
    two = school_trends(FW, [before, after], rules=TrendRules(top_changes=5))
    assert two.headline(IMPROVED)[0] == "Four improvements since 2024-25"
    import wqm_nb.model.trends as trends_module  # a count with no word (above ten): a figure, not a crash

    words_before = dict(trends_module._COUNT_WORDS)
    trends_module._COUNT_WORDS.clear()
    try:
        assert two.headline(IMPROVED)[0] == "4 improvements since 2024-25"
    finally:
        trends_module._COUNT_WORDS.update(words_before)
    flat = school_trends(FW, [before, replace(before, year="2025-26")])
    assert flat.sentences() == [
        "No change since 2024-25 is large enough to call an improvement.",
        "No change since 2024-25 is large enough to call a decline.",
    ]


def test_subgroups_are_compared_but_kept_out_of_the_top_changes():
    before = year("2024-25", [fig("pupil", "P1", 100, 0.40, subgroup="Y5"), fig("pupil", "P1", 100, 0.5)])
    after = year("2025-26", [fig("pupil", "P1", 100, 0.90, subgroup="Y5"), fig("pupil", "P1", 100, 0.52)])
    t = school_trends(FW, [before, after])
    assert change(t.changes, "pupil", "P1", "Y5").verdict == IMPROVED
    assert not len(t.improvements)
    assert "Pupil survey (Y5) on P1" in describe_change(change(t.changes, "pupil", "P1", "Y5"))
    assert not (school_trends(FW, [before, after], subgroups=False).changes["subgroup"].notna().any())


def test_the_staff_audit_is_said_as_its_high_stages():
    before = year("2024-25", [fig("staff_audit", "P1", 60, 0.2, measure="rating")])
    after = year("2025-26", [fig("staff_audit", "P1", 60, 0.8, measure="rating")])
    t = school_trends(FW, [before, after], BANK)
    assert "20% rating 3 or higher in 2024-25, 80% in 2025-26" in t.headline(IMPROVED)[1][0]


def test_one_year_has_no_changes_to_call():
    t = school_trends(FW, [year("2025-26", [fig("pupil", "P1", 100, 0.5)])])
    assert t.previous_year is None and t.years == ("2025-26",)
    assert set(t.changes["verdict"]) == {NO_EARLIER}
    assert t.sentences() == ["2025-26 is the first year in the store: changes show from the second year."]


def test_every_year_of_the_history_is_in_the_series_and_ratings():
    years = [
        year(y, [fig("pupil", "P1", 100, s)], ratings={"P1": r})
        for y, s, r in (("2022-23", 0.3, 1), ("2023-24", 0.5, 2), ("2024-25", 0.6, 3), ("2025-26", 0.7, 4))
    ]
    t = school_trends(FW, years)
    assert t.years == ("2022-23", "2023-24", "2024-25", "2025-26") and t.previous_year == "2024-25"
    assert list(t.series.loc[t.series["survey"] == "pupil", "agree_share"]) == [0.3, 0.5, 0.6, 0.7]
    assert list(t.ratings.loc[t.ratings["principle_id"] == "P1", "mean_rating"]) == [1, 2, 3, 4]


shares = st.floats(min_value=0, max_value=1, allow_nan=False)
sizes = st.integers(min_value=1, max_value=400)


@settings(max_examples=300, deadline=None)
@given(shares, sizes, shares, sizes, st.integers(min_value=1, max_value=60))
def test_a_change_is_called_exactly_when_intervals_do_not_overlap_and_groups_are_big_enough(p1, n1, p2, n2, minimum):
    before, after = fig("pupil", "P1", n1, p1), fig("pupil", "P1", n2, p2)
    verdict, _ = compare_shares(before, after, minimum)
    overlap = intervals_overlap(before["ci_low"], before["ci_high"], after["ci_low"], after["ci_high"])
    if verdict in (IMPROVED, DECLINED):
        assert not overlap and min(n1, n2) >= minimum
        assert (verdict == IMPROVED) == (p2 > p1)
    elif min(n1, n2) < minimum:
        assert verdict == TOO_FEW
    else:
        assert verdict == NO_CLEAR_CHANGE and overlap


@settings(max_examples=100, deadline=None)
@given(shares, sizes, st.booleans())
def test_a_suppressed_figure_is_never_compared(p, n, hidden_first):
    shown = fig("pupil", "P1", n, p)
    hidden = fig("pupil", "P1", reason="fewer than 5 responses")
    pair = (hidden, shown) if hidden_first else (shown, hidden)
    assert compare_shares(*pair, 1)[0] == NOT_COMPARED
