"""The `wqm` command as a whole: the console script, one-line errors, tracebacks for bugs, the reference."""

import shutil
import subprocess
import sys
from pathlib import Path

from wqm_nb.cli import main


def test_console_script_is_installed():
    wqm = shutil.which("wqm", path=str(Path(sys.executable).parent))
    assert wqm, "the wqm console script is not installed in this environment"
    done = subprocess.run([wqm, "--help"], capture_output=True, text=True, check=True)
    for command in ("report", "batch", "sample", "import", "validate", "schools"):
        assert command in done.stdout


def test_wqm_errors_are_one_line_with_status_2(tmp_path, sample_dir, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in sample_dir.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    rows = (bad / "sef_ratings.csv").read_text().splitlines()
    rows[3] = rows[3].replace(",wqm,2023-24,", ",wqm,2019-20,")
    (bad / "sef_ratings.csv").write_text("\n".join(rows) + "\n")
    assert main(["schools", "--data", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == "wqm: error: sef_ratings.csv, row 4: NLT01 wqm 2019-20 is not listed in cycles.csv\n"
    assert main(["report", "NLT01", "--data", str(sample_dir), "--year", "2024/25"]) == 2
    assert "academic year must look like 2024-25" in capsys.readouterr().err
    assert main(["report", "NLT01", "--data", str(sample_dir), "--framework", "nope"]) == 2
    assert "unknown framework 'nope'" in capsys.readouterr().err


def test_unexpected_errors_keep_their_traceback(monkeypatch):
    import pytest

    from wqm_nb import cli
    from wqm_nb.cli import stores

    def boom(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(stores, "_cmd_schools", boom)  # build_parser picks up the patched command
    with pytest.raises(ZeroDivisionError):
        cli.main(["schools"])


def test_the_cli_reference_in_docs_is_the_parsers_help():
    from wqm_nb.cli import cli_reference

    committed = (Path(__file__).resolve().parents[2] / "docs" / "cli-reference.md").read_text()
    assert committed == cli_reference() + "\n", "docs/cli-reference.md is out of date: run `make cli-reference`"
