"""Paper tallies read as counts per subgroup, item and answer (wqm_nb.intake.tally).

Both tally fixtures give exactly the manifest's counts; "Don't know" and
"N/A" columns are counted as not answered; a bad count, an unknown item or an
unknown subgroup value is a DataFileError naming the file, row and column.
"""

import pytest

from wqm_nb.data.import_mapping import parse_import_mapping
from wqm_nb.errors import DataFileError
from wqm_nb.intake.files import read_table
from wqm_nb.intake.shapes import TALLY, detect_shape
from wqm_nb.intake.tally import read_tally

HEADER = "item,role,Strongly disagree,Disagree,Neither agree nor disagree,Agree,Strongly agree,Don't know\r\n"
GOOD = "S01,teaching,0,1,2,10,5,1\r\nS02,support,1,0,3,6,2,0\r\n"


def tally_of(bank, data: bytes, survey="staff", mapping=None, name="tally.csv"):
    table = read_table(data, name)
    shape = detect_shape(table, bank)
    assert shape.tool == TALLY
    return read_tally(table, shape, bank.surveys[survey], bank, mapping)


def nonzero(counts):
    return {(s, i, v): c for s, i, v, c in counts if c}


def test_staff_tally_counts_per_subgroup_as_in_the_manifest(exports, bank):
    entry = exports.manifest["tally_staff.csv"]
    tally = tally_of(bank, exports.read("tally_staff.csv"))
    expected = {
        (group, item, int(v)): c
        for group, items in entry["subgroup_item_counts"].items()
        for item, counts in items.items()
        for v, c in counts.items()
        if c
    }
    assert nonzero(tally.counts) == expected
    assert tally.subgroup_column == "role"
    totals = {item: {v: 0 for v in range(1, 6)} for item in entry["items"]}
    for _, item, value, count in tally.counts:
        totals[item][value] += count
    assert totals == entry["item_counts"]


def test_dont_know_is_counted_as_not_answered(exports, bank):
    entry = exports.manifest["tally_staff.csv"]
    tally = tally_of(bank, exports.read("tally_staff.csv"))
    assert tally.not_answered == sum(entry["dont_know_counts"].values()) > 0
    assert {v for _, _, v, _ in tally.counts} <= {1, 2, 3, 4, 5}
    data = (HEADER.replace("Don't know", "N/A") + GOOD).encode()
    assert tally_of(bank, data).not_answered == 1


def test_pupil_tally_by_item_text_as_in_the_manifest(exports, bank):
    entry = exports.manifest["tally_pupil_text.csv"]
    tally = tally_of(bank, exports.read("tally_pupil_text.csv"), survey="pupil")
    expected = {("", item, int(v)): c for item, counts in entry["item_counts"].items() for v, c in counts.items() if c}
    assert nonzero(tally.counts) == expected
    assert tally.subgroup_column == ""
    assert tally.not_answered == 0


def test_subgroup_labels_and_blank_cells(bank):
    data = (
        HEADER + "S01,Teaching assistant,1,,,,,\r\nS01,,0,0,0,2,0,0\r\n"
        "wellbeing is treated as everyone\u2019s business across the whole school,SLT,0,0,0,0,3,\r\n"
    ).encode()
    tally = tally_of(bank, data)
    assert nonzero(tally.counts) == {("support", "S01", 1): 1, ("", "S01", 4): 2, ("leadership", "S01", 5): 3}


def test_blank_lines_are_skipped_and_an_empty_tally_is_refused(bank):
    with pytest.raises(DataFileError, match="no counts") as exc:
        tally_of(bank, (HEADER + "S01,teaching,,,,,,2\r\n,,,,,,,\r\n").encode())
    assert exc.value.file == "tally.csv"


@pytest.mark.parametrize(
    "bad_row, column, fragment",
    [
        ("S03,teaching,0,1,2,-3,5,1", "Agree", "'-3' is not a count"),
        ("S03,teaching,0,1,two,3,5,1", "Neither agree nor disagree", "'two' is not a count"),
        ("S03,teaching,0,1,2.5,3,5,1", "Neither agree nor disagree", "'2.5' is not a count"),
        ("S03,teaching,0,1,2,3,5,-1", "Don't know", "'-1' is not a count"),
        ("S99,teaching,0,1,2,3,5,1", "item", "'S99' is not an item of the staff survey"),
        ("I feel safe and happy at school.,teaching,0,1,2,3,5,1", "item", "is not an item of the staff survey"),
        ("S03,governor,0,1,2,3,5,1", "role", "'governor' is not a role"),
    ],
)
def test_errors_name_row_and_column(bank, bad_row, column, fragment):
    data = (HEADER + GOOD + bad_row + "\r\n").encode()
    with pytest.raises(DataFileError) as exc:
        tally_of(bank, data, name="paper.csv")
    assert exc.value.file == "paper.csv"
    assert exc.value.row == 4
    assert exc.value.column == column
    assert fragment in exc.value.message


