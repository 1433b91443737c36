"""The award decision section on a small hand-made store: criteria, the held-level record, the plan, the award
history, the rule file, and no value of a suppressed group anywhere in the HTML."""

import re

import pandas as pd
import pytest

from wqm_nb.data import load_framework, load_question_bank
from wqm_nb.model import assess_store
from wqm_nb.present.award_decision import award_decision_section
from wqm_nb.settings import ReportSettings
from wqm_nb.store import Store

FW = load_framework("wqm")
BANK = load_question_bank()
YEARS = ("2023-24", "2024-25", "2025-26")


def wide(survey: str, n: int, value: int, **columns) -> pd.DataFrame:
    """``n`` respondents answering every item ``value``."""
    items = BANK.surveys[survey].item_ids
    return pd.DataFrame([{"respondent": f"{survey}{r}", **columns, **{i: value for i in items}} for r in range(n)])


@pytest.fixture
def store():
    """S1: every WQM element rated 4 with evidence for three years; 30 staff and pupils agree, 3 parents
    (too few to publish) all disagree; Approved in 2019-20, Champion in 2021-22 corrected to 2022-23."""
    with Store(":memory:") as s:
        s.add_school("S1", "Brook <Primary> & Nursery", "primary")
        for year in YEARS:
            cycle = s.ensure_cycle("S1", year, "wqm")
            s.record_ratings(
                cycle,
                [dict(element_id=e.id, rating=4, evidence=f"Minutes of {e.id}") for _, e in FW.elements],
                framework=FW,
            )
            school_year = s.school_year("S1", year)["school_year_id"]
            s.add_survey_responses(school_year, "staff", wide("staff", 30, 5), BANK)
            s.add_survey_responses(school_year, "pupil", wide("pupil", 30, 5), BANK)
            s.add_survey_responses(school_year, "parent", wide("parent", 3, 1), BANK)
        s.record_award_decision(
            "S1", "wqm", "approved", "2019-20", outcome="awarded", decided_on="2020-06-01", assessor="J. Reed"
        )
        first = s.record_award_decision(
            "S1", "wqm", "champion", "2021-22", outcome="awarded", decided_on="2022-06-01", assessor="J. Reed"
        )
        s.record_award_decision(
            "S1",
            "wqm",
            "champion",
            "2022-23",
            outcome="awarded",
            decided_on="2023-06-01",
            assessor="J. Reed",
            reasons="Year <corrected>",
            supersedes=first,
        )
        yield s


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html)).replace("&amp;", "&").strip()


def test_the_beacon_candidate_section(store):
    fragment = award_decision_section(assess_store(store, ReportSettings(school_id="S1")))
    html, words = fragment.html, text(fragment.html)
    assert fragment.name == "award_decision"
    assert "Award decision: Beacon School" in words
    assert "Level applied for: Beacon School (the next level above Champion School, held since 2022-23)" in words
    assert "ready to assess; 1 thing to confirm on the assessment day" in words
    assert (
        "Champion School held for at least 3 years before 2025-26 ✓ Met Champion School awarded in 2022-23 on "
        "2023-06-01 by J. Reed: held 3 years before 2025-26"
    ) in words
    assert "mean 4.00 (P1.1 4, P1.2 4, P1.3 4, P1.4 4, P1.5 4, P1.6 4)" in words
    assert "staff 100% agree (n=30, 95% interval 89% to 100%)" in words
    assert "Rules: wqm_nb/data/frameworks/wqm.yaml." in words
    # accessible: every table has scoped column headers; results are words and symbols, not colour alone
    assert html.count("<table") == html.count('<th scope="col">Criterion</th>') + 2  # + meet, history
    assert '<td class="met">✓ Met</td>' in html
    # the plan: the always-met groups, and the parents "in person"
    assert "Governors met on every assessment day" in words
    assert "Parents and carers too few responses to publish (fewer than 5 responses)" in words
    assert "meet them in person" in words
    assert "Assessment-day plan: to confirm on the day" in words
    assert "supports other schools in their WQM journey" in words
    # the award history: current decisions, the correction noted, text escaped
    history = html[html.index("Award history") :]
    assert "2021-22" not in history and "(corrects decision 2) Year &lt;corrected&gt;" in history
    assert "<corrected>" not in html


def test_no_value_of_a_suppressed_group_appears(store):
    html = award_decision_section(assess_store(store, ReportSettings(school_id="S1"))).html
    parents = [m for m in re.finditer(r"parents and carers[^;<]*", html, flags=re.I)]
    assert parents and all("%" not in m.group(0) and "n=" not in m.group(0) for m in parents)
    assert not re.search(r"n=3\b", html) and " 0% agree" not in html


def test_two_years_as_champion_is_not_enough(store):
    store.record_award_decision(
        "S1", "wqm", "champion", "2023-24", outcome="awarded", decided_on="2024-06-01", supersedes=3
    )
    words = text(award_decision_section(assess_store(store, ReportSettings(school_id="S1"))).html)
    assert "Not ready in 2025-26: 1 thing missing" in words
    assert (
        "School : needs Champion School held for at least 3 years before 2025-26 (Champion School awarded in "
        "2023-24 on 2024-06-01: held 2 years before 2025-26)"
    ) in words


def test_another_level_can_be_asked_for_and_a_checklist_has_no_section(store):
    words = text(award_decision_section(assess_store(store, ReportSettings(school_id="S1")), "champion").html)
    assert "Award decision: Champion School" in words and "(the level asked for)" in words
    assert "Criteria met in 3 consecutive years up to 2025-26 ✓ Met" in words
    checklist = assess_store(store, ReportSettings(school_id="S1", framework="leadership_management"))
    assert not award_decision_section(checklist)


def test_no_decision_recorded_says_how_to_record_one():
    with Store(":memory:") as s:
        s.add_school("S2", "Fen School", "secondary")
        s.ensure_cycle("S2", "2025-26", "vbe")
        words = text(award_decision_section(assess_store(s, ReportSettings(school_id="S2", framework="vbe"))).html)
    assert "Award decision: Quality Mark" in words and "the first level: the school holds no award yet" in words
    assert "No award decision recorded yet for Values-based Education Quality Mark" in words
    assert "wqm award record" in words and "Rules: wqm_nb/data/frameworks/vbe.yaml." in words
