"""A school year at a glance: the debrief's first page, written from the models the report already has.

:func:`at_a_glance` gathers, with no rule of its own:

* the award position and exactly what is missing for the next level (the readiness gaps, which the capture
  form lists as "still missing"), or for a checklist framework its completion; a framework's reflections
  (VbE's stand-out area and next steps) as recorded;
* the three strengths (:attr:`~wqm_nb.model.assessment.SchoolAssessment.strengths`, strongest first) and
  three priorities, in the risk x capacity grid's own order (act first, then act now, then build up;
  :mod:`wqm_nb.model.priorities`);
* blind spots and hidden strengths (:mod:`wqm_nb.model.triangulation`);
* the changes since last year that the trends rule calls (:mod:`wqm_nb.model.trends`);
* the responses per survey, as published (a hidden count says why);
* the suggested next steps (:func:`wqm_nb.model.action_plan.suggest_targets`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..data.surveys import MEASURE_RATING
from .action_plan import suggest_targets
from .assessment import SchoolAssessment
from .priorities import QUADRANTS, SUSTAIN, Priorities
from .trends import Trends
from .triangulation import Triangulation

#: How many strengths and priorities the page names.
TOP = 3


@dataclass(frozen=True)
class AtAGlance:
    """What the debrief's first page says (see the module notes)."""

    position: str
    next_level: str
    missing: tuple[str, ...]
    reflections: tuple[tuple[str, str], ...]
    strengths: tuple[tuple[str, str], ...]  # (section, why)
    priorities: tuple[tuple[str, str, str], ...]  # (section, quadrant label, concerns)
    blind_spots: tuple[str, ...]
    hidden_strengths: tuple[str, ...]
    changes: tuple[str, ...]
    responses: tuple[str, ...]
    next_steps: tuple[str, ...]
    #: whether the framework has award levels (the report's header states the position then; a checklist's
    #: completion is said here)
    award: bool = True


def _position(a: SchoolAssessment) -> tuple[str, str, tuple[str, ...]]:
    """The award position, the next level's name and what is missing for it (a checklist: its completion)."""
    fw = a.framework
    if a.readiness is None:
        elements = a.current.elements
        rated = int(elements["level"].notna().sum()) if "level" in elements else 0
        return f"{rated} of {len(elements)} checklist items rated in {a.year}.", "", ()
    r = a.readiness
    held = (
        f"Meets the criteria for {r.achieved.name}"
        if r.achieved
        else f"Does not yet meet the criteria for {fw.levels[0].name}"
    )
    nxt = r.next_level
    if nxt is None:
        return f"{held} in {a.year}: the highest level.", "", ()
    missing = [f"{pid} {fw.principle(pid).name}: {'; '.join(gaps)}" for pid, gaps in r.gaps[nxt.id].items() if gaps]
    missing += list(getattr(r, "level_gaps", {}).get(nxt.id, ()))
    return f"{held} in {a.year}.", nxt.name, tuple(missing)


def response_counts(a: SchoolAssessment) -> tuple[str, ...]:
    """The responses per survey as published (``Staff survey: 24``; a hidden count gives its reason): every
    stakeholder survey, and a rating survey (the staff audit) only when the school ran it."""
    figures = a.current.figures
    return tuple(
        f"{r.survey_name}: {r.reason or r.n}"
        for r in figures.totals.itertuples()
        if r.measure != MEASURE_RATING or figures.responded(r.survey)
    )


def _priorities(priorities: Priorities) -> tuple[tuple[str, str, str], ...]:
    """Up to three sections to act on, in the grid's order (act first, act now, build up), riskiest first."""
    order = {q: k for k, q in enumerate(QUADRANTS)}
    table = priorities.table[priorities.table["quadrant"] != SUSTAIN].copy()
    table["order"] = table["quadrant"].map(order)
    table = table.sort_values(["order", "risk"], ascending=[True, False], kind="stable")
    return tuple(
        (f"{r.principle_id} {r.principle}", QUADRANTS[r.quadrant][2].split(":")[0], "; ".join(r.concerns))
        for r in table.head(TOP).itertuples()
    )


def at_a_glance(
    a: SchoolAssessment, priorities: Priorities, triangulation: Triangulation, trends: Trends, report_date: date
) -> AtAGlance:
    """The debrief's first page for ``a`` (see the module notes)."""
    position, next_level, missing = _position(a)
    reflections = tuple(
        (r.title, a.current.reflections.get(r.id, {}).get("text", ""))
        for r in a.framework.reflections
        if a.current.reflections.get(r.id, {}).get("text")
    )
    strengths = tuple((f"{r.principle_id} {r.principle}", r.statement) for r in a.strengths.head(TOP).itertuples())
    blind = tuple(f"{r.principle_id} {r.principle}" for r in triangulation.blind_spots.itertuples())
    hidden = tuple(f"{r.principle_id} {r.principle}" for r in triangulation.hidden_strengths.itertuples())
    responses = response_counts(a)
    steps = tuple(f"{s.principle_id}: {s.text}" for s in suggest_targets(a.framework, a.current, report_date))
    return AtAGlance(
        position,
        next_level,
        missing,
        reflections,
        strengths,
        _priorities(priorities),
        blind,
        hidden,
        tuple(trends.sentences()) if trends.has_previous else (),
        responses,
        steps,
        a.readiness is not None,
    )


__all__ = ["TOP", "AtAGlance", "at_a_glance", "response_counts"]
