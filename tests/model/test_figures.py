"""The published survey figures: counting, suppression, mapping and subgroups."""

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.model.figures import COLUMNS, PROTECTS_SMALLER, TOTAL_COLUMNS, publish_figures, too_few
from wqm_nb.store import Store
from wqm_nb.store.surveys import SurveyData

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
BANK = load_question_bank()
WQM = load_framework("wqm")
LM = load_framework("leadership_management")


def responses(rows):
    """rows: (survey, respondent, subgroup, item_id, value)."""
    return pd.DataFrame(rows, columns=["survey", "respondent", "subgroup", "item_id", "value"])


def people(survey, count, answers, subgroup="", prefix=None):
    """``count`` respondents who each give ``answers`` ({item: value})."""
    prefix = prefix or f"{survey}-{subgroup}-"
    return [(survey, f"{prefix}{i}", subgroup, item, value) for i in range(count) for item, value in answers.items()]


def publish(rows, framework=WQM, min_group_size=5):
    return publish_figures(
        SurveyData.from_long(responses(rows)), BANK, load_mapping(framework, BANK), framework, min_group_size
    )


def row(figures, survey, section, subgroup=None):
    t = figures.table
    if subgroup is None:
        found = t[(t.survey == survey) & (t.section_id == section) & t.subgroup.isna()]
    else:
        found = t[(t.survey == survey) & (t.section_id == section) & (t.subgroup == subgroup)]
    assert len(found) == 1
    return found.iloc[0]


def test_n_counts_people_not_answers():
    # staff P1 is informed by S01 and S02: five people, two answers each
    f = publish(people("staff", 5, {"S01": 5, "S02": 2}))
    r = row(f, "staff", "P1")
    assert list(f.table.columns) == COLUMNS
    assert r["n"] == 5 and r["answers"] == 10
    assert r["agree_share"] == pytest.approx(0.5)
    assert r["mean"] == pytest.approx(3.5)
    assert not r["suppressed"] and r["reason"] == ""
    assert r["survey_name"] == "Staff survey" and r["section"] == "Adopt whole-school thinking"
    assert r["measure"] == "agreement"


def test_agreement_starts_at_agree_min():
    rows = [("staff", f"s{i}", "", "S12", v) for i, v in enumerate([5, 4, 4, 3, 1])]
    r = row(publish(rows), "staff", "P7")
    assert BANK.agree_min == 4
    assert r["agree_share"] == pytest.approx(3 / 5)
    assert r["mean"] == pytest.approx(17 / 5)


def test_small_group_is_suppressed_with_every_number_blank():
    f = publish(people("parent", 4, {"R01": 5}) + people("staff", 5, {"S01": 5}))
    r = row(f, "parent", "P1")
    assert r["suppressed"] and r["reason"] == "fewer than 5 responses" == too_few(5)
    assert pd.isna(r["n"]) and pd.isna(r["answers"])
    assert pd.isna(r["agree_share"]) and pd.isna(r["mean"])
    # a section nobody answered says so
    none = row(f, "parent", "P7")
    assert none["suppressed"] and none["reason"] == "no responses" and pd.isna(none["n"])
    # the survey total hides the size of a small survey too
    totals = f.totals.set_index("survey")
    assert list(f.totals.columns) == TOTAL_COLUMNS
    assert pd.isna(totals.loc["parent", "n"]) and totals.loc["parent", "reason"] == "fewer than 5 responses"
    assert totals.loc["staff", "n"] == 5 and not totals.loc["staff", "suppressed"]
    assert totals.loc["pupil", "reason"] == "no responses"


@pytest.mark.parametrize("minimum, suppressed", [(3, False), (4, False), (5, True), (10, True)])
def test_min_group_size_is_respected(minimum, suppressed):
    f = publish(people("parent", 4, {"R01": 4}), min_group_size=minimum)
    r = row(f, "parent", "P1")
    assert f.min_group_size == minimum
    assert bool(r["suppressed"]) is suppressed
    if suppressed:
        assert r["reason"] == f"fewer than {minimum} responses" and pd.isna(r["n"])
    else:
        assert r["n"] == 4 and r["agree_share"] == 1.0 and r["reason"] == ""


def test_only_mapped_items_count():
    # S03 does not inform Leadership and Management; people who answered only S03 are not counted there
    rows = people("staff", 5, {"S01": 5, "S03": 1}, prefix="a") + people("staff", 3, {"S03": 1}, prefix="b")
    f = publish(rows, framework=LM)
    r = row(f, "staff", "LM")
    assert r["n"] == 5 and r["answers"] == 5 and r["agree_share"] == 1.0
    assert f.totals.set_index("survey").loc["staff", "n"] == 8  # the survey's respondents, any item


