"""The group overview's sections: status links, escaping, heatmaps."""

import re
from collections import Counter
from html import escape, unescape
from pathlib import Path

import pytest

from wqm_nb.data import load_framework
from wqm_nb.errors import SettingsError
from wqm_nb.model import SchoolSummary, build_rollup
from wqm_nb.model.figures import PROTECTS_SMALLER, too_few
from wqm_nb.model.group import PROTECTS_SCHOOL, GroupCount
from wqm_nb.present import GroupOverview, load_group_overview
from wqm_nb.settings import GroupSettings
from wqm_nb.store import build_database

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def summary(school_id, name, **kw):
    return SchoolSummary(
        school_id=school_id, name=name, phase="primary", trust="T", year="2025-26", has_data=True, **kw
    )


def overview(summaries, framework="wqm", **settings):
    gs = GroupSettings(year="2025-26", framework=framework, **settings)
    return GroupOverview(build_rollup(gs, summaries, load_framework(framework)))


def test_status_links_are_url_quoted_and_text_escaped():
    o = overview(
        [
            summary(
                "A1", "Alpha <b>", level_met="not yet", next_level="Approved School", progress="2/7 for Approved School"
            ),
            summary("B2", "Beta"),
        ],
        report_links={"A1": "Alpha report <2025>.html"},
    )
    html = o.status_section().html
    assert '<a href="Alpha%20report%20%3C2025%3E.html">Alpha report &lt;2025&gt;.html</a>' in html
    assert "Alpha &lt;b&gt;" in html and "<b>" not in html
    assert '<th scope="col">Report</th>' in html
    assert html.count("<a ") == 1  # Beta has no report linked
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
    untitled = GroupOverview(
        build_rollup(
            GroupSettings(year="2025-26"),
            [summary("A1", "A"), SchoolSummary("B2", "B", "primary", "U", "2025-26", True)],
            load_framework("wqm"),
        )
    )
    assert "<h1>All schools</h1>" in untitled.header().html


def test_survey_section_empty_when_nothing_is_published():
    nan = float("nan")
    o = overview([summary("A1", "Alpha", agreement={"parent": {"P1": nan}})], min_group_size=5)
    html = o.survey_section().html
    assert "no group is large enough to show" in html and "<svg" not in html
    assert "&lt;5: fewer than 5 responses, not shown" in html
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
    assert status.count("<tr>") == len(o.rollup.summaries) + 1  # header + one row per school
    surveys = o.survey_section().html
    assert surveys.count("<figure") == 3
    # every hidden cell of a heatmap is described by its reason, never by a number
    for survey in ("staff", "pupil", "parent"):
        notes = o.rollup.agreement_notes(survey)
        for label, row in notes.iterrows():
            for sec, note in row.items():
                if note:
                    pattern = rf"{re.escape(escape(label))}: [^;]*{sec} {re.escape(escape(note))}"
                    assert re.search(pattern, surveys), (label, sec)


def test_sample_overview_ids_are_unique(sample_overview):
    o = sample_overview
    html = "".join(f.html for f in o.sections())
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert {
        "status",
        "group-sef",
        "group-surveys",
        "group-pipeline",
        "group-similar",
        "group-peer-support",
        "group-governance",
        "group-totals",
    } <= set(ids)
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_unknown_setting_is_refused():
    with pytest.raises(SettingsError, match="colour"):
        load_group_overview(data=str(SAMPLE), colour="red")


# -- issue 12 sections, on hand-made summaries --------------------------------------------------------------------


NAN = float("nan")
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "benchmarks-example.yaml"


def school(school_id, name=None, pupils=300, phase="primary", **kw):
    return SchoolSummary(
        school_id=school_id,
        name=name or f"School {school_id}",
        phase=phase,
        trust="T",
        year="2025-26",
        has_data=True,
        pupils=pupils,
        **kw,
    )


def text_of(html):
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", html, flags=re.S))))


