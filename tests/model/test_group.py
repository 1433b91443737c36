"""The group roll-up: summaries, build_rollup and rollup_group."""

import math
from pathlib import Path

import hypothesis.strategies as st
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings

from wqm_nb.data import load_framework, load_question_bank
from wqm_nb.errors import SettingsError
from wqm_nb.model import SchoolSummary, assess_store, build_rollup, rollup_group, summarise
from wqm_nb.model.figures import PROTECTS_SMALLER, too_few
from wqm_nb.model.group import (
    NOT_ASKED,
    PROTECTS_SCHOOL,
    WEIGHT_ANSWERS,
    WEIGHT_PUPILS,
    GroupCount,
    missing_summary,
    position,
    protect_total,
)
from wqm_nb.settings import GroupSettings, ReportSettings
from wqm_nb.store import Store, build_database

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
WQM = load_framework("wqm")


@pytest.fixture(scope="module")
def sample_store():
    with Store.open(SAMPLE) as store:
        yield store


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory):
    return build_database(SAMPLE, tmp_path_factory.mktemp("group") / "wqm.sqlite")


def summary(school_id, name, trust="T", has_data=True, **kw):
    return SchoolSummary(
        school_id=school_id, name=name, phase="primary", trust=trust, year="2025-26", has_data=has_data, **kw
    )


def test_summarise_copies_published_figures(sample_store):
    a = assess_store(sample_store, ReportSettings(school_id="NLT03", year="2025-26"))
    s = summarise(a)
    assert (s.school_id, s.name, s.phase, s.year, s.has_data) == (
        "NLT03",
        "Fellside Primary School",
        "primary",
        "2025-26",
        True,
    )
    staff = a.current.figures.whole.query("survey == 'staff'")
    assert s.agreement["staff"] == pytest.approx(
        dict(zip(staff["section_id"], staff["agree_share"], strict=False)), nan_ok=True
    )
    assert set(s.agreement["parent"]) == {"P1", "P2", "P4", "P5", "P6", "P7"}
    assert all(math.isnan(v) for v in s.agreement["parent"].values())  # fewer than 5 parents
    assert s.sef_means == pytest.approx(
        dict(zip(a.current.principles["principle_id"], a.current.principles["mean_rating"], strict=False))
    )
    rd = a.readiness
    expected_met = rd.achieved.name if rd.achieved else "not yet"
    assert s.level_met == expected_met and s.next_level == rd.next_level.name
    assert s.progress == f"{int(rd.table[rd.next_level.name].sum())}/7 for {rd.next_level.name}"


def test_summarise_checklist_counts_items_in_place(sample_store):
    fw = load_framework("leadership_management")
    a = assess_store(sample_store, ReportSettings(school_id="NLT01", framework="leadership_management"), fw)
    s = summarise(a)
    in_place = int((a.current.elements["rating"] == 3).sum())
    assert s.level_met == "" and s.next_level == ""
    assert s.progress == f"{in_place}/8 in place"
    assert "pupil" not in s.agreement


def test_missing_summary():
    s = missing_summary(dict(school_id="X1", name="X", phase="secondary", trust="T"), "2025-26")
    assert not s.has_data and s.progress == "no data for 2025-26"
    assert s.sef_means == {} and s.agreement == {}


def test_build_rollup_tables():
    summaries = [
        summary(
            "B2",
            "Beta",
            sef_means={"P1": 2.0},
            agreement={"staff": {"P1": 0.5, "P2": float("nan")}},
            level_met="not yet",
            next_level="Approved School",
            progress="3/7 for Approved School",
        ),
        summary("A1", "Alpha", sef_means={"P1": 3.5, "P7": 4.0}, agreement={"staff": {"P1": 0.9}}),
        missing_summary(dict(school_id="C3", name="Gamma", phase="primary", trust="T"), "2025-26"),
    ]
    r = build_rollup(GroupSettings(year="2025-26"), summaries, WQM)
    assert [s.school_id for s in r.summaries] == ["A1", "B2", "C3"]  # by school id
    assert r.trust == "T" and r.year == "2025-26"
    assert list(r.sef.index) == ["Alpha", "Beta"] and list(r.sef.columns) == list(WQM.principle_ids)
    assert r.sef.loc["Alpha", "P7"] == 4.0 and math.isnan(r.sef.loc["Beta", "P7"])
    staff = r.agreement("staff")
    assert staff.loc["Beta", "P1"] == 0.5
    assert math.isnan(staff.loc["Beta", "P2"])  # suppressed stays blank
    assert r.agreement("parent").isna().all().all()  # not asked
    assert r.status["school_id"].tolist() == ["A1", "B2", "C3"]
    assert r.status.set_index("school_id").loc["C3", "progress"] == "no data for 2025-26"


