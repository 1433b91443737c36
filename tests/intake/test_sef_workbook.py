"""Reading a SEF workbook back (wqm_nb.intake.sef_workbook), after a real export.

The round trip: a workbook written from the sample store, cells changed with
openpyxl the way a school changes them in Excel (ratings in every accepted
form, evidence with unicode and newlines, sortings), read back and committed
as history entries with source ``xlsx``; unchanged rows record nothing. Every
kind of problem is reported with its sheet, row and column, all at once, and
nothing is written from a file with any problem. The VbE framework, the
leadership and management checklist and a framework file of one's own work
the same way; a row the school left alone keeps an entry the store recorded
after the workbook was written.
"""

import io
from pathlib import Path

import openpyxl
import pytest

from wqm_nb.data import load_framework
from wqm_nb.errors import DataFileError, StoreError
from wqm_nb.export.sef_workbook import build_sef_workbook, write_sef_workbook
from wqm_nb.intake.sef_workbook import (
    ABOUT_CELLS,
    ABOUT_SHEET,
    FIRST_ROW,
    PROPERTY_NAMES,
    STATE_SHEET,
    SefWorkbookChanges,
    SefWorkbookError,
    clean_text,
    commit_sef_workbook,
    rating_option,
    read_sef_workbook,
    sheet_titles,
)
from wqm_nb.store import Store

SCHOOL, YEAR = "NLT01", "2025-26"
WQM = load_framework("wqm")


@pytest.fixture
def store(db):
    """A writable copy of the sample store (the ``db`` fixture of tests/intake/conftest.py)."""
    with Store(db) as s:
        yield s


def export(store, tmp_path, framework=WQM, school=SCHOOL, year=YEAR, name="sef.xlsx") -> Path:
    return write_sef_workbook(store, school, year, framework, tmp_path / name)


def cell_of(framework, element_id: str, column: str) -> tuple[str, str]:
    """(sheet title, cell) of an element's column (A-E) in a workbook of ``framework``."""
    principle = framework.principle_of(element_id)
    row = FIRST_ROW + [e.id for e in principle.elements].index(element_id)
    return sheet_titles(framework)[principle.id], f"{column}{row}"


def edit(path: Path, framework, changes: dict, *, save_as: Path | None = None) -> Path:
    """Set cells as a school would: ``{(element_id, column): value}`` or ``{(sheet, "C5"): value}``."""
    wb = openpyxl.load_workbook(path)
    for (where, column), value in changes.items():
        if len(column) == 1:
            sheet, cell = cell_of(framework, where, column)
        else:
            sheet, cell = where, column
        wb[sheet][cell] = value
    target = save_as or path
    wb.save(target)
    return target


def history_size(store, school=SCHOOL, year=YEAR, framework=WQM) -> int:
    cycle = store.cycle(school, year, framework.id)
    if cycle is None:
        return 0
    return sum(len(store.element_history(cycle["cycle_id"], e)) for e in framework.element_ids)


def refused(store, source, **kwargs) -> SefWorkbookError:
    with pytest.raises(SefWorkbookError) as info:
        read_sef_workbook(source, store, **kwargs)
    return info.value


# -- the round trip -------------------------------------------------------------


