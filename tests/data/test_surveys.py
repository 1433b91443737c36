import pytest
import yaml

from wqm_nb.data import (
    FRAMEWORK_DIR,
    MAPPING_DIR,
    available_frameworks,
    load_framework,
    load_mapping,
    load_question_bank,
    parse_mapping,
    parse_question_bank,
    validate_file,
)
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


def test_question_bank_has_three_surveys_on_a_five_point_likert_scale_and_the_staff_audit():
    bank = load_question_bank()
    assert list(bank.surveys) == ["staff", "pupil", "parent", "staff_audit"]
    assert [s.id for s in bank.surveys.values() if s.measure == "agreement"] == ["staff", "pupil", "parent"]
    assert bank.likert_values == (1, 2, 3, 4, 5)
    assert bank.likert[0].label == "Strongly disagree" and bank.likert[-1].label == "Strongly agree"
    assert bank.agree_min == 4
    assert bank.surveys["staff"].subgroup.field == "role"
    assert bank.surveys["pupil"].subgroup.field == "year_group"
    assert bank.surveys["parent"].subgroup.field == "child_year_group"
    assert [len(s.items) for s in bank.surveys.values()] == [13, 8, 7, 7]
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


@pytest.mark.parametrize(
    "mutate, field, words",
    [
        (lambda d: d["surveys"].update(teachers={"S01": "P1"}), "surveys.teachers", "unknown survey 'teachers'"),
        (lambda d: d["surveys"]["staff"].update(S99="P1"), "surveys.staff.S99", "unknown item 'S99'"),
        (lambda d: d["surveys"]["pupil"].update(U01="P9"), "surveys.pupil.U01", "unknown framing principle 'P9'"),
        (lambda d: d.update(framework="vbe"), "framework", "maps framework 'vbe', not 'wqm'"),
        (lambda d: d.update(survey="staff"), "survey", "unknown field"),
    ],
)
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
    path = write_framework(
        tmp_path, "wqm_custom.yaml", survey_mapping={"surveys": {"staff": {"S01": "P2", "S02": "P3"}}}
    )
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


# --------------------------------------------------------------------------
# the staff audit: a survey on its own scale (docs/staff-audit.md)


def bank_doc():
    from wqm_nb.data import QUESTION_BANK_FILE

    return yaml.safe_load(QUESTION_BANK_FILE.read_text(encoding="utf-8"))


def test_staff_audit_rates_each_framing_principle_on_the_maturity_scale():
    bank = load_question_bank()
    audit = bank.surveys["staff_audit"]
    assert audit.name == "Staff audit" and audit.respondents == "staff"
    assert audit.item_ids == ("SA1", "SA2", "SA3", "SA4", "SA5", "SA6", "SA7")
    assert audit.items[0].text == "Adopt whole-school thinking: how far has our school got?"
    assert "Adopt whole-school thinking" in audit.items[0].aliases
    assert [c.id for c in audit.comments] == ["SAC1", "SAC2"]
    assert audit.subgroup == bank.surveys["staff"].subgroup  # the staff survey's role question
    scale = bank.scale_of("staff_audit")
    assert (scale.id, scale.measure, scale.high_min, scale.values) == ("maturity", "rating", 3, (1, 2, 3, 4))
    assert [lv.label for lv in scale.levels] == [
        "Deciding to act",
        "Shared understanding",
        "Developing practice",
        "Embedded and evaluated",
    ]
    assert audit.measure == "rating"
    # the Likert surveys keep the bank's scale and agree_min
    for sid in ("staff", "pupil", "parent"):
        assert bank.surveys[sid].scale is None and bank.surveys[sid].measure == "agreement"
        assert bank.scale_of(sid) == bank.likert_scale == bank.scale_of()
    assert bank.likert_scale.high_min == bank.agree_min == 4 and bank.values_of("staff") == (1, 2, 3, 4, 5)
    assert [s.id for s in bank.scales] == ["likert", "maturity"]