def test_build_rollup_trust_name():
    mixed = [summary("A1", "Alpha", trust="T"), summary("B2", "Beta", trust="U")]
    assert build_rollup(GroupSettings(), mixed, WQM).trust == ""
    assert build_rollup(GroupSettings(trust="T"), mixed, WQM).trust == "T"
    assert build_rollup(GroupSettings(), mixed, WQM, trust="Named").trust == "Named"


def test_rollup_group_on_sample(sample_file):
    r = rollup_group(GroupSettings(data=str(sample_file)))
    assert r.year == "2025-26" and r.settings.year == "2025-26"  # latest year when empty
    assert r.trust == "Northbrook Learning Trust"
    with Store.open(sample_file, read_only=True) as store:
        assert [s.school_id for s in r.summaries] == sorted(s["school_id"] for s in store.schools())
    assert all(s.has_data for s in r.summaries)
    parent = r.agreement("parent")
    assert parent.loc["Fellside Primary School"].isna().all()  # NLT03: 3 parents, suppressed
    # NLT07 2025-26: its staff audit cannot be cleared, so no survey figure of the school year is published
    assert parent.loc["St Aidan's High School"].isna().all()
    assert parent.drop(index=["Fellside Primary School", "St Aidan's High School"])["P1"].notna().all()
    assert r.sef.notna().all().all()


def test_rollup_group_school_without_the_year(tmp_path):
    path = tmp_path / "two.sqlite"
    with Store(path) as store:
        store.add_school("T01", "With data", "primary", trust="T")
        store.add_school("T02", "Older only", "primary", trust="T")
        store.add_school("T03", "Nothing", "primary", trust="T")
        store.record_rating(store.ensure_cycle("T01", "2025-26"), "P1.1", 4, "x")
        store.record_rating(store.ensure_cycle("T02", "2024-25"), "P1.1", 2, "y")
    r = rollup_group(GroupSettings(data=str(path), trust="T"))
    assert r.year == "2025-26"
    by_id = {s.school_id: s for s in r.summaries}
    assert by_id["T01"].has_data and by_id["T01"].sef_means["P1"] == 4.0
    for school_id in ("T02", "T03"):
        assert not by_id[school_id].has_data and by_id[school_id].progress == "no data for 2025-26"
    assert list(r.sef.index) == ["With data"]
    older = rollup_group(GroupSettings(data=str(path), year="2024-25"))
    assert {s.school_id for s in older.summaries if s.has_data} == {"T02"}


def test_rollup_group_unknown_trust(sample_file):
    with pytest.raises(SettingsError, match="Northbrook Learning Trust"):
        rollup_group(GroupSettings(data=str(sample_file), trust="Nowhere"))


def test_status_frame_columns():
    r = build_rollup(GroupSettings(), [summary("A1", "Alpha", level_met="Approved School")], WQM)
    assert list(r.status.columns) == ["school_id", "name", "phase", "level_met", "next_level", "progress"]
    assert isinstance(r.status, pd.DataFrame) and r.status.iloc[0]["level_met"] == "Approved School"


def test_schools_sharing_a_name_keep_their_own_rows():
    from wqm_nb.model.group import SchoolSummary, build_rollup
    from wqm_nb.settings import GroupSettings

    a = SchoolSummary("A1", "Same Name", "primary", "T", "2025-26", True, {"P1": 2.0}, {"staff": {"P1": 0.5}})
    b = SchoolSummary("B1", "Same Name", "primary", "T", "2025-26", True, {"P1": 4.0}, {"staff": {"P1": 0.9}})
    rollup = build_rollup(GroupSettings(year="2025-26"), [a, b])
    assert rollup.sef["P1"].to_dict() == {"Same Name (A1)": 2.0, "Same Name (B1)": 4.0}
    assert rollup.agreement("staff")["P1"].to_dict() == {"Same Name (A1)": 0.5, "Same Name (B1)": 0.9}


def test_the_roll_up_carries_stakeholder_agreement_not_the_staff_audit(sample_store):
    a = assess_store(sample_store, ReportSettings(school_id="NLT04", year="2025-26"))
    assert not a.current.figures.ratings("staff_audit")["suppressed"].all()  # Kingsmead ran an audit
    s = summarise(a)
    assert set(s.agreement) == {"staff", "pupil", "parent"}


# -- issue 12: pipeline, peer support, similar schools, governance, trust totals (hand-made data) ----------------


NAN = float("nan")


def school(school_id, pupils=300, phase="primary", **kw):
    return SchoolSummary(
        school_id=school_id,
        name=f"School {school_id}",
        phase=phase,
        trust="T",
        year="2025-26",
        has_data=True,
        pupils=pupils,
        **kw,
    )


def rollup(*summaries, framework=WQM, min_group_size=5):
    return build_rollup(GroupSettings(year="2025-26", min_group_size=min_group_size), list(summaries), framework)


