"""Recognising the tool, the header rows and each column's kind (wqm_nb.intake.shapes).

Every fixture is detected as the tool its manifest names; the personal-data
and metadata columns of Microsoft Forms, SurveyMonkey and Google Forms are
marked by their header; Google grid and SurveyMonkey matrix columns offer the
statement as a text to match by; localised Microsoft Forms headers are known.
"""

import csv
import io

import pytest

from wqm_nb.intake.files import read_table
from wqm_nb.intake.shapes import (
    GENERIC,
    GOOGLE_FORMS,
    METADATA,
    MICROSOFT_FORMS,
    PERSONAL,
    QUESTION,
    SURVEYMONKEY,
    TALLY,
    detect_shape,
    header_kind,
)

WITH_TOOL = (
    "msforms_staff.xlsx",
    "google_pupil_direct.csv",
    "google_parent_sheet.csv",
    "surveymonkey_staff.csv",
    "surveymonkey_pupil.xlsx",
    "generic_staff.csv",
    "generic_staff_semicolon_cp1252.csv",
    "generic_pupil_tab.tsv",
    "generic_pupil_tab.csv",
    "excel_sep_hint.csv",
    "tally_staff.csv",
    "tally_pupil_text.csv",
    "broken_unknown_label.csv",
    "broken_unmatched_scale_column.csv",
    "header_only.csv",
)
SM_META = [
    "Respondent ID",
    "Collector ID",
    "Start Date",
    "End Date",
    "IP Address",
    "Email Address",
    "First Name",
    "Last Name",
    "Custom Data 1",
]
SM_KINDS = [PERSONAL, PERSONAL, METADATA, METADATA, PERSONAL, PERSONAL, PERSONAL, PERSONAL, PERSONAL]


def shape_of(exports, bank, name):
    return detect_shape(read_table(exports.read(name), name), bank)


def csv_table(rows, name="t.csv"):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return read_table(buf.getvalue().encode("utf-8"), name)


def test_every_fixture_with_a_tool_is_listed(exports):
    assert {n for n, e in exports.manifest.items() if "tool" in e} == set(WITH_TOOL)


@pytest.mark.parametrize("name", WITH_TOOL)
def test_tool_and_header_rows_as_in_the_manifest(exports, bank, name):
    entry = exports.manifest[name]
    shape = shape_of(exports, bank, name)
    assert shape.tool == entry["tool"]
    assert shape.header_rows == entry.get("header_rows", 1)
    assert len(shape.columns) == len(read_table(exports.read(name), name).cells.columns)
    assert [c.index for c in shape.columns] == list(range(len(shape.columns)))


def test_a_spreadsheet_that_is_not_a_survey_is_generic(exports, bank):
    shape = shape_of(exports, bank, "not_a_survey.xlsx")
    assert shape.tool == GENERIC
    assert shape.columns[0].header == "Budget line"


# --------------------------------------------------------------------------
# personal data and metadata by header


def test_microsoft_forms_block_is_personal_or_metadata(exports, bank):
    shape = shape_of(exports, bank, "msforms_staff.xlsx")
    first = [(c.header, c.kind) for c in shape.columns[:6]]
    assert first == [
        ("ID", PERSONAL),
        ("Start time", METADATA),
        ("Completion time", METADATA),
        ("Email", PERSONAL),
        ("Name", PERSONAL),
        ("Last modified time", METADATA),
    ]
    assert all(c.kind == QUESTION for c in shape.columns[6:])
    assert shape.tool_name == "Microsoft Forms"


@pytest.mark.parametrize("name", ["surveymonkey_staff.csv", "surveymonkey_pupil.xlsx"])
def test_surveymonkey_nine_metadata_columns(exports, bank, name):
    shape = shape_of(exports, bank, name)
    assert [c.header for c in shape.columns[:9]] == SM_META
    assert [c.kind for c in shape.columns[:9]] == SM_KINDS
    assert all(c.kind == QUESTION for c in shape.columns[9:])
    assert shape.detail == "two header rows"


def test_google_timestamp_and_email_address(exports, bank):
    sheet = shape_of(exports, bank, "google_parent_sheet.csv")
    assert [(c.header, c.kind) for c in sheet.columns[:2]] == [("Timestamp", METADATA), ("Email address", PERSONAL)]
    assert all(c.kind == QUESTION for c in sheet.columns[2:])
    assert sheet.detail == "downloaded from the response sheet"
    direct = shape_of(exports, bank, "google_pupil_direct.csv")
    assert (direct.columns[0].header, direct.columns[0].kind) == ("Timestamp", METADATA)
    assert all(c.kind == QUESTION for c in direct.columns[1:])
    assert direct.detail == "downloaded from the form (timestamps with a time zone)"


@pytest.mark.parametrize(
    "name", ["generic_staff.csv", "generic_pupil_tab.tsv", "excel_sep_hint.csv", "generic_staff_semicolon_cp1252.csv"]
)
def test_generic_files_have_only_question_columns(exports, bank, name):
    assert {c.kind for c in shape_of(exports, bank, name).columns} == {QUESTION}


