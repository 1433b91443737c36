import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wqm_nb.cli import main
from wqm_nb.data import FRAMEWORK_DIR


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


def test_school_ids_cannot_steer_output_paths(sample_dir, tmp_path, capsys):
    out = tmp_path / "a" / "b" / "reports"
    for bad in ("../../x", str(tmp_path / "abs"), "javascript:alert(1)", "NLT 01"):
        assert main(["report", bad, "--data", str(sample_dir), "--out", str(out)]) == 2
        assert "is not a valid school id" in capsys.readouterr().err
    assert not any(tmp_path.rglob("*.html"))


@pytest.mark.slow
def test_import_into_an_existing_store_needs_replace_or_merge(sample_dir, tmp_path, capsys):
    store = tmp_path / "wqm.sqlite"
    assert main(["import", str(sample_dir), "--data", str(store)]) == 0
    capsys.readouterr()
    assert main(["import", str(sample_dir), "--data", str(store)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["import", str(sample_dir), "--data", str(store), "--merge"]) == 0
    out = capsys.readouterr().out
    assert "8 schools, 24 school years, 36 cycles" in out          # merging the same folder adds nothing
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
    assert main(["school", "remove", "NLT03", "--data", str(store), "--confirm"]) == 2   # already gone


def test_links_command_prints_and_writes_signed_links(sample_db, tmp_path, capsys):
    out = tmp_path / "links.csv"
    assert main(["links", "--data", str(sample_db), "--schools", "NLT01", "NLT03", "--year", "2025-26",
                 "--base-url", "https://wellbeing.example.org", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 and printed[0].split()[1].startswith("https://wellbeing.example.org/?school=NLT01&")
    assert out.read_text().count("sig=") == 2
    assert "wqm-secret" not in "".join(printed)
    assert main(["links", "--data", str(sample_db), "--schools", "NOPE"]) == 2


def test_batch_executor_options_are_checked_before_any_work(sample_db, tmp_path, capsys):
    from wqm_nb.cli import main

    with pytest.raises(SystemExit):
        main(["batch", "--data", str(sample_db), "--out", str(tmp_path), "--executor", "thread"])
    assert "invalid choice: 'thread'" in capsys.readouterr().err
    assert main(["batch", "--data", str(sample_db), "--out", str(tmp_path), "--scheduler", "tcp://x:1"]) == 2
    assert "--scheduler is for --executor dask" in capsys.readouterr().err
    assert main(["batch", "--data", str(sample_db), "--out", str(tmp_path), "--executor", "dask"]) == 2
    assert "needs --scheduler ADDRESS" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())                     # nothing was written


def test_listing_schools_imports_no_analysis_library(sample_db):
    import subprocess
    import sys

    code = ("import sys; from wqm_nb.cli import main; main(['schools', '--data', sys.argv[1]]); "
            "print('LOADED', ' '.join(m for m in ('pandas', 'matplotlib', 'seaborn', 'papermill', 'weasyprint') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(sample_db)], capture_output=True, text=True,
                         check=True).stdout
    assert "NLT03" in out and out.strip().endswith("LOADED")


@pytest.mark.parametrize("command", [["report", "NLT03"], ["batch"]])
def test_report_and_batch_take_an_as_of_date(command, capsys):
    from wqm_nb.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(command + ["--as-of", "2026-01-05"]).as_of == "2026-01-05"
    assert parser.parse_args(command).as_of == ""            # today, resolved once by the settings
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(command + ["--as-of", "5/1/2026"])
    assert exit_.value.code == 2
    assert "argument --as-of: not a date written YYYY-MM-DD: '5/1/2026'" in capsys.readouterr().err


def test_links_are_bound_to_a_year_listed_and_revoked(sample_db, tmp_path, capsys):
    import shutil
    from urllib.parse import parse_qs, urlsplit

    from wqm_nb.serve.links import LinkError, LinkRegistry, check_link, load_secret

    db = tmp_path / "wqm.sqlite"
    shutil.copy(sample_db, db)
    assert main(["links", "--data", str(db), "--schools", "NLT01", "NLT03", "--page", "survey-import"]) == 0
    urls = [line.split()[1] for line in capsys.readouterr().out.splitlines()]
    queries = [{k: [x.encode() for x in v] for k, v in parse_qs(urlsplit(u).query).items()} for u in urls]
    links = [check_link(load_secret(db), q, page="survey-import") for q in queries]
    assert [(x.school, x.year, x.rights) for x in links] == [("NLT01", "2025-26", ("read", "import_survey")),
                                                              ("NLT03", "2025-26", ("read", "import_survey"))]
    assert main(["links", "list", "--data", str(db)]) == 0
    listed = capsys.readouterr().out
    assert links[0].link_id in listed and links[1].link_id in listed and "live" in listed
    assert links[0].sig not in listed
    assert main(["links", "revoke", links[0].link_id, "--data", str(db)]) == 0
    assert "revoked link" in capsys.readouterr().out
    with pytest.raises(LinkError, match="revoked"):
        check_link(load_secret(db), queries[0], page="survey-import", revoked=LinkRegistry(db).revoked())
    assert main(["links", "list", "--data", str(db)]) == 0
    assert links[0].link_id not in capsys.readouterr().out
    assert main(["links", "list", "--all", "--data", str(db)]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["links", "revoke", "0" * 12, "--data", str(db)]) == 2
    assert "no link '000000000000'" in capsys.readouterr().err
    assert main(["links", "--data", str(db), "--schools", "NLT01", "--rights", "read,add_school"]) == 2
    assert "unknown right(s) add_school" in capsys.readouterr().err


def test_export_of_a_withheld_survey_exits_2_with_one_line(sample_db, tmp_path, capsys):
    """"Responses: 6": five teachers and one leader. Whatever is hidden, the teachers' cell is at least 5 and the
    leader's at least 1, so the leader is exactly one person: the audit cannot clear the staff survey, every
    figure of it is withheld, and an export refuses (the report carries on with the reason)."""
    import numpy as np

    from wqm_nb.data.surveys import load_question_bank
    from wqm_nb.model import assess_school
    from wqm_nb.settings import ReportSettings
    from wqm_nb.store import Store

    db = shutil.copy(sample_db, tmp_path / "wqm.sqlite")
    items = list(load_question_bank().surveys["staff"].item_ids)
    with Store.open(db) as store:
        store.add_school("NLT99", "Brook Primary", "primary")
        store.start_year("NLT99", "2025-26", "wqm")
        sy = store.school_year("NLT99", "2025-26")["school_year_id"]
        values = np.array([[4 if (k + j) % 3 else 2 for j in range(len(items))] for k in range(6)], dtype=np.int8)
        store.import_survey(sy, "staff", source="online", item_ids=items, file_name="staff.csv",
                            respondents=[f"s{k}" for k in range(6)], subgroups=["teaching"] * 5 + ["leadership"],
                            values=values)
    assert main(["export", "NLT99", "--year", "2025-26", "--format", "csv", "--data", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Staff survey is withheld" in err and err.startswith("wqm: error: NLT99 2025-26")
    figures = assess_school(ReportSettings(school_id="NLT99", year="2025-26", data=str(db))).current.figures
    staff = figures.table[figures.table["survey"] == "staff"]
    assert figures.withheld == ("staff",) and staff["suppressed"].all() and staff["n"].isna().all()


def test_the_cli_reference_in_docs_is_the_parsers_help():
    from wqm_nb.cli import cli_reference

    committed = (Path(__file__).resolve().parent.parent / "docs" / "cli-reference.md").read_text()
    assert committed == cli_reference() + "\n", "docs/cli-reference.md is out of date: run `make cli-reference`"
