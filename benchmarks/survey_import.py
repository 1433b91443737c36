"""How fast a big survey export imports, and how fast ``wqm export`` publishes it.

    .venv/bin/python benchmarks/survey_import.py [--rows 100000] [--repeat 3]

In a temporary folder the benchmark writes a 30-item staff question bank (the
bundled 13 staff items plus S14..S30 "Extra staff statement N.") and points
``WQM_QUESTION_BANK`` at it, writes a Microsoft Forms-like export of ``--rows``
respondents x 30 questions as CSV and as XLSX with the seeded generator
``tests/intake/make_exports.py`` (the XLSX takes about 25 s to write), and
builds a store from ``sample_data``. It then runs, ``--repeat`` times each and
as a user runs them (a ``wqm`` subprocess; wall clock including Python start-up):

* ``wqm survey import BIG.csv --school NLT03 --year 2025-26 --survey staff --replace``
* the same for ``BIG.xlsx``
* ``wqm export NLT03 --year 2025-26 --format csv --out FILE`` on the store holding the big import

Every import runs on a fresh copy of the sample store, so each one really
imports (re-importing an identical file is a no-op: its hash is recorded); the
benchmark checks that the command printed "imported as import". The peak
memory is the child's maximum resident set size (``os.wait4``).

Items S14..S30 are not mapped to any framework section, so ``wqm export``
publishes figures for the 13 mapped items while the import reads and stores
all 30.

Targets: import from CSV under 5 s, from XLSX under 15 s, export under 2 s
(median of the runs). Prints a table (step, target, min/median/max seconds,
peak MB, PASS/FAIL) and the machine; the exit status is 0 even when a target
is missed (it is a report), and a missed target prints FAIL.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _common import wqm_command

ROOT = Path(__file__).resolve().parent.parent
SCHOOL, YEAR, SURVEY = "NLT03", "2025-26", "staff"
ITEMS = 30
TARGETS = {"import CSV": 5.0, "import XLSX": 15.0, "export CSV": 2.0}


def write_bank(path: Path) -> Path:
    """The bundled question bank with the staff survey extended to 30 items."""
    bank = yaml.safe_load((ROOT / "wqm_nb" / "data" / "surveys.yaml").read_text(encoding="utf-8"))
    items = bank["surveys"]["staff"]["items"]
    have = {item["id"] for item in items}
    for k in range(len(items) + 1, ITEMS + 1):
        if f"S{k:02d}" not in have:
            items.append({"id": f"S{k:02d}", "text": f"Extra staff statement {k}."})
    path.write_text(yaml.safe_dump(bank, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def make_exports_module():
    path = ROOT / "tests" / "intake" / "make_exports.py"
    spec = importlib.util.spec_from_file_location("make_exports", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(cmd: list[str], env: dict, log: Path) -> tuple[float, float, int, str]:
    """Run ``cmd``; return (wall seconds, peak RSS of the child in MB, exit status, output)."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    # ru_maxrss: kilobytes on Linux, bytes on macOS
    peak_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return wall, peak_mb, proc.returncode, log.read_text(encoding="utf-8", errors="replace")


def copy_store(pristine: Path, dest: Path) -> Path:
    for suffix in ("", "-wal"):  # the -shm index is rebuilt by SQLite
        src = Path(str(pristine) + suffix)
        if src.exists():
            shutil.copyfile(src, Path(str(dest) + suffix))
    return dest


