"""Issue 21, as the attacker did it: one valid link (or the page's own cookies) and the kernel websocket.

Every test talks to a real `wqm serve` the way the page's JavaScript does: it
loads the page, reads the kernel id from the page, and opens
``/api/kernels/<id>/channels`` with the cookies the page set (tornado's
websocket client; ``v1.kernel.websocket.jupyter.org`` unless the attack is the
missing subprotocol). Each attack is asserted to fail:

1. a frame that freezes the server (eight bytes of 0xff; a widget echo read as
   v1 without the subprotocol; offsets out of range, decreasing, a huge
   count; a message over the size limit);
2. another page load's kernel, by its id (websocket, ``GET``/``DELETE
   /api/kernels/<id>``, ``/voila/api/shutdown/<id>``);
3. ``/voila/query/<id>``, which handed the next viewer's query string
   (consultant token included) to whoever asked;
4. ``shutdown_request`` and restart over the websocket;
5. kernel tracebacks (server paths) in the browser;
6. cookies without ``Secure`` behind https;
7. a ``wqm-serve-*`` folder left in the temporary folder.

Servers that an attack may freeze are started for that test, and killed
(SIGKILL after a short wait) in teardown. Every wait is bounded; everything
targets 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from jupyter_server.services.kernels.connection.base import serialize_binary_message
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from .conftest import Server, free_port, start_server
from .kernel_ws import (
    Page,
    Response,
    alive,
    close_page,
    closed_with,
    collect,
    comm_ids,
    connect,
    cookie_header,
    kill,
    link_page,
    load_page,
    message,
    oversized_message_close_code,
    refused,
    request,
    run,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent.parent
#: what a server path in a message looks like
SERVER_PATHS = re.compile(r"(/work/|site-packages|\.venv|/usr/lib|/tmp/|Traceback \(most recent call last\))")


# --------------------------------------------------------------------------
# servers


def launch(tmp: Path, data: Path, *args: str, env: dict | None = None, ready: str = "") -> Server:
    """`wqm serve` on ``data`` with ``env`` added; ready when it answers (and ``ready`` is in its log)."""
    port, token = free_port(), "test-token-123"
    log = tmp / "serve.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wqm_nb.cli",
            "serve",
            "--data",
            str(data),
            "--port",
            str(port),
            "--token",
            token,
            *args,
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        cwd=tmp,
    )
    server = Server(port, token, data, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("wqm serve exited:\n" + log.read_text())
        try:
            if server.get("/voila/static/voila.js", timeout=2)[0] == 200 and ready in log.read_text():
                return server
        except OSError:
            pass
        time.sleep(0.2)
    kill(server)
    raise RuntimeError("wqm serve did not start:\n" + log.read_text())


def store_copy(tmp: Path) -> Path:
    from wqm_nb.store import build_database

    return build_database(REPO / "sample_data", tmp / "wqm.sqlite")


@pytest.fixture
def fresh_server(tmp_path):
    """A server of its own, for an attack that may freeze it (killed in teardown)."""
    server = launch(tmp_path, store_copy(tmp_path), "--no-preheat", "--max-kernels", "3")
    yield server
    kill(server)


@pytest.fixture(scope="module")
def frame_server(tmp_path_factory):
    """A server for malformed frames that cannot freeze it once fixed (killed in teardown)."""
    tmp = tmp_path_factory.mktemp("frames")
    server = launch(tmp, store_copy(tmp), "--no-preheat", "--max-kernels", "3")
    yield server
    kill(server)


@pytest.fixture(scope="module")
def frame_page(frame_server):
    """A consultant's page on the frame server, whose kernel the malformed frames are sent to."""
    page = load_page(frame_server, f"/?token={frame_server.token}&school=NLT03")
    yield page
    if alive(frame_server, 2):
        close_page(frame_server, page)


@pytest.fixture(scope="module")
def attack_server(tmp_path_factory):
    """A server with a preheated kernel, as deployed, for the kernel-ownership attacks."""
    tmp = tmp_path_factory.mktemp("attacks")
    server = start_server(tmp, "--max-kernels", "8")
    yield server
    kill(server)


# --------------------------------------------------------------------------
# 1. frames


def test_eight_bytes_of_0xff_close_the_socket_and_the_server_keeps_answering(fresh_server):
    page = load_page(fresh_server, f"/?token={fresh_server.token}&school=NLT03")

    async def attack():
        ws = await connect(fresh_server, page.kernel_id, page.cookies)
        await ws.write_message(b"\xff" * 8, binary=True)
        return await closed_with(ws)

    try:
        code = run(attack(), timeout=20)
    except asyncio.TimeoutError:
        code = "no answer"
    assert alive(fresh_server), "the server froze"
    assert code == 1008


