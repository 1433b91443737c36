"""``wqm serve``: the leaders' report app, Voila on 127.0.0.1, safely served.

Built on Voila 0.5.13 (:class:`WqmVoila`, a ``Voila`` subclass started from a
``Config``). What it adds, each before any kernel starts:

* **Host check** on every route (pages, static files, websockets), in
  :meth:`HostCheckedApplication.find_handler`: only ``localhost`` and
  ``127.0.0.1`` on the server's own port are answered. Voila turns
  jupyter_server's own check off, and its static routes never had one.
* **Who may see what** (:class:`LinkIdentityProvider`): the server token (or
  the login cookie it leaves) makes the viewer a consultant, who may open any
  school; a signed link (:mod:`wqm_nb.serve.links`), or the cookie it leaves for
  the page's websocket, makes the viewer a link holder, who may open only the
  school (and year) the link names. Anything else gets 403, never a login form.
* **Clear refusals**: an unknown school or year in the URL gets a page that
  says so.
* **Nobody is turned away** (:mod:`wqm_nb.serve.places`): at most
  ``max_kernels`` kernels are live; a report link holds at most two of them.
  Past that, a report viewer gets the whole report at once as a static page
  (:mod:`wqm_nb.serve.static_pages`, rendered ahead by one worker process,
  never in the server's event loop thread) whose small script asks
  ``/wqm/place`` (:class:`PlaceHandler`) every few seconds and reloads into the
  live view when a place is kept for it; a capture or import viewer gets a
  page with their place in line that tries again by itself. Up to ``ready``
  kernels (one per free place) are kept ready, so a burst of viewers finds
  them started; a report viewer who would wait behind another for a kernel
  still starting gets the static page at once instead.
* **No files**: Voila's ``/voila/files/`` route is removed and any other path
  is 404, so nothing under the data folder (or anywhere) is served.
* ``/wqm/pdf``: the same PDF as ``wqm report``, rendered by that command in a
  subprocess (at most two at once) and kept in memory per school, year,
  framework and store version.
* **Kernels belong to their page** (:mod:`wqm_nb.serve.kernels`): the page
  request that gets a kernel leaves a ``wqm-kernel`` cookie limited to that
  kernel's paths, and only that cookie opens the kernel's websocket, its
  ``/api/kernels/<id>`` and its ``/voila/api/shutdown/<id>``; a preheated
  kernel reads its page's query string with a key of its own (Voila's
  ``/voila/query/<id>`` answers 403), and no query string a kernel sees holds
  the server token. Shutdown and restart requests from the page are dropped.
* **Checked websocket frames** (:mod:`wqm_nb.serve.frames`): v1 subprotocol
  only, every frame checked before it is read, messages over 11 MiB refused
  unread.
* **No tracebacks to viewers** (:mod:`wqm_nb.serve.tracebacks`): an error id
  in the page and over the websocket, the details in the server log.
* ``Secure`` cookies when the public address (``--public-url``) is https.

Culling (kernels idle for ``cull_idle`` seconds, even with their tab open:
the page then offers to reopen the report), the preheated kernel pool and the
``wqm_app`` Voila template come from Voila's own configuration. Cells
tagged ``static`` (the printed report's sections) are removed before the
notebook runs in Voila; the interactive app cell is tagged ``interactive``
and left out of the printed report instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections import OrderedDict
from collections.abc import Awaitable, Hashable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import tornado.ioloop
import tornado.web
from jupyter_server.auth.identity import PasswordIdentityProvider, User
from jupyter_server.auth.login import LoginFormHandler
from jupyter_server.auth.logout import LogoutHandler
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.log import _scrub_uri, log_request
from jupyter_server.services.kernels.handlers import KernelHandler, _kernel_id_regex
from jupyter_server.utils import url_path_join
from tornado.httputil import split_host_and_port
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.static_file_handler import AllowListFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from ..data import available_frameworks
from ..errors import SettingsError
from ..export.notebooks import (
    SCHOOL_NOTEBOOK,
    SEF_CAPTURE_NOTEBOOK,
    STATIC_TAG,
    SURVEY_IMPORT_NOTEBOOK,
    notebook_path,
    resource_dir,
)
from ..export.render import school_stem
from ..export.report_key import key_of, read_key
from ..settings import DEFAULT_FRAMEWORK, SCHOOL_ID_PATTERN, ReportSettings, check_academic_year
from .frames import MAX_MESSAGE_BYTES
from .kernels import (
    KERNEL_ROUTE,
    KEY_PATTERN,
    SECURE_SETTING,
    ClaimingKernelManager,
    ForbiddenQueryHandler,
    GuardedKernelWebsocketHandler,
    KernelQueryHandler,
    OwnedKernelHandler,
    OwnedShutdownHandler,
    WqmKernelManager,
    claim_kernel,
    forget_token,
)
from .links import Link, LinkError, LinkRegistry, check_link, load_secret
from .pages import PLACE_PARAM, error_page, live_script, page, preparing_page, queue_page
from .places import CONSULTANT, Admission, Places, holder_of, new_ticket, valid_ticket
from .static_pages import StaticPages
from .tracebacks import install as install_error_ids

ALLOWED_HOSTS = ("localhost", "127.0.0.1")
LINK_COOKIE = "wqm-link"
LINK_USER = "link:"
TEMPLATE = "wqm_app"
PAGE_PARAMS = ("school", "year", "framework", "token")
#: The notebook each page shows; every page but the report writes to the store.
PAGE_NOTEBOOKS = {"report": SCHOOL_NOTEBOOK, "survey-import": SURVEY_IMPORT_NOTEBOOK, "capture": SEF_CAPTURE_NOTEBOOK}
PAGE_NAMES = {"report": "the report app", "survey-import": "the survey import form", "capture": "the capture form"}
#: the cookie holding a viewer's place in line (:mod:`wqm_nb.serve.places`)
WAIT_COOKIE = "wqm-wait"
#: seconds a report viewer past the cap waits for a static page not rendered yet, before "preparing the report"
PREPARE_WAIT = 3.0


@dataclass
class ServerState:
    """What the handlers need to know about this server (set once by :func:`serve`)."""

    secret: bytes = b""
    store: str = ""
    max_kernels: int = 4
    port: int = 0
    pdf_limit: int = 2
    page: str = "report"  # which page this server serves, and so which links it accepts
    secure_cookies: bool = False  # the public address is https: every cookie is Secure
    links: LinkRegistry | None = None  # issued and revoked links of the data (revoked ones are refused)
    pdf_dir: str = ""  # where wqm batch left PDFs with their keys (served while current)
    ready: int = 1  # kernels kept ready at most (0: none, kernels are started per page)
    places: Places | None = None  # the live places: the cap, a report link's share, the line
    pages: StaticPages | None = None  # static report pages, for report viewers past the cap


STATE = ServerState()


# --------------------------------------------------------------------------
# Host check on every route


class ForbiddenHostHandler(tornado.web.RequestHandler):
    """Answers every request with a foreign Host header: 403."""

    def prepare(self) -> None:
        self.set_status(403)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page("Forbidden", "This server only answers requests addressed to localhost."))


class HostCheckedApplication(tornado.web.Application):
    """Tornado application that refuses foreign Host headers before routing."""

    def find_handler(self, request, **kwargs):
        host, port = split_host_and_port(request.host.lower())
        expected = self.settings.get("wqm_port")
        if host not in ALLOWED_HOSTS or (port is not None and expected and port != expected):
            return self.get_handler_delegate(request, ForbiddenHostHandler)
        return super().find_handler(request, **kwargs)


# --------------------------------------------------------------------------
# who may see what


def checked_link(arguments: dict[str, list[bytes]]) -> Link:
    """The request's link, checked against this server's secret, page and revoked links (or LinkError)."""
    return check_link(
        STATE.secret, arguments, page=STATE.page, revoked=STATE.links.revoked() if STATE.links is not None else ()
    )


def _link_from(arguments: dict[str, list[bytes]]) -> Link | None:
    try:
        return checked_link(arguments)
    except LinkError:
        return None


class LinkIdentityProvider(PasswordIdentityProvider):
    """Token holders are consultants; holders of a valid signed link are link users."""

    async def _get_user(self, handler: tornado.web.RequestHandler) -> User | None:
        user = await super()._get_user(handler)
        if user is not None and not user.username.startswith(LINK_USER):
            return user
        arguments = handler.request.query_arguments
        if "sig" in arguments:
            link = _link_from(arguments)
            if link is None:
                return None
            handler.set_secure_cookie(
                LINK_COOKIE,
                link.query(),
                expires_days=None,
                httponly=True,
                samesite="Strict",
                secure=STATE.secure_cookies,
            )
            return User(username=f"{LINK_USER}{link.school}")
        cookie = handler.get_secure_cookie(LINK_COOKIE)
        if cookie:
            link = _link_from(
                {k: [v.encode() for v in vs] for k, vs in parse_qs(cookie.decode(), keep_blank_values=True).items()}
            )
            if link is not None:
                return User(username=f"{LINK_USER}{link.school}")
        return None


def is_link_user(handler: tornado.web.RequestHandler) -> bool:
    user = handler.current_user
    return user is not None and getattr(user, "username", "").startswith(LINK_USER)


def requested_scope(handler: tornado.web.RequestHandler) -> tuple[str, str, str]:
    """The (school, year, framework) a request asks for, checked: a link user
    gets only what the link signs; a consultant any well-formed school and year.
    Raises HTTPError 403/400."""
    arguments = handler.request.query_arguments
    for key, values in arguments.items():
        if len(values) > 1:
            raise tornado.web.HTTPError(403, f"parameter {key!r} repeated")
    framework = arguments.get("framework", [b""])[0].decode("utf-8", "replace")
    if framework and framework not in available_frameworks():
        raise tornado.web.HTTPError(400, f"unknown framework {framework!r}")
    if is_link_user(handler):
        try:
            link = checked_link(arguments)
        except LinkError as exc:
            raise tornado.web.HTTPError(403, str(exc)) from None
        year = link.year
        if not year and "show_year" in arguments:  # a link for any year: the year the viewer chose
            year = arguments["show_year"][0].decode("utf-8", "replace")
            try:
                check_academic_year(year)
            except SettingsError:
                raise tornado.web.HTTPError(400, "not an academic year") from None
        return link.school, year, framework
    unknown = sorted(set(arguments) - set(PAGE_PARAMS) - {"sig", "expires", "part"})
    if unknown:
        raise tornado.web.HTTPError(400, f"unexpected parameter(s) {', '.join(unknown)}")
    school = arguments.get("school", [b""])[0].decode("utf-8", "replace")
    year = arguments.get("year", [b""])[0].decode("utf-8", "replace")
    if school and not SCHOOL_ID_PATTERN.fullmatch(school):
        raise tornado.web.HTTPError(400, "not a school id")
    if year:
        try:
            check_academic_year(year)
        except SettingsError:
            raise tornado.web.HTTPError(400, "not an academic year") from None
    return school, year, framework


def missing_in_store(school: str, year: str) -> str:
    """Why the store cannot show that school and year ('' when it can)."""
    from ..errors import UnknownSchoolError
    from ..store import Store

    if not school:
        return ""
    with Store.open(STATE.store, read_only=True) as store:
        try:
            years = [y["academic_year"] for y in store.school_years(store.school(school)["school_id"])]
        except UnknownSchoolError:
            return f"There is no school {school} in this data."
    if year and year not in years:
        return f"{school} has no data for {year}."
    return ""


if TYPE_CHECKING:
    _RefusingBase = tornado.web.RequestHandler  # the handlers it is mixed into
else:
    _RefusingBase = object


class _Refusing(_RefusingBase):
    """Handler mix-in: refusals as small pages, never a login form or a traceback; no token in logs."""

    def get_login_url(self):
        raise tornado.web.HTTPError(403)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        titles = {
            403: ("Not allowed", "This link is not valid, or has expired. Ask the consultant for a new one."),
            404: ("Not found", "There is nothing at this address."),
            400: ("Not a valid address", "The address asks for something this app does not show."),
        }
        title, message = titles.get(status_code, ("Something went wrong", "Please try again later."))
        self.finish(page(title, message))

    def _request_summary(self) -> str:
        return f"{self.request.method} {_scrub_uri(self.request.uri, ['sig'])} ({self.request.remote_ip})"


def viewer_of(handler: tornado.web.RequestHandler) -> tuple[str, bool]:
    """Who holds the places a checked request takes (:func:`wqm_nb.serve.places.holder_of`), and whether they are
    limited to :data:`~wqm_nb.serve.places.PER_LINK` of them (a report link; capture and import links and the
    consultant are limited by the cap only)."""
    if not is_link_user(handler):
        return CONSULTANT, False
    try:
        link = checked_link(handler.request.query_arguments)
    except LinkError as exc:
        raise tornado.web.HTTPError(403, str(exc)) from None
    return holder_of(link.link_id, link.school, link.year, link.expires, link.sig), STATE.page == "report"


def first_school() -> str:
    """The school a consultant's page shows when the address names none: the first in the store."""
    from ..store import Store

    with Store.open(STATE.store, read_only=True) as store:
        schools = store.schools()
    return schools[0]["school_id"] if schools else ""


