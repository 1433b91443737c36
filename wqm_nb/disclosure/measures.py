"""Validated measures (SWEMWBS, Stirling, SDQ) in a school year's release: decided with the survey's own cells.

A survey's scores form *families*, one per instrument, informant and score (:func:`family_key`,
:class:`MeasureFamily`): the whole group and its parts along the survey's subgroup question, each group
with its true figures (:class:`MeasureCounts`: scored respondents, sum of scores, count per band), as
:func:`measure_families` counts them. :func:`published_measures` is what the outsider reads of them
(:class:`PublishedMeasure`: hidden with its reason, or ``n`` with its mean and band shares as the intervals
of what prints the same).

:func:`protect_measures` decides which cells of every family of one survey are hidden, and why
(``{cell: reason}``): a subgroup the survey's own release hides is hidden in every family, a group with too
few scored respondents in every family of the survey, a single hidden subgroup takes the next smallest with
it, and more is hidden while the outsider's audit (:mod:`.audit`) over every family's published cells, the
model of :func:`measure_model` (per family and group, unknowns ``n``, sum ``s`` and band counts ``b[k]``),
works anything out; a survey withheld by its release has every family withheld with the same reason.

Method: docs/privacy.md, "No small group can be identified" (validated measures) and "How the audit works".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .audit import INF, AuditModel, Expr, audit, expr, minus
from .protect import CHANGE, COMPLEMENTARY, MEAN_DECIMALS, PRIMARY, SHARE_DECIMALS, WITHHELD
from .tables import NONE, PROTECTS, TOO_FEW, UNSAID, printed_interval

#: the subgroup of respondents who did not answer the subgroup question
NOT_GIVEN = ""


@dataclass(frozen=True)
class MeasureFamily:
    """One score's family, as public as the instrument: its id (``instrument.score|informant``), its parts
    (empty: no breakdown), its range and its bands (label, lowest score, highest score)."""

    key: str
    parts: tuple[str, ...]
    low: float
    high: float
    bands: tuple[tuple[str, float, float], ...] = ()


@dataclass(frozen=True)
class MeasureCounts:
    """A group's true figures: scored respondents, sum of scores, count per band (the family's order)."""

    n: int
    total: float
    bands: tuple[int, ...] = ()


#: a measure cell: (family key, subgroup or None for the whole group)
MeasureKey = tuple[str, "str | None"]


def family_key(instrument: str, score: str, informant: str) -> str:
    """How a family is named in a release: ``sdq.emotional|parent``."""
    return f"{instrument}.{score}|{informant or ''}"


def measure_families(
    scores: pd.DataFrame, survey_id: str, subgroup_values: tuple[str, ...] | None
) -> dict[str, tuple[MeasureFamily, dict[MeasureKey, MeasureCounts]]]:
    """Every family of one survey's scores (``SCORE_COLUMNS`` rows), with its groups' true figures.
    ``subgroup_values``: the survey's subgroup question's values (None: no question)."""
    from ..data.instruments import load_instrument

    out: dict[str, tuple[MeasureFamily, dict[MeasureKey, MeasureCounts]]] = {}
    if scores is None or not len(scores):
        return out
    own = scores[scores["survey"] == survey_id]
    for (instrument_id, informant), rows in own.groupby(["instrument", "informant"], sort=True, dropna=False):
        informant = "" if pd.isna(informant) else str(informant)
        try:
            instrument = load_instrument(instrument_id)
        except Exception:  # an instrument no longer shipped: its scores are not published
            continue
        for spec in instrument.scores:
            values = rows[rows["score_id"] == spec.id]
            if not len(values):
                continue
            banding = instrument.banding(informant or None) if spec.banded else None
            bands = tuple(
                sorted(
                    (
                        (b.label, float(b.min), float(b.max))
                        for b in (banding.scores.get(spec.id, ()) if banding else ())
                    ),
                    key=lambda b: b[1],
                )
            )
            groups = values["subgroup"].fillna("").astype(str).to_numpy()
            given = set(groups.tolist())
            parts = [v for v in subgroup_values if v in given] if subgroup_values else []
            parts += sorted(given - set(parts) - {NOT_GIVEN})
            if NOT_GIVEN in given or not subgroup_values:
                parts.append(NOT_GIVEN)
            breakdown = bool(subgroup_values) and parts != [NOT_GIVEN]
            low, high = spec.range(informant or None)
            family = MeasureFamily(
                family_key(instrument_id, spec.id, informant),
                tuple(parts) if breakdown else (),
                float(low),
                float(high),
                bands,
            )
            score_values = values["value"].astype(float).to_numpy()
            labels = values["band"].astype(str).to_numpy()
            cells: dict[MeasureKey, MeasureCounts] = {}
            for g in (None, *family.parts):
                mask = np.ones(len(groups), dtype=bool) if g is None else groups == g
                cells[(family.key, g)] = MeasureCounts(
                    int(mask.sum()),
                    float(score_values[mask].sum()),
                    tuple(int((labels[mask] == b).sum()) for b, _, _ in bands),
                )
            out[family.key] = (family, cells)
    return out


@dataclass(frozen=True)
class PublishedMeasure:
    """One measure cell as the outsider reads it: hidden with its reason, or ``n`` with its mean and band
    shares as intervals."""

    family: str
    subgroup: str | None
    hidden: str = ""
    n: int | None = None
    mean: tuple[float, float] | None = None
    shares: tuple[tuple[float, float], ...] = ()


def published_measures(families: dict, reasons: dict[MeasureKey, str]) -> list[PublishedMeasure]:
    """What the outsider reads of every family, given which cells are hidden and why."""
    out = []
    for _, cells in families.values():
        for (key, g), c in cells.items():
            reason = reasons.get((key, g), "")
            if reason == PRIMARY:
                out.append(PublishedMeasure(key, g, TOO_FEW))
            elif reason == COMPLEMENTARY:
                out.append(PublishedMeasure(key, g, PROTECTS))
            elif reason in (WITHHELD, CHANGE):
                out.append(PublishedMeasure(key, g, UNSAID))
            elif c.n == 0:
                out.append(PublishedMeasure(key, g, NONE))
            else:
                out.append(
                    PublishedMeasure(
                        key,
                        g,
                        n=c.n,
                        mean=printed_interval(round(c.total / c.n, MEAN_DECIMALS), MEAN_DECIMALS),
                        shares=tuple(printed_interval(round(b / c.n, SHARE_DECIMALS), SHARE_DECIMALS) for b in c.bands),
                    )
                )
    return out


def measure_model(
    families: dict, published: list[PublishedMeasure], threshold: int
) -> tuple[AuditModel, dict[MeasureKey, dict[str, Expr]]]:
    """The outsider's model of one survey's measure figures (see the module notes), and each cell's
    quantities by name: ``respondents``, ``sum``, ``band L`` and ``not band L`` per band."""
    m = AuditModel()
    quantities: dict[MeasureKey, dict[str, Expr]] = {}
    for family, _ in families.values():
        parts = family.parts or (None,)
        own: dict[str | None, tuple[Expr, Expr, list[Expr]]] = {}
        for g in parts:
            n = m.unknown(f"{family.key}:n[{g}]")
            s = m.unknown(f"{family.key}:s[{g}]")
            if family.low < 0:  # a score that can be negative: its sum too
                m.lower[s] = -INF
            bands = [m.unknown(f"{family.key}:b[{g},{label}]") for label, _, _ in family.bands]
            if bands:
                m.equals(minus(expr(*bands), expr(n)), 0)
                m.at_least(
                    minus(
                        expr(s), expr(*(expr(b, scale=lo) for b, (_, lo, _) in zip(bands, family.bands, strict=False)))
                    ),
                    0,
                )
                m.at_most(
                    minus(
                        expr(s), expr(*(expr(b, scale=hi) for b, (_, _, hi) in zip(bands, family.bands, strict=False)))
                    ),
                    0,
                )
            else:
                m.at_least(minus(expr(s), expr(n, scale=family.low)), 0)
                m.at_most(minus(expr(s), expr(n, scale=family.high)), 0)
            own[g] = (expr(n), expr(s), [expr(b) for b in bands])
        whole = (
            expr(*(own[g][0] for g in parts)),
            expr(*(own[g][1] for g in parts)),
            [expr(*(own[g][2][k] for g in parts)) for k in range(len(family.bands))],
        )
        for g in (None, *family.parts):
            cell_n, cell_sum, cell_bands = whole if g is None else own[g]
            named = {"respondents": cell_n, "sum": cell_sum}
            for (label, _, _), b in zip(family.bands, cell_bands, strict=False):
                named[f"band {label}"] = b
                named[f"not band {label}"] = minus(cell_n, b)
            quantities[(family.key, g)] = named
    for cell in published:
        q = quantities[(cell.family, cell.subgroup)]
        respondents = q["respondents"]
        if cell.hidden == UNSAID:
            continue
        if cell.hidden == TOO_FEW:
            m.between(respondents, 1, threshold - 1)
        elif cell.hidden == PROTECTS:
            m.at_least(respondents, threshold)
        elif cell.hidden == NONE:
            m.equals(respondents, 0)
        else:
            assert cell.n is not None and cell.mean is not None  # a shown cell has both (see published_measures)
            m.equals(respondents, cell.n)
            _between_signed(m, q["sum"], respondents, *cell.mean)
            labels = [k for k in q if k.startswith("band ")]
            for label, share in zip(labels, cell.shares, strict=False):
                m.share_between(q[label], respondents, *share)
    return m, quantities


def _between_signed(m: AuditModel, part: Expr, whole: Expr, low: float, high: float) -> None:
    """``low <= part / whole <= high`` for a mean that may be negative."""
    m.at_least(minus(part, expr(whole, scale=low)), 0.0)
    m.at_most(minus(part, expr(whole, scale=high)), 0.0)


def _disclosed(families: dict, reasons: dict[MeasureKey, str], threshold: int) -> list[MeasureKey]:
    """The first hidden measure cell the audit works something out of ([] when none)."""
    published = published_measures(families, reasons)
    hidden = [c for c in published if c.hidden in (TOO_FEW, PROTECTS)]
    if not hidden:
        return []
    model, quantities = measure_model(families, published, threshold)
    truth: dict[str, dict[str, float]] = {}
    named: dict[str, dict[str, Expr]] = {}
    for c in hidden:
        counts = families[c.family][1][(c.family, c.subgroup)]
        name = f"{c.family} {c.subgroup if c.subgroup is not None else 'whole'}"
        named[name] = quantities[(c.family, c.subgroup)]
        values = {"respondents": counts.n, "sum": counts.total}
        for (label, _, _), b in zip(families[c.family][0].bands, counts.bands, strict=False):
            values[f"band {label}"] = b
            values[f"not band {label}"] = counts.n - b
        truth[name] = values
    keys = {f"{c.family} {c.subgroup if c.subgroup is not None else 'whole'}": (c.family, c.subgroup) for c in hidden}
    return [keys[f.cell] for f in audit(model, named, first=True, known=truth) if f.disclosed]


def protect_measures(
    families: dict, threshold: int, survey_hidden: frozenset[str] = frozenset(), survey_withheld: str = ""
) -> dict[MeasureKey, str]:
    """Which measure cells of one survey are hidden, and why (see the module notes): ``{cell: reason}``.
    ``survey_hidden``: the subgroups the survey's release hides; ``survey_withheld``: its reason when the
    release withholds the whole survey."""
    if survey_withheld:
        return {cell: survey_withheld for _, cells in families.values() for cell in cells}
    reasons: dict[MeasureKey, str] = {}
    for _, cells in families.values():
        for cell, counts in cells.items():
            if 0 < counts.n < threshold:
                reasons[cell] = PRIMARY
    parts = sorted({g for family, _ in families.values() for g in family.parts})
    size = {
        g: min(
            (cells[(f.key, g)].n for f, cells in families.values() if g in f.parts and cells[(f.key, g)].n > 0),
            default=0,
        )
        for g in parts
    }
    smallest_first = sorted((g for g in parts if size[g] > 0), key=lambda g: (size[g], g))
    hidden = {g for (_, g) in reasons if g is not None} | (set(survey_hidden) & set(smallest_first))
    withheld: set[str] = {key for (key, g) in reasons if g is None}  # a whole too small: its family goes
    for _ in range(len(parts) + len(families) + 2):
        if len(hidden) == 1 and len(smallest_first) > 1:
            hidden.add(next(g for g in smallest_first if g not in hidden))
        for _, cells in families.values():
            for cell, counts in cells.items():
                if cell in reasons or counts.n == 0:
                    continue
                if cell[0] in withheld or cell[1] in hidden:
                    reasons[cell] = COMPLEMENTARY
        disclosed = _disclosed(families, reasons, threshold)
        if not disclosed:
            return reasons
        key, _ = disclosed[0]
        rest = [g for g in smallest_first if g not in hidden and g in families[key][0].parts]
        if rest:
            hidden.add(rest[0])
        elif key not in withheld:
            withheld.add(key)
        else:
            break
    return {cell: WITHHELD for _, cells in families.values() for cell in cells}


__all__ = [
    "MeasureCounts",
    "MeasureFamily",
    "MeasureKey",
    "PublishedMeasure",
    "family_key",
    "measure_families",
    "measure_model",
    "protect_measures",
    "published_measures",
]
