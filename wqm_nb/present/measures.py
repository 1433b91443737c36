"""The "Wellbeing measures" report section: validated measures (SDQ, SWEMWBS, Stirling) per group.

:func:`measures_section` shows, for every survey that carried a validated
measure this year (:mod:`wqm_nb.model.measures`), per score and group (the
whole group and each subgroup, such as a year group or a staff role):

* the mean with its 95% confidence interval (Student t) and the number of
  respondents with a score, from the published figures, so a group the
  figures hide shows its reason and no number;
* for a banded score (the SDQ's), the share in each band of the informant's
  published banding (shares of a group add up to 100%, give or take rounding);
* "too few to compare" on a group below the instrument's minimum for
  comparing groups, stating the minimum and its source (SWEMWBS: 30, Warwick
  Medical School); its figure is shown, but no difference is drawn from it;
* the change since the previous year in the store, called only when both
  years' groups reach that minimum and their 95% intervals do not overlap
  (:func:`wqm_nb.model.measures.compare_means`, the trend rules' idea); a
  figure not shown in either year is never compared.

A chart per measure draws the headline score (SWEMWBS metric, SDQ total
difficulties, Stirling total) of each group as a point with its interval,
hollow below the minimum for comparison; a banded headline score also gets a
chart of its band shares. :func:`mean_interval_chart` is shared with the
group overview, which compares schools on one axis. Every chart's alt text is
written from its data, and nothing is told apart by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data.instruments import Instrument
from ..model import SchoolAssessment
from ..model.figures import NOT_GIVEN, PublishedFigures
from ..model.measures import (
    DECLINED,
    IMPROVED,
    NO_CLEAR_DIFFERENCE,
    TOO_FEW_TO_COMPARE,
    compare_means,
    describe_mean,
    headline_score,
    higher_is_better,
    instruments_of,
    min_group,
    minimum_words,
)
from .charts import Chart, _figure, _themed, _title, figure_svg, literal, not_shown_mark, wrap
from .html import Fragment, Table, cell, is_missing, render

#: band colours from the lowest scores to the highest; bands also carry hatches and their names in the text
BAND_COLOURS = ("#5a9e4b", "#e0c04a", "#e0892b", "#b03a2e")
BAND_HATCHES = ("", "..", "//", "xx")
POINT_COLOUR = "#1b6a8c"


# --------------------------------------------------------------------------
# words


def group_name(row: Any, survey_name: str | None = None) -> str:
    """The group of a figures row (a record or a named tuple): "Whole group" (with the survey's name when
    given), a subgroup's value, or "not given" for those who did not answer the subgroup question."""
    field = getattr(row, "subgroup_field", None) if not isinstance(row, dict) else row.get("subgroup_field")
    sub = getattr(row, "subgroup", None) if not isinstance(row, dict) else row.get("subgroup")
    if is_missing(field) or field is None:
        return f"Whole group{f' ({survey_name})' if survey_name else ''}"
    return "not given" if sub == NOT_GIVEN else str(sub)


def informant_words(instrument: Instrument, informant: str) -> str:
    """ "self-report", "parent report", "teacher report"; '' for an instrument with one informant."""
    if len(instrument.informants) <= 1:
        return ""
    return "self-report" if informant == "self" else f"{informant} report"


def band_text(bands: pd.DataFrame) -> str:
    """Band rows of one group as "Normal 71%, Borderline 12%, Abnormal 17%" ('' when none or hidden)."""
    shown = bands[~bands["suppressed"].astype(bool)]
    if not len(shown):
        return ""
    return ", ".join(f"{r.band} {r.agree_share:.0%}" for r in shown.itertuples())


def change_words(verdict: str, note: str, before: Any, after: Any) -> tuple[str, str] | str:
    """The verdict on a change as a table cell: '▲ improved (+1.2)', 'no clear difference (-0.4)', or the note."""
    if verdict in (IMPROVED, DECLINED, NO_CLEAR_DIFFERENCE):
        size = f"{float(after['mean']) - float(before['mean']):+.1f}"
        if verdict == IMPROVED:
            return cell(f"\u25b2 improved ({size})", "met")
        if verdict == DECLINED:
            return cell(f"\u25bc declined ({size})", "notmet")
        return f"no clear difference ({size})"
    return note


