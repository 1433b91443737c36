"""Validated measures as published figures: the t interval, band shares, suppression and comparing,
on hand-made scores with known answers."""

import math

import pandas as pd
import pytest

from wqm_nb.data import load_instrument, load_question_bank
from wqm_nb.model.measures import (
    DECLINED,
    IMPROVED,
    NO_CLEAR_DIFFERENCE,
    NOT_COMPARED,
    TOO_FEW_TO_COMPARE,
    compare_means,
    describe_mean,
    headline_score,
    higher_is_better,
    incomplete_beta,
    mean_interval,
    measure_name,
    measure_rows,
    min_group,
    minimum_words,
    t_cdf,
    t_quantile,
)
from wqm_nb.store.surveys import SCORE_COLUMNS

BANK = load_question_bank()
SWEMWBS = load_instrument("swemwbs")
SDQ = load_instrument("sdq")
STIRLING = load_instrument("stirling")
REASONS = {
    "primary": "fewer than 5 responses",
    "complementary": "not shown, so that a smaller group cannot be worked out",
    "none": "no responses",
}


def scores(rows):
    """rows: (survey, respondent, subgroup, instrument, informant, score, value, band)."""
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def swemwbs(values, subgroup="", survey="pupil", start=0, score="metric"):
    return [(survey, f"r{start + k}", subgroup, "swemwbs", "self", score, float(v), "") for k, v in enumerate(values)]


def rows_of(rows, **match):
    return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


# -- the t quantile and the interval of a mean ---------------------------------------------


@pytest.mark.parametrize(
    "df, expected",
    [(1, 12.706204736), (2, 4.302652730), (5, 2.570581836), (10, 2.228138852), (29, 2.045229642), (100, 1.983971519)],
)
def test_t_quantile_matches_published_tables(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-7)


def test_t_quantile_is_symmetric_and_the_cdf_inverts_it():
    assert t_quantile(0.5, 7) == 0
    assert t_quantile(0.025, 7) == pytest.approx(-t_quantile(0.975, 7))
    assert t_cdf(t_quantile(0.9, 12), 12) == pytest.approx(0.9, abs=1e-10)
    assert incomplete_beta(2, 3, 0) == 0 and incomplete_beta(2, 3, 1) == 1
    assert incomplete_beta(1, 1, 0.3) == pytest.approx(0.3)  # the uniform distribution
    with pytest.raises(ValueError):
        t_quantile(1.0, 3)


def test_mean_interval_is_the_student_t_interval():
    values = [18.0, 20.0, 22.0, 24.0, 26.0]  # mean 22, s = sqrt(10)
    mean, low, high = mean_interval(5, sum(values), sum(v * v for v in values))
    half = 2.776445105 * math.sqrt(10) / math.sqrt(5)
    assert mean == 22 and low == pytest.approx(22 - half, abs=1e-6) and high == pytest.approx(22 + half, abs=1e-6)
    assert mean_interval(1, 7.0, 49.0)[0] == 7 and math.isnan(mean_interval(1, 7.0, 49.0)[1])  # no interval of one
    assert all(math.isnan(x) for x in mean_interval(0, 0, 0))
    same = mean_interval(4, 40.0, 400.0)  # no spread: the interval is the mean
    assert same == (10, 10, 10)


# -- rows of the figures table ---------------------------------------------------------------


def test_a_mean_row_per_group_with_its_interval():
    values = [20, 22, 24, 26, 28, 30]
    rows = measure_rows(scores(swemwbs(values)), BANK, 5, REASONS)
    (whole,) = rows_of(rows, score="metric", subgroup=None)
    mean, low, high = mean_interval(6, sum(values), sum(v * v for v in values))
    assert whole["measure"] == "swemwbs.metric" == measure_name("swemwbs", "metric")
    assert (whole["n"], whole["answers"], whole["mean"], whole["ci_low"], whole["ci_high"]) == (6, 6, mean, low, high)
    assert whole["section_id"] is None and whole["band"] is None and math.isnan(whole["agree_share"])
    assert whole["instrument"] == "swemwbs" and whole["informant"] == "self" and whole["reason"] == ""
    # SWEMWBS is not banded: no band rows
    assert all(r["band"] is None for r in rows)


