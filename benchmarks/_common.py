"""Helpers the benchmark scripts share: the ``wqm`` command, the machine, and a process tree's peak memory."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil


def wqm_command() -> list[str]:
    """The ``wqm`` script beside this Python (the venv's), else ``python -m wqm_nb.cli``."""
    script = Path(sys.executable).parent / "wqm"
    return [str(script)] if script.exists() else [sys.executable, "-m", "wqm_nb.cli"]


def machine() -> str:
    """One line: CPU model, cores usable, memory, OS and Python."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{model}, {cores} cores, {memory:.0f} GB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def _memory(proc: psutil.Process) -> int:
    info = proc.memory_full_info()
    return getattr(info, "pss", info.rss)


class TreePeak:
    """Samples, every ``interval`` seconds, the memory of some processes and all their descendants (summed)
    and keeps the highest total: the peak memory of a whole process tree. Each process counts its
    proportional set size (PSS: private pages, plus shared pages divided among the processes sharing them)
    where the system reports it (Linux), else its resident set size, which counts a shared library once
    per process."""

    def __init__(self, pids: list[int], interval: float = 0.2):
        self.pids = list(pids)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _total(self) -> int:
        seen: set[int] = set()
        total = 0
        for pid in self.pids:
            try:
                root = psutil.Process(pid)
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            for proc in tree:
                if proc.pid in seen:
                    continue
                seen.add(proc.pid)
                try:
                    total += _memory(proc)
                except psutil.Error:
                    pass
        return total

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            time.sleep(self.interval)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20


def run_measured(cmd: list[str], env: dict, log: Path, also: list[int] = ()) -> tuple[float, float, int]:
    """Run ``cmd`` to the end: (wall seconds, peak MB of its process tree plus the trees of ``also``, exit
    status). Its output goes to ``log``."""
    with log.open("ab") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        with TreePeak([proc.pid, *also]) as peak:
            status = proc.wait()
        return time.perf_counter() - start, peak.peak_mb, status
