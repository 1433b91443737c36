"""Static report pages: one school each, read through its link scope, keyed by the report key, rendered in one
worker process (never the caller's), rendered again when the data changes."""

import asyncio
import os
import shutil

import pytest

from wqm_nb.export.report_key import key_of
from wqm_nb.serve.static_pages import PageSpec, StaticPages, current_key, latest_places, render_page
from wqm_nb.settings import ReportSettings

OTHER_SCHOOLS = ("Ashgrove", "Beckside", "Kingsmead", "Larkspur", "Northbrook Academy", "St Aidan")


@pytest.fixture
def store(sample_db, tmp_path):
    path = tmp_path / "wqm.sqlite"
    shutil.copy(sample_db, path)
    return path


def settings(store, school="NLT03", year="2025-26") -> ReportSettings:
    """As the server makes them: as of today (pages are kept current with the day)."""
    return ReportSettings(school_id=school, year=year, data=str(store))


def test_a_page_is_its_school_only_under_the_key_of_what_it_read(store):
    spec = PageSpec.of(settings(store))
    key, page = render_page(spec, "<script>/* the server's */</script>")
    html = page.decode()
    assert key == current_key(spec) == key_of(settings(store)).digest
    assert "<h1>Fellside Primary School</h1>" in html and html.count("<h1>") == 1
    assert "Wellbeing Quality Mark report, 2025-26" in html and "<script>/* the server's */</script>" in html
    for other in OTHER_SCHOOLS:
        assert other not in html, other


def test_every_schools_latest_year_is_rendered_ahead(store):
    places = latest_places(str(store))
    assert ("NLT03", "2025-26", "wqm") in places and len(places) == len({p[0] for p in places}) >= 8
    assert all(framework == "wqm" for _, _, framework in places)


@pytest.mark.slow
def test_pages_come_from_one_worker_process_and_follow_the_data(store):
    from wqm_nb.store import Store

    async def scenario():
        pages = StaticPages(str(store), script="", refresh=3600)
        await pages.start(ahead=False)
        try:
            first, error = await pages.page(settings(store), wait=120)
            assert error == "" and first is not None and b"<h1>Fellside Primary School</h1>" in first
            worker = list(pages._executor._processes.values())
            assert len(worker) == 1 and worker[0].pid != os.getpid()  # rendered elsewhere
            again, _ = await pages.page(settings(store), wait=0.01)
            assert again is first and pages.rendered == 1  # kept: no second render

            with Store.open(store) as s:  # the data changes
                s.add_note(s.cycle("NLT03", "2025-26", "wqm")["cycle_id"], "a note made after the page", author="t")
            assert await pages.refresh() >= 1  # its key changed: rendered again
            changed, _ = await pages.page(settings(store), wait=120)
            assert changed is not None and changed != first and b"a note made after the page" in changed
            assert list(pages._executor._processes.values()) == worker  # the same warm worker

            missing, error = await pages.page(settings(store, "NLT03", "2019-20"), wait=120)
            assert missing is None and len(error) == 8  # an error id, not a traceback
        finally:
            pages.close()

    asyncio.run(asyncio.wait_for(scenario(), 240))


@pytest.mark.slow
def test_a_page_not_ready_in_time_is_not_waited_for(store):
    async def scenario():
        pages = StaticPages(str(store))
        await pages.start(ahead=False)
        try:
            page, error = await pages.page(settings(store, "NLT01"), wait=0.01)
            assert page is None and error == ""  # the caller serves "preparing the report"
            await asyncio.wait_for(asyncio.shield(pages.jobs[("NLT01", "2025-26", "wqm")]), 120)
            page, _ = await pages.page(settings(store, "NLT01"), wait=0.01)
            assert page is not None and b"Ashgrove Primary School" in page
        finally:
            pages.close()

    asyncio.run(asyncio.wait_for(scenario(), 240))