def answers(survey, people, value, subgroup=None, start=0):
    """Wide survey rows: ``people`` respondents answering every item of ``survey`` with ``value``."""
    bank = load_question_bank()
    spec = bank.surveys[survey]
    rows = []
    for k in range(people):
        row = {"respondent": f"{survey}{start + k}", **{item: value for item in spec.item_ids}}
        if subgroup:
            row[spec.subgroup.field] = subgroup
        rows.append(row)
    return pd.DataFrame(rows)


def test_summarise_carries_counts_hidden_reasons_and_levels(tmp_path):
    path = tmp_path / "hand.sqlite"
    with Store(path) as store:
        store.add_school("A1", "Alpha", "primary", trust="T", pupils=84)
        store.record_rating(store.ensure_cycle("A1", "2024-25"), "P1.1", 2, "x")
        store.record_rating(store.ensure_cycle("A1", "2025-26"), "P1.1", 3, "x")
        year = store.ensure_school_year("A1", "2025-26")
        store.add_survey_responses(
            year, "staff", pd.concat([answers("staff", 9, 4, "teaching"), answers("staff", 3, 2, "teaching", start=9)])
        )
        store.add_survey_responses(year, "parent", answers("parent", 3, 5))
    with Store.open(path, read_only=True) as store:
        a = assess_store(store, ReportSettings(school_id="A1", year="2025-26"))
        s = summarise(a, store)
    assert s.pupils == 84 and s.previous_year == "2024-25" and s.previous_sef_means["P1"] == 2.0
    assert s.hidden["parent"]["P1"] == too_few(5)  # 3 parents: not shown ...
    assert math.isnan(s.agreement["parent"]["P1"]) and "P1" not in s.agreement_n.get("parent", {})
    assert s.counts["parent"]["P1"] == GroupCount(n=3, answers=3, agree=3, items=1, hidden="primary")  # ... counted
    assert s.agreement["staff"]["P2"] == pytest.approx(0.75) and s.agreement_n["staff"]["P2"] == 12
    assert s.counts["staff"]["P2"] == GroupCount(n=12, answers=24, agree=18, items=2, hidden="")
    assert "P3" not in s.counts["parent"]  # parents are not asked about P3
    assert s.levels_met == tuple(lv.id for lv in WQM.levels if a.readiness.met[lv.id]) and s.held == {}
    assert summarise(a).counts == {}  # without the store: no counts


def test_summarise_reads_held_levels_from_award_decisions(tmp_path):
    path = tmp_path / "awards.sqlite"
    with Store(path) as store:
        store.add_school("A1", "Alpha", "primary", trust="T", pupils=200)
        store.record_rating(store.ensure_cycle("A1", "2025-26"), "P1.1", 4, "x")
        store.record_award_decision("A1", "wqm", "approved", "2022-23", outcome="awarded", decided_on="2023-06-01")
        store.record_award_decision("A1", "wqm", "champion", "2023-24", outcome="awarded", decided_on="2024-06-01")
        store.record_award_decision("A1", "wqm", "beacon", "2026-27", outcome="awarded", decided_on="2027-06-01")
    r = rollup_group(GroupSettings(data=str(path)))
    s = r.summaries[0]
    assert s.held == {"approved": "2022-23", "champion": "2023-24"}  # a later year's award does not count
    row = r.pipeline.iloc[0]
    assert (row.holds, row.holds_since, row.next, row.ready) == ("champion", "2023-24", "beacon", False)


def test_pipeline_holds_ready_and_working_towards():
    r = rollup(
        school("A1", held={"approved": "2023-24"}, levels_met=("approved", "champion")),
        school("B2", levels_met=("approved",)),
        school("C3"),
        school("D4", held={"approved": "2020-21", "champion": "2021-22", "beacon": "2024-25"}),
        missing_summary(dict(school_id="E5", name="E", phase="primary", trust="T"), "2025-26"),
    )
    p = r.pipeline.set_index("school_id")
    assert p.loc["A1", ["holds", "next", "ready", "rules_met"]].tolist() == ["approved", "champion", True, "champion"]
    assert p.loc["B2", ["holds", "next", "ready"]].tolist() == ["", "approved", True]
    assert p.loc["C3", ["holds", "next", "ready", "rules_met"]].tolist() == ["", "approved", False, ""]
    assert p.loc["D4", ["holds", "next", "ready"]].tolist() == ["beacon", "", False]  # the highest level
    assert p.loc["E5", ["has_data", "next"]].tolist() == [False, ""]
    assert rollup(school("A1"), framework=load_framework("leadership_management")).pipeline.empty