def last_line(output: str, starts: str) -> str:
    return next((line for line in reversed(output.splitlines()) if line.startswith(starts)), "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="respondent rows (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each step (default 3)")
    args = parser.parse_args()
    wqm = wqm_command()

    with tempfile.TemporaryDirectory(prefix="wqm-bench-import-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, WQM_QUESTION_BANK=str(write_bank(work / "surveys-30.yaml")))
        env.pop("WQM_DATA", None)
        print(f"question bank: {ITEMS} staff items (S01-S13 bundled, S14-S{ITEMS} 'Extra staff statement N.')")
        print("  items 14-30 are not mapped to a framework section: `wqm export` publishes figures for the")
        print("  13 mapped items, while the import reads and stores all 30.")

        gen = make_exports_module()
        big_csv, big_xlsx = work / "big.csv", work / "big.xlsx"
        start = time.perf_counter()
        manifest = gen.write_large_csv(big_csv, rows=args.rows, items=ITEMS)
        print(
            f"wrote {big_csv.name}: {args.rows} rows x {ITEMS} questions, "
            f"{big_csv.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s"
        )
        print(f"writing {big_xlsx.name} (about 25 s for 100000 rows) ...", flush=True)
        start = time.perf_counter()
        gen.write_large_xlsx(big_xlsx, rows=args.rows, items=ITEMS)
        print(f"wrote {big_xlsx.name}: {big_xlsx.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s")

        pristine = work / "sample.sqlite"
        build = subprocess.run(
            [*wqm, "import", str(ROOT / "sample_data"), "--data", str(pristine)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if build.returncode != 0:
            sys.exit(f"building the store failed:\n{build.stdout}{build.stderr}")
        print(f"store: built from sample_data ({pristine.stat().st_size / 1e6:.1f} MB)")
        print(f"expected: {manifest['kept']} respondents kept, {manifest['dropped_empty']} dropped with no answer")
        print(flush=True)

        times: dict[str, list[float]] = {step: [] for step in TARGETS}
        peaks: dict[str, list[float]] = {step: [] for step in TARGETS}
        problems: list[str] = []
        imported = ""
        for r in range(1, args.repeat + 1):
            for step, source in (("import CSV", big_csv), ("import XLSX", big_xlsx)):
                store = copy_store(pristine, work / f"store-{r}-{source.suffix[1:]}.sqlite")
                cmd = [
                    *wqm,
                    "survey",
                    "import",
                    str(source),
                    "--school",
                    SCHOOL,
                    "--year",
                    YEAR,
                    "--survey",
                    SURVEY,
                    "--data",
                    str(store),
                    "--replace",
                ]
                wall, peak, rc, out = run(cmd, env, work / "import.log")
                line = last_line(out, "imported as import")
                if rc != 0 or not line:
                    problems.append(
                        f"{step} run {r}: exit {rc}, no 'imported as import' line:\n" + "\n".join(out.splitlines()[-5:])
                    )
                else:
                    imported = line
                times[step].append(wall)
                peaks[step].append(peak)
                print(f"run {r}: {step:<11} {wall:6.2f} s  {peak:6.0f} MB  {line}", flush=True)
            # export the store holding the XLSX import of this run
            out_file = work / f"export-{r}.csv"
            cmd = [
                *wqm,
                "export",
                SCHOOL,
                "--year",
                YEAR,
                "--data",
                str(store),
                "--format",
                "csv",
                "--out",
                str(out_file),
            ]
            wall, peak, rc, out = run(cmd, env, work / "export.log")
            figures = out_file.read_text(encoding="utf-8").splitlines()[1:] if out_file.exists() else []
            lines, staff = len(figures), sum(f",{SURVEY}," in line for line in figures)
            if rc != 0 or lines <= 0:
                problems.append(f"export CSV run {r}: exit {rc}, {lines} figure rows:\n{out.strip()}")
            times["export CSV"].append(wall)
            peaks["export CSV"].append(peak)
            print(
                f"run {r}: {'export CSV':<11} {wall:6.2f} s  {peak:6.0f} MB  {lines} figure rows "
                f"({staff} of the staff survey)",
                flush=True,
            )

    try:
        from wqm_nb import __version__ as wqm_version
    except Exception:  # noqa: BLE001 - a report, not a test
        wqm_version = "unknown"
    print()
    print(
        f"{args.rows} respondent rows x {ITEMS} questions, {args.repeat} runs each; "
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, {platform.machine()}, "
        f"Python {platform.python_version()}; wqm {wqm_version}"
    )
    if imported:
        print(f"import result: {imported}")
    print()
    print("| step | target | min s | median s | max s | peak MB | result |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    labels = {
        "import CSV": "`wqm survey import` CSV",
        "import XLSX": "`wqm survey import` XLSX",
        "export CSV": "`wqm export --format csv`",
    }
    failed = []
    for step, target in TARGETS.items():
        t = times[step]
        ok = statistics.median(t) < target and not any(p.startswith(step) for p in problems)
        if not ok:
            failed.append(step)
        print(
            f"| {labels[step]} | < {target:g} s | {min(t):.2f} | {statistics.median(t):.2f} | {max(t):.2f} | "
            f"{max(peaks[step]):.0f} | {'pass' if ok else '**FAIL**'} |"
        )
    print()
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if failed:
        print(f"FAIL: target missed for {', '.join(failed)} (median of {args.repeat} runs)")
    else:
        print("all targets met (median of the runs)")


if __name__ == "__main__":
    main()
