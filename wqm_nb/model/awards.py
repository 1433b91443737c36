"""Award readiness: the framework's levels and criteria applied to a school's years.

The rules are data (the framework YAML's ``levels``); this module only reads
them. :func:`readiness` gives a :class:`Readiness` from a school's
:class:`~wqm_nb.model.year.YearResult` history and its award decisions;
:func:`principle_gaps` says why a section misses a level's criteria in one
year; :func:`held_level` gives a :class:`HeldLevel`, whether a level is held
long enough before an assessed year by the decisions that count
(:func:`current_decisions`: none superseded). Survey criteria read only
published stakeholder agreement
(:meth:`~wqm_nb.model.figures.PublishedFigures.for_section`).

Method: docs/methodology.md, "Award rules" (the criteria, and how years held are counted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from ..data import Framework
from ..data.frameworks import Criteria, HeldRequirement, Level
from .judgements import pct
from .year import YearResult


def principle_gaps(criteria: Criteria, principle_id: str, year: YearResult, framework: Framework) -> list[str]:
    """Why a section does not meet a level's criteria in one year ([] if it does)."""
    gaps = []
    sub = year.elements_by_section.get(principle_id, year.elements.iloc[0:0])
    unrated = sub[sub["rating"].isna()]
    if len(unrated):
        gaps.append("not rated: " + ", ".join(unrated["element_id"]))
    rated = sub[sub["rating"].notna()]
    if criteria.min_principle_mean is not None:
        mean = sub["rating"].mean()
        if not mean >= criteria.min_principle_mean:
            gaps.append(f"mean maturity {round(mean, 2):g} below {criteria.min_principle_mean:g}")
    if criteria.min_element_rating is not None:
        low = rated[rated["rating"] < criteria.min_element_rating]
        gaps += [f"{r.element_id} rated {r.rating:.0f} (needs {criteria.min_element_rating})" for r in low.itertuples()]
    if criteria.evidence_required:
        missing = rated[~rated["has_evidence"]]
        if len(missing):
            gaps.append("no evidence for " + ", ".join(missing["element_id"]))
    if criteria.min_stakeholder_agreement is not None:
        reported = year.figures.for_section(principle_id)
        if not len(reported):
            gaps.append("no reportable stakeholder survey results")
        for r in reported[reported["agree_share"] < criteria.min_stakeholder_agreement].itertuples():
            gaps.append(
                f"{r.survey_name.lower()}: {pct(r.agree_share)} agree (needs {pct(criteria.min_stakeholder_agreement)})"
            )
    return gaps


def _start(academic_year: str) -> int:
    """The first calendar year of an academic year (``2025-26`` -> 2025)."""
    return int(str(academic_year)[:4])


def current_decisions(decisions: Iterable[Mapping], framework_id: str | None = None) -> list[dict]:
    """The decisions that count, oldest first (academic year, date, id): those not superseded by another
    decision in ``decisions`` (pass the store's current decisions, or its whole history), of
    ``framework_id`` when given."""
    rows = [dict(d) for d in decisions]
    superseded = {d.get("supersedes") for d in rows if d.get("supersedes") is not None}
    kept = [d for d in rows if d.get("decision_id") is None or d.get("decision_id") not in superseded]
    if framework_id is not None:
        kept = [d for d in kept if d.get("framework", framework_id) == framework_id]
    return sorted(
        kept, key=lambda d: (str(d["academic_year"]), str(d.get("decided_on") or ""), d.get("decision_id") or 0)
    )


@dataclass(frozen=True)
class HeldLevel:
    """Whether a school holds a level before an assessed year, by its recorded award decisions."""

    level: str  # level id
    level_name: str
    year: str  # the assessed academic year
    years_required: int
    since: str | None = None  # academic year of the award the holding started with (None: not held)
    decision: dict | None = None  # that awarded decision
    ended_by: dict | None = None  # the decision that ended an earlier holding (withdrawn, not_awarded)

    @property
    def held(self) -> bool:
        return self.since is not None

    @property
    def years_held(self) -> int:
        """Years from the award's academic year to the assessed one (0 when not held)."""
        return _start(self.year) - _start(self.since) if self.since else 0

    @property
    def met(self) -> bool:
        return self.held and self.years_held >= self.years_required

    @property
    def requirement(self) -> str:
        """What the rule asks, in words."""
        if self.years_required:
            return (
                f"{self.level_name} held for at least {self.years_required} year"
                f"{'s' if self.years_required != 1 else ''} before {self.year}"
            )
        return f"{self.level_name} held (awarded in {self.year} or before)"

    @property
    def statement(self) -> str:
        """The record behind the judgement, in words."""
        if self.held:
            by = f" by {self.decision['assessor']}" if self.decision and self.decision.get("assessor") else ""
            on = f" on {self.decision['decided_on']}" if self.decision and self.decision.get("decided_on") else ""
            return (
                f"{self.level_name} awarded in {self.since}{on}{by}: held {self.years_held} year"
                f"{'s' if self.years_held != 1 else ''} before {self.year}"
            )
        if self.ended_by:
            outcome = str(self.ended_by["outcome"]).replace("_", " ")
            return f"{self.level_name} not held: {outcome} in {self.ended_by['academic_year']}"
        return f"{self.level_name} not held: no award recorded"

    @property
    def reason(self) -> str:
        """Why the rule is not met ('' when it is)."""
        if self.met:
            return ""
        return f"needs {self.requirement} ({self.statement})"


