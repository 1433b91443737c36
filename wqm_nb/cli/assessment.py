"""``wqm sef export|import|show`` and ``wqm award record|list``: a school's self-evaluation and its award
decisions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SettingsError, WqmError
from .options import LazyChoices, award_outcomes, data_option, framework_option, open_store


def _cmd_sef_export(args) -> int:
    from ..data import load_framework
    from ..export.sef_workbook import write_sef_workbook
    from ..settings import check_academic_year

    check_academic_year(args.year)
    framework = load_framework(args.framework)
    with open_store(args) as store:
        cycle = store.cycle(args.school, args.year, framework.id)
        current = store.current_elements(cycle["cycle_id"]) if cycle else {}
        path = write_sef_workbook(store, args.school, args.year, framework, args.xlsx)
    rated = sum(1 for state in current.values() if state.get("rating") is not None)
    print(
        f"wrote {path}: {args.school} {args.year} {framework.name}, {len(framework.element_ids)} elements "
        f"({rated} rated{'' if cycle else '; not started yet'}); send it to the school, then read it back "
        f"with `wqm sef import {Path(path).name}`"
    )
    return 0


def _cmd_sef_import(args) -> int:
    from ..intake.sef_workbook import commit_sef_workbook, read_sef_workbook
    from ..settings import data_location
    from ..store import Store
    from ..store.store import store_file_for_writing

    location = data_location(args.data)
    if not args.dry_run:
        location = store_file_for_writing(location, "wqm sef import")
    with Store.open(location, read_only=args.dry_run) as store:
        changes = read_sef_workbook(Path(args.file), store)
        by = args.by or changes.completed_by
        print(
            f"{changes.school_id} {changes.year} {changes.framework.name}: {len(changes.entries)} change(s), "
            f"{changes.unchanged} unchanged, from {changes.file}"
            + (f" (completed by {changes.completed_by})" if changes.completed_by else "")
        )
        for line in changes.change_lines():
            print(f"  {line}")
        for note in changes.kept + changes.warnings:
            print(f"note: {note}")
        if args.dry_run:
            print("dry run: nothing was written")
            return 0
        if changes.entries and not by:
            print(
                "wqm: warning: no --by and no 'Completed by' in the workbook: the entries are recorded without a name",
                file=sys.stderr,
            )
        ids = commit_sef_workbook(store, changes, recorded_by=by)
    print(f"recorded {len(ids)} entr{'y' if len(ids) == 1 else 'ies'}" + (f" by {by}" if by and ids else ""))
    return 0


def _cmd_sef_show(args) -> int:
    import json

    from ..data import load_framework

    framework = load_framework(args.framework)
    with open_store(args) as store:
        year = store.school_year(args.school, args.year or None)["academic_year"]
        cycle = store.cycle(args.school, year, framework.id)
        current = store.current_elements(cycle["cycle_id"]) if cycle else {}
    rows = []
    for principle, element in framework.elements:
        state = current.get(element.id, {})
        rows.append(
            dict(
                element_id=element.id,
                principle_id=principle.id,
                rating=state.get("rating"),
                evidence=state.get("evidence", ""),
                sorting=state.get("sorting", ""),
                recorded_at=state.get("recorded_at"),
                recorded_by=state.get("recorded_by", ""),
            )
        )
    if args.json:
        print(
            json.dumps(
                dict(school_id=args.school, year=year, framework=framework.id, elements=rows),
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    print(f"{args.school} {year} {framework.name}" + ("" if cycle else ": not started (no self-evaluation yet)"))
    for r in rows:
        rating = "-" if r["rating"] is None else str(r["rating"])
        print(
            f"{r['element_id']:8} {rating:2} {r['sorting'] or '-':11} {(r['recorded_at'] or ''):25} "
            f"{r['recorded_by']:16} {r['evidence'][:60]}"
        )
    return 0


def _cmd_award_record(args) -> int:
    import os

    from ..data import load_framework
    from ..settings import check_academic_year

    framework = load_framework(args.framework)
    if not framework.has_levels:
        raise SettingsError(f"{framework.name} has no award levels")
    levels = [lv.id for lv in framework.levels]
    if args.level not in levels:
        raise SettingsError(f"unknown level {args.level!r} for {framework.name} (its levels: {', '.join(levels)})")
    check_academic_year(args.year)
    by = args.by or os.environ.get("WQM_USER", "")
    with open_store(args, write="wqm award record") as store:
        store.school(args.school)
        if args.supersedes is not None:
            old = [d for d in store.award_decisions(args.school, history=True) if d["decision_id"] == args.supersedes]
            if old and old[0]["framework"] != framework.id:
                raise SettingsError(
                    f"decision {args.supersedes} is a {old[0]['framework']} decision, not {framework.id}"
                )
        decision_id = store.record_award_decision(
            args.school,
            framework.id,
            args.level,
            args.year,
            outcome=args.outcome,
            decided_on=args.date or None,
            assessor=args.assessor,
            reasons=args.reasons,
            recorded_by=by,
            supersedes=args.supersedes,
        )
        row = next(d for d in store.award_decisions(args.school, framework.id) if d["decision_id"] == decision_id)
    print(
        f"recorded decision {decision_id}: {args.school} {framework.level(args.level).name} ({framework.id}) "
        f"{args.year}: {args.outcome.replace('_', ' ')} on {row['decided_on']}"
        + (f" by {args.assessor}" if args.assessor else "")
        + (f", correcting decision {args.supersedes}" if args.supersedes is not None else "")
    )
    return 0


def _cmd_award_list(args) -> int:
    from ..data import load_framework

    framework = load_framework(args.framework) if args.framework else None
    with open_store(args) as store:
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
        except WqmError:  # a framework this installation does not have: show level ids
            names[fid] = {}
    print(f"{'id':>4} {'year':8} {'framework':10} {'level':24} {'outcome':12} {'decided':10} {'assessor':18} reasons")
    for d in rows:
        notes = []
        if d["supersedes"] is not None:
            notes.append(f"corrects {d['supersedes']}")
        if d["decision_id"] in corrected:
            notes.append(f"corrected by {corrected[d['decision_id']]}")
        reasons = d["reasons"] + (f" ({'; '.join(notes)})" if notes else "")
        print(
            f"{d['decision_id']:>4} {d['academic_year']:8} {d['framework']:10} "
            f"{names[d['framework']].get(d['level'], d['level']):24} {d['outcome']:12} {d['decided_on']:10} "
            f"{d['assessor']:18} {reasons}".rstrip()
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """``wqm sef`` (``export``, ``import``, ``show``) and ``wqm award`` (``record``, ``list``)."""
    p = sub.add_parser("sef", help="a school's self-evaluation: Excel round trip and current ratings")
    sef_sub = p.add_subparsers(dest="sef_command", required=True)
    p = sef_sub.add_parser("export", help="write the SEF as an Excel workbook to fill in offline")
    p.add_argument("school", help="school id")
    p.add_argument("--year", required=True, help="academic year")
    framework_option(p)
    data_option(p)
    p.add_argument("--xlsx", required=True, metavar="FILE", help="the workbook to write")
    p.set_defaults(func=_cmd_sef_export)
    p = sef_sub.add_parser("import", help="read a filled-in SEF workbook back as new history entries")
    p.add_argument("file", help="the workbook (.xlsx) written by wqm sef export")
    data_option(p)
    p.add_argument("--by", default="", help="who filled it in (default: the workbook's 'Completed by')")
    p.add_argument("--dry-run", action="store_true", help="check and list the changes; write nothing")
    p.set_defaults(func=_cmd_sef_import)
    p = sef_sub.add_parser("show", help="print the current ratings")
    p.add_argument("school", help="school id")
    p.add_argument("--year", default="", help="academic year (default: the latest)")
    framework_option(p)
    data_option(p)
    p.add_argument("--json", action="store_true", help="as JSON")
    p.set_defaults(func=_cmd_sef_show)

    p = sub.add_parser("award", help="award decisions: record one (level, outcome, date, assessor, reasons), list them")
    award_sub = p.add_subparsers(dest="award_command", required=True)
    p = award_sub.add_parser("record", help="record an award decision (append-only; a correction supersedes one)")
    p.add_argument("school", help="school id")
    p.add_argument("--level", required=True, help="a level id of the framework (wqm: approved, champion, beacon)")
    p.add_argument(
        "--outcome", required=True, choices=LazyChoices(award_outcomes), metavar="OUTCOME", help="one of %(choices)s"
    )
    p.add_argument("--year", required=True, help="the academic year assessed, such as 2025-26")
    p.add_argument("--date", default="", help="the decision's date, YYYY-MM-DD (default: today)")
    p.add_argument("--assessor", default="", help="who assessed")
    p.add_argument("--reasons", default="", help="the reasons for the decision")
    framework_option(p)
    p.add_argument(
        "--supersedes",
        type=int,
        default=None,
        metavar="ID",
        help="the id of the decision this one corrects (see wqm award list --history)",
    )
    p.add_argument("--by", default="", help="who is recording it (default: $WQM_USER)")
    data_option(p, required=True)
    p.set_defaults(func=_cmd_award_record)
    p = award_sub.add_parser("list", help="list a school's award decisions")
    p.add_argument("school", help="school id")
    framework_option(p, default="", help="only this framework's decisions (id or YAML file)")
    p.add_argument("--history", action="store_true", help="corrected decisions too")
    data_option(p)
    p.set_defaults(func=_cmd_award_list)