def keep_ready(manager: Any) -> None:
    """Resize the kernels kept ready to the places free now (see :meth:`Places.ready_target`)."""
    if STATE.ready and STATE.places is not None and hasattr(manager, "keep_ready"):
        manager.keep_ready(STATE.places.ready_target(STATE.ready))


async def publish_for_page(handler: JupyterHandler, school: str, year: str, framework: str) -> None:
    """Record, here in the server (the publishing process), the releases the page of ``school`` shows: the
    link holder's kernel reads the ledger through the link's scope and cannot record one
    (:mod:`wqm_nb.disclosure.ledger`). The survey import form shows no figures."""
    if not school or STATE.page == "survey-import":
        return
    from .publishing import publish_page

    try:
        await asyncio.to_thread(publish_page, STATE.store, school, year, framework)
    except Exception as exc:  # noqa: BLE001 - the page fails on the same cause and shows its error id
        handler.log.warning(
            "wqm: the figures of %s %s could not be published: %s: %s", school, year or "", type(exc).__name__, exc
        )


def set_wait_cookie(handler: tornado.web.RequestHandler, ticket: str) -> None:
    """The viewer's place in line, for their page's next question (httponly, ``SameSite=Strict``)."""
    handler.set_cookie(
        WAIT_COOKIE,
        ticket,
        path=getattr(handler, "base_url", "/") or "/",
        httponly=True,
        samesite="Strict",
        secure=STATE.secure_cookies,
    )