# --------------------------------------------------------------------------
# charts


@_themed
def mean_interval_chart(
    rows: pd.DataFrame,
    low: float,
    high: float,
    minimum: int,
    title: str,
    axis_label: str,
    name: str = "measure",
    per: str = "group",
) -> Chart:
    """One point per row (``label``, ``mean``, ``ci_low``, ``ci_high``, ``n``, ``suppressed``, ``reason``)
    with its 95% interval, on a common axis from ``low`` to ``high``; a point of fewer than ``minimum``
    respondents is hollow (too few to compare); a hidden row is written out with its reason instead.
    ``per`` names what a row is in the alt text ("group", "school")."""
    fig, ax = _figure(7.2, 0.42 * max(len(rows), 1) + 1.4)
    ys = np.arange(len(rows))
    parts = []
    for y, r in zip(ys, rows.itertuples(), strict=False):
        if bool(r.suppressed):
            ax.text(
                low + 0.01 * (high - low),
                float(y),
                literal(not_shown_mark(r.reason)),
                va="center",
                fontsize=7,
                color="#555555",
            )
            parts.append(f"{r.label} {r.reason}")
            continue
        mean = float(r.mean)
        has_interval = not is_missing(r.ci_low)
        if has_interval:
            ax.errorbar(
                [mean],
                [y],
                xerr=[[mean - float(r.ci_low)], [float(r.ci_high) - mean]],
                fmt="none",
                ecolor=POINT_COLOUR,
                elinewidth=1.2,
                capsize=3,
            )
        few = int(r.n) < minimum
        ax.plot(
            [mean],
            [y],
            marker="o",
            markersize=6,
            color=POINT_COLOUR,
            markerfacecolor="white" if few else POINT_COLOUR,
            linestyle="none",
        )
        interval = f" ({float(r.ci_low):.1f} to {float(r.ci_high):.1f})" if has_interval else ""
        parts.append(f"{r.label} {mean:.1f}{interval}, n={int(r.n)}" + (f", {TOO_FEW_TO_COMPARE}" if few else ""))
    ax.set_yticks(ys, [wrap(label, 28) for label in rows["label"]])
    ax.invert_yaxis()
    ax.set_xlim(low, high)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel(literal(axis_label))
    ax.set_ylabel("")
    _title(ax, title)
    # intervals are published only when no group of the family is hidden: say what is drawn
    intervals = any(not bool(r.suppressed) and not is_missing(r.ci_low) for r in rows.itertuples())
    drawn = "mean and 95% interval" if intervals else "mean"
    alt = (
        f"{title}: {drawn} per {per} on a {low:g} to {high:g} scale; hollow points have fewer "
        f"than {minimum} respondents. " + "; ".join(parts) + "."
    )
    caption = (
        f"{title}: mean and its 95% interval (Student t)."
        if intervals
        else f"{title}: mean only (the intervals are not published when a group of the family is hidden: they "
        f"would give its spread)."
    )
    return Chart(
        figure_svg(fig, name, alt),
        alt,
        f"{caption} A hollow point has fewer than {minimum} respondents: too few to compare.",
    )


