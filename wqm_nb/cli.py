"""The ``wqm`` command.

Every command names the data location ``--data PATH`` (a store file or a CSV
folder) and the academic year ``--year`` (``--db`` and ``--cycle`` are kept as
aliases). Only the standard library is imported here: each command imports
what it needs when it runs, so ``wqm --help`` is instant. A
:class:`~wqm_nb.errors.WqmError` is printed as one line and exits with status
2; any other exception is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import SettingsError, WqmError
from .settings import (DEFAULT_BATCH_DIR, DEFAULT_FRAMEWORK, DEFAULT_MIN_GROUP_SIZE, DEFAULT_REPORT_DIR, PHASES,
                       ReportSettings)


def _cmd_report(args) -> int:
    from .export.render import render_report

    settings = ReportSettings(school_id=args.school, year=args.year, data=args.data, framework=args.framework,
                              min_group_size=args.min_group_size, output=args.out, benchmarks=args.benchmarks,
                              as_of=args.as_of)
    _check_benchmark_file(settings.benchmarks)
    school, year, files = render_report(settings, pdf=not args.no_pdf)
    print(f"{school['name']} ({settings.school_id}), {year}")
    for label, path in (("notebook", files.notebook), ("html", files.html), ("pdf", files.pdf)):
        if path:
            print(f"  {label:8} {path}")
    return 0


def _cmd_batch(args) -> int:
    from .batch import BatchRun, run_batch
    from .settings import GroupSettings

    settings = GroupSettings(year=args.year, data=str(args.data or ""), trust=args.trust, framework=args.framework,
                             min_group_size=args.min_group_size, output=str(args.out), benchmarks=args.benchmarks or "",
                             as_of=args.as_of or "")
    batch = run_batch(settings, BatchRun(tuple(args.schools) if args.schools else None, args.workers, args.executor,
                                         args.scheduler, not args.no_pdf, not args.no_progress))
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
    print(f"{len(batch.succeeded)} of {len(batch.results)} school reports written; "
          f"{kind} are in {batch.out_dir.resolve()}")
    return 0 if batch.ok else 1


def _cmd_export(args) -> int:
    from .export.figures import figure_records, write_records
    from .model import assess_school

    settings = ReportSettings(school_id=args.school, year=args.year, data=args.data, framework=args.framework,
                              min_group_size=args.min_group_size)
    assessment = assess_school(settings)
    withheld = assessment.current.figures.withheld
    if withheld:
        from .errors import ReleaseWithheldError

        names = ", ".join(assessment.bank.surveys[s].name for s in withheld)
        raise ReleaseWithheldError(f"{settings.school_id} {assessment.current.year}: no export: every figure of the "
                                   f"{names} is withheld (no way to publish them without a small group being worked "
                                   f"out); the report shows the reason")
    text = write_records(figure_records(assessment), args.format, args.out)
    if args.out:
        print(f"{args.out}: published figures of {settings.school_id}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_serve(args) -> int:
    from .serve.app import serve
    from .settings import data_location

    serve(data_location(args.data), port=args.port, token=args.token, max_kernels=args.max_kernels,
          preheat=not args.no_preheat, ready=getattr(args, "ready", None), cull_idle=args.cull_idle,
          cull_interval=args.cull_interval, public_url=args.public_url, page=getattr(args, "page", "report"),
          pdf_dir=getattr(args, "pdf_dir", ""))
    return 0


def _cmd_links(args) -> int:
    from .serve.links import LinkRegistry, load_secret, make_link, parse_duration
    from .settings import data_location
    from .spreadsheet import write_csv
    from .store import Store

    if getattr(args, "links_command", None) == "list":
        return _links_list(args)
    if getattr(args, "links_command", None) == "revoke":
        return _links_revoke(args)
    data = data_location(args.data)
    with Store.open(data, read_only=True) as store:
        schools = {s["school_id"]: s for s in store.schools()}
        wanted = args.schools or list(schools)
        # a link is bound to a year: the one asked for, else each school's latest now
        years = {school_id: store.school_year(school_id, args.year or None)["academic_year"] for school_id in wanted}
    secret = load_secret(data)
    registry = LinkRegistry(data)
    valid_for = parse_duration(args.expires)
    rights = [r for r in args.rights.split(",") if r.strip()] if args.rights else None
    rows = []
    for school_id in wanted:
        link = make_link(secret, school_id, years[school_id], valid_for, page=args.page, framework=args.framework,
                         rights=rights)
        registry.issued(link)
        url = link.url(args.base_url)
        rows.append([school_id, schools[school_id]["name"], link.year, args.page, ",".join(link.rights),
                     link.link_id, link.expires, url])
        print(f"{school_id:8} {url}")
    if args.out:
        write_csv(args.out, ["school_id", "name", "year", "page", "rights", "link_id", "expires", "link"], rows)
        print(f"{len(rows)} links written to {args.out}", file=sys.stderr)
    return 0


def _links_list(args) -> int:
    from datetime import datetime, timezone

    from .serve.links import LinkRegistry
    from .settings import data_location

    rows = LinkRegistry(data_location(args.data)).listing(everything=args.all)
    if not rows:
        print("no links" + ("" if args.all else " in force (--all lists expired and revoked ones too)"))
        return 0
    print(f"{'id':12}  {'school':8} {'year':7}  {'page':13} {'rights':40} {'expires':16}  state")
    for r in rows:
        until = datetime.fromtimestamp(r["expires"], timezone.utc).strftime("%Y-%m-%d %H:%M")
        print(f"{r['id']:12}  {r['school']:8} {r['year']:7}  {r['page']:13} {','.join(r['rights']):40} "
              f"{until:16}  {r['state']}")
    return 0


def _links_revoke(args) -> int:
    from .serve.links import LinkRegistry
    from .settings import data_location

    record = LinkRegistry(data_location(args.data)).revoke(args.link_id)
    print(f"revoked link {args.link_id} ({record['page']} for {record['school']} {record['year']}); "
          f"a server refuses it from its next request")
    return 0


def _cmd_sample(args) -> int:
    from .sample import SAMPLE_SEED, write_sample

    if args.schools is not None and args.schools < 1:
        raise SettingsError("--schools must be at least 1")
    for path in write_sample(args.out, SAMPLE_SEED if args.seed is None else args.seed, schools=args.schools):
        print(path)
    return 0


def _cmd_import(args) -> int:
    from .store import Store, import_folder

    mode = "replace" if args.replace else "merge" if args.merge else "new"
    report = import_folder(args.source, args.data, mode)
    print(report.summary())
    with Store.open(report.target, read_only=True) as store:
        print(f"{report.target}: {len(store.schools())} schools, {len(store.school_years())} school years, "
              f"{len(store.cycles())} cycles")
    _refresh_benchmarks(report.target)
    return 0


def _check_benchmark_file(path: str) -> None:
    """Load a benchmark file named by --benchmarks once, so a mistake in it is a one-line error at once."""
    if path:
        from .data.benchmark_file import load_benchmark_file

        load_benchmark_file(path)


def _refresh_benchmarks(data, year: str = "", framework: str = "",
                        min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> None:
    """Recompute the store's cached portfolio benchmarks and say how many rows were written."""
    from .model.benchmarks import refresh_benchmarks
    from .store import Store
    from .store.store import store_file_for_writing

    with Store.open(store_file_for_writing(data, "wqm benchmarks refresh")) as store:
        written = refresh_benchmarks(store, year or None, framework or None, min_group_size)
    years = sorted({y for y, _ in written})
    frameworks = sorted({f for _, f in written})
    print(f"benchmarks refreshed: {sum(written.values())} rows for {', '.join(frameworks) or 'no framework'} in "
          f"{', '.join(years) or 'no year'}")