@pytest.mark.parametrize(
    "header, kind",
    [
        ("ID", PERSONAL),
        ("Id", PERSONAL),
        ("  email ", PERSONAL),
        ("E-mail address", PERSONAL),
        ("Full name", PERSONAL),
        ("IP Address", PERSONAL),
        ("Custom Data 2", PERSONAL),
        ("Custom Variable 1", PERSONAL),
        ("UPN", PERSONAL),
        ("Date of birth", PERSONAL),
        ("Nom", PERSONAL),
        ("Correo electrónico", PERSONAL),
        ("Start time", METADATA),
        ("Completion time", METADATA),
        ("Timestamp", METADATA),
        ("Total points", METADATA),
        ("Quiz feedback", METADATA),
        ("Points - I feel safe", METADATA),
        ("Feedback - I feel safe", METADATA),
        ("Score", METADATA),
        ("I feel safe [Score]", METADATA),
        ("I feel safe [Feedback]", METADATA),
        ("Horodateur", METADATA),
        ("Zeitstempel", METADATA),
        ("I feel safe and happy at school.", QUESTION),
        ("What is your name for your class?", QUESTION),
        ("Which year group is your child in?", QUESTION),
    ],
)
def test_header_kind(header, kind):
    assert header_kind(header) == kind


# --------------------------------------------------------------------------
# texts to match by


def test_google_grid_columns_offer_the_row_text(exports, bank):
    shape = shape_of(exports, bank, "google_pupil_direct.csv")
    pupil = {i.id: i.text for i in bank.surveys["pupil"].items}
    headers = exports.manifest["google_pupil_direct.csv"]["item_headers"]
    for item in ("U01", "U02", "U03", "U04"):
        column = next(c for c in shape.columns if c.header == headers[item])
        assert column.header == f"How much do you agree? [{pupil[item]}]"
        assert column.texts == (column.header, pupil[item], "How much do you agree?")
    plain = next(c for c in shape.columns if c.header == headers["U05"].strip())
    assert plain.texts == (plain.header,)


@pytest.mark.parametrize("name", ["surveymonkey_staff.csv", "surveymonkey_pupil.xlsx"])
def test_surveymonkey_matrix_columns_are_matched_by_their_sub_label_not_the_question(exports, bank, name):
    entry = exports.manifest[name]
    shape = shape_of(exports, bank, name)
    matrix = entry["matrix_question"]
    statements = list(entry["item_headers"].values())
    columns = shape.columns[10 : 10 + len(statements)]
    for column, statement in zip(columns, statements, strict=False):
        assert column.header == f"{matrix} / {statement}"
        assert column.texts == (statement, f"{matrix} / {statement}")  # never the question's text alone
        assert column.kind == QUESTION
    group = shape.columns[9]  # "Response" under the question: the question alone
    assert (group.header, group.texts) == (entry["subgroup_header"], (entry["subgroup_header"],))
    comment = shape.columns[-1]  # "Open-Ended Response"
    assert (comment.header, comment.texts) == (entry["comment_header"], (entry["comment_header"],))


def test_surveymonkey_personal_sub_label_under_a_contact_question_is_personal(bank):
    row1 = ["Respondent ID", "Collector ID", "Please give your details", "", "I feel safe and happy at school."]
    row2 = ["", "", "First Name", "Email Address", "Response"]
    shape = detect_shape(csv_table([row1, row2, ["1", "2", "Ann", "a@example.org", "Agree"]]), bank)
    assert shape.tool == SURVEYMONKEY
    assert [c.kind for c in shape.columns] == [PERSONAL, PERSONAL, PERSONAL, PERSONAL, QUESTION]


# --------------------------------------------------------------------------
# localised and look-alike headers


@pytest.mark.parametrize(
    "block",
    [
        ["Id", "Heure de début", "Heure de fin", "Adresse de messagerie", "Nom"],
        ["ID", "Hora de inicio", "Hora de finalización", "Correo electrónico", "Nombre"],
        ["ID", "Startzeit", "Fertigstellungszeit", "E-Mail-Adresse", "Name"],
    ],
    ids=["french", "spanish", "german"],
)
def test_localised_microsoft_forms_header_is_detected(bank, block):
    header = block + ["Wellbeing is treated as everyone's business across the whole school."]
    table = csv_table([header, ["1", "2025-11-10 09:00:00", "2025-11-10 09:05:00", "anonymous", "", "Agree"]])
    shape = detect_shape(table, bank)
    assert shape.tool == MICROSOFT_FORMS
    assert [c.kind for c in shape.columns] == [PERSONAL, METADATA, METADATA, PERSONAL, PERSONAL, QUESTION]


def test_an_id_column_alone_does_not_make_microsoft_forms(bank):
    shape = detect_shape(csv_table([["ID", "Role", "I feel safe"], ["1", "Teacher", "Agree"]]), bank)
    assert shape.tool == GENERIC
    assert shape.columns[0].kind == PERSONAL


