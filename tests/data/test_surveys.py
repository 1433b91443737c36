import pytest
import yaml

from wqm_nb.data import (FRAMEWORK_DIR, MAPPING_DIR, available_frameworks, load_framework, load_mapping,
                         load_question_bank, parse_mapping, validate_file)
from wqm_nb.errors import DataFileError


def wqm_mapping_doc():
    return yaml.safe_load((MAPPING_DIR / "wqm.yaml").read_text(encoding="utf-8"))


def write_framework(tmp_path, name, **changes):
    """A copy of the bundled wqm framework file with some top-level fields changed."""
    doc = yaml.safe_load((FRAMEWORK_DIR / "wqm.yaml").read_text(encoding="utf-8"))
    doc.update(changes)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_question_bank_has_three_surveys_on_a_five_point_likert_scale():
    bank = load_question_bank()
    assert list(bank.surveys) == ["staff", "pupil", "parent"]
    assert bank.likert_values == (1, 2, 3, 4, 5)
    assert bank.likert[0].label == "Strongly disagree" and bank.likert[-1].label == "Strongly agree"
    assert bank.agree_min == 4
    assert bank.surveys["staff"].subgroup.field == "role"
    assert bank.surveys["pupil"].subgroup.field == "year_group"
    assert bank.surveys["parent"].subgroup.field == "child_year_group"
    assert [len(s.items) for s in bank.surveys.values()] == [13, 8, 7]
    assert bank.survey_of("U04").id == "pupil"
    assert bank.item("R01").text == "My child is happy at this school."


@pytest.mark.parametrize("framework_id", available_frameworks())
def test_each_bundled_framework_has_a_mapping_that_validates(framework_id):
    path = MAPPING_DIR / f"{framework_id}.yaml"
    assert path.exists()
    summary = validate_file(path)
    assert summary.startswith(f"{framework_id}.yaml: survey mapping for {framework_id}, ")
    mapping = load_mapping(load_framework(framework_id))
    assert mapping.framework == framework_id
    assert mapping.surveys, "a bundled mapping maps at least one survey"


def test_wqm_maps_every_item_and_the_staff_survey_covers_all_seven_principles():
    fw, bank = load_framework("wqm"), load_question_bank()
    mapping = load_mapping(fw, bank)
    for survey in bank.surveys.values():
        assert set(mapping.surveys[survey.id]) == set(survey.item_ids)
    assert mapping.sections("staff", fw) == ["P1", "P2", "P3", "P4", "P5", "P6", "P7"]
    assert mapping.section_of("staff", "S12") == "P7"
    assert mapping.item_sections()[("pupil", "U06")] == "P6"


def test_leadership_management_leaves_the_pupil_survey_unmapped():
    fw = load_framework("leadership_management")
    mapping = load_mapping(fw)
    assert not mapping.is_mapped("pupil")
    assert mapping.is_mapped("staff") and mapping.is_mapped("parent")
    assert mapping.sections("pupil", fw) == []
    assert mapping.sections("staff", fw) == ["LM"]
    assert mapping.section_of("pupil", "U01") is None


@pytest.mark.parametrize("mutate, field, words", [
    (lambda d: d["surveys"].update(teachers={"S01": "P1"}), "surveys.teachers", "unknown survey 'teachers'"),
    (lambda d: d["surveys"]["staff"].update(S99="P1"), "surveys.staff.S99", "unknown item 'S99'"),
    (lambda d: d["surveys"]["pupil"].update(U01="P9"), "surveys.pupil.U01", "unknown framing principle 'P9'"),
    (lambda d: d.update(framework="vbe"), "framework", "maps framework 'vbe', not 'wqm'"),
    (lambda d: d.update(survey="staff"), "survey", "unknown field"),
])
def test_invalid_mapping_names_file_and_field(mutate, field, words):
    doc = wqm_mapping_doc()
    mutate(doc)
    with pytest.raises(DataFileError) as err:
        parse_mapping(doc, "custom/my_mapping.yaml", load_framework("wqm"), load_question_bank())
    assert err.value.file == "my_mapping.yaml"
    assert err.value.field == field
    assert words in err.value.message
    assert str(err.value).startswith(f"my_mapping.yaml: {field}: ")


def test_mapping_file_for_an_unknown_framework_is_refused(tmp_path):
    doc = wqm_mapping_doc()
    doc["framework"] = "nonesuch"
    path = tmp_path / "nonesuch.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        validate_file(path)
    assert err.value.file == "nonesuch.yaml" and err.value.field == "framework"
    assert "unknown framework 'nonesuch'" in err.value.message


def test_inline_survey_mapping_of_a_custom_framework_is_used(tmp_path):
    path = write_framework(tmp_path, "wqm_custom.yaml",
                           survey_mapping={"surveys": {"staff": {"S01": "P2", "S02": "P3"}}})
    fw = load_framework(path)
    mapping = load_mapping(fw)
    # the inline block replaces the bundled mappings/wqm.yaml entirely
    assert mapping.surveys == {"staff": {"S01": "P2", "S02": "P3"}}
    assert mapping.is_mapped("staff") and not mapping.is_mapped("pupil")
    assert mapping.sections("staff", fw) == ["P2", "P3"]


def test_inline_survey_mapping_errors_name_the_framework_file_and_field(tmp_path):
    path = write_framework(tmp_path, "wqm_custom.yaml", survey_mapping={"surveys": {"staff": {"S99": "P1"}}})
    with pytest.raises(DataFileError) as err:
        load_mapping(load_framework(path))
    assert err.value.file == "wqm_custom.yaml"
    assert err.value.field == "survey_mapping.surveys.staff.S99"


def test_framework_without_any_mapping_gets_an_empty_one(tmp_path):
    path = write_framework(tmp_path, "custom_fw.yaml", id="custom_fw")
    fw = load_framework(path)
    assert fw.survey_mapping is None and not (MAPPING_DIR / "custom_fw.yaml").exists()
    mapping = load_mapping(fw)
    assert mapping.framework == "custom_fw"
    assert mapping.surveys == {}
    assert not any(mapping.is_mapped(s) for s in ("staff", "pupil", "parent"))
    assert mapping.item_sections() == {}

