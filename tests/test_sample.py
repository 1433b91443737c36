import csv
from pathlib import Path

import pytest

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
        assert {(r["school_id"], r["academic_year"]) for r in data} == {
            (c["school_id"], c["academic_year"]) for c in rows("cycles.csv")
        }
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
    assert years < all_years and "NLT02" not in {s for s, _ in years}  # some schools have none
    assert {r[i] for r in data for i in bank.surveys["staff_audit"].item_ids} <= {"", "1", "2", "3", "4"}
    assert {r["role"] for r in data} <= {"teaching", "support", "leadership"}
    larkspur = [r for r in data if r["school_id"] == "NLT05"]
    assert len(larkspur) == 4  # below the reporting minimum


def test_sample_scenarios_are_in_the_generator():
    from wqm_nb.sample import SCENARIOS, SCHOOLS

    assert set(SCENARIOS) <= {s.school_id for s in SCHOOLS}
    assert len([s for s in SCHOOLS if s.phase == "primary"]) >= 6  # five others: a portfolio median


def _assess(sample_db, school_id, framework="wqm", year=""):
    from wqm_nb.model import assess_school
    from wqm_nb.settings import ReportSettings

    return assess_school(ReportSettings(school_id=school_id, framework=framework, year=year, data=str(sample_db)))


def test_sample_blind_spot_leaders_rate_behaviour_high_while_stakeholders_agree_little(sample_db):
    a = _assess(sample_db, "NLT04")
    assert a.current.principles.set_index("principle_id").loc["P6", "mean_rating"] >= 3.5
    p6 = a.current.figures.whole.query("section_id == 'P6' and measure == 'agreement' and not suppressed")
    assert set(p6["survey"]) == {"staff", "pupil", "parent"}
    assert p6["agree_share"].between(0.3, 0.45).all()


def test_sample_declining_school_agreement_falls_while_self_rating_rises(sample_db):
    a = _assess(sample_db, "NLT06")
    before, now = a.history[-2], a.history[-1]
    for pid in ("P1", "P3"):
        rating = {y.year: y.principles.set_index("principle_id").loc[pid, "mean_rating"] for y in (before, now)}
        assert rating[now.year] > rating[before.year]
    for survey in ("staff", "pupil", "parent"):
        was = before.figures.whole.query(f"survey == '{survey}' and section_id == 'P1'").iloc[0]
        is_ = now.figures.whole.query(f"survey == '{survey}' and section_id == 'P1'").iloc[0]
        assert min(was.n, is_.n) >= 30 and is_.agree_share <= was.agree_share - 0.1


def test_sample_beacon_candidate_holds_champion_for_three_years(sample_db):
    decisions = [
        (r["school_id"], r["framework"], r["level"], r["academic_year"], r["outcome"])
        for r in rows("award_decisions.csv")
    ]
    assert ("NLT01", "wqm", "approved", "2019-20", "awarded") in decisions
    assert ("NLT01", "wqm", "champion", "2022-23", "awarded") in decisions  # three years before 2025-26
    assert {d[4] for d in decisions} > {"awarded"}  # and a deferral
    a = _assess(sample_db, "NLT01")
    assert a.current.elements["has_evidence"].all() and a.current.elements["rating"].min() >= 3
    shown = a.current.figures.whole.query("measure == 'agreement' and not suppressed")
    assert (shown["agree_share"] >= 0.8).all()


def test_sample_targets_are_carried_and_progress_some_dropped():
    targets = rows("targets.csv")
    by_id = {}
    for r in targets:
        by_id.setdefault((r["school_id"], r["framework"], r["target_id"]), []).append((r["academic_year"], r["status"]))
    carried = [states for states in by_id.values() if len({y for y, _ in states}) > 1]
    assert carried and {"vbe", "leadership_management", "wqm"} == {r["framework"] for r in targets}
    assert any([s for _, s in states][0] == "open" and states[-1][1] == "achieved" for states in carried)
    assert any(states[-1][1] == "dropped" for states in by_id.values())
    assert all(r["owner"] and r["review_date"] for r in targets)


