"""What the ``wqm`` commands share: their common options, the store a command opens, and choices read
from the package's own data when they are needed.

Only the standard library is imported here, so ``wqm --help`` stays instant: choices that come from
the question bank, the framework files or the executor registry are :class:`LazyChoices`, read the
first time argparse asks (a command's own ``--help``, or parsing its arguments).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from ..settings import DEFAULT_FRAMEWORK, DEFAULT_MIN_GROUP_SIZE

if TYPE_CHECKING:
    from ..store import Store


class LazyChoices(Sequence[str]):
    """Argparse choices read from ``load`` the first time they are used."""

    def __init__(self, load: Callable[[], Sequence[str]]):
        self._load = load
        self._values: tuple[str, ...] | None = None

    def _get(self) -> tuple[str, ...]:
        if self._values is None:
            self._values = tuple(self._load())
        return self._values

    def __getitem__(self, index):  # type: ignore[override]
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __contains__(self, value: object) -> bool:
        return value in self._get()

    def __repr__(self) -> str:
        return repr(self._get())


def survey_ids() -> tuple[str, ...]:
    """The surveys of the question bank (``surveys.yaml``)."""
    from ..data import load_question_bank

    return tuple(load_question_bank().surveys)


def bundled_frameworks() -> tuple[str, ...]:
    """The framework ids the package ships."""
    from ..data import available_frameworks

    return tuple(available_frameworks())


def executor_names() -> tuple[str, ...]:
    """The batch executors (:data:`wqm_nb.batch.executors.EXECUTORS`)."""
    from ..batch.executors import EXECUTORS

    return EXECUTORS


def award_outcomes() -> tuple[str, ...]:
    """The outcomes an award decision may have (the store's own list)."""
    from ..store.schema import AWARD_OUTCOMES

    return AWARD_OUTCOMES


def informants() -> tuple[str, ...]:
    """Who may answer a bundled validated measure (parent, teacher, self)."""
    from ..data.instruments import available_instruments, load_instrument

    found: list[str] = []
    for name in available_instruments():
        found += [i for i in load_instrument(name).informants if i not in found]
    return tuple(found)


def link_pages() -> tuple[str, ...]:
    """The pages a signed link may open."""
    from ..serve.links import PAGES

    return PAGES


def data_option(p: argparse.ArgumentParser, *aliases: str, required: bool = False) -> None:
    """``--data PATH`` (``aliases``: older names kept): the store file or CSV folder."""
    p.add_argument(
        "--data",
        *aliases,
        dest="data",
        default="",
        required=required,
        metavar="PATH",
        help="store file or CSV folder" + ("" if required else " (default: $WQM_DATA, or sample_data in a checkout)"),
    )


def survey_option(p: argparse.ArgumentParser, required: bool = True) -> None:
    """``--survey``: a survey of the question bank (``required=False``: one only, default every survey)."""
    if required:
        p.add_argument(
            "--survey",
            required=True,
            choices=LazyChoices(survey_ids),
            metavar="SURVEY",
            help="the question bank's survey: %(choices)s",
        )
    else:
        p.add_argument(
            "--survey",
            default="",
            choices=LazyChoices(lambda: ("",) + survey_ids()),
            metavar="SURVEY",
            help="one survey only (default: every survey)",
        )


def sheet_option(p: argparse.ArgumentParser) -> None:
    """``--sheet``: the workbook sheet to read."""
    p.add_argument("--sheet", default="", help="the workbook sheet to read (default: the one holding the responses)")


def framework_option(
    p: argparse.ArgumentParser, default: str = DEFAULT_FRAMEWORK, help: str = "framework id or YAML file"
) -> None:
    """``--framework``: a framework id or a YAML file of the consultant's own."""
    p.add_argument("--framework", default=default, help=help)


def min_group_size_option(
    p: argparse.ArgumentParser,
    help: str = "do not show survey groups smaller than this: the store's threshold, the default (see wqm threshold)",
) -> None:
    """``--min-group-size``: the publication threshold, which must be the store's."""
    p.add_argument("--min-group-size", type=int, default=DEFAULT_MIN_GROUP_SIZE, help=help)


def report_options(p: argparse.ArgumentParser, out_default: str) -> None:
    """The options of a report run (``wqm report``, ``wqm batch``)."""
    data_option(p)
    p.add_argument("--out", default=out_default, help=f"output folder (default: {out_default})")
    p.add_argument(
        "--year", "--cycle", dest="year", default="", help="academic year such as 2025-26 (default: the latest)"
    )
    framework_option(p, help="framework id (wqm, vbe, leadership_management) or a YAML file with your own rules")
    min_group_size_option(p)
    p.add_argument("--no-pdf", action="store_true", help="write notebook and HTML only")
    p.add_argument(
        "--benchmarks",
        default="",
        metavar="FILE",
        help="a benchmark file (published national or regional figures, .yaml or .csv) to print beside "
        "the figures, with its source and year",
    )
    p.add_argument(
        "--as-of",
        dest="as_of",
        default="",
        type=as_of_date,
        metavar="YYYY-MM-DD",
        help="the report's date: overdue targets, review dates and term ends are worked out from it, so "
        "the same data and date give the same report on any day (default: today)",
    )


def server_options(
    p: argparse.ArgumentParser,
    *,
    port: int,
    cull_idle: int,
    users: str,
    max_kernels_help: str = "live forms at most; past that a viewer waits in line on a page that tries again by itself",
) -> None:
    """The options every ``wqm`` server shares (``serve``, ``survey serve``, ``capture``): where it listens,
    the consultant's token, how many live kernels, when an unused one is shut down, and the address ``users``
    reach it at through a reverse proxy."""
    p.add_argument("--port", type=int, default=port)
    p.add_argument("--token", default="", help="the consultant's token (default: a random one, printed)")
    p.add_argument("--max-kernels", type=int, default=None, help=max_kernels_help)
    p.add_argument(
        "--cull-idle",
        type=int,
        default=cull_idle,
        help="shut a page's kernel down after this many seconds without use, even with its tab open",
    )
    p.add_argument(
        "--cull-interval",
        type=int,
        default=None,
        metavar="SECONDS",
        help="look for unused ones this often (default: a third of --cull-idle, 5 to 60)",
    )
    p.add_argument("--no-preheat", action="store_true", help="no kernel kept ready (a slower first page)")
    p.add_argument("--public-url", default="", help=f"the https address {users} reach through a reverse proxy")


def as_of_date(text: str) -> str:
    """``--as-of``: a date written YYYY-MM-DD (checked here, so the error names the option); '' is today."""
    from datetime import date

    if not text.strip():
        return ""
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date written YYYY-MM-DD: {text!r}") from None


def open_store(args: argparse.Namespace, write: str = "") -> Store:
    """The store ``--data`` names, to use in a ``with`` block: read-only, or for writing when ``write`` names
    what writes (a CSV folder cannot be written: the error says so, naming ``write``)."""
    from ..settings import data_location
    from ..store import Store
    from ..store.store import store_file_for_writing

    location = data_location(args.data)
    if write:
        return Store.open(store_file_for_writing(location, write))
    return Store.open(location, read_only=True)


def check_benchmark_file(path: str) -> None:
    """Load a benchmark file named by --benchmarks once, so a mistake in it is a one-line error at once."""
    if path:
        from ..data.benchmark_file import load_benchmark_file

        load_benchmark_file(path)


__all__ = [
    "LazyChoices",
    "as_of_date",
    "award_outcomes",
    "bundled_frameworks",
    "check_benchmark_file",
    "data_option",
    "executor_names",
    "framework_option",
    "informants",
    "link_pages",
    "min_group_size_option",
    "open_store",
    "report_options",
    "sheet_option",
    "server_options",
    "survey_ids",
    "survey_option",
]