def test_strength_mixes_self_rating_and_published_agreement():
    r = rollup(
        school(
            "A1",
            sef_means={"P1": 4.0, "P2": 1.0, "P3": 2.5},
            agreement={"staff": {"P1": 0.5, "P2": NAN}, "pupil": {"P1": 0.7}},
        )
    )
    st_ = r.strength.loc["A1"]
    assert st_["P1"] == pytest.approx(0.5 * 1.0 + 0.5 * 0.6)  # self 1.0, stakeholders mean(0.5, 0.7)
    assert st_["P2"] == pytest.approx(0.0)  # the hidden staff figure never counts
    assert st_["P3"] == pytest.approx(0.5)  # no stakeholder figure: self only
    assert math.isnan(st_["P4"])
    assert position(2.5, WQM.scale) == pytest.approx(0.5) and math.isnan(position(None, WQM.scale))


def test_a_peer_match_is_found_with_the_beacon_school_first():
    weak = {p: 4.0 for p in WQM.principle_ids} | {"P3": 1.0, "P5": 2.0}
    r = rollup(
        school("R1", sef_means=weak),
        school("G1", sef_means={"P3": 4.0, "P5": 4.0}),  # strongest
        school("B1", sef_means={"P3": 3.0, "P5": 2.2}, held={"beacon": "2024-25"}),  # a Beacon school
        school("N1", sef_means={"P3": 1.3}),
    )  # not far enough ahead
    m = r.peer_matches
    p3 = m[(m["receiver_id"] == "R1") & (m["section_id"] == "P3")]
    assert p3["giver_id"].tolist() == ["B1", "G1"]  # Beacon first, then the strongest
    assert p3["ambassador"].tolist() == [True, False] and p3["rank"].tolist() == [1, 2]
    p5 = m[(m["receiver_id"] == "R1") & (m["section_id"] == "P5")]
    assert p5["giver_id"].tolist() == ["G1"]  # B1's P5 is only 0.07 ahead
    assert set(m.loc[m["receiver_id"] == "R1", "section_id"]) == {"P3", "P5"}  # its 2 weakest
    assert r.ambassadors == {"B1"}


def test_a_need_without_a_partner_is_kept_with_none():
    r = rollup(school("A1", sef_means={"P1": 4.0}), school("B1", sef_means={"P1": 3.9}))
    m = r.peer_matches
    assert m["giver_id"].isna().all() and set(m["receiver_id"]) == {"A1", "B1"}


def test_similar_schools_share_phase_and_size():
    r = rollup(
        school("A1", pupils=300, sef_means={"P1": 2.0}, agreement={"staff": {"P1": 0.6, "P2": 0.8}}),
        school("B1", pupils=400, sef_means={"P1": 3.0}, agreement={"staff": {"P1": 0.9, "P2": NAN}}),
        school("C1", pupils=450, sef_means={"P1": 4.0}),
        school("D1", pupils=600),  # too big for A1 (300/600)
        school("E1", pupils=310, phase="secondary"),  # another phase
        school("F1", pupils=None),
    )  # no roll recorded
    sim = r.similar_schools
    assert sim["A1"] == ("B1",)  # 100 <= 0.3 * 400; C1: 150 > 0.3 * 450
    assert set(sim["B1"]) == {"A1", "C1"} and sim["F1"] == () and "E1" not in sim["A1"]
    table = r.similar.set_index(["school_id", "measure"])
    assert table.loc[("A1", "staff"), "own"] == pytest.approx(0.7)  # mean over the sections shown
    assert table.loc[("A1", "staff"), "similar_median"] == pytest.approx(0.9)  # B1's hidden P2 never counts
    assert table.loc[("B1", "self_evaluation"), "similar_median"] == pytest.approx(3.0)
    assert table.loc[("B1", "self_evaluation"), "similar_count"] == 2


def test_governance_flags_a_fall_while_the_self_rating_rose():
    flagged = school(
        "A1",
        sef_means={"P2": 3.0},
        previous_sef_means={"P2": 2.0},
        previous_year="2024-25",
        agreement={"pupil": {"P2": 0.6}},
        agreement_n={"pupil": {"P2": 40}},
        previous_agreement={"pupil": {"P2": 0.8}},
        previous_agreement_n={"pupil": {"P2": 45}},
    )
    small = school(
        "B1",
        sef_means={"P2": 3.0},
        previous_sef_means={"P2": 2.0},
        previous_year="2024-25",
        agreement={"pupil": {"P2": 0.6}},
        agreement_n={"pupil": {"P2": 12}},
        previous_agreement={"pupil": {"P2": 0.8}},
        previous_agreement_n={"pupil": {"P2": 12}},
    )
    noise = school(
        "C1",
        sef_means={"P2": 3.0},
        previous_sef_means={"P2": 2.0},
        previous_year="2024-25",
        agreement={"pupil": {"P2": 0.76}},
        agreement_n={"pupil": {"P2": 40}},
        previous_agreement={"pupil": {"P2": 0.8}},
        previous_agreement_n={"pupil": {"P2": 45}},
    )
    flat = school(
        "D1",
        sef_means={"P2": 2.2},
        previous_sef_means={"P2": 2.0},
        previous_year="2024-25",
        agreement={"pupil": {"P2": 0.6}},
        agreement_n={"pupil": {"P2": 40}},
        previous_agreement={"pupil": {"P2": 0.8}},
        previous_agreement_n={"pupil": {"P2": 45}},
    )
    low = school(
        "E1",
        agreement={"parent": {"P4": 0.42, "P5": NAN, "P6": 0.5}},
        agreement_n={"parent": {"P4": 30}},
        hidden={"parent": {"P5": too_few(5)}},
    )
    g = rollup(flagged, small, noise, flat, low).governance
    fell = g[g["kind"] == "fell_while_rose"]
    assert fell[["school_id", "section_id", "survey"]].values.tolist() == [["A1", "P2", "pupil"]]
    row = fell.iloc[0]
    assert (row.previous_share, row.share, row.previous_rating, row.rating) == (0.8, 0.6, 2.0, 3.0)
    below = g[g["kind"] == "below"]
    assert below[["school_id", "section_id"]].values.tolist() == [["E1", "P4"]]  # hidden P5, P6 at 50% not listed


