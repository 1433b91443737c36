"""Analysis of one school's cycle: SEF ratings, stakeholder surveys, strengths
and areas for development, and readiness against the award levels.

Pure functions on DataFrames; loading lives in :mod:`wqm_nb.report`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .frameworks import Criteria, Framework, Level, QuestionBank

DEFAULT_MIN_GROUP_SIZE = 5


# --------------------------------------------------------------------------
# SEF ratings


def sef_elements(framework: Framework, ratings: pd.DataFrame) -> pd.DataFrame:
    """One row per framework element, in framework order, with its current
    rating (NaN when unrated), the scale label and the evidence."""
    current = {r["element_id"]: r for r in ratings.to_dict("records")} if len(ratings) else {}
    rows = []
    for p, e in framework.elements:
        r = current.get(e.id, {})
        rating = r.get("rating")
        evidence = (r.get("evidence") or "").strip()
        rows.append(dict(principle_id=p.id, principle=p.name, element_id=e.id, element=e.text,
                         rating=float(rating) if rating is not None else np.nan,
                         level=framework.scale.label(rating), evidence=evidence,
                         has_evidence=bool(evidence)))
    return pd.DataFrame(rows)


def sef_principles(framework: Framework, elements: pd.DataFrame) -> pd.DataFrame:
    """Per principle: mean and lowest rating, elements rated, with evidence."""
    rows = []
    for p in framework.principles:
        sub = elements[elements["principle_id"] == p.id]
        mean = sub["rating"].mean()
        rows.append(dict(principle_id=p.id, principle=p.name, mean_rating=mean,
                         min_rating=sub["rating"].min(), level=framework.scale.label(mean),
                         elements=len(sub), rated=int(sub["rating"].notna().sum()),
                         with_evidence=int(sub["has_evidence"].sum())))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------
# surveys


def survey_scores(responses: pd.DataFrame, bank: QuestionBank, framework: Framework,
                  min_group_size: int = DEFAULT_MIN_GROUP_SIZE, by_subgroup: bool = False) -> pd.DataFrame:
    """Stakeholder results per survey and principle (and subgroup).

    ``respondents`` counts people who answered at least one of the principle's
    items. Groups with fewer than ``min_group_size`` respondents are
    suppressed: their ``mean`` and ``agree`` are NaN and ``suppressed`` is
    True, so that no individual's answers can be singled out.
    """
    item_principle = {i.id: i.principle for s in bank.surveys.values() for i in s.items}
    keys = ["survey", "principle_id"] + (["subgroup"] if by_subgroup else [])
    data = responses.assign(principle_id=responses["item_id"].map(item_principle))
    data = data.assign(agree=data["value"] >= bank.agree_min)
    if len(data):
        grouped = data.groupby(keys, sort=False).agg(
            respondents=("respondent", "nunique"), answers=("value", "size"),
            mean=("value", "mean"), agree=("agree", "mean")).reset_index()
    else:
        grouped = pd.DataFrame(columns=keys + ["respondents", "answers", "mean", "agree"])

    # every survey x principle the question bank covers appears, even with no answers
    frame_rows = []
    for survey_id, survey in bank.surveys.items():
        principles = [p.id for p in framework.principles if p.id in {i.principle for i in survey.items}]
        if by_subgroup:
            subgroups = sorted(set(data.loc[data["survey"] == survey_id, "subgroup"]))
            frame_rows += [(survey_id, pid, sg) for pid in principles for sg in subgroups]
        else:
            frame_rows += [(survey_id, pid) for pid in principles]
    full = pd.DataFrame(frame_rows, columns=keys).merge(grouped, on=keys, how="left")
    full["respondents"] = full["respondents"].fillna(0).astype(int)
    full["answers"] = full["answers"].fillna(0).astype(int)
    full["suppressed"] = full["respondents"] < min_group_size
    full.loc[full["suppressed"], ["mean", "agree"]] = np.nan
    full["mean"] = full["mean"].astype(float)
    full["agree"] = full["agree"].astype(float)
    full["principle"] = full["principle_id"].map({p.id: p.name for p in framework.principles})
    full["survey_name"] = full["survey"].map({k: s.name for k, s in bank.surveys.items()})
    return full[["survey", "survey_name", "principle_id", "principle"] + keys[2:] +
                ["respondents", "answers", "mean", "agree", "suppressed"]]


def response_counts(responses: pd.DataFrame, bank: QuestionBank,
                    min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Respondents per survey (and whether the survey as a whole is reportable)."""
    counts = responses.groupby("survey")["respondent"].nunique() if len(responses) else pd.Series(dtype=int)
    return pd.DataFrame([dict(survey=k, survey_name=s.name, respondents=int(counts.get(k, 0)),
                              reported=int(counts.get(k, 0)) >= min_group_size)
                         for k, s in bank.surveys.items()])