def test_band_shares_add_up_to_one_over_the_scored_respondents():
    bands = ["Normal"] * 6 + ["Borderline"] * 3 + ["Abnormal"] * 3
    rows = measure_rows(
        scores(
            [
                ("pupil", f"r{k}", "Y5", "sdq", "self", "emotional", float(v), b)
                for k, (v, b) in enumerate(zip([2] * 6 + [6] * 3 + [8] * 3, bands, strict=False))
            ]
        ),
        BANK,
        5,
        REASONS,
    )
    whole = rows_of(rows, score="emotional", subgroup=None)
    assert [r["band"] for r in whole] == [None, "Normal", "Borderline", "Abnormal"]  # lowest scores first
    shares = [r["agree_share"] for r in whole[1:]]
    assert shares == [0.5, 0.25, 0.25] and sum(shares) == pytest.approx(1)
    assert [r["measure"] for r in whole[1:]] == [
        "sdq.emotional:Normal",
        "sdq.emotional:Borderline",
        "sdq.emotional:Abnormal",
    ]
    low, high = whole[1]["ci_low"], whole[1]["ci_high"]
    assert 0 < low < 0.5 < high < 1  # a Wilson interval around 50%
    assert all(r["n"] == 12 for r in whole)


def test_an_empty_band_is_published_as_zero():
    rows = measure_rows(
        scores([("pupil", f"r{k}", "", "sdq", "teacher", "peer", 1.0, "Close to average") for k in range(8)]),
        BANK,
        5,
        REASONS,
    )
    shares = {r["band"]: r["agree_share"] for r in rows_of(rows, score="peer") if r["band"]}
    assert shares == {"Close to average": 1.0, "Slightly raised": 0.0, "High": 0.0, "Very high": 0.0}


def test_a_small_subgroups_mean_is_suppressed_and_a_second_one_with_it():
    data = swemwbs([20] * 40, "Y7") + swemwbs([25] * 3, "Y8", start=40) + swemwbs([22] * 17, "Y9", start=43)
    rows = measure_rows(scores(data), BANK, 5, REASONS)
    by = {r["subgroup"]: r for r in rows_of(rows, score="metric")}
    assert by[None]["reason"] == "" and by[None]["n"] == 60
    assert by["Y8"]["reason"] == "fewer than 5 responses"
    # Y9 is hidden too, else Y8's count and mean would be the whole less Y7 and Y9
    assert by["Y9"]["reason"] == REASONS["complementary"]
    assert by["Y7"]["reason"] == ""


def test_no_second_subgroup_is_hidden_when_two_small_ones_protect_each_other():
    data = swemwbs([20] * 40, "Y7") + swemwbs([25] * 3, "Y8", start=40) + swemwbs([22] * 3, "Y9", start=43)
    by = {r["subgroup"]: r["reason"] for r in rows_of(measure_rows(scores(data), BANK, 5, REASONS), score="metric")}
    assert by == {None: "", "Y7": "", "Y8": "fewer than 5 responses", "Y9": "fewer than 5 responses"}


