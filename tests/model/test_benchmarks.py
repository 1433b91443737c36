"""Portfolio benchmarks on hand-made schools with known answers: the school left out, published figures only,
a median with 5 other schools and quartiles with 10, cached per school, computed in memory for a CSV folder."""

import math
from pathlib import Path

import pandas as pd
import pytest

from wqm_nb.data import load_framework, load_question_bank
from wqm_nb.data.decision_rules import BenchmarkRules
from wqm_nb.model import assess_school, assess_store
from wqm_nb.model.benchmarks import (
    IN_MEMORY,
    benchmark_row,
    compute_benchmarks,
    portfolio_benchmarks,
    refresh_benchmarks,
    school_benchmarks,
    school_figures,
)
from wqm_nb.settings import ReportSettings
from wqm_nb.store import Store

YEAR = "2025-26"
BANK = load_question_bank()
STAFF_ITEMS = BANK.surveys["staff"].item_ids
#: primary schools P00..P12: P05 has 3 staff (hidden: too few), P06 all agree with 2 support staff (its whole
#: group is hidden to protect them); the others have 20 teaching staff of whom i agree (share i/20)
HIDDEN = {"P05", "P06"}


def staff(agreeing: int, disagreeing: int, role: str = "teaching", start: int = 0) -> pd.DataFrame:
    rows = [
        {"respondent": f"s{start + k}", "role": role, **{i: 4 if k < agreeing else 2 for i in STAFF_ITEMS}}
        for k in range(agreeing + disagreeing)
    ]
    return pd.DataFrame(rows)


def build(store: Store) -> None:
    for i in range(13):
        sid = f"P{i:02d}"
        store.add_school(sid, f"Primary {i}", "primary", trust="T", pupils=100 + i)
        store.record_rating(store.ensure_cycle(sid, YEAR), "P1.1", 1 + i % 4, "evidence")
        year = store.ensure_school_year(sid, YEAR)
        if sid == "P05":
            store.add_survey_responses(year, "staff", staff(3, 0))
        elif sid == "P06":
            store.add_survey_responses(year, "staff", pd.concat([staff(8, 0), staff(2, 0, "support", start=8)]))
        else:
            store.add_survey_responses(year, "staff", staff(i, 20 - i))
    store.add_school("S00", "Secondary", "secondary", trust="T", pupils=900)
    store.record_rating(store.ensure_cycle("S00", YEAR), "P1.1", 4, "evidence")
    store.add_survey_responses(store.ensure_school_year("S00", YEAR), "staff", staff(20, 0))


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "wqm.sqlite"
    with Store(path) as store:
        build(store)
    return path


def rows_of(frame: pd.DataFrame) -> dict:
    return {(r.survey, r.section_id, r.measure): r for r in frame.itertuples()}


def test_benchmark_row_needs_five_others_for_a_median_and_ten_for_quartiles():
    rules = BenchmarkRules()
    key = ("staff", "P1", "agreement")
    four = benchmark_row(key, [0.1, 0.2, 0.3, 0.4], rules)
    assert four["contributors"] == 4 and math.isnan(four["median"]) and math.isnan(four["q1"])
    five = benchmark_row(key, [0.5, 0.1, 0.3, 0.2, 0.4], rules)
    assert five["median"] == pytest.approx(0.3) and math.isnan(five["q1"]) and math.isnan(five["q3"])
    ten = benchmark_row(key, [v / 20 for v in (1, 2, 3, 4, 7, 8, 9, 10, 11, 12)], rules)
    assert (ten["median"], ten["q1"], ten["q3"]) == pytest.approx((0.375, 0.1625, 0.4875))
    assert benchmark_row(key, [], rules)["contributors"] == 0
    strict = BenchmarkRules(min_schools_median=6, min_schools_quartiles=20)
    assert math.isnan(benchmark_row(key, [0.1] * 5, strict)["median"])


def test_portfolio_leaves_the_school_and_other_phases_out():
    figures = {
        "A": {("staff", "P1", "agreement"): 0.9},
        "B": {("staff", "P1", "agreement"): 0.5},
        "C": {("staff", "P1", "agreement"): 0.7, ("pupil", "P2", "agreement"): 0.4},
        "X": {("staff", "P1", "agreement"): 0.0},
    }
    phases = {"A": "primary", "B": "primary", "C": "primary", "X": "secondary"}
    rules = BenchmarkRules(min_schools_median=2)
    out = portfolio_benchmarks(figures, phases, rules)
    a = {(r["survey"], r["section_id"]): r for r in out["A"]}
    assert a[("staff", "P1")]["contributors"] == 2 and a[("staff", "P1")]["median"] == pytest.approx(0.6)
    assert a[("pupil", "P2")]["contributors"] == 1  # a figure only C has still gets a row
    c = {(r["survey"], r["section_id"]): r for r in out["C"]}
    assert c[("pupil", "P2")]["contributors"] == 0  # its own figure never counts
    assert [r["contributors"] for r in out["X"]] == [0]  # alone in its phase


