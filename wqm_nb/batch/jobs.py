"""One report as a job a batch worker runs: a school's report, or the group overview.

A worker is a process (a local pool's, or a Dask worker on any machine)
that keeps one warm kernel (:class:`~wqm_nb.export.kernels.WarmKernel`, see
:func:`worker_kernel`) and runs job after job in it. Each job executes its
notebook with papermill in that kernel, converts it to HTML and prints the
PDF, all in the worker, and returns a :class:`JobOutcome`: the files, and for
a school the :class:`~wqm_nb.model.group.SchoolSummary` the group overview is
built from. The summary is taken from the report's own assessment in the
kernel after the notebook ran (:func:`save_report_summary`), so the overview
never reads the raw data again. A worker passes summaries on as the JSON text
of a summaries file (:func:`wqm_nb.model.group.summaries_to_json`) without
reading them, so it never imports the analysis layers (pandas): it runs
papermill, converts and prints, and stays small.

A job either names paths the worker can see (a local pool: the files are
written straight into the output folder) or carries a :class:`Shipment`: the
school's rows extracted into a store of their own
(:func:`wqm_nb.store.extract_schools`) and the framework and benchmark files,
as bytes. A shipped job runs in a private temporary folder and returns its
files as bytes; the paths in the kept notebook's parameters are put back to
the batch's own, so it re-runs where the batch ran. A job never raises: a
failure is an outcome with its one-line error.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import WqmError
from ..export.kernels import WarmKernel
from ..export.render import ReportFiles, render_group, render_school
from ..settings import GroupSettings, ReportSettings

#: The notebook variable holding the school report (``notebooks/school_report.ipynb``).
REPORT_VARIABLE = "report"

_KERNEL: WarmKernel | None = None


def describe_error(exc: BaseException) -> str:
    """A one-line account of why a report failed."""
    if isinstance(exc, WqmError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def worker_kernel() -> WarmKernel:
    """This process's warm kernel, created on first use and shut down when the process ends."""
    global _KERNEL
    if _KERNEL is None:
        import atexit
        import logging
        from multiprocessing import util

        logging.getLogger("papermill").setLevel(logging.CRITICAL)  # a kernel failure is in the job's outcome
        _KERNEL = WarmKernel()
        atexit.register(shutdown_worker_kernel)
        util.Finalize(None, shutdown_worker_kernel, exitpriority=10)  # a pool's worker skips atexit
    return _KERNEL


def start_worker_kernel() -> None:
    """Start this process's warm kernel now (a pool's initializer); a failure waits for the first job,
    which retries it."""
    try:
        worker_kernel().ensure_started()
    except Exception:  # noqa: BLE001 - the job that needs the kernel reports it
        pass


def shutdown_worker_kernel() -> None:
    """Stop this process's warm kernel, if it has one."""
    global _KERNEL
    kernel, _KERNEL = _KERNEL, None
    if kernel is not None:
        kernel.shutdown()


def worker_name() -> str:
    """``host:pid`` of this worker process."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class ShippedFile:
    """A file a worker needs, sent as bytes: its name and content."""

    name: str
    content: bytes

    @classmethod
    def read(cls, path: str | Path) -> ShippedFile:
        path = Path(path)
        return cls(path.name, path.read_bytes())


@dataclass(frozen=True)
class Shipment:
    """What a worker that cannot see the batch's folders needs: the data and any framework or benchmark
    file (``None`` for a bundled framework or no benchmarks)."""

    data: ShippedFile | None = None
    framework: ShippedFile | None = None
    benchmarks: ShippedFile | None = None
    ledger: ShippedFile | None = None  # the school's published releases (the data's publication ledger)


@dataclass(frozen=True)
class SchoolJob:
    """One school's report. ``settings`` are the batch's own (paths as the batch sees them)."""

    settings: ReportSettings
    name: str = ""
    pdf: bool = True
    shipment: Shipment | None = None


@dataclass(frozen=True)
class OverviewJob:
    """The group overview, from the schools' summaries (the JSON text of a summaries file), not the data."""

    settings: GroupSettings
    summaries: str
    pdf: bool = True
    shipment: Shipment | None = None


@dataclass
class JobOutcome:
    """What a job returns. ``files`` are paths in the output folder (a local job); ``content`` the
    files as bytes by name (a shipped job; the batch writes them); ``summary`` a school's summary as
    the JSON text of a summaries file of one (private: it holds true counts)."""

    ok: bool
    school_id: str = ""
    files: ReportFiles | None = None
    content: dict[str, bytes] = field(default_factory=dict)
    summary: str = ""
    error: str = ""
    seconds: float = 0.0
    retries: int = 0
    worker: str = ""


