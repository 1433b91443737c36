"""How long ``wqm --help`` and a command's own ``--help`` take: the CLI imports nothing heavy until a command runs.

    .venv/bin/python benchmarks/cli_startup.py [--repeat 20]

Runs each command line ``repeat`` times as a fresh process (the ``wqm`` script of this venv) and prints
min / median / max wall seconds. ``wqm --help`` reads no data file; a command's ``--help`` reads what its
choices come from (``wqm survey import --help``: the question bank). Target: ``wqm --help`` under 0.1 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, wqm_command  # noqa: E402

COMMANDS = (["--help"], ["schools", "--help"], ["survey", "import", "--help"], ["batch", "--help"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(machine())
    print(f"{'command':32} {'min':>6} {'median':>7} {'max':>6}  (seconds, {args.repeat} runs each)")
    for command in COMMANDS:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(wqm_command() + command, check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
        print(f"{'wqm ' + ' '.join(command):32} {min(times):6.3f} {statistics.median(times):7.3f} {max(times):6.3f}")


if __name__ == "__main__":
    main()