@pytest.mark.parametrize(
    "raw, value",
    [
        ("Developing practice", 3),
        ("  deciding   TO act ", 1),
        ("Embedded and evaluated", 4),
        ("2", 2),
        (" 4.0 ", 4),
        (1, 1),
        ("", None),
        ("Don't know", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_answers_on_the_audit_scale(raw, value):
    assert load_question_bank().answer_value(raw, "staff_audit") == value


@pytest.mark.parametrize("raw", ["5", "0", "Strongly agree", "Agree", "Developing", "3.5"])
def test_answers_off_the_audit_scale_are_refused_naming_the_scale(raw):
    bank = load_question_bank()
    with pytest.raises(ValueError) as err:
        bank.answer_value(raw, "staff_audit")
    assert "is not an answer on the Maturity index (use 1-4 or 'Deciding to act'" in str(err.value)


def test_the_likert_surveys_still_read_likert_answers():
    bank = load_question_bank()
    assert bank.answer_value("Strongly agree", "staff") == bank.answer_value("5") == 5
    assert bank.answer_value("Neutral", "parent") == 3
    with pytest.raises(ValueError, match="Likert agreement scale"):
        bank.answer_value("Developing practice", "staff")
    with pytest.raises(KeyError):
        bank.scale_of("teachers")


def test_wqm_maps_each_audit_item_to_its_principle_and_the_other_frameworks_leave_it_out():
    fw, bank = load_framework("wqm"), load_question_bank()
    mapping = load_mapping(fw, bank)
    assert mapping.surveys["staff_audit"] == {f"SA{k}": f"P{k}" for k in range(1, 8)}
    assert mapping.sections("staff_audit", fw) == list(fw.principle_ids)
    for other in ("vbe", "leadership_management"):
        assert not load_mapping(load_framework(other), bank).is_mapped("staff_audit")


@pytest.mark.parametrize(
    "mutate, field, words",
    [
        (lambda s: s.update(scale="likert_7"), "surveys.staff_audit.scale", "unknown scale 'likert_7' (scales.yaml: "),
        (lambda s: s.pop("high_min"), "surveys.staff_audit.high_min", "required with scale:"),
        (
            lambda s: s.update(high_min=5),
            "surveys.staff_audit.high_min",
            "must be one of the maturity values [1, 2, 3, 4]",
        ),
        (lambda s: s.update(high_min="3"), "surveys.staff_audit.high_min", "expected a whole number"),
        (lambda s: s.update(scale=["maturity"]), "surveys.staff_audit.scale", "expected text"),
        (lambda s: s.update(measure="rating"), "surveys.staff_audit.measure", "unknown field"),
        (lambda s: s["items"][0].update(aliases=[""]), "surveys.staff_audit.items[0].aliases[0]", "non-empty text"),
    ],
)
def test_invalid_audit_scale_names_file_and_field(mutate, field, words):
    doc = bank_doc()
    mutate(doc["surveys"]["staff_audit"])
    with pytest.raises(DataFileError) as err:
        parse_question_bank(doc, "custom/my_bank.yaml")
    assert (err.value.file, err.value.field) == ("my_bank.yaml", field)
    assert words in err.value.message
    assert str(err.value).startswith(f"my_bank.yaml: {field}: ")


def test_a_threshold_without_a_scale_of_its_own_is_refused():
    doc = bank_doc()
    doc["surveys"]["staff"]["high_min"] = 4
    with pytest.raises(DataFileError) as err:
        parse_question_bank(doc, "my_bank.yaml")
    assert err.value.field == "surveys.staff.high_min" and "only for a survey with its own scale:" in err.value.message


def test_a_survey_may_use_another_scale_of_scales_yaml(tmp_path):
    doc = bank_doc()
    doc["surveys"]["staff_audit"].update(scale="checklist", high_min=3)
    path = tmp_path / "my_bank.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert validate_file(path) == "my_bank.yaml: question bank, 4 surveys, 35 items"
    bank = parse_question_bank(doc, path)
    assert bank.values_of("staff_audit") == (1, 2, 3) and bank.answer_value("In place", "staff_audit") == 3
    with pytest.raises(ValueError):
        bank.answer_value("4", "staff_audit")


def test_the_bundled_bank_validates_with_the_audit():
    from wqm_nb.data import QUESTION_BANK_FILE

    assert validate_file(QUESTION_BANK_FILE) == "surveys.yaml: question bank, 4 surveys, 35 items"


def test_answers_read_again_come_from_the_memo_and_mistakes_are_not_remembered():
    from wqm_nb.data.surveys import _MEMO_SIZE

    scale = load_question_bank().scale_of("staff_audit")
    scale._memo.clear()
    assert [scale.value_of(r) for r in ("Developing practice", "Developing practice", " 2 ", "")] == [3, 3, 2, None]
    assert scale._memo == {"Developing practice": 3, " 2 ": 2, "": None}
    for _ in range(2):
        with pytest.raises(ValueError, match="is not an answer"):
            scale.value_of("Strongly agree")
    assert "Strongly agree" not in scale._memo
    for i in range(_MEMO_SIZE + 10):
        scale.value_of(f" {1 + i % 4} " + " " * (i // 4))
    assert len(scale._memo) == _MEMO_SIZE  # bounded: free text cannot fill memory
    scale._memo.clear()
