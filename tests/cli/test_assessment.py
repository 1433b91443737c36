"""The ``wqm sef export | import | show`` commands (wqm_nb.cli), run in-process.

Export writes the workbook (from a store file or a CSV folder); import
prints each change (element, old -> new) and a count, records them with
source ``xlsx`` and the name given by ``--by`` or the workbook's "Completed
by", or warns when there is neither; ``--dry-run`` writes nothing; a
workbook with problems is refused with status 2, listing them; an import into
a CSV folder is refused; ``sef show --json`` shows what was recorded.
"""

import hashlib
import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from wqm_nb.cli import main
from wqm_nb.data import load_framework
from wqm_nb.intake.sef_workbook import ABOUT_CELLS, sheet_titles
from wqm_nb.store import Store

SCHOOL, YEAR = "NLT02", "2025-26"
WQM = load_framework("wqm")
P1 = sheet_titles(WQM)["P1"]


@pytest.fixture
def db(sample_db, tmp_path) -> Path:
    """A private copy of the sample trust's store file."""
    target = tmp_path / "wqm.sqlite"
    shutil.copy(sample_db, target)
    return target


def run(capsys, *args) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def current(db: Path, framework: str = "wqm") -> dict:
    with Store(db, read_only=True) as store:
        return store.current_elements(store.cycle(SCHOOL, YEAR, framework)["cycle_id"])


def exported(capsys, db: Path, tmp_path: Path, *extra) -> Path:
    path = tmp_path / "sef.xlsx"
    status, out, err = run(capsys, "sef", "export", SCHOOL, "--year", YEAR, "--data", db, "--xlsx", path, *extra)
    assert status == 0, err
    assert out.startswith(f"wrote {path}: {SCHOOL} {YEAR}")
    return path


def fill(path: Path, completed_by: str | None = "Jo Head", **cells) -> None:
    """Change cells of the P1 sheet (``C2="1"``) and the About sheet's Completed by."""
    wb = openpyxl.load_workbook(path)
    for cell, value in cells.items():
        wb[P1][cell] = value
    wb["About"].cell(row=ABOUT_CELLS["completed_by"][0], column=2).value = completed_by
    wb.save(path)


def test_export_then_import_records_the_changes(db, tmp_path, capsys):
    path = exported(capsys, db, tmp_path)
    before = current(db)
    assert before["P1.1"]["rating"] != 1 and not before["P1.3"]["sorting"]  # the sample's state
    fill(path, C2="1 – Deciding to act", D3="Staff survey, March\nGovernor visit", E4="We do this now")
    status, out, err = run(capsys, "sef", "import", path, "--data", db)
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        f"{SCHOOL} {YEAR} Wellbeing Quality Mark: 3 change(s), {len(WQM.element_ids) - 3} "
        f"unchanged, from sef.xlsx (completed by Jo Head)"
    )
    assert lines[1] == f"  P1.1 ({P1}, row 2): rating {before['P1.1']['rating']} -> 1"
    assert lines[2].startswith(f"  P1.2 ({P1}, row 3): evidence ")
    assert lines[2].endswith("-> 'Staff survey, March Governor visit'")
    assert lines[3] == f"  P1.3 ({P1}, row 4): sorting - -> doing_now"
    assert lines[-1] == "recorded 3 entries by Jo Head"
    now = current(db)
    assert now["P1.1"]["rating"] == 1
    assert now["P1.2"]["evidence"] == "Staff survey, March\nGovernor visit"
    assert now["P1.3"]["sorting"] == "doing_now"
    assert {now[e]["source"] for e in ("P1.1", "P1.2", "P1.3")} == {"xlsx"}
    assert {now[e]["recorded_by"] for e in ("P1.1", "P1.2", "P1.3")} == {"Jo Head"}

    status, out, _ = run(capsys, "sef", "show", SCHOOL, "--year", YEAR, "--data", db, "--json")
    assert status == 0
    shown = json.loads(out)
    assert (shown["school_id"], shown["year"], shown["framework"]) == (SCHOOL, YEAR, "wqm")
    rows = {r["element_id"]: r for r in shown["elements"]}
    assert set(rows) == set(WQM.element_ids)
    assert {k: rows["P1.1"][k] for k in ("rating", "evidence", "sorting", "recorded_by")} == {
        "rating": 1,
        "evidence": before["P1.1"]["evidence"],
        "sorting": "",
        "recorded_by": "Jo Head",
    }
    assert rows["P1.2"]["evidence"] == "Staff survey, March\nGovernor visit"
    assert rows["P1.3"]["sorting"] == "doing_now"
    assert rows["P1.1"]["recorded_at"] == now["P1.1"]["recorded_at"]

    status, out, _ = run(capsys, "sef", "import", path, "--data", db)  # a second import records nothing
    assert status == 0
    assert "0 change(s)" in out and out.splitlines()[-1] == "recorded 0 entries"


