"""A raw client of a served page's kernel, as the page's JavaScript talks to it.

Load a page as a browser would (its kernel id from the HTML, the cookies it
set), open ``/api/kernels/<id>/channels`` with those cookies (tornado's
websocket client, the ``v1.kernel.websocket.jupyter.org`` subprotocol unless
told otherwise), build v1 frames exactly as jupyter_server serializes them,
and decode what comes back. Shared by the attack tests (``test_attacks.py``,
``test_widget_attacks.py``). Every wait is bounded; everything targets
127.0.0.1.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field

from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from .conftest import Server

V1 = "v1.kernel.websocket.jupyter.org"
#: the year the links of the attack tests are bound to
YEAR = "2025-26"


# --------------------------------------------------------------------------
# servers


def alive(server: Server, seconds: float = 5) -> bool:
    """Whether the server answers a plain HTTP request within ``seconds``."""
    try:
        return server.get("/voila/static/voila.js", timeout=seconds)[0] == 200
    except OSError:
        return False


def kill(server: Server) -> None:
    """Stop a server that may be frozen: SIGTERM, then SIGKILL after 5 s."""
    server.process.terminate()
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


# --------------------------------------------------------------------------
# pages, cookies, kernels


@dataclass
class Response:
    status: int
    body: bytes
    set_cookies: list[str]
    cookies: dict[str, str] = field(default_factory=dict)


def request(
    server: Server,
    path: str,
    method: str = "GET",
    headers: dict | None = None,
    body: bytes | None = None,
    timeout: float = 90,
) -> Response:
    """One HTTP request to the server, every ``Set-Cookie`` kept."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        set_cookies = response.headers.get_all("Set-Cookie") or []
        cookies = dict(c.split(";", 1)[0].split("=", 1) for c in set_cookies)
        return Response(response.status, response.read(), set_cookies, cookies)
    finally:
        conn.close()


@dataclass
class Page:
    kernel_id: str
    cookies: dict[str, str]
    html: str
    set_cookies: list[str]


def load_page(server: Server, path: str, timeout: float = 90) -> Page:
    """Load a page as a browser would; its kernel id and the cookies it set."""
    response = request(server, path, timeout=timeout)
    assert response.status == 200, (path, response.status, response.body[:300])
    html = response.body.decode()
    kernel_id = re.search(r'"kernelId": "([0-9a-f-]{36})"', html).group(1)
    return Page(kernel_id, response.cookies, html, response.set_cookies)


def link_page(server: Server, school: str, year: str = YEAR, *extra: str) -> Page:
    """Load the page of a link the server's ``wqm links`` signs for ``school`` and ``year`` (``extra``: more
    of its options)."""
    link = server.links("--schools", school, "--year", year, *extra)[0]
    return load_page(server, "/?" + link.split("?", 1)[1])


def cookie_header(*jars: dict[str, str]) -> str:
    merged: dict[str, str] = {}
    for jar in jars:
        merged.update(jar)
    return "; ".join(f"{k}={v}" for k, v in merged.items())


def close_page(server: Server, page: Page) -> None:
    """What the page does when its tab closes: post to /voila/api/shutdown/<id> with its _xsrf."""
    request(
        server,
        f"/voila/api/shutdown/{page.kernel_id}",
        "POST",
        headers={"Cookie": cookie_header(page.cookies), "Content-Type": "application/x-www-form-urlencoded"},
        body=f"_xsrf={page.cookies.get('_xsrf', '')}".encode(),
        timeout=20,
    )


def run(coroutine, timeout: float = 30):
    """Run a coroutine to the end, or fail after ``timeout`` seconds."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def connect(
    server: Server,
    kernel_id: str,
    cookies: dict[str, str],
    v1: bool = True,
    query: str = "",
    headers: dict | None = None,
    max_message_size: int = 10 * 2**20,
) -> WebSocketClientConnection:
    """The kernel's websocket with ``cookies`` (the page's own, or an attacker's), as the page opens it."""
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}{query}"
    all_headers = {"Cookie": cookie_header(cookies)} if cookies else {}
    all_headers.update(headers or {})
    return await websocket_connect(
        HTTPRequest(url, headers=all_headers, request_timeout=20, connect_timeout=10),
        subprotocols=[V1] if v1 else None,
        max_message_size=max_message_size,
    )


async def refused(server: Server, kernel_id: str, cookies: dict[str, str], **kwargs) -> int:
    """The HTTP status a websocket handshake gets (101 if it was accepted)."""
    try:
        ws = await connect(server, kernel_id, cookies, **kwargs)
    except HTTPClientError as exc:
        return exc.code
    ws.close()
    return 101


