"""The school report: a :class:`~wqm_nb.model.SchoolAssessment` as sections.

``notebooks/school_report.ipynb`` calls :func:`load_school_report` and then
one method per section, each in its own cell. Every section is a
:class:`~wqm_nb.present.html.Fragment` (Jinja template under ``fragments/``
with inline SVG charts), so it looks the same in JupyterLab, in Voila, in the
exported HTML and in the PDF. Sections fit the framework: a checklist shows
its key question, items and guidance instead of award levels; a framework
with reflections (VbE) shows them, empty or not; a framework without a
survey mapping says so. The staff audit (a survey whose measure is a
rating) is shown in the self-evaluation section, beside the leaders' mean
rating of each section; the stakeholder survey section shows agreement
only.

The decision sections read the same assessment: triangulation and
priorities (:mod:`wqm_nb.present.triangulation`), trends and the action plan
(:mod:`wqm_nb.present.trends`), the award decision
(:mod:`wqm_nb.present.award_decision`), validated measures
(:mod:`wqm_nb.present.measures`), benchmarks
(:mod:`wqm_nb.present.benchmarks`) and the evidence coverage map
(:mod:`wqm_nb.present.evidence`). The triangulation is computed once and
shared by the sections that use it.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..data.surveys import MEASURE_RATING
from ..model import SchoolAssessment, assess_school
from ..model.figures import NOT_GIVEN
from ..model.glance import response_counts
from ..model.priorities import Priorities, prioritise_school
from ..model.triangulation import Triangulation, triangulate_school
from ..settings import ReportSettings
from . import award_decision, benchmarks, charts, evidence, measures, trends, triangulation
from .html import Fragment, Table, cell, render
from .layout import SECTIONS

if TYPE_CHECKING:
    from ..store import Scope


def _cell(row) -> str:
    """A survey table cell: '84% (n=12)', or why it is not shown."""
    if row.suppressed:
        return row.reason
    return f"{row.agree_share:.0%} (n={row.n})"


def rating_cell(row) -> str:
    """A rating survey's cell (the staff audit): '2.8 (n=14)', the mean rating and the staff who gave one,
    or why it is not shown (never a number of a suppressed group)."""
    if row is None:
        return "not asked"
    if row.suppressed:
        return row.reason
    return f"{row.mean:.1f} (n={row.n})"


def survey_matrix(rows: pd.DataFrame, by: str, first: str) -> Table:
    """Sections x groups table of published figures ('% agree (n)' or the reason a cell is hidden)."""
    cells = rows.assign(cell=[_cell(r) for r in rows.itertuples()], label=rows["section_id"] + " " + rows["section"])
    if by == "subgroup":
        cells[by] = cells[by].replace(NOT_GIVEN, "not given")
    groups = list(dict.fromkeys(cells[by]))
    labels = list(dict.fromkeys(cells["label"]))
    lookup = {(r.label, getattr(r, by)): r.cell for r in cells.itertuples()}
    return Table(
        [first, *groups], [[label, *(lookup.get((label, g), "not asked") for g in groups)] for label in labels]
    )


def evidence_table(elements: pd.DataFrame) -> Table:
    """Elements with their rating, stage and evidence (rows of :func:`wqm_nb.model.sef.sef_elements`)."""
    return Table(
        ["Element", "Rating", "Stage", "Evidence"],
        [
            [
                f"{r.element_id} {r.element}",
                "" if pd.isna(r.rating) else f"{r.rating:.0f}",
                r.level,
                r.evidence if r.has_evidence else "(none recorded)",
            ]
            for r in elements.itertuples()
        ],
        css="wqm-table wqm-detail",
    )


class SchoolReport:
    """The report sections of one school's assessment."""

    def __init__(self, assessment: SchoolAssessment, report_date: date | None = None):
        self.assessment = assessment
        #: the report's date: the settings' ``as_of`` unless given (never the clock)
        self.report_date = report_date or assessment.settings.as_of_date
        self._cache: dict[str, Fragment] = {}

    def _cached(self, name: str, build) -> Fragment:
        """Each section is built once per report (the app and the printed cells share them)."""
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name]

    @property
    def framework(self):
        return self.assessment.framework

    @property
    def name(self) -> str:
        return self.assessment.name

    # -- sections ------------------------------------------------------------

    def header(self) -> Fragment:
        return self._cached("header", self._build_header)

    def _build_header(self) -> Fragment:
        """Title, school facts and the headline status."""
        a, s = self.assessment, self.assessment.school
        responses = ", ".join(response_counts(a))
        facts = [
            ("School", s["name"]),
            ("Trust", s["trust"] or "-"),
            ("Phase", s["phase"].capitalize()),
            ("Pupils", s["pupils"] if s["pupils"] is not None else "-"),
            ("Academic year", a.year),
            ("Responses", responses),
            ("Report date", self.report_date.isoformat()),
        ]
        status = ""
        if a.readiness is not None:
            achieved = a.readiness.achieved
            status = (
                f"Meets the criteria for {achieved.name} in {a.year}."
                if achieved
                else f"Does not yet meet the criteria for {self.framework.levels[0].name} in {a.year}."
            )
        elif not a.current.has_self_evaluation:
            status = f"No self-evaluation recorded yet for {a.year}."
        subtitle = f"Self-evaluation and stakeholder report, {a.year}"
        return render(
            "school_header.html.j2",
            "header",
            framework=self.framework,
            school=s,
            subtitle=subtitle,
            facts=facts,
            status=status,
            document_title=f"{s['name']}: {subtitle} ({self.framework.name})",
        )

    def glance_section(self) -> Fragment:
        """The debrief's first page: the award position and what is missing, strengths and priorities, blind
        spots, real changes, responses and next steps (:func:`~wqm_nb.model.glance.at_a_glance`)."""
        return self._cached("glance_section", self._build_glance_section)

    def _build_glance_section(self) -> Fragment:
        from ..model.glance import at_a_glance
        from ..model.trends import school_trends

        a = self.assessment
        trends_ = school_trends(a.framework, a.history, a.bank)
        glance = at_a_glance(a, self.priorities, self.triangulation, trends_, self.report_date)
        return render("glance.html.j2", "at-a-glance", glance=glance)

    def sef_section(self, element_table: bool = True) -> Fragment:
        """Self-evaluation per section, and per element unless ``element_table`` is False (the app shows
        the elements in rows that open). The trend across years is :meth:`trend_section`."""
        return self._cached(f"sef_section:{element_table}", lambda: self._build_sef_section(element_table))

    def audits(self) -> tuple[list[tuple[Any, pd.DataFrame]], list[str]]:
        """The rating surveys (the staff audit) the school ran this year: ``(survey, whole-group rows)`` for
        those this framework maps, and the names of those it does not map. A survey nobody answered is in
        neither: the report then says nothing about it."""
        figures = self.assessment.current.figures
        shown, unmapped = [], []
        for survey in self.assessment.bank.surveys.values():
            if survey.measure != MEASURE_RATING or not figures.responded(survey.id):
                continue
            rows = figures.ratings(survey.id)
            if len(rows):
                shown.append((survey, rows))
            else:
                unmapped.append(survey.name)
        return shown, unmapped

    def _build_sef_section(self, element_table: bool = True) -> Fragment:
        a, fw = self.assessment, self.framework
        p = a.current.principles
        audits, unmapped_audits = self.audits()
        by_section = [{r.section_id: r for r in rows.itertuples()} for _, rows in audits]
        summary = Table(
            [
                "",
                fw.section_label,
                "Mean rating",
                "Stage",
                *(f"{survey.name} mean (n)" for survey, _ in audits),
                "Rated",
                "With evidence",
            ],
            [
                [
                    r.principle_id,
                    r.principle,
                    "" if pd.isna(r.mean_rating) else f"{r.mean_rating:.1f}",
                    r.level,
                    *(rating_cell(rows.get(r.principle_id)) for rows in by_section),
                    f"{r.rated}/{r.elements}",
                    f"{r.with_evidence}/{r.elements}",
                ]
                for r in p.itertuples()
            ],
        )
        e = a.current.elements
        detail = evidence_table(e)
        title = f"Self-evaluation by {fw.section_label.lower()}"
        audit_notes = [
            f"{survey.name}: staff's own rating of how far the school has got with each "
            f"{fw.section_label.lower()}, on the same {fw.scale.name.lower()}, as a mean with the "
            f"number of staff who rated it (n), beside the self-evaluation's mean rating. Groups of "
            f"fewer than {a.current.figures.min_group_size} staff are not shown, and neither are "
            f"groups from which a smaller group could be worked out."
            for survey, _ in audits
        ]
        return render(
            "sef.html.j2",
            "self-evaluation",
            title=title,
            intro=f"Current ratings on the {fw.scale.name.lower()} ({fw.scale.min} to {fw.scale.max}); "
            f"the latest entry for each element counts.",
            framework=fw,
            year=a.year,
            rated=a.current.has_self_evaluation,
            chart=charts.sef_chart(
                p, fw.scale, title, **(dict(audit=audits[0][1], audit_name=audits[0][0].name) if audits else {})
            ),
            summary=summary,
            detail=detail if element_table else None,
            audit_notes=audit_notes,
            unmapped_audits=unmapped_audits,
        )

    def sef_summary_section(self) -> Fragment:
        """The debrief's self-evaluation: by section, without the element table (in the appendix)."""
        return self.sef_section(element_table=False)

    def sef_elements_section(self) -> Fragment:
        """The appendix's self-evaluation: every element's rating and evidence."""
        return self._cached("sef_elements_section", self._build_sef_elements_section)

    def _build_sef_elements_section(self) -> Fragment:
        fw, e = self.framework, self.assessment.current.elements
        if not fw.has_levels or not len(e):
            return Fragment("self-evaluation-elements", "")
        return render(
            "appendix_table.html.j2",
            "self-evaluation-elements",
            title="Ratings and evidence by element",
            intro="",
            section_id="sef-elements",
            parts=[dict(title="", table=evidence_table(e))],
        )

    def survey_summary_section(self) -> Fragment:
        """The debrief's stakeholder views: whole groups only (each group's table is in the appendix)."""
        return self.survey_section(by_subgroup=False)

    def survey_groups_section(self) -> Fragment:
        """The appendix's stakeholder views: each survey by its subgroup question."""
        return self._cached("survey_groups_section", self._build_survey_groups_section)

    def _subgroup_tables(self) -> list[dict]:
        """Each survey by its subgroup question, as published: ``{"title", "table"}``."""
        a = self.assessment
        figures = a.current.figures
        out = []
        for survey_id, survey in a.bank.surveys.items():
            rows = figures.subgroups(survey_id)
            if survey.subgroup and len(rows):
                out.append(
                    dict(
                        title=f"{survey.name} by {survey.subgroup.label.lower()}",
                        table=survey_matrix(rows, "subgroup", self.framework.section_label),
                    )
                )
        return out

    def _build_survey_groups_section(self) -> Fragment:
        figures = self.assessment.current.figures
        parts = self._subgroup_tables()
        if not parts:
            return Fragment("survey-groups", "")
        return render(
            "appendix_table.html.j2",
            "survey-groups",
            title="What each group says",
            intro=f"Each survey by its subgroup question; groups with fewer than {figures.min_group_size} "
            f"respondents are not shown, nor groups from which one could be worked out.",
            section_id="survey-groups",
            parts=parts,
        )

    def survey_section(self, by_subgroup: bool = True) -> Fragment:
        """What stakeholders say: published figures per section, then per subgroup unless ``by_subgroup``
        is False (the app shows one breakdown at a time)."""
        return self._cached(f"survey_section:{by_subgroup}", lambda: self._build_survey_section(by_subgroup))

    def _build_survey_section(self, by_subgroup: bool = True) -> Fragment:
        a, fw = self.assessment, self.framework
        figures = a.current.figures
        whole = figures.whole
        chart = (
            charts.survey_chart(whole, figures.min_group_size, f"Stakeholders agreeing, by {fw.section_label.lower()}")
            if len(whole)
            else None
        )
        subgroups = self._subgroup_tables() if by_subgroup else []
        return render(
            "surveys.html.j2",
            "surveys",
            framework=fw,
            mapped_any=bool(len(whole)),
            chart=chart,
            matrix=survey_matrix(whole, "survey_name", fw.section_label) if len(whole) else None,
            subgroups=subgroups,
            unmapped=figures.unmapped,
            intro=f"Share of respondents agreeing or strongly agreeing with the statements for each "
            f"{fw.section_label.lower()}, with the number of respondents. Groups with fewer than "
            f"{figures.min_group_size} respondents are not shown, to protect anonymity.",
        )

    def strengths_section(self) -> Fragment:
        return self._cached("strengths_section", self._build_strengths_section)

    def _build_strengths_section(self) -> Fragment:
        """Strengths and areas for development."""
        a = self.assessment
        return render(
            "strengths.html.j2",
            "strengths",
            strengths=list(a.strengths.itertuples()),
            areas=list(a.areas.itertuples()),
            section_label=self.framework.section_label,
        )

    def trend_section(self) -> Fragment:
        """Every year in the store: self-evaluation and survey groups, changes called only beyond the noise."""
        return self._cached("trend_section", lambda: trends.trends_section(self.assessment))

    @cached_property
    def triangulation(self) -> Triangulation:
        """Leaders, staff audit and stakeholders per section on one scale (computed once)."""
        return triangulate_school(self.assessment)

    @cached_property
    def priorities(self) -> Priorities:
        """The risk x capacity grid (computed once, from :attr:`triangulation`)."""
        return prioritise_school(self.assessment, self.triangulation)

    def triangulation_section(self) -> Fragment:
        """Where the leaders' view and the stakeholders' experience disagree: blind spots, hidden strengths."""
        return self._cached(
            "triangulation_section", lambda: triangulation.triangulation_section(self.assessment, self.triangulation)
        )

    def priorities_section(self) -> Fragment:
        """The NCB tool's two lenses (risk and capacity) and the school's own sorting."""
        return self._cached(
            "priorities_section", lambda: triangulation.priorities_section(self.assessment, self.priorities)
        )

    def priorities_summary_section(self) -> Fragment:
        """The debrief's priorities: the grid, the reasons and what to discuss (the sorting counts are in the
        appendix, :meth:`sorting_section`)."""
        return self._cached(
            "priorities_summary_section",
            lambda: triangulation.priorities_section(self.assessment, self.priorities, sorting_table=False),
        )

    def sorting_section(self) -> Fragment:
        """The appendix's count of the school's own sorting per section."""
        return self._cached("sorting_section", lambda: triangulation.sorting_section(self.assessment, self.priorities))

    def action_plan_section(self) -> Fragment:
        """Last year's targets and their progress, this year's targets, suggested targets."""
        return self._cached(
            "action_plan_section", lambda: trends.action_plan_section(self.assessment, self.report_date)
        )

    def award_decision_section(self, level: str | None = None) -> Fragment:
        """For the level applied for: every criterion with its evidence, what is missing, the assessment-day
        plan and the school's award record (nothing for a checklist)."""
        return self._cached(
            f"award_decision_section:{level}", lambda: award_decision.award_decision_section(self.assessment, level)
        )

    def award_summary_section(self) -> Fragment:
        """The debrief's award decision: the verdict, what is missing and the assessment-day plan (every
        criterion's table is in the appendix, :meth:`award_criteria_section`)."""
        return self._cached(
            "award_summary_section", lambda: award_decision.award_decision_section(self.assessment, criteria=False)
        )

    def award_criteria_section(self) -> Fragment:
        """The appendix's award decision: every criterion with its evidence."""
        return self._cached("award_criteria_section", lambda: award_decision.award_criteria_section(self.assessment))

    def measures_section(self) -> Fragment:
        """Validated wellbeing measures (SWEMWBS, Stirling, SDQ): means with 95% intervals, band shares,
        changes only when the intervals allow; suppression as for every figure."""
        return self._cached("measures_section", lambda: measures.measures_section(self.assessment))

    def evidence_section(self) -> Fragment:
        """The evidence coverage map: own, linked (another framework's, through the crosswalk) or none."""
        return self._cached("evidence_section", lambda: evidence.evidence_section(self.assessment))

    def benchmark_section(self, benchmark_file: str | Path | None = None) -> Fragment:
        """The school's figures beside the portfolio and, when given, a published benchmark file
        (default: the report settings' ``benchmarks``)."""
        chosen = benchmark_file if benchmark_file is not None else (self.assessment.settings.benchmarks or None)
        return self._cached(
            f"benchmark_section:{chosen}", lambda: benchmarks.benchmark_section(self.assessment, chosen)
        )

    def award_section(self) -> Fragment:
        """Readiness against the award levels; a checklist's key question, items and guidance instead."""
        return self.readiness_section() if self.framework.has_levels else self.checklist_section()

    def readiness_section(self) -> Fragment:
        return self._cached("readiness_section", self._build_readiness_section)

    def _build_readiness_section(self) -> Fragment:
        """Each section against every award level, and what the next level still needs."""
        a, fw = self.assessment, self.framework
        r = a.readiness
        assert r is not None  # assessed for a framework with levels, the only one with this section
        table = Table(
            ["", fw.section_label, *(lv.name for lv in fw.levels)],
            [
                [
                    pid,
                    row["principle"],
                    *(cell("✓ Met", "met") if row[lv.name] else cell("✗ Not yet", "notmet") for lv in fw.levels),
                ]
                for pid, row in r.table.iterrows()
            ],
            css="wqm-table wqm-readiness",
        )
        nxt = r.next_level
        next_gaps = [(pid, fw.principle(pid).name, gaps) for pid, gaps in r.gaps[nxt.id].items() if gaps] if nxt else []
        level_gaps = list(getattr(r, "level_gaps", {}).get(nxt.id, ())) if nxt else []
        return render(
            "readiness.html.j2",
            "readiness",
            framework=fw,
            year=a.year,
            achieved=r.achieved,
            levels_table=table,
            next_level=nxt,
            next_gaps=next_gaps,
            level_gaps=level_gaps,
            requires=fw.level(nxt.requires).name if nxt and nxt.requires else "",
            section_label=fw.section_label,
            rules_file=Path(fw.path).name or fw.id,
        )

    def checklist_section(self) -> Fragment:
        return self._cached("checklist_section", self._build_checklist_section)

    def _build_checklist_section(self) -> Fragment:
        """A checklist framework: key question, each item's status, activities and guidance."""
        a, fw = self.assessment, self.framework
        e = a.current.elements
        tables = {
            p.id: Table(
                ["Checklist item", "Status", "Evidence"],
                [
                    [r.element, r.level or "not rated", r.evidence if r.has_evidence else "(none recorded)"]
                    for r in e[e["principle_id"] == p.id].itertuples()
                ],
                css="wqm-table wqm-detail",
            )
            for p in fw.principles
        }
        return render("checklist.html.j2", "checklist", framework=fw, tables=tables)

    def reflections_section(self) -> Fragment:
        return self._cached("reflections_section", self._build_reflections_section)

    def _build_reflections_section(self) -> Fragment:
        """The framework's reflections (VbE: stand-out area, next steps, audit conclusion), shown even when empty.
        Nothing for a framework without reflections."""
        fw, current = self.framework, self.assessment.current
        if not fw.reflections:
            return Fragment("reflections", "")
        items = []
        for r in fw.reflections:
            entry = current.reflections.get(r.id, {})
            by = ", ".join(x for x in (entry.get("author", ""), str(entry.get("recorded_at", ""))[:10]) if x)
            items.append(
                dict(
                    title=r.title,
                    author="the school" if r.author == "school" else "the adviser",
                    text=entry.get("text", ""),
                    by=by,
                )
            )
        return render("reflections.html.j2", "reflections", framework=fw, items=items)

    def notes_section(self) -> Fragment:
        return self._cached("notes_section", self._build_notes_section)

    def _build_notes_section(self) -> Fragment:
        """Adviser notes of the year."""
        a = self.assessment
        notes = a.current.notes
        table = None
        if len(notes):
            table = Table(
                ["Date", self.framework.section_label, "Adviser", "Note"],
                [
                    [str(r.created_at)[:10], r.principle_id or "Whole school", r.author, r.note]
                    for r in notes.itertuples()
                ],
            )
        return render("notes.html.j2", "notes", notes=table, year=a.year)

    def scale_section(self) -> Fragment:
        return self._cached("scale_section", self._build_scale_section)

    def _build_scale_section(self) -> Fragment:
        """The rating scale and its descriptors."""
        scale = self.framework.scale
        return render(
            "scale.html.j2",
            "scale",
            scale=scale,
            levels=Table(
                ["Rating", "Stage", "Descriptor"], [[lv.value, lv.label, lv.descriptor] for lv in scale.levels]
            ),
        )

    def sections(self) -> list[Fragment]:
        """Every section in report order (:data:`~wqm_nb.present.layout.SECTIONS`; empty ones left out)."""
        parts = [getattr(self, section.method)() for section in SECTIONS]
        return [p for p in parts if p]


def load_school_report(*, scope: Scope | None = None, **parameters: Any) -> SchoolReport:
    """Validate the settings once, assess the school, and return its report.

    Keyword arguments only: the notebook's parameters (``school_id``, ``year``, ``data``, ``framework``,
    ``min_group_size``, ``benchmarks``, ``as_of``), read by
    :meth:`~wqm_nb.settings.ReportSettings.from_parameters`, and the served page's ``scope``
    (:class:`~wqm_nb.store.scope.Scope`) its reads go through.
    """
    return SchoolReport(assess_school(ReportSettings.from_parameters(parameters), scope))


__all__ = ["SchoolReport", "evidence_table", "load_school_report", "rating_cell", "survey_matrix"]