def test_changed_rows_become_history_entries_with_source_xlsx(store, tmp_path):
    path = export(store, tmp_path)
    cycle_id = store.cycle(SCHOOL, YEAR, "wqm")["cycle_id"]
    before = store.current_elements(cycle_id)
    size = history_size(store)
    evidence = "Évaluation ✓ — café 😊 notes\nsecond line\n\nthird, after a blank line"
    edit(
        path,
        WQM,
        {
            ("P1.1", "C"): "2 – Shared understanding",
            ("P1.2", "D"): evidence,
            ("P1.3", "E"): "We want to do this",
            ("P3.1", "C"): 1,
            ("P3.1", "D"): None,
            ("P2.1", "C"): None,
        },
    )
    changes = read_sef_workbook(path, store)
    assert isinstance(changes, SefWorkbookChanges)
    assert (changes.school_id, changes.year, changes.framework.id) == (SCHOOL, YEAR, "wqm")
    got = {e["element_id"]: e for e in changes.entries}
    assert list(got) == ["P1.1", "P1.2", "P1.3", "P2.1", "P3.1"]  # workbook order
    assert changes.unchanged == len(WQM.element_ids) - 5
    assert got["P1.1"]["rating"] == 2 and got["P1.1"]["evidence"] == before["P1.1"]["evidence"]
    assert got["P1.2"]["evidence"] == evidence and got["P1.2"]["rating"] == before["P1.2"]["rating"]
    assert got["P1.3"]["sorting"] == "want_to_do"
    assert got["P2.1"]["rating"] is None
    assert (got["P3.1"]["rating"], got["P3.1"]["evidence"]) == (1, "")
    assert got["P3.1"]["sheet"] == sheet_titles(WQM)["P3"] and got["P3.1"]["row"] == FIRST_ROW
    assert got["P1.1"]["previous"]["rating"] == before["P1.1"]["rating"]
    lines = changes.change_lines()
    assert lines[0].startswith(f"P1.1 ({sheet_titles(WQM)['P1']}, row 2): rating {before['P1.1']['rating']} -> 2")
    assert "sorting - -> want_to_do" in lines[2]

    ids = commit_sef_workbook(store, changes, recorded_by="Head of wellbeing")
    assert len(ids) == 5
    assert history_size(store) == size + 5
    now = store.current_elements(cycle_id)
    assert now["P1.1"]["rating"] == 2
    assert now["P1.2"]["evidence"] == evidence
    assert now["P1.3"]["sorting"] == "want_to_do"
    assert now["P2.1"]["rating"] is None
    for element_id in got:
        latest = store.element_history(cycle_id, element_id)[-1]
        assert (latest["source"], latest["recorded_by"]) == ("xlsx", "Head of wellbeing")
    untouched = store.element_history(cycle_id, "P1.4")
    assert all(e["source"] != "xlsx" for e in untouched)

    # the workbook written now shows the new state, and reads back with nothing to record
    again = read_sef_workbook(export(store, tmp_path, name="again.xlsx"), store)
    assert again.entries == [] and again.unchanged == len(WQM.element_ids)


def test_an_unchanged_workbook_records_nothing(store, tmp_path):
    path = export(store, tmp_path)
    size = history_size(store)
    changes = read_sef_workbook(path.read_bytes(), store, file_name="sef.xlsx")
    assert changes.entries == [] and changes.unchanged == len(WQM.element_ids)
    assert commit_sef_workbook(store, changes, "Head") == []
    assert history_size(store) == size


def test_a_workbook_of_a_cycle_not_started_starts_it(store, tmp_path):
    vbe = load_framework("vbe")
    assert store.cycle("NLT03", YEAR, "vbe") is None
    path = export(store, tmp_path, framework=vbe, school="NLT03")
    wb = openpyxl.load_workbook(path)
    assert all(wb[t][f"C{r}"].value is None for t in sheet_titles(vbe).values() for r in (2,))
    edit(
        path,
        vbe,
        {
            ("A2.1", "C"): "Embedded and evaluated",
            ("A2.1", "D"): "Leaders model the values",
            ("A5.1", "E"): "doing_now",
        },
    )
    changes = read_sef_workbook(path, store)
    assert [e["element_id"] for e in changes.entries] == ["A2.1", "A5.1"]
    assert all(e["previous"] is None for e in changes.entries)
    commit_sef_workbook(store, changes, "Head")
    cycle_id = store.cycle("NLT03", YEAR, "vbe")["cycle_id"]
    now = store.current_elements(cycle_id)
    assert (now["A2.1"]["rating"], now["A2.1"]["evidence"]) == (4, "Leaders model the values")
    assert (now["A5.1"]["rating"], now["A5.1"]["sorting"]) == (None, "doing_now")