class ReportHandler(_Refusing, TornadoVoilaHandler):
    """The page (the report app, or the capture or import form): every check first, then a live place
    (:mod:`wqm_nb.serve.places`) and Voila's rendering, or, with no place free, the report as a static page or a
    queue page. The kernel Voila gets for the page is claimed for this page load
    (:func:`wqm_nb.serve.kernels.claim_kernel`) and takes the place."""

    _claiming: ClaimingKernelManager | None = None
    _admission: Admission | None = None

    @property
    def kernel_manager(self) -> ClaimingKernelManager:
        if self._claiming is None:
            self._claiming = ClaimingKernelManager(self.settings["kernel_manager"], self._claim)
        return self._claiming

    def _claim(self, kernel_id: str) -> None:
        claim_kernel(self, kernel_id)
        if self._admission is not None and not self._admission.kernel_id:
            assert STATE.places is not None  # set by WqmVoila.start_places before any request
            STATE.places.claimed(self._admission, kernel_id)
            keep_ready(self.settings["kernel_manager"])

    @tornado.web.authenticated
    async def get(self, path: str | None = None) -> None:
        if path:
            raise tornado.web.HTTPError(404)
        school, year, framework = requested_scope(self)
        missing = missing_in_store(school, year)
        if missing:
            self.set_status(404)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(page("Not found", missing, "Check the link, or ask the consultant for a new one."))
            return
        await publish_for_page(self, school, year, framework)
        holder, limited = viewer_of(self)
        manager = self.settings["kernel_manager"]
        places = STATE.places
        assert places is not None  # set by WqmVoila.start_places before any request
        places.forget_missing(set(manager.list_kernel_ids()))
        ticket = valid_ticket(self.get_cookie(WAIT_COOKIE))
        ready = manager.ready_count() if STATE.page == "report" and STATE.ready else None
        admission = places.admit(holder, limited=limited, ticket=ticket, ready=ready)
        if admission is None:
            ticket = ticket or new_ticket()
            position = places.wait(ticket, holder, limited)
            set_wait_cookie(self, ticket)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            if STATE.page != "report":
                self.finish(
                    queue_page(
                        PAGE_NAMES[STATE.page], position if places.may_hold_more(holder, limited) else 0, places.cap
                    )
                )
                return
            return await self._static_page(school, year, framework)
        self._admission = admission
        keep_ready(manager)
        if hasattr(manager, "ready_first"):
            manager.ready_first()
        forget_token(self.request)  # checked: neither the kernel nor its cached request gets it
        _ = self.xsrf_token  # sets the _xsrf cookie, so closing the tab shuts the kernel down
        try:
            async for chunk in self.get_generator(path=None):
                self.write(chunk)
                self.flush()
        finally:
            if not admission.kernel_id:
                places.released(admission)
                keep_ready(manager)

    async def _static_page(self, school: str, year: str, framework: str) -> None:
        """The report the viewer may see (their link's school and year; the consultant's choice) as a static
        page, at once; "preparing the report" while it is rendered."""
        if not school:
            school = await asyncio.to_thread(first_school)
        settings = await asyncio.to_thread(live_settings, school, year, framework)
        assert STATE.pages is not None  # a report server makes them in WqmVoila.start_places
        body, error_id = await STATE.pages.page(settings, wait=PREPARE_WAIT)
        if body is not None:
            self.finish(body)
            return
        if error_id:
            self.set_status(500)
            self.finish(error_page(error_id))
            return
        self.finish(preparing_page())


