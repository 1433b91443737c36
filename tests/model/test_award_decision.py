"""Award decision support on hand-made data with known answers: the level applied for, every criterion with
its evidence, the held-level record (three years as Champion met, two not), superseded decisions, suppressed
groups, and the assessment-day plan."""

import pandas as pd
import pytest

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.errors import SettingsError
from wqm_nb.model.award_decision import ALWAYS, BELOW, HIDDEN, NO_SURVEY, applied_level, decide, find_level, levels_held
from wqm_nb.model.figures import publish_figures
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.model.year import YearResult
from wqm_nb.store.surveys import SurveyData

FW = load_framework("wqm")
BANK = load_question_bank()
MAPPING = load_mapping(FW, BANK)
TOP = {e.id: 4 for _, e in FW.elements}
YEARS = ("2023-24", "2024-25", "2025-26")


def responses(n_staff=30, n_pupil=30, n_parent=30, value=5, low=None, roles=None):
    """Everyone answers ``value`` to every item; ``low`` = {(survey, section): value} overrides by section;
    ``roles`` gives staff roles in turn."""
    rows = []
    for survey, n in (("staff", n_staff), ("pupil", n_pupil), ("parent", n_parent)):
        for r in range(n):
            group = roles[r % len(roles)] if survey == "staff" and roles else ""
            for item in BANK.surveys[survey].items:
                section = MAPPING.surveys[survey].get(item.id)
                rows.append((survey, f"{survey}{r}", group, item.id, (low or {}).get((survey, section), value)))
    return pd.DataFrame(rows, columns=["survey", "respondent", "subgroup", "item_id", "value"])


def year(label, values=None, evidence="Evidence", resp=None, framework=FW):
    ratings = pd.DataFrame(
        [dict(element_id=e.id, rating=(values or {}).get(e.id, 4), evidence=evidence) for _, e in framework.elements]
    )
    el = sef_elements(framework, ratings)
    resp = responses() if resp is None else resp
    mapping = load_mapping(framework, BANK)
    return YearResult(
        year=label,
        school_year_id=1,
        cycle_id=1,
        elements=el,
        principles=sef_principles(framework, el),
        figures=publish_figures(SurveyData.from_long(resp), BANK, mapping, framework, 5),
    )


def decision(level, academic_year, outcome="awarded", decision_id=None, supersedes=None):
    return dict(
        decision_id=decision_id,
        school_id="S1",
        framework="wqm",
        level=level,
        academic_year=academic_year,
        decided_on=f"{int(academic_year[:4]) + 1}-06-30",
        assessor="A. Assessor",
        outcome=outcome,
        reasons="",
        supersedes=supersedes,
    )


CHAMPION_SINCE_2022 = [decision("approved", "2019-20", decision_id=1), decision("champion", "2022-23", decision_id=2)]


def check(section, key):
    return next(c for c in section.checks if c.key == key)


def school_check(result, key):
    return next(c for c in result.school_checks if c.key == key)


def test_a_beacon_candidate_with_three_years_as_champion_meets_every_criterion():
    result = decide(FW, BANK, [year(y) for y in YEARS], CHAMPION_SINCE_2022)
    assert result.level.id == "beacon"  # the next level above the one held
    assert result.why_level == "the next level above Champion School, held since 2022-23"
    assert [h.level for h in result.holds] == ["approved", "champion"]
    assert result.met and result.missing == [] and result.verdict.startswith("Every criterion")
    assert result.held.since == "2022-23" and result.held.years_held == 3 and result.held.decision["decision_id"] == 2
    held = school_check(result, "requires_held")
    assert held.met and held.label == "Champion School held for at least 3 years before 2025-26"
    assert held.evidence == (
        "Champion School awarded in 2022-23 on 2023-06-30 by A. Assessor: held 3 years before 2025-26"
    )
    assert school_check(result, "requires").met
    # what no figure shows is confirmed on the day, and does not make the school "not ready"
    day = school_check(result, "assessor_check")
    assert day.met is None and day.result_label == "? Confirm on the day"
    assert result.plan.confirm == ("Serves as a role model and supports other schools in their WQM journey",)
    assert result.rules_file == "wqm_nb/data/frameworks/wqm.yaml"
    # the verdicts agree with the award rules
    assert result.readiness.met["beacon"]


def test_two_years_as_champion_is_not_enough_and_the_decision_says_why():
    two = [decision("approved", "2019-20"), decision("champion", "2023-24")]
    result = decide(FW, BANK, [year(y) for y in YEARS], two, level="Beacon School")
    assert result.why_level == "the level asked for"
    assert not result.met and all(s.met for s in result.sections)
    assert result.missing == [
        (
            "School",
            "needs Champion School held for at least 3 years before 2025-26 (Champion "
            "School awarded in 2023-24 on 2024-06-30 by A. Assessor: held 2 years "
            "before 2025-26)",
        )
    ]
    assert result.verdict == "Not ready in 2025-26: 1 thing missing; 1 thing to confirm on the assessment day."
    assert not result.readiness.met["beacon"]