def test_pipeline_section_lists_holders_ready_and_working_towards():
    o = overview(
        [
            school("A1", held={"approved": "2023-24"}, levels_met=("approved", "champion")),
            school("B2", levels_met=("approved", "champion")),
            school("C3"),
        ]
    )
    html = o.pipeline_section().html
    text = text_of(html)
    assert "Approved School School A1 (since 2023-24) School B2 (rules met up to Champion School) School C3" in text
    assert "Champion School none School A1 none" in text
    assert (
        "Award pipeline: stacked bar chart of schools per award level. Approved School: 1 hold it, "
        "1 ready to apply, 1 working towards it; Champion School: 0 hold it, 1 ready to apply" in html
    )
    empty = overview([school("A1")], "leadership_management").pipeline_section().html
    assert "has no award levels" in empty and "<svg" not in empty


def test_survey_heatmap_marks_hidden_cells_with_their_reason_and_no_number():
    o = overview(
        [
            school(
                "A1",
                agreement={"staff": {"P1": 0.83, "P2": NAN, "P3": NAN}},
                hidden={"staff": {"P2": too_few(5), "P3": PROTECTS_SMALLER}},
            ),
            school("B2", agreement={"staff": {"P1": 0.5}}),
        ]
    )
    html = o.survey_section().html
    assert (
        "School A1: P1 83%, P2 fewer than 5 responses, P3 not shown, so that a smaller group cannot be worked "
        "out, P4 not asked" in html
    )
    assert "&lt;5: fewer than 5 responses, not shown; †: not shown, so that a smaller group" in html


def test_peer_section_puts_the_beacon_school_first():
    weak = {p: 4.0 for p in ("P1", "P2", "P4", "P5", "P6", "P7")} | {"P3": 1.0}
    o = overview(
        [
            school("R1", "Receiver", sef_means=weak),
            school("G1", "Strong", sef_means={"P3": 4.0}),
            school("B1", "Beacon <school>", sef_means={"P3": 3.0, "P1": 2.0, "P2": 2.0}, held={"beacon": "2024-25"}),
        ]
    )
    html = o.peer_section().html
    text = text_of(html)
    assert (
        "P3 Prioritise professional learning and staff development Receiver 0 "
        "Beacon <school> (★ Beacon School, strength 67); Strong (strength 100)"
    ) in text
    assert "those holding the Beacon School award first" in text
    assert "Receiver: P1 helps 1, P2 helps 1, P3 needs" in html and "Strong: P3 helps 1" in html
    assert "Beacon &lt;school&gt;" in html and "Beacon <school>" not in html
    assert "Beacon &lt;school&gt;: P1 needs, P2 needs, P3 ★ helps 1" in html
    assert "no school in the group is 15 points or more ahead" in text  # Strong's own weakest
    both = (
        overview(
            [
                school("X1", sef_means={"P3": 1.0}),
                school("A1", sef_means={"P3": 2.0}),
                school("C1", sef_means={"P3": 4.0}),
            ]
        )
        .peer_section()
        .html
    )
    assert "School A1: P3 needs, helps 1" in both  # helped by C1, helping X1


def test_governance_section_lists_the_warnings():
    o = overview(
        [
            school(
                "A1",
                sef_means={"P2": 3.0},
                previous_sef_means={"P2": 2.0},
                previous_year="2024-25",
                agreement={"pupil": {"P2": 0.6}},
                agreement_n={"pupil": {"P2": 40}},
                previous_agreement={"pupil": {"P2": 0.8}},
                previous_agreement_n={"pupil": {"P2": 45}},
            ),
            school("B2", agreement={"parent": {"P4": 0.42, "P5": 0.45}}, agreement_n={"parent": {"P4": 30, "P5": 31}}),
        ]
    )
    text = text_of(o.governance_section().html)
    assert (
        "School A1 Agreement fell while the self-rating rose P2, 2024-25 to 2025-26: pupil survey agreement "
        "fell from 80% (n=45) to 60% (n=40); the self-rating rose from 2.0 to 3.0"
    ) in text
    assert "School B2 Parent and carer survey below 50% P4 42% (n=30), P5 45% (n=31)" in text
    calm = overview([school("A1", agreement={"staff": {"P1": 0.9}}, agreement_n={"staff": {"P1": 20}})])
    assert "No school meets an early-warning rule this year." in calm.governance_section().html


