"""The SEF workbook a school fills in offline (wqm_nb.export.sef_workbook), inspected with openpyxl.

Its sheets (About, one per principle, Help, the very hidden state sheet), the
identity in fixed cells and document properties, the store's current state in
the rows, locked and unlocked cells under sheet protection without a password,
the rating and sorting dropdowns listing the Help sheet's cells, the print
setup; a checklist framework lists its own scale; a school or year the store
does not know is refused; a CSV folder can be exported from.
"""

import shutil

import openpyxl
import pytest

from wqm_nb.data import load_framework
from wqm_nb.data.frameworks import SORTINGS
from wqm_nb.errors import SettingsError, UnknownSchoolError, UnknownYearError
from wqm_nb.export.sef_workbook import SORTING_MEANINGS, write_sef_workbook
from wqm_nb.intake.sef_workbook import (
    ABOUT_CELLS,
    FORMAT,
    HEADERS,
    PROPERTY_NAMES,
    STATE_SHEET,
    rating_options,
    sheet_titles,
)
from wqm_nb.store import Store

SCHOOL, YEAR = "NLT01", "2025-26"
WQM = load_framework("wqm")


@pytest.fixture
def store(sample_db, tmp_path):
    """A writable copy of the sample store."""
    target = tmp_path / "wqm.sqlite"
    shutil.copy(sample_db, target)
    with Store(target) as s:
        yield s


@pytest.fixture
def book(store, tmp_path):
    """The NLT01 2025-26 WQM workbook, written and opened with openpyxl."""
    path = write_sef_workbook(store, SCHOOL, YEAR, WQM, tmp_path / "out" / "sef.xlsx")
    return openpyxl.load_workbook(path)


def about_value(wb, key: str):
    return wb["About"].cell(row=ABOUT_CELLS[key][0], column=2).value


def help_range(wb, formula: str) -> list:
    """The values of the Help cells a dropdown lists (``'Help'!$A$4:$A$7``)."""
    sheet, cells = formula.split("!")
    return [c.value for (c,) in wb[sheet.strip("'")][cells.replace("$", "")]]


def test_the_sheets_and_their_titles(book):
    titles = sheet_titles(WQM)
    assert book.sheetnames == ["About", *titles.values(), "Help", STATE_SHEET]
    assert titles["P3"] == "P3 Prioritise professional\u2026"
    assert all(len(t) <= 31 for t in book.sheetnames)
    assert book[STATE_SHEET].sheet_state == "veryHidden"
    assert [ws.sheet_state for ws in book.worksheets[:-1]] == ["visible"] * (len(book.sheetnames) - 1)


def test_the_about_sheet_and_the_properties_carry_the_identity(book):
    assert about_value(book, "school_id") == SCHOOL
    assert about_value(book, "school_name") == "Ashgrove Primary School"
    assert about_value(book, "year") == YEAR
    assert about_value(book, "framework_id") == "wqm"
    assert about_value(book, "framework_name") == "Wellbeing Quality Mark"
    assert about_value(book, "format") == FORMAT == "wqm-sef-workbook 1"
    assert len(about_value(book, "written")) == 10  # YYYY-MM-DD
    assert about_value(book, "completed_by") is None
    props = {p.name: p.value for p in book.custom_doc_props}
    assert props[PROPERTY_NAMES["format"]] == FORMAT
    assert (
        props[PROPERTY_NAMES["school_id"]],
        props[PROPERTY_NAMES["year"]],
        props[PROPERTY_NAMES["framework_id"]],
    ) == (SCHOOL, YEAR, "wqm")
    assert props[PROPERTY_NAMES["framework_path"]] is None  # a bundled framework is found by its id
    texts = " ".join(str(c.value) for row in book["About"].iter_rows() for c in row if c.value)
    assert "Completed by" in texts and "drop-down" in texts


