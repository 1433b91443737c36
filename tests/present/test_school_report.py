"""The school report's sections, for each framework, on the sample trust and on small stores."""

import re
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wqm_nb.errors import SettingsError
from wqm_nb.model import assess_store
from wqm_nb.present import SchoolReport, load_school_report
from wqm_nb.present.school_report import survey_matrix
from wqm_nb.settings import ReportSettings
from wqm_nb.store import Store, build_database

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
SIZE = re.compile(r"\(n=(\d+)\)")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """load_school_report on the sample trust (imported once into a store file), cached per arguments."""
    db = build_database(SAMPLE, tmp_path_factory.mktemp("report") / "wqm.sqlite")
    cache = {}

    def get(school_id, framework="wqm", year=""):
        key = (school_id, framework, year)
        if key not in cache:
            cache[key] = load_school_report(school_id=school_id, framework=framework, year=year, data=str(db))
        return cache[key]

    return get


def whole(r: SchoolReport) -> str:
    return "".join(f.html for f in r.sections())


def test_wqm_sections_in_order(report):
    r = report("NLT01")
    assert [f.name for f in r.sections()] == [
        # the debrief
        "header",
        "at-a-glance",
        "self-evaluation",
        "surveys",
        "triangulation",
        "priorities",
        "award_decision",
        "action-plan",
        # the appendix
        "trends",
        "measures",
        "strengths",
        "readiness",
        "award_criteria",
        "self-evaluation-elements",
        "survey-groups",
        "benchmarks",
        "evidence",
        "notes",
        "scale",
    ]
    html = whole(r)
    assert "<h1>Ashgrove Primary School</h1>" in html and "Self-evaluation and stakeholder report, 2025-26" in html
    assert "Readiness against the award levels" in html and "Key question" not in html
    assert "Self-evaluation by framing principle over time" in r.trend_section().html  # three rated years: a trend
    assert "Self-evaluation over time" not in r.sef_section().html
    assert "Staff survey by role" in r.survey_section().html
    dated = SchoolReport(r.assessment, report_date=date(2026, 7, 1)).header().html
    assert "<td>2026-07-01</td>" in dated


def test_checklist_shows_key_question_not_award_levels(report):
    r = report("NLT01", "leadership_management")
    award = r.award_section()
    assert award.name == "checklist"
    assert "Key question" in award.html and "visible senior leadership" in award.html
    assert "Ofsted expectations" in award.html
    html = whole(r)
    assert "Readiness against the award levels" not in html
    assert "Ratings and evidence by element" not in html  # the checklist table replaces it


def test_checklist_says_the_pupil_survey_is_not_mapped(report):
    html = report("NLT01", "leadership_management").survey_section().html
    assert "The pupil survey is not mapped to the Leadership and Management" in html
    assert "Staff survey" in html and "Parent and carer survey" in html
    assert "Pupil survey by year group" not in html
    assert "The pupil survey is not mapped" not in report("NLT01").survey_section().html


def test_vbe_reflections_shown_written_or_not(report):
    titles = [
        "The school&#39;s &#34;stand out&#34; area of excellence in VbE",
        "Adviser&#39;s suggestions for next steps",
        "Audit conclusion",
    ]
    empty = report("NLT06", "vbe").reflections_section().html
    assert all(t in empty for t in titles)
    assert empty.count("Not written yet") == 3
    assert "Not written yet (the school to complete)" in empty
    written = report("NLT01", "vbe").reflections_section().html
    assert all(t in written for t in titles)
    assert "Not written yet" not in written
    assert "pupils lead it" in written and "Headteacher, 2026-06-10" in written
    assert not report("NLT01").reflections_section()  # WQM has no reflections


def test_year_without_ratings(report):
    vbe = report("NLT03", "vbe", "2025-26")
    assert "No self-evaluation recorded yet for 2025-26" in vbe.sef_section().html
    assert "<td>" in vbe.survey_section().html and SIZE.search(vbe.survey_section().html)  # surveys still shown
    lm = report("NLT01", "leadership_management", "2024-25")
    assert "No self-evaluation recorded yet for 2024-25." in lm.header().html
    assert "No self-evaluation recorded yet" not in whole(report("NLT01", "leadership_management"))


