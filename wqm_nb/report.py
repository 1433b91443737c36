"""The per-school report: loading a school's cycle and rendering its sections.

Notebooks stay thin: ``notebooks/school_report.ipynb`` calls
:func:`load_school_report` and then one method per section. Every section is
an :class:`IPython.display.HTML` with inline SVG charts, so it looks the same
in JupyterLab, in Voila, in the exported HTML and in the PDF.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from . import analysis, charts
from .frameworks import Framework, QuestionBank, load_framework, load_question_bank
from .store import Store

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_data() -> Path:
    """``$WQM_DATA`` if set, else the repository's ``sample_data/``."""
    return Path(os.environ.get("WQM_DATA") or REPO_ROOT / "sample_data")


def open_data(data: str | Path | None = None) -> Store:
    """Open a store file or a CSV folder (default: :func:`default_data`)."""
    return Store.open(Path(data) if data else default_data())


@dataclass
class CycleAnalysis:
    """Everything computed for one school in one academic year."""
    academic_year: str
    elements: pd.DataFrame
    principles: pd.DataFrame
    scores: pd.DataFrame
    responses: pd.DataFrame

    @property
    def cycle_data(self) -> analysis.CycleData:
        return analysis.CycleData(self.academic_year, self.elements, self.scores)


def analyse_cycle(store: Store, cycle: dict, framework: Framework, bank: QuestionBank,
                  min_group_size: int) -> CycleAnalysis:
    elements = analysis.sef_elements(framework, store.current_ratings(cycle["cycle_id"]))
    responses = store.survey_responses(cycle["cycle_id"])
    return CycleAnalysis(
        academic_year=cycle["academic_year"],
        elements=elements,
        principles=analysis.sef_principles(framework, elements),
        scores=analysis.survey_scores(responses, bank, framework, min_group_size),
        responses=responses,
    )


def school_history(store: Store, school_id: str, framework: Framework, bank: QuestionBank,
                   min_group_size: int, up_to: str | None = None) -> list[CycleAnalysis]:
    """Analyses of a school's cycles, oldest first, up to and including ``up_to``."""
    cycles = store.cycles(school_id, framework.id).to_dict("records")
    return [analyse_cycle(store, c, framework, bank, min_group_size)
            for c in cycles if up_to is None or c["academic_year"] <= up_to]


# --------------------------------------------------------------------------
# HTML helpers


def html_table(frame: pd.DataFrame, css: str = "wqm-table") -> str:
    return frame.to_html(index=False, escape=True, classes=css, border=0, na_rep="")


def html_section(title: str, body: str, intro: str = "") -> HTML:
    intro_html = f"<p class='wqm-intro'>{escape(intro)}</p>" if intro else ""
    return HTML(f"<section class='wqm-section'><h2>{escape(title)}</h2>{intro_html}{body}</section>")


def _fmt_pct(x: float) -> str:
    return "" if pd.isna(x) else f"{x:.0%}"


def _cell(row) -> str:
    if row.respondents == 0:
        return "no responses"
    if row.suppressed:
        return f"suppressed (n={row.respondents})"
    return f"{row.agree:.0%} (n={row.respondents})"


def survey_matrix(scores: pd.DataFrame, by: str = "survey_name") -> pd.DataFrame:
    """Principles x groups: '% agree (n)' or 'suppressed (n)' per cell."""
    cells = scores.assign(cell=[_cell(r) for r in scores.itertuples()],
                          Principle=scores["principle_id"] + " " + scores["principle"])
    matrix = cells.pivot_table(index="Principle", columns=by, values="cell", aggfunc="first", sort=False)
    matrix = matrix.reindex(columns=list(dict.fromkeys(cells[by]))).fillna("not asked")
    return matrix.reset_index().rename_axis(columns=None)


# --------------------------------------------------------------------------
# the report


