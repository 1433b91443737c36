"""Award readiness: levels, criteria, consecutive years, suppressed groups."""
import pandas as pd
import pytest
import yaml

from wqm_nb.data import load_framework, load_mapping, load_question_bank, parse_framework
from wqm_nb.model.awards import readiness
from wqm_nb.store.surveys import SurveyData
from wqm_nb.model.figures import publish_figures
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.model.year import YearResult

FW = load_framework("wqm")
BANK = load_question_bank()
MAPPING = load_mapping(FW, BANK)


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


def cycle(year, values=None, evidence="Evidence", resp=None):
    """One year's result with every element rated 3 unless ``values`` says otherwise."""
    el = sef_elements(FW, ratings(values or {}, evidence))
    resp = resp if resp is not None else agreeing_everyone()
    return YearResult(year=year, school_year_id=1, cycle_id=1, elements=el, principles=sef_principles(FW, el),
                      figures=publish_figures(SurveyData.from_long(resp), BANK, MAPPING, FW, 5))


def test_readiness_approved_in_one_year():
    rd = readiness(FW, [cycle("2025-26")])
    assert rd.met == {"approved": True, "champion": False, "beacon": False}
    assert rd.achieved.name == "Approved School"
    assert rd.next_level.id == "champion"
    assert all("needs 3 consecutive years of evidence (has 1)" in g for g in rd.gaps["champion"].values())
    assert rd.table["Approved School"].all()


def test_readiness_champion_needs_three_consecutive_years():
    three = [cycle("2023-24"), cycle("2024-25"), cycle("2025-26")]
    assert readiness(FW, three).achieved.id == "champion"
    gap = [cycle("2021-22"), cycle("2024-25"), cycle("2025-26")]
    rd = readiness(FW, gap)
    assert rd.achieved.id == "approved"
    assert rd.gaps["champion"]["P1"] == ["needs 3 consecutive years of evidence (has 2)"]
    assert rd.history["approved"] == {"2021-22": True, "2024-25": True, "2025-26": True}
    weak_first = [cycle("2023-24", {"P3.2": 2}), cycle("2024-25"), cycle("2025-26")]
    rd = readiness(FW, weak_first)
    assert rd.achieved.id == "approved"
    assert rd.gaps["champion"]["P3"] == ["2023-24: mean maturity 2.75 below 3", "2023-24: P3.2 rated 2 (needs 3)"]
    assert rd.table.loc["P3", "Champion School"] == False  # noqa: E712
    assert rd.table.loc["P1", "Champion School"] == True  # noqa: E712


def test_readiness_beacon_needs_higher_maturity_and_agreement():
    top = {e.id: 4 for _, e in FW.elements}
    assert readiness(FW, [cycle(y, top) for y in ("2023-24", "2024-25", "2025-26")]).achieved.id == "beacon"


@pytest.mark.parametrize("kwargs, principle, reason", [
    (dict(values={"P5.1": 2}), "P5", "mean maturity 2 below 3"),
    (dict(values={"P1.1": 1}), "P1", "P1.1 rated 1 (needs 2)"),
    (dict(evidence=""), "P2", "no evidence for P2.1, P2.2"),
    (dict(resp=agreeing_everyone(value=2)), "P6", "staff survey: 0% agree (needs 60%)"),
    (dict(resp=agreeing_everyone(n_staff=0, n_parent=0).query("survey != 'pupil'")), "P3",
     "no reportable stakeholder survey results"),
])
def test_readiness_reasons(kwargs, principle, reason):
    rd = readiness(FW, [cycle("2025-26", **kwargs)])
    assert rd.met["approved"] is False and rd.achieved is None
    assert reason in rd.gaps["approved"][principle]


def test_suppressed_groups_do_not_count_against_a_school():
    resp = agreeing_everyone(n_parent=3, value=5)
    parents_disagree = resp.assign(value=resp["value"].where(resp["survey"] != "parent", 1))
    assert readiness(FW, [cycle("2025-26", resp=parents_disagree)]).met["approved"]


def test_rules_come_from_the_framework_file():
    doc = yaml.safe_load(open(FW.path))
    doc["levels"][0]["criteria"]["min_principle_mean"] = 2.0
    doc["levels"][0]["criteria"]["min_element_rating"] = 1
    relaxed = parse_framework(doc, "wqm.yaml")
    assert relaxed.id == FW.id  # same id: the bundled survey mapping still applies
    c = cycle("2025-26", {"P5.1": 2})
    assert not readiness(FW, [c]).met["approved"]
    assert readiness(relaxed, [c]).met["approved"]


def test_a_year_without_a_self_evaluation_meets_no_level_and_breaks_the_streak():
    unrated = cycle("2024-25")
    unrated = YearResult(year="2024-25", school_year_id=1, cycle_id=None,
                         elements=sef_elements(FW, pd.DataFrame(columns=["element_id", "rating", "evidence"])),
                         principles=unrated.principles, figures=unrated.figures)
    rd = readiness(FW, [cycle("2023-24"), unrated, cycle("2025-26")])
    assert rd.history["approved"] == {"2023-24": True, "2024-25": False, "2025-26": True}
    assert rd.achieved.id == "approved"
    assert "2024-25: not rated: P1.1, P1.2, P1.3, P1.4, P1.5, P1.6" in rd.gaps["champion"]["P1"]


def test_a_checklist_has_no_readiness():
    with pytest.raises(ValueError, match="no award levels"):
        readiness(load_framework("leadership_management"), [cycle("2025-26")])


def audit_rows(n, value):
    """``n`` staff rating every framing principle ``value`` in the staff audit."""
    return [("staff_audit", f"a{r}", "teaching", item.id, value)
            for r in range(n) for item in BANK.surveys["staff_audit"].items]


def test_the_staff_audit_does_not_count_toward_stakeholder_agreement():
    # staff rate every principle "Deciding to act": their audit is no stakeholder agreement, so no gap
    low_audit = pd.concat([agreeing_everyone(), responses(audit_rows(12, 1))])
    rd = readiness(FW, [cycle("2025-26", resp=low_audit)])
    assert rd.met["approved"]
    assert not any("audit" in g for gaps in rd.gaps.values() for reasons in gaps.values() for g in reasons)
    # and a glowing audit does not stand in for stakeholder surveys nobody answered
    only_audit = responses(audit_rows(12, 4))
    rd = readiness(FW, [cycle("2025-26", resp=only_audit)])
    assert not rd.met["approved"]
    assert rd.gaps["approved"]["P1"] == ["no reportable stakeholder survey results"]