def test_the_intervals_of_shown_groups_do_not_give_a_hidden_groups_spread():
    """The attack (issue 22): a mean's t interval gives n, the mean and so the group's sum of squares; with the
    whole and the shown groups' intervals, the hidden groups' combined sum of squares is their difference,
    and with their combined size and sum known, the spread of the hidden people's scores follows."""
    from scipy import stats

    data = (
        swemwbs([20, 24, 28, 22, 26, 30, 21, 25, 27, 23] * 4, "Y7")
        + swemwbs([14, 35, 14], "Y8", start=40)
        + swemwbs([22, 23, 24, 25], "Y9", start=43)
    )
    by = {r["subgroup"]: r for r in rows_of(measure_rows(scores(data), BANK, 5, REASONS), score="metric")}
    assert by["Y8"]["reason"] and by["Y9"]["reason"]  # hidden: fewer than 5, each

    def sum_of_squares(row):
        n, mean = row["n"], row["mean"]
        if math.isnan(row["ci_low"]):
            return None
        half = (row["ci_high"] - row["ci_low"]) / 2
        sd = half / stats.t.ppf(0.975, n - 1) * math.sqrt(n)
        return (n - 1) * sd * sd + n * mean * mean

    whole, shown = sum_of_squares(by[None]), sum_of_squares(by["Y7"])
    if whole is not None and shown is not None:
        hidden_sq = whole - shown  # the hidden seven's sum of squares
        hidden_sum = by[None]["n"] * by[None]["mean"] - by["Y7"]["n"] * by["Y7"]["mean"]
        hidden_n = by[None]["n"] - by["Y7"]["n"]
        spread = hidden_sq / hidden_n - (hidden_sum / hidden_n) ** 2
        pytest.fail(f"the hidden groups' variance is {spread:.1f}, worked out from the published intervals")
    # the means are still published
    assert by[None]["mean"] == pytest.approx(sum(v for *_, v, _ in data) / len(data))
    assert math.isnan(by["Y7"]["ci_low"]) and math.isnan(by[None]["ci_high"])


def test_a_band_that_would_hold_a_whole_hidden_group_hides_more_and_an_empty_band_does_not():
    # the whole has nobody Abnormal: that is said of every pupil by the whole's own row, so the hidden Y8 (3
    # people) having no one Abnormal is no disclosure, and the whole and Y7 stay shown
    data = [("pupil", f"a{k}", "Y7", "sdq", "self", "emotional", 2.0, "Normal") for k in range(20)]
    data += [("pupil", f"b{k}", "Y8", "sdq", "self", "emotional", 2.0, "Normal") for k in range(3)]
    data += [("pupil", f"c{k}", "Y9", "sdq", "self", "emotional", 6.0, "Borderline") for k in range(10)]
    by = {
        r["subgroup"]: r["reason"]
        for r in rows_of(measure_rows(scores(data), BANK, 5, REASONS), score="emotional", band=None)
    }
    assert by["Y8"] == "fewer than 5 responses" and by["Y9"] == REASONS["complementary"]
    assert by["Y7"] == by[None] == ""
    # Y7 shown all Abnormal, the whole 13 Normal: the hidden Y8 and Y9 would both be all Normal (as "all
    # agree" for a statement), so Y7 is hidden too
    data = [("pupil", f"a{k}", "Y7", "sdq", "self", "emotional", 8.0, "Abnormal") for k in range(20)]
    data += [("pupil", f"b{k}", "Y8", "sdq", "self", "emotional", 2.0, "Normal") for k in range(3)]
    data += [("pupil", f"c{k}", "Y9", "sdq", "self", "emotional", 2.0, "Normal") for k in range(10)]
    by = {
        r["subgroup"]: r["reason"]
        for r in rows_of(measure_rows(scores(data), BANK, 5, REASONS), score="emotional", band=None)
    }
    assert by["Y8"] == "fewer than 5 responses" and by["Y9"] == by["Y7"] == REASONS["complementary"]


def test_a_hidden_groups_band_rows_are_hidden_with_it():
    data = [("pupil", f"a{k}", "Y7", "sdq", "self", "conduct", 1.0, "Normal") for k in range(20)]
    data += [("pupil", f"b{k}", "Y8", "sdq", "self", "conduct", 5.0, "Abnormal") for k in range(2)]
    data += [("pupil", f"c{k}", "Y9", "sdq", "self", "conduct", 3.0, "Borderline") for k in range(2)]
    hidden = rows_of(measure_rows(scores(data), BANK, 5, REASONS), score="conduct", subgroup="Y8")
    assert len(hidden) == 4 and {r["reason"] for r in hidden} == {"fewer than 5 responses"}


