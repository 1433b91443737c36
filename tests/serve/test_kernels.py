"""Kernels belong to their page load; a kernel's own key; no token in what a kernel sees (no server here:
the real routes are attacked in test_attacks.py)."""

import asyncio
import logging

import pytest
import tornado.web
from jupyter_server.services.kernels.handlers import KernelHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from wqm_nb.serve.kernels import (
    OWNER_COOKIE,
    SECURE_SETTING,
    ClaimingKernelManager,
    GuardedKernelWebsocketHandler,
    KernelQueryHandler,
    KernelSecrets,
    OwnedKernelHandler,
    OwnedShutdownHandler,
    WqmKernelManager,
    claim_kernel,
    clean_request_info,
    forget_token,
    is_owner,
    kernel_env,
    kernel_paths,
    owner_cookie,
    require_owner,
    strip_token,
    strip_token_from_url,
)

KID = "4b0a6f0e-7d59-4a55-8d6a-2f1f3c7b9e10"


def get(uri: str) -> HTTPServerRequest:
    """A GET request for ``uri`` on 127.0.0.1:8866, as tornado parses it."""
    return HTTPServerRequest(
        start_line=RequestStartLine("GET", uri, "HTTP/1.1"), headers=HTTPHeaders({"Host": "127.0.0.1:8866"})
    )


def test_a_kernel_secret_matches_only_itself_and_is_kept_as_a_digest():
    secrets = KernelSecrets()
    token = secrets.issue(KID)
    assert secrets.matches(KID, token) and KID in secrets and len(secrets) == 1
    assert not secrets.matches(KID, token[:-1] + "x") and not secrets.matches(KID, None)
    assert not secrets.matches(KID, "") and not secrets.matches("other", token)
    assert token not in repr(vars(secrets)) and token.encode() not in b"".join(vars(secrets)["_digests"].values())
    assert secrets.issue(KID) != token and not secrets.matches(KID, token)  # a new claim replaces the old
    secrets.forget(KID)
    assert KID not in secrets


@pytest.mark.parametrize(
    "query, expected",
    [
        ("token=abc&school=NLT03", "school=NLT03"),
        ("school=NLT03&token=abc&year=2025-26", "school=NLT03&year=2025-26"),
        ("school=NLT03&tok%65n=abc&token", "school=NLT03"),
        ("school=St%20Aidan%27s&sig=a%2Bb", "school=St%20Aidan%27s&sig=a%2Bb"),
        ("token=abc", ""),
        ("", ""),
    ],
)
def test_the_token_is_taken_out_of_a_query_string(query, expected):
    assert strip_token(query) == expected


def test_the_token_is_taken_out_of_an_address_and_of_voilas_request_info():
    assert (
        strip_token_from_url("http://127.0.0.1:8866/?token=t&school=NLT03#x") == "http://127.0.0.1:8866/?school=NLT03#x"
    )
    assert strip_token_from_url("http://127.0.0.1:8866/?token=t") == "http://127.0.0.1:8866/"
    assert strip_token_from_url("http://127.0.0.1:8866/") == "http://127.0.0.1:8866/"
    info = clean_request_info(
        {
            "QUERY_STRING": "token=t&school=NLT03",
            "SCRIPT_NAME": "/",
            "VOILA_REQUEST_URL": "http://127.0.0.1:8866/?school=NLT03&token=t",
        }
    )
    assert info == {
        "QUERY_STRING": "school=NLT03",
        "SCRIPT_NAME": "/",
        "VOILA_REQUEST_URL": "http://127.0.0.1:8866/?school=NLT03",
    }


def test_a_checked_request_forgets_its_token():
    request = get("/?token=secret&school=NLT03&year=2025-26")
    assert request.query_arguments["token"] == [b"secret"]
    forget_token(request)
    assert request.query == "school=NLT03&year=2025-26" and request.uri == "/?school=NLT03&year=2025-26"
    assert "token" not in request.query_arguments and "token" not in request.arguments
    assert "secret" not in request.full_url()


def test_a_kernel_starts_with_its_key_and_without_the_token(monkeypatch):
    monkeypatch.setenv("WQM_DATA", "/data/wqm.sqlite")
    env = kernel_env(None, "K" * 43, "/")
    assert env["VOILA_WS_BASE_URL"] == f"/wqm-kernel/{'K' * 43}/" and env["WQM_DATA"] == "/data/wqm.sqlite"
    fresh = kernel_env(
        {
            "QUERY_STRING": "token=t&school=NLT03",
            "VOILA_PREHEAT": "False",
            "VOILA_REQUEST_URL": "http://127.0.0.1:8866/?token=t&school=NLT03",
        },
        "key",
        "/",
    )
    assert fresh["QUERY_STRING"] == "school=NLT03"
    assert fresh["VOILA_REQUEST_URL"] == "http://127.0.0.1:8866/?school=NLT03"
    pooled = kernel_env(
        {"VOILA_PREHEAT": "True", "VOILA_REQUEST_URL": "http://127.0.0.1:8866/?school=NLT01"}, "key", "/"
    )
    assert "VOILA_REQUEST_URL" not in pooled  # Voila hands a pool kernel the previous viewer's