def test_trust_totals_hide_a_total_that_would_reveal_a_school():
    o = overview(
        [
            school(
                "A1",
                pupils=100,
                sef_means={"P1": 2.0},
                counts={"staff": {"P1": GroupCount(3, 6, 6, 2, "primary"), "P2": GroupCount(30, 60, 30, 2)}},
            ),
            school(
                "B2",
                pupils=300,
                sef_means={"P1": 4.0},
                counts={"staff": {"P1": GroupCount(40, 80, 40, 2), "P2": GroupCount(20, 40, 40, 2)}},
            ),
            school("C3", pupils=None),
        ]
    )
    html = o.trust_totals_section().html
    text = text_of(html)
    assert f"P1 Adopt whole-school thinking 3.5 {PROTECTS_SCHOOL}" in text
    assert "P2 Engage the whole community not rated 88% (n=50)" in text  # (100 * .5 + 300 * 1) / 400
    assert "2 schools, 400 pupils" in text and "Left out (no pupil numbers recorded): School C3." in text
    assert "100%" not in html  # A1's hidden share


def test_trust_totals_beside_a_benchmark_file(tmp_path):
    counts = {"staff": {"P1": GroupCount(30, 60, 45, 2)}}
    o = overview([school("A1", counts=counts)])
    o.benchmark_file = __import__("wqm_nb.data.benchmark_file", fromlist=["x"]).load_benchmark_file(EXAMPLE)
    text = text_of(o.trust_totals_section().html)
    assert "75% (n=30); file: 80%" in text
    assert "File: Source: Example benchmark file" in text and "Illustrative figures, not real data" in text
    mixed = overview([school("A1", counts=counts), school("B2", phase="secondary", counts=counts)])
    mixed.benchmark_file = o.benchmark_file
    text = text_of(mixed.trust_totals_section().html)
    assert "file:" not in text and "its figures are for primary schools" in text


def test_similar_section_compares_with_the_median_of_similar_schools():
    o = overview(
        [
            school("A1", pupils=300, sef_means={"P1": 2.0}, agreement={"staff": {"P1": 0.6}}),
            school("B2", pupils=320, sef_means={"P1": 3.0}, agreement={"staff": {"P1": 0.8}}),
            school("C3", pupils=None, sef_means={"P1": 4.0}),
        ]
    )
    text = text_of(o.similar_section().html)
    assert "School A1 primary 300 School B2 2.0 (similar: 3.0, 1 school) 60% (similar: 80%, 1 school)" in text
    assert "School C3 primary pupil numbers not recorded 4.0" in text


@pytest.mark.slow
def test_load_group_overview_with_a_benchmark_file(tmp_path):
    db = build_database(SAMPLE, tmp_path / "wqm.sqlite")
    o = load_group_overview(data=str(db), benchmarks=str(EXAMPLE))
    assert o.benchmark_file is not None and o.benchmark_file.illustrative
    assert "Trust totals" in o.trust_totals_section().html
    with pytest.raises(SettingsError, match="benchmark file"):
        load_group_overview(data=str(db), benchmarks="figures.txt")


@pytest.mark.parametrize("framework", ["wqm", "vbe", "leadership_management"])
def test_every_section_renders_when_no_school_has_data(framework):
    from wqm_nb.model.group import missing_summary

    o = overview(
        [missing_summary(dict(school_id="A1", name="Alpha", phase="primary", trust="T"), "2025-26")], framework
    )
    html = "".join(f.html for f in o.sections())
    assert "No school meets an early-warning rule this year." in html
    assert "no weighted total is shown" in html


