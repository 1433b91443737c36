"""What the server publishes before it serves a page: the school's releases, and benchmarks made current."""

from wqm_nb.disclosure.ledger import Ledger, ledger_path
from wqm_nb.model.benchmarks import benchmarks_current, refresh_benchmarks
from wqm_nb.serve.publishing import publish_page
from wqm_nb.store import Store, build_database

YEAR = "2025-26"


def test_the_server_refreshes_stale_benchmarks_before_it_serves_a_page(tmp_path):
    """NLT02 is published again with new data (its page): the cached benchmarks of its year, computed from
    its old release, are recomputed before the page is served, since a page's kernel sees one school."""
    from wqm_nb.data.surveys import load_question_bank
    from wqm_nb.model.figures import survey_totals

    db = build_database("sample_data", tmp_path / "wqm.sqlite")
    with Store.open(db) as store:
        refresh_benchmarks(store, YEAR, "wqm")
        computed_from = store.benchmarks_releases(YEAR, "wqm")
        sy = store.school_year("NLT02", YEAR)["school_year_id"]
        bank = load_question_bank()
        pupils = store.survey_data(sy, bank).blocks["pupil"]
        store.import_survey(
            sy,
            "pupil",
            source="paper",
            item_ids=list(pupils.item_ids),
            file_name="paper.csv",
            respondents=[f"paper{k}" for k in range(6)],
            subgroups=[pupils.subgroups[0]] * 6,
            values=pupils.values[:6].copy(),
            on_existing="add",
        )
        assert benchmarks_current(store, YEAR, "wqm")  # new data publishes nothing by itself
        assert survey_totals(store.survey_data(sy, bank), bank)["pupil"] > 0
    publish_page(db, "NLT02", YEAR)
    with Store.open(db, read_only=True) as store:
        assert benchmarks_current(store, YEAR, "wqm")
        now_from = store.benchmarks_releases(YEAR, "wqm")
    latest = Ledger(ledger_path(db)).latest_ids(YEAR)
    assert now_from["NLT02"] == latest["NLT02"] != computed_from["NLT02"]  # recomputed from its new release
    assert latest["NLT02"] == Ledger(ledger_path(db)).benchmark_records(YEAR)[-1]["releases"]["NLT02"]


def test_a_page_with_no_benchmarks_cached_publishes_its_releases_only(tmp_path):
    db = build_database("sample_data", tmp_path / "wqm.sqlite")
    publish_page(db, "NLT03", YEAR)
    ledger = Ledger(ledger_path(db))
    assert {e.school_id for e in ledger.entries()} == {"NLT03"}
    assert ledger.benchmark_records() == []
