"""`wqm validate`, `schools`, `import`, `sample`, `migrate`, `school remove` from the command line."""

import pytest
import yaml

from wqm_nb.cli import main
from wqm_nb.data import FRAMEWORK_DIR


def test_validate_bundled_files(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "wqm.yaml: Wellbeing Quality Mark, 7 framing principles, 20 elements, 3 levels" in out
    assert "leadership_management.yaml: Leadership and Management, 1 areas, 8 elements, checklist" in out
    assert "surveys.yaml: question bank, 4 surveys" in out
    assert "leadership_management.yaml: survey mapping for leadership_management, 2 surveys" in out


def test_validate_reports_file_and_field(tmp_path, capsys):
    doc = yaml.safe_load((FRAMEWORK_DIR / "wqm.yaml").read_text())
    del doc["principles"][3]["name"]
    bad = tmp_path / "mine.yaml"
    bad.write_text(yaml.safe_dump(doc))
    assert main(["validate", str(bad)]) == 1
    assert "INVALID mine.yaml: principles[3].name: required field is missing" in capsys.readouterr().err


@pytest.mark.slow
def test_schools_and_import(sample_db, sample_dir, tmp_path, capsys):
    assert main(["schools", "--data", str(sample_db)]) == 0
    out = capsys.readouterr().out
    assert out.count("Northbrook Learning Trust") == 8 and "2023-24, 2024-25, 2025-26" in out
    for option in ("--data", "--db"):  # --db stays as an alias
        assert main(["import", str(sample_dir), option, str(tmp_path / f"x{option}.sqlite")]) == 0
        assert "8 schools, 24 school years, 36 cycles" in capsys.readouterr().out


def test_sample_command_writes_the_committed_files(tmp_path, sample_dir):
    assert main(["sample", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "schools.csv").read_bytes() == (sample_dir / "schools.csv").read_bytes()


@pytest.mark.slow
def test_import_into_an_existing_store_needs_replace_or_merge(sample_dir, tmp_path, capsys):
    store = tmp_path / "wqm.sqlite"
    assert main(["import", str(sample_dir), "--data", str(store)]) == 0
    capsys.readouterr()
    assert main(["import", str(sample_dir), "--data", str(store)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["import", str(sample_dir), "--data", str(store), "--merge"]) == 0
    out = capsys.readouterr().out
    assert "8 schools, 24 school years, 36 cycles" in out  # merging the same folder adds nothing
    assert main(["import", str(sample_dir), "--data", str(store), "--replace"]) == 0
    assert "backup" in capsys.readouterr().out
    assert list(tmp_path.glob("wqm.sqlite.backup-*"))


def test_migrate_and_school_remove(sample_dir, tmp_path, capsys):
    store = tmp_path / "wqm.sqlite"
    assert main(["import", str(sample_dir), "--data", str(store)]) == 0
    assert main(["migrate", "--data", str(store)]) == 0
    assert "already current" in capsys.readouterr().out
    assert main(["school", "remove", "NLT03", "--data", str(store)]) == 2
    assert "--confirm" in capsys.readouterr().err
    assert main(["school", "remove", "NLT03", "--data", str(store), "--confirm"]) == 0
    assert "removed NLT03" in capsys.readouterr().out
    assert main(["schools", "--data", str(store)]) == 0
    listed = capsys.readouterr().out
    assert "NLT03" not in listed and "NLT01" in listed
    assert main(["school", "remove", "NLT03", "--data", str(store), "--confirm"]) == 2  # already gone


def test_listing_schools_imports_no_analysis_library(sample_db):
    import subprocess
    import sys

    code = (
        "import sys; from wqm_nb.cli import main; main(['schools', '--data', sys.argv[1]]); "
        "print('LOADED', ' '.join(m for m in ('pandas', 'matplotlib', 'seaborn', 'papermill', 'weasyprint') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(sample_db)], capture_output=True, text=True, check=True
    ).stdout
    assert "NLT03" in out and out.strip().endswith("LOADED")
