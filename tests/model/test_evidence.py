"""Evidence across frameworks and the coverage map, on hand-made data with known answers."""

import dataclasses

import pandas as pd
import pytest

from wqm_nb.data import load_framework
from wqm_nb.data.crosswalk import parse_crosswalk
from wqm_nb.model import assess_store
from wqm_nb.model.evidence import (
    LINKED,
    NONE,
    OWN,
    build_evidence_map,
    element_coverage,
    evidence_items,
    evidence_map,
    missing_evidence,
    principle_coverage,
    word_count,
    year_evidence,
)
from wqm_nb.model.sef import sef_elements
from wqm_nb.settings import ReportSettings
from wqm_nb.store import Store

WQM, VBE, LM = (load_framework(f) for f in ("wqm", "vbe", "leadership_management"))
CHARTER = "Staff wellbeing charter agreed with unions; workload review cut marking time by a third this year"


def crosswalk(thin=5):
    """A small crosswalk: WQM P1.6 <-> VbE A1.1 <-> L&M LM.1, and WQM P6.1 <-> VbE A3.1."""
    return parse_crosswalk(
        {
            "coverage": {"thin_evidence_words": thin},
            "links": [
                {"wqm": "P1.6", "vbe": "A1.1", "leadership_management": "LM.1", "why": "staff"},
                {"wqm": "P6.1", "vbe": "A3.1", "why": "behaviour"},
            ],
        },
        "test_crosswalk.yaml",
        {"wqm": WQM, "vbe": VBE, "leadership_management": LM},
    )


def ratings(rows):
    return pd.DataFrame(rows, columns=["element_id", "rating", "evidence", "sorting"])


def test_word_count():
    assert word_count("") == 0 and word_count(None) == 0
    assert word_count("CPD log") == 2
    assert word_count("Staff's well-being charter; 3 reviews.") == 5


def test_year_evidence_reads_every_framework_of_that_year_only():
    with Store(":memory:") as store:
        store.add_school("T01", "Test School", "primary")
        wqm_now = store.ensure_cycle("T01", "2025-26", "wqm")
        vbe_now = store.ensure_cycle("T01", "2025-26", "vbe")
        wqm_before = store.ensure_cycle("T01", "2024-25", "wqm")
        store.record_rating(
            wqm_now, "P1.6", 3, CHARTER, recorded_by="Wellbeing lead", recorded_at="2026-03-01T10:00:00"
        )
        store.record_rating(wqm_now, "P1.5", 2, "")  # no evidence: left out
        store.record_rating(vbe_now, "A3.1", 3, "Restorative conversations")
        store.record_rating(wqm_before, "P6.1", 3, "Last year's behaviour policy")
        rows = year_evidence(store, "T01", "2025-26")
    assert {(r["framework"], r["element_id"]) for r in rows} == {("wqm", "P1.6"), ("vbe", "A3.1")}
    p16 = next(r for r in rows if r["element_id"] == "P1.6")
    assert p16["evidence"] == CHARTER and p16["recorded_by"] == "Wellbeing lead"
    assert p16["recorded_at"] == "2026-03-01T10:00:00"


@pytest.fixture
def school_store():
    """T01 in 2025-26: WQM evidence under P1.6 only; a VbE cycle with evidence under A3.1 only;
    in 2024-25 WQM evidence under P6.1 (another year: never shown)."""
    with Store(":memory:") as store:
        store.add_school("T01", "Test School", "primary")
        wqm = store.ensure_cycle("T01", "2025-26", "wqm")
        vbe = store.ensure_cycle("T01", "2025-26", "vbe")
        store.record_rating(wqm, "P1.6", 3, CHARTER, recorded_by="Wellbeing lead", recorded_at="2026-03-01T10:00:00")
        store.record_rating(
            vbe, "A3.1", 3, "Restorative conversations", recorded_by="Head", recorded_at="2026-04-01T09:00:00"
        )
        store.record_rating(store.ensure_cycle("T01", "2024-25", "wqm"), "P6.1", 3, "Old behaviour policy")
        yield store


def test_evidence_recorded_once_under_wqm_shows_under_the_linked_vbe_aspect_with_its_source(school_store):
    a = assess_store(school_store, ReportSettings(school_id="T01", framework="vbe"))
    emap = evidence_map(a, crosswalk())
    linked = emap.linked_items
    assert list(linked["element_id"]) == ["A1.1"]
    row = linked.iloc[0]
    assert (row.source_framework, row.source_element_id) == ("wqm", "P1.6")
    assert row.source_framework_name == "Wellbeing Quality Mark"
    assert row.source_element == "Promote the well-being of staff and tackle staff stress"
    assert row.evidence == CHARTER and row.recorded_by == "Wellbeing lead"
    assert row.recorded_at == "2026-03-01T10:00:00" and not row.direct and row.why == "staff"
    states = emap.elements.set_index("element_id")["state"]
    assert states["A1.1"] == LINKED and states["A3.1"] == OWN and states["A2.1"] == NONE
    # the old year's P6.1 evidence does not reach A3.1; A3.1's own evidence keeps who recorded it
    a31 = emap.items[emap.items["element_id"] == "A3.1"]
    assert len(a31) == 1 and a31.iloc[0].direct and a31.iloc[0].recorded_by == "Head"
    # linked evidence is shown, never counted: the award rules still see A1.1 without evidence
    assert not a.current.elements.set_index("element_id").loc["A1.1", "has_evidence"]


