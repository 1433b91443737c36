"""Joint protection: one survey's cells under every framework hidden together until the audit clears them."""
import numpy as np
import pandas as pd

from wqm_nb.disclosure.audit import audit, cleared
from wqm_nb.disclosure.release import (COMPLEMENTARY, PRIMARY, WITHHELD, Counts, _published, protect_jointly,
                                       true_cells)
from wqm_nb.disclosure.tables import SurveyLayout, hidden_cells, survey_model
from wqm_nb.store.surveys import MISSING, SurveyBlock, SurveyData

from .test_tables import GROUPS, ITEMS, RESPONSES, SECTIONS, THRESHOLD, truth

LAYOUT = SurveyLayout("staff", ITEMS, GROUPS, SECTIONS)


def data() -> SurveyData:
    values = np.array([[MISSING if r[i] is None else r[i] for i in ITEMS] for _, r in RESPONSES], dtype=np.int8)
    block = SurveyBlock("staff", ITEMS, np.array([f"r{k}" for k in range(len(RESPONSES))]),
                        np.array([g for g, _ in RESPONSES]), values)
    return SurveyData({"staff": block}, pd.DataFrame(columns=["survey", "subgroup", "item_id", "value", "count"]))


def test_true_cells_count_every_section_and_group():
    cells = true_cells(data(), LAYOUT)
    for (section, group), counts in cells.items():
        n, answers, agree = truth(section, group)
        assert (counts.n, counts.answers, counts.agree) == (n, answers, agree), (section, group)


def test_the_leaky_publication_is_cleared_when_protected_jointly():
    cells = true_cells(data(), LAYOUT)
    reasons = protect_jointly(LAYOUT, cells, THRESHOLD)
    assert PRIMARY in reasons.values() and COMPLEMENTARY in reasons.values()
    assert all(cells[c].n > 0 for c in reasons)
    published = _published(cells, reasons)
    sm = survey_model(LAYOUT, published, THRESHOLD)
    hidden = hidden_cells(sm, published)
    assert cleared(audit(sm.model, hidden))
    assert cleared(audit(sm.model, hidden, integer=True))          # confirmed with whole numbers
    # every group smaller than the threshold is hidden, in every table
    for cell, counts in cells.items():
        if 0 < counts.n < THRESHOLD:
            assert reasons[cell] in (PRIMARY, WITHHELD)


def test_a_survey_that_cannot_be_cleared_is_withheld_whole():
    layout = SurveyLayout("tiny", ("i1",), ("A", "B"), {"X:S": frozenset({"i1"})})
    cells = {("X:S", "A"): Counts(1, 1, 1, 5), ("X:S", "B"): Counts(0, 0, 0, 0), ("X:S", None): Counts(1, 1, 1, 5)}
    reasons = protect_jointly(layout, cells, THRESHOLD, total_respondents=1)
    assert set(reasons.values()) <= {PRIMARY, WITHHELD} and ("X:S", None) in reasons


def test_every_framework_view_of_a_school_year_reads_one_release(sample_db):
    from wqm_nb.data import available_frameworks, load_framework, load_mapping
    from wqm_nb.data.surveys import load_question_bank
    from wqm_nb.disclosure.release import release_of
    from wqm_nb.store import Store

    bank = load_question_bank()
    with Store.open(sample_db, read_only=True) as store:
        data = store.survey_data(store.school_year("NLT03", "2023-24")["school_year_id"], bank)
    respondents = {"staff": 6, "pupil": 21, "parent": 4, "staff_audit": 0}
    views = []
    for framework_id in available_frameworks():
        fw = load_framework(framework_id)
        views.append(release_of(data, bank, 5, respondents, fw, load_mapping(fw, bank)).reasons)
    views.append(release_of(data, bank, 5, respondents).reasons)
    assert all(view == views[0] for view in views[1:])
    assert any(views[0].values())                          # something is hidden in it
