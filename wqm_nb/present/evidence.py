"""The evidence coverage section: one evidence item, many frameworks.

:func:`evidence_section` shows, for the consultant before the assessment
day, a grid with one row per section (principle, aspect or area) and one cell
per element saying what evidence it has (recorded, thin, only from a linked
element of another framework, none: in words and a symbol, with a shade that
only repeats them), the evidence to ask for, element by element, and the
evidence recorded under the school's other frameworks that the crosswalk
shows here, with where it came from (framework, element, when and by whom).
The rules are in :mod:`wqm_nb.model.evidence` and ``wqm_nb/data/crosswalk.yaml``.
"""

from __future__ import annotations

from pathlib import Path

from ..model import SchoolAssessment
from ..model.evidence import LINKED, NONE, OWN, EvidenceMap, evidence_map
from .html import Fragment, Table, render

#: How each cell of the grid is shown: symbol, words, background shade (the words carry the meaning).
THIN = "thin"
CELL_STYLE = {
    OWN: ("✓", "evidence recorded", "#dcefd6"),
    THIN: ("!", "evidence recorded but thin", "#f6ebc8"),
    LINKED: ("↔", "only evidence recorded under a linked element of another framework", "#dbe7f3"),
    NONE: ("✗", "no evidence", "#f6dcd7"),
}


def _recorded(at: str, by: str) -> str:
    """'2026-04-01 by Headteacher' from an ISO time and a name (either may be empty)."""
    day = at[:10]
    return " by ".join(part for part in (day, by) if part) or "-"


def _cell(row) -> dict:
    """One grid cell: the element's id, display state, symbol and words."""
    state = THIN if row.state == OWN and row.thin else row.state
    symbol = CELL_STYLE[state][0]
    if state == OWN:
        label = "recorded"
    elif state == THIN:
        label = f"thin ({row.words} {'word' if row.words == 1 else 'words'})"
    elif state == LINKED:
        label = "only from " + ", ".join(source.rsplit(" ", 1)[-1] for source in row.linked_sources)
    else:
        label = "none"
    return dict(element_id=row.element_id, state=state, symbol=symbol, label=label)


def _summary(row) -> str:
    """A section's counts in words: '4 of 6 recorded (1 thin), 1 only from another framework, 1 none'."""
    parts = [f"{row.own} of {row.elements} recorded" + (f" ({row.thin} thin)" if row.thin else "")]
    if row.linked:
        parts.append(f"{row.linked} only from another framework")
    if row.none:
        parts.append(f"{row.none} none")
    return ", ".join(parts)


def coverage_grid(emap: EvidenceMap) -> list[dict]:
    """The grid's rows: per section its id, name, one cell per element and a summary in words."""
    rows = []
    for p in emap.principles.itertuples():
        cells = [_cell(r) for r in emap.elements[emap.elements["principle_id"] == p.principle_id].itertuples()]
        rows.append(dict(principle_id=p.principle_id, principle=p.principle, cells=cells, summary=_summary(p)))
    return rows


def linked_evidence_table(emap: EvidenceMap) -> Table | None:
    """The evidence shown here from the school's other frameworks, with where it came from; None when
    there is none."""
    items = emap.linked_items
    if not len(items):
        return None
    elements = emap.elements.set_index("element_id")["element"]
    return Table(
        ["Element", "Evidence", "Recorded under", "Recorded"],
        [
            [
                f"{r.element_id} {elements.get(r.element_id, '')}",
                r.evidence + (" (thin)" if r.thin else ""),
                f"{r.source_framework_name} {r.source_element_id} {r.source_element}".strip(),
                _recorded(r.recorded_at, r.recorded_by),
            ]
            for r in items.itertuples()
        ],
        css="wqm-table wqm-detail",
    )


def _headline(emap: EvidenceMap) -> str:
    """The whole framework's coverage in one sentence."""
    totals = emap.principles[[OWN, "thin", LINKED, NONE, "elements"]].sum()
    thin = int(totals["thin"])
    return (
        f"{int(totals[OWN])} of {int(totals['elements'])} elements have evidence of their own"
        + (f" (thin for {thin}: under {emap.thin_evidence_words} words)" if thin else "")
        + f"; {int(totals[LINKED])} have only evidence recorded under another framework; "
        f"{int(totals[NONE])} have none."
    )


def evidence_section(assessment: SchoolAssessment, emap: EvidenceMap | None = None) -> Fragment:
    """The evidence coverage section of a school report (any framework): the coverage grid, the
    evidence to ask for and the evidence shown from the school's other frameworks."""
    emap = emap if emap is not None else evidence_map(assessment)
    fw = emap.framework
    missing: list[tuple[str, str, list]] = []
    if len(emap.missing):
        for pid, rows in emap.missing.groupby("principle_id", sort=False):
            missing.append((pid, fw.principle(pid).name, list(rows.itertuples())))
        order = {p.id: i for i, p in enumerate(fw.principles)}
        missing.sort(key=lambda m: order[m[0]])
    grid = coverage_grid(emap)
    intro = (
        f"What evidence each element of the {fw.name} has in {assessment.year}: evidence the school "
        f"recorded under it, evidence only recorded under a linked element of one of its other frameworks "
        f"(the same evidence counts once, wherever it was recorded), or none. Evidence of fewer than "
        f"{emap.thin_evidence_words} words is flagged as thin."
    )
    return render(
        "evidence.html.j2",
        "evidence",
        intro=intro,
        framework=fw,
        year=assessment.year,
        section_label=fw.section_label,
        grid=grid,
        width=max((len(r["cells"]) for r in grid), default=0),
        shades={state: style[2] for state, style in CELL_STYLE.items()},
        key=[(style[0], style[1]) for style in CELL_STYLE.values()],
        headline=_headline(emap),
        missing=missing,
        thin_words=emap.thin_evidence_words,
        linked=linked_evidence_table(emap),
        linkable=emap.linkable,
        any_evidence=bool(len(emap.items)),
        crosswalk_file=Path(emap.crosswalk_file).name or "the crosswalk",
    )
