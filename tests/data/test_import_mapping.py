"""The survey import mapping file (wqm_nb.data.import_mapping).

``normalise_text`` reduces a header to what matters for matching; a mapping
is validated against the question bank and every error names the file and
the field; ``to_yaml`` writes a document that parses back to the same mapping.
"""

import string
from dataclasses import replace

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from wqm_nb.data import load_question_bank
from wqm_nb.data.import_mapping import ImportMapping, load_import_mapping, normalise_text, parse_import_mapping
from wqm_nb.errors import DataFileError

BANK = load_question_bank()
FILE = "/schools/ashgrove/staff-mapping.yaml"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I feel safe.", "i feel safe"),
        ("1. I feel safe", "i feel safe"),
        ("12) I feel safe", "i feel safe"),
        ("Q3) I feel safe", "i feel safe"),
        ("q3. I feel safe", "i feel safe"),
        ("Question 4: I feel safe", "i feel safe"),
        ("2.1 I feel safe", "i feel safe"),
        ("3 - I feel safe", "i feel safe"),
        ("  I   feel\tsafe  ", "i feel safe"),
        ("I\u00a0feel safe", "i feel safe"),
        ("I FEEL SAFE", "i feel safe"),
        ("I feel safe?", "i feel safe"),
        ("I feel safe *", "i feel safe"),
        ("I feel safe?*", "i feel safe"),
        ("I feel safe!", "i feel safe"),
        ("I feel safe:", "i feel safe"),
        ("everyone\u2019s business", "everyone's business"),
        ("everyone\u2018s business", "everyone's business"),
        ("everyone`s business", "everyone's business"),
        ("\u201ccalm corner\u201d", '"calm corner"'),
        ("after\u2013school \u2014 clubs", "after-school - clubs"),
        ("\uff29 feel safe", "i feel safe"),  # full-width letter (NFKC)
        ("Stra\u00dfe", "strasse"),  # casefold
        ("2025", "2025"),  # a number alone is not numbering
        ("Q3", "q3"),
        ("", ""),
        (None, "none"),
    ],
)
def test_normalise_text(text, expected):
    assert normalise_text(text) == expected


def test_normalise_text_keeps_inner_punctuation_and_words():
    assert (
        normalise_text("School policies (behaviour, anti-bullying) put wellbeing first.")
        == "school policies (behaviour, anti-bullying) put wellbeing first"
    )
    assert normalise_text("I feel safe") != normalise_text("I feel safer")


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + " \t.?*:!'-()\u2019", max_size=40))
def test_normalise_text_ignores_case_and_spacing(text):
    result = normalise_text(text)
    assert normalise_text(text.upper()) == normalise_text(text.lower()) == result
    assert normalise_text("  " + text.replace(" ", "  ") + " \t") == result
    assert result == result.strip() and "  " not in result and "\u2019" not in result


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_normalise_text_of_any_text_is_trimmed_text(text):
    result = normalise_text(text)
    assert result == " ".join(result.split())
    assert not result.endswith(("?", "*", ".", ":", "!"))


# --------------------------------------------------------------------------
# validation


def parse(doc: dict) -> ImportMapping:
    return parse_import_mapping(doc, FILE, BANK)


def test_a_valid_mapping():
    mapping = parse(
        {
            "survey": "staff",
            "columns": {
                "1. How valued do you feel by governors?": "ignore",
                "Wellbeing is everyone's job here": "S01",
                "What is your role?": "subgroup",
                "Anything else?": "comment  SC1",
            },
            "subgroup_values": {"Governor": "leadership", "Year 5 TA": "support"},
            "answer_labels": {"Neither": 3, "Loads": 5},
        }
    )
    assert mapping.survey == "staff"
    assert mapping.target("How valued do you feel by governors") == "ignore"
    assert mapping.target("WELLBEING IS EVERYONE\u2019S JOB HERE.") == "S01"
    assert mapping.target("Anything else") == "comment SC1"
    assert mapping.target("Something else") is None
    assert mapping.subgroup_values == {"governor": "leadership", "year 5 ta": "support"}
    assert mapping.answer_labels == {"neither": 3, "loads": 5}
    assert mapping.headers["wellbeing is everyone's job here"] == "Wellbeing is everyone's job here"
    assert mapping.path == FILE