class PlaceHandler(_Refusing, JupyterHandler):
    """``GET /wqm/place?<the static page's own query string>``: whether a live place is free for this viewer,
    as JSON ``{"free": bool, "position": int}`` (position 1 = next in line; 0 when it cannot be said). The same
    identity checks as the page; ``free`` is said only with a place kept for this viewer's reload
    (:meth:`Places.poll`). ``&wqm=leave`` (the page has gone): out of the line, 204."""

    # as jupyter_server's own APIHandler.prepare (which carries the same ignore): JupyterHandler's takes a
    # private keyword that tornado never passes
    async def prepare(self) -> None:  # type: ignore[override]
        given = self.request.query_arguments.pop(PLACE_PARAM, [])  # the script's own: not part of a link
        self.request.arguments.pop(PLACE_PARAM, None)
        self._leaving = given == [b"leave"]
        await super().prepare()

    @tornado.web.authenticated
    def get(self) -> Awaitable[None] | None:
        if STATE.page != "report":
            raise tornado.web.HTTPError(404)
        requested_scope(self)
        holder, limited = viewer_of(self)
        ticket = valid_ticket(self.get_cookie(WAIT_COOKIE))
        self.set_header("Cache-Control", "no-store")
        if self._leaving:
            if ticket:
                assert STATE.places is not None  # set by WqmVoila.start_places before any request
                STATE.places.leave(ticket)
            self.set_status(204)
            return self.finish()
        if ticket is None:
            ticket = new_ticket()
            set_wait_cookie(self, ticket)
        manager = self.settings["kernel_manager"]
        assert STATE.places is not None  # set by WqmVoila.start_places before any request
        STATE.places.forget_missing(set(manager.list_kernel_ids()))
        free, position = STATE.places.poll(ticket, holder, limited)
        self.finish({"free": free, "position": position})
        return None


