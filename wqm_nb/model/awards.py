"""Award readiness: the framework's levels and criteria applied to a school's years.

The rules are data (the framework YAML's ``levels``); this module only reads
them. Survey criteria read the published figures, so a suppressed group
counts neither for nor against a school, and only stakeholder agreement
(:meth:`~wqm_nb.model.figures.PublishedFigures.for_section`): the staff
audit (measure ``rating``) is staff's view of practice and never counts
toward ``min_stakeholder_agreement``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..data import Framework
from ..data.frameworks import Criteria, Level
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
        gaps += [f"{r.element_id} rated {r.rating:.0f} (needs {criteria.min_element_rating})"
                 for r in low.itertuples()]
    if criteria.evidence_required:
        missing = rated[~rated["has_evidence"]]
        if len(missing):
            gaps.append("no evidence for " + ", ".join(missing["element_id"]))
    if criteria.min_stakeholder_agreement is not None:
        reported = year.figures.for_section(principle_id)
        if not len(reported):
            gaps.append("no reportable stakeholder survey results")
        for r in reported[reported["agree_share"] < criteria.min_stakeholder_agreement].itertuples():
            gaps.append(f"{r.survey_name.lower()}: {pct(r.agree_share)} agree "
                        f"(needs {pct(criteria.min_stakeholder_agreement)})")
    return gaps


def _streak(years: list[YearResult], i: int) -> int:
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
    table: pd.DataFrame                       # principle rows x level columns: True/False
    gaps: dict[str, dict[str, list[str]]]     # level -> principle -> reasons
    met: dict[str, bool]                      # level -> met overall in the latest year
    history: dict[str, dict[str, bool]] = field(default_factory=dict)  # level -> year -> met

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


def readiness(framework: Framework, years: list[YearResult]) -> Readiness:
    """Apply the framework's award rules to a school's years (any order); the
    latest year is the one assessed.

    A level is met in a year when every section meets its criteria in
    ``consecutive_cycles`` consecutive academic years ending with that year
    and the level it ``requires`` is met in that year too.
    """
    if not framework.has_levels:
        raise ValueError(f"{framework.id} has no award levels")
    if not years:
        raise ValueError("readiness needs at least one year")
    years = sorted(years, key=lambda y: y.year)
    latest = len(years) - 1
    # own[level][i][section] -> gaps in year i alone
    own = {lv.id: [{p.id: principle_gaps(lv.criteria, p.id, y, framework) for p in framework.principles}
                   for y in years] for lv in framework.levels}
    met_history: dict[str, dict[str, bool]] = {}
    gaps_latest: dict[str, dict[str, list[str]]] = {}
    table = {}
    for lv in framework.levels:
        n = lv.criteria.consecutive_cycles
        met_history[lv.id] = {}
        for i, result in enumerate(years):
            streak = _streak(years, i)
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
            met_history[lv.id][result.year] = requirement_met and not any(per_principle.values())
            if i == latest:
                gaps_latest[lv.id] = per_principle
                table[lv.name] = {p.id: not per_principle[p.id] for p in framework.principles}
    assessed = years[latest].year
    frame = pd.DataFrame(table)
    frame.insert(0, "principle", [framework.principle(pid).name for pid in frame.index])
    frame.index.name = "principle_id"
    return Readiness(framework=framework, year=assessed, table=frame, gaps=gaps_latest,
                     met={lv: hist[assessed] for lv, hist in met_history.items()}, history=met_history)
