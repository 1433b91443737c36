"""Report sections that turn figures into decisions: triangulation, and priorities on the risk x capacity grid.

:func:`triangulation_section` shows every section (WQM principle, VbE aspect,
L&M key question) from each view, the leaders' self-evaluation, the staff
audit and the staff, pupil and parent surveys, on one 0-100 scale
(:mod:`wqm_nb.model.triangulation`), flags blind spots and hidden strengths,
and says the blind spots in words for governors. :func:`priorities_section`
places each section on the NCB tool's risk x capacity grid
(:mod:`wqm_nb.model.priorities`) and summarises the school's own sorting of
the elements. Both read published figures only: a hidden group is shown as
its reason, never as a number or a bar.

Charts: :func:`triangulation_chart` (grouped bars, one group per section,
each bar labelled with its view and value, each view with its own hatch as
well as colour) and :func:`priorities_chart` (the 2x2 grid with the
quadrants named in words and each section as a labelled point).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.patches import Patch

from ..data.frameworks import SORTINGS, Framework
from ..model.assessment import SchoolAssessment
from ..model.priorities import QUADRANTS, UNSORTED, Priorities, prioritise
from ..model.triangulation import (
    BLIND_SPOT,
    FLAG_LABELS,
    HIDDEN_STRENGTH,
    LEADERSHIP,
    Triangulation,
    points,
    rating_position,
    triangulate,
)
from .charts import Chart, _figure, _themed, _title, figure_svg, literal, wrap
from .html import Fragment, Table, cell, render

#: colour and hatch of each view (the hatch keeps views apart without colour)
VIEW_STYLE = {
    LEADERSHIP: ("#12465e", ""),
    "staff_audit": ("#b5651d", "///"),
    "staff": ("#1b6a8c", ".."),
    "pupil": ("#e0892b", "\\\\"),
    "parent": ("#5a9e4b", "xx"),
}
OTHER_STYLES = [("#7a5195", "++"), ("#888888", "--")]
FLAG_CSS = {BLIND_SPOT: "notmet", HIDDEN_STRENGTH: "met", "": ""}
PAD = 0.07  # the priorities grid's margin around 0..1, so points at an edge stay inside


def _style(view_id: str, k: int) -> tuple[str, str]:
    return VIEW_STYLE.get(view_id, OTHER_STYLES[k % len(OTHER_STYLES)])


def _rules_file(assessment: SchoolAssessment) -> str:
    return Path(assessment.framework.path).name or assessment.framework.id


# --------------------------------------------------------------------------
# charts


@_themed
def triangulation_chart(tri: Triangulation, title: str = "Triangulation by section") -> Chart:
    """Grouped horizontal bars: per section, one bar per view at its position (0-100), labelled with the
    view and its value in its own units; a view that is not shown has no bar, only its reason."""
    fw = tri.framework
    views = tri.views
    sections = list(fw.principles)
    flags = tri.principles.set_index("principle_id")["flag"]
    by_key = {(r.principle_id, r.view): r for r in tri.table.itertuples()}
    k = len(views)
    bar = 0.8 / k
    fig, ax = _figure(7.2, 0.16 * k * len(sections) + 0.25 * len(sections) + 1.4)
    parts = []
    for j, view in enumerate(views):
        colour, hatch = _style(view.id, j)
        ys, widths = [], []
        for i, p in enumerate(sections):
            r = by_key[(p.id, view.id)]
            y = i - 0.4 + bar * (j + 0.5)
            shown = not np.isnan(r.position)
            if shown:
                ys.append(y)
                widths.append(r.position * 100)
            label = f"{literal(view.short)}: {literal(r.text)}"
            ax.text(
                (r.position * 100 if shown else 0) + 1,
                y,
                label,
                va="center",
                fontsize=6.5,
                color="#222222" if shown else "#555555",
            )
        ax.barh(
            ys,
            widths,
            height=bar * 0.92,
            color=colour,
            hatch=hatch,
            edgecolor="white",
            linewidth=0,
            label=literal(view.name),
        )
    labels = []
    for p in sections:
        flag = flags.get(p.id, "")
        labels.append(wrap(f"{p.id} {p.name}", 28) + (f"\n[{FLAG_LABELS[flag].lower()}]" if flag else ""))
    ax.set_yticks(range(len(sections)), labels, fontsize=7.5)
    ax.set_ylim(len(sections) - 0.5, -0.5)  # first section on top; room for every label, bar or not
    ax.set_xlim(0, 150)  # room for the labels of a bar at 100
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("position on a common 0-100 scale (rating's place on its scale, or % agreeing)", fontsize=7.5)
    ax.set_ylabel("")
    ax.spines["right"].set_visible(False)
    _title(ax, title)
    handles = [
        Patch(facecolor=_style(v.id, j)[0], hatch=_style(v.id, j)[1], edgecolor="white", label=literal(v.name))
        for j, v in enumerate(views)
    ]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(views),
        fontsize=6.5,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.0,
    )
    ax.grid(axis="y", visible=False)
    for i in range(1, len(sections)):
        ax.axhline(i - 0.5, color="#d5dee3", linewidth=0.8)
    for p in sections:
        texts = ", ".join(f"{v.short.lower()} {by_key[(p.id, v.id)].text}" for v in views)
        flag = flags.get(p.id, "")
        parts.append(f"{p.id}: {texts}" + (f" ({FLAG_LABELS[flag].lower()})" if flag else ""))
    alt = (
        f"{title}: bar chart of each {fw.section_label.lower()} seen from {len(views)} views on a common "
        f"0 to 100 scale. " + "; ".join(parts) + "."
    )
    return Chart(
        figure_svg(fig, "triangulation", alt),
        alt,
        f"{title}: each view's position on a common 0-100 scale. A view with no bar is not rated, not "
        f"asked or not shown (its reason is written instead).",
    )


def _place_labels(
    points_xy: list[tuple[float, float, str]],
    avoid: list[tuple[float, float, float, float]],
    char_w: float = 0.017,
    line_h: float = 0.045,
) -> list[tuple[float, float, str, str]]:
    """Where to write each point's label (axes coordinates 0..1): the first of several offsets around the
    point whose box overlaps no label placed before, no other point and no box in ``avoid``.
    Returns (x, y, horizontal alignment, label) per point."""
    placed: list[tuple[float, float, float, float]] = list(avoid)
    dots = [(x - 0.012, y - 0.012, x + 0.012, y + 0.012) for x, y, _ in points_xy]
    out = []
    offsets = [
        (0.025, 0.0),
        (-0.025, 0.0),
        (0.0, 0.05),
        (0.0, -0.05),
        (0.025, 0.05),
        (-0.025, 0.05),
        (0.025, -0.05),
        (-0.025, -0.05),
        (0.05, 0.09),
        (-0.05, 0.09),
        (0.05, -0.09),
        (-0.05, -0.09),
        (0.0, 0.12),
        (0.0, -0.12),
    ]

    def box(x: float, y: float, ha: str, width: float) -> tuple[float, float, float, float]:
        left = x if ha == "left" else x - width if ha == "right" else x - width / 2
        return (left, y - line_h / 2, left + width, y + line_h / 2)

    def clear(b: tuple[float, float, float, float]) -> bool:
        inside = 0 <= b[0] and b[2] <= 1 and 0 <= b[1] and b[3] <= 1
        return inside and not any(b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3] for o in placed + dots)

    for x, y, label in points_xy:
        width = char_w * len(label)
        chosen = None
        for dx, dy in offsets:
            ha = "left" if dx > 0 else "right" if dx < 0 else "center"
            b = box(x + dx, y + dy, ha, width)
            if clear(b):
                chosen = (x + dx, y + dy, ha, b)
                break
        if chosen is None:  # nowhere free: to the right, as close as possible
            chosen = (x + 0.025, y, "left", box(x + 0.025, y, "left", width))
        placed.append(chosen[3])
        out.append((chosen[0], chosen[1], chosen[2], label))
    return out


@_themed
def priorities_chart(pri: Priorities, title: str = "Priorities: risk and capacity") -> Chart:
    """The NCB tool's 2x2 grid: capacity across, risk up, the rule lines at the middle, each quadrant named
    in words at its outer corner, and every section a point labelled with its id (sections at the same place
    share one label; labels are moved clear of each other, with a leader line when moved far)."""
    fw = pri.framework
    t = pri.table
    fig, ax = _figure(6.4, 5.6)
    pad = PAD
    ax.set_xlim(-pad, 1 + pad)
    ax.set_ylim(-pad, 1 + pad)
    ax.axvline(0.5, color="#555555", linewidth=1, linestyle="--")
    ax.axhline(0.5, color="#555555", linewidth=1, linestyle="--")
    # quadrant names outside the plot, above its top corners and below its bottom ones
    corners = {
        (True, False): (0.0, 1.015, "left", "bottom"),
        (True, True): (1.0, 1.015, "right", "bottom"),
        (False, False): (0.0, -0.015, "left", "top"),
        (False, True): (1.0, -0.015, "right", "top"),
    }
    for high_risk, high_capacity, label, _ in QUADRANTS.values():
        x, y, ha, va = corners[(high_risk, high_capacity)]
        name, _, detail = label.partition(": ")
        ax.text(
            x,
            y,
            f"{name}: {detail}",
            ha=ha,
            va=va,
            fontsize=7.5,
            color="#222222",
            fontweight="bold",
            transform=ax.transAxes,
            clip_on=False,
        )
    groups: dict[tuple[float, float], list[str]] = {}
    for r in t.itertuples():
        groups.setdefault((round(float(r.capacity), 2), round(float(r.risk), 2)), []).append(r.principle_id)
    located = [(x, y, ", ".join(ids)) for (x, y), ids in groups.items()]
    ax.scatter(
        [x for x, _, _ in located],
        [y for _, y, _ in located],
        s=36,
        color="#12465e",
        zorder=3,
        edgecolor="white",
        linewidth=0.8,
    )

    def frac(v: float) -> float:  # data (-pad..1+pad) to axes fraction
        return (v + pad) / (1 + 2 * pad)

    spots = _place_labels([(frac(x), frac(y), label) for x, y, label in located], [])
    for (x, y, _), (lx, ly, ha, text) in zip(located, spots, strict=False):
        ax.text(
            lx, ly, literal(text), ha=ha, va="center", fontsize=8, color="#111111", zorder=4, transform=ax.transAxes
        )
        if abs(lx - frac(x)) > 0.03 or abs(ly - frac(y)) > 0.03:
            ax.plot([frac(x), lx], [frac(y), ly], color="#888888", linewidth=0.6, zorder=2, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    capacity = f"maturity, evidence and {pri.audit.lower()}" if pri.audit else "maturity and evidence"
    ax.set_xlabel(f"Capacity, lower to higher: {literal(capacity)} (the weakest counts)", fontsize=7.5, labelpad=16)
    ax.set_ylabel("Risk, lower to higher: stakeholder results and concern indicators", fontsize=7.5)
    ax.grid(False)
    ax.set_title(literal(title), loc="left", fontsize=10, fontweight="bold", pad=18)
    parts = []
    for q, (_, _, label, _) in QUADRANTS.items():
        ids = list(pri.in_quadrant(q)["principle_id"])
        parts.append(f"{label}: {', '.join(ids) if ids else 'none'}")
    alt = (
        f"{title}: a 2 by 2 grid with capacity across and risk up, each {fw.section_label.lower()} a labelled "
        f"point. " + "; ".join(parts) + "."
    )
    return Chart(
        figure_svg(fig, "priorities", alt),
        alt,
        f"{title}. Each {fw.section_label.lower()} sits in the quadrant its rules give; within a "
        f"quadrant, further from the dashed lines means more clearly so.",
    )


# --------------------------------------------------------------------------
# sections


def triangulation_section(assessment: SchoolAssessment, triangulation: Triangulation | None = None) -> Fragment:
    """The triangulation section: the views of every section side by side (chart and table), blind spots
    in words for governors, hidden strengths, and the rules used."""
    fw = assessment.framework
    tri = triangulation or triangulate(fw, assessment.bank, assessment.current)
    rules = tri.rules
    label = fw.section_label.lower()
    summary = tri.principles.set_index("principle_id")
    columns = [
        fw.section_label,
        *(v.short if v.id != LEADERSHIP else "Leaders' self-evaluation" for v in tri.views),
        "Leaders vs stakeholders (0-100)",
        "Flag",
    ]
    rows = []
    for p in fw.principles:
        s = summary.loc[p.id]
        if np.isnan(s["gap"]):
            versus = "no comparison"
        else:
            versus = (
                f"{points(s['leadership'])} vs {points(s['others'])} ({'+' if s['gap'] >= 0 else '-'}"
                f"{points(abs(s['gap']))})"
            )
        rows.append(
            [
                f"{p.id} {p.name}",
                *(tri.cell(p.id, v.id) for v in tri.views),
                versus,
                cell(FLAG_LABELS[s["flag"]] or "none", FLAG_CSS[s["flag"]]),
            ]
        )
    any_view = bool(tri.table.loc[tri.table["view"] != LEADERSHIP, "position"].notna().any())
    chart = triangulation_chart(tri, f"Leaders and stakeholders, by {label}") if len(tri.views) > 1 else None
    audit = [v.name for v in tri.views if v.kind == "rating"]
    counted = (
        "the staff audit and the published stakeholder surveys"
        if audit and rules.staff_audit_counts
        else "the published stakeholder surveys"
    )
    rule_text = (
        f"A blind spot: the leaders' position at least {points(rules.blind_spot_gap)} points above the "
        f"mean of {counted}; a hidden strength: at least {points(rules.hidden_strength_gap)} points below "
        f"it. Each published group counts once, whatever its size; at least {rules.min_views} published "
        f"view{'s are' if rules.min_views != 1 else ' is'} needed. Rules from {_rules_file(assessment)} "
        f"(decisions.triangulation)."
    )
    intro = (
        f"Each {label} seen from every view on one scale from 0 to 100: the self-evaluation's mean rating and "
        f"the staff audit's mean rating as their place on the rating scale (the lowest level 0, the highest "
        f"100), and each survey's share agreeing. A group too small to publish, or a survey that does not "
        f"ask about the {label}, is named in its place and never counted."
    )
    return render(
        "triangulation.html.j2",
        "triangulation",
        framework=fw,
        year=assessment.year,
        intro=intro,
        rated=assessment.current.has_self_evaluation,
        any_view=any_view,
        chart=chart,
        views_table=Table(columns, rows, css="wqm-table wqm-triangulation"),
        blind_spots=list(tri.blind_spots.itertuples()),
        hidden_strengths=list(tri.hidden_strengths.itertuples()),
        rule_text=rule_text,
        unmapped=list(tri.unmapped),
        audit_shown_only=bool(audit) and not rules.staff_audit_counts,
        section_label=fw.section_label,
    )


def priorities_section(
    assessment: SchoolAssessment, priorities: Priorities | None = None, sorting_table: bool = True
) -> Fragment:
    """The priorities section: every section on the risk x capacity grid (chart, words by quadrant, a table
    of the reasons), the school's sorting of the elements (its count per section unless ``sorting_table`` is
    False: the debrief leaves it to the appendix), the elements to discuss, and the rules used."""
    fw = assessment.framework
    pri = priorities or prioritise(fw, assessment.bank, assessment.current)
    rules = pri.rules
    label = fw.section_label.lower()
    by_quadrant = []
    for q, (_, _, name, meaning) in QUADRANTS.items():
        rows = pri.in_quadrant(q)
        by_quadrant.append(
            dict(
                name=name,
                meaning=meaning,
                members=[
                    dict(
                        id=r.principle_id, name=r.principle, concerns=list(r.concerns), capacity=list(r.capacity_notes)
                    )
                    for r in rows.itertuples()
                ],
            )
        )
    table = Table(
        [fw.section_label, "Quadrant", "Risk: concern indicators", "Capacity: below its threshold"],
        [
            [
                f"{r.principle_id} {r.principle}",
                QUADRANTS[r.quadrant][2],
                "; ".join(r.concerns) or "none",
                "; ".join(r.capacity_notes) or "none",
            ]
            for r in pri.table.itertuples()
        ],
        css="wqm-table wqm-priorities",
    )
    sorted_any = _sorted_any(pri)
    sorting = _sorting_table(fw, pri)
    discuss = list(pri.discuss.itertuples())
    scale = fw.scale
    low = [
        f"{lv.label} ({lv.value})"
        for lv in scale.levels
        if rating_position(lv.value, scale.min, scale.max) <= rules.low_element_position_at_most + 1e-9
    ]
    risks = [f"a published stakeholder group below {rules.risk_agreement_below:.0%} agreeing"]
    if rules.blind_spot_is_risk:
        risks.append("a blind spot")
    if low:
        risks.append("an element rated " + " or ".join(low))
    if rules.unrated_is_risk:
        risks.append("an element not yet rated")
    capacities = [
        f"maturity at least {points(rules.capacity_position_at_least)} of 100",
        f"evidence for at least {rules.capacity_evidence_share_at_least:.0%} of the elements",
    ]
    if pri.audit:
        capacities.append(
            f"the {pri.audit.lower()}, when published, at least {points(rules.capacity_audit_position_at_least)} of 100"
        )
    rule_text = (
        f"High risk when any of these shows: {'; '.join(risks)}. High capacity when all of these hold: "
        f"{'; '.join(capacities)}. Rules from {_rules_file(assessment)} (decisions.priorities)."
    )
    sources = ["the maturity of practice", "the evidence for it"] + ([f"the {pri.audit.lower()}"] if pri.audit else [])
    intro = (
        "The NCB framing principles tool maps priorities for action with capacity and risk as the two axes. "
        "Risk comes from what stakeholders report and from concern indicators; capacity from "
        f"{', '.join(sources[:-1])} and {sources[-1]}."
    )
    return render(
        "priorities.html.j2",
        "priorities",
        framework=fw,
        year=assessment.year,
        rated=pri.rated,
        intro=intro,
        chart=priorities_chart(pri, f"Priorities by {label}: risk and capacity") if pri.rated else None,
        by_quadrant=by_quadrant,
        grid_table=table,
        sorting=sorting,
        sorted_any=sorted_any,
        discuss=discuss,
        rule_text=rule_text,
        label=label,
        section_label=fw.section_label,
        not_for_us=SORTINGS["not_for_us"],
        sorting_table=sorting_table,
    )


def _sorted_any(priorities: Priorities) -> bool:
    """Whether the school has sorted any element."""
    return bool(priorities.sorting[list(SORTINGS)].to_numpy().sum())


def _sorting_table(fw: Framework, priorities: Priorities) -> Table:
    """The count of each sorting per section."""
    return Table(
        [fw.section_label, *SORTINGS.values(), "Not sorted yet"],
        [
            [f"{r['principle_id']} {r['principle']}", *(r[c] for c in SORTINGS), r[UNSORTED]]
            for r in priorities.sorting.to_dict("records")
        ],
        css="wqm-table wqm-sorting",
    )


def sorting_section(assessment: SchoolAssessment, priorities: Priorities) -> Fragment:
    """The appendix's count of the school's own sorting of its elements, per section (empty when nothing is
    sorted)."""
    if not _sorted_any(priorities):
        return Fragment("sorting", "")
    return render(
        "appendix_table.html.j2",
        "sorting",
        title="The school's own sorting",
        intro="The tool asks the school to sort each element: we do this now; we want to do this; we don't "
        "want to / don't understand this.",
        section_id="sorting",
        parts=[dict(title="", table=_sorting_table(assessment.framework, priorities))],
    )


__all__ = ["priorities_chart", "priorities_section", "sorting_section", "triangulation_chart", "triangulation_section"]