def _cmd_benchmarks_refresh(args) -> int:
    from .settings import check_academic_year, data_location

    if args.year:
        check_academic_year(args.year)
    _refresh_benchmarks(data_location(args.data), args.year, args.framework, args.min_group_size)
    return 0


def _cmd_threshold(args) -> int:
    from .settings import DEFAULT_MIN_GROUP_SIZE, data_location
    from .store import Store
    from .store.store import check_new_threshold, folder_threshold, folder_threshold_path

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
    from .model.benchmarks import refresh_benchmarks

    with Store.open(data) as store:
        before = store.set_threshold(args.value)
        written = refresh_benchmarks(store)
    print(f"{data}: threshold {before} -> {args.value}; cached benchmarks recomputed at {args.value} "
          f"({sum(written.values())} rows)")
    return 0


def _cmd_migrate(args) -> int:
    from .store import migrate

    old, new = migrate(args.data)
    print(f"{args.data}: schema version {old}" + (f" upgraded to {new} (a backup copy was kept)" if old != new
                                                  else ", already current"))
    return 0


def _cmd_school_remove(args) -> int:
    from .store import remove_school

    if not args.confirm:
        raise SettingsError(f"this erases every record of {args.school} from {args.data}, history included; "
                            f"add --confirm to do it")
    from .disclosure.ledger import Ledger, ledger_path

    counts = remove_school(args.data, args.school)
    counts["published releases"] = Ledger(ledger_path(args.data)).remove_school(args.school)
    print(f"removed {args.school} from {args.data}: " + ", ".join(f"{v} {k}" for k, v in counts.items())
          + " (logged in the store's erasure log)")
    return 0


def _reason_text(reason: str, threshold: int) -> str:
    from .model.figures import reason_texts

    return reason_texts(threshold)[reason]