def test_google_detection_needs_timestamp_first(bank):
    shape = detect_shape(csv_table([["Role", "Timestamp"], ["Teacher", "1/2/2025 9:00:00"]]), bank)
    assert shape.tool == GENERIC
    shape = detect_shape(csv_table([["Marca temporal", "Role"], ["2025/11/03 9:14:22 AM GMT", "Teacher"]]), bank)
    assert shape.tool == GOOGLE_FORMS
    assert "time zone" in shape.detail


def test_tally_needs_an_item_column_and_three_answer_columns(bank):
    tally = detect_shape(csv_table([["Item", "Disagree", "agree", "Strongly Agree"], ["S01", "1", "2", "3"]]), bank)
    assert tally.tool == TALLY
    numbers = detect_shape(csv_table([["item", "1", "2", "3", "4", "5"], ["S01", "1", "2", "3", "4", "5"]]), bank)
    assert numbers.tool == TALLY
    too_few = detect_shape(csv_table([["item", "Agree", "Disagree", "Notes"], ["S01", "1", "2", ""]]), bank)
    assert too_few.tool == GENERIC
    not_first = detect_shape(csv_table([["role", "item", "1", "2", "3"], ["teaching", "S01", "1", "2", "3"]]), bank)
    assert not_first.tool == GENERIC


def test_a_tally_of_the_audit_by_maturity_stage_is_a_tally(bank):
    header = ["item", "Deciding to act", "Shared understanding", "Developing practice", "Embedded and evaluated"]
    assert detect_shape(csv_table([header, ["SA1", "0", "2", "9", "4"]]), bank).tool == TALLY
    assert detect_shape(csv_table([header[:3] + ["Notes"], ["SA1", "0", "2", ""]]), bank).tool == GENERIC


def test_a_table_no_detector_recognises_is_generic():
    import pandas as pd

    from wqm_nb.data import load_question_bank
    from wqm_nb.intake.files import RawTable
    from wqm_nb.intake.shapes import DETECTORS, GENERIC, detect_shape

    bank = load_question_bank()
    table = RawTable("plain.csv", "0" * 64, "csv", "utf-8", ",", pd.DataFrame([["Name", "Q1"], ["A", "3"]]))
    assert detect_shape(table, bank).tool == GENERIC
    first = ["Name", "Q1"]
    assert all(detect(table, first, [h.lower() for h in first], bank) is None for detect in DETECTORS)


def test_surveymonkey_other_please_specify_never_takes_the_questions_item(bank):
    """The attack-shaped case (issue 24): a question matched by its text took its "Other (please specify)"
    column too, and then called that column "on the scale"."""
    from wqm_nb.intake.matching import FREE_TEXT, ITEM, match_columns

    item = bank.surveys["pupil"].items[0]
    row1 = ["Respondent ID", "Collector ID", item.text, ""]
    row2 = ["", "", "Response", "Other (please specify)"]
    rows = [[str(k), "9", "Agree", "Agree" if k % 2 else "Sometimes, when it is sunny"] for k in range(1, 7)]
    table = csv_table([row1, row2, *rows])
    shape = detect_shape(table, bank)
    body = table.cells.iloc[shape.header_rows :].reset_index(drop=True)
    matches = match_columns(shape.columns, body, bank.surveys["pupil"], bank, None)
    assert [(m.action, m.target) for m in matches[2:]] == [(ITEM, item.id), (FREE_TEXT, "")]


@pytest.mark.parametrize(
    "rows, tool, header_rows",
    [
        # the legacy export: RespondentID ... and NUL bytes in row 2 under the metadata
        (
            [
                ["RespondentID", "CollectorID", "StartDate", "LastName", "Q1", ""],
                ["", "", "", "", "Response", "Other"],
                ["11", "22", "x", "y", "Agree", ""],
            ],
            SURVEYMONKEY,
            2,
        ),
        # metadata deleted: known by row 2 alone
        (
            [["Q1", "Q2", ""], ["Response", "Open-Ended Response", "Other (please specify)"], ["Agree", "x", ""]],
            SURVEYMONKEY,
            2,
        ),
        # sub-labels merged into row 1: an id in row 2 under RespondentID
        ([["RespondentID", "Q1", "Q1 - Other (please specify)"], ["1234", "Agree", ""]], SURVEYMONKEY, 1),
        ([["Name", "Q1"], ["Response", "Agree"]], SURVEYMONKEY, 2),
    ],
)
def test_surveymonkey_is_known_by_its_legacy_ids_or_its_second_header_row(bank, rows, tool, header_rows):
    shape = detect_shape(csv_table(rows), bank)
    assert (shape.tool, shape.header_rows) == (tool, header_rows)


def test_the_legacy_export_marks_its_metadata_as_personal_data_or_metadata(bank):
    row1 = [
        "RespondentID",
        "CollectorID",
        "StartDate",
        "EndDate",
        "IP Address",
        "Email Address",
        "First Name",
        "LastName",
        "Custom Data",
        "Q1",
    ]
    shape = detect_shape(csv_table([row1, [""] * 9 + ["Response"], ["1"] * 10]), bank)
    assert [c.kind for c in shape.columns] == [PERSONAL, PERSONAL, METADATA, METADATA] + [PERSONAL] * 5 + [QUESTION]
