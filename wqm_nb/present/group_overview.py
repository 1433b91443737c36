"""The group overview: a :class:`~wqm_nb.model.GroupRollup` as report sections.

``notebooks/group_overview.ipynb`` calls :func:`load_group_overview` and one
method per section: the header, award status, the award pipeline, the
self-evaluation heatmap, the stakeholder heatmaps (a hidden cell is marked
with its reason, never coloured), the wellbeing measures (each school's
mean of a validated measure's headline score with its 95% interval, on one
axis; :mod:`wqm_nb.present.measures`), similar schools, peer support (table
and chart), the governance early-warning list and the trust totals. Links to the
schools' reports are URL-quoted file names. Every survey number comes from
the schools' published figures; the trust totals are hidden where showing
them would let a school's hidden figure be worked out
(:func:`wqm_nb.model.group.protect_total`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from ..data.benchmark_file import BenchmarkFile, load_benchmark_file
from ..model.figures import NO_RESPONSES, PROTECTS_CHANGE, PROTECTS_SMALLER, WITHHELD_SURVEY
from ..model.group import (
    NOT_ASKED,
    PROTECTS_SCHOOL,
    SELF_EVALUATION,
    WEIGHT_ANSWERS,
    GroupRollup,
    read_summaries,
    rollup_group,
    rollup_summaries,
)
from ..model.measures import TOO_FEW_TO_COMPARE, describe_mean, headline_score, instruments_of, min_group, minimum_words
from ..settings import GroupSettings
from . import charts
from .charts import Chart, _figure, _themed, _title, figure_svg, literal, wrap
from .html import Fragment, Link, Table, cell, is_missing, num, render
from .measures import informant_words, mean_interval_chart

# -- charts ------------------------------------------------------------------------


def _cell_mark(note: str, min_group_size: int) -> str:
    """The short mark drawn in a heatmap cell that is not shown."""
    if note == NOT_ASKED:
        return "–"
    if note == NO_RESPONSES:
        return "0"
    if note in (PROTECTS_SMALLER, PROTECTS_CHANGE, WITHHELD_SURVEY):
        return "†"
    return f"<{min_group_size}"


def heatmap_key(min_group_size: int) -> str:
    """The key to the marks of :func:`suppressed_heatmap`."""
    return (
        f"<{min_group_size}: fewer than {min_group_size} responses, not shown; †: not shown, so that a smaller "
        f"group (or a change since the last publication) cannot be worked out; 0: no responses; –: not asked."
    )


@_themed
def suppressed_heatmap(
    values: pd.DataFrame, notes: pd.DataFrame, title: str, min_group_size: int, name: str = "heatmap"
) -> Chart:
    """Schools x sections of a share (0..1) as whole percentages; a cell that is not shown is grey and
    carries a mark for its reason (:func:`heatmap_key`) instead of a number or a colour."""
    shown = (values.astype(float) * 100).round()
    fig, ax = _figure(3.2 + 0.85 * max(len(shown.columns), 3), 0.5 * len(shown) + 1.4)
    ax.set_facecolor("#e6e6e6")
    sns.heatmap(
        shown,
        annot=True,
        fmt=".0f",
        vmin=0,
        vmax=100,
        cmap="RdYlGn",
        ax=ax,
        linewidths=0.5,
        linecolor="white",
        cbar_kws={"label": "% agree"},
        annot_kws={"fontsize": 8},
    )
    for i, school in enumerate(shown.index):
        for j, sec in enumerate(shown.columns):
            if pd.isna(shown.loc[school, sec]):
                ax.add_patch(_hidden_cell(j, i))
                ax.text(
                    j + 0.5,
                    i + 0.5,
                    _cell_mark(notes.loc[school, sec], min_group_size),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="#333333",
                )
    ax.set_yticks(np.arange(len(shown)) + 0.5, [literal(s) for s in shown.index], rotation=0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", rotation=0)
    _title(ax, title)
    parts = []
    for school in shown.index:
        cells = []
        for sec in shown.columns:
            v = shown.loc[school, sec]
            cells.append(f"{sec} {v:.0f}%" if not pd.isna(v) else f"{sec} {notes.loc[school, sec]}")
        parts.append(f"{school}: " + ", ".join(cells))
    alt = f"{title}: table of {len(shown)} schools. " + "; ".join(parts) + "."
    return Chart(figure_svg(fig, name, alt), alt, f"{title}. {heatmap_key(min_group_size)}")


def _hidden_cell(x: float, y: float) -> Rectangle:
    """A hatched grey cell, for a value not shown."""
    return Rectangle((x, y), 1, 1, facecolor="#e6e6e6", edgecolor="#bbbbbb", hatch="///", linewidth=0)


PIPELINE_COLOURS = {"holds": "#1b6a8c", "ready": "#5a9e4b", "towards": "#e0892b"}


@_themed
def pipeline_chart(counts: pd.DataFrame, title: str = "Award pipeline") -> Chart:
    """Horizontal stacked bars per level (rows of ``counts``: ``level``, ``holds``, ``ready``,
    ``towards``): schools holding it, ready for it and working towards it."""
    fig, ax = _figure(7.2, 0.55 * len(counts) + 1.5)
    ys = np.arange(len(counts))
    left = np.zeros(len(counts))
    labels = {"holds": "hold it", "ready": "ready to apply", "towards": "working towards it"}
    hatches = {"holds": "", "ready": "..", "towards": "//"}
    for key in ("holds", "ready", "towards"):
        widths = counts[key].to_numpy(dtype=float)
        ax.barh(
            ys, widths, left=left, color=PIPELINE_COLOURS[key], hatch=hatches[key], edgecolor="white", label=labels[key]
        )
        for y, (x, w) in enumerate(zip(left, widths, strict=False)):
            if w:
                ax.text(
                    x + w / 2, y, f"{int(w)}", ha="center", va="center", fontsize=8, color="white", fontweight="bold"
                )
        left += widths
    ax.set_yticks(ys, [wrap(lv, 22) for lv in counts["level"]])
    ax.invert_yaxis()
    ax.set_xlim(0, max(left.max(), 1))
    # the default locator (an AutoLocator) is a MaxNLocator
    cast(MaxNLocator, ax.xaxis.get_major_locator()).set_params(integer=True)
    ax.set_xlabel("schools")
    _title(ax, title)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=7, frameon=False)
    parts = [
        f"{r.level}: {r.holds} hold it, {r.ready} ready to apply, {r.towards} working towards it"
        for r in counts.itertuples()
    ]
    alt = f"{title}: stacked bar chart of schools per award level. " + "; ".join(parts) + "."
    return Chart(
        figure_svg(fig, "pipeline", alt),
        alt,
        f"{title}: schools holding each level, ready to apply (the award rules are met this year) and "
        f"working towards it.",
    )


@_themed
def peer_chart(
    roles: pd.DataFrame, gives: pd.DataFrame, ambassadors: set[str], title: str = "Who can help whom"
) -> Chart:
    """Schools x sections: a cell is a *need* (one of the school's weakest sections), a *giver* (named
    as a partner for that section, with how many schools it could help; an ambassador marked ★) or
    empty. Text in each cell carries the meaning; colour only repeats it."""
    codes = np.zeros(roles.shape)
    for i, school in enumerate(roles.index):
        for j, sec in enumerate(roles.columns):
            role = roles.loc[school, sec]
            codes[i, j] = 1 if role == "need" else 2 if role == "give" else 0
    fig, ax = _figure(1.6 + 0.95 * max(len(roles.columns), 3), 0.5 * len(roles) + 1.5)
    ax.imshow(codes, cmap=ListedColormap(["#f7f7f7", "#f4c38e", "#9fc6da"]), vmin=0, vmax=2, aspect="auto")
    ax.set_xticks(np.arange(len(roles.columns)), list(roles.columns))
    ax.set_yticks(np.arange(len(roles.index)), [literal(s) for s in roles.index])
    ax.set_xticks(np.arange(len(roles.columns) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(roles.index) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="minor", length=0)
    parts = []
    for i, school in enumerate(roles.index):
        found = []
        for j, sec in enumerate(roles.columns):
            role = roles.loc[school, sec]
            if role == "need":
                n = int(gives.loc[school, sec])
                text = "needs" + (f", {'★ ' if school in ambassadors else ''}helps {n}" if n else "")
            elif role == "give":
                n = int(gives.loc[school, sec])
                text = ("★ " if school in ambassadors else "") + f"helps {n}"
            else:
                continue
            ax.text(j, i, text, ha="center", va="center", fontsize=7)
            found.append(f"{sec} {text}")
        parts.append(f"{school}: " + (", ".join(found) if found else "no role"))
    fig.legend(
        handles=[
            Patch(facecolor="#f4c38e", label="needs support"),
            Patch(facecolor="#9fc6da", label="helps (number of schools)"),
            Patch(facecolor="white", edgecolor="#999999", label="★ holds the highest level"),
        ],
        loc="outside lower center",
        ncols=3,
        fontsize=7,
        frameon=False,
    )
    _title(ax, title)
    alt = f"{title}: grid of schools and sections. " + "; ".join(parts) + "."
    return Chart(
        figure_svg(fig, "peer-support", alt),
        alt,
        f"{title}: each school's weakest sections (needs) and the schools suggested as partners (helps).",
    )


# -- the overview ------------------------------------------------------------------


def _percent(value: Any) -> str:
    return "" if is_missing(value) else f"{value:.0%}"


def _score(value: Any) -> str:
    """A strength or gap (0..1) as points out of 100."""
    return "" if is_missing(value) else f"{value * 100:.0f}"


class GroupOverview:
    """The sections of a group roll-up."""

    def __init__(self, rollup: GroupRollup, benchmark_file: BenchmarkFile | None = None):
        self.rollup = rollup
        self.benchmark_file = benchmark_file

    def header(self) -> Fragment:
        r = self.rollup
        title = r.trust or "All schools"
        subtitle = f"Group overview, {r.year}: {len(r.summaries)} schools, as of {r.settings.as_of}"
        return render(
            "group_header.html.j2",
            "header",
            framework=r.framework,
            title=title,
            subtitle=subtitle,
            document_title=f"{title}: {subtitle} ({r.framework.name})",
        )

    def status_section(self) -> Fragment:
        """One row per school: award status (or checklist progress) and a link to its report."""
        r = self.rollup
        links = r.settings.report_links
        quality_mark = r.framework.has_levels
        columns = ["School id", "School", "Phase"] + (
            ["Level met", "Next level", "Progress"] if quality_mark else ["Progress"]
        )
        if links:
            columns.append("Report")
        rows = []
        for s in r.summaries:
            row: list[str | Link] = [s.school_id, s.name, s.phase]
            row += [s.level_met, s.next_level, s.progress] if quality_mark else [s.progress]
            if links:
                row.append(Link(links[s.school_id], quote(links[s.school_id])) if s.school_id in links else "")
            rows.append(row)
        title = "Award readiness" if quality_mark else "Checklist progress"
        intro = (
            "Highest level met and what the next level still needs."
            if quality_mark
            else f"Items rated {r.framework.scale.levels[-1].label.lower()}, per school."
        )
        return render("group_status.html.j2", "status", title=title, intro=intro, status=Table(columns, rows))

    # -- award pipeline --------------------------------------------------------------

    def pipeline_section(self) -> Fragment:
        """Per award level: the schools holding it (recorded award decisions), ready to apply for it
        (its rules met this year) and working towards it; a stacked bar chart of the counts."""
        r, fw = self.rollup, self.rollup.framework
        if not fw.has_levels:
            return render(
                "group_pipeline.html.j2",
                "pipeline",
                title="Award pipeline",
                intro="",
                grid=None,
                chart=None,
                empty=f"The {fw.name} has no award levels: see the checklist progress above.",
            )
        pipe = r.pipeline
        labels = r.labels
        rows, counts = [], []
        for lv in fw.levels:
            holds = pipe[pipe["holds"] == lv.id]
            ready = pipe[(pipe["next"] == lv.id) & pipe["ready"]]
            towards = pipe[(pipe["next"] == lv.id) & ~pipe["ready"]]
            rows.append(
                [
                    lv.name,
                    "; ".join(f"{labels[x.school_id]} (since {x.holds_since})" for x in holds.itertuples()) or "none",
                    "; ".join(
                        labels[x.school_id]
                        + (f" (rules met up to {fw.level(x.rules_met).name})" if x.rules_met != lv.id else "")
                        for x in ready.itertuples()
                    )
                    or "none",
                    "; ".join(labels[x] for x in towards["school_id"]) or "none",
                ]
            )
            counts.append(dict(level=lv.name, holds=len(holds), ready=len(ready), towards=len(towards)))
        missing = [labels[x] for x in pipe.loc[~pipe["has_data"], "school_id"]]
        table = Table(["Level", "Held (awarded)", "Ready to apply", "Working towards"], rows)
        intro = (
            "A level is held from its recorded award decision (wqm award record); a school is ready to "
            "apply for the next level when the award rules find it met this year, "
            f"by the rules in {getattr(fw, 'rules_file', fw.id)}."
        )
        return render(
            "group_pipeline.html.j2",
            "pipeline",
            title="Award pipeline",
            intro=intro,
            grid=table,
            chart=pipeline_chart(pd.DataFrame(counts)),
            missing=f"No data for {r.year}: {', '.join(missing)}." if missing else "",
            empty="",
        )

    def sef_section(self) -> Fragment:
        """Schools x sections heatmap of mean self-evaluated rating."""
        r, fw = self.rollup, self.rollup.framework
        matrix = r.sef
        chart = (
            [
                charts.heatmap(
                    matrix,
                    f"Mean self-evaluated {fw.scale.name.lower()}",
                    vmin=fw.scale.min,
                    vmax=fw.scale.max,
                    cbar_label="rating",
                    name="group-sef",
                )
            ]
            if len(matrix)
            else []
        )
        key = "; ".join(f"{p.id} {p.name}" for p in fw.principles)
        return render(
            "group_charts.html.j2",
            "self-evaluation",
            title=f"Schools by {fw.section_label.lower()}",
            intro=key,
            id="group-sef",
            charts=chart,
            empty="No school has data for this year.",
        )

    def survey_section(self) -> Fragment:
        """Schools x sections heatmaps of the published share agreeing, one per survey; a cell not shown
        is grey with a mark for its reason."""
        r = self.rollup
        found = []
        for survey_id, survey in r.bank.surveys.items():
            matrix = r.agreement(survey_id)
            if len(matrix) and matrix.notna().any().any():
                found.append(
                    suppressed_heatmap(
                        matrix,
                        r.agreement_notes(survey_id),
                        f"{survey.name}: % agreeing",
                        r.settings.min_group_size,
                        name=f"group-{survey_id}",
                    )
                )
        return render(
            "group_charts.html.j2",
            "surveys",
            title="What stakeholders say",
            intro=f"A group that is not shown is a grey cell with a mark for why: "
            f"{heatmap_key(r.settings.min_group_size)}",
            id="group-surveys",
            charts=found,
            empty=f"No survey is mapped to the {r.framework.name}, or no group is large enough to show.",
        )

    # -- wellbeing measures ---------------------------------------------------------

    def measures_section(self) -> Fragment:
        """Schools compared on each validated measure (per survey, instrument and informant): the headline
        score's published whole-group mean with its 95% interval on one axis (hollow below the instrument's
        minimum for comparing groups; a hidden figure by its reason), and a table of every school's figure."""
        r = self.rollup
        means = r.measure_means()
        blocks = []
        keys = []
        if len(means):
            order = {sid: k for k, sid in enumerate(r.bank.surveys)}
            found_keys = means[["survey", "survey_name", "instrument", "informant"]].drop_duplicates()
            keys = sorted(
                found_keys.itertuples(index=False, name=None), key=lambda k: (order.get(k[0], len(order)), k[2], k[3])
            )
        for survey, survey_name, instrument_id, informant in keys:
            found = instruments_of([instrument_id])
            if not found:
                continue
            instrument = found[0]
            head = headline_score(instrument)
            rows = means[
                (means["survey"] == survey)
                & (means["instrument"] == instrument_id)
                & (means["informant"] == informant)
                & (means["score"] == head.id)
            ]
            if not len(rows):
                continue
            who = informant_words(instrument, informant)
            title = f"{survey_name}: {head.label}" + (f" ({who})" if who else "")
            low, high = head.range(informant or None)
            minimum = min_group(instrument, head.id)
            chart = mean_interval_chart(
                rows,
                low,
                high,
                minimum,
                title,
                head.label,
                name=f"group-measure-{survey}-{instrument.id}",
                per="school",
            )
            table = Table(
                ["School", "Mean (95% interval), n", "Comparing schools"],
                [
                    [
                        x.label,
                        describe_mean(x),
                        ""
                        if x.comparable or x.suppressed
                        else cell(f"{TOO_FEW_TO_COMPARE} (fewer than {minimum})", "notmet"),
                    ]
                    for x in rows.itertuples()
                ],
            )
            missing = [r.labels[s.school_id] for s in r.with_data if s.school_id not in set(rows["school_id"])]
            blocks.append(
                dict(
                    title=f"{instrument.name}: {survey_name}" + (f", {who}" if who else ""),
                    chart=chart,
                    grid=table,
                    minimum=minimum_words(instrument, head.id),
                    missing=f"Not measured in {r.year}: {', '.join(missing)}." if missing else "",
                )
            )
        intro = (
            "Each school's published mean of a validated measure's headline score, with its 95% confidence "
            "interval (Student t), on one scale. Where two schools' intervals do not overlap they differ "
            "clearly; where they overlap, the difference may be chance. A hollow point is a school below the "
            f"measure's minimum for comparing groups: “{TOO_FEW_TO_COMPARE}”. A school's figure hidden "
            "in its own report is hidden here, with its reason."
        )
        return render(
            "group_measures.html.j2",
            "measures",
            title="Wellbeing measures",
            intro=intro,
            id="group-measures",
            blocks=blocks,
            empty=f"No school's survey carried a validated wellbeing measure in {r.year}.",
        )

    # -- similar schools ----------------------------------------------------------

    def similar_section(self) -> Fragment:
        """Each school beside the median of its similar schools (same phase, similar pupil numbers)."""
        r = self.rollup
        share = r.framework.decisions.benchmarks.similar_size_share
        labels, similar = r.labels, r.similar_schools
        frame = r.similar
        measures = list(dict.fromkeys(frame["measure"])) if len(frame) else []
        names = {
            SELF_EVALUATION: "Self-evaluation (mean rating)",
            **{sid: f"{s.name} (mean % agreeing)" for sid, s in r.bank.surveys.items()},
        }
        rows = []
        for s in r.with_data:
            if not s.pupils:
                partners = "pupil numbers not recorded"
            elif not similar[s.school_id]:
                partners = "none in the group"
            else:
                partners = "; ".join(labels[o] for o in similar[s.school_id])
            row = [labels[s.school_id], s.phase, "" if not s.pupils else f"{s.pupils:,}", partners]
            own = frame[frame["school_id"] == s.school_id].set_index("measure")
            for m in measures:
                fmt = (lambda v: num(v, 1)) if m == SELF_EVALUATION else _percent
                mine = own.loc[m, "own"] if m in own.index else np.nan
                text = fmt(mine) or "not shown"
                if m in own.index and own.loc[m, "similar_count"]:
                    k = int(own.loc[m, "similar_count"])
                    text += f" (similar: {fmt(own.loc[m, 'similar_median'])}, {k} school{'s' if k != 1 else ''})"
                row.append(text)
            rows.append(row)
        table = Table(["School", "Phase", "Pupils", "Similar schools", *(names.get(m, m) for m in measures)], rows)
        intro = (
            f"Similar schools: the same phase and pupils on roll within {share:.0%} of the larger roll. "
            f"Each figure is the school's own, then the median of its similar schools; survey figures are the "
            f"mean share agreeing over the sections shown (hidden groups never count)."
        )
        return render(
            "group_table.html.j2",
            "similar",
            title="Similar schools",
            intro=intro,
            id="group-similar",
            grid=table if rows else None,
            notes=[],
            empty="No school has data for this year.",
        )

    # -- peer support -------------------------------------------------------------

    def peer_roles(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """School label x section: the role (``need``, ``give`` or '') and how many needs each giver is
        named for, from :attr:`GroupRollup.peer_matches`."""
        r = self.rollup
        labels = r.labels
        sections = list(r.framework.principle_ids)
        index = [labels[s.school_id] for s in r.with_data]
        roles = pd.DataFrame("", index=index, columns=sections, dtype=object)
        gives = pd.DataFrame(0, index=index, columns=sections)
        matches = r.peer_matches
        matches = matches[matches["giver_id"].notna()]
        for m in matches.itertuples():
            roles.loc[labels[m.receiver_id], m.section_id] = "need"
        for m in matches.itertuples():
            giver = labels[m.giver_id]
            gives.loc[giver, m.section_id] += 1
            if roles.loc[giver, m.section_id] != "need":
                roles.loc[giver, m.section_id] = "give"
        return roles, gives

    def peer_section(self) -> Fragment:
        """Givers and receivers: each school's weakest sections and the schools strongest on them
        (holders of the highest level first), as a table and a chart."""
        r, fw = self.rollup, self.rollup.framework
        rules = fw.decisions.peer_support
        labels, ambassadors = r.labels, r.ambassadors
        top = fw.levels[-1].name if fw.levels else ""
        matches = r.peer_matches
        rows = []
        unmatched: dict[str, list[str]] = {}
        for (receiver, sec), group in matches.groupby(["receiver_id", "section_id"], sort=False):
            first = group.iloc[0]
            givers = group[group["giver_id"].notna()]
            if not len(givers):
                unmatched.setdefault(labels[receiver], []).append(f"{sec} ({_score(first.receiver_strength)})")
                continue
            partners = "; ".join(
                f"{labels[g.giver_id]} ({'★ ' + top + ', ' if g.giver_id in ambassadors else ''}"
                f"strength {_score(g.giver_strength)})"
                for g in givers.itertuples()
            )
            rows.append(
                [f"{sec} {fw.principle(sec).name}", labels[receiver], _score(first.receiver_strength), partners]
            )
        notes = [
            f"{school}: no school in the group is {_score(rules.min_gap)} points or more ahead on its weakest "
            f"{fw.section_label.lower()}s, {', '.join(needs)}."
            for school, needs in unmatched.items()
        ]
        rows.sort(key=lambda row: (list(fw.principle_ids).index(row[0].split(" ")[0]), row[1]))
        table = Table([fw.section_label, "School needing support", "Its strength", "Suggested partners"], rows)
        roles, gives = self.peer_roles()
        chart = peer_chart(roles, gives, {labels[a] for a in ambassadors}) if rows else None
        intro = (
            f"For each school, its {rules.weakest} weakest {fw.section_label.lower()}s and up to "
            f"{rules.givers_per_need} schools at least {_score(rules.min_gap)} points stronger there"
            + (f", those holding the {top} award first (★, as ambassadors)" if top else "")
            + f". Strength, from 0 to 100: {1 - rules.stakeholder_share:.0%} the self-rating's place on its "
            f"scale, {rules.stakeholder_share:.0%} the mean published stakeholder agreement (hidden "
            f"groups never count)."
        )
        return render(
            "group_peer.html.j2",
            "peer-support",
            title="Peer support",
            intro=intro,
            grid=table if rows else None,
            chart=chart,
            notes=notes,
            empty="No school has figures to match this year."
            if not notes
            else "No school is far enough ahead of another to suggest a partner.",
        )

    # -- governance ---------------------------------------------------------------

    def governance_section(self) -> Fragment:
        """The early-warning list for governors and the trust board."""
        r, fw = self.rollup, self.rollup.framework
        rules = fw.decisions.governance
        labels = r.labels
        flags = r.governance
        surveys = {sid: s for sid, s in r.bank.surveys.items()}
        rows = []
        fell = flags[flags["kind"] == "fell_while_rose"]
        for (school, sec), group in fell.groupby(["school_id", "section_id"], sort=False):
            first = group.iloc[0]
            falls = "; ".join(
                f"{surveys[f.survey].name.lower()} agreement fell from {_percent(f.previous_share)} "
                f"(n={int(f.previous_n)}) to {_percent(f.share)} (n={int(f.n)})"
                for f in group.itertuples()
            )
            rows.append(
                [
                    labels[school],
                    "Agreement fell while the self-rating rose",
                    f"{sec}, {first.previous_year} to {r.year}: {falls}; the self-rating rose from "
                    f"{num(first.previous_rating, 1)} to {num(first.rating, 1)}",
                ]
            )
        below = flags[flags["kind"] == "below"]
        for (school, survey), group in below.groupby(["school_id", "survey"], sort=False):
            cells = ", ".join(f"{g.section_id} {_percent(g.share)} (n={int(g.n)})" for g in group.itertuples())
            rows.append(
                [labels[school], f"{surveys[survey].name} below {rules.stakeholder_agreement_below:.0%}", cells]
            )
        order = {labels[s.school_id]: i for i, s in enumerate(r.summaries)}
        rows.sort(key=lambda row: order.get(row[0], 0))
        label = fw.section_label.lower()
        intro = (
            f"Listed: {'an' if label[:1] in 'aeiou' else 'a'} {label} whose stakeholder agreement fell by "
            f"{rules.agreement_fall:.0%} or more since the school's previous year (groups of "
            f"{rules.min_respondents} or more respondents both years) while its self-rating rose by "
            f"{rules.min_rating_rise:.0%} of the scale or more, a sign that leaders may not see what "
            f"stakeholders see; and every published stakeholder group below "
            f"{rules.stakeholder_agreement_below:.0%} agreeing. Hidden groups are never listed."
        )
        return render(
            "group_table.html.j2",
            "governance",
            title="Governance early warning",
            intro=intro,
            id="group-governance",
            grid=Table(["School", "Warning", "Details"], rows) if rows else None,
            notes=[],
            empty="No school meets an early-warning rule this year.",
        )

    # -- trust totals -------------------------------------------------------------

    def trust_totals_section(self) -> Fragment:
        """Per section: the trust's self-evaluation and stakeholder figures weighted by pupils on roll;
        a total that would reveal a school's hidden figure is not shown."""
        r, fw = self.rollup, self.rollup.framework
        totals = r.trust_totals
        bf = self.benchmark_file
        phases = sorted({s.phase for s in r.with_data})
        why_not = bf.applies_to(fw.id, phases[0] if len(phases) == 1 else "") if bf is not None else ""
        if bf is not None and not why_not and bf.phase and phases != [bf.phase]:
            why_not = (
                f"the benchmark file {bf.name}: its figures are for {bf.phase} schools and the group has "
                f"{', '.join(phases)} schools"
            )
        use_file = bf is not None and not why_not
        surveys = [SELF_EVALUATION] + [sid for sid in r.bank.surveys if (totals["survey"] == sid).any()]
        names = {
            SELF_EVALUATION: "Self-evaluation (mean rating)",
            **{sid: f"{s.name} (% agreeing)" for sid, s in r.bank.surveys.items()},
        }
        index = {(t.survey, t.section_id): t for t in totals.itertuples()}
        rows = []
        for sec in fw.principle_ids:
            row = [f"{sec} {fw.principle(sec).name}"]
            for survey in surveys:
                t = index.get((survey, sec))
                measure = "mean_rating" if survey == SELF_EVALUATION else r.bank.surveys[survey].measure
                if t is None:
                    text = NOT_ASKED if survey != SELF_EVALUATION else "not rated"
                elif t.suppressed:
                    text = t.reason
                elif survey == SELF_EVALUATION:
                    text = num(t.value, 1)
                else:
                    text = f"{_percent(t.value)} (n={int(t.n):,}" + (
                        ", all answers)" if t.weighting == WEIGHT_ANSWERS else ")"
                    )
                if use_file and bf is not None:  # (use_file: there is a file)
                    f = bf.figure(survey, sec, measure)
                    if f is not None:
                        text += f"; file: {num(f.value, 1) if survey == SELF_EVALUATION else _percent(f.value)}"
                row.append(text)
            rows.append(row)
        weighted = [s for s in r.with_data if s.pupils]
        notes = []
        if r.unweighted:
            notes.append("Left out (no pupil numbers recorded): " + ", ".join(r.labels[x] for x in r.unweighted) + ".")
        if r.withheld_from_totals:
            notes.append(
                "Left out of the surveys they withhold (no survey figure of their school year can be published): "
                + ", ".join(r.labels[x] for x in r.withheld_from_totals)
                + "."
            )
        if use_file and bf is not None:
            notes.append(f"File: {bf.citation}")
        elif bf is not None:
            notes.append(f"Not compared with {why_not}.")
        intro = (
            f"Each school's figure weighted by its pupils on roll ({len(weighted)} schools, "
            f"{sum(s.pupils or 0 for s in weighted):,} pupils). A trust total is not shown where it, with the "
            f"schools' own published figures, would let a school's hidden figure be worked out "
            f'("{PROTECTS_SCHOOL}"). Where a school\'s own figure is hidden, the total marked "all '
            f"answers\" is the share of all the group's answers instead: pupil numbers are public, so a "
            f"total weighted by them would give the hidden school's share away."
        )
        return render(
            "group_table.html.j2",
            "trust-totals",
            title="Trust totals",
            intro=intro,
            id="group-totals",
            grid=Table([fw.section_label, *(names[s] for s in surveys)], rows) if weighted else None,
            notes=notes,
            empty="No school of the group has pupil numbers recorded, so no weighted total is shown.",
        )

    def sections(self) -> list[Fragment]:
        """Every section in overview order (empty ones left out)."""
        parts = [
            self.header(),
            self.status_section(),
            self.pipeline_section(),
            self.sef_section(),
            self.survey_section(),
            self.measures_section(),
            self.similar_section(),
            self.peer_section(),
            self.governance_section(),
            self.trust_totals_section(),
        ]
        return [p for p in parts if p]


def load_group_overview(**parameters: Any) -> GroupOverview:
    """Validate the settings once, roll the group up, and return its overview. Keyword arguments only: the
    notebook's parameters, read by :meth:`~wqm_nb.settings.GroupSettings.from_parameters`; ``benchmarks``
    names a benchmark file whose figures the trust totals are shown beside, ``summaries`` a file of school
    summaries a batch made (then ``data`` is not read)."""
    settings = GroupSettings.from_parameters(parameters)
    benchmark_file = load_benchmark_file(Path(settings.benchmarks)) if settings.benchmarks else None
    if settings.summaries:
        summaries, overviews = read_summaries(settings.summaries)
        rollup = rollup_summaries(settings, summaries, overviews=overviews)
    else:
        rollup = rollup_group(settings)
    return GroupOverview(rollup, benchmark_file)


__all__ = ["GroupOverview", "heatmap_key", "load_group_overview", "peer_chart", "pipeline_chart", "suppressed_heatmap"]