def test_suppressed_groups_show_the_reason_never_a_size():
    # straight from the CSV folder: NLT03 has three parent responses in 2025-26
    r = load_school_report(school_id="NLT03", year="2025-26", data=str(SAMPLE))
    surveys = r.survey_section().html
    assert "fewer than 5 responses" in surveys
    assert "Parent and carer survey: fewer than 5 responses" in r.header().html
    html = whole(r)
    sizes = [int(n) for n in SIZE.findall(html)]
    assert sizes and min(sizes) >= 5
    assert "n=3" not in html and "(n=<NA>)" not in html


@pytest.mark.parametrize(
    "school_id, framework",
    [("NLT01", "wqm"), ("NLT03", "wqm"), ("NLT06", "vbe"), ("NLT03", "vbe"), ("NLT02", "leadership_management")],
)
def test_every_id_in_a_report_is_unique(report, school_id, framework):
    ids = re.findall(r'\bid="([^"]+)"', whole(report(school_id, framework)))
    assert ids
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_school_name_is_escaped():
    with Store(":memory:") as store:
        store.add_school("X1", "<script>alert('x')</script> Academy", "secondary", trust="A & B <Trust>")
        store.record_rating(store.ensure_cycle("X1", "2025-26"), "P1.1", 3, "<b>evidence</b>")
        r = SchoolReport(assess_store(store, ReportSettings(school_id="X1")))
    html = whole(r)
    assert "<script>" not in html and "<b>evidence" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Academy" in html
    assert "A &amp; B &lt;Trust&gt;" in html and "&lt;b&gt;evidence&lt;/b&gt;" in html


def test_survey_matrix():
    rows = pd.DataFrame(
        dict(
            section_id=["P1", "P1", "P2"],
            section=["One", "One", "Two"],
            subgroup=["teaching", "support", "teaching"],
            suppressed=[False, True, False],
            reason=["", "fewer than 5 responses", ""],
            n=pd.array([12, pd.NA, 8], dtype="Int64"),
            agree_share=[0.75, np.nan, 0.5],
        )
    )
    t = survey_matrix(rows, "subgroup", "Framing principle")
    assert list(t.columns) == ["Framing principle", "teaching", "support"]
    assert [list(r) for r in t.rows] == [
        ["P1 One", "75% (n=12)", "fewer than 5 responses"],
        ["P2 Two", "50% (n=8)", "not asked"],
    ]


def test_unknown_setting_is_refused():
    with pytest.raises(SettingsError, match="colour"):
        load_school_report(school_id="NLT01", data=str(SAMPLE), colour="red")


def test_trend_section_has_a_chart_and_a_table_of_every_year(sample_db):
    from wqm_nb.present import load_school_report

    html = load_school_report(school_id="NLT03", data=str(sample_db)).trend_section().html
    assert "<svg" in html and "<td>2.5</td>" in html
    for year in ("2023-24", "2024-25", "2025-26"):  # a column for every year with a self-evaluation
        assert f'<th scope="col">{year}</th>' in html


# --------------------------------------------------------------------------
# the staff audit beside the self-evaluation


def sef_rows(r: SchoolReport) -> list[list[str]]:
    """The self-evaluation summary table's rows, as cell texts."""
    html = r.sef_section().html
    table = html[html.index("<table") : html.index("</table>")]
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S)]


def test_the_staff_audit_is_shown_beside_the_leaders_rating(report):
    r = report("NLT03")
    rows = sef_rows(r)
    assert rows[0] == [
        "",
        "Framing principle",
        "Mean rating",
        "Stage",
        "Staff audit mean (n)",
        "Rated",
        "With evidence",
    ]
    figures = r.assessment.current.figures.ratings("staff_audit").set_index("section_id")
    principles = r.assessment.current.principles.set_index("principle_id")
    for row in rows[1:]:
        pid = row[0]
        assert row[2] == f"{principles.loc[pid, 'mean_rating']:.1f}"
        assert row[4] == f"{figures.loc[pid, 'mean']:.1f} (n={figures.loc[pid, 'n']})"
    assert rows[1][:5] == ["P1", "Adopt whole-school thinking", "3.0", "Developing practice", "2.2 (n=6)"]
    html = r.sef_section().html
    assert "Staff audit: staff&#39;s own rating of how far the school has got with each framing principle" in html
    assert "staff audit 2.2 (n=6)" in html  # the chart's alt text (its <title>)
    assert "Staff audit: 6" in r.header().html
    # the stakeholder survey section is agreement only
    surveys = r.survey_section().html
    assert "Staff audit" not in surveys and "staff audit" not in surveys


