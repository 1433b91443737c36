"""Start and stop a `wqm serve` for the benchmarks (loopback only), and measure its process tree."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


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


class Served:
    """A running `wqm serve` on the sample data."""

    def __init__(self, *args: str, token: str = "bench-token"):
        from wqm_nb.store import build_database

        self.work = Path(tempfile.mkdtemp(prefix="wqm-bench-"))
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
            os.environ.setdefault(var, str(self.work / var.lower()))
        self.data = build_database(REPO / "sample_data", self.work / "wqm.sqlite")
        self.port, self.token = free_port(), token
        self.log = self.work / "serve.log"
        self.process = subprocess.Popen([sys.executable, "-m", "wqm_nb.cli", "serve", "--data", str(self.data),
                                         "--port", str(self.port), "--token", token, *args],
                                        stdout=self.log.open("w"), stderr=subprocess.STDOUT, cwd=self.work)
        self.preheat = "--no-preheat" not in args
        self.wait_ready()

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
            if up and (not self.preheat or self.fills() > fills_before):
                return
            time.sleep(0.2)
        raise RuntimeError("server not ready:\n" + self.log.read_text())

    def links(self, *schools: str) -> list[str]:
        done = subprocess.run([sys.executable, "-m", "wqm_nb.cli", "links", "--data", str(self.data),
                               "--base-url", self.base, "--schools", *schools], capture_output=True, text=True,
                              check=True)
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
