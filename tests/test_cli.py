import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from wqm_nb.cli import main
from wqm_nb.frameworks import FRAMEWORK_DIR


def test_console_script_is_installed():
    wqm = shutil.which("wqm", path=str(Path(sys.executable).parent))
    assert wqm, "the wqm console script is not installed in this environment"
    done = subprocess.run([wqm, "--help"], capture_output=True, text=True, check=True)
    for command in ("report", "batch", "sample", "import", "validate", "schools"):
        assert command in done.stdout


def test_validate_bundled_files(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "wqm.yaml: Wellbeing Quality Mark, 7 framing principles, 20 elements, 3 levels" in out
    assert "surveys.yaml: question bank, 3 surveys" in out


def test_validate_reports_file_and_field(tmp_path, capsys):
    doc = yaml.safe_load((FRAMEWORK_DIR / "wqm.yaml").read_text())
    del doc["principles"][3]["name"]
    bad = tmp_path / "mine.yaml"
    bad.write_text(yaml.safe_dump(doc))
    assert main(["validate", str(bad)]) == 1
    assert "INVALID mine.yaml: principles[3].name: required field is missing" in capsys.readouterr().err


def test_schools_and_import(sample_db, tmp_path, capsys):
    assert main(["schools", "--data", str(sample_db)]) == 0
    out = capsys.readouterr().out
    assert out.count("Northbrook Learning Trust") == 7 and "2023-24, 2024-25, 2025-26" in out
    sample = Path(__file__).resolve().parent.parent / "sample_data"
    assert main(["import", str(sample), "--db", str(tmp_path / "x.sqlite")]) == 0
    assert "7 schools, 21 cycles" in capsys.readouterr().out


def test_sample_command_writes_the_committed_files(tmp_path):
    assert main(["sample", "--out", str(tmp_path)]) == 0
    sample = Path(__file__).resolve().parent.parent / "sample_data"
    assert (tmp_path / "schools.csv").read_bytes() == (sample / "schools.csv").read_bytes()
