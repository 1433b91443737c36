"""Report sections for trends across years and the action plan, with their charts.

* :func:`trends_section`: the three biggest improvements and declines since
  last year in words, the self-evaluation's mean rating per section across
  every year in the store, and each survey group's published share per year
  with its 95% interval and the verdict on the change since last year
  (:mod:`wqm_nb.model.trends`: a change is called only when the intervals do
  not overlap and both years have enough respondents; a self-evaluation by
  ``min_rating_change``). Suppressed figures show their reason, never a
  number, and are never compared.
* :func:`action_plan_section`: progress against last year's targets, this
  year's targets (overdue ones marked) and suggested targets for the weakest
  sections (:mod:`wqm_nb.model.action_plan`).

Both take a :class:`~wqm_nb.model.SchoolAssessment` and return a
:class:`~wqm_nb.present.html.Fragment` (templates ``trend_changes.html.j2``
and ``action_plan.html.j2``); the charts are SVG with alt text written from
the data, and mean nothing by colour alone (markers, hatches and words).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..model import SchoolAssessment
from ..model.action_plan import (
    ACHIEVED,
    DROPPED,
    NOT_CARRIED,
    OUTCOMES,
    STATUS_WORDS,
    STILL_OPEN,
    ActionPlan,
    build_action_plan,
)
from ..model.trends import (
    COMPARED,
    DECLINED,
    IMPROVED,
    NO_CLEAR_CHANGE,
    NO_EARLIER,
    NOT_COMPARED,
    NOT_RATED,
    NOT_THIS_YEAR,
    SELF_EVALUATION,
    SURVEY,
    TOO_FEW,
    Trends,
    group_label,
    school_trends,
)
from .charts import PALETTE, Chart, _figure, _themed, _title, figure_svg, literal, trend_chart, wrap
from .html import Fragment, Table, cell, is_missing, render

#: markers per survey, so no line is told apart by colour alone
MARKERS = {"staff": "o", "pupil": "s", "parent": "^"}
OTHER_MARKERS = ("D", "v", "P", "X")
OUTCOME_STYLE = {
    ACHIEVED: ("#1d6b2f", ""),
    STILL_OPEN: ("#1b6a8c", "//"),
    NOT_CARRIED: ("#b5651d", ".."),
    DROPPED: ("#8a8f93", "xx"),
}


# --------------------------------------------------------------------------
# cells


def share_cell(row: Any) -> str:
    """One year's published share: '62% (54-70%), n=140', or the reason it is not shown (never a number of
    a suppressed group)."""
    if row is None:
        return "not asked"
    if bool(row.suppressed):
        return str(row.reason)
    return f"{row.agree_share:.0%} ({row.ci_low:.0%}\u2013{row.ci_high:.0%}), n={row.n}"


def change_cell(row: Any) -> tuple[str, str] | str:
    """The verdict on one change row, with its size when the two figures were compared: '▲ improved (+12
    points)', 'no clear change (+4 points)', 'too few responses to compare', 'not compared (...)'."""
    verdict = row.verdict
    if verdict in COMPARED:
        size = (
            f"{row.change:+.1f}"
            if row.kind == SELF_EVALUATION
            else f"{round(row.after * 100) - round(row.before * 100):+d} points"
        )
        if verdict == IMPROVED:
            return cell(f"\u25b2 improved ({size})", "met")
        if verdict == DECLINED:
            return cell(f"\u25bc declined ({size})", "notmet")
        return f"no clear change ({size})"
    if verdict == NOT_COMPARED:
        return str(row.note)
    if verdict in (NO_EARLIER, NOT_THIS_YEAR, NOT_RATED):
        return str(row.note)
    return str(verdict)  # TOO_FEW


def _group_name(row: Any, trends: Trends) -> str:
    label = group_label(row)
    if row.kind == SURVEY and trends.share_words.get(row.survey, "agreeing") != "agreeing":
        label += f" ({trends.share_words[row.survey]})"
    return label


