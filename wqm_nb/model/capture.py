"""Progress of a self-evaluation while it is being captured: :func:`capture_progress`.

The capture form shows, live, per section how many elements are rated and
how many have evidence, with the mean rating, and in its header the overall
completion and what is still missing for the next award level. The missing
list is the award rules' own (:func:`wqm_nb.model.awards.readiness`) applied
to the school's earlier years plus the year being captured, with its current
element states, so the form and the report can never disagree.

Pure: element states and earlier :class:`~wqm_nb.model.year.YearResult` in,
a :class:`CaptureProgress` out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import pandas as pd

from ..data import Framework
from ..data.frameworks import Level
from .awards import readiness
from .sef import sef_elements, sef_principles
from .year import YearResult

#: The key of :attr:`CaptureProgress.missing` for what the award record lacks (not a section's).
AWARD_RECORD = "Award record"


@dataclass(frozen=True)
class SectionProgress:
    """One section (principle, aspect, key question) of the form."""

    principle_id: str
    name: str
    elements: int
    rated: int
    with_evidence: int
    complete: int  # rated and with evidence
    mean: float | None  # mean rating of the rated elements

    @property
    def summary(self) -> str:
        """``3 of 6 rated, 2 with evidence, mean 2.7`` (or ``no ratings yet``)."""
        mean = f", mean {self.mean:.1f}" if self.mean is not None else ""
        return f"{self.rated} of {self.elements} rated, {self.with_evidence} with evidence{mean}"


@dataclass(frozen=True)
class CaptureProgress:
    """The whole form: sections, totals and the next level's missing criteria."""

    sections: tuple[SectionProgress, ...]
    achieved: Level | None  # highest level met with the current values
    next_level: Level | None  # lowest level not met (None: all met, or no levels)
    missing: dict[str, list[str]]  # section id -> why the next level is not met there (key
    # AWARD_RECORD: the school's own, a level not held long enough)
    has_levels: bool

    @property
    def elements(self) -> int:
        return sum(s.elements for s in self.sections)

    @property
    def complete(self) -> int:
        return sum(s.complete for s in self.sections)

    @property
    def rated(self) -> int:
        return sum(s.rated for s in self.sections)

    @property
    def with_evidence(self) -> int:
        return sum(s.with_evidence for s in self.sections)

    @property
    def percent_complete(self) -> int:
        """Elements rated with evidence, as a whole percentage."""
        return round(100 * self.complete / self.elements) if self.elements else 0


def current_year_result(framework: Framework, current: Mapping[str, Mapping], base: YearResult) -> YearResult:
    """``base`` (the year being captured, with its published figures) with the element states in ``current``."""
    ratings = pd.DataFrame(
        [dict(element_id=k, rating=v.get("rating"), evidence=v.get("evidence", "")) for k, v in current.items()],
        columns=["element_id", "rating", "evidence"],
    )
    elements = sef_elements(framework, ratings)
    return replace(base, elements=elements, principles=sef_principles(framework, elements))


def capture_progress(
    framework: Framework,
    current: Mapping[str, Mapping],
    base: YearResult,
    earlier: tuple[YearResult, ...] = (),
    decisions: Iterable[Mapping] = (),
) -> CaptureProgress:
    """Progress of the year ``base`` with the element states ``current`` (``{element_id: {rating,
    evidence, ...}}``), judged with the school's ``earlier`` years and its recorded award ``decisions``
    (a level that ``requires_held`` another) by the framework's award rules."""
    year = current_year_result(framework, current, base)
    sections = []
    for p in framework.principles:
        rows = year.elements[year.elements["principle_id"] == p.id]
        rated = rows["rating"].notna()
        mean = rows.loc[rated, "rating"].mean() if rated.any() else None
        sections.append(
            SectionProgress(
                principle_id=p.id,
                name=p.name,
                elements=len(rows),
                rated=int(rated.sum()),
                with_evidence=int(rows["has_evidence"].sum()),
                complete=int((rated & rows["has_evidence"]).sum()),
                mean=float(mean) if mean is not None else None,
            )
        )
    if not framework.has_levels:
        return CaptureProgress(tuple(sections), None, None, {}, False)
    result = readiness(framework, [*earlier, year], decisions)
    nxt = result.next_level
    missing = {pid: reasons for pid, reasons in result.gaps[nxt.id].items() if reasons} if nxt else {}
    if nxt and result.level_gaps.get(nxt.id):
        missing = {AWARD_RECORD: result.level_gaps[nxt.id], **missing}
    return CaptureProgress(tuple(sections), result.achieved, nxt, missing, True)


__all__ = ["AWARD_RECORD", "CaptureProgress", "SectionProgress", "capture_progress", "current_year_result"]
