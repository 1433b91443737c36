"""The benchmarks section on hand-made schools: the school's figure, the portfolio median and quartiles with
their counts or "too few schools", a benchmark file's figure with its source under every table, and never a
hidden figure."""

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from wqm_nb.data import load_question_bank
from wqm_nb.data.benchmark_file import load_benchmark_file
from wqm_nb.model import assess_store
from wqm_nb.model.benchmarks import refresh_benchmarks
from wqm_nb.present.benchmarks import benchmark_section
from wqm_nb.settings import ReportSettings
from wqm_nb.store import Store

YEAR = "2025-26"
BANK = load_question_bank()
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "benchmarks-example.yaml"


def answers(survey: str, agreeing: int, disagreeing: int, start: int = 0) -> pd.DataFrame:
    spec = BANK.surveys[survey]
    rows = []
    for k in range(agreeing + disagreeing):
        row = {"respondent": f"{survey}{start + k}", **{i: 5 if k < agreeing else 1 for i in spec.item_ids}}
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    """A0 (reported on): 10 staff, 7 agreeing; 3 parents, all agreeing (hidden). A1..A6: 10 staff, i agreeing.
    A1, A2 ran a pupil survey (20 pupils). X0: a secondary school."""
    path = tmp_path_factory.mktemp("present-bench") / "wqm.sqlite"
    with Store(path) as store:
        for i in range(7):
            sid = f"A{i}"
            store.add_school(sid, f"School {i}", "primary", trust="T", pupils=200)
            store.record_rating(store.ensure_cycle(sid, YEAR), "P1.1", 3, "evidence")
            year = store.ensure_school_year(sid, YEAR)
            store.add_survey_responses(year, "staff", answers("staff", 7 if i == 0 else i, 3 if i == 0 else 10 - i))
            if i == 0:
                store.add_survey_responses(year, "parent", answers("parent", 3, 0))
            if i in (1, 2):
                store.add_survey_responses(year, "pupil", answers("pupil", 10 + i, 10 - i))
        store.add_school("X0", "Secondary", "secondary", trust="T", pupils=900)
        store.record_rating(store.ensure_cycle("X0", YEAR), "P1.1", 2, "evidence")
        store.add_survey_responses(store.ensure_school_year("X0", YEAR), "staff", answers("staff", 5, 5))
        refresh_benchmarks(store, YEAR, "wqm")
    return path


def assess(store_path, school_id="A0", **kw):
    with Store.open(store_path, read_only=True) as store:
        return assess_store(store, ReportSettings(school_id=school_id, year=YEAR, data=str(store_path), **kw))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def table_after(html: str, heading: str) -> str:
    start = html.index(f"<h3>{heading}</h3>")
    return html[start : html.index("</table>", start)]


def test_the_school_beside_the_portfolio(store_path):
    html = benchmark_section(assess(store_path)).html
    staff = text_of(table_after(html, "Staff survey: % agreeing"))
    # P1: A0 70% (n=10); the other six primaries 10%..60%: median 35%, too few for quartiles
    assert "P1 Adopt whole-school thinking 70% (n=10) 35% (6 schools) too few schools (6)" in staff
    pupil = text_of(table_after(html, "Pupil survey: % agreeing"))
    assert "not shown: no responses too few schools (2) too few schools (2)" in pupil
    sef = text_of(table_after(html, "Self-evaluation: mean rating"))
    assert "P1 Adopt whole-school thinking 3.0 3.0 (6 schools)" in sef
    assert "at least 5 other schools, quartiles at least 10" in text_of(html)
    assert "Benchmark file" not in html and "Source:" not in html


def test_a_hidden_figure_is_never_shown(store_path):
    html = benchmark_section(assess(store_path)).html
    parent = text_of(table_after(html, "Parent and carer survey: % agreeing"))
    assert "not shown: fewer than 5 responses" in parent
    assert "100%" not in parent and "n=3" not in parent  # the three parents all agreed


def test_a_benchmark_file_is_printed_with_its_source_under_every_table(store_path):
    html = benchmark_section(assess(store_path), EXAMPLE).html
    bf = load_benchmark_file(EXAMPLE)
    tables = html.count("<table")
    uses = html.count("Source: Example benchmark file")
    assert uses == tables == 5  # self-evaluation, staff, pupil, parent, staff audit: each uses the file
    staff = text_of(table_after(html, "Staff survey: % agreeing"))
    assert "Benchmark file" in staff and "80% (72%-88%)" in staff
    assert "Illustrative figures, not real data" in html
    assert bf.citation.replace("'", "&#39;") in html


def test_the_citation_follows_every_table_that_uses_the_file(store_path, tmp_path):
    path = tmp_path / "bench.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "source": "Survey <b>2024</b>",
                "year": 2024,
                "framework": "wqm",
                "figures": [{"survey": "staff", "section": "P1", "value": 64}],
            }
        ),
        encoding="utf-8",
    )
    html = benchmark_section(assess(store_path), str(path)).html
    assert html.count("Source: Survey &lt;b&gt;2024&lt;/b&gt;, 2024.") == 1  # only the staff table uses it
    assert "<b>2024" not in html
    staff = table_after(html, "Staff survey: % agreeing")
    assert "64%" in staff and "Benchmark file" in staff
    assert "Benchmark file" not in table_after(html, "Pupil survey: % agreeing")


def test_a_file_for_another_phase_is_not_used(store_path):
    html = benchmark_section(assess(store_path, "X0"), EXAMPLE).html
    assert "Benchmark file" not in html and "Source:" not in html
    assert "Not compared with the benchmark file benchmarks-example.yaml has figures for primary schools" in html
    assert "too few schools (0)" in html  # the only secondary school


def test_not_computed_says_how_to_compute(store_path, tmp_path):
    copy = tmp_path / "fresh.sqlite"
    with Store(copy) as store:
        store.add_school("B0", "Alone", "primary", pupils=100)
        store.record_rating(store.ensure_cycle("B0", YEAR), "P1.1", 2, "x")
    with Store.open(copy, read_only=True) as store:
        a = assess_store(store, ReportSettings(school_id="B0", year=YEAR, data=str(copy)))
    html = benchmark_section(a, "").html
    assert "wqm benchmarks refresh" in html and "not computed" in html


def test_the_section_for_vbe_uses_its_aspects(store_path, tmp_path):
    copy = tmp_path / "vbe.sqlite"
    copy.write_bytes(store_path.read_bytes())
    with Store.open(copy) as store:
        refresh_benchmarks(store, YEAR, "vbe")
    html = benchmark_section(assess(copy, framework="vbe")).html
    assert "Aspect" in html and "A1 " in text_of(html)