@pytest.mark.parametrize(
    "value",
    [
        "3 – Developing practice",
        "3 - Developing practice",
        "3—developing practice",
        "3",
        " 3 ",
        "3.0",
        3,
        3.0,
        "Developing practice",
        "developing  PRACTICE",
    ],
)
def test_a_rating_is_read_in_every_form_a_school_writes_it(store, tmp_path, value):
    cycle_id = store.cycle(SCHOOL, YEAR, "wqm")["cycle_id"]
    store.record_rating(cycle_id, "P2.2", 1, framework=WQM)
    path = edit(export(store, tmp_path), WQM, {("P2.2", "C"): value, ("P1.1", "C"): None})
    got = {e["element_id"]: e["rating"] for e in read_sef_workbook(path, store).entries}
    assert got == {"P1.1": None, "P2.2": 3}


@pytest.mark.parametrize(
    "value, code",
    [
        ("We do this now", "doing_now"),
        ("we do this NOW", "doing_now"),
        ("want_to_do", "want_to_do"),
        ("We don\u2019t want to / don\u2019t understand this", "not_for_us"),
        ("   ", ""),
    ],
)
def test_a_sorting_is_read_as_its_label_or_its_code(store, tmp_path, value, code):
    path = edit(export(store, tmp_path), WQM, {("P1.1", "E"): value, ("P1.1", "C"): 1})
    (entry,) = read_sef_workbook(path, store).entries
    assert entry["sorting"] == code


def test_evidence_text_survives_the_round_trip(store, tmp_path):
    cycle_id = store.cycle(SCHOOL, YEAR, "wqm")["cycle_id"]
    texts = {
        "P1.1": "- first bullet\n- second bullet",
        "P1.2": '=HYPERLINK("http://x")',
        "P1.3": "+44 01632 960000",
        "P1.4": "line one\r\nline two",
    }
    store.record_ratings(cycle_id, [dict(element_id=e, rating=2, evidence=t) for e, t in texts.items()], framework=WQM)
    path = export(store, tmp_path)
    wb = openpyxl.load_workbook(path)
    sheet, cell = cell_of(WQM, "P1.2", "D")
    assert wb[sheet][cell].data_type == "s"  # written as text, never as a formula
    assert read_sef_workbook(path, store).entries == []
    assert clean_text("a\r\nb\x07 ") == "a\nb"


def test_a_row_left_alone_keeps_a_newer_store_entry(store, tmp_path):
    path = export(store, tmp_path)
    cycle_id = store.cycle(SCHOOL, YEAR, "wqm")["cycle_id"]
    store.record_rating(cycle_id, "P1.1", 1, evidence="Adviser's correction", recorded_by="Adviser", framework=WQM)
    store.record_rating(cycle_id, "P1.2", 1, evidence="Adviser's note", recorded_by="Adviser", framework=WQM)
    edit(path, WQM, {("P1.2", "C"): 2})
    changes = read_sef_workbook(path, store)
    assert [e["element_id"] for e in changes.entries] == ["P1.2"]
    assert len(changes.kept) == 1 and changes.kept[0].startswith("P1.1: not changed in the workbook")
    assert "Adviser" in changes.kept[0]
    assert len(changes.warnings) == 1 and "P1.2 was also changed in the store" in changes.warnings[0]
    commit_sef_workbook(store, changes, "Head")
    now = store.current_elements(cycle_id)
    assert (now["P1.1"]["rating"], now["P1.1"]["recorded_by"]) == (1, "Adviser")
    assert (now["P1.2"]["rating"], now["P1.2"]["recorded_by"]) == (2, "Head")