# --------------------------------------------------------------------------
# strengths and areas for development


def _pct(x: float) -> str:
    return f"{x:.0%}"


def strengths_and_areas(framework: Framework, elements: pd.DataFrame, principles: pd.DataFrame,
                        scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Statements on strengths and on areas for development, one per principle,
    from the self-evaluation and what stakeholders said (thresholds from the
    framework's ``report`` section)."""
    t = framework.report
    strengths, areas = [], []
    by_id = principles.set_index("principle_id")
    for p in framework.principles:
        prow = by_id.loc[p.id]
        reported = scores[(scores["principle_id"] == p.id) & ~scores["suppressed"] & scores["agree"].notna()]
        good, weak = [], []
        if prow["mean_rating"] >= t.strength_min_mean:
            good.append(f"self-evaluated as {prow['level']} (mean {prow['mean_rating']:.1f})")
        high = reported[reported["agree"] >= t.strength_min_agreement]
        if len(reported) and len(high) == len(reported):
            good.append("; ".join(f"{_pct(r.agree)} of {r.survey_name.lower()} respondents agree"
                                  for r in high.itertuples()))
        sub = elements[elements["principle_id"] == p.id]
        low = sub[sub["rating"] <= t.development_max_rating]
        if len(low):
            weak.append("rated " + ", ".join(
                f"{r.element_id} {framework.scale.label(r.rating)}" for r in low.itertuples()))
        unrated = sub[sub["rating"].isna()]
        if len(unrated):
            weak.append("not yet rated: " + ", ".join(unrated["element_id"]))
        missing = sub[sub["rating"].notna() & ~sub["has_evidence"]]
        if len(missing):
            weak.append("no evidence recorded for " + ", ".join(missing["element_id"]))
        for r in reported[reported["agree"] < t.development_max_agreement].itertuples():
            gap = " despite a self-evaluation of 3 or more" if prow["mean_rating"] >= 3 else ""
            weak.append(f"only {_pct(r.agree)} of {r.survey_name.lower()} respondents agree{gap}")
        if good:
            strengths.append(dict(principle_id=p.id, principle=p.name, statement="; ".join(good)))
        if weak:
            areas.append(dict(principle_id=p.id, principle=p.name, statement="; ".join(weak)))
    cols = ["principle_id", "principle", "statement"]
    return pd.DataFrame(strengths, columns=cols), pd.DataFrame(areas, columns=cols)


# --------------------------------------------------------------------------
# award readiness


@dataclass
class CycleData:
    """What the award rules look at for one cycle."""
    academic_year: str
    elements: pd.DataFrame
    scores: pd.DataFrame


def principle_gaps(criteria: Criteria, principle_id: str, cycle: CycleData, framework: Framework) -> list[str]:
    """Why a principle does not meet a level's criteria in one cycle ([] if it does)."""
    gaps = []
    sub = cycle.elements[cycle.elements["principle_id"] == principle_id]
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
        reported = cycle.scores[(cycle.scores["principle_id"] == principle_id) & ~cycle.scores["suppressed"]
                                & cycle.scores["agree"].notna()]
        if not len(reported):
            gaps.append("no reportable stakeholder survey results")
        for r in reported[reported["agree"] < criteria.min_stakeholder_agreement].itertuples():
            gaps.append(f"{r.survey_name.lower()}: {_pct(r.agree)} agree "
                        f"(needs {_pct(criteria.min_stakeholder_agreement)})")
    return gaps


def _streak(cycles: list[CycleData], i: int) -> int:
    """How many consecutive academic years end with cycle ``i``."""
    streak = 1
    while i - streak >= 0 and (int(cycles[i - streak + 1].academic_year[:4])
                               - int(cycles[i - streak].academic_year[:4])) == 1:
        streak += 1
    return streak


@dataclass
class Readiness:
    """Readiness of the latest cycle against every award level."""
    framework: Framework
    academic_year: str
    table: pd.DataFrame                       # principle rows x level columns: True/False
    gaps: dict[str, dict[str, list[str]]]     # level -> principle -> reasons
    met: dict[str, bool]                      # level -> met overall in the latest cycle
    history: dict[str, dict[str, bool]] = field(default_factory=dict)  # level -> year -> met

    @property
    def achieved(self) -> Level | None:
        """Highest level met in the latest cycle."""
        best = None
        for level in self.framework.levels:
            if self.met[level.id]:
                best = level
        return best

    @property
    def next_level(self) -> Level | None:
        for level in self.framework.levels:
            if not self.met[level.id]:
                return level
        return None


def readiness(framework: Framework, cycles: list[CycleData]) -> Readiness:
    """Apply the framework's award rules to a school's cycles (oldest first);
    the last cycle is the one assessed.

    A level is met in a cycle when every principle meets its criteria in
    ``consecutive_cycles`` consecutive academic years ending with that cycle
    and the level it ``requires`` is met in that cycle too.
    """
    if not cycles:
        raise ValueError("readiness needs at least one cycle")
    cycles = sorted(cycles, key=lambda c: c.academic_year)
    latest = len(cycles) - 1
    # own[level][i][principle] -> gaps in cycle i alone
    own = {lv.id: [{p.id: principle_gaps(lv.criteria, p.id, c, framework) for p in framework.principles}
                   for c in cycles] for lv in framework.levels}
    met_history: dict[str, dict[str, bool]] = {}
    gaps_latest: dict[str, dict[str, list[str]]] = {}
    table = {}
    for lv in framework.levels:
        n = lv.criteria.consecutive_cycles
        met_history[lv.id] = {}
        for i, cyc in enumerate(cycles):
            streak = _streak(cycles, i)
            window = range(i - min(streak, n) + 1, i + 1)
            per_principle = {}
            for p in framework.principles:
                reasons = []
                if streak < n:
                    reasons.append(f"needs {n} consecutive years of evidence (has {streak})")
                for j in window:
                    prefix = f"{cycles[j].academic_year}: " if n > 1 else ""
                    reasons += [prefix + g for g in own[lv.id][j][p.id]]
                per_principle[p.id] = reasons
            requirement_met = lv.requires is None or met_history[lv.requires][cyc.academic_year]
            met_history[lv.id][cyc.academic_year] = requirement_met and not any(per_principle.values())
            if i == latest:
                gaps_latest[lv.id] = per_principle
                table[lv.name] = {p.id: not per_principle[p.id] for p in framework.principles}
    year = cycles[latest].academic_year
    frame = pd.DataFrame(table)
    frame.insert(0, "principle", [framework.principle(pid).name for pid in frame.index])
    frame.index.name = "principle_id"
    return Readiness(framework=framework, academic_year=year, table=frame, gaps=gaps_latest,
                     met={lv: hist[year] for lv, hist in met_history.items()}, history=met_history)