def test_agreement_notes_keep_the_reason_of_a_hidden_cell():
    r = rollup(school("A1", agreement={"parent": {"P1": NAN, "P2": 0.7}}, hidden={"parent": {"P1": PROTECTS_SMALLER}}))
    notes = r.agreement_notes("parent").loc["School A1"]
    assert notes["P1"] == PROTECTS_SMALLER and notes["P2"] == "" and notes["P3"] == NOT_ASKED
    assert math.isnan(r.agreement("parent").loc["School A1", "P1"])


def counts(n, agree, hidden="", items=2, answers=None):
    return GroupCount(
        n=n, answers=answers if answers is not None else n * items, agree=agree, items=items, hidden=hidden
    )


def test_a_trust_total_that_would_reveal_a_hidden_school_is_not_shown():
    a = school("A1", pupils=100, counts={"staff": {"P1": counts(3, 6, "primary")}})
    b = school("B1", pupils=300, counts={"staff": {"P1": counts(40, 60)}})
    total = rollup(a, b).trust_totals.set_index(["survey", "section_id"]).loc[("staff", "P1")]
    assert total.suppressed and total.reason == PROTECTS_SCHOOL and math.isnan(total.value) and total.n is None
    # with a second hidden school the total tells only their sum: shown, as the share of all the answers (a
    # pupil-weighted share would pin the hidden schools' shares: pupil numbers are public)
    c = school("C1", pupils=200, counts={"staff": {"P1": counts(4, 2, "primary")}})
    total = rollup(a, b, c).trust_totals.set_index(["survey", "section_id"]).loc[("staff", "P1")]
    assert not total.suppressed and total.n == 47 and total.schools == 3 and total.pupils == 600
    assert total.value == round((6 + 60 + 2) / (6 + 80 + 8), 2) and total.weighting == WEIGHT_ANSWERS


def test_a_trust_total_of_tiny_schools_or_extremes_is_not_shown():
    tiny = rollup(
        school("A1", counts={"staff": {"P1": counts(2, 2, "primary")}}),
        school("B1", counts={"staff": {"P1": counts(2, 1, "primary")}}),
    ).trust_totals
    assert tiny.iloc[-1]["reason"] == too_few(5)  # 4 respondents in all
    # two hidden schools where nobody agreed: the total would show each hidden school at 0%
    none_agree = rollup(
        school("A1", counts={"staff": {"P1": counts(3, 0, "primary")}}),
        school("B1", counts={"staff": {"P1": counts(4, 0, "primary")}}),
        school("C1", counts={"staff": {"P1": counts(30, 40)}}),
    ).trust_totals
    assert none_agree.iloc[-1]["reason"] == PROTECTS_SCHOOL
    # a school hidden to protect its own smaller group counts as hidden too
    comp = rollup(
        school("A1", counts={"staff": {"P1": counts(12, 24, "complementary")}}),
        school("B1", counts={"staff": {"P1": counts(30, 40)}}),
    ).trust_totals
    assert comp.iloc[-1]["reason"] == PROTECTS_SCHOOL
    shown = rollup(
        school("A1", pupils=100, counts={"staff": {"P1": counts(12, 20)}}),
        school("B1", pupils=300, counts={"staff": {"P1": counts(30, 40)}}),
    )
    total = shown.trust_totals.iloc[-1]
    assert not total["suppressed"] and total["weighting"] == WEIGHT_PUPILS  # no school hidden: by pupils
    assert total["value"] == round((100 * 20 / 24 + 300 * 40 / 60) / 400, 2)
    assert protect_total([], 5) == ""


