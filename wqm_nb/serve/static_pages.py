"""The report as a static page, for viewers past the live-kernel cap, rendered by one warm worker process.

When no live place is free for a report viewer (:mod:`wqm_nb.serve.places`),
the server answers with the whole report app as one static page
(:func:`wqm_nb.ui.static_page.static_report_page`) and the small script that
turns it live when a place frees (:func:`wqm_nb.serve.pages.live_script`).
:class:`StaticPages` keeps those pages:

* **One worker.** Pages are rendered in one long-lived process (a
  ``ProcessPoolExecutor`` of one worker, spawned, its imports done when it
  starts, at a lower CPU priority than the server and its kernels), one page
  at a time, never in the server's event loop thread; its memory is part of
  the server's process tree. Pages asked for come first, pages rendered ahead
  after them.
* **Keyed by the report key.** A page is kept under the key of the report it
  shows (:func:`wqm_nb.export.report_key.key_of`: the school year's data
  version, framework, ``as_of``, package version and the rest), which the
  worker works out before it reads the data, so a page is never older than
  its key; a viewer is given a page only while its key is the key of that
  report now.
* **Rendered ahead.** At start, every school's latest year for the default
  framework; then every :data:`REFRESH_SECONDS` the keys of those pages and of
  pages asked for lately are worked out again (in a thread) and a changed one
  rendered again: the data changed, or the day did. A page nobody asked for
  yet is rendered when asked: :meth:`StaticPages.page` waits for it a few
  seconds, then the caller serves a "preparing the report" page that refreshes
  itself.
* **The viewer's scope.** Each page is one school and year, read through
  that school's link scope (:class:`~wqm_nb.store.scope.Scope`): it cannot show
  another school, whoever asks.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from ..settings import DEFAULT_FRAMEWORK, ReportSettings
from .tracebacks import new_error_id

#: seconds between two checks of the pages' keys
REFRESH_SECONDS = 15.0
#: pages kept (about 0.4 MB each)
CACHE_SIZE = 64
#: places (school, year, framework) whose pages are kept current, besides every school's latest year
WANTED_SIZE = 128
#: priorities in the worker's queue: a viewer waiting first
ASKED, AHEAD = 0, 1


@dataclass(frozen=True)
class PageSpec:
    """What one static page shows: a school, a year (resolved), a framework, of a store, as of a day."""

    school: str
    year: str
    framework: str
    data: str
    as_of: str

    @classmethod
    def of(cls, settings: ReportSettings) -> PageSpec:
        return cls(settings.school_id, settings.year, settings.framework, str(settings.data), settings.as_of)

    @property
    def place(self) -> tuple[str, str, str]:
        return self.school, self.year, self.framework

    def settings(self) -> ReportSettings:
        return ReportSettings(
            school_id=self.school, year=self.year, data=self.data, framework=self.framework, as_of=self.as_of
        )


def current_key(spec: PageSpec) -> str:
    """The key of the report ``spec`` names, from the store now (opens it: call it in a thread). The releases
    the page shows are recorded first (this is the server: it publishes), so the key names them, as the
    worker's page does."""
    from ..export.report_key import key_of
    from .publishing import publish_page

    try:
        publish_page(spec.data, spec.school, spec.year, spec.framework)
    except Exception:  # noqa: BLE001 - the page's own render fails on the same cause, with its error id
        pass
    return key_of(spec.settings()).digest


class RenderError(Exception):
    """A page could not be rendered; the message says why (for the server log). Raised in place of the
    original error, which may not travel back from the worker process."""


def render_page(spec: PageSpec, script: str) -> tuple[str, bytes]:
    """In the worker: the key of the report ``spec`` names and its static page (UTF-8), the key worked out
    before the data is read. The releases the page shows are recorded first (the worker is the server's: it
    publishes); the store is then read through the school's link scope."""
    from ..present import load_school_report
    from ..store.scope import Scope
    from ..ui.static_page import static_report_page

    try:
        key = current_key(spec)
        scope = Scope.link(spec.school, spec.year, page="report", framework=spec.framework)
        report = load_school_report(
            school_id=spec.school,
            year=spec.year,
            data=spec.data,
            framework=spec.framework,
            as_of=spec.as_of,
            scope=scope,
        )
        return key, static_report_page(report, script=script).encode("utf-8")
    except Exception as exc:
        raise RenderError(f"{type(exc).__name__}: {exc}") from None


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(2)
    os._exit(0)


