"""``wqm survey import|imports|comments`` and ``wqm score``: survey exports and paper tallies into a store,
what was imported, the kept comments, and a validated measure's scores."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SettingsError, WqmError
from .options import (
    LazyChoices,
    data_option,
    informants,
    min_group_size_option,
    open_store,
    sheet_option,
    survey_option,
)


def _read_export(args: argparse.Namespace):
    """The question bank, the mapping (``--mapping``, ``--instrument``) and the export ``args.file`` inspected
    (``--sheet``): what ``wqm survey import`` and ``wqm survey map`` share."""
    from ..data import load_question_bank
    from ..data.import_mapping import load_import_mapping
    from ..intake.plan import inspect_export

    bank = load_question_bank()
    mapping = load_import_mapping(args.mapping, bank) if args.mapping else None
    if getattr(args, "instrument", None):
        from ..data.import_mapping import with_instrument

        mapping = with_instrument(mapping, args.survey, args.instrument, args.informant, args.instrument_columns)
    elif getattr(args, "informant", None) or getattr(args, "instrument_columns", None):
        raise SettingsError("--informant and --instrument-columns need --instrument NAME")
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror}") from None
    inspection = inspect_export(data, path.name, args.survey, bank=bank, mapping=mapping, sheet=args.sheet or None)
    school = getattr(args, "school", None)
    if mapping is None and school and not getattr(args, "no_saved_mapping", False):
        from ..intake.saved_mappings import find_saved_mapping

        with open_store(args) as store:
            saved = find_saved_mapping(store, school, inspection)
        if saved is not None:
            print(f"mapping: {saved.described}; --no-saved-mapping to import without it", file=sys.stderr)
            inspection = inspection.through(saved.mapping)
    return inspection


def _cmd_survey_import(args) -> int:
    from ..intake.comments import read_staff_list
    from ..intake.mapping_file import CHOOSE, lines_to_choose, mapping_template
    from ..intake.plan import commit_import, plan_import
    from ..settings import check_academic_year

    check_academic_year(args.year)
    staff = read_staff_list(Path(args.staff_list)) if args.staff_list else ()
    inspection = _read_export(args)
    if args.save_mapping:
        template = mapping_template(inspection)
        Path(args.save_mapping).write_text(template, encoding="utf-8")
        to_choose = lines_to_choose(template)
        print(
            f"mapping saved to {args.save_mapping} (use it next time with --mapping)"
            + (f"; {to_choose} line(s) to choose ({CHOOSE!r}) first" if to_choose else ""),
            file=sys.stderr,
        )
    try:
        plan = plan_import(
            inspection,
            keep_comments=args.keep_comments,
            staff_names=staff,
            allow_missing=args.allow_missing,
            ignore_unmatched=args.ignore_unmatched,
        )
    except WqmError:  # what was read and every column's fate, then the one-line error
        for line in inspection.detected() + inspection.column_lines():
            print(line, file=sys.stderr)
        raise
    for line in inspection.column_lines() + plan.summary():
        print(line)
    if args.dry_run:
        print("dry run: nothing was written")
        return 0
    on_existing = "replace" if args.replace else "add" if args.add else "refuse"
    with open_store(args, write="a survey import") as store:
        outcome = commit_import(store, plan, args.school, args.year, on_existing=on_existing, imported_by=args.by)
        if args.remember:
            from ..intake.saved_mappings import remember_mapping

            saved = remember_mapping(
                store,
                args.school,
                inspection,
                for_trust=args.remember == "trust",
                saved_by=args.by,
                source="wqm survey import",
            )
            print(
                f"mapping of this form saved as saved mapping {saved} for "
                + ("the school's trust" if args.remember == "trust" else args.school),
                file=sys.stderr,
            )
    if outcome.already:
        print(
            f"already imported: this file is import {outcome.import_id} of {args.school} {args.year} "
            f"({outcome.already['imported_at']}); nothing was written"
        )
        return 0
    for old in outcome.replaced:
        print(
            f"replaced import {old['import_id']} ({old['file_name'] or old['source']}, {old['imported_at']}); "
            f"its record is kept"
        )
    scored = f" and {len(plan.score_rows())} measure scores" if plan.instruments else ""
    print(
        f"imported as import {outcome.import_id}: {outcome.answers} answers{scored} of {plan.kept} "
        f"{'forms' if plan.tally is not None else 'respondents'} for {args.school} {args.year}"
    )
    return 0


def _cmd_survey_map(args) -> int:
    from ..intake.mapping_file import CHOOSE, lines_to_choose, mapping_template
    from ..intake.shapes import TALLY

    inspection = _read_export(args)
    if inspection.shape.tool == TALLY:
        raise SettingsError(
            f"{inspection.table.file_name} is a paper tally: its rows name the items, so it needs no mapping"
        )
    for line in inspection.detected() + inspection.column_lines():
        print(line, file=sys.stderr)
    template = mapping_template(inspection)
    if args.out:
        Path(args.out).write_text(template, encoding="utf-8")
        to_choose = lines_to_choose(template)
        print(
            f"mapping written to {args.out}: edit the {to_choose} line(s) marked {CHOOSE!r}, then import with "
            f"--mapping {args.out}"
            if to_choose
            else f"mapping written to {args.out}: every column is decided; import with --mapping {args.out}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(template)
    return 0


def _cmd_survey_mappings(args) -> int:
    if args.mappings_command == "show":
        with open_store(args) as store:
            row = store.import_mapping(args.mapping_id)
        sys.stdout.write(row["mapping"])
        return 0
    if args.mappings_command == "delete":
        with open_store(args, write="wqm survey mappings delete") as store:
            row = store.delete_import_mapping(args.mapping_id)
        print(f"deleted saved mapping {row['mapping_id']} ({row['survey']}, from {row['file_name'] or 'a form'})")
        return 0
    with open_store(args) as store:
        rows = store.import_mappings(args.school or None)
    if not rows:
        print("no saved mapping" + (f" applies to {args.school}" if args.school else ""))
        return 0
    print(f"{'id':>4} {'survey':11} {'for':18} {'saved':10} {'by':18} file")
    for r in rows:
        owner = r["school_id"] or (f"trust {r['trust']}" if r["trust"] else "every school")
        print(
            f"{r['mapping_id']:>4} {r['survey']:11} {owner[:18]:18} {str(r['saved_at'])[:10]:10} "
            f"{r['saved_by'][:18]:18} {r['file_name']}"
        )
    return 0


def _cmd_survey_kit(args) -> int:
    from ..export.survey_kit import kit_of, save_kit_mapping, write_kit

    kit = kit_of(args.survey, tuple(args.instrument or ()))
    with open_store(args, write="wqm survey kit") as store:
        if args.school:
            store.school(args.school)
            schools, for_trust = [args.school], False
        else:  # one school of each trust stands for its trust
            firsts: dict[str, str] = {}
            for school in store.schools():
                firsts.setdefault(school["trust"] or "", school["school_id"])
            schools, for_trust = list(firsts.values()), True
        paths = write_kit(kit, Path(args.out))
        saved = save_kit_mapping(store, kit, schools, for_trust=for_trust, saved_by=args.by)
    for path in paths:
        print(path)
    offline = [q.title for q in kit.questions if not q.online]
    if offline:
        print(
            f"on the paper questionnaire only (its licence does not allow online use): {offline[0]}..{offline[-1]}",
            file=sys.stderr,
        )
    whose = args.school if args.school else f"{len(saved)} trust(s)"
    print(
        f"the form's mapping is saved for {whose}: exports of a form built from this kit map by themselves",
        file=sys.stderr,
    )
    return 0


def _cmd_survey_bank(args) -> int:
    from ..data import load_question_bank

    bank = load_question_bank()
    surveys = [bank.surveys[args.survey]] if args.survey else list(bank.surveys.values())
    for survey in surveys:
        scale = bank.scale_of(survey.id)
        print(f"{survey.id}: {survey.name} (answered on {scale.described()})")
        for item in survey.items:
            print(f"  {item.id:6} {item.text}")
        if survey.subgroup:
            sub = survey.subgroup
            print(f"  subgroup: {sub.questions[0]} ({', '.join(sub.values)})")
        for comment in survey.comments:
            print(f"  comment {comment.id}: {comment.text}")
    return 0


def _cmd_survey_imports(args) -> int:

    with open_store(args) as store:
        store.school(args.school)
        for r in store.survey_imports():
            if r["school_id"] != args.school or (args.year and r["academic_year"] != args.year):
                continue
            state = f"replaced by {r['replaced_by']}" if r["replaced_by"] else "current"
            print(
                f"{r['import_id']:5} {r['academic_year']} {r['survey']:7} {r['kind']:9} {r['source']:16} "
                f"{r['respondents']:6} {r['imported_at']:25} {state:16} {r['file_name']}"
            )
    return 0


def _cmd_survey_comments(args) -> int:
    from ..disclosure.comments import comments_to_show
    from ..disclosure.threshold import resolve_threshold

    with open_store(args) as store:
        threshold = resolve_threshold(store.threshold, args.min_group_size, str(args.data))
        year = store.school_year(args.school, args.year or None)
        data = store.survey_data(year["school_year_id"])
        sizes = {s: int((b.values >= 0).any(axis=1).sum()) for s, b in data.blocks.items()}
        shown, held = comments_to_show(
            store.survey_comments(year["school_year_id"], args.survey or None), sizes, threshold
        )
    for c in shown:
        mark = f"[SAFEGUARDING: {c['flags']}] " if c["flags"] else ""
        print(f"{c['survey']:7} {c['item_id']:5} {mark}{c['text']}")
    for survey, n in held.items():
        print(f"{survey}: {n} comment(s) not shown: fewer than {threshold} respondents")
    return 0


def _cmd_score(args) -> int:
    import csv
    import json

    import pandas as pd

    from ..data.instruments import load_instrument
    from ..errors import DataFileError
    from ..intake.files import read_table
    from ..model.scoring import score_prescored, score_responses, scores_records, scores_table
    from ..spreadsheet import neutralise, restore, write_csv

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
    print(
        f"{table.file_name}: {len(scored)} respondents scored with {instrument.name} ({informant}); "
        f"{int(scored[first].isna().sum())} with no {first} score"
        + (f"; bands: {banding.scheme}" if banding else "")
        + (f" -> {args.out}" if args.out else ""),
        file=sys.stderr,
    )
    if banding and banding.status != "confirmed":
        print(
            f"note: the {informant} bands are {banding.status} against the published source (see docs/instruments.md)",
            file=sys.stderr,
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """``wqm survey`` (``import``, ``serve``, ``imports``, ``comments``) and ``wqm score``."""
    from .serving import register_survey_serve

    p = sub.add_parser("survey", help="survey data: import real exports and paper tallies, list imports, read comments")
    survey_sub = p.add_subparsers(dest="survey_command", required=True)
    p = survey_sub.add_parser(
        "import", help="import a Microsoft Forms, Google Forms or SurveyMonkey export, a CSV/XLSX, or a paper tally"
    )
    p.add_argument("file", help="the export (.xlsx, .csv or tab-separated)")
    p.add_argument("--school", required=True, help="school id")
    p.add_argument("--year", required=True, help="academic year such as 2025-26")
    survey_option(p)
    data_option(p)
    sheet_option(p)
    p.add_argument("--mapping", help="a mapping YAML (wqm survey map writes one to edit; --save-mapping saves one)")
    p.add_argument("--save-mapping", metavar="FILE", help="write the mapping of this file as YAML, every column")
    p.add_argument(
        "--allow-missing",
        action="store_true",
        help="a mapping line that matches no column is reported, not an error (a question was dropped)",
    )
    p.add_argument(
        "--ignore-unmatched",
        action="store_true",
        help="columns with answers on the scale that match no item are left out and listed, not an error",
    )
    p.add_argument(
        "--no-saved-mapping",
        action="store_true",
        help="do not use a mapping saved for this form (by default one is used, and named)",
    )
    p.add_argument(
        "--remember",
        nargs="?",
        const="trust",
        choices=("trust", "school"),
        default="",
        help="save this import's mapping for the form's next exports: for every school of the "
        "school's trust (the default) or for this school only",
    )
    p.add_argument("--dry-run", action="store_true", help="show what would be imported; write nothing")
    existing = p.add_mutually_exclusive_group()
    existing.add_argument(
        "--replace",
        action="store_true",
        help="replace the survey's earlier import for this school and year (its record is kept)",
    )
    existing.add_argument(
        "--add",
        action="store_true",
        help="add these respondents to the earlier import (e.g. paper forms beside an online export)",
    )
    p.add_argument(
        "--keep-comments",
        action="store_true",
        help="keep answers to the bank's comment questions, redacted, for the consultant only",
    )
    p.add_argument("--staff-list", help="names to redact from comments (one per line, or a CSV with a name column)")
    p.add_argument("--by", default="", help="who is importing (recorded with the import)")
    p.add_argument(
        "--instrument",
        metavar="NAME",
        help="the export carries a validated measure's items (sdq, swemwbs, stirling): they are scored "
        "and only the scores stored",
    )
    p.add_argument(
        "--informant",
        choices=LazyChoices(informants),
        metavar="INFORMANT",
        help="who answered the measure, %(choices)s (the SDQ's form; default: self in the pupil survey, parent in "
        "the parent survey)",
    )
    p.add_argument(
        "--instrument-columns",
        metavar="F:L",
        default="",
        help="the measure's columns in the order of its items: a range F:L, a list F,G,H, or the "
        "first column F (default: columns named in --mapping or headed swemwbs1, sdq1, ...)",
    )
    p.set_defaults(func=_cmd_survey_import)
    register_survey_serve(survey_sub)
    p = survey_sub.add_parser(
        "map",
        help="write a complete mapping of an export to edit: every column with its "
        "suggested target, every unknown answer label",
    )
    p.add_argument("file", help="the export (.xlsx, .csv, tab-separated, or a zip holding one)")
    survey_option(p)
    sheet_option(p)
    p.add_argument("--mapping", help="an earlier mapping to start from")
    p.add_argument("--out", default="", metavar="FILE", help="write it here (default: standard output)")
    p.set_defaults(func=_cmd_survey_map)
    p = survey_sub.add_parser("mappings", help="the mappings saved for forms: list, show or delete them")
    mappings_sub = p.add_subparsers(dest="mappings_command", required=True)
    q = mappings_sub.add_parser("list", help="every saved mapping (--school: those that apply to one school)")
    q.add_argument("--school", default="", help="only the mappings that apply to this school")
    data_option(q)
    q.set_defaults(func=_cmd_survey_mappings)
    for name, action in (("show", "print one as YAML"), ("delete", "delete one")):
        q = mappings_sub.add_parser(name, help=f"{action} (its id from wqm survey mappings list)")
        q.add_argument("mapping_id", type=int, metavar="ID")
        data_option(q)
        q.set_defaults(func=_cmd_survey_mappings)
    p = survey_sub.add_parser(
        "kit",
        help="write a survey kit: a Word document for Microsoft Forms' Quick import, a "
        "Google Apps Script, a paper questionnaire (PDF) and a tally sheet (XLSX)",
    )
    survey_option(p)
    p.add_argument("--school", default="", help="save the form's mapping for this school only (default: every trust)")
    p.add_argument(
        "--instrument",
        action="append",
        metavar="NAME",
        help="add a validated measure's questions (swemwbs, stirling: online and paper; sdq: paper only)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="the folder to write the kit in")
    p.add_argument("--by", default="", help="who made the kit (recorded with its mapping)")
    data_option(p)
    p.set_defaults(func=_cmd_survey_kit)
    p = survey_sub.add_parser("bank", help="list the question bank: each survey's item ids and questions")
    survey_option(p, required=False)
    p.set_defaults(func=_cmd_survey_bank)
    p = survey_sub.add_parser("imports", help="list a school's survey imports")
    p.add_argument("school")
    p.add_argument("--year", default="")
    data_option(p)
    p.set_defaults(func=_cmd_survey_imports)
    p = survey_sub.add_parser(
        "comments", help="read a school's kept survey comments (consultant only), safeguarding flags first"
    )
    p.add_argument("school")
    p.add_argument("--year", default="", help="academic year (default: the latest)")
    survey_option(p, required=False)
    min_group_size_option(
        p,
        help="the store's threshold (the default follows it): unflagged comments of a survey "
        "with fewer respondents are not shown",
    )
    data_option(p)
    p.set_defaults(func=_cmd_survey_comments)

    p = sub.add_parser(
        "score",
        help="score per-respondent answers to a validated measure (SDQ, SWEMWBS, "
        "Stirling) as published; write the scores as CSV or JSON",
    )
    p.add_argument("instrument", help="sdq, swemwbs, stirling or an instrument YAML file")
    p.add_argument(
        "file",
        type=Path,
        help="a CSV or XLSX file: one row per respondent, one column per item "
        "(sdq1.., swemwbs1.., stirling1..), numbers or response labels",
    )
    p.add_argument(
        "--informant",
        choices=LazyChoices(informants),
        default=None,
        metavar="INFORMANT",
        help="who answered, %(choices)s (the SDQ needs it)",
    )
    p.add_argument(
        "--prescored",
        action="store_true",
        help="the file holds SDQ scale scores (emotional, conduct, hyperactivity, peer, prosocial[, "
        "impact]), not item answers",
    )
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--out", type=Path, default=None, help="write here instead of to standard output")
    p.set_defaults(func=_cmd_score)
