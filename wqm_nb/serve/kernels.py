"""Kernels belong to the page load that started them; only a kernel reads its request.

Voila's kernel routes trust anyone the server lets in: with one valid link, a
viewer could open another viewer's kernel by its id, shut it down, or read the
next viewer's query string. Here:

* **An owner per kernel.** The page request that gets a kernel (a fresh one
  or one from the preheated pool: :class:`ClaimingKernelManager` sees which)
  claims it for that page load: a random token, kept server-side as its
  SHA-256 (:class:`KernelSecrets`), goes to the browser in a ``wqm-kernel``
  cookie (:data:`OWNER_COOKIE`: httponly, ``SameSite=Strict``, ``Secure``
  when the server's public address is https) limited to that kernel's paths,
  ``/api/kernels/<id>`` and ``/voila/api/shutdown/<id>``, so two tabs keep
  two kernels apart. The kernel's websocket, ``GET``/``DELETE
  /api/kernels/<id>`` and ``/voila/api/shutdown/<id>`` answer that cookie
  only (:func:`require_owner`); anything else, the consultant's token and a
  link's cookie included, gets 403. Preheated kernels nobody has been given
  yet have no owner at all.
* **The kernel's own credential for its request.** A preheated kernel learns
  the page's query string from ``/voila/query/<id>``
  (``voila.utils.get_query_string``). That route now always answers 403
  (:class:`ForbiddenQueryHandler`); each kernel is started
  (:class:`WqmKernelManager`) with a random key of its own in
  ``VOILA_WS_BASE_URL``, which ``get_query_string`` puts in the address it
  asks, ``/wqm-kernel/<key>/voila/query/<id>`` (:class:`KernelQueryHandler`):
  the key is required, the cached request is removed once read, and the
  kernel's environment holds no link secret and no server token
  (:func:`kernel_env`).
* **No token in a query string.** The consultant's ``token`` parameter is
  checked by the server and then removed from the page request
  (:func:`forget_token`), so neither the kernel's ``QUERY_STRING`` nor the
  request Voila caches for a preheated kernel carries it.
* **No shutdown or restart from the page.** ``shutdown_request`` (with or
  without ``restart``) sent over the websocket is dropped
  (:data:`DROPPED_MESSAGES`; also removed from the kernel manager's allowed
  message types). Closing the tab still frees the kernel at once: Voila's
  page posts to ``/voila/api/shutdown/<id>`` with its ``_xsrf``, and the owner
  may.
* **Checked frames both ways** (:mod:`wqm_nb.serve.frames`) and **no
  tracebacks** to the browser (:mod:`wqm_nb.serve.tracebacks`), in
  :class:`GuardedKernelWebsocketHandler`.
* **A kernel that goes says so.** When a kernel is removed (its tab closed, or
  culled after ``--cull-idle`` seconds without use, even with its tab open),
  its open websockets are closed with :data:`KERNEL_ENDED` (4001), so the page
  can offer to reopen the report at once (``static/reopen.js`` of the
  ``wqm_app`` template), and the callbacks in
  :attr:`WqmKernelManager.removal_hooks` free its place
  (:mod:`wqm_nb.serve.places`).
* **Kernels kept ready, as many as are useful.** :meth:`WqmKernelManager.ready_count`
  counts the preheated kernels ready for a page, :meth:`~WqmKernelManager.ready_first`
  puts them first in Voila's pool (the next page load takes a ready one, not
  one still starting), and
  :meth:`~WqmKernelManager.keep_ready` resizes the pool (Voila's
  ``kernel_pools_config``) as places are taken and freed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import unquote_plus

import tornado.web
from jupyter_client.jsonutil import json_default
from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.handlers import KernelHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import ApiPath, url_path_join
from traitlets import validate
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from .frames import MAX_KERNEL_BUFFERS, POLICY_VIOLATION, V1_PROTOCOL, FrameError, check_incoming, parse_frame
from .tracebacks import logging_report, scrub_frame, scrub_json_message

if TYPE_CHECKING:
    from jupyter_server.base.handlers import APIHandler, JupyterHandler

#: the cookie that makes a browser the owner of one kernel (one per kernel, path-limited to it)
OWNER_COOKIE = "wqm-kernel"
#: first segment of the address a kernel asks its request from: /wqm-kernel/<key>/voila/query/<id>
KERNEL_ROUTE = "wqm-kernel"
KEY_PATTERN = r"(?P<key>[A-Za-z0-9_-]{32,64})"
#: kernel messages from the page that are never passed on: a shutdown, or a restart (the same message)
DROPPED_MESSAGES = frozenset({"shutdown_request"})
#: the tornado setting (bool) that says cookies must be Secure: the public address is https
SECURE_SETTING = "wqm_secure_cookies"
TOKEN_PARAM = "token"
#: the close code of a kernel websocket whose kernel has gone (closed, culled or died): the page offers to reopen
KERNEL_ENDED = 4001


# --------------------------------------------------------------------------
# secrets per kernel


class KernelSecrets:
    """One random secret per kernel id, kept as its SHA-256 only (owners' cookies, kernels' keys)."""

    def __init__(self) -> None:
        self._digests: dict[str, bytes] = {}

    @staticmethod
    def _digest(secret: str) -> bytes:
        return hashlib.sha256(secret.encode("utf-8", "replace")).digest()

    def issue(self, kernel_id: str) -> str:
        """A new secret for ``kernel_id`` (replacing any earlier one); only its digest is kept."""
        secret = secrets.token_urlsafe(32)
        self._digests[kernel_id] = self._digest(secret)
        return secret

    def matches(self, kernel_id: str, secret: str | None) -> bool:
        """Whether ``secret`` is the one issued for ``kernel_id`` (False for none, or an unknown kernel)."""
        expected = self._digests.get(kernel_id)
        if not expected or not secret:
            return False
        return hmac.compare_digest(expected, self._digest(secret))

    def forget(self, kernel_id: str) -> None:
        self._digests.pop(kernel_id, None)

    def __contains__(self, kernel_id: object) -> bool:
        return kernel_id in self._digests

    def __len__(self) -> int:
        return len(self._digests)


# --------------------------------------------------------------------------
# query strings and the kernel's environment


def strip_token(query: str) -> str:
    """``query`` without its ``token`` parameter(s); every other parameter kept exactly as written."""
    return "&".join(p for p in query.split("&") if p and unquote_plus(p.split("=", 1)[0]) != TOKEN_PARAM)


def strip_token_from_url(url: str) -> str:
    """``url`` with :func:`strip_token` applied to its query string."""
    if "?" not in url:
        return url
    base, query = url.split("?", 1)
    fragment = ""
    if "#" in query:
        query, fragment = query.split("#", 1)
        fragment = "#" + fragment
    query = strip_token(query)
    return f"{base}{'?' + query if query else ''}{fragment}"


def forget_token(request: Any) -> None:
    """Remove ``token`` from a checked request (tornado ``HTTPServerRequest``): its query string, URI
    and parsed arguments, so nothing downstream (Voila's request info, the kernel's environment, the
    cached request of a preheated kernel) can pass it on."""
    request.query = strip_token(request.query)
    request.uri = request.path + (f"?{request.query}" if request.query else "")
    request.query_arguments.pop(TOKEN_PARAM, None)
    request.arguments.pop(TOKEN_PARAM, None)


def clean_request_info(info: dict[str, Any]) -> dict[str, Any]:
    """Voila's request info for a kernel, with no token in its query string or URL."""
    cleaned = dict(info)
    if isinstance(cleaned.get("QUERY_STRING"), str):
        cleaned["QUERY_STRING"] = strip_token(cleaned["QUERY_STRING"])
    if isinstance(cleaned.get("VOILA_REQUEST_URL"), str):
        cleaned["VOILA_REQUEST_URL"] = strip_token_from_url(cleaned["VOILA_REQUEST_URL"])
    return cleaned


