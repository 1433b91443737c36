"""Many viewers at once: 20 leaders open their links in the same second.

    .venv/bin/python benchmarks/serve_load.py [--viewers 20] [--max-kernels N]

Every request must be served (200) or told to retry (503 "busy, try again
shortly"); nothing may fail otherwise, the server must still answer after the
burst, and the memory of the whole process tree (server and kernels) must
stay bounded by the kernel cap. Prints the counts, latencies and peak memory.
Only loopback is used; the run stops by itself.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serve import Served, get  # noqa: E402


def run(viewers: int = 20, max_kernels: int | None = None) -> dict:
    """Fire ``viewers`` signed-link page requests at once; return what happened."""
    args = ["--cull-idle", "60"] + (["--max-kernels", str(max_kernels)] if max_kernels else [])
    served = Served(*args)
    peak, stop = [served.tree_rss_mb()], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak.append(served.tree_rss_mb())
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    links = served.links(*(f"NLT0{i}" for i in range(1, 8)))
    urls = [links[i % len(links)] for i in range(viewers)]

    def open_page(url: str) -> tuple[int, float]:
        start = time.perf_counter()
        status, _ = get(url, timeout=300)
        return status, time.perf_counter() - start

    try:
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=viewers) as pool:
            results = list(pool.map(open_page, urls))
        wall = time.perf_counter() - start
        alive = served.process.poll() is None and get(served.base + "/voila/static/voila.js")[0] == 200
    finally:
        stop.set()
        sampler.join()
        served.stop()
    served_times = [t for s, t in results if s == 200]
    return {"viewers": viewers, "served": len(served_times), "busy": sum(s == 503 for s, _ in results),
            "other": sorted({s for s, _ in results} - {200, 503}), "wall_s": wall,
            "median_s": statistics.median(served_times) if served_times else float("nan"),
            "max_s": max(served_times, default=float("nan")), "peak_mb": max(peak), "alive": alive,
            "start_mb": peak[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--max-kernels", type=int, default=None)
    a = parser.parse_args()
    r = run(a.viewers, a.max_kernels)
    print("| viewers | served | told to retry | other | slowest served page s | median s | "
          "peak memory MB (server + kernels) | server alive after |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(f"| {r['viewers']} | {r['served']} | {r['busy']} | {r['other'] or 'none'} | {r['max_s']:.1f} | "
          f"{r['median_s']:.1f} | {r['peak_mb']:.0f} | {'yes' if r['alive'] else 'NO'} |")


if __name__ == "__main__":
    main()