class PdfCache:
    """Rendered PDFs in memory, newest 32, keyed by school, year, framework and store version."""

    def __init__(self, size: int = 32):
        self.size = size
        self.items: OrderedDict[Hashable, bytes] = OrderedDict()

    def get(self, key: Hashable) -> bytes | None:
        if key in self.items:
            self.items.move_to_end(key)
        return self.items.get(key)

    def put(self, key: Hashable, value: bytes) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)


#: the printed parts of a report a PDF request may ask for (``part``): the debrief (the default) or the appendix
PDF_PARTS = ("debrief", "appendix")


def render_pdf(settings: ReportSettings, full: bool = False) -> dict[str, bytes]:
    """The PDFs exactly as ``wqm report`` makes them for ``settings`` (the command runs in a subprocess): the
    debrief, and with ``full`` the appendix from the same run; by part (:data:`PDF_PARTS`)."""
    with tempfile.TemporaryDirectory(prefix="wqm-pdf-") as out:
        command = [
            sys.executable,
            "-m",
            "wqm_nb.cli",
            "report",
            settings.school_id,
            "--data",
            settings.data,
            "--out",
            out,
            "--year",
            settings.year,
            "--framework",
            settings.framework,
            "--as-of",
            settings.as_of,
            *(["--full"] if full else []),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "report failed")
        pdfs = sorted(Path(out).glob("*.pdf"))
        return {"appendix" if p.stem.endswith("_appendix") else "debrief": p.read_bytes() for p in pdfs}


def live_settings(school: str, year: str, framework: str) -> ReportSettings:
    """The settings of the report a viewer sees now: this server's store, the year (the school's latest
    when empty), the framework, today's date."""
    from ..store import Store

    if not year:
        with Store.open(STATE.store, read_only=True) as store:
            year = store.school_year(school)["academic_year"]
    return ReportSettings(school_id=school, year=year, data=STATE.store, framework=framework or DEFAULT_FRAMEWORK)


