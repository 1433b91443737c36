import pytest
import yaml

from wqm_nb.data import FRAMEWORK_DIR, available_frameworks, load_framework, load_scales, parse_framework, validate_file
from wqm_nb.errors import DataFileError, SettingsError

WQM_FILE = FRAMEWORK_DIR / "wqm.yaml"


def wqm_doc():
    return yaml.safe_load(WQM_FILE.read_text())


def test_wqm_has_the_seven_ncb_framing_principles_and_their_elements():
    fw = load_framework("wqm")
    assert [p.name for p in fw.principles] == [
        "Adopt whole-school thinking",
        "Engage the whole community",
        "Prioritise professional learning and staff development",
        "Implement targeted programmes and interventions (including curriculum)",
        "Develop supportive policy",
        "Connect appropriately with approaches to behaviour management",
        "Implement targeted responses and identify specialist pathways",
    ]
    assert [len(p.elements) for p in fw.principles] == [6, 2, 4, 2, 1, 1, 4]
    assert fw.principle("P7").elements[2].text == "Provide clear pathways of help and referral including CAMHS"
    assert fw.principle_of("P1.6").id == "P1"


def test_wqm_levels_in_order_with_configurable_rules():
    fw = load_framework("wqm")
    assert [lv.name for lv in fw.levels] == ["Approved School", "Champion School", "Beacon School"]
    assert fw.level("champion").requires == "approved"
    assert fw.level("champion").criteria.consecutive_cycles == 3
    assert fw.level("approved").criteria.min_principle_mean == 3.0


def test_beacon_reads_the_champion_award_held_for_three_years():
    fw = load_framework("wqm")
    held = fw.level("beacon").criteria.requires_held
    assert (held.level, held.years) == ("champion", 3)
    assert fw.level("beacon").requires == "champion" and fw.level("beacon").criteria.consecutive_cycles == 1
    assert fw.level("approved").criteria.requires_held is None
    assert fw.level("beacon").assessor_checks == (
        "Serves as a role model and supports other schools in their WQM journey",
    )
    assert fw.assessment_day.meet == ("Senior leadership team", "Governors", "Staff")
    assert fw.rules_file == "wqm_nb/data/frameworks/wqm.yaml"
    vbe = load_framework("vbe")
    assert vbe.level("enhanced").criteria.requires_held.level == "quality_mark"
    assert vbe.assessment_day.meet == ("Senior leadership team", "Staff")
    assert not load_framework("leadership_management").assessment_day.meet


def test_a_framework_without_the_new_keys_still_loads(tmp_path):
    doc = wqm_doc()
    del doc["assessment_day"]
    for level in doc["levels"]:
        level.pop("assessor_checks", None)
        level["criteria"].pop("requires_held", None)
    fw = parse_framework(doc, tmp_path / "mine.yaml")
    assert fw.assessment_day.meet == () and fw.level("beacon").criteria.requires_held is None
    assert fw.rules_file == str(tmp_path / "mine.yaml")  # a custom file is printed as given


def test_maturity_scale_has_descriptors():
    scale = load_framework("wqm").scale
    assert scale.values == (1, 2, 3, 4)
    assert all(level.descriptor for level in scale.levels)
    assert scale.label(3.6) == "Developing practice"
    assert scale.label(4) == "Embedded and evaluated"
    assert scale.label(None) == ""


def test_vbe_has_six_aspects_and_final_reflections():
    fw = load_framework("vbe")
    assert [p.name for p in fw.principles] == [
        "Wellbeing",
        "Compassionate Leadership",
        "Behaviour and Relationships",
        "Teaching and Learning",
        "Reflection",
        "Values into Action",
    ]
    assert [r.id for r in fw.reflections] == ["stand_out", "next_steps", "conclusion"]
    assert {r.id: r.author for r in fw.reflections}["next_steps"] == "adviser"


def test_leadership_and_management_checklist():
    fw = load_framework("leadership_management")
    assert fw.kind == "checklist"
    area = fw.principles[0]
    assert len(area.elements) == 8
    assert area.key_question.startswith("How is the school providing visible senior leadership")
    assert len(area.activities) == 5
    assert "Ofsted" in area.guidance
    assert fw.scale.id == "checklist"


def test_every_bundled_file_validates():
    assert set(available_frameworks()) >= {"wqm", "vbe", "leadership_management"}
    for name in available_frameworks():
        assert "elements" in validate_file(WQM_FILE.parent / f"{name}.yaml")