def _cmd_publish(args) -> int:
    from .data import load_framework, load_mapping, load_question_bank
    from .disclosure.ledger import Ledger, published_release
    from .model.figures import survey_totals
    from .settings import data_location
    from .store import Store

    bank = load_question_bank()
    fw = load_framework(args.framework)
    with Store.open(data_location(args.data), read_only=True) as store:
        sy = store.school_year(args.school, args.year or None)
        year, threshold = sy["academic_year"], store.threshold
        data = store.survey_data(sy["school_year_id"], bank)
        ledger = Ledger.of(store)
        earlier = ledger.entries(args.school, year) if ledger is not None else []
        release, new = published_release(ledger, args.school, year, data, bank, threshold,
                                         survey_totals(data, bank), fw, load_mapping(fw, bank),
                                         record=not args.dry_run)
    last = earlier[-1].release if earlier else None
    state = ("already published: nothing to record" if not new else
             "a new release; dry run: nothing was recorded" if args.dry_run else "a new release, recorded")
    print(f"{args.school} {year}: {state} (threshold {threshold}; {len(earlier)} release(s) of the school year "
          f"recorded before)")
    for label, decided, earlier_decided in (("", release.reasons, last.reasons if last else None),
                                            (" validated measures", release.measures, last.measures if last else None)):
        for survey, reasons in decided.items():
            if not reasons:
                continue
            before = earlier_decided.get(survey, {}) if earlier_decided is not None else {}
            print(f"{survey}{label}: {len(reasons)} figure(s) hidden")
            for (where, subgroup), reason in sorted(reasons.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
                mark = "" if before.get((where, subgroup)) == reason else "  (new)" if last is not None else ""
                print(f"  {where} {subgroup if subgroup is not None else 'whole group'}: "
                      f"{_reason_text(reason, threshold)}{mark}")
    return 0


def _cmd_ledger(args) -> int:
    from .disclosure.ledger import Ledger
    from .settings import data_location
    from .store import Store

    with Store.open(data_location(args.data), read_only=True) as store:
        ledger = Ledger.of(store)
    entries = ledger.entries(args.school or None) if ledger is not None else []
    rows = [{"release": e.release_id, "school": e.school_id, "year": e.academic_year, "threshold": e.threshold,
             "recorded_at": e.recorded_at,
             "hidden": sum(len(v) for v in e.release.reasons.values()),
             "respondents": sum(sum(m.values()) for m in e.release.members.values())} for e in entries]
    if not rows:
        print(f"no release recorded in {ledger.path if ledger is not None else 'memory'}")
        return 0
    width = max(len(r["release"]) for r in rows)
    print(f"{'release':{width}}  school  year     threshold  hidden  respondents  recorded at")
    for r in rows:
        print(f"{r['release']:{width}}  {r['school']:6}  {r['year']:7}  {r['threshold']:9}  {r['hidden']:6}  "
              f"{r['respondents']:11}  {r['recorded_at']}")
    return 0


def _cmd_validate(args) -> int:
    from .data import bundled_files, validate_file

    failed = 0
    for path in args.files or bundled_files():
        try:
            print(validate_file(path))
        except WqmError as exc:
            print(f"INVALID {exc}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def _cmd_score(args) -> int:
    import csv
    import json

    import pandas as pd

    from .data.instruments import load_instrument
    from .errors import DataFileError
    from .intake.files import read_table
    from .model.scoring import score_prescored, score_responses, scores_records, scores_table
    from .spreadsheet import neutralise, restore, write_csv

    instrument = load_instrument(args.instrument)
    informant = instrument.resolve_informant(args.informant)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise DataFileError(args.file.name, "", f"cannot read file: {exc.strerror}") from None
    table = read_table(data, args.file.name)
    if table.cells.empty:
        raise DataFileError(table.file_name, "", "no header row")
    cells = table.cells.apply(lambda column: column.map(restore))
    header = [str(h).strip() for h in cells.iloc[0]]
    answers = pd.DataFrame(cells.iloc[1:].to_numpy(), columns=header)
    rows = [table.row_number(i) for i in range(1, len(cells))]
    score = score_prescored if args.prescored else score_responses
    scored = score(instrument, answers, informant, file=table.file_name, row_numbers=rows)
    if args.format == "json":
        text = json.dumps(scores_records(scored), indent=2, ensure_ascii=False) + "\n"
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    else:
        names, values = scores_table(scored)
        if args.out:
            write_csv(args.out, names, values)
        else:
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow([neutralise(h) for h in names])
            writer.writerows([neutralise(v) for v in row] for row in values)
    banding = instrument.bands.get(informant)
    first = instrument.scores[0].id
    print(f"{table.file_name}: {len(scored)} respondents scored with {instrument.name} ({informant}); "
          f"{int(scored[first].isna().sum())} with no {first} score"
          + (f"; bands: {banding.scheme}" if banding else "")
          + (f" -> {args.out}" if args.out else ""), file=sys.stderr)
    if banding and banding.status != "confirmed":
        print(f"note: the {informant} bands are {banding.status} against the published source "
              f"(see docs/instruments.md)", file=sys.stderr)
    return 0


def _cmd_schools(args) -> int:
    from .settings import data_location
    from .store import Store

    with Store.open(data_location(args.data), read_only=True) as store:
        years: dict[str, list[str]] = {}
        for y in store.school_years():
            years.setdefault(y["school_id"], []).append(y["academic_year"])
        for s in store.schools(args.trust or None):
            print(f"{s['school_id']:8} {s['name']:32} {s['phase']:10} {s['trust']:28} "
                  f"{', '.join(years.get(s['school_id'], []))}")
    return 0


def _cmd_survey_import(args) -> int:
    from .data import load_question_bank
    from .data.import_mapping import load_import_mapping
    from .intake.comments import read_staff_list
    from .intake.plan import commit_import, inspect_export, plan_import
    from .settings import check_academic_year, data_location
    from .store import Store
    from .store.store import store_file_for_writing

    check_academic_year(args.year)
    bank = load_question_bank()
    mapping = load_import_mapping(args.mapping, bank) if args.mapping else None
    if args.instrument:
        from .data.import_mapping import with_instrument

        mapping = with_instrument(mapping, args.survey, args.instrument, args.informant, args.instrument_columns)
    elif args.informant or args.instrument_columns:
        raise SettingsError("--informant and --instrument-columns need --instrument NAME")
    staff = read_staff_list(Path(args.staff_list)) if args.staff_list else ()
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror}") from None
    inspection = inspect_export(data, path.name, args.survey, bank=bank, mapping=mapping)
    print(f"{'column':6} {'becomes':34} header")
    for m in inspection.matches:
        print(f"{m.column.letter:6} {m.described:34} {m.column.header[:70]}")
    if args.save_mapping:
        Path(args.save_mapping).write_text(inspection.mapping_used().to_yaml(), encoding="utf-8")
        print(f"mapping saved to {args.save_mapping} (use it next time with --mapping)")
    plan = plan_import(inspection, keep_comments=args.keep_comments, staff_names=staff)
    for line in plan.summary():
        print(line)
    if args.dry_run:
        print("dry run: nothing was written")
        return 0
    on_existing = "replace" if args.replace else "add" if args.add else "refuse"
    with Store.open(store_file_for_writing(data_location(args.data), "a survey import")) as store:
        outcome = commit_import(store, plan, args.school, args.year, on_existing=on_existing,
                                imported_by=args.by)
    if outcome.already:
        print(f"already imported: this file is import {outcome.import_id} of {args.school} {args.year} "
              f"({outcome.already['imported_at']}); nothing was written")
        return 0
    for old in outcome.replaced:
        print(f"replaced import {old['import_id']} ({old['file_name'] or old['source']}, {old['imported_at']}); "
              f"its record is kept")
    scored = f" and {len(plan.score_rows())} measure scores" if plan.instruments else ""
    print(f"imported as import {outcome.import_id}: {outcome.answers} answers{scored} of {plan.kept} "
          f"{'forms' if plan.tally is not None else 'respondents'} for {args.school} {args.year}")
    return 0


def _cmd_survey_imports(args) -> int:
    from .settings import data_location
    from .store import Store

    with Store.open(data_location(args.data), read_only=True) as store:
        store.school(args.school)
        for r in store.survey_imports():
            if r["school_id"] != args.school or (args.year and r["academic_year"] != args.year):
                continue
            state = f"replaced by {r['replaced_by']}" if r["replaced_by"] else "current"
            print(f"{r['import_id']:5} {r['academic_year']} {r['survey']:7} {r['kind']:9} {r['source']:16} "
                  f"{r['respondents']:6} {r['imported_at']:25} {state:16} {r['file_name']}")
    return 0


def _cmd_survey_comments(args) -> int:
    from .disclosure.comments import comments_to_show
    from .disclosure.threshold import resolve_threshold
    from .settings import data_location
    from .store import Store

    with Store.open(data_location(args.data), read_only=True) as store:
        threshold = resolve_threshold(store.threshold, args.min_group_size, str(args.data))
        year = store.school_year(args.school, args.year or None)
        data = store.survey_data(year["school_year_id"])
        sizes = {s: int((b.values >= 0).any(axis=1).sum()) for s, b in data.blocks.items()}
        shown, held = comments_to_show(store.survey_comments(year["school_year_id"], args.survey or None), sizes,
                                       threshold)
    for c in shown:
        mark = f"[SAFEGUARDING: {c['flags']}] " if c["flags"] else ""
        print(f"{c['survey']:7} {c['item_id']:5} {mark}{c['text']}")
    for survey, n in held.items():
        print(f"{survey}: {n} comment(s) not shown: fewer than {threshold} respondents")
    return 0


def _cmd_school_add(args) -> int:
    from .settings import data_location
    from .store import Store
    from .store.store import store_file_for_writing

    target = Path(args.data)
    new = not target.exists()
    if new:                       # the first school of a new store
        if not target.parent.is_dir():
            raise SettingsError(f"no folder {target.parent} for a new store {target.name}")
    else:
        target = store_file_for_writing(data_location(args.data), "wqm school add")
    try:
        with (Store(target) if new else Store.open(target)) as store:
            store.add_school(args.school, args.name, args.phase, trust=args.trust,
                             local_authority=args.local_authority, pupils=args.pupils)
    except WqmError:
        if new:                   # leave no empty store behind
            for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
                leftover.unlink(missing_ok=True)
        raise
    print(f"added {args.school} ({args.name}, {args.phase}{', ' + args.trust if args.trust else ''}) to "
          f"{'a new store ' if new else ''}{args.data}")
    return 0


def _cmd_year_start(args) -> int:
    from .data import load_framework
    from .settings import check_academic_year, data_location
    from .store import Store
    from .store.store import store_file_for_writing

    check_academic_year(args.year)
    framework = load_framework(args.framework)
    with Store.open(store_file_for_writing(data_location(args.data), "wqm year start")) as store:
        store.school(args.school)
        started = store.start_year(args.school, args.year, framework.id, recorded_by=args.by)
    state = "started" if started["created"] else "already started"
    print(f"{args.school} {args.year} {framework.name}: {state}")
    if started["from_year"]:
        print(f"carried {len(started['carried'])} open target(s) from {started['from_year']}"
              + (": " + ", ".join(started["carried"]) if started["carried"] else ""))
    return 0


def _cmd_capture(args) -> int:
    from .data import load_framework
    from .serve.app import serve
    from .serve.links import LinkRegistry, load_secret, make_link, parse_duration
    from .settings import check_academic_year, data_location
    from .store import Store
    from .store.store import store_file_for_writing

    data = store_file_for_writing(data_location(args.data), "the capture form")
    framework = load_framework(args.framework)
    with Store.open(data, read_only=True) as store:
        store.school(args.school)
        year = args.year or store.school_year(args.school)["academic_year"]
    check_academic_year(year)
    link = make_link(load_secret(data), args.school, year, parse_duration(args.expires), page="capture",
                     framework=framework.id)
    LinkRegistry(data).issued(link, note="wqm capture")
    url = link.url(args.public_url or f"http://127.0.0.1:{args.port}")
    from datetime import datetime, timezone

    until = datetime.fromtimestamp(link.expires, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"capture form for {args.school} {year} ({framework.name}); this link opens that school's form "
          f"for writing, and no other school, until {until}:\n  {url}", flush=True)
    serve(data, port=args.port, token=args.token, max_kernels=args.max_kernels, preheat=not args.no_preheat,
          cull_idle=args.cull_idle, cull_interval=args.cull_interval, public_url=args.public_url, page="capture")
    return 0


def _cmd_sef_export(args) -> int:
    from .data import load_framework
    from .export.sef_workbook import write_sef_workbook
    from .settings import check_academic_year, data_location
    from .store import Store

    check_academic_year(args.year)
    framework = load_framework(args.framework)
    with Store.open(data_location(args.data), read_only=True) as store:
        cycle = store.cycle(args.school, args.year, framework.id)
        current = store.current_elements(cycle["cycle_id"]) if cycle else {}
        path = write_sef_workbook(store, args.school, args.year, framework, args.xlsx)
    rated = sum(1 for state in current.values() if state.get("rating") is not None)
    print(f"wrote {path}: {args.school} {args.year} {framework.name}, {len(framework.element_ids)} elements "
          f"({rated} rated{'' if cycle else '; not started yet'}); send it to the school, then read it back "
          f"with `wqm sef import {Path(path).name}`")
    return 0


def _cmd_sef_import(args) -> int:
    from .intake.sef_workbook import commit_sef_workbook, read_sef_workbook
    from .settings import data_location
    from .store import Store
    from .store.store import store_file_for_writing

    location = data_location(args.data)
    if not args.dry_run:
        location = store_file_for_writing(location, "wqm sef import")
    with Store.open(location, read_only=args.dry_run) as store:
        changes = read_sef_workbook(Path(args.file), store)
        by = args.by or changes.completed_by
        print(f"{changes.school_id} {changes.year} {changes.framework.name}: {len(changes.entries)} change(s), "
              f"{changes.unchanged} unchanged, from {changes.file}"
              + (f" (completed by {changes.completed_by})" if changes.completed_by else ""))
        for line in changes.change_lines():
            print(f"  {line}")
        for note in changes.kept + changes.warnings:
            print(f"note: {note}")
        if args.dry_run:
            print("dry run: nothing was written")
            return 0
        if changes.entries and not by:
            print("wqm: warning: no --by and no 'Completed by' in the workbook: the entries are recorded "
                  "without a name", file=sys.stderr)
        ids = commit_sef_workbook(store, changes, recorded_by=by)
    print(f"recorded {len(ids)} entr{'y' if len(ids) == 1 else 'ies'}" + (f" by {by}" if by and ids else ""))
    return 0


def _cmd_sef_show(args) -> int:
    import json

    from .data import load_framework
    from .settings import data_location
    from .store import Store

    framework = load_framework(args.framework)
    with Store.open(data_location(args.data), read_only=True) as store:
        year = store.school_year(args.school, args.year or None)["academic_year"]
        cycle = store.cycle(args.school, year, framework.id)
        current = store.current_elements(cycle["cycle_id"]) if cycle else {}
    rows = []
    for principle, element in framework.elements:
        state = current.get(element.id, {})
        rows.append(dict(element_id=element.id, principle_id=principle.id, rating=state.get("rating"),
                         evidence=state.get("evidence", ""), sorting=state.get("sorting", ""),
                         recorded_at=state.get("recorded_at"), recorded_by=state.get("recorded_by", "")))
    if args.json:
        print(json.dumps(dict(school_id=args.school, year=year, framework=framework.id, elements=rows),
                         indent=2, ensure_ascii=False))
        return 0
    print(f"{args.school} {year} {framework.name}" + ("" if cycle else ": not started (no self-evaluation yet)"))
    for r in rows:
        rating = "-" if r["rating"] is None else str(r["rating"])
        print(f"{r['element_id']:8} {rating:2} {r['sorting'] or '-':11} {(r['recorded_at'] or ''):25} "
              f"{r['recorded_by']:16} {r['evidence'][:60]}")
    return 0


def _cmd_award_record(args) -> int:
    import os

    from .data import load_framework
    from .settings import check_academic_year, data_location
    from .store import Store
    from .store.store import store_file_for_writing

    framework = load_framework(args.framework)
    if not framework.has_levels:
        raise SettingsError(f"{framework.name} has no award levels")
    levels = [lv.id for lv in framework.levels]
    if args.level not in levels:
        raise SettingsError(f"unknown level {args.level!r} for {framework.name} (its levels: {', '.join(levels)})")
    check_academic_year(args.year)
    by = args.by or os.environ.get("WQM_USER", "")
    with Store.open(store_file_for_writing(data_location(args.data), "wqm award record")) as store:
        store.school(args.school)
        if args.supersedes is not None:
            old = [d for d in store.award_decisions(args.school, history=True) if d["decision_id"] == args.supersedes]
            if old and old[0]["framework"] != framework.id:
                raise SettingsError(f"decision {args.supersedes} is a {old[0]['framework']} decision, "
                                    f"not {framework.id}")
        decision_id = store.record_award_decision(
            args.school, framework.id, args.level, args.year, outcome=args.outcome, decided_on=args.date or None,
            assessor=args.assessor, reasons=args.reasons, recorded_by=by, supersedes=args.supersedes)
        row = next(d for d in store.award_decisions(args.school, framework.id) if d["decision_id"] == decision_id)
    print(f"recorded decision {decision_id}: {args.school} {framework.level(args.level).name} ({framework.id}) "
          f"{args.year}: {args.outcome.replace('_', ' ')} on {row['decided_on']}"
          + (f" by {args.assessor}" if args.assessor else "")
          + (f", correcting decision {args.supersedes}" if args.supersedes is not None else ""))
    return 0


def _cmd_award_list(args) -> int:
    from .data import load_framework
    from .settings import data_location
    from .store import Store

    framework = load_framework(args.framework) if args.framework else None
    with Store.open(data_location(args.data), read_only=True) as store:
        store.school(args.school)
        rows = store.award_decisions(args.school, framework.id if framework else None, history=args.history)
    if not rows:
        print(f"{args.school}: no award decision recorded" + (f" for {framework.name}" if framework else ""))
        return 0
    corrected = {d["supersedes"]: d["decision_id"] for d in rows if d["supersedes"] is not None}
    names: dict[str, dict[str, str]] = {}
    for fid in {d["framework"] for d in rows}:
        try:
            names[fid] = {lv.id: lv.name for lv in load_framework(fid).levels}
        except WqmError:           # a framework this installation does not have: show level ids
            names[fid] = {}
    print(f"{'id':>4} {'year':8} {'framework':10} {'level':24} {'outcome':12} {'decided':10} {'assessor':18} reasons")
    for d in rows:
        notes = []
        if d["supersedes"] is not None:
            notes.append(f"corrects {d['supersedes']}")
        if d["decision_id"] in corrected:
            notes.append(f"corrected by {corrected[d['decision_id']]}")
        reasons = d["reasons"] + (f" ({'; '.join(notes)})" if notes else "")
        print(f"{d['decision_id']:>4} {d['academic_year']:8} {d['framework']:10} "
              f"{names[d['framework']].get(d['level'], d['level']):24} {d['outcome']:12} {d['decided_on']:10} "
              f"{d['assessor']:18} {reasons}".rstrip())
    return 0


def _data_option(p: argparse.ArgumentParser, *aliases: str, required: bool = False) -> None:
    p.add_argument("--data", *aliases, dest="data", default="", required=required, metavar="PATH",
                   help="store file or CSV folder" + ("" if required else
                                                      " (default: $WQM_DATA, or sample_data in a checkout)"))


def _report_options(p: argparse.ArgumentParser, out_default: str) -> None:
    _data_option(p)
    p.add_argument("--out", default=out_default, help=f"output folder (default: {out_default})")
    p.add_argument("--year", "--cycle", dest="year", default="",
                   help="academic year such as 2025-26 (default: the latest)")
    p.add_argument("--framework", default=DEFAULT_FRAMEWORK,
                   help="framework id (wqm, vbe, leadership_management) or a YAML file with your own rules")
    p.add_argument("--min-group-size", type=int, default=DEFAULT_MIN_GROUP_SIZE,
                   help="do not show survey groups smaller than this: the store's threshold, the default (see wqm threshold)")
    p.add_argument("--no-pdf", action="store_true", help="write notebook and HTML only")
    p.add_argument("--benchmarks", default="", metavar="FILE",
                   help="a benchmark file (published national or regional figures, .yaml or .csv) to print beside "
                        "the figures, with its source and year")
    p.add_argument("--as-of", dest="as_of", default="", type=_as_of_date, metavar="YYYY-MM-DD",
                   help="the report's date: overdue targets, review dates and term ends are worked out from it, so "
                        "the same data and date give the same report on any day (default: today)")


def _as_of_date(text: str) -> str:
    """``--as-of``: a date written YYYY-MM-DD (checked here, so the error names the option); '' is today."""
    from datetime import date

    if not text.strip():
        return ""
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date written YYYY-MM-DD: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The ``wqm`` argument parser."""
    parser = argparse.ArgumentParser(prog="wqm", description="Wellbeing quality-mark consultant workbench.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("report", help="render one school's report (notebook, HTML, PDF)")
    p.add_argument("school", help="school id, e.g. NLT01")
    _report_options(p, DEFAULT_REPORT_DIR)
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("batch", help="render every school of a group in parallel, plus a group overview")
    _report_options(p, DEFAULT_BATCH_DIR)
    p.add_argument("--trust", default="", help="only this trust's schools")
    p.add_argument("--schools", nargs="+", help="only these school ids")
    p.add_argument("--workers", type=int, default=0,
                   help="worker processes for --executor process (default: every core)")
    p.add_argument("--executor", choices=["process", "serial", "dask"], default="process",
                   help="process: worker processes on this machine, each with a warm kernel (default); "
                        "serial: one school after another in this process; dask: a Dask cluster (--scheduler)")
    p.add_argument("--scheduler", default="", metavar="ADDRESS",
                   help="the Dask scheduler for --executor dask, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_batch)

    p = sub.add_parser("export", help="write a school's published survey figures as JSON or CSV")
    p.add_argument("school", help="school id, e.g. NLT01")
    _data_option(p)
    p.add_argument("--year", "--cycle", dest="year", default="", help="academic year (default: the latest)")
    p.add_argument("--framework", default=DEFAULT_FRAMEWORK, help="framework id or YAML file")
    p.add_argument("--min-group-size", type=int, default=DEFAULT_MIN_GROUP_SIZE,
                   help="do not show survey groups smaller than this: the store's threshold, the default (see wqm threshold)")
    p.add_argument("--format", choices=["json", "csv"], required=True)
    p.add_argument("--out", default="", help="file to write (default: standard output)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("serve", help="serve the leaders' report app (Voila) on 127.0.0.1")
    _data_option(p)
    p.add_argument("--port", type=int, default=8866)
    p.add_argument("--token", default="", help="the consultant's token (default: a random one, printed)")
    p.add_argument("--max-kernels", type=int, default=None,
                   help="live report kernels at most (a report link: two of them); past that a viewer gets the "
                        "report as a static page that turns live when a place frees (default: sized for this "
                        "machine)")
    p.add_argument("--cull-idle", type=int, default=900,
                   help="shut a report down after this many seconds without use, even with its tab open (the page "
                        "then offers to reopen it)")
    p.add_argument("--cull-interval", type=int, default=None, metavar="SECONDS",
                   help="look for unused ones this often (default: a third of --cull-idle, 5 to 60)")
    p.add_argument("--ready", type=int, default=None, metavar="N",
                   help="keep up to N kernels ready while places are free, one per free place (default: one per "
                        "place, at most 4)")
    p.add_argument("--no-preheat", action="store_true", help="no kernel kept ready (slower first page)")
    p.add_argument("--public-url", default="", help="the https address viewers use through a reverse proxy")
    p.add_argument("--pdf-dir", default="", metavar="DIR",
                   help="a wqm batch output folder: Download PDF serves its PDFs while their keys match the "
                        "report shown (else renders one)")
    p.set_defaults(func=_cmd_serve, page="report")

    p = sub.add_parser("links", help="print (and write as CSV) one signed link per school for `wqm serve`; "
                                     "`wqm links list` and `wqm links revoke ID` manage them")
    _data_option(p)
    p.add_argument("--schools", nargs="+", help="only these school ids (default: every school)")
    p.add_argument("--year", default="", help="academic year the link is bound to (default: each school's latest)")
    p.add_argument("--framework", default=DEFAULT_FRAMEWORK, choices=("wqm", "vbe", "leadership_management"),
                   help="the framework the link opens and writes to (default: wqm)")
    p.add_argument("--rights", default="", metavar="RIGHT,...",
                   help="what the link may do: read, write_sef, import_survey, start_year, record_award "
                        "(default: what its page needs: report read; capture write_sef; survey-import "
                        "import_survey)")
    p.add_argument("--expires", default="30d", help="how long links stay valid: 30d, 12h, 90m (default: 30d)")
    p.add_argument("--base-url", default="http://127.0.0.1:8866", help="the address viewers use")
    p.add_argument("--out", default="", help="CSV file for a mail merge")
    p.add_argument("--page", default="report", choices=("report", "survey-import", "capture"),
                   help="the page the links open: the leaders' report (wqm serve), the survey import form "
                        "(wqm survey serve) or the self-evaluation form (wqm capture)")
    p.set_defaults(func=_cmd_links)
    links = p.add_subparsers(dest="links_command", required=False, metavar="{list,revoke}")
    q = links.add_parser("list", help="the links issued for this data that are in force (--all: every one)")
    _data_option(q)
    q.add_argument("--all", action="store_true", help="expired and revoked links too")
    q = links.add_parser("revoke", help="withdraw a link by its id (from `wqm links list`)")
    q.add_argument("link_id", metavar="ID")
    _data_option(q)

    p = sub.add_parser("sample", help="regenerate the seeded sample trust")
    p.add_argument("--out", default="sample_data")
    p.add_argument("--seed", type=int, default=None, help="default: the seed of the committed sample")
    p.add_argument("--schools", type=int, default=None,
                   help="make a larger trust of this many schools (the sample's eight first, then seeded ones of "
                        "realistic size) for benchmarks and load tests")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("import", help="import a CSV folder into a store file")
    p.add_argument("source", help="CSV folder")
    _data_option(p, "--db", required=True)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--replace", action="store_true",
                      help="replace an existing store's content (a timestamped backup copy is kept first)")
    mode.add_argument("--merge", action="store_true",
                      help="add what is new to an existing store, keeping every history row")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("migrate", help="upgrade a store made by an older wqm (a backup copy is kept)")
    _data_option(p, required=True)
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser("school", help="school records in a store")
    school_sub = p.add_subparsers(dest="school_command", required=True)
    p = school_sub.add_parser("remove", help="erase one school's data whole (retention or a data-subject "
                                             "request); logged")
    p.add_argument("school", help="school id")
    _data_option(p, required=True)
    p.add_argument("--confirm", action="store_true", help="really erase it")
    p.set_defaults(func=_cmd_school_remove)

    p = school_sub.add_parser("add", help="add a school to a store (no CSV needed)")
    p.add_argument("school", help="school id, e.g. NLT09")
    p.add_argument("--name", required=True)
    p.add_argument("--phase", required=True, choices=PHASES)
    p.add_argument("--trust", default="")
    p.add_argument("--local-authority", default="")
    p.add_argument("--pupils", type=int, default=None, help="number on roll")
    _data_option(p, required=True)
    p.set_defaults(func=_cmd_school_add)

    p = sub.add_parser("year", help="academic years of a school")
    year_sub = p.add_subparsers(dest="year_command", required=True)
    p = year_sub.add_parser("start", help="start a school's self-evaluation for a year, carrying open targets "
                                          "forward from its previous year")
    p.add_argument("school", help="school id")
    p.add_argument("year", help="academic year such as 2026-27")
    p.add_argument("--framework", default=DEFAULT_FRAMEWORK, help="framework id or YAML file")
    p.add_argument("--by", default="", help="who is starting it (recorded with the carried targets)")
    _data_option(p, required=True)
    p.set_defaults(func=_cmd_year_start)

    p = sub.add_parser("capture", help="serve one school's self-evaluation form (Voila) on 127.0.0.1 and print "
                                       "a signed link that opens it for writing")
    p.add_argument("school", help="school id")
    p.add_argument("--year", default="", help="academic year (default: the school's latest)")
    p.add_argument("--framework", default=DEFAULT_FRAMEWORK, help="framework id or YAML file")
    _data_option(p)
    p.add_argument("--port", type=int, default=8868)
    p.add_argument("--token", default="", help="the consultant's token (default: a random one, printed)")
    p.add_argument("--expires", default="30d", help="how long the printed link stays valid (default: 30d)")
    p.add_argument("--max-kernels", type=int, default=None, help="live forms at most; past that a viewer waits "
                   "in line on a page that tries again by itself")
    p.add_argument("--cull-idle", type=int, default=3600,
                   help="shut a form down after this many seconds without use, even with its tab open")
    p.add_argument("--cull-interval", type=int, default=None, metavar="SECONDS",
                   help="look for unused ones this often (default: a third of --cull-idle, 5 to 60)")
    p.add_argument("--no-preheat", action="store_true", help="no kernel kept ready")
    p.add_argument("--public-url", default="", help="the https address school leads reach through a reverse proxy")
    p.set_defaults(func=_cmd_capture)

    p = sub.add_parser("sef", help="a school's self-evaluation: Excel round trip and current ratings")
    sef_sub = p.add_subparsers(dest="sef_command", required=True)
    p = sef_sub.add_parser("export", help="write the SEF as an Excel workbook to fill in offline")
    p.add_argument("school", help="school id")
    p.add_argument("--year", required=True, help="academic year")
    p.add_argument("--framework", default=DEFAULT_FRAMEWORK, help="framework id or YAML file")
    _data_option(p)
    p.add_argument("--xlsx", required=True, metavar="FILE", help="the workbook to write")
    p.set_defaults(func=_cmd_sef_export)
    p = sef_sub.add_parser("import", help="read a filled-in SEF workbook back as new history entries")
    p.add_argument("file", help="the workbook (.xlsx) written by wqm sef export")
    _data_option(p)
    p.add_argument("--by", default="", help="who filled it in (default: the workbook's 'Completed by')")
    p.add_argument("--dry-run", action="store_true", help="check and list the changes; write nothing")
    p.set_defaults(func=_cmd_sef_import)
    p = sef_sub.add_parser("show", help="print the current ratings")
    p.add_argument("school", help="school id")
    p.add_argument("--year", default="", help="academic year (default: the latest)")
    p.add_argument("--framework", default=DEFAULT_FRAMEWORK, help="framework id or YAML file")
    _data_option(p)
    p.add_argument("--json", action="store_true", help="as JSON")
    p.set_defaults(func=_cmd_sef_show)

    p = sub.add_parser("survey", help="survey data: import real exports and paper tallies, list imports, "
                                      "read comments")
    survey_sub = p.add_subparsers(dest="survey_command", required=True)
    p = survey_sub.add_parser("import", help="import a Microsoft Forms, Google Forms or SurveyMonkey export, "
                                             "a CSV/XLSX, or a paper tally")
    p.add_argument("file", help="the export (.xlsx, .csv or tab-separated)")
    p.add_argument("--school", required=True, help="school id")
    p.add_argument("--year", required=True, help="academic year such as 2025-26")
    p.add_argument("--survey", required=True, choices=("staff", "pupil", "parent", "staff_audit"))
    _data_option(p)
    p.add_argument("--mapping", help="a mapping YAML saved by an earlier import (--save-mapping)")
    p.add_argument("--save-mapping", metavar="FILE", help="write the mapping this import used as YAML")
    p.add_argument("--dry-run", action="store_true", help="show what would be imported; write nothing")
    existing = p.add_mutually_exclusive_group()
    existing.add_argument("--replace", action="store_true",
                          help="replace the survey's earlier import for this school and year (its record is kept)")
    existing.add_argument("--add", action="store_true",
                          help="add these respondents to the earlier import (e.g. paper forms beside an online export)")
    p.add_argument("--keep-comments", action="store_true",
                   help="keep answers to the bank's comment questions, redacted, for the consultant only")
    p.add_argument("--staff-list", help="names to redact from comments (one per line, or a CSV with a name column)")
    p.add_argument("--by", default="", help="who is importing (recorded with the import)")
    p.add_argument("--instrument", metavar="NAME",
                   help="the export carries a validated measure's items (sdq, swemwbs, stirling): they are scored "
                        "and only the scores stored")
    p.add_argument("--informant", choices=("parent", "teacher", "self"),
                   help="who answered the measure (the SDQ's form; default: self in the pupil survey, parent in "
                        "the parent survey)")
    p.add_argument("--instrument-columns", metavar="F:L", default="",
                   help="the measure's columns in the order of its items: a range F:L, a list F,G,H, or the "
                        "first column F (default: columns named in --mapping or headed swemwbs1, sdq1, ...)")
    p.set_defaults(func=_cmd_survey_import)
    p = survey_sub.add_parser("serve", help="serve the survey import form (Voila) on 127.0.0.1, behind the same "
                                            "token, Host check and signed links as wqm serve")
    _data_option(p)
    p.add_argument("--port", type=int, default=8867)
    p.add_argument("--token", default="", help="the consultant's token (default: a random one, printed)")
    p.add_argument("--max-kernels", type=int, default=None, help="live forms at most; past that a viewer waits "
                   "in line on a page that tries again by itself")
    p.add_argument("--cull-idle", type=int, default=1800,
                   help="shut a form down after this many seconds without use, even with its tab open")
    p.add_argument("--cull-interval", type=int, default=None, metavar="SECONDS",
                   help="look for unused ones this often (default: a third of --cull-idle, 5 to 60)")
    p.add_argument("--no-preheat", action="store_true", help="no kernel kept ready")
    p.add_argument("--public-url", default="", help="the https address users reach through a reverse proxy")
    p.set_defaults(func=_cmd_serve, page="survey-import")
    p = survey_sub.add_parser("imports", help="list a school's survey imports")
    p.add_argument("school")
    p.add_argument("--year", default="")
    _data_option(p)
    p.set_defaults(func=_cmd_survey_imports)
    p = survey_sub.add_parser("comments", help="read a school's kept survey comments (consultant only), "
                                               "safeguarding flags first")
    p.add_argument("school")
    p.add_argument("--year", default="", help="academic year (default: the latest)")
    p.add_argument("--survey", default="")
    p.add_argument("--min-group-size", type=int, default=DEFAULT_MIN_GROUP_SIZE,
                   help="the store's threshold (the default follows it): unflagged comments of a survey with "
                        "fewer respondents are not shown")
    _data_option(p)
    p.set_defaults(func=_cmd_survey_comments)

    p = sub.add_parser("award", help="award decisions: record one (level, outcome, date, assessor, reasons), list them")
    award_sub = p.add_subparsers(dest="award_command", required=True)
    p = award_sub.add_parser("record", help="record an award decision (append-only; a correction supersedes one)")
    p.add_argument("school", help="school id")
    p.add_argument("--level", required=True, help="a level id of the framework (wqm: approved, champion, beacon)")
    p.add_argument("--outcome", required=True, choices=("awarded", "not_awarded", "deferred", "withdrawn"))
    p.add_argument("--year", required=True, help="the academic year assessed, such as 2025-26")
    p.add_argument("--date", default="", help="the decision's date, YYYY-MM-DD (default: today)")
    p.add_argument("--assessor", default="", help="who assessed")
    p.add_argument("--reasons", default="", help="the reasons for the decision")
    p.add_argument("--framework", default=DEFAULT_FRAMEWORK, help="framework id or YAML file")
    p.add_argument("--supersedes", type=int, default=None, metavar="ID",
                   help="the id of the decision this one corrects (see wqm award list --history)")
    p.add_argument("--by", default="", help="who is recording it (default: $WQM_USER)")
    _data_option(p, required=True)
    p.set_defaults(func=_cmd_award_record)
    p = award_sub.add_parser("list", help="list a school's award decisions")
    p.add_argument("school", help="school id")
    p.add_argument("--framework", default="", help="only this framework's decisions (id or YAML file)")
    p.add_argument("--history", action="store_true", help="corrected decisions too")
    _data_option(p)
    p.set_defaults(func=_cmd_award_list)

    p = sub.add_parser("benchmarks", help="portfolio benchmarks cached in a store")
    benchmarks_sub = p.add_subparsers(dest="benchmarks_command", required=True)
    p = benchmarks_sub.add_parser("refresh", help="recompute every school's portfolio benchmarks (the other "
                                                  "schools of its phase) after new survey or self-evaluation data")
    p.add_argument("--year", default="", help="only this academic year (default: every year)")
    p.add_argument("--framework", default="", help="only this framework, id or YAML file (default: every bundled one)")
    p.add_argument("--min-group-size", type=int, default=DEFAULT_MIN_GROUP_SIZE,
                   help="the group size below which figures are hidden (default: the store's threshold; see "
                        "wqm threshold)")
    _data_option(p, required=True)
    p.set_defaults(func=_cmd_benchmarks_refresh)

    p = sub.add_parser("publish", help="publish a school year's release: what every surface shows, recorded in "
                                       "the publication ledger; --dry-run shows what a new release would hide")
    p.add_argument("school")
    p.add_argument("--year", default="", help="academic year (default: the latest)")
    p.add_argument("--framework", default="wqm", help="the framework whose report publishes it (default: wqm)")
    p.add_argument("--dry-run", action="store_true", help="show what would be hidden and why; record nothing")
    _data_option(p)
    p.set_defaults(func=_cmd_publish)

    p = sub.add_parser("ledger", help="the releases published from a store or CSV folder (the publication ledger)")
    p.add_argument("school", nargs="?", default="", help="one school only")
    _data_option(p)
    p.set_defaults(func=_cmd_ledger)

    p = sub.add_parser("threshold", help="the publication threshold of a store or CSV folder: show it, or raise "
                                         "it (every report, export and overview from it uses it)")
    p.add_argument("value", nargs="?", type=int, default=None,
                   help="the new threshold (at least 3; never lower than it is; the first setting may choose any "
                        "value from 3); a store's cached benchmarks are recomputed at it")
    _data_option(p)
    p.set_defaults(func=_cmd_threshold)

    p = sub.add_parser("validate", help="validate framework, scale, question-bank and mapping files")
    p.add_argument("files", nargs="*", type=Path)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("score", help="score per-respondent answers to a validated measure (SDQ, SWEMWBS, "
                                     "Stirling) as published; write the scores as CSV or JSON")
    p.add_argument("instrument", help="sdq, swemwbs, stirling or an instrument YAML file")
    p.add_argument("file", type=Path, help="a CSV or XLSX file: one row per respondent, one column per item "
                                           "(sdq1.., swemwbs1.., stirling1..), numbers or response labels")
    p.add_argument("--informant", choices=["parent", "teacher", "self"], default=None,
                   help="who answered (the SDQ needs it)")
    p.add_argument("--prescored", action="store_true",
                   help="the file holds SDQ scale scores (emotional, conduct, hyperactivity, peer, prosocial[, "
                        "impact]), not item answers")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--out", type=Path, default=None, help="write here instead of to standard output")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("schools", help="list schools and their academic years")
    _data_option(p)
    p.add_argument("--trust", default="")
    p.set_defaults(func=_cmd_schools)
    return parser


def cli_reference() -> str:
    """The command-line reference (``docs/cli-reference.md``) from the parser's own help, every command and
    sub-command, at a fixed width: ``make cli-reference`` writes it, and a test checks it has not drifted."""
    import os

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        parser = build_parser()
        parts = ["# Command-line reference", "",
                 "Generated from `wqm --help` by `make cli-reference`; a test fails when it is out of date.", ""]

        def walk(p: argparse.ArgumentParser, name: str) -> None:
            parts.extend([f"## {name}", "", "```text", p.format_help().rstrip(), "```", ""])
            for action in p._actions:
                if isinstance(action, argparse._SubParsersAction):
                    for sub_name, sub in action.choices.items():
                        walk(sub, f"{name} {sub_name}")

        walk(parser, "wqm")
        return "\n".join(parts)
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved


def main(argv: list[str] | None = None) -> int:
    """Run ``wqm``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except WqmError as exc:
        print(f"wqm: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:     # Ctrl-C: what finished is kept (each file is written whole or not at all)
        print("wqm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:       # `wqm ... | head`: the reader has gone, which is not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