def test_unmapped_survey_is_named_and_has_no_rows():
    rows = people("staff", 6, {"S01": 5}) + people("pupil", 30, {"U01": 1}) + people("parent", 6, {"R02": 4})
    f = publish(rows, framework=LM)
    assert f.unmapped == ["Pupil survey"]
    assert "pupil" not in set(f.table["survey"])
    assert not f.totals.set_index("survey").loc["pupil", "mapped"]
    assert publish(rows).unmapped == []  # WQM maps every survey


@pytest.mark.parametrize("fw_id", ["wqm", "vbe", "leadership_management"])
def test_every_mapped_survey_section_appears_even_without_answers(fw_id):
    fw = load_framework(fw_id)
    mapping = load_mapping(fw, BANK)
    f = publish(people("staff", 5, {"S01": 4}), framework=fw)
    expected = {(s, sec) for s in BANK.surveys if mapping.is_mapped(s) for sec in mapping.sections(s, fw)}
    whole = f.table[f.table["subgroup_field"].isna()]
    got = set(zip(whole["survey"], whole["section_id"], strict=False))
    assert got == expected and len(whole) == len(expected)
    assert set(f.whole["survey"]) == {s for s, _ in expected if BANK.surveys[s].measure == "agreement"}
    assert f.has_figures


def test_subgroup_rows():
    rows = (
        people("staff", 2, {"S01": 2}, "support")
        + people("staff", 6, {"S01": 5}, "teaching")
        + people("staff", 1, {"S01": 5}, "")
    )  # no role given
    f = publish(rows)
    sub = f.subgroups("staff")
    p1 = sub[sub.section_id == "P1"]
    # bank order, only roles present, then those who gave no role: the parts add up to the whole
    assert p1["subgroup"].tolist() == ["teaching", "support", ""]
    assert row(f, "staff", "P1", "")["reason"] == "fewer than 5 responses"
    assert set(sub["subgroup_field"]) == {"role"}
    teaching = row(f, "staff", "P1", "teaching")
    assert teaching["n"] == 6 and teaching["agree_share"] == 1.0 and not teaching["suppressed"]
    support = row(f, "staff", "P1", "support")
    assert support["suppressed"] and pd.isna(support["n"]) and support["reason"] == "fewer than 5 responses"
    assert row(f, "staff", "P1")["n"] == 9
    assert len(f.subgroups("parent")) == 0  # parents have no subgroup question


def test_whole_shown_and_for_section():
    f = publish(people("staff", 6, {"S01": 5}) + people("parent", 2, {"R01": 5}))
    assert f.whole["subgroup_field"].isna().all()
    assert not f.shown["suppressed"].any()
    p1 = f.for_section("P1")
    assert p1["survey"].tolist() == ["staff"]  # the suppressed parent row is not shown
    assert p1.iloc[0]["agree_share"] == 1.0


def test_sample_small_parent_survey_is_suppressed():
    with Store.open(SAMPLE) as store:
        year = store.school_year("NLT03", "2025-26")
        raw = store.survey_responses(year["school_year_id"])
    assert raw.loc[raw.survey == "parent", "respondent"].nunique() < 5
    f = publish_figures(SurveyData.from_long(raw), BANK, load_mapping(WQM, BANK), WQM, 5)
    parent = f.whole[f.whole.survey == "parent"]
    assert len(parent) == 6
    assert parent["suppressed"].all() and (parent["reason"] == "fewer than 5 responses").all()
    assert parent["n"].isna().all() and parent["agree_share"].isna().all() and parent["mean"].isna().all()
    assert pd.isna(f.totals.set_index("survey").loc["parent", "n"])
    staff = f.whole[f.whole.survey == "staff"]
    shown = staff[~staff["suppressed"]]
    assert len(shown) >= 5 and (shown["n"] >= 5).all()
    # a whole hidden only to protect a hidden cell linked to it in another framework's sections
    assert (staff.loc[staff["suppressed"], "reason"] == PROTECTS_SMALLER).all()


# --------------------------------------------------------------------------
# the staff audit: measure "rating" on the maturity scale, the same suppression,
# never in the agreement readers


def audit(count, ratings, role="", prefix=None):
    """``count`` staff who each rate the principles ``ratings`` ({principle number: 1-4})."""
    return people("staff_audit", count, {f"SA{k}": v for k, v in ratings.items()}, role, prefix or f"audit-{role}-")


