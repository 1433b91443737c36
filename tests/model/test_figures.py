"""The published survey figures: counting, suppression, mapping and subgroups."""
from pathlib import Path

import pandas as pd
import pytest

from wqm_nb.data import load_framework, load_mapping, load_question_bank
from wqm_nb.store.surveys import SurveyData
from wqm_nb.model.figures import COLUMNS, TOTAL_COLUMNS, publish_figures, too_few
from wqm_nb.store import Store

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
BANK = load_question_bank()
WQM = load_framework("wqm")
LM = load_framework("leadership_management")


def responses(rows):
    """rows: (survey, respondent, subgroup, item_id, value)."""
    return pd.DataFrame(rows, columns=["survey", "respondent", "subgroup", "item_id", "value"])


def people(survey, count, answers, subgroup="", prefix=None):
    """``count`` respondents who each give ``answers`` ({item: value})."""
    prefix = prefix or f"{survey}-{subgroup}-"
    return [(survey, f"{prefix}{i}", subgroup, item, value)
            for i in range(count) for item, value in answers.items()]


def publish(rows, framework=WQM, min_group_size=5):
    return publish_figures(SurveyData.from_long(responses(rows)), BANK, load_mapping(framework, BANK), framework, min_group_size)


def row(figures, survey, section, subgroup=None):
    t = figures.table
    if subgroup is None:
        found = t[(t.survey == survey) & (t.section_id == section) & t.subgroup.isna()]
    else:
        found = t[(t.survey == survey) & (t.section_id == section) & (t.subgroup == subgroup)]
    assert len(found) == 1
    return found.iloc[0]


def test_n_counts_people_not_answers():
    # staff P1 is informed by S01 and S02: five people, two answers each
    f = publish(people("staff", 5, {"S01": 5, "S02": 2}))
    r = row(f, "staff", "P1")
    assert list(f.table.columns) == COLUMNS
    assert r["n"] == 5 and r["answers"] == 10
    assert r["agree_share"] == pytest.approx(0.5)
    assert r["mean"] == pytest.approx(3.5)
    assert not r["suppressed"] and r["reason"] == ""
    assert r["survey_name"] == "Staff survey" and r["section"] == "Adopt whole-school thinking"
    assert r["measure"] == "agreement"


def test_agreement_starts_at_agree_min():
    rows = [("staff", f"s{i}", "", "S12", v) for i, v in enumerate([5, 4, 4, 3, 1])]
    r = row(publish(rows), "staff", "P7")
    assert BANK.agree_min == 4
    assert r["agree_share"] == pytest.approx(3 / 5)
    assert r["mean"] == pytest.approx(17 / 5)


def test_small_group_is_suppressed_with_every_number_blank():
    f = publish(people("parent", 4, {"R01": 5}) + people("staff", 5, {"S01": 5}))
    r = row(f, "parent", "P1")
    assert r["suppressed"] and r["reason"] == "fewer than 5 responses" == too_few(5)
    assert pd.isna(r["n"]) and pd.isna(r["answers"])
    assert pd.isna(r["agree_share"]) and pd.isna(r["mean"])
    # a section nobody answered says so
    none = row(f, "parent", "P7")
    assert none["suppressed"] and none["reason"] == "no responses" and pd.isna(none["n"])
    # the survey total hides the size of a small survey too
    totals = f.totals.set_index("survey")
    assert list(f.totals.columns) == TOTAL_COLUMNS
    assert pd.isna(totals.loc["parent", "n"]) and totals.loc["parent", "reason"] == "fewer than 5 responses"
    assert totals.loc["staff", "n"] == 5 and not totals.loc["staff", "suppressed"]
    assert totals.loc["pupil", "reason"] == "no responses"


@pytest.mark.parametrize("minimum, suppressed", [(3, False), (4, False), (5, True), (10, True)])
def test_min_group_size_is_respected(minimum, suppressed):
    f = publish(people("parent", 4, {"R01": 4}), min_group_size=minimum)
    r = row(f, "parent", "P1")
    assert f.min_group_size == minimum
    assert bool(r["suppressed"]) is suppressed
    if suppressed:
        assert r["reason"] == f"fewer than {minimum} responses" and pd.isna(r["n"])
    else:
        assert r["n"] == 4 and r["agree_share"] == 1.0 and r["reason"] == ""


