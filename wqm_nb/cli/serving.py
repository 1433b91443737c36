"""``wqm serve``, ``wqm survey serve``, ``wqm capture`` and ``wqm links``: the Voila servers and the signed
links that open their pages."""

from __future__ import annotations

import argparse
import sys

from ..settings import DEFAULT_FRAMEWORK
from .options import LazyChoices, bundled_frameworks, data_option, framework_option, link_pages, server_options


def _cmd_serve(args) -> int:
    from ..serve.app import serve
    from ..settings import data_location

    serve(
        data_location(args.data),
        port=args.port,
        token=args.token,
        max_kernels=args.max_kernels,
        preheat=not args.no_preheat,
        ready=getattr(args, "ready", None),
        cull_idle=args.cull_idle,
        cull_interval=args.cull_interval,
        public_url=args.public_url,
        page=getattr(args, "page", "report"),
        pdf_dir=getattr(args, "pdf_dir", ""),
    )
    return 0


def _cmd_links(args) -> int:
    from ..serve.links import LinkRegistry, load_secret, make_link, parse_duration
    from ..settings import data_location
    from ..spreadsheet import write_csv
    from ..store import Store

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
        link = make_link(
            secret, school_id, years[school_id], valid_for, page=args.page, framework=args.framework, rights=rights
        )
        registry.issued(link)
        url = link.url(args.base_url)
        rows.append(
            [
                school_id,
                schools[school_id]["name"],
                link.year,
                args.page,
                ",".join(link.rights),
                link.link_id,
                link.expires,
                url,
            ]
        )
        print(f"{school_id:8} {url}")
    if args.out:
        write_csv(args.out, ["school_id", "name", "year", "page", "rights", "link_id", "expires", "link"], rows)
        print(f"{len(rows)} links written to {args.out}", file=sys.stderr)
    return 0


def _links_list(args) -> int:
    from datetime import datetime, timezone

    from ..serve.links import LinkRegistry
    from ..settings import data_location

    rows = LinkRegistry(data_location(args.data)).listing(everything=args.all)
    if not rows:
        print("no links" + ("" if args.all else " in force (--all lists expired and revoked ones too)"))
        return 0
    print(f"{'id':12}  {'school':8} {'year':7}  {'page':13} {'rights':40} {'expires':16}  state")
    for r in rows:
        until = datetime.fromtimestamp(r["expires"], timezone.utc).strftime("%Y-%m-%d %H:%M")
        print(
            f"{r['id']:12}  {r['school']:8} {r['year']:7}  {r['page']:13} {','.join(r['rights']):40} "
            f"{until:16}  {r['state']}"
        )
    return 0


def _links_revoke(args) -> int:
    from ..serve.links import LinkRegistry
    from ..settings import data_location

    record = LinkRegistry(data_location(args.data)).revoke(args.link_id)
    print(
        f"revoked link {args.link_id} ({record['page']} for {record['school']} {record['year']}); "
        f"a server refuses it from its next request"
    )
    return 0


