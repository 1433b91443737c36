"""Joint protection of one publication: one survey's cells under every framework hidden together until the
audit clears them."""

import numpy as np
import pandas as pd

from wqm_nb.disclosure.audit import Range, audit, cleared
from wqm_nb.disclosure.protect import COMPLEMENTARY, PRIMARY, WITHHELD, Counts, _published, protect_jointly, true_cells
from wqm_nb.disclosure.tables import NONE, PROTECTS, TOO_FEW, UNSAID, SurveyLayout, hidden_cells, survey_model
from wqm_nb.store.surveys import MISSING, SurveyBlock, SurveyData

from .test_tables import GROUPS, ITEMS, RESPONSES, SECTIONS, THRESHOLD, truth

LAYOUT = SurveyLayout("staff", ITEMS, GROUPS, SECTIONS)


def data() -> SurveyData:
    values = np.array([[MISSING if r[i] is None else r[i] for i in ITEMS] for _, r in RESPONSES], dtype=np.int8)
    block = SurveyBlock(
        "staff", ITEMS, np.array([f"r{k}" for k in range(len(RESPONSES))]), np.array([g for g, _ in RESPONSES]), values
    )
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
    assert cleared(audit(sm.model, hidden, integer=True))  # confirmed with whole numbers
    # every group smaller than the threshold is hidden, in every table
    for cell, counts in cells.items():
        if 0 < counts.n < THRESHOLD:
            assert reasons[cell] in (PRIMARY, WITHHELD)


def test_a_survey_that_cannot_be_cleared_is_withheld_whole_and_says_nothing_of_any_cell():
    # "Responses: 6", one item: A has 5, B has 1. Whatever is hidden, A's cell is at least 5 (or shown) and
    # B's at least 1, so with 6 in all B is exactly one person: nothing short of withholding clears it
    layout = SurveyLayout("tiny", ("i1",), ("A", "B", "C"), {"X:S": frozenset({"i1"})})
    cells = {
        ("X:S", "A"): Counts(5, 5, 3, 20),
        ("X:S", "B"): Counts(1, 1, 1, 5),
        ("X:S", "C"): Counts(0, 0, 0, 0),
        ("X:S", None): Counts(6, 6, 4, 25),
    }
    reasons = protect_jointly(layout, cells, THRESHOLD, total_respondents=6)
    # every cell, the empty one too: a withheld survey says nothing of any cell
    assert reasons == {cell: WITHHELD for cell in cells}
    published = _published(cells, reasons)
    assert {c.hidden for c in published} == {UNSAID}
    sm = survey_model(layout, published, THRESHOLD, (6.0, 6.0))
    assert cleared(
        audit(
            sm.model,
            {
                name: sm.quantities(*cell)
                for name, cell in (("A", ("X:S", "A")), ("B", ("X:S", "B")), ("whole", ("X:S", None)))
            },
        )
    )
    # the attack on what a withheld survey used to publish: "fewer than 5" for B, "no responses" for C
    before = [c if c.subgroup != "B" else c.__class__("X:S", "B", TOO_FEW) for c in published]
    before = [c if c.subgroup != "C" else c.__class__("X:S", "C", NONE) for c in before]
    before = [c if c.subgroup in ("B", "C") else c.__class__(c.section, c.subgroup, PROTECTS) for c in before]
    sm = survey_model(layout, before, THRESHOLD, (6.0, 6.0))
    found = audit(sm.model, {"B": sm.quantities("X:S", "B")})
    assert "respondents" in found[0].disclosed and found[0].ranges["respondents"] == Range(1, 1)