def stored_pdf(settings: ReportSettings, key: str, part: str = "debrief") -> bytes | None:
    """A PDF that ``wqm batch`` or ``wqm report`` left in ``--pdf-dir`` with this very key beside it (the
    appendix, ``<stem>_appendix.pdf``, from the same run as the debrief whose key it is)."""
    if not STATE.pdf_dir:
        return None
    stem = school_stem(settings.school_id, settings.year, settings.framework)
    pdf = Path(STATE.pdf_dir) / f"{stem}.pdf"
    wanted = pdf if part == "debrief" else pdf.with_name(f"{stem}_appendix.pdf")
    return wanted.read_bytes() if wanted.is_file() and pdf.is_file() and read_key(pdf) == key else None


class PdfHandler(_Refusing, JupyterHandler):
    """GET /wqm/pdf?school=...&year=...[&framework=...][&part=appendix][&expires=...&sig=...]: the report's
    debrief (or, with ``part=appendix``, its appendix) as a PDF file, on the report page's server only (a
    capture or import link fetches none).

    A PDF is served from the cache (or ``--pdf-dir``) only while its key
    (:mod:`wqm_nb.export.report_key`: the school year's data version, framework,
    threshold, benchmark file, ``as_of`` and package version) equals the key of
    the report the viewer sees now; else it is rendered, at most ``pdf_limit``
    at once."""

    cache = PdfCache()
    semaphore: asyncio.Semaphore | None = None

    @tornado.web.authenticated
    async def get(self) -> None:
        if STATE.page != "report":
            raise tornado.web.HTTPError(404)
        school, year, framework = requested_scope(self)
        if not school:
            raise tornado.web.HTTPError(400, "no school")
        missing = missing_in_store(school, year)
        if missing:
            raise tornado.web.HTTPError(404, missing)
        part = self.get_query_argument("part", "debrief") or "debrief"
        if part not in PDF_PARTS:
            raise tornado.web.HTTPError(400, f"part is one of {', '.join(PDF_PARTS)}")
        await publish_for_page(self, school, year, framework)
        settings = live_settings(school, year, framework)
        key = key_of(settings).digest
        pdf = self.cache.get((key, part)) or stored_pdf(settings, key, part)
        if pdf is None:
            semaphore = type(self).semaphore
            if semaphore is None:
                semaphore = type(self).semaphore = asyncio.Semaphore(STATE.pdf_limit)
            async with semaphore:
                loop = asyncio.get_running_loop()
                printed = await loop.run_in_executor(None, render_pdf, settings, part == "appendix")
            for done, body in printed.items():  # the appendix's run printed the debrief too
                self.cache.put((key, done), body)
            pdf = printed[part]
        self.cache.put((key, part), pdf)
        stem = school_stem(school, settings.year, settings.framework)
        name = f"{stem}.pdf" if part == "debrief" else f"{stem}_appendix.pdf"
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.set_header("Cache-Control", "no-store")
        self.finish(pdf)


class NotFoundHandler(_Refusing, tornado.web.RequestHandler):
    """Everything that is not the app: 404."""

    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)


#: Voila's kernel routes and what serves them here (see :mod:`wqm_nb.serve.kernels`)
KERNEL_HANDLERS = {
    KernelHandler: OwnedKernelHandler,
    VoilaKernelWebsocketHandler: GuardedKernelWebsocketHandler,
    VoilaShutdownKernelHandler: OwnedShutdownHandler,
    RequestInfoSocketHandler: ForbiddenQueryHandler,
}


