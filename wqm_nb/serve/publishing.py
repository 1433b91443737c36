"""What the server publishes before it serves a page: the releases the page shows, and current benchmarks.

A link holder's kernel sees one school through the link's scope: it reads the publication ledger read-only
and the store's cached portfolio benchmarks as they are. :func:`publish_page` is run here, in the server
(the publishing process), before a live page, a static page or a PDF: it records the releases of the
school's report (:func:`~wqm_nb.disclosure.ledger.publish_report`) and recomputes the cached benchmarks of
the year when a school has been published since they were computed
(:func:`~wqm_nb.model.benchmarks.ensure_current_benchmarks`), so no page prints stale benchmarks.
"""

from __future__ import annotations

from pathlib import Path


def publish_page(data: str | Path, school: str, year: str = "", framework: str = "") -> None:
    """Publish what the page of ``school`` (``year``: its latest when empty; ``framework``: an id or file, the
    default when empty) shows, from the store at ``data`` (see the module notes)."""
    from ..data import load_framework
    from ..disclosure.ledger import publish_report
    from ..model.benchmarks import benchmarks_stale, ensure_current_benchmarks
    from ..settings import DEFAULT_FRAMEWORK
    from ..store import Store

    publish_report(data, school, year, framework)
    fw = load_framework(framework or DEFAULT_FRAMEWORK)
    with Store.open(Path(data), read_only=True) as store:  # the common case: nothing to write
        year = year or store.school_year(school)["academic_year"]
        if not benchmarks_stale(store, year, fw.id):
            return
    with Store.open(Path(data)) as store:
        ensure_current_benchmarks(store, year, fw)
