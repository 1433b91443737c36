"""``wqm publish``, ``wqm ledger``, ``wqm threshold`` and ``wqm benchmarks refresh``: what a store publishes,
at which threshold, and the benchmarks cached at it."""

from __future__ import annotations

import argparse
from typing import cast

from ..settings import DEFAULT_MIN_GROUP_SIZE
from .options import data_option, framework_option, min_group_size_option, open_store


def _cmd_publish(args) -> int:
    from ..data import load_framework, load_mapping, load_question_bank
    from ..disclosure.ledger import Ledger, published_release
    from ..model.figures import survey_totals

    bank = load_question_bank()
    fw = load_framework(args.framework)
    with open_store(args) as store:
        sy = store.school_year(args.school, args.year or None)
        year, threshold = sy["academic_year"], store.threshold
        data = store.survey_data(sy["school_year_id"], bank)
        ledger = Ledger.of(store)
        earlier = ledger.entries(args.school, year) if ledger is not None else []
        release, new = published_release(
            ledger,
            args.school,
            year,
            data,
            bank,
            threshold,
            survey_totals(data, bank),
            fw,
            load_mapping(fw, bank),
            record=not args.dry_run,
        )
    last = earlier[-1].release if earlier else None
    state = (
        "already published: nothing to record"
        if not new
        else "a new release; dry run: nothing was recorded"
        if args.dry_run
        else "a new release, recorded"
    )
    print(
        f"{args.school} {year}: {state} (threshold {threshold}; {len(earlier)} release(s) of the school year "
        f"recorded before)"
    )
    for label, decided, earlier_decided in (
        ("", release.reasons, last.reasons if last else None),
        (" validated measures", release.measures, last.measures if last else None),
    ):
        for survey, reasons in decided.items():
            if not reasons:
                continue
            before = earlier_decided.get(survey, {}) if earlier_decided is not None else {}
            print(f"{survey}{label}: {len(reasons)} figure(s) hidden")
            for (where, subgroup), reason in sorted(reasons.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
                mark = "" if before.get((where, subgroup)) == reason else "  (new)" if last is not None else ""
                print(
                    f"  {where} {subgroup if subgroup is not None else 'whole group'}: "
                    f"{_reason_text(reason, threshold)}{mark}"
                )
    return 0


def _reason_text(reason: str, threshold: int) -> str:
    from ..model.figures import reason_texts

    return reason_texts(threshold)[reason]


def _cmd_ledger(args) -> int:
    from ..disclosure.ledger import Ledger

    with open_store(args) as store:
        ledger = Ledger.of(store)
    entries = ledger.entries(args.school or None) if ledger is not None else []
    rows = [
        {
            "release": e.release_id,
            "school": e.school_id,
            "year": e.academic_year,
            "threshold": e.threshold,
            "recorded_at": e.recorded_at,
            "hidden": sum(len(v) for v in e.release.reasons.values()),
            "respondents": sum(sum(m.values()) for m in e.release.members.values()),
        }
        for e in entries
    ]
    if not rows:
        print(f"no release recorded in {ledger.path if ledger is not None else 'memory'}")
        return 0
    width = max(len(cast(str, r["release"])) for r in rows)
    print(f"{'release':{width}}  school  year     threshold  hidden  respondents  recorded at")
    for r in rows:
        print(
            f"{r['release']:{width}}  {r['school']:6}  {r['year']:7}  {r['threshold']:9}  {r['hidden']:6}  "
            f"{r['respondents']:11}  {r['recorded_at']}"
        )
    assert ledger is not None  # rows come from it
    benchmarks = [b for b in ledger.benchmark_records() if not args.school or args.school in b["releases"]]
    if benchmarks:
        print("\nbenchmarks as printed (the releases they were computed from)")
        print("year     framework              threshold  schools  recorded at")
        for b in benchmarks:
            print(
                f"{b['academic_year']:7}  {b['framework']:21}  {b['threshold']:9}  {len(b['releases']):7}  "
                f"{b['recorded_at']}"
            )
    return 0


def _cmd_threshold(args) -> int:
    from ..settings import DEFAULT_MIN_GROUP_SIZE, data_location
    from ..store import Store
    from ..store.store import check_new_threshold, folder_threshold, folder_threshold_path

    data = data_location(args.data)
    if data.is_dir():
        before = folder_threshold(data)
        current = before if before is not None else DEFAULT_MIN_GROUP_SIZE
        if args.value is None:
            print(f"{data}: threshold {current}" + (" (the default)" if before is None else ""))
            return 0
        check_new_threshold(args.value, before, f"{data}'s")
        folder_threshold_path(data).write_text(f"{args.value}\n", encoding="utf-8")
        print(f"{data}: threshold {current} -> {args.value} (kept in {folder_threshold_path(data).name})")
        return 0
    if args.value is None:
        with Store.open(data, read_only=True) as store:
            print(f"{data}: threshold {store.threshold}" + ("" if store.threshold_set else " (the default)"))
        return 0
    from ..model.benchmarks import refresh_benchmarks

    with Store.open(data) as store:
        before = store.set_threshold(args.value)
        written = refresh_benchmarks(store)
    print(
        f"{data}: threshold {before} -> {args.value}; cached benchmarks recomputed at {args.value} "
        f"({sum(written.values())} rows)"
    )
    return 0


def refresh_store_benchmarks(
    data, year: str = "", framework: str = "", min_group_size: int = DEFAULT_MIN_GROUP_SIZE
) -> None:
    """Recompute the store's cached portfolio benchmarks and say how many rows were written."""
    from ..model.benchmarks import refresh_benchmarks
    from ..store import Store
    from ..store.store import store_file_for_writing

    with Store.open(store_file_for_writing(data, "wqm benchmarks refresh")) as store:
        written = refresh_benchmarks(store, year or None, framework or None, min_group_size)
    years = sorted({y for y, _ in written})
    frameworks = sorted({f for _, f in written})
    print(
        f"benchmarks refreshed: {sum(written.values())} rows for {', '.join(frameworks) or 'no framework'} in "
        f"{', '.join(years) or 'no year'}"
    )


def _cmd_benchmarks_refresh(args) -> int:
    from ..settings import check_academic_year, data_location

    if args.year:
        check_academic_year(args.year)
    refresh_store_benchmarks(data_location(args.data), args.year, args.framework, args.min_group_size)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """``wqm publish``, ``wqm ledger``, ``wqm threshold`` and ``wqm benchmarks refresh``."""
    p = sub.add_parser(
        "publish",
        help="publish a school year's release: what every surface shows, recorded in "
        "the publication ledger; --dry-run shows what a new release would hide",
    )
    p.add_argument("school")
    p.add_argument("--year", default="", help="academic year (default: the latest)")
    framework_option(p, help="the framework whose report publishes it (default: wqm)")
    p.add_argument("--dry-run", action="store_true", help="show what would be hidden and why; record nothing")
    data_option(p)
    p.set_defaults(func=_cmd_publish)

    p = sub.add_parser("ledger", help="the releases published from a store or CSV folder (the publication ledger)")
    p.add_argument("school", nargs="?", default="", help="one school only")
    data_option(p)
    p.set_defaults(func=_cmd_ledger)

    p = sub.add_parser(
        "threshold",
        help="the publication threshold of a store or CSV folder: show it, or raise "
        "it (every report, export and overview from it uses it)",
    )
    p.add_argument(
        "value",
        nargs="?",
        type=int,
        default=None,
        help="the new threshold (at least 3; never lower than it is; the first setting may choose any "
        "value from 3); a store's cached benchmarks are recomputed at it",
    )
    data_option(p)
    p.set_defaults(func=_cmd_threshold)

    p = sub.add_parser("benchmarks", help="portfolio benchmarks cached in a store")
    benchmarks_sub = p.add_subparsers(dest="benchmarks_command", required=True)
    p = benchmarks_sub.add_parser(
        "refresh",
        help="recompute every school's portfolio benchmarks (the other "
        "schools of its phase) after new survey or self-evaluation data",
    )
    p.add_argument("--year", default="", help="only this academic year (default: every year)")
    framework_option(p, default="", help="only this framework, id or YAML file (default: every bundled one)")
    min_group_size_option(
        p, help="the group size below which figures are hidden (default: the store's threshold; see wqm threshold)"
    )
    data_option(p, required=True)
    p.set_defaults(func=_cmd_benchmarks_refresh)