def test_a_widget_echo_without_the_subprotocol_cannot_freeze_the_server(fresh_server):
    """No subprotocol: the older protocol, whose echoed binary message Voila read as v1 (a count of 8.6e17)."""
    page = load_page(fresh_server, f"/?token={fresh_server.token}&school=NLT03")

    async def attack():
        try:
            ws = await connect(fresh_server, page.kernel_id, page.cookies, v1=False)
        except HTTPClientError as exc:
            return exc.code
        await ws.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": "1",
                        "msg_type": "comm_info_request",
                        "username": "",
                        "session": "a",
                        "date": "",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {},
                    "channel": "shell",
                }
            )
        )
        comms = []
        for _, content, _ in await collect(ws, 15, until="comm_info_reply"):
            comms = list(content.get("comms", {})) or comms
        for comm in comms:
            msg = {
                "header": {
                    "msg_id": uuid.uuid4().hex,
                    "msg_type": "comm_msg",
                    "username": "",
                    "session": "a",
                    "date": "",
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "channel": "shell",
                "content": {
                    "comm_id": comm,
                    "data": {"method": "update", "state": {"description": None}, "buffer_paths": [["description"]]},
                },
                "buffers": [b"echo me"],
            }
            await ws.write_message(serialize_binary_message(msg), binary=True)
        await collect(ws, 3)
        return 101

    try:
        status = run(attack(), timeout=40)
    except asyncio.TimeoutError:
        status = "no answer"
    assert alive(fresh_server), "the server froze"
    assert status == 400  # only v1 is spoken


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(lambda good: good[:-1], id="shorter-than-its-offsets"),
        pytest.param(lambda good: good[:8] + (10**9).to_bytes(8, "little") + good[16:], id="offset-out-of-range"),
        pytest.param(lambda good: good[:16] + good[24:32] + good[16:24] + good[32:], id="decreasing-offsets"),
        pytest.param(lambda good: (7).to_bytes(8, "little") + good[8:], id="count-past-the-table"),
        pytest.param(lambda good: b"\x00" * 8 + good[8:], id="no-offsets"),
        pytest.param(lambda good: "a text frame", id="text-frame"),
        pytest.param(lambda good: (2**40).to_bytes(8, "little") + good[8:], id="huge-count"),
    ],
)
def test_a_malformed_frame_closes_the_socket(frame_server, frame_page, frame):
    if not alive(frame_server):
        pytest.fail("the frame server froze in an earlier test")
    bad = frame(message("kernel_info_request", {}))

    async def attack():
        ws = await connect(frame_server, frame_page.kernel_id, frame_page.cookies)
        await ws.write_message(bad, binary=isinstance(bad, bytes))
        return await closed_with(ws)

    try:
        code = run(attack(), timeout=20)
    except asyncio.TimeoutError:
        code = "no answer"
    assert alive(frame_server), "the server froze"
    assert code == 1008


@pytest.mark.parametrize("claimed", [2**40, 11 * 2**20 + 1])
def test_a_message_over_the_limit_is_refused_before_it_is_read(frame_server, frame_page, claimed):
    """A frame header claiming more than 11 MiB, and nothing after it: refused with 1009 (message too big)."""
    code = oversized_message_close_code(frame_server, frame_page, claimed)
    assert code == 1009
    assert alive(frame_server)


def test_an_upload_at_the_forms_limit_fits_in_one_message(frame_server, frame_page):
    """The survey import form takes a 10 MB file, sent in one message: the limit leaves room for it."""
    from wqm_nb.ui.survey_import_app import UPLOAD_LIMIT_MB

    page = frame_page
    upload = message(
        "comm_msg",
        {"comm_id": "0" * 32, "data": {"method": "update", "state": {"value": None}, "buffer_paths": [["value"]]}},
        buffers=(b"x" * (UPLOAD_LIMIT_MB * 2**20),),
    )

    async def send():
        ws = await connect(frame_server, page.kernel_id, page.cookies)
        await ws.write_message(upload, binary=True)
        await ws.write_message(message("kernel_info_request", {}), binary=True)
        got = await collect(ws, 20, until="kernel_info_reply")
        ws.close()
        return ws.close_code, [m[0] for m in got]

    code, types = run(send(), timeout=40)
    assert "kernel_info_reply" in types, (code, types)


# --------------------------------------------------------------------------
# 2. kernels belong to their page load