@pytest.mark.parametrize(
    "doc, field, fragment",
    [
        ({"survey": "governor"}, "survey", "unknown survey 'governor'"),
        ({}, "survey", "required field is missing"),
        ({"survey": "staff", "colums": {}}, "colums", "unknown field"),
        ({"survey": "staff", "columns": {"Governors": "S99"}}, "columns.Governors", "unknown target 'S99'"),
        ({"survey": "staff", "columns": {"Happy": "U01"}}, "columns.Happy", "unknown target 'U01'"),
        ({"survey": "staff", "columns": {"Else": "comment UC1"}}, "columns.Else", "unknown target 'comment UC1'"),
        ({"survey": "staff", "columns": {"Else": "comment"}}, "columns.Else", "unknown target 'comment'"),
        ({"survey": "staff", "columns": {"Else": None}}, "columns.Else", "expected an item id"),
        ({"survey": "staff", "columns": ["S01"]}, "columns", "expected a mapping"),
        (
            {"survey": "staff", "subgroup_values": {"Governor": "governor"}},
            "subgroup_values.Governor",
            "'governor' is not a role",
        ),
        (
            {"survey": "pupil", "subgroup_values": {"Year 12": "Y12"}},
            "subgroup_values.Year 12",
            "'Y12' is not a year group",
        ),
        ({"survey": "staff", "answer_labels": {"Loads": 6}}, "answer_labels.Loads", "expected a value on the scale"),
        ({"survey": "staff", "answer_labels": {"Loads": 0}}, "answer_labels.Loads", "expected a value on the scale"),
        ({"survey": "staff", "answer_labels": {"Loads": "5"}}, "answer_labels.Loads", "expected a value on the scale"),
        ({"survey": "staff", "answer_labels": {"Loads": True}}, "answer_labels.Loads", "expected a value on the scale"),
        ({"survey": "staff", "answer_labels": {"Loads": 4.5}}, "answer_labels.Loads", "expected a value on the scale"),
        (
            {"survey": "staff_audit", "answer_labels": {"Fully embedded": 5}},
            "answer_labels.Fully embedded",
            "expected a value on the scale [1, 2, 3, 4] (the staff_audit survey's maturity index)",
        ),
        (
            {"survey": "staff", "columns": {"1. I feel valued?": "S01", "i  feel VALUED": "S02"}},
            "columns.i  feel VALUED",
            "the same header as '1. I feel valued?'",
        ),
        (
            {"survey": "staff", "columns": {"Q1) It\u2019s fine": "S01", "It's fine": "ignore"}},
            "columns.It's fine",
            "the same header",
        ),
        (
            {"survey": "staff", "columns": {"First": "S01", "Second": "S01"}},
            "columns",
            "S01 is the target of more than one column",
        ),
        (
            {"survey": "staff", "columns": {"Role": "subgroup", "Job": "subgroup"}},
            "columns",
            "subgroup is the target of more than one column",
        ),
        (
            {"survey": "staff", "columns": {"A": "comment SC1", "B": "comment SC1"}},
            "columns",
            "comment SC1 is the target of more than one column",
        ),
    ],
)
def test_errors_name_the_file_and_the_field(doc, field, fragment):
    with pytest.raises(DataFileError) as exc:
        parse(doc)
    assert exc.value.file == "staff-mapping.yaml"
    assert exc.value.field == field
    assert fragment in exc.value.message
    assert str(exc.value).startswith(f"staff-mapping.yaml: {field}: ")


def test_several_columns_may_be_ignored():
    mapping = parse({"survey": "staff", "columns": {"A": "ignore", "B": "ignore"}})
    assert mapping.columns == {"a": "ignore", "b": "ignore"}


def test_load_import_mapping_errors_name_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("survey: staff\ncolumns: {Role: subgroup\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="invalid YAML") as exc:
        load_import_mapping(path, BANK)
    assert exc.value.file == "broken.yaml"
    path.write_text("survey: staff\nanswer_labels:\n  Loads: 9\n", encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        load_import_mapping(path, BANK)
    assert (exc.value.file, exc.value.field) == ("broken.yaml", "answer_labels.Loads")
    with pytest.raises(DataFileError, match="cannot read file"):
        load_import_mapping(tmp_path / "missing.yaml", BANK)


# --------------------------------------------------------------------------
# round trip


MAPPING_DOC = {
    "survey": "parent",
    "columns": {
        "1. My child is happy here?": "R01",
        "How happy is your child: really?": "R02",
        "Which year is your child in? *": "subgroup",
        "Anything \u201celse\u201d you\u2019d add": "comment RC1",
        "Email address": "ignore",
        "#hashtag - yes": "R03",
        "- dash first": "R04",
        "null": "R05",
        "yes": "R06",
        "123": "R07",
    },
    "subgroup_values": {"Reception class": "R", "Nursery / pre-school": "R", "Year 12 (sixth form)": "Y12"},
    "answer_labels": {"A lot": 5, "Not really": 2, "True": 4},
}


def test_to_yaml_round_trip():
    mapping = parse(MAPPING_DOC)
    text = mapping.to_yaml()
    assert text.startswith("# wqm survey import mapping")
    again = parse_import_mapping(yaml.safe_load(text), "again.yaml", BANK)
    assert replace(again, path="") == replace(mapping, path="")
    assert list(yaml.safe_load(text)["columns"]) == list(MAPPING_DOC["columns"])  # headers as written


def test_to_yaml_round_trip_through_a_file(tmp_path):
    mapping = parse(MAPPING_DOC)
    path = tmp_path / "saved.yaml"
    path.write_text(mapping.to_yaml(), encoding="utf-8")
    loaded = load_import_mapping(path, BANK)
    assert loaded.path == str(path)
    assert replace(loaded, path=FILE) == mapping


def test_to_yaml_of_a_minimal_mapping_has_no_empty_sections():
    doc = yaml.safe_load(ImportMapping(survey="staff").to_yaml())
    assert doc == {"survey": "staff", "columns": {}}
    assert parse_import_mapping(doc, "min.yaml", BANK) == ImportMapping(survey="staff", path="min.yaml")


def test_an_audit_mapping_labels_answers_on_the_maturity_scale():
    mapping = parse(
        {
            "survey": "staff_audit",
            "columns": {"Whole school": "SA1", "Anything else": "comment SAC1"},
            "answer_labels": {"Fully embedded": 4, "Not started": 1},
        }
    )
    assert mapping.answer_labels == {"fully embedded": 4, "not started": 1}
    assert mapping.target("whole school") == "SA1" and mapping.target("Anything else") == "comment SAC1"