# --------------------------------------------------------------------------
# charts


@_themed
def survey_trend_chart(
    series: pd.DataFrame,
    sections: Sequence[tuple[str, str]],
    years: Sequence[str],
    min_respondents: int,
    title: str = "Stakeholders agreeing across years",
    section_label: str = "section",
) -> Chart:
    """Small multiples, one per section: each survey's published share agreeing per year as a point with its
    95% interval (whole groups of ``agreement`` surveys from ``series``, :data:`wqm_nb.model.trends.SERIES_COLUMNS`).
    Groups with fewer than ``min_respondents`` respondents are drawn hollow (too few to compare); suppressed
    groups are not drawn, and the alt text gives their reason."""
    rows = series[(series["measure"] == "agreement") & series["subgroup_field"].isna()]
    surveys = list(dict.fromkeys(rows["survey"]))
    names = dict(zip(rows["survey"], rows["survey_name"], strict=False))
    markers = {s: MARKERS.get(s, OTHER_MARKERS[k % len(OTHER_MARKERS)]) for k, s in enumerate(surveys)}
    colours = {s: PALETTE.get(s, "#555555") for s in surveys}
    shown_sections = [(sid, name) for sid, name in sections if sid in set(rows["section_id"])]
    ncols = min(4, max(len(shown_sections), 1))
    nrows = max(1, math.ceil(len(shown_sections) / ncols))
    fig = Figure(figsize=(7.2, 2.0 * nrows + 0.9), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    xs = {y: k for k, y in enumerate(years)}
    width = 0.14
    parts = []
    for ax, (sid, name) in zip(axes, shown_sections, strict=False):
        own = rows[rows["section_id"] == sid]
        said = []
        for k, survey in enumerate(surveys):
            g = own[own["survey"] == survey]
            if not len(g):
                continue
            dx = (k - (len(surveys) - 1) / 2) * width
            shown = g[~g["suppressed"].astype(bool)]
            px = [xs[y] + dx for y in shown["year"]]
            share = shown["agree_share"].astype(float).to_numpy() * 100
            low = shown["ci_low"].astype(float).to_numpy() * 100
            high = shown["ci_high"].astype(float).to_numpy() * 100
            if len(shown):
                ax.plot(px, share, color=colours[survey], linewidth=1, alpha=0.6)
                ax.errorbar(
                    px,
                    share,
                    yerr=[share - low, high - share],
                    fmt="none",
                    ecolor=colours[survey],
                    elinewidth=1,
                    capsize=2,
                )
                few = shown["n"].astype(float).to_numpy() < min_respondents
                for x, y, hollow in zip(px, share, few, strict=False):
                    ax.plot(
                        [x],
                        [y],
                        marker=markers[survey],
                        markersize=5,
                        color=colours[survey],
                        markerfacecolor="white" if hollow else colours[survey],
                        linestyle="none",
                    )
            values = []
            for r in g.itertuples():
                values.append(
                    f"{r.year} "
                    + (
                        str(r.reason)
                        if bool(r.suppressed)
                        else f"{r.agree_share:.0%} ({r.ci_low:.0%} to {r.ci_high:.0%}, n={r.n})"
                    )
                )
            said.append(f"{names[survey].lower()} " + ", ".join(values))
        parts.append(f"{sid}: " + "; ".join(said))
        ax.set_title(wrap(f"{sid} {name}", 26), fontsize=7.5, loc="left")
        ax.set_xlim(-0.5, len(years) - 0.5)
        ax.set_xticks(range(len(years)))
        ax.set_xticklabels([literal(y) for y in years], fontsize=6.5, rotation=0 if len(years) <= 3 else 45)
        ax.set_ylim(0, 100)
        ax.set_yticks([0, 25, 50, 75, 100])
        ax.tick_params(axis="y", labelsize=6.5)
    for ax in axes[len(shown_sections) :]:
        ax.set_visible(False)
    for ax in axes[::ncols]:
        ax.set_ylabel("% agree", fontsize=7)
    fig.suptitle(literal(title), x=0.01, ha="left", fontsize=10, fontweight="bold")
    handles = [
        Line2D([], [], color=colours[s], marker=markers[s], markersize=5, linewidth=1, label=literal(names[s]))
        for s in surveys
    ]
    handles.append(
        Line2D(
            [],
            [],
            color="#555555",
            marker="o",
            markersize=5,
            markerfacecolor="white",
            linestyle="none",
            label=f"hollow: fewer than {min_respondents} respondents, too few to compare",
        )
    )
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize=7, frameon=False)
    alt = (
        f"{title}: for each {section_label.lower()}, the share agreeing in each year with its 95% interval. "
        + ". ".join(parts)
        + "."
    )
    return Chart(
        figure_svg(fig, "survey-trends", alt),
        alt,
        f"{title}: share agreeing per year, with its 95% interval (the vertical bar). A group not shown "
        f"that year, to protect anonymity, has no point; a hollow point has fewer than {min_respondents} "
        f"respondents, too few to compare.",
    )


