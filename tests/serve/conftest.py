"""A real `wqm serve` on a free loopback port, for the server and browser tests."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Server:
    port: int
    token: str
    data: Path
    process: subprocess.Popen
    log: Path
    link_args: tuple[str, ...] = ()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, headers: dict | None = None, timeout: float = 120) -> tuple[int, dict, bytes]:
        """GET without following redirects: (status, headers, body)."""

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with opener.open(request, timeout=timeout) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def old_link(self, school: str, year: str = "", page: str = "report") -> str:
        """A link as wqm signed them before links carried an id (school, year or any year, expiry)."""
        from wqm_nb.serve.links import load_secret, sign

        expires = int(time.time()) + 3600
        sig = sign(load_secret(self.data), school, year, expires, page)
        return f"{self.base}/?school={school}&year={year}&expires={expires}&sig={sig}"

    def links(self, *extra: str) -> list[str]:
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
                *self.link_args,
                *extra,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return [line.split()[1] for line in done.stdout.splitlines()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    tmp: Path,
    *args: str,
    command: tuple[str, ...] = ("serve",),
    notebook: str = "school_report.ipynb",
    link_args: tuple[str, ...] = (),
) -> Server:
    from wqm_nb.store import build_database

    data = build_database(Path(__file__).resolve().parent.parent.parent / "sample_data", tmp / "wqm.sqlite")
    port, token = free_port(), "test-token-123"
    if command == ("serve",) and not {"--ready", "--no-preheat"} & set(args):
        args = ("--ready", "1", *args)  # one warm kernel is enough for a test (the default warms one per place)
    log = tmp / "serve.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wqm_nb.cli",
            *command,
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
        env=env,
        cwd=tmp,
    )
    server = Server(port, token, data, process, log, link_args)
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("wqm serve exited:\n" + log.read_text())
        try:
            if server.get("/voila/static/voila.js", timeout=2)[0] in (200, 304):
                if "--no-preheat" in args or f"pool of {notebook} is filled" in log.read_text():
                    return server
        except OSError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError("wqm serve did not start:\n" + log.read_text())


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    s = start_server(tmp_path_factory.mktemp("serve"), "--max-kernels", "6")
    yield s
    stop_server(s)


@pytest.fixture(scope="package")
def survey_server(tmp_path_factory):
    """A real `wqm survey serve` (the survey import form) on the sample store."""
    s = start_server(
        tmp_path_factory.mktemp("survey-serve"),
        "--max-kernels",
        "3",
        "--no-preheat",
        command=("survey", "serve"),
        notebook="survey_import.ipynb",
        link_args=("--page", "survey-import"),
    )
    yield s
    stop_server(s)


@pytest.fixture(scope="package")
def capture_server(tmp_path_factory):
    """A real `wqm capture NLT03 --year 2025-26` (the self-evaluation form) on a copy of the sample store."""
    s = start_server(
        tmp_path_factory.mktemp("capture"),
        "--year",
        "2025-26",
        "--max-kernels",
        "3",
        "--no-preheat",
        command=("capture", "NLT03"),
        notebook="sef_capture.ipynb",
        link_args=("--page", "capture"),
    )
    yield s
    stop_server(s)
