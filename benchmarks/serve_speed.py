"""How fast the leaders' app opens and switches school.

    .venv/bin/python benchmarks/serve_speed.py [--runs 5]

* first page: a GET of the report page until the whole page (rendered by the
  kernel) has arrived, with a preheated kernel and without one;
* switching school: the app's work when a viewer picks another school in the
  dropdown (load the school's assessment, redraw the header and the open tab),
  measured in-process on the same store.

Targets (issue 9): first page under 3 s with the preheated kernel; switching
school under 1 s. After each preheated page the benchmark waits for the pool to
refill and then ``SETTLE_S`` seconds, so every page meets a ready kernel (a
viewer who arrives while the kernel is still warming up waits for the rest of
its warm-up, at most about as long as the page without preheat).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serve import Served, get  # noqa: E402

SETTLE_S = 8


def first_pages(runs: int, *args: str) -> list[float]:
    # every page here leaves its kernel running (no browser closes it), so lift the cap for the run
    served = Served("--max-kernels", str(runs + 2), *args)
    if served.preheat:
        time.sleep(SETTLE_S)
    times = []
    try:
        for i in range(runs):
            school = f"NLT0{1 + i % 7}"
            fills = served.fills()
            start = time.perf_counter()
            status, body = get(f"{served.base}/?token={served.token}&school={school}")
            times.append(time.perf_counter() - start)
            assert status == 200 and b"wqm report app" in body, status
            served.wait_ready(fills)  # with preheat: the pool refills before the next viewer
            if served.preheat:
                # Voila logs "filled" when the kernel starts; its imports and warm-up then run until it
                # waits for a request. Measure a viewer arriving at an idle server with a ready kernel.
                time.sleep(SETTLE_S)
    finally:
        served.stop()
    return times


def switching(runs: int) -> list[float]:
    import tempfile

    from wqm_nb.present import load_school_report
    from wqm_nb.store import build_database
    from wqm_nb.ui import report_app, viewer_scope

    store = str(
        build_database(Path(__file__).resolve().parent.parent / "sample_data", Path(tempfile.mkdtemp()) / "wqm.sqlite")
    )
    app = report_app(
        load_school_report(school_id="NLT03", data=store), viewer_scope(school_id="NLT03", year=""), data=store
    )
    times = []
    for i in range(runs * 7):
        school = f"NLT0{1 + i % 7}"
        if school == app.school.value:
            continue
        start = time.perf_counter()
        app.school.value = school
        times.append(time.perf_counter() - start)
        assert app.report.assessment.school["school_id"] == school
    return times


def row(name: str, times: list[float], target: float) -> str:
    return (
        f"| {name} | {min(times):.2f} | {statistics.median(times):.2f} | {max(times):.2f} | "
        f"{'yes' if statistics.median(times) < target else 'NO'} (< {target:g} s) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    preheated = first_pages(runs)
    cold = first_pages(max(2, runs // 2), "--no-preheat")
    switch = switching(runs)
    print("| measure | min s | median s | max s | meets target |")
    print("| --- | --- | --- | --- | --- |")
    print(row("first page, preheated kernel", preheated, 3))
    print(row("first page, no preheated kernel", cold, 3))
    print(row("switching school (in the kernel)", switch, 1))


if __name__ == "__main__":
    main()
