"""The report layout declared once: the notebook, the report's sections and the app's tabs all follow it."""

import json

import pytest

from wqm_nb.export.notebooks import SCHOOL_NOTEBOOK, notebook_path
from wqm_nb.present import SchoolReport, load_school_report
from wqm_nb.present.layout import SECTIONS, TABS, Section, check_layout, tab_sections
from wqm_nb.ui.report_app import APP_VARIANTS, tab_fragments


def static_cells() -> list[str]:
    nb = json.loads(notebook_path(SCHOOL_NOTEBOOK).read_text())
    return [
        "".join(c["source"]).strip()
        for c in nb["cells"]
        if c["cell_type"] == "code" and "static" in c["metadata"].get("tags", [])
    ]


def test_the_notebook_prints_one_cell_per_declared_section_in_order_tagged_with_its_part():
    assert static_cells() == [s.cell_source for s in SECTIONS]
    nb = json.loads(notebook_path(SCHOOL_NOTEBOOK).read_text())
    tags = [c["metadata"]["tags"] for c in nb["cells"] if "static" in c["metadata"].get("tags", [])]
    assert tags == [s.cell_tags for s in SECTIONS]


def test_every_declared_section_is_a_report_method():
    missing = [s.method for s in SECTIONS if not callable(getattr(SchoolReport, s.method, None))]
    assert missing == []


def test_sections_follow_the_declaration(sample_db):
    report = load_school_report(school_id="NLT03", data=str(sample_db))
    shown = {f.name for f in report.sections()}
    declared = [getattr(report, s.method)() for s in SECTIONS]
    assert [f.name for f in report.sections()] == [f.name for f in declared if f]
    assert shown


def test_each_tab_shows_its_declared_sections(sample_db):
    report = load_school_report(school_id="NLT03", data=str(sample_db))
    for index, tab in enumerate(TABS):
        names = [f.name for f in tab_fragments(report, index) if f]
        for section in tab_sections(tab):
            if section.method in APP_VARIANTS:
                continue  # the app's own views (rows that open, the breakdown chosen, the decision whole)
            fragment = getattr(report, section.method)()
            if fragment:
                assert fragment.name in names, (tab, section.method)
    assert not tab_fragments(report, TABS.index("Surveys"), "pupil") == tab_fragments(report, TABS.index("Surveys"))


def test_header_is_above_the_tabs_and_every_section_has_a_part():
    assert [s.method for s in SECTIONS if s.tab is None] == ["header"]
    assert {s.part for s in SECTIONS} == {"debrief", "appendix", "both"}


@pytest.mark.parametrize(
    "sections, tabs, message",
    [
        (
            (Section("header", None, "debrief"), Section("a", "Elsewhere", "debrief")),
            ("Tab",),
            "sections on tabs that do not exist: Elsewhere; tabs without a section: Tab",
        ),
        ((Section("a", "Tab", "debrief"), Section("a", "Tab", "appendix")), ("Tab",), "sections listed twice: a"),
        ((Section("a", "Tab", "summary"),), ("Tab",), "unknown parts: summary"),  # type: ignore[arg-type]
    ],
)
def test_a_broken_layout_is_refused_with_what_is_wrong(sections, tabs, message):
    with pytest.raises(ValueError, match=message):
        check_layout(sections, tabs)


def test_an_unknown_tab_is_named():
    with pytest.raises(KeyError, match="no report tab 'Nope'"):
        tab_sections("Nope")