def test_another_page_loads_kernel_is_refused(attack_server):
    mine, theirs = link_page(attack_server, "NLT01"), link_page(attack_server, "NLT05")
    try:
        # the attacker's own cookies (a valid link for NLT01, its page's kernel cookie) on the other kernel
        assert run(refused(attack_server, theirs.kernel_id, mine.cookies)) == 403
        headers = {"Cookie": cookie_header(mine.cookies), "X-XSRFToken": mine.cookies["_xsrf"]}
        assert request(attack_server, f"/api/kernels/{theirs.kernel_id}", headers=headers).status == 403
        assert request(attack_server, f"/api/kernels/{theirs.kernel_id}", "DELETE", headers=headers).status == 403
        assert (
            request(
                attack_server,
                f"/voila/api/shutdown/{theirs.kernel_id}",
                "POST",
                headers=headers,
                body=f"_xsrf={mine.cookies['_xsrf']}".encode(),
            ).status
            == 403
        )
        # the other page's link cookie without its kernel cookie; the consultant's token on another browser
        link_only = {k: v for k, v in theirs.cookies.items() if k != "wqm-kernel"}
        token = {"Authorization": f"token {attack_server.token}"}
        assert run(refused(attack_server, theirs.kernel_id, link_only)) == 403
        assert run(refused(attack_server, theirs.kernel_id, {}, headers=token)) == 403
        assert run(refused(attack_server, theirs.kernel_id, {}, query=f"&token={attack_server.token}")) == 403
        assert request(attack_server, f"/api/kernels/{theirs.kernel_id}", headers=token).status == 403
        assert request(attack_server, f"/api/kernels/{theirs.kernel_id}", "DELETE", headers=token).status == 403
        # the owner: its websocket opens and the kernel is there
        assert run(refused(attack_server, theirs.kernel_id, theirs.cookies)) == 101
        owner = {"Cookie": cookie_header(theirs.cookies)}
        assert request(attack_server, f"/api/kernels/{theirs.kernel_id}", headers=owner).status == 200
    finally:
        close_page(attack_server, mine)
        close_page(attack_server, theirs)


def test_the_kernel_cookie_is_httponly_strict_and_limited_to_its_kernel(attack_server):
    page = link_page(attack_server, "NLT02")
    try:
        kernel_cookies = [c for c in page.set_cookies if c.startswith("wqm-kernel=")]
        paths = sorted(re.search(r"Path=([^;]+)", c).group(1) for c in kernel_cookies)
        assert paths == [f"/api/kernels/{page.kernel_id}", f"/voila/api/shutdown/{page.kernel_id}"]
        for cookie in kernel_cookies:
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie  # plain http here
    finally:
        close_page(attack_server, page)


# --------------------------------------------------------------------------
# 3. /voila/query/<id>


def _pool_kernel(server: Server, taken: set[str], seconds: float = 60) -> str:
    """The id of the preheated kernel waiting for the next viewer (from the server's log)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        log = server.log.read_text()
        started = re.findall(r"Kernel started: ([0-9a-f-]{36})", log)
        gone = set(re.findall(r"Kernel shutdown: ([0-9a-f-]{36})", log))
        used = set(re.findall(r"Using pre-heated kernel: ([0-9a-f-]{36})", log))
        waiting = [k for k in started if k not in gone | used | taken]
        if len(waiting) == 1:
            return waiting[0]
        time.sleep(0.3)
    raise AssertionError("no preheated kernel waiting")


def test_voila_query_answers_only_the_kernel_itself(attack_server):
    """The attack: wait on the preheated kernel's query, then a consultant opens a page."""
    pool = _pool_kernel(attack_server, set())

    async def listen(path: str, headers: dict | None = None, seconds: float = 60) -> tuple[int, str | None]:
        try:
            ws = await websocket_connect(
                HTTPRequest(
                    f"ws://127.0.0.1:{attack_server.port}{path}",
                    headers=headers or {},
                    request_timeout=10,
                    connect_timeout=10,
                )
            )
        except HTTPClientError as exc:
            return exc.code, None
        try:
            return 101, await asyncio.wait_for(ws.read_message(), seconds)
        except asyncio.TimeoutError:
            return 101, None
        finally:
            ws.close()

    async def attack():
        listener = asyncio.ensure_future(listen(f"/voila/query/{pool}"))
        await asyncio.sleep(0.5)
        loop = asyncio.get_running_loop()
        try:
            viewer = await loop.run_in_executor(
                None, lambda: request(attack_server, f"/?token={attack_server.token}&school=NLT03", timeout=45)
            )
        except OSError as exc:
            viewer = exc
        return await listener, viewer

    (status, stolen), viewer = run(attack(), timeout=120)
    assert stolen is None, f"the attacker read {stolen}"
    assert status == 403
    assert isinstance(viewer, Response) and viewer.status == 200 and b"Fellside" in viewer.body, "the page hung"
    close_page(
        attack_server,
        Page(re.search(r'"kernelId": "([0-9a-f-]{36})"', viewer.body.decode()).group(1), viewer.cookies, "", []),
    )

    # with credentials: the consultant's token, a link's cookies, a made-up kernel key
    other = link_page(attack_server, "NLT02")
    close_page(attack_server, other)
    pool = _pool_kernel(attack_server, {other.kernel_id})
    for path, headers in [
        (f"/voila/query/{pool}?token={attack_server.token}", None),
        (f"/voila/query/{pool}", {"Authorization": f"token {attack_server.token}"}),
        (f"/voila/query/{pool}", {"Cookie": cookie_header(other.cookies)}),
        (f"/wqm-kernel/{'A' * 43}/voila/query/{pool}", None),
    ]:
        assert run(listen(path, headers, seconds=1)) == (403, None), path


