"""Seaborn charts rendered to SVG text, each with alt text written from its data.

Charts are stateless: every chart is drawn inside one ``rc_context`` holding
the whole theme (seaborn's whitegrid style and notebook context, DejaVu Sans,
SVG settings), so a chart looks the same whatever was drawn before it in the
same kernel, and no global matplotlib state is touched. Figures are built with
:class:`matplotlib.figure.Figure` directly, not through pyplot, so notebooks
never display them twice and no GUI backend is needed.

Matplotlib numbers the ids inside an SVG from 1 in every figure, so two charts
on one page would share ids such as ``figure_1``; :func:`figure_svg` prefixes
every id (and every reference to it) with a per-chart prefix.
"""

from __future__ import annotations

import hashlib
import io
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from html import escape

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.rcsetup import cycler

from ..data.frameworks import Scale

PALETTE = {"staff": "#1b6a8c", "pupil": "#e0892b", "parent": "#5a9e4b"}
FONT = "DejaVu Sans"
SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "wqm", "font.family": FONT, "font.size": 9, "text.usetex": False}


@dataclass(frozen=True)
class Chart:
    """An SVG chart with its alt text (from the data) and a caption."""

    svg: str
    alt: str
    caption: str = ""

    def _repr_html_(self) -> str:
        return self.svg


@cache
def theme_rc() -> dict:
    """The complete theme as one rc dict (built once, never installed globally)."""
    rc: dict = {}
    rc.update(sns.axes_style("whitegrid"))
    rc.update(sns.plotting_context("notebook"))
    rc["axes.prop_cycle"] = cycler(color=sns.color_palette("deep"))
    rc.update(SVG_RC)
    rc["font.sans-serif"] = [FONT]
    return rc


def literal(text: object) -> str:
    """Text that matplotlib draws as it is: '$' would start mathtext."""
    return str(text).replace("$", r"\$")


def wrap(label: object, width: int = 34) -> str:
    return "\n".join(textwrap.wrap(literal(label), width)) or literal(label)


_ID = re.compile(r'\bid="([^"]+)"')


def unique_ids(svg: str, prefix: str) -> str:
    """Prefix every id of ``svg`` and every reference to one."""
    ids = set(_ID.findall(svg))
    if not ids:
        return svg
    pattern = re.compile(
        r'(\bid="|url\(#|href="#)(' + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r')(?=["\)])'
    )
    return pattern.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def figure_svg(fig: Figure, name: str, alt: str) -> str:
    """The figure as standalone SVG text with ids unique to this chart, marked as
    an image whose ``<title>`` is ``alt`` (screen readers read it, and a tagged
    PDF takes it as the figure's alternative text)."""
    buf = io.StringIO()
    with matplotlib.rc_context(theme_rc()):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    digest = hashlib.sha1(svg.encode("utf-8")).hexdigest()[:8]
    svg = unique_ids(svg, f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}-{digest}")
    head_end = svg.index(">") + 1
    svg = (
        svg[: head_end - 1]
        + ' role="img"'
        + svg[head_end - 1 : head_end]
        + f"<title>{escape(alt)}</title>"
        + svg[head_end:]
    )
    return Markup(svg)


def _themed(draw: Callable[..., Chart]) -> Callable[..., Chart]:
    def wrapper(*args, **kwargs) -> Chart:
        with matplotlib.rc_context(theme_rc()):
            return draw(*args, **kwargs)

    wrapper.__doc__, wrapper.__name__ = draw.__doc__, draw.__name__
    return wrapper


def _figure(width: float, height: float) -> tuple[Figure, matplotlib.axes.Axes]:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _title(ax, title: str) -> None:
    ax.set_title(literal(title), loc="left", fontsize=10, fontweight="bold")


SEF_COLOUR = "#1b6a8c"
AUDIT_COLOUR = "#b5651d"


def _scale_axis(ax, scale: Scale, title: str) -> None:
    """A rating scale along x (each level's value and label), no axis titles, the chart's title."""
    ax.set_xticks(list(scale.values))
    ax.set_xticklabels([wrap(f"{lv.value} {lv.label}", 14) for lv in scale.levels], fontsize=7)
    ax.set_xlabel("")
    ax.set_ylabel("")
    _title(ax, title)


def not_shown_mark(reason: str) -> str:
    """A hidden figure as a chart writes it beside its bar: "fewer than 5 responses, not shown", or "not
    shown" when the reason is a sentence of its own (the alt text and the tables give it whole)."""
    return "not shown" if reason.startswith("not shown") else f"{reason}, not shown"


