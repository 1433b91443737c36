"""Portfolio benchmarks: each school's figures beside the other schools of its phase.

:func:`school_figures` gives the figures of one school year that may
contribute, published ones only, keyed ``(survey, section_id, measure)``
with ``measure`` one of :data:`MEASURES`:

==============  =====================================================================
``agreement``   a stakeholder survey's share agreeing (0..1), whole groups
``rating``      a rating survey's mean (the staff audit, on its own scale)
``mean_rating`` the self-evaluation's mean rating of a section (survey ``self_evaluation``)
==============  =====================================================================

:func:`portfolio_benchmarks` turns every school's figures of one year into
each school's benchmark rows (:func:`benchmark_row`;
:data:`~wqm_nb.store.school_records.BENCHMARK_COLUMNS`: ``contributors``,
``median``, ``q1``, ``q3``, NaN with too few schools), with the thresholds of
``decisions.benchmarks`` (:class:`~wqm_nb.data.decision_rules.BenchmarkRules`);
values are stored as computed. :func:`compute_benchmarks` computes them from a
store without writing to it; :func:`refresh_benchmarks` caches them per
school in the store (``store.replace_benchmarks``) with the threshold they
were computed at and the release of each school they were computed from;
:func:`school_benchmarks` gives one school's rows (read into
``SchoolAssessment.benchmarks``): the cached ones while they are current
(:func:`benchmarks_current`: computed at the threshold asked, from the latest
release recorded of every school of the year), else, for a CSV folder's
scratch store, rows cached at another threshold or before a school of the
year was published again, computed in memory (``computed_at``
:data:`IN_MEMORY`). Benchmarks are recorded in the publication ledger as
printed (the releases they were computed from), and
:func:`ensure_current_benchmarks` is what the server runs before it serves a
page.

Method: docs/methodology.md, "Benchmarks".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from statistics import median, quantiles

import pandas as pd

from ..data import Framework, available_frameworks, load_framework, load_mapping, load_question_bank
from ..data.benchmark_file import MEASURE_MEAN_RATING, SELF_EVALUATION
from ..data.decision_rules import BenchmarkRules
from ..data.surveys import MEASURE_AGREEMENT, MEASURE_RATING
from ..settings import DEFAULT_MIN_GROUP_SIZE
from ..store import Store
from ..store.school_records import BENCHMARK_COLUMNS
from .year import YearResult, year_result

MEASURES = (MEASURE_AGREEMENT, MEASURE_RATING, MEASURE_MEAN_RATING)

Key = tuple[str, str, str]  # survey, section_id, measure


def school_figures(result: YearResult) -> dict[Key, float]:
    """The figures of one school year that may contribute to benchmarks: published ones only."""
    out: dict[Key, float] = {}
    for r in result.figures.shown.itertuples():
        if not pd.isna(r.agree_share):
            out[(r.survey, r.section_id, MEASURE_AGREEMENT)] = float(r.agree_share)
    for r in result.figures.ratings().itertuples():
        if not r.suppressed and not pd.isna(r.mean):
            out[(r.survey, r.section_id, MEASURE_RATING)] = float(r.mean)
    for r in result.principles.itertuples():
        if not pd.isna(r.mean_rating):
            out[(SELF_EVALUATION, r.principle_id, MEASURE_MEAN_RATING)] = float(r.mean_rating)
    return out


def benchmark_row(key: Key, values: list[float], rules: BenchmarkRules) -> dict:
    """One benchmark row from the other schools' ``values`` of one figure."""
    survey, section_id, measure = key
    n = len(values)
    q1 = q3 = math.nan
    if n >= rules.min_schools_quartiles and n >= 2:
        q1, _, q3 = quantiles(values, n=4, method="inclusive")
    return dict(
        survey=survey,
        section_id=section_id,
        measure=measure,
        contributors=n,
        median=median(values) if n >= rules.min_schools_median and n else math.nan,
        q1=q1 if n >= rules.min_schools_quartiles else math.nan,
        q3=q3 if n >= rules.min_schools_quartiles else math.nan,
    )