def test_rows_hold_the_store_current_state(book, store):
    current = store.current_elements(store.cycle(SCHOOL, YEAR, "wqm")["cycle_id"])
    titles = sheet_titles(WQM)
    for principle in WQM.principles:
        ws = book[titles[principle.id]]
        assert tuple(c.value for c in ws[1]) == HEADERS
        for i, element in enumerate(principle.elements, start=2):
            state = current[element.id]
            assert ws[f"A{i}"].value == element.id
            assert ws[f"B{i}"].value == element.text
            assert ws[f"C{i}"].value == rating_options(WQM.scale)[state["rating"] - 1]
            assert ws[f"D{i}"].value == state["evidence"]
            assert ws[f"E{i}"].value == (SORTINGS[state["sorting"]] if state["sorting"] else None)
        assert ws.max_row == len(principle.elements) + 1


def test_a_cycle_not_started_gives_empty_rows(store, tmp_path):
    vbe = load_framework("vbe")
    assert store.cycle("NLT03", YEAR, "vbe") is None
    wb = openpyxl.load_workbook(write_sef_workbook(store, "NLT03", YEAR, vbe, tmp_path / "vbe.xlsx"))
    for principle in vbe.principles:
        ws = wb[sheet_titles(vbe)[principle.id]]
        for row in range(2, len(principle.elements) + 2):
            assert ws[f"A{row}"].value and all(ws[f"{c}{row}"].value is None for c in "CDE")
    state = [r for r in wb[STATE_SHEET].iter_rows(min_row=5, values_only=True)]
    assert state == [(e, None) for e in vbe.element_ids]


def test_only_the_rating_evidence_and_sorting_cells_are_unlocked(book):
    assert book.security.lockStructure
    for ws in book.worksheets:
        assert ws.protection.sheet, ws.title
        assert not ws.protection.password, ws.title  # no password: Review > Unprotect Sheet
    completed = book["About"].cell(row=ABOUT_CELLS["completed_by"][0], column=2)
    assert not completed.protection.locked
    assert book["About"]["B3"].protection.locked
    ws = book[sheet_titles(WQM)["P1"]]
    assert not ws.protection.formatColumns  # columns can still be widened
    for row in range(1, ws.max_row + 1):
        for column in "AB":
            assert ws[f"{column}{row}"].protection.locked
    for row in range(2, ws.max_row + 1):
        for column in "CDE":
            assert not ws[f"{column}{row}"].protection.locked
    assert all(ws[f"{c}1"].protection.locked for c in "CDE")


def test_the_dropdowns_list_the_scale_and_the_sortings(book):
    for principle in WQM.principles:
        ws = book[sheet_titles(WQM)[principle.id]]
        last = len(principle.elements) + 1
        validations = {str(dv.sqref)[0]: dv for dv in ws.data_validations.dataValidation}
        assert set(validations) == {"C", "E"}
        rating, sorting = validations["C"], validations["E"]
        for row in range(2, last + 1):
            assert f"C{row}" in rating and f"E{row}" in sorting
        assert "C1" not in rating and f"C{last + 1}" not in rating
        assert rating.type == sorting.type == "list"
        assert rating.allow_blank and sorting.allow_blank
        assert rating.showErrorMessage
        assert help_range(book, rating.formula1) == [
            "1 \u2013 Deciding to act",
            "2 \u2013 Shared understanding",
            "3 \u2013 Developing practice",
            "4 \u2013 Embedded and evaluated",
        ]
        assert help_range(book, sorting.formula1) == list(SORTINGS.values())


def test_the_help_sheet_describes_each_level_and_sorting(book):
    cells = [c.value for row in book["Help"].iter_rows() for c in row if c.value is not None]
    for level in WQM.scale.levels:
        assert level.label in cells and level.descriptor in cells
    for code, label in SORTINGS.items():
        assert label in cells and code in cells and SORTING_MEANINGS[code] in cells


def test_layout_and_print_setup(book):
    for title in [*sheet_titles(WQM).values(), "About", "Help"]:
        ws = book[title]
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    ws = book[sheet_titles(WQM)["P1"]]
    assert ws.freeze_panes == "A2"
    assert ws.print_title_rows == "$1:$1"
    assert ws.column_dimensions["D"].width >= 60 and ws.column_dimensions["B"].width >= 40
    assert ws["D2"].alignment.wrap_text and ws["B2"].alignment.wrap_text


