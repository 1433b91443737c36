"""Seaborn charts rendered to SVG text (crisp in HTML and in the PDF).

Figures are built with :class:`matplotlib.figure.Figure` directly, not through
pyplot, so notebooks never display them twice and no GUI backend is needed.
"""
from __future__ import annotations

import io
import textwrap

import matplotlib
from matplotlib.figure import Figure
import numpy as np
import pandas as pd
import seaborn as sns

from .frameworks import Scale

PALETTE = {"staff": "#1b6a8c", "pupil": "#e0892b", "parent": "#5a9e4b"}
SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "wqm", "font.family": "DejaVu Sans", "font.size": 9}


def wrap(label: str, width: int = 34) -> str:
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def figure_svg(fig: Figure) -> str:
    """The figure as standalone SVG text."""
    buf = io.StringIO()
    with matplotlib.rc_context(SVG_RC):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def _figure(width: float, height: float) -> tuple[Figure, "matplotlib.axes.Axes"]:
    with matplotlib.rc_context(SVG_RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
    sns.set_theme(style="whitegrid", rc={"font.family": "DejaVu Sans"})
    return fig, ax


def sef_chart(principles: pd.DataFrame, scale: Scale, title: str = "Self-evaluation by principle") -> str:
    """Horizontal bars: mean maturity of each principle, on the scale's labels."""
    data = principles.assign(label=[wrap(f"{r.principle_id} {r.principle}")
                                    for r in principles.itertuples()],
                             value=principles["mean_rating"].fillna(0))
    fig, ax = _figure(7.2, 0.45 * len(data) + 1.2)
    sns.barplot(data=data, y="label", x="value", ax=ax, color="#1b6a8c", orient="h")
    ax.set_xlim(0, scale.max)
    ax.set_xticks(list(scale.values))
    ax.set_xticklabels([wrap(f"{lv.value} {lv.label}", 14) for lv in scale.levels], fontsize=7)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
    for y, r in enumerate(data.itertuples()):
        text = "not rated" if np.isnan(r.mean_rating) else f"{r.mean_rating:.1f}"
        ax.text(max(r.value, 0) + 0.05, y, text, va="center", fontsize=8)
    return figure_svg(fig)


def survey_chart(scores: pd.DataFrame, min_group_size: int,
                 title: str = "Stakeholders agreeing, by principle") -> str:
    """Grouped bars of the share agreeing per principle and survey; suppressed
    groups are marked rather than drawn."""
    data = scores.assign(label=[wrap(f"{r.principle_id} {r.principle}") for r in scores.itertuples()],
                         pct=scores["agree"] * 100)
    order = list(dict.fromkeys(data.sort_values("principle_id")["label"]))
    surveys = list(dict.fromkeys(data["survey"]))
    names = dict(zip(data["survey"], data["survey_name"]))
    fig, ax = _figure(7.2, 0.6 * len(order) + 1.4)
    sns.barplot(data=data.fillna({"pct": 0}), y="label", x="pct", hue="survey", order=order,
                hue_order=surveys, palette=PALETTE, ax=ax, orient="h")
    height = 0.8 / max(len(surveys), 1)
    for r in data[data["suppressed"]].itertuples():
        y = order.index(r.label) - 0.4 + height * (surveys.index(r.survey) + 0.5)
        ax.text(1, y, f"{names[r.survey]}: fewer than {min_group_size} responses, not shown",
                va="center", fontsize=6.5, color="#555555")
    ax.set_xlim(0, 100)
    ax.set_xlabel("% agree or strongly agree")
    ax.set_ylabel("")
    ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, [names.get(x, x) for x in labels], loc="upper center", bbox_to_anchor=(0.5, -0.12),
              ncols=len(surveys), fontsize=7, frameon=False)
    return figure_svg(fig)


def trend_chart(trend: pd.DataFrame, scale: Scale, title: str = "Self-evaluation over time") -> str:
    """Mean maturity of each principle per academic year (columns: academic_year,
    principle_id, mean_rating)."""
    fig, ax = _figure(7.2, 3.2)
    sns.lineplot(data=trend, x="academic_year", y="mean_rating", hue="principle_id", marker="o", ax=ax)
    ax.set_ylim(scale.min - 0.2, scale.max + 0.2)
    ax.set_yticks(list(scale.values))
    ax.set_xlabel("")
    ax.set_ylabel("mean maturity")
    ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
    ax.legend(title="", fontsize=7, ncols=min(7, trend["principle_id"].nunique()), loc="upper left")
    return figure_svg(fig)


def heatmap(matrix: pd.DataFrame, title: str, vmin: float, vmax: float, fmt: str = ".1f",
            cmap: str = "YlGnBu", cbar_label: str = "") -> str:
    """Annotated heatmap (e.g. schools x principles)."""
    fig, ax = _figure(1.0 + 0.85 * max(len(matrix.columns), 3), 0.5 * len(matrix) + 1.3)
    sns.heatmap(matrix.astype(float), annot=True, fmt=fmt, vmin=vmin, vmax=vmax, cmap=cmap, ax=ax,
                linewidths=0.5, cbar_kws={"label": cbar_label}, annot_kws={"fontsize": 8})
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
    ax.tick_params(axis="x", rotation=0)
    return figure_svg(fig)
