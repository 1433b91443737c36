"""Reading an export's bytes into a table of text cells (wqm_nb.intake.files).

Encodings (UTF-8 with and without BOM, Windows-1252, UTF-16 with BOM),
delimiters (comma, semicolon, tab, an Excel ``sep=`` line), Excel workbooks
read with calamine, and the files refused with a DataFileError naming the file:
empty, a web page, an old .xls, other binary content.
"""

import hashlib
import random
import re

import pytest

from wqm_nb.errors import DataFileError
from wqm_nb.intake.files import column_letter, read_table, sniff_delimiter

#: Every fixture whose manifest names its encoding and delimiter.
READABLE = (
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


def test_every_fixture_with_an_encoding_is_listed(exports):
    assert {n for n, e in exports.manifest.items() if "encoding" in e} == set(READABLE)


@pytest.mark.parametrize("name", READABLE)
def test_encoding_and_delimiter_as_in_the_manifest(exports, name):
    entry = exports.manifest[name]
    table = read_table(exports.read(name), name)
    assert table.encoding == entry["encoding"]
    assert table.delimiter == entry["delimiter"]
    assert table.format == ("xlsx" if name.endswith(".xlsx") else "csv")
    assert table.file_name == name
    assert table.sha256 == hashlib.sha256(exports.read(name)).hexdigest()
    assert len(table.cells) - entry.get("header_rows", 1) == entry["rows"]
    assert table.first_row == 1 + entry.get("skip_lines", 0)
    assert all(isinstance(v, str) for v in table.cells.iloc[-1])


def test_a_path_is_reduced_to_the_file_name(exports):
    table = read_table(exports.read("generic_staff.csv"), "/somewhere/else/generic_staff.csv")
    assert table.file_name == "generic_staff.csv"


# --------------------------------------------------------------------------
# encodings


def test_utf8_without_and_with_bom():
    text = "Role,Wellbeing is treated as everyone\u2019s business\nTeacher,Agree\n"
    plain = read_table(text.encode("utf-8"), "plain.csv")
    bom = read_table(b"\xef\xbb\xbf" + text.encode("utf-8"), "bom.csv")
    assert (plain.encoding, bom.encoding) == ("utf-8", "utf-8-sig")
    assert plain.cells.equals(bom.cells)
    assert bom.cells.iloc[0, 0] == "Role"  # no BOM left on the first header
    assert bom.cells.iloc[0, 1].endswith("everyone\u2019s business")
    assert bom.described == "CSV, UTF-8 with BOM, comma-separated"


def test_windows_1252_semicolon_fixture_decodes_curly_quotes_accents_and_pounds(exports):
    name = "generic_staff_semicolon_cp1252.csv"
    table = read_table(exports.read(name), name)
    cells = set(table.cells.to_numpy().ravel())
    assert "The caf\u00e9 budget of \u00a3200 for the staff room was well spent \u2013 thank you." in cells
    assert any(c.startswith("Q1) Wellbeing is treated as everyone\u2019s business") for c in table.cells.iloc[0])
    assert table.described == "CSV, Windows-1252, semicolon-separated"


def test_utf16_with_bom_little_and_big_endian():
    text = "Role\tComment\r\nTeacher\tCaf\u00e9 \u00a35 \u2019ok\u2019\r\nTA\t\r\n"
    for data in (text.encode("utf-16"), b"\xfe\xff" + text.encode("utf-16-be"), b"\xff\xfe" + text.encode("utf-16-le")):
        table = read_table(data, "utf16.csv")
        assert table.encoding == "utf-16"
        assert table.delimiter == "\t"
        assert table.cells.values.tolist() == [
            ["Role", "Comment"],
            ["Teacher", "Caf\u00e9 \u00a35 \u2019ok\u2019"],
            ["TA", ""],
        ]


def test_a_short_windows_1252_file_decodes_as_windows_1252():
    text = "Name;Comment\nSupport;I\u2019d like more time\n"
    table = read_table(text.encode("cp1252"), "short.csv")
    assert table.cells.iloc[1, 1] == "I\u2019d like more time"


# --------------------------------------------------------------------------
# delimiters


def test_tab_separated_tsv_and_the_same_content_as_csv(exports):
    tsv = read_table(exports.read("generic_pupil_tab.tsv"), "generic_pupil_tab.tsv")
    csv = read_table(exports.read("generic_pupil_tab.csv"), "generic_pupil_tab.csv")
    assert tsv.delimiter == csv.delimiter == "\t"
    assert tsv.sha256 == csv.sha256
    assert tsv.cells.equals(csv.cells)
    assert tsv.cells.shape[1] == 1 + 8 + 1  # year group, eight items, comment
    assert tsv.cells.iloc[0, 0] == "Year group"


def test_excel_sep_hint_line_sets_the_delimiter_and_shifts_row_numbers(exports):
    table = read_table(exports.read("excel_sep_hint.csv"), "excel_sep_hint.csv")
    assert table.delimiter == ";"
    assert table.first_row == 2
    assert table.cells.iloc[0, 0] == "Your role"
    assert "sep=;" not in set(table.cells.to_numpy().ravel())


def test_sep_hint_wins_over_what_the_lines_suggest():
    table = read_table(b"sep=,\r\nA;B,C\r\n1;2,3\r\n", "hint.csv")
    assert table.delimiter == ","
    assert table.cells.values.tolist() == [["A;B", "C"], ["1;2", "3"]]


@pytest.mark.parametrize(
    "text, delimiter",
    [
        ("a,b,c\n1,2,3\n4,5,6\n", ","),
        ("a;b;c\n1;2;3\n", ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ('"x;y",b\n"1;2",3\n', ","),  # a quoted semicolon does not make it semicolon-separated
        ("a;b,c;d\n1;2,3;4\n", ";"),  # more fields win
        ("single\nvalue\n", ","),
    ],
)
def test_sniff_delimiter(text, delimiter):
    assert sniff_delimiter(text) == delimiter


# --------------------------------------------------------------------------
# workbooks


def test_xlsx_cells_are_text_whole_numbers_without_point_zero_and_dates_iso(exports):
    table = read_table(exports.read("msforms_staff.xlsx"), "msforms_staff.xlsx")
    assert table.cells.iloc[0, :3].tolist() == ["ID", "Start time", "Completion time"]
    ids = table.cells.iloc[1:, 0]
    assert all(re.fullmatch(r"\d+", v) for v in ids)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", v) for v in table.cells.iloc[1:, 1])
    assert "" in set(table.cells.iloc[1:, 4])  # an anonymous response has an empty Name cell, not "nan"
    assert "nan" not in set(table.cells.to_numpy().ravel())


def test_a_damaged_workbook_is_refused_naming_the_file():
    with pytest.raises(DataFileError, match="not a readable Excel workbook") as exc:
        read_table(b"PK\x03\x04" + bytes(range(200)), "damaged.xlsx")
    assert exc.value.file == "damaged.xlsx"


# --------------------------------------------------------------------------
# refused


def test_html_page_is_refused(exports):
    with pytest.raises(DataFileError, match="web page") as exc:
        read_table(exports.read("html_error_page.csv"), "html_error_page.csv")
    assert exc.value.file == "html_error_page.csv"
    with pytest.raises(DataFileError, match="web page"):
        read_table(b"\r\n  <html><body>Sign in</body></html>", "page.csv")


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n  ", b"\xef\xbb\xbf"])
def test_empty_file_is_refused(exports, data):
    with pytest.raises(DataFileError, match="empty") as exc:
        read_table(data, "nothing.csv")
    assert exc.value.file == "nothing.csv"


def test_empty_fixture_is_refused(exports):
    with pytest.raises(DataFileError, match="empty"):
        read_table(exports.read("empty.csv"), "empty.csv")


def test_old_xls_is_refused_with_advice():
    junk = random.Random(3).randbytes(3000)
    with pytest.raises(DataFileError, match=r"old Excel \.xls") as exc:
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + junk, "responses.xls")
    assert exc.value.file == "responses.xls"
    assert "xlsx" in exc.value.message


def test_random_binary_is_refused():
    data = random.Random(11).randbytes(4096)
    assert not data.startswith((b"PK", b"\xd0\xcf\x11\xe0", b"\xff\xfe", b"\xfe\xff"))
    with pytest.raises(DataFileError, match="binary") as exc:
        read_table(data, "photo.csv")
    assert exc.value.file == "photo.csv"


# --------------------------------------------------------------------------
# column letters


@pytest.mark.parametrize(
    "index, letters",
    [
        (0, "A"),
        (1, "B"),
        (25, "Z"),
        (26, "AA"),
        (27, "AB"),
        (51, "AZ"),
        (52, "BA"),
        (701, "ZZ"),
        (702, "AAA"),
        (16383, "XFD"),
    ],
)
def test_column_letter(index, letters):
    assert column_letter(index) == letters


# --------------------------------------------------------------------------
# the sheet, a zip, UTF-16 without a BOM, Excel errors (issue 24)


def _workbook(sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


RESPONSES = [["Timestamp", "I feel safe at school"], *[[f"2025-11-0{k}", "Agree"] for k in range(1, 6)]]


def test_the_sheet_with_the_responses_is_read_and_named():
    data = _workbook(
        {"Summary": [["Responses", 5]], "Notes": [], "Old": RESPONSES * 3, "Form responses 1": RESPONSES},
        hidden=("Old",),
    )
    table = read_table(data, "export.xlsx")
    assert table.sheet == "Form responses 1" and table.cells.iloc[0, 1] == "I feel safe at school"
    assert table.described == (
        "Excel workbook, sheet 'Form responses 1'; not read: 'Notes' (empty), 'Old' (hidden), 'Summary' (1 row)"
    )


def test_sheet_chooses_any_sheet_by_name_and_an_unknown_one_is_named():
    data = _workbook({"Summary": [["Responses", 5]], "Responses": RESPONSES})
    assert read_table(data, "export.xlsx", sheet="summary").cells.values.tolist() == [["Responses", "5"]]
    with pytest.raises(DataFileError, match="no sheet 'Sheet9' \\(its sheets: 'Summary', 'Responses'\\)"):
        read_table(data, "export.xlsx", sheet="Sheet9")
    with pytest.raises(DataFileError, match="--sheet 'Responses' is for an Excel workbook"):
        read_table(b"a,b\n1,2\n", "export.csv", sheet="Responses")


def test_a_workbook_with_nothing_in_it_is_refused():
    with pytest.raises(DataFileError, match="no sheet of this workbook holds anything"):
        read_table(_workbook({"Sheet1": [], "Sheet2": [["x"]]}, hidden=("Sheet2",)), "empty.xlsx")


def test_an_excel_error_cell_keeps_its_error_text():
    table = read_table(_workbook({"Responses": [["Q1", "Q2"], ["Agree", "#N/A"], ["#DIV/0!", "Disagree"]]}), "e.xlsx")
    assert table.cells.values.tolist() == [["Q1", "Q2"], ["Agree", "#N/A"], ["#DIV/0!", "Disagree"]]


def _zip(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_a_zip_holding_one_export_is_read_and_named():
    csv_text = "Respondent ID,Q1\n,Response\n1,Agree\n".encode("utf-8-sig")
    table = read_table(_zip({"CSV/Sheet_1.csv": csv_text, "__MACOSX/CSV/._Sheet_1.csv": b"\x00"}), "/d/survey.zip")
    assert table.file_name == "survey.zip/Sheet_1.csv" and table.encoding == "utf-8-sig"
    workbook = read_table(_zip({"Responses.xlsx": _workbook({"Responses": RESPONSES})}), "survey.zip")
    assert workbook.sheet == "Responses" and workbook.file_name == "survey.zip/Responses.xlsx"


@pytest.mark.parametrize(
    "members, said",
    [
        ({"a.csv": b"x\n1\n", "b.csv": b"x\n2\n"}, "a zip holding 2 exports (a.csv, b.csv): unzip it"),
        ({"readme.pdf": b"%PDF"}, "a zip holding no CSV or Excel file (readme.pdf): unzip it"),
    ],
)
def test_a_zip_of_several_files_or_none_says_to_unzip_it(members, said):
    with pytest.raises(DataFileError, match=re.escape(said)):
        read_table(_zip(members), "download.zip")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_detected(encoding):
    text = "Timestamp\tHow safe do you feel?\tYear group\n2025-01-01 10:00\tAgree\tYear 5\n" * 1
    table = read_table((text + "2025-01-02 11:00\tStrongly agree\tYear 6\n").encode(encoding), "unicode.txt")
    assert table.delimiter == "\t" and table.cells.iloc[2].tolist() == ["2025-01-02 11:00", "Strongly agree", "Year 6"]
    assert "no BOM" in table.described