#: how much lower the worker's CPU priority is than the server's: live pages first, pages rendered ahead after
WORKER_NICENESS = 10


def start_worker(parent: int) -> None:
    """The worker's start: a lower CPU priority (a live page is not slowed by pages rendered ahead), the slow
    imports done once, and an exit of its own if the server goes away."""
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):
        pass
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="wqm-parent-watch").start()
    import wqm_nb.present  # noqa: F401
    import wqm_nb.ui.static_page  # noqa: F401


def latest_places(data: str, framework: str = DEFAULT_FRAMEWORK) -> list[tuple[str, str, str]]:
    """Every school's latest year for ``framework``, as ``(school, year, framework)`` (opens the store: call it
    in a thread)."""
    from ..store import Store

    with Store.open(data, read_only=True) as store:
        out = []
        for school in store.schools():
            years = store.school_years(school["school_id"])
            if years:
                out.append((school["school_id"], years[-1]["academic_year"], framework))
        return out


class StaticPages:
    """Static report pages of one store, rendered by one worker process (see the module notes)."""

    def __init__(
        self,
        data: str,
        script: str = "",
        log: logging.Logger | logging.LoggerAdapter | None = None,
        framework: str = DEFAULT_FRAMEWORK,
        refresh: float = REFRESH_SECONDS,
        size: int = CACHE_SIZE,
    ):
        self.data = data
        self.script = script
        self.log = log or logging.getLogger("wqm.serve")
        self.framework = framework
        self.refresh_seconds = refresh
        self.size = size
        self.pages: OrderedDict[str, bytes] = OrderedDict()  # key -> page
        self.failed: dict[str, str] = {}  # key -> error id
        self.wanted: OrderedDict[tuple[str, str, str], None] = OrderedDict()  # places asked for lately
        self.jobs: dict[tuple[str, str, str], asyncio.Future] = {}  # places queued or rendering
        self.rendered = 0
        self.started: asyncio.Event | None = None  # set once the start batch is done
        self.ahead = True  # every school's latest year too
        self._queue: asyncio.PriorityQueue | None = None
        self._order = 0
        self._executor: ProcessPoolExecutor | None = None
        self._tasks: list[asyncio.Task] = []

    # -- the worker ------------------------------------------------------------

    def _worker(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker,
                initargs=(os.getpid(),),
            )
        return self._executor

    async def start(self, ahead: bool = True) -> None:
        """Start the worker and (``ahead``) queue every school's latest year; returns at once (the pages follow,
        and :attr:`started` is set when they are there)."""
        self.started = asyncio.Event()
        self.ahead = ahead
        self._queue = asyncio.PriorityQueue()
        self._worker()
        self._tasks = [asyncio.create_task(self._render_loop()), asyncio.create_task(self._start_batch(ahead))]

    async def _start_batch(self, ahead: bool) -> None:
        assert self.started is not None  # start() makes it before it schedules this
        try:
            places = await asyncio.to_thread(latest_places, self.data, self.framework) if ahead else []
            jobs = [self._request(self._spec(*place), AHEAD) for place in places]
            await asyncio.gather(*jobs, return_exceptions=True)
            self.log.info(
                "wqm: static pages ready (%d of %d schools)",
                sum(1 for job in jobs if job.done() and not job.cancelled() and job.result()),
                len(places),
            )
        except Exception as exc:  # the pages come when asked instead
            self.log.error("wqm: static pages were not rendered ahead: %s", exc)
        finally:
            self.started.set()
        self._tasks.append(asyncio.create_task(self._refresh_loop()))

    def _spec(self, school: str, year: str, framework: str) -> PageSpec:
        return PageSpec(school, year, framework, self.data, ReportSettings(school_id=school, year=year).as_of)

    def _request(self, spec: PageSpec, priority: int) -> asyncio.Future:
        """The render of ``spec``, queued once (a request already queued is moved up if asked for)."""
        job = self.jobs.get(spec.place)
        if job is not None and not job.done():
            if priority == ASKED:
                self._put(spec, priority)  # asked for now: again at the front (the later one finds it done)
            return job
        job = self.jobs[spec.place] = asyncio.get_running_loop().create_future()
        self._put(spec, priority)
        return job

    def _put(self, spec: PageSpec, priority: int) -> None:
        self._order += 1
        assert self._queue is not None  # made by start(), before any page is asked for
        self._queue.put_nowait((priority, self._order, spec))

    async def _render_loop(self) -> None:
        assert self._queue is not None  # start() makes it before it schedules this
        while True:
            _, _, spec = await self._queue.get()
            job = self.jobs.get(spec.place)
            if job is None or job.done():
                continue
            try:
                key, html = await asyncio.wrap_future(self._worker().submit(render_page, spec, self.script))
            except BrokenProcessPool:
                self.log.error("wqm: the static page worker stopped; starting another")
                broken, self._executor = self._executor, None
                if broken is not None:
                    broken.shutdown(wait=False, cancel_futures=True)
                job.set_result("")
            except Exception as exc:
                error_id = new_error_id()
                self.log.error(
                    "wqm: the static page of %s %s %s failed (error id %s): %s",
                    spec.school,
                    spec.year,
                    spec.framework,
                    error_id,
                    exc,
                )
                try:
                    self.failed[await asyncio.to_thread(current_key, spec)] = error_id
                except Exception:
                    pass
                job.set_result("")
            else:
                self._keep(key, html)
                job.set_result(key)
            finally:
                if self.jobs.get(spec.place) is job:
                    del self.jobs[spec.place]

    def _keep(self, key: str, html: bytes) -> None:
        self.rendered += 1
        self.pages[key] = html
        self.pages.move_to_end(key)
        self.failed.pop(key, None)
        while len(self.pages) > self.size:
            self.pages.popitem(last=False)

    # -- keeping pages current ---------------------------------------------------

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_seconds)
            try:
                await self.refresh()
            except Exception as exc:
                self.log.error("wqm: checking the static pages failed: %s", exc)

    async def refresh(self) -> int:
        """Queue a new render of every page in use (asked for lately, and every school's latest year when
        rendering ahead) whose key changed; returns how many were queued."""
        places = dict.fromkeys(await asyncio.to_thread(latest_places, self.data, self.framework) if self.ahead else ())
        places.update(self.wanted)
        queued = 0
        for place in places:
            spec = self._spec(*place)
            try:
                key = await asyncio.to_thread(current_key, spec)
            except Exception:
                continue  # gone from the data: nothing to keep current
            if key not in self.pages and key not in self.failed and place not in self.jobs:
                self._request(spec, AHEAD)
                queued += 1
        return queued

    # -- a viewer's page -------------------------------------------------------------

    async def page(self, settings: ReportSettings, wait: float = 3.0) -> tuple[bytes | None, str]:
        """The static page of ``settings``'s report as it is now: ``(page, "")``, or ``(None, "")`` while it is
        being rendered (after ``wait`` seconds), or ``(None, error id)`` if it cannot be rendered."""
        spec = PageSpec.of(settings)
        self.wanted[spec.place] = None
        self.wanted.move_to_end(spec.place)
        while len(self.wanted) > WANTED_SIZE:
            self.wanted.popitem(last=False)
        key = await asyncio.to_thread(current_key, spec)
        if key in self.pages:
            self.pages.move_to_end(key)
            return self.pages[key], ""
        if key in self.failed:
            return None, self.failed[key]
        job = self._request(spec, ASKED)
        try:
            await asyncio.wait_for(asyncio.shield(job), wait)
        except asyncio.TimeoutError:
            return None, ""
        return self.pages.get(key), self.failed.get(key, "")

    def close(self) -> None:
        """Stop the worker at once, even in the middle of a page (the server is stopping)."""
        for task in self._tasks:
            task.cancel()
        if self._executor is not None:
            workers = list(getattr(self._executor, "_processes", {}).values())  # private in concurrent.futures
            self._executor.shutdown(wait=False, cancel_futures=True)
            for worker in workers:
                worker.terminate()
            self._executor = None

    def summary(self) -> dict[str, Any]:
        return {
            "pages": len(self.pages),
            "rendered": self.rendered,
            "queued": len(self.jobs),
            "failed": len(self.failed),
        }


__all__ = [
    "CACHE_SIZE",
    "REFRESH_SECONDS",
    "PageSpec",
    "RenderError",
    "StaticPages",
    "current_key",
    "latest_places",
    "render_page",
]
