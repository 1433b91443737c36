"""Validated wellbeing measures (SDQ, SWEMWBS, Stirling) as published figures, and comparing them.

A survey export may carry an instrument's items beside the survey's own; the
import scores them (:func:`wqm_nb.model.scoring.score_responses`) and the
store keeps one score per respondent (``survey_scores``).
:func:`measure_rows` (called by :func:`wqm_nb.model.figures.publish_figures`)
turns a school year's scores into rows of the published-figures table, per
*family* (survey, instrument, informant and score: the whole group and its
parts along the survey's subgroup question, :data:`NOT_GIVEN` included, so
the parts add up): for each group a mean row (``n``, ``mean``, and
``ci_low``/``ci_high`` by :func:`mean_interval`, a Student t interval; none
for a group of one, nor in a family with a hidden group) and, for a banded
score, a band row per band (``agree_share`` the share in the band, with its
Wilson interval), hidden as the school year's release decided
(:mod:`wqm_nb.disclosure.measures`).

:func:`compare_means` gives the verdict on two published mean rows
(:data:`IMPROVED`, :data:`DECLINED`, :data:`NO_CLEAR_DIFFERENCE`,
:data:`TOO_FEW_TO_COMPARE` or :data:`NOT_COMPARED`) and a note saying why;
:func:`min_group` and :func:`minimum_words` give the instrument's minimum for
comparing groups and its source; :func:`higher_is_better` which way is
better (:data:`LOWER_IS_BETTER` when the instrument does not say).

Method: docs/measures.md, "Published figures and comparisons"; what is hidden: docs/privacy.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from ..data import QuestionBank
from ..data.instruments import Instrument, ScoreSpec, load_instrument
from ..disclosure.measures import family_key, measure_families, protect_measures
from ..disclosure.release import COMPLEMENTARY
from .stats import intervals_overlap, is_missing, wilson_interval

#: the subgroup of respondents who did not answer the subgroup question (as in :mod:`wqm_nb.model.figures`)
NOT_GIVEN = ""
#: verdicts of :func:`compare_means`
IMPROVED, DECLINED = "improved", "declined"
NO_CLEAR_DIFFERENCE = "no clear difference"
TOO_FEW_TO_COMPARE = "too few to compare"
NOT_COMPARED = "not compared"
#: verdicts that call a difference
CALLED = (IMPROVED, DECLINED)
#: scores where a lower value is the better one (SDQ difficulties and impact), when the instrument does not say
LOWER_IS_BETTER = {
    ("sdq", s)
    for s in (
        "emotional",
        "conduct",
        "hyperactivity",
        "peer",
        "total_difficulties",
        "externalising",
        "internalising",
        "impact",
    )
}


# --------------------------------------------------------------------------
# statistics: the t quantile and the interval of a mean


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), for 0 <= x <= 1."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t))
    return 1 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (bisection on :func:`t_cdf`)."""
    if not 0 < p < 1 or df <= 0:
        raise ValueError("t_quantile needs 0 < p < 1 and df > 0")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        if t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12:
            break
    return (low + high) / 2


