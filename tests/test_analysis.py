import math

import pandas as pd
import pytest
import yaml

from wqm_nb import analysis
from wqm_nb.frameworks import load_framework, load_question_bank, parse_framework

FW = load_framework("wqm")
BANK = load_question_bank()


def ratings(values: dict, evidence="Evidence") -> pd.DataFrame:
    """Current ratings for every WQM element; `values` overrides by element id."""
    return pd.DataFrame([dict(element_id=e.id, rating=values.get(e.id, 3), evidence=evidence)
                         for _, e in FW.elements])


def responses(spec):
    """spec: list of (survey, respondent, subgroup, item_id, value)."""
    return pd.DataFrame(spec, columns=["survey", "respondent", "subgroup", "item_id", "value"])


def agreeing_everyone(n_staff=6, value=5, n_parent=6):
    rows = []
    for survey, n in (("staff", n_staff), ("pupil", 6), ("parent", n_parent)):
        for r in range(n):
            for item in BANK.surveys[survey].items:
                rows.append((survey, f"{survey}{r}", "", item.id, value))
    return responses(rows)


def test_sef_elements_and_principles():
    el = analysis.sef_elements(FW, ratings({"P1.1": 1, "P1.2": 4}, evidence="").iloc[:-1])
    assert len(el) == 20 and el["element_id"].tolist()[0] == "P1.1"
    assert math.isnan(el.set_index("element_id").loc["P7.4", "rating"])  # unrated
    pr = analysis.sef_principles(FW, el).set_index("principle_id")
    assert pr.loc["P1", "mean_rating"] == pytest.approx((1 + 4 + 3 * 4) / 6)
    assert pr.loc["P1", "min_rating"] == 1
    assert pr.loc["P7", "rated"] == 3 and pr.loc["P7", "elements"] == 4
    assert pr.loc["P1", "with_evidence"] == 0
    assert pr.loc["P5", "level"] == "Developing practice"


def test_survey_scores_counts_agreement_and_suppresses_small_groups():
    spec = [("staff", f"s{i}", "teaching", "S11", v) for i, v in enumerate([5, 4, 3, 2, 1])]
    spec += [("parent", f"p{i}", "", "R06", 5) for i in range(4)]
    scores = analysis.survey_scores(responses(spec), BANK, FW, min_group_size=5)
    staff_p6 = scores[(scores.survey == "staff") & (scores.principle_id == "P6")].iloc[0]
    assert staff_p6.respondents == 5 and not staff_p6.suppressed
    assert staff_p6["mean"] == 3.0 and staff_p6.agree == pytest.approx(0.4)
    parent_p6 = scores[(scores.survey == "parent") & (scores.principle_id == "P6")].iloc[0]
    assert parent_p6.respondents == 4 and parent_p6.suppressed
    assert math.isnan(parent_p6.agree) and math.isnan(parent_p6["mean"])
    # every principle the bank asks about appears, with no answers as 0 respondents
    pupil_p1 = scores[(scores.survey == "pupil") & (scores.principle_id == "P1")].iloc[0]
    assert pupil_p1.respondents == 0 and pupil_p1.suppressed
    assert not ((scores.survey == "parent") & (scores.principle_id == "P3")).any()  # parents not asked
    # the minimum is configurable
    lax = analysis.survey_scores(responses(spec), BANK, FW, min_group_size=3)
    assert lax[(lax.survey == "parent") & (lax.principle_id == "P6")].iloc[0].agree == 1.0


def test_respondents_count_people_not_answers():
    spec = [("staff", "s1", "", "S12", 5), ("staff", "s1", "", "S13", 4), ("staff", "s2", "", "S12", 2)]
    row = analysis.survey_scores(responses(spec), BANK, FW, 1).query("survey == 'staff' and principle_id == 'P7'")
    assert row.iloc[0].respondents == 2 and row.iloc[0].answers == 3
    assert row.iloc[0].agree == pytest.approx(2 / 3)


def test_survey_scores_by_subgroup():
    spec = [("staff", f"t{i}", "teaching", "S11", 5) for i in range(6)]
    spec += [("staff", f"l{i}", "leadership", "S11", 1) for i in range(2)]
    sub = analysis.survey_scores(responses(spec), BANK, FW, 5, by_subgroup=True)
    p6 = sub[(sub.survey == "staff") & (sub.principle_id == "P6")].set_index("subgroup")
    assert p6.loc["teaching", "agree"] == 1.0
    assert p6.loc["leadership", "suppressed"] and math.isnan(p6.loc["leadership", "agree"])


def cycle(year, values=None, evidence="Evidence", resp=None):
    el = analysis.sef_elements(FW, ratings(values or {}, evidence))
    return analysis.CycleData(year, el, analysis.survey_scores(resp if resp is not None else agreeing_everyone(),
                                                               BANK, FW))


