"""Spreadsheet-safe cells: formulas neutralised on the way out, restored on the way in."""

import csv

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wqm_nb.spreadsheet import FORMULA_STARTS, neutralise, restore, write_csv
from wqm_nb.store.csv_exchange import read_rows


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","click")', "+44 20", "-1+1", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text and restore(neutralise(text)) == text


def test_numbers_and_ordinary_text_are_untouched():
    assert neutralise(-3) == -3 and neutralise(2.5) == 2.5 and neutralise(None) is None
    assert neutralise("Ashgrove Primary") == "Ashgrove Primary"
    assert restore("'quoted'") == "'quoted'"  # an apostrophe before ordinary text stays


@given(st.text())
def test_restore_undoes_neutralise_for_any_text(text):
    assert restore(neutralise(text)) == text
    out = neutralise(text)
    assert not (isinstance(out, str) and out.startswith(FORMULA_STARTS))


def test_evidence_starting_with_a_dash_survives_a_round_trip(tmp_path):
    path = write_csv(
        tmp_path / "x.csv",
        ["element_id", "evidence", "rating"],
        [["P1.1", "- reviewed termly", 3], ["P1.2", "=1+1", 4]],
    )
    with path.open(newline="") as fh:
        raw = list(csv.reader(fh))
    assert raw[1] == ["P1.1", "'- reviewed termly", "3"] and raw[2][1] == "'=1+1"
    rows = read_rows(path, ["element_id"])
    assert [r["evidence"] for _, r in rows] == ["- reviewed termly", "=1+1"]


def test_column_letter_names_spreadsheet_columns():
    from wqm_nb.spreadsheet import column_letter

    assert [column_letter(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]
