"""Award readiness: levels, criteria, consecutive years, suppressed groups, levels held by the recorded
award decisions."""

import pandas as pd
import pytest
import yaml

from wqm_nb.data import load_framework, load_mapping, load_question_bank, parse_framework
from wqm_nb.model.awards import held_level, readiness
from wqm_nb.model.figures import publish_figures
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.model.year import YearResult
from wqm_nb.store.surveys import SurveyData

FW = load_framework("wqm")
BANK = load_question_bank()
MAPPING = load_mapping(FW, BANK)


def ratings(values: dict, evidence="Evidence") -> pd.DataFrame:
    """Current ratings for every WQM element; `values` overrides by element id."""
    return pd.DataFrame([dict(element_id=e.id, rating=values.get(e.id, 3), evidence=evidence) for _, e in FW.elements])


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
    return YearResult(
        year=year,
        school_year_id=1,
        cycle_id=1,
        elements=el,
        principles=sef_principles(FW, el),
        figures=publish_figures(SurveyData.from_long(resp), BANK, MAPPING, FW, 5),
    )


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


def decision(level, year, outcome="awarded", decision_id=None, supersedes=None, framework="wqm", **extra):
    """One award decision as the store returns it."""
    return dict(
        decision_id=decision_id,
        school_id="S1",
        framework=framework,
        level=level,
        academic_year=year,
        decided_on=f"{int(year[:4]) + 1}-06-30",
        assessor="A. Assessor",
        outcome=outcome,
        reasons="",
        supersedes=supersedes,
        **extra,
    )


TOP = {e.id: 4 for _, e in FW.elements}
BEACON_YEARS = ("2023-24", "2024-25", "2025-26")


def test_readiness_beacon_needs_higher_maturity_and_agreement_and_champion_held_three_years():
    years = [cycle(y, TOP) for y in BEACON_YEARS]
    rd = readiness(FW, years, [decision("approved", "2020-21"), decision("champion", "2022-23")])
    assert rd.achieved.id == "beacon" and rd.met["beacon"]
    assert rd.held["beacon"].years_held == 3 and rd.level_gaps["beacon"] == []
    assert rd.held["beacon"].statement == (
        "Champion School awarded in 2022-23 on 2023-06-30 by A. Assessor: held 3 years before 2025-26"
    )
    # the same figures without the Champion award on record: every section meets Beacon, the school does not
    rd = readiness(FW, years)
    assert rd.achieved.id == "champion" and rd.table["Beacon School"].all()
    assert rd.level_gaps["beacon"] == [
        "needs Champion School held for at least 3 years before 2025-26 (Champion School not held: no award recorded)"
    ]


def test_two_years_as_champion_is_not_enough_and_says_why():
    years = [cycle(y, TOP) for y in BEACON_YEARS]
    rd = readiness(FW, years, [decision("champion", "2023-24")])
    assert not rd.met["beacon"] and rd.achieved.id == "champion"
    assert rd.held["beacon"].years_held == 2
    assert rd.level_gaps["beacon"] == [
        "needs Champion School held for at least 3 years before 2025-26 (Champion "
        "School awarded in 2023-24 on 2024-06-30 by A. Assessor: held 2 years "
        "before 2025-26)"
    ]
    # the earlier years are judged with the decisions known then
    assert rd.history["beacon"] == {"2023-24": False, "2024-25": False, "2025-26": False}


def test_a_superseded_award_does_not_count():
    years = [cycle(y, TOP) for y in BEACON_YEARS]
    wrong = decision("champion", "2022-23", decision_id=1)
    corrected = decision("champion", "2023-24", decision_id=2, supersedes=1)  # the year was wrong
    rd = readiness(FW, years, [wrong, corrected])
    assert rd.held["beacon"].since == "2023-24" and not rd.met["beacon"]
    corrected_out = decision("champion", "2022-23", "not_awarded", decision_id=3, supersedes=1)
    assert readiness(FW, years, [wrong, corrected_out]).held["beacon"].statement == (
        "Champion School not held: no award recorded"
    )
    assert readiness(FW, years, [wrong]).met["beacon"]