def test_sample_sortings_include_every_code_for_some_schools():
    sortings = [r for r in rows("sef_ratings.csv") if r["sorting"]]
    assert {r["sorting"] for r in sortings} == {"doing_now", "want_to_do", "not_for_us"}
    assert 1 < len({r["school_id"] for r in sortings}) < len(rows("schools.csv"))


def test_sample_evidence_shows_the_crosswalk(sample_db):
    from wqm_nb.model.evidence import LINKED, NONE, evidence_map

    thin = evidence_map(_assess(sample_db, "NLT02", "vbe"))  # WQM evidence full, VbE evidence thin
    assert thin.elements["thin"].all() and len(thin.linked_items) > 0
    gaps = evidence_map(_assess(sample_db, "NLT06", "vbe")).elements.set_index("element_id")["state"]
    assert gaps["A1.1"] == LINKED and gaps["A4.1"] == LINKED
    wqm = evidence_map(_assess(sample_db, "NLT08")).elements.set_index("element_id")["state"]
    assert (wqm["P7.3"], wqm["P1.5"]) == (LINKED, NONE)


def test_sample_surveys_carry_validated_measure_scores_for_some_school_years():
    from wqm_nb.sample import MEASURES

    phases = {s["school_id"]: s["phase"] for s in rows("schools.csv")}
    for (instrument, survey), schools in MEASURES.items():
        data = rows(f"{survey}_survey.csv")
        score = "metric" if instrument == "swemwbs" else "total"
        scored = {(r["school_id"], r["academic_year"]) for r in data if r[f"{instrument}.{score}"]}
        assert scored == {(s, y) for s, years in schools.items() for y in years}
        assert scored < {(r["school_id"], r["academic_year"]) for r in data}  # not every school year
    assert {phases[s] for s in MEASURES[("swemwbs", "pupil")]} == {"secondary"}
    assert {phases[s] for s in MEASURES[("stirling", "pupil")]} == {"primary"}
    pupils = rows("pupil_survey.csv")
    metric = [float(r["swemwbs.metric"]) for r in pupils if r["swemwbs.metric"]]
    assert metric and all(7 <= v <= 35 for v in metric)
    assert all(r["year_group"] in ("Y7", "Y8", "Y9", "Y10", "Y11") for r in pupils if r["swemwbs.metric"])
    total = [int(r["stirling.total"]) for r in pupils if r["stirling.total"]]
    assert total and all(12 <= v <= 60 for v in total)


def test_a_larger_trust_has_realistic_sizes_and_keeps_the_samples_schools_first():
    from wqm_nb.sample import SCHOOLS, trust_schools

    schools = trust_schools(60, seed=11)
    assert len(schools) == 60 and len({s.school_id for s in schools}) == 60
    assert schools[: len(SCHOOLS)] == SCHOOLS
    added = schools[len(SCHOOLS) :]
    assert {s.phase for s in added} == {"primary", "secondary"}
    for s in added:
        low, high = (150, 450) if s.phase == "primary" else (800, 1600)
        assert low <= s.pupils <= high and 20 <= s.staff <= 120
    assert trust_schools(60, seed=11) == schools and trust_schools(60, seed=12) != schools
    assert trust_schools(3) == SCHOOLS[:3]


@pytest.mark.parametrize("count", [3, 12])
def test_wqm_sample_schools_makes_a_trust_that_imports_whole(tmp_path, count, capsys):
    from wqm_nb.cli import main
    from wqm_nb.store import Store, build_database

    assert main(["sample", "--schools", str(count), "--seed", "5", "--out", str(tmp_path / "trust")]) == 0
    db = build_database(tmp_path / "trust", tmp_path / "trust.sqlite")
    with Store.open(db, read_only=True) as store:
        assert len(store.schools()) == count
        assert {y["academic_year"] for y in store.school_years()} == {"2023-24", "2024-25", "2025-26"}
        staff = [i for i in store.survey_imports() if i["survey"] == "staff"]
        assert len({i["school_year_id"] for i in staff}) == 3 * count  # every school year has staff answers
    assert main(["sample", "--schools", "0", "--out", str(tmp_path / "none")]) == 2
