"""Start and stop a `wqm serve` for the benchmarks (loopback only), measure its process tree, and be a viewer's
browser over plain HTTP: cookies kept per path, the page's tab-close, and the live page's widgets read over the
kernel websocket as the page's own script reads them."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
V1 = "v1.kernel.websocket.jupyter.org"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 300) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def sample_store(work: Path, schools: int = 10, seed: int = 1) -> Path:
    """A store of ``wqm sample --schools N --seed S``, written as CSV to ``work`` and imported with ``wqm import``."""
    csv, store = work / "sample-csv", work / "wqm.sqlite"
    wqm = [sys.executable, "-m", "wqm_nb.cli"]
    subprocess.run(
        [*wqm, "sample", "--schools", str(schools), "--seed", str(seed), "--out", str(csv)],
        check=True,
        capture_output=True,
    )
    subprocess.run([*wqm, "import", str(csv), "--data", str(store)], check=True, capture_output=True)
    return store


class Served:
    """A running `wqm serve` on the sample data (or on ``data``, a store); ready when it answers, its kept-ready
    kernels have started and (``static_pages``) every school's static page is rendered."""

    def __init__(
        self,
        *args: str,
        token: str = "bench-token",
        data: Path | None = None,
        static_pages: bool = False,
        timeout: float = 90,
    ):
        from wqm_nb.store import build_database

        self.work = Path(tempfile.mkdtemp(prefix="wqm-bench-"))
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
            os.environ.setdefault(var, str(self.work / var.lower()))
        self.data = data or build_database(REPO / "sample_data", self.work / "wqm.sqlite")
        self.port, self.token = free_port(), token
        self.log = self.work / "serve.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "wqm_nb.cli",
                "serve",
                "--data",
                str(self.data),
                "--port",
                str(self.port),
                "--token",
                token,
                *args,
            ],
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            cwd=self.work,
        )
        self.preheat = "--no-preheat" not in args
        self.static_pages = static_pages
        self.wait_ready(timeout=timeout)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fills(self) -> int:
        """How often the preheated kernel pool has been (re)filled so far."""
        return self.log.read_text().count("is filled") if self.log.exists() else 0

    def wait_ready(self, fills_before: int = 0, timeout: float = 90) -> None:
        """Until the server answers and, with preheat, its pool has filled more than ``fills_before`` times."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log.read_text())
            try:
                up = get(self.base + "/voila/static/voila.js", timeout=2)[0] == 200
            except OSError:
                up = False
            if (
                up
                and (not self.preheat or self.fills() > fills_before)
                and (not self.static_pages or "static pages ready" in self.log.read_text())
            ):
                return
            time.sleep(0.2)
        raise RuntimeError("server not ready:\n" + self.log.read_text())

    def links(self, *schools: str) -> list[str]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "wqm_nb.cli",
                "links",
                "--data",
                str(self.data),
                "--base-url",
                self.base,
                "--schools",
                *schools,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return [line.split()[1] for line in done.stdout.splitlines()]

    def tree_rss_mb(self) -> float:
        """Resident memory of the server and every process below it, in MB."""
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):
                continue
        total, todo = 0, [self.process.pid]
        while todo:
            pid = todo.pop()
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
            todo += children.get(pid, [])
        return total / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def tree_cpu_idle(
    pid: int, below: float = 10.0, seconds: float = 2.0, timeout: float = 120, kernels: int | None = None
) -> float:
    """Wait until the process tree of ``pid`` has ``kernels`` kernel processes (if given) and uses under ``below``
    % of one core over ``seconds`` (kept-ready kernels finish their warm-up, and the render worker its pages,
    after the server says they started); returns the seconds waited."""
    import psutil

    start = time.monotonic()
    root = psutil.Process(pid)
    while time.monotonic() - start < timeout:
        procs = [root, *root.children(recursive=True)]
        if kernels is not None:
            running = 0
            for proc in procs:
                try:
                    running += "ipykernel_launcher" in " ".join(proc.cmdline())
                except psutil.Error:
                    pass
            if running != kernels:
                time.sleep(0.5)
                continue
        before = {}
        for proc in procs:
            try:
                before[proc.pid] = (proc, sum(proc.cpu_times()[:2]))
            except psutil.Error:
                pass
        time.sleep(seconds)
        used = 0.0
        for proc, cpu in before.values():
            try:
                used += sum(proc.cpu_times()[:2]) - cpu
            except psutil.Error:
                pass
        if used / seconds * 100 < below:
            return time.monotonic() - start
    return time.monotonic() - start


# --------------------------------------------------------------------------
# a viewer's browser


class Browser:
    """One viewer's browser over plain HTTP to the server on 127.0.0.1: cookies kept and sent to their paths."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.jar: dict[tuple[str, str], str] = {}  # (name, path) -> value

    def cookies_for(self, path: str) -> dict[str, str]:
        sent: dict[str, str] = {}
        for (name, cookie_path), value in sorted(self.jar.items(), key=lambda item: len(item[0][1])):
            if cookie_path == "/" or path == cookie_path or path.startswith(cookie_path.rstrip("/") + "/"):
                sent[name] = value
        return sent

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 120
    ) -> tuple[int, str]:
        cookies = self.cookies_for(path.split("?", 1)[0])
        all_headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        all_headers.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            for set_cookie in response.headers.get_all("Set-Cookie") or []:
                name, value = set_cookie.split(";", 1)[0].split("=", 1)
                found = re.search(r";\s*Path=([^;]+)", set_cookie, re.I)
                self.jar[(name, found.group(1) if found else "/")] = value
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def close(self, kernel_id: str) -> int:
        """What a live page does when its tab closes: post to /voila/api/shutdown/<id> with its _xsrf."""
        xsrf = self.cookies_for("/").get("_xsrf", "")
        return self.request(
            "POST",
            f"/voila/api/shutdown/{kernel_id}",
            body=f"_xsrf={xsrf}".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=30,
        )[0]

    def leave(self, query: str) -> int:
        """What a static page does when its tab closes: it leaves the line."""
        return self.request("GET", f"/wqm/place?{query}&wqm=leave", timeout=30)[0]

    def place(self, query: str) -> dict:
        """What a static page's script asks: is a live place free for me?"""
        status, body = self.request("GET", f"/wqm/place?{query}", timeout=30)
        return json.loads(body) if status == 200 else {"free": False, "status": status}

    def widget_html(self, kernel_id: str, timeout: float = 30) -> list[str]:
        """The HTML the widgets of a live page show, read as the page's widget manager reads it: over the
        kernel websocket (the page's cookies, the v1 subprotocol), a ``jupyter.widget.control`` comm asks
        ``request_states``."""
        return asyncio.run(asyncio.wait_for(self._widget_html(kernel_id), timeout))

    async def _widget_html(self, kernel_id: str) -> list[str]:
        from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        path = f"/api/kernels/{kernel_id}/channels"
        cookies = "; ".join(f"{k}={v}" for k, v in self.cookies_for(path).items())
        ws = await websocket_connect(
            HTTPRequest(f"ws://127.0.0.1:{self.port}{path}?session_id={uuid.uuid4().hex}", headers={"Cookie": cookies}),
            subprotocols=[V1],
            max_message_size=64 * 2**20,
        )
        comm = uuid.uuid4().hex

        def frame(msg_type: str, content: dict, metadata: dict | None = None) -> bytes:
            header = {
                "msg_id": uuid.uuid4().hex,
                "msg_type": msg_type,
                "username": "",
                "session": "bench",
                "date": "",
                "version": "5.3",
            }
            return serialize_msg_to_ws_v1(
                [json.dumps(p).encode() for p in (header, {}, metadata or {}, content)], "shell"
            )

        try:
            await ws.write_message(
                frame(
                    "comm_open",
                    {"comm_id": comm, "target_name": "jupyter.widget.control", "data": {}},
                    {"version": "1.0.0"},
                ),
                binary=True,
            )
            await ws.write_message(
                frame("comm_msg", {"comm_id": comm, "data": {"method": "request_states"}}), binary=True
            )
            while True:
                message = await ws.read_message()
                if message is None:
                    raise RuntimeError(f"the websocket closed ({ws.close_code})")
                if isinstance(message, str):
                    continue
                count = int.from_bytes(message[:8], "little")
                offsets = [int.from_bytes(message[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(count)]
                header = json.loads(message[offsets[1] : offsets[2]])
                if header.get("msg_type") != "comm_msg":
                    continue
                content = json.loads(message[offsets[4] : offsets[5]])
                data = content.get("data") or {}
                if content.get("comm_id") == comm and data.get("method") == "update_states":
                    return [
                        str(model["state"].get("value", ""))
                        for model in data["states"].values()
                        if isinstance(model.get("state", {}).get("value"), str)
                    ]
        finally:
            ws.close()


def kernel_of(html: str) -> str:
    """The kernel id of a live page ('' for any other page)."""
    found = re.search(r'"kernelId": "([0-9a-f-]{36})"', html)
    return found.group(1) if found else ""