def kernel_env(env: dict[str, str] | None, key: str, server_url: str = "/") -> dict[str, str]:
    """The environment a kernel starts with: ``env`` (or the server's), its own ``key`` in the address
    it asks its request from, no token in ``QUERY_STRING`` or ``VOILA_REQUEST_URL``, and no
    ``VOILA_REQUEST_URL`` at all for a preheated kernel (Voila gives it the previous viewer's)."""
    env = clean_request_info(dict(os.environ if env is None else env))
    env["VOILA_WS_BASE_URL"] = url_path_join(server_url or "/", KERNEL_ROUTE, key) + "/"
    if env.get("VOILA_PREHEAT") == "True":
        env.pop("VOILA_REQUEST_URL", None)
    return env


# --------------------------------------------------------------------------
# the kernel manager


class _VoilaPool(Protocol):
    """What Voila's pool subclass (``voila_kernel_manager_factory``, with preheating) adds to the manager."""

    notebook_path: str | None

    def fill_if_needed(self, delay: float | None = None, notebook_name: str | None = None, **kwargs: Any) -> None: ...


class WqmKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager, keeping each kernel's owner and key (Voila adds its pool on top)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernel_owners = KernelSecrets()
        self.query_keys = KernelSecrets()
        #: called with the id of each kernel removed (closed, culled or died), after it is forgotten here
        self.removal_hooks: list[Callable[[str], None]] = []

    @validate("allowed_message_types")
    def _no_shutdown_from_the_page(self, proposal: dict[str, Any]) -> list[str]:
        return [t for t in proposal["value"] if t not in DROPPED_MESSAGES]

    # jupyter_server's own start_kernel carries a type: ignore[override] (jupyter_client types it as sync)
    async def start_kernel(  # type: ignore[override]
        self, *, kernel_id: str | None = None, path: ApiPath | None = None, **kwargs: Any
    ) -> str:
        """Start a kernel with a key of its own (see :func:`kernel_env`)."""
        if kernel_id is not None and kernel_id in self:  # jupyter_server's "existing kernel": as it was
            return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        kernel_id = kernel_id or self.new_kernel_id()
        key = self.query_keys.issue(kernel_id)
        kwargs["env"] = kernel_env(kwargs.get("env"), key, getattr(self.parent, "server_url", None) or "/")
        try:
            return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        except BaseException:
            self.query_keys.forget(kernel_id)
            raise

    def remove_kernel(self, kernel_id: str):
        """Forget a kernel that has gone (shut down, culled or died): its owner, key and cached request; close
        its websockets (:data:`KERNEL_ENDED`) and tell :attr:`removal_hooks`."""
        try:
            return super().remove_kernel(kernel_id)
        finally:
            self.kernel_owners.forget(kernel_id)
            self.query_keys.forget(kernel_id)
            RequestInfoSocketHandler._cache.pop(kernel_id, None)
            GuardedKernelWebsocketHandler.close_all(kernel_id)
            for hook in list(self.removal_hooks):
                try:
                    hook(kernel_id)
                except Exception:
                    self.log.exception("wqm: a hook for the removal of kernel %s failed", kernel_id)

    # -- kernels kept ready (Voila's pool, when kernels are preheated) ----------------------

    def _pool(self) -> list | None:
        """Voila's pool of the served notebook (private in voila 0.5.x), or None without preheating."""
        pools = getattr(self, "_pools", None)
        if pools is None:
            return None
        return pools.get(getattr(self, "notebook_path", None))

    def ready_count(self) -> int | None:
        """Preheated kernels ready for a page now (None: kernels are not kept ready)."""
        pool = self._pool()
        if pool is None:
            return None
        return sum(1 for task in pool if task.done() and not task.cancelled() and task.exception() is None)

    def ready_first(self) -> None:
        """Put the ready kernels first in the pool: Voila gives the next page the first one."""
        pool = self._pool()
        if pool:
            pool.sort(key=lambda task: not (task.done() and not task.cancelled() and task.exception() is None))

    def keep_ready(self, target: int) -> None:
        """Keep ``target`` kernels ready (starting more if fewer are there or starting; a surplus is used
        before more are started)."""
        pool = self._pool()
        config = getattr(self, "kernel_pools_config", None)
        if pool is None or config is None or target < 1:
            return
        default = config.setdefault("default", {})
        if default.get("pool_size") == target and len(pool) >= target:
            return
        default["pool_size"] = target
        if len(pool) < target:
            voila = cast(_VoilaPool, self)  # a pool (and its config) exists only in Voila's subclass
            voila.fill_if_needed(notebook_name=voila.notebook_path)


