"""Batch generation: every school of a group, then a group overview from their summaries.

:func:`run_batch` reads the data once, turns each school into a job
(:mod:`wqm_nb.batch.jobs`) and hands the jobs to an executor
(:mod:`wqm_nb.batch.executors`): worker processes with warm kernels, this
process, or a Dask cluster. Each worker makes the notebook, HTML and PDF of a
school and returns its summary; as the summaries arrive they are kept, and
when the last school is done the overview is rendered from them by a worker
too, with no second pass over the raw data.

One school's failure is recorded and reported; the others carry on, and the
overview shows the school as "report failed". A CSV folder is imported once
into ``wqm.sqlite`` in the output folder, and every report reads that store.
Before any report is rendered the store's cached portfolio benchmarks are
recomputed for the batch's framework and years
(:func:`wqm_nb.model.benchmarks.refresh_benchmarks`), so every report and the
overview read the same, current table; a store file passed as ``data`` is
written to for that (its benchmarks table only).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..disclosure.threshold import resolve_threshold
from ..errors import UnknownYearError, WqmError
from ..export import ReportFiles
from ..export.render import group_stem, remove_partial_files, school_stem
from ..export.report_key import key_of, write_key
from ..model.benchmarks import refresh_benchmarks
from ..model.group import SchoolSummary, missing_summary, rollup_summaries, summaries_from_json, summaries_to_json
from ..settings import GroupSettings, ReportSettings
from ..spreadsheet import write_csv
from ..store import Store, build_database, extract_schools
from .executors import EXECUTORS, Executor, make_executor
from .jobs import JobOutcome, OverviewJob, SchoolJob, Shipment, ShippedFile


@dataclass
class SchoolResult:
    """One school's line of the batch summary."""

    school_id: str
    name: str = ""
    academic_year: str = ""
    ok: bool = False
    files: ReportFiles | None = None
    error: str = ""
    seconds: float = 0.0
    #: runs repeated after the worker's kernel failed (see :class:`~wqm_nb.export.kernels.WarmKernel`)
    retries: int = 0
    worker: str = ""


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


def default_workers() -> int:
    """Every core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def write_files(out_dir: Path, content: dict[str, bytes]) -> ReportFiles:
    """Write a shipped job's files into ``out_dir``, each under a temporary name renamed into place."""
    paths: dict[str, Path] = {}
    for name, data in content.items():
        if Path(name).name != name or name.startswith("."):
            raise WqmError(f"a worker returned a file named {name!r}; refused")
        fd, partial = tempfile.mkstemp(prefix=f".{name}.", dir=out_dir)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(partial, 0o644)
        os.replace(partial, out_dir / name)
        paths[Path(name).suffix] = out_dir / name
    return ReportFiles(notebook=paths[".ipynb"], html=paths.get(".html"), pdf=paths.get(".pdf"))


def _shipped(path: str) -> ShippedFile | None:
    """A framework or benchmark file to ship ('' and bundled framework ids ship nothing)."""
    return ShippedFile.read(path) if path and Path(path).is_file() else None


def _outcome_files(outcome: JobOutcome, out_dir: Path) -> ReportFiles | None:
    return write_files(out_dir, outcome.content) if outcome.content else outcome.files


@dataclass(frozen=True)
class BatchRun:
    """How a batch runs, apart from what it reports (:class:`~wqm_nb.settings.GroupSettings`): the schools
    (None: every school of the trust), the executor (one of :data:`~wqm_nb.batch.executors.EXECUTORS`) with
    ``workers`` processes (0: every core) or the Dask ``scheduler`` address, and which outputs."""

    schools: tuple[str, ...] | None = None
    workers: int = 0
    executor: str = "process"
    scheduler: str = ""
    pdf: bool = True
    progress: bool = True
    overview: bool = True