def test_a_suppressed_audit_shows_its_reason_never_a_number(report):
    r = report("NLT05")  # four senior leaders tried the audit
    rows = sef_rows(r)
    assert rows[0][4] == "Staff audit mean (n)"
    assert [row[4] for row in rows[1:]] == ["fewer than 5 responses"] * 7
    html = r.sef_section().html
    assert "staff audit fewer than 5 responses, not shown" in html
    assert not re.search(r"staff audit \d", html) and "(n=4)" not in html
    assert "Staff audit: fewer than 5 responses" in r.header().html


def test_an_audit_hidden_to_protect_a_small_role_says_so(report):
    r = report("NLT01")  # 100% at 3+ would tell the leaders' ratings
    cells = {row[0]: row[4] for row in sef_rows(r)[1:]}
    assert cells["P1"] == "not shown, so that a smaller group cannot be worked out"
    assert SIZE.fullmatch(cells["P2"].split(" ", 1)[1])
    shown = r.assessment.current.figures.ratings("staff_audit")
    assert (shown["suppressed"] == (shown["reason"] != "")).all() and shown["suppressed"].any()


def test_no_audit_no_column_and_no_word_of_it(report):
    r = report("NLT02")  # Beckside has run no staff audit
    assert sef_rows(r)[0] == ["", "Framing principle", "Mean rating", "Stage", "Rated", "With evidence"]
    assert "staff audit" not in r.sef_section().html.lower()  # (evidence may mention a safeguarding audit)
    assert "Staff audit" not in r.header().html


def test_a_framework_that_does_not_map_the_audit_says_it_is_not_shown(report):
    r = report("NLT01", "vbe")
    html = r.sef_section().html
    assert (
        "The school ran the staff audit this year; it is not mapped to the Values-based Education Quality Mark" in html
    )
    assert "Staff audit mean" not in html
    assert "staff audit" not in r.survey_section().html.lower()
    assert "The staff audit" not in report("NLT02", "vbe").sef_section().html


# -- the report's date is the settings' as_of, never the clock --------------------------------------------------------

#: two system dates that straddle term ends (12-19, 03-31, 07-22) and NLT03's review dates (2026-03-19 ...)
FROZEN_DAYS = ("2026-01-05 09:30", "2027-09-15 16:45")


def _every_section(school_id: str, db: Path, as_of: str) -> str:
    r = load_school_report(school_id=school_id, year="2025-26", data=str(db), as_of=as_of)
    return "\n".join(f.html for f in r.sections())


@pytest.mark.slow
def test_same_data_and_as_of_give_the_same_report_on_any_day(tmp_path):
    import time_machine

    db = build_database(SAMPLE, tmp_path / "wqm.sqlite")
    pages = []
    for day in FROZEN_DAYS:
        with time_machine.travel(day, tick=False):
            assert date.today().isoformat() == day[:10]
            pages.append(_every_section("NLT03", db, "2026-11-30"))
    assert pages[0] == pages[1]
    assert "<td>2026-11-30</td>" in pages[0] and "before 2026-11-30" in pages[0]
    # the date does reach the report: another as_of moves the report date and the action plan with it
    with time_machine.travel(FROZEN_DAYS[0], tick=False):
        later = _every_section("NLT03", db, "2027-09-15")
    assert "<td>2027-09-15</td>" in later and "before 2027-09-15" in later and later != pages[0]


def test_an_unset_as_of_is_today_once_and_then_explicit(tmp_path):
    import time_machine

    db = build_database(SAMPLE, tmp_path / "wqm.sqlite")
    with time_machine.travel(FROZEN_DAYS[1], tick=False):
        r = load_school_report(school_id="NLT03", data=str(db))
    assert r.assessment.settings.as_of == "2027-09-15" and r.report_date == date(2027, 9, 15)
    with time_machine.travel(FROZEN_DAYS[0], tick=False):  # read on another day, it keeps its date
        assert "<td>2027-09-15</td>" in r.header().html and "before 2027-09-15" in r.action_plan_section().html
