"""The ``wqm`` commands' shared options: choices read from the package's data only when needed, one way to
open the store, and the server options declared once."""

import argparse
import subprocess
import sys

import pytest

from wqm_nb.cli import build_parser
from wqm_nb.cli.options import LazyChoices, open_store
from wqm_nb.errors import WqmError


def test_top_level_help_reads_no_data_file_and_loads_no_heavy_library():
    code = (
        "import sys; from wqm_nb.cli import build_parser; build_parser().format_help(); "
        "print(' '.join(m for m in ('wqm_nb.data', 'yaml', 'pandas', 'wqm_nb.batch.executors', 'papermill') "
        "if m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == ""


def test_choices_come_from_the_question_bank_the_executor_registry_and_the_store_schema():
    from wqm_nb.batch.executors import EXECUTORS
    from wqm_nb.data import load_question_bank
    from wqm_nb.store.schema import AWARD_OUTCOMES

    parser = build_parser()
    for survey in load_question_bank().surveys:
        assert (
            parser.parse_args(
                ["survey", "import", "f.csv", "--school", "A", "--year", "2025-26", "--survey", survey]
            ).survey
            == survey
        )
    for executor in EXECUTORS:
        assert parser.parse_args(["batch", "--executor", executor]).executor == executor
    for outcome in AWARD_OUTCOMES:
        assert (
            parser.parse_args(
                [
                    "award",
                    "record",
                    "A",
                    "--level",
                    "approved",
                    "--outcome",
                    outcome,
                    "--year",
                    "2025-26",
                    "--data",
                    "x",
                ]
            ).outcome
            == outcome
        )


def test_an_unknown_choice_is_refused_naming_the_choices(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(
            ["survey", "import", "f.csv", "--school", "A", "--year", "2025-26", "--survey", "governors"]
        )
    assert (
        "invalid choice: 'governors' (choose from 'staff', 'pupil', 'parent', 'staff_audit')" in capsys.readouterr().err
    )


def test_a_commands_help_lists_its_lazy_choices():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    from wqm_nb.data import available_frameworks

    links_help = " ".join(sub.choices["links"].format_help().split())
    assert f"opens and writes to: {', '.join(available_frameworks())} (default: wqm)" in links_help


def test_lazy_choices_load_once():
    calls = []
    choices = LazyChoices(lambda: calls.append(1) or ("a", "b"))
    assert calls == []
    assert "a" in choices and list(choices) == ["a", "b"] and len(choices) == 2 and choices[1] == "b"
    assert calls == [1]


@pytest.mark.parametrize(
    "command, port, cull",
    [(["serve"], 8866, 900), (["survey", "serve"], 8867, 1800), (["capture", "NLT03"], 8868, 3600)],
)
def test_every_server_takes_the_same_options(command, port, cull):
    args = build_parser().parse_args(
        command
        + ["--token", "t", "--max-kernels", "3", "--cull-interval", "9", "--no-preheat", "--public-url", "https://x"]
    )
    assert (
        args.port,
        args.cull_idle,
        args.token,
        args.max_kernels,
        args.cull_interval,
        args.no_preheat,
        args.public_url,
    ) == (port, cull, "t", 3, 9, True, "https://x")


def test_open_store_reads_or_refuses_to_write_a_csv_folder(sample_dir, sample_db):
    with open_store(argparse.Namespace(data=str(sample_db))) as store:
        assert store.schools()
    with open_store(argparse.Namespace(data=str(sample_dir))) as store:  # a folder reads as a store
        assert store.schools()
    with pytest.raises(WqmError, match="the test's write"):
        open_store(argparse.Namespace(data=str(sample_dir)), write="the test's write")