def portfolio_benchmarks(
    figures: Mapping[str, Mapping[Key, float]], phases: Mapping[str, str], rules: BenchmarkRules
) -> dict[str, list[dict]]:
    """School id -> its benchmark rows (:data:`~wqm_nb.store.school_records.BENCHMARK_COLUMNS`), from every
    school's published figures of one year (``figures``) and phases.

    A school gets a row for every figure any school of its phase has (itself
    included, so its own figures always have a row, with 0 contributors when
    it is alone); the values are the other schools' only."""
    out: dict[str, list[dict]] = {}
    for school_id, own in figures.items():
        peers = [o for o in figures if o != school_id and phases.get(o) == phases.get(school_id)]
        keys = set(own)
        for o in peers:
            keys |= set(figures[o])
        out[school_id] = [
            benchmark_row(key, [figures[o][key] for o in peers if key in figures[o]], rules) for key in sorted(keys)
        ]
    return out


def _framework(framework: Framework | str | None) -> list[Framework]:
    if framework is None:
        return [load_framework(f) for f in available_frameworks()]
    return [framework if isinstance(framework, Framework) else load_framework(framework)]


def compute_benchmarks(
    store: Store,
    year: str,
    framework: Framework | str,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    phase: str | None = None,
) -> dict[str, list[dict]]:
    """Benchmark rows of every school with data in ``year`` (of ``phase`` only, when given), computed
    from the store without writing to it."""

    fw = _framework(framework)[0]
    bank = load_question_bank()
    mapping = load_mapping(fw, bank)
    schools = {s["school_id"]: s for s in store.schools()}
    figures, phases = {}, {}
    for school_year in store.school_years():
        sid = school_year["school_id"]
        if school_year["academic_year"] != year or (phase is not None and schools[sid]["phase"] != phase):
            continue
        result = year_result(store, school_year, fw, bank, mapping, min_group_size)
        figures[sid] = school_figures(result)
        phases[sid] = schools[sid]["phase"]
    return portfolio_benchmarks(figures, phases, fw.decisions.benchmarks)


def refresh_benchmarks(
    store: Store, year: str | None = None, framework: Framework | str | None = None, min_group_size: int | None = None
) -> dict[tuple[str, str], int]:
    """Compute and cache the benchmarks of every school in ``year`` (every year in the store when None)
    against ``framework`` (every bundled framework when None), at the store's threshold (``min_group_size``
    must be it, or the default: :func:`~wqm_nb.disclosure.threshold.resolve_threshold`); returns rows
    written per (year, framework id). Each school's rows are replaced in one transaction, and the threshold
    they were computed at is recorded beside them."""
    from ..disclosure.threshold import resolve_threshold

    threshold = resolve_threshold(
        store.threshold, store.threshold if min_group_size is None else min_group_size, str(store.path)
    )
    years = [year] if year else sorted({y["academic_year"] for y in store.school_years()})
    written: dict[tuple[str, str], int] = {}
    for fw in _framework(framework):
        for y in years:
            rows = compute_benchmarks(store, y, fw, threshold)
            written[(y, fw.id)] = sum(store.replace_benchmarks(sid, y, fw.id, r) for sid, r in rows.items())
            store.record_benchmarks_threshold(y, fw.id, threshold)
            releases = _recorded(store, y, set(rows), fw.id, threshold)
            store.record_benchmarks_releases(y, fw.id, releases)
    return written


def _year_schools(store: Store, year: str) -> set[str]:
    """The schools with a school year ``year`` in the store."""
    return {sy["school_id"] for sy in store.school_years() if sy["academic_year"] == year}


def _recorded(store: Store, year: str, schools: set[str], framework: str, threshold: int) -> dict[str, str]:
    """The release of each of ``schools`` benchmarks of ``year`` were just computed from (each school's latest
    recorded, the one its figures were read from), recorded in the ledger as printed."""
    from ..disclosure.ledger import Ledger

    ledger = Ledger.of(store)
    if ledger is None:
        return {}
    releases = {s: r for s, r in ledger.latest_ids(year).items() if s in schools}
    ledger.record_benchmarks(year, framework, threshold, releases)
    return releases


