"""The action plan: progress against last year's targets (achieved, dropped, still open, not carried,
overdue), suggested targets for the weakest sections, and accepting them. Hand-made data."""

import math
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from wqm_nb.data import load_framework
from wqm_nb.data.decision_rules import ActionPlanRules
from wqm_nb.errors import StoreError
from wqm_nb.model import assess_store
from wqm_nb.model.action_plan import (
    ACHIEVED,
    DROPPED,
    NOT_CARRIED,
    STILL_OPEN,
    Suggestion,
    accept_suggested_targets,
    build_action_plan,
    is_overdue,
    next_term_end,
    previous_cycle_year,
    section_standing,
    suggest_targets,
    target_progress,
)
from wqm_nb.model.figures import COLUMNS, TOTAL_COLUMNS, PublishedFigures
from wqm_nb.model.sef import sef_elements, sef_principles
from wqm_nb.model.stats import wilson_interval
from wqm_nb.model.year import YearResult
from wqm_nb.settings import ReportSettings

FW = load_framework("wqm")
REPORT_DAY = date(2026, 3, 10)


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


def published(rows) -> PublishedFigures:
    """rows: (survey, section, n, share) or (survey, section, reason) for a suppressed group."""
    out = []
    for row in rows:
        hidden = len(row) == 3
        survey, section = row[0], row[1]
        n, share = (None, math.nan) if hidden else (row[2], row[3])
        low, high = (math.nan, math.nan) if hidden else wilson_interval(share, n)
        out.append(
            dict(
                survey=survey,
                survey_name=f"{survey.capitalize()} survey",
                section_id=section,
                section=FW.principle(section).name,
                subgroup_field=None,
                subgroup=None,
                measure="agreement",
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


def year(label, targets=(), ratings=None, evidence=None, figures=(), cycle_id=1):
    """A YearResult: every element rated 4 with evidence unless ``ratings`` (by principle or element id) and
    ``evidence`` (element id -> text) say otherwise."""
    ratings, evidence = ratings or {}, evidence or {}
    frame = pd.DataFrame(
        [
            dict(
                element_id=e.id, rating=ratings.get(e.id, ratings.get(p.id, 4)), evidence=evidence.get(e.id, "Evidence")
            )
            for p, e in FW.elements
        ]
    )
    el = sef_elements(FW, frame)
    return YearResult(
        year=label,
        school_year_id=cycle_id,
        cycle_id=cycle_id,
        elements=el,
        principles=sef_principles(FW, el),
        figures=published(figures),
        targets=tuple(targets),
    )


# -- progress against last year's targets ------------------------------------------------------------------


def test_progress_against_last_years_targets():
    last = year(
        "2024-25",
        cycle_id=1,
        targets=[
            target("T-1"),
            target("T-2", "in_progress", review="2026-01-31"),
            target("T-3", "achieved"),
            target("T-4", "dropped"),
            target("T-5", review="2025-07-01"),
            target("T-6", review="2026-07-01"),
        ],
    )
    now = year(
        "2025-26",
        cycle_id=2,
        targets=[
            target("T-1", "achieved", carried_from=1),
            target("T-2", "in_progress", review="2026-01-31", carried_from=1),
            target("T-6", review="2026-07-01", carried_from=1),
            target("T-7", review="2026-02-01"),
        ],
    )
    progress = {p.target_id: p for p in target_progress(last, now, REPORT_DAY)}
    assert {k: p.outcome for k, p in progress.items()} == {
        "T-1": ACHIEVED,
        "T-2": STILL_OPEN,
        "T-3": ACHIEVED,
        "T-4": DROPPED,
        "T-5": NOT_CARRIED,
        "T-6": STILL_OPEN,
    }
    assert {k for k, p in progress.items() if p.overdue} == {"T-2", "T-5"}
    assert (
        progress["T-1"].carried and progress["T-1"].status_before == "open" and progress["T-1"].status_now == "achieved"
    )
    assert not progress["T-5"].carried and progress["T-5"].status_now == ""
    plan = build_action_plan(FW, [last, now], REPORT_DAY)
    assert plan.previous_year == "2024-25"
    assert plan.progress_summary() == (
        "Of the 6 targets set in 2024-25: 2 achieved, 1 dropped, 2 still open, "
        "1 not carried forward; 2 overdue (review date before 2026-03-10)."
    )
    # this year's targets: carried ones say from when; overdue relative to the report date
    by_id = {t["target_id"]: t for t in plan.targets}
    assert by_id["T-1"]["carried_from_year"] == "2024-25" and by_id["T-7"]["carried_from_year"] == ""
    assert [t["target_id"] for t in plan.overdue] == ["T-2", "T-7"]
    assert [t["target_id"] for t in build_action_plan(FW, [last, now], date(2026, 1, 15)).overdue] == []


def test_overdue_needs_an_open_status_and_a_past_review_date():
    assert is_overdue(target("T", "open", review="2026-03-09"), REPORT_DAY)
    assert not is_overdue(target("T", "open", review="2026-03-10"), REPORT_DAY)  # due today: not yet
    assert not is_overdue(target("T", "achieved", review="2025-01-01"), REPORT_DAY)
    assert not is_overdue(target("T", "dropped", review="2025-01-01"), REPORT_DAY)
    assert not is_overdue(target("T", "open"), REPORT_DAY)  # no review date


def test_last_years_targets_come_from_the_latest_earlier_cycle():
    a, gap, c = (
        year("2023-24", cycle_id=1, targets=[target("T-1")]),
        year("2024-25", cycle_id=None),
        year("2025-26", cycle_id=3),
    )
    assert previous_cycle_year([a, gap, c]).year == "2023-24"
    assert previous_cycle_year([c]) is None
    first = build_action_plan(FW, [c], REPORT_DAY)
    assert first.previous_year is None and first.progress == ()
    assert "no targets to review yet" in first.progress_summary()
    assert (
        build_action_plan(FW, [year("2024-25", cycle_id=1), c], REPORT_DAY).progress_summary()
        == "No targets were recorded in 2024-25."
    )


def test_targets_carried_in_a_store_keep_their_id_and_show_progress(store):
    store.add_school("T1", "Test School", "primary")
    y1 = store.start_year("T1", "2024-25", "wqm")["cycle_id"]
    store.record_ratings(y1, [dict(element_id=e.id, rating=3, evidence="E") for _, e in FW.elements])
    forum = store.record_target(
        y1, principle_id="P2", text_="Parents' forum each term", owner="Deputy head", review_date="2025-12-01"
    )
    done = store.record_target(y1, principle_id="P5", text_="Publish the wellbeing policy", status="achieved")
    lapsed = store.record_target(y1, principle_id="P7", text_="Map referral pathways", review_date="2026-02-01")
    started = store.start_year("T1", "2025-26", "wqm")
    assert set(started["carried"]) == {forum, lapsed}
    y2 = started["cycle_id"]
    store.record_target(y2, target_id=forum, status="achieved")
    store.record_target(y2, target_id=lapsed, status="in_progress")
    a = assess_store(store, ReportSettings(school_id="T1"))
    plan = build_action_plan(a.framework, a.history, REPORT_DAY)
    progress = {p.target_id: p for p in plan.progress}
    assert (progress[forum].outcome, progress[forum].carried) == (ACHIEVED, True)
    assert progress[done].outcome == ACHIEVED and not progress[done].carried
    assert (progress[lapsed].outcome, progress[lapsed].status_now, progress[lapsed].overdue) == (
        STILL_OPEN,
        "in_progress",
        True,
    )
    assert {t["target_id"]: t["carried_from_year"] for t in plan.targets} == {forum: "2024-25", lapsed: "2024-25"}


# -- suggested targets -----------------------------------------------------------------------------------------


def test_suggestions_for_the_weakest_sections_weakest_first():
    now = year(
        "2025-26",
        ratings={"P5": 1, "P2": 2, "P7": 3},
        figures=[("pupil", "P7", 40, 0.30), ("pupil", "P1", 40, 0.95), ("parent", "P5", "fewer than 5 responses")],
    )
    standing = section_standing(FW, now).set_index("principle_id")["standing"]
    assert standing["P5"] == 0 and standing["P2"] == pytest.approx(1 / 3)
    assert standing["P7"] == pytest.approx((2 / 3 + 0.30) / 2) and standing["P1"] == pytest.approx((1 + 0.95) / 2)
    suggestions = suggest_targets(FW, now, REPORT_DAY)
    assert [s.principle_id for s in suggestions] == ["P5", "P2", "P7"]
    p5, p2, p7 = suggestions
    assert (
        p5.text
        == "Move P5.1 (Provide clear boundaries and robust policies) from Deciding to act to Shared understanding."
    )
    assert p2.text.startswith(
        "Move P2.1 (Promote pupil voice and peer learning) and P2.2 (Involve parents, carers and "
        "families) from Shared understanding to Developing practice"
    )
    assert p7.text.endswith(
        "from Developing practice to Embedded and evaluated; raise agreement in the pupil survey from 30%."
    )
    assert "P7.1 (Provide more intense work on social and emotional skills de\u2026)" in p7.text
    assert all(s.owner == "" and s.review_date == "2026-07-22" for s in suggestions)
    assert "pupil survey 30% agree (n=40)" in p7.reason and p5.reason.startswith("standing 0.00 of 1: mean rating 1.0")
    assert "parent" not in p5.reason  # a suppressed group is never read
    assert len(suggest_targets(FW, now, REPORT_DAY, ActionPlanRules(suggestions=1))) == 1


def test_a_section_with_an_open_target_gets_no_suggestion_but_a_closed_one_does():
    now = year(
        "2025-26",
        ratings={"P5": 1, "P2": 2, "P7": 3},
        targets=[target("T-1", "in_progress", principle="P2"), target("T-2", "achieved", principle="P5")],
    )
    assert [s.principle_id for s in suggest_targets(FW, now, REPORT_DAY)] == ["P5", "P7"]


def test_gaps_in_rating_and_evidence_are_named():
    now = year("2025-26", ratings={"P3.2": None, "P3.3": 2}, evidence={"P3.4": ""})
    (p3,) = suggest_targets(FW, now, REPORT_DAY)
    assert p3.text == (
        "Move P3.3 (Understanding child and adolescent development) from Shared understanding to "
        "Developing practice; rate P3.2 with evidence; record evidence of impact for P3.4."
    )
    assert "1 element not rated" in p3.reason and "no evidence for P3.4" in p3.reason


def test_nothing_to_improve_means_no_suggestion():
    assert suggest_targets(FW, year("2025-26", figures=[("pupil", "P1", 40, 0.9)]), REPORT_DAY) == ()


@pytest.mark.parametrize(
    "day, expected",
    [
        (date(2026, 3, 10), date(2026, 7, 22)),  # spring term: review at the end of the summer term
        (date(2026, 3, 31), date(2026, 12, 19)),  # the last day of the spring term
        (date(2026, 7, 23), date(2027, 3, 31)),  # the summer holiday: end of the spring term
        (date(2025, 12, 19), date(2026, 7, 22)),
    ],
)
def test_review_date_is_the_end_of_the_next_term(day, expected):
    assert next_term_end(day, ActionPlanRules()) == expected


def test_term_ends_are_a_rule():
    assert next_term_end(date(2026, 3, 10), ActionPlanRules(term_ends="10-24, 02-13, 05-22, 07-17")) == date(
        2026, 7, 17
    )


# -- accepting suggestions -----------------------------------------------------------------------------------


def test_accepting_records_suggestions_as_they_are_or_edited(store):
    store.add_school("T1", "Test School", "primary")
    cycle = store.start_year("T1", "2025-26", "wqm")["cycle_id"]
    now = year("2025-26", ratings={"P5": 1, "P2": 2})
    p5, p2 = suggest_targets(FW, now, REPORT_DAY)[:2]
    edited = {**p2.as_target(), "text": "Termly parents' forum", "owner": "Deputy head"}
    ids = accept_suggested_targets(store, cycle, [p5, edited], "A. Adviser")
    targets = {t["target_id"]: t for t in store.targets(cycle)}
    assert list(targets) == ids
    first, second = targets[ids[0]], targets[ids[1]]
    assert (first["principle_id"], first["text"], first["owner"], first["review_date"], first["status"]) == (
        "P5",
        p5.text,
        "",
        "2026-07-22",
        "open",
    )
    assert (second["text"], second["owner"], second["recorded_by"]) == (
        "Termly parents' forum",
        "Deputy head",
        "A. Adviser",
    )


def test_accepting_a_suggestion_without_text_records_nothing(store):
    store.add_school("T1", "Test School", "primary")
    cycle = store.start_year("T1", "2025-26", "wqm")["cycle_id"]
    good = Suggestion("P1", "Adopt whole-school thinking", "A target", "2026-07-22", "", 0.1)
    with pytest.raises(StoreError, match="needs some text"):
        accept_suggested_targets(store, cycle, [good, replace(good, text="  ")], "x")
    with pytest.raises(StoreError, match="not a date"):
        accept_suggested_targets(store, cycle, [good, {**good.as_target(), "review_date": "31/07/2026"}], "x")
    assert store.targets(cycle) == []