def test_by_overrides_completed_by_and_neither_warns(db, tmp_path, capsys):
    path = exported(capsys, db, tmp_path)
    fill(path, C2=1)
    status, out, _ = run(capsys, "sef", "import", path, "--data", db, "--by", "Adviser")
    assert status == 0 and out.splitlines()[-1] == "recorded 1 entry by Adviser"
    assert current(db)["P1.1"]["recorded_by"] == "Adviser"
    fill(path, completed_by=None, C2=2)
    status, out, err = run(capsys, "sef", "import", path, "--data", db)
    assert status == 0
    assert "warning: no --by and no 'Completed by'" in err
    assert out.splitlines()[-1] == "recorded 1 entry"
    assert (current(db)["P1.1"]["rating"], current(db)["P1.1"]["recorded_by"]) == (2, "")


def test_dry_run_lists_the_changes_and_writes_nothing(db, tmp_path, capsys):
    path = exported(capsys, db, tmp_path)
    fill(path, C2=1, C3=1)
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    status, out, _ = run(capsys, "sef", "import", path, "--data", db, "--dry-run")
    assert status == 0
    assert "2 change(s)" in out and "P1.1" in out and "P1.2" in out
    assert out.splitlines()[-1] == "dry run: nothing was written"
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


def test_a_workbook_with_problems_is_refused_listing_them(db, tmp_path, capsys):
    path = exported(capsys, db, tmp_path)
    fill(path, C2="7", E3="sometimes")
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    status, out, err = run(capsys, "sef", "import", path, "--data", db)
    assert status == 2 and out == ""
    assert err.startswith("wqm: error: sef.xlsx: 2 problems, nothing was imported:\n")
    assert f'{P1}, row 2, column C: "7" is not on the maturity scale (1-4)' in err
    assert f'{P1}, row 3, column E: "sometimes" is not a sorting' in err
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


def test_import_into_a_csv_folder_is_refused(sample_dir, tmp_path, capsys):
    status, _, err = run(
        capsys,
        "sef",
        "export",
        SCHOOL,
        "--year",
        YEAR,
        "--data",
        sample_dir,
        "--xlsx",
        tmp_path / "sef.xlsx",
        "--framework",
        "vbe",
    )
    assert status == 0, err  # exporting from a folder is fine
    status, _, err = run(capsys, "sef", "import", tmp_path / "sef.xlsx", "--data", sample_dir)
    assert status == 2
    assert "is a CSV folder; wqm sef import writes to a store file" in err
    status, out, _ = run(capsys, "sef", "import", tmp_path / "sef.xlsx", "--data", sample_dir, "--dry-run")
    assert status == 0 and "0 change(s)" in out  # a dry run only reads


def test_export_of_an_unknown_school_fails_cleanly(db, tmp_path, capsys):
    status, _, err = run(capsys, "sef", "export", "ZZZ99", "--year", YEAR, "--data", db, "--xlsx", tmp_path / "x.xlsx")
    assert status == 2 and "unknown school 'ZZZ99'" in err
    assert not (tmp_path / "x.xlsx").exists()
