"""How long a school year's release takes: every framework's sections protected jointly and audited (issue 22).

    .venv/bin/python benchmarks/release_speed.py [--repeat 3]

For every school year of the committed sample data (imported into a temporary store), the release
(:func:`wqm_nb.disclosure.release.release_of`: every survey's cells under every bundled framework, protected
until the audit clears them) is computed ``repeat`` times in one warm process, with the in-memory cache
cleared each time: as a first publication, and with ``--earlier`` (default 5) earlier releases of the same
school year, made from the data as it grew (each survey's respondents cut to 50%, 60%, ... of them, the
earlier ones first), which the new release is audited with (:mod:`wqm_nb.disclosure.changes`). Prints min /
median / max seconds per school year and the slowest school years. Target (issue 22): under 0.5 s median,
warm, with up to 5 earlier releases.
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
    parser.add_argument("--earlier", type=int, default=5)
    args = parser.parse_args()

    from wqm_nb.data.surveys import load_question_bank
    from wqm_nb.disclosure import release
    from wqm_nb.model.figures import survey_respondents
    from wqm_nb.settings import DEFAULT_MIN_GROUP_SIZE
    from wqm_nb.store import Store, build_database
    from wqm_nb.store.surveys import SurveyBlock, SurveyData

    bank = load_question_bank()
    sample = Path(__file__).resolve().parent.parent / "sample_data"
    with tempfile.TemporaryDirectory(prefix="wqm-bench-release-") as work:
        db = build_database(sample, Path(work) / "wqm.sqlite")
        with Store.open(db, read_only=True) as store:
            years = [(s["school_id"], y) for s in store.schools() for y in store.school_years(s["school_id"])]
            data = {
                f"{school} {y['academic_year']}": store.survey_data(y["school_year_id"], bank) for school, y in years
            }
    release.release_of(next(iter(data.values())), bank, DEFAULT_MIN_GROUP_SIZE, {})  # warm: imports, HiGHS

    def totals(d):
        return {s: survey_respondents(d, s, set(bank.values_of(s))) for s in bank.surveys}

    def grown(d, share):
        """The data as it was when only ``share`` of each survey's respondents had answered."""
        blocks = {
            s: SurveyBlock(
                b.survey,
                b.item_ids,
                b.respondents[: int(len(b) * share)],
                b.subgroups[: int(len(b) * share)],
                b.values[: int(len(b) * share)],
            )
            for s, b in d.blocks.items()
        }
        return SurveyData(blocks, d.tallies, d.scores, d.tally_imports)

    print(machine())
    for label, earlier_count in (("first publication", 0), (f"with {args.earlier} earlier releases", args.earlier)):
        timings: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            for name, survey_data in data.items():
                earlier = []
                for k in range(earlier_count):
                    before = grown(survey_data, 0.5 + 0.1 * k)
                    earlier.append(
                        release.release_of(before, bank, DEFAULT_MIN_GROUP_SIZE, totals(before), earlier=list(earlier))
                    )
                respondents = totals(survey_data)
                release._RELEASES.clear()
                start = time.perf_counter()
                release.release_of(survey_data, bank, DEFAULT_MIN_GROUP_SIZE, respondents, earlier=earlier)
                timings.setdefault(name, []).append(time.perf_counter() - start)
        each = {name: statistics.median(t) for name, t in timings.items()}
        values = sorted(each.values())
        median = statistics.median(values)
        print(f"{label}: {len(each)} school years, {args.repeat} runs each (median per school year)")
        print("| min s | median s | max s | target |")
        print("| --- | --- | --- | --- |")
        print(
            f"| {values[0]:.2f} | {median:.2f} | {values[-1]:.2f} | median under 0.5 s: "
            f"{'met' if median < 0.5 else 'not met'} |"
        )
        print("slowest:", ", ".join(f"{n} {s:.2f} s" for n, s in sorted(each.items(), key=lambda kv: -kv[1])[:3]))


if __name__ == "__main__":
    main()
