import pytest

from wqm_nb.data.yaml_reader import Reader, read_yaml
from wqm_nb.errors import DataFileError


@pytest.fixture
def r():
    return Reader("some/folder/custom.yaml")


def failure(call):
    with pytest.raises(DataFileError) as err:
        call()
    return err.value


def test_reader_names_the_file_without_its_folder(r):
    err = failure(lambda: r.fail("principles[0]", "boom"))
    assert (err.file, err.field, err.message) == ("custom.yaml", "principles[0]", "boom")
    assert str(err) == "custom.yaml: principles[0]: boom"
    assert Reader("").file == "<data>"


def test_missing_required_field_and_optional_default(r):
    err = failure(lambda: r.get({"id": "P1"}, "name", "principles[2]", str))
    assert err.field == "principles[2].name"
    assert err.message == "required field is missing"
    # an explicit null counts as missing too
    assert failure(lambda: r.get({"name": None}, "name", "", str)).field == "name"
    assert r.get({}, "guidance", "principles[0]", str, required=False, default="none") == "none"


@pytest.mark.parametrize(
    "value, kind, expected",
    [
        ("three", int, "expected a whole number, got text"),
        (True, int, "expected a whole number, got true/false"),
        (False, float, "expected a number, got true/false"),
        ([1, 2], str, "expected text, got a list"),
        ({"a": 1}, list, "expected a list, got a mapping"),
        (2.5, int, "expected a whole number, got a number"),
    ],
)
def test_wrong_type_is_named(r, value, kind, expected):
    err = failure(lambda: r.get({"v": value}, "v", "levels[1].criteria", kind))
    assert err.field == "levels[1].criteria.v"
    assert err.message == expected


def test_numbers_are_accepted_where_text_or_floats_are_expected(r):
    assert r.get({"id": 5}, "id", "", str) == "5"
    value = r.get({"mean": 3}, "mean", "", float)
    assert value == 3.0 and isinstance(value, float)


def test_empty_text_and_empty_required_list_are_refused(r):
    err = failure(lambda: r.get({"name": "   "}, "name", "principles[0]", str))
    assert (err.field, err.message) == ("principles[0].name", "must not be empty")
    err = failure(lambda: r.get({"elements": []}, "elements", "principles[0]", list))
    assert (err.field, err.message) == ("principles[0].elements", "must not be empty")
    assert r.get({"activities": []}, "activities", "", list, required=False, default=None) == []


def test_mapping_rejects_unknown_field_listing_the_allowed_ones(r):
    doc = {"id": "P1", "nmae": "Typo", "elements": []}
    err = failure(lambda: r.mapping(doc, "principles[3]", ("id", "name", "elements")))
    assert err.field == "principles[3].nmae"
    assert err.message == "unknown field (allowed: id, name, elements)"
    assert r.mapping({"id": "P1"}, "x", ("id", "name")) == {"id": "P1"}
    err = failure(lambda: r.mapping(["not", "a", "mapping"], "principles[0]"))
    assert (err.field, err.message) == ("principles[0]", "expected a mapping, got a list")


def test_duplicate_ids_name_the_second_occurrence(r):
    r.unique(["P1", "P2", "P3"], "principles")  # no error
    err = failure(lambda: r.unique(["P1", "P2", "P1"], "principles"))
    assert err.field == "principles[2].id"
    assert err.message == "duplicate id 'P1'"
    err = failure(lambda: r.unique(["a", "a"], "levels", "name"))
    assert (err.field, err.message) == ("levels[1].name", "duplicate name 'a'")


def test_read_yaml_on_a_missing_file(tmp_path):
    err = failure(lambda: read_yaml(tmp_path / "nowhere" / "missing.yaml"))
    assert err.file == "missing.yaml"
    assert err.field == ""
    assert err.message.startswith("cannot read file: ")
    assert str(err).startswith("missing.yaml: cannot read file")


def test_read_yaml_on_invalid_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: wqm\nname: WQM\n  kind: checklist\n", encoding="utf-8")
    err = failure(lambda: read_yaml(path))
    assert err.file == "broken.yaml"
    assert err.field == "line 3"
    assert err.message.startswith("invalid YAML: ")
    assert str(err).startswith("broken.yaml: line 3: invalid YAML")


def test_read_yaml_returns_the_document(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("id: wqm\nlevels: [1, 2]\n", encoding="utf-8")
    assert read_yaml(path) == {"id": "wqm", "levels": [1, 2]}
