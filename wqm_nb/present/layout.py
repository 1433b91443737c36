"""The school report's layout, declared once: its sections in report order, the app tab each is shown
on, and the printed part each belongs to.

Everything that lists the report's sections reads :data:`SECTIONS`:
:meth:`~wqm_nb.present.school_report.SchoolReport.sections`, the leaders' app and its static page
(:data:`TABS`, :func:`tab_sections`), and the contract test that holds the report notebook's ``static``
cells to this order. Adding a section takes its model and present code, one entry here and one cell
in ``notebooks/school_report.ipynb`` (CONTRIBUTING.md, "A report section").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: the printed part a section belongs to: the debrief a head and governors discuss, or the appendix
Part = Literal["debrief", "appendix"]

#: the app's tabs, in the order they are shown
TABS: tuple[str, ...] = (
    "Self-evaluation",
    "Surveys",
    "Award readiness",
    "Trends",
    "Priorities",
    "Action plan",
    "Notes",
)


@dataclass(frozen=True)
class Section:
    """One section of the school report.

    ``method`` is the :class:`~wqm_nb.present.school_report.SchoolReport` method that returns its
    fragment (and the call in its notebook cell); ``tab`` the app tab it is shown on (``None``: above
    the tabs, as the header is); ``part`` the printed part it belongs to.
    """

    method: str
    tab: str | None
    part: Part

    @property
    def cell_source(self) -> str:
        """The report notebook's cell for this section."""
        return f"report.{self.method}()"


#: every section of the school report, in report order
SECTIONS: tuple[Section, ...] = (
    Section("header", None, "debrief"),
    Section("glance_section", "Award readiness", "debrief"),
    Section("sef_section", "Self-evaluation", "debrief"),
    Section("trend_section", "Trends", "debrief"),
    Section("survey_section", "Surveys", "debrief"),
    Section("measures_section", "Surveys", "debrief"),
    Section("triangulation_section", "Priorities", "debrief"),
    Section("priorities_section", "Priorities", "debrief"),
    Section("benchmark_section", "Trends", "appendix"),
    Section("strengths_section", "Award readiness", "debrief"),
    Section("award_section", "Award readiness", "debrief"),
    Section("award_decision_section", "Award readiness", "debrief"),
    Section("action_plan_section", "Action plan", "debrief"),
    Section("evidence_section", "Action plan", "appendix"),
    Section("reflections_section", "Notes", "debrief"),
    Section("notes_section", "Notes", "appendix"),
    Section("scale_section", "Notes", "appendix"),
)


def tab_sections(tab: str) -> tuple[Section, ...]:
    """The sections shown on app tab ``tab``, in report order."""
    if tab not in TABS:
        raise KeyError(f"no report tab {tab!r}; the tabs are {', '.join(TABS)}")
    return tuple(s for s in SECTIONS if s.tab == tab)


def check_layout(sections: tuple[Section, ...], tabs: tuple[str, ...]) -> None:
    """Raise ValueError unless the declaration is whole: every tab a section names is a tab, every tab
    shows a section, and no section is listed twice."""
    unknown = sorted({s.tab for s in sections if s.tab is not None} - set(tabs))
    empty = [t for t in tabs if not any(s.tab == t for s in sections)]
    twice = sorted({s.method for s in sections if sum(x.method == s.method for x in sections) > 1})
    problems = (
        ([f"sections on tabs that do not exist: {', '.join(unknown)}"] if unknown else [])
        + ([f"tabs without a section: {', '.join(empty)}"] if empty else [])
        + ([f"sections listed twice: {', '.join(twice)}"] if twice else [])
    )
    if problems:
        raise ValueError("report layout: " + "; ".join(problems))


check_layout(SECTIONS, TABS)

__all__ = ["Part", "SECTIONS", "Section", "TABS", "check_layout", "tab_sections"]