@_themed
def target_progress_chart(
    plan: ActionPlan, section_label: str = "Section", title: str = "Last year's targets now"
) -> Chart:
    """Horizontal stacked bars, one per section that had targets last year: how many were achieved, are
    still open, were not carried forward or were dropped (each outcome with its own hatch and a count
    label)."""
    by_section: dict[str, dict[str, int]] = {}
    for p in plan.progress:
        key = p.principle_id or "Whole school"
        by_section.setdefault(key, {o: 0 for o in OUTCOMES})[p.outcome] += 1
    labels = list(by_section)
    fig, ax = _figure(6.0, 0.3 * len(labels) + 1.1)
    left = np.zeros(len(labels))
    for outcome in OUTCOMES:
        counts = np.array([by_section[k][outcome] for k in labels], dtype=float)
        colour, hatch = OUTCOME_STYLE[outcome]
        ax.barh(
            range(len(labels)),
            counts,
            left=left,
            color=colour,
            hatch=hatch,
            edgecolor="white",
            linewidth=0.5,
            label=outcome,
        )
        for y, (x0, n) in enumerate(zip(left, counts, strict=False)):
            if n:
                ax.text(
                    x0 + n / 2,
                    y,
                    f"{int(n)}",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white",
                    fontweight="bold",
                    bbox=dict(boxstyle="round,pad=0.15", facecolor=colour, edgecolor="none"),
                )
        left += counts
    ax.set_yticks(range(len(labels)), [literal(k) for k in labels])
    ax.invert_yaxis()
    ax.set_xlim(0, max(left.max() if len(left) else 1, 1))
    # the default locator (an AutoLocator) is a MaxNLocator
    cast(MaxNLocator, ax.xaxis.get_major_locator()).set_params(integer=True)
    ax.set_xlabel("targets")
    _title(ax, title)
    fig.legend(
        handles=[
            Patch(facecolor=OUTCOME_STYLE[o][0], hatch=OUTCOME_STYLE[o][1], edgecolor="white", label=o)
            for o in OUTCOMES
        ],
        loc="outside lower center",
        ncols=4,
        fontsize=7,
        frameon=False,
    )
    overdue = sum(p.overdue for p in plan.progress)
    parts = [f"{k}: " + ", ".join(f"{n} {o}" for o, n in by_section[k].items() if n) for k in labels]
    alt = (
        f"{title}: bar chart of the {len(plan.progress)} targets set in {plan.previous_year}, by "
        f"{section_label.lower()} and outcome. " + "; ".join(parts) + f". {overdue} overdue."
    )
    return Chart(
        figure_svg(fig, "target-progress", alt),
        alt,
        f"{title}: each of {plan.previous_year}'s targets by outcome in {plan.year}.",
    )


# --------------------------------------------------------------------------
# sections


