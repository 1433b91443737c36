"""Fifty leaders open their report links at once (issue 21, "50 leaders at once").

    .venv/bin/python benchmarks/serve_load.py [--viewers 50] [--schools 10] [--max-kernels N] [--ready N]

The data is ``wqm sample --schools 10 --seed 1``, written to a temporary folder and imported with ``wqm
import`` into a store. One ``wqm serve`` on 127.0.0.1 (``--max-kernels``: default, sized for the machine;
``--ready``: the server's default, one kernel kept ready per free place up to 4, unless given); the run starts once
it answers, its
kept-ready kernels have warmed up and every school's static page is rendered. Then:

1. **The burst.** ``viewers`` viewers open the report link of their school in the same moment (viewer *i*:
   school *i* mod ``schools``). Each must get, in under 5 s, a page that holds its school's header and the
   first tab: the static page's HTML, or for a live page the widgets' state, read over the kernel websocket
   as the page's own script reads it. Every answer must be 200: no 503.
2. **Reading.** The pages stay open :data:`HOLD_S` seconds; each static page asks ``/wqm/place`` as its
   script does.
3. **Closing.** Every tab closes: a live page posts its shutdown, a static page leaves the line.
4. **The next viewers.** Once the server has settled (its kept-ready kernels warm again, which the run
   times), ``--max-kernels`` new viewers open their links at once: each must get a live page (a kernel, not
   the static page) with its school's header and first tab within 3 s.

Throughout, the memory of the server's whole process tree (server, kernels, render worker; PSS) is sampled:
it must stay under 1.5 GB, and the server must answer afterwards. Prints the figures as table rows for docs/app.md.
Only loopback is used; every wait is bounded, and the run stops by itself.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TreePeak  # noqa: E402
from _serve import Browser, Served, get, kernel_of, sample_store, tree_cpu_idle  # noqa: E402

#: what each viewer must get, and how fast
PAGE_LIMIT_S = 5.0
NEXT_LIMIT_S = 3.0
MEMORY_LIMIT_MB = 1536
#: how long the viewers keep their pages open before closing them
HOLD_S = 6.0


def school_names(store: Path) -> dict[str, str]:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
        return dict(conn.execute("SELECT school_id, name FROM schools ORDER BY school_id"))


def shows_school(text: str, name: str) -> bool:
    """Whether a page (or a live page's widgets) holds the school's header and the first tab."""
    text = text.replace("&#39;", "'").replace("&#x27;", "'")
    return f"<h1>{name}</h1>" in text and 'id="self-evaluation"' in text


def open_report(port: int, path: str, name: str, start_together: threading.Barrier | None = None) -> dict:
    """One viewer opens a page: what it got, and how long until it held the school's header and first tab."""
    browser = Browser(port)
    if start_together is not None:
        start_together.wait()
    start = time.perf_counter()
    kind, error = "static", ""
    try:
        status, page = browser.request("GET", path, timeout=120)
    except OSError as exc:
        return {
            "status": 0,
            "kind": "error",
            "seconds": time.perf_counter() - start,
            "ok": False,
            "error": str(exc),
            "browser": browser,
            "kernel": "",
            "query": path.split("?", 1)[1],
        }
    kernel = kernel_of(page) if status == 200 else ""
    shown = page
    if kernel:
        kind = "live"
        try:
            shown = "\n".join(browser.widget_html(kernel))
        except Exception as exc:  # reported, not raised: the run goes on
            error, shown = f"widgets: {exc}", ""
    elif "<title>Preparing the report</title>" in page:
        kind = "preparing"
    seconds = time.perf_counter() - start
    return {
        "status": status,
        "kind": kind,
        "seconds": seconds,
        "ok": status == 200 and shows_school(shown, name),
        "error": error,
        "browser": browser,
        "kernel": kernel,
        "query": path.split("?", 1)[1],
    }


def close_tab(viewer: dict) -> None:
    if viewer["kernel"]:
        viewer["browser"].close(viewer["kernel"])
    elif viewer["status"] == 200:
        viewer["browser"].leave(viewer["query"])


def at_once(port: int, paths: list[tuple[str, str]]) -> list[dict]:
    """``paths`` (page, school name) opened by as many viewers at the same moment."""
    together = threading.Barrier(len(paths))
    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        return list(pool.map(lambda p: open_report(port, p[0], p[1], together), paths))


def run(
    viewers: int = 50,
    max_kernels: int | None = None,
    schools: int = 10,
    ready: int | None = None,
    hold: float = HOLD_S,
    then_next: bool = True,
) -> dict:
    """The whole run (see the module notes; ``hold``: seconds the pages stay open; ``then_next``: close them and
    open the next ones, else stop after the burst); returns its figures, and the seconds each phase took
    (``phases``)."""
    from wqm_nb.serve.app import default_max_kernels, default_ready

    cap = max_kernels or default_max_kernels()
    ready = default_ready(cap) if ready is None else ready
    work = Path(tempfile.mkdtemp(prefix="wqm-load-"))
    served = None
    phases: dict[str, float] = {}
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        phases[name] = time.perf_counter() - clock
        clock = time.perf_counter()

    try:
        store = sample_store(work, schools)
        names = school_names(store)
        phase("data")
        args = ["--cull-idle", "600", "--ready", str(ready)] + (
            ["--max-kernels", str(max_kernels)] if max_kernels else []
        )
        served = Served(*args, data=store, static_pages=True, timeout=300)
        links = dict(zip(sorted(names), served.links(*sorted(names)), strict=False))
        phase("start")
        warm_s = tree_cpu_idle(served.process.pid, kernels=ready or None)
        phase("warm")
        with TreePeak([served.process.pid], interval=0.25) as memory:
            idle_mb = memory._total() / 2**20
            order = [sorted(names)[i % len(names)] for i in range(viewers)]
            burst = at_once(served.port, [("/?" + links[s].split("?", 1)[1], names[s]) for s in order])
            phase("burst")
            for _ in range(int(hold // 3)):  # reading: the static pages ask for a place
                time.sleep(3)
                for viewer in burst:
                    if viewer["kind"] == "static":
                        viewer["browser"].place(viewer["query"])
            phase("hold")
            following, closed_s, settle_s = [], float("nan"), float("nan")
            if then_next:
                closing = time.perf_counter()
                with ThreadPoolExecutor(max_workers=16) as pool:
                    list(pool.map(close_tab, burst))
                closed_s = time.perf_counter() - closing
                settle_s = tree_cpu_idle(served.process.pid, kernels=ready or None)
                phase("close and settle")
                after = [sorted(names)[i % len(names)] for i in range(viewers, viewers + cap)]
                following = at_once(served.port, [("/?" + links[s].split("?", 1)[1], names[s]) for s in after])
                with ThreadPoolExecutor(max_workers=len(following)) as pool:
                    list(pool.map(close_tab, following))
                phase("next")
            peak_mb = memory.peak_mb
        alive = served.process.poll() is None and get(served.base + "/voila/static/voila.js")[0] == 200
    finally:
        if served is not None:
            served.stop()
        shutil.rmtree(work, ignore_errors=True)
        phase("stop")
    times = [v["seconds"] for v in burst]
    return {
        "viewers": viewers,
        "schools": len(names),
        "cap": cap,
        "ready": ready,
        "statuses": sorted({v["status"] for v in burst}),
        "served": sum(v["status"] == 200 for v in burst),
        "busy": sum(v["status"] == 503 for v in burst),
        "live": sum(v["kind"] == "live" for v in burst),
        "static": sum(v["kind"] == "static" for v in burst),
        "preparing": sum(v["kind"] == "preparing" for v in burst),
        "shown": sum(v["ok"] for v in burst),
        "in_time": sum(v["ok"] and v["seconds"] < PAGE_LIMIT_S for v in burst),
        "slowest_s": max(times),
        "median_s": statistics.median(times),
        "slowest_live_s": max((v["seconds"] for v in burst if v["kind"] == "live"), default=float("nan")),
        "slowest_static_s": max((v["seconds"] for v in burst if v["kind"] == "static"), default=float("nan")),
        "errors": sorted({v["error"] for v in burst + following if v["error"]}),
        "warm_s": warm_s,
        "closed_s": closed_s,
        "settle_s": settle_s,
        "next_live": sum(v["kind"] == "live" and v["ok"] for v in following),
        "next": len(following),
        "next_slowest_s": max((v["seconds"] for v in following), default=float("nan")),
        "next_in_time": sum(v["kind"] == "live" and v["ok"] and v["seconds"] < NEXT_LIMIT_S for v in following),
        "idle_mb": idle_mb,
        "peak_mb": peak_mb,
        "alive": alive,
        "phases": phases,
    }


def passed(r: dict) -> bool:
    """Whether the run met every target of the module notes."""
    return (
        r["served"] == r["viewers"]
        and r["in_time"] == r["viewers"]
        and r["peak_mb"] < MEMORY_LIMIT_MB
        and r["alive"]
        and r["next_in_time"] == r["next"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--max-kernels", type=int, default=None)
    parser.add_argument(
        "--ready", type=int, default=None, help="kernels kept ready (default: the server's, one per place up to 4)"
    )
    a = parser.parse_args()
    r = run(a.viewers, a.max_kernels, a.schools, a.ready)
    print(
        f"cap {r['cap']} live places, {r['ready']} kept ready; {r['schools']} schools; warm-up before the "
        f"burst {r['warm_s']:.0f} s; {r['closed_s']:.1f} s to close every tab, {r['settle_s']:.0f} s to settle"
    )
    print(
        "| viewers at once | answered 200 | 503 | live / static page | header and first tab in under 5 s | "
        "slowest live / static page s | median s | peak memory MB (PSS: server, kernels, render worker; "
        "idle) | server alive after | next viewers live within 3 s (slowest) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| {r['viewers']} | {r['served']} | {r['busy']} | {r['live']} / {r['static']} | {r['in_time']} of "
        f"{r['viewers']} | {r['slowest_live_s']:.1f} / {r['slowest_static_s']:.1f} | {r['median_s']:.1f} | "
        f"{r['peak_mb']:.0f} ({r['idle_mb']:.0f} idle) | {'yes' if r['alive'] else 'NO'} | {r['next_in_time']} of "
        f"{r['next']} ({r['next_slowest_s']:.1f} s) |"
    )
    if r["errors"] or r["preparing"] or r["statuses"] != [200]:
        print(f"statuses {r['statuses']}, preparing pages {r['preparing']}, errors {r['errors']}")
    print("all targets met" if passed(r) else "TARGETS MISSED")


if __name__ == "__main__":
    main()