def _cmd_capture(args) -> int:
    from ..data import load_framework
    from ..serve.app import serve
    from ..serve.links import LinkRegistry, load_secret, make_link, parse_duration
    from ..settings import check_academic_year, data_location
    from ..store import Store
    from ..store.store import store_file_for_writing

    data = store_file_for_writing(data_location(args.data), "the capture form")
    framework = load_framework(args.framework)
    with Store.open(data, read_only=True) as store:
        store.school(args.school)
        year = args.year or store.school_year(args.school)["academic_year"]
    check_academic_year(year)
    link = make_link(
        load_secret(data), args.school, year, parse_duration(args.expires), page="capture", framework=framework.id
    )
    LinkRegistry(data).issued(link, note="wqm capture")
    url = link.url(args.public_url or f"http://127.0.0.1:{args.port}")
    from datetime import datetime, timezone

    until = datetime.fromtimestamp(link.expires, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"capture form for {args.school} {year} ({framework.name}); this link opens that school's form "
        f"for writing, and no other school, until {until}:\n  {url}",
        flush=True,
    )
    serve(
        data,
        port=args.port,
        token=args.token,
        max_kernels=args.max_kernels,
        preheat=not args.no_preheat,
        cull_idle=args.cull_idle,
        cull_interval=args.cull_interval,
        public_url=args.public_url,
        page="capture",
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """``wqm serve``, ``wqm links`` (``list``, ``revoke``), ``wqm capture``."""
    p = sub.add_parser("serve", help="serve the leaders' report app (Voila) on 127.0.0.1")
    data_option(p)
    server_options(
        p,
        port=8866,
        cull_idle=900,
        users="viewers",
        max_kernels_help="live report kernels at most (a report link: two of them); past that a viewer "
        "gets the report as a static page that turns live when a place frees (default: "
        "sized for this machine)",
    )
    p.add_argument(
        "--ready",
        type=int,
        default=None,
        metavar="N",
        help="keep up to N kernels ready while places are free, one per free place (default: one per place, at most 4)",
    )
    p.add_argument(
        "--pdf-dir",
        default="",
        metavar="DIR",
        help="a wqm batch output folder: Download PDF serves its PDFs while their keys match the "
        "report shown (else renders one)",
    )
    p.set_defaults(func=_cmd_serve, page="report")

    p = sub.add_parser(
        "links",
        help="print (and write as CSV) one signed link per school for `wqm serve`; "
        "`wqm links list` and `wqm links revoke ID` manage them",
    )
    data_option(p)
    p.add_argument("--schools", nargs="+", help="only these school ids (default: every school)")
    p.add_argument("--year", default="", help="academic year the link is bound to (default: each school's latest)")
    p.add_argument(
        "--framework",
        default=DEFAULT_FRAMEWORK,
        choices=LazyChoices(bundled_frameworks),
        metavar="FRAMEWORK",
        help="the framework the link opens and writes to: %(choices)s (default: wqm)",
    )
    p.add_argument(
        "--rights",
        default="",
        metavar="RIGHT,...",
        help="what the link may do: read, write_sef, import_survey, start_year, record_award "
        "(default: what its page needs: report read; capture write_sef; survey-import "
        "import_survey)",
    )
    p.add_argument("--expires", default="30d", help="how long links stay valid: 30d, 12h, 90m (default: 30d)")
    p.add_argument("--base-url", default="http://127.0.0.1:8866", help="the address viewers use")
    p.add_argument("--out", default="", help="CSV file for a mail merge")
    p.add_argument(
        "--page",
        default="report",
        choices=LazyChoices(link_pages),
        metavar="PAGE",
        help="the page the links open (%(choices)s): the leaders' report (wqm serve), the survey import form "
        "(wqm survey serve) or the self-evaluation form (wqm capture)",
    )
    p.set_defaults(func=_cmd_links)
    links = p.add_subparsers(dest="links_command", required=False, metavar="{list,revoke}")
    q = links.add_parser("list", help="the links issued for this data that are in force (--all: every one)")
    data_option(q)
    q.add_argument("--all", action="store_true", help="expired and revoked links too")
    q = links.add_parser("revoke", help="withdraw a link by its id (from `wqm links list`)")
    q.add_argument("link_id", metavar="ID")
    data_option(q)

    p = sub.add_parser(
        "capture",
        help="serve one school's self-evaluation form (Voila) on 127.0.0.1 and print "
        "a signed link that opens it for writing",
    )
    p.add_argument("school", help="school id")
    p.add_argument("--year", default="", help="academic year (default: the school's latest)")
    framework_option(p)
    data_option(p)
    server_options(p, port=8868, cull_idle=3600, users="school leads")
    p.add_argument("--expires", default="30d", help="how long the printed link stays valid (default: 30d)")
    p.set_defaults(func=_cmd_capture)


def register_survey_serve(survey_sub: argparse._SubParsersAction) -> None:
    """``wqm survey serve``: the survey import form, served like ``wqm serve``."""
    p = survey_sub.add_parser(
        "serve",
        help="serve the survey import form (Voila) on 127.0.0.1, behind the same "
        "token, Host check and signed links as wqm serve",
    )
    data_option(p)
    server_options(p, port=8867, cull_idle=1800, users="users")
    p.set_defaults(func=_cmd_serve, page="survey-import")