def test_a_withdrawal_ends_the_holding_and_a_new_award_starts_it_again():
    years = [cycle(y, TOP) for y in BEACON_YEARS]
    withdrawn = [decision("champion", "2020-21"), decision("champion", "2023-24", "withdrawn")]
    held = readiness(FW, years, withdrawn).held["beacon"]
    assert not held.held and held.statement == "Champion School not held: withdrawn in 2023-24"
    again = readiness(FW, years, [*withdrawn, decision("champion", "2024-25")]).held["beacon"]
    assert again.since == "2024-25" and again.years_held == 1 and not again.met
    # deferred and not_awarded decisions before the award change nothing; a later award adds nothing
    steady = [
        decision("champion", "2021-22", "deferred"),
        decision("champion", "2022-23"),
        decision("champion", "2024-25"),
    ]
    assert readiness(FW, years, steady).held["beacon"].since == "2022-23"


def test_decisions_after_the_assessed_year_and_of_other_frameworks_are_ignored():
    years = [cycle(y, TOP) for y in BEACON_YEARS]
    later = [decision("champion", "2022-23"), decision("champion", "2026-27", "withdrawn")]
    assert readiness(FW, years, later).met["beacon"]
    assert not readiness(FW, years, [decision("champion", "2022-23", framework="vbe")]).met["beacon"]


def test_vbe_enhanced_needs_the_quality_mark_held():
    vbe = load_framework("vbe")
    assert vbe.level("enhanced").criteria.requires_held.level == "quality_mark"
    assert vbe.level("enhanced").criteria.requires_held.years == 0
    held = held_level(
        [decision("quality_mark", "2025-26", framework="vbe")],
        vbe.level("enhanced").criteria.requires_held,
        "2025-26",
        vbe,
    )
    assert held.met and held.years_held == 0
    assert held.requirement == "Quality Mark held (awarded in 2025-26 or before)"
    none = held_level([], vbe.level("enhanced").criteria.requires_held, "2025-26", vbe)
    assert not none.met and none.reason.startswith("needs Quality Mark held")


@pytest.mark.parametrize(
    "kwargs, principle, reason",
    [
        (dict(values={"P5.1": 2}), "P5", "mean maturity 2 below 3"),
        (dict(values={"P1.1": 1}), "P1", "P1.1 rated 1 (needs 2)"),
        (dict(evidence=""), "P2", "no evidence for P2.1, P2.2"),
        (dict(resp=agreeing_everyone(value=2)), "P6", "staff survey: 0% agree (needs 60%)"),
        (
            dict(resp=agreeing_everyone(n_staff=0, n_parent=0).query("survey != 'pupil'")),
            "P3",
            "no reportable stakeholder survey results",
        ),
    ],
)
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
    unrated = YearResult(
        year="2024-25",
        school_year_id=1,
        cycle_id=None,
        elements=sef_elements(FW, pd.DataFrame(columns=["element_id", "rating", "evidence"])),
        principles=unrated.principles,
        figures=unrated.figures,
    )
    rd = readiness(FW, [cycle("2023-24"), unrated, cycle("2025-26")])
    assert rd.history["approved"] == {"2023-24": True, "2024-25": False, "2025-26": True}
    assert rd.achieved.id == "approved"
    assert "2024-25: not rated: P1.1, P1.2, P1.3, P1.4, P1.5, P1.6" in rd.gaps["champion"]["P1"]


def test_a_checklist_has_no_readiness():
    with pytest.raises(ValueError, match="no award levels"):
        readiness(load_framework("leadership_management"), [cycle("2025-26")])


def audit_rows(n, value):
    """``n`` staff rating every framing principle ``value`` in the staff audit."""
    return [
        ("staff_audit", f"a{r}", "teaching", item.id, value)
        for r in range(n)
        for item in BANK.surveys["staff_audit"].items
    ]


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
