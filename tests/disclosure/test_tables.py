"""One survey's tables under two frameworks as the outsider's model: a publication protected table by table
leaks across tables, the audit finds it, and whole-number programming confirms the values it finds."""

import pytest

from wqm_nb.disclosure.audit import audit, cleared
from wqm_nb.disclosure.families import PRIMARY, Cell, protect
from wqm_nb.disclosure.tables import (
    NONE,
    PROTECTS,
    TOO_FEW,
    PublishedCell,
    SurveyLayout,
    hidden_cells,
    printed_interval,
    survey_model,
)

THRESHOLD = 5
ITEMS = ("i1", "i2", "i3")
GROUPS = ("A", "B", "C")
#: framework X and framework Y group the same three items differently
SECTIONS = {
    "X:S": frozenset({"i1", "i2"}),
    "X:T": frozenset({"i3"}),
    "Y:U": frozenset({"i1"}),
    "Y:V": frozenset({"i2", "i3"}),
}
#: twelve staff in three roles; blanks make the sections' sizes differ (found by a seeded search)
RESPONSES = [
    ("A", {"i1": 3, "i2": 3, "i3": 4}),
    ("A", {"i1": None, "i2": 5, "i3": 2}),
    ("A", {"i1": 2, "i2": 3, "i3": None}),
    ("A", {"i1": None, "i2": 1, "i3": None}),
    ("A", {"i1": 3, "i2": 2, "i3": 2}),
    ("A", {"i1": None, "i2": 2, "i3": 4}),
    ("A", {"i1": None, "i2": 1, "i3": 2}),
    ("B", {"i1": 5, "i2": None, "i3": None}),
    ("B", {"i1": 1, "i2": 3, "i3": 4}),
    ("B", {"i1": None, "i2": 3, "i3": 4}),
    ("C", {"i1": None, "i2": 1, "i3": 2}),
    ("C", {"i1": None, "i2": 5, "i3": 4}),
]


def truth(section: str, group: str | None) -> tuple[int, int, int]:
    """(respondents, answers, agreeing) of one cell."""
    items = SECTIONS[section]
    rows = [r for g, r in RESPONSES if group is None or g == group]
    n = sum(1 for r in rows if any(r[i] is not None for i in items))
    answers = [r[i] for r in rows for i in items if r[i] is not None]
    return n, len(answers), sum(1 for x in answers if x >= 4)


def publish_table_by_table() -> list[PublishedCell]:
    """What the tool published before issue 22: each section's family protected on its own."""
    cells = []
    for key in SECTIONS:
        whole = Cell(*truth(key, None))
        parts = [Cell(*truth(key, g)) for g in GROUPS]
        protect(whole, parts, THRESHOLD, len(SECTIONS[key]))
        for group, c in [(None, whole), *zip(GROUPS, parts, strict=False)]:
            if c.hidden:
                cells.append(PublishedCell(key, group, TOO_FEW if c.hidden == PRIMARY else PROTECTS))
            elif c.n == 0:
                cells.append(PublishedCell(key, group, NONE))
            else:
                cells.append(
                    PublishedCell(
                        key, group, n=c.n, answers=c.answers, share=printed_interval(round(c.agree / c.answers, 4), 4)
                    )
                )
    return cells


def test_tables_protected_one_by_one_leak_across_frameworks_and_the_audit_finds_it():
    published = publish_table_by_table()
    sm = survey_model(SurveyLayout("staff", ITEMS, GROUPS, SECTIONS), published, THRESHOLD)
    hidden = hidden_cells(sm, published)
    assert hidden  # each table alone is protected...
    findings = {f.cell: f for f in audit(sm.model, hidden)}
    assert not cleared(findings.values())  # ...but not together
    leaked = findings["staff Y:U A"]
    assert "respondents" in leaked.disclosed
    # whole-number programming confirms it, and the value worked out is the true one
    whole = audit(sm.model, {"staff Y:U A": hidden["staff Y:U A"]}, integer=True)[0]
    n, answers, agree = truth("Y:U", "A")
    assert whole.ranges["respondents"].low == whole.ranges["respondents"].high == n
    assert leaked.ranges["respondents"].low == n


def test_every_hidden_cells_true_values_lie_in_its_range():
    published = publish_table_by_table()
    sm = survey_model(SurveyLayout("staff", ITEMS, GROUPS, SECTIONS), published, THRESHOLD)
    for finding in audit(sm.model, hidden_cells(sm, published)):
        _, section, group = finding.cell.split(" ")
        n, answers, agree = truth(section, None if group == "whole" else group)
        for quantity, value in (
            ("respondents", n),
            ("answers", answers),
            ("agreeing", agree),
            ("not agreeing", answers - agree),
        ):
            r = finding.ranges[quantity]
            assert r.low <= value <= r.high, (finding.cell, quantity, value, r)


def test_one_framework_alone_protected_by_its_families_is_cleared():
    one = {k: v for k, v in SECTIONS.items() if k.startswith("X:")}
    published = [c for c in publish_table_by_table() if c.section in one]
    sm = survey_model(SurveyLayout("staff", ITEMS, GROUPS, one), published, THRESHOLD)
    assert cleared(audit(sm.model, hidden_cells(sm, published)))


@pytest.mark.parametrize(
    "value, decimals, expected", [(0.5, 2, (0.495, 0.505)), (84.0, 0, (83.5, 84.5)), (0.0, 2, (0.0, 0.005))]
)
def test_printed_intervals(value, decimals, expected):
    assert printed_interval(value, decimals) == pytest.approx(expected)
