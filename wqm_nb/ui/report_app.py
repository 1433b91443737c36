"""The interactive report: the same sections as the printed report, in ipywidgets.

``notebooks/school_report.ipynb`` runs everywhere:

* under papermill (``wqm report``, ``wqm batch``) its cells tagged ``static``
  print the report, and the cell tagged ``interactive`` is left out of the
  HTML and PDF;
* in Voila (``wqm serve``) the ``static`` cells are removed before the
  notebook runs, and the ``interactive`` cell shows :class:`ReportApp`: school,
  year and framework choices, tabs for self-evaluation, surveys, award
  readiness, trends and notes, a subgroup breakdown, and a "Download PDF" link;
* in JupyterLab a consultant sees both.

:func:`viewer_scope` reads who is looking from the page's URL: a signed link
limits the app to its school (and year, when the link names one). The server
has already checked the link's signature before this kernel started.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from ..data import available_frameworks, load_framework
from ..errors import WqmError
from ..model import assess_school
from ..present import SchoolReport, load_school_report
from ..present.html import Fragment, render
from ..present.layout import TABS, tab_sections
from ..present.school_report import evidence_table, survey_matrix
from ..settings import data_location
from ..store import Scope, Store
from ..store.scope import scope_from_query

#: a signed link's parameters, passed on to the PDF link (older links have no framework, rights or lid)
SIGNED = ("school", "year", "framework", "rights", "lid", "expires", "sig")


def in_voila() -> bool:
    """Whether this kernel was started by Voila (it sets VOILA_PREHEAT in both modes)."""
    return "VOILA_PREHEAT" in os.environ


@dataclass(frozen=True)
class ViewerScope:
    """Which school and year the viewer asked for, and what they may change."""

    school_id: str
    year: str
    framework: str = ""
    locked_school: bool = False
    locked_year: bool = False
    signed: dict[str, str] = field(default_factory=dict)  # the link's parameters, for the PDF link
    #: what the page may read: the link's school and years, or everything (the consultant)
    store_scope: Scope = Scope.consultant("report")

    @property
    def pdf_query(self) -> dict[str, str]:
        return dict(self.signed)


def viewer_scope(*, school_id: str, year: str, data: str = "") -> ViewerScope:
    """The school and year to show: from the page's URL in Voila (waiting for the
    request in a preheated kernel), else the notebook's parameters."""
    if not in_voila():
        return ViewerScope(school_id, year)
    if os.environ.get("VOILA_PREHEAT") == "True":
        warm_up(data)  # a kernel kept ready does the slow first-time work before anyone asks
    one = page_query()
    framework = one.get("framework", "")
    if "sig" in one:  # a signed link: the server verified it; it names one school (and its framework)
        signed = {k: one[k] for k in SIGNED if k in one}
        scope = scope_from_query(one, "report")
        return ViewerScope(
            one.get("school", ""),
            one.get("year", ""),
            scope.framework or framework,
            True,
            bool(one.get("year")),
            signed,
            scope,
        )
    school = one.get("school") or school_id
    if not school:
        with Store.open(data_location(data), read_only=True) as store:
            schools = store.schools()
        school = schools[0]["school_id"] if schools else ""
    return ViewerScope(school, one.get("year") or year, framework)


def page_query() -> dict[str, str]:
    """The Voila page's URL parameters, the last value of each (in a preheated kernel, once a
    request has come; the server has already refused a repeated one for a link)."""
    from voila.utils import get_query_string

    return {k: v[-1] for k, v in parse_qs(get_query_string() or "", keep_blank_values=True).items() if v}


def warm_up(data: str = "") -> None:
    """Do once what is slow the first time in a process: load the data files, read the store,
    analyse a school and draw its charts (matplotlib's fonts and first figure)."""
    try:
        with Store.open(data_location(data), read_only=True) as store:
            schools = store.schools()
        if schools:
            report = load_school_report(school_id=schools[0]["school_id"], data=data)
            report.header(), report.sef_section(element_table=False), _details(report)
    except WqmError:
        pass  # the viewer's own request will say what is wrong


def _details(report: SchoolReport) -> Fragment:
    """Self-evaluation per section as rows that expand to their elements and evidence."""
    a = report.assessment
    e = a.current.elements
    rows = []
    for p in a.current.principles.itertuples():
        sub = e[e["principle_id"] == p.principle_id]
        rows.append(
            dict(
                summary=f"{p.principle_id} {p.principle}: "
                + ("not rated" if p.rated == 0 else f"mean {p.mean_rating:.1f}, {p.level}")
                + f" ({p.rated}/{p.elements} rated, {p.with_evidence} with evidence)",
                table=evidence_table(sub),
            )
        )
    return render(
        "app_sef_details.html.j2", "self-evaluation details", rows=rows, label=report.framework.section_label.lower()
    )


