"""Evidence across frameworks and the evidence coverage map.

The crosswalk (:mod:`wqm_nb.data.crosswalk`) says which elements of different
frameworks ask for the same evidence; this module shows, for one school year
seen through one framework:

* :func:`evidence_items` (:data:`ITEM_COLUMNS`): the evidence recorded under
  each element directly, plus the evidence recorded under its linked elements
  in the school's other framework cycles of the same year, each with where it
  came from and whether it is thin;
* :func:`element_coverage` and :func:`principle_coverage`
  (:data:`ELEMENT_COVERAGE_COLUMNS`, :data:`PRINCIPLE_COVERAGE_COLUMNS`): the
  coverage map, each element in one of :data:`STATES` (``own``, ``linked``,
  ``none``);
* :func:`missing_evidence` (:data:`MISSING_COLUMNS`): what to ask the school
  for, element by element.

The store rows come from :func:`year_evidence` (read by
:func:`~wqm_nb.model.assessment.assess_store` into
``SchoolAssessment.year_evidence``); :func:`build_evidence_map`, and
:func:`evidence_map` from an assessment, build everything at once as an
:class:`EvidenceMap`. Linked evidence never counts toward the award rules
(:mod:`wqm_nb.model.awards`).

Method: docs/methodology.md, "Evidence coverage".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..data import Framework, load_framework
from ..data.crosswalk import Crosswalk, load_crosswalk
from ..errors import WqmError

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store
    from .assessment import SchoolAssessment

OWN, LINKED, NONE = "own", "linked", "none"
#: The coverage states in the order a report shows them, with their words.
STATES: dict[str, str] = {
    OWN: "evidence recorded",
    LINKED: "only evidence from another framework",
    NONE: "no evidence",
}
ITEM_COLUMNS = [
    "principle_id",
    "element_id",
    "direct",
    "source_framework",
    "source_framework_name",
    "source_element_id",
    "source_element",
    "evidence",
    "words",
    "thin",
    "recorded_at",
    "recorded_by",
    "why",
]
ELEMENT_COVERAGE_COLUMNS = [
    "principle_id",
    "principle",
    "element_id",
    "element",
    "state",
    "thin",
    "words",
    "linked_sources",
]
PRINCIPLE_COVERAGE_COLUMNS = ["principle_id", "principle", "elements", OWN, "thin", LINKED, NONE]
MISSING_COLUMNS = ["principle_id", "element_id", "element", "state", "ask"]

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def word_count(text: object) -> int:
    """Words in a piece of evidence (runs of letters or digits; "staff's" and "well-being" count once)."""
    return len(_WORD.findall(str(text or "")))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or not str(value).strip()


def year_evidence(store: Store, school_id: str, year: str) -> tuple[dict, ...]:
    """The current state of every element with evidence in every framework cycle of one school year:
    ``framework``, ``element_id``, ``evidence``, ``rating``, ``recorded_at``, ``recorded_by``, ``source``
    (framework id, then element id order of entry)."""
    rows = []
    for cycle in store.cycles(school_id):
        if cycle["academic_year"] != year:
            continue
        for element_id, state in store.current_elements(cycle["cycle_id"]).items():
            if _blank(state.get("evidence")):
                continue
            rows.append(
                dict(
                    framework=cycle["framework"],
                    element_id=element_id,
                    evidence=str(state["evidence"]).strip(),
                    rating=state.get("rating"),
                    recorded_at=state.get("recorded_at") or "",
                    recorded_by=state.get("recorded_by") or "",
                    source=state.get("source") or "",
                )
            )
    return tuple(rows)


def _framework_names(ids: Iterable[str], own: Framework) -> dict[str, Framework | None]:
    """The frameworks of ``ids`` (``None`` for an id no bundled file has), the assessed one as given."""
    found: dict[str, Framework | None] = {own.id: own}
    for fid in ids:
        if fid not in found:
            try:
                found[fid] = load_framework(fid)
            except WqmError:
                found[fid] = None
    return found


def evidence_items(
    framework: Framework, elements: pd.DataFrame, year_evidence: Iterable[Mapping], crosswalk: Crosswalk | None = None
) -> pd.DataFrame:
    """Every piece of evidence shown under an element of ``framework``: its own (from ``elements``,
    :func:`wqm_nb.model.sef.sef_elements`, which the award rules read too) and, through the crosswalk,
    what the school recorded under linked elements of its other frameworks' cycles that year
    (``year_evidence``: rows of :func:`year_evidence`; rows of ``framework`` itself give the own
    evidence's recorded_at and recorded_by). One row per piece, in framework order, own first."""
    crosswalk = crosswalk or load_crosswalk()
    thin_below = crosswalk.thin_evidence_words
    recorded: dict[tuple[str, str], Mapping] = {}
    for row in year_evidence:
        if not _blank(row.get("evidence")):
            recorded[(str(row["framework"]), str(row["element_id"]))] = row
    frameworks = _framework_names({fid for fid, _ in recorded}, framework)

    def item(
        principle_id: str,
        element_id: str,
        direct: bool,
        source_fw: str,
        source_el: str,
        text: str,
        entry: Mapping | None,
        why: str = "",
    ) -> dict:
        fw = frameworks.get(source_fw)
        source_text = ""
        if fw is not None and source_el in fw.element_ids:
            source_text = next(e.text for _, e in fw.elements if e.id == source_el)
        words = word_count(text)
        return dict(
            principle_id=principle_id,
            element_id=element_id,
            direct=direct,
            source_framework=source_fw,
            source_framework_name=fw.name if fw is not None else source_fw,
            source_element_id=source_el,
            source_element=source_text,
            evidence=text,
            words=words,
            thin=words < thin_below,
            recorded_at=str((entry or {}).get("recorded_at") or ""),
            recorded_by=str((entry or {}).get("recorded_by") or ""),
            why=why,
        )

    rows = []
    for r in elements.itertuples():
        if r.has_evidence:
            rows.append(
                item(
                    r.principle_id,
                    r.element_id,
                    True,
                    framework.id,
                    r.element_id,
                    str(r.evidence),
                    recorded.get((framework.id, r.element_id)),
                )
            )
        for link in crosswalk.linked(framework.id, r.element_id):
            other = link.element
            if other.framework == framework.id:
                continue
            entry = recorded.get((other.framework, other.element_id))
            if entry is not None:
                rows.append(
                    item(
                        r.principle_id,
                        r.element_id,
                        False,
                        other.framework,
                        other.element_id,
                        str(entry["evidence"]).strip(),
                        entry,
                        link.why,
                    )
                )
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def _source_label(row) -> str:
    """'Values-based Education Quality Mark A1.1' for an item of another framework."""
    return f"{row.source_framework_name} {row.source_element_id}"


def element_coverage(elements: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """One row per element: its coverage ``state`` (``own``, ``linked`` or ``none``), whether its own
    evidence is ``thin``, the words of its own evidence and, for every state, the linked elements of
    other frameworks whose evidence is shown under it (``linked_sources``, e.g. "Values-based Education
    Quality Mark A1.1")."""
    rows = []
    for r in elements.itertuples():
        mine = items[items["element_id"] == r.element_id]
        own = mine[mine["direct"]]
        linked = mine[~mine["direct"]]
        state = OWN if len(own) else LINKED if len(linked) else NONE
        rows.append(
            dict(
                principle_id=r.principle_id,
                principle=r.principle,
                element_id=r.element_id,
                element=r.element,
                state=state,
                thin=bool(len(own) and own["thin"].all()),
                words=int(own["words"].sum()) if len(own) else 0,
                linked_sources=tuple(_source_label(x) for x in linked.itertuples()),
            )
        )
    return pd.DataFrame(rows, columns=ELEMENT_COVERAGE_COLUMNS)


def principle_coverage(framework: Framework, coverage: pd.DataFrame) -> pd.DataFrame:
    """Per section (principle, aspect, area): its elements and how many are in each coverage state;
    ``thin`` counts the ``own`` elements whose own evidence is thin."""
    rows = []
    for p in framework.principles:
        sub = coverage[coverage["principle_id"] == p.id]
        counts = sub["state"].value_counts()
        rows.append(
            dict(
                principle_id=p.id,
                principle=p.name,
                elements=len(sub),
                own=int(counts.get(OWN, 0)),
                thin=int((sub["state"].eq(OWN) & sub["thin"]).sum()),
                linked=int(counts.get(LINKED, 0)),
                none=int(counts.get(NONE, 0)),
            )
        )
    return pd.DataFrame(rows, columns=PRINCIPLE_COVERAGE_COLUMNS)


def missing_evidence(coverage: pd.DataFrame, thin_evidence_words: int) -> pd.DataFrame:
    """What to ask the school for before the assessment day, element by element: no evidence at all,
    only evidence from another framework, or own evidence that is thin. Elements with enough evidence
    of their own are left out; none first, then linked, then thin, each in framework order."""
    rows = []
    order = {NONE: 0, LINKED: 1, OWN: 2}
    for r in sorted(coverage.itertuples(), key=lambda r: order[r.state]):
        if r.state == NONE:
            ask = "No evidence recorded, here or under a linked element of another framework."
        elif r.state == LINKED:
            ask = (
                f"Only evidence recorded under {', '.join(r.linked_sources)}: ask whether it applies here "
                f"and record it under this element."
            )
        elif r.thin:
            ask = (
                f"Evidence is thin ({r.words} {'word' if r.words == 1 else 'words'}, under "
                f"{thin_evidence_words}): ask what was done and what changed."
            )
        else:
            continue
        rows.append(
            dict(principle_id=r.principle_id, element_id=r.element_id, element=r.element, state=r.state, ask=ask)
        )
    return pd.DataFrame(rows, columns=MISSING_COLUMNS)


@dataclass(frozen=True)
class EvidenceMap:
    """Evidence of one school year through one framework: the items shown under each element, the
    coverage per element and per section, and the list of missing evidence."""

    framework: Framework
    items: pd.DataFrame  # evidence_items
    elements: pd.DataFrame  # element_coverage
    principles: pd.DataFrame  # principle_coverage
    missing: pd.DataFrame  # missing_evidence
    thin_evidence_words: int
    crosswalk_file: str
    #: whether the crosswalk links any element of this framework at all (a custom framework may have none)
    linkable: bool = True

    @property
    def linked_items(self) -> pd.DataFrame:
        """The items recorded under another framework's element (shown here through the crosswalk)."""
        return self.items[~self.items["direct"]]


def build_evidence_map(
    framework: Framework,
    elements: pd.DataFrame,
    year_evidence: Iterable[Mapping] = (),
    crosswalk: Crosswalk | None = None,
) -> EvidenceMap:
    """The :class:`EvidenceMap` of one school year's elements (:func:`wqm_nb.model.sef.sef_elements`) and
    the rows of :func:`year_evidence`."""
    crosswalk = crosswalk or load_crosswalk()
    items = evidence_items(framework, elements, year_evidence, crosswalk)
    coverage = element_coverage(elements, items)
    linkable = any(crosswalk.linked(framework.id, eid) for eid in framework.element_ids)
    return EvidenceMap(
        framework=framework,
        items=items,
        elements=coverage,
        principles=principle_coverage(framework, coverage),
        missing=missing_evidence(coverage, crosswalk.thin_evidence_words),
        thin_evidence_words=crosswalk.thin_evidence_words,
        crosswalk_file=crosswalk.path,
        linkable=linkable,
    )


def evidence_map(assessment: SchoolAssessment, crosswalk: Crosswalk | None = None) -> EvidenceMap:
    """The :class:`EvidenceMap` of an assessment's current year."""
    return build_evidence_map(assessment.framework, assessment.current.elements, assessment.year_evidence, crosswalk)
