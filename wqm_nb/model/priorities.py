"""Priorities through the NCB framing principles tool's two lenses: risk and capacity.

:func:`prioritise` (:func:`prioritise_school` for a
:class:`~wqm_nb.model.assessment.SchoolAssessment`'s current year) places
each section (WQM principle, VbE aspect, L&M key question) on the risk x
capacity grid by the rules of ``decisions.priorities``
(:class:`~wqm_nb.data.decision_rules.PriorityRules`), reading the 0..1
positions of :mod:`wqm_nb.model.triangulation`. It returns a
:class:`Priorities`: ``table`` (:data:`TABLE_COLUMNS`, a row per section: its
quadrant, a key of :data:`QUADRANTS` in the order the report lists them, and
both axis scores, 0..1 with the rule's line at :data:`LINE`), ``sorting``
(:func:`sorting_summary`: the school's own sorting of its elements,
:data:`~wqm_nb.data.frameworks.SORTINGS`, counted per section) and
``discuss`` (:func:`to_discuss`: the elements to talk through with the
school). Only published figures are read: a hidden group is never a concern
and never removes one.

Method: docs/methodology.md, "Priorities" (the indicators, the capacity components and where a point sits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import Framework, QuestionBank
from ..data.decision_rules import PriorityRules
from ..data.frameworks import SORTINGS
from .assessment import SchoolAssessment
from .triangulation import BLIND_SPOT, RATING, Triangulation, points, rating_position, triangulate
from .year import YearResult

ACT_FIRST, ACT_NOW, BUILD_UP, SUSTAIN = "act_first", "act_now", "build_up", "sustain"
#: quadrant id -> (high risk, high capacity, label, what it means), in the order the report lists them
QUADRANTS: dict[str, tuple[bool, bool, str, str]] = {
    ACT_FIRST: (
        True,
        False,
        "Act first: high risk, low capacity",
        "concerns are showing and the practice to meet them is not yet in place: plan support first",
    ),
    ACT_NOW: (
        True,
        True,
        "Act now: high risk, high capacity",
        "concerns are showing, but the practice and evidence are there: turn them to the concern",
    ),
    BUILD_UP: (
        False,
        False,
        "Build up: low risk, low capacity",
        "no pressing concern; the practice is still developing: build it steadily",
    ),
    SUSTAIN: (
        False,
        True,
        "Sustain and share: low risk, high capacity",
        "established practice with no concern showing: keep it going and share it with others",
    ),
}
LINE = 0.5  # each axis's rule line
LOW_TOP, HIGH_BOTTOM = 0.45, 0.55
TOLERANCE = 1e-9  # a value exactly at a threshold counts as reaching it, whatever the floating point
UNSORTED = "unsorted"
SORTING_COLUMNS = ["principle_id", "principle", *SORTINGS, UNSORTED, "elements"]
TABLE_COLUMNS = [
    "principle_id",
    "principle",
    "quadrant",
    "high_risk",
    "risk",
    "concerns",
    "high_capacity",
    "capacity",
    "maturity_position",
    "evidence_share",
    "audit_position",
    "capacity_notes",
]
DISCUSS_COLUMNS = ["principle_id", "element_id", "element", "sorting", "why"]


def quadrant_of(high_risk: bool, high_capacity: bool) -> str:
    """The quadrant id of a risk and capacity judgement."""
    return next(q for q, (r, c, _, _) in QUADRANTS.items() if r == high_risk and c == high_capacity)


def at_least_score(value: float, threshold: float) -> float:
    """A value's place on an axis whose line (0.5) is ``threshold``: below it 0..0.45, at or above 0.55..1."""
    if value >= threshold - TOLERANCE:
        over = (value - threshold) / (1 - threshold) if threshold < 1 else 1.0
        return HIGH_BOTTOM + (1 - HIGH_BOTTOM) * min(1.0, max(0.0, over))
    return LOW_TOP * value / threshold


def below_score(share: float, threshold: float) -> float:
    """The risk of a share whose concern is being below ``threshold``: below it 0.55..1, at or above 0..0.45."""
    if share < threshold:
        return HIGH_BOTTOM + (1 - HIGH_BOTTOM) * (threshold - share) / threshold
    return LOW_TOP * ((1 - share) / (1 - threshold) if threshold < 1 else 0.0)


def high_score(fraction: float) -> float:
    """The risk of a concern present to a degree ``fraction`` (0..1): 0.55..1."""
    return HIGH_BOTTOM + (1 - HIGH_BOTTOM) * min(1.0, max(0.0, fraction))


