"""The group overview: a :class:`~wqm_nb.model.GroupRollup` as report sections.

``notebooks/group_overview.ipynb`` calls :func:`load_group_overview` and one
method per section. Links to the schools' reports are URL-quoted file names.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..errors import SettingsError
from ..model import GroupRollup, rollup_group
from ..settings import GroupSettings
from . import charts
from .html import Fragment, Link, Table, render


class GroupOverview:
    """The sections of a group roll-up."""

    def __init__(self, rollup: GroupRollup):
        self.rollup = rollup

    def header(self) -> Fragment:
        r = self.rollup
        return render("group_header.html.j2", "header", framework=r.framework, title=r.trust or "All schools",
                      year=r.year, count=len(r.summaries))

    def status_section(self) -> Fragment:
        """One row per school: award status (or checklist progress) and a link to its report."""
        r = self.rollup
        links = r.settings.report_links
        quality_mark = r.framework.has_levels
        columns = ["School id", "School", "Phase"] + (["Level met", "Next level", "Progress"] if quality_mark
                                                      else ["Progress"])
        if links:
            columns.append("Report")
        rows = []
        for s in r.summaries:
            row = [s.school_id, s.name, s.phase] + ([s.level_met, s.next_level, s.progress] if quality_mark
                                                    else [s.progress])
            if links:
                row.append(Link(links[s.school_id], quote(links[s.school_id])) if s.school_id in links else "")
            rows.append(row)
        title = "Award readiness" if quality_mark else "Checklist progress"
        intro = ("Highest level met and what the next level still needs." if quality_mark
                 else f"Items rated {r.framework.scale.levels[-1].label.lower()}, per school.")
        return render("group_status.html.j2", "status", title=title, intro=intro, status=Table(columns, rows))

    def sef_section(self) -> Fragment:
        """Schools x sections heatmap of mean self-evaluated rating."""
        r, fw = self.rollup, self.rollup.framework
        matrix = r.sef
        chart = [charts.heatmap(matrix, f"Mean self-evaluated {fw.scale.name.lower()}", vmin=fw.scale.min,
                                vmax=fw.scale.max, cbar_label="rating", name="group-sef")] if len(matrix) else []
        key = "; ".join(f"{p.id} {p.name}" for p in fw.principles)
        return render("group_charts.html.j2", "self-evaluation", title=f"Schools by {fw.section_label.lower()}",
                      intro=key, id="group-sef", charts=chart, empty="No school has data for this year.")

    def survey_section(self) -> Fragment:
        """Schools x sections heatmaps of the published share agreeing, one per survey."""
        r = self.rollup
        found = []
        for survey_id, survey in r.bank.surveys.items():
            matrix = r.agreement(survey_id)
            if len(matrix) and matrix.notna().any().any():
                found.append(charts.heatmap(matrix * 100, f"{survey.name}: % agreeing", vmin=0, vmax=100,
                                            fmt=".0f", cmap="RdYlGn", cbar_label="% agree",
                                            name=f"group-{survey_id}"))
        return render("group_charts.html.j2", "surveys", title="What stakeholders say",
                      intro=f"Blank cells: fewer than {r.settings.min_group_size} respondents (not shown), "
                            f"or not asked.", id="group-surveys", charts=found,
                      empty=f"No survey is mapped to the {r.framework.name}, or no group is large enough to show.")


def load_group_overview(*, data: str = "", year: str = "", trust: str = "", framework: str = "",
                        min_group_size: int | None = None, report_links: dict[str, str] | None = None,
                        **unknown: Any) -> GroupOverview:
    """Validate the settings once, roll the group up, and return its overview (keyword arguments only)."""
    if unknown:
        raise SettingsError(f"unknown group setting(s): {', '.join(sorted(unknown))}")
    settings = GroupSettings(year=year, data=data, trust=trust, report_links=dict(report_links or {}),
                             **({"framework": framework} if framework else {}),
                             **({"min_group_size": min_group_size} if min_group_size is not None else {}))
    return GroupOverview(rollup_group(settings))