def subgroup_fragment(report: SchoolReport, choice: str) -> Fragment:
    """The survey breakdown chosen in the app: the whole groups, or one subgroup question."""
    figures = report.assessment.current.figures
    if choice == "whole":
        return report.survey_section(by_subgroup=False)
    survey = report.assessment.bank.surveys[choice]
    assert survey.subgroup is not None  # the choices are those of breakdowns(): surveys with a subgroup question
    rows = figures.subgroups(choice)
    table = survey_matrix(rows, "subgroup", report.framework.section_label) if len(rows) else None
    return render(
        "app_subgroups.html.j2",
        "subgroups",
        title=f"{survey.name} by {survey.subgroup.label.lower()}",
        matrix=table,
        min_group_size=figures.min_group_size,
        section_id=f"subgroups-{choice}",
    )


def breakdowns(report: SchoolReport) -> list[tuple[str, str]]:
    """The survey breakdowns the report can show: ``(label, choice)``, whole groups first, then each survey
    that has a subgroup question and published subgroup rows."""
    a = report.assessment
    return [("Whole groups", "whole")] + [
        (f"{s.name} by {s.subgroup.label.lower()}", k)
        for k, s in a.bank.surveys.items()
        if s.subgroup and len(a.current.figures.subgroups(k))
    ]


def tab_fragments(report: SchoolReport, index: int, breakdown: str = "whole") -> list[Fragment]:
    """What tab ``index`` of :data:`~wqm_nb.present.layout.TABS` shows, the app's and the static page's
    alike: its sections of :data:`~wqm_nb.present.layout.SECTIONS` in report order, two of them as the
    app shows them (``breakdown``: the survey breakdown chosen on the Surveys tab)."""
    fragments: list[Fragment] = []
    for section in tab_sections(TABS[index]):
        shown = APP_VARIANTS.get(section.method)
        fragments += shown(report, breakdown) if shown else [getattr(report, section.method)()]
    return fragments


#: sections the app shows otherwise than the printed report: elements in rows that open, and the
#: survey breakdown chosen (the measures beside the whole groups only)
APP_VARIANTS: dict[str, Callable[[SchoolReport, str], list[Fragment]]] = {
    "sef_summary_section": lambda r, breakdown: [r.sef_section(element_table=False), _details(r)],
    "sef_elements_section": lambda r, breakdown: [],  # the rows that open show them
    "survey_summary_section": lambda r, breakdown: [subgroup_fragment(r, breakdown)],
    "survey_groups_section": lambda r, breakdown: [],  # the breakdown chosen shows them
    # the app shows the award decision whole, criteria and all
    "award_summary_section": lambda r, breakdown: [r.award_decision_section()],
    "award_criteria_section": lambda r, breakdown: [],
    "priorities_summary_section": lambda r, breakdown: [r.priorities_section()],
    "sorting_section": lambda r, breakdown: [],
    "measures_section": lambda r, breakdown: [r.measures_section()] if breakdown == "whole" else [],
}