# --------------------------------------------------------------------------
# 4. shutdown and restart from the page


def test_shutdown_and_restart_requests_from_the_page_are_dropped(attack_server):
    page = link_page(attack_server, "NLT06")

    async def attack():
        ws = await connect(attack_server, page.kernel_id, page.cookies)
        before = await comm_ids(ws)
        replies = []
        for restart in (False, True):
            await ws.write_message(message("shutdown_request", {"restart": restart}, channel="control"), binary=True)
            replies += [m[0] for m in await collect(ws, 3)]
            try:
                after = await comm_ids(ws)
            except AssertionError:
                after = []
        ws.close()
        return before, after, replies

    try:
        before, after, replies = run(attack(), timeout=60)
        assert "shutdown_reply" not in replies
        assert before and after == before  # the same kernel, its widgets intact
        assert f"kernel {page.kernel_id} restarted" not in attack_server.log.read_text()
    finally:
        close_page(attack_server, page)
    # closing the tab still frees the kernel at once (and only for its owner)
    assert f"Kernel shutdown: {page.kernel_id}" in attack_server.log.read_text()


# --------------------------------------------------------------------------
# 5. tracebacks


def test_kernel_tracebacks_reach_the_browser_only_as_an_error_id(attack_server):
    page = link_page(attack_server, "NLT07")

    async def attack():
        ws = await connect(attack_server, page.kernel_id, page.cookies)
        for comm in await comm_ids(ws):  # an index no dropdown has: a TraitError in the kernel
            await ws.write_message(
                message(
                    "comm_msg",
                    {"comm_id": comm, "data": {"method": "update", "state": {"index": 999}, "buffer_paths": []}},
                ),
                binary=True,
            )
        got = await collect(ws, 6)
        ws.close()
        return got

    try:
        got = run(attack(), timeout=60)
    finally:
        close_page(attack_server, page)
    errors = [content for msg_type, content, _ in got if msg_type == "error"]
    assert errors, "no error came back"
    for msg_type, _content, raw in got:
        assert not SERVER_PATHS.search(raw.decode()), f"{msg_type}: {raw[:300]!r}"
    ids = set(re.findall(r"error id ([0-9a-f]{8})", json.dumps(errors)))
    assert ids
    log = attack_server.log.read_text()
    for error_id in ids:
        assert re.search(rf"error id {error_id}.*\n.*TraitError", log), error_id


def test_a_failed_notebook_page_shows_only_an_error_id(fresh_server):
    with sqlite3.connect(fresh_server.data) as conn:  # the report's survey answers are gone
        conn.execute("DROP TABLE survey_answers")
    response = request(fresh_server, f"/?token={fresh_server.token}&school=NLT03")
    body = response.body.decode()
    assert not SERVER_PATHS.search(body), SERVER_PATHS.search(body).group(0)
    assert "show_tracebacks" not in body
    error_id = re.search(r"error id ([0-9a-f]{8})", body).group(1)
    assert re.search(rf"error id {error_id}[^\n]*\n.*survey_answers", fresh_server.log.read_text())


# --------------------------------------------------------------------------
# 6, 7. cookies behind https; temporary folders


def test_cookies_are_secure_behind_https_and_no_temporary_folder_is_left(tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    server = launch(
        tmp_path,
        store_copy(tmp_path),
        "--no-preheat",
        "--public-url",
        "https://wellbeing.trust.example",
        env={"TMPDIR": str(temp)},
    )
    try:
        page = link_page(server, "NLT03")
        consultant = request(server, f"/?token={server.token}&school=NLT03")
        cookies = page.set_cookies + consultant.set_cookies
        for cookie in cookies:
            assert "; Secure" in cookie, cookie
        assert {"wqm-link", "wqm-kernel", "_xsrf"} <= {c.split("=", 1)[0] for c in cookies}
    finally:
        kill(server)
    assert not list(temp.glob("wqm-serve-*"))


def test_no_temporary_folder_is_left_by_a_csv_folder(tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    data = tmp_path / "csv"
    shutil.copytree(REPO / "sample_data", data)
    server = launch(tmp_path, data, "--no-preheat", env={"TMPDIR": str(temp)})
    try:
        assert list(temp.glob("wqm-serve-*")), "the CSV folder is imported into a temporary folder"
    finally:
        kill(server)
    assert not list(temp.glob("wqm-serve-*"))
