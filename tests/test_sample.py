import csv
from pathlib import Path

from wqm_nb.data import load_question_bank
from wqm_nb.sample import SAMPLE_SEED, generate, write_sample

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def test_committed_sample_is_the_generators_output(tmp_path):
    written = write_sample(tmp_path, SAMPLE_SEED)
    assert {p.name for p in written} == {p.name for p in SAMPLE.glob("*.csv")}
    for path in written:
        assert path.read_bytes() == (SAMPLE / path.name).read_bytes(), f"{path.name} differs: run `make sample`"


def test_generator_is_seeded():
    assert generate(7) == generate(7)
    assert generate(7)["staff_survey.csv"] != generate(8)["staff_survey.csv"]


def rows(name):
    with (SAMPLE / name).open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_sample_trust_shape():
    schools = rows("schools.csv")
    assert len(schools) >= 6
    assert {s["phase"] for s in schools} == {"primary", "secondary"}
    assert len({s["trust"] for s in schools}) == 1
    years = {(c["school_id"], c["academic_year"]) for c in rows("cycles.csv")}
    assert {y for _, y in years} == {"2023-24", "2024-25", "2025-26"}
    assert len(years) == 3 * len(schools)


def test_sample_surveys_cover_every_school_and_year_with_likert_items():
    bank = load_question_bank()
    for survey_id, survey in bank.surveys.items():
        if survey.measure != "agreement":
            continue
        data = rows(f"{survey_id}_survey.csv")
        assert {(r["school_id"], r["academic_year"]) for r in data} == \
               {(c["school_id"], c["academic_year"]) for c in rows("cycles.csv")}
        values = {r[i] for r in data for i in survey.item_ids}
        assert values <= {"", "1", "2", "3", "4", "5"}


def test_sample_includes_a_group_below_the_reporting_minimum():
    parents = rows("parent_survey.csv")
    counts = {}
    for r in parents:
        counts[(r["school_id"], r["academic_year"])] = counts.get((r["school_id"], r["academic_year"]), 0) + 1
    assert min(counts.values()) < 5 <= max(counts.values())


def test_sample_has_every_framework_and_reflections():
    frameworks = {(c["framework"], c["academic_year"]) for c in rows("cycles.csv")}
    assert {("vbe", "2025-26"), ("leadership_management", "2025-26")} <= frameworks
    written = {(r["school_id"], r["reflection_id"]) for r in rows("reflections.csv")}
    assert ("NLT01", "conclusion") in written and not any(s == "NLT06" for s, _ in written)


def test_sample_history_has_revised_ratings():
    ratings = rows("sef_ratings.csv")
    keys = [(r["school_id"], r["academic_year"], r["element_id"]) for r in ratings]
    assert len(keys) > len(set(keys))


def test_sample_staff_audits_rate_principles_on_the_maturity_scale_for_some_school_years():
    from wqm_nb.sample import AUDITS

    bank = load_question_bank()
    data = rows("staff_audit_survey.csv")
    years = {(r["school_id"], r["academic_year"]) for r in data}
    assert years == {(s, y) for s, by_year in AUDITS.items() for y in by_year}
    all_years = {(c["school_id"], c["academic_year"]) for c in rows("cycles.csv")}
    assert years < all_years and "NLT02" not in {s for s, _ in years}          # some schools have none
    assert {r[i] for r in data for i in bank.surveys["staff_audit"].item_ids} <= {"", "1", "2", "3", "4"}
    assert {r["role"] for r in data} <= {"teaching", "support", "leadership"}
    larkspur = [r for r in data if r["school_id"] == "NLT05"]
    assert len(larkspur) == 4                                                    # below the reporting minimum