def test_commit_refuses_changes_the_store_overtook(store, tmp_path):
    path = edit(export(store, tmp_path), WQM, {("P1.1", "C"): 1, ("P1.2", "C"): 1})
    changes = read_sef_workbook(path, store)
    cycle_id = store.cycle(SCHOOL, YEAR, "wqm")["cycle_id"]
    store.record_rating(cycle_id, "P1.2", 3, recorded_by="Adviser", framework=WQM)
    size = history_size(store)
    with pytest.raises(StoreError, match="P1.2 changed in the store after sef.xlsx was read"):
        commit_sef_workbook(store, changes, "Head")
    assert history_size(store) == size


def test_a_csv_folder_can_be_read_against(sample_dir, tmp_path, sample_db):
    with Store(sample_db, read_only=True) as source:
        path = export(source, tmp_path)
    edit(path, WQM, {("P1.1", "C"): 1})
    with Store.open(sample_dir, read_only=True) as folder:
        changes = read_sef_workbook(path, folder)
    assert [e["element_id"] for e in changes.entries] == ["P1.1"]


# -- other frameworks ---------------------------------------------------------


def test_a_vbe_workbook_round_trips(store, tmp_path):
    vbe = load_framework("vbe")
    path = edit(
        export(store, tmp_path, framework=vbe),
        vbe,
        {("A3.1", "C"): "2 – Shared understanding", ("A3.1", "D"): "Restorative approach\nlog"},
    )
    changes = read_sef_workbook(path, store)
    assert changes.framework.id == "vbe"
    assert [(e["element_id"], e["rating"]) for e in changes.entries] == [("A3.1", 2)]
    commit_sef_workbook(store, changes, "Head")
    cycle_id = store.cycle(SCHOOL, YEAR, "vbe")["cycle_id"]
    assert store.current_elements(cycle_id)["A3.1"]["evidence"] == "Restorative approach\nlog"
    assert store.element_history(cycle_id, "A3.1")[-1]["source"] == "xlsx"


def test_a_checklist_workbook_uses_the_checklist_scale(store, tmp_path):
    lm = load_framework("leadership_management")
    assert lm.kind == "checklist"
    path = edit(
        export(store, tmp_path, framework=lm), lm, {("LM.1", "C"): "1 – Not in place", ("LM.2", "C"): "Partly in place"}
    )
    changes = read_sef_workbook(path, store)
    assert [(e["element_id"], e["rating"]) for e in changes.entries] == [("LM.1", 1), ("LM.2", 2)]
    commit_sef_workbook(store, changes, "Head")
    cycle_id = store.cycle(SCHOOL, YEAR, "leadership_management")["cycle_id"]
    assert store.current_elements(cycle_id)["LM.2"]["rating"] == 2

    bad = edit(
        export(store, tmp_path, framework=lm, name="bad.xlsx"),
        lm,
        {("LM.3", "C"): 4, ("LM.4", "C"): "4 – Embedded and evaluated"},
    )
    sheet = sheet_titles(lm)["LM"]
    error = refused(store, bad)
    assert error.problems == (
        f'{sheet}, row 4, column C: "4" is not on the checklist scale (1-3)',
        f'{sheet}, row 5, column C: "4 – Embedded and evaluated" is not on the checklist scale (1-3)',
    )


CUSTOM = """\
id: my_review
name: "My review: a [custom] framework"
kind: checklist
section_label: Strand
scale: maturity
principles:
  - id: S1
    name: "Pupil voice / participation: what pupils say*and*do about their school?"
    elements:
      - {id: S1.a, text: Pupils help shape the wellbeing offer}
      - {id: S1.b, text: "=Pupils know who to talk to"}
  - id: S2
    name: "Pupil voice / participation: what pupils say*and*do about their school? Part two"
    elements:
      - {id: S2.a, text: Staff ask pupils what helps}
"""