@pytest.mark.parametrize(
    "mutate, field, words",
    [
        (lambda d: d["principles"][2]["elements"][0].pop("text"), "principles[2].elements[0].text", "required"),
        (lambda d: d["principles"][0].update(name=""), "principles[0].name", "must not be empty"),
        (lambda d: d.update(scale="stars"), "scale", "unknown scale"),
        (lambda d: d.update(kind="badge"), "kind", "must be one of"),
        (lambda d: d["principles"][1].update(id="P1"), "principles[1].id", "duplicate"),
        (lambda d: d["principles"][1]["elements"][0].update(id="P1.1"), "principles[1].elements[0].id", "duplicate"),
        (
            lambda d: d["levels"][0]["criteria"].update(min_principle_mean=7),
            "levels[0].criteria.min_principle_mean",
            "within the maturity scale",
        ),
        (
            lambda d: d["levels"][1]["criteria"].update(min_stakeholder_agreement=70),
            "levels[1].criteria.min_stakeholder_agreement",
            "proportion",
        ),
        (
            lambda d: d["levels"][0]["criteria"].update(min_principle_men=3),
            "levels[0].criteria.min_principle_men",
            "unknown field",
        ),
        (lambda d: d["levels"][0].update(requires="beacon"), "levels[0].requires", "earlier level"),
        (
            lambda d: d["levels"][2]["criteria"].update(consecutive_cycles="three"),
            "levels[2].criteria.consecutive_cycles",
            "whole number",
        ),
        (lambda d: d.update(principles="none"), "principles", "expected a list"),
        (
            lambda d: d["levels"][1]["criteria"].update(requires_held={"level": "beacon", "years": 3}),
            "levels[1].criteria.requires_held.level",
            "must name an earlier level (approved), got 'beacon'",
        ),
        (
            lambda d: d["levels"][0]["criteria"].update(requires_held={"level": "approved"}),
            "levels[0].criteria.requires_held.level",
            "must name an earlier level (there is none)",
        ),
        (
            lambda d: d["levels"][2]["criteria"].update(requires_held={"level": "champion", "years": -1}),
            "levels[2].criteria.requires_held.years",
            "must not be negative",
        ),
        (
            lambda d: d["levels"][2]["criteria"].update(requires_held={"level": "champion", "years": "three"}),
            "levels[2].criteria.requires_held.years",
            "whole number",
        ),
        (
            lambda d: d["levels"][2]["criteria"].update(requires_held={"level": "champion", "for": 3}),
            "levels[2].criteria.requires_held.for",
            "unknown field",
        ),
        (
            lambda d: d["levels"][2]["criteria"].update(requires_held="champion"),
            "levels[2].criteria.requires_held",
            "expected a mapping",
        ),
        (lambda d: d["levels"][2].update(assessor_checks=["ok", ""]), "levels[2].assessor_checks[1]", "expected text"),
        (lambda d: d.update(assessment_day={"meet": ["Governors", 3]}), "assessment_day.meet[1]", "expected text"),
        (lambda d: d.update(assessment_day={"visit": []}), "assessment_day.visit", "unknown field"),
    ],
)
def test_invalid_framework_names_file_and_field(mutate, field, words):
    doc = wqm_doc()
    mutate(doc)
    with pytest.raises(DataFileError) as err:
        parse_framework(doc, "custom/wqm.yaml")
    assert err.value.file == "wqm.yaml"
    assert err.value.field == field
    assert words in err.value.message
    assert str(err.value).startswith(f"wqm.yaml: {field}: ")


def test_invalid_yaml_file_names_file_and_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: wqm\nprinciples: [\n  - {id: P1\n")
    with pytest.raises(DataFileError) as err:
        load_framework(bad)
    assert "broken.yaml" in str(err.value) and "line" in str(err.value) and "invalid YAML" in str(err.value)


def test_framework_loads_from_a_custom_path(tmp_path):
    doc = wqm_doc()
    doc["levels"][0]["criteria"]["min_principle_mean"] = 2.5
    path = tmp_path / "wqm_custom.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert load_framework(path).level("approved").criteria.min_principle_mean == 2.5


def test_scales_reject_unordered_values():
    from wqm_nb.data import parse_scales

    with pytest.raises(DataFileError) as err:
        parse_scales(
            {"m": {"name": "M", "levels": [{"value": 2, "label": "b"}, {"value": 1, "label": "a"}]}}, "scales.yaml"
        )
    assert err.value.field == "m.levels"
    assert set(load_scales()) == {"maturity", "checklist"}


def test_checklist_has_no_levels_and_quality_marks_do():
    assert not load_framework("leadership_management").has_levels
    assert load_framework("wqm").has_levels and load_framework("vbe").has_levels


def test_unknown_framework_id_and_missing_file_are_clear_errors(tmp_path):
    with pytest.raises(SettingsError, match="unknown framework 'wqmm'.*bundled: leadership_management, vbe, wqm"):
        load_framework("wqmm")
    with pytest.raises(DataFileError, match="no such framework file"):
        load_framework(tmp_path / "missing.yaml")