def test_school_figures_are_published_figures_only(portfolio):
    with Store.open(portfolio, read_only=True) as store:
        hidden = assess_store(store, ReportSettings(school_id="P05", year=YEAR))
        protected = assess_store(store, ReportSettings(school_id="P06", year=YEAR))
        shown = assess_store(store, ReportSettings(school_id="P03", year=YEAR))
    assert not any(k[0] == "staff" for k in school_figures(hidden.current))  # fewer than 5 staff
    assert not any(k[0] == "staff" for k in school_figures(protected.current))  # hidden to protect 2 support staff
    assert protected.current.figures.whole.query("survey == 'staff'")["suppressed"].all()
    figures = school_figures(shown.current)
    assert figures[("staff", "P1", "agreement")] == pytest.approx(3 / 20)
    assert figures[("self_evaluation", "P1", "mean_rating")] == 4.0


def test_refresh_caches_benchmarks_without_the_school_and_without_hidden_groups(tmp_path):
    path = tmp_path / "wqm.sqlite"
    with Store(path) as store:
        build(store)
        written = refresh_benchmarks(store, YEAR, "wqm")
        assert written[(YEAR, "wqm")] > 0
        p00 = rows_of(store.benchmarks("P00", YEAR, "wqm"))
        p05 = rows_of(store.benchmarks("P05", YEAR, "wqm"))
        p12 = rows_of(store.benchmarks("P12", YEAR, "wqm"))
        secondary = rows_of(store.benchmarks("S00", YEAR, "wqm"))
    staff_p1 = p00[("staff", "P1", "agreement")]
    # the others shown: P01-P04 and P07-P12 (P05 and P06 are hidden, P00 is the school itself)
    assert staff_p1.contributors == 10
    assert (staff_p1.median, staff_p1.q1, staff_p1.q3) == pytest.approx((0.375, 0.1625, 0.4875))
    assert p05[("staff", "P1", "agreement")].contributors == 11  # a hidden school still gets its benchmark
    p12_staff = p12[("staff", "P1", "agreement")]
    assert p12_staff.contributors == 10 and p12_staff.median == pytest.approx((4 + 7) / 2 / 20)
    sef = p00[("self_evaluation", "P1", "mean_rating")]
    assert sef.contributors == 12  # ratings are not survey groups
    assert secondary[("staff", "P1", "agreement")].contributors == 0  # no other secondary school
    assert pd.isna(secondary[("staff", "P1", "agreement")].median)


def test_refresh_every_year_and_framework_replaces_rows(tmp_path):
    path = tmp_path / "wqm.sqlite"
    with Store(path) as store:
        build(store)
        first = refresh_benchmarks(store)
        assert {fw for _, fw in first} == {"wqm", "vbe", "leadership_management"} and {y for y, _ in first} == {YEAR}
        before = store.benchmarks("P00", YEAR, "vbe")
        assert refresh_benchmarks(store) == first  # replaced, not added to
        assert len(store.benchmarks("P00", YEAR, "vbe")) == len(before) > 0
        total = store.conn.execute("SELECT COUNT(*) FROM benchmarks").fetchone()[0]
        assert total == sum(first.values())


def test_school_benchmarks_reads_the_cache_or_computes_for_a_scratch_store(portfolio, tmp_path):
    with Store.open(portfolio, read_only=True) as store:
        assert school_benchmarks(store, "P00", YEAR, "wqm").empty  # a file store: the cache only
    with Store(":memory:") as scratch:
        build(scratch)
        frame = school_benchmarks(scratch, "P00", YEAR, load_framework("wqm"))
        assert set(frame["computed_at"]) == {IN_MEMORY}
        assert rows_of(frame)[("staff", "P1", "agreement")].median == pytest.approx(0.375)
        assert compute_benchmarks(scratch, YEAR, "wqm", phase="secondary").keys() == {"S00"}