def benchmarks_current(store: Store, year: str, framework: str) -> bool:
    """Whether the cached benchmarks of ``year`` and ``framework`` were computed from the latest release
    recorded of every school of that year in the store: a school published since (new data, a new school)
    or removed makes them stale. A store seen through a link's scope is not asked (it sees one school; the
    server refreshes the cache before it serves a page: :func:`ensure_current_benchmarks`)."""
    from ..disclosure.ledger import Ledger

    key = store.benchmarks_releases(year, framework)
    if key is None:
        return False
    ledger = Ledger.of(store)
    latest = ledger.latest_ids(year) if ledger is not None else {}
    return all(key.get(s) == latest[s] for s in _year_schools(store, year) if s in latest)


def benchmarks_stale(store: Store, year: str, framework: str) -> bool:
    """Whether benchmarks of ``year`` and ``framework`` were cached (never in a CSV folder's scratch store) and
    are no longer current: computed at another threshold than the store's, or not from the latest release of
    every school (:func:`benchmarks_current`)."""
    threshold = None if store.scratch else store.benchmarks_threshold(year, framework)
    if threshold is None:  # never cached: nothing to refresh
        return False
    return threshold != store.threshold or not benchmarks_current(store, year, framework)


def ensure_current_benchmarks(store: Store, year: str, framework: Framework | str) -> bool:
    """Recompute the cached benchmarks of ``year`` and ``framework`` when they are stale
    (:func:`benchmarks_stale`); True when they were. What the server does before it serves a page, whose
    kernel sees one school and cannot."""
    fw = _framework(framework)[0]
    if not benchmarks_stale(store, year, fw.id):
        return False
    refresh_benchmarks(store, year, fw)
    return True


def _frame(rows: Iterable[dict], computed_at: str) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(BENCHMARK_COLUMNS))
    frame["computed_at"] = computed_at
    return frame.sort_values(["survey", "section_id", "measure"]).reset_index(drop=True)


#: ``computed_at`` of benchmarks computed in memory for one report (a CSV folder has no cache)
IN_MEMORY = "computed for this report"


def school_benchmarks(
    store: Store, school_id: str, year: str, framework: Framework | str, min_group_size: int = DEFAULT_MIN_GROUP_SIZE
) -> pd.DataFrame:
    """A school's benchmarks: the store's cached rows, when they were computed at ``min_group_size``; else
    (a scratch store loaded from a CSV folder, nothing cached there, :attr:`~wqm_nb.store.Store.scratch`;
    or rows cached at another threshold, or before thresholds were recorded) computed in memory over the
    school's phase, so no report prints benchmarks that count a school hidden at its threshold."""
    fw = _framework(framework)[0]
    cached = store.benchmarks(school_id, year, fw.id)
    scope = getattr(store, "scope", None)
    scoped = scope is not None and not scope.is_consultant  # a link's: it sees one school
    if (
        len(cached)
        and store.benchmarks_threshold(year, fw.id) == min_group_size
        and (scoped or benchmarks_current(store, year, fw.id))
    ):
        return cached
    if (not len(cached) and not store.scratch) or scoped:
        return cached
    phase = store.school(school_id)["phase"]
    computed = compute_benchmarks(store, year, fw, min_group_size, phase=phase)
    _recorded(store, year, set(computed), fw.id, min_group_size)
    return _frame(computed.get(school_id, []), IN_MEMORY)


__all__ = [
    "IN_MEMORY",
    "MEASURES",
    "MEASURE_MEAN_RATING",
    "SELF_EVALUATION",
    "benchmark_row",
    "benchmarks_current",
    "benchmarks_stale",
    "compute_benchmarks",
    "ensure_current_benchmarks",
    "portfolio_benchmarks",
    "refresh_benchmarks",
    "school_benchmarks",
    "school_figures",
]