class ClaimingKernelManager:
    """The kernel manager as one page request sees it: the kernel Voila gets for the page, fresh
    (``start_kernel``) or preheated (``get_rendered_notebook``), is handed to ``claim`` first."""

    def __init__(self, manager: Any, claim: Callable[[str], None]) -> None:
        self._manager = manager
        self._claim = claim

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    def __contains__(self, kernel_id: object) -> bool:
        return kernel_id in self._manager

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        kernel_id = await ensure_async(self._manager.start_kernel(*args, **kwargs))
        self._claim(kernel_id)
        return kernel_id

    async def get_rendered_notebook(self, *args: Any, **kwargs: Any) -> tuple:
        result = await self._manager.get_rendered_notebook(*args, **kwargs)
        self._claim(result[2])
        return result


# --------------------------------------------------------------------------
# owners


def kernel_paths(base_url: str, kernel_id: str) -> tuple[str, str]:
    """The paths an owner's cookie is sent to: the kernel's API (and websocket) and its shutdown."""
    return (
        url_path_join(base_url or "/", "api/kernels", kernel_id),
        url_path_join(base_url or "/", "voila/api/shutdown", kernel_id),
    )


def owner_cookie(token: str, path: str, secure: bool) -> str:
    """One ``Set-Cookie`` value for an owner's cookie."""
    jar: SimpleCookie = SimpleCookie()
    jar[OWNER_COOKIE] = token
    morsel = jar[OWNER_COOKIE]
    morsel["path"] = path
    morsel["httponly"] = True
    morsel["samesite"] = "Strict"
    if secure:
        morsel["secure"] = True
    return morsel.OutputString()