@dataclass
class SchoolReport:
    school: dict
    academic_year: str
    framework: Framework
    bank: QuestionBank
    min_group_size: int
    current: CycleAnalysis
    history: list[CycleAnalysis]
    notes: pd.DataFrame
    readiness: analysis.Readiness
    strengths: pd.DataFrame
    areas: pd.DataFrame

    @property
    def name(self) -> str:
        return self.school["name"]

    # -- sections ----------------------------------------------------------

    def header(self) -> HTML:
        s = self.school
        counts = analysis.response_counts(self.current.responses, self.bank, self.min_group_size)
        facts = [("School", s["name"]), ("Trust", s["trust"] or "-"), ("Phase", s["phase"].capitalize()),
                 ("Pupils", s["pupils"] if s["pupils"] is not None else "-"),
                 ("Academic year", self.academic_year),
                 ("Responses", ", ".join(f"{r.survey_name}: {r.respondents}" for r in counts.itertuples())),
                 ("Report date", date.today().isoformat())]
        rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in facts)
        achieved = self.readiness.achieved
        status = (f"Meets the criteria for <strong>{escape(achieved.name)}</strong> in {self.academic_year}."
                  if achieved else f"Does not yet meet the criteria for "
                                   f"{escape(self.framework.levels[0].name)} in {self.academic_year}.")
        return HTML(f"<header class='wqm-header'><p class='wqm-kicker'>{escape(self.framework.name)}</p>"
                    f"<h1>{escape(s['name'])}</h1><p class='wqm-subtitle'>Self-evaluation and stakeholder "
                    f"report, {self.academic_year}</p><table class='wqm-facts'>{rows}</table>"
                    f"<p class='wqm-status'>{status}</p></header>")

    def sef_section(self) -> HTML:
        p = self.current.principles
        body = charts.sef_chart(p, self.framework.scale)
        summary = p.assign(**{"Mean maturity": p["mean_rating"].map(lambda x: "" if pd.isna(x) else f"{x:.1f}"),
                              "Rated": p["rated"].astype(str) + "/" + p["elements"].astype(str),
                              "With evidence": p["with_evidence"].astype(str) + "/" + p["elements"].astype(str)})
        summary = summary.rename(columns={"principle_id": "", "principle": self.framework.section_label,
                                          "level": "Stage"})
        body += html_table(summary[["", self.framework.section_label, "Mean maturity", "Stage", "Rated",
                                "With evidence"]])
        if len(self.history) > 1:
            trend = pd.concat([c.principles.assign(academic_year=c.academic_year) for c in self.history])
            body += charts.trend_chart(trend, self.framework.scale)
        e = self.current.elements
        detail = pd.DataFrame({"Element": e["element_id"] + " " + e["element"],
                               "Rating": e["rating"].map(lambda x: "" if pd.isna(x) else f"{x:.0f}"),
                               "Stage": e["level"],
                               "Evidence": e["evidence"].where(e["has_evidence"], "(none recorded)")})
        body += "<h3>Ratings and evidence by element</h3>" + html_table(detail, "wqm-table wqm-detail")
        return html_section("Self-evaluation by framing principle", body,
                        f"Current ratings on the {self.framework.scale.name.lower()} "
                        f"({self.framework.scale.min} to {self.framework.scale.max}); the latest entry for "
                        f"each element counts.")

    def survey_section(self) -> HTML:
        scores = self.current.scores
        body = charts.survey_chart(scores, self.min_group_size)
        body += html_table(survey_matrix(scores))
        by_subgroup = analysis.survey_scores(self.current.responses, self.bank, self.framework,
                                             self.min_group_size, by_subgroup=True)
        for survey_id, survey in self.bank.surveys.items():
            sub = by_subgroup[by_subgroup["survey"] == survey_id]
            if survey.subgroup and len(sub):
                body += (f"<h3>{escape(survey.name)} by {escape(survey.subgroup.label.lower())}</h3>"
                         + html_table(survey_matrix(sub, by="subgroup")))
        return html_section("What stakeholders say", body,
                        f"Share of respondents agreeing or strongly agreeing with the statements for each "
                        f"principle, with the number of respondents. Groups with fewer than "
                        f"{self.min_group_size} respondents are suppressed to protect anonymity.")

    def strengths_section(self) -> HTML:
        def listing(frame: pd.DataFrame, empty: str) -> str:
            if not len(frame):
                return f"<p>{escape(empty)}</p>"
            return "<ul>" + "".join(f"<li><strong>{escape(r.principle_id)} {escape(r.principle)}</strong>: "
                                    f"{escape(r.statement)}.</li>" for r in frame.itertuples()) + "</ul>"
        body = ("<h3>Strengths</h3>" + listing(self.strengths, "No principle stands out yet.")
                + "<h3>Areas for development</h3>" + listing(self.areas, "No areas for development found."))
        return html_section("Strengths and areas for development", body)

    def readiness_section(self) -> HTML:
        r = self.readiness
        table = r.table.reset_index()
        for lv in self.framework.levels:
            table[lv.name] = table[lv.name].map({True: "✓ Met", False: "✗ Not yet"})
        table = table.rename(columns={"principle_id": "", "principle": self.framework.section_label})
        levels_table = html_table(table, "wqm-table wqm-readiness")
        levels_table = levels_table.replace("<td>✓ Met</td>", "<td class='met'>✓ Met</td>").replace(
            "<td>✗ Not yet</td>", "<td class='notmet'>✗ Not yet</td>")
        achieved, nxt = r.achieved, r.next_level
        lead = (f"Highest level met in {r.academic_year}: <strong>{escape(achieved.name)}</strong>."
                if achieved else f"No award level is met yet in {r.academic_year}.")
        body = f"<p>{lead}</p>" + levels_table
        if nxt is not None:
            items = "".join(f"<li><strong>{escape(pid)} {escape(self.framework.principle(pid).name)}</strong>"
                            f"<ul>{''.join(f'<li>{escape(g)}</li>' for g in gaps)}</ul></li>"
                            for pid, gaps in r.gaps[nxt.id].items() if gaps)
            if not items and nxt.requires:
                items = f"<li>{escape(self.framework.level(nxt.requires).name)} must be met first.</li>"
            body += f"<h3>Still needed for {escape(nxt.name)}</h3><ul class='wqm-gaps'>{items}</ul>"
        levels = "".join(f"<li><strong>{escape(lv.name)}</strong>: {escape(lv.summary)}</li>"
                         for lv in self.framework.levels)
        body += f"<h3>Award levels</h3><ul>{levels}</ul>"
        return html_section("Readiness against the award levels", body,
                        "Each principle is checked against every level's criteria (maturity, evidence, "
                        "stakeholder agreement and how many consecutive years they have held).")

    def notes_section(self) -> HTML:
        if not len(self.notes):
            return html_section("Adviser notes", "<p>No adviser notes for this cycle.</p>")
        notes = self.notes.assign(Date=self.notes["created_at"].str[:10],
                                  Principle=self.notes["principle_id"].replace("", "Whole school"))
        notes = notes.rename(columns={"author": "Adviser", "note": "Note"})
        return html_section("Adviser notes", html_table(notes[["Date", "Principle", "Adviser", "Note"]]))

    def scale_section(self) -> HTML:
        levels = pd.DataFrame([dict(Rating=lv.value, Stage=lv.label, Descriptor=lv.descriptor)
                               for lv in self.framework.scale.levels])
        return html_section(f"About the {self.framework.scale.name.lower()}", html_table(levels),
                        self.framework.scale.description)


def load_school_report(school_id: str, cycle: str | None = None, data: str | Path | None = None,
                       min_group_size: int = analysis.DEFAULT_MIN_GROUP_SIZE,
                       framework: str = "wqm") -> SchoolReport:
    """Load and analyse a school's cycle (the latest one when ``cycle`` is empty)."""
    if int(min_group_size) < 1:
        raise ValueError("min_group_size must be at least 1")
    fw = load_framework(framework)
    bank = load_question_bank()
    with open_data(data) as store:
        school = store.school(school_id)
        cyc = store.cycle(school_id, cycle or None, fw.id)
        history = school_history(store, school_id, fw, bank, int(min_group_size), up_to=cyc["academic_year"])
        notes = store.notes(cyc["cycle_id"])
    current = history[-1]
    strengths, areas = analysis.strengths_and_areas(fw, current.elements, current.principles, current.scores)
    return SchoolReport(
        school=school, academic_year=cyc["academic_year"], framework=fw, bank=bank,
        min_group_size=int(min_group_size), current=current, history=history, notes=notes,
        readiness=analysis.readiness(fw, [c.cycle_data for c in history]),
        strengths=strengths, areas=areas,
    )