def test_audit_rows_measure_a_rating_on_the_maturity_scale():
    rows = audit(4, {1: 4, 2: 2}, "teaching", "a") + audit(2, {1: 2, 2: 1}, "teaching", "b")
    f = publish(rows + people("staff", 6, {"S01": 5}, "teaching"))
    r = row(f, "staff_audit", "P1")
    assert r["measure"] == "rating" and r["survey_name"] == "Staff audit"
    assert r["n"] == 6 and r["answers"] == 6
    assert r["mean"] == round((4 * 4 + 2 * 2) / 6, 1)  # on 1-4, not 1-5; to 1 decimal, as printed
    assert r["agree_share"] == round(4 / 6, 2)  # rated 3 "Developing practice" or above
    assert 0 <= r["ci_low"] <= r["agree_share"] <= r["ci_high"] <= 1
    assert row(f, "staff_audit", "P2")["agree_share"] == 0 and row(f, "staff_audit", "P2")["mean"] == round(5 / 3, 1)
    assert row(f, "staff", "P1")["measure"] == "agreement"
    assert set(f.table.loc[f.table.survey == "staff_audit", "measure"]) == {"rating"}
    assert set(f.table.loc[f.table.survey != "staff_audit", "measure"]) == {"agreement"}
    totals = f.totals.set_index("survey")
    assert totals.loc["staff_audit", "measure"] == "rating" and totals.loc["staff_audit", "n"] == 6
    assert f.responded("staff_audit") and not f.responded("parent")


def test_a_rating_of_3_counts_toward_the_audit_share_but_agreement_starts_at_4():
    f = publish(audit(5, {7: 3}) + people("staff", 5, {"S12": 3}))
    assert row(f, "staff_audit", "P7")["agree_share"] == 1.0
    assert row(f, "staff", "P7")["agree_share"] == 0.0


def test_small_roles_of_the_audit_are_suppressed_like_the_staff_surveys():
    rows = audit(8, {1: 3}, "teaching", "t") + audit(3, {1: 4}, "support", "s") + audit(2, {1: 2}, "leadership", "l")
    f = publish(rows)
    by_role = f.ratings("staff_audit", subgroups=True)
    p1 = by_role[by_role.section_id == "P1"].set_index("subgroup")
    assert list(p1.index) == ["teaching", "support", "leadership"]
    assert p1.loc["support", "reason"] == p1.loc["leadership", "reason"] == "fewer than 5 responses"
    assert (
        p1.loc[["support", "leadership"], "n"].isna().all() and p1.loc[["support", "leadership"], "mean"].isna().all()
    )
    assert p1.loc["teaching", "n"] == 8 and p1.loc["teaching", "mean"] == 3
    assert row(f, "staff_audit", "P1")["n"] == 13


def test_the_audit_role_that_would_give_away_a_small_one_is_hidden_too():
    f = publish(audit(8, {1: 3}, "teaching", "t") + audit(2, {1: 2}, "leadership", "l"))
    by_role = f.ratings("staff_audit", subgroups=True)
    by_role = by_role[by_role.section_id == "P1"].set_index("subgroup")
    assert by_role.loc["leadership", "reason"] == "fewer than 5 responses"
    # the whole staff (10) minus teaching (8) would be the two leaders: teaching is hidden as well
    assert by_role.loc["teaching", "reason"] == "not shown, so that a smaller group cannot be worked out"
    assert pd.isna(by_role.loc["teaching", "n"]) and pd.isna(by_role.loc["teaching", "mean"])
    whole = row(f, "staff_audit", "P1")
    assert not whole["suppressed"] and whole["n"] == 10 and whole["mean"] == pytest.approx(2.8)


def test_a_small_audit_is_suppressed_with_its_reason_and_no_numbers():
    f = publish(audit(4, {k: 3 for k in range(1, 8)}, "teaching") + people("staff", 6, {"S01": 5}))
    rows = f.ratings("staff_audit")
    assert len(rows) == 7 and rows["suppressed"].all() and (rows["reason"] == "fewer than 5 responses").all()
    assert rows[["n", "answers", "agree_share", "mean", "ci_low", "ci_high"]].isna().all().all()
    assert f.totals.set_index("survey").loc["staff_audit", "reason"] == "fewer than 5 responses"
    assert pd.isna(f.totals.set_index("survey").loc["staff_audit", "n"])