class WqmVoila(Voila):
    """Voila with the wqm handlers and the Host-checked application."""

    def init_handlers(self) -> list:
        handlers: list[tuple[Any, ...]] = []
        for spec in super().init_handlers():
            cls = spec[1]
            if cls is AllowListFileHandler:
                continue  # no /voila/files/
            if isinstance(cls, type) and issubclass(cls, (LoginFormHandler, LogoutHandler)):
                continue  # no login form: 403 instead
            if cls is TornadoVoilaHandler:
                handlers.append((self.server_url + "wqm/pdf", PdfHandler))
                handlers.append((self.server_url + "wqm/place", PlaceHandler))
                handlers.append((spec[0], ReportHandler, spec[2]))
                continue
            if cls is RequestInfoSocketHandler:  # a preheated kernel asks with its own key
                handlers.append(
                    (
                        url_path_join(self.server_url, KERNEL_ROUTE, KEY_PATTERN, "voila/query", _kernel_id_regex),
                        KernelQueryHandler,
                    )
                )
            if cls in KERNEL_HANDLERS:
                handlers.append((spec[0], KERNEL_HANDLERS[cls], *spec[2:]))
                continue
            handlers.append(spec)
        return handlers

    def start(self) -> None:
        install_error_ids(self.log)
        self.connection_dir = tempfile.mkdtemp(prefix="voila_", dir=self.connection_dir_root)
        self.app = HostCheckedApplication(**self.init_settings())
        self.app.settings.update(self.tornado_settings)
        self.app.settings["wqm_port"] = self.port
        self.app.settings["log_function"] = partial(log_request, record_prometheus_metrics=False)
        self.app.settings["extra_log_scrub_param_keys"] = ["sig"]
        self.app.settings["websocket_max_message_size"] = MAX_MESSAGE_BYTES
        self.app.settings[SECURE_SETTING] = STATE.secure_cookies
        if STATE.secure_cookies:
            self.app.settings["xsrf_cookie_kwargs"] = {"secure": True}
        self.app.add_handlers(".*$", self.init_handlers())
        self.start_places()
        self.listen()

    def start_places(self) -> None:
        """The live places (:data:`STATE`), freed as kernels go; for the report, the static pages, rendered
        ahead once the loop runs."""
        manager = self.kernel_manager
        STATE.places = Places(STATE.max_kernels)

        def gone(kernel_id: str) -> None:
            assert STATE.places is not None  # set just above
            STATE.places.ended(kernel_id)
            keep_ready(manager)

        manager.removal_hooks.append(gone)
        if STATE.page == "report":
            STATE.pages = StaticPages(STATE.store, live_script(url_path_join(self.base_url, "wqm/place")), log=self.log)
            tornado.ioloop.IOLoop.current().add_callback(STATE.pages.start)
        self.log.info("wqm: %d live place(s), up to %d kernel(s) kept ready", STATE.max_kernels, STATE.ready)

    def stop(self) -> None:
        """Stop the render worker, keep no more kernels ready, then Voila's own stop (every kernel shut down)."""
        STATE.ready = 0  # kernels shut down now must not be replaced
        if STATE.pages is not None:
            STATE.pages.close()
        super().stop()


def default_max_kernels() -> int:
    """Live kernels a machine can hold comfortably: about 300 MB each, one per half core, at least 2."""
    cores = os.cpu_count() or 2
    try:
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        memory_gb = 4
    return max(2, min(cores * 2, int(memory_gb / 0.3 / 2)))


def prepare_store(
    data: Path, work_dir: Path | None, writable: bool = False, what: str = "the survey import form"
) -> Path:
    """The store the app reads: the data itself, or a CSV folder imported once into ``work_dir``
    (refused when the page writes: what it writes would be lost with the copy; ``work_dir`` is
    needed only for a CSV folder)."""
    from ..store import build_database
    from ..store.store import store_file_for_writing

    if writable:
        return store_file_for_writing(data, what)
    if data.is_dir():
        assert work_dir is not None  # serve() makes one for a CSV folder the report reads
        return build_database(data, work_dir / "wqm.sqlite")
    return data


#: kernels kept ready by default at most: one per free place up to this (about 180 MB each, idle)
DEFAULT_READY_MAX = 4


def default_ready(max_kernels: int, page: str = "report") -> int:
    """Kernels kept ready unless ``--ready`` says. The report page: one per place, at most
    :data:`DEFAULT_READY_MAX`, so a burst of viewers as large as the cap meets warm kernels (a link mailed to
    every school). A form (capture, survey import), opened by one person at a time: one."""
    return min(max_kernels, DEFAULT_READY_MAX) if page == "report" else 1


def public_origin(public_url: str) -> str:
    """``https://wellbeing.trust.example`` from the address viewers use ('' for none)."""
    from urllib.parse import urlparse

    if not public_url:
        return ""
    parts = urlparse(public_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"--public-url must look like https://wellbeing.trust.example, got {public_url!r}")
    return f"{parts.scheme}://{parts.netloc}".lower()