def held_level(
    decisions: Iterable[Mapping], requirement: HeldRequirement, year: str, framework: Framework
) -> HeldLevel:
    """Whether the decisions show ``requirement.level`` held long enough before the assessed ``year``
    (see the module notes for how years are counted)."""
    since, decision, ended = None, None, None
    for d in current_decisions(decisions, framework.id):
        if d["level"] != requirement.level or str(d["academic_year"]) > year:
            continue
        if d["outcome"] == "awarded":
            if since is None:
                since, decision = str(d["academic_year"]), d
        elif d["outcome"] in ("withdrawn", "not_awarded") and since is not None:
            since, decision, ended = None, None, d
    return HeldLevel(
        level=requirement.level,
        level_name=framework.level(requirement.level).name,
        year=year,
        years_required=requirement.years,
        since=since,
        decision=decision,
        ended_by=None if since else ended,
    )


def consecutive_years(years: list[YearResult], i: int) -> int:
    """How many consecutive academic years end with year ``i``."""
    streak = 1
    while i - streak >= 0 and (int(years[i - streak + 1].year[:4]) - int(years[i - streak].year[:4])) == 1:
        streak += 1
    return streak


@dataclass
class Readiness:
    """Readiness of the latest year against every award level."""

    framework: Framework
    year: str
    table: pd.DataFrame  # principle rows x level columns: True/False
    gaps: dict[str, dict[str, list[str]]]  # level -> principle -> reasons
    met: dict[str, bool]  # level -> met overall in the latest year
    history: dict[str, dict[str, bool]] = field(default_factory=dict)  # level -> year -> met
    #: level -> the ``requires_held`` check in the latest year (levels with that rule only)
    held: dict[str, HeldLevel] = field(default_factory=dict)
    #: level -> reasons that are the school's, not a section's (a level not held long enough)
    level_gaps: dict[str, list[str]] = field(default_factory=dict)

    @property
    def achieved(self) -> Level | None:
        """Highest level met in the latest year."""
        best = None
        for level in self.framework.levels:
            if self.met[level.id]:
                best = level
        return best

    @property
    def next_level(self) -> Level | None:
        """Lowest level not yet met."""
        for level in self.framework.levels:
            if not self.met[level.id]:
                return level
        return None


def readiness(framework: Framework, years: list[YearResult], decisions: Iterable[Mapping] = ()) -> Readiness:
    """Apply the framework's award rules to a school's years (any order); the
    latest year is the one assessed.

    A level is met in a year when every section meets its criteria in
    ``consecutive_cycles`` consecutive academic years ending with that year,
    the level it ``requires`` is met in that year too, and the level its
    ``requires_held`` names has been held long enough by the school's award
    ``decisions`` (``store.award_decisions``; none given: none recorded, so
    such a level is not met).
    """
    if not framework.has_levels:
        raise ValueError(f"{framework.id} has no award levels")
    if not years:
        raise ValueError("readiness needs at least one year")
    years = sorted(years, key=lambda y: y.year)
    latest = len(years) - 1
    # own[level][i][section] -> gaps in year i alone
    own = {
        lv.id: [{p.id: principle_gaps(lv.criteria, p.id, y, framework) for p in framework.principles} for y in years]
        for lv in framework.levels
    }
    decisions = current_decisions(decisions, framework.id)
    met_history: dict[str, dict[str, bool]] = {}
    gaps_latest: dict[str, dict[str, list[str]]] = {}
    held_latest: dict[str, HeldLevel] = {}
    level_gaps: dict[str, list[str]] = {}
    table = {}
    for lv in framework.levels:
        n = lv.criteria.consecutive_cycles
        met_history[lv.id] = {}
        for i, result in enumerate(years):
            streak = consecutive_years(years, i)
            window = range(i - min(streak, n) + 1, i + 1)
            per_principle = {}
            for p in framework.principles:
                reasons = []
                if streak < n:
                    reasons.append(f"needs {n} consecutive years of evidence (has {streak})")
                for j in window:
                    prefix = f"{years[j].year}: " if n > 1 else ""
                    reasons += [prefix + g for g in own[lv.id][j][p.id]]
                per_principle[p.id] = reasons
            requirement_met = lv.requires is None or met_history[lv.requires][result.year]
            held = (
                held_level(decisions, lv.criteria.requires_held, result.year, framework)
                if lv.criteria.requires_held
                else None
            )
            met_history[lv.id][result.year] = (
                requirement_met and (held is None or held.met) and not any(per_principle.values())
            )
            if i == latest:
                gaps_latest[lv.id] = per_principle
                table[lv.name] = {p.id: not per_principle[p.id] for p in framework.principles}
                level_gaps[lv.id] = [held.reason] if held is not None and not held.met else []
                if held is not None:
                    held_latest[lv.id] = held
    assessed = years[latest].year
    frame = pd.DataFrame(table)
    frame.insert(0, "principle", [framework.principle(pid).name for pid in frame.index])
    frame.index.name = "principle_id"
    return Readiness(
        framework=framework,
        year=assessed,
        table=frame,
        gaps=gaps_latest,
        met={lv: hist[assessed] for lv, hist in met_history.items()},
        history=met_history,
        held=held_latest,
        level_gaps=level_gaps,
    )
