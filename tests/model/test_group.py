"""The group roll-up: summaries, build_rollup and rollup_group."""
import math
from pathlib import Path

import pandas as pd
import pytest

from wqm_nb.data import load_framework
from wqm_nb.errors import SettingsError
from wqm_nb.model import SchoolSummary, assess_store, build_rollup, rollup_group, summarise
from wqm_nb.model.group import missing_summary
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
    return SchoolSummary(school_id=school_id, name=name, phase="primary", trust=trust, year="2025-26",
                         has_data=has_data, **kw)


def test_summarise_copies_published_figures(sample_store):
    a = assess_store(sample_store, ReportSettings(school_id="NLT03", year="2025-26"))
    s = summarise(a)
    assert (s.school_id, s.name, s.phase, s.year, s.has_data) == (
        "NLT03", "Fellside Primary School", "primary", "2025-26", True)
    staff = a.current.figures.whole.query("survey == 'staff'")
    assert s.agreement["staff"] == pytest.approx(dict(zip(staff["section_id"], staff["agree_share"])))
    assert set(s.agreement["parent"]) == {"P1", "P2", "P4", "P5", "P6", "P7"}
    assert all(math.isnan(v) for v in s.agreement["parent"].values())      # fewer than 5 parents
    assert s.sef_means == pytest.approx(dict(zip(a.current.principles["principle_id"],
                                                 a.current.principles["mean_rating"])))
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
        summary("B2", "Beta", sef_means={"P1": 2.0}, agreement={"staff": {"P1": 0.5, "P2": float("nan")}},
                level_met="not yet", next_level="Approved School", progress="3/7 for Approved School"),
        summary("A1", "Alpha", sef_means={"P1": 3.5, "P7": 4.0}, agreement={"staff": {"P1": 0.9}}),
        missing_summary(dict(school_id="C3", name="Gamma", phase="primary", trust="T"), "2025-26"),
    ]
    r = build_rollup(GroupSettings(year="2025-26"), summaries, WQM)
    assert [s.school_id for s in r.summaries] == ["A1", "B2", "C3"]         # by school id
    assert r.trust == "T" and r.year == "2025-26"
    assert list(r.sef.index) == ["Alpha", "Beta"] and list(r.sef.columns) == list(WQM.principle_ids)
    assert r.sef.loc["Alpha", "P7"] == 4.0 and math.isnan(r.sef.loc["Beta", "P7"])
    staff = r.agreement("staff")
    assert staff.loc["Beta", "P1"] == 0.5
    assert math.isnan(staff.loc["Beta", "P2"])                            # suppressed stays blank
    assert r.agreement("parent").isna().all().all()                       # not asked
    assert r.status["school_id"].tolist() == ["A1", "B2", "C3"]
    assert r.status.set_index("school_id").loc["C3", "progress"] == "no data for 2025-26"


def test_build_rollup_trust_name():
    mixed = [summary("A1", "Alpha", trust="T"), summary("B2", "Beta", trust="U")]
    assert build_rollup(GroupSettings(), mixed, WQM).trust == ""
    assert build_rollup(GroupSettings(trust="T"), mixed, WQM).trust == "T"
    assert build_rollup(GroupSettings(), mixed, WQM, trust="Named").trust == "Named"


def test_rollup_group_on_sample(sample_file):
    r = rollup_group(GroupSettings(data=str(sample_file)))
    assert r.year == "2025-26" and r.settings.year == "2025-26"          # latest year when empty
    assert r.trust == "Northbrook Learning Trust"
    assert [s.school_id for s in r.summaries] == [f"NLT0{i}" for i in range(1, 8)]
    assert all(s.has_data for s in r.summaries)
    parent = r.agreement("parent")
    assert parent.loc["Fellside Primary School"].isna().all()            # NLT03: 3 parents, suppressed
    assert parent.drop(index="Fellside Primary School")["P1"].notna().all()
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
    assert not a.current.figures.ratings("staff_audit")["suppressed"].all()     # Kingsmead ran an audit
    s = summarise(a)
    assert set(s.agreement) == {"staff", "pupil", "parent"}
