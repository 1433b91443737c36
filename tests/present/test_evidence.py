"""The evidence coverage section, on small hand-made stores with known answers."""

import re

import pytest

from wqm_nb.model import assess_store
from wqm_nb.model.evidence import evidence_map
from wqm_nb.present.evidence import coverage_grid, evidence_section
from wqm_nb.settings import ReportSettings
from wqm_nb.store import Store

CHARTER = "Staff wellbeing charter agreed with unions; workload review cut marking time by a third this year"


@pytest.fixture
def assess():
    """T01 in 2025-26: a WQM cycle with long evidence under P1.6, thin evidence under P1.1 and an
    evidence text with markup under P6.1; a VbE cycle with evidence under A3.1 only."""
    with Store(":memory:") as store:
        store.add_school("T01", "Test School", "primary")
        wqm = store.ensure_cycle("T01", "2025-26", "wqm")
        vbe = store.ensure_cycle("T01", "2025-26", "vbe")
        store.record_rating(wqm, "P1.6", 3, CHARTER, recorded_by="Wellbeing lead", recorded_at="2026-03-01T10:00:00")
        store.record_rating(wqm, "P1.1", 3, "Strategy")
        store.record_rating(
            wqm,
            "P6.1",
            3,
            "Policy <script>alert(1)</script> reviewed with pupils and parents after the behaviour audit this spring",
        )
        store.record_rating(
            vbe,
            "A3.1",
            3,
            "Restorative conversations framed by the values in every class, logged and reviewed each half term",
        )

        def get(framework):
            return assess_store(store, ReportSettings(school_id="T01", framework=framework))

        yield get


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_vbe_section_shows_wqm_evidence_under_the_linked_aspect_with_its_source(assess):
    a = assess("vbe")
    html = evidence_section(a).html
    words = text(html)
    assert "Evidence coverage" in html and 'id="evidence"' in html
    assert "A1.1 ↔ only from P1.6" in words  # the grid cell, in words
    assert CHARTER in html and "Wellbeing Quality Mark P1.6 Promote the well-being of staff" in words
    assert "2026-03-01 by Wellbeing lead" in words
    assert "A3.1 ✓ recorded" in words and "A2.1 ✗ none" in words
    assert "1 of 6 elements have evidence of their own" in words
    assert "Links from crosswalk.yaml" in words and "does not count as this element's own evidence" in words


def test_grid_is_an_accessible_table_with_one_row_per_section_and_words_in_every_cell(assess):
    a = assess("wqm")
    html = evidence_section(a).html
    table = html[html.index('<table class="wqm-table wqm-coverage">') :]
    table = table[: table.index("</table>")]
    assert table.count('<th scope="row">') == 7 and "<caption>" in table
    assert table.count('scope="col"') == 1 + 6 + 1  # section, 6 elements, summary
    cells = re.findall(r'<td class="wqm-cov-(\w+)"[^>]*>(.*?)</td>', table)
    assert len(cells) == 20
    assert all(re.search(r"recorded|thin|only from|none", body) for _, body in cells)
    grid = {c["element_id"]: c for row in coverage_grid(evidence_map(a)) for c in row["cells"]}
    assert grid["P1.6"]["state"] == "own" and grid["P1.1"]["state"] == "thin"
    assert grid["P1.1"]["label"] == "thin (1 word)"
    assert grid["P6.1"]["state"] == "own" and grid["P1.2"]["state"] == "none"


def test_missing_list_and_escaping(assess):
    html = evidence_section(assess("wqm")).html
    words = text(html)
    assert "Evidence to ask for before the assessment day" in html
    assert "P1.1 Take a whole school approach and implement it carefully – Evidence is thin (1 word, under 12)" in words
    assert "P1.2 Start with a positive and universal focus on well-being – No evidence recorded" in words
    assert "P1.6 Promote" not in words.split("Evidence to ask for")[1].split("Evidence recorded under")[0]
    # VbE A3.1's evidence shows back under WQM P6.1 and P1.3 (both linked to it in the crosswalk)
    assert "Values-based Education Quality Mark A3.1" in words
    vbe = evidence_section(assess("vbe")).html  # P6.1's evidence, shown under A3.1, escaped
    assert "<script>" not in vbe and "Policy &lt;script&gt;" in vbe


def test_checklist_and_a_school_year_with_no_evidence_at_all():
    with Store(":memory:") as store:
        store.add_school("T09", "Empty School", "secondary")
        store.ensure_school_year("T09", "2025-26")
        a = assess_store(store, ReportSettings(school_id="T09", framework="leadership_management"))
    html = evidence_section(a).html
    words = text(html)
    assert "No evidence recorded yet for 2025-26" in words
    assert "0 of 8 elements have evidence of their own" in words
    assert words.count("✗ none") == 8 and "LM Leadership and Management" in words
    assert "has recorded no evidence this year under the elements of its other frameworks" in words