def test_agreement_readers_never_see_the_audit():
    rows = audit(10, {k: 4 for k in range(1, 8)}, "teaching") + people("staff", 6, {"S01": 1, "S12": 1})
    f = publish(rows)
    assert set(f.agreement["survey"]) == {"staff", "pupil", "parent"}
    assert "staff_audit" not in set(f.whole["survey"]) | set(f.shown["survey"])
    for pid in WQM.principle_ids:
        assert "staff_audit" not in set(f.for_section(pid)["survey"])
    assert len(f.subgroups("staff_audit")) == 0
    assert f.for_section("P1")["survey"].tolist() == ["staff"]
    # the audit's own rows: whole staff per principle, shown
    ratings = f.ratings()
    assert ratings["section_id"].tolist() == list(WQM.principle_ids) and not ratings["suppressed"].any()
    assert (ratings["mean"] == 4).all() and ratings["subgroup_field"].isna().all()
    assert f.ratings("staff").empty


def test_the_audit_is_not_mapped_to_vbe_and_is_not_listed_as_an_unmapped_stakeholder_survey():
    f = publish(audit(6, {1: 3}) + people("staff", 6, {"S01": 5}), framework=load_framework("vbe"))
    assert "staff_audit" not in set(f.table["survey"])
    assert f.unmapped == [] and f.responded("staff_audit")
    assert not f.totals.set_index("survey").loc["staff_audit", "mapped"]


def test_an_audit_tally_joins_the_same_figures():
    tally = pd.DataFrame(
        [
            ("staff_audit", "teaching", "SA1", 3, 4),
            ("staff_audit", "teaching", "SA1", 1, 2),
            ("staff_audit", "support", "SA1", 4, 5),
            ("staff_audit", "", "SA1", 9, 3),
        ],
        columns=["survey", "subgroup", "item_id", "value", "count"],
    )
    data = SurveyData(blocks=SurveyData.from_long(responses(audit(2, {1: 2}, "teaching"))).blocks, tallies=tally)
    f = publish_figures(data, BANK, load_mapping(WQM, BANK), WQM, 5)
    r = row(f, "staff_audit", "P1")
    assert r["n"] == 13 and r["answers"] == 13  # a value off the 1-4 scale is not counted
    assert r["mean"] == round((2 * 2 + 3 * 4 + 1 * 2 + 4 * 5) / 13, 1)
    assert r["agree_share"] == round(9 / 13, 2)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["teaching", "support", "leadership", ""]),
            st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=7, max_size=7),
        ),
        min_size=0,
        max_size=30,
    ),
    st.integers(2, 8),
)
def test_audit_figures_stay_on_the_scale_and_suppressed_rows_carry_no_numbers(staff, minimum):
    rows = [
        ("staff_audit", f"a{i}", role, f"SA{k + 1}", v)
        for i, (role, ratings) in enumerate(staff)
        for k, v in enumerate(ratings)
        if v is not None
    ]
    f = publish(rows, min_group_size=minimum)
    audit_rows = f.table[f.table["survey"] == "staff_audit"]
    assert set(audit_rows["measure"]) <= {"rating"}
    shown, hidden = audit_rows[~audit_rows["suppressed"]], audit_rows[audit_rows["suppressed"]]
    assert ((shown["agree_share"] >= 0) & (shown["agree_share"] <= 1)).all()
    assert ((shown["mean"] >= 1) & (shown["mean"] <= 4)).all()
    assert (shown["n"] >= minimum).all()
    assert hidden[["n", "answers", "agree_share", "mean", "ci_low", "ci_high"]].isna().all().all()
    assert (hidden["reason"] != "").all()
    assert "staff_audit" not in set(f.whole["survey"])


# -- validated measures ----------------------------------------------------------------------


def with_scores(rows, score_rows, framework=WQM, min_group_size=5):
    """Published figures of answers (``rows``, as :func:`publish`) plus measure scores
    (survey, respondent, subgroup, instrument, informant, score_id, value, band)."""
    from wqm_nb.store.surveys import SCORE_COLUMNS

    data = SurveyData.from_long(responses(rows))
    data = SurveyData(blocks=data.blocks, scores=pd.DataFrame(score_rows, columns=SCORE_COLUMNS))
    return publish_figures(data, BANK, load_mapping(framework, BANK), framework, min_group_size)


def pupils_with_swemwbs(groups):
    """groups: {year group: metric scores}; every pupil answered U01 too."""
    rows, scored, k = [], [], 0
    for group, values in groups.items():
        for v in values:
            rows.append(("pupil", f"p{k}", group, "U01", 4))
            scored.append(("pupil", f"p{k}", group, "swemwbs", "self", "metric", float(v), ""))
            k += 1
    return rows, scored