def voila_config(
    port: int,
    token: str,
    preheat: bool = True,
    ready: int = 1,
    cull_idle: int = 900,
    cull_interval: int | None = None,
    open_browser: bool = False,
    origin: str = "",
    secure_cookies: bool = False,
):
    """The traitlets ``Config`` the app runs with (see :func:`serve` for the arguments)."""
    from traitlets.config import Config

    c = Config()
    c.Voila.ip = "127.0.0.1"
    c.Voila.port = port
    c.Voila.port_retries = 0
    c.Voila.open_browser = open_browser
    c.Voila.token = token
    c.Voila.config_file_paths = []
    c.Voila.identity_provider_class = LinkIdentityProvider
    if origin:
        c.Voila.tornado_settings = {"allow_origin": origin}
    if secure_cookies:
        c.LinkIdentityProvider.secure_cookie = True  # the consultant's login cookie
    c.VoilaConfiguration.template = TEMPLATE
    c.VoilaConfiguration.allow_template_override = "NO"
    c.VoilaConfiguration.allow_theme_override = "NO"
    c.VoilaConfiguration.file_allowlist = []
    c.VoilaConfiguration.show_tracebacks = False
    c.VoilaExecutor.cell_error_instruction = "The details are in the server log."
    c.VoilaConfiguration.multi_kernel_manager_class = WqmKernelManager  # kernels' owners and keys
    c.VoilaConfiguration.preheat_kernel = preheat and ready > 0
    c.VoilaConfiguration.default_pool_size = ready
    c.TagRemovePreprocessor.remove_cell_tags = {STATIC_TAG}
    c.MappingKernelManager.cull_idle_timeout = cull_idle
    # idle kernels are looked for at a third of the idle time (5 to 60 s), so a report idle for
    # cull_idle seconds goes within about cull_idle * 4/3
    c.MappingKernelManager.cull_interval = cull_interval or max(5, min(60, cull_idle // 3))
    c.MappingKernelManager.cull_connected = True  # an open tab left unused is culled too; its page offers to reopen
    c.MappingKernelManager.cull_busy = False
    return c


def serve(
    data: Path,
    port: int = 8866,
    token: str = "",
    max_kernels: int | None = None,
    preheat: bool = True,
    ready: int | None = None,
    cull_idle: int = 900,
    cull_interval: int | None = None,
    open_browser: bool = False,
    public_url: str = "",
    page: str = "report",
    pdf_dir: str | Path = "",
) -> None:
    """Start the app and block until interrupted. ``token`` empty: a random one, printed in the URL.

    ``page`` is ``report`` (the leaders' report app), ``survey-import`` (the
    survey import form) or ``capture`` (the self-evaluation form); the last
    two write to the store. The same server, checks and links for each, each
    link signed for its page.

    ``public_url`` is the address viewers use through a reverse proxy: the
    browser's websockets then come from that origin, which is allowed (the
    proxy passes ``Host: 127.0.0.1:PORT``); when it is https, every cookie is
    ``Secure``.

    ``max_kernels`` live kernels at most (a report link: two of them); past
    that a report viewer gets the static page, a form viewer a place in line.
    With ``preheat``, up to ``ready`` kernels (at most one per free place, at
    least one; default :func:`default_ready`) are kept ready, so a page opens without waiting for a kernel to
    start. A kernel unused for ``cull_idle`` seconds is shut down, looked for
    every ``cull_interval`` seconds (default: a third of ``cull_idle``, 5 to 60).

    A CSV folder is imported into a temporary folder, removed when the
    server stops; a store file needs none."""
    import secrets

    STATE.page = page
    if page not in PAGE_NOTEBOOKS:
        raise SettingsError(f"unknown page {page!r} (known: {', '.join(PAGE_NOTEBOOKS)})")
    origin = public_origin(public_url)
    work_dir = Path(tempfile.mkdtemp(prefix="wqm-serve-")) if page == "report" and data.is_dir() else None
    try:
        STATE.store = str(prepare_store(data, work_dir, writable=page != "report", what=PAGE_NAMES[page]))
        STATE.secret = load_secret(data)
        STATE.links = LinkRegistry(data)
        STATE.pdf_dir = str(pdf_dir or "")
        STATE.max_kernels = max_kernels or default_max_kernels()
        if ready is None:
            ready = default_ready(STATE.max_kernels, page)
        STATE.ready = min(max(ready, 0), STATE.max_kernels) if preheat else 0
        STATE.port = port
        STATE.secure_cookies = origin.startswith("https://")
        token = token or secrets.token_urlsafe(24)
        os.environ["WQM_DATA"] = STATE.store  # kernels inherit the environment: the store, never the secret
        templates = str(resource_dir("templates"))
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (templates, os.environ.get("JUPYTER_PATH", "")) if p)
        config = voila_config(
            port, token, preheat, STATE.ready, cull_idle, cull_interval, open_browser, origin, STATE.secure_cookies
        )
        print(f"wqm serve: {data} on http://127.0.0.1:{port}/?token={token}", flush=True)
        app = WqmVoila(config=config)
        app.initialize([str(notebook_path(PAGE_NOTEBOOKS[page]))])
        app.start()
    finally:
        if work_dir is not None:
            shutil.rmtree(work_dir, ignore_errors=True)