def run_batch(settings: GroupSettings, run: BatchRun = BatchRun()) -> BatchResult:
    """Render the report of every school (of ``settings.trust``, or the ids in ``run.schools``), then the
    overview, into ``settings.output``.

    ``settings.data`` is a CSV folder (imported once into ``<output>/wqm.sqlite``) or a store file; empty
    means the default data. ``settings.year`` empty means each school's latest year; ``settings.benchmarks``
    names a benchmark file shown beside the figures of every report and of the overview. The store's
    portfolio benchmarks are refreshed first (see the module notes). ``settings.as_of`` (``YYYY-MM-DD``;
    empty: today) is resolved once, here: every school's report and the overview are made as of that day.
    """
    if run.executor not in EXECUTORS:
        raise WqmError(f"executor must be one of {', '.join(EXECUTORS)}, got {run.executor!r}")
    group = settings.replace(data=str(settings.data), benchmarks=str(settings.benchmarks or ""))
    if group.benchmarks:
        from ..data.benchmark_file import load_benchmark_file

        load_benchmark_file(group.benchmarks)  # a mistake in the file stops the batch before any report
    stems: list[str] = []
    try:
        with make_executor(run.executor, run.workers or default_workers(), run.scheduler) as pool:
            return _run(
                group, list(run.schools) if run.schools else None, run.pdf, run.progress, run.overview, pool, stems
            )
    finally:  # the pool is closed: what an interrupted worker left half-made can go
        remove_partial_files(Path(group.output).resolve(), stems)


def _run(
    group: GroupSettings,
    schools: list[str] | None,
    pdf: bool,
    progress: bool,
    overview: bool,
    pool: Executor,
    stems: list[str],
) -> BatchResult:
    """The batch; ``stems`` collects the file stems of the reports it starts (for :func:`remove_partial_files`)."""
    from tqdm.auto import tqdm

    benchmark_file = group.benchmarks_ref
    out_dir = Path(group.output).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    data = group.data_path
    framework = group.framework_ref
    database = build_database(data, out_dir / "wqm.sqlite", stands_for=True) if data.is_dir() else data
    batch = BatchResult(out_dir=out_dir, database=database)
    # the framework and benchmark files, for workers that cannot see this machine's folders
    carried = Shipment(framework=_shipped(framework), benchmarks=_shipped(benchmark_file)) if pool.ships_data else None

    jobs: list[SchoolJob] = []
    details: dict[str, dict] = {}
    absent: list[SchoolSummary] = []
    with Store.open(database, read_only=True) as store:
        group = group.replace(min_group_size=resolve_threshold(store.threshold, group.min_group_size, str(data)))
        known = {s["school_id"]: s for s in store.schools(group.trust or None)}
        wanted = list(schools) if schools else list(known)
        for school_id in wanted:
            if school_id not in known:
                batch.results.append(
                    SchoolResult(
                        school_id,
                        error=f"unknown school {school_id!r}" + (f" in trust {group.trust!r}" if group.trust else ""),
                    )
                )
                continue
            details[school_id] = school = known[school_id]
            try:
                school_year = store.school_year(school_id, group.year or None)["academic_year"]
            except UnknownYearError as exc:
                batch.results.append(SchoolResult(school_id, school["name"], group.year, error=str(exc)))
                absent.append(missing_summary(school, group.year))
                continue
            jobs.append(
                SchoolJob(
                    ReportSettings(
                        school_id=school_id,
                        year=school_year,
                        data=str(database),
                        framework=framework,
                        min_group_size=group.min_group_size,
                        output=str(out_dir),
                        benchmarks=benchmark_file,
                        as_of=group.as_of,
                    ),
                    school["name"],
                    pdf,
                )
            )

    with Store.open(database) as store:
        for refresh_year in sorted({job.settings.year for job in jobs}):
            refresh_benchmarks(store, refresh_year, framework, group.min_group_size)

    stems.extend(school_stem(job.settings.school_id, job.settings.year, framework) for job in jobs)
    stems.append(group_stem(group.trust))
    if carried is not None:
        jobs = [_ship(job, database, out_dir, carried) for job in jobs]

    summaries: list[SchoolSummary] = list(absent)
    by_id = {job.settings.school_id: job for job in jobs}
    bar = tqdm(total=len(jobs), desc="School reports", unit="school", file=sys.stderr, disable=not progress)
    with bar, _summary_on_interrupt(batch):
        for outcome in pool.run(jobs):
            job = by_id[outcome.school_id]
            result = SchoolResult(
                outcome.school_id,
                job.name,
                job.settings.year,
                outcome.ok,
                error=outcome.error,
                seconds=outcome.seconds,
                retries=outcome.retries,
                worker=outcome.worker,
            )
            if outcome.ok:
                try:
                    result.files = _outcome_files(outcome, out_dir)
                    if result.files and result.files.pdf:  # what the PDF was made from, for the app's cache
                        write_key(result.files.pdf, key_of(job.settings.replace(data=str(database))))
                except (OSError, WqmError) as exc:
                    result.ok, result.error = False, f"writing its files failed: {exc}"
            batch.results.append(result)
            if result.ok and outcome.summary:
                summaries.extend(summaries_from_json(outcome.summary, f"{outcome.school_id}'s summary"))
            else:
                summaries.append(missing_summary(details[outcome.school_id], job.settings.year, "report failed"))
            bar.update()
            bar.set_postfix_str(f"{result.school_id} {'ok' if result.ok else 'FAILED'}")
    batch.results.sort(key=lambda r: r.school_id)

    if overview:
        links = {
            r.school_id: (r.files.pdf or r.files.html or r.files.notebook).name for r in batch.succeeded if r.files
        }
        settings = group.replace(
            data=str(database), framework=framework, report_links=links, benchmarks=benchmark_file, output=str(out_dir)
        )
        ordered = sorted(summaries, key=lambda s: s.school_id)
        # published here, where the ledger is: the overview job (maybe on another machine) is given what
        # the ledger held before it, and shows the totals this audit allowed
        recorded = rollup_summaries(settings, ordered)
        overview_job = OverviewJob(settings, summaries_to_json(ordered, recorded.earlier_overviews), pdf, carried)
        outcome = next(iter(pool.run([overview_job])))
        if outcome.ok:
            batch.overview = _outcome_files(outcome, out_dir)
        else:
            batch.overview_error = outcome.error
    write_summary(batch)
    return batch