def message(
    msg_type: str, content: dict, channel: str = "shell", buffers: tuple[bytes, ...] = (), msg_id: str = ""
) -> bytes:
    """A v1 frame, serialized exactly as jupyter_server does it (``msg_id``: its header's, else a new one)."""
    parts = [
        json.dumps(p).encode()
        for p in (
            {
                "msg_id": msg_id or uuid.uuid4().hex,
                "msg_type": msg_type,
                "username": "",
                "session": "attacker",
                "date": "",
                "version": "5.3",
            },
            {},
            {},
            content,
        )
    ]
    return serialize_msg_to_ws_v1([*parts, *buffers], channel)


def decode(frame: bytes | str) -> tuple[str, dict, bytes]:
    """(msg_type, content, raw content) of a frame from the server (v1 or the older JSON)."""
    if isinstance(frame, str):
        msg = json.loads(frame)
        return msg["header"]["msg_type"], msg["content"], frame.encode()
    count = int.from_bytes(frame[:8], "little")
    assert count < 1000
    offsets = [int.from_bytes(frame[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(count)]
    raw = frame[offsets[4] : offsets[5]]
    return json.loads(frame[offsets[1] : offsets[2]])["msg_type"], json.loads(raw), raw


@dataclass
class Message:
    """A whole message from the kernel: its channel, header, parent header, content and binary buffers."""

    channel: str
    header: dict
    parent: dict
    content: dict
    buffers: list[bytes]

    @property
    def msg_type(self) -> str:
        return self.header.get("msg_type", "")


def unpack(frame: bytes) -> Message:
    """A v1 frame from the server, every part of it."""
    count = int.from_bytes(frame[:8], "little")
    assert 6 <= count < 5000, count
    offsets = [int.from_bytes(frame[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(count)]
    parts = [frame[offsets[i] : offsets[i + 1]] for i in range(count - 1)]
    return Message(
        parts[0].decode(),
        json.loads(parts[1]),
        json.loads(parts[2]),
        json.loads(parts[4]),
        [bytes(b) for b in parts[5:]],
    )


async def collect(ws: WebSocketClientConnection, seconds: float, until: str = "") -> list[tuple[str, dict, bytes]]:
    """The messages that arrive within ``seconds`` (or up to the first ``until`` message)."""
    got = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = await asyncio.wait_for(ws.read_message(), left)
        except asyncio.TimeoutError:
            break
        if frame is None:
            break
        got.append(decode(frame))
        if until and got[-1][0] == until:
            break
    return got


async def comm_ids(ws: WebSocketClientConnection) -> list[str]:
    await ws.write_message(message("comm_info_request", {}), binary=True)
    replies = [m for m in await collect(ws, 15, until="comm_info_reply") if m[0] == "comm_info_reply"]
    assert replies, "no comm_info_reply"
    return list(replies[0][1]["comms"])


async def closed_with(ws: WebSocketClientConnection, seconds: float = 5) -> int | None:
    """The close code once the server closes the socket (None if it stays open ``seconds``)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            if await asyncio.wait_for(ws.read_message(), left) is None:
                return ws.close_code
        except asyncio.TimeoutError:
            break
    return None


def close_code_from(s: socket.socket, data: bytes, seconds: float) -> int | None:
    """Read a server's websocket frames from a raw socket until its close frame: the close code."""
    deadline = time.monotonic() + seconds
    s.settimeout(1)
    while time.monotonic() < deadline:
        while len(data) >= 2:
            opcode, length, start = data[0] & 0x0F, data[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(data[2:4], "big"), 4
            elif length == 127:
                length, start = int.from_bytes(data[2:10], "big"), 10
            if len(data) < start + length:
                break
            if opcode == 0x8:
                return int.from_bytes(data[start : start + 2], "big")
            data = data[start + length :]
        try:
            chunk = s.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            return None
        data += chunk
    return None


def oversized_message_close_code(server: Server, page: Page, claimed: int, seconds: float = 10) -> int | None:
    """Open the page's kernel websocket by hand (v1, the page's cookies) and send one frame header claiming
    ``claimed`` bytes with nothing after it: the close code the server answers (1009: message too big)."""
    import os
    from base64 import b64encode

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(
            (
                f"GET /api/kernels/{page.kernel_id}/channels?session_id=big HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: {V1}\r\nCookie: {cookie_header(page.cookies)}\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 10000:
            head += s.recv(4096)
        assert head.startswith(b"HTTP/1.1 101"), head[:200]
        s.sendall(bytes([0x82, 0x80 | 127]) + claimed.to_bytes(8, "big") + os.urandom(4))
        return close_code_from(s, head.split(b"\r\n\r\n", 1)[1], seconds=seconds)