@_themed
def band_chart(rows: pd.DataFrame, bands: Sequence[str], title: str, name: str = "measure-bands") -> Chart:
    """Stacked horizontal bars of band shares per group (rows: ``label``, ``band``, ``agree_share``,
    ``suppressed``, ``reason``), bands in order from the lowest scores; a hidden group gets its reason."""
    labels = list(dict.fromkeys(rows["label"]))
    fig, ax = _figure(7.2, 0.42 * max(len(labels), 1) + 1.6)
    ys = np.arange(len(labels))
    left = np.zeros(len(labels))
    parts: dict[str, list[str]] = {label: [] for label in labels}
    for k, band in enumerate(bands):
        own = rows[rows["band"] == band].set_index("label")
        widths = np.array(
            [
                0.0
                if bool(own.loc[lb, "suppressed"])
                else float(own.loc[lb, "agree_share"]) * 100
                if lb in own.index
                else 0.0
                for lb in labels
            ]
        )
        ax.barh(
            ys,
            widths,
            left=left,
            color=BAND_COLOURS[k % len(BAND_COLOURS)],
            hatch=BAND_HATCHES[k % len(BAND_HATCHES)],
            edgecolor="white",
            label=literal(band),
        )
        for y, (x, w, lb) in enumerate(zip(left, widths, labels, strict=False)):
            if lb in own.index and not bool(own.loc[lb, "suppressed"]):
                parts[lb].append(f"{band} {w:.0f}%")
                if w >= 7:
                    ax.text(
                        x + w / 2,
                        y,
                        f"{w:.0f}%",
                        ha="center",
                        va="center",
                        fontsize=7,
                        bbox=dict(facecolor="white", edgecolor="none", pad=0.8, alpha=0.85),
                    )
        left += widths
    for y, lb in enumerate(labels):
        own = rows[rows["label"] == lb]
        if len(own) and bool(own["suppressed"].iloc[0]):
            reason = str(own["reason"].iloc[0])
            ax.text(1, y, literal(not_shown_mark(reason)), va="center", fontsize=7, color="#555555")
            parts[lb] = [reason]
    ax.set_yticks(ys, [wrap(lb, 28) for lb in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of respondents with a score")
    _title(ax, title)
    fig.legend(
        *ax.get_legend_handles_labels(), loc="outside lower center", ncols=max(len(bands), 1), fontsize=7, frameon=False
    )
    alt = (
        f"{title}: stacked bars of the share in each band per group. "
        + "; ".join(f"{lb}: {', '.join(p)}" for lb, p in parts.items())
        + "."
    )
    return Chart(figure_svg(fig, name, alt), alt, f"{title}: share of each group in each band.")


# --------------------------------------------------------------------------
# the section


def _blocks(figures: PublishedFigures) -> list[tuple[str, str, str, str]]:
    """(survey, survey name, instrument, informant) of each measure published, in table order."""
    means = figures.measure_means()
    if not len(means):
        return []
    keys = means[["survey", "survey_name", "instrument", "informant"]].drop_duplicates()
    return [tuple(k) for k in keys.itertuples(index=False)]


def _previous(assessment: SchoolAssessment) -> tuple[str | None, PublishedFigures | None]:
    """The previous year in the store and its published figures (None, None for the first year)."""
    history = assessment.history
    if len(history) < 2:
        return None, None
    return history[-2].year, history[-2].figures


def _key(row: Any) -> tuple:
    """What matches a mean row across years: its score and group."""
    field = row["subgroup_field"]
    return (row["score"], None if is_missing(field) else field, None if is_missing(field) else row["subgroup"])


def measure_block(
    figures: PublishedFigures,
    instrument: Instrument,
    survey: str,
    survey_name: str,
    informant: str,
    year: str,
    previous_year: str | None = None,
    previous: PublishedFigures | None = None,
    chart_name: str = "measure",
) -> dict[str, Any]:
    """Everything the section shows of one measure in one survey (see the module notes), for the template:
    ``title``, ``table``, ``chart``, ``bands_chart``, ``changes`` (None without an earlier year) and
    ``minimum``."""
    means = figures.measure_means(survey=survey, instrument=instrument.id)
    means = means[means["informant"] == informant]
    bands = figures.measure_bands(survey=survey, instrument=instrument.id)
    bands = bands[bands["informant"] == informant]
    labels = {s.id: s.label for s in instrument.scores}
    rows = []
    for r in means.itertuples():
        own = bands[
            (bands["score"] == r.score)
            & (bands["subgroup_field"].fillna("~") == ("~" if is_missing(r.subgroup_field) else r.subgroup_field))
            & (bands["subgroup"].fillna("~") == ("~" if is_missing(r.subgroup) else r.subgroup))
        ]
        minimum = min_group(instrument, r.score)
        few = not bool(r.suppressed) and int(r.n) < minimum
        rows.append(
            [
                labels.get(r.score, r.score),
                group_name(r),
                describe_mean(r),
                band_text(own) if len(own) else "",
                cell(f"{TOO_FEW_TO_COMPARE} (fewer than {minimum})", "notmet") if few else "",
            ]
        )
    has_bands = bool(len(bands))
    columns = (
        ["Score", "Group", "Mean (95% interval), n"]
        + (["Share in each band"] if has_bands else [])
        + ["Comparing groups"]
    )
    if not has_bands:
        rows = [row[:3] + row[4:] for row in rows]
    table = Table(columns, rows)

    head = headline_score(instrument)
    low, high = head.range(informant or None)
    own = means[means["score"] == head.id].assign(label=lambda t: [group_name(r) for r in t.itertuples()])
    title = f"{survey_name}: {head.label}" + (
        f" ({informant_words(instrument, informant)})" if informant_words(instrument, informant) else ""
    )
    chart = (
        mean_interval_chart(
            own,
            low,
            high,
            min_group(instrument, head.id),
            title,
            head.label,
            name=f"{chart_name}-{survey}-{instrument.id}",
        )
        if len(own)
        else None
    )
    bands_chart = None
    head_bands = bands[bands["score"] == head.id]
    if len(head_bands):
        labelled = head_bands.assign(label=[group_name(r) for r in head_bands.itertuples()])
        bands_chart = band_chart(
            labelled,
            instrument.band_labels(head.id, informant or None),
            f"{title}: bands",
            name=f"{chart_name}-bands-{survey}-{instrument.id}",
        )

    changes = None
    if previous is not None:
        before_rows = previous.measure_means(survey=survey, instrument=instrument.id)
        before_rows = before_rows[before_rows["informant"] == informant]
        if len(before_rows):
            earlier = {_key(r): r for r in before_rows.to_dict("records")}
            change_rows = []
            for r in means.to_dict("records"):
                b = earlier.get(_key(r))
                if b is None:
                    continue
                verdict, note = compare_means(b, r, instrument, r["score"], previous_year or "last year", year)
                change_rows.append(
                    [
                        labels.get(r["score"], r["score"]),
                        group_name(r),
                        describe_mean(b),
                        describe_mean(r),
                        change_words(verdict, note, b, r),
                    ]
                )
            if change_rows:
                changes = Table(
                    ["Score", "Group", previous_year or "", year, f"Change since {previous_year}"], change_rows
                )
    better = [s.label for s in instrument.scores if not higher_is_better(instrument, s.id)]
    return dict(
        title=f"{instrument.name}: {survey_name}"
        + (f", {informant_words(instrument, informant)}" if informant_words(instrument, informant) else ""),
        table=table,
        chart=chart,
        bands_chart=bands_chart,
        changes=changes,
        minimum=minimum_words(instrument),
        lower_better=(f"For {', '.join(better)} a lower score is the better one." if better else ""),
        banding=(
            f"Bands: the {banding.scheme} banding for the {informant_words(instrument, informant) or informant}."
            if has_bands and (banding := instrument.banding(informant or None))
            else ""
        ),
        licence=instrument.licence,
    )


def measures_section(assessment: SchoolAssessment) -> Fragment:
    """The "Wellbeing measures" section of a school report (see the module notes)."""
    a = assessment
    figures = a.current.figures
    previous_year, previous = _previous(a)
    blocks = []
    for survey, survey_name, instrument_id, informant in _blocks(figures):
        found = instruments_of([instrument_id])
        if not found:
            continue
        blocks.append(measure_block(figures, found[0], survey, survey_name, informant, a.year, previous_year, previous))
    earlier = [y.year for y in a.history[:-1] if len(y.figures.measure_means())]
    intro = (
        "Validated wellbeing measures the school's surveys carried, scored exactly as their publishers say: "
        "per group the mean score with its 95% confidence interval (Student t) and, for a banded score, the "
        f"share in each band. Groups of fewer than {a.min_group_size} respondents are not shown, nor any group "
        "from which a smaller one could be worked out. A group below a measure's minimum for comparing groups "
        f"is shown but marked \u201c{TOO_FEW_TO_COMPARE}\u201d, and a change since last year is called only "
        "when both years reach that minimum and their 95% intervals do not overlap."
    )
    empty = f"No survey in {a.year} carried a validated measure" + (
        f" (the store has measures for {', '.join(earlier)})." if earlier else "."
    )
    return render("measures.html.j2", "measures", intro=intro, blocks=blocks, empty=empty, previous_year=previous_year)


__all__ = [
    "band_chart",
    "band_text",
    "group_name",
    "informant_words",
    "mean_interval_chart",
    "measure_block",
    "measures_section",
]