def test_the_same_evidence_shows_back_the_other_way(school_store):
    a = assess_store(school_store, ReportSettings(school_id="T01", framework="wqm"))
    emap = evidence_map(a, crosswalk())
    linked = emap.linked_items
    assert list(zip(linked["element_id"], linked["source_framework"], linked["source_element_id"], strict=False)) == [
        ("P6.1", "vbe", "A3.1")
    ]
    states = emap.elements.set_index("element_id")["state"]
    assert states["P1.6"] == OWN and states["P6.1"] == LINKED and states["P1.1"] == NONE


def test_a_framework_without_a_cycle_shows_the_other_frameworks_evidence():
    with Store(":memory:") as store:
        store.add_school("T02", "Second School", "secondary")
        store.record_rating(store.ensure_cycle("T02", "2025-26", "wqm"), "P1.6", 3, CHARTER)
        a = assess_store(store, ReportSettings(school_id="T02", framework="leadership_management"))
    emap = evidence_map(a, crosswalk())
    assert a.current.cycle_id is None
    assert dict(emap.elements.set_index("element_id")["state"])["LM.1"] == LINKED
    assert set(emap.elements["state"]) == {LINKED, NONE}


def test_coverage_map_three_states_thin_flag_and_missing_list():
    cw = crosswalk(thin=5)
    elements = sef_elements(
        WQM,
        ratings(
            [
                dict(
                    element_id="P1.1", rating=3, evidence="Whole school wellbeing strategy agreed by governors"
                ),  # 7 words
                dict(element_id="P1.2", rating=3, evidence="Wellbeing priority"),  # thin
                dict(element_id="P1.6", rating=2, evidence=""),  # only linked, from VbE A1.1
            ]
        ),
    )
    other = [
        dict(
            framework="vbe",
            element_id="A1.1",
            evidence="Values assemblies and weekly check-ins",
            recorded_at="2026-04-01T10:00:00",
            recorded_by="Head",
        ),
        dict(framework="vbe", element_id="A2.1", evidence="Not linked to anything in WQM here"),
    ]
    items = evidence_items(WQM, elements, other, cw)
    assert len(items) == 3 and items["direct"].sum() == 2
    assert list(items.loc[items["element_id"] == "P1.2", "thin"]) == [True]
    coverage = element_coverage(elements, items).set_index("element_id")
    assert coverage.loc["P1.1", "state"] == OWN and not coverage.loc["P1.1", "thin"]
    assert coverage.loc["P1.2", "state"] == OWN and coverage.loc["P1.2", "thin"] and coverage.loc["P1.2", "words"] == 2
    assert coverage.loc["P1.6", "state"] == LINKED
    assert coverage.loc["P1.6", "linked_sources"] == ("Values-based Education Quality Mark A1.1",)
    assert coverage.loc["P1.3", "state"] == NONE and coverage.loc["P6.1", "state"] == NONE

    per_principle = principle_coverage(WQM, coverage.reset_index()).set_index("principle_id")
    assert per_principle.loc["P1", ["elements", OWN, "thin", LINKED, NONE]].tolist() == [6, 2, 1, 1, 3]
    assert per_principle.loc["P2", ["elements", OWN, "thin", LINKED, NONE]].tolist() == [2, 0, 0, 0, 2]
    assert per_principle[["elements"]].sum().item() == len(WQM.element_ids)

    missing = missing_evidence(coverage.reset_index(), cw.thin_evidence_words)
    # none first (in framework order), then linked, then thin; P1.1 has enough and is not asked for
    assert list(missing["element_id"][:2]) == ["P1.3", "P1.4"]
    assert list(missing["element_id"][-2:]) == ["P1.6", "P1.2"]
    assert "P1.1" not in set(missing["element_id"])
    asks = missing.set_index("element_id")["ask"]
    assert "under Values-based Education Quality Mark A1.1" in asks["P1.6"]
    assert asks["P1.2"].startswith("Evidence is thin (2 words, under 5)")
    assert asks["P1.3"].startswith("No evidence recorded")


def test_build_evidence_map_for_a_checklist_and_a_framework_the_crosswalk_does_not_name():
    cw = crosswalk()
    lm = sef_elements(
        LM, ratings([dict(element_id="LM.2", rating=2, evidence="Mission statement drafted with pupils")])
    )
    emap = build_evidence_map(LM, lm, [dict(framework="wqm", element_id="P1.6", evidence=CHARTER)], cw)
    assert emap.linkable and emap.thin_evidence_words == 5
    assert emap.principles.iloc[0][[OWN, LINKED, NONE]].tolist() == [1, 1, 6]
    custom = dataclasses.replace(WQM, id="my_rules")  # a custom framework file's own id
    emap = build_evidence_map(custom, sef_elements(custom, ratings([])), [], cw)
    assert not emap.linkable and set(emap.elements["state"]) == {NONE} and len(emap.items) == 0
