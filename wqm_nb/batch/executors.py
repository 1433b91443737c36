"""Where a batch's jobs run: worker processes on this machine, this process, or a Dask cluster.

Every executor takes jobs (:mod:`wqm_nb.batch.jobs`) and yields their
outcomes as they finish; the batch does not care which one ran them.

* ``process`` (the default): a pool of worker processes on this machine,
  started fresh (``spawn``), each starting its warm kernel as it starts. The
  notebook, HTML and PDF of a school are all made in the worker, so the batch
  uses every core it is given. A worker that dies (the kernel is retried
  inside the worker; this is the worker process itself) takes the pool
  down: a new pool runs the jobs that did not finish, and a job that saw
  its worker die twice fails.
* ``serial``: one school after another in this process, with one warm
  kernel: for debugging, and the baseline a pool is measured against.
* ``dask``: one job per school on an existing Dask ``distributed`` cluster
  (``--scheduler tcp://host:8786``). Jobs carry their data
  (:class:`~wqm_nb.batch.jobs.Shipment`) and return their files as bytes,
  so workers need wqm-workbench installed but not the batch's folders. At
  the end each worker's warm kernel is shut down.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from ..errors import WqmError
from .jobs import (
    JobOutcome,
    OverviewJob,
    SchoolJob,
    run_overview_job,
    run_school_job,
    shutdown_worker_kernel,
    start_worker_kernel,
)

EXECUTORS = ("process", "serial", "dask")
#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = 20.0


def _run(job: SchoolJob | OverviewJob) -> JobOutcome:
    return run_school_job(job) if isinstance(job, SchoolJob) else run_overview_job(job)


class Executor:
    """Runs jobs and yields their outcomes as they finish (see the module notes)."""

    #: whether jobs must carry their data (the workers may not see this machine's folders)
    ships_data = False

    def run(self, jobs: list) -> Iterator[JobOutcome]:
        """Each job's outcome, in the order they finish."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers (and their kernels)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Jobs one after another in this process, in one warm kernel."""

    def __init__(self, run_job: Callable[[SchoolJob | OverviewJob], JobOutcome] = _run):
        self.run_job = run_job

    def run(self, jobs: list) -> Iterator[JobOutcome]:
        for job in jobs:
            yield self.run_job(job)

    def close(self) -> None:
        shutdown_worker_kernel()


class ProcessExecutor(Executor):
    """A pool of ``workers`` processes on this machine, each with its warm kernel."""

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self._pool: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker_kernel,
            )
        return self._pool

    def run(self, jobs: list) -> Iterator[JobOutcome]:
        deaths = [0] * len(jobs)
        pending = list(range(len(jobs)))
        while pending:
            pool = self._start()
            futures: dict[Future, int] = {pool.submit(_run, jobs[i]): i for i in pending}
            pending = []
            for future in as_completed(futures):
                i = futures[future]
                try:
                    yield future.result()
                except BrokenProcessPool:
                    deaths[i] += 1
                    if deaths[i] >= 2:
                        yield _failed(jobs[i], "the worker process running it died twice")
                    else:
                        pending.append(i)
            if pending:  # a worker died and took the pool down: a new pool for what did not finish
                assert self._pool is not None  # made by _start() above; only close() clears it
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(Executor):
    """Jobs on the Dask cluster whose scheduler is at ``scheduler`` (``tcp://host:8786``)."""

    ships_data = True

    def __init__(self, scheduler: str, timeout: float = CONNECT_TIMEOUT):
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - distributed is a dependency
            raise WqmError("the dask executor needs the `distributed` package: pip install distributed") from None
        if not scheduler:
            raise WqmError("the dask executor needs --scheduler ADDRESS (for instance tcp://10.0.0.5:8786)")
        try:
            self.client = Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise WqmError(f"no Dask scheduler answered at {scheduler} within {timeout:g} s ({exc})") from None

    def run(self, jobs: list) -> Iterator[JobOutcome]:
        from distributed import as_completed as dask_completed

        futures = {}
        for job in jobs:
            key = f"wqm-{type(job).__name__}-{getattr(job.settings, 'school_id', 'overview')}"
            futures[self.client.submit(_run, job, pure=False, key=f"{key}-{id(job):x}")] = job
        for future in dask_completed(list(futures), loop=self.client.loop):
            try:
                yield future.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the worker died running it
                yield _failed(futures[future], f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        try:
            self.client.run(shutdown_worker_kernel)
        except Exception:  # noqa: BLE001 - workers already gone have no kernel to stop
            pass
        self.client.close()


def _failed(job: SchoolJob | OverviewJob, why: str) -> JobOutcome:
    return JobOutcome(False, getattr(job.settings, "school_id", ""), error=why)


def make_executor(kind: str, workers: int, scheduler: str = "") -> Executor:
    """The executor named ``kind`` (:data:`EXECUTORS`)."""
    if kind not in EXECUTORS:
        raise WqmError(f"executor must be one of {', '.join(EXECUTORS)}, got {kind!r}")
    if scheduler and kind != "dask":
        raise WqmError("--scheduler is for --executor dask")
    if kind == "dask":
        return DaskExecutor(scheduler)
    if kind == "serial":
        return SerialExecutor()
    return ProcessExecutor(workers)


__all__ = [
    "CONNECT_TIMEOUT",
    "DaskExecutor",
    "EXECUTORS",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "make_executor",
]
