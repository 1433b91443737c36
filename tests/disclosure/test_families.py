"""Complementary suppression: no hidden count can be worked out from what is published.

The property tests generate random group sizes and answers, publish them
through the real figures table, and then, from the published table alone
(shown counts, and what each hidden cell's reason says), derive the range of
values each hidden count could take. No range may be a single value.
"""

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.disclosure.families import COMPLEMENTARY, PRIMARY, Cell, disclosed, protect
from wqm_nb.model.figures import PROTECTS_SMALLER, WITHHELD_SURVEY, publish_figures, too_few
from wqm_nb.store.surveys import SurveyData

FW = load_framework("wqm")
BANK = load_question_bank()
MAPPING = load_mapping(FW, BANK)
ITEMS = {"P1": ["S01", "S02"], "P6": ["S11"]}  # staff items of two WQM principles
ROLES = ["teaching", "support", "leadership", ""]  # "" = did not give a role


def responses(groups: list[tuple[str, list[list[int | None]]]]) -> pd.DataFrame:
    """Staff answers: per role, per respondent, one value (or None) per item of P1 then P6."""
    rows, k = [], 0
    items = ITEMS["P1"] + ITEMS["P6"]
    for role, people in groups:
        for answers in people:
            k += 1
            rows += [
                ("staff", f"s{k}", role, item, v) for item, v in zip(items, answers, strict=False) if v is not None
            ]
    return pd.DataFrame(rows, columns=["survey", "respondent", "subgroup", "item_id", "value"])


def published_family(figures, section: str):
    """The whole row and the subgroup rows of the staff survey for one section."""
    t = figures.table
    rows = t[(t["survey"] == "staff") & (t["section_id"] == section)]
    return rows[rows["subgroup_field"].isna()].iloc[0], rows[rows["subgroup_field"].notna()]


def derived_ranges(whole, parts, m: int, k: int) -> dict[tuple[str, str], tuple[float, float]]:
    """From published rows only: the range of each hidden part's counts."""

    def known(r):
        answers = int(r["answers"])
        agree = round(r["agree_share"] * answers) if answers else 0
        return {"n": int(r["n"]), "answers": answers, "agree": agree, "disagree": answers - agree}

    def box(r, q):
        if r["reason"] == too_few(m):
            n = (1, m - 1)
        elif r["reason"] == WITHHELD_SURVEY:  # a withheld survey says nothing of a group
            n = (0, math.inf)
        else:
            assert r["reason"] == PROTECTS_SMALLER, r["reason"]
            n = (m, math.inf)
        return n if q == "n" else (n[0], n[1] * k) if q == "answers" else (0, n[1] * k)

    hidden = [r for _, r in parts.iterrows() if r["suppressed"] and r["reason"] != "no responses"]
    shown = [known(r) for _, r in parts.iterrows() if not r["suppressed"]]
    out = {}
    for q in ("n", "answers", "agree", "disagree"):
        for h in hidden:
            lo, hi = box(h, q)
            if not whole["suppressed"]:
                rest = known(whole)[q] - sum(s[q] for s in shown)
                others = [box(o, q) for o in hidden if o is not h]
                lo, hi = max(lo, rest - sum(b[1] for b in others)), min(hi, rest - sum(b[0] for b in others))
            out[(h["subgroup"], q)] = (lo, hi)
    return out


answer = st.one_of(st.none(), st.integers(1, 5))
person = st.lists(answer, min_size=3, max_size=3).filter(lambda a: any(v is not None for v in a))
group = st.lists(person, min_size=0, max_size=12)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.tuples(group, group, group, group), m=st.integers(3, 10))
def test_no_hidden_count_can_be_worked_out(sizes, m):
    data = responses(list(zip(ROLES, sizes, strict=False)))
    figures = publish_figures(SurveyData.from_long(data), BANK, MAPPING, FW, m)
    for section, items in ITEMS.items():
        whole, parts = published_family(figures, section)
        for (subgroup, q), (lo, hi) in derived_ranges(whole, parts, m, len(items)).items():
            assert lo < hi, f"{section} {subgroup or 'not given'}: hidden {q} is exactly {lo}"


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(sizes=st.tuples(group, group, group, group), m=st.integers(3, 10))
def test_suppressed_rows_publish_no_numbers_and_shown_rows_meet_the_minimum(sizes, m):
    figures = publish_figures(
        SurveyData.from_long(responses(list(zip(ROLES, sizes, strict=False)))), BANK, MAPPING, FW, m
    )
    t = figures.table
    hidden = t[t["suppressed"]]
    assert hidden[["n", "answers", "agree_share", "mean"]].isna().all().all()
    assert (t.loc[~t["suppressed"], "n"] >= m).all()


def test_the_issue_example_support_staff_can_no_longer_be_worked_out():
    # Staff P1 has two items. Teaching: 5 people, 6 of 10 answers agree. Support: 4 people, 0 of 8 agree.
    teaching = [[5, 4, None]] * 3 + [[2, 2, None]] * 2
    support = [[1, 2, None]] * 4
    figures = publish_figures(
        SurveyData.from_long(responses([("teaching", teaching), ("support", support)])), BANK, MAPPING, FW, 5
    )
    whole, parts = published_family(figures, "P1")
    reasons = dict(zip(parts["subgroup"], parts["reason"], strict=False))
    assert reasons["support"] == "fewer than 5 responses"
    assert reasons["teaching"] == PROTECTS_SMALLER  # hidden too, rather than the whole
    assert not whole["suppressed"] and whole["n"] == 9
    ranges = derived_ranges(whole, parts, 5, 2)
    assert ranges[("support", "agree")][0] < ranges[("support", "agree")][1]


def test_the_whole_is_hidden_only_when_no_subgroup_is_left():
    whole, small, big = Cell(9, 18, 0), Cell(4, 8, 0), Cell(5, 10, 0)
    protect(whole, [small, big], 5, 2)  # nobody agrees: showing the whole tells every part's answer
    assert small.hidden == PRIMARY and big.hidden == COMPLEMENTARY and whole.hidden == COMPLEMENTARY
    whole, small, big, other = Cell(20, 40, 9), Cell(3, 6, 0), Cell(6, 12, 4), Cell(11, 22, 5)
    protect(whole, [small, big, other], 5, 2)
    assert (small.hidden, big.hidden, other.hidden, whole.hidden) == (PRIMARY, COMPLEMENTARY, "", "")
    assert not disclosed(whole, [small, big, other], 5, 2)


def test_groups_that_meet_the_minimum_are_left_alone():
    whole, a, b = Cell(12, 24, 12), Cell(6, 12, 6), Cell(6, 12, 6)
    protect(whole, [a, b], 5, 2)
    assert not (whole.hidden or a.hidden or b.hidden)


def test_sample_data_publishes_no_disclosive_family(sample_db):
    from wqm_nb.model import assess_school
    from wqm_nb.settings import ReportSettings

    for school in ("NLT01", "NLT03", "NLT07"):
        figures = assess_school(ReportSettings(school_id=school, data=str(sample_db))).current.figures
        t = figures.table
        for (survey, section), rows in t.groupby(["survey", "section_id"]):
            if survey != "staff":
                continue
            whole = rows[rows["subgroup_field"].isna()].iloc[0]
            k = sum(1 for s in MAPPING.surveys["staff"].values() if s == section)
            for (sub, q), (lo, hi) in derived_ranges(whole, rows[rows["subgroup_field"].notna()], 5, k).items():
                assert lo < hi, (school, section, sub, q)
