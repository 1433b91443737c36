"""The group overview's sections: status links, escaping, heatmaps."""
import re
from collections import Counter
from pathlib import Path

import pytest

from wqm_nb.data import load_framework
from wqm_nb.errors import SettingsError
from wqm_nb.model import SchoolSummary, build_rollup
from wqm_nb.present import GroupOverview, load_group_overview
from wqm_nb.settings import GroupSettings
from wqm_nb.store import build_database

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def summary(school_id, name, **kw):
    return SchoolSummary(school_id=school_id, name=name, phase="primary", trust="T", year="2025-26",
                         has_data=True, **kw)


def overview(summaries, framework="wqm", **settings):
    gs = GroupSettings(year="2025-26", framework=framework, **settings)
    return GroupOverview(build_rollup(gs, summaries, load_framework(framework)))


def test_status_links_are_url_quoted_and_text_escaped():
    o = overview([summary("A1", "Alpha <b>", level_met="not yet", next_level="Approved School",
                          progress="2/7 for Approved School"),
                  summary("B2", "Beta")],
                 report_links={"A1": "Alpha report <2025>.html"})
    html = o.status_section().html
    assert '<a href="Alpha%20report%20%3C2025%3E.html">Alpha report &lt;2025&gt;.html</a>' in html
    assert "Alpha &lt;b&gt;" in html and "<b>" not in html
    assert '<th scope="col">Report</th>' in html
    assert html.count("<a ") == 1                                        # Beta has no report linked
    assert "<td>2/7 for Approved School</td>" in html and "Award readiness" in html


def test_no_links_no_report_column():
    html = overview([summary("A1", "Alpha")]).status_section().html
    assert "Report</th>" not in html and "<a " not in html
    assert '<th scope="col">Level met</th>' in html


def test_checklist_status_shows_progress_only():
    html = overview([summary("A1", "Alpha", progress="5/8 in place")], "leadership_management").status_section().html
    assert "Checklist progress" in html and "Items rated in place, per school." in html
    assert "Level met" not in html and "<td>5/8 in place</td>" in html


def test_header_title_and_count():
    html = overview([summary("A1", "Alpha"), summary("B2", "Beta")], trust="<Trust & Co>").header().html
    assert "<h1>&lt;Trust &amp; Co&gt;</h1>" in html
    assert "Group overview, 2025-26: 2 schools" in html
    untitled = GroupOverview(build_rollup(GroupSettings(year="2025-26"), [summary("A1", "A"),
                             SchoolSummary("B2", "B", "primary", "U", "2025-26", True)], load_framework("wqm")))
    assert "<h1>All schools</h1>" in untitled.header().html


def test_survey_section_empty_when_nothing_is_published():
    nan = float("nan")
    o = overview([summary("A1", "Alpha", agreement={"parent": {"P1": nan}})], min_group_size=5)
    html = o.survey_section().html
    assert "no group is large enough to show" in html and "<svg" not in html
    assert "Blank cells: fewer than 5 respondents" in html
    shown = overview([summary("A1", "Alpha", agreement={"staff": {"P1": 0.8}})]).survey_section().html
    assert "<svg" in shown and "Staff survey: % agreeing" in shown and "Parent and carer survey" not in shown


@pytest.fixture(scope="module")
def sample_overview(tmp_path_factory):
    db = build_database(SAMPLE, tmp_path_factory.mktemp("overview") / "wqm.sqlite")
    return load_group_overview(data=str(db), report_links={"NLT01": "NLT01 report.html"})


def test_sample_overview(sample_overview):
    o = sample_overview
    status = o.status_section().html
    assert '<a href="NLT01%20report.html">NLT01 report.html</a>' in status
    assert status.count("<tr>") == 8                                       # header + 7 schools
    surveys = o.survey_section().html
    assert surveys.count("<figure") == 3
    # NLT03's three parents are not shown: its row of the parent heatmap is blank
    assert re.search(r"Parent and carer survey: % agreeing: table of 7 rows\..*Fellside Primary School: "
                     r"P1 blank, P2 blank, P3 blank, P4 blank", surveys)


def test_sample_overview_ids_are_unique(sample_overview):
    o = sample_overview
    html = "".join(f.html for f in (o.header(), o.status_section(), o.sef_section(), o.survey_section()))
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert {"status", "group-sef", "group-surveys"} <= set(ids)
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_unknown_setting_is_refused():
    with pytest.raises(SettingsError, match="colour"):
        load_group_overview(data=str(SAMPLE), colour="red")