def test_trust_totals_weight_the_self_evaluation_and_leave_out_schools_without_pupils():
    r = rollup(
        school("A1", pupils=100, sef_means={"P1": 2.0}),
        school("B1", pupils=300, sef_means={"P1": 4.0}),
        school("C1", pupils=None, sef_means={"P1": 1.0}),
    )
    t = r.trust_totals.set_index(["survey", "section_id"])
    assert t.loc[("self_evaluation", "P1"), "value"] == pytest.approx(3.5)
    assert t.loc[("self_evaluation", "P1"), "schools"] == 2 and r.unweighted == ["C1"]


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(1, 30), st.floats(0, 1), st.floats(0, 1), st.integers(20, 900), st.booleans()),
        min_size=2,
        max_size=6,
    )
)
def test_no_hidden_school_figure_can_be_worked_out_from_a_trust_total(schools):
    """From the published figures alone (shown schools' n and share, pupils, hidden schools' reasons, and the
    trust total's n and pupil-weighted share), no hidden school's n or share is a single value."""
    m, items = 5, 2
    summaries, truth = [], {}
    for k, (n, answer_frac, agree_frac, pupils, protect_own) in enumerate(schools):
        answers = n + round(answer_frac * n * (items - 1))
        agree = round(agree_frac * answers)
        hidden = "primary" if n < m else ("complementary" if protect_own else "")
        sid = f"S{k}"
        truth[sid] = (n, agree / answers, pupils, hidden)
        summaries.append(
            school(sid, pupils=pupils, counts={"staff": {"P1": GroupCount(n, answers, agree, items, hidden)}})
        )
    total = rollup(*summaries).trust_totals.iloc[-1]
    if total.suppressed:
        return
    hidden_ids = [s for s, t in truth.items() if t[3]]
    shown_ids = [s for s, t in truth.items() if not t[3]]
    # pupil numbers are public: a total weighted by them is published only when no school is hidden
    assert (total.weighting == WEIGHT_PUPILS) == (not hidden_ids)
    n_left = total.n - sum(truth[s][0] for s in shown_ids)
    for h in hidden_ids:
        others = [o for o in hidden_ids if o != h]
        box = lambda s: (1, m - 1) if truth[s][3] == "primary" else (m, math.inf)  # noqa: E731
        n_lo = max(box(h)[0], n_left - sum(box(o)[1] for o in others))
        n_hi = min(box(h)[1], n_left - sum(box(o)[0] for o in others))
        assert n_lo < n_hi, f"{h}'s n is {n_lo} (schools {schools})"


def test_a_summary_is_small_and_picklable():
    import pickle

    s = school(
        "A1",
        sef_means={"P1": 2.0},
        agreement={"staff": {"P1": 0.5}},
        held={"approved": "2024-25"},
        counts={"staff": {"P1": GroupCount(10, 20, 10, 2)}},
        levels_met=("approved",),
    )
    assert pickle.loads(pickle.dumps(s)) == s
    assert len(pickle.dumps(s)) < 2000


# -- wellbeing measures -----------------------------------------------------------------------------------------


def measure(
    survey="pupil",
    score="metric",
    n=40,
    mean=21.0,
    low=20.0,
    high=22.0,
    suppressed=False,
    reason="",
    instrument="swemwbs",
    informant="self",
):
    return dict(
        survey=survey,
        survey_name=f"{survey.capitalize()} survey",
        instrument=instrument,
        informant=informant,
        score=score,
        n=None if suppressed else n,
        mean=NAN if suppressed else mean,
        ci_low=NAN if suppressed else low,
        ci_high=NAN if suppressed else high,
        suppressed=suppressed,
        reason=reason,
    )


def test_summarise_carries_the_published_whole_group_measure_means(tmp_path):
    path = tmp_path / "measures.sqlite"
    with Store(path) as store:
        store.add_school("A1", "Alpha", "secondary", trust="T", pupils=900)
        store.record_rating(store.ensure_cycle("A1", "2025-26"), "P1.1", 3, "x")
        year = store.ensure_school_year("A1", "2025-26")
        pupils = answers("pupil", 12, 4, "Y7")
        scores = pd.DataFrame(
            [
                dict(
                    respondent=r, instrument="swemwbs", informant="self", score_id="metric", value=20.0 + k % 3, band=""
                )
                for k, r in enumerate(pupils["respondent"])
            ]
        )
        store.add_survey_responses(year, "pupil", pupils, scores=scores)
    with Store.open(path, read_only=True) as store:
        s = summarise(assess_store(store, ReportSettings(school_id="A1", year="2025-26")), store)
    (m,) = s.measures  # the whole group only, not Y7 again
    assert (m["survey"], m["instrument"], m["score"], m["n"], m["suppressed"]) == (
        "pupil",
        "swemwbs",
        "metric",
        12,
        False,
    )
    assert m["mean"] == pytest.approx(21.0) and m["ci_low"] < 21 < m["ci_high"]