def _owners(handler: JupyterHandler) -> KernelSecrets | None:
    return getattr(handler.settings.get("kernel_manager"), "kernel_owners", None)


def claim_kernel(handler: JupyterHandler, kernel_id: str) -> None:
    """Make the browser of ``handler``'s request the owner of ``kernel_id`` (see the module notes)."""
    owners = _owners(handler)
    if owners is None:
        raise RuntimeError("the kernel manager keeps no owners (not a WqmKernelManager)")
    if getattr(handler, "_headers_written", False):
        handler.log.error("wqm: kernel %s was given after the page's headers went out: no owner", kernel_id)
        return
    token = owners.issue(kernel_id)
    secure = bool(handler.settings.get(SECURE_SETTING))
    for path in kernel_paths(getattr(handler, "base_url", "/"), kernel_id):
        handler.add_header("Set-Cookie", owner_cookie(token, path, secure))


def is_owner(handler: JupyterHandler, kernel_id: str) -> bool:
    """Whether the request carries the owner's cookie of ``kernel_id``."""
    owners = _owners(handler)
    return owners is not None and owners.matches(kernel_id, handler.get_cookie(OWNER_COOKIE))


def require_owner(handler: JupyterHandler, kernel_id: str) -> None:
    """403 unless the request comes from the page load that owns ``kernel_id``."""
    if not is_owner(handler, kernel_id):
        handler.log.warning("wqm: refused %s %s: not the kernel's page", handler.request.method, handler.request.path)
        raise tornado.web.HTTPError(403, "not this kernel's page")