def write_folder(folder: Path, schools: int = 6) -> Path:
    """A CSV folder of ``schools`` primary schools, school i with 10 staff of whom i agree."""
    folder.mkdir()
    (folder / "schools.csv").write_text(
        "school_id,name,phase,trust,local_authority,pupils\n"
        + "".join(f"C{i},School {i},primary,T,LA,{100 + i}\n" for i in range(schools)),
        encoding="utf-8",
    )
    (folder / "cycles.csv").write_text(
        "school_id,framework,academic_year\n" + "".join(f"C{i},wqm,{YEAR}\n" for i in range(schools)), encoding="utf-8"
    )
    lines = ["school_id,academic_year,respondent,role," + ",".join(STAFF_ITEMS)]
    for i in range(schools):
        for k in range(10):
            value = 4 if k < i else 2
            lines.append(f"C{i},{YEAR},c{i}s{k},teaching," + ",".join(str(value) for _ in STAFF_ITEMS))
    (folder / "staff_survey.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_a_report_on_a_csv_folder_computes_benchmarks_in_memory(tmp_path):
    folder = write_folder(tmp_path / "csv")
    a = assess_school(ReportSettings(school_id="C0", year=YEAR, data=str(folder)))
    frame = a.benchmarks  # nothing cached: computed in memory
    row = rows_of(frame)[("staff", "P1", "agreement")]
    assert row.contributors == 5 and row.median == pytest.approx(0.3)  # C1..C5: 10%..50%
    assert set(frame["computed_at"]) == {IN_MEMORY}


def test_benchmarks_for_a_store_file_reads_what_the_assessment_holds(portfolio, tmp_path):
    path = tmp_path / "copy.sqlite"
    path.write_bytes(portfolio.read_bytes())
    a = assess_school(ReportSettings(school_id="P00", year=YEAR, data=str(path)))
    assert a.benchmarks.empty  # not refreshed: nothing to show
    with Store.open(path) as store:
        refresh_benchmarks(store, YEAR, "wqm")
    a = assess_school(ReportSettings(school_id="P00", year=YEAR, data=str(path)))
    assert rows_of(a.benchmarks)[("staff", "P1", "agreement")].contributors == 10


def test_wqm_benchmarks_refresh_and_wqm_import(tmp_path, capsys):
    from wqm_nb.cli import main

    folder = write_folder(tmp_path / "csv")
    store_path = tmp_path / "wqm.sqlite"
    assert main(["import", str(folder), "--data", str(store_path)]) == 0
    assert "benchmarks refreshed" in capsys.readouterr().out  # wqm import refreshes
    with Store.open(store_path, read_only=True) as store:
        assert rows_of(store.benchmarks("C0", YEAR, "wqm"))[("staff", "P1", "agreement")].contributors == 5
    assert main(["benchmarks", "refresh", "--data", str(store_path), "--year", YEAR, "--framework", "vbe"]) == 0
    out = capsys.readouterr().out
    assert "benchmarks refreshed:" in out and "vbe in 2025-26" in out
    assert main(["benchmarks", "refresh", "--data", str(folder)]) == 2  # a CSV folder is refused
    assert "is a CSV folder" in capsys.readouterr().err
    assert main(["benchmarks", "refresh", "--data", str(store_path), "--year", "2025/26"]) == 2


# -- benchmarks follow the releases they were computed from (issue 22) ----------------------------------------


def staff_p1(frame: pd.DataFrame):
    return rows_of(frame)[("staff", "P1", "agreement")]


@pytest.fixture
def refreshed(portfolio, tmp_path):
    """A copy of the portfolio with its benchmarks cached (every school published by the refresh)."""
    path = tmp_path / "wqm.sqlite"
    path.write_bytes(portfolio.read_bytes())
    with Store.open(path) as store:
        refresh_benchmarks(store, YEAR, "wqm")
    return path


def test_a_removed_schools_figures_are_no_longer_counted_in_anyone_elses_benchmarks(refreshed, capsys):
    """The attack: a school erased on request (``wqm school remove``) still counted in every other school's
    cached benchmarks, so its figures went on being printed (a median of two schools is their mean)."""
    from wqm_nb.cli import main

    before = staff_p1(assess_school(ReportSettings(school_id="P00", year=YEAR, data=str(refreshed))).benchmarks)
    assert before.contributors == 10
    assert main(["school", "remove", "P12", "--data", str(refreshed), "--confirm"]) == 0
    capsys.readouterr()
    after = staff_p1(assess_school(ReportSettings(school_id="P00", year=YEAR, data=str(refreshed))).benchmarks)
    assert after.contributors == 9  # P12 (12 of 20 agreeing) is gone from P00's benchmark
    assert after.median == pytest.approx(0.35)  # P01-P04, P07-P11: 1..4, 7..11 of 20
    # and the ledger's records of benchmarks computed from P12's release went with it
    from wqm_nb.disclosure.ledger import Ledger, ledger_path

    assert all("P12" not in r["releases"] for r in Ledger(ledger_path(refreshed)).benchmark_records())


def add_staff(path: Path, school: str, disagreeing: int) -> None:
    with Store.open(path) as store:
        year = store.school_year(school, YEAR)["school_year_id"]
        store.add_survey_responses(year, "staff", staff(0, disagreeing, start=100))


def test_a_school_published_again_makes_the_cached_benchmarks_stale(refreshed):
    """P12 gains 100 staff who do not agree and is published again (its report): P00's benchmark is computed
    from P12's new release, not printed from the cache made from its old one."""
    from wqm_nb.model.benchmarks import benchmarks_current

    with Store.open(refreshed, read_only=True) as store:
        assert benchmarks_current(store, YEAR, "wqm")
    add_staff(refreshed, "P12", 100)
    with Store.open(refreshed, read_only=True) as store:
        assert benchmarks_current(store, YEAR, "wqm")  # new data alone publishes nothing
    assess_school(ReportSettings(school_id="P12", year=YEAR, data=str(refreshed)))  # P12's report publishes it
    with Store.open(refreshed, read_only=True) as store:
        assert not benchmarks_current(store, YEAR, "wqm")
    frame = assess_school(ReportSettings(school_id="P00", year=YEAR, data=str(refreshed))).benchmarks
    assert set(frame["computed_at"]) == {IN_MEMORY}
    assert staff_p1(frame).contributors == 10
    # P12 now 12 of 120 agree (10%, was 60%): with 1..4 and 7..11 of 20, the median of ten is (20% + 35%) / 2
    assert staff_p1(frame).median == pytest.approx(0.275)
    with Store.open(refreshed) as store:
        refresh_benchmarks(store, YEAR, "wqm")
        assert benchmarks_current(store, YEAR, "wqm")
        cached = store.benchmarks("P00", YEAR, "wqm")
    assert set(cached["computed_at"]) != {IN_MEMORY} and staff_p1(cached).median == pytest.approx(0.275)


def test_benchmarks_are_recorded_in_the_ledger_as_printed(refreshed):
    from wqm_nb.disclosure.ledger import Ledger, ledger_path

    ledger = Ledger(ledger_path(refreshed))
    records = [r for r in ledger.benchmark_records(YEAR) if r["framework"] == "wqm"]
    assert len(records) == 1
    assert records[0]["threshold"] == 5
    assert records[0]["releases"] == {s: r for s, r in ledger.latest_ids(YEAR).items()}
    assert set(records[0]["releases"]) == {f"P{i:02d}" for i in range(13)} | {"S00"}
    with Store.open(refreshed) as store:  # the same benchmarks again: nothing new recorded
        refresh_benchmarks(store, YEAR, "wqm")
    assert len([r for r in ledger.benchmark_records(YEAR) if r["framework"] == "wqm"]) == 1


def test_a_schools_extract_reads_its_cached_benchmarks(refreshed, tmp_path):
    """A Dask worker's store holds one school and its ledger rows: its cached benchmarks are still current
    (the batch refreshed them and published the school before shipping it)."""
    from wqm_nb.disclosure.ledger import Ledger, copy_school, ledger_path
    from wqm_nb.store import extract_schools

    folder = tmp_path / "worker"
    folder.mkdir()
    extract = extract_schools(refreshed, ["P00"], folder / "P00.sqlite")
    copy_school(Ledger(ledger_path(refreshed)), "P00", ledger_path(extract))
    with Store.open(extract, read_only=True) as store:
        assert store.benchmarks_releases(YEAR, "wqm").keys() == {"P00"}  # the other schools' ids stay behind
        frame = school_benchmarks(store, "P00", YEAR, "wqm", 5)
    assert set(frame["computed_at"]) != {IN_MEMORY} and staff_p1(frame).contributors == 10


def test_a_reports_key_changes_when_a_school_of_its_year_is_published_again(refreshed):
    from wqm_nb.export.report_key import key_of

    settings = ReportSettings(school_id="P00", year=YEAR, data=str(refreshed))
    before = key_of(settings).digest
    add_staff(refreshed, "P12", 100)
    assert key_of(settings).digest == before  # new data of another school, not yet published
    assess_school(ReportSettings(school_id="P12", year=YEAR, data=str(refreshed)))
    assert key_of(settings).digest != before


def test_the_consultants_scope_computes_stale_benchmarks_and_a_links_scope_reads_the_cache(refreshed):
    """A notebook runs under the consultant's scope: stale benchmarks are computed afresh there. A link's
    kernel sees one school and cannot: it reads the cache (the server made it current before the page)."""
    from wqm_nb.store.scope import Scope

    add_staff(refreshed, "P12", 100)
    assess_school(ReportSettings(school_id="P12", year=YEAR, data=str(refreshed)))  # published: cache stale
    with Store.open(refreshed, read_only=True) as store:
        consultant = school_benchmarks(store.scoped(Scope.consultant()), "P00", YEAR, "wqm", 5)
        link = school_benchmarks(
            store.scoped(Scope.link(school="P00", year=YEAR, page="report")), "P00", YEAR, "wqm", 5
        )
    assert set(consultant["computed_at"]) == {IN_MEMORY} and staff_p1(consultant).median == pytest.approx(0.275)
    assert set(link["computed_at"]) != {IN_MEMORY} and staff_p1(link).median == pytest.approx(0.375)