def test_a_checklist_framework_lists_its_own_scale(store, tmp_path):
    lm = load_framework("leadership_management")
    wb = openpyxl.load_workbook(write_sef_workbook(store, SCHOOL, YEAR, lm, tmp_path / "lm.xlsx"))
    ws = wb[sheet_titles(lm)["LM"]]
    (rating,) = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith("C")]
    assert help_range(wb, rating.formula1) == ["1 \u2013 Not in place", "2 \u2013 Partly in place", "3 \u2013 In place"]
    assert ws["C2"].value == "3 \u2013 In place"  # LM.1 is rated 3 in the sample


def test_text_that_a_spreadsheet_would_run_is_neutralised(store, tmp_path):
    store.add_school("EVIL1", '=HYPERLINK("http://x","click")', "primary")
    store.ensure_school_year("EVIL1", YEAR)
    cycle_id = store.ensure_cycle("EVIL1", YEAR, "wqm")
    store.record_rating(cycle_id, "P1.1", 2, evidence="=1+1", framework=WQM)
    wb = openpyxl.load_workbook(write_sef_workbook(store, "EVIL1", YEAR, WQM, tmp_path / "evil.xlsx"))
    assert about_value(wb, "school_name") == '\'=HYPERLINK("http://x","click")'
    cell = wb[sheet_titles(WQM)["P1"]]["D2"]
    assert (cell.value, cell.data_type) == ("'=1+1", "s")


def test_titles_avoid_forbidden_characters_and_clashes(tmp_path):
    file = tmp_path / "fw.yaml"
    file.write_text(
        """\
id: odd
name: Odd names
kind: checklist
scale: checklist
principles:
  - {id: "Help", name: "?", elements: [{id: h1, text: One}]}
  - {id: "X/1", name: "What: [this]*is? a very long name indeed\\\\", elements: [{id: x1, text: Two}]}
  - {id: "X:1", name: "What: [this]*is? a very long name indeed, again", elements: [{id: x2, text: Three}]}
  - {id: "'Q'", name: "quoted", elements: [{id: q1, text: Four}]}
""",
        encoding="utf-8",
    )
    fw = load_framework(file)
    titles = sheet_titles(fw)
    assert all(0 < len(t) <= 31 for t in titles.values())
    assert not any(set("[]:*?/\\") & set(t) for t in titles.values())
    assert not any(t.startswith("'") or t.endswith("'") for t in titles.values())
    folded = [t.casefold() for t in titles.values()]
    assert len(set(folded)) == len(folded) and "help" not in folded
    assert titles["X/1"].startswith("X 1 What this is a very")
    assert titles["X:1"] != titles["X/1"]
    wb = openpyxl.Workbook()
    for title in titles.values():  # openpyxl refuses a title Excel would
        wb.create_sheet(title)


def test_unknown_school_or_year_is_refused(store, tmp_path):
    with pytest.raises(UnknownSchoolError):
        write_sef_workbook(store, "ZZZ99", YEAR, WQM, tmp_path / "x.xlsx")
    with pytest.raises(UnknownYearError):
        write_sef_workbook(store, SCHOOL, "2031-32", WQM, tmp_path / "x.xlsx")
    with pytest.raises(SettingsError, match="academic year"):
        write_sef_workbook(store, SCHOOL, "2025/26", WQM, tmp_path / "x.xlsx")
    assert list(tmp_path.glob("*.xlsx")) == []


def test_a_csv_folder_can_be_exported_from(sample_dir, tmp_path):
    with Store.open(sample_dir, read_only=True) as folder:
        path = write_sef_workbook(folder, SCHOOL, YEAR, WQM, tmp_path / "sef.xlsx")
    assert path == tmp_path / "sef.xlsx"
    assert [p.name for p in tmp_path.iterdir()] == ["sef.xlsx"]  # no temporary file left behind
    assert openpyxl.load_workbook(path)[sheet_titles(WQM)["P1"]]["A2"].value == "P1.1"