if TYPE_CHECKING:
    _OwnerOnlyBase = APIHandler  # the handlers it is mixed into (KernelHandler, VoilaShutdownKernelHandler)
else:
    _OwnerOnlyBase = object


class _OwnerOnly(_OwnerOnlyBase):
    """Handler mix-in: 403 (never a login redirect) unless the request is the kernel owner's."""

    def get_login_url(self) -> str:
        raise tornado.web.HTTPError(403)

    def _kernel_id(self) -> str:
        return self.path_kwargs.get("kernel_id") or (self.path_args[0] if self.path_args else "")

    # as jupyter_server's own APIHandler.prepare (which carries the same ignore): JupyterHandler's takes a
    # private keyword that tornado never passes
    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if not self._finished:
            require_owner(self, self._kernel_id())


class OwnedKernelHandler(_OwnerOnly, KernelHandler):
    """``GET``/``DELETE /api/kernels/<id>``: the owner's page only."""


class OwnedShutdownHandler(_OwnerOnly, VoilaShutdownKernelHandler):
    """``POST /voila/api/shutdown/<id>`` (the page's tab-close beacon): the owner's page only."""


# --------------------------------------------------------------------------
# the kernel websocket


def _done() -> asyncio.Future:
    """What ``write_message`` returns for a message it did not send (on the server's running loop)."""
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