def test_only_mapped_items_count():
    # S03 does not inform Leadership and Management; people who answered only S03 are not counted there
    rows = people("staff", 5, {"S01": 5, "S03": 1}, prefix="a") + people("staff", 3, {"S03": 1}, prefix="b")
    f = publish(rows, framework=LM)
    r = row(f, "staff", "LM")
    assert r["n"] == 5 and r["answers"] == 5 and r["agree_share"] == 1.0
    assert f.totals.set_index("survey").loc["staff", "n"] == 8   # the survey's respondents, any item


def test_unmapped_survey_is_named_and_has_no_rows():
    rows = people("staff", 6, {"S01": 5}) + people("pupil", 30, {"U01": 1}) + people("parent", 6, {"R02": 4})
    f = publish(rows, framework=LM)
    assert f.unmapped == ["Pupil survey"]
    assert "pupil" not in set(f.table["survey"])
    assert not f.totals.set_index("survey").loc["pupil", "mapped"]
    assert publish(rows).unmapped == []          # WQM maps every survey


@pytest.mark.parametrize("fw_id", ["wqm", "vbe", "leadership_management"])
def test_every_mapped_survey_section_appears_even_without_answers(fw_id):
    fw = load_framework(fw_id)
    mapping = load_mapping(fw, BANK)
    f = publish(people("staff", 5, {"S01": 4}), framework=fw)
    expected = {(s, sec) for s in BANK.surveys if mapping.is_mapped(s) for sec in mapping.sections(s, fw)}
    got = set(zip(f.whole["survey"], f.whole["section_id"]))
    assert got == expected and len(f.whole) == len(expected)
    assert f.has_figures


def test_subgroup_rows():
    rows = (people("staff", 2, {"S01": 2}, "support") + people("staff", 6, {"S01": 5}, "teaching")
            + people("staff", 1, {"S01": 5}, ""))            # no role given
    f = publish(rows)
    sub = f.subgroups("staff")
    p1 = sub[sub.section_id == "P1"]
    # bank order, only roles present, then those who gave no role: the parts add up to the whole
    assert p1["subgroup"].tolist() == ["teaching", "support", ""]
    assert row(f, "staff", "P1", "")["reason"] == "fewer than 5 responses"
    assert set(sub["subgroup_field"]) == {"role"}
    teaching = row(f, "staff", "P1", "teaching")
    assert teaching["n"] == 6 and teaching["agree_share"] == 1.0 and not teaching["suppressed"]
    support = row(f, "staff", "P1", "support")
    assert support["suppressed"] and pd.isna(support["n"]) and support["reason"] == "fewer than 5 responses"
    assert row(f, "staff", "P1")["n"] == 9
    assert len(f.subgroups("parent")) == 0                          # parents have no subgroup question


def test_whole_shown_and_for_section():
    f = publish(people("staff", 6, {"S01": 5}) + people("parent", 2, {"R01": 5}))
    assert f.whole["subgroup_field"].isna().all()
    assert not f.shown["suppressed"].any()
    p1 = f.for_section("P1")
    assert p1["survey"].tolist() == ["staff"]                      # the suppressed parent row is not shown
    assert p1.iloc[0]["agree_share"] == 1.0


def test_sample_small_parent_survey_is_suppressed():
    with Store.open(SAMPLE) as store:
        year = store.school_year("NLT03", "2025-26")
        raw = store.survey_responses(year["school_year_id"])
    assert raw.loc[raw.survey == "parent", "respondent"].nunique() < 5
    f = publish_figures(SurveyData.from_long(raw), BANK, load_mapping(WQM, BANK), WQM, 5)
    parent = f.whole[f.whole.survey == "parent"]
    assert len(parent) == 6
    assert parent["suppressed"].all() and (parent["reason"] == "fewer than 5 responses").all()
    assert parent["n"].isna().all() and parent["agree_share"].isna().all() and parent["mean"].isna().all()
    assert pd.isna(f.totals.set_index("survey").loc["parent", "n"])
    staff = f.whole[f.whole.survey == "staff"]
    assert not staff["suppressed"].any() and (staff["n"] >= 5).all()