@_themed
def sef_chart(
    principles: pd.DataFrame,
    scale: Scale,
    title: str = "Self-evaluation by section",
    audit: pd.DataFrame | None = None,
    audit_name: str = "Staff audit",
) -> Chart:
    """Horizontal bars: mean rating of each section, on the scale's labels; with ``audit`` (whole-group
    rows of a rating survey from the published figures: ``section_id``, ``mean``, ``n``, ``suppressed``,
    ``reason``) a second, hatched bar per section for the staff's mean rating, or the reason it is not
    shown."""
    if audit is not None and len(audit):
        return _sef_audit_chart(principles, scale, title, audit, audit_name)
    data = principles.assign(
        label=[wrap(f"{r.principle_id} {r.principle}") for r in principles.itertuples()],
        value=principles["mean_rating"].fillna(0),
    )
    fig, ax = _figure(7.2, 0.45 * len(data) + 1.2)
    sns.barplot(data=data, y="label", x="value", ax=ax, color="#1b6a8c", orient="h")
    ax.set_xlim(0, scale.max)
    _scale_axis(ax, scale, title)
    parts = []
    for y, r in enumerate(data.itertuples()):
        text = "not rated" if np.isnan(r.mean_rating) else f"{r.mean_rating:.1f}"
        ax.text(max(r.value, 0) + 0.05, y, text, va="center", fontsize=8)
        parts.append(f"{r.principle_id} {text}")
    alt = f"{title}: bar chart of mean rating on a {scale.min} to {scale.max} scale. " + "; ".join(parts) + "."
    return Chart(figure_svg(fig, "sef", alt), alt, f"{title} (mean rating, {scale.min} to {scale.max}).")


def _sef_audit_chart(principles: pd.DataFrame, scale: Scale, title: str, audit: pd.DataFrame, audit_name: str) -> Chart:
    """The self-evaluation chart with the staff audit beside it (see :func:`sef_chart`)."""
    by_section = {r.section_id: r for r in audit.itertuples()}
    labels = [wrap(f"{r.principle_id} {r.principle}") for r in principles.itertuples()]
    own = principles["mean_rating"].to_numpy(dtype=float)
    staff_means: list[float] = []
    for pid in principles["principle_id"]:
        r = by_section.get(pid)
        staff_means.append(np.nan if r is None or r.suppressed else float(r.mean))
    staff = np.array(staff_means, dtype=float)
    fig, ax = _figure(7.2, 0.7 * len(principles) + 1.5)
    ys = np.arange(len(principles))
    h = 0.38
    ax.barh(ys - h / 2, np.nan_to_num(own), height=h, color=SEF_COLOUR, label="Self-evaluation (mean rating)")
    ax.barh(
        ys + h / 2,
        np.nan_to_num(staff),
        height=h,
        color=AUDIT_COLOUR,
        hatch="///",
        edgecolor="white",
        linewidth=0,
        label=f"{literal(audit_name)} (mean rating)",
    )
    ax.set_yticks(ys, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, scale.max + 0.9)  # room for the value labels of a bar at the top of the scale
    _scale_axis(ax, scale, title)
    parts = []
    for y, (pid, mine, theirs) in enumerate(zip(principles["principle_id"], own, staff, strict=False)):
        mine_text = "not rated" if np.isnan(mine) else f"{mine:.1f}"
        ax.text(np.nan_to_num(mine) + 0.05, y - h / 2, mine_text, va="center", fontsize=8)
        r = by_section.get(pid)
        if r is None:
            staff_text = "not asked"
        elif r.suppressed:
            staff_text = r.reason if r.reason.startswith("not shown") else f"{r.reason}, not shown"
        else:
            staff_text = f"{theirs:.1f} (n={r.n})"
        on_chart = not_shown_mark(r.reason) if r is not None and r.suppressed else staff_text
        ax.text(
            np.nan_to_num(theirs) + 0.05,
            y + h / 2,
            f"{literal(audit_name.lower())} {on_chart}",
            va="center",
            fontsize=7,
            color="#333333",
        )
        parts.append(f"{pid} {mine_text}, {audit_name.lower()} {staff_text}")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=7, frameon=False)
    alt = (
        f"{title}: bar chart of mean rating on a {scale.min} to {scale.max} scale, the self-evaluation beside "
        f"the {audit_name.lower()} (staff's mean rating). " + "; ".join(parts) + "."
    )
    return Chart(
        figure_svg(fig, "sef", alt),
        alt,
        f"{title} (mean rating, {scale.min} to {scale.max}), with the {audit_name.lower()} beside it (hatched).",
    )