class GuardedKernelWebsocketHandler(VoilaKernelWebsocketHandler):
    """``/api/kernels/<id>/channels``: the owner's page only, v1 protocol only, every frame checked.

    Incoming frames are checked (:func:`wqm_nb.serve.frames.check_incoming`) before jupyter_server
    reads them; a bad one closes the socket with 1008. Outgoing frames are checked and scrubbed of
    tracebacks here, in place of Voila's unchecked ``read_header_from_binary_message``."""

    #: open sockets by kernel id (closed with KERNEL_ENDED when their kernel goes)
    _open: dict[str, set[GuardedKernelWebsocketHandler]] = {}

    @classmethod
    def close_all(cls, kernel_id: str) -> None:
        """Close the sockets of a kernel that has gone, with :data:`KERNEL_ENDED`."""
        for handler in list(cls._open.pop(kernel_id, ())):
            try:
                handler.close(KERNEL_ENDED, "the report has closed")
            except Exception:  # already closing
                pass

    async def open(self, kernel_id: str) -> None:  # type: ignore[override]
        type(self)._open.setdefault(kernel_id, set()).add(self)
        await super().open(kernel_id)

    def on_close(self) -> None:
        sockets = type(self)._open.get(getattr(self, "kernel_id", ""))
        if sockets is not None:
            sockets.discard(self)
            if not sockets:
                type(self)._open.pop(self.kernel_id, None)
        if getattr(self, "connection", None) is not None:
            super().on_close()

    async def get(self, kernel_id: str) -> None:
        offered = [p.strip() for p in self.request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
        if V1_PROTOCOL not in offered:
            self.log.warning("wqm: refused a kernel websocket without the %s subprotocol", V1_PROTOCOL)
            raise tornado.web.HTTPError(400, f"the kernel websocket speaks {V1_PROTOCOL} only")
        require_owner(self, kernel_id)
        await super().get(kernel_id)

    def get_login_url(self) -> str:
        raise tornado.web.HTTPError(403)

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return V1_PROTOCOL if V1_PROTOCOL in subprotocols else None

    def _refuse(self, reason: str) -> None:
        self.log.warning("wqm: closed the websocket of kernel %s: %s", getattr(self, "kernel_id", "?"), reason)
        self.close(POLICY_VIOLATION, "message refused")

    def on_message(self, message: bytes | str) -> Any:
        if self.selected_subprotocol != V1_PROTOCOL:
            return self._refuse("not the v1 protocol")
        try:
            _, header = check_incoming(message)
        except FrameError as exc:
            return self._refuse(str(exc))
        msg_type = header["msg_type"]
        if msg_type in DROPPED_MESSAGES:
            self.log.warning("wqm: dropped a %s from the page of kernel %s", msg_type, self.kernel_id)
            return None
        return super().on_message(message)

    def write_message(self, message: bytes | str | dict[str, Any], binary: bool = False) -> asyncio.Future:
        report = logging_report(self.log, f"kernel {getattr(self, 'kernel_id', '?')}")
        if isinstance(message, (bytes, bytearray)):
            try:
                frame = parse_frame(message, max_buffers=MAX_KERNEL_BUFFERS)
                msg_type = frame.header()["msg_type"]
            except FrameError as exc:
                self.log.error(
                    "wqm: a malformed frame for kernel %s's page was not sent: %s", getattr(self, "kernel_id", "?"), exc
                )
                return _done()
            if msg_type == "execute_input":  # Voila's rule: the page never sees code run
                return _done()
            message = scrub_frame(frame, msg_type, report) or bytes(message)
        else:
            try:
                msg = json.loads(message) if isinstance(message, str) else dict(message)
                msg_type = (msg.get("header") or {}).get("msg_type")
            except (ValueError, TypeError, AttributeError):
                self.log.error(
                    "wqm: a malformed message for kernel %s's page was not sent", getattr(self, "kernel_id", "?")
                )
                return _done()
            if msg_type == "execute_input":
                return _done()
            message = json.dumps(scrub_json_message(msg, report), default=json_default)
        # past Voila's write_message, whose header parse is the unchecked one this replaces
        return super(VoilaKernelWebsocketHandler, self).write_message(message, binary=binary)


# --------------------------------------------------------------------------
# a preheated kernel's request


class ForbiddenQueryHandler(tornado.web.RequestHandler):
    """``/voila/query/<id>``, Voila's unauthenticated route: 403 for everyone (kernels use
    :class:`KernelQueryHandler`)."""

    def prepare(self) -> None:
        raise tornado.web.HTTPError(403)


class KernelQueryHandler(RequestInfoSocketHandler):
    """``/wqm-kernel/<key>/voila/query/<id>``: the page's request, to the kernel holding ``key`` only,
    once (the cached copy is removed when sent), without a token."""

    kernel_id = ""

    async def get(self, key: str, kernel_id: str) -> None:
        keys = getattr(self.settings.get("kernel_manager"), "query_keys", None)
        if keys is None or not keys.matches(kernel_id, key):
            raise tornado.web.HTTPError(403)
        await super().get(key=key, kernel_id=kernel_id)

    def open(self, key: str, kernel_id: str) -> None:
        self.kernel_id = kernel_id
        RequestInfoSocketHandler._waiters[kernel_id] = self
        payload = RequestInfoSocketHandler._cache.pop(kernel_id, None)
        if payload is not None:
            self.write_message(payload)

    def write_message(self, message: Any, binary: bool = False) -> Any:
        if isinstance(message, dict):
            message = clean_request_info(message)
        return super().write_message(message, binary=binary)

    def on_message(self, message: bytes | str) -> None:
        """The kernel only listens."""

    def on_close(self) -> None:
        if RequestInfoSocketHandler._waiters.get(self.kernel_id) is self:
            del RequestInfoSocketHandler._waiters[self.kernel_id]


__all__ = [
    "DROPPED_MESSAGES",
    "KERNEL_ENDED",
    "KERNEL_ROUTE",
    "OWNER_COOKIE",
    "ClaimingKernelManager",
    "ForbiddenQueryHandler",
    "GuardedKernelWebsocketHandler",
    "KernelQueryHandler",
    "KernelSecrets",
    "OwnedKernelHandler",
    "OwnedShutdownHandler",
    "WqmKernelManager",
    "claim_kernel",
    "clean_request_info",
    "forget_token",
    "is_owner",
    "kernel_env",
    "kernel_paths",
    "owner_cookie",
    "require_owner",
    "strip_token",
    "strip_token_from_url",
]
