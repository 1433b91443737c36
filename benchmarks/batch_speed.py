"""How fast reports are made for a trust: the naive loop, ``wqm batch`` with each executor, and a lower bound.

    .venv/bin/python benchmarks/batch_speed.py [--sizes 7 50] [--workers 2] [--only naive,process,...]

For each size the benchmark builds a store (7: the committed sample trust's
first seven schools; N > 8: ``wqm sample --schools N --seed 1``, a larger
seeded trust) and runs, one after another on this machine, with PDFs:

* ``naive``: ``wqm report SCHOOL`` for each school in turn, the loop a
  consultant would write (a fresh kernel per school, no overview);
* ``process``: ``wqm batch --executor process --workers W`` (W = ``--workers``,
  default every core): worker processes, each with a warm kernel;
* ``process-4``: the same with 4 workers (the memory target);
* ``serial``: ``wqm batch --executor serial`` (one warm kernel, in one process);
* ``dask``: ``wqm batch --executor dask`` on a Dask cluster started for the
  run (``dask scheduler`` and ``dask worker --nworkers W --nthreads 1``, both
  counted in the memory; their start-up is not timed: the cluster exists);
* ``in-process``: the lower bound: in one Python process without a kernel,
  each school's analysis, the report notebook's static cells as outputs,
  HTML and PDF, exactly as the report makes them (no overview).

Each run is a subprocess; its wall time is timed and the memory of its whole
process tree (workers and kernels included; PSS, so a library shared by
several processes counts once) sampled every 0.2 s for the peak. ``--big`` adds one ``wqm report`` on a store
holding over
200,000 survey rows (``wqm sample --schools 330``).

Prints a table per size (seconds, speed-up over the naive loop, ratio to the
lower bound, peak MB), the targets of issue 14 with PASS/FAIL, and the machine.
Exit status 0 even when a target is missed: it is a report.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, run_measured, wqm_command

ROOT = Path(__file__).resolve().parent.parent
RUNS = ("naive", "process", "process-4", "serial", "dask", "in-process")


def build_store(work: Path, size: int, env: dict) -> tuple[Path, list[str]]:
    """A store of ``size`` schools and their ids."""
    wqm = wqm_command()
    if size <= 8:
        source = ROOT / "sample_data"
    else:
        source = work / f"sample-{size}"
        subprocess.run(
            [*wqm, "sample", "--schools", str(size), "--seed", "1", "--out", str(source)],
            env=env,
            check=True,
            capture_output=True,
        )
    store = work / f"trust-{size}.sqlite"
    subprocess.run([*wqm, "import", str(source), "--data", str(store)], env=env, check=True, capture_output=True)
    code = (
        "import sys, json; from wqm_nb.store import Store; s = Store.open(sys.argv[1], read_only=True); "
        "print(json.dumps([r['school_id'] for r in s.schools()]))"
    )
    ids = json.loads(
        subprocess.run(
            [sys.executable, "-c", code, str(store)], env=env, check=True, capture_output=True, text=True
        ).stdout
    )
    return store, ids[:size]


def in_process(store: str, out: str, schools: list[str]) -> None:
    """The lower bound, run as ``batch_speed.py --in-process STORE OUT SCHOOL...``: one process, no kernel."""
    import ast

    import matplotlib
    import nbformat

    matplotlib.use("agg")
    from wqm_nb.export.notebooks import SCHOOL_NOTEBOOK, STATIC_TAG, notebook_path
    from wqm_nb.export.render import to_html, to_pdf
    from wqm_nb.present import load_school_report

    template = nbformat.read(str(notebook_path(SCHOOL_NOTEBOOK)), as_version=4)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    for school_id in schools:
        report = load_school_report(school_id=school_id, data=store)
        nb = nbformat.v4.new_notebook(metadata=template.metadata)
        for cell in template.cells:
            if cell.cell_type != "code" or STATIC_TAG not in cell.metadata.get("tags", []):
                continue
            shown = eval(compile(ast.parse(cell.source, mode="eval"), "cell", "eval"), {"report": report})
            nb.cells.append(
                nbformat.v4.new_code_cell(
                    cell.source,
                    metadata=cell.metadata,
                    outputs=[nbformat.v4.new_output("display_data", data={"text/html": shown._repr_html_()})],
                )
            )
        stem = f"{school_id}_{report.assessment.year}"
        nbformat.write(nb, str(out_dir / f"{stem}.ipynb"))
        to_pdf(to_html(out_dir / f"{stem}.ipynb", out_dir / f"{stem}.html"), out_dir / f"{stem}.pdf")


def naive_loop(store: Path, schools: list[str], out: Path, env: dict) -> list[str]:
    """The shell loop ``for s in ...; do wqm report $s; done`` as one command to time."""
    wqm = " ".join(wqm_command())
    loop = "; ".join(f"{wqm} report {s} --data {store} --out {out} >/dev/null || exit 1" for s in schools)
    return ["bash", "-c", loop]


class DaskCluster:
    """A scheduler and ``workers`` single-threaded worker processes, started as subprocesses."""

    def __init__(self, work: Path, workers: int, env: dict):
        self.file = work / "scheduler.json"
        self.file.unlink(missing_ok=True)
        self.procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--dashboard-address",
                    ":0",
                    "--scheduler-file",
                    str(self.file),
                ],
                env=env,
                cwd=work,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        ]
        deadline = time.monotonic() + 60
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]
        self.procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    self.address,
                    "--nworkers",
                    str(workers),
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                ],
                env=env,
                cwd=work,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def close(self) -> None:
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def run_size(size: int, work: Path, env: dict, workers: int, only: tuple[str, ...]) -> dict[str, tuple]:
    """Every run for one size: name -> (seconds, peak MB, files ok)."""
    store, schools = build_store(work, size, env)
    wqm = wqm_command()
    results = {}
    log = work / "runs.log"
    for name in only:
        out = work / f"out-{size}-{name}"
        shutil.rmtree(out, ignore_errors=True)
        data = work / f"run-{size}-{name}.sqlite"
        shutil.copyfile(store, data)
        batch = [*wqm, "batch", "--data", str(data), "--out", str(out), "--no-progress", "--schools", *schools]
        cluster = None
        if name == "naive":
            cmd = naive_loop(data, schools, out, env)
        elif name == "process":
            cmd = [*batch, "--executor", "process", "--workers", str(workers)]
        elif name == "process-4":
            cmd = [*batch, "--executor", "process", "--workers", "4"]
        elif name == "serial":
            cmd = [*batch, "--executor", "serial"]
        elif name == "dask":
            cluster = DaskCluster(work, workers, env)
            cmd = [*batch, "--executor", "dask", "--scheduler", cluster.address]
        else:
            cmd = [sys.executable, __file__, "--in-process", str(data), str(out), *schools]
        print(f"  {size} schools, {name} ...", end=" ", flush=True)
        try:
            seconds, peak, status = run_measured(cmd, env, log, cluster.pids if cluster else [])
        finally:
            if cluster:
                cluster.close()
        pdfs = len(list(out.glob("*_*.pdf"))) - len(list(out.glob("group_overview*.pdf")))
        ok = status == 0 and pdfs == len(schools)
        print(f"{seconds:.1f} s, {peak:.0f} MB{'' if ok else f'  (exit {status}, {pdfs} PDFs: see {log})'}", flush=True)
        results[name] = (seconds, peak, ok)
        shutil.rmtree(out, ignore_errors=True)
    return results


def big_report(work: Path, env: dict) -> tuple[float, float, int]:
    """``wqm report`` for one school of a store holding over 200,000 survey rows: seconds, peak MB, rows."""
    wqm = wqm_command()
    source = work / "sample-330"
    subprocess.run(
        [*wqm, "sample", "--schools", "330", "--seed", "7", "--out", str(source)],
        env=env,
        check=True,
        capture_output=True,
    )
    rows = sum(sum(1 for _ in p.open()) - 1 for p in source.glob("*survey*.csv"))
    store = work / "big.sqlite"
    subprocess.run([*wqm, "import", str(source), "--data", str(store)], env=env, check=True, capture_output=True)
    seconds, peak, _ = run_measured(
        [*wqm, "report", "NLT03", "--data", str(store), "--out", str(work / "big")], env, work / "runs.log"
    )
    return seconds, peak, rows


def table(size: int, results: dict[str, tuple]) -> list[str]:
    naive = results.get("naive", (None,))[0]
    bound = results.get("in-process", (None,))[0]
    lines = [
        f"| {size} schools | seconds | per school | x faster than the naive loop | ÷ in-process lower bound "
        f"| peak MB (PSS, process tree) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, (seconds, peak, ok) in results.items():
        faster = f"{naive / seconds:.1f}" if naive else "-"
        ratio = f"{seconds / bound:.2f}" if bound else "-"
        lines.append(
            f"| {name}{'' if ok else ' (FAILED)'} | {seconds:.1f} | {seconds / size:.2f} | {faster} | "
            f"{ratio} | {peak:.0f} |"
        )
    return lines


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--in-process":
        in_process(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[7, 50], help="trust sizes (default 7 50)")
    parser.add_argument(
        "--workers",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="workers for process and dask (default: every core)",
    )
    parser.add_argument("--only", default=",".join(RUNS), help=f"runs to do, of {','.join(RUNS)}")
    parser.add_argument("--big", action="store_true", help="also one report on a 200,000-survey-row store")
    args = parser.parse_args()
    only = tuple(r for r in args.only.split(",") if r)
    unknown = set(only) - set(RUNS)
    if unknown:
        sys.exit(f"unknown run(s): {', '.join(sorted(unknown))}")

    with tempfile.TemporaryDirectory(prefix="wqm-bench-batch-") as tmp:
        work = Path(tmp)
        env = dict(os.environ)
        env.pop("WQM_DATA", None)
        for var, sub in (
            ("JUPYTER_CONFIG_DIR", "jupyter/config"),
            ("JUPYTER_DATA_DIR", "jupyter/data"),
            ("JUPYTER_RUNTIME_DIR", "jupyter/runtime"),
            ("IPYTHONDIR", "ipython"),
            ("MPLCONFIGDIR", "matplotlib"),
        ):
            env[var] = str(work / sub)  # nothing written to $HOME
        all_results = {}
        for size in args.sizes:
            all_results[size] = run_size(size, work, env, args.workers, only)
        big = big_report(work, env) if args.big else None

    print()
    print(f"machine: {machine()}; workers: {args.workers}")
    for size, results in all_results.items():
        print()
        print("\n".join(table(size, results)))
    print()
    print("targets (issue 14):")
    checks = []
    small = all_results.get(7, {})
    if {"naive", "process"} <= set(small):
        checks.append(
            (
                "7 schools: batch at least 4x faster than the naive loop",
                small["naive"][0] / small["process"][0] >= 4,
                f"{small['naive'][0] / small['process'][0]:.1f}x",
            )
        )
    if {"in-process", "process"} <= set(small):
        checks.append(
            (
                "7 schools: batch within 1.2x of the in-process lower bound",
                small["process"][0] <= 1.2 * small["in-process"][0],
                f"{small['process'][0] / small['in-process'][0]:.2f}x",
            )
        )
    for size, results in all_results.items():
        if size > 7 and "process" in results and "process" in small:
            limit = small["process"][0] * size / 7 * 1.1
            checks.append(
                (
                    f"{size} schools take no more than {size}/7 x the 7-school time + 10%",
                    results["process"][0] <= limit,
                    f"{results['process'][0]:.0f} s (limit {limit:.0f} s)",
                )
            )
        if size >= 100 and "process" in results:
            per_100 = results["process"][0] * 100 / size
            checks.append(("100 schools in under 2 minutes", per_100 < 120, f"{per_100:.0f} s per 100 schools"))
        if "process-4" in results:
            checks.append(
                (
                    f"{size} schools: peak memory under 1 GB with 4 workers",
                    results["process-4"][1] < 1024,
                    f"{results['process-4'][1]:.0f} MB",
                )
            )
    if big:
        seconds, peak, rows = big
        checks.append((f"a report on a store of {rows:,} survey rows under 5 s", seconds < 5, f"{seconds:.1f} s"))
        checks.append((f"a report on a store of {rows:,} survey rows under 500 MB", peak < 500, f"{peak:.0f} MB"))
    for text, passed, value in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {text}: {value}")


if __name__ == "__main__":
    main()