def test_a_superseded_decision_is_not_counted():
    wrong = decision("champion", "2022-23", decision_id=7)
    corrected = decision("champion", "2024-25", decision_id=8, supersedes=7)
    result = decide(FW, BANK, [year(y) for y in YEARS], [wrong, corrected], level="beacon")
    assert result.held.since == "2024-25" and result.held.years_held == 1
    assert not school_check(result, "requires_held").met
    assert [d["decision_id"] for d in result.decisions] == [8]  # the history shows the current decision only
    # withdrawn by a correction: Champion is no longer held, so Champion is the level applied for
    out = decision("champion", "2022-23", "withdrawn", decision_id=9, supersedes=7)
    assert decide(FW, BANK, [year(y) for y in YEARS], [wrong, out]).level.id == "approved"


def test_the_default_level_follows_the_levels_held():
    assert applied_level(FW, [], "2025-26") == (FW.level("approved"), "the first level: the school holds no award yet")
    beacon = [*CHAMPION_SINCE_2022, decision("beacon", "2024-25")]
    assert applied_level(FW, beacon, "2025-26") == (
        FW.level("beacon"),
        "the highest level, held since 2024-25: renewing it",
    )
    assert [h.level for h in levels_held(FW, beacon, "2023-24")] == ["approved", "champion"]
    assert find_level(FW, " CHAMPION ").id == "champion" and find_level(FW, "champion school").id == "champion"
    with pytest.raises(SettingsError, match="approved, champion, beacon"):
        find_level(FW, "platinum")
    with pytest.raises(SettingsError, match="no award levels"):
        decide(load_framework("leadership_management"), BANK, [year("2025-26")])


def test_each_criterion_carries_its_evidence():
    values = {**TOP, "P3.2": 3, "P3.4": 3}  # P3 mean 3.5: Beacon's minimum exactly
    result = decide(FW, BANK, [year(y, values) for y in YEARS], CHAMPION_SINCE_2022)
    p3 = next(s for s in result.sections if s.principle_id == "P3")
    assert [c.key for c in p3.checks] == [
        "rated",
        "min_principle_mean",
        "min_element_rating",
        "evidence_required",
        "min_stakeholder_agreement",
    ]
    assert check(p3, "rated").evidence == "4 of 4 elements rated"
    mean = check(p3, "min_principle_mean")
    assert mean.evidence == "mean 3.50 (P3.1 4, P3.2 3, P3.3 4, P3.4 3)" and mean.result == "only_just"
    assert check(p3, "min_element_rating").evidence == "lowest rating 3 (P3.2, P3.4)"
    assert check(p3, "evidence_required").evidence == "4 of 4 elements with evidence"
    agree = check(p3, "min_stakeholder_agreement")
    assert agree.label == "At least 80% agreeing in every reported stakeholder group"
    assert agree.evidence.startswith("staff 100% agree (n=30, 95% interval 89% to 100%); pupils 100% agree (n=30")
    assert p3.ratings == (("P3.1", 4.0), ("P3.2", 3.0), ("P3.3", 4.0), ("P3.4", 3.0)) and p3.with_evidence == 4


def test_unmet_criteria_say_what_is_missing_and_agree_with_readiness():
    values = {**TOP, "P5.1": 2, "P2.1": None}
    years = [year(y) for y in YEARS[:-1]] + [year(YEARS[-1], values, resp=responses(low={("pupil", "P6"): 2}))]
    result = decide(FW, BANK, years, CHAMPION_SINCE_2022)
    missing = dict(result.missing)
    assert result.missing == [
        ("School", "Champion School not met in 2025-26: not met in P2, P5, P6"),
        ("P2 Engage the whole community", "not rated: P2.1"),
        ("P5 Develop supportive policy", "mean maturity 2 below 3.5"),
        ("P5 Develop supportive policy", "P5.1 rated 2 (needs 3)"),
        ("P6 Connect appropriately with approaches to behaviour management", "pupils: 0% agree (needs 80%)"),
    ], missing
    for s in result.sections:
        assert s.met == bool(result.readiness.table.loc[s.principle_id, "Beacon School"]), s.principle_id


def test_consecutive_years_are_checked_per_section_with_each_year():
    years = [year("2023-24", {**TOP, "P4.1": 2}), year("2024-25"), year("2025-26")]
    result = decide(FW, BANK, years, [decision("approved", "2022-23")], level="champion")
    p4 = next(s for s in result.sections if s.principle_id == "P4")
    run = check(p4, "consecutive_cycles")
    assert run.label == "Criteria met in 3 consecutive years up to 2025-26"
    assert run.evidence == "3 consecutive years up to 2025-26 (2023-24: not met; 2024-25: met)"
    assert run.missing == ("2023-24: P4.1 rated 2 (needs 3)",)
    gap = decide(FW, BANK, [year("2021-22"), year("2024-25"), year("2025-26")], level="champion")
    assert check(gap.sections[0], "consecutive_cycles").missing == ("needs 3 consecutive years of evidence (has 2)",)


