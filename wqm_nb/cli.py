"""The ``wqm`` command."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .report import default_data


def _cmd_report(args) -> int:
    from .frameworks import load_framework
    from .render import render_school
    from .report import open_data

    framework = load_framework(args.framework)
    with open_data(args.data) as store:
        name = store.school(args.school)["name"]
        year = store.cycle(args.school, args.cycle or None, framework.id)["academic_year"]
    files = render_school(args.school, year, args.data or default_data(), args.out,
                          min_group_size=args.min_group_size, pdf=not args.no_pdf, framework=args.framework)
    print(f"{name} ({args.school}), {year}")
    for label, path in (("notebook", files.notebook), ("html", files.html), ("pdf", files.pdf)):
        if path:
            print(f"  {label:8} {path}")
    return 0


def _cmd_batch(args) -> int:
    from .batch import run_batch

    batch = run_batch(args.data or default_data(), args.out, cycle=args.cycle, trust=args.trust,
                      schools=args.schools, workers=args.workers, executor=args.executor, pdf=not args.no_pdf,
                      min_group_size=args.min_group_size, progress=not args.no_progress)
    for r in batch.results:
        status = f"ok  {r.seconds:5.1f}s" if r.ok else "FAILED"
        print(f"{r.school_id:8} {status:10} {r.name or ''} {r.academic_year}" + (f"  {r.error}" if r.error else ""))
    if batch.overview:
        print(f"group overview: {batch.overview.pdf or batch.overview.html}")
    if batch.overview_error:
        print(f"group overview FAILED: {batch.overview_error}")
    kind = "PDFs" if not args.no_pdf else "reports"
    print(f"{len(batch.succeeded)} of {len(batch.results)} school reports written; "
          f"{kind} are in {batch.out_dir.resolve()}")
    return 0 if batch.ok else 1


def _cmd_sample(args) -> int:
    from .sample import SAMPLE_SEED, write_sample

    for path in write_sample(args.out, SAMPLE_SEED if args.seed is None else args.seed):
        print(path)
    return 0


def _cmd_import(args) -> int:
    from .store import Store, build_database

    target = build_database(args.source, args.db)
    with Store.open(target) as store:
        print(f"{target}: {len(store.schools())} schools, {len(store.cycles())} cycles")
    return 0


def _cmd_validate(args) -> int:
    from .frameworks import FRAMEWORK_DIR, QUESTION_BANK_FILE, SCALES_FILE, DataFileError, validate_file

    files = args.files or [SCALES_FILE, *sorted(FRAMEWORK_DIR.glob("*.yaml")), QUESTION_BANK_FILE]
    failed = 0
    for path in files:
        try:
            print(validate_file(path))
        except DataFileError as exc:
            print(f"INVALID {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def _cmd_schools(args) -> int:
    from .report import open_data

    with open_data(args.data) as store:
        cycles = store.cycles()
        for s in store.schools(args.trust or None).to_dict("records"):
            years = ", ".join(cycles.loc[cycles["school_id"] == s["school_id"], "academic_year"])
            print(f"{s['school_id']:8} {s['name']:32} {s['phase']:10} {s['trust']:28} {years}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wqm", description="Wellbeing quality-mark consultant workbench.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, out_default):
        p.add_argument("--data", default="", help="SQLite store or CSV folder (default: sample_data)")
        p.add_argument("--out", default=out_default, help=f"output folder (default: {out_default})")
        p.add_argument("--cycle", default="", help="academic year such as 2025-26 (default: latest)")
        p.add_argument("--min-group-size", type=int, default=5,
                       help="suppress survey groups smaller than this (default: 5)")
        p.add_argument("--no-pdf", action="store_true", help="write notebook and HTML only")

    p = sub.add_parser("report", help="render one school's report (notebook, HTML, PDF)")
    p.add_argument("school", help="school id, e.g. NLT01")
    p.add_argument("--framework", default="wqm", help="framework id or YAML file with your own rules")
    common(p, "reports")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("batch", help="render every school of a group in parallel, plus a group overview")
    common(p, "build/reports")
    p.add_argument("--trust", default="", help="only this trust's schools")
    p.add_argument("--schools", nargs="+", help="only these school ids")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--executor", choices=["thread", "process"], default="thread")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_batch)

    p = sub.add_parser("sample", help="regenerate the seeded sample trust")
    p.add_argument("--out", default="sample_data")
    p.add_argument("--seed", type=int, default=None, help="default: the seed of the committed sample")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("import", help="import a CSV folder into a SQLite store")
    p.add_argument("source")
    p.add_argument("--db", required=True)
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("validate", help="validate framework, scale and question-bank files")
    p.add_argument("files", nargs="*", type=Path)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("schools", help="list schools and their cycles")
    p.add_argument("--data", default="")
    p.add_argument("--trust", default="")
    p.set_defaults(func=_cmd_schools)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (KeyError, FileNotFoundError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"wqm: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
