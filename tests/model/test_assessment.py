"""assess_school / assess_store: one school's assessment with its history."""

from pathlib import Path

import pandas as pd
import pytest

from wqm_nb.errors import UnknownSchoolError, UnknownYearError
from wqm_nb.model import assess_school, assess_store
from wqm_nb.model.judgements import strengths_and_areas
from wqm_nb.settings import ReportSettings
from wqm_nb.store import Store, build_database

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture(scope="module")
def assess(tmp_path_factory):
    """assess_school on the sample trust (imported once into a store file), cached per arguments."""
    db = build_database(SAMPLE, tmp_path_factory.mktemp("assessment") / "wqm.sqlite")
    cache = {}

    def get(school_id, framework, year="", min_group_size=5):
        key = (school_id, framework, year, min_group_size)
        if key not in cache:
            cache[key] = assess_school(
                ReportSettings(
                    school_id=school_id, year=year, data=str(db), framework=framework, min_group_size=min_group_size
                )
            )
        return cache[key]

    return get


def test_wqm_latest_year_with_history_oldest_first(assess):
    a = assess("NLT01", "wqm")
    assert a.year == "2025-26" and a.settings.year == "2025-26"  # "" means the latest year
    assert [y.year for y in a.history] == ["2023-24", "2024-25", "2025-26"]
    assert a.history[-1] is a.current
    assert a.name == "Ashgrove Primary School" and a.school["school_id"] == "NLT01"
    assert a.framework.id == "wqm" and a.min_group_size == 5
    assert a.readiness is not None and a.readiness.year == "2025-26"
    assert list(a.readiness.table.index) == list(a.framework.principle_ids)
    assert all(y.has_self_evaluation for y in a.history)


def test_earlier_year_ends_the_history_there(assess):
    a = assess("NLT01", "wqm", "2024-25")
    assert a.year == "2024-25"
    assert [y.year for y in a.history] == ["2023-24", "2024-25"]
    assert a.readiness.year == "2024-25"


def test_strengths_and_areas_come_from_the_current_year(assess):
    a = assess("NLT02", "wqm")
    s, ar = strengths_and_areas(a.framework, a.current.elements, a.current.principles, a.current.figures)
    pd.testing.assert_frame_equal(a.strengths, s)
    pd.testing.assert_frame_equal(a.areas, ar)


def test_checklist_has_no_readiness(assess):
    a = assess("NLT01", "leadership_management")
    assert a.readiness is None
    assert a.current.has_self_evaluation and a.current.cycle_id is not None
    assert list(a.current.principles["principle_id"]) == ["LM"]
    assert a.current.figures.unmapped == ["Pupil survey"]
    assert set(a.current.figures.item_figures["survey"]) == {"staff", "parent"}


def test_vbe_without_a_cycle_still_has_figures(assess):
    a = assess("NLT03", "vbe", "2025-26")
    assert a.current.cycle_id is None and not a.current.has_self_evaluation
    assert a.current.figures.has_figures and len(a.current.figures.shown) > 0
    assert a.readiness is not None and a.readiness.achieved is None
    assert a.current.reflections == {}


def test_the_stores_threshold_reaches_the_figures_and_no_other(assess, tmp_path):
    from wqm_nb.errors import SettingsError

    parent = lambda a: a.current.figures.whole.query("survey == 'parent'")  # noqa: E731
    assert parent(assess("NLT03", "wqm", "2025-26"))["suppressed"].all()
    with pytest.raises(SettingsError, match="below the store's threshold, 5"):
        assess("NLT03", "wqm", "2025-26", min_group_size=3)  # two thresholds would give groups away
    with pytest.raises(SettingsError, match="wqm threshold 7"):
        assess("NLT03", "wqm", "2025-26", min_group_size=7)  # raise the store's first
    db = build_database(SAMPLE, tmp_path / "wqm.sqlite")
    with Store.open(db) as store:
        store.set_threshold(3)  # a store's first threshold may be any from 3
    a = assess_school(ReportSettings(school_id="NLT03", year="2025-26", data=str(db)))
    assert a.min_group_size == 3
    small = parent(a)
    assert not small["suppressed"].any() and (small["n"] == 3).all()


def test_unknown_school_or_year(assess):
    with pytest.raises(UnknownYearError):
        assess("NLT01", "wqm", "2019-20")
    with pytest.raises(UnknownSchoolError):
        assess("NOPE", "wqm")


def test_assess_store_with_known_data():
    with Store(":memory:") as store:
        store.add_school("T01", "Test School", "primary")
        cycle = store.ensure_cycle("T01", "2025-26", "vbe")
        for element in ("A1.1", "A2.1", "A3.1", "A4.1", "A5.1", "A6.1"):
            store.record_rating(cycle, element, 4, "evidence")
        # the Enhanced Quality Mark is for Quality Mark schools: without the award on record it is not met
        before = assess_store(store, ReportSettings(school_id="T01", framework="vbe"))
        assert before.readiness.achieved.name == "Quality Mark" and before.readiness.next_level.id == "enhanced"
        store.record_award_decision("T01", "vbe", "quality_mark", "2024-25", outcome="awarded", decided_on="2025-06-30")
        a = assess_store(store, ReportSettings(school_id="T01", framework="vbe"))
        assert [d["level"] for d in a.award_decisions] == ["quality_mark"]
    assert a.year == "2025-26" and len(a.history) == 1
    assert a.readiness.achieved.name == "Enhanced Quality Mark" and a.readiness.next_level is None
    assert list(a.strengths["principle_id"]) == ["A1", "A2", "A3", "A4", "A5", "A6"] and len(a.areas) == 0


def test_assess_school_reads_the_csv_folder():
    a = assess_school(ReportSettings(school_id="NLT01", framework="vbe", data=str(SAMPLE)))
    assert a.year == "2025-26" and [y.year for y in a.history] == ["2023-24", "2024-25", "2025-26"]
    assert a.current.has_self_evaluation
    assert [y.has_self_evaluation for y in a.history[:-1]] == [False, False]  # VbE started in 2025-26
    assert set(a.current.reflections) == {"stand_out", "next_steps", "conclusion"}


def test_a_school_is_assessed_from_its_own_rows_and_years_only(tmp_path):
    """Every survey answer of the other schools, and of this school's later year, is made unreadable
    (cut short, which fails the unpacking of any row read): the assessment still succeeds."""
    import sqlite3

    sample = Path(__file__).resolve().parents[2] / "sample_data"
    path = build_database(sample, tmp_path / "wqm.sqlite")
    conn = sqlite3.connect(path)
    cut = conn.execute(
        "UPDATE survey_answers SET answers = '4' WHERE import_id IN (SELECT import_id FROM "
        "survey_imports JOIN school_years USING (school_year_id) WHERE school_id != 'NLT03' "
        "OR academic_year = '2025-26')"
    ).rowcount
    conn.commit()
    conn.close()
    assert cut > 1000
    with Store.open(path, read_only=True) as store:
        assessment = assess_store(store, ReportSettings(school_id="NLT03", year="2024-25"))
        assert assessment.current.year == "2024-25" and len(assessment.current.figures.whole)
        with pytest.raises(ValueError, match="packed answers of the wrong length"):
            assess_store(store, ReportSettings(school_id="NLT03", year="2025-26"))