@dataclass(frozen=True)
class Priorities:
    """Every section on the risk x capacity grid, and the school's sorting.

    ``table`` (:data:`TABLE_COLUMNS`), one row per section in framework order:
    ``quadrant`` (a key of :data:`QUADRANTS`), ``high_risk`` and ``risk`` (the
    axis score), ``concerns`` (the concern indicators in words, a tuple),
    ``high_capacity`` and ``capacity`` (the axis score), its components
    ``maturity_position``, ``evidence_share`` and ``audit_position`` (NaN when
    not published or not mapped) and ``capacity_notes`` (the components below
    their threshold, in words).
    """

    framework: Framework
    table: pd.DataFrame
    sorting: pd.DataFrame  # sorting_summary
    discuss: pd.DataFrame  # to_discuss
    rules: PriorityRules
    rated: bool  # whether any element is rated this year
    #: the name of the rating survey (staff audit) the framework maps, whose position counts toward capacity;
    #: '' when the framework maps none
    audit: str = ""

    def in_quadrant(self, quadrant: str) -> pd.DataFrame:
        """The sections in one quadrant, highest risk first (then lowest capacity)."""
        rows = self.table[self.table["quadrant"] == quadrant]
        return rows.sort_values(["risk", "capacity"], ascending=[False, True], kind="stable").reset_index(drop=True)

    def quadrant(self, principle_id: str) -> str:
        """One section's quadrant id."""
        return str(self.table.set_index("principle_id").loc[principle_id, "quadrant"])


def prioritise(
    framework: Framework,
    bank: QuestionBank,
    year: YearResult,
    triangulation: Triangulation | None = None,
    rules: PriorityRules | None = None,
) -> Priorities:
    """Place every section of one year on the risk x capacity grid (rules: the framework's
    ``decisions.priorities`` unless given) and summarise the school's sorting."""
    rules = rules or framework.decisions.priorities
    tri = triangulation or triangulate(framework, bank, year)
    scale = framework.scale
    flags = tri.principles.set_index("principle_id")
    by_section = year.elements_by_section
    rows = []
    for p in framework.principles:
        elements = by_section.get(p.id, year.elements.iloc[0:0])
        concerns, risk_scores = [], [0.0]
        for r in year.figures.for_section(p.id).itertuples():
            risk_scores.append(below_score(float(r.agree_share), rules.risk_agreement_below))
            if r.agree_share < rules.risk_agreement_below:
                concerns.append(
                    f"{r.survey_name.lower()} {r.agree_share:.0%} agree (n={r.n}), below "
                    f"{rules.risk_agreement_below:.0%}"
                )
        flag = flags.loc[p.id]
        if rules.blind_spot_is_risk and flag["flag"] == BLIND_SPOT:
            gap_rule = tri.rules.blind_spot_gap
            risk_scores.append(high_score((flag["gap"] - gap_rule) / (1 - gap_rule) if gap_rule < 1 else 1.0))
            concerns.append(f"a blind spot: leaders {points(flag['gap'])} points above stakeholders")
        positions = [rating_position(v, scale.min, scale.max) for v in elements["rating"]]
        low = [
            e
            for e, pos in zip(elements.itertuples(), positions, strict=False)
            if not pd.isna(pos) and pos <= rules.low_element_position_at_most + TOLERANCE
        ]
        unrated = [e for e in elements.itertuples() if pd.isna(e.rating)] if rules.unrated_is_risk else []
        if low:
            concerns.append("rated low: " + ", ".join(f"{e.element_id} {e.level}" for e in low))
        if unrated:
            concerns.append("not yet rated: " + ", ".join(e.element_id for e in unrated))
        if low or unrated:
            risk_scores.append(high_score((len(low) + len(unrated)) / max(len(elements), 1)))

        mean = elements["rating"].mean() if len(elements) else np.nan
        maturity = rating_position(mean, scale.min, scale.max)
        with_evidence = int(elements["has_evidence"].sum())
        evidence = with_evidence / len(elements) if len(elements) else 0.0
        audit_view = next((v for v in tri.views if v.kind == RATING), None)
        audit = tri.position(p.id, audit_view.id) if audit_view is not None else np.nan
        # (score on the axis, the words when below the threshold) per component
        parts = [
            (0.0, "not rated")
            if pd.isna(maturity)
            else (
                at_least_score(maturity, rules.capacity_position_at_least),
                f"maturity {points(maturity)} of 100 ({mean:.1f} of {scale.max}), needs "
                f"{points(rules.capacity_position_at_least)}",
            ),
            (
                at_least_score(evidence, rules.capacity_evidence_share_at_least),
                f"evidence for {with_evidence} of {len(elements)} elements ({evidence:.0%}), needs "
                f"{rules.capacity_evidence_share_at_least:.0%}",
            ),
        ]
        if audit_view is not None and not pd.isna(audit):  # no audit view: no audit position
            parts.append(
                (
                    at_least_score(audit, rules.capacity_audit_position_at_least),
                    f"{audit_view.name.lower()} {points(audit)} of 100, needs "
                    f"{points(rules.capacity_audit_position_at_least)}",
                )
            )
        notes = tuple(words for score, words in parts if score < HIGH_BOTTOM)
        capacity = min(score for score, _ in parts)
        high_risk, high_capacity = bool(concerns), not notes
        rows.append(
            dict(
                principle_id=p.id,
                principle=p.name,
                quadrant=quadrant_of(high_risk, high_capacity),
                high_risk=high_risk,
                risk=max(risk_scores),
                concerns=tuple(concerns),
                high_capacity=high_capacity,
                capacity=capacity,
                maturity_position=maturity,
                evidence_share=evidence,
                audit_position=audit,
                capacity_notes=notes,
            )
        )
    return Priorities(
        framework=framework,
        table=pd.DataFrame(rows, columns=TABLE_COLUMNS),
        sorting=sorting_summary(framework, year.elements),
        discuss=to_discuss(framework, year.elements, rules),
        rules=rules,
        rated=bool(year.elements["rating"].notna().any()),
        audit=next((v.name for v in tri.views if v.kind == RATING), ""),
    )


