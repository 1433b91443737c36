"""A report's key: the same data and settings give the same key; any change to what the report reads or how
it is made gives another."""

import shutil

import pytest

from wqm_nb.errors import SettingsError
from wqm_nb.export.report_key import key_of, key_path, read_key, report_key, write_key
from wqm_nb.settings import ReportSettings
from wqm_nb.store import Store


@pytest.fixture
def db(sample_db, tmp_path):
    path = tmp_path / "wqm.sqlite"
    shutil.copy(sample_db, path)
    return path


def settings(db, **kw) -> ReportSettings:
    return ReportSettings(**{"school_id": "NLT03", "year": "2025-26", "data": str(db), "as_of": "2026-11-30", **kw})


def test_the_key_is_stable_and_names_everything_the_report_is_made_from(db, repo):
    first = key_of(settings(db))
    assert key_of(settings(db)) == first
    assert set(first.parts) == {
        "school",
        "year",
        "data",
        "framework",
        "min_group_size",
        "benchmarks",
        "as_of",
        "package",
        "releases",
        "benchmark_releases",
    }
    # the threshold is the store's: another one is refused, and the key names the one used
    with pytest.raises(SettingsError, match="wqm threshold 6"):
        key_of(settings(db, min_group_size=6))
    assert report_key(settings(db, min_group_size=6), first.parts["data"]).digest != first.digest
    changed = [
        settings(db, as_of="2026-12-01"),
        settings(db, framework="vbe"),
        settings(db, benchmarks=str(repo / "docs" / "benchmarks-example.yaml")),
        settings(db, year="2024-25"),
        settings(db, school_id="NLT04"),
    ]
    assert len({key_of(s).digest for s in changed} | {first.digest}) == len(changed) + 1


def test_the_data_version_moves_with_any_record_of_the_school_year_and_not_with_others(db):
    def version(school="NLT03", year="2025-26"):
        with Store.open(db, read_only=True) as store:
            return store.school_data_version(school, year)

    base, earlier, other = version(), version(year="2024-25"), version("NLT04")
    with Store.open(db) as store:
        store.record_rating(store.cycle("NLT03", "2024-25", "wqm")["cycle_id"], "P1.1", 2, recorded_by="t")
    assert version() != base and version(year="2024-25") != earlier  # an earlier year feeds the trends
    assert version("NLT04") == other
    with Store.open(db) as store:
        vbe = store.ensure_cycle("NLT03", "2025-26", "vbe")
    moved = version()
    with Store.open(db) as store:
        store.add_note(vbe, "a note on another framework")
    assert version() != moved  # the crosswalk reads every framework
    moved = version()
    with Store.open(db) as store:
        store.record_rating(store.cycle("NLT03", "2025-26", "wqm")["cycle_id"], "P1.1", 3, recorded_by="t")
    assert version() != moved
    moved = version()
    with Store.open(db) as store:  # a later year does not change this year's report
        store.start_year("NLT03", "2026-27", "wqm")
    assert version() == moved


def test_a_framework_file_is_keyed_by_its_content(db, tmp_path):
    from wqm_nb.data import FRAMEWORK_DIR

    mine = tmp_path / "mine.yaml"
    mine.write_bytes((FRAMEWORK_DIR / "wqm.yaml").read_bytes())
    first = key_of(settings(db, framework=str(mine))).digest
    mine.write_bytes(mine.read_bytes() + b"\n# changed\n")
    assert key_of(settings(db, framework=str(mine))).digest != first


def test_the_key_is_written_beside_the_pdf_and_read_back(db, tmp_path):
    pdf = tmp_path / "NLT03_2025-26.pdf"
    pdf.write_bytes(b"%PDF")
    key = report_key(settings(db), "v1")
    assert write_key(pdf, key) == key_path(pdf) == tmp_path / "NLT03_2025-26.key.json"
    assert read_key(pdf) == key.digest and "figures" not in key_path(pdf).read_text()
    assert read_key(tmp_path / "none.pdf") == ""
