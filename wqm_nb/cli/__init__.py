"""The ``wqm`` command: :func:`main`, and the parser that one module per command group fills in.

Every command names the data location ``--data PATH`` (a store file or a CSV folder) and the academic
year ``--year`` (``--db`` and ``--cycle`` are kept as aliases). Each command group registers its parsers
beside its handlers (:mod:`.reports`, :mod:`.serving`, :mod:`.stores`, :mod:`.surveys`, :mod:`.assessment`,
:mod:`.publication`); the options they share, and the one way a command opens its store, are in
:mod:`.options`. Only the standard library is imported until a command runs, so ``wqm --help`` is
instant. A :class:`~wqm_nb.errors.WqmError` is printed as one line and exits with status 2; any other
exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import WqmError
from . import assessment, publication, reports, serving, stores, surveys

#: the command groups, in the order ``wqm --help`` lists their commands
COMMAND_GROUPS = (reports, serving, surveys, assessment, stores, publication)


def build_parser() -> argparse.ArgumentParser:
    """The ``wqm`` argument parser."""
    parser = argparse.ArgumentParser(prog="wqm", description="Wellbeing quality-mark consultant workbench.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def cli_reference() -> str:
    """The command-line reference (``docs/cli-reference.md``) from the parser's own help, every command and
    sub-command, at a fixed width: ``make cli-reference`` writes it, and a test checks it has not drifted."""
    import os

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        parser = build_parser()
        parts = [
            "# Command-line reference",
            "",
            "Generated from `wqm --help` by `make cli-reference`; a test fails when it is out of date.",
            "",
        ]

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
    except KeyboardInterrupt:  # Ctrl-C: what finished is kept (each file is written whole or not at all)
        print("wqm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `wqm ... | head`: the reader has gone, which is not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


__all__ = ["COMMAND_GROUPS", "build_parser", "cli_reference", "main"]