def test_measure_rows_join_the_table_with_their_own_measure():
    rows, scored = pupils_with_swemwbs({"Y7": [20, 22, 24, 26, 28, 30], "Y8": [18, 19, 20, 21, 22]})
    f = with_scores(rows, scored)
    assert list(f.table.columns) == COLUMNS
    means = f.measure_means(instrument="swemwbs")
    whole = means[means["subgroup_field"].isna()].iloc[0]
    assert whole["measure"] == "swemwbs.metric" and whole["n"] == 11 and whole["score"] == "metric"
    assert whole["mean"] == round(sum([20, 22, 24, 26, 28, 30, 18, 19, 20, 21, 22]) / 11, 1)
    assert whole["ci_low"] < whole["mean"] < whole["ci_high"]
    assert pd.isna(whole["section_id"]) and whole["survey_name"] == "Pupil survey"
    assert set(means["subgroup"].dropna()) == {"Y7", "Y8"}
    assert len(f.measure_means(subgroups=False)) == 1 and len(f.measure_means(subgroups=True)) == 2
    assert not len(f.measure_bands())  # SWEMWBS has no bands


def test_agreement_and_rating_readers_never_see_a_measure():
    rows, scored = pupils_with_swemwbs({"Y7": [20] * 6})
    f = with_scores(rows, scored)
    for frame in (
        f.agreement,
        f.whole,
        f.shown,
        f.subgroups("pupil"),
        f.for_section("P1"),
        f.ratings(),
        f.ratings(subgroups=True),
        f.item_figures,
    ):
        assert set(frame["measure"]) <= {"agreement", "rating"}, frame
    assert set(f.measures["measure"]) == {"swemwbs.metric"}
    assert len(f.item_figures) + len(f.measures) == len(f.table)


def test_a_small_subgroups_measure_mean_is_suppressed_with_its_complement():
    rows, scored = pupils_with_swemwbs({"Y7": [20] * 30, "Y8": [25, 26, 27], "Y9": [22] * 12})
    f = with_scores(rows, scored)
    means = f.measure_means(subgroups=True).set_index("subgroup")
    assert means.loc["Y8", "reason"] == "fewer than 5 responses" and means.loc["Y8", "suppressed"]
    assert means.loc["Y9", "reason"] == "not shown, so that a smaller group cannot be worked out"
    for sub in ("Y8", "Y9"):
        assert pd.isna(means.loc[sub, "n"]) and pd.isna(means.loc[sub, "mean"]) and pd.isna(means.loc[sub, "ci_low"])
    assert means.loc["Y7", "n"] == 30 and not means.loc["Y7", "suppressed"]


def test_band_rows_of_a_banded_score_sum_to_one():
    scored = [
        ("parent", f"c{k}", "", "sdq", "parent", "total_difficulties", float(v), b)
        for k, (v, b) in enumerate([(5, "Normal")] * 8 + [(15, "Borderline")] * 2)
    ]
    rows = [("parent", f"c{k}", "", "R01", 4) for k in range(10)]
    f = with_scores(rows, scored)
    bands = f.measure_bands(instrument="sdq", score="total_difficulties")
    assert list(bands["band"]) == ["Normal", "Borderline", "Abnormal"]
    assert list(bands["agree_share"]) == [0.8, 0.2, 0.0] and bands["agree_share"].sum() == pytest.approx(1)
    assert set(bands["measure"]) == {
        "sdq.total_difficulties:Normal",
        "sdq.total_difficulties:Borderline",
        "sdq.total_difficulties:Abnormal",
    }


def test_measures_are_published_whatever_the_framework_maps():
    rows, scored = pupils_with_swemwbs({"Y7": [20] * 6})
    f = with_scores(rows + people("staff", 5, {"S01": 4}), scored, framework=LM)
    assert "pupil" not in set(f.item_figures["survey"])  # L&M does not map the pupil survey
    assert set(f.measures["survey"]) == {"pupil"}


def test_a_respondent_with_a_score_and_no_answer_counts_in_the_survey_total():
    rows, scored = pupils_with_swemwbs({"Y7": [20] * 6})
    scored.append(("pupil", "only-scored", "Y7", "swemwbs", "self", "metric", 21.0, ""))
    data = SurveyData.from_long(responses(rows + [("pupil", "only-scored", "Y7", "U01", -1)]))
    from wqm_nb.store.surveys import SCORE_COLUMNS

    data = SurveyData(blocks=data.blocks, scores=pd.DataFrame(scored, columns=SCORE_COLUMNS))
    f = publish_figures(data, BANK, load_mapping(WQM, BANK), WQM, 5)
    assert f.totals.set_index("survey").loc["pupil", "n"] == 7
    assert f.measure_means(subgroups=False).iloc[0]["n"] == 7