def test_a_framework_file_of_ones_own_round_trips(store, tmp_path):
    file = tmp_path / "my_review.yaml"
    file.write_text(CUSTOM, encoding="utf-8")
    custom = load_framework(file)
    titles = sheet_titles(custom)
    assert all(len(t) <= 31 and not set("[]:*?/\\") & set(t) for t in titles.values())
    assert len({t.casefold() for t in titles.values()}) == 2
    path = edit(
        export(store, tmp_path, framework=custom),
        custom,
        {("S1.b", "C"): "4", ("S2.a", "D"): "Pupil survey, autumn", ("S2.a", "E"): "want_to_do"},
    )
    changes = read_sef_workbook(path, store)  # the framework is found by the file recorded in the workbook
    assert changes.framework == custom
    commit_sef_workbook(store, changes, "Head")
    cycle_id = store.cycle(SCHOOL, YEAR, "my_review")["cycle_id"]
    assert {k: (v["rating"], v["sorting"]) for k, v in store.current_elements(cycle_id).items()} == {
        "S1.b": (4, ""),
        "S2.a": (None, "want_to_do"),
    }

    moved = tmp_path / "moved.yaml"
    file.rename(moved)
    error = refused(store, path)
    assert "framework 'my_review' is not a bundled framework" in str(error)
    assert "is not there" in str(error)
    again = read_sef_workbook(path, store, framework=load_framework(moved))
    assert again.entries == []
    assert "not 'wqm'" in str(refused(store, path, framework=WQM))


# -- problems -------------------------------------------------------------------


def test_every_problem_is_listed_with_sheet_row_and_column_and_nothing_is_written(store, tmp_path):
    path = export(store, tmp_path)
    titles = sheet_titles(WQM)
    p1, p3 = titles["P1"], titles["P3"]
    wb = openpyxl.load_workbook(path)
    wb[p3]["C3"] = "7"
    wb[p3]["C4"] = "great"
    wb[p3]["C5"] = 2.5
    wb[p3]["E2"] = "maybe"
    wb[p1]["A3"] = "P1.99"
    wb[p1]["A4"] = "P1.1"
    wb[p1]["A5"] = "P2.1"
    wb[p1]["D6"] = "=SUM(1,2)"
    wb[p1]["C7"] = "3 – Embedded and evaluated"
    wb[p1]["C9"] = "Something"
    wb[p1]["F2"] = "more evidence here"
    wb.create_sheet("Notes")
    del wb[titles["P5"]]
    wb.save(path)
    size = history_size(store)
    error = refused(store, path)
    assert isinstance(error, DataFileError)
    expected = [
        "sheet 'Notes' is not a sheet of this workbook",
        f"{p1}, row 2, column F: text outside the table (columns A-E) is not read",
        f"{p1}, row 3, column A: 'P1.99' is not an element of Wellbeing Quality Mark",
        f"{p1}, row 4, column A: element P1.1 appears again (first on row 2)",
        f"{p1}, row 5, column A: element P2.1 belongs on sheet '{titles['P2']}'",
        f'{p1}, row 6, column D: "=SUM(1,2)" is a formula',
        f"{p1}, row 7, column C: \"3 – Embedded and evaluated\" does not match the scale: 3 is 'Developing practice'",
        f"{p1}, row 9, column A: no element id",
        f"{p3}, row 2, column E: \"maybe\" is not a sorting; choose one of 'We do this now'",
        f'{p3}, row 3, column C: "7" is not on the maturity scale (1-4)',
        f'{p3}, row 4, column C: "great" is not on the maturity scale (1-4); choose one of: 1 – Deciding to act',
        f'{p3}, row 5, column C: "2.5" is not a whole number on the maturity scale (1-4)',
        f"the sheet '{titles['P5']}' (framing principle P5) is missing",
        f"{p1}, column A: element P1.2 is missing",
        f"{p1}, column A: element P1.3 is missing",
        f"{p1}, column A: element P1.4 is missing",
    ]
    assert len(error.problems) == len(expected)
    for problem, start in zip(error.problems, expected, strict=False):
        assert problem.startswith(start), (problem, start)
    message = str(error)
    assert message.startswith(f"sef.xlsx: {len(expected)} problems, nothing was imported:\n")
    assert all(p in message for p in error.problems)
    assert history_size(store) == size


