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

#: the printed part a section belongs to: the debrief a head and governors discuss, the appendix (``--full``),
#: or both (the header)
Part = Literal["debrief", "appendix", "both"]
PARTS: tuple[str, ...] = ("debrief", "appendix", "both")

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
    def cell_tags(self) -> list[str]:
        """The report notebook's cell tags for this section: ``static`` and its part."""
        return ["static", self.part]

    @property
    def cell_source(self) -> str:
        """The report notebook's cell for this section."""
        return f"report.{self.method}()"


#: every section of the school report, in report order
SECTIONS: tuple[Section, ...] = (
    Section("header", None, "both"),
    # the debrief: what a head and governors discuss
    Section("glance_section", "Award readiness", "debrief"),
    Section("sef_summary_section", "Self-evaluation", "debrief"),
    Section("survey_summary_section", "Surveys", "debrief"),
    Section("triangulation_section", "Priorities", "debrief"),
    Section("priorities_summary_section", "Priorities", "debrief"),
    Section("award_summary_section", "Award readiness", "debrief"),
    Section("action_plan_section", "Action plan", "debrief"),
    Section("reflections_section", "Notes", "debrief"),
    # the appendix (--full): the detail behind it
    Section("trend_section", "Trends", "appendix"),
    Section("measures_section", "Surveys", "appendix"),
    Section("strengths_section", "Award readiness", "appendix"),
    Section("award_section", "Award readiness", "appendix"),
    Section("award_criteria_section", "Award readiness", "appendix"),
    Section("sorting_section", "Priorities", "appendix"),
    Section("sef_elements_section", "Self-evaluation", "appendix"),
    Section("survey_groups_section", "Surveys", "appendix"),
    Section("benchmark_section", "Trends", "appendix"),
    Section("evidence_section", "Action plan", "appendix"),
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
    parts = sorted({s.part for s in sections} - set(PARTS))
    problems = (
        ([f"sections on tabs that do not exist: {', '.join(unknown)}"] if unknown else [])
        + ([f"tabs without a section: {', '.join(empty)}"] if empty else [])
        + ([f"sections listed twice: {', '.join(twice)}"] if twice else [])
        + ([f"unknown parts: {', '.join(parts)}"] if parts else [])
    )
    if problems:
        raise ValueError("report layout: " + "; ".join(problems))


check_layout(SECTIONS, TABS)

__all__ = ["PARTS", "Part", "SECTIONS", "Section", "TABS", "check_layout", "tab_sections"]