def test_readiness_approved_in_one_year():
    rd = analysis.readiness(FW, [cycle("2025-26")])
    assert rd.met == {"approved": True, "champion": False, "beacon": False}
    assert rd.achieved.name == "Approved School"
    assert rd.next_level.id == "champion"
    assert all("needs 3 consecutive years of evidence (has 1)" in g for g in rd.gaps["champion"].values())
    assert rd.table["Approved School"].all()


def test_readiness_champion_needs_three_consecutive_years():
    three = [cycle("2023-24"), cycle("2024-25"), cycle("2025-26")]
    assert analysis.readiness(FW, three).achieved.id == "champion"
    gap = [cycle("2021-22"), cycle("2024-25"), cycle("2025-26")]
    rd = analysis.readiness(FW, gap)
    assert rd.achieved.id == "approved"
    assert rd.gaps["champion"]["P1"] == ["needs 3 consecutive years of evidence (has 2)"]
    assert rd.history["approved"] == {"2021-22": True, "2024-25": True, "2025-26": True}
    weak_first = [cycle("2023-24", {"P3.2": 2}), cycle("2024-25"), cycle("2025-26")]
    rd = analysis.readiness(FW, weak_first)
    assert rd.achieved.id == "approved"
    assert rd.gaps["champion"]["P3"] == ["2023-24: mean maturity 2.75 below 3", "2023-24: P3.2 rated 2 (needs 3)"]
    assert rd.table.loc["P3", "Champion School"] == False  # noqa: E712
    assert rd.table.loc["P1", "Champion School"] == True  # noqa: E712


def test_readiness_beacon_needs_higher_maturity_and_agreement():
    top = {e.id: 4 for _, e in FW.elements}
    assert analysis.readiness(FW, [cycle(y, top) for y in ("2023-24", "2024-25", "2025-26")]).achieved.id == "beacon"


@pytest.mark.parametrize("kwargs, principle, reason", [
    (dict(values={"P5.1": 2}), "P5", "mean maturity 2 below 3"),
    (dict(values={"P1.1": 1}), "P1", "P1.1 rated 1 (needs 2)"),
    (dict(evidence=""), "P2", "no evidence for P2.1, P2.2"),
    (dict(resp=agreeing_everyone(value=2)), "P6", "staff survey: 0% agree (needs 60%)"),
    (dict(resp=agreeing_everyone(n_staff=0, n_parent=0).query("survey != 'pupil'")), "P3",
     "no reportable stakeholder survey results"),
])
def test_readiness_reasons(kwargs, principle, reason):
    rd = analysis.readiness(FW, [cycle("2025-26", **kwargs)])
    assert rd.met["approved"] is False and rd.achieved is None
    assert reason in rd.gaps["approved"][principle]


def test_suppressed_groups_do_not_count_against_a_school():
    resp = agreeing_everyone(n_parent=3, value=5)
    parents_disagree = resp.assign(value=resp["value"].where(resp["survey"] != "parent", 1))
    assert analysis.readiness(FW, [cycle("2025-26", resp=parents_disagree)]).met["approved"]


def test_rules_come_from_the_framework_file():
    doc = yaml.safe_load(open(FW.path))
    doc["levels"][0]["criteria"]["min_principle_mean"] = 2.0
    doc["levels"][0]["criteria"]["min_element_rating"] = 1
    relaxed = parse_framework(doc, "wqm.yaml")
    c = cycle("2025-26", {"P5.1": 2})
    assert not analysis.readiness(FW, [c]).met["approved"]
    assert analysis.readiness(relaxed, [c]).met["approved"]


def test_strengths_and_areas():
    el = analysis.sef_elements(FW, ratings({"P1.1": 4, "P1.2": 4, "P1.3": 4, "P1.4": 4, "P1.5": 4, "P1.6": 4,
                                             "P7.2": 2}))
    el.loc[el.element_id == "P5.1", ["evidence", "has_evidence"]] = ["", False]
    resp = agreeing_everyone()
    resp.loc[(resp.survey == "parent") & (resp.item_id == "R06"), "value"] = 1
    pr = analysis.sef_principles(FW, el)
    scores = analysis.survey_scores(resp, BANK, FW)
    strengths, areas = analysis.strengths_and_areas(FW, el, pr, scores)
    s = strengths.set_index("principle_id")["statement"]
    assert s["P1"].startswith("self-evaluated as Embedded and evaluated (mean 4.0)")
    assert "100% of staff survey respondents agree" in s["P1"]
    a = areas.set_index("principle_id")["statement"]
    assert "rated P7.2 Shared understanding" in a["P7"]
    assert "no evidence recorded for P5.1" in a["P5"]
    assert a["P6"] == "only 0% of parent and carer survey respondents agree despite a self-evaluation of 3 or more"
    assert "P6" not in s.index