def _year_cells(trends: Trends, survey: str, section_id: str) -> list[str]:
    s = trends.series
    rows = s[(s["survey"] == survey) & (s["section_id"] == section_id) & s["subgroup_field"].isna()]
    by_year = {r.year: r for r in rows.itertuples()}
    return [share_cell(by_year.get(y)) for y in trends.years]


def trends_section(assessment: SchoolAssessment) -> Fragment:
    """Trends across every year in the store, with the verdict on each change since last year and the
    biggest improvements and declines in words (see the module notes)."""
    a, fw = assessment, assessment.framework
    trends = school_trends(fw, a.history, a.bank)
    label = fw.section_label
    changes = trends.changes
    rated_years = [y for y in a.history if y.has_self_evaluation]
    rating_chart = None
    if len(rated_years) > 1:
        rating_chart = trend_chart(
            pd.concat([y.principles.assign(year=y.year) for y in rated_years]),
            fw.scale,
            f"Self-evaluation by {label.lower()} over time",
        )
    own = changes[changes["kind"] == SELF_EVALUATION]
    means = {(r.year, r.principle_id): r.mean_rating for r in trends.ratings.itertuples()}
    last = f"Change since {trends.previous_year}" if trends.previous_year else "Change"
    ratings = Table(
        ["", label, *trends.years, last],
        [
            [
                r.section_id,
                r.section,
                *(
                    "not rated" if is_missing(means.get((y, r.section_id))) else f"{means[(y, r.section_id)]:.1f}"
                    for y in trends.years
                ),
                change_cell(r),
            ]
            for r in own.itertuples()
        ],
    )
    whole = changes[(changes["kind"] == SURVEY) & changes["subgroup_field"].isna()]
    surveys = (
        Table(
            [label, "Group", *trends.years, last],
            [
                [r.section_id, _group_name(r, trends), *_year_cells(trends, r.survey, r.section_id), change_cell(r)]
                for r in whole.itertuples()
            ],
        )
        if len(whole)
        else None
    )
    sub = changes[(changes["kind"] == SURVEY) & changes["subgroup_field"].notna() & changes["verdict"].isin(COMPARED)]
    subgroups = (
        Table(
            [label, "Group", trends.previous_year or "", trends.year, last],
            [
                [
                    r.section_id,
                    _group_name(r, trends),
                    f"{r.before:.0%} ({r.before_low:.0%}\u2013{r.before_high:.0%}), n={r.n_before}",
                    f"{r.after:.0%} ({r.after_low:.0%}\u2013{r.after_high:.0%}), n={r.n_after}",
                    change_cell(r),
                ]
                for r in sub.itertuples()
            ],
        )
        if len(sub)
        else None
    )
    survey_chart = None
    if len(trends.series) and len(trends.years) > 1 and (trends.series["measure"] == "agreement").any():
        survey_chart = survey_trend_chart(
            trends.series,
            [(p.id, p.name) for p in fw.principles],
            trends.years,
            trends.rules.min_respondents,
            f"Stakeholders agreeing by {label.lower()}, across years",
            label,
        )
    headlines = (
        [dict(zip(("head", "items"), trends.headline(v), strict=False)) for v in (IMPROVED, DECLINED)]
        if trends.previous_year
        else []
    )
    rules = trends.rules
    return render(
        "trend_changes.html.j2",
        "trends",
        trends=trends,
        headlines=headlines,
        label=label,
        rating_chart=rating_chart,
        ratings=ratings,
        survey_chart=survey_chart,
        surveys=surveys,
        subgroups=subgroups,
        rated_years=len(rated_years),
        min_group_size=a.min_group_size,
        intro=(
            f"Every year in the store, {trends.years[0]} to {trends.years[-1]}"
            if len(trends.years) > 1
            else f"{trends.years[0]} only: changes show from the second year"
        ),
        survey_rule=(
            f"A survey group's change is called a change only when the 95% intervals of the two "
            f"years (Wilson intervals, with n the number of respondents) do not overlap; "
            f"otherwise it is \u201cno clear change\u201d, however large it looks. Groups with "
            f"fewer than {rules.min_respondents} respondents in either year say \u201c{TOO_FEW}\u201d. "
            f"Figures not shown to protect anonymity (fewer than {a.min_group_size} responses, or "
            f"from which a smaller group could be worked out) are never compared."
        ),
        rating_rule=(
            f"A self-evaluation has no sampling interval, so a change of a mean rating is called "
            f"one when it is at least {rules.min_rating_change:g} "
            f"(decisions.trends.min_rating_change in {fw.id}.yaml)."
        ),
        no_clear=NO_CLEAR_CHANGE,
    )