def save_report_summary(report, path: str) -> None:
    """Run in the kernel after a school's notebook: write the summary of its report's assessment, with the
    true counts the trust totals need, to ``path`` (read back by the worker, then deleted)."""
    from ..model.group import save_summaries, summarise
    from ..store import Store

    assessment = report.assessment
    with Store.open(assessment.settings.data_path, read_only=True) as store:
        save_summaries(path, [summarise(assessment, store)])


@contextmanager
def _workspace(settings, shipment: Shipment | None) -> Iterator[tuple]:
    """The settings a job runs with, and its private folder: as given (no folder), or for a shipment, a
    private temporary folder holding the shipped files and the output, removed afterwards."""
    if shipment is None:
        yield settings, None
        return
    work = Path(tempfile.mkdtemp(prefix="wqm-job-"))
    try:
        changes = {"output": str(work / "out")}
        for attr in ("data", "framework", "benchmarks"):
            shipped: ShippedFile | None = getattr(shipment, attr)
            if shipped is not None:
                folder = work / attr
                folder.mkdir()
                (folder / shipped.name).write_bytes(shipped.content)
                changes[attr] = str(folder / shipped.name)
        if shipment.ledger is not None and "data" in changes:  # beside the data, where a report looks
            from ..disclosure.ledger import ledger_path

            target = ledger_path(changes["data"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(shipment.ledger.content)
        output = changes.pop("output")
        yield settings.replace(output=output, data_cache=changes), work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _collect(files: ReportFiles, shipped: bool) -> tuple[ReportFiles | None, dict[str, bytes]]:
    if not shipped:
        return files, {}
    return None, {p.name: p.read_bytes() for p in (files.notebook, files.html, files.pdf) if p is not None}


def run_school_job(job: SchoolJob) -> JobOutcome:
    """Render one school's report in this worker's warm kernel and summarise it (see the module notes)."""
    start = time.perf_counter()
    kernel = worker_kernel()
    retries = kernel.retries
    school_id = job.settings.school_id
    try:
        with _workspace(job.settings, job.shipment) as (settings, work):
            summary_dir = Path(tempfile.mkdtemp(prefix="wqm-summary-"))
            summaries: list[str] = []

            def run(notebook: Path, output: Path, parameters: dict) -> Path:
                kernel.execute(notebook, output, parameters)
                path = summary_dir / "summary.json"
                kernel.call(
                    f"__import__('wqm_nb.batch.jobs', fromlist=['_']).save_report_summary("
                    f"{REPORT_VARIABLE}, {str(path)!r})"
                )
                summaries.append(path.read_text(encoding="utf-8"))
                return output

            try:
                rendered = render_school(settings, pdf=job.pdf, run_notebook=run)
            finally:
                shutil.rmtree(summary_dir, ignore_errors=True)
            files, content = _collect(rendered, work is not None)
        return JobOutcome(
            True,
            school_id,
            files,
            content,
            summaries[0],
            seconds=time.perf_counter() - start,
            retries=kernel.retries - retries,
            worker=worker_name(),
        )
    except Exception as exc:  # noqa: BLE001 - reported per school, the batch goes on
        return JobOutcome(
            False,
            school_id,
            error=describe_error(exc),
            seconds=time.perf_counter() - start,
            retries=kernel.retries - retries,
            worker=worker_name(),
        )


def run_overview_job(job: OverviewJob) -> JobOutcome:
    """Render the group overview from the job's summaries in this worker's warm kernel."""
    start = time.perf_counter()
    kernel = worker_kernel()
    retries = kernel.retries
    try:
        with _workspace(job.settings, job.shipment) as (settings, work):
            holder = Path(tempfile.mkdtemp(prefix="wqm-summaries-"))
            try:
                path = holder / "summaries.json"
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # true counts: owner only
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(job.summaries)
                # the kept notebook re-runs from the data: the summaries file is a stand-in, gone afterwards
                ran = settings.replace(data_cache={**settings.data_cache, "summaries": str(path)})
                rendered = render_group(ran, pdf=job.pdf, run_notebook=kernel.execute)
            finally:
                shutil.rmtree(holder, ignore_errors=True)  # the true counts go with it
            files, content = _collect(rendered, work is not None)
        return JobOutcome(
            True,
            files=files,
            content=content,
            seconds=time.perf_counter() - start,
            retries=kernel.retries - retries,
            worker=worker_name(),
        )
    except Exception as exc:  # noqa: BLE001 - reported like a school's failure
        return JobOutcome(
            False,
            error=describe_error(exc),
            seconds=time.perf_counter() - start,
            retries=kernel.retries - retries,
            worker=worker_name(),
        )


__all__ = [
    "JobOutcome",
    "OverviewJob",
    "REPORT_VARIABLE",
    "SchoolJob",
    "Shipment",
    "ShippedFile",
    "describe_error",
    "run_overview_job",
    "run_school_job",
    "save_report_summary",
    "shutdown_worker_kernel",
    "start_worker_kernel",
    "worker_kernel",
    "worker_name",
]
