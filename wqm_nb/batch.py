"""Batch generation: every school of a group in parallel, then a group overview.

One school's failure is recorded and reported; the others carry on. A CSV
folder is imported once into ``wqm.sqlite`` in the output folder, and every
report reads that store. Before any report is rendered the store's cached
portfolio benchmarks are recomputed for the batch's framework and years
(:func:`wqm_nb.model.benchmarks.refresh_benchmarks`), so every report and the
overview read the same, current table; a store file passed as ``data`` is
written to for that (its benchmarks table only).
"""
from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UnknownYearError, WqmError
from .export import ReportFiles, render_group, render_school
from .model.benchmarks import refresh_benchmarks
from .spreadsheet import write_csv
from .settings import DEFAULT_FRAMEWORK, DEFAULT_MIN_GROUP_SIZE, GroupSettings, ReportSettings
from .store import Store, build_database

EXECUTORS = {"thread": ThreadPoolExecutor, "process": ProcessPoolExecutor}


@dataclass
class SchoolResult:
    school_id: str
    name: str = ""
    academic_year: str = ""
    ok: bool = False
    files: ReportFiles | None = None
    error: str = ""
    seconds: float = 0.0


@dataclass
class BatchResult:
    out_dir: Path
    database: Path
    results: list[SchoolResult] = field(default_factory=list)
    overview: ReportFiles | None = None
    overview_error: str = ""

    @property
    def failed(self) -> list[SchoolResult]:
        return [r for r in self.results if not r.ok]

    @property
    def succeeded(self) -> list[SchoolResult]:
        return [r for r in self.results if r.ok]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.overview_error


def describe_error(exc: BaseException) -> str:
    """A one-line account of why a report failed."""
    if isinstance(exc, WqmError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _render_one(settings: ReportSettings, name: str, pdf: bool) -> SchoolResult:
    start = time.perf_counter()
    school_id, year = settings.school_id, settings.year
    try:
        files = render_school(settings, pdf=pdf)
        return SchoolResult(school_id, name, year, True, files, seconds=time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - reported per school, the batch goes on
        return SchoolResult(school_id, name, year, False, error=describe_error(exc),
                            seconds=time.perf_counter() - start)


def run_batch(data: str | Path, out_dir: str | Path, year: str = "", trust: str = "",
              schools: list[str] | None = None, workers: int = 2, executor: str = "thread",
              pdf: bool = True, min_group_size: int = DEFAULT_MIN_GROUP_SIZE, progress: bool = True,
              overview: bool = True, framework: str = DEFAULT_FRAMEWORK, benchmarks: str = "") -> BatchResult:
    """Render the report of every school (of ``trust``, or the ids in ``schools``).

    ``data`` is a CSV folder (imported once into ``out_dir/wqm.sqlite``) or a
    store file; empty means the default data. ``year`` empty means each
    school's latest year. ``benchmarks`` names a benchmark file shown beside
    the figures of every report and of the overview. The store's portfolio
    benchmarks are refreshed first (see the module notes).
    """
    from tqdm.auto import tqdm

    if executor not in EXECUTORS:
        raise WqmError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    group = GroupSettings(year=year, data=str(data), trust=trust, framework=framework,
                          min_group_size=min_group_size, output=str(out_dir), benchmarks=str(benchmarks or ""))
    if group.benchmarks:
        from .data.benchmark_file import load_benchmark_file

        load_benchmark_file(group.benchmarks)          # a mistake in the file stops the batch before any report
    benchmark_file = group.benchmarks_ref
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    data = group.data_path
    framework = group.framework_ref
    database = build_database(data, out_dir / "wqm.sqlite") if data.is_dir() else data
    batch = BatchResult(out_dir=out_dir, database=database)

    jobs = []
    with Store.open(database, read_only=True) as store:
        known = store.schools(trust or None)
        names = {s["school_id"]: s["name"] for s in known}
        wanted = list(schools) if schools else list(names)
        for school_id in wanted:
            if school_id not in names:
                batch.results.append(SchoolResult(school_id, error=f"unknown school {school_id!r}"
                                                  + (f" in trust {trust!r}" if trust else "")))
                continue
            try:
                school_year = store.school_year(school_id, year or None)["academic_year"]
            except UnknownYearError as exc:
                batch.results.append(SchoolResult(school_id, names[school_id], year, error=str(exc)))
                continue
            jobs.append((ReportSettings(school_id=school_id, year=school_year, data=str(database),
                                        framework=framework, min_group_size=min_group_size,
                                        output=str(out_dir), benchmarks=benchmark_file), names[school_id]))

    with Store.open(database) as store:
        for refresh_year in sorted({settings.year for settings, _ in jobs}):
            refresh_benchmarks(store, refresh_year, framework, min_group_size)

    with EXECUTORS[executor](max_workers=max(1, int(workers))) as pool:
        futures = [pool.submit(_render_one, settings, name, pdf) for settings, name in jobs]
        bar = tqdm(as_completed(futures), total=len(futures), desc="School reports", unit="school",
                   file=sys.stderr, disable=not progress)
        for future in bar:
            result = future.result()
            batch.results.append(result)
            bar.set_postfix_str(f"{result.school_id} {'ok' if result.ok else 'FAILED'}")
    batch.results.sort(key=lambda r: r.school_id)

    if overview:
        links = {r.school_id: (r.files.pdf or r.files.html or r.files.notebook).name
                 for r in batch.succeeded}
        try:
            batch.overview = render_group(group.replace(data=str(database), framework=framework,
                                                        report_links=links, benchmarks=benchmark_file), pdf=pdf)
        except Exception as exc:  # noqa: BLE001 - reported like a school's failure
            batch.overview_error = describe_error(exc)
    write_summary(batch)
    return batch


def write_summary(batch: BatchResult) -> Path:
    """``batch_summary.csv``: one row per school with its status, files and error (spreadsheet-safe)."""
    return write_csv(batch.out_dir / "batch_summary.csv",
                     ["school_id", "name", "academic_year", "status", "pdf", "html", "seconds", "error"],
                     [[r.school_id, r.name, r.academic_year, "ok" if r.ok else "failed",
                       r.files.pdf.name if r.files and r.files.pdf else "",
                       r.files.html.name if r.files and r.files.html else "", round(r.seconds, 1), r.error]
                      for r in batch.results])