@contextmanager
def _summary_on_interrupt(batch: BatchResult) -> Iterator[None]:
    """On Ctrl-C, ``batch_summary.csv`` still lists the schools that finished (then the interrupt goes on)."""
    try:
        yield
    except KeyboardInterrupt:
        batch.results.sort(key=lambda r: r.school_id)
        write_summary(batch)
        raise


def _ship(job: SchoolJob, database: Path, out_dir: Path, carried: Shipment) -> SchoolJob:
    """The job with its school's rows extracted into a store of their own, and the files it needs, as bytes."""
    from ..data import load_framework
    from ..disclosure.ledger import Ledger, copy_school, publish_school

    school_id = job.settings.school_id
    with Store.open(database, read_only=True) as store:  # published here: a worker cannot reach the ledger
        publish_school(
            store, school_id, job.settings.year, load_framework(job.settings.framework), job.settings.min_group_size
        )
        ledger = Ledger.of(store)
    with tempfile.TemporaryDirectory(prefix=f".ship-{school_id}.", dir=out_dir) as holder:
        extract = extract_schools(database, [school_id], Path(holder) / f"{school_id}.sqlite")
        data = ShippedFile(extract.name, extract.read_bytes())
        copied = copy_school(ledger, school_id, Path(holder) / "ledger") if ledger is not None else None
        shipped_ledger = ShippedFile("ledger", copied.read_bytes()) if copied is not None else None
    return SchoolJob(
        job.settings, job.name, job.pdf, Shipment(data, carried.framework, carried.benchmarks, shipped_ledger)
    )


def write_summary(batch: BatchResult) -> Path:
    """``batch_summary.csv``: one row per school with its status, files and error (spreadsheet-safe)."""
    return write_csv(
        batch.out_dir / "batch_summary.csv",
        ["school_id", "name", "academic_year", "status", "pdf", "html", "seconds", "retries", "worker", "error"],
        [
            [
                r.school_id,
                r.name,
                r.academic_year,
                "ok" if r.ok else "failed",
                r.files.pdf.name if r.files and r.files.pdf else "",
                r.files.html.name if r.files and r.files.html else "",
                round(r.seconds, 1),
                r.retries,
                r.worker,
                r.error,
            ]
            for r in batch.results
        ],
    )


__all__ = ["BatchResult", "BatchRun", "SchoolResult", "default_workers", "run_batch", "write_files", "write_summary"]