def test_a_suppressed_group_counts_neither_way_and_its_value_is_never_shown():
    # three parents, all disagreeing: below the minimum group size of 5, so hidden
    resp = responses(n_parent=3, low={("parent", p.id): 1 for p in FW.principles})
    result = decide(FW, BANK, [year(y, resp=resp) for y in YEARS], CHAMPION_SINCE_2022)
    assert result.met  # the parents' 0% neither fails the school ...
    p1 = result.sections[0]
    parents = next(g for g in p1.groups if g.survey == "parent")
    assert (parents.n, parents.agree_share, parents.ci_low, parents.meets) == (None, None, None, None)
    agree = check(p1, "min_stakeholder_agreement")
    assert "parents and carers: not shown (fewer than 5 responses): counts neither for nor against" in agree.evidence
    assert agree.evidence.split("; ")[-1] == (
        "parents and carers: not shown (fewer than 5 responses): counts neither for nor against"
    )
    assert " 0%" not in agree.evidence and "n=3)" not in agree.evidence and "n=3," not in agree.evidence
    # ... nor carries it: a school whose only published group is hidden has no reportable results
    only_parents = responses(n_staff=0, n_pupil=0, n_parent=3)
    alone = decide(FW, BANK, [year("2025-26", resp=only_parents)])
    assert alone.sections[0].missing == ["no reportable stakeholder survey results"]
    meet = {m.group: m for m in result.plan.meet}
    assert meet["Parents and carers"].kind == HIDDEN
    assert meet["Parents and carers"].why == (
        "too few responses to publish (fewer than 5 responses) in P1, P2, P4, P5, P6, P7: meet them in person"
    )


def test_the_assessment_day_plan_names_principles_to_probe_and_groups_to_meet():
    resp = responses(n_parent=0, roles=["teaching", "support"], low={("staff", "P6"): 2})
    resp = resp.assign(
        value=resp["value"].where(
            ~((resp["survey"] == "pupil") & resp["respondent"].isin([f"pupil{i}" for i in range(6)])), 3
        )
    )  # six pupils unsure of everything
    values = {**TOP, "P3.2": 3, "P3.4": 3}  # P3 only just meets Beacon's mean
    result = decide(FW, BANK, [year(y, values, resp=resp) for y in YEARS], CHAMPION_SINCE_2022)
    probe = {p.principle_id: p.reasons for p in result.plan.probe}
    assert probe["P3"][0] == "only just met: mean maturity 3.50, within 0.25 of the 3.5 needed"
    # P6: staff disagree while leaders rate it 4 of 4: not met, and a possible blind spot
    assert probe["P6"][0] == "not met: staff: 0% agree (needs 80%)"
    assert any(r.startswith("possible blind spot: leaders place this at 100 of 100") for r in probe["P6"])
    assert "P1" in probe and any("pupils 80% agree (n=30), but the 95% interval reaches" in r for r in probe["P1"])
    meet = [(m.group, m.kind) for m in result.plan.meet]
    assert meet[:3] == [("Senior leadership team", ALWAYS), ("Governors", ALWAYS), ("Staff", ALWAYS)]
    why = {m.group: m.why for m in result.plan.meet}
    assert why["Staff"] == "met on every assessment day (the framework's list); below 80% agreeing in P6"
    assert why["Staff, role teaching"] == "below 80% agreeing in P6"
    assert why["Staff, role support"] == "below 80% agreeing in P6"
    assert ("Parents and carers", NO_SURVEY) in meet
    assert why["Parents and carers"] == "no parent and carer survey this year: hear them on the day"
    assert not any(kind == BELOW and group.startswith("Pupils") for group, kind in meet)


def test_vbe_enhanced_reads_the_quality_mark_record():
    vbe = load_framework("vbe")
    years = [year("2025-26", {e.id: 4 for _, e in vbe.elements}, framework=vbe)]
    qm = [dict(decision("quality_mark", "2024-25"), framework="vbe")]
    result = decide(vbe, BANK, years, qm)
    assert result.level.id == "enhanced" and result.met
    assert result.held.statement.startswith("Quality Mark awarded in 2024-25")
    assert result.plan.confirm == ("Commits to supporting and sharing its values-based experience with other schools",)
    assert [m.group for m in result.plan.meet][:2] == ["Senior leadership team", "Staff"]
    assert result.threshold == vbe.report.development_max_agreement  # VbE levels set no agreement threshold
    assert not decide(vbe, BANK, years, [], level="enhanced").met
