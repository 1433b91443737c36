"""Matching export columns to the question bank (wqm_nb.intake.matching).

Text matching tolerates numbering, spacing, quotes, case and a trailing "?"
or "*"; a column of answers that are not on the scale is free text; a column
of scale answers that matches nothing is an error that names the survey it
belongs to when it is another survey's item; a mapping overrides and can
ignore a column; two columns for one item leave the second unmatched.
"""

import csv
import io

import pytest

from wqm_nb.data.import_mapping import IGNORE, SUBGROUP, parse_import_mapping
from wqm_nb.intake.files import read_table
from wqm_nb.intake.matching import COMMENT_TARGET, EMPTY, FREE_TEXT, ITEM, UNMATCHED, is_scale_answer, match_columns
from wqm_nb.intake.shapes import METADATA, PERSONAL, detect_shape

S01 = "Wellbeing is treated as everyone's business across the whole school."
S03 = "Pupils' views are actively sought and acted upon."
S06 = "I feel confident supporting pupils through change and transition."
S12 = "I know how to refer a pupil who needs specialist help, including CAMHS."
SCALE = ["Agree", "Strongly disagree", "5", "Neutral", "", "Don't know"]


def match(bank, headers, columns, survey="staff", mapping=None):
    """match_columns over a one-header-row CSV whose columns hold ``columns`` (lists of answers)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(zip(*columns, strict=False))
    table = read_table(buf.getvalue().encode("utf-8"), "t.csv")
    shape = detect_shape(table, bank)
    body = table.cells.iloc[shape.header_rows :].reset_index(drop=True)
    return match_columns(shape.columns, body, bank.surveys[survey], bank, mapping)


def mapping_of(bank, **doc):
    return parse_import_mapping({"survey": "staff", **doc}, "map.yaml", bank)


@pytest.mark.parametrize(
    "header, item",
    [
        (S01, "S01"),
        ("1. " + S01, "S01"),
        ("Q3) " + S03, "S03"),
        ("Q3. " + S03, "S03"),
        ("Question 6: " + S06, "S06"),
        ("2.1 " + S06, "S06"),
        (S06 + "   ", "S06"),
        (S06.replace(" ", "  "), "S06"),
        (S06.replace(" ", "\u00a0", 2), "S06"),
        (S01.replace("'", "\u2019"), "S01"),
        (S03.replace("'", "\u2018"), "S03"),
        (S06.upper(), "S06"),
        (S06.lower(), "S06"),
        (S06.rstrip(".") + "?", "S06"),
        (S06 + " *", "S06"),
        (S06.rstrip(".") + "*", "S06"),
        (S12 + " ?", "S12"),
    ],
)
def test_text_tolerance(bank, header, item):
    [m] = match(bank, [header], [SCALE])
    assert (m.action, m.target) == (ITEM, item)
    assert m.kept
    assert m.how == ("exact text" if header.strip() in (S01, S03, S06, S12) else "text")  # cells are stripped


def test_other_wording_is_not_matched_by_text(bank):
    [m] = match(bank, ["Wellbeing is treated as everyone's business across the school."], [SCALE])
    assert m.action == UNMATCHED


def test_free_text_column(bank):
    [m] = match(
        bank, ["What one thing would you change?"], [["Fewer meetings", "More time to plan", "", "Agree", "A kettle"]]
    )
    assert m.action == FREE_TEXT
    assert not m.kept
    assert m.described == "dropped: free text"


def test_empty_column(bank):
    [m] = match(bank, ["Unused question"], [["", "  ", ""]])
    assert m.action == EMPTY


def test_unmatched_scale_column_names_another_survey(bank):
    pupil_item = "I feel safe and happy at school."
    parent_item = "My child is happy at this school."
    found = match(bank, [pupil_item, "1. " + parent_item.upper(), "Governors value my work"], [SCALE, SCALE, SCALE])
    assert [m.action for m in found] == [UNMATCHED, UNMATCHED, UNMATCHED]
    assert [m.other_survey for m in found] == ["pupil", "parent", ""]
    assert found[0].described == "NOT MATCHED: answers on the scale"


def test_a_column_mostly_on_the_scale_counts_as_scale(bank):
    [m] = match(bank, ["Governors value my work"], [["Agree", "Agree", "sometimes", "Disagree"]])
    assert m.action == UNMATCHED  # 2 of 3 distinct answers on the scale
    [m] = match(bank, ["Governors value my work"], [["Agree", "sometimes", "often", "never"]])
    assert m.action == FREE_TEXT


def test_subgroup_and_comment_columns(bank):
    found = match(
        bank,
        [
            "Job role",
            "What is your role in school?",
            "Is there anything else you would like to tell us about wellbeing at this school?",
        ],
        [["Teacher", "TA"], ["Teacher", "TA"], ["Lovely", ""]],
    )
    assert [(m.action, m.target) for m in found] == [(SUBGROUP, ""), (UNMATCHED, ""), (COMMENT_TARGET, "SC1")]
    assert found[1].how == "a second column for subgroup"


def test_mapping_target_overrides_the_text(bank):
    mapping = mapping_of(
        bank,
        columns={S01: "S02", "Governors value my work": "S05", "Your team": SUBGROUP, "Anything to add": "comment SC1"},
    )
    found = match(
        bank,
        [S01, "governors value my work?", "Your team", "Anything to add"],
        [SCALE, SCALE, ["Teacher", ""], ["Fine", ""]],
        mapping=mapping,
    )
    assert [(m.action, m.target, m.how) for m in found] == [
        (ITEM, "S02", "mapping"),
        (ITEM, "S05", "mapping"),
        (SUBGROUP, "", "mapping"),
        (COMMENT_TARGET, "SC1", "mapping"),
    ]


def test_mapping_ignore(bank):
    mapping = mapping_of(bank, columns={"Governors value my work": IGNORE, S06: IGNORE})
    found = match(bank, ["Governors value my work", S06, S01], [SCALE, SCALE, SCALE], mapping=mapping)
    assert [(m.action, m.how) for m in found] == [(IGNORE, "mapping"), (IGNORE, "mapping"), (ITEM, "exact text")]
    assert not found[0].kept
    assert found[0].described == "ignored (mapping)"


def test_mapping_can_name_a_grid_row_by_its_row_text(bank):
    mapping = mapping_of(bank, columns={"Governors value my work": "S05"})
    [m] = match(bank, ["How much do you agree? [Governors value my work]"], [SCALE], mapping=mapping)
    assert (m.action, m.target) == (ITEM, "S05")


def test_two_columns_matching_one_item_leave_the_second_unmatched(bank):
    found = match(bank, ["1. " + S01, S01.upper(), S06], [SCALE, SCALE, SCALE])
    assert [(m.action, m.target) for m in found] == [(ITEM, "S01"), (UNMATCHED, ""), (ITEM, "S06")]
    assert found[1].how == "a second column for item S01"


def test_two_columns_mapped_by_text_and_by_mapping_to_one_item(bank):
    mapping = mapping_of(bank, columns={"Governors value my work": "S01"})
    found = match(bank, ["Governors value my work", S01], [SCALE, SCALE], mapping=mapping)
    assert [(m.action, m.target) for m in found] == [(ITEM, "S01"), (UNMATCHED, "")]


def test_personal_and_metadata_columns_are_not_looked_at(bank):
    found = match(
        bank,
        ["ID", "Start time", "Completion time", "Email", "Name", S01],
        [["1", "2"], ["x", "y"], ["x", "y"], ["Agree", "Agree"], ["Agree", "5"], ["Agree", "5"]],
    )
    assert [m.action for m in found] == [PERSONAL, METADATA, METADATA, PERSONAL, PERSONAL, ITEM]
    assert [m.how for m in found[:5]] == ["header"] * 5


def test_mapping_answer_labels_make_a_column_scale_answers(bank):
    mapping = mapping_of(bank, answer_labels={"Loads": 5, "A bit": 3, "Not at all": 1})
    values = ["Loads", "A bit", "Not at all", "Loads"]
    [plain] = match(bank, ["Governors value my work"], [values])
    [mapped] = match(bank, ["Governors value my work"], [values], mapping=mapping)
    assert (plain.action, mapped.action) == (FREE_TEXT, UNMATCHED)


@pytest.mark.parametrize(
    "value, on_scale",
    [
        ("Agree", True),
        (" strongly AGREE ", True),
        ("4", True),
        ("4.0", True),
        ("Neutral", True),
        ("", True),
        ("Don't know", True),
        ("N/A", True),
        ("Prefer not to say", True),
        ("6", False),
        ("0", False),
        ("Agreed", False),
        ("sometimes", False),
        ("Loads", False),
    ],
)
def test_is_scale_answer(bank, value, on_scale):
    assert is_scale_answer(bank, None, value) is on_scale


def test_is_scale_answer_with_mapping_labels(bank):
    mapping = mapping_of(bank, answer_labels={"Loads": 5})
    assert is_scale_answer(bank, mapping, "  loads ")
    assert not is_scale_answer(bank, mapping, "A bit")


AUDIT = ["Developing practice", "Embedded and evaluated", "2", "Don't know", "", "deciding to act"]


def test_audit_columns_match_by_text_or_by_the_principle_alone(bank):
    got = match(
        bank,
        [
            "Adopt whole-school thinking: how far has our school got?",
            "2. Engage the whole community",
            "Develop supportive policy?",
            "What could we do to improve further?",
            "Role",
        ],
        [AUDIT, AUDIT, AUDIT, ["More time"] * 6, ["Teacher"] * 6],
        survey="staff_audit",
    )
    assert [(m.action, m.target) for m in got] == [
        (ITEM, "SA1"),
        (ITEM, "SA2"),
        (ITEM, "SA5"),
        (COMMENT_TARGET, "SAC2"),
        ("subgroup", ""),
    ]


def test_an_unknown_column_of_maturity_labels_is_on_the_audit_scale_but_not_the_staff_surveys(bank):
    audit = match(bank, ["Our own principle"], [AUDIT], survey="staff_audit")
    assert audit[0].action == UNMATCHED
    staff = match(bank, ["Our own principle"], [AUDIT], survey="staff")
    assert staff[0].action == FREE_TEXT
    assert is_scale_answer(bank, None, "Developing practice", "staff_audit")
    assert not is_scale_answer(bank, None, "Developing practice", "staff")
    assert not is_scale_answer(bank, None, "Strongly agree", "staff_audit")
    assert not is_scale_answer(bank, None, "5", "staff_audit")


@pytest.mark.parametrize(
    "answers, action",
    [
        (["1", "3", "8", "5", "2"], FREE_TEXT),  # a rank of 1-8: not on a 1-5 scale
        (["2", "4", "6"], FREE_TEXT),  # "how many rooms": 6 is not on the scale
        (["7", "10", "9"], FREE_TEXT),  # a rating of 1-10
        (["1", "2", "5", "4"], UNMATCHED),  # every number a value of the scale
        (["Agree", "Strongly agree", "Agree a lot"], UNMATCHED),  # mostly labels: the unknown one is reported
        (["Yes", "No", "Maybe"], FREE_TEXT),
        (["Agree", "3", "12"], UNMATCHED),  # labels and numbers: by share of known answers
    ],
)
def test_a_column_is_on_the_scale_only_if_its_answers_fit_the_scale(bank, answers, action):
    (m,) = match(bank, ["An unrelated question"], [answers])
    assert m.action == action