def test_an_answer_column_off_the_scale_is_an_error_in_the_header_row(bank):
    data = b"item,Strongly disagree,Disagree,Agree,Sometimes\r\nS01,1,2,3,4\r\n"
    with pytest.raises(DataFileError, match="a tally column must be an answer on the scale") as exc:
        tally_of(bank, data)
    assert (exc.value.row, exc.value.column) == (1, "Sometimes")


def test_mapping_names_a_subgroup_value_and_an_answer_label(bank):
    data = b"item,role,Strongly disagree,Disagree,Agree,Loads\r\nS01,Governor,1,2,3,4\r\n"
    mapping = parse_import_mapping(
        {"survey": "staff", "subgroup_values": {"Governor": "leadership"}, "answer_labels": {"Loads": 5}},
        "map.yaml",
        bank,
    )
    tally = tally_of(bank, data, mapping=mapping)
    assert nonzero(tally.counts) == {
        ("leadership", "S01", 1): 1,
        ("leadership", "S01", 2): 2,
        ("leadership", "S01", 4): 3,
        ("leadership", "S01", 5): 4,
    }


def test_the_same_item_and_subgroup_twice_add_up(bank):
    data = (HEADER + "S01,teaching,0,0,0,2,0,0\r\nS01,Teacher,0,0,0,3,0,1\r\n").encode()
    tally = tally_of(bank, data)
    assert nonzero(tally.counts) == {("teaching", "S01", 4): 5}
    assert tally.not_answered == 1


# the staff audit on an INSET day: groups count how many staff put each principle at each stage

AUDIT_HEADER = "item,role,Deciding to act,Shared understanding,Developing practice,Embedded and evaluated\r\n"


def test_an_audit_tally_counts_per_principle_and_stage(bank):
    data = (
        AUDIT_HEADER + "SA1,teaching,0,2,9,4\r\nSA1,support,1,3,2,0\r\n"
        "Develop supportive policy,Teacher,0,0,5,10\r\n"
        "Implement targeted responses and identify specialist pathways: how far has our school got?,SLT,0,1,1,0\r\n"
    ).encode()
    tally = tally_of(bank, data, survey="staff_audit", name="inset.csv")
    assert nonzero(tally.counts) == {
        ("teaching", "SA1", 2): 2,
        ("teaching", "SA1", 3): 9,
        ("teaching", "SA1", 4): 4,
        ("support", "SA1", 1): 1,
        ("support", "SA1", 2): 3,
        ("support", "SA1", 3): 2,
        ("teaching", "SA5", 3): 5,
        ("teaching", "SA5", 4): 10,
        ("leadership", "SA7", 2): 1,
        ("leadership", "SA7", 3): 1,
    }
    numbers = tally_of(bank, b"item,1,2,3,4,Don't know\r\nSA2,1,2,3,4,5\r\n", survey="staff_audit")
    assert nonzero(numbers.counts) == {("", "SA2", v): v for v in range(1, 5)} and numbers.not_answered == 5


@pytest.mark.parametrize("column", ["5", "Strongly agree"])
def test_an_audit_tally_column_off_the_maturity_scale_is_refused(bank, column):
    data = f"item,1,2,3,4,{column}\r\nSA1,1,2,3,4,5\r\n".encode()
    with pytest.raises(DataFileError) as exc:
        tally_of(bank, data, survey="staff_audit")
    assert (exc.value.row, exc.value.column) == (1, column)
    assert "a tally column must be an answer on the scale of the staff audit ('Deciding to act'" in exc.value.message


def test_a_staff_survey_item_is_not_an_audit_item(bank):
    with pytest.raises(DataFileError, match="'S01' is not an item of the staff_audit survey") as exc:
        tally_of(bank, (AUDIT_HEADER + "S01,teaching,1,2,3,4\r\n").encode(), survey="staff_audit")
    assert (exc.value.row, exc.value.column) == (2, "item")