@_themed
def survey_chart(whole: pd.DataFrame, min_group_size: int, title: str = "Stakeholders agreeing, by section") -> Chart:
    """Grouped bars of the published share agreeing per section and survey;
    suppressed groups are marked rather than drawn."""
    data = whole.assign(
        label=[wrap(f"{r.section_id} {r.section}") for r in whole.itertuples()],
        pct=whole["agree_share"].astype(float) * 100,
    )
    order = list(dict.fromkeys(data["label"]))
    surveys = list(dict.fromkeys(data["survey"]))
    names = dict(zip(data["survey"], data["survey_name"], strict=False))
    fig, ax = _figure(7.2, 0.6 * len(order) + 1.4)
    sns.barplot(
        data=data.fillna({"pct": 0}),
        y="label",
        x="pct",
        hue="survey",
        order=order,
        hue_order=surveys,
        palette=PALETTE,
        ax=ax,
        orient="h",
    )
    height = 0.8 / max(len(surveys), 1)
    for r in data[data["suppressed"]].itertuples():
        y = order.index(r.label) - 0.4 + height * (surveys.index(r.survey) + 0.5)
        ax.text(1, y, f"{names[r.survey]}: {not_shown_mark(r.reason)}", va="center", fontsize=6.5, color="#555555")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% agree or strongly agree")
    ax.set_ylabel("")
    _title(ax, title)
    handles, labels = ax.get_legend_handles_labels()
    legend = ax.get_legend()
    assert legend is not None  # seaborn draws one for the hue
    legend.remove()
    fig.legend(
        handles,
        [names.get(x, x) for x in labels],
        loc="outside lower center",
        ncols=max(len(surveys), 1),
        fontsize=7,
        frameon=False,
    )
    parts = [
        f"{r.section_id} {r.survey_name.lower()} " + (r.reason if r.suppressed else f"{r.agree_share:.0%}")
        for r in data.itertuples()
    ]
    alt = f"{title}: bar chart of the share agreeing. " + "; ".join(parts) + "."
    return Chart(
        figure_svg(fig, "survey", alt),
        alt,
        f"{title}. Groups of fewer than {min_group_size} respondents are not shown.",
    )


@_themed
def trend_chart(trend: pd.DataFrame, scale: Scale, title: str = "Self-evaluation over time") -> Chart:
    """Mean rating of each section per academic year (columns: year, principle_id, mean_rating)."""
    fig, ax = _figure(7.2, 3.2)
    sns.lineplot(
        data=trend,
        x="year",
        y="mean_rating",
        hue="principle_id",
        style="principle_id",
        markers=True,
        dashes=False,
        ax=ax,
    )
    ax.set_ylim(scale.min - 0.2, scale.max + 0.2)
    ax.set_yticks(list(scale.values))
    ax.set_xlabel("")
    ax.set_ylabel("mean rating")
    _title(ax, title)
    ax.legend(title="", fontsize=7, ncols=min(7, max(trend["principle_id"].nunique(), 1)), loc="upper left")
    parts = []
    for pid, g in trend.groupby("principle_id", sort=False):
        values = ", ".join(
            f"{y} {'not rated' if pd.isna(v) else f'{v:.1f}'}"
            for y, v in zip(g["year"], g["mean_rating"], strict=False)
        )
        parts.append(f"{pid}: {values}")
    alt = f"{title}: line chart of mean rating per year. " + "; ".join(parts) + "."
    return Chart(figure_svg(fig, "trend", alt), alt, f"{title} (mean rating per year).")


@_themed
def heatmap(
    matrix: pd.DataFrame,
    title: str,
    vmin: float,
    vmax: float,
    fmt: str = ".1f",
    cmap: str = "YlGnBu",
    cbar_label: str = "",
    name: str = "heatmap",
) -> Chart:
    """Annotated heatmap (e.g. schools x sections); blank cells stay blank."""
    shown = matrix.astype(float)
    shown.index = [literal(i) for i in shown.index]
    fig, ax = _figure(1.0 + 0.85 * max(len(shown.columns), 3), 0.5 * len(shown) + 1.3)
    sns.heatmap(
        shown,
        annot=True,
        fmt=fmt,
        vmin=vmin,
        vmax=vmax,
        cmap=cmap,
        ax=ax,
        linewidths=0.5,
        cbar_kws={"label": cbar_label},
        annot_kws={"fontsize": 8},
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    _title(ax, title)
    ax.tick_params(axis="x", rotation=0)
    parts = []
    for school, row in matrix.astype(float).iterrows():
        values = ", ".join(f"{col} {'blank' if pd.isna(v) else format(v, fmt)}" for col, v in row.items())
        parts.append(f"{school}: {values}")
    alt = f"{title}: table of {len(matrix)} rows. " + "; ".join(parts) + "."
    return Chart(figure_svg(fig, name, alt), alt, title)