def test_a_survey_without_a_subgroup_question_has_whole_group_rows_only():
    rows = measure_rows(scores(swemwbs([20] * 8, "", survey="parent")), BANK, 5, REASONS)
    assert {r["subgroup_field"] for r in rows} == {None}


def test_an_unknown_instrument_is_left_out():
    data = scores([("pupil", "r1", "", "nosuch", "self", "total", 1.0, "")] + swemwbs([20] * 6))
    assert {r["instrument"] for r in measure_rows(data, BANK, 5, REASONS)} == {"swemwbs"}


# -- comparing ---------------------------------------------------------------------------


def mean_row(mean, low, high, n, suppressed=False, reason=""):
    return dict(mean=mean, ci_low=low, ci_high=high, n=n, suppressed=suppressed, reason=reason)


def test_a_change_is_called_only_when_the_intervals_do_not_overlap():
    before, after = mean_row(20.0, 19.5, 20.5, 150), mean_row(21.2, 20.6, 21.8, 150)
    assert compare_means(before, after, SWEMWBS, "metric")[0] == IMPROVED
    assert compare_means(after, before, SWEMWBS, "metric")[0] == DECLINED
    touching = mean_row(21.0, 20.5, 21.5, 150)  # intervals that touch overlap
    verdict, note = compare_means(before, touching, SWEMWBS, "metric")
    assert verdict == NO_CLEAR_DIFFERENCE and "overlap" in note


def test_a_lower_sdq_difficulty_score_is_an_improvement():
    before, after = mean_row(12.0, 11.0, 13.0, 100), mean_row(9.0, 8.0, 10.0, 100)
    assert compare_means(before, after, SDQ, "total_difficulties")[0] == IMPROVED
    assert compare_means(before, after, SDQ, "prosocial")[0] == DECLINED
    assert not higher_is_better(SDQ, "total_difficulties") and higher_is_better(SDQ, "prosocial")
    assert higher_is_better(SWEMWBS, "metric") and higher_is_better(STIRLING, "total")


def test_below_the_minimum_is_too_few_to_compare_stating_the_minimum_and_its_source():
    before, after = mean_row(20.0, 19.5, 20.5, 150), mean_row(25.0, 24.0, 26.0, 29)
    verdict, note = compare_means(before, after, SWEMWBS, "metric")
    assert verdict == TOO_FEW_TO_COMPARE
    assert "at least 30 respondents" in note and "Warwick" in note
    assert min_group(SWEMWBS, "metric") == 30 and "Warwick Medical School" in minimum_words(SWEMWBS)
    # at the minimum it is compared
    assert compare_means(before, dict(after, n=30), SWEMWBS, "metric")[0] == IMPROVED


def test_a_hidden_figure_is_never_compared():
    before = mean_row(math.nan, math.nan, math.nan, None, True, "fewer than 5 responses")
    verdict, note = compare_means(before, mean_row(20.0, 19.0, 21.0, 40), SWEMWBS, "metric", "2024-25", "2025-26")
    assert verdict == NOT_COMPARED and note == "not compared: the 2024-25 figure is not shown (fewer than 5 responses)"
    assert compare_means(None, mean_row(20.0, 19.0, 21.0, 40), SWEMWBS, "metric")[0] == NOT_COMPARED


def test_headline_scores_and_descriptions():
    assert headline_score(SWEMWBS).id == "metric"
    assert headline_score(SDQ).id == "total_difficulties"
    assert headline_score(STIRLING).id == "total"
    assert describe_mean(mean_row(21.04, 20.2, 21.9, 64)) == "21.0 (20.2\u201321.9), n=64"
    assert describe_mean(mean_row(7.0, math.nan, math.nan, 1)) == "7.0, n=1"
    assert describe_mean(mean_row(None, None, None, None, True, "fewer than 5 responses")) == "fewer than 5 responses"
