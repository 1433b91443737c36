"""``wqm report``, ``wqm batch`` and ``wqm export``: a school's report, a trust's batch, a school's published
figures as data."""

from __future__ import annotations

import argparse
import sys

from ..settings import DEFAULT_BATCH_DIR, DEFAULT_REPORT_DIR, ReportSettings
from .options import (
    LazyChoices,
    check_benchmark_file,
    data_option,
    executor_names,
    framework_option,
    min_group_size_option,
    report_options,
)


def _cmd_report(args) -> int:
    from ..export.render import render_report

    settings = ReportSettings(
        school_id=args.school,
        year=args.year,
        data=args.data,
        framework=args.framework,
        min_group_size=args.min_group_size,
        output=args.out,
        benchmarks=args.benchmarks,
        as_of=args.as_of,
    )
    check_benchmark_file(settings.benchmarks)
    school, year, files = render_report(settings, pdf=not args.no_pdf, full=args.full)
    print(f"{school['name']} ({settings.school_id}), {year}")
    for label, path in (
        ("notebook", files.notebook),
        ("html", files.html),
        ("pdf", files.pdf),
        ("appendix", files.appendix_pdf or files.appendix_html),
    ):
        if path:
            print(f"  {label:8} {path}")
    return 0


def _cmd_batch(args) -> int:
    from ..batch import BatchRun, run_batch
    from ..settings import GroupSettings

    settings = GroupSettings(
        year=args.year,
        data=str(args.data or ""),
        trust=args.trust,
        framework=args.framework,
        min_group_size=args.min_group_size,
        output=str(args.out),
        benchmarks=args.benchmarks or "",
        as_of=args.as_of or "",
    )
    batch = run_batch(
        settings,
        BatchRun(
            tuple(args.schools) if args.schools else None,
            args.workers,
            args.executor,
            args.scheduler,
            not args.no_pdf,
            not args.no_progress,
        ),
    )
    for r in batch.results:
        status = f"ok  {r.seconds:5.1f}s" if r.ok else "FAILED"
        if r.retries:
            status += f" (kernel replaced, run {r.retries + 1} times)"
        print(f"{r.school_id:8} {status:10} {r.name or ''} {r.academic_year}" + (f"  {r.error}" if r.error else ""))
    if batch.overview:
        print(f"group overview: {batch.overview.pdf or batch.overview.html}")
    if batch.overview_error:
        print(f"group overview FAILED: {batch.overview_error}")
    kind = "PDFs" if not args.no_pdf else "reports"
    print(
        f"{len(batch.succeeded)} of {len(batch.results)} school reports written; "
        f"{kind} are in {batch.out_dir.resolve()}"
    )
    return 0 if batch.ok else 1


def _cmd_export(args) -> int:
    from ..export.figures import figure_records, write_records
    from ..model import assess_school

    settings = ReportSettings(
        school_id=args.school,
        year=args.year,
        data=args.data,
        framework=args.framework,
        min_group_size=args.min_group_size,
    )
    assessment = assess_school(settings)
    withheld = assessment.current.figures.withheld
    if withheld:
        from ..errors import ReleaseWithheldError

        names = ", ".join(assessment.bank.surveys[s].name for s in withheld)
        raise ReleaseWithheldError(
            f"{settings.school_id} {assessment.current.year}: no export: every survey figure of the school "
            f"year is withheld ({names}: no way to publish them without a small group being worked out); "
            f"the report shows the reason"
        )
    text = write_records(figure_records(assessment), args.format, args.out)
    if args.out:
        print(f"{args.out}: published figures of {settings.school_id}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """``wqm report``, ``wqm batch``, ``wqm export``."""
    p = sub.add_parser("report", help="render one school's report (notebook, HTML, PDF)")
    p.add_argument("school", help="school id, e.g. NLT01")
    report_options(p, DEFAULT_REPORT_DIR)
    p.add_argument(
        "--full",
        action="store_true",
        help="print the appendix too (per-element evidence, per-group tables, the checklist items, the "
        "evidence crosswalk, notes and scale) as <stem>_appendix.pdf, from the same run",
    )
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("batch", help="render every school of a group in parallel, plus a group overview")
    report_options(p, DEFAULT_BATCH_DIR)
    p.add_argument("--trust", default="", help="only this trust's schools")
    p.add_argument("--schools", nargs="+", help="only these school ids")
    p.add_argument(
        "--workers", type=int, default=0, help="worker processes for --executor process (default: every core)"
    )
    p.add_argument(
        "--executor",
        choices=LazyChoices(executor_names),
        default="process",
        metavar="EXECUTOR",
        help="process: worker processes on this machine, each with a warm kernel (default); "
        "serial: one school after another in this process; dask: a Dask cluster (--scheduler)",
    )
    p.add_argument(
        "--scheduler",
        default="",
        metavar="ADDRESS",
        help="the Dask scheduler for --executor dask, e.g. tcp://10.0.0.5:8786",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_batch)

    p = sub.add_parser("export", help="write a school's published survey figures as JSON or CSV")
    p.add_argument("school", help="school id, e.g. NLT01")
    data_option(p)
    p.add_argument("--year", "--cycle", dest="year", default="", help="academic year (default: the latest)")
    framework_option(p)
    min_group_size_option(p)
    p.add_argument("--format", choices=["json", "csv"], required=True)
    p.add_argument("--out", default="", help="file to write (default: standard output)")
    p.set_defaults(func=_cmd_export)