def test_measure_means_compare_schools_marking_those_below_the_minimum():
    r = rollup(
        school("A1", measures=(measure(n=40), measure(score="raw", n=40))),
        school("B2", measures=(measure(n=12),)),
        school("C3", measures=(measure(suppressed=True, reason="fewer than 5 responses"),)),
        school("D4"),
    )
    means = r.measure_means()
    metric = means[means["score"] == "metric"].set_index("school_id")
    assert list(metric.index) == ["A1", "B2", "C3"]  # D4 has no measure
    assert metric["comparable"].tolist() == [True, False, False]  # B2 below 30; C3 not shown
    assert metric.loc["C3", "reason"] == "fewer than 5 responses" and math.isnan(metric.loc["C3", "mean"])
    assert metric.loc["A1", "label"] == "School A1"
    assert rollup(school("A1")).measure_means().empty


def test_summaries_survive_their_file_and_the_file_is_private(sample_file, tmp_path):
    import stat

    from wqm_nb.model.group import load_summaries, save_summaries

    rollup = rollup_group(GroupSettings(data=str(sample_file)))
    path = save_summaries(tmp_path / "s.json", list(rollup.summaries))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    back = load_summaries(path)
    assert [s.school_id for s in back] == [s.school_id for s in rollup.summaries]
    for got, want in zip(back, rollup.summaries, strict=False):
        for name in want.__dataclass_fields__:
            a, b = getattr(got, name), getattr(want, name)
            assert repr(a) == repr(b), (want.school_id, name)  # repr: NaN equals NaN
    assert isinstance(back[0].levels_met, tuple) and isinstance(back[0].measures, tuple)
    some = next(s for s in back if s.counts)
    assert all(type(c).__name__ == "GroupCount" for sections in some.counts.values() for c in sections.values())


def test_a_missing_or_foreign_summaries_file_is_refused(tmp_path):
    from wqm_nb.model.group import load_summaries

    with pytest.raises(SettingsError, match='a batch deletes its file once the overview is made.*summaries = ""'):
        load_summaries(tmp_path / "gone.json")
    foreign = tmp_path / "f.json"
    foreign.write_text('{"format": "something-else", "summaries": []}')
    with pytest.raises(SettingsError, match="not a summaries file"):
        load_summaries(foreign)
    foreign.write_text("not json")
    with pytest.raises(SettingsError, match="not a summaries file"):
        load_summaries(foreign)


def test_rollup_summaries_takes_the_latest_year_and_a_school_of_another_year_has_no_data():
    from wqm_nb.model.group import rollup_summaries

    older = SchoolSummary(
        school_id="B",
        name="Bee",
        phase="primary",
        trust="T",
        year="2024-25",
        has_data=True,
        sef_means={"P1": 3.0},
        pupils=90,
    )
    failed = missing_summary(
        {"school_id": "C", "name": "Sea", "phase": "primary", "trust": "T", "pupils": None}, "2025-26", "report failed"
    )
    rollup = rollup_summaries(GroupSettings(), [summary("A", "Ay"), older, failed])
    assert rollup.year == "2025-26"
    by_id = {s.school_id: s for s in rollup.summaries}
    assert not by_id["B"].has_data and by_id["B"].progress == "no data for 2025-26" and by_id["B"].pupils == 90
    assert by_id["C"].progress == "report failed"
    assert rollup_summaries(GroupSettings(year="2024-25"), [summary("A", "Ay"), older]).summaries[1].has_data


def _hidden_shares(total, shown, hidden_pupils, items, m=5, weighted_by_pupils=True):
    """The attack (issue 22): every (answers, agreeing) of two hidden schools (fewer than m respondents each,
    1 to ``items`` answers a respondent) consistent with a trust total printed as a whole percentage, its
    respondents, the shown school's figures and every school's pupils on roll: each hidden school's
    possible shares."""
    import itertools

    (s_pupils, s_n, s_answers, s_agree), (p1, p2) = shown, hidden_pupils
    pupils = s_pupils + p1 + p2
    lo, hi = total.value - 0.005, total.value + 0.005
    n_left = total.n - s_n
    found = ({}, {})
    for n1 in range(1, m):
        n2 = n_left - n1
        if not 1 <= n2 < m:
            continue
        for ans1, ans2 in itertools.product(range(n1, n1 * items + 1), range(n2, n2 * items + 1)):
            for ag1, ag2 in itertools.product(range(ans1 + 1), range(ans2 + 1)):
                if weighted_by_pupils:
                    value = (s_pupils * s_agree / s_answers + p1 * ag1 / ans1 + p2 * ag2 / ans2) / pupils
                else:
                    value = (s_agree + ag1 + ag2) / (s_answers + ans1 + ans2)
                if lo <= value <= hi:
                    found[0][round(ag1 / ans1, 6)] = True
                    found[1][round(ag2 / ans2, 6)] = True
    return [sorted(f) for f in found]