def mean_interval(n: int, total: float, total_squares: float, level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of ``n`` values from their sum and sum of squares, with its Student t
    interval (see the module notes); the interval is (nan, nan) for fewer than two values, the mean nan for none."""
    if n <= 0:
        return math.nan, math.nan, math.nan
    mean = total / n
    if n < 2:
        return mean, math.nan, math.nan
    variance = max(total_squares - n * mean * mean, 0.0) / (n - 1)
    half = t_quantile(0.5 + level / 2, n - 1) * math.sqrt(variance / n)
    return mean, mean - half, mean + half


# --------------------------------------------------------------------------
# the figures


def measure_name(instrument: str, score: str, band: str | None = None) -> str:
    """The ``measure`` of a measure row: ``swemwbs.metric``; a band row ``sdq.emotional:Borderline``."""
    return f"{instrument}.{score}" + (f":{band}" if band else "")


def headline_score(instrument: Instrument) -> ScoreSpec:
    """The score a chart shows first: the first converted score (SWEMWBS metric), else the first score made
    of other scores (SDQ total difficulties), else the first score (Stirling total)."""
    for kind in ("lookup", "sum"):
        for spec in instrument.scores:
            if spec.kind == kind:
                return spec
    return instrument.scores[0]


def higher_is_better(instrument: Instrument, score: str) -> bool:
    """Whether a higher value of a score is the better one (the instrument's ``higher_is_better`` if its
    scores say, else :data:`LOWER_IS_BETTER`)."""
    spec = instrument.score(score)
    said = getattr(spec, "higher_is_better", None)
    if said is not None:
        return bool(said)
    return (instrument.id, score) not in LOWER_IS_BETTER


def _instrument(instrument_id: str) -> Instrument | None:
    """A bundled instrument by id, or None when the workbench no longer ships it."""
    try:
        return load_instrument(instrument_id)
    except Exception:  # an instrument no longer shipped: its scores are not published
        return None


def measure_rows(
    scores: pd.DataFrame,
    bank: QuestionBank,
    min_group_size: int,
    reasons: Mapping[str, str],
    decided: Mapping[tuple, str] | None = None,
) -> list[dict[str, Any]]:
    """Rows of the published-figures table for a school year's measure scores (``SCORE_COLUMNS`` of
    :mod:`wqm_nb.store.surveys`), with suppression (see the module notes).

    ``decided``: why each hidden cell is hidden, by (survey, family, subgroup), as the school year's release
    decided (:meth:`~wqm_nb.disclosure.release.Release.measure_reasons`); without it, the scores' own decision
    (:func:`~wqm_nb.disclosure.measures.protect_measures`, the measures alone). ``reasons`` maps
    each reason of the release (``primary``, ``complementary``, ``change``, ``withheld``) and ``none`` to
    the published wording (:func:`~wqm_nb.model.figures.reason_texts`; one it lacks reads as
    ``complementary``'s). Every row has the
    figures columns (``section_id`` and ``section`` None: a measure belongs to no framework section) and
    ``instrument``, ``informant``, ``score`` and ``band`` (None on a mean row).
    """
    rows: list[dict[str, Any]] = []
    if scores is None or not len(scores):
        return rows
    if decided is None:
        decided = {}
        for survey_id in sorted(set(scores["survey"].astype(str))):
            bank_survey = bank.surveys.get(survey_id)
            values = tuple(bank_survey.subgroup.values) if bank_survey is not None and bank_survey.subgroup else None
            families = measure_families(scores, survey_id, values)
            decided.update({(survey_id, *cell): r for cell, r in protect_measures(families, min_group_size).items()})
    surveys = list(bank.surveys)
    order = {s: k for k, s in enumerate(surveys)}
    keys = scores[["survey", "instrument", "informant"]].drop_duplicates()
    keys = keys.assign(_o=keys["survey"].map(order).fillna(len(order))).sort_values(
        ["_o", "instrument", "informant"], kind="stable"
    )
    for survey_id, instrument_id, informant in keys[["survey", "instrument", "informant"]].itertuples(index=False):
        instrument = _instrument(instrument_id)
        if instrument is None:
            continue
        own = scores[
            (scores["survey"] == survey_id)
            & (scores["instrument"] == instrument_id)
            & (scores["informant"] == informant)
        ]
        survey = bank.surveys.get(survey_id)
        for spec in instrument.scores:
            values = own[own["score_id"] == spec.id]
            if not len(values):
                continue
            rows += _family(survey_id, survey, instrument, informant or "", spec, values, decided, reasons)
    return rows


def _family(
    survey_id: str,
    survey: Any,
    instrument: Instrument,
    informant: str,
    spec: ScoreSpec,
    values: pd.DataFrame,
    decided: Mapping[tuple, str],
    reasons: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The rows of one family (the whole group and its parts) of one score."""
    try:
        bands = instrument.band_labels(spec.id, informant or None) if spec.banded else ()
    except Exception:  # an informant the instrument no longer has
        bands = ()
    given = set(values["subgroup"].fillna("").astype(str))
    subgroup = getattr(survey, "subgroup", None)
    parts = [v for v in subgroup.values if v in given] if subgroup else []
    parts += sorted(given - set(parts) - {NOT_GIVEN})  # a value the bank no longer lists
    if NOT_GIVEN in given or not subgroup:
        parts.append(NOT_GIVEN)
    groups = {
        p: values[values["subgroup"].fillna("").astype(str) == p]["value"].astype(float).to_numpy() for p in parts
    }
    band_counts = {}
    for p in parts:
        sub = values[values["subgroup"].fillna("").astype(str) == p]
        band_counts[p] = {b: int((sub["band"] == b).sum()) for b in bands}
    whole_values = values["value"].astype(float).to_numpy()
    breakdown = bool(subgroup) and parts != [NOT_GIVEN]
    key = family_key(instrument.id, spec.id, informant)
    whole = (
        len(whole_values),
        {b: int((values["band"] == b).sum()) for b in bands},
        decided.get((survey_id, key, None), ""),
    )
    family = [(None, None, whole, whole_values)]
    if breakdown:
        assert subgroup is not None  # a breakdown needs the survey's subgroup
        family += [
            (subgroup.field, p, (len(groups[p]), band_counts[p], decided.get((survey_id, key, p), "")), groups[p])
            for p in parts
        ]
    # a mean's t interval gives its group's sum of squares: with any group of the family hidden, the shown
    # ones' intervals would give the hidden group's spread by difference, so only the means are published
    intervals = not any(cell[2] for _, _, cell, _ in family)
    out = []
    for field, sub, (n, counts, hidden), vals in family:
        # a reason the caller has no words for (an older caller: a change, a withheld survey) reads as hidden
        reason = reasons.get(hidden, reasons[COMPLEMENTARY]) if hidden else reasons["none"] if n == 0 else ""
        mean, ci_low, ci_high = mean_interval(len(vals), float(vals.sum()), float((vals * vals).sum()))
        if not intervals:
            ci_low = ci_high = math.nan
        common = dict(
            survey=survey_id,
            section_id=None,
            subgroup_field=field,
            subgroup=sub,
            n=n,
            answers=n,
            instrument=instrument.id,
            informant=informant,
            score=spec.id,
            reason=reason,
        )
        out.append(
            dict(
                common,
                measure=measure_name(instrument.id, spec.id),
                agree_share=math.nan,
                mean=mean,
                ci_low=ci_low,
                ci_high=ci_high,
                band=None,
            )
        )
        for b in bands:
            count = counts.get(b, 0)
            share = count / n if n else math.nan
            lo, hi = wilson_interval(share, n)
            out.append(
                dict(
                    common,
                    measure=measure_name(instrument.id, spec.id, b),
                    agree_share=share,
                    mean=math.nan,
                    ci_low=lo,
                    ci_high=hi,
                    band=b,
                )
            )
    return out


# --------------------------------------------------------------------------
# comparing


def minimum_words(instrument: Instrument, score: str | None = None) -> str:
    """The minimum for comparing groups and its source, in words: "at least 30 respondents in each group
    (Warwick Medical School: ...)"."""
    spec = instrument.score(score) if score else None
    minimum = getattr(spec, "min_group", 0) or instrument.min_group
    source = getattr(spec, "min_group_source", "") or instrument.min_group_source
    return f"at least {minimum} respondents in each group ({source.rstrip('.')})"


def min_group(instrument: Instrument, score: str | None = None) -> int:
    """The smallest group the instrument's guidance compares (per score when the file says)."""
    spec = instrument.score(score) if score else None
    return int(getattr(spec, "min_group", 0) or instrument.min_group)


def compare_means(
    before: Mapping | None,
    after: Mapping | None,
    instrument: Instrument,
    score: str,
    before_name: str = "last year",
    after_name: str = "this year",
) -> tuple[str, str]:
    """The verdict on two published mean rows (``n``, ``mean``, ``ci_low``, ``ci_high``, ``suppressed``,
    ``reason``) of one score, and a note saying why (see the module notes).

    A difference is called only when both are published, both groups have at least the instrument's
    minimum for comparison and the 95% intervals do not overlap: :data:`IMPROVED` / :data:`DECLINED`
    (``after`` against ``before``, by :func:`higher_is_better`).
    """

    if after is None or before is None:
        missing = after_name if after is None else before_name
        return NOT_COMPARED, f"no figure in {missing}"
    for row, when in ((before, before_name), (after, after_name)):
        if bool(row["suppressed"]):
            reason = str(row["reason"])
            return NOT_COMPARED, f"not compared: the {when} figure is " + (
                reason if reason.startswith("not shown") else f"not shown ({reason})"
            )
    minimum = min_group(instrument, score)
    if int(before["n"]) < minimum or int(after["n"]) < minimum:
        return TOO_FEW_TO_COMPARE, f"{TOO_FEW_TO_COMPARE}: needs {minimum_words(instrument, score)}"
    if any(is_missing(row[k]) for row in (before, after) for k in ("ci_low", "ci_high")) or intervals_overlap(
        float(before["ci_low"]), float(before["ci_high"]), float(after["ci_low"]), float(after["ci_high"])
    ):
        return NO_CLEAR_DIFFERENCE, "the 95% intervals overlap"
    up = float(after["mean"]) > float(before["mean"])
    better = up == higher_is_better(instrument, score)
    return (IMPROVED if better else DECLINED), "the 95% intervals do not overlap"


def describe_mean(row: Any, digits: int = 1) -> str:
    """A published mean row as text: "23.4 (22.1–24.7), n=140", or its reason when it is not shown."""
    get: Callable[[str], Any] = row.get if isinstance(row, Mapping) else (lambda k: getattr(row, k))
    if bool(get("suppressed")):
        return str(get("reason"))
    mean, lo, hi = get("mean"), get("ci_low"), get("ci_high")
    interval = "" if is_missing(lo) else f" ({lo:.{digits}f}\u2013{hi:.{digits}f})"
    return f"{mean:.{digits}f}{interval}, n={int(get('n'))}"


def instruments_of(rows: Iterable[str]) -> list[Instrument]:
    """The instruments of some instrument ids, in first-seen order (unknown ones left out)."""
    out = []
    for instrument_id in dict.fromkeys(rows):
        found = _instrument(str(instrument_id))
        if found is not None:
            out.append(found)
    return out


__all__ = [
    "CALLED",
    "DECLINED",
    "IMPROVED",
    "LOWER_IS_BETTER",
    "NOT_COMPARED",
    "NO_CLEAR_DIFFERENCE",
    "TOO_FEW_TO_COMPARE",
    "compare_means",
    "describe_mean",
    "headline_score",
    "higher_is_better",
    "incomplete_beta",
    "instruments_of",
    "mean_interval",
    "measure_name",
    "measure_rows",
    "min_group",
    "minimum_words",
    "t_cdf",
    "t_quantile",
]