class ReportApp:
    """The widgets of the interactive report."""

    def __init__(self, report: SchoolReport, scope: ViewerScope, data: str = "", min_group_size: int | None = None):
        import ipywidgets as w

        self._updating = False
        self.report = report
        self.scope = scope
        self.data = data
        self.min_group_size = min_group_size or report.assessment.min_group_size
        settings = report.assessment.settings
        with Store.open(settings.data_path, read_only=True) as store:
            scoped = store.scoped(scope.store_scope)  # a link's holder is sent its own school only
            schools = scoped.schools()
            self.years = {
                s["school_id"]: [y["academic_year"] for y in scoped.school_years(s["school_id"])] for s in schools
            }
        names = [
            (f"{s['name']} ({s['school_id']})", s["school_id"])
            for s in schools
            if not scope.locked_school or s["school_id"] == scope.school_id
        ]
        label = {"layout": w.Layout(width="auto"), "style": {"description_width": "initial"}}
        self.school = w.Dropdown(options=names, value=settings.school_id, description="School", **label)
        self.year = w.Dropdown(description="Academic year", **label)
        bundled = available_frameworks()
        if scope.store_scope.framework:  # a link signed for one framework shows that one
            bundled = [f for f in bundled if f == scope.store_scope.framework]
        choices = [(load_framework(f).name, f) for f in bundled]
        if settings.framework not in bundled:  # a framework file of the consultant's own stays a choice
            choices.append(
                (f"{report.framework.name} (rules from {os.path.basename(settings.framework)})", settings.framework)
            )
        self.framework = w.Dropdown(options=choices, value=settings.framework, description="Framework", **label)
        self._set_years(settings.school_id, report.assessment.year)
        self.breakdown = w.ToggleButtons(
            description="Show", style={"description_width": "initial", "button_width": "auto"}
        )
        self.message = w.HTML()
        self.download = w.HTML()
        self.pages = [w.HTML() for _ in TABS]
        self.tabs = w.Tab(
            children=[w.VBox([self.breakdown, page]) if i == 1 else page for i, page in enumerate(self.pages)],
            titles=TABS,
        )
        self.widget = w.VBox(
            [
                w.HTML(report.header().html),
                w.HBox([self.school, self.year, self.framework]),
                self.message,
                self.download,
                self.tabs,
            ],
            layout=w.Layout(width="100%"),
        )
        self.widget.add_class("wqm-app")
        self._drawn: set[int] = set()
        self._set_breakdown()
        self.school.observe(self._on_school, names="value")
        self.year.observe(self._on_change, names="value")
        self.framework.observe(self._on_change, names="value")
        self.tabs.observe(
            lambda change: self._draw(change["new"]) if change["new"] is not None else None, names="selected_index"
        )
        self.breakdown.observe(lambda change: self._redraw(1), names="value")
        self._refresh_download()
        self._draw(0)

    # -- state ---------------------------------------------------------------

    def _set_years(self, school: str, chosen: str) -> None:
        years = [y for y in self.years.get(school, []) if not self.scope.locked_year or y == self.scope.year]
        self._updating = True  # setting the options must not load the report twice
        try:
            self.year.options = list(reversed(years))
            self.year.value = chosen if chosen in years else (years[-1] if years else None)
        finally:
            self._updating = False

    def _set_breakdown(self) -> None:
        self.breakdown.options = breakdowns(self.report)
        self.breakdown.value = "whole"

    def _on_school(self, change) -> None:
        years = self.years.get(change["new"], [])
        self._set_years(change["new"], self.year.value if self.year.value in years else (years[-1] if years else ""))
        self._on_change(None)

    def _on_change(self, change) -> None:
        if self._updating:
            return
        # the report's own settings with the viewer's choices: the data, framework file, benchmark file,
        # threshold and as_of date it was opened with are kept
        settings = self.report.assessment.settings
        try:
            report = SchoolReport(
                assess_school(
                    settings.replace(
                        school_id=self.school.value,
                        year=self.year.value or "",
                        framework=self.framework.value or settings.framework,
                        min_group_size=self.min_group_size,
                    ),
                    self.scope.store_scope,
                )
            )
        except WqmError as exc:
            self.message.value = f"<p class='wqm-message'>{html.escape(str(exc))}</p>"
            return
        self.message.value = ""
        self.report = report
        self.widget.children[0].value = report.header().html
        self._set_breakdown()
        self._refresh_download()
        self._drawn.clear()
        self._draw(self.tabs.selected_index or 0)

    def _refresh_download(self) -> None:
        if not in_voila():
            self.download.value = ""
            return
        query = dict(self.scope.pdf_query) or {"school": self.school.value, "year": self.year.value or ""}
        if self.scope.signed and not self.scope.locked_year and self.year.value:
            query["show_year"] = self.year.value
        if self.framework.value in available_frameworks():  # the server knows bundled frameworks only
            query["framework"] = self.framework.value
        base = f"{os.environ.get('VOILA_BASE_URL', '/')}wqm/pdf?"
        debrief = html.escape(base + urlencode(query), quote=True)
        appendix = html.escape(base + urlencode({**query, "part": "appendix"}), quote=True)
        self.download.value = (
            f"<p><a class='wqm-download' href='{debrief}' download>Download PDF</a> "
            f"<span class='wqm-note'>the debrief: what the head and governors discuss</span> · "
            f"<a class='wqm-download-appendix' href='{appendix}' download>Download the appendix</a> "
            f"<span class='wqm-note'>every table behind it (takes longer)</span></p>"
        )

    # -- drawing -------------------------------------------------------------

    def tab_fragments(self, index: int) -> list[Fragment]:
        """What tab ``index`` shows (:func:`tab_fragments` with the breakdown chosen)."""
        return tab_fragments(self.report, index, self.breakdown.value or "whole")

    def _redraw(self, index: int) -> None:
        self._drawn.discard(index)
        self._draw(index)

    def _draw(self, index: int) -> None:
        if index in self._drawn:
            return
        self.pages[index].value = "".join(f.html for f in self.tab_fragments(index))
        self._drawn.add(index)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"<wqm report app: {self.report.name}, {self.report.assessment.year}>"
        return bundle


def report_app(
    report: SchoolReport, scope: ViewerScope, *, data: str = "", min_group_size: int | None = None
) -> ReportApp:
    """The interactive report for ``report``, limited by ``scope``."""
    return ReportApp(report, scope, data=data, min_group_size=min_group_size)
