"""The commands that make and keep stores: ``wqm sample``, ``import``, ``migrate``, ``school add|remove``,
``year start``, ``schools``, and ``validate`` for the data files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SettingsError, WqmError
from ..settings import PHASES
from .options import data_option, framework_option, open_store
from .publication import refresh_store_benchmarks

if TYPE_CHECKING:
    from ..store import ImportMode


def _cmd_sample(args) -> int:
    from ..sample import SAMPLE_SEED, write_sample

    if args.schools is not None and args.schools < 1:
        raise SettingsError("--schools must be at least 1")
    for path in write_sample(args.out, SAMPLE_SEED if args.seed is None else args.seed, schools=args.schools):
        print(path)
    return 0


def _cmd_import(args) -> int:
    from ..store import Store, import_folder

    mode: ImportMode = "replace" if args.replace else "merge" if args.merge else "new"
    report = import_folder(args.source, args.data, mode)
    print(report.summary())
    with Store.open(report.target, read_only=True) as store:
        print(
            f"{report.target}: {len(store.schools())} schools, {len(store.school_years())} school years, "
            f"{len(store.cycles())} cycles"
        )
    refresh_store_benchmarks(report.target)
    return 0


def _cmd_migrate(args) -> int:
    from ..store import migrate

    old, new = migrate(args.data)
    print(
        f"{args.data}: schema version {old}"
        + (f" upgraded to {new} (a backup copy was kept)" if old != new else ", already current")
    )
    return 0


def _cmd_school_add(args) -> int:
    from ..settings import data_location
    from ..store import Store
    from ..store.store import store_file_for_writing

    target = Path(args.data)
    new = not target.exists()
    if new:  # the first school of a new store
        if not target.parent.is_dir():
            raise SettingsError(f"no folder {target.parent} for a new store {target.name}")
    else:
        target = store_file_for_writing(data_location(args.data), "wqm school add")
    try:
        with Store(target) if new else Store.open(target) as store:
            store.add_school(
                args.school,
                args.name,
                args.phase,
                trust=args.trust,
                local_authority=args.local_authority,
                pupils=args.pupils,
            )
    except WqmError:
        if new:  # leave no empty store behind
            for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
                leftover.unlink(missing_ok=True)
        raise
    print(
        f"added {args.school} ({args.name}, {args.phase}{', ' + args.trust if args.trust else ''}) to "
        f"{'a new store ' if new else ''}{args.data}"
    )
    return 0


def _cmd_school_remove(args) -> int:
    from ..store import remove_school

    if not args.confirm:
        raise SettingsError(
            f"this erases every record of {args.school} from {args.data}, history included; add --confirm to do it"
        )
    from ..disclosure.ledger import Ledger, ledger_path

    counts = remove_school(args.data, args.school)
    counts["published releases"] = Ledger(ledger_path(args.data)).remove_school(args.school)
    print(
        f"removed {args.school} from {args.data}: "
        + ", ".join(f"{v} {k}" for k, v in counts.items())
        + " (logged in the store's erasure log)"
    )
    return 0


def _cmd_year_start(args) -> int:
    from ..data import load_framework
    from ..settings import check_academic_year

    check_academic_year(args.year)
    framework = load_framework(args.framework)
    with open_store(args, write="wqm year start") as store:
        store.school(args.school)
        started = store.start_year(args.school, args.year, framework.id, recorded_by=args.by)
    state = "started" if started["created"] else "already started"
    print(f"{args.school} {args.year} {framework.name}: {state}")
    if started["from_year"]:
        print(
            f"carried {len(started['carried'])} open target(s) from {started['from_year']}"
            + (": " + ", ".join(started["carried"]) if started["carried"] else "")
        )
    return 0


def _cmd_schools(args) -> int:

    with open_store(args) as store:
        years: dict[str, list[str]] = {}
        for y in store.school_years():
            years.setdefault(y["school_id"], []).append(y["academic_year"])
        for s in store.schools(args.trust or None):
            print(
                f"{s['school_id']:8} {s['name']:32} {s['phase']:10} {s['trust']:28} "
                f"{', '.join(years.get(s['school_id'], []))}"
            )
    return 0


def _cmd_validate(args) -> int:
    from ..data import bundled_files, validate_file

    failed = 0
    for path in args.files or bundled_files():
        try:
            print(validate_file(path))
        except WqmError as exc:
            print(f"INVALID {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    """``wqm sample``, ``import``, ``migrate``, ``school`` (``add``, ``remove``), ``year start``, ``schools``,
    ``validate``."""
    p = sub.add_parser("sample", help="regenerate the seeded sample trust")
    p.add_argument("--out", default="sample_data")
    p.add_argument("--seed", type=int, default=None, help="default: the seed of the committed sample")
    p.add_argument(
        "--schools",
        type=int,
        default=None,
        help="make a larger trust of this many schools (the sample's eight first, then seeded ones of "
        "realistic size) for benchmarks and load tests",
    )
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("import", help="import a CSV folder into a store file")
    p.add_argument("source", help="CSV folder")
    data_option(p, "--db", required=True)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--replace",
        action="store_true",
        help="replace an existing store's content (a timestamped backup copy is kept first)",
    )
    mode.add_argument(
        "--merge", action="store_true", help="add what is new to an existing store, keeping every history row"
    )
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("migrate", help="upgrade a store made by an older wqm (a backup copy is kept)")
    data_option(p, required=True)
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser("school", help="school records in a store")
    school_sub = p.add_subparsers(dest="school_command", required=True)
    p = school_sub.add_parser(
        "remove", help="erase one school's data whole (retention or a data-subject request); logged"
    )
    p.add_argument("school", help="school id")
    data_option(p, required=True)
    p.add_argument("--confirm", action="store_true", help="really erase it")
    p.set_defaults(func=_cmd_school_remove)

    p = school_sub.add_parser("add", help="add a school to a store (no CSV needed)")
    p.add_argument("school", help="school id, e.g. NLT09")
    p.add_argument("--name", required=True)
    p.add_argument("--phase", required=True, choices=PHASES)
    p.add_argument("--trust", default="")
    p.add_argument("--local-authority", default="")
    p.add_argument("--pupils", type=int, default=None, help="number on roll")
    data_option(p, required=True)
    p.set_defaults(func=_cmd_school_add)

    p = sub.add_parser("year", help="academic years of a school")
    year_sub = p.add_subparsers(dest="year_command", required=True)
    p = year_sub.add_parser(
        "start",
        help="start a school's self-evaluation for a year, carrying open targets forward from its previous year",
    )
    p.add_argument("school", help="school id")
    p.add_argument("year", help="academic year such as 2026-27")
    framework_option(p)
    p.add_argument("--by", default="", help="who is starting it (recorded with the carried targets)")
    data_option(p, required=True)
    p.set_defaults(func=_cmd_year_start)

    p = sub.add_parser("schools", help="list schools and their academic years")
    data_option(p)
    p.add_argument("--trust", default="")
    p.set_defaults(func=_cmd_schools)

    p = sub.add_parser("validate", help="validate framework, scale, question-bank and mapping files")
    p.add_argument("files", nargs="*", type=Path)
    p.set_defaults(func=_cmd_validate)