def test_the_kernel_manager_gives_each_kernel_a_key_and_forgets_it_with_the_kernel(monkeypatch):
    started = {}

    async def fake_start(self, *, kernel_id=None, path=None, **kwargs):
        started.update(kwargs, kernel_id=kernel_id)
        return kernel_id

    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", fake_start)
    km = WqmKernelManager()
    kernel_id = asyncio.run(km.start_kernel(env={"QUERY_STRING": "token=t&school=NLT03"}))
    assert started["kernel_id"] == kernel_id and started["env"]["QUERY_STRING"] == "school=NLT03"
    key = started["env"]["VOILA_WS_BASE_URL"].split("/")[2]
    assert km.query_keys.matches(kernel_id, key)
    km.kernel_owners.issue(kernel_id)
    RequestInfoSocketHandler._cache[kernel_id] = {"QUERY_STRING": "school=NLT03"}
    km.remove_kernel(kernel_id)
    assert kernel_id not in km.query_keys and kernel_id not in km.kernel_owners
    assert kernel_id not in RequestInfoSocketHandler._cache


def test_a_failed_start_leaves_no_key(monkeypatch):
    async def failing(self, **kwargs):
        raise RuntimeError("no kernel")

    monkeypatch.setattr(AsyncMappingKernelManager, "start_kernel", failing)
    km = WqmKernelManager()
    with pytest.raises(RuntimeError):
        asyncio.run(km.start_kernel(kernel_id=KID))
    assert KID not in km.query_keys


def test_the_page_may_not_shut_the_kernel_down_or_restart_it():
    km = WqmKernelManager(allowed_message_types=["comm_msg", "kernel_info_request", "shutdown_request"])
    assert km.allowed_message_types == ["comm_msg", "kernel_info_request"]


class FakeManager:
    notebook_data = {"nb": 1}

    async def start_kernel(self, **kwargs):
        return "fresh"

    async def get_rendered_notebook(self, **kwargs):
        return "task", [], "preheated"

    def __contains__(self, kernel_id):
        return kernel_id == "fresh"


def test_the_kernel_voila_gets_for_a_page_is_claimed_fresh_or_preheated():
    claimed = []
    km = ClaimingKernelManager(FakeManager(), claimed.append)
    assert asyncio.run(km.start_kernel(kernel_name="python3")) == "fresh"
    assert asyncio.run(km.get_rendered_notebook(notebook_name="nb"))[2] == "preheated"
    assert claimed == ["fresh", "preheated"] and km.notebook_data == {"nb": 1} and "fresh" in km


class FakeHandler:
    """What :func:`claim_kernel` and :func:`is_owner` use of a tornado handler."""

    def __init__(self, manager, cookie=None, secure=False):
        self.settings = {"kernel_manager": manager, SECURE_SETTING: secure}
        self.base_url = "/"
        self.headers: list[tuple[str, str]] = []
        self.cookie = cookie
        self.log = logging.getLogger("wqm-test")
        self.request = get(f"/api/kernels/{KID}")

    def add_header(self, name, value):
        self.headers.append((name, value))

    def get_cookie(self, name):
        return self.cookie if name == OWNER_COOKIE else None


def test_the_page_that_gets_a_kernel_owns_it_and_no_one_else():
    km = WqmKernelManager()
    page = FakeHandler(km)
    claim_kernel(page, KID)
    cookies = [value for name, value in page.headers if name == "Set-Cookie"]
    assert [c.split("Path=")[1].split(";")[0] for c in cookies] == list(kernel_paths("/", KID))
    token = cookies[0].split(";")[0].split("=", 1)[1]
    assert all(
        c.startswith(f"{OWNER_COOKIE}={token};") and "HttpOnly" in c and "SameSite=Strict" in c and "Secure" not in c
        for c in cookies
    )
    assert is_owner(FakeHandler(km, token), KID)
    require_owner(FakeHandler(km, token), KID)
    for other in (None, "", token[:-1], KernelSecrets().issue(KID)):
        assert not is_owner(FakeHandler(km, other), KID)
        with pytest.raises(tornado.web.HTTPError) as refused:
            require_owner(FakeHandler(km, other), KID)
        assert refused.value.status_code == 403
    assert not is_owner(FakeHandler(km, token), "another-kernel")
    assert not is_owner(FakeHandler(object(), token), KID)  # no owners kept: nobody


def test_owner_cookies_are_secure_behind_https():
    km = WqmKernelManager()
    page = FakeHandler(km, secure=True)
    claim_kernel(page, KID)
    assert all("Secure" in value for _, value in page.headers)
    assert "Secure" in owner_cookie("t", "/api/kernels/x", True) and "Secure" not in owner_cookie("t", "/", False)


def test_voilas_kernel_routes_are_replaced_by_owner_only_ones():
    assert issubclass(OwnedKernelHandler, KernelHandler)
    assert issubclass(OwnedShutdownHandler, VoilaShutdownKernelHandler)
    assert issubclass(GuardedKernelWebsocketHandler, VoilaKernelWebsocketHandler)
    assert issubclass(KernelQueryHandler, RequestInfoSocketHandler)
