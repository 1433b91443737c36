"""How long a school year's release takes: every framework's sections protected jointly and audited (issue 22).

    .venv/bin/python benchmarks/release_speed.py [--repeat 3]

For every school year of the committed sample data (imported into a temporary store), the release
(:func:`wqm_nb.disclosure.release.release_of`: every survey's cells under every bundled framework, protected
until the audit clears them) is computed ``repeat`` times in one warm process, with the in-memory cache
cleared each time. Prints min / median / max seconds per school year and the slowest school years.
Target (issue 22): under 0.5 s median, warm. Earlier publications are not part of a release yet (the
ledger is still to come), so this is the time for a school year's first publication.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from wqm_nb.data.surveys import load_question_bank
    from wqm_nb.disclosure import release
    from wqm_nb.model.figures import survey_respondents
    from wqm_nb.settings import DEFAULT_MIN_GROUP_SIZE
    from wqm_nb.store import Store, build_database

    bank = load_question_bank()
    sample = Path(__file__).resolve().parent.parent / "sample_data"
    timings: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="wqm-bench-release-") as work:
        db = build_database(sample, Path(work) / "wqm.sqlite")
        with Store.open(db, read_only=True) as store:
            years = [(s["school_id"], y) for s in store.schools() for y in store.school_years(s["school_id"])]
            data = {f"{school} {y['academic_year']}": store.survey_data(y["school_year_id"], bank)
                    for school, y in years}
    release.release_of(next(iter(data.values())), bank, DEFAULT_MIN_GROUP_SIZE, {})       # warm: imports, HiGHS
    for _ in range(args.repeat):
        for name, survey_data in data.items():
            respondents = {s: survey_respondents(survey_data, s, set(bank.values_of(s))) for s in bank.surveys}
            release._RELEASES.clear()
            start = time.perf_counter()
            release.release_of(survey_data, bank, DEFAULT_MIN_GROUP_SIZE, respondents)
            timings.setdefault(name, []).append(time.perf_counter() - start)
    each = {name: statistics.median(t) for name, t in timings.items()}
    values = sorted(each.values())
    print(machine())
    print(f"{len(each)} school years, {args.repeat} runs each (median per school year)")
    print("| min s | median s | max s | target |")
    print("| --- | --- | --- | --- |")
    median = statistics.median(values)
    print(f"| {values[0]:.2f} | {median:.2f} | {values[-1]:.2f} | median under 0.5 s: "
          f"{'met' if median < 0.5 else 'not met'} |")
    print("slowest:", ", ".join(f"{n} {s:.2f} s" for n, s in sorted(each.items(), key=lambda kv: -kv[1])[:3]))


if __name__ == "__main__":
    main()