def measure(n, mean, low, high, suppressed=False, reason="", survey="pupil"):
    return dict(
        survey=survey,
        survey_name=f"{survey.capitalize()} survey",
        instrument="swemwbs",
        informant="self",
        score="metric",
        n=None if suppressed else n,
        mean=float("nan") if suppressed else mean,
        ci_low=float("nan") if suppressed else low,
        ci_high=float("nan") if suppressed else high,
        suppressed=suppressed,
        reason=reason,
    )


def test_measures_section_compares_schools_on_one_axis_with_intervals():
    o = overview(
        [
            summary("A1", "Alpha", measures=(measure(40, 22.0, 21.0, 23.0),)),
            summary("B2", "Beta", measures=(measure(12, 18.0, 15.0, 21.0),)),
            summary("C3", "Gamma", measures=(measure(0, 0, 0, 0, True, "fewer than 5 responses"),)),
            summary("D4", "Delta"),
        ]
    )
    f = o.measures_section()
    text = unescape(re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", re.sub(r"<svg.*?</svg>", " ", f.html, flags=re.S))))
    assert "Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS): Pupil survey" in text
    assert "Alpha 22.0 (21.0\u201323.0), n=40" in text
    assert "Beta 18.0 (15.0\u201321.0), n=12 too few to compare (fewer than 30)" in text
    assert "Gamma fewer than 5 responses" in text
    assert "Not measured in 2025-26: Delta." in text
    assert "at least 30 respondents in each group (Warwick Medical School" in text
    alt = unescape(re.search(r"<title>(.*?)</title>", f.html, re.S).group(1))
    assert "per school on a 7 to 35 scale" in alt and "Beta 18.0 (15.0 to 21.0), n=12, too few to compare" in alt
    assert f.html.count("<svg") == 1


def test_measures_section_without_any_measure_says_so():
    f = overview([summary("A1", "Alpha")]).measures_section()
    assert "No school&#39;s survey carried a validated wellbeing measure in 2025-26." in f.html
    assert "measures" in [s.name for s in overview([summary("A1", "Alpha")]).sections()]


@pytest.mark.slow
def test_an_overview_from_summaries_equals_the_one_from_the_data(tmp_path):
    from wqm_nb.model.group import rollup_group, save_summaries
    from wqm_nb.store import build_database

    db = build_database(SAMPLE, tmp_path / "wqm.sqlite")
    path = save_summaries(tmp_path / "s.json", list(rollup_group(GroupSettings(data=str(db))).summaries))
    direct = load_group_overview(data=str(db))
    summarised = load_group_overview(data=str(tmp_path / "nowhere"), summaries=str(path))  # data not read
    for name in (
        "header",
        "status_section",
        "pipeline_section",
        "sef_section",
        "survey_section",
        "peer_section",
        "governance_section",
        "trust_totals_section",
    ):
        assert str(getattr(summarised, name)()) == str(getattr(direct, name)()), name


@pytest.mark.slow
def test_same_data_and_as_of_give_the_same_overview_on_any_day(tmp_path):
    import time_machine

    db = build_database(SAMPLE, tmp_path / "wqm.sqlite")
    pages = []
    for day in ("2026-01-05 09:30", "2027-09-15 16:45"):
        with time_machine.travel(day, tick=False):
            o = load_group_overview(data=str(db), year="2025-26", as_of="2026-11-30")
            pages.append("\n".join(f.html for f in o.sections()))
    assert pages[0] == pages[1]
    assert "as of 2026-11-30" in pages[0]


def test_a_heatmap_cell_hidden_by_a_change_or_a_withheld_survey_never_reads_fewer_than():
    from wqm_nb.model.figures import PROTECTS_CHANGE, PROTECTS_SMALLER, WITHHELD_SURVEY
    from wqm_nb.present.group_overview import _cell_mark

    assert {_cell_mark(n, 5) for n in (PROTECTS_SMALLER, PROTECTS_CHANGE, WITHHELD_SURVEY)} == {"†"}
    assert _cell_mark("fewer than 5 responses", 5) == "<5"