def test_a_changed_header_stops_the_sheet_being_read(store, tmp_path):
    path = export(store, tmp_path)
    p2 = sheet_titles(WQM)["P2"]
    wb = openpyxl.load_workbook(path)
    wb[p2].insert_cols(3)
    wb[p2]["C1"] = "My notes"
    wb.save(path)
    (problem,) = refused(store, path).problems
    assert problem.startswith(f"{p2}, row 1, column C: the header should be 'Rating', not 'My notes'")


@pytest.mark.parametrize(
    "school, year, message",
    [
        ("ZZZ99", YEAR, "About: unknown school 'ZZZ99'"),
        (SCHOOL, "2031-32", "About: school 'NLT01' has no data for 2031-32"),
    ],
)
def test_a_school_or_year_not_in_the_store_is_refused(store, tmp_path, school, year, message):
    wb = build_sef_workbook(dict(school_id=school, name="Somewhere"), year, WQM, {}, None, "2026-01-01T00:00:00")
    buffer = io.BytesIO()
    wb.save(buffer)
    size = history_size(store)
    (problem,) = refused(store, buffer.getvalue()).problems
    assert problem.startswith(message)
    assert history_size(store) == size


def test_a_changed_about_sheet_is_refused(store, tmp_path):
    path = export(store, tmp_path)
    row = ABOUT_CELLS["school_id"][0]
    edit(path, WQM, {(ABOUT_SHEET, f"B{row}"): "NLT02"})
    (problem,) = refused(store, path).problems
    assert problem == (
        f"About, row {row}, column B: School id says 'NLT02' but the workbook was written for "
        f"'NLT01' (the About sheet must not be changed)"
    )


def test_the_about_sheet_alone_identifies_a_workbook_whose_properties_were_lost(store, tmp_path):
    path = edit(export(store, tmp_path), WQM, {("P1.1", "C"): 1})
    wb = openpyxl.load_workbook(path)
    names = set(PROPERTY_NAMES.values())
    wb.custom_doc_props.props = [p for p in wb.custom_doc_props if p.name not in names]
    del wb[STATE_SHEET]
    wb.save(path)
    changes = read_sef_workbook(path, store)
    assert [e["element_id"] for e in changes.entries] == ["P1.1"]
    assert (changes.school_id, changes.year, changes.framework.id) == (SCHOOL, YEAR, "wqm")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "the file is empty"),
        (b"school_id,element_id,rating\nNLT01,P1.1,3\n", "not an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "an old Excel .xls workbook"),
        (b"PK\x03\x04 not really a zip", "not an Excel workbook (.xlsx)"),
    ],
)
def test_a_file_that_is_not_an_xlsx_workbook_is_refused(store, data, message):
    error = refused(store, data, file_name="sef.xlsx")
    assert error.problems[0].startswith(message)
    assert str(error).startswith("sef.xlsx: ")


def test_a_workbook_that_is_not_ours_is_refused(store, tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Element"
    wb.save(tmp_path / "other.xlsx")
    (problem,) = refused(store, tmp_path / "other.xlsx").problems
    assert problem.startswith("not a wqm self-evaluation workbook")


def test_a_workbook_of_another_format_version_is_refused(store, tmp_path):
    path = export(store, tmp_path)
    wb = openpyxl.load_workbook(path)
    for prop in wb.custom_doc_props:
        if prop.name == PROPERTY_NAMES["format"]:
            prop.value = "wqm-sef-workbook 2"
    wb.save(path)
    (problem,) = refused(store, path).problems
    assert "'wqm-sef-workbook 2' workbook; this version of wqm reads 'wqm-sef-workbook 1'" in problem


def test_rating_options_name_the_value_and_label():
    assert rating_option(WQM.scale, 3) == "3 \u2013 Developing practice"
