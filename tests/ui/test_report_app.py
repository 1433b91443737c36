"""The interactive report in plain pytest: set widget values, check what the tabs show."""

import pytest

from wqm_nb.present import load_school_report
from wqm_nb.present.layout import TABS
from wqm_nb.ui import ViewerScope, report_app, viewer_scope


@pytest.fixture
def app(sample_db):
    report = load_school_report(school_id="NLT03", data=str(sample_db))
    return report_app(report, viewer_scope(school_id="NLT03", year="", data=str(sample_db)), data=str(sample_db))


def test_outside_voila_the_scope_is_the_parameters(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    scope = viewer_scope(school_id="NLT03", year="2024-25")
    assert (scope.school_id, scope.year, scope.locked_school) == ("NLT03", "2024-25", False)


def test_app_has_the_controls_and_tabs(app):
    assert [t for t in app.tabs.titles] == list(TABS)
    assert app.school.value == "NLT03" and len(app.school.options) == 8
    assert app.year.options == ("2025-26", "2024-25", "2023-24")
    assert "Fellside Primary School" in app.widget.children[0].value
    assert "Self-evaluation by framing principle" in app.pages[0].value
    assert '<details class="wqm-principle">' in app.pages[0].value  # rows expand to elements
    assert app.download.value == ""  # no PDF route outside Voila


def test_switching_school_year_and_framework(app):
    app.school.value = "NLT01"
    assert "Ashgrove Primary School" in app.widget.children[0].value and app.year.value == "2025-26"
    app.year.value = "2023-24"
    assert app.report.assessment.year == "2023-24"
    app.framework.value = "leadership_management"
    app.tabs.selected_index = 2
    assert "Key question" in app.pages[2].value and "Readiness against" not in app.pages[2].value


def test_survey_breakdown_reads_the_published_figures(app):
    app.tabs.selected_index = 1
    assert "What stakeholders say" in app.pages[1].value
    app.breakdown.value = "staff"
    shown = app.pages[1].value
    assert "Staff survey by role" in shown and "fewer than 5 responses" in shown
    figures = app.report.assessment.current.figures
    for r in figures.subgroups("staff").itertuples():
        if r.suppressed:
            assert f"(n={r.n})" not in shown


def test_a_signed_link_limits_the_app_to_its_school(sample_db, monkeypatch):
    report = load_school_report(school_id="NLT03", year="2025-26", data=str(sample_db))
    scope = ViewerScope(
        "NLT03", "2025-26", "", True, True, {"school": "NLT03", "year": "2025-26", "expires": "1", "sig": "x"}
    )
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.setenv("VOILA_BASE_URL", "/")
    app = report_app(report, scope, data=str(sample_db))
    assert [v for _, v in app.school.options] == ["NLT03"] and app.year.options == ("2025-26",)
    assert "wqm/pdf?school=NLT03&amp;year=2025-26&amp;expires=1&amp;sig=x" in app.download.value


def test_an_unknown_choice_shows_a_message_not_a_traceback(app):
    app.years["NLT01"] = ["2019-20"]  # a year the store does not have
    app.school.value = "NLT01"
    assert "no data for 2019-20" in app.message.value


def test_switching_school_keeps_the_framework_file_benchmarks_and_as_of(sample_db, tmp_path, repo):
    import yaml

    from wqm_nb.data.frameworks import FRAMEWORK_DIR

    doc = yaml.safe_load((FRAMEWORK_DIR / "wqm.yaml").read_text())
    doc["levels"][0]["criteria"].update(min_principle_mean=1.0, min_element_rating=1, min_stakeholder_agreement=0.0)
    relaxed = tmp_path / "relaxed.yaml"
    relaxed.write_text(yaml.safe_dump(doc))
    benchmarks = str(repo / "docs" / "benchmarks-example.yaml")
    report = load_school_report(
        school_id="NLT03", data=str(sample_db), framework=str(relaxed), benchmarks=benchmarks, as_of="2026-01-05"
    )
    app = report_app(report, viewer_scope(school_id="NLT03", year="", data=str(sample_db)), data=str(sample_db))
    assert app.framework.value == str(relaxed) and "rules from relaxed.yaml" in app.framework.label
    app.school.value = "NLT01"
    settings = app.report.assessment.settings
    assert (settings.school_id, settings.framework, settings.benchmarks, settings.as_of) == (
        "NLT01",
        str(relaxed),
        benchmarks,
        "2026-01-05",
    )
    assert "Rules from relaxed.yaml" in app.report.priorities_section().html
    assert "Illustrative figures" in app.report.benchmark_section().html
    assert "<td>2026-01-05</td>" in app.widget.children[0].value
    app.framework.value = "vbe"  # a bundled framework, then back to the file
    assert app.report.framework.id == "vbe" and app.report.assessment.settings.as_of == "2026-01-05"
    app.framework.value = str(relaxed)
    assert app.report.assessment.settings.framework == str(relaxed)


def test_no_tab_selected_draws_nothing_and_raises_nothing(app):
    app.tabs.selected_index = None  # what a page may send; the app keeps what it shows
    assert "Self-evaluation by framing principle" in app.pages[0].value