def action_plan_section(assessment: SchoolAssessment, report_date: date | None = None) -> Fragment:
    """Progress against last year's targets, this year's targets and suggested targets for the weakest
    sections (see the module notes); overdue means a review date before ``report_date`` (default: the
    settings' ``as_of``)."""
    a, fw = assessment, assessment.framework
    report_date = report_date or a.settings.as_of_date
    plan = build_action_plan(fw, a.history, report_date)
    label = fw.section_label

    def section(pid: str) -> str:
        return f"{pid} {fw.principle(pid).name}" if pid in fw.principle_ids else "Whole school"

    def outcome(p) -> Any:
        words = p.outcome
        if p.overdue:
            words += f"; overdue (review date {p.review_date})"
        return cell(words, "met" if p.outcome == ACHIEVED else "notmet" if p.overdue else "")

    progress = (
        Table(
            [
                "Target",
                label,
                "Owner",
                "Review date",
                f"Status in {plan.previous_year}",
                f"Status in {plan.year}",
                "Outcome",
            ],
            [
                [
                    p.text or "(no text)",
                    section(p.principle_id),
                    p.owner or "-",
                    p.review_date or "-",
                    STATUS_WORDS.get(p.status_before, p.status_before),
                    STATUS_WORDS.get(p.status_now, p.status_now)
                    if p.status_now
                    else f"closed in {plan.previous_year}"
                    if p.status_before in ("achieved", "dropped")
                    else f"not in {plan.year}'s plan",
                    outcome(p),
                ]
                for p in plan.progress
            ],
        )
        if plan.progress
        else None
    )
    targets = (
        Table(
            ["Target", label, "Owner", "Review date", "Status", "Carried from"],
            [
                [
                    t["text"] or "(no text)",
                    section(t["principle_id"]),
                    t["owner"] or "-",
                    cell(f"{t['review_date']} (overdue)", "notmet") if t["overdue"] else (t["review_date"] or "-"),
                    STATUS_WORDS.get(t["status"], t["status"]),
                    t["carried_from_year"] or "-",
                ]
                for t in plan.targets
            ],
        )
        if plan.targets
        else None
    )
    suggestions = (
        Table(
            [label, "Suggested target", "Why", "Owner", "Review by"],
            [[section(s.principle_id), s.text, s.reason, "(to agree)", s.review_date] for s in plan.suggestions],
        )
        if plan.suggestions
        else None
    )
    chart = (
        target_progress_chart(plan, label, f"{plan.previous_year}'s targets in {plan.year}") if plan.progress else None
    )
    return render(
        "action_plan.html.j2",
        "action-plan",
        plan=plan,
        label=label,
        progress=progress,
        targets=targets,
        suggestions=suggestions,
        chart=chart,
        summary=plan.progress_summary(),
        report_date=report_date.isoformat(),
        weakest_rule=(
            f"Each {label.lower()}'s standing is the average of its mean rating's place on the "
            f"{fw.scale.name.lower()} and the share of stakeholders agreeing (published groups "
            f"only), each from 0 to 1; the weakest {label.lower()}s without an open target get "
            f"a suggestion, at most {fw.decisions.action_plan.suggestions}, reviewed at the end "
            f"of the next term."
        ),
    )


__all__ = [
    "action_plan_section",
    "change_cell",
    "share_cell",
    "survey_trend_chart",
    "target_progress_chart",
    "trends_section",
]