def sorting_summary(framework: Framework, elements: pd.DataFrame) -> pd.DataFrame:
    """Per section, how many elements the school sorted into each of :data:`SORTINGS`, how many it has not
    sorted, and how many elements the section has (:data:`SORTING_COLUMNS`)."""
    rows = []
    for p in framework.principles:
        sub = elements[elements["principle_id"] == p.id]
        sortings = sub["sorting"].fillna("")
        counts = {code: int((sortings == code).sum()) for code in SORTINGS}
        rows.append(
            dict(
                principle_id=p.id,
                principle=p.name,
                **counts,
                **{UNSORTED: int(len(sub) - sum(counts.values()))},
                elements=len(sub),
            )
        )
    return pd.DataFrame(rows, columns=SORTING_COLUMNS)


def to_discuss(framework: Framework, elements: pd.DataFrame, rules: PriorityRules | None = None) -> pd.DataFrame:
    """The elements to talk through with the school (:data:`DISCUSS_COLUMNS`): those it does not want or
    does not understand (``not_for_us``), then those it says it does now (``doing_now``) but rates low or
    holds no evidence for."""
    rules = rules or framework.decisions.priorities
    scale = framework.scale
    rows = []
    for e in elements[elements["sorting"] == "not_for_us"].itertuples():
        rows.append(
            dict(
                principle_id=e.principle_id,
                element_id=e.element_id,
                element=e.element,
                sorting=e.sorting,
                why=SORTINGS["not_for_us"],
            )
        )
    for e in elements[elements["sorting"] == "doing_now"].itertuples():
        position = rating_position(e.rating, scale.min, scale.max)
        why = []
        if pd.isna(position):
            why.append("not rated")
        elif position <= rules.low_element_position_at_most + TOLERANCE:
            why.append(f"rated {e.level}")
        if not e.has_evidence:
            why.append("no evidence recorded")
        if why:
            rows.append(
                dict(
                    principle_id=e.principle_id,
                    element_id=e.element_id,
                    element=e.element,
                    sorting=e.sorting,
                    why=f"{SORTINGS['doing_now']}, but " + " and ".join(why),
                )
            )
    return pd.DataFrame(rows, columns=DISCUSS_COLUMNS)


def prioritise_school(assessment: SchoolAssessment, triangulation: Triangulation | None = None) -> Priorities:
    """:func:`prioritise` for a :class:`~wqm_nb.model.assessment.SchoolAssessment`'s current year."""
    return prioritise(assessment.framework, assessment.bank, assessment.current, triangulation)


__all__ = [
    "ACT_FIRST",
    "ACT_NOW",
    "BUILD_UP",
    "DISCUSS_COLUMNS",
    "Priorities",
    "QUADRANTS",
    "SORTING_COLUMNS",
    "SUSTAIN",
    "UNSORTED",
    "at_least_score",
    "below_score",
    "high_score",
    "prioritise",
    "prioritise_school",
    "quadrant_of",
    "sorting_summary",
    "to_discuss",
]