def test_a_trust_total_with_hidden_schools_does_not_pin_their_shares():
    a = school("A1", pupils=594, counts={"staff": {"P1": counts(33, 8, answers=66)}})
    b = school("B1", pupils=287, counts={"staff": {"P1": counts(2, 2, "primary", answers=3)}})
    c = school("C1", pupils=219, counts={"staff": {"P1": counts(1, 1, "primary", answers=1)}})
    total = rollup(a, b, c).trust_totals.iloc[-1]
    assert not total.suppressed and total.weighting == WEIGHT_ANSWERS
    shares = _hidden_shares(total, (594, 33, 66, 8), (287, 219), items=2, weighted_by_pupils=False)
    assert all(len(s) > 1 for s in shares), shares
    # what the pupil-weighted total used to print pins both hidden schools' shares (2 of 3, and 1 of 1)
    from types import SimpleNamespace

    weighted = round((594 * 8 / 66 + 287 * 2 / 3 + 219 * 1 / 1) / 1100, 2)
    pinned = _hidden_shares(SimpleNamespace(value=weighted, n=total.n), (594, 33, 66, 8), (287, 219), items=2)
    assert pinned == [[round(2 / 3, 6)], [1.0]], pinned


def test_a_school_joining_between_two_overviews_cannot_be_read_off_their_difference(tmp_path):
    """The attack: publish the overview, a hidden school joins the trust, publish again, subtract. Both totals
    are shown (each has several hidden schools), and their difference was the new school's hidden figure:
    its respondents exactly. Now each overview is in the ledger, and the second total is hidden."""
    from wqm_nb.disclosure.overviews import changed_schools
    from wqm_nb.model.figures import PROTECTS_CHANGE
    from wqm_nb.model.group import published_overview

    data = tmp_path / "trust-data"
    data.mkdir()
    settings = GroupSettings(year="2025-26", data=str(data))
    a = school("A1", pupils=100, counts={"staff": {"P1": counts(40, 60)}})
    b = school("B1", pupils=120, counts={"staff": {"P1": counts(3, 4, "primary")}})
    c = school("C1", pupils=90, counts={"staff": {"P1": counts(4, 5, "primary")}})
    joined = school("E1", pupils=80, counts={"staff": {"P1": counts(2, 3, "primary")}})

    def total(r):
        return r.trust_totals.set_index(["survey", "section_id"]).loc[("staff", "P1")]

    first = published_overview(build_rollup(settings, [a, b, c], WQM))
    assert not total(first).suppressed and total(first).n == 47
    # what the second overview printed before: shown, 2 more respondents, the joined school's hidden figure
    assert not total(rollup(a, b, c, joined)).suppressed and total(rollup(a, b, c, joined)).n == 49
    second = published_overview(build_rollup(settings, [a, b, c, joined], WQM))
    assert changed_schools(second.earlier_overviews[0], second.overview_members) == {"E1"}
    assert total(second).suppressed and total(second).reason == PROTECTS_CHANGE
    # publishing the first overview again writes nothing and shows what it showed; a joined school whose own
    # figure is shown changes nothing that is not public
    again = published_overview(build_rollup(settings, [a, b, c], WQM))
    assert not total(again).suppressed and len(again.earlier_overviews) == 2
    shown = school("F1", pupils=200, counts={"staff": {"P1": counts(30, 50)}})
    assert not total(published_overview(build_rollup(settings, [a, b, c, shown], WQM))).suppressed


def test_trust_totals_are_audited_with_the_schools_releases_under_every_framework_at_once(sample_file):
    """The joint audit (tests/disclosure/test_trust.py has the attack): the staff total of P4 would pin
    NLT01's and NLT03's hidden P4 staff with their "Responses" lines, so it is hidden; every framework's
    overview reads the same decisions, and the summaries a batch ships carry what the audit needs."""
    from wqm_nb.model.group import PROTECTS_SCHOOL, summaries_from_json, summaries_to_json

    wqm = rollup_group(GroupSettings(data=str(sample_file)))
    vbe = rollup_group(GroupSettings(data=str(sample_file), framework="vbe"))
    assert ("staff", "wqm:P4") in wqm.trust_audit and wqm.trust_audit == vbe.trust_audit
    totals = wqm.trust_totals.set_index(["survey", "section_id"])
    assert totals.loc[("staff", "P4"), "suppressed"] and totals.loc[("staff", "P4"), "reason"] == PROTECTS_SCHOOL
    assert not totals.loc[("staff", "P2"), "suppressed"]
    shipped = summaries_from_json(summaries_to_json(list(wqm.summaries)))
    assert [s.publications for s in shipped] == [s.publications for s in wqm.summaries]
    again = build_rollup(wqm.settings, shipped, wqm.framework, trust=wqm.trust)
    assert again.trust_audit == wqm.trust_audit
